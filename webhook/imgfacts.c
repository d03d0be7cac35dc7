/*
 * imgfacts.c: an image's configuration, per linux platform, from its
 * registry (see imgfacts.h).
 */
#include "imgfacts.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../policies/image.h"
#include "arena.h"
#include "ocimf.h"
#include "sigcache.h"

const char *imgfacts_status_name(enum imgfacts_status s)
{
	static const char *const names[] = {"ok", "unreachable", "malformed", "no-registry",
					    "bad-image"};
	return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

static void imgfacts_platform_free(struct imgfacts_platform *p)
{
	free(p->user);
	for (size_t i = 0; i < p->nports; i++)
		free(p->ports[i]);
	free(p->ports);
	for (size_t i = 0; i < p->nenv; i++)
		free(p->env[i]);
	free(p->env);
	memset(p, 0, sizeof(*p));
}

void imgfacts_release(struct imgfacts *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++)
		imgfacts_platform_free(&f->platforms[i]);
	free(f->platforms);
	f->platforms = NULL;
	f->n = 0;
}

static char **imgfacts_strings(char *const *src, size_t n)
{
	char **out = calloc(n ? n : 1, sizeof(*out));
	for (size_t i = 0; out != NULL && i < n; i++)
		if ((out[i] = strdup(src[i])) == NULL) {
			for (size_t j = 0; j < i; j++)
				free(out[j]);
			free(out);
			return NULL;
		}
	return out;
}

static int imgfacts_platform_copy(struct imgfacts_platform *d, const struct imgfacts_platform *s)
{
	memset(d, 0, sizeof(*d));
	memcpy(d->platform, s->platform, sizeof(d->platform));
	memcpy(d->os, s->os, sizeof(d->os));
	memcpy(d->arch, s->arch, sizeof(d->arch));
	if (s->user != NULL && (d->user = strdup(s->user)) == NULL)
		return -1;
	if ((d->ports = imgfacts_strings(s->ports, s->nports)) == NULL)
		return -1;
	d->nports = s->nports;
	if ((d->env = imgfacts_strings(s->env, s->nenv)) == NULL)
		return -1;
	d->nenv = s->nenv;
	return 0;
}

int imgfacts_copy(struct imgfacts *dst, const struct imgfacts *src)
{
	*dst = *src;
	dst->platforms = NULL;
	dst->n = 0;
	if (src->n == 0)
		return 0;
	if ((dst->platforms = calloc(src->n, sizeof(*dst->platforms))) == NULL)
		return -1;
	for (size_t i = 0; i < src->n; i++) {
		dst->n = i + 1;
		if (imgfacts_platform_copy(&dst->platforms[i], &src->platforms[i]) < 0) {
			imgfacts_release(dst);
			return -1;
		}
	}
	return 0;
}

