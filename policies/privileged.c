/*
 * privileged (Pod Security Standards, baseline): privileged containers
 * have every capability and all host devices, so they escape isolation.
 *
 * Forbids: securityContext.privileged=true on any container, init
 * container or ephemeral container.
 * Reads:   <container>.securityContext.privileged
 * Windows: applies unchanged (upstream has no exception).
 */
#include "policy.h"
#include "pss.h"

static int privileged_judge(struct policy_ctx *ctx, const struct pss_field *f)
{
	if (!json_is_true(f->value))
		return 0;
	return policy_fail(ctx, f->c, "must not set %s=true", f->name);
}

static int privileged_check(struct policy_ctx *ctx)
{
	const struct pss_visit v = {
		.path = "securityContext.privileged",
		.type = JSON_TRUE,
		.want = "a boolean",
		.fix = "remove it or set false",
		.judge = privileged_judge,
	};
	return pss_visit_fields(ctx, &v);
}

const struct policy_desc policy_privileged = {
	.id = "privileged",
	.description = "Containers must not run privileged (securityContext.privileged)",
	.level = POLICY_LEVEL_BASELINE,
	.check = privileged_check,
};
