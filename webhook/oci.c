/*
 * oci.c: an OCI distribution (registry API v2) client over libcurl,
 * loaded with dlopen (libcurl.c) like the audit's cluster client.
 *
 * What the image-signature policy needs of a registry, and nothing that
 * lets a registry make admitd wait, fill its memory or leak credentials:
 *   - every request is bounded by its own timeout and by the caller's
 *     absolute deadline, and every body by a size cap checked as bytes
 *     arrive (Content-Length first, then the bytes themselves);
 *   - content is hashed while it arrives and compared with the digest it
 *     was asked by;
 *   - libcurl follows no redirect: blob redirects (to a CDN or a storage
 *     bucket) are followed here, at most OCI_HOPS, only to the registry
 *     itself or to configured hosts over HTTPS, and the registry's
 *     Authorization goes to the registry only;
 *   - a token realm is used only on those same hosts.
 * Auth is the distribution token flow: anonymous first, then what a 401's
 * WWW-Authenticate asks for (a Bearer token, fetched with the configured
 * credentials and cached per scope until it expires, or Basic).
 */
#include "oci.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "libcurl.h"
#include "readall.h"

#define OCI_HOPS        3  /* blob redirects followed */
#define OCI_TOKENS      16 /* cached tokens (scopes) per registry */
#define OCI_TOKEN_BODY  (64u << 10)
#define OCI_ERROR_BODY  (64u << 10) /* an error answer: read for its message only */
#define OCI_TOKEN_TTL   60 /* seconds, when the token server names none (the spec's default) */
#define OCI_TOKEN_SLACK 10 /* seconds: a token is not sent that close to its expiry */

static const char *const oci_category_names[] = {
	[OCI_OK] = "ok",
	[OCI_UNREACHABLE] = "unreachable",
	[OCI_TIMEOUT] = "timeout",
	[OCI_TOO_LARGE] = "too large",
	[OCI_AUTH_REFUSED] = "auth refused",
	[OCI_NOT_FOUND] = "not found",
	[OCI_BAD_DIGEST] = "bad digest",
	[OCI_PROTOCOL] = "protocol error",
	[OCI_NOT_SUPPORTED] = "not supported",
	[OCI_INTERNAL] = "internal error",
};

/* Every manifest and index type: the registry picks among them. */
static const char *const oci_manifest_types[] = {
	OCI_MT_MANIFEST,
	OCI_MT_INDEX,
	OCI_MT_DOCKER,
	OCI_MT_DOCKER_LIST,
};
static const char oci_accept_manifests[] =
	"Accept: " OCI_MT_MANIFEST ", " OCI_MT_INDEX ", " OCI_MT_DOCKER ", " OCI_MT_DOCKER_LIST;

/* The digest algorithms of the OCI image spec. */
static const struct {
	const char *name;
	size_t hexlen;
	const EVP_MD *(*md)(void);
} oci_algorithms[] = {
	{"sha256", 64, EVP_sha256},
	{"sha512", 128, EVP_sha512},
};

/* Image references name Docker Hub docker.io; its API is elsewhere. */
static const struct {
	const char *host, *api;
} oci_api_hosts[] = {
	{"docker.io", "registry-1.docker.io"},
};

struct oci_token {
	char *scope;
	char *header; /* "Authorization: Bearer ..." */
	struct timespec expires;
};

struct oci_client {
	pthread_mutex_t lock; /* one request at a time on the handle */
	const struct libcurl_api *lc;
	CURL *curl;
	char *host;     /* as configured, lower-cased: the images' registry, for docker config */
	char *endpoint; /* the host[:port] asked, lower-cased: endpoint, API host or host */
	char *name;     /* for reasons: host, or "ENDPOINT (endpoint of HOST)" */
	char *base;     /* scheme://endpoint, no trailing slash */
	char *origin;   /* scheme://host:port of base, the port always written */
	char *extra[OCI_EXTRA_HOSTS_MAX]; /* "https://host:port" */
	size_t nextra;
	bool insecure_http;
	long timeout_ms;
	size_t max_manifest;
	char *basic;      /* "Authorization: Basic ...", NULL without credentials */
	bool basic_asked; /* the registry answered a Basic challenge: send it at once */
	struct oci_token tokens[OCI_TOKENS];
};

/* One call (resolve, manifest, blob, referrers): its context for requests and reasons. */
struct oci_call {
	struct oci_client *c;
	char what[256];  /* "manifest acme/app:1.0" */
	char scope[300]; /* "repository:acme/app:pull" */
	struct timespec deadline;
	struct oci_error *err;
	const char *auth; /* the Authorization header line the registry took, or NULL */
	long status;
};

/* A response body: capped, hashed as it comes, kept when asked. */
struct oci_body {
	unsigned char *data;
	size_t len, alloc, cap;
	bool keep, over;
	EVP_MD_CTX *md;
	int algo; /* index in oci_algorithms, -1: not hashed */
	const struct libcurl_api *lc;
	CURL *curl; /* to tell content (200) from an error's explanation */
};

const char *oci_category_name(enum oci_category cat)
{
	if ((size_t)cat >= sizeof(oci_category_names) / sizeof(oci_category_names[0]))
		return "unknown";
	return oci_category_names[cat];
}

