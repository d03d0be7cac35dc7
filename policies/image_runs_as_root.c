/*
 * image-runs-as-root: a container that sets no runAsUser runs as its
 * image's USER, root when the Dockerfile never set one. The pod spec does
 * not show it; the image's configuration does. Under runAsNonRoot: true
 * the kubelet refuses such a container only when it starts
 * (CreateContainerConfigError, after the pod was admitted): saying so at
 * admission is the point.
 *
 * Forbids: on any container, init container or ephemeral container whose
 *          image matches `images` and that sets no runAsUser (its own or
 *          the pod's), an image whose config.User is empty, root, 0, 0:...
 *          or root:..., on any linux platform the pod can land on. A user
 *          name other than root cannot be resolved without reading the
 *          image's layers: under runAsNonRoot: true the kubelet refuses it
 *          too ("cannot verify user is non-root"), so it is denied there;
 *          elsewhere it is "cannot tell", reported as `unknownUser` says.
 * Reads:   <container>.image, <container>.securityContext.runAsUser and
 *          .runAsNonRoot, spec.securityContext (the same), the pod's node
 *          selector and affinity for its platforms; the image's
 *          configuration as gathered before the engine ran (imgcheck.h).
 * Parameters:
 *   images:          [image pattern, ...]  required: the images read
 *   unknownUser:     deny, warn (default) or off: a user name that is not root
 *   timeoutSeconds:  the most one review waits for registries, default 8
 *   onRegistryError: deny (default) or allow (with a warning)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgcontents.h"

struct image_runs_as_root_params {
	struct imgcheck_params common;
	int unknown_user;
};

enum { RUNS_AS_ROOT_WARN = 0, RUNS_AS_ROOT_DENY, RUNS_AS_ROOT_OFF };
static const cyaml_strval_t image_runs_as_root_unknown[] = {
	{"warn", RUNS_AS_ROOT_WARN}, {"deny", RUNS_AS_ROOT_DENY}, {"off", RUNS_AS_ROOT_OFF}};

static const cyaml_schema_field_t image_runs_as_root_fields[] = {
	IMGCHECK_FIELDS(struct image_runs_as_root_params, common),
	CYAML_FIELD_ENUM("unknownUser", CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT,
			 struct image_runs_as_root_params, unknown_user, image_runs_as_root_unknown,
			 3),
	CYAML_FIELD_END,
};

struct image_runs_as_root_state {
	struct imgcheck_policy public; /* first: imgcheck reads it through the state pointer */
	int unknown_user;
};

static int image_runs_as_root_prepare(const void *params, void **state, char *err, size_t errlen)
{
	const struct image_runs_as_root_params *p = params;
	struct image_runs_as_root_state *st =
		imgcheck_state_new(sizeof(*st), p != NULL ? &p->common : NULL, err, errlen);
	if ((*state = st) == NULL)
		return -1;
	st->unknown_user = p != NULL ? p->unknown_user : RUNS_AS_ROOT_WARN;
	return 0;
}

/* Whether the container or the pod sets field in its securityContext (any value). */
static bool image_runs_as_root_sets(const struct policy_ctx *ctx, const struct container_ref *c,
				    const char *field)
{
	const json_t *mine = json_object_get(json_object_get(c->json, "securityContext"), field);
	const json_t *pods =
		json_object_get(json_object_get(ctx->pod->spec, "securityContext"), field);
	return (mine != NULL && !json_is_null(mine)) || (pods != NULL && !json_is_null(pods));
}

static bool image_runs_as_root_non_root(const struct policy_ctx *ctx, const struct container_ref *c)
{
	bool v = false;
	if (jp_bool(c->json, "securityContext.runAsNonRoot", &v) == JP_OK)
		return v;
	return jp_bool(ctx->pod->spec, "securityContext.runAsNonRoot", &v) == JP_OK && v;
}

/* The user part of USER ("name", "uid", "uid:gid", "name:group"), without the group. */
static size_t image_runs_as_root_user_len(const char *user)
{
	return strcspn(user, ":");
}

static bool image_runs_as_root_is(const char *user, size_t n, const char *what)
{
	return strlen(what) == n && strncmp(user, what, n) == 0;
}

static bool image_runs_as_root_numeric(const char *user, size_t n)
{
	return n > 0 && strspn(user, "0123456789") >= n;
}

static enum imgcontents_verdict image_runs_as_root_platform(struct policy_ctx *ctx,
							    const struct container_ref *c,
							    const struct imgfacts_platform *p,
							    const char **detail)
{
	const struct image_runs_as_root_state *st = ctx->state;
	const char *user = p->user != NULL ? p->user : "";
	size_t n = image_runs_as_root_user_len(user);
	bool numeric = image_runs_as_root_numeric(user, n);
	/* a numeric non-zero USER is fine whatever the pod sets: asked first, as most are */
	if (numeric && strtoul(user, NULL, 10) != 0)
		return IMGCONTENTS_OK;
	if (image_runs_as_root_sets(ctx, c, "runAsUser"))
		return IMGCONTENTS_OK; /* the pod decides the user; run-as-user judges its value */
	bool non_root = image_runs_as_root_non_root(ctx, c);
	const char *refused = non_root ? "; with runAsNonRoot: true the kubelet will refuse to "
					 "start it (CreateContainerConfigError)"
				       : "";
	if (n == 0 || image_runs_as_root_is(user, n, "root") || numeric) {
		*detail = arena_printf(
			ctx->arena,
			"runs as root: %s%s%s and the pod sets no runAsUser%s; set "
			"securityContext.runAsUser to a non-zero UID, or a numeric non-root USER "
			"in the Dockerfile",
			n == 0 ? "the image sets no USER" : "the image's USER is \"",
			n == 0 ? "" : user, n == 0 ? "" : "\"", refused);
		return IMGCONTENTS_FAIL;
	}
	/* a name: which UID it is lives in the image's /etc/passwd */
	if (non_root) {
		*detail = arena_printf(
			ctx->arena,
			"the image's USER \"%s\" is a name, and with runAsNonRoot: true the kubelet "
			"cannot verify it is non-root and will refuse to start it; set "
			"securityContext.runAsUser, or a numeric USER in the Dockerfile",
			user);
		return IMGCONTENTS_FAIL;
	}
	if (st->unknown_user == RUNS_AS_ROOT_OFF)
		return IMGCONTENTS_OK;
	*detail =
		arena_printf(ctx->arena,
			     "cannot tell whether it runs as root: the image's USER \"%s\" is a "
			     "name, resolved only inside the image; set securityContext.runAsUser, "
			     "or a numeric USER in the Dockerfile",
			     user);
	return st->unknown_user == RUNS_AS_ROOT_DENY ? IMGCONTENTS_FAIL : IMGCONTENTS_WARN;
}

static int image_runs_as_root_check(struct policy_ctx *ctx)
{
	const struct image_runs_as_root_state *st = ctx->state;
	return imgcontents_visit(ctx, st != NULL ? &st->public : NULL, image_runs_as_root_platform);
}

const struct policy_desc policy_image_runs_as_root = {
	.id = "image-runs-as-root",
	.description = "Images must not run as root where the pod sets no runAsUser",
	.level = POLICY_LEVEL_NONE,
	.default_action = POLICY_ACTION_OFF,
	.params_fields = image_runs_as_root_fields,
	.params_size = sizeof(struct image_runs_as_root_params),
	.prepare = image_runs_as_root_prepare,
	.release = imgcheck_state_free,
	.check = image_runs_as_root_check,
};
