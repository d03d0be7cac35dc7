/*
 * imgfacts: what an image's configuration says (its USER, EXPOSE and ENV),
 * per linux platform, read from the image's registry: for the image-
 * contents policies (image-runs-as-root, image-exposed-ports,
 * image-env-secrets). Built on the image-signature verifier's registry
 * clients and cache (sigverify.h): the same registries only, the same
 * tag-to-digest cache, the same single flight.
 *
 *   image ─ tag resolved (cached briefly) ─ manifest or index by digest ─
 *   each linux platform's manifest ─ its config blob (at most
 *   IMGFACTS_CONFIG_MAX bytes) ─ facts, cached by digest.
 *
 * A digest's content never changes, so its facts are kept long
 * (IMGFACTS_TTL); failures briefly. Blocking and thread-safe, bounded by
 * a deadline: called from workers and audit, never an event loop (which
 * uses imgfacts_peek).
 */
#ifndef ADMITD_IMGFACTS_H
#define ADMITD_IMGFACTS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "oci.h"
#include "sigverify.h"

#define IMGFACTS_MAX_PLATFORMS 16
#define IMGFACTS_CONFIG_MAX    (1u << 20) /* a config with a long history is ~100 KB */
#define IMGFACTS_TTL           3600.0     /* a digest's facts */
#define IMGFACTS_FAILURE_TTL   10.0
#define IMGFACTS_TAG_TTL       30.0

enum imgfacts_status {
	IMGFACTS_OK = 0,
	IMGFACTS_UNREACHABLE, /* the registry failed us: down, timeout, auth, too large */
	IMGFACTS_MALFORMED,   /* the image's manifest or configuration cannot be read */
	IMGFACTS_NO_REGISTRY, /* its registry is not under registries: not contacted */
	IMGFACTS_BAD_IMAGE,   /* not an image reference */
};
#define IMGFACTS_NSTATUS 5

/* "ok", "unreachable", "malformed", "no-registry", "bad-image" (metrics, messages). */
const char *imgfacts_status_name(enum imgfacts_status s);

struct imgfacts_platform {
	char platform[64]; /* "linux/amd64", "linux/arm/v7" */
	char os[16];
	char arch[24];
	char *user;   /* config.User; NULL when the image sets none */
	char **ports; /* "22/tcp" */
	size_t nports;
	char **env; /* "NAME=value" as the image sets them */
	size_t nenv;
};

struct imgfacts {
	enum imgfacts_status status;
	char digest[OCI_DIGEST_MAX]; /* the digest judged, "" when none was found */
	char reason[512];            /* when not OK: what, and what to do */
	enum oci_category failure;   /* UNREACHABLE: what the registry did */
	bool cached;
	unsigned requests;  /* registry requests this call made */
	double fresh_until; /* imgfacts_peek: until when it holds */
	size_t n;
	struct imgfacts_platform *platforms; /* malloc'd; imgfacts_release */
};

/*
 * The facts of image (as written in the pod), by deadline (CLOCK_MONOTONIC);
 * now is CLOCK_MONOTONIC seconds. Always fills out (imgfacts_release it);
 * returns out->status.
 */
enum imgfacts_status imgfacts_get(struct sigverify *sv, const char *image, double now,
				  struct timespec deadline, struct imgfacts *out);
/* Fresh cached facts without waiting or asking: true when out was filled. */
bool imgfacts_peek(struct sigverify *sv, const char *image, double now, struct imgfacts *out);
void imgfacts_release(struct imgfacts *f);
/* A deep copy (dst released first by the caller). -1 when out of memory. */
int imgfacts_copy(struct imgfacts *dst, const struct imgfacts *src);

/* The cache's form of the platforms (JSON), and back: exposed for tests and fuzzing. */
char *imgfacts_encode(const struct imgfacts *f);
int imgfacts_decode(const char *text, struct imgfacts *out);

#endif