static void oci_set_error(struct oci_error *err, enum oci_category cat, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void oci_set_error(struct oci_error *err, enum oci_category cat, const char *fmt, ...)
{
	va_list ap;
	err->category = cat;
	va_start(ap, fmt);
	vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
	va_end(ap);
}

static enum oci_category oci_fail(struct oci_call *k, enum oci_category cat, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "host: what: detail" into k->err; returns cat. */
static enum oci_category oci_fail(struct oci_call *k, enum oci_category cat, const char *fmt, ...)
{
	char detail[384];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	oci_set_error(k->err, cat, "%s: %s: %s", k->c->name, k->what, detail);
	return cat;
}

/* ---- WWW-Authenticate (RFC 7235 section 2.1, RFC 9110 section 11) ---- */

static bool oci_tchar(unsigned char ch)
{
	return isalnum(ch) || (ch != '\0' && strchr("!#$%&'*+-.^_`|~", ch) != NULL);
}

static bool oci_token68_char(unsigned char ch)
{
	return isalnum(ch) || (ch != '\0' && strchr("-._~+/", ch) != NULL);
}

static const char *oci_skip_ows(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static char *oci_strndup_lower(const char *s, size_t n, bool lower)
{
	char *d = malloc(n + 1);
	if (d == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		d[i] = lower ? (char)tolower((unsigned char)s[i]) : s[i];
	d[n] = '\0';
	return d;
}

/* A quoted-string at *pp ('"' included): its value, escapes removed; NULL on error. */
static char *oci_quoted(const char **pp, const char *e, const char **why)
{
	const char *p = *pp + 1;
	char *v = malloc((size_t)(e - p) + 1);
	size_t n = 0;
	if (v == NULL) {
		*why = "out of memory";
		return NULL;
	}
	for (; p < e; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '"') {
			v[n] = '\0';
			*pp = p + 1;
			return v;
		}
		if (ch == '\\') {
			if (++p == e)
				break;
			ch = (unsigned char)*p;
		}
		/* qdtext and quoted-pair: HTAB, SP, VCHAR, obs-text; no controls */
		if (ch != '\t' && (ch < 0x20 || ch == 0x7f)) {
			free(v);
			*why = "a control character in a quoted string";
			return NULL;
		}
		v[n++] = (char)ch;
	}
	free(v);
	*why = "a quoted string is not closed";
	return NULL;
}

/* Whether a token68 ("abc==") stands at p, ending the challenge (end or ','). */
static const char *oci_token68_end(const char *p, const char *e)
{
	const char *q = p;
	while (q < e && oci_token68_char((unsigned char)*q))
		q++;
	if (q == p)
		return NULL;
	while (q < e && *q == '=')
		q++;
	const char *r = oci_skip_ows(q, e);
	return r == e || *r == ',' ? q : NULL;
}

static void oci_challenge_free(struct oci_challenge *ch)
{
	free(ch->scheme);
	free(ch->token68);
	for (size_t i = 0; i < ch->nparams; i++) {
		free(ch->params[i].name);
		free(ch->params[i].value);
	}
	memset(ch, 0, sizeof(*ch));
}

/* name=value at *pp into ch; 1 done, 0 when *pp is not a parameter (a new challenge). */
static int oci_auth_param(const char **pp, const char *e, struct oci_challenge *ch,
			  const char **why)
{
	const char *p = *pp, *name = p;
	while (p < e && oci_tchar((unsigned char)*p))
		p++;
	size_t namelen = (size_t)(p - name);
	p = oci_skip_ows(p, e);
	if (namelen == 0 || p == e || *p != '=')
		return 0;
	p = oci_skip_ows(p + 1, e);
	char *value;
	if (p < e && *p == '"') {
		value = oci_quoted(&p, e, why);
		if (value == NULL)
			return -1;
	} else {
		const char *v = p;
		while (p < e && oci_tchar((unsigned char)*p))
			p++;
		if (p == v) {
			*why = "a parameter without a value";
			return -1;
		}
		value = oci_strndup_lower(v, (size_t)(p - v), false);
		if (value == NULL) {
			*why = "out of memory";
			return -1;
		}
	}
	char *lname = oci_strndup_lower(name, namelen, true);
	if (lname == NULL || ch->nparams == sizeof(ch->params) / sizeof(ch->params[0]) ||
	    oci_challenge_param(ch, lname) != NULL) {
		*why = lname == NULL ? "out of memory"
		       : ch->nparams == sizeof(ch->params) / sizeof(ch->params[0])
			       ? "more than 16 parameters in a challenge"
			       : "a parameter named twice in a challenge";
		free(lname);
		free(value);
		return -1;
	}
	ch->params[ch->nparams].name = lname;
	ch->params[ch->nparams].value = value;
	ch->nparams++;
	*pp = p;
	return 1;
}

/*
 * challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ], and the
 * header is a comma-separated list of them: after a parameter, a comma
 * followed by a token that is not "name=" starts the next challenge.
 */
int oci_challenges_parse(const char *text, size_t len, struct oci_challenges *out, char *why,
			 size_t whylen)
{
	const char *p = text, *e = text + len, *bad = NULL;
	size_t n0 = out->n;
	for (;;) {
		while (p < e && (*p == ' ' || *p == '\t' || *p == ','))
			p++; /* empty list elements are allowed */
		if (p == e)
			return 0;
		const char *s = p;
		while (p < e && oci_tchar((unsigned char)*p))
			p++;
		if (p == s) {
			bad = "a challenge does not start with a scheme";
			goto fail;
		}
		if (out->n == sizeof(out->list) / sizeof(out->list[0])) {
			bad = "more than 8 challenges";
			goto fail;
		}
		struct oci_challenge *ch = &out->list[out->n++];
		memset(ch, 0, sizeof(*ch));
		ch->scheme = oci_strndup_lower(s, (size_t)(p - s), false);
		if (ch->scheme == NULL) {
			bad = "out of memory";
			goto fail;
		}
		const char *q = oci_skip_ows(p, e);
		if (q == e || *q == ',') {
			p = q;
			continue;
		}
		if (q == p || *p != ' ') {
			bad = "no space after the scheme";
			goto fail;
		}
		p = q;
		const char *t68 = oci_token68_end(p, e);
		if (t68 != NULL) {
			ch->token68 = oci_strndup_lower(p, (size_t)(t68 - p), false);
			if (ch->token68 == NULL) {
				bad = "out of memory";
				goto fail;
			}
			p = t68;
			continue;
		}
		for (;;) {
			int r = oci_auth_param(&p, e, ch, &bad);
			if (r < 0)
				goto fail;
			if (r == 0) {
				if (ch->nparams == 0) {
					bad = "a challenge's parameters cannot be read";
					goto fail;
				}
				break; /* the next challenge's scheme */
			}
			p = oci_skip_ows(p, e);
			if (p == e)
				return 0;
			if (*p != ',') {
				bad = "parameters not separated by a comma";
				goto fail;
			}
			while (p < e && (*p == ' ' || *p == '\t' || *p == ','))
				p++;
			if (p == e)
				return 0;
		}
	}
fail:
	while (out->n > n0)
		oci_challenge_free(&out->list[--out->n]);
	snprintf(why, whylen, "%s", bad);
	return -1;
}

const char *oci_challenge_param(const struct oci_challenge *ch, const char *name)
{
	for (size_t i = 0; i < ch->nparams; i++)
		if (strcmp(ch->params[i].name, name) == 0)
			return ch->params[i].value;
	return NULL;
}

void oci_challenges_free(struct oci_challenges *cs)
{
	for (size_t i = 0; i < cs->n; i++)
		oci_challenge_free(&cs->list[i]);
	cs->n = 0;
}

/* ---- Link (RFC 8288 section 3): the next page of a referrers list ---- */

/*
 * link-value = "<" URI-Reference ">" *( OWS ";" OWS link-param ), and the
 * header is a comma-separated list of them; link-param = token BWS [ "="
 * BWS ( token / quoted-string ) ]. rel is a space-separated list of
 * relation types (case-insensitive); only its first occurrence counts.
 */
int oci_link_next(const char *text, size_t len, char **uri, char *why, size_t whylen)
{
	const char *p = text, *e = text + len, *bad = NULL;
	*uri = NULL;
	for (;;) {
		while (p < e && (*p == ' ' || *p == '\t' || *p == ','))
			p++; /* empty list elements are allowed */
		if (p == e)
			return 0;
		if (*p != '<') {
			bad = "a link does not start with <URI>";
			goto fail;
		}
		const char *u = ++p;
		while (p < e && *p != '>') {
			if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
				bad = "a space or control character in a link's URI";
				goto fail;
			}
			p++;
		}
		if (p == e || p == u) {
			bad = p == e ? "a link's <URI> is not closed" : "a link with an empty URI";
			goto fail;
		}
		const char *uend = p++;
		bool next = false, rel_seen = false;
		for (;;) {
			p = oci_skip_ows(p, e);
			if (p == e || *p == ',')
				break;
			if (*p != ';') {
				bad = "a link's parameters are not separated by ';'";
				goto fail;
			}
			p = oci_skip_ows(p + 1, e);
			const char *name = p;
			while (p < e && oci_tchar((unsigned char)*p))
				p++;
			size_t namelen = (size_t)(p - name);
			if (namelen == 0) {
				bad = "a link parameter without a name";
				goto fail;
			}
			p = oci_skip_ows(p, e);
			char *value = NULL;
			if (p < e && *p == '=') {
				p = oci_skip_ows(p + 1, e);
				if (p < e && *p == '"') {
					if ((value = oci_quoted(&p, e, &bad)) == NULL)
						goto fail;
				} else {
					const char *v = p;
					while (p < e && oci_tchar((unsigned char)*p))
						p++;
					if (p == v) {
						bad = "a link parameter without a value";
						goto fail;
					}
					if ((value = oci_strndup_lower(v, (size_t)(p - v),
								       false)) == NULL) {
						bad = "out of memory";
						goto fail;
					}
				}
			}
			if (namelen == 3 && strncasecmp(name, "rel", 3) == 0 && !rel_seen &&
			    value != NULL) {
				rel_seen = true;
				for (char *save = NULL, *t = strtok_r(value, " \t", &save);
				     t != NULL; t = strtok_r(NULL, " \t", &save))
					next = next || strcasecmp(t, "next") == 0;
			}
			free(value);
		}
		if (next) {
			if ((*uri = oci_strndup_lower(u, (size_t)(uend - u), false)) == NULL) {
				bad = "out of memory";
				goto fail;
			}
			return 1;
		}
	}
fail:
	snprintf(why, whylen, "%s", bad);
	return -1;
}

/* ---- docker config ---- */

/* "https://Host:5000/v1/" -> "host:5000"; into buf. */
static void oci_auths_key(const char *key, char *buf, size_t buflen)
{
	if (strncasecmp(key, "https://", 8) == 0)
		key += 8;
	else if (strncasecmp(key, "http://", 7) == 0)
		key += 7;
	size_t n = strcspn(key, "/");
	if (n >= buflen)
		n = buflen - 1;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)key[i]);
	buf[n] = '\0';
}

/* The auths entry for host: its exact key first, then keys written as URLs. */
static json_t *oci_auths_entry(json_t *auths, const char *host)
{
	json_t *v = json_object_get(auths, host);
	if (v != NULL)
		return v;
	/* Docker Hub's credentials are kept under https://index.docker.io/v1/ */
	const char *hub = strcmp(host, "docker.io") == 0 ? "index.docker.io" : NULL;
	const char *key;
	json_object_foreach(auths, key, v)
	{
		char k[256];
		oci_auths_key(key, k, sizeof(k));
		if (strcasecmp(k, host) == 0 || (hub != NULL && strcmp(k, hub) == 0))
			return v;
	}
	return NULL;
}

/* base64 -> NUL-terminated bytes, with OpenSSL's decoder; NULL when invalid. */
static char *oci_unbase64(const char *in, size_t *outlen)
{
	size_t inlen = strlen(in);
	if (inlen > INT32_MAX)
		return NULL;
	char *out = malloc(inlen / 4 * 3 + 4);
	EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
	int n1 = 0, n2 = 0, rc = -1;
	if (out != NULL && ctx != NULL) {
		EVP_DecodeInit(ctx);
		rc = EVP_DecodeUpdate(ctx, (unsigned char *)out, &n1, (const unsigned char *)in,
				      (int)inlen);
		if (rc >= 0)
			rc = EVP_DecodeFinal(ctx, (unsigned char *)out + n1, &n2);
	}
	EVP_ENCODE_CTX_free(ctx);
	if (rc < 0) {
		free(out);
		return NULL;
	}
	*outlen = (size_t)(n1 + n2);
	out[*outlen] = '\0';
	return out;
}

