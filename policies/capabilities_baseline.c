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

static int capabilities_baseline_container(struct policy_ctx *ctx, const struct container_ref *c)
{
	const char *path = "securityContext.capabilities.add";
	const json_t *add = NULL;
	size_t bad = 0;
	switch (pss_array(c->json, path, &add, &bad)) {
	case JP_OK:
		break;
	case JP_BADTYPE:
		return pss_bad_type(ctx, c, NULL, path, bad, "a list",
				    "list only capabilities from the default set");
	case JP_ABSENT:
		return 0;
	}

	const char *forbidden = NULL;
	size_t i;
	const json_t *cap;
	json_array_foreach(add, i, cap)
	{
		if (!json_is_string(cap)) {
			if (policy_fail(ctx, c, "has a %s[%zu] that is not a string; remove it",
					path, i) < 0)
				return -1;
			continue;
		}
		const char *name = json_string_value(cap);
		if (pss_in(capabilities_baseline_allowed, name))
			continue;
		forbidden = pss_join_quoted(ctx->arena, forbidden, name);
		if (forbidden == NULL)
			return policy_error(ctx, "out of memory");
	}
	if (forbidden != NULL)
		return policy_fail(ctx, c,
				   "must not include %s in %s; add only capabilities of the "
				   "default set (" CAPABILITIES_BASELINE_ALLOWED ")",
				   forbidden, path);
	return 0;
}

static int capabilities_baseline_check(struct policy_ctx *ctx)
{
	for (size_t i = 0; i < ctx->pod->ncontainers; i++)
		if (capabilities_baseline_container(ctx, &ctx->pod->containers[i]) < 0)
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
