/*
 * proc-mount-restricted (Pod Security Standards, restricted, policy
 * v1.35+): restricted keeps the default /proc mask even for pods in a
 * user namespace, where baseline's proc-mount lets it go. Upstream's
 * procMount_restricted declares OverrideCheckIDs: procMount, so at
 * restricted this check runs instead of proc-mount.
 *
 * Forbids: securityContext.procMount other than Default on any container,
 *          init container or ephemeral container, whatever spec.hostUsers
 *          says.
 * Reads:   <container>.securityContext.procMount
 * Windows: applies unchanged (upstream has no exception).
 */
#include "pss.h"

static int proc_mount_restricted_check(struct policy_ctx *ctx)
{
	return pss_proc_mount_default(ctx, "");
}

const struct policy_desc policy_proc_mount_restricted = {
	.id = "proc-mount-restricted",
	.description = "Containers must use the default /proc mask, even in a user namespace",
	.level = POLICY_LEVEL_RESTRICTED,
	.overrides = "proc-mount",
	.check = proc_mount_restricted_check,
};
