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

static int allow_privilege_escalation_judge(struct policy_ctx *ctx, const struct pss_field *f)
{
	if (f->value == NULL)
		return policy_fail(ctx, f->c, "must set %s=false", f->name);
	if (json_is_true(f->value))
		return policy_fail(ctx, f->c, "must set %s=false (it is true)", f->name);
	return 0;
}

static int allow_privilege_escalation_check(struct policy_ctx *ctx)
{
	if (ctx->pod->windows)
		return 0;
	const struct pss_visit v = {
		.path = "securityContext.allowPrivilegeEscalation",
		.type = JSON_TRUE,
		.want = "a boolean",
		.fix = "set it to false",
		.unset = true,
		.judge = allow_privilege_escalation_judge,
	};
	return pss_visit_fields(ctx, &v);
}

const struct policy_desc policy_allow_privilege_escalation = {
	.id = "allow-privilege-escalation",
	.description = "Containers must set securityContext.allowPrivilegeEscalation=false",
	.level = POLICY_LEVEL_RESTRICTED,
	.check = allow_privilege_escalation_check,
};
