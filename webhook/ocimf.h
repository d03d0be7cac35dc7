/*
 * ocimf: what OCI and Docker manifests, indexes and image configurations
 * say, read from the bytes a registry sent. Pure parsers, no network: the
 * signature verifier (sigverify.c) and the image-contents checks
 * (imgfacts.c) fetch, these read. Everything read is checked for shape
 * (a descriptor's digest is "<algorithm>:<hex>" of the right length, its
 * size a non-negative integer) so that what the callers ask for next is
 * always a well-formed request; counts are capped.
 *
 * Errors are values: -1 and why, naming the field ("layers[2]: ...").
 */
#ifndef ADMITD_OCIMF_H
#define ADMITD_OCIMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define OCIMF_MAX_ENTRIES 1024 /* layers of a manifest, manifests of an index */
#define OCIMF_MAX_PORTS   256  /* ExposedPorts kept */
#define OCIMF_MAX_ENV     1024 /* Env entries kept */

/* A descriptor; strings point into the document (valid until ocimf_free). */
struct ocimf_desc {
	const char *media_type;    /* NULL when absent */
	const char *artifact_type; /* NULL when absent */
	const char *digest;        /* always set, well-formed */
	int64_t size;              /* always >= 0 */
	const json_t *annotations; /* an object or NULL */
	/* an index entry's platform; NULL when absent */
	const char *os, *architecture, *variant;
};

/* A manifest or an index. */
struct ocimf {
	json_t *doc;
	bool index;                 /* manifests[] rather than config + layers[] */
	const char *media_type;     /* the document's own, or NULL */
	struct ocimf_desc config;   /* a manifest's; digest NULL in an index */
	struct ocimf_desc *entries; /* layers, or an index's manifests */
	size_t n;
	const char *subject; /* the subject's digest, or NULL */
};

/*
 * Reads len bytes as a manifest or an index. content_type (the answer's
 * Content-Type, may be NULL or "") decides when the document names no
 * mediaType; a document with neither config nor manifests is refused.
 */
int ocimf_parse(const unsigned char *data, size_t len, const char *content_type, struct ocimf *out,
		char *why, size_t whylen);
void ocimf_free(struct ocimf *m);
/* The annotation name of entry d, or NULL. */
const char *ocimf_annotation(const struct ocimf_desc *d, const char *name);
/* Whether s is "<algorithm>:<hex>" as a descriptor's digest must be (sha256, sha512). */
bool ocimf_digest_ok(const char *s);

/* An image configuration (application/vnd.oci.image.config.v1+json and Docker's). */
struct ocimf_config {
	json_t *doc;
	const char *os, *architecture, *variant; /* NULL when absent */
	const char *user;                        /* config.User; NULL when absent */
	/* config.ExposedPorts keys, normalised "22/tcp" (a bare "22" is tcp); malloc'd */
	char **ports;
	size_t nports;
	/* config.Env, "NAME=value" as written; point into doc */
	const char **env;
	size_t nenv;
};

int ocimf_config_parse(const unsigned char *data, size_t len, struct ocimf_config *out, char *why,
		       size_t whylen);
void ocimf_config_free(struct ocimf_config *c);

#endif
