/*
 * allowed-registries: an image from an unvetted registry is code nobody
 * reviewed running inside the cluster; an image not pinned by digest can
 * change under the same name after review.
 *
 * Forbids: on any container, init container or ephemeral container, an
 *          image (normalized the way the runtime resolves it: "nginx" is
 *          docker.io/library/nginx) that matches none of `registries`; a
 *          missing, non-string or unparsable image; with
 *          `requireDigest`, an image not pinned by a sha256 (or sha512)
 *          digest; with `allowLatest: false`, an image without a digest
 *          whose tag is "latest" or absent (the runtime pulls :latest).
 * Reads:   <container>.image
 * Parameters:
 *   registries:    [image pattern, ...]  required, at least one: a registry
 *                  or path prefix (whole components), or one image with a
 *                  tag or digest; the syntax of image.h, as exemptions
 *   requireDigest: bool, default false
 *   allowLatest:   bool, default true
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "policy.h"

struct allowed_registries_params {
	char **registries;
	unsigned registries_count;
	bool require_digest;
	/* a pointer so that an absent key (NULL) can default to true */
	bool *allow_latest;
};

struct allowed_registries_state {
	struct image_pattern *patterns;
	size_t npatterns;
	char *allowed; /* "a, b" as written, for messages */
	bool require_digest;
	bool allow_latest;
};

static const cyaml_schema_value_t allowed_registries_string = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, 1024),
};

static const cyaml_schema_field_t allowed_registries_fields[] = {
	/* optional to libcyaml so that prepare() can say what is missing in one clear line */
	CYAML_FIELD_SEQUENCE("registries", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct allowed_registries_params, registries,
			     &allowed_registries_string, 0, CYAML_UNLIMITED),
	POLICY_FIELD_BOOL("requireDigest", struct allowed_registries_params, require_digest),
	CYAML_FIELD_ENUM_PTR("allowLatest", CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT,
			     struct allowed_registries_params, allow_latest, policy_bool_strings,
			     POLICY_BOOL_STRINGS_COUNT),
	CYAML_FIELD_END,
};

static void allowed_registries_release(void *state)
{
	struct allowed_registries_state *st = state;
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->npatterns; i++)
		image_pattern_free(&st->patterns[i]);
	free(st->patterns);
	free(st->allowed);
	free(st);
}

