/*
 * run-as-user (Pod Security Standards, restricted): an explicit
 * runAsUser=0 runs the container as root whatever the image says, and
 * would defeat runAsNonRoot's image-based guard.
 *
 * Forbids: runAsUser=0 on the pod or on any container, init container or
 *          ephemeral container. Unset is allowed (run-as-non-root covers
 *          it). Nothing is checked for a pod with spec.hostUsers=false
 *          (upstream, policy v1.35+): in a user namespace UID 0 is
 *          unprivileged on the host.
 * Reads:   spec.hostUsers, spec.securityContext.runAsUser,
 *          <container>.securityContext.runAsUser
 * Windows: applies unchanged (upstream has no exception).
 */
#include "pss.h"

static int run_as_user_judge(struct policy_ctx *ctx, const struct pss_field *f)
{
	if (json_integer_value(f->value) != 0)
		return 0;
	return policy_fail(ctx, f->c, "%smust not set %s=0; use a non-zero UID or remove it",
			   f->who, f->name);
}

static int run_as_user_check(struct policy_ctx *ctx)
{
	bool relaxed = false;
	if (pss_user_namespace(ctx, &relaxed) < 0)
		return -1;
	if (relaxed)
		return 0;
	const struct pss_visit v = {
		.path = "securityContext.runAsUser",
		.type = JSON_INTEGER,
		.want = "an integer",
		.fix = "use a non-zero UID or remove it",
		.pod = true,
		.judge = run_as_user_judge,
	};
	return pss_visit_fields(ctx, &v);
}

const struct policy_desc policy_run_as_user = {
	.id = "run-as-user",
	.description = "Pods and containers must not set runAsUser=0",
	.level = POLICY_LEVEL_RESTRICTED,
	.check = run_as_user_check,
};
