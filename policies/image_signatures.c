/*
 * image-signatures: only images that the organisation's release pipeline
 * signed may run. An image from the right registry can still be one that
 * nobody vouched for: pushed by hand, rebuilt outside the pipeline, or
 * replaced under the same tag.
 *
 * Forbids: on any container, init container, ephemeral container or
 *          image volume whose image matches `images` or an `imageKeys`
 *          entry, an image without a cosign signature (2.x or 3.x) for the
 *          digest it resolves to by one of the keys it is checked with (the
 *          first imageKeys entry that matches it names them; else `keys`);
 *          an image whose registry is not under `registries:` (never
 *          contacted); a registry that cannot be read, unless
 *          `onRegistryError: allow` (then allowed, with a warning that says
 *          what the registry did).
 * Reads:   <container>.image, spec.volumes[].image.reference; the verdicts
 *          that the server (or audit) gathered from the registry before
 *          the engine ran (sigcheck.c): this check itself never waits.
 * Parameters:
 *   images:              [image pattern, ...]  the images checked with keys
 *   keys:                [PEM public key file, ...]  required with images: any one
 *                        signature by any one of them admits
 *   imageKeys:           [{images: [pattern, ...], keys: [file, ...]}, ...]  images
 *                        checked with their own keys instead (the first entry that
 *                        matches); images or imageKeys is required
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

/* One imageKeys entry: these images are verified with these keys. */
struct image_signatures_entry {
	char **images;
	unsigned images_count;
	char **keys;
	unsigned keys_count;
};

#define IMAGE_SIGNATURES_KEYS_MAX    16
#define IMAGE_SIGNATURES_ENTRIES_MAX 32

