/*
 * run-as-non-root (Pod Security Standards, restricted): root in a
 * container is root on the host's kernel, one bug away from the node;
 * runAsNonRoot=true makes the kubelet refuse to start a container whose
 * user would be UID 0.
 *
 * Forbids: runAsNonRoot=false on the pod or on any container, init
 *          container or ephemeral container; and a container that does
 *          not set runAsNonRoot when the pod does not set it to true.
 *          Nothing is checked for a pod with spec.hostUsers=false
 *          (upstream, policy v1.35+): in a user namespace UID 0 is
 *          unprivileged on the host.
 * Reads:   spec.hostUsers, spec.securityContext.runAsNonRoot,
 *          <container>.securityContext.runAsNonRoot
 * Windows: applies unchanged (upstream has no exception; Windows honours
 *          runAsNonRoot for ContainerAdministrator).
 */
#include "pss.h"

static int run_as_non_root_judge(struct policy_ctx *ctx, const struct pss_field *f)
{
	if (f->value != NULL && !json_is_true(f->value))
		return policy_fail(ctx, f->c, "%smust not set %s=false; set it to true", f->who,
				   f->name);
	/* unset on a container: the pod's true is inherited */
	if (f->value == NULL && !json_is_true(f->pod_value))
		return policy_fail(ctx, f->c, "must set %s=true (pod or container)", f->name);
	return 0;
}

static int run_as_non_root_check(struct policy_ctx *ctx)
{
	bool relaxed = false;
	if (pss_user_namespace(ctx, &relaxed) < 0)
		return -1;
	if (relaxed)
		return 0;
	const struct pss_visit v = {
		.path = "securityContext.runAsNonRoot",
		.type = JSON_TRUE,
		.want = "a boolean",
		.fix = "set it to true",
		.pod = true,
		.unset = true,
		.judge = run_as_non_root_judge,
	};
	return pss_visit_fields(ctx, &v);
}

const struct policy_desc policy_run_as_non_root = {
	.id = "run-as-non-root",
	.description = "Containers must run with securityContext.runAsNonRoot=true",
	.level = POLICY_LEVEL_RESTRICTED,
	.check = run_as_non_root_check,
};
