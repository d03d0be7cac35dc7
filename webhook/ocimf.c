/*
 * ocimf.c: reading manifests, indexes and image configurations (see ocimf.h).
 */
#include "ocimf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ocimf_fail(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int ocimf_fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (why != NULL && whylen > 0)
		vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

bool ocimf_digest_ok(const char *s)
{
	static const struct {
		const char *alg;
		size_t hex;
	} algs[] = {{"sha256:", 64}, {"sha512:", 128}};
	if (s == NULL)
		return false;
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		size_t n = strlen(algs[i].alg);
		if (strncmp(s, algs[i].alg, n) != 0)
			continue;
		const char *h = s + n;
		if (strlen(h) != algs[i].hex)
			return false;
		for (; *h != '\0'; h++)
			if (!isdigit((unsigned char)*h) && !(*h >= 'a' && *h <= 'f'))
				return false;
		return true;
	}
	return false;
}

/* A string member, NULL when absent; -1 when present but not a string. */
static int ocimf_str(const json_t *o, const char *key, const char **out)
{
	const json_t *v = json_object_get(o, key);
	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = json_string_value(v);
	return 0;
}

static int ocimf_desc(const json_t *o, const char *where, struct ocimf_desc *d, char *why,
		      size_t whylen)
{
	memset(d, 0, sizeof(*d));
	if (!json_is_object(o))
		return ocimf_fail(why, whylen, "%s: not a descriptor (an object)", where);
	if (ocimf_str(o, "mediaType", &d->media_type) < 0 ||
	    ocimf_str(o, "artifactType", &d->artifact_type) < 0)
		return ocimf_fail(why, whylen, "%s: a media type that is not a string", where);
	if (ocimf_str(o, "digest", &d->digest) < 0 || !ocimf_digest_ok(d->digest))
		return ocimf_fail(why, whylen, "%s: no well-formed digest", where);
	const json_t *size = json_object_get(o, "size");
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return ocimf_fail(why, whylen, "%s: no size (a non-negative integer)", where);
	d->size = json_integer_value(size);
	d->annotations = json_object_get(o, "annotations");
	if (d->annotations != NULL && !json_is_object(d->annotations))
		return ocimf_fail(why, whylen, "%s: annotations are not an object", where);
	const json_t *pf = json_object_get(o, "platform");
	if (pf != NULL && !json_is_null(pf)) {
		if (!json_is_object(pf) || ocimf_str(pf, "os", &d->os) < 0 ||
		    ocimf_str(pf, "architecture", &d->architecture) < 0 ||
		    ocimf_str(pf, "variant", &d->variant) < 0)
			return ocimf_fail(why, whylen,
					  "%s: a platform that is not os/architecture "
					  "strings",
					  where);
	}
	return 0;
}

const char *ocimf_annotation(const struct ocimf_desc *d, const char *name)
{
	return json_string_value(json_object_get(d->annotations, name));
}

/* The media types that make a document an index when it names none itself. */
static bool ocimf_index_type(const char *mt)
{
	return mt != NULL &&
	       (strcmp(mt, "application/vnd.oci.image.index.v1+json") == 0 ||
		strcmp(mt, "application/vnd.docker.distribution.manifest.list.v2+json") == 0);
}

int ocimf_parse(const unsigned char *data, size_t len, const char *content_type, struct ocimf *out,
		char *why, size_t whylen)
{
	memset(out, 0, sizeof(*out));
	json_error_t je;
	out->doc = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &je);
	if (out->doc == NULL)
		return ocimf_fail(why, whylen, "not JSON: %s (line %d)", je.text, je.line);
	if (!json_is_object(out->doc)) {
		ocimf_free(out);
		return ocimf_fail(why, whylen, "not a JSON object");
	}
	if (ocimf_str(out->doc, "mediaType", &out->media_type) < 0) {
		ocimf_free(out);
		return ocimf_fail(why, whylen, "mediaType is not a string");
	}
	const json_t *manifests = json_object_get(out->doc, "manifests");
	const json_t *layers = json_object_get(out->doc, "layers");
	const json_t *config = json_object_get(out->doc, "config");
	const char *mt = out->media_type != NULL ? out->media_type : content_type;
	out->index = ocimf_index_type(mt) || (mt == NULL && manifests != NULL && config == NULL);
	const json_t *list = out->index ? manifests : layers;
	const char *name = out->index ? "manifests" : "layers";
	if (!out->index) {
		if (config == NULL) {
			ocimf_free(out);
			return ocimf_fail(why, whylen,
					  "neither an index (manifests) nor a manifest "
					  "(config)");
		}
		if (ocimf_desc(config, "config", &out->config, why, whylen) < 0) {
			ocimf_free(out);
			return -1;
		}
	}
	if (list == NULL || json_is_null(list))
		list = NULL; /* an empty index or an artifact without layers */
	else if (!json_is_array(list)) {
		ocimf_free(out);
		return ocimf_fail(why, whylen, "%s is not a list", name);
	}
	size_t n = json_array_size(list);
	if (n > OCIMF_MAX_ENTRIES) {
		ocimf_free(out);
		return ocimf_fail(why, whylen, "%zu %s: more than %d", n, name, OCIMF_MAX_ENTRIES);
	}
	if (n > 0 && (out->entries = calloc(n, sizeof(*out->entries))) == NULL) {
		ocimf_free(out);
		return ocimf_fail(why, whylen, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		char where[32];
		snprintf(where, sizeof(where), "%s[%zu]", name, i);
		if (ocimf_desc(json_array_get(list, i), where, &out->entries[i], why, whylen) < 0) {
			ocimf_free(out);
			return -1;
		}
		out->n++;
	}
	const json_t *subject = json_object_get(out->doc, "subject");
	if (subject != NULL && !json_is_null(subject)) {
		struct ocimf_desc s;
		if (ocimf_desc(subject, "subject", &s, why, whylen) < 0) {
			ocimf_free(out);
			return -1;
		}
		out->subject = s.digest;
	}
	return 0;
}

