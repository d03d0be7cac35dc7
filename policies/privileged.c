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

static int privileged_check(struct policy_ctx *ctx)
{
	for (size_t i = 0; i < ctx->pod->ncontainers; i++) {
		const struct container_ref *c = &ctx->pod->containers[i];
		bool on = false;
		size_t badlen = 0;
		/* pss_bool also catches a securityContext that is not an object */
		switch (pss_bool(c->json, "securityContext.privileged", &on, &badlen)) {
		case JP_OK:
			if (on &&
			    policy_fail(ctx, c, "must not set securityContext.privileged=true") < 0)
				return -1;
			break;
		case JP_BADTYPE:
			if (pss_bad_type(ctx, c, NULL, "securityContext.privileged", badlen,
					 "a boolean", "remove it or set false") < 0)
				return -1;
			break;
		case JP_ABSENT:
			break;
		}
	}
	return 0;
}

const struct policy_desc policy_privileged = {
	.id = "privileged",
	.description = "Containers must not run privileged (securityContext.privileged)",
	.level = POLICY_LEVEL_BASELINE,
	.check = privileged_check,
};
