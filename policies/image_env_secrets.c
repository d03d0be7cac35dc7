/*
 * image-env-secrets: a Dockerfile's `ENV DB_PASSWORD=...` ships the
 * credential to everyone who can pull the image, and in every copy of it.
 * The pod spec does not show it; the image's configuration does.
 *
 * Forbids: on any container, init container or ephemeral container whose
 *          image matches `images`, an image whose config.Env sets a
 *          variable whose name looks like a credential (the patterns
 *          no-secrets-in-env uses, shared) to a non-empty value, or any
 *          variable to a value in a well-known credential format (a private
 *          key, an AWS access key id, a GitHub or GitLab token, a JSON Web
 *          Token), on any linux platform the pod can land on.
 * Reads:   <container>.image, the pod's node selector and affinity for its
 *          platforms; the image's configuration as gathered before the
 *          engine ran (imgcheck.h).
 * Messages name the variable and what it looks like, never its value.
 * Parameters:
 *   images:          [image pattern, ...]  required: the images read
 *   patterns:        [substring, ...]  default as no-secrets-in-env
 *   timeoutSeconds:  the most one review waits for registries, default 8
 *   onRegistryError: deny (default) or allow (with a warning)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgcontents.h"
#include "secretnames.h"

struct image_env_secrets_params {
	struct imgcheck_params common;
	char **patterns;
	unsigned patterns_count;
};

static const cyaml_schema_field_t image_env_secrets_fields[] = {
	IMGCHECK_FIELDS(struct image_env_secrets_params, common),
	/* at least one entry: `patterns: []` cannot be told from an absent key afterwards */
	CYAML_FIELD_SEQUENCE("patterns", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct image_env_secrets_params, patterns, &imgcheck_string_schema, 1,
			     CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

struct image_env_secrets_state {
	struct imgcheck_policy public; /* first: imgcheck reads it through the state pointer */
	struct secretnames names;
};

static void image_env_secrets_release(void *state)
{
	struct image_env_secrets_state *st = state;
	if (st != NULL)
		secretnames_free(&st->names);
	imgcheck_state_free(st);
}

static int image_env_secrets_prepare(const void *params, void **state, char *err, size_t errlen)
{
	const struct image_env_secrets_params *p = params;
	*state = NULL;
	struct image_env_secrets_state *st =
		imgcheck_state_new(sizeof(*st), p != NULL ? &p->common : NULL, err, errlen);
	if (st == NULL)
		return -1;
	if (secretnames_prepare(p != NULL ? p->patterns : NULL, p != NULL ? p->patterns_count : 0,
				&st->names, err, errlen) < 0) {
		image_env_secrets_release(st);
		return -1;
	}
	*state = st;
	return 0;
}

static enum imgcontents_verdict image_env_secrets_platform(struct policy_ctx *ctx,
							   const struct container_ref *c,
							   const struct imgfacts_platform *p,
							   const char **detail)
{
	(void)c;
	const struct image_env_secrets_state *st = ctx->state;
	char *found = NULL;
	for (size_t i = 0; i < p->nenv; i++) {
		const char *eq = strchr(p->env[i], '=');
		if (eq == NULL || eq[1] == '\0')
			continue; /* no value: discloses nothing */
		int len = (int)(eq - p->env[i]);
		const char *kind = secretnames_value_kind(eq + 1);
		if (kind == NULL && !secretnames_match_n(&st->names, p->env[i], (size_t)len))
			continue;
		found = arena_printf(ctx->arena, "%s%s%.*s%s%s%s", found ? found : "",
				     found ? ", " : "", len, p->env[i], kind ? " (" : "",
				     kind ? kind : "", kind ? ")" : "");
		if (found == NULL)
			return IMGCONTENTS_OK;
	}
	if (found == NULL)
		return IMGCONTENTS_OK;
	*detail = arena_printf(ctx->arena,
			       "sets ENV %s, which looks like a credential, in the image: everyone "
			       "who can pull the image can read it; remove it from the Dockerfile, "
			       "rotate it, and give it at run time from a Secret "
			       "(valueFrom.secretKeyRef)",
			       found);
	return IMGCONTENTS_FAIL;
}

static int image_env_secrets_check(struct policy_ctx *ctx)
{
	const struct image_env_secrets_state *st = ctx->state;
	return imgcontents_visit(ctx, st != NULL ? &st->public : NULL, image_env_secrets_platform);
}

const struct policy_desc policy_image_env_secrets = {
	.id = "image-env-secrets",
	.description = "Images must not carry credentials in their configuration's ENV",
	.level = POLICY_LEVEL_NONE,
	.default_action = POLICY_ACTION_OFF,
	.params_fields = image_env_secrets_fields,
	.params_size = sizeof(struct image_env_secrets_params),
	.prepare = image_env_secrets_prepare,
	.release = image_env_secrets_release,
	.check = image_env_secrets_check,
};