struct image_signatures_params {
	char **images;
	unsigned images_count;
	char **keys;
	unsigned keys_count;
	struct image_signatures_entry *image_keys;
	unsigned image_keys_count;
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

/* an entry's lists may be left out or empty here: prepare says which, naming the entry */
static const cyaml_schema_field_t image_signatures_entry_fields[] = {
	CYAML_FIELD_SEQUENCE("images", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct image_signatures_entry, images, &image_signatures_string, 0,
			     CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("keys", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct image_signatures_entry, keys, &image_signatures_string, 0,
			     IMAGE_SIGNATURES_KEYS_MAX),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t image_signatures_entry_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct image_signatures_entry,
			    image_signatures_entry_fields),
};

static const cyaml_schema_field_t image_signatures_fields[] = {
	CYAML_FIELD_SEQUENCE("images", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct image_signatures_params, images, &image_signatures_string, 0,
			     CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("keys", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct image_signatures_params, keys, &image_signatures_string, 0,
			     IMAGE_SIGNATURES_KEYS_MAX),
	CYAML_FIELD_SEQUENCE("imageKeys", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct image_signatures_params, image_keys,
			     &image_signatures_entry_schema, 0, IMAGE_SIGNATURES_ENTRIES_MAX),
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
	/* public.rules, owned: imageKeys' entries, then images (the last, when given) */
	struct sigcheck_rule *rules;
	size_t nrules;
	size_t nimage_keys;                            /* the first rules: imageKeys' entries */
	char (*fingerprints)[2 * EVP_MAX_MD_SIZE + 1]; /* each rule's, for its verify */
	char **accept;
	size_t naccept;
};

static void image_signatures_release(void *state)
{
	struct image_signatures_state *st = state;
	if (st == NULL)
		return;
	for (size_t i = 0; st->rules != NULL && i < st->nrules; i++) {
		struct sigcheck_rule *r = &st->rules[i];
		struct image_pattern *patterns = (struct image_pattern *)r->patterns;
		for (size_t j = 0; j < r->npatterns; j++)
			image_pattern_free(&patterns[j]);
		free(patterns);
		cosign_keys_free((struct cosign_keys *)r->verify.keys);
		free((char *)r->expected);
	}
	free(st->rules);
	free(st->fingerprints);
	for (size_t i = 0; i < st->naccept; i++)
		free(st->accept[i]);
	free(st->accept);
	free(st);
}

/*
 * The fingerprint of everything that decides a verdict besides the
 * registry: the rule's keys, and the options that change what is
 * accepted. It is part of every cache key, so neither a reload nor
 * another imageKeys entry ever reuses a verdict it would not reach itself.
 */
static void image_signatures_fingerprint(const struct image_signatures_state *st,
					 struct sigcheck_rule *rule, char *fingerprint)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char out[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	const char *keys = cosign_keys_set_fingerprint(rule->verify.keys);
	if (md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1) {
		EVP_DigestUpdate(md, keys, strlen(keys));
		EVP_DigestUpdate(md, rule->verify.options.any_identity ? "|any" : "|strict", 5);
		for (size_t i = 0; i < st->naccept; i++) {
			EVP_DigestUpdate(md, "|", 1);
			EVP_DigestUpdate(md, st->accept[i], strlen(st->accept[i]));
		}
		EVP_DigestFinal_ex(md, out, &len);
	}
	EVP_MD_CTX_free(md);
	fingerprint[0] = '\0';
	for (unsigned i = 0; i < len; i++)
		snprintf(fingerprint + 2 * i, 3, "%02x", out[i]);
	rule->verify.fingerprint = fingerprint;
}

/* list joined by ", " into buf, cut with "..." past its size. */
static void image_signatures_join(char *buf, size_t size, char *const *list, unsigned n)
{
	size_t at = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < n && at < size; i++) {
		int w = snprintf(buf + at, size - at, "%s%s", i > 0 ? ", " : "", list[i]);
		if (w < 0 || (size_t)w >= size - at) {
			snprintf(buf + (size > 4 ? size - 4 : 0), size > 4 ? 4 : size, "...");
			return;
		}
		at += (size_t)w;
	}
}

/*
 * One rule: images verified with keys, as the entry `name` (imageKeys[1],
 * or "" for the top-level images and keys) lists them. base holds what
 * every rule shares. Returns 0, or -1 with err naming the entry's item.
 */
static int image_signatures_rule(struct image_signatures_state *st, size_t at, const char *name,
				 char *const *images, unsigned nimages, char *const *keys,
				 unsigned nkeys, const struct sigverify_policy *base, char *err,
				 size_t errlen)
{
	struct sigcheck_rule *rule = &st->rules[at];
	const char *dot = name[0] != '\0' ? "." : "";
	rule->verify = *base;
	struct image_pattern *patterns = calloc(nimages, sizeof(*patterns));
	struct cosign_keys *set = cosign_keys_new();
	rule->patterns = patterns;
	rule->verify.keys = set;
	if (patterns == NULL || set == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	char why[512];
	for (unsigned i = 0; i < nimages; i++) {
		if (image_pattern_compile(images[i], &patterns[i], why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s%simages[%u] \"%s\": %s", name, dot, i, images[i],
				 why);
			return -1;
		}
		rule->npatterns = i + 1;
	}
	for (unsigned i = 0; i < nkeys; i++) {
		if (cosign_keys_add_file(set, keys[i], why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s%skeys[%u]: %s", name, dot, i, why);
			return -1;
		}
	}
	char pats[256], files[512];
	image_signatures_join(pats, sizeof(pats), images, nimages);
	image_signatures_join(files, sizeof(files), keys, nkeys);
	char *expected = NULL;
	if ((name[0] != '\0'
		     ? asprintf(&expected, "%s (%s), so only its keys count: %s", name, pats, files)
		     : asprintf(&expected, "images (%s), so only the policy's keys count: %s", pats,
				files)) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rule->expected = expected;
	image_signatures_fingerprint(st, rule, st->fingerprints[at]);
	return 0;
}

static int image_signatures_prepare(const void *params, void **state, char *err, size_t errlen)
{
	const struct image_signatures_params *p = params;
	*state = NULL;
	if (p == NULL || (p->images_count == 0 && p->image_keys_count == 0)) {
		snprintf(err, errlen,
			 "\"images\" must list the images whose signatures are checked, e.g. "
			 "images: [registry.corp.example/prod] (or imageKeys: images with keys "
			 "of their own)");
		return -1;
	}
	if (p->images_count > 0 && p->keys_count == 0) {
		snprintf(err, errlen,
			 "\"keys\" must list at least one PEM public key file, e.g. "
			 "keys: [/etc/admitd/keys/release.pub]");
		return -1;
	}
	if (p->images_count == 0 && p->keys_count > 0) {
		snprintf(err, errlen,
			 "\"keys\" verify the images of \"images\", which lists none: list "
			 "them, or leave keys out (imageKeys entries have their own)");
		return -1;
	}
	for (unsigned i = 0; i < p->image_keys_count; i++) {
		const struct image_signatures_entry *e = &p->image_keys[i];
		if (e->images_count == 0 || e->keys_count == 0) {
			snprintf(err, errlen,
				 "imageKeys[%u].%s, e.g. {images: [registry.corp.example/team-a], "
				 "keys: [/etc/admitd/keys/team-a.pub]}",
				 i,
				 e->images_count == 0
					 ? "images must list the images its keys verify"
					 : "keys must list at least one PEM public key file");
			return -1;
		}
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
	size_t nrules = p->image_keys_count + (p->images_count > 0 ? 1 : 0);
	st->rules = calloc(nrules, sizeof(*st->rules));
	st->fingerprints = calloc(nrules, sizeof(*st->fingerprints));
	st->accept = calloc(p->accept_count + 1, sizeof(*st->accept));
	if (st->rules == NULL || st->fingerprints == NULL || st->accept == NULL)
		goto nomem;
	st->nrules = nrules;
	st->nimage_keys = p->image_keys_count;
	for (unsigned i = 0; i < p->accept_count; i++) {
		if ((st->accept[i] = strdup(p->accept[i])) == NULL)
			goto nomem;
		st->naccept = i + 1;
	}
	/* what every rule shares: only the keys differ */
	struct sigverify_policy base = {
		.options.any_identity = p->any_identity,
		.options.also_repos = (const char *const *)st->accept,
		.options.n_also_repos = st->naccept,
		.cache_seconds = p->cache_seconds != NULL ? *p->cache_seconds : 300,
		.failure_seconds =
			p->failure_cache_seconds != NULL ? *p->failure_cache_seconds : 10,
		.tag_seconds = p->tag_cache_seconds != NULL ? *p->tag_cache_seconds : 30,
	};
	for (unsigned i = 0; i < p->image_keys_count; i++) {
		const struct image_signatures_entry *e = &p->image_keys[i];
		char name[32];
		snprintf(name, sizeof(name), "imageKeys[%u]", i);
		if (image_signatures_rule(st, i, name, e->images, e->images_count, e->keys,
					  e->keys_count, &base, err, errlen) < 0)
			goto fail;
	}
	if (p->images_count > 0 &&
	    image_signatures_rule(st, nrules - 1, "", p->images, p->images_count, p->keys,
				  p->keys_count, &base, err, errlen) < 0)
		goto fail;
	st->public.rules = st->rules;
	st->public.nrules = st->nrules;
	st->public.timeout_ms = (p->timeout_seconds != NULL ? *p->timeout_seconds : 8) * 1000L;
	st->public.allow_on_registry_error = p->on_registry_error == 1;
	*state = st;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	image_signatures_release(st);
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
	if (v == NULL && sigcheck_rule(&st->public, ctx->arena, image) == NULL)
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
	/* with keys per image, which keys this one needed: another's signature is not enough */
	const struct sigcheck_rule *rule = NULL;
	if (st->nimage_keys > 0 &&
	    (v->status == SIGVERIFY_UNSIGNED || v->status == SIGVERIFY_REJECTED))
		rule = sigcheck_rule(&st->public, ctx->arena, image);
	const char *expected = rule != NULL ? rule->expected : "";
	const char *matches = rule != NULL ? "; the image matches " : "";
	return c != NULL ? policy_fail(ctx, c, "%s%s%s%s", v->reason, then, matches, expected)
			 : policy_fail_volume(ctx, vol, "%s%s%s%s", v->reason, then, matches,
					      expected);
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