int oci_docker_config_parse(const char *json, size_t len, const char *host,
			    struct oci_credentials *creds, char *why, size_t whylen)
{
	json_error_t jerr;
	memset(creds, 0, sizeof(*creds));
	json_t *doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		snprintf(why, whylen, "invalid JSON at line %d: %s", jerr.line, jerr.text);
		return -1;
	}
	int rc = -1;
	json_t *entry =
		json_is_object(doc) ? oci_auths_entry(json_object_get(doc, "auths"), host) : NULL;
	if (!json_is_object(doc)) {
		snprintf(why, whylen, "not a JSON object");
		goto out;
	}
	if (entry == NULL) {
		/* a helper program holds them: say so rather than go anonymous unawares */
		if (oci_auths_entry(json_object_get(doc, "credHelpers"), host) != NULL) {
			snprintf(why, whylen,
				 "credHelpers names a helper program for %s: not supported, "
				 "write auths.%s",
				 host, host);
			goto out;
		}
		rc = 0;
		goto out;
	}
	const char *auth = json_string_value(json_object_get(entry, "auth"));
	const char *user = json_string_value(json_object_get(entry, "username"));
	const char *pass = json_string_value(json_object_get(entry, "password"));
	if (auth != NULL && auth[0] != '\0') {
		size_t n;
		char *plain = oci_unbase64(auth, &n);
		char *colon = plain != NULL ? memchr(plain, ':', n) : NULL;
		if (plain == NULL || colon == NULL || colon == plain || strlen(plain) != n) {
			snprintf(why, whylen, "auths.%s.auth is not base64 of user:password", host);
			free(plain);
			goto out;
		}
		creds->username = oci_strndup_lower(plain, (size_t)(colon - plain), false);
		creds->password = strdup(colon + 1);
		free(plain);
	} else if (user != NULL && user[0] != '\0' && pass != NULL) {
		creds->username = strdup(user);
		creds->password = strdup(pass);
	} else {
		snprintf(why, whylen, "auths.%s has neither auth nor username and password%s", host,
			 json_object_get(entry, "identitytoken") != NULL
				 ? " (identitytoken is not supported)"
				 : "");
		goto out;
	}
	if (creds->username == NULL || creds->password == NULL) {
		oci_credentials_free(creds);
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	rc = 1;
out:
	json_decref(doc);
	return rc;
}

void oci_credentials_free(struct oci_credentials *creds)
{
	free(creds->username);
	free(creds->password);
	creds->username = creds->password = NULL;
}

/* ---- names ---- */

/* A repository path: components of [a-z0-9] runs joined by '.', '_', '__' or '-'+. */
static bool oci_valid_repo(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 255)
		return false;
	for (const char *p = s;;) {
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p))
			return false;
		while (islower((unsigned char)*p) || isdigit((unsigned char)*p))
			p++;
		if (*p == '\0')
			return true;
		if (*p == '/' || *p == '.')
			p++;
		else if (*p == '_')
			p += p[1] == '_' ? 2 : 1;
		else if (*p == '-')
			p += strspn(p, "-");
		else
			return false;
	}
}

static bool oci_valid_tag(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 128 || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && strchr("._-", s[i]) == NULL)
			return false;
	return true;
}

/* The algorithm of "sha256:<hex>" (lower-case hex of the right length), or -1. */
static int oci_digest_algorithm(const char *d)
{
	for (size_t i = 0; i < sizeof(oci_algorithms) / sizeof(oci_algorithms[0]); i++) {
		size_t an = strlen(oci_algorithms[i].name);
		if (strncmp(d, oci_algorithms[i].name, an) != 0 || d[an] != ':')
			continue;
		const char *h = d + an + 1;
		if (strlen(h) != oci_algorithms[i].hexlen ||
		    strspn(h, "0123456789abcdef") != oci_algorithms[i].hexlen)
			return -1;
		return (int)i;
	}
	return -1;
}

/* ---- configuration ---- */

