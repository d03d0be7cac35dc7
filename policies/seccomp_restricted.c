/*
 * seccomp-restricted (Pod Security Standards, restricted): every
 * container must run under a seccomp filter, so a profile has to be
 * chosen explicitly rather than left to the runtime (which may default
 * to Unconfined).
 *
 * Forbids: a securityContext.seccompProfile whose type is not
 *          RuntimeDefault or Localhost, on the pod or on any container,
 *          init container or ephemeral container; and a container without
 *          its own seccompProfile when the pod sets no good one.
 * Reads:   spec.securityContext.seccompProfile.type,
 *          <container>.securityContext.seccompProfile
 * Windows: a pod with spec.os.name=windows is not checked (upstream,
 *          policy v1.25+: Windows has no seccomp).
 * Replaces seccomp-baseline at restricted (upstream OverrideCheckIDs).
 */
#include "pss.h"

static int seccomp_restricted_check(struct policy_ctx *ctx)
{
	const struct pod_view *pod = ctx->pod;
	if (pod->windows)
		return 0;
	const char *path = "securityContext.seccompProfile";
	bool pod_good = false;
	if (pss_profile(ctx, NULL, pod->spec, path, &pod_good) < 0)
		return -1;
	for (size_t i = 0; i < pod->ncontainers; i++) {
		const struct container_ref *c = &pod->containers[i];
		bool good = false;
		if (pss_profile(ctx, c, c->json, path, &good) < 0)
			return -1;
		/* a container's own profile, good or bad, is judged by pss_profile */
		const json_t *own = NULL;
		size_t bad = 0;
		if (good || pod_good || pss_get(c->json, path, &own, &bad) != JP_ABSENT)
			continue;
		if (policy_fail(ctx, c,
				"must set securityContext.seccompProfile.type to RuntimeDefault or "
				"Localhost (pod or container)") < 0)
			return -1;
	}
	return 0;
}

const struct policy_desc policy_seccomp_restricted = {
	.id = "seccomp-restricted",
	.description =
		"A seccomp profile (RuntimeDefault or Localhost) must be set for every container",
	.level = POLICY_LEVEL_RESTRICTED,
	.overrides = "seccomp-baseline",
	.check = seccomp_restricted_check,
};