void ocimf_free(struct ocimf *m)
{
	json_decref(m->doc);
	free(m->entries);
	memset(m, 0, sizeof(*m));
}

/* "22/tcp", "53/UDP", "8080" (tcp) as "PORT/proto" in buf; -1 when not a port. */
static int ocimf_port(const char *key, char *buf, size_t len)
{
	char *end;
	if (!isdigit((unsigned char)key[0]))
		return -1;
	unsigned long port = strtoul(key, &end, 10);
	if (port < 1 || port > 65535 || end - key > 5)
		return -1;
	const char *proto = "tcp";
	char lower[8];
	if (*end == '/') {
		size_t n = strlen(end + 1);
		if (n == 0 || n >= sizeof(lower))
			return -1;
		for (size_t i = 0; i <= n; i++)
			lower[i] = (char)tolower((unsigned char)end[1 + i]);
		if (strcmp(lower, "tcp") != 0 && strcmp(lower, "udp") != 0 &&
		    strcmp(lower, "sctp") != 0)
			return -1;
		proto = lower;
	} else if (*end != '\0') {
		return -1;
	}
	snprintf(buf, len, "%lu/%s", port, proto);
	return 0;
}

int ocimf_config_parse(const unsigned char *data, size_t len, struct ocimf_config *out, char *why,
		       size_t whylen)
{
	memset(out, 0, sizeof(*out));
	json_error_t je;
	out->doc = json_loadb((const char *)data, len, JSON_REJECT_DUPLICATES, &je);
	if (out->doc == NULL)
		return ocimf_fail(why, whylen, "not JSON: %s (line %d)", je.text, je.line);
	if (!json_is_object(out->doc))
		goto shape;
	if (ocimf_str(out->doc, "os", &out->os) < 0 ||
	    ocimf_str(out->doc, "architecture", &out->architecture) < 0 ||
	    ocimf_str(out->doc, "variant", &out->variant) < 0)
		goto shape;
	const json_t *cfg = json_object_get(out->doc, "config");
	if (cfg == NULL || json_is_null(cfg))
		return 0; /* an image with no run-time configuration: every default */
	if (!json_is_object(cfg))
		goto shape;
	if (ocimf_str(cfg, "User", &out->user) < 0) {
		ocimf_config_free(out);
		return ocimf_fail(why, whylen, "config.User is not a string");
	}
	const json_t *ports = json_object_get(cfg, "ExposedPorts");
	if (ports != NULL && !json_is_null(ports)) {
		if (!json_is_object(ports)) {
			ocimf_config_free(out);
			return ocimf_fail(why, whylen, "config.ExposedPorts is not an object");
		}
		size_t n = json_object_size(ports);
		if (n > OCIMF_MAX_PORTS) {
			ocimf_config_free(out);
			return ocimf_fail(why, whylen,
					  "config.ExposedPorts: %zu ports, more than %d", n,
					  OCIMF_MAX_PORTS);
		}
		if (n > 0 && (out->ports = calloc(n, sizeof(*out->ports))) == NULL) {
			ocimf_config_free(out);
			return ocimf_fail(why, whylen, "out of memory");
		}
		const char *key;
		const json_t *v;
		json_object_foreach((json_t *)ports, key, v)
		{
			char buf[32];
			if (ocimf_port(key, buf, sizeof(buf)) < 0) {
				/* the key lives in the document: say why before freeing it */
				ocimf_fail(
					why, whylen,
					"config.ExposedPorts: \"%.40s\" is not PORT[/tcp|udp|sctp]",
					key);
				ocimf_config_free(out);
				return -1;
			}
			if ((out->ports[out->nports] = strdup(buf)) == NULL) {
				ocimf_config_free(out);
				return ocimf_fail(why, whylen, "out of memory");
			}
			out->nports++;
		}
	}
	const json_t *env = json_object_get(cfg, "Env");
	if (env != NULL && !json_is_null(env)) {
		if (!json_is_array(env)) {
			ocimf_config_free(out);
			return ocimf_fail(why, whylen, "config.Env is not a list");
		}
		size_t n = json_array_size(env);
		if (n > OCIMF_MAX_ENV) {
			ocimf_config_free(out);
			return ocimf_fail(why, whylen, "config.Env: %zu entries, more than %d", n,
					  OCIMF_MAX_ENV);
		}
		if (n > 0 && (out->env = calloc(n, sizeof(*out->env))) == NULL) {
			ocimf_config_free(out);
			return ocimf_fail(why, whylen, "out of memory");
		}
		for (size_t i = 0; i < n; i++) {
			const char *e = json_string_value(json_array_get(env, i));
			if (e == NULL) {
				ocimf_config_free(out);
				return ocimf_fail(why, whylen, "config.Env[%zu] is not a string",
						  i);
			}
			out->env[out->nenv++] = e;
		}
	}
	return 0;
shape:
	ocimf_config_free(out);
	return ocimf_fail(why, whylen,
			  "not an image configuration (an object with os, "
			  "architecture and config)");
}

void ocimf_config_free(struct ocimf_config *c)
{
	for (size_t i = 0; i < c->nports; i++)
		free(c->ports[i]);
	free(c->ports);
	free(c->env);
	json_decref(c->doc);
	memset(c, 0, sizeof(*c));
}
