/*
 * capabilities-baseline (Pod Security Standards, baseline): a container
 * may keep the runtime's default capabilities, but adding NET_RAW or
 * anything beyond the default set hands it kernel powers (raw sockets,
 * SYS_ADMIN, ...) that break isolation.
 *
 * Forbids: any entry of securityContext.capabilities.add outside
 *          AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD,
 *          NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT,
 *          on any container, init container or ephemeral container.
 *          Names are compared exactly, as upstream does: "chown" or
 *          "CAP_CHOWN" is not CHOWN to the runtime either.
 * Reads:   <container>.securityContext.capabilities.add
 * Windows: applies unchanged (upstream has no exception at baseline).
 * At restricted, capabilities-restricted replaces this check.
 */
#include "pss.h"

#define CAPABILITIES_BASELINE_ALLOWED                                                              \
	"AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, "        \
	"SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT"

static const char *const capabilities_baseline_allowed[] = {
	"AUDIT_WRITE",      "CHOWN",   "DAC_OVERRIDE", "FOWNER",  "FSETID", "KILL",       "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID",       "SETPCAP", "SETUID", "SYS_CHROOT", NULL,
};

static int capabilities_baseline_check(struct policy_ctx *ctx)
{
	for (size_t i = 0; i < ctx->pod->ncontainers; i++)
		if (pss_capabilities_add(ctx, &ctx->pod->containers[i],
					 capabilities_baseline_allowed,
					 "list only capabilities from the default set",
					 "add only capabilities of the default set "
					 "(" CAPABILITIES_BASELINE_ALLOWED ")",
					 false) < 0)
			return -1;
	return 0;
}

const struct policy_desc policy_capabilities_baseline = {
	.id = "capabilities-baseline",
	.description =
		"Containers may add only the default capabilities (no NET_RAW, SYS_ADMIN, ...)",
	.level = POLICY_LEVEL_BASELINE,
	.check = capabilities_baseline_check,
};
