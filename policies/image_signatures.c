/*
 * image-signatures: only images that the organisation's release pipeline
 * signed may run. An image from the right registry can still be one that
 * nobody vouched for: pushed by hand, rebuilt outside the pipeline, or
 * replaced under the same tag.
 *
 * Forbids: on any container, init container, ephemeral container or
 *          image volume whose image matches `images`, an image without a
 *          cosign signature (2.x or 3.x) by one of `keys` for the digest
 *          it resolves to; an image whose registry is not under
 *          `registries:` (never contacted); a registry that cannot be
 *          read, unless `onRegistryError: allow` (then allowed, with a
 *          warning that says what the registry did).
 * Reads:   <container>.image, spec.volumes[].image.reference; the verdicts
 *          that the server (or audit) gathered from the registry before
 *          the engine ran (sigcheck.c): this check itself never waits.
 * Parameters:
 *   images:              [image pattern, ...]  required: the images checked
 *   keys:                [PEM public key file, ...]  required: any one signature
 *                        by any one of them admits
 *   cacheSeconds:        how long a verified digest stays verified, default 300
 *   failureCacheSeconds: how long any other verdict is kept, default 10
 *   tagCacheSeconds:     how long a tag's digest is trusted, default 30
 *   timeoutSeconds:      the most one review waits for registries, default 8
 *                        (and always less than the API server's own timeout)
 *   onRegistryError:     deny (default) or allow (with a warning): when a registry
 *                        cannot be read
 *   acceptRepositories:  [repository, ...]  signatures may name these too (mirrors)
 *   anyIdentity:         bool, default false: the digest alone binds a signature
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../webhook/cosign.h"
#include "../webhook/sigcheck.h"
#include "image.h"
#include "policy.h"

struct image_signatures_params {
	char **images;
	unsigned images_count;
	char **keys;
	unsigned keys_count;
	unsigned *cache_seconds;
	unsigned *failure_cache_seconds;
	unsigned *tag_cache_seconds;
	unsigned *timeout_seconds;
	int on_registry_error;
	char **accept;
	unsigned accept_count;
	bool any_identity;
};

static const cyaml_strval_t image_signatures_on_error[] = {{"deny", 0}, {"allow", 1}};

static const cyaml_schema_value_t image_signatures_string = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, 4096),
};

static const cyaml_schema_field_t image_signatures_fields[] = {
	CYAML_FIELD_SEQUENCE("images", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct image_signatures_params, images, &image_signatures_string, 0,
			     CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("keys", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct image_signatures_params, keys, &image_signatures_string, 0, 16),
	CYAML_FIELD_UINT_PTR("cacheSeconds", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct image_signatures_params, cache_seconds),
	CYAML_FIELD_UINT_PTR("failureCacheSeconds", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct image_signatures_params, failure_cache_seconds),
	CYAML_FIELD_UINT_PTR("tagCacheSeconds", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct image_signatures_params, tag_cache_seconds),
	CYAML_FIELD_UINT_PTR("timeoutSeconds", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct image_signatures_params, timeout_seconds),
	CYAML_FIELD_ENUM("onRegistryError", CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT,
			 struct image_signatures_params, on_registry_error,
			 image_signatures_on_error, 2),
	CYAML_FIELD_SEQUENCE("acceptRepositories", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct image_signatures_params, accept, &image_signatures_string, 0,
			     64),
	POLICY_FIELD_BOOL("anyIdentity", struct image_signatures_params, any_identity),
	CYAML_FIELD_END,
};

/* What the module keeps: sigcheck.h's view of it, and what owns its strings. */
struct image_signatures_state {
	struct sigcheck_policy public; /* first: sigcheck reads it through the state pointer */
	struct image_pattern *patterns;
	size_t npatterns;
	char **accept;
	size_t naccept;
	char fingerprint[2 * EVP_MAX_MD_SIZE + 1];
};

