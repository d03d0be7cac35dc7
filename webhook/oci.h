/*
 * oci: a client of one OCI / Docker registry (distribution API v2), for
 * the image-signature policy: resolve a tag to a digest, fetch manifests,
 * blobs and referrers, each checked against its digest and bounded in
 * size and time. Blocking: it is called from worker threads, never the
 * event loop. One client per registry host; its connections are reused,
 * and calls on one client are serialized.
 *
 * Errors are values: a category the policy turns into its message, and a
 * reason naming the registry and what was asked.
 */
#ifndef ADMITD_OCI_H
#define ADMITD_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

enum oci_category {
	OCI_OK = 0,
	OCI_UNREACHABLE,   /* no answer: DNS, connect, TLS, connection dropped, 502-504 */
	OCI_TIMEOUT,       /* the request timeout or the caller's deadline passed */
	OCI_TOO_LARGE,     /* more bytes than allowed; the transfer was cut */
	OCI_AUTH_REFUSED,  /* 401/403, no credentials for a challenge, token refused */
	OCI_NOT_FOUND,     /* 404: no such repository, tag, manifest or blob */
	OCI_BAD_DIGEST,    /* the content is not what its digest or size says */
	OCI_PROTOCOL,      /* an answer the API does not allow, or a redirect refused */
	OCI_NOT_SUPPORTED, /* the registry has no referrers API: use the tag schema */
	OCI_INTERNAL,      /* out of memory, libcurl missing, a bad argument */
};

/* "unreachable", "timeout", ...: stable words for logs and metrics. */
const char *oci_category_name(enum oci_category cat);

struct oci_error {
	enum oci_category category;
	char reason[512]; /* "registry.example:5000: manifest acme/app:1.0: ..." */
};

/* The media types a manifest request accepts (and a manifest may have). */
#define OCI_MT_MANIFEST       "application/vnd.oci.image.manifest.v1+json"
#define OCI_MT_INDEX          "application/vnd.oci.image.index.v1+json"
#define OCI_MT_DOCKER         "application/vnd.docker.distribution.manifest.v2+json"
#define OCI_MT_DOCKER_LIST    "application/vnd.docker.distribution.manifest.list.v2+json"
#define OCI_MANIFEST_MAX      (4u << 20)
#define OCI_DIGEST_MAX        136 /* "sha512:" + 128 hex + NUL */
#define OCI_TIMEOUT_DEFAULT   10000
#define OCI_EXTRA_HOSTS_MAX   8
#define OCI_DOCKER_CONFIG_MAX (1u << 20)
#define OCI_REFERRERS_PAGES   64 /* pages of one referrers list read */

/* Filled by the configuration loader; strings are copied by oci_open. */
struct oci_config {
	const char *host; /* host[:port] as in image references: "ghcr.io" */
	/* host[:port] asked instead of host (a pull-through mirror, an API
	 * elsewhere); NULL: host itself (docker.io: registry-1.docker.io).
	 * Everything below applies to it; host stays the images' identity */
	const char *endpoint;
	const char *ca_file; /* PEM bundle; NULL: the system's CAs */
	/* credentials: auths.{endpoint}, else auths.{host}; NULL: anonymous */
	const char *docker_config;
	bool insecure_http; /* plain HTTP: loopback endpoints only */
	/* hosts (host[:port], port 443 when none) that token realms and blob
	 * redirects may go to, over HTTPS; the registry itself (its endpoint)
	 * always may.
	 * Docker Hub (docker.io, asked at registry-1.docker.io) needs
	 * auth.docker.io and its blob CDN here */
	const char *extra_hosts[OCI_EXTRA_HOSTS_MAX];
	size_t n_extra_hosts;
	long request_timeout_ms; /* each HTTP request; 0: OCI_TIMEOUT_DEFAULT */
	size_t max_manifest;     /* manifests, indexes, referrers; 0: OCI_MANIFEST_MAX */
};

/* What a manifest, blob or referrers call returns. */
struct oci_content {
	char media_type[128]; /* the answer's Content-Type ("" for a blob) */
	char digest[OCI_DIGEST_MAX];
	unsigned char *data; /* malloc'd, len bytes (NUL-terminated past them) */
	size_t len;
	bool filtered;  /* referrers: the registry applied the artifactType filter */
	unsigned pages; /* referrers: the pages asked for (1 unless the registry pages the list) */
};

struct oci_client;

/*
 * Checks the configuration (insecure_http is refused for an endpoint
 * that is not loopback), reads the credentials and loads libcurl;
 * connects to nothing. NULL with err on a bad configuration.
 */
