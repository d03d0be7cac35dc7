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
	if (ctx->pod->windows)
		return 0;
	return pss_profiles(ctx, "securityContext.seccompProfile", true);
}

const struct policy_desc policy_seccomp_restricted = {
	.id = "seccomp-restricted",
	.description =
		"A seccomp profile (RuntimeDefault or Localhost) must be set for every container",
	.level = POLICY_LEVEL_RESTRICTED,
	.overrides = "seccomp-baseline",
	.check = seccomp_restricted_check,
};
