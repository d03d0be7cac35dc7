/*
 * vulnattest: an image's signed vulnerability scan, read from its
 * registry, for the image-vulnerabilities policy. The scan is an in-toto
 * statement of predicate type VULNATTEST_PREDICATE (what `cosign attest
 * --type vuln` writes around `trivy image --format cosign-vuln`), signed by
 * one of the policy's keys, whose subject is the image's digest. Built on
 * the image-signature verifier's registry clients and cache (sigverify.h),
 * as imgfacts.c is: the same registries only, the same tag cache, the
 * same single flight.
 *
 *   image ─ tag resolved (cached briefly) ─ cache (digest + keys) ─
 *   cosign 2.x: the manifest tagged sha256-<hex>.att, each DSSE envelope
 *   layer ─ cosign 3.x: referrers (or the index tagged sha256-<hex> where
 *   the registry has no referrers API), each Sigstore bundle ─ verified
 *   (cosign.c) ─ the newest scan: when it finished, what it found.
 *
 * What is cached is what a verdict depends on besides the policy's
 * thresholds: the scan's finish time and its findings (id, severity). The
 * policy judges maxAgeHours at review time against that time, and
 * maxSeverity and ignore itself, so that a changed threshold never waits
 * for a registry and a scan goes stale while it is cached.
 *
 * Bounded: at most VULNATTEST_MAX_ATTESTATIONS attestations of each format
 * are fetched and verified, the newest first (cosign appends: a pipeline
 * that rescans without --replace leaves the old ones before); an envelope
 * or bundle larger than VULNATTEST_ENVELOPE_MAX is refused before it is
 * fetched; at most VULNATTEST_MAX_FINDINGS findings are kept (the most
 * severe; the counts per severity are always whole). Blocking and thread-safe, bounded by a
 * deadline: called from workers and audit, never an event loop (which
 * uses vulnattest_peek).
 */
#ifndef ADMITD_VULNATTEST_H
#define ADMITD_VULNATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "cosign.h"
#include "oci.h"
#include "sigverify.h"

#define VULNATTEST_PREDICATE "https://cosign.sigstore.dev/attestation/vuln/v1"
#define VULNATTEST_MT_DSSE   "application/vnd.dsse.envelope.v1+json"
/* A Trivy report of an image with a thousand findings, descriptions and all,
 * is 2-3 MB; base64 in an envelope makes it 4/3 of that. */
#define VULNATTEST_ENVELOPE_MAX     (6u << 20)
#define VULNATTEST_MAX_ATTESTATIONS 8     /* of each format, fetched and verified */
#define VULNATTEST_MAX_FINDINGS     512   /* kept, the most severe first */
#define VULNATTEST_ID_MAX           64    /* a finding's id, with its NUL */
#define VULNATTEST_TTL              300.0 /* a verified scan: a new one may be attested */
#define VULNATTEST_FAILURE_TTL      10.0
#define VULNATTEST_TAG_TTL          30.0

/* Trivy's severities, in its order. */
enum vulnattest_severity {
	VULN_UNKNOWN = 0,
	VULN_LOW,
	VULN_MEDIUM,
	VULN_HIGH,
	VULN_CRITICAL,
};
#define VULNATTEST_NSEVERITIES 5

/* "UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL". */
const char *vulnattest_severity_name(enum vulnattest_severity s);
/* One of those names, case-insensitively; -1 otherwise. */
int vulnattest_severity_parse(const char *s);

struct vulnattest_finding {
	char id[VULNATTEST_ID_MAX]; /* VulnerabilityID, printable, shortened with "..." */
	unsigned char severity;     /* enum vulnattest_severity */
};

/* What one scan says: the verdict's inputs. */
struct vulnattest_scan {
	int64_t finished; /* metadata.scanFinishedOn, seconds since the epoch */
	/* distinct vulnerability ids per severity (an id listed for several packages is
	 * one, at its highest severity): always every one of them */
	unsigned counts[VULNATTEST_NSEVERITIES];
	/* the findings kept: the most severe first (then by id), at most
	 * VULNATTEST_MAX_FINDINGS; malloc'd */
	struct vulnattest_finding *findings;
	size_t n;
};

enum vulnattest_status {
	VULNATTEST_OK = 0,      /* a verified scan: scan, key, format */
	VULNATTEST_NONE,        /* the registry holds no vulnerability attestation for the digest */
	VULNATTEST_REJECTED,    /* attestations, none usable: reason says the most telling why */
	VULNATTEST_UNREACHABLE, /* the registry failed us: down, timeout, auth */
	VULNATTEST_NO_REGISTRY, /* its registry is not under registries: not contacted */
	VULNATTEST_BAD_IMAGE,   /* not an image reference */
};
#define VULNATTEST_NSTATUS 6

/* "ok", "none", "rejected", "unreachable", "no-registry", "bad-image". */
const char *vulnattest_status_name(enum vulnattest_status s);

struct vulnattest {
	enum vulnattest_status status;
	char digest[OCI_DIGEST_MAX]; /* the digest judged, "" when none was found */
	char reason[640];            /* not OK: what, and what to do; OK: what verified it */
	enum oci_category failure;   /* UNREACHABLE: what the registry did */
	bool cached;
	unsigned requests;           /* registry requests this call made */
	double fresh_until;          /* vulnattest_peek: until when it holds */
	struct vulnattest_scan scan; /* OK only */
};

/*
 * The newest verified vulnerability scan of image (as written in the pod)
 * signed by one of keys, by deadline (CLOCK_MONOTONIC); now is
 * CLOCK_MONOTONIC seconds. Always fills out (vulnattest_release it);
 * returns out->status.
 */
enum vulnattest_status vulnattest_get(struct sigverify *sv, const struct cosign_keys *keys,
				      const char *image, double now, struct timespec deadline,
				      struct vulnattest *out);
/* A fresh cached result without waiting or asking: true when out was filled. */
bool vulnattest_peek(struct sigverify *sv, const struct cosign_keys *keys, const char *image,
		     double now, struct vulnattest *out);
void vulnattest_release(struct vulnattest *v);
/* A deep copy (dst is overwritten). -1 when out of memory (dst then holds no findings). */
int vulnattest_copy(struct vulnattest *dst, const struct vulnattest *src);

/* ---- parsers, exposed for the unit tests and fuzz targets ---- */

/*
 * An RFC 3339 time as Go writes time.Time ("2026-12-01T10:20:30.123456789Z",
 * "...+02:00") to seconds since the epoch; -1 when it is not one (out unset).
 */
int vulnattest_time_parse(const char *s, int64_t *out);
/* "2026-12-01T10:20:30Z" into buf (at least 32 bytes). */
const char *vulnattest_time_format(int64_t t, char *buf, size_t len);
/*
 * A verified statement's predicate: metadata.scanFinishedOn and the Trivy
 * report in scanner.result (SchemaVersion 2; Results[].Vulnerabilities[]
 * with VulnerabilityID and Severity). -1 with why (naming the field) when
 * it is not that; out then holds nothing.
 */
int vulnattest_predicate_read(const json_t *predicate, struct vulnattest_scan *out, char *why,
			      size_t whylen);
void vulnattest_scan_free(struct vulnattest_scan *s);
/* The cache's form of a scan (JSON), and back (-1, nothing held, when it is not one). */
char *vulnattest_encode(const struct vulnattest_scan *s);
int vulnattest_decode(const char *text, struct vulnattest_scan *out);

#endif