static void image_signatures_release(void *state)
{
	struct image_signatures_state *st = state;
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->npatterns; i++)
		image_pattern_free(&st->patterns[i]);
	free(st->patterns);
	for (size_t i = 0; i < st->naccept; i++)
		free(st->accept[i]);
	free(st->accept);
	cosign_keys_free((struct cosign_keys *)st->public.verify.keys);
	free(st);
}

/*
 * The fingerprint of everything that decides a verdict besides the
 * registry: the keys, and the options that change what is accepted. It is
 * part of every cache key, so a reload never reuses a verdict it would not
 * reach itself.
 */
static void image_signatures_fingerprint(struct image_signatures_state *st)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	const char *keys = cosign_keys_set_fingerprint(st->public.verify.keys);
	if (md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1) {
		EVP_DigestUpdate(md, keys, strlen(keys));
		EVP_DigestUpdate(md, st->public.verify.options.any_identity ? "|any" : "|strict",
				 5);
		for (size_t i = 0; i < st->naccept; i++) {
			EVP_DigestUpdate(md, "|", 1);
			EVP_DigestUpdate(md, st->accept[i], strlen(st->accept[i]));
		}
		EVP_DigestFinal_ex(md, out, &len);
	}
	EVP_MD_CTX_free(md);
	for (unsigned i = 0; i < len; i++)
		snprintf(st->fingerprint + 2 * i, 3, "%02x", out[i]);
	st->public.verify.fingerprint = st->fingerprint;
}

