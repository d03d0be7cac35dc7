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

static int run_as_non_root_check(struct policy_ctx *ctx)
{
	const struct pod_view *pod = ctx->pod;
	bool relaxed = false;
	if (pss_user_namespace(ctx, &relaxed) < 0)
		return -1;
	if (relaxed)
		return 0;

	const char *path = "securityContext.runAsNonRoot";
	bool pod_true = false, v = false;
	size_t bad = 0;
	int rc = 0;
	switch (pss_bool(pod->spec, path, &v, &bad)) {
	case JP_OK:
		pod_true = v;
		if (!v)
			rc = policy_fail(ctx, NULL, "pod must not set %s.%s=false; set it to true",
					 pod->spec_path, path);
		break;
	case JP_BADTYPE:
		rc = pss_bad_type(ctx, NULL, pod->spec_path, path, bad, "a boolean",
				  "set it to true");
		break;
	case JP_ABSENT:
		break;
	}
	if (rc < 0)
		return -1;

	for (size_t i = 0; i < pod->ncontainers; i++) {
		const struct container_ref *c = &pod->containers[i];
		switch (pss_bool(c->json, path, &v, &bad)) {
		case JP_OK:
			if (!v)
				rc = policy_fail(ctx, c, "must not set %s=false; set it to true",
						 path);
			break;
		case JP_BADTYPE:
			rc = pss_bad_type(ctx, c, NULL, path, bad, "a boolean", "set it to true");
			break;
		case JP_ABSENT:
			if (!pod_true)
				rc = policy_fail(ctx, c, "must set %s=true (pod or container)",
						 path);
			break;
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

const struct policy_desc policy_run_as_non_root = {
	.id = "run-as-non-root",
	.description = "Containers must run with securityContext.runAsNonRoot=true",
	.level = POLICY_LEVEL_RESTRICTED,
	.check = run_as_non_root_check,
};
