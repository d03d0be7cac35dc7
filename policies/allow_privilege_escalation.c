/*
 * allow-privilege-escalation (Pod Security Standards, restricted): unless
 * a container sets allowPrivilegeEscalation=false, the runtime leaves
 * no_new_privs off and a setuid binary can gain privileges the container
 * was not started with.
 *
 * Forbids: a container, init container or ephemeral container whose
 *          securityContext.allowPrivilegeEscalation is not explicitly
 *          false (unset counts as true).
 * Reads:   <container>.securityContext.allowPrivilegeEscalation
 * Windows: a pod with spec.os.name=windows is not checked (upstream,
 *          policy v1.25+: the field does not exist on Windows).
 */
#include "pss.h"

static int allow_privilege_escalation_check(struct policy_ctx *ctx)
{
	if (ctx->pod->windows)
		return 0;
	for (size_t i = 0; i < ctx->pod->ncontainers; i++) {
		const struct container_ref *c = &ctx->pod->containers[i];
		const char *path = "securityContext.allowPrivilegeEscalation";
		bool allow = true;
		size_t bad = 0;
		int rc = 0;
		switch (pss_bool(c->json, path, &allow, &bad)) {
		case JP_OK:
			if (allow)
				rc = policy_fail(ctx, c, "must set %s=false (it is true)", path);
			break;
		case JP_BADTYPE:
			rc = pss_bad_type(ctx, c, NULL, path, bad, "a boolean", "set it to false");
			break;
		case JP_ABSENT:
			rc = policy_fail(ctx, c, "must set %s=false", path);
			break;
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

const struct policy_desc policy_allow_privilege_escalation = {
	.id = "allow-privilege-escalation",
	.description = "Containers must set securityContext.allowPrivilegeEscalation=false",
	.level = POLICY_LEVEL_RESTRICTED,
	.check = allow_privilege_escalation_check,
};
