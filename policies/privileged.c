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
	.doc = "A privileged container runs with every capability and with access to all\n"
	       "of the node's devices: it is root on the node, outside any isolation.\n"
	       "\n"
	       "Forbids `securityContext.privileged: true` on every container, init\n"
	       "container and ephemeral container. Reads `securityContext.privileged` of\n"
	       "each container; a value that is not a boolean, or a `securityContext` that\n"
	       "is not a map, is a violation too. Windows pods are checked the same way.\n"
	       "\n"
	       "Example denial:\n"
	       "\n"
	       "    [privileged] container \"web\" must not set "
	       "securityContext.privileged=true\n"
	       "\n"
	       "How to fix: remove the field or set it to `false`. A node agent that\n"
	       "really needs the host (a CNI or storage driver) belongs in a namespace\n"
	       "exempted from this policy (`exemptions: {namespaces: [...]}`).\n"
	       "\n"
	       "```yaml\n"
	       "containers:\n"
	       "  - name: web\n"
	       "    securityContext:\n"
	       "      privileged: false\n"
	       "```",
};
