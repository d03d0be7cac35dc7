/*
 * cluster.c: a plain Kubernetes API client. Reads the API server address
 * and credentials from --kubeconfig / $KUBECONFIG or from the in-cluster
 * service account, lists a collection page by page (`limit`/`continue`)
 * into a callback, so that memory stays bounded by one page whatever the
 * cluster's size, and applies objects. It knows nothing of audits; errors
 * are values (cluster_error), never prints.
 *
 * HTTP is libcurl's: it handles client certificates, CA data held in
 * memory, bearer tokens and proxies, which h2o's client would need
 * hundreds of lines of glue for. libcurl is loaded with dlopen() (libcurl.c) when
 * --cluster runs: linked, its two dozen dependencies (Kerberos, LDAP,
 * SSH, ...) doubled `admitd serve`'s start-up time and memory.
 */
#include "cluster.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "../policies/policy.h"
#include "libcurl.h"
#include "readall.h"
#include "yamljson.h"

#define CLUSTER_PAGE     500
#define CLUSTER_SA_DIR   "/var/run/secrets/kubernetes.io/serviceaccount"
#define CLUSTER_MAX_BODY (256u << 20)

/* libcurl, loaded when --cluster first runs (libcurl.c) */
static const struct libcurl_api *cc;

struct cluster_blob {
	char *data;
	size_t len;
};

struct cluster {
	char why[512]; /* the last error, for the caller */
	char *server;  /* https://host:port, no trailing slash */
	char *token;
	struct cluster_blob ca, cert, key; /* PEM */
	char *ca_file, *cert_file, *key_file;
	bool insecure;
	CURL *curl;
};

