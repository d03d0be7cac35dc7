/*
 * seccomp-baseline (Pod Security Standards, baseline): seccomp filters
 * the system calls a container may make; an Unconfined profile removes
 * that filter. Baseline allows leaving the profile unset (the runtime's
 * choice), but not choosing an unconfined one explicitly.
 *
 * Forbids: a securityContext.seccompProfile whose type is not
 *          RuntimeDefault or Localhost (a profile without a type
 *          included), on the pod or on any container, init container or
 *          ephemeral container.
 * Reads:   spec.securityContext.seccompProfile.type,
 *          <container>.securityContext.seccompProfile.type. The alpha
 *          seccomp annotations only matter below policy v1.19 upstream
 *          and are not read.
 * Windows: applies unchanged (upstream has no exception at baseline).
 * At restricted, seccomp-restricted replaces this check.
 */
#include "pss.h"

static int seccomp_baseline_check(struct policy_ctx *ctx)
{
	return pss_profiles(ctx, "securityContext.seccompProfile", false);
}

const struct policy_desc policy_seccomp_baseline = {
	.id = "seccomp-baseline",
	.description = "Seccomp profiles, when set, must be RuntimeDefault or Localhost",
	.level = POLICY_LEVEL_BASELINE,
	.check = seccomp_baseline_check,
};
