/*
 * sigverify: is this image signed by one of these keys? The whole
 * question, from an image reference to a verdict, for the image-signatures
 * policy: resolve a tag to its digest, find the image's cosign
 * signatures in its registry (cosign 2.x: the tag sha256-<hex>.sig;
 * cosign 3.x: Sigstore bundles as OCI 1.1 referrers, through the
 * referrers API or the sha256-<hex> tag where the registry has none),
 * verify them (cosign.c), and remember the verdict (sigcache.c).
 *
 * Blocking, thread-safe, bounded by a deadline: called from workers,
 * never an event loop. Contacts only configured registries (oci.c
 * enforces the rest: sizes, digests, redirects, token realms) and never
 * Rekor, Fulcio or TUF.
 */
#ifndef ADMITD_SIGVERIFY_H
#define ADMITD_SIGVERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cosign.h"
#include "oci.h"
#include "sigcache.h"

enum sigverify_status {
	SIGVERIFY_SIGNED = 0,  /* a signature by a configured key, for this digest */
	SIGVERIFY_UNSIGNED,    /* the registry holds no signature for the digest */
	SIGVERIFY_REJECTED,    /* signatures, but none that verifies (reason says why) */
	SIGVERIFY_UNREACHABLE, /* the registry failed us: down, timeout, auth, too large */
	SIGVERIFY_NO_REGISTRY, /* the image's registry is not configured: not contacted */
	SIGVERIFY_BAD_IMAGE,   /* not an image reference */
};
#define SIGVERIFY_NSTATUS 6

/* "signed", "unsigned", "rejected", "unreachable", "no-registry", "bad-image" (metrics). */
const char *sigverify_status_name(enum sigverify_status s);

/* What decides a verdict besides the registry: the policy's side. */
struct sigverify_policy {
	const struct cosign_keys *keys;
	struct cosign_options options;
	/* the keys' and options' fingerprint: part of every cache key */
	const char *fingerprint;
	double cache_seconds;   /* a verdict of signed */
	double failure_seconds; /* any other verdict */
	double tag_seconds;     /* a tag's digest */
};

struct sigverify_verdict {
	enum sigverify_status status;
	char digest[OCI_DIGEST_MAX]; /* the digest judged, "" when none was found */
	char reason[768];            /* for the denial message: what, and what to do */
	bool cached;                 /* the verdict came from the cache */
	double fresh_until;          /* sigverify_peek: until when it holds (its clock); else 0 */
	unsigned requests;           /* registry requests this call made */
	/* SIGVERIFY_UNREACHABLE: what the registry did (timeout, too large...); else OCI_OK */
	enum oci_category failure;
};

struct sigverify;

/* A verifier over these registries (copied) and a cache of max_entries verdicts. */
struct sigverify *sigverify_new(const struct oci_config *registries, size_t n, size_t max_entries,
				struct oci_error *err);
void sigverify_free(struct sigverify *sv);

/*
 * Judges image (as written in the pod) under policy p, by deadline
 * (CLOCK_MONOTONIC). now is CLOCK_MONOTONIC seconds (tests move it).
 * Always fills out; returns out->status.
 */
enum sigverify_status sigverify_image(struct sigverify *sv, const struct sigverify_policy *p,
				      const char *image, double now, struct timespec deadline,
				      struct sigverify_verdict *out);
/*
 * The cached verdict of image, without waiting and without a request:
 * true when there is a fresh one (out filled, out->cached set). For the
 * event loop's fast path; on false, a worker calls sigverify_image.
 */
bool sigverify_peek(struct sigverify *sv, const struct sigverify_policy *p, const char *image,
		    double now, struct sigverify_verdict *out);
/* Forgets every verdict (a reload that changed keys or registries). */
void sigverify_forget(struct sigverify *sv);
/*
 * A number no other verifier had and that sigverify_forget changes: a
 * memo of this verifier's verdicts (sigcheck.c's, per thread) holds only
 * while it stays the same.
 */