struct oci_client *oci_open(const struct oci_config *cfg, struct oci_error *err);
void oci_close(struct oci_client *c);
/* The host[:port] asked: the endpoint, registry-1.docker.io for docker.io, else the host. */
const char *oci_endpoint(const struct oci_client *c);
/*
 * The registry as reasons name it: its host, or with an endpoint
 * "ENDPOINT (endpoint of HOST)". Every err->reason begins with it.
 */
const char *oci_name(const struct oci_client *c);

/* An absolute CLOCK_MONOTONIC time ms from now: the deadline of a call. */
struct timespec oci_deadline_in(long ms);

/*
 * Every call below stops by deadline (CLOCK_MONOTONIC). repo is the path
 * in the registry ("library/nginx"); ref a tag or "sha256:<hex>".
 * Returns OCI_OK, or the category of err.
 */

/* The digest of ref's manifest: HEAD, then GET when HEAD names none. */
enum oci_category oci_resolve(struct oci_client *c, const char *repo, const char *ref,
			      struct timespec deadline, char digest[OCI_DIGEST_MAX],
			      struct oci_error *err);
/* ref's manifest or index; by digest, the bytes are checked against it. */
enum oci_category oci_manifest(struct oci_client *c, const char *repo, const char *ref,
			       struct timespec deadline, struct oci_content *out,
			       struct oci_error *err);
/* A blob of exactly size bytes with that digest; size above max is refused unasked. */
enum oci_category oci_blob(struct oci_client *c, const char *repo, const char *digest, size_t size,
			   size_t max, struct timespec deadline, struct oci_content *out,
			   struct oci_error *err);
/*
 * The referrers index of digest, filtered by artifact_type (NULL: all);
 * OCI_NOT_SUPPORTED when the registry has no referrers API (404), so the
 * caller falls back to the tag "sha256-<hex>". When out->filtered is
 * false the caller filters the index itself. A list the registry pages
 * (Link: <...>; rel="next") is read whole, at most OCI_REFERRERS_PAGES
 * pages and max_manifest bytes in all, each page from the registry
 * itself, and handed back as one index (out->digest is then "").
 */
enum oci_category oci_referrers(struct oci_client *c, const char *repo, const char *digest,
				const char *artifact_type, struct timespec deadline,
				struct oci_content *out, struct oci_error *err);
void oci_content_free(struct oci_content *ct);

/*
 * Every HTTP request a client sends (to a registry, its token realm or a
 * blob redirect) is reported to the observer, if one is set: the host
 * asked (host[:port] as in the URL), how long it took, and OCI_OK when an
 * answer came (whatever its status) or the failure's category. Called on
 * the calling thread; set once, before any client is used.
 */
typedef void (*oci_observer)(const char *host, double seconds, enum oci_category cat);
void oci_observe(oci_observer fn);

/* ---- parsers, exposed for the unit tests and fuzz targets ---- */

/* One challenge of a WWW-Authenticate header (RFC 7235). */
struct oci_challenge {
	char *scheme;  /* as sent; compare case-insensitively */
	char *token68; /* "Negotiate abc=="-style credentials, else NULL */
	size_t nparams;
	struct {
		char *name;  /* lower-cased */
		char *value; /* unquoted, escapes removed */
	} params[16];
};

struct oci_challenges {
	size_t n;
	struct oci_challenge list[8];
};

/*
 * Appends the challenges of one WWW-Authenticate header value (len bytes,
 * no NUL needed) to out. Returns 0, or -1 with why (out keeps the earlier
 * headers' challenges); a parameter named twice in one challenge is an
 * error, as RFC 7235 forbids it.
 */
int oci_challenges_parse(const char *text, size_t len, struct oci_challenges *out, char *why,
			 size_t whylen);
/* The value of parameter name (lower-case) of ch, or NULL. */
const char *oci_challenge_param(const struct oci_challenge *ch, const char *name);
void oci_challenges_free(struct oci_challenges *cs);

/*
 * The URI-Reference of the first link with relation type "next" in one
 * Link header value (RFC 8288; len bytes, no NUL needed), malloc'd into
 * *uri, as written (relative or absolute). Returns 1, 0 when there is
 * none, or -1 with why when the value is malformed.
 */
int oci_link_next(const char *text, size_t len, char **uri, char *why, size_t whylen);

struct oci_credentials {
	char *username;
	char *password;
};

/*
 * The credentials for host in a docker config JSON (~/.docker/config.json:
 * auths.{host}.auth, base64 "user:pass", or username and password; keys
 * may be written "https://host/v1/"). Returns 1 and fills creds, 0 when
 * the file has none for host, or -1 with why.
 */
int oci_docker_config_parse(const char *json, size_t len, const char *host,
			    struct oci_credentials *creds, char *why, size_t whylen);
void oci_credentials_free(struct oci_credentials *creds);

#endif
