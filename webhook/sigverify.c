/*
 * sigverify.c: from an image reference to a verdict (see sigverify.h).
 *
 *   image ─ parse ─ registry configured? ─ digest (the tag resolved, cached
 *   briefly) ─ cache ─ cosign 2.x: manifest sha256-<hex>.sig, each
 *   simple-signing layer ─ cosign 3.x: referrers (or the sha256-<hex> tag
 *   index), each bundle ─ verdict, cached.
 *
 * One valid signature by one configured key is enough; otherwise the
 * verdict carries the most telling reason among the signatures found.
 */
#include "sigverify.h"

#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../policies/image.h"
#include "arena.h"
#include "ocimf.h"

#define SIGVERIFY_MAX_SIGNATURES   16 /* layers or referrers looked at, per format */
#define SIGVERIFY_MT_SIMPLESIGNING "application/vnd.dev.cosign.simplesigning.v1+json"
#define SIGVERIFY_MT_BUNDLE        "application/vnd.dev.sigstore.bundle.v0.3+json"
#define SIGVERIFY_ANNOTATION       "dev.cosignproject.cosign/signature"

struct sigverify_registry {
	char host[256];
	struct oci_client *client;
};

struct sigverify {
	struct sigverify_registry *registries;
	size_t n;
	struct sigcache *cache;
	_Atomic unsigned long generation;
	_Atomic unsigned long long memo_hits;
};

/* Verifiers' generations: unique over the process, so a freed one's never comes back. */
static _Atomic unsigned long sigverify_generations;