static int cluster_fail(struct cluster *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Records the error in c->why; returns -1. */
static int cluster_fail(struct cluster *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	return -1;
}

static void cluster_conn_free(struct cluster *c)
{
	free(c->server);
	free(c->token);
	free(c->ca.data);
	free(c->cert.data);
	free(c->key.data);
	free(c->ca_file);
	free(c->cert_file);
	free(c->key_file);
	if (c->curl != NULL)
		cc->easy_cleanup(c->curl);
}

static int cluster_load_curl(struct cluster *c)
{
	cc = libcurl_load("--cluster", c->why, sizeof(c->why));
	return cc != NULL ? 0 : -1;
}

/* A kubeconfig, token or PEM file, whole and NUL-terminated; NULL when unreadable. */
static char *cluster_read_file(const char *path, size_t *len)
{
	char *buf, why[256];
	size_t n;
	if (readall_file(path, 16u << 20, &buf, &n, why, sizeof(why)) < 0)
		return NULL;
	if (len != NULL)
		*len = n;
	return buf;
}

/* base64 (kubeconfig *-data fields) -> bytes, with OpenSSL's decoder. */
static int cluster_b64(const char *in, struct cluster_blob *out)
{
	size_t inlen = strlen(in);
	out->data = malloc(inlen / 4 * 3 + 4);
	if (out->data == NULL)
		return -1;
	EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
	int n1 = 0, n2 = 0;
	EVP_DecodeInit(ctx);
	int rc = EVP_DecodeUpdate(ctx, (unsigned char *)out->data, &n1, (const unsigned char *)in,
				  (int)inlen);
	if (rc >= 0)
		rc = EVP_DecodeFinal(ctx, (unsigned char *)out->data + n1, &n2);
	EVP_ENCODE_CTX_free(ctx);
	if (rc < 0) {
		free(out->data);
		out->data = NULL;
		return -1;
	}
	out->len = (size_t)(n1 + n2);
	return 0;
}

static const json_t *cluster_named(const json_t *list, const char *name, const char *field)
{
	size_t i;
	const json_t *e;
	json_array_foreach(list, i, e)
	{
		const char *n = NULL;
		if (jp_string(e, "name", &n) == JP_OK && strcmp(n, name) == 0)
			return json_object_get(e, field);
	}
	return NULL;
}

static char *cluster_dup(const json_t *obj, const char *path)
{
	const char *s = NULL;
	return jp_string(obj, path, &s) == JP_OK ? strdup(s) : NULL;
}

static int cluster_from_kubeconfig(struct cluster *c, const char *path)
{
	size_t len;
	char *text = cluster_read_file(path, &len);
	if (text == NULL) {
		cluster_fail(c, "cannot read kubeconfig %s", path);
		return -1;
	}
	struct yamljson_error err;
	json_t *docs = yamljson_load(text, len, &err);
	free(text);
	if (docs == NULL || json_array_size(docs) == 0) {
		cluster_fail(c, "%s:%d: invalid kubeconfig: %s", path, err.line,
			     docs ? "empty" : err.text);
		json_decref(docs);
		return -1;
	}
	const json_t *kc = json_array_get(docs, 0);
	const char *ctxname = NULL;
	int rc = -1;
	if (jp_string(kc, "current-context", &ctxname) != JP_OK) {
		cluster_fail(c, "%s: no current-context", path);
		goto out;
	}
	const json_t *ctx = cluster_named(json_object_get(kc, "contexts"), ctxname, "context");
	const char *cname = NULL, *uname = NULL;
	if (jp_string(ctx, "cluster", &cname) != JP_OK) {
		cluster_fail(c, "%s: context \"%s\" names no cluster", path, ctxname);
		goto out;
	}
	jp_string(ctx, "user", &uname);
	const json_t *cl = cluster_named(json_object_get(kc, "clusters"), cname, "cluster");
	const json_t *us =
		uname ? cluster_named(json_object_get(kc, "users"), uname, "user") : NULL;
	c->server = cluster_dup(cl, "server");
	if (c->server == NULL) {
		cluster_fail(c, "%s: cluster \"%s\" has no server", path, cname);
		goto out;
	}
	c->insecure = json_is_true(json_object_get(cl, "insecure-skip-tls-verify"));
	const char *s;
	if (jp_string(cl, "certificate-authority-data", &s) == JP_OK && cluster_b64(s, &c->ca) < 0)
		goto bad_b64;
	c->ca_file = cluster_dup(cl, "certificate-authority");
	c->token = cluster_dup(us, "token");
	if (c->token == NULL && jp_string(us, "tokenFile", &s) == JP_OK) {
		c->token = cluster_read_file(s, NULL);
		if (c->token != NULL)
			c->token[strcspn(c->token, "\r\n")] = '\0';
	}
	if (jp_string(us, "client-certificate-data", &s) == JP_OK && cluster_b64(s, &c->cert) < 0)
		goto bad_b64;
	if (jp_string(us, "client-key-data", &s) == JP_OK && cluster_b64(s, &c->key) < 0)
		goto bad_b64;
	c->cert_file = cluster_dup(us, "client-certificate");
	c->key_file = cluster_dup(us, "client-key");
	rc = 0;
	goto out;
bad_b64:
	cluster_fail(c, "%s: invalid base64 in a *-data field", path);
out:
	json_decref(docs);
	return rc;
}

static int cluster_in_cluster(struct cluster *c)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	if (host == NULL || port == NULL) {
		cluster_fail(
			c,
			"no --kubeconfig, no $KUBECONFIG, no ~/.kube/config, and not running in a "
			"cluster (KUBERNETES_SERVICE_HOST unset)");
		return -1;
	}
	size_t n = strlen(host) + strlen(port) + 16;
	c->server = malloc(n);
	if (c->server == NULL)
		return -1;
	snprintf(c->server, n, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
	c->token = cluster_read_file(CLUSTER_SA_DIR "/token", NULL);
	if (c->token != NULL)
		c->token[strcspn(c->token, "\r\n")] = '\0';
	c->ca_file = strdup(CLUSTER_SA_DIR "/ca.crt");
	return 0;
}

static size_t cluster_collect(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct cluster_blob *b = ud;
	size_t n = size * nmemb;
	if (b->len + n > CLUSTER_MAX_BODY)
		return 0; /* aborts the transfer */
	char *m = realloc(b->data, b->len + n + 1);
	if (m == NULL)
		return 0;
	b->data = m;
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static int cluster_setup(struct cluster *c)
{
	c->curl = cc->easy_init();
	if (c->curl == NULL)
		return -1;
	CURL *h = c->curl;
	cc->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	cc->easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	cc->easy_setopt(h, CURLOPT_TIMEOUT, 120L);
	cc->easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	cc->easy_setopt(h, CURLOPT_USERAGENT, "admitd-audit");
	cc->easy_setopt(h, CURLOPT_WRITEFUNCTION, cluster_collect);
	if (c->insecure) {
		cc->easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		cc->easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->ca.data != NULL) {
		struct curl_blob b = {c->ca.data, c->ca.len, CURL_BLOB_COPY};
		cc->easy_setopt(h, CURLOPT_CAINFO_BLOB, &b);
	} else if (c->ca_file != NULL) {
		cc->easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	}
	if (c->cert.data != NULL) {
		struct curl_blob b = {c->cert.data, c->cert.len, CURL_BLOB_COPY};
		cc->easy_setopt(h, CURLOPT_SSLCERT_BLOB, &b);
		cc->easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	} else if (c->cert_file != NULL) {
		cc->easy_setopt(h, CURLOPT_SSLCERT, c->cert_file);
	}
	if (c->key.data != NULL) {
		struct curl_blob b = {c->key.data, c->key.len, CURL_BLOB_COPY};
		cc->easy_setopt(h, CURLOPT_SSLKEY_BLOB, &b);
		cc->easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
	} else if (c->key_file != NULL) {
		cc->easy_setopt(h, CURLOPT_SSLKEY, c->key_file);
	}
	if (c->token != NULL && c->token[0] != '\0') {
		cc->easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
		cc->easy_setopt(h, CURLOPT_XOAUTH2_BEARER, c->token);
	}
	size_t n = strlen(c->server);
	while (n > 0 && c->server[n - 1] == '/')
		c->server[--n] = '\0';
	return 0;
}

/* GET path; returns the HTTP status (0 on a transport error) and the body. */
static long cluster_get(struct cluster *c, const char *path, struct cluster_blob *body, char *err,
			size_t errlen)
{
	char *url = NULL;
	body->data = NULL;
	body->len = 0;
	if (asprintf(&url, "%s%s", c->server, path) < 0) {
		snprintf(err, errlen, "out of memory");
		return 0;
	}
	cc->easy_setopt(c->curl, CURLOPT_URL, url); /* libcurl keeps its own copy */
	free(url);
	cc->easy_setopt(c->curl, CURLOPT_WRITEDATA, body);
	char ebuf[CURL_ERROR_SIZE] = "";
	cc->easy_setopt(c->curl, CURLOPT_ERRORBUFFER, ebuf);
	CURLcode rc = cc->easy_perform(c->curl);
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", ebuf[0] ? ebuf : cc->easy_strerror(rc));
		return 0;
	}
	long status = 0;
	cc->easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

/*
 * GETs path?limit=N&continue=... page by page and hands each page's
 * `items` to fn (which may change them). Continue tokens have no
 * documented bound: etcd keys, base64'd, can be long.
 */
enum cluster_status cluster_list(struct cluster *c, const char *path, cluster_page_fn fn, void *arg)
{
	char *cont = NULL;
	enum cluster_status st = CLUSTER_FATAL;
	c->why[0] = '\0';
	for (;;) {
		char *url = NULL, err[512] = "";
		char *esc = cont != NULL ? cc->easy_escape(c->curl, cont, 0) : NULL;
		if ((cont != NULL && esc == NULL) ||
		    asprintf(&url, "%s%climit=%d%s%s", path, strchr(path, '?') != NULL ? '&' : '?',
			     CLUSTER_PAGE, esc ? "&continue=" : "", esc ? esc : "") < 0) {
			cc->free(esc);
			cluster_fail(c, "listing %s: out of memory", path);
			goto out;
		}
		cc->free(esc);
		struct cluster_blob body;
		long status = cluster_get(c, url, &body, err, sizeof(err));
		free(url);
		if (status != 200) {
			if (status == 0)
				cluster_fail(c, "%s%.300s: %s", c->server, path, err);
			else if (status == 401)
				cluster_fail(c,
					     "%s: 401 Unauthorized: the credentials were refused",
					     c->server);
			else
				cluster_fail(c, "HTTP %ld", status);
			st = status == 0 || status == 401 ? CLUSTER_FATAL
			     : status == 404              ? CLUSTER_NOT_FOUND
							  : CLUSTER_REFUSED;
			free(body.data);
			goto out;
		}
		json_error_t jerr;
		json_t *doc = json_loadb(body.data, body.len, JSON_REJECT_DUPLICATES, &jerr);
		free(body.data);
		if (doc == NULL) {
			cluster_fail(c, "invalid JSON from the API server at line %d: %s",
				     jerr.line, jerr.text);
			st = CLUSTER_BAD_REPLY;
			goto out;
		}
		json_t *items = json_object_get(doc, "items");
		if (fn(json_is_array(items) ? items : NULL, arg) < 0) {
			json_decref(doc);
			cluster_fail(c, "listing %s: stopped", path);
			goto out;
		}
		const char *next = NULL;
		enum jp_status js = jp_string(doc, "metadata.continue", &next);
		free(cont);
		cont = js == JP_OK && next[0] != '\0' ? strdup(next) : NULL;
		bool oom = js == JP_OK && next[0] != '\0' && cont == NULL;
		json_decref(doc);
		if (js == JP_BADTYPE) {
			/* the rest of the list cannot be asked for: never skip it silently */
			cluster_fail(
				c,
				"metadata.continue is not a string: the rest of the list was not "
				"read");
			st = CLUSTER_BAD_REPLY;
			goto out;
		}
		if (oom) {
			cluster_fail(c, "listing %s: out of memory", path);
			goto out;
		}
		if (cont == NULL) {
			st = CLUSTER_OK;
			goto out;
		}
	}
out:
	free(cont);
	return st;
}

/*
 * Credentials from --kubeconfig, $KUBECONFIG, ~/.kube/config (where it
 * exists, as kubectl), or the service account; libcurl ready.
 */
static int cluster_connect(struct cluster *c, const char *kubeconfig)
{
	char home_config[4096];
	if (kubeconfig == NULL)
		kubeconfig = getenv("KUBECONFIG");
	if ((kubeconfig == NULL || kubeconfig[0] == '\0') && getenv("HOME") != NULL) {
		snprintf(home_config, sizeof(home_config), "%s/.kube/config", getenv("HOME"));
		if (access(home_config, R_OK) == 0)
			kubeconfig = home_config;
	}
	if (kubeconfig != NULL && kubeconfig[0] != '\0') {
		/* $KUBECONFIG may list several files: the first one names the context */
		char first[4096];
		snprintf(first, sizeof(first), "%s", kubeconfig);
		first[strcspn(first, ":")] = '\0';
		if (cluster_from_kubeconfig(c, first) < 0)
			return -1;
	} else if (cluster_in_cluster(c) < 0) {
		return -1;
	}
	if (cluster_load_curl(c) < 0)
		return -1;
	return cluster_setup(c);
}

struct cluster *cluster_open(const char *kubeconfig, char *why, size_t whylen)
{
	struct cluster *c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	if (cluster_connect(c, kubeconfig) < 0) {
		snprintf(why, whylen, "%s", c->why[0] ? c->why : "cannot connect");
		cluster_close(c);
		return NULL;
	}
	return c;
}

void cluster_close(struct cluster *c)
{
	if (c == NULL)
		return;
	cluster_conn_free(c);
	free(c);
}

const char *cluster_server(const struct cluster *c)
{
	return c->server;
}

const char *cluster_error(const struct cluster *c)
{
	return c->why;
}

/*
 * Server-side apply (PATCH, application/apply-patch+yaml, fieldManager
 * admitd, force): one request creates or replaces the object, with no
 * read-modify-write race between two writers.
 */
int cluster_apply(struct cluster *c, const char *path, const char *body)
{
	struct curl_slist *hdr =
		cc->slist_append(NULL, "Content-Type: application/apply-patch+yaml");
	if (hdr == NULL)
		return cluster_fail(c, "out of memory");
	char *url = NULL;
	if (asprintf(&url, "%s?fieldManager=admitd&force=true", path) < 0) {
		cc->slist_free_all(hdr);
		return cluster_fail(c, "out of memory");
	}
	cc->easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, "PATCH");
	cc->easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdr);
	cc->easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	char err[512] = "";
	struct cluster_blob reply;
	long status = cluster_get(c, url, &reply, err, sizeof(err));
	int rc = 0;
	if (status != 200 && status != 201)
		rc = cluster_fail(c, "%s%ld %.300s", err, status, reply.data ? reply.data : "");
	/* back to plain GETs for the next caller */
	cc->easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, NULL);
	cc->easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	cc->easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	free(reply.data);
	free(url);
	cc->slist_free_all(hdr);
	return rc;
}

int cluster_delete(struct cluster *c, const char *path)
{
	cc->easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, "DELETE");
	char err[512] = "";
	struct cluster_blob reply;
	long status = cluster_get(c, path, &reply, err, sizeof(err));
	int rc = 0;
	/* gone already is what was wanted */
	if (status != 200 && status != 202 && status != 404)
		rc = cluster_fail(c, "%s%ld %.300s", err, status, reply.data ? reply.data : "");
	cc->easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, NULL);
	cc->easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	free(reply.data);
	return rc;
}
