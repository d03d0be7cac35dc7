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
	.doc = "The default /proc mask hides kernel interfaces (`/proc/kcore`,\n"
	       "`/proc/sysrq-trigger`, ...) from the container; `procMount: Unmasked`\n"
	       "exposes them.\n"
	       "\n"
	       "Forbids, on every container, init container and ephemeral container, a\n"
	       "`securityContext.procMount` other than `Default`. A pod in a user namespace\n"
	       "(`spec.hostUsers: false`) is not checked: there those interfaces reach only\n"
	       "the pod's own namespace (policy v1.35+). Reads `spec.hostUsers` and each\n"
	       "container's `securityContext.procMount`; a value of the wrong type is a\n"
	       "violation too. Windows pods are checked the same way. At restricted,\n"
	       "[proc-mount-restricted](#proc-mount-restricted) runs instead, and applies\n"
	       "in a user namespace too.\n"
	       "\n"
	       "Example denial:\n"
	       "\n"
	       "    [proc-mount] container \"web\" must not set "
	       "securityContext.procMount=\"Unmasked\"; remove it or set Default (or run "
	       "the pod with spec.hostUsers=false)\n"
	       "\n"
	       "How to fix: remove `procMount` (or set `Default`). A pod that needs an\n"
	       "unmasked /proc, such as a nested container build, runs in a user\n"
	       "namespace:\n"
	       "\n"
	       "```yaml\n"
	       "spec:\n"
	       "  hostUsers: false\n"
	       "  containers:\n"
	       "    - name: builder\n"
	       "      securityContext: {procMount: Unmasked}\n"
	       "```",
};