static int image_signatures_prepare(const void *params, void **state, char *err, size_t errlen)
{
	const struct image_signatures_params *p = params;
	*state = NULL;
	if (p == NULL || p->images_count == 0) {
		snprintf(err, errlen,
			 "\"images\" must list the images whose signatures are checked, e.g. "
			 "images: [registry.corp.example/prod]");
		return -1;
	}
	if (p->keys_count == 0) {
		snprintf(err, errlen,
			 "\"keys\" must list at least one PEM public key file, e.g. "
			 "keys: [/etc/admitd/keys/release.pub]");
		return -1;
	}
	if (p->timeout_seconds != NULL && (*p->timeout_seconds < 1 || *p->timeout_seconds > 25)) {
		snprintf(err, errlen,
			 "\"timeoutSeconds\" must be from 1 to 25 (the API server "
			 "waits at most 30 s for a webhook)");
		return -1;
	}
	struct image_signatures_state *st = calloc(1, sizeof(*st));
	if (st == NULL)
		goto nomem;
	st->patterns = calloc(p->images_count, sizeof(*st->patterns));
	st->accept = calloc(p->accept_count + 1, sizeof(*st->accept));
	if (st->patterns == NULL || st->accept == NULL)
		goto nomem;
	for (unsigned i = 0; i < p->images_count; i++) {
		char why[256] = "";
		if (image_pattern_compile(p->images[i], &st->patterns[i], why, sizeof(why)) < 0) {
			snprintf(err, errlen, "images[%u] \"%s\": %s", i, p->images[i], why);
			image_signatures_release(st);
			return -1;
		}
		st->npatterns = i + 1;
	}
	char why[512];
	st->public.verify.keys = cosign_keys_load_files((const char *const *)p->keys, p->keys_count,
							why, sizeof(why));
	if (st->public.verify.keys == NULL) {
		snprintf(err, errlen, "keys: %s", why);
		image_signatures_release(st);
		return -1;
	}
	for (unsigned i = 0; i < p->accept_count; i++) {
		if ((st->accept[i] = strdup(p->accept[i])) == NULL)
			goto nomem;
		st->naccept = i + 1;
	}
	st->public.verify.options.any_identity = p->any_identity;
	st->public.verify.options.also_repos = (const char *const *)st->accept;
	st->public.verify.options.n_also_repos = st->naccept;
	st->public.verify.cache_seconds = p->cache_seconds != NULL ? *p->cache_seconds : 300;
	st->public.verify.failure_seconds =
		p->failure_cache_seconds != NULL ? *p->failure_cache_seconds : 10;
	st->public.verify.tag_seconds = p->tag_cache_seconds != NULL ? *p->tag_cache_seconds : 30;
	st->public.timeout_ms = (p->timeout_seconds != NULL ? *p->timeout_seconds : 8) * 1000L;
	st->public.allow_on_registry_error = p->on_registry_error == 1;
	st->public.patterns = st->patterns;
	st->public.npatterns = st->npatterns;
	image_signatures_fingerprint(st);
	*state = st;
	return 0;
nomem:
	image_signatures_release(st);
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* One image: its verdict, as gathered before the engine ran. */
static int image_signatures_image(struct policy_ctx *ctx, const struct image_signatures_state *st,
				  const struct container_ref *c, const struct image_volume_ref *vol,
				  const json_t *value)
{
	const char *image = json_string_value(value);
	if (image == NULL)
		return 0; /* no image: other policies say so */
	if (ctx->signatures != NULL && ctx->signatures->skipped)
		return 0; /* audit --offline: reported as skipped, not as a verdict */
	/* a verdict was gathered only for an image the policy checks: no need to match it again */
	const struct sigverify_verdict *v = sigcheck_find(ctx->signatures, image);
	if (v == NULL && !sigcheck_wanted(&st->public, ctx->arena, image))
		return 0; /* not one this policy checks (allowed-registries is there for those) */
	if (v == NULL) {
		const char *why = "its signature was not checked (the verification did not run); "
				  "this fails closed";
		return c != NULL ? policy_fail(ctx, c, "image \"%s\": %s", image, why)
				 : policy_fail_volume(ctx, vol, "image \"%s\": %s", image, why);
	}
	if (v->status == SIGVERIFY_SIGNED)
		return 0;
	if (v->status == SIGVERIFY_UNREACHABLE && st->public.allow_on_registry_error)
		/* let through unverified, and said so: a warning, never a denial */
		return policy_warn(ctx, c, vol,
				   "is allowed unverified: its registry failed (%s) and "
				   "onRegistryError is allow: %s",
				   oci_category_name(v->failure), v->reason);
	/* a registry failure is this policy's verdict, not admitd's fault: say what decides it */
	const char *then = v->status == SIGVERIFY_UNREACHABLE
				   ? "; while the registry fails, unverified images are denied "
				     "(onRegistryError: deny)"
				   : "";
	return c != NULL ? policy_fail(ctx, c, "%s%s", v->reason, then)
			 : policy_fail_volume(ctx, vol, "%s%s", v->reason, then);
}

static int image_signatures_check(struct policy_ctx *ctx)
{
	const struct image_signatures_state *st = ctx->state;
	if (st == NULL)
		return policy_error(ctx, "image-signatures has no prepared keys");
	for (size_t i = 0; i < ctx->pod->ncontainers; i++) {
		const struct container_ref *c = &ctx->pod->containers[i];
		if (image_signatures_image(ctx, st, c, NULL, json_object_get(c->json, "image")) < 0)
			return -1;
	}
	for (size_t i = 0; i < ctx->pod->nimage_volumes; i++) {
		const struct image_volume_ref *v = &ctx->pod->image_volumes[i];
		if (image_signatures_image(ctx, st, NULL, v, v->reference) < 0)
			return -1;
	}
	return 0;
}

const struct policy_desc policy_image_signatures = {
	.id = "image-signatures",
	.description = "Images must carry a cosign signature by one of the configured keys",
	.level = POLICY_LEVEL_NONE,
	.default_action = POLICY_ACTION_OFF,
	.params_fields = image_signatures_fields,
	.params_size = sizeof(struct image_signatures_params),
	.prepare = image_signatures_prepare,
	.release = image_signatures_release,
	.check = image_signatures_check,
};