unsigned long sigverify_generation(const struct sigverify *sv);
/* n verdicts served from such a memo: counted as cache hits. */
void sigverify_count_hits(struct sigverify *sv, unsigned n);
void sigverify_cache_stats(struct sigverify *sv, struct sigcache_stats *out);

/*
 * For the image-contents facts (imgfacts.c), which share these registries
 * and this cache: the client of host (NULL: not configured), the cache,
 * and a tag's digest through the same tag cache. sigverify_tag fills
 * out->digest and returns true, or fills out's status and reason.
 */
struct image_ref;
struct oci_client *sigverify_registry(struct sigverify *sv, const char *host);
struct sigcache *sigverify_cache(struct sigverify *sv);
bool sigverify_tag(struct sigverify *sv, const struct image_ref *r, const char *image,
		   double tag_seconds, double now, struct timespec deadline,
		   struct sigverify_verdict *out);
/*
 * Where an image is for those readers, in one place: the reference parsed
 * (into a), its registry's client, and the digest it names or its tag
 * resolves to now, through the shared tag cache (tag_seconds). With
 * deadline NULL nothing is asked: a tag's digest comes from the cache only
 * (SIGVERIFY_AT_NOT_CACHED otherwise). what ("its configuration") is what
 * could not be read, for the NO_REGISTRY reason. On anything but OK, why
 * says what, in words that follow the image's name.
 */
enum sigverify_at {
	SIGVERIFY_AT_OK = 0,
	SIGVERIFY_AT_BAD_IMAGE,
	SIGVERIFY_AT_NO_REGISTRY,
	SIGVERIFY_AT_UNRESOLVED, /* the tag could not be resolved (failure says how) */
	SIGVERIFY_AT_NOT_CACHED,
};
struct sigverify_target {
	struct image_ref *ref; /* in the caller's arena */
	struct oci_client *client;
	char digest[OCI_DIGEST_MAX];
	double until;      /* until when the digest holds (INFINITY for a digest reference) */
	unsigned requests; /* registry requests made */
	enum oci_category failure; /* UNRESOLVED: what the registry did */
	char why[512];
};
struct arena;
enum sigverify_at sigverify_target(struct sigverify *sv, struct arena *a, const char *image,
				   const char *what, double tag_seconds, double now,
				   const struct timespec *deadline, struct sigverify_target *t);
/* The cached digest of r's tag, without asking: true with digest and *until. */
bool sigverify_tag_peek(struct sigverify *sv, const struct image_ref *r, double now,
			char digest[OCI_DIGEST_MAX], double *until);

/*
 * ---- fetching what cosign stores, for signatures, attestations and
 * configurations alike ----
 */
struct ocimf;
enum sigverify_got {
	SIGVERIFY_GOT,           /* m is parsed (ocimf_free it) */
	SIGVERIFY_GOT_NONE,      /* the registry has none (404): e says so */
	SIGVERIFY_GOT_FAILED,    /* the registry failed: e */
	SIGVERIFY_GOT_MALFORMED, /* what came is not a manifest or index admitd reads: why */
};
/* The manifest or index ref (a tag or a digest) of path, parsed; *requests counts the ask. */
enum sigverify_got sigverify_manifest(struct oci_client *c, const char *path, const char *ref,
				      struct timespec deadline, unsigned *requests, struct ocimf *m,
				      struct oci_error *e, char *why, size_t whylen);
/*
 * cosign 3.x: the index of digest's referrers of artifact_type, from the
 * referrers API, or the index tagged sha256-<hex> where the registry has
 * none (distribution 2.8, GHCR); MALFORMED when it is not an index.
 * *requests counts each page asked.
 */
enum sigverify_got sigverify_referrers(struct oci_client *c, const char *path, const char *digest,
				       const char *artifact_type, struct timespec deadline,
				       unsigned *requests, struct ocimf *m, struct oci_error *e,
				       char *why, size_t whylen);

#endif
