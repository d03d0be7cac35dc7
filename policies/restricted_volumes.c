/*
 * restricted-volumes (Pod Security Standards, restricted): beyond
 * hostPath, most inline volume sources (nfs, iscsi, rbd, gitRepo, cloud
 * disks, ...) let a pod reach storage directly, around the
 * PersistentVolume access control of the cluster.
 *
 * Forbids: a spec.volumes entry with any source other than configMap,
 *          csi, downwardAPI, emptyDir, ephemeral, image,
 *          persistentVolumeClaim, projected or secret (image is allowed
 *          upstream since v1.33, patched into every policy version). A
 *          volume with no source at all is allowed: the apiserver defaults
 *          it to emptyDir.
 * Reads:   spec.volumes[*] (every key but name)
 * Windows: applies unchanged (upstream has no exception).
 * Replaces host-path-volumes at restricted (upstream OverrideCheckIDs).
 */
#include <string.h>

#include "pss.h"

static const char *const restricted_volumes_allowed[] = {
	"configMap", "csi",   "downwardAPI",           "emptyDir",
	"ephemeral", "image", "persistentVolumeClaim", "projected",
	"secret",    NULL,
};

static int restricted_volumes_one(struct policy_ctx *ctx, size_t i, const json_t *vol,
				  const char *name)
{
	const struct pod_view *pod = ctx->pod;
	const char *key;
	const json_t *src;
	/*
	 * Every source key is judged, not only the first: the apiserver rejects
	 * a volume with two sources, but `admitd test` input is not validated,
	 * and an allowed source must not hide a forbidden one.
	 */
	json_object_foreach((json_t *)vol, key, src)
	{
		if (strcmp(key, "name") == 0 || json_is_null(src))
			continue;
		int rc = 0;
		if (!pss_in(restricted_volumes_allowed, key))
			rc = policy_fail(
				ctx, NULL,
				"pod must not use volume type %s (%s.volumes[%zu], volume "
				"\"%s\"); use configMap, csi, downwardAPI, emptyDir, "
				"ephemeral, image, persistentVolumeClaim, projected or secret",
				key, pod->spec_path, i, name);
		else if (!json_is_object(src))
			rc = policy_fail(
				ctx, NULL,
				"pod has a %s.volumes[%zu].%s that is not an object (volume "
				"\"%s\"); fix it",
				pod->spec_path, i, key, name);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int restricted_volumes_check(struct policy_ctx *ctx)
{
	return pss_visit_volumes(ctx, "list volumes of the allowed types", restricted_volumes_one);
}

const struct policy_desc policy_restricted_volumes = {
	.id = "restricted-volumes",
	.description = "Volumes must be of a restricted-safe type (configMap, secret, PVC, ...)",
	.level = POLICY_LEVEL_RESTRICTED,
	.overrides = "host-path-volumes",
	.check = restricted_volumes_check,
};