static void imgfacts_say(struct imgfacts *out, enum imgfacts_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void imgfacts_say(struct imgfacts *out, enum imgfacts_status st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	out->status = st;
}

/* ---- the cache's form:
 * {"p":[{"platform":..,"os":..,"arch":..,"user":..,"ports":[..],"env":[..]}]} ---- */

static json_t *imgfacts_array(char *const *list, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_string(list[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

char *imgfacts_encode(const struct imgfacts *f)
{
	json_t *list = json_array();
	for (size_t i = 0; list != NULL && i < f->n; i++) {
		const struct imgfacts_platform *p = &f->platforms[i];
		json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:o,s:o}", "platform", p->platform, "os",
				      p->os, "arch", p->arch, "user",
				      p->user != NULL ? json_string(p->user) : json_null(), "ports",
				      imgfacts_array(p->ports, p->nports), "env",
				      imgfacts_array(p->env, p->nenv));
		if (o == NULL || json_array_append_new(list, o) < 0) {
			json_decref(list);
			return NULL;
		}
	}
	json_t *doc = list != NULL ? json_pack("{s:o}", "p", list) : NULL;
	char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	return text;
}

static int imgfacts_list(const json_t *a, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!json_is_array(a))
		return -1;
	size_t len = json_array_size(a);
	if ((*out = calloc(len ? len : 1, sizeof(**out))) == NULL)
		return -1;
	for (size_t i = 0; i < len; i++) {
		const char *s = json_string_value(json_array_get(a, i));
		if (s == NULL || ((*out)[i] = strdup(s)) == NULL)
			return -1;
		*n = i + 1;
	}
	return 0;
}

static void imgfacts_field(char *dst, size_t len, const json_t *o, const char *key)
{
	snprintf(dst, len, "%s", json_string_value(json_object_get(o, key)) ?: "");
}

int imgfacts_decode(const char *text, struct imgfacts *out)
{
	out->platforms = NULL;
	out->n = 0;
	json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	const json_t *list = json_object_get(doc, "p");
	size_t n = json_array_size(list);
	if (!json_is_array(list) || n > IMGFACTS_MAX_PLATFORMS)
		goto fail;
	if (n > 0 && (out->platforms = calloc(n, sizeof(*out->platforms))) == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		const json_t *o = json_array_get(list, i);
		struct imgfacts_platform *p = &out->platforms[i];
		out->n = i + 1;
		if (!json_is_object(o))
			goto fail;
		imgfacts_field(p->platform, sizeof(p->platform), o, "platform");
		imgfacts_field(p->os, sizeof(p->os), o, "os");
		imgfacts_field(p->arch, sizeof(p->arch), o, "arch");
		const json_t *user = json_object_get(o, "user");
		if (json_is_string(user) && (p->user = strdup(json_string_value(user))) == NULL)
			goto fail;
		if (imgfacts_list(json_object_get(o, "ports"), &p->ports, &p->nports) < 0 ||
		    imgfacts_list(json_object_get(o, "env"), &p->env, &p->nenv) < 0)
			goto fail;
	}
	json_decref(doc);
	return 0;
fail:
	json_decref(doc);
	imgfacts_release(out);
	return -1;
}

/* ---- reading from the registry ---- */

struct imgfacts_fetch {
	struct oci_client *client;
	const char *path; /* the repository in the registry */
	struct timespec deadline;
	struct imgfacts *out;
};

/* A registry failure: the facts could not be read. */
static int imgfacts_failed(struct imgfacts_fetch *k, const char *what, const struct oci_error *e)
{
	k->out->failure = e->category;
	imgfacts_say(k->out, IMGFACTS_UNREACHABLE, "its %s could not be read: %s (%s)", what,
		     e->reason, oci_category_name(e->category));
	return -1;
}

/* One platform: the config blob of manifest m (platform from the index entry, or NULL). */
static int imgfacts_config(struct imgfacts_fetch *k, const struct ocimf *m,
			   const struct ocimf_desc *entry)
{
	struct imgfacts *out = k->out;
	if (m->index || m->config.digest == NULL) {
		imgfacts_say(out, IMGFACTS_MALFORMED, "an index inside an index: not an image");
		return -1;
	}
	if ((uint64_t)m->config.size > IMGFACTS_CONFIG_MAX) {
		out->failure = OCI_TOO_LARGE;
		imgfacts_say(out, IMGFACTS_UNREACHABLE,
			     "its configuration is %lld bytes, more than %u: not read (too large)",
			     (long long)m->config.size, IMGFACTS_CONFIG_MAX);
		return -1;
	}
	struct oci_content blob = {0};
	struct oci_error e;
	out->requests++;
	if (oci_blob(k->client, k->path, m->config.digest, (size_t)m->config.size,
		     IMGFACTS_CONFIG_MAX, k->deadline, &blob, &e) != OCI_OK)
		return imgfacts_failed(k, "configuration", &e);
	struct ocimf_config c;
	char why[256];
	if (ocimf_config_parse(blob.data, blob.len, &c, why, sizeof(why)) < 0) {
		oci_content_free(&blob);
		imgfacts_say(out, IMGFACTS_MALFORMED, "its configuration %s is malformed: %s",
			     m->config.digest, why);
		return -1;
	}
	oci_content_free(&blob);
	struct imgfacts_platform *p = &out->platforms[out->n];
	memset(p, 0, sizeof(*p));
	out->n++;
	const char *os = entry != NULL && entry->os != NULL ? entry->os : c.os;
	const char *arch =
		entry != NULL && entry->architecture != NULL ? entry->architecture : c.architecture;
	const char *variant = entry != NULL && entry->os != NULL ? entry->variant : c.variant;
	snprintf(p->os, sizeof(p->os), "%s", os != NULL ? os : "linux");
	snprintf(p->arch, sizeof(p->arch), "%s", arch != NULL ? arch : "");
	snprintf(p->platform, sizeof(p->platform), "%s/%s%s%s", p->os, p->arch,
		 variant != NULL ? "/" : "", variant != NULL ? variant : "");
	int rc = 0;
	if (c.user != NULL && (p->user = strdup(c.user)) == NULL)
		rc = -1;
	if (rc == 0 && (p->ports = imgfacts_strings(c.ports, c.nports)) == NULL)
		rc = -1;
	p->nports = p->ports != NULL ? c.nports : 0;
	if (rc == 0 && (p->env = imgfacts_strings((char *const *)c.env, c.nenv)) == NULL)
		rc = -1;
	p->nenv = p->env != NULL ? c.nenv : 0;
	ocimf_config_free(&c);
	if (rc < 0)
		imgfacts_say(out, IMGFACTS_UNREACHABLE, "out of memory");
	return rc;
}

/* A manifest by digest, parsed. */
static int imgfacts_manifest(struct imgfacts_fetch *k, const char *digest, struct ocimf *m)
{
	struct oci_error e;
	char why[256];
	switch (sigverify_manifest(k->client, k->path, digest, k->deadline, &k->out->requests, m,
				   &e, why, sizeof(why))) {
	case SIGVERIFY_GOT_NONE:
	case SIGVERIFY_GOT_FAILED:
		return imgfacts_failed(k, "manifest", &e);
	case SIGVERIFY_GOT_MALFORMED:
		imgfacts_say(k->out, IMGFACTS_MALFORMED, "its manifest %s is malformed: %s", digest,
			     why);
		return -1;
	case SIGVERIFY_GOT:
		break;
	}
	return 0;
}

/* Everything under digest: one platform, or every linux platform of an index. */
static void imgfacts_read(struct imgfacts_fetch *k, const char *digest)
{
	struct imgfacts *out = k->out;
	struct ocimf top;
	if (imgfacts_manifest(k, digest, &top) < 0)
		return;
	out->platforms = calloc(IMGFACTS_MAX_PLATFORMS, sizeof(*out->platforms));
	if (out->platforms == NULL) {
		imgfacts_say(out, IMGFACTS_UNREACHABLE, "out of memory");
		goto done;
	}
	if (!top.index) {
		imgfacts_config(k, &top, NULL);
		goto done;
	}
	for (size_t i = 0; i < top.n; i++) {
		const struct ocimf_desc *d = &top.entries[i];
		/* attestation manifests (buildkit's "unknown/unknown") and other OSes are not run
		 * here */
		if (d->os == NULL || strcmp(d->os, "linux") != 0)
			continue;
		if (out->n == IMGFACTS_MAX_PLATFORMS) {
			imgfacts_say(out, IMGFACTS_MALFORMED, "more than %d linux platforms",
				     IMGFACTS_MAX_PLATFORMS);
			goto done;
		}
		struct ocimf m;
		if (imgfacts_manifest(k, d->digest, &m) < 0)
			goto done;
		int rc = imgfacts_config(k, &m, d);
		ocimf_free(&m);
		if (rc < 0)
			goto done;
	}
done:
	ocimf_free(&top);
}

static void imgfacts_key(char key[SIGCACHE_KEY_MAX], const struct image_ref *r, const char *digest)
{
	snprintf(key, SIGCACHE_KEY_MAX, "facts|%s/%s@%s", r->host, r->path, digest);
}

/* From the cache's value. false when it cannot be used (then asked again). */
static bool imgfacts_from_cache(const struct sigcache_value *v, struct imgfacts *out)
{
	out->status = (enum imgfacts_status)(v->code & 0xff);
	out->failure = (enum oci_category)(v->code >> 8);
	out->cached = true;
	if (out->status != IMGFACTS_OK) {
		snprintf(out->reason, sizeof(out->reason), "%s", v->text);
		return true;
	}
	return v->blob != NULL && imgfacts_decode(v->blob, out) == 0;
}

/* What stopped sigverify_target, as a status of these. */
static enum imgfacts_status imgfacts_at_status(enum sigverify_at at)
{
	return at == SIGVERIFY_AT_BAD_IMAGE     ? IMGFACTS_BAD_IMAGE
	       : at == SIGVERIFY_AT_NO_REGISTRY ? IMGFACTS_NO_REGISTRY
						: IMGFACTS_UNREACHABLE;
}

enum imgfacts_status imgfacts_get(struct sigverify *sv, const char *image, double now,
				  struct timespec deadline, struct imgfacts *out)
{
	memset(out, 0, sizeof(*out));
	struct arena a;
	arena_init(&a);
	struct sigverify_target t;
	enum sigverify_at at = sigverify_target(sv, &a, image, "its configuration",
						IMGFACTS_TAG_TTL, now, &deadline, &t);
	out->requests += t.requests;
	if (at != SIGVERIFY_AT_OK) {
		out->failure = t.failure;
		imgfacts_say(out, imgfacts_at_status(at), "%s", t.why);
		goto done;
	}
	const struct image_ref r = *t.ref;
	struct oci_client *c = t.client;
	snprintf(out->digest, sizeof(out->digest), "%s", t.digest);
	if (!ocimf_digest_ok(out->digest)) {
		imgfacts_say(out, IMGFACTS_BAD_IMAGE, "\"%s\" is not a digest", out->digest);
		goto done;
	}
	char key[SIGCACHE_KEY_MAX];
	imgfacts_key(key, &r, out->digest);
	struct sigcache *cache = sigverify_cache(sv);
	struct sigcache_value v = {0};
	switch (sigcache_get(cache, key, now, &deadline, &v)) {
	case SIGCACHE_HIT: {
		bool usable = imgfacts_from_cache(&v, out);
		free(v.blob);
		if (usable)
			goto done;
		/* an entry that cannot be decoded: read again, once, without the cache */
		imgfacts_release(out);
		out->status = IMGFACTS_OK;
		out->cached = false;
		struct imgfacts_fetch k = {c, r.path, deadline, out};
		imgfacts_read(&k, out->digest);
		goto done;
	}
	case SIGCACHE_TIMEOUT:
	case SIGCACHE_NOMEM:
		out->failure = OCI_TIMEOUT;
		imgfacts_say(out, IMGFACTS_UNREACHABLE, "its configuration was not read in time");
		goto done;
	case SIGCACHE_OWNER:
		break;
	}
	struct imgfacts_fetch k = {c, r.path, deadline, out};
	imgfacts_read(&k, out->digest);
	v.ok = out->status == IMGFACTS_OK;
	v.code = (int)out->status | (int)out->failure << 8;
	snprintf(v.text, sizeof(v.text), "%.*s", (int)sizeof(v.text) - 1, out->reason);
	v.blob = v.ok ? imgfacts_encode(out) : NULL;
	if (v.ok && v.blob == NULL)
		sigcache_abandon(cache, key); /* out of memory: the next review asks again */
	else
		sigcache_put(cache, key, &v, now, v.ok ? IMGFACTS_TTL : IMGFACTS_FAILURE_TTL);
	free(v.blob);
done:
	arena_free(&a);
	if (out->status != IMGFACTS_OK)
		imgfacts_release(out);
	return out->status;
}

bool imgfacts_peek(struct sigverify *sv, const char *image, double now, struct imgfacts *out)
{
	memset(out, 0, sizeof(*out));
	struct arena a;
	arena_init(&a);
	bool fresh = false;
	struct sigverify_target t;
	enum sigverify_at at = sigverify_target(sv, &a, image, "its configuration",
						IMGFACTS_TAG_TTL, now, NULL, &t);
	out->fresh_until = t.until;
	if (at == SIGVERIFY_AT_BAD_IMAGE || at == SIGVERIFY_AT_NO_REGISTRY) {
		imgfacts_say(out, imgfacts_at_status(at), "%s", t.why);
		fresh = true; /* decided by the configuration alone */
		goto done;
	}
	if (at != SIGVERIFY_AT_OK)
		goto done;
	snprintf(out->digest, sizeof(out->digest), "%s", t.digest);
	char key[SIGCACHE_KEY_MAX];
	imgfacts_key(key, t.ref, out->digest);
	struct sigcache_value v = {0};
	if (sigcache_peek(sigverify_cache(sv), key, now, &v)) {
		fresh = imgfacts_from_cache(&v, out);
		if (v.expires < out->fresh_until)
			out->fresh_until = v.expires;
		free(v.blob);
	}
done:
	arena_free(&a);
	if (!fresh)
		imgfacts_release(out);
	return fresh;
}