static int allowed_registries_prepare(const void *params, void **state, char *err, size_t errlen)
{
	const struct allowed_registries_params *p = params;
	*state = NULL;
	if (p == NULL || p->registries_count == 0) {
		snprintf(err, errlen,
			 "\"registries\" must list at least one registry or image, e.g. "
			 "registries: [registry.corp.example, ghcr.io/acme, \"ubuntu:20.14\"]");
		return -1;
	}
	struct allowed_registries_state *st = calloc(1, sizeof(*st));
	if (st == NULL)
		goto nomem;
	st->require_digest = p->require_digest;
	st->allow_latest = p->allow_latest == NULL || *p->allow_latest;
	st->patterns = calloc(p->registries_count, sizeof(*st->patterns));
	size_t len = 1;
	for (unsigned i = 0; i < p->registries_count; i++)
		len += strlen(p->registries[i]) + 2;
	st->allowed = malloc(len);
	if (st->patterns == NULL || st->allowed == NULL)
		goto nomem;
	st->allowed[0] = '\0';
	for (unsigned i = 0; i < p->registries_count; i++) {
		char why[256] = "";
		if (image_pattern_compile(p->registries[i], &st->patterns[i], why, sizeof(why)) <
		    0) {
			snprintf(err, errlen, "registries[%u] \"%s\": %s", i, p->registries[i],
				 why);
			allowed_registries_release(st);
			return -1;
		}
		st->npatterns = i + 1;
		if (i > 0)
			strcat(st->allowed, ", ");
		strcat(st->allowed, p->registries[i]);
	}
	*state = st;
	return 0;
nomem:
	allowed_registries_release(st);
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* Only the algorithms registries and runtimes verify count as a pin. */
static bool allowed_registries_pinned(const struct image_ref *r)
{
	return r->digest != NULL &&
	       (strncmp(r->digest, "sha256:", 7) == 0 || strncmp(r->digest, "sha512:", 7) == 0);
}

/*
 * Reports one problem of the image at c (a container) or vol (an image
 * volume): the same words for both, prefixed with what holds the image.
 */
#define AR_FAIL(...)                                                                               \
	(c != NULL ? policy_fail(ctx, c, __VA_ARGS__) : policy_fail_volume(ctx, vol, __VA_ARGS__))

static int allowed_registries_image(struct policy_ctx *ctx,
				    const struct allowed_registries_state *st,
				    const struct container_ref *c,
				    const struct image_volume_ref *vol, const json_t *value)
{
	const char *field = c != NULL ? "image" : "image.reference";
	if (value == NULL || json_is_null(value))
		return AR_FAIL("has no %s; set %s to a reference from an approved registry "
			       "(allowed: %s)",
			       field, field, st->allowed);
	if (!json_is_string(value))
		return AR_FAIL("has an %s that is not a string; set %s to a reference from an "
			       "approved registry (allowed: %s)",
			       field, field, st->allowed);
	const char *image = json_string_value(value);

	struct image_ref r;
	if (image_parse(ctx->arena, image, &r) < 0)
		return AR_FAIL("has image \"%s\", which is not a valid image reference; write "
			       "it as registry/path[:tag][@sha256:digest] with a lower-case "
			       "path, from an approved registry (allowed: %s)",
			       image, st->allowed);
	const char *full =
		arena_printf(ctx->arena, "%s/%s%s%s%s%s", r.host, r.path, r.tag ? ":" : "",
			     r.tag ? r.tag : "", r.digest ? "@" : "", r.digest ? r.digest : "");
	if (full == NULL)
		return policy_error(ctx, "out of memory");

	bool approved = false;
	for (size_t i = 0; i < st->npatterns && !approved; i++)
		approved = image_pattern_match(&st->patterns[i], &r);
	bool pinned = allowed_registries_pinned(&r);
	bool latest = r.tag == NULL || strcmp(r.tag, "latest") == 0;
	/* one finding per image: an unapproved one is that, and its fix says the rest */
	const char *also = st->require_digest && !pinned ? ", pinned by digest"
			   : !st->allow_latest && !pinned && latest
				   ? ", with a version tag or a digest"
				   : "";
	if (!approved)
		return AR_FAIL("image \"%s\" is not from an approved registry (allowed: %s); "
			       "use an image from one of them%s",
			       full, st->allowed, also);

	if (st->require_digest && !pinned &&
	    AR_FAIL("image \"%s\" is not pinned by digest; refer to it as %s/%s@sha256:<digest>",
		    full, r.host, r.path) < 0)
		return -1;
	/* a digest decides what is pulled, whatever the tag says */
	if (!st->allow_latest && !pinned && latest &&
	    AR_FAIL("image \"%s\" %s, which can change under the same name; set a version "
		    "tag or pin a digest (@sha256:...)",
		    full,
		    r.tag == NULL ? "has no tag, so the runtime pulls :latest"
				  : "uses the tag :latest") < 0)
		return -1;
	return 0;
}

static int allowed_registries_check(struct policy_ctx *ctx)
{
	const struct allowed_registries_state *st = ctx->state;
	if (st == NULL)
		return policy_error(ctx, "allowed-registries has no prepared registries");
	for (size_t i = 0; i < ctx->pod->ncontainers; i++) {
		const struct container_ref *c = &ctx->pod->containers[i];
		if (allowed_registries_image(ctx, st, c, NULL, json_object_get(c->json, "image")) <
		    0)
			return -1;
	}
	for (size_t i = 0; i < ctx->pod->nimage_volumes; i++) {
		const struct image_volume_ref *v = &ctx->pod->image_volumes[i];
		if (allowed_registries_image(ctx, st, NULL, v, v->reference) < 0)
			return -1;
	}
	return 0;
}

const struct policy_desc policy_allowed_registries = {
	.id = "allowed-registries",
	.description = "Images must come from approved registries (optionally pinned by digest, "
		       "not :latest)",
	.level = POLICY_LEVEL_NONE,
	.default_action = POLICY_ACTION_OFF,
	.params_fields = allowed_registries_fields,
	.params_size = sizeof(struct allowed_registries_params),
	.prepare = allowed_registries_prepare,
	.release = allowed_registries_release,
	.check = allowed_registries_check,
};
