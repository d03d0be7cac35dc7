/*
 * capabilities-restricted (Pod Security Standards, restricted): even the
 * runtime's default capabilities (CHOWN, DAC_OVERRIDE, SETUID, ...) are
 * more than most containers need; restricted requires dropping them all
 * and adding back at most NET_BIND_SERVICE.
 *
 * Forbids: a container, init container or ephemeral container whose
 *          securityContext.capabilities.drop does not contain "ALL", or
 *          whose securityContext.capabilities.add contains anything but
 *          NET_BIND_SERVICE. Names are compared exactly, as upstream does.
 * Reads:   <container>.securityContext.capabilities.drop,
 *          <container>.securityContext.capabilities.add
 * Windows: a pod with spec.os.name=windows is not checked (upstream,
 *          policy v1.25+: Windows has no Linux capabilities).
 * Replaces capabilities-baseline at restricted (upstream OverrideCheckIDs).
 */
#include <string.h>

#include "pss.h"

static int capabilities_restricted_drop(struct policy_ctx *ctx, const struct container_ref *c)
{
	const char *path = "securityContext.capabilities.drop";
	const json_t *drop = NULL;
	size_t bad = 0;
	switch (pss_array(c->json, path, &drop, &bad)) {
	case JP_OK:
		break;
	case JP_BADTYPE:
		return pss_bad_type(ctx, c, NULL, path, bad, "a list", "set drop=[\"ALL\"]");
	case JP_ABSENT:
		return policy_fail(ctx, c, "must set %s=[\"ALL\"]", path);
	}
	bool all = false;
	size_t i;
	const json_t *cap;
	json_array_foreach(drop, i, cap)
	{
		if (!json_is_string(cap)) {
			if (policy_fail(ctx, c, "has a %s[%zu] that is not a string; remove it",
					path, i) < 0)
				return -1;
		} else if (strcmp(json_string_value(cap), "ALL") == 0) {
			all = true;
		}
	}
	if (!all)
		return policy_fail(ctx, c, "must set %s=[\"ALL\"] (\"ALL\" is missing)", path);
	return 0;
}

static int capabilities_restricted_check(struct policy_ctx *ctx)
{
	static const char *const allowed[] = {"NET_BIND_SERVICE", NULL};
	if (ctx->pod->windows)
		return 0;
	for (size_t i = 0; i < ctx->pod->ncontainers; i++) {
		const struct container_ref *c = &ctx->pod->containers[i];
		/* drop already reported a malformed securityContext or capabilities */
		if (capabilities_restricted_drop(ctx, c) < 0 ||
		    pss_capabilities_add(ctx, c, allowed, "add at most NET_BIND_SERVICE",
					 "add at most NET_BIND_SERVICE", true) < 0)
			return -1;
	}
	return 0;
}

const struct policy_desc policy_capabilities_restricted = {
	.id = "capabilities-restricted",
	.description = "Containers must drop ALL capabilities and may add only NET_BIND_SERVICE",
	.level = POLICY_LEVEL_RESTRICTED,
	.overrides = "capabilities-baseline",
	.check = capabilities_restricted_check,
};