/* Whether host (without port) is loopback: localhost, 127.0.0.0/8, ::1. */
static bool oci_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char h[64];
	size_t n = strlen(host);
	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (n >= 2 && n < sizeof(h) + 2 && host[0] == '[' && host[n - 1] == ']') {
		memcpy(h, host + 1, n - 2);
		h[n - 2] = '\0';
		return inet_pton(AF_INET6, h, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	}
	return inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

/*
 * url's origin, "scheme://host:port" with the port always written, into
 * *out (malloc'd); host_only, when not NULL, gets the host. -1 when
 * libcurl cannot parse it.
 */
static int oci_origin(const struct libcurl_api *lc, const char *url, char **out, char **host_only)
{
	CURLU *u = lc->url();
	char *scheme = NULL, *host = NULL, *port = NULL;
	int rc = -1;
	if (u == NULL || lc->url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    lc->url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    lc->url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    lc->url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	for (char *p = host; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (asprintf(out, "%s://%s:%s", scheme, host, port) < 0)
		goto out;
	if (host_only != NULL && (*host_only = strdup(host)) == NULL) {
		free(*out);
		goto out;
	}
	rc = 0;
out:
	lc->free(scheme);
	lc->free(host);
	lc->free(port);
	if (u != NULL)
		lc->url_cleanup(u);
	return rc;
}

static void oci_tokens_clear(struct oci_client *c)
{
	for (size_t i = 0; i < OCI_TOKENS; i++) {
		free(c->tokens[i].scope);
		free(c->tokens[i].header);
		memset(&c->tokens[i], 0, sizeof(c->tokens[i]));
	}
}

void oci_close(struct oci_client *c)
{
	if (c == NULL)
		return;
	if (c->curl != NULL)
		c->lc->easy_cleanup(c->curl);
	oci_tokens_clear(c);
	free(c->host);
	free(c->endpoint);
	free(c->name);
	free(c->base);
	free(c->origin);
	for (size_t i = 0; i < c->nextra; i++)
		free(c->extra[i]);
	if (c->basic != NULL)
		OPENSSL_clear_free(c->basic, strlen(c->basic));
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* "Authorization: Basic base64(user:pass)" for the configured credentials. */
static char *oci_basic_header(const struct oci_credentials *cr)
{
	char *plain = NULL, *hdr = NULL;
	int n = asprintf(&plain, "%s:%s", cr->username, cr->password);
	if (n < 0 || n > (1 << 16))
		goto out;
	size_t prefix = strlen("Authorization: Basic ");
	hdr = malloc(prefix + ((size_t)n + 2) / 3 * 4 + 1);
	if (hdr == NULL)
		goto out;
	memcpy(hdr, "Authorization: Basic ", prefix);
	EVP_EncodeBlock((unsigned char *)hdr + prefix, (const unsigned char *)plain, n);
out:
	if (plain != NULL)
		OPENSSL_clear_free(plain, strlen(plain));
	return hdr;
}

/*
 * The credentials of the docker config at path: its entry for the
 * endpoint asked, else the registry's own (a mirror that takes the
 * registry's account, an API under another name); none: anonymous.
 */
static int oci_load_credentials(struct oci_client *c, const char *path, bool endpoint,
				struct oci_error *err)
{
	char *text = NULL, why[256];
	size_t len;
	struct oci_credentials cr;
	if (readall_file(path, OCI_DOCKER_CONFIG_MAX, &text, &len, why, sizeof(why)) < 0) {
		oci_set_error(err, OCI_INTERNAL, "%s: credentials %s: %s", c->name, path, why);
		return -1;
	}
	int found = 0;
	if (endpoint)
		found = oci_docker_config_parse(text, len, c->endpoint, &cr, why, sizeof(why));
	if (found == 0)
		found = oci_docker_config_parse(text, len, c->host, &cr, why, sizeof(why));
	OPENSSL_clear_free(text, len);
	if (found < 0) {
		oci_set_error(err, OCI_INTERNAL, "%s: credentials %s: %s", c->name, path, why);
		return -1;
	}
	if (found == 0)
		return 0; /* none for this registry: anonymous */
	c->basic = oci_basic_header(&cr);
	OPENSSL_cleanse(cr.password, strlen(cr.password));
	oci_credentials_free(&cr);
	if (c->basic == NULL) {
		oci_set_error(err, OCI_INTERNAL, "%s: credentials %s: out of memory", c->name,
			      path);
		return -1;
	}
	return 0;
}

/* c->endpoint and c->name: the host asked, and how reasons name the registry. */
static int oci_name_endpoint(struct oci_client *c, const struct oci_config *cfg,
			     struct oci_error *err)
{
	const char *api = c->host;
	for (size_t i = 0; i < sizeof(oci_api_hosts) / sizeof(oci_api_hosts[0]); i++)
		if (strcmp(c->host, oci_api_hosts[i].host) == 0)
			api = oci_api_hosts[i].api;
	bool own = cfg->endpoint != NULL && cfg->endpoint[0] != '\0';
	if (own)
		api = cfg->endpoint;
	c->endpoint = oci_strndup_lower(api, strlen(api), true);
	if (c->endpoint == NULL ||
	    (own ? asprintf(&c->name, "%s (endpoint of %s)", c->endpoint, c->host)
		 : asprintf(&c->name, "%s", c->host)) < 0) {
		c->name = NULL;
		oci_set_error(err, OCI_INTERNAL, "out of memory");
		return -1;
	}
	if (own && strpbrk(c->endpoint, "/?#@ ") != NULL) {
		oci_set_error(err, OCI_INTERNAL,
			      "registry %s: endpoint \"%s\" is not a host[:port]", c->host,
			      cfg->endpoint);
		return -1;
	}
	return 0;
}

static int oci_configure(struct oci_client *c, const struct oci_config *cfg, struct oci_error *err)
{
	char why[256];
	if (oci_name_endpoint(c, cfg, err) < 0)
		return -1;
	c->lc = libcurl_load("the registry client", why, sizeof(why));
	if (c->lc == NULL) {
		oci_set_error(err, OCI_INTERNAL, "%s: %s", c->name, why);
		return -1;
	}
	char *hostname = NULL;
	if (strpbrk(c->host, "/?#@ ") != NULL ||
	    asprintf(&c->base, "%s://%s", cfg->insecure_http ? "http" : "https", c->endpoint) < 0 ||
	    oci_origin(c->lc, c->base, &c->origin, &hostname) < 0) {
		oci_set_error(err, OCI_INTERNAL, "registry \"%s\": not a host[:port]", c->name);
		return -1;
	}
	bool loop = oci_loopback(hostname);
	free(hostname);
	if (cfg->insecure_http && !loop) {
		/* the endpoint is what is asked: plain HTTP never leaves this machine */
		oci_set_error(err, OCI_INTERNAL,
			      "registry %s: insecure_http is allowed for loopback hosts only "
			      "(localhost, 127.0.0.0/8, [::1])",
			      c->name);
		return -1;
	}
	c->insecure_http = cfg->insecure_http;
	for (size_t i = 0; i < cfg->n_extra_hosts && i < OCI_EXTRA_HOSTS_MAX; i++) {
		char *url = NULL;
		const char *h = cfg->extra_hosts[i];
		if (h == NULL || h[0] == '\0' || strpbrk(h, "/?#@ ") != NULL ||
		    asprintf(&url, "https://%s", h) < 0 ||
		    oci_origin(c->lc, url, &c->extra[c->nextra], NULL) < 0) {
			free(url);
			oci_set_error(err, OCI_INTERNAL,
				      "registry %s: extra host \"%s\" is not a host[:port]",
				      c->name, h ? h : "");
			return -1;
		}
		free(url);
		c->nextra++;
	}
	if (cfg->n_extra_hosts > OCI_EXTRA_HOSTS_MAX) {
		oci_set_error(err, OCI_INTERNAL, "registry %s: more than %d extra hosts", c->name,
			      OCI_EXTRA_HOSTS_MAX);
		return -1;
	}
	c->timeout_ms = cfg->request_timeout_ms > 0 ? cfg->request_timeout_ms : OCI_TIMEOUT_DEFAULT;
	c->max_manifest = cfg->max_manifest > 0 ? cfg->max_manifest : OCI_MANIFEST_MAX;
	if (cfg->docker_config != NULL &&
	    oci_load_credentials(c, cfg->docker_config,
				 cfg->endpoint != NULL && cfg->endpoint[0] != '\0', err) < 0)
		return -1;

	c->curl = c->lc->easy_init();
	if (c->curl == NULL) {
		oci_set_error(err, OCI_INTERNAL, "%s: curl_easy_init failed", c->name);
		return -1;
	}
	CURL *h = c->curl;
	c->lc->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	/* plain HTTP only where insecure_http allows it: never for a redirect elsewhere */
	c->lc->easy_setopt(h, CURLOPT_PROTOCOLS_STR, c->insecure_http ? "http,https" : "https");
	c->lc->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	c->lc->easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	c->lc->easy_setopt(h, CURLOPT_USERAGENT, "admitd");
	if (cfg->ca_file != NULL && cfg->ca_file[0] != '\0')
		c->lc->easy_setopt(h, CURLOPT_CAINFO, cfg->ca_file);
	return 0;
}

const char *oci_endpoint(const struct oci_client *c)
{
	return c->endpoint;
}

const char *oci_name(const struct oci_client *c)
{
	return c->name;
}

struct oci_client *oci_open(const struct oci_config *cfg, struct oci_error *err)
{
	memset(err, 0, sizeof(*err));
	struct oci_client *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		oci_set_error(err, OCI_INTERNAL, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	if (cfg->host == NULL || cfg->host[0] == '\0') {
		oci_set_error(err, OCI_INTERNAL, "a registry without a host");
		goto fail;
	}
	c->host = oci_strndup_lower(cfg->host, strlen(cfg->host), true);
	if (c->host == NULL) {
		oci_set_error(err, OCI_INTERNAL, "out of memory");
		goto fail;
	}
	if (oci_configure(c, cfg, err) < 0)
		goto fail;
	return c;
fail:
	oci_close(c);
	return NULL;
}

/* ---- requests ---- */

struct timespec oci_deadline_in(long ms)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (ms % 1000) * 1000000L;
	/* a past deadline (ms < 0) too must be a valid timespec for pthread_mutex_clocklock */
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	} else if (t.tv_nsec < 0) {
		t.tv_sec--;
		t.tv_nsec += 1000000000L;
	}
	return t;
}

/* Milliseconds from now until t (negative when past). */
static long oci_ms_until(struct timespec t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(t.tv_sec - now.tv_sec) * 1000 + (t.tv_nsec - now.tv_nsec) / 1000000L;
}

static size_t oci_receive(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct oci_body *b = ud;
	size_t n = size * nmemb;
	long status = 0;
	b->lc->easy_getinfo(b->curl, CURLINFO_RESPONSE_CODE, &status);
	/* an error's explanation is kept for the reason, hashed never, capped apart */
	bool content = status == 200;
	size_t cap = content ? b->cap : OCI_ERROR_BODY;
	if (n > cap - b->len) {
		b->over = true;
		return 0; /* aborts the transfer: nothing past the cap is read */
	}
	if (content && b->md != NULL && EVP_DigestUpdate(b->md, ptr, n) != 1)
		return 0;
	if (b->keep || !content) {
		if (b->len + n + 1 > b->alloc) {
			size_t want = b->alloc ? b->alloc : 16384;
			while (want < b->len + n + 1)
				want *= 2;
			if (want > cap + 1)
				want = cap + 1;
			unsigned char *m = realloc(b->data, want);
			if (m == NULL)
				return 0;
			b->data = m;
			b->alloc = want;
		}
		memcpy(b->data + b->len, ptr, n);
		b->data[b->len + n] = '\0';
	}
	b->len += n;
	return n;
}

/* Empties b for another request (a retry after a 401, a redirect). */
static int oci_body_reset(struct oci_body *b)
{
	b->len = 0;
	b->over = false;
	if (b->data != NULL)
		b->data[0] = '\0';
	return b->md == NULL || EVP_DigestInit_ex(b->md, oci_algorithms[b->algo].md(), NULL) == 1
		       ? 0
		       : -1;
}

static int oci_body_init(struct oci_body *b, size_t cap, bool keep, int algo)
{
	memset(b, 0, sizeof(*b));
	b->cap = cap;
	b->keep = keep;
	b->algo = algo;
	if (algo >= 0 && (b->md = EVP_MD_CTX_new()) == NULL)
		return -1;
	return oci_body_reset(b);
}

static void oci_body_free(struct oci_body *b)
{
	free(b->data);
	EVP_MD_CTX_free(b->md);
	memset(b, 0, sizeof(*b));
}

/* "algo:hex" of what b hashed, into out. */
static void oci_body_digest(struct oci_body *b, char out[OCI_DIGEST_MAX])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	static const char hex[] = "0123456789abcdef";
	int w = snprintf(out, OCI_DIGEST_MAX, "%s:", oci_algorithms[b->algo].name);
	EVP_DigestFinal_ex(b->md, md, &n);
	for (unsigned int i = 0; i < n && (size_t)w + 2 * i + 2 < OCI_DIGEST_MAX; i++) {
		out[w + 2 * i] = hex[md[i] >> 4];
		out[w + 2 * i + 1] = hex[md[i] & 15];
		out[w + 2 * i + 2] = '\0';
	}
}

/* The value of header name in the last response, or NULL. */
static const char *oci_header(struct oci_client *c, const char *name)
{
	struct curl_header *h = NULL;
	if (c->lc->easy_header(c->curl, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
		return NULL;
	return h->value;
}

/* Which transport failures mean "no answer" rather than "a wrong answer". */
static const CURLcode oci_unreachable_codes[] = {
	CURLE_COULDNT_RESOLVE_PROXY,
	CURLE_COULDNT_RESOLVE_HOST,
	CURLE_COULDNT_CONNECT,
	CURLE_SSL_CONNECT_ERROR,
	CURLE_PEER_FAILED_VERIFICATION,
	CURLE_SSL_CACERT_BADFILE,
	CURLE_GOT_NOTHING,
	CURLE_SEND_ERROR,
	CURLE_RECV_ERROR,
	CURLE_PARTIAL_FILE,
	CURLE_HTTP2,
	CURLE_HTTP2_STREAM,
};

/* Who hears of every request (metrics); set once at start, before any worker. */
static _Atomic(oci_observer) oci_observer_fn;

void oci_observe(oci_observer fn)
{
	atomic_store(&oci_observer_fn, fn);
}

/* Tells the observer about one request to url, started at t0, ended as cat. */
static void oci_observe_request(const char *url, struct timespec t0, enum oci_category cat)
{
	oci_observer fn = atomic_load(&oci_observer_fn);
	if (fn == NULL)
		return;
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* the host[:port] of "scheme://host[:port]/path" */
	char host[256] = "";
	const char *p = strstr(url, "://");
	if (p != NULL) {
		p += 3;
		size_t n = strcspn(p, "/?#");
		if (n < sizeof(host)) {
			memcpy(host, p, n);
			host[n] = '\0';
		}
	}
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	fn(host, secs, cat);
}

/* What one easy_perform's code means: OCI_OK when an answer came (k->status set). */
static enum oci_category oci_perform_result(struct oci_call *k, CURLcode rc, long t,
					    const char *ebuf, struct oci_body *b)
{
	const char *msg = ebuf[0] != '\0' ? ebuf : k->c->lc->easy_strerror(rc);
	if (rc == CURLE_OK) {
		k->c->lc->easy_getinfo(k->c->curl, CURLINFO_RESPONSE_CODE, &k->status);
		return OCI_OK;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return oci_fail(k, OCI_TIMEOUT, "no complete answer within %ld ms%s", t,
				t < k->c->timeout_ms ? " (the caller's deadline)" : "");
	if (rc == CURLE_FILESIZE_EXCEEDED || (rc == CURLE_WRITE_ERROR && b->over)) {
		/* refused on its Content-Length, or cut once the cap was reached (chunked) */
		bool cut = rc == CURLE_WRITE_ERROR;
		b->over = true;
		return oci_fail(k, OCI_TOO_LARGE, "the answer is larger than %zu bytes: %s", b->cap,
				cut ? "cut there" : "not read");
	}
	/* libcurl's words ("transfer closed with 900 bytes remaining") do not say it plainly */
	if (rc == CURLE_PARTIAL_FILE || rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR)
		return oci_fail(k, OCI_UNREACHABLE, "the connection was dropped %s (%s)",
				rc == CURLE_GOT_NOTHING ? "without an answer"
							: "before the answer was complete",
				msg);
	for (size_t i = 0; i < sizeof(oci_unreachable_codes) / sizeof(oci_unreachable_codes[0]);
	     i++)
		if (rc == oci_unreachable_codes[i])
			return oci_fail(k, OCI_UNREACHABLE, "%s", msg);
	return oci_fail(k, OCI_PROTOCOL, "%s", msg);
}

/*
 * One HTTP request, no redirect followed, bounded by the client's timeout
 * and the call's deadline. auth is a header line or NULL. k->status gets
 * the HTTP status; returns OCI_OK when an answer came, whatever it said.
 */
static enum oci_category oci_perform(struct oci_call *k, const char *url, bool head,
				     const char *accept, const char *auth, struct oci_body *b)
{
	struct oci_client *c = k->c;
	const struct libcurl_api *lc = c->lc;
	long left = oci_ms_until(k->deadline);
	k->status = 0;
	if (left <= 0)
		return oci_fail(k, OCI_TIMEOUT, "the deadline passed before the request");
	long t = left < c->timeout_ms ? left : c->timeout_ms;
	struct curl_slist *hdr = NULL, *h2;
	if (accept != NULL) {
		if ((h2 = lc->slist_append(hdr, accept)) == NULL)
			goto oom;
		hdr = h2;
	}
	if (auth != NULL) {
		if ((h2 = lc->slist_append(hdr, auth)) == NULL)
			goto oom;
		hdr = h2;
	}
	if (oci_body_reset(b) < 0)
		goto oom;
	b->lc = lc;
	b->curl = c->curl;
	char ebuf[CURL_ERROR_SIZE] = "";
	CURL *h = c->curl;
	lc->easy_setopt(h, CURLOPT_URL, url);
	if (head)
		lc->easy_setopt(h, CURLOPT_NOBODY, 1L);
	else
		lc->easy_setopt(h, CURLOPT_HTTPGET, 1L);
	lc->easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	lc->easy_setopt(h, CURLOPT_TIMEOUT_MS, t);
	lc->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, t);
	/*
	 * a Content-Length over the cap stops the transfer before any byte of the
	 * body; a HEAD reads no body, and its Content-Length is that of the GET
	 * it stands for (a 100 KiB index), no reason to refuse it
	 */
	lc->easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
			head ? (curl_off_t)0
			     : (curl_off_t)(b->cap > OCI_ERROR_BODY ? b->cap : OCI_ERROR_BODY));
	lc->easy_setopt(h, CURLOPT_WRITEFUNCTION, oci_receive);
	lc->easy_setopt(h, CURLOPT_WRITEDATA, b);
	lc->easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CURLcode rc = lc->easy_perform(h);
	enum oci_category cat = oci_perform_result(k, rc, t, ebuf, b);
	oci_observe_request(url, t0, cat);
	lc->easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	lc->easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	lc->slist_free_all(hdr);
	return cat;
oom:
	lc->slist_free_all(hdr);
	return oci_fail(k, OCI_INTERNAL, "out of memory");
}

/* A cached token for k's scope, still valid for a while, or NULL. */
static const char *oci_token_find(struct oci_call *k)
{
	for (size_t i = 0; i < OCI_TOKENS; i++) {
		struct oci_token *t = &k->c->tokens[i];
		if (t->scope != NULL && strcmp(t->scope, k->scope) == 0) {
			if (oci_ms_until(t->expires) > OCI_TOKEN_SLACK * 1000L)
				return t->header;
			return NULL;
		}
	}
	return NULL;
}

/* Keeps header for k's scope: in its old slot, a free one, or the one expiring first. */
static const char *oci_token_store(struct oci_call *k, char *header, long ttl)
{
	struct oci_token *slot = NULL, *t;
	for (size_t i = 0; i < OCI_TOKENS; i++) {
		t = &k->c->tokens[i];
		if (t->scope != NULL && strcmp(t->scope, k->scope) == 0) {
			slot = t;
			break;
		}
		if (slot == NULL ||
		    (slot->scope != NULL &&
		     (t->scope == NULL || oci_ms_until(t->expires) < oci_ms_until(slot->expires))))
			slot = t;
	}
	char *scope = strdup(k->scope);
	if (scope == NULL) {
		free(header);
		return NULL;
	}
	free(slot->scope);
	free(slot->header);
	slot->scope = scope;
	slot->header = header;
	slot->expires = oci_deadline_in(ttl * 1000L);
	return header;
}

/*
 * Whether url may be asked: the registry's own origin, or HTTPS to an
 * extra host. *same says whether it is the registry (which alone gets
 * the registry's Authorization).
 */
static bool oci_url_allowed(struct oci_call *k, const char *url, bool *same, char *why,
			    size_t whylen)
{
	char *origin = NULL;
	*same = false;
	if (oci_origin(k->c->lc, url, &origin, NULL) < 0) {
		snprintf(why, whylen, "\"%.200s\" is not a URL", url);
		return false;
	}
	bool ok = strcmp(origin, k->c->origin) == 0;
	*same = ok;
	for (size_t i = 0; i < k->c->nextra && !ok; i++)
		ok = strcmp(origin, k->c->extra[i]) == 0;
	if (!ok)
		snprintf(why, whylen, "%.200s is neither the registry nor an allowed HTTPS host",
			 origin);
	free(origin);
	return ok;
}

/* Printable ASCII without spaces: what may follow "Bearer " in a header line. */
static bool oci_header_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* Asks the challenge's realm for a token for k's scope; the header line, cached. */
static enum oci_category oci_token_fetch(struct oci_call *k, const struct oci_challenge *ch,
					 const char **auth)
{
	struct oci_client *c = k->c;
	const char *realm = oci_challenge_param(ch, "realm");
	const char *service = oci_challenge_param(ch, "service");
	const char *scope = oci_challenge_param(ch, "scope");
	char why[256];
	bool same;
	if (realm == NULL)
		return oci_fail(k, OCI_PROTOCOL, "a Bearer challenge without a realm");
	if (!oci_url_allowed(k, realm, &same, why, sizeof(why)))
		return oci_fail(k, OCI_PROTOCOL, "token realm refused: %s", why);
	if (scope == NULL)
		scope = k->scope;
	char *esc_service = service ? c->lc->easy_escape(c->curl, service, 0) : NULL;
	char *esc_scope = c->lc->easy_escape(c->curl, scope, 0);
	char *url = NULL;
	enum oci_category cat = OCI_INTERNAL;
	struct oci_body b;
	bool body_ok = oci_body_init(&b, OCI_TOKEN_BODY, true, -1) == 0;
	if (!body_ok || esc_scope == NULL || (service != NULL && esc_service == NULL) ||
	    asprintf(&url, "%s%cscope=%s%s%s", realm, strchr(realm, '?') ? '&' : '?', esc_scope,
		     esc_service ? "&service=" : "", esc_service ? esc_service : "") < 0) {
		url = NULL;
		oci_fail(k, OCI_INTERNAL, "out of memory");
		goto out;
	}
	/* the token server gets the registry's credentials: that is what it checks */
	cat = oci_perform(k, url, false, NULL, c->basic, &b);
	if (cat != OCI_OK)
		goto out;
	if (k->status == 401 || k->status == 403) {
		cat = oci_fail(k, OCI_AUTH_REFUSED, "the token server refused %s (HTTP %ld)",
			       c->basic ? "the configured credentials" : "anonymous access",
			       k->status);
		goto out;
	}
	if (k->status != 200) {
		cat = oci_fail(k, OCI_PROTOCOL, "the token server answered HTTP %ld", k->status);
		goto out;
	}
	json_t *doc = json_loadb((const char *)b.data, b.len, 0, NULL);
	const char *tok = json_string_value(json_object_get(doc, "token"));
	if (tok == NULL || tok[0] == '\0')
		tok = json_string_value(json_object_get(doc, "access_token"));
	json_t *ttl = json_object_get(doc, "expires_in");
	long secs = json_is_integer(ttl) && json_integer_value(ttl) > 0 &&
				    json_integer_value(ttl) < 86400
			    ? (long)json_integer_value(ttl)
			    : OCI_TOKEN_TTL;
	char *header = NULL;
	if (tok == NULL || tok[0] == '\0' || !oci_header_safe(tok)) {
		cat = oci_fail(k, OCI_PROTOCOL, "the token server's answer holds no usable token");
	} else if (asprintf(&header, "Authorization: Bearer %s", tok) < 0 ||
		   (*auth = oci_token_store(k, header, secs)) == NULL) {
		cat = oci_fail(k, OCI_INTERNAL, "out of memory");
	} else {
		cat = OCI_OK;
	}
	json_decref(doc);
out:
	c->lc->free(esc_service);
	c->lc->free(esc_scope);
	free(url);
	oci_body_free(&b);
	return cat;
}

/*
 * A request to the registry with its auth dance: the cached token or
 * Basic when the registry asked for it before, else anonymous; on 401,
 * what the challenge asks for, once. k->auth is what was sent last.
 */
static enum oci_category oci_request(struct oci_call *k, const char *url, bool head,
				     const char *accept, struct oci_body *b)
{
	struct oci_client *c = k->c;
	k->auth = oci_token_find(k);
	if (k->auth == NULL && c->basic_asked)
		k->auth = c->basic;
	for (int attempt = 0;; attempt++) {
		enum oci_category cat = oci_perform(k, url, head, accept, k->auth, b);
		if (cat != OCI_OK || k->status != 401)
			return cat;
		if (attempt > 0)
			return oci_fail(k, OCI_AUTH_REFUSED, "HTTP 401: %s were refused",
					k->auth == c->basic ? "the configured credentials"
							    : "the token server's token and scope");
		struct oci_challenges cs = {0};
		char why[128] = "";
		struct curl_header *h = NULL;
		for (size_t i = 0; c->lc->easy_header(c->curl, "WWW-Authenticate", i, CURLH_HEADER,
						      -1, &h) == CURLHE_OK;
		     i++) {
			if (oci_challenges_parse(h->value, strlen(h->value), &cs, why,
						 sizeof(why)) < 0)
				break;
			if (i + 1 >= h->amount)
				break;
		}
		const struct oci_challenge *bearer = NULL, *basic = NULL;
		for (size_t i = 0; i < cs.n; i++) {
			if (strcasecmp(cs.list[i].scheme, "Bearer") == 0 && bearer == NULL)
				bearer = &cs.list[i];
			if (strcasecmp(cs.list[i].scheme, "Basic") == 0)
				basic = &cs.list[i];
		}
		if (bearer != NULL) {
			cat = oci_token_fetch(k, bearer, &k->auth);
		} else if (basic != NULL && c->basic == NULL) {
			cat = oci_fail(
				k, OCI_AUTH_REFUSED,
				"HTTP 401: the registry asks for credentials (Basic) and none "
				"are configured");
		} else if (basic != NULL && k->auth == c->basic) {
			cat = oci_fail(k, OCI_AUTH_REFUSED,
				       "HTTP 401: the configured credentials were refused");
		} else if (basic != NULL) {
			c->basic_asked = true;
			k->auth = c->basic;
		} else {
			cat = oci_fail(k, OCI_AUTH_REFUSED,
				       "HTTP 401 with no Bearer or Basic challenge%s%s",
				       why[0] ? ": WWW-Authenticate: " : "", why);
		}
		oci_challenges_free(&cs);
		if (cat != OCI_OK)
			return cat;
	}
}

/* The registry's own words for an error ("MANIFEST_UNKNOWN: manifest unknown"), or "". */
static void oci_registry_says(const struct oci_body *b, char *out, size_t outlen)
{
	out[0] = '\0';
	if (b->data == NULL || b->len == 0)
		return;
	json_t *doc = json_loadb((const char *)b->data, b->len, 0, NULL);
	json_t *e = json_array_get(json_object_get(doc, "errors"), 0);
	const char *code = json_string_value(json_object_get(e, "code"));
	const char *msg = json_string_value(json_object_get(e, "message"));
	if (code != NULL)
		snprintf(out, outlen, " (%.40s%s%.80s)", code, msg ? ": " : "", msg ? msg : "");
	json_decref(doc);
}

/* The category of a final status other than 200. */
static enum oci_category oci_status_error(struct oci_call *k, const struct oci_body *b)
{
	char says[160];
	long st = k->status;
	oci_registry_says(b, says, sizeof(says));
	if (st == 401 || st == 403)
		return oci_fail(k, OCI_AUTH_REFUSED, "HTTP %ld%s", st, says);
	if (st == 404)
		return oci_fail(k, OCI_NOT_FOUND, "HTTP 404%s", says);
	if (st == 429 || st >= 500)
		return oci_fail(k, OCI_UNREACHABLE, "HTTP %ld%s", st, says);
	if (st >= 300 && st < 400)
		return oci_fail(k, OCI_PROTOCOL,
				"HTTP %ld: a redirect, not followed for this request", st);
	return oci_fail(k, OCI_PROTOCOL, "HTTP %ld%s", st, says);
}

/* A blob request: the registry, then at most OCI_HOPS redirects to allowed hosts. */
static enum oci_category oci_request_follow(struct oci_call *k, const char *url, struct oci_body *b)
{
	enum oci_category cat = oci_request(k, url, false, NULL, b);
	char *next = NULL;
	for (int hops = 0; cat == OCI_OK; hops++) {
		long st = k->status;
		if (st != 301 && st != 302 && st != 303 && st != 307 && st != 308)
			break;
		char *loc = NULL, why[256];
		bool same;
		k->c->lc->easy_getinfo(k->c->curl, CURLINFO_REDIRECT_URL, &loc);
		if (hops == OCI_HOPS) {
			cat = oci_fail(k, OCI_PROTOCOL, "more than %d redirects", OCI_HOPS);
			break;
		}
		if (loc == NULL) {
			cat = oci_fail(k, OCI_PROTOCOL, "HTTP %ld without a Location", st);
			break;
		}
		if (!oci_url_allowed(k, loc, &same, why, sizeof(why))) {
			cat = oci_fail(k, OCI_PROTOCOL, "redirect refused: %s", why);
			break;
		}
		free(next);
		if ((next = strdup(loc)) == NULL) {
			cat = oci_fail(k, OCI_INTERNAL, "out of memory");
			break;
		}
		/* a storage host gets no registry credentials: its URL carries its own */
		cat = oci_perform(k, next, false, NULL, same ? k->auth : NULL, b);
	}
	free(next);
	return cat;
}

/* Takes the client's lock by the deadline. */
static enum oci_category oci_lock(struct oci_call *k)
{
	int rc = pthread_mutex_clocklock(&k->c->lock, CLOCK_MONOTONIC, &k->deadline);
	if (rc == 0)
		return OCI_OK;
	return oci_fail(k, OCI_TIMEOUT,
			rc == ETIMEDOUT
				? "other requests to this registry held it past the deadline"
				: "cannot lock the client");
}

static enum oci_category oci_call_init(struct oci_call *k, struct oci_client *c, const char *repo,
				       const char *ref, const char *kind, struct timespec deadline,
				       struct oci_error *err)
{
	memset(k, 0, sizeof(*k));
	memset(err, 0, sizeof(*err));
	k->c = c;
	k->err = err;
	k->deadline = deadline;
	bool digest = ref != NULL && strchr(ref, ':') != NULL;
	snprintf(k->what, sizeof(k->what), "%s %.200s%s%.140s", kind, repo ? repo : "",
		 digest ? "@" : ":", ref ? ref : "");
	if (repo == NULL || !oci_valid_repo(repo))
		return oci_fail(k, OCI_INTERNAL, "not a repository name");
	if (ref == NULL || (digest ? oci_digest_algorithm(ref) < 0 : !oci_valid_tag(ref)))
		return oci_fail(k, OCI_INTERNAL,
				digest ? "not a sha256 or sha512 digest" : "not a tag");
	snprintf(k->scope, sizeof(k->scope), "repository:%s:pull", repo);
	return OCI_OK;
}

/* The media type of a manifest answer: Content-Type, else the body's mediaType. */
static bool oci_media_type(struct oci_call *k, const struct oci_body *b, const char *const *types,
			   size_t ntypes, char out[128])
{
	char *ct = NULL;
	k->c->lc->easy_getinfo(k->c->curl, CURLINFO_CONTENT_TYPE, &ct);
	snprintf(out, 128, "%s", ct ? ct : "");
	out[strcspn(out, "; \t")] = '\0';
	for (size_t i = 0; i < ntypes; i++)
		if (strcasecmp(out, types[i]) == 0) {
			snprintf(out, 128, "%s", types[i]);
			return true;
		}
	/* some registries answer application/json: the manifest says what it is */
	json_t *doc = json_loadb((const char *)b->data, b->len, 0, NULL);
	const char *mt = json_string_value(json_object_get(doc, "mediaType"));
	bool ok = false;
	for (size_t i = 0; mt != NULL && i < ntypes && !ok; i++)
		if (strcmp(mt, types[i]) == 0) {
			snprintf(out, 128, "%s", types[i]);
			ok = true;
		}
	json_decref(doc);
	return ok;
}

/* GET a manifest (or referrers index) at url into out; k and b ready. */
static enum oci_category oci_get_manifest(struct oci_call *k, const char *url, const char *ref,
					  const char *accept, const char *const *types,
					  size_t ntypes, struct oci_body *b,
					  struct oci_content *out)
{
	enum oci_category cat = oci_request(k, url, false, accept, b);
	if (cat != OCI_OK)
		return cat;
	if (k->status != 200)
		return oci_status_error(k, b);
	if (b->data == NULL || b->len == 0)
		return oci_fail(k, OCI_PROTOCOL, "an empty answer");
	char mt[128];
	if (!oci_media_type(k, b, types, ntypes, mt))
		return oci_fail(k, OCI_PROTOCOL,
				"the answer's media type \"%.60s\" was not asked for", mt);
	oci_body_digest(b, out->digest);
	if (ref != NULL && strchr(ref, ':') != NULL && strcmp(out->digest, ref) != 0)
		return oci_fail(k, OCI_BAD_DIGEST, "the %zu bytes sent have digest %s", b->len,
				out->digest);
	const char *dcd = ref != NULL ? oci_header(k->c, "Docker-Content-Digest") : NULL;
	if (dcd != NULL && strncmp(dcd, "sha256:", 7) == 0 && strcmp(dcd, out->digest) != 0)
		return oci_fail(k, OCI_BAD_DIGEST,
				"Docker-Content-Digest says %.80s, the %zu bytes sent have %s", dcd,
				b->len, out->digest);
	snprintf(out->media_type, sizeof(out->media_type), "%s", mt);
	out->data = b->data;
	out->len = b->len;
	b->data = NULL; /* the bytes are out's now: b can take another answer */
	b->alloc = 0;
	return OCI_OK;
}

/* The algorithm to hash ref's content with: its digest's, sha256 for a tag. */
static int oci_algo_of(const char *ref)
{
	int a = ref != NULL ? oci_digest_algorithm(ref) : -1;
	return a >= 0 ? a : 0;
}

static enum oci_category oci_manifest_locked(struct oci_call *k, const char *repo, const char *ref,
					     struct oci_content *out)
{
	struct oci_body b;
	char *url = NULL;
	enum oci_category cat;
	if (oci_body_init(&b, k->c->max_manifest, true, oci_algo_of(ref)) < 0 ||
	    asprintf(&url, "%s/v2/%s/manifests/%s", k->c->base, repo, ref) < 0) {
		url = NULL;
		cat = oci_fail(k, OCI_INTERNAL, "out of memory");
	} else {
		cat = oci_get_manifest(k, url, ref, oci_accept_manifests, oci_manifest_types,
				       sizeof(oci_manifest_types) / sizeof(oci_manifest_types[0]),
				       &b, out);
	}
	free(url);
	oci_body_free(&b);
	return cat;
}

enum oci_category oci_manifest(struct oci_client *c, const char *repo, const char *ref,
			       struct timespec deadline, struct oci_content *out,
			       struct oci_error *err)
{
	struct oci_call k;
	memset(out, 0, sizeof(*out));
	enum oci_category cat = oci_call_init(&k, c, repo, ref, "manifest", deadline, err);
	if (cat != OCI_OK || (cat = oci_lock(&k)) != OCI_OK)
		return cat;
	cat = oci_manifest_locked(&k, repo, ref, out);
	pthread_mutex_unlock(&c->lock);
	return cat;
}

enum oci_category oci_resolve(struct oci_client *c, const char *repo, const char *ref,
			      struct timespec deadline, char digest[OCI_DIGEST_MAX],
			      struct oci_error *err)
{
	struct oci_call k;
	struct oci_body b;
	char *url = NULL;
	digest[0] = '\0';
	enum oci_category cat = oci_call_init(&k, c, repo, ref, "digest of", deadline, err);
	if (cat != OCI_OK || (cat = oci_lock(&k)) != OCI_OK)
		return cat;
	if (oci_body_init(&b, 0, false, -1) < 0 ||
	    asprintf(&url, "%s/v2/%s/manifests/%s", c->base, repo, ref) < 0) {
		url = NULL;
		cat = oci_fail(&k, OCI_INTERNAL, "out of memory");
		goto out;
	}
	/* HEAD first: Docker Hub does not count it against the pull rate limit */
	cat = oci_request(&k, url, true, oci_accept_manifests, &b);
	if (cat != OCI_OK)
		goto out;
	if (k.status != 200) {
		cat = oci_status_error(&k, &b);
		goto out;
	}
	const char *dcd = oci_header(c, "Docker-Content-Digest");
	if (dcd != NULL && oci_digest_algorithm(dcd) >= 0) {
		if (strchr(ref, ':') != NULL && strcmp(dcd, ref) != 0) {
			cat = oci_fail(&k, OCI_BAD_DIGEST, "the registry names digest %s", dcd);
			goto out;
		}
		snprintf(digest, OCI_DIGEST_MAX, "%s", dcd);
		goto out;
	}
	/* no digest named: the manifest's own bytes say it */
	struct oci_content m;
	memset(&m, 0, sizeof(m));
	cat = oci_manifest_locked(&k, repo, ref, &m);
	if (cat == OCI_OK)
		snprintf(digest, OCI_DIGEST_MAX, "%s", m.digest);
	oci_content_free(&m);
out:
	free(url);
	oci_body_free(&b);
	pthread_mutex_unlock(&c->lock);
	return cat;
}

enum oci_category oci_blob(struct oci_client *c, const char *repo, const char *digest, size_t size,
			   size_t max, struct timespec deadline, struct oci_content *out,
			   struct oci_error *err)
{
	struct oci_call k;
	struct oci_body b;
	char *url = NULL;
	memset(out, 0, sizeof(*out));
	enum oci_category cat = oci_call_init(&k, c, repo, digest, "blob", deadline, err);
	if (cat != OCI_OK)
		return cat;
	if (strchr(digest, ':') == NULL)
		return oci_fail(&k, OCI_INTERNAL, "a blob is asked by digest");
	if (size > max)
		return oci_fail(&k, OCI_TOO_LARGE,
				"its descriptor says %zu bytes, above the limit of %zu: not asked",
				size, max);
	if ((cat = oci_lock(&k)) != OCI_OK)
		return cat;
	if (oci_body_init(&b, size, true, oci_algo_of(digest)) < 0 ||
	    asprintf(&url, "%s/v2/%s/blobs/%s", c->base, repo, digest) < 0) {
		url = NULL;
		cat = oci_fail(&k, OCI_INTERNAL, "out of memory");
		goto out;
	}
	cat = oci_request_follow(&k, url, &b);
	if (cat == OCI_TOO_LARGE && b.over) {
		/* more bytes than the descriptor says: not the content it names */
		cat = oci_fail(&k, OCI_BAD_DIGEST,
			       "the registry sends more than the %zu bytes its descriptor says: "
			       "not read",
			       size);
		goto out;
	}
	if (cat != OCI_OK)
		goto out;
	if (k.status != 200) {
		cat = oci_status_error(&k, &b);
		goto out;
	}
	oci_body_digest(&b, out->digest);
	if (b.len != size) {
		cat = oci_fail(&k, OCI_BAD_DIGEST, "%zu bytes sent, its descriptor says %zu", b.len,
			       size);
		goto out;
	}
	if (strcmp(out->digest, digest) != 0) {
		cat = oci_fail(&k, OCI_BAD_DIGEST, "the bytes sent have digest %s", out->digest);
		goto out;
	}
	if (b.data == NULL && (b.data = calloc(1, 1)) == NULL) {
		cat = oci_fail(&k, OCI_INTERNAL, "out of memory"); /* an empty blob */
		goto out;
	}
	out->data = b.data;
	out->len = b.len;
	b.data = NULL;
out:
	free(url);
	oci_body_free(&b);
	pthread_mutex_unlock(&c->lock);
	return cat;
}

/*
 * The URL of the page after the last answer: its Link rel="next",
 * resolved against url (the page that named it); *next is NULL when there
 * is none. A next page goes to the registry itself only, as it gets the
 * registry's Authorization.
 */
static enum oci_category oci_next_page(struct oci_call *k, const char *url, char **next)
{
	struct oci_client *c = k->c;
	struct curl_header *h = NULL;
	char *ref = NULL, *abs = NULL, why[256] = "";
	*next = NULL;
	for (size_t i = 0;
	     c->lc->easy_header(c->curl, "Link", i, CURLH_HEADER, -1, &h) == CURLHE_OK; i++) {
		int r = oci_link_next(h->value, strlen(h->value), &ref, why, sizeof(why));
		if (r < 0)
			return oci_fail(k, OCI_PROTOCOL, "its Link header: %s", why);
		if (r > 0 || i + 1 >= h->amount)
			break;
	}
	if (ref == NULL)
		return OCI_OK;
	enum oci_category cat = OCI_OK;
	bool same = false;
	CURLU *u = c->lc->url();
	if (u == NULL)
		cat = oci_fail(k, OCI_INTERNAL, "out of memory");
	else if (c->lc->url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
		 c->lc->url_set(u, CURLUPART_URL, ref, 0) != CURLUE_OK ||
		 c->lc->url_get(u, CURLUPART_URL, &abs, 0) != CURLUE_OK)
		cat = oci_fail(k, OCI_PROTOCOL,
			       "the next page of the list, \"%.100s\", is not a URL", ref);
	else if (!oci_url_allowed(k, abs, &same, why, sizeof(why)) || !same)
		cat = oci_fail(
			k, OCI_PROTOCOL,
			"the next page of the list is not on the registry: not asked (%.200s)",
			abs);
	else if (strcmp(abs, url) == 0)
		cat = oci_fail(k, OCI_PROTOCOL, "the next page of the list is the same page");
	else if ((*next = strdup(abs)) == NULL)
		cat = oci_fail(k, OCI_INTERNAL, "out of memory");
	c->lc->free(abs);
	if (u != NULL)
		c->lc->url_cleanup(u);
	free(ref);
	return cat;
}

/* Adds a page's descriptors to *whole, the index of the pages so far (the first page's). */
static enum oci_category oci_merge_page(struct oci_call *k, json_t **whole,
					const struct oci_content *page, unsigned n)
{
	json_t *doc = json_loadb((const char *)page->data, page->len, JSON_REJECT_DUPLICATES, NULL);
	json_t *list = json_object_get(doc, "manifests");
	if (!json_is_object(doc) || (list != NULL && !json_is_array(list) && !json_is_null(list))) {
		json_decref(doc);
		return oci_fail(k, OCI_PROTOCOL, "page %u of the list is not an image index", n);
	}
	int rc = 0;
	if (*whole == NULL) {
		if (!json_is_array(list)) /* null or none, from a registry's empty list */
			rc = json_object_set_new(doc, "manifests", json_array());
		*whole = doc;
		doc = NULL;
	} else if (json_is_array(list)) {
		rc = json_array_extend(json_object_get(*whole, "manifests"), list);
	}
	json_decref(doc);
	return rc == 0 ? OCI_OK : oci_fail(k, OCI_INTERNAL, "out of memory");
}

/* The index of every page into out, malloc'd (not jansson's allocator: the caller frees it). */
static enum oci_category oci_index_out(struct oci_call *k, const json_t *whole,
				       struct oci_content *out)
{
	size_t n = json_dumpb(whole, NULL, 0, JSON_COMPACT);
	if (n == 0 || (out->data = malloc(n + 1)) == NULL ||
	    json_dumpb(whole, (char *)out->data, n, JSON_COMPACT) != n) {
		free(out->data);
		out->data = NULL;
		return oci_fail(k, OCI_INTERNAL, "out of memory");
	}
	out->data[n] = '\0';
	out->len = n;
	out->digest[0] = '\0'; /* the pages' own digests say nothing of the whole */
	snprintf(out->media_type, sizeof(out->media_type), "%s", OCI_MT_INDEX);
	return OCI_OK;
}

enum oci_category oci_referrers(struct oci_client *c, const char *repo, const char *digest,
				const char *artifact_type, struct timespec deadline,
				struct oci_content *out, struct oci_error *err)
{
	static const char *const index_type[] = {OCI_MT_INDEX};
	struct oci_call k;
	struct oci_body b;
	char *url = NULL, *esc = NULL, *next = NULL;
	json_t *whole = NULL; /* a paged list: the pages' descriptors in one index */
	bool filtered = artifact_type != NULL;
	size_t total = 0;
	memset(out, 0, sizeof(*out));
	enum oci_category cat = oci_call_init(&k, c, repo, digest, "referrers of", deadline, err);
	if (cat != OCI_OK)
		return cat;
	if (strchr(digest, ':') == NULL)
		return oci_fail(&k, OCI_INTERNAL, "referrers are asked by digest");
	if ((cat = oci_lock(&k)) != OCI_OK)
		return cat;
	if (artifact_type != NULL)
		esc = c->lc->easy_escape(c->curl, artifact_type, 0);
	if (oci_body_init(&b, c->max_manifest, true, 0) < 0 ||
	    (artifact_type != NULL && esc == NULL) ||
	    asprintf(&url, "%s/v2/%s/referrers/%s%s%s", c->base, repo, digest,
		     esc ? "?artifactType=" : "", esc ? esc : "") < 0) {
		url = NULL;
		cat = oci_fail(&k, OCI_INTERNAL, "out of memory");
		goto out;
	}
	for (;;) {
		struct oci_content page;
		memset(&page, 0, sizeof(page));
		b.cap = c->max_manifest - total; /* every page together within max_manifest */
		out->pages++;
		cat = oci_get_manifest(&k, url, NULL, "Accept: " OCI_MT_INDEX, index_type, 1, &b,
				       &page);
		if (cat == OCI_NOT_FOUND && out->pages == 1) {
			cat = oci_fail(&k, OCI_NOT_SUPPORTED,
				       "no referrers API (HTTP 404): use the tag sha256-<hex>");
			break;
		}
		if (cat == OCI_NOT_FOUND) /* not "no referrers": a list cut short */
			cat = oci_fail(&k, OCI_PROTOCOL, "page %u of the list: HTTP 404",
				       out->pages);
		if (cat != OCI_OK)
			break;
		const char *applied = oci_header(c, "OCI-Filters-Applied");
		filtered = filtered && applied != NULL && strstr(applied, "artifactType") != NULL;
		total += page.len;
		cat = oci_next_page(&k, url, &next);
		if (cat == OCI_OK && next == NULL && whole == NULL) {
			/* one page: handed back as sent */
			memcpy(out->media_type, page.media_type, sizeof(out->media_type));
			memcpy(out->digest, page.digest, sizeof(out->digest));
			out->data = page.data;
			out->len = page.len;
			break;
		}
		if (cat == OCI_OK)
			cat = oci_merge_page(&k, &whole, &page, out->pages);
		oci_content_free(&page);
		if (cat != OCI_OK)
			break;
		if (next == NULL) {
			cat = oci_index_out(&k, whole, out);
			break;
		}
		if (out->pages == OCI_REFERRERS_PAGES) {
			cat = oci_fail(&k, OCI_TOO_LARGE, "the list runs over more than %d pages",
				       OCI_REFERRERS_PAGES);
			break;
		}
		free(url);
		url = next;
		next = NULL;
	}
	out->filtered = cat == OCI_OK && filtered;
out:
	json_decref(whole);
	c->lc->free(esc);
	free(url);
	free(next);
	oci_body_free(&b);
	pthread_mutex_unlock(&c->lock);
	return cat;
}

void oci_content_free(struct oci_content *ct)
{
	free(ct->data);
	memset(ct, 0, sizeof(*ct));
}
