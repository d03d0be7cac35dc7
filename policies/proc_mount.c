/*
 * proc-mount (Pod Security Standards, baseline): the default /proc mask
 * hides kernel interfaces from the container; an Unmasked /proc exposes
 * them. Inside a user namespace (spec.hostUsers: false) those interfaces
 * only reach the pod's own namespace, so upstream (policy v1.35+) allows
 * any procMount there at baseline.
 *
 * Forbids: securityContext.procMount other than Default on any container,
 *          init container or ephemeral container, unless spec.hostUsers is
 *          false.
 * Reads:   spec.hostUsers, <container>.securityContext.procMount
 * Windows: applies unchanged (upstream has no exception).
 * At restricted, proc-mount-restricted replaces this check and applies
 * even in a user namespace.
 */
#include "pss.h"

static int proc_mount_check(struct policy_ctx *ctx)
{
	bool relaxed = false;
	if (pss_user_namespace(ctx, &relaxed) < 0)
		return -1;
	if (relaxed)
		return 0;
	return pss_proc_mount_default(ctx, " (or run the pod with spec.hostUsers=false)");
}

const struct policy_desc policy_proc_mount = {
	.id = "proc-mount",
	.description = "Containers must use the default /proc mask unless in a user namespace",
	.level = POLICY_LEVEL_BASELINE,
	.check = proc_mount_check,
};
