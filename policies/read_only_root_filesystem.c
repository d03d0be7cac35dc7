/*
 * read-only-root-filesystem: a writable root filesystem lets a compromised
 * process drop tools or rewrite binaries inside the container, and hides
 * state that should live in a volume.
 *
 * Forbids: a container, init container or ephemeral container that does
 *          not set securityContext.readOnlyRootFilesystem=true (absent,
 *          false, or not a boolean).
 * Reads:   <container>.securityContext.readOnlyRootFilesystem
 * Windows: skipped: the API rejects readOnlyRootFilesystem on a pod with
 *          spec.os.name=windows, so requiring it would forbid every
 *          Windows pod.
 */
#include "policy.h"

static int read_only_root_filesystem_check(struct policy_ctx *ctx)
{
	if (ctx->pod->windows)
		return 0;
	for (size_t i = 0; i < ctx->pod->ncontainers; i++) {
		const struct container_ref *c = &ctx->pod->containers[i];
		bool on = false;
		int rc = 0;
		const json_t *sc = NULL;
		if (jp_object(c->json, "securityContext", &sc) == JP_BADTYPE) {
			if (policy_fail(ctx, c,
					"has a securityContext that is not an object; set "
					"securityContext.readOnlyRootFilesystem=true") < 0)
				return -1;
			continue;
		}
		switch (jp_bool(c->json, "securityContext.readOnlyRootFilesystem", &on)) {
		case JP_OK:
			if (!on)
				rc = policy_fail(
					ctx, c,
					"must set securityContext.readOnlyRootFilesystem=true "
					"(it is false); mount an emptyDir where the "
					"container needs to write");
			break;
		case JP_BADTYPE:
			rc = policy_fail(
				ctx, c,
				"has a securityContext.readOnlyRootFilesystem that is not a "
				"boolean; set it to true");
			break;
		case JP_ABSENT:
			rc = policy_fail(
				ctx, c,
				"must set securityContext.readOnlyRootFilesystem=true; mount "
				"an emptyDir where the container needs to write");
			break;
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

const struct policy_desc policy_read_only_root_filesystem = {
	.id = "read-only-root-filesystem",
	.description = "Containers must set securityContext.readOnlyRootFilesystem=true",
	.level = POLICY_LEVEL_NONE,
	.default_action = POLICY_ACTION_OFF,
	.check = read_only_root_filesystem_check,
};
