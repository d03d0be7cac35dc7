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

static int host_path_volumes_check(struct policy_ctx *ctx)
{
	const struct pod_view *pod = ctx->pod;
	const json_t *volumes = NULL;
	size_t bad = 0;
	switch (pss_array(pod->spec, "volumes", &volumes, &bad)) {
	case JP_OK:
		break;
	case JP_BADTYPE:
		return pss_bad_type(ctx, NULL, pod->spec_path, "volumes", bad, "a list",
				    "list volumes without hostPath");
	case JP_ABSENT:
		return 0;
	}

	size_t i;
	const json_t *vol;
	json_array_foreach(volumes, i, vol)
	{
		if (!json_is_object(vol)) {
			if (policy_fail(ctx, NULL,
					"pod has a %s.volumes[%zu] that is not an object; fix or "
					"remove it",
					pod->spec_path, i) < 0)
				return -1;
			continue;
		}
		const json_t *hp = json_object_get(vol, "hostPath");
		if (hp == NULL || json_is_null(hp))
			continue;
		const char *name = NULL;
		if (jp_string(vol, "name", &name) != JP_OK)
			name = "";
		if (policy_fail(ctx, NULL,
				"pod must not set %s.volumes[%zu].hostPath (volume \"%s\"); use "
				"another volume type, such as a persistentVolumeClaim",
				pod->spec_path, i, name) < 0)
			return -1;
	}
	return 0;
}

const struct policy_desc policy_host_path_volumes = {
	.id = "host-path-volumes",
	.description = "Pods must not mount hostPath volumes",
	.level = POLICY_LEVEL_BASELINE,
	.check = host_path_volumes_check,
};
