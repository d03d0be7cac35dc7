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

static int run_as_user_check(struct policy_ctx *ctx)
{
	const struct pod_view *pod = ctx->pod;
	bool relaxed = false;
	if (pss_user_namespace(ctx, &relaxed) < 0)
		return -1;
	if (relaxed)
		return 0;

	const char *path = "securityContext.runAsUser";
	long long uid = 0;
	size_t bad = 0;
	int rc = 0;
	switch (pss_int(pod->spec, path, &uid, &bad)) {
	case JP_OK:
		if (uid == 0)
			rc = policy_fail(
				ctx, NULL,
				"pod must not set %s.%s=0; use a non-zero UID or remove it",
				pod->spec_path, path);
		break;
	case JP_BADTYPE:
		rc = pss_bad_type(ctx, NULL, pod->spec_path, path, bad, "an integer",
				  "use a non-zero UID or remove it");
		break;
	case JP_ABSENT:
		break;
	}
	if (rc < 0)
		return -1;

	for (size_t i = 0; i < pod->ncontainers; i++) {
		const struct container_ref *c = &pod->containers[i];
		switch (pss_int(c->json, path, &uid, &bad)) {
		case JP_OK:
			if (uid == 0)
				rc = policy_fail(
					ctx, c,
					"must not set %s=0; use a non-zero UID or remove it", path);
			break;
		case JP_BADTYPE:
			rc = pss_bad_type(ctx, c, NULL, path, bad, "an integer",
					  "use a non-zero UID or remove it");
			break;
		case JP_ABSENT:
			break;
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

const struct policy_desc policy_run_as_user = {
	.id = "run-as-user",
	.description = "Pods and containers must not set runAsUser=0",
	.level = POLICY_LEVEL_RESTRICTED,
	.check = run_as_user_check,
};