const char *sigverify_status_name(enum sigverify_status s)
{
	static const char *const names[] = {"signed",      "unsigned",    "rejected",
					    "unreachable", "no-registry", "bad-image"};
	return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

struct sigverify *sigverify_new(const struct oci_config *registries, size_t n, size_t max_entries,
				struct oci_error *err)
{
	struct sigverify *sv = calloc(1, sizeof(*sv));
	if (sv != NULL)
		atomic_store(&sv->generation, atomic_fetch_add(&sigverify_generations, 1) + 1);
	if (sv == NULL || (sv->cache = sigcache_new(max_entries)) == NULL ||
	    (n > 0 && (sv->registries = calloc(n, sizeof(*sv->registries))) == NULL)) {
		err->category = OCI_INTERNAL;
		snprintf(err->reason, sizeof(err->reason), "out of memory");
		sigverify_free(sv);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(sv->registries[i].host, sizeof(sv->registries[i].host), "%s",
			 registries[i].host);
		for (char *p = sv->registries[i].host; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		if ((sv->registries[i].client = oci_open(&registries[i], err)) == NULL) {
			sigverify_free(sv);
			return NULL;
		}
		sv->n = i + 1;
	}
	return sv;
}

void sigverify_free(struct sigverify *sv)
{
	if (sv == NULL)
		return;
	for (size_t i = 0; i < sv->n; i++)
		oci_close(sv->registries[i].client);
	free(sv->registries);
	sigcache_free(sv->cache);
	free(sv);
}

void sigverify_forget(struct sigverify *sv)
{
	atomic_store(&sv->generation, atomic_fetch_add(&sigverify_generations, 1) + 1);
	sigcache_clear(sv->cache);
}

unsigned long sigverify_generation(const struct sigverify *sv)
{
	return atomic_load(&((struct sigverify *)sv)->generation);
}

void sigverify_count_hits(struct sigverify *sv, unsigned n)
{
	atomic_fetch_add_explicit(&sv->memo_hits, n, memory_order_relaxed);
}

void sigverify_cache_stats(struct sigverify *sv, struct sigcache_stats *out)
{
	sigcache_stats(sv->cache, out);
	out->hits += atomic_load_explicit(&sv->memo_hits, memory_order_relaxed);
}

static struct oci_client *sigverify_client(struct sigverify *sv, const char *host)
{
	for (size_t i = 0; i < sv->n; i++)
		if (strcmp(sv->registries[i].host, host) == 0)
			return sv->registries[i].client;
	return NULL;
}

/* What one look for signatures found: the best verdict so far and its reason. */
struct sigverify_search {
	struct oci_client *client;
	const struct sigverify_policy *p;
	const char *path; /* repository in the registry: "prod/app" */
	const char *repo; /* host/path: the identity a signature must name */
	const char *digest;
	struct timespec deadline;
	unsigned requests;
	unsigned found; /* signatures looked at */
	bool valid;
	char reason[512];     /* the most telling rejection, or what signed it */
	int rank;             /* how telling that reason is: a later, more specific one wins */
	struct oci_error oci; /* a registry failure on the way, if any */
	bool failed;
};

/* Keeps a signature's verdict if it tells more than the one kept. */
static void sigverify_note(struct sigverify_search *s, const struct cosign_result *res,
			   const char *format)
{
	s->found++;
	/* a signature by a configured key that fails a later check says more than an unknown key */
	static const int rank[COSIGN_NVERDICTS] = {
		[COSIGN_VALID] = 9,      [COSIGN_WRONG_DIGEST] = 5,  [COSIGN_WRONG_IDENTITY] = 6,
		[COSIGN_WRONG_TYPE] = 3, [COSIGN_BAD_SIGNATURE] = 4, [COSIGN_MALFORMED] = 1,
	};
	int r = rank[res->verdict];
	if (r <= s->rank)
		return;
	s->rank = r;
	s->valid = res->verdict == COSIGN_VALID;
	if (snprintf(s->reason, sizeof(s->reason), "%s (%s)", res->reason, format) < 0)
		s->reason[0] = '\0';
}

static bool sigverify_fail(struct sigverify_search *s, const struct oci_error *e)
{
	s->failed = true;
	s->oci = *e;
	return false;
}

/* A signature artifact that cannot be read counts as a signature that does not verify. */
static void sigverify_malformed(struct sigverify_search *s, const char *what, const char *why,
				const char *format)
{
	struct cosign_result res = {.verdict = COSIGN_MALFORMED};
	snprintf(res.reason, sizeof(res.reason), "%s is malformed: %s", what, why);
	sigverify_note(s, &res, format);
}

/* A blob a descriptor names, within max bytes. */
static enum oci_category sigverify_blob(struct sigverify_search *s, const struct ocimf_desc *d,
					size_t max, struct oci_content *out, struct oci_error *e)
{
	s->requests++;
	return oci_blob(s->client, s->path, d->digest, (size_t)d->size, max, s->deadline, out, e);
}

enum sigverify_got sigverify_manifest(struct oci_client *c, const char *path, const char *ref,
				      struct timespec deadline, unsigned *requests, struct ocimf *m,
				      struct oci_error *e, char *why, size_t whylen)
{
	struct oci_content man = {0};
	(*requests)++;
	enum oci_category cat = oci_manifest(c, path, ref, deadline, &man, e);
	if (cat != OCI_OK)
		return cat == OCI_NOT_FOUND ? SIGVERIFY_GOT_NONE : SIGVERIFY_GOT_FAILED;
	/* the parsed document is a copy: the bytes go at once */
	int rc = ocimf_parse(man.data, man.len, man.media_type, m, why, whylen);
	oci_content_free(&man);
	return rc < 0 ? SIGVERIFY_GOT_MALFORMED : SIGVERIFY_GOT;
}

enum sigverify_got sigverify_referrers(struct oci_client *c, const char *path, const char *digest,
				       const char *artifact_type, struct timespec deadline,
				       unsigned *requests, struct ocimf *m, struct oci_error *e,
				       char *why, size_t whylen)
{
	struct oci_content idx = {0};
	enum oci_category cat = oci_referrers(c, path, digest, artifact_type, deadline, &idx, e);
	*requests += idx.pages > 1 ? idx.pages : 1; /* the list, or each of its pages */
	if (cat == OCI_NOT_SUPPORTED) {
		char tag[OCI_DIGEST_MAX + 8];
		snprintf(tag, sizeof(tag), "sha256-%s", digest + 7);
		(*requests)++;
		cat = oci_manifest(c, path, tag, deadline, &idx, e);
	}
	if (cat != OCI_OK) {
		oci_content_free(&idx);
		return cat == OCI_NOT_FOUND ? SIGVERIFY_GOT_NONE : SIGVERIFY_GOT_FAILED;
	}
	int rc = ocimf_parse(idx.data, idx.len, OCI_MT_INDEX, m, why, whylen);
	oci_content_free(&idx);
	if (rc == 0 && !m->index) {
		ocimf_free(m);
		snprintf(why, whylen, "not an index");
		rc = -1;
	}
	return rc < 0 ? SIGVERIFY_GOT_MALFORMED : SIGVERIFY_GOT;
}

/* cosign 2.x: the layers of the manifest tagged sha256-<hex>.sig. false on a registry failure. */
static bool sigverify_v2(struct sigverify_search *s)
{
	char tag[OCI_DIGEST_MAX + 8];
	snprintf(tag, sizeof(tag), "sha256-%s.sig", s->digest + 7);
	struct oci_error e;
	struct ocimf m;
	char why[256];
	bool ok = true;
	switch (sigverify_manifest(s->client, s->path, tag, s->deadline, &s->requests, &m, &e, why,
				   sizeof(why))) {
	case SIGVERIFY_GOT_NONE:
		return true; /* no cosign 2.x signature */
	case SIGVERIFY_GOT_FAILED:
		return sigverify_fail(s, &e);
	case SIGVERIFY_GOT_MALFORMED:
		sigverify_malformed(s, "the signature manifest", why, "cosign 2.x signature");
		return true;
	case SIGVERIFY_GOT:
		break;
	}
	size_t looked = 0;
	for (size_t i = 0; i < m.n; i++) {
		const struct ocimf_desc *layer = &m.entries[i];
		const char *sig = ocimf_annotation(layer, SIGVERIFY_ANNOTATION);
		if (layer->media_type == NULL ||
		    strcmp(layer->media_type, SIGVERIFY_MT_SIMPLESIGNING) != 0 || sig == NULL)
			continue;
		if (++looked > SIGVERIFY_MAX_SIGNATURES || s->valid)
			break;
		struct oci_content blob = {0};
		if (sigverify_blob(s, layer, COSIGN_PAYLOAD_MAX, &blob, &e) != OCI_OK) {
			ok = sigverify_fail(s, &e);
			break;
		}
		struct cosign_result res = {0};
		cosign_verify_simplesigning(s->p->keys, blob.data, blob.len, sig, s->digest,
					    s->repo, &s->p->options, &res);
		sigverify_note(s, &res, "cosign 2.x signature");
		cosign_result_release(&res);
		oci_content_free(&blob);
	}
	ocimf_free(&m);
	return ok;
}

/* One cosign 3.x referrer: its manifest, its bundle layer. false on a registry failure. */
static bool sigverify_bundle(struct sigverify_search *s, const struct ocimf_desc *desc)
{
	struct oci_error e;
	struct ocimf m;
	char why[256];
	switch (sigverify_manifest(s->client, s->path, desc->digest, s->deadline, &s->requests, &m,
				   &e, why, sizeof(why))) {
	case SIGVERIFY_GOT_NONE: /* listed, yet not there */
	case SIGVERIFY_GOT_FAILED:
		return sigverify_fail(s, &e);
	case SIGVERIFY_GOT_MALFORMED:
		sigverify_malformed(s, "a bundle's manifest", why, "cosign 3.x bundle");
		return true;
	case SIGVERIFY_GOT:
		break;
	}
	bool ok = true;
	const struct ocimf_desc *layer = m.n > 0 && !m.index ? &m.entries[0] : NULL;
	if (layer != NULL && layer->media_type != NULL &&
	    strcmp(layer->media_type, SIGVERIFY_MT_BUNDLE) == 0) {
		struct oci_content blob = {0};
		if (sigverify_blob(s, layer, COSIGN_BUNDLE_MAX, &blob, &e) != OCI_OK) {
			ok = sigverify_fail(s, &e);
		} else {
			struct cosign_result res = {0};
			cosign_verify_bundle(s->p->keys, blob.data, blob.len, s->digest, s->repo,
					     &s->p->options, &res);
			sigverify_note(s, &res, "cosign 3.x bundle");
			cosign_result_release(&res);
		}
		oci_content_free(&blob);
	}
	ocimf_free(&m);
	return ok;
}

/*
 * cosign 3.x: the referrers whose artifactType is a Sigstore bundle,
 * from the referrers API, or from the index tagged sha256-<hex> where the
 * registry has none (distribution 2.8, GHCR). false on a registry failure.
 */
static bool sigverify_v3(struct sigverify_search *s)
{
	struct oci_error e;
	struct ocimf m;
	char why[256];
	switch (sigverify_referrers(s->client, s->path, s->digest, SIGVERIFY_MT_BUNDLE, s->deadline,
				    &s->requests, &m, &e, why, sizeof(why))) {
	case SIGVERIFY_GOT_NONE:
		return true;
	case SIGVERIFY_GOT_FAILED:
		return sigverify_fail(s, &e);
	case SIGVERIFY_GOT_MALFORMED:
		sigverify_malformed(s, "the referrers index", why, "cosign 3.x bundle");
		return true;
	case SIGVERIFY_GOT:
		break;
	}
	size_t looked = 0;
	bool ok = true;
	for (size_t i = 0; i < m.n; i++) {
		const struct ocimf_desc *desc = &m.entries[i];
		if (desc->artifact_type == NULL ||
		    strcmp(desc->artifact_type, SIGVERIFY_MT_BUNDLE) != 0)
			continue;
		if (++looked > SIGVERIFY_MAX_SIGNATURES || s->valid)
			break;
		if (!(ok = sigverify_bundle(s, desc)))
			break;
	}
	ocimf_free(&m);
	return ok;
}

static void sigverify_say(struct sigverify_verdict *out, enum sigverify_status st, const char *fmt,
			  ...) __attribute__((format(printf, 3, 4)));
static void sigverify_say(struct sigverify_verdict *out, enum sigverify_status st, const char *fmt,
			  ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	out->status = st;
}

/* A registry failure: SIGVERIFY_UNREACHABLE, with what the registry did. */
static void sigverify_unreachable(struct sigverify_verdict *out, enum oci_category failure,
				  const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void sigverify_unreachable(struct sigverify_verdict *out, enum oci_category failure,
				  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	out->status = SIGVERIFY_UNREACHABLE;
	out->failure = failure;
}

/* A verdict's status and registry failure, as one cache code, and back. */
static int sigverify_code(const struct sigverify_verdict *v)
{
	return (int)v->failure * SIGVERIFY_NSTATUS + (int)v->status;
}

static void sigverify_uncode(int code, struct sigverify_verdict *out)
{
	out->status = (enum sigverify_status)(code % SIGVERIFY_NSTATUS);
	out->failure = (enum oci_category)(code / SIGVERIFY_NSTATUS);
}

/* The verification proper, for the owner of the cache entry. */
static void sigverify_digest(struct sigverify *sv, const struct sigverify_policy *p,
			     struct oci_client *c, const struct image_ref *r, const char *image,
			     struct timespec deadline, struct sigverify_verdict *out)
{
	char repo[1024];
	snprintf(repo, sizeof(repo), "%s/%s", r->host, r->path);
	struct sigverify_search s = {
		.client = c,
		.p = p,
		.path = r->path,
		.repo = repo,
		.digest = out->digest,
		.deadline = deadline,
	};
	(void)sv;
	if (sigverify_v2(&s) && !s.valid)
		sigverify_v3(&s);
	out->requests += s.requests;
	if (s.valid)
		sigverify_say(out, SIGVERIFY_SIGNED, "image \"%s\" (%s): %s", image, out->digest,
			      s.reason);
	else if (s.failed)
		sigverify_unreachable(
			out, s.oci.category,
			"image \"%s\" (%s): the signatures could not be read: %s (%s)", image,
			out->digest, s.oci.reason, oci_category_name(s.oci.category));
	else if (s.found == 0)
		sigverify_say(
			out, SIGVERIFY_UNSIGNED,
			"image \"%s\" (%s) has no cosign signature in %s; sign it with one of "
			"the policy's keys (cosign sign --key ...)",
			image, out->digest, oci_name(c));
	else
		sigverify_say(out, SIGVERIFY_REJECTED,
			      "image \"%s\" (%s): %u signature%s found, none by a configured key "
			      "for this image: %s",
			      image, out->digest, s.found, s.found == 1 ? "" : "s", s.reason);
}

/*
 * The cache keys, in one place: sigverify_image fills what sigverify_peek
 * reads. A tag's digest; a verdict, under the digest and the fingerprint
 * of the keys and settings that decided it.
 */
static void sigverify_tag_key(char key[SIGCACHE_KEY_MAX], const struct image_ref *r)
{
	snprintf(key, SIGCACHE_KEY_MAX, "tag|%s/%s:%s", r->host, r->path,
		 r->tag ? r->tag : "latest");
}

static void sigverify_sig_key(char key[SIGCACHE_KEY_MAX], const struct image_ref *r,
			      const char *digest, const struct sigverify_policy *p)
{
	snprintf(key, SIGCACHE_KEY_MAX, "sig|%s/%s@%s|%s", r->host, r->path, digest,
		 p->fingerprint != NULL ? p->fingerprint : "");
}

/* tag -> digest, through the cache. false (out filled) when it cannot be had. */
static bool sigverify_resolve(struct sigverify *sv, const struct sigverify_policy *p,
			      struct oci_client *c, const struct image_ref *r, const char *image,
			      double now, struct timespec deadline, struct sigverify_verdict *out)
{
	char key[SIGCACHE_KEY_MAX];
	sigverify_tag_key(key, r);
	struct sigcache_value v = {0};
	switch (sigcache_get(sv->cache, key, now, &deadline, &v)) {
	case SIGCACHE_HIT:
		snprintf(out->digest, sizeof(out->digest), "%.*s", (int)sizeof(out->digest) - 1,
			 v.text);
		return v.ok;
	case SIGCACHE_TIMEOUT:
		sigverify_unreachable(out, OCI_TIMEOUT,
				      "image \"%s\": its tag's digest was not known in time",
				      image);
		return false;
	case SIGCACHE_NOMEM:
		sigverify_unreachable(out, OCI_INTERNAL, "image \"%s\": out of memory", image);
		return false;
	case SIGCACHE_OWNER:
		break;
	}
	struct oci_error e;
	out->requests++;
	if (oci_resolve(c, r->path, r->tag ? r->tag : "latest", deadline, out->digest, &e) !=
	    OCI_OK) {
		sigcache_abandon(sv->cache, key);
		sigverify_unreachable(
			out, e.category,
			"image \"%s\": its tag could not be resolved to a digest: %s (%s)", image,
			e.reason, oci_category_name(e.category));
		out->digest[0] = '\0';
		return false;
	}
	v.ok = true;
	snprintf(v.text, sizeof(v.text), "%s", out->digest);
	sigcache_put(sv->cache, key, &v, now, p->tag_seconds);
	return true;
}

bool sigverify_peek(struct sigverify *sv, const struct sigverify_policy *p, const char *image,
		    double now, struct sigverify_verdict *out)
{
	memset(out, 0, sizeof(*out));
	struct arena a;
	arena_init(&a);
	struct image_ref r;
	bool fresh = false;
	double tag_until = INFINITY;
	struct sigcache_value v = {0};
	char key[SIGCACHE_KEY_MAX];
	if (image_parse(&a, image, &r) < 0 || sigverify_client(sv, r.host) == NULL) {
		/* decided without a registry: sigverify_image answers at once */
		struct timespec now_ts;
		clock_gettime(CLOCK_MONOTONIC, &now_ts);
		sigverify_image(sv, p, image, now, now_ts, out);
		out->fresh_until = INFINITY;
		fresh = true;
		goto done; /* decided by the configuration alone: fresh as long as it */
	}
	if (r.digest != NULL) {
		snprintf(out->digest, sizeof(out->digest), "%s", r.digest);
	} else {
		sigverify_tag_key(key, &r);
		if (!sigcache_peek(sv->cache, key, now, &v))
			goto done;
		snprintf(out->digest, sizeof(out->digest), "%.*s", (int)sizeof(out->digest) - 1,
			 v.text);
		tag_until = v.expires; /* the tag may point elsewhere after */
	}
	sigverify_sig_key(key, &r, out->digest, p);
	if (!sigcache_peek(sv->cache, key, now, &v))
		goto done;
	sigverify_uncode(v.code, out);
	out->cached = true;
	snprintf(out->reason, sizeof(out->reason), "%s", v.text);
	out->fresh_until = v.expires < tag_until ? v.expires : tag_until;
	fresh = true;
done:
	arena_free(&a);
	return fresh;
}

enum sigverify_status sigverify_image(struct sigverify *sv, const struct sigverify_policy *p,
				      const char *image, double now, struct timespec deadline,
				      struct sigverify_verdict *out)
{
	memset(out, 0, sizeof(*out));
	struct arena a;
	arena_init(&a);
	struct image_ref r;
	if (image_parse(&a, image, &r) < 0) {
		sigverify_say(out, SIGVERIFY_BAD_IMAGE, "\"%s\" is not an image reference", image);
		goto done;
	}
	struct oci_client *c = sigverify_client(sv, r.host);
	if (c == NULL) {
		sigverify_say(
			out, SIGVERIFY_NO_REGISTRY,
			"image \"%s\" is from %s, which is not under registries: in the "
			"configuration, so its signatures cannot be checked; add the registry "
			"or use an image from a configured one",
			image, r.host);
		goto done;
	}
	if (r.digest != NULL) {
		if (strncmp(r.digest, "sha256:", 7) != 0) {
			sigverify_say(out, SIGVERIFY_BAD_IMAGE,
				      "image \"%s\": cosign signs sha256 digests only", image);
			goto done;
		}
		snprintf(out->digest, sizeof(out->digest), "%s", r.digest);
	} else if (!sigverify_resolve(sv, p, c, &r, image, now, deadline, out)) {
		goto done;
	}
	char key[SIGCACHE_KEY_MAX];
	sigverify_sig_key(key, &r, out->digest, p);
	struct sigcache_value v = {0};
	switch (sigcache_get(sv->cache, key, now, &deadline, &v)) {
	case SIGCACHE_HIT:
		out->cached = true;
		sigverify_uncode(v.code, out);
		snprintf(out->reason, sizeof(out->reason), "%s", v.text);
		goto done;
	case SIGCACHE_TIMEOUT:
	case SIGCACHE_NOMEM:
		sigverify_unreachable(out, OCI_TIMEOUT,
				      "image \"%s\" (%s): its verification did not end in time",
				      image, out->digest);
		goto done;
	case SIGCACHE_OWNER:
		break;
	}
	sigverify_digest(sv, p, c, &r, image, deadline, out);
	v.ok = out->status == SIGVERIFY_SIGNED;
	v.code = sigverify_code(out);
	snprintf(v.text, sizeof(v.text), "%.*s", (int)sizeof(v.text) - 1, out->reason);
	sigcache_put(sv->cache, key, &v, now, v.ok ? p->cache_seconds : p->failure_seconds);
done:
	arena_free(&a);
	return out->status;
}

struct oci_client *sigverify_registry(struct sigverify *sv, const char *host)
{
	return sigverify_client(sv, host);
}

struct sigcache *sigverify_cache(struct sigverify *sv)
{
	return sv->cache;
}

bool sigverify_tag(struct sigverify *sv, const struct image_ref *r, const char *image,
		   double tag_seconds, double now, struct timespec deadline,
		   struct sigverify_verdict *out)
{
	struct sigverify_policy p = {.tag_seconds = tag_seconds};
	struct oci_client *c = sigverify_client(sv, r->host);
	if (c == NULL) {
		sigverify_say(out, SIGVERIFY_NO_REGISTRY,
			      "image \"%s\": its registry %s is not configured", image, r->host);
		return false;
	}
	return sigverify_resolve(sv, &p, c, r, image, now, deadline, out);
}

bool sigverify_tag_peek(struct sigverify *sv, const struct image_ref *r, double now,
			char digest[OCI_DIGEST_MAX], double *until)
{
	char key[SIGCACHE_KEY_MAX];
	sigverify_tag_key(key, r);
	struct sigcache_value v = {0};
	if (!sigcache_peek(sv->cache, key, now, &v))
		return false;
	snprintf(digest, OCI_DIGEST_MAX, "%.*s", OCI_DIGEST_MAX - 1, v.text);
	*until = v.expires;
	free(v.blob);
	return true;
}

enum sigverify_at sigverify_target(struct sigverify *sv, struct arena *a, const char *image,
				   const char *what, double tag_seconds, double now,
				   const struct timespec *deadline, struct sigverify_target *t)
{
	memset(t, 0, sizeof(*t));
	t->until = INFINITY;
	if ((t->ref = arena_alloc(a, sizeof(*t->ref))) == NULL ||
	    image_parse(a, image, t->ref) < 0) {
		snprintf(t->why, sizeof(t->why), "\"%s\" is not an image reference", image);
		return SIGVERIFY_AT_BAD_IMAGE;
	}
	const struct image_ref *r = t->ref;
	if ((t->client = sigverify_client(sv, r->host)) == NULL) {
		snprintf(t->why, sizeof(t->why),
			 "its registry %s is not under registries: in the configuration, so %s "
			 "cannot be read; add the registry or use an image from a configured one",
			 r->host, what);
		return SIGVERIFY_AT_NO_REGISTRY;
	}
	if (r->digest != NULL) {
		snprintf(t->digest, sizeof(t->digest), "%s", r->digest);
		return SIGVERIFY_AT_OK;
	}
	if (deadline == NULL)
		return sigverify_tag_peek(sv, r, now, t->digest, &t->until)
			       ? SIGVERIFY_AT_OK
			       : SIGVERIFY_AT_NOT_CACHED;
	struct sigverify_verdict v;
	bool ok = sigverify_tag(sv, r, image, tag_seconds, now, *deadline, &v);
	t->requests = v.requests;
	if (!ok) {
		t->failure = v.failure != OCI_OK ? v.failure : OCI_UNREACHABLE;
		/* sigverify's words begin with the image, which the caller's message names */
		const char *why = strstr(v.reason, "its tag could not be resolved");
		snprintf(t->why, sizeof(t->why), "%.*s", (int)sizeof(t->why) - 1,
			 why != NULL ? why : v.reason);
		return SIGVERIFY_AT_UNRESOLVED;
	}
	snprintf(t->digest, sizeof(t->digest), "%s", v.digest);
	return SIGVERIFY_AT_OK;
}
