/*
 * apparmor-profile (Pod Security Standards, baseline): the runtime's
 * default AppArmor profile confines what a container may do on the host;
 * an unconfined (or any other non-default) profile switches that off.
 *
 * Forbids: securityContext.appArmorProfile with a type other than
 *          RuntimeDefault or Localhost, on the pod or on any container,
 *          init container or ephemeral container; and a pod annotation
 *          container.apparmor.security.beta.kubernetes.io/<name> whose
 *          value is not empty, runtime/default or localhost/<profile>.
 *          Upstream still judges the deprecated annotation, since older
 *          kubelets honour it.
 * Reads:   spec.securityContext.appArmorProfile.type,
 *          <container>.securityContext.appArmorProfile.type, and the pod
 *          metadata.annotations
 * Windows: applies unchanged (upstream has no exception).
 */
#include <string.h>

#include "pss.h"

#define APPARMOR_PROFILE_ANNOTATION_PREFIX "container.apparmor.security.beta.kubernetes.io/"

static bool apparmor_profile_annotation_ok(const char *value)
{
	return value[0] == '\0' || strcmp(value, "runtime/default") == 0 ||
	       strncmp(value, "localhost/", strlen("localhost/")) == 0;
}

static int apparmor_profile_annotations(struct policy_ctx *ctx)
{
	const struct pod_view *pod = ctx->pod;
	/* the metadata beside the spec: spec.template.spec -> spec.template.metadata */
	size_t plen = strlen(pod->spec_path);
	const char *meta_path = arena_printf(ctx->arena, "%.*smetadata",
					     (int)(plen >= 4 ? plen - 4 : 0), pod->spec_path);
	if (meta_path == NULL)
		return policy_error(ctx, "out of memory");

	const json_t *annotations = NULL;
	size_t bad = 0;
	switch (pss_object(pod->pod_meta, "annotations", &annotations, &bad)) {
	case JP_OK:
		break;
	case JP_BADTYPE:
		return pss_bad_type(ctx, NULL, meta_path, "annotations", bad, "an object",
				    "make it a map of strings");
	case JP_ABSENT:
		return 0;
	}
	const char *key;
	const json_t *value;
	json_object_foreach((json_t *)annotations, key, value)
	{
		if (strncmp(key, APPARMOR_PROFILE_ANNOTATION_PREFIX,
			    strlen(APPARMOR_PROFILE_ANNOTATION_PREFIX)) != 0)
			continue;
		int rc = 0;
		if (!json_is_string(value))
			rc = policy_fail(ctx, NULL,
					 "pod has a %s.annotations[\"%s\"] that is not a string; "
					 "set runtime/default or localhost/<profile>",
					 meta_path, key);
		else if (!apparmor_profile_annotation_ok(json_string_value(value)))
			rc = policy_fail(ctx, NULL,
					 "pod must not set annotation %s=\"%s\" (%s.annotations); "
					 "use runtime/default or localhost/<profile>",
					 key, json_string_value(value), meta_path);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int apparmor_profile_check(struct policy_ctx *ctx)
{
	if (pss_profiles(ctx, "securityContext.appArmorProfile", false) < 0)
		return -1;
	return apparmor_profile_annotations(ctx);
}

const struct policy_desc policy_apparmor_profile = {
	.id = "apparmor-profile",
	.description =
		"AppArmor profiles must be RuntimeDefault or Localhost (field and annotation)",
	.level = POLICY_LEVEL_BASELINE,
	.check = apparmor_profile_check,
};
