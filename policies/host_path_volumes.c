/*
 * host-path-volumes (Pod Security Standards, baseline): a hostPath volume
 * mounts the node's own filesystem into the pod, which is a direct path
 * to the kubelet's credentials, the container runtime socket and more.
 *
 * Forbids: a spec.volumes entry with a hostPath source.
 * Reads:   spec.volumes[*].hostPath (and .name for messages)
 * Windows: applies unchanged (upstream has no exception).
 * At restricted, restricted-volumes replaces this check.
 */
#include "pss.h"

static int host_path_volumes_one(struct policy_ctx *ctx, size_t i, const json_t *vol,
				 const char *name)
{
	const json_t *hp = json_object_get(vol, "hostPath");
	if (hp == NULL || json_is_null(hp))
		return 0;
	return policy_fail(ctx, NULL,
			   "pod must not set %s.volumes[%zu].hostPath (volume \"%s\"); use another "
			   "volume type, such as a persistentVolumeClaim",
			   ctx->pod->spec_path, i, name);
}

static int host_path_volumes_check(struct policy_ctx *ctx)
{
	return pss_visit_volumes(ctx, "list volumes without hostPath", host_path_volumes_one);
}

const struct policy_desc policy_host_path_volumes = {
	.id = "host-path-volumes",
	.description = "Pods must not mount hostPath volumes",
	.level = POLICY_LEVEL_BASELINE,
	.check = host_path_volumes_check,
};
