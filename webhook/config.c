/*
 * config.c: reads the YAML configuration with libcyaml and turns it into
 * an immutable, reference-counted struct admitd_config.
 *
 * Loading happens in three passes over the same text (the YAML plumbing,
 * errors and positions are yamlconf.c's):
 *  1. a libyaml event pass checks the syntax (libcyaml reports syntax
 *     errors at a misleading position) and finds each `policies:` entry:
 *     its byte range, its line and its `id`;
 *  2. libcyaml loads the top level with the top-level schema;
 *  3. libcyaml loads each policy entry twice, once with the common schema
 *     (id, action, exemptions) and once with the module's own parameter
 *     schema, each ignoring the other's keys. The entry's text is padded
 *     with the newlines and spaces that preceded it, so that libcyaml's
 *     line and column numbers are those of the original file.
 * Every error found is kept, formatted as `file:line:col: message`.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "../policies/image.h"
#include "../policies/registry.h"
#include "cfgkeys.h"
#include "kinds.h"
#include "libcurl.h"
#include "oci.h"
#include "readall.h"
#include "rules.h"
#include "sigverify.h"
#include "fnv.h"

const char config_default_yaml[] = "# admitd built-in default configuration\n"
				   "mode: enforce\n"
				   "podSecurity:\n"
				   "  level: restricted\n"
				   "  action: deny\n"
				   "exemptions:\n"
				   "  namespaces: [kube-system]\n";

/* ---- schemas ---- */

/* The keys every policy entry has, whatever the module. */
struct config_entry {
	char *id;
	int action;
	struct exemptions *exemptions;
};

static const cyaml_schema_field_t config_entry_common_fields[] = {
	CYAML_FIELD_STRING_PTR("id", CYAML_FLAG_POINTER, struct config_entry, id, 1, 128),
	CYAML_FIELD_ENUM("action", CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT, struct config_entry,
			 action, settings_action_strings, 4),
	CYAML_FIELD_MAPPING_PTR("exemptions", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct config_entry, exemptions, settings_exemptions_fields),
	CYAML_FIELD_END,
};
/* the common fields, without the terminator */
#define CONFIG_NCOMMON                                                                             \
	(sizeof(config_entry_common_fields) / sizeof(config_entry_common_fields[0]) - 1)

/* ---- pass 3: one policy entry ---- */

/* fields + an IGNORE entry for each key of `others`; NULL-key terminated. */
static cyaml_schema_field_t *config_fields_ignoring(const cyaml_schema_field_t *fields,
						    size_t nfields,
						    const cyaml_schema_field_t *others)
{
	size_t nothers = 0;
	while (others != NULL && others[nothers].key != NULL)
		nothers++;
	cyaml_schema_field_t *f = calloc(nfields + nothers + 1, sizeof(*f));
	if (f == NULL)
		return NULL;
	memcpy(f, fields, nfields * sizeof(*f));
	for (size_t i = 0; i < nothers; i++) {
		f[nfields + i].key = others[i].key;
		f[nfields + i].value.type = CYAML_IGNORE;
		f[nfields + i].value.flags = CYAML_FLAG_OPTIONAL;
	}
	return f;
}

static size_t config_nfields(const cyaml_schema_field_t *f)
{
	size_t n = 0;
	while (f != NULL && f[n].key != NULL)
		n++;
	return n;
}

static int config_check_names(struct yamlconf_errors *errs, const char *name, int line, int col,
			      char *const *names, unsigned n, const char *where)
{
	int bad = 0;
	for (unsigned i = 0; i < n; i++) {
		const char *star = strchr(names[i], '*');
		if (names[i][0] == '\0' || (star != NULL && star[1] != '\0')) {
			yamlconf_error(errs, name, line, col,
				       "%s[%u] \"%s\": a name, or a prefix followed by a single "
				       "trailing '*'",
				       where, i, names[i]);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

static int config_compile_images(struct exemptions *ex, struct yamlconf_errors *errs,
				 const char *name, int line, int col, const char *where)
{
	if (ex->nimages == 0)
		return 0;
	ex->image_patterns = calloc(ex->nimages, sizeof(*ex->image_patterns));
	if (ex->image_patterns == NULL)
		return -1;
	int rc = 0;
	for (unsigned i = 0; i < ex->nimages; i++) {
		char why[256] = "";
		if (image_pattern_compile(ex->images[i], &ex->image_patterns[i], why, sizeof(why)) <
		    0) {
			yamlconf_error(errs, name, line, col, "%s.images[%u] \"%s\": %s", where, i,
				       ex->images[i], why);
			rc = -1;
		}
	}
	return rc;
}

/* Compiles every `rules:` entry; ids must not collide with modules or each other. */
static int config_load_rules(struct admitd_config *cfg, const char *buf, size_t buflen,
			     const struct yamlconf_list *list, struct yamlconf_errors *errs,
			     const char *name)
{
	int rc = 0;
	if (list->nentries == 0)
		return 0;
	cfg->rules = calloc(list->nentries, sizeof(*cfg->rules));
	if (cfg->rules == NULL)
		return -1;
	for (size_t i = 0; i < list->nentries; i++) {
		const struct yamlconf_entry *loc = &list->entries[i];
		if (!loc->is_mapping) {
			yamlconf_error(errs, name, loc->line, loc->col,
				       "rules[%zu] must be a mapping with an \"id\" key", i);
			rc = -1;
			continue;
		}
		size_t len = 0;
		char *text = yamlconf_entry_text(buf, buflen, loc, &len);
		if (text == NULL)
			return -1;
		struct rule *r = rules_compile(name, text, len, i, loc->line, loc->col, cfg, errs);
		free(text);
		if (r == NULL) {
			rc = -1;
			continue;
		}
		const char *id = rules_desc(r)->id;
		bool clash = registry_find(id) >= 0;
		for (size_t j = 0; j < cfg->nrules && !clash; j++)
			clash = strcmp(rules_desc(cfg->rules[j])->id, id) == 0;
		if (clash) {
			yamlconf_error(errs, name, loc->id_line, loc->id_col,
				       "rules[%zu]: id \"%s\" is already taken by a policy or "
				       "another rule",
				       i, id);
			rules_free(r);
			rc = -1;
			continue;
		}
		struct exemptions *ex = rules_setting(r)->exempt;
		char w[48];
		snprintf(w, sizeof(w), "rules[%zu].exemptions", i);
		if (ex != NULL &&
		    (config_check_names(errs, name, loc->line, loc->col, ex->namespaces,
					ex->nnamespaces, w) < 0 ||
		     config_compile_images(ex, errs, name, loc->line, loc->col, w) < 0)) {
			rules_free(r);
			rc = -1;
			continue;
		}
		rules_set_max_match(r, cfg->limits.max_match_length);
		cfg->rules[cfg->nrules++] = r;
	}
	return rc;
}

/* ---- `workloads:`: custom resources judged like a Deployment ---- */

struct config_workload {
	char *group, *kind, *pod_template, *resource;
	char **versions;
	unsigned nversions;
};

static const cyaml_schema_field_t config_workload_fields[] = {
	CYAML_FIELD_STRING_PTR("group", CYAML_FLAG_POINTER, struct config_workload, group, 0, 253),
	CYAML_FIELD_STRING_PTR("kind", CYAML_FLAG_POINTER, struct config_workload, kind, 0, 63),
	CYAML_FIELD_STRING_PTR("podTemplate", CYAML_FLAG_POINTER, struct config_workload,
			       pod_template, 0, 256),
	CYAML_FIELD_STRING_PTR("resource", CYAML_FLAG_POINTER, struct config_workload, resource, 0,
			       63),
	CYAML_FIELD_SEQUENCE_COUNT("versions", CYAML_FLAG_POINTER, struct config_workload, versions,
				   nversions, &settings_string_entry, 1, KINDS_MAX_VERSIONS),
	CYAML_FIELD_END,
};
static const cyaml_schema_value_t config_workload_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct config_workload, config_workload_fields),
};

/* The strings of a configured row are its own (kind_desc says const for the built-in ones). */
static void config_free_workloads(struct admitd_config *cfg)
{
	for (size_t i = 0; i < cfg->nworkloads; i++) {
		struct kind_desc *k = &cfg->workloads[i];
		free((char *)k->kind);
		free((char *)k->group);
		free((char *)k->resource);
		free((char *)k->template_path);
		for (size_t v = 0; k->versions[v] != NULL; v++)
			free((char *)k->versions[v]);
	}
	free(cfg->workloads);
	cfg->workloads = NULL;
	cfg->nworkloads = 0;
}

/* kinds_check's member names, as the configuration spells them */
static const char *config_workload_key(const char *field)
{
	return strcmp(field, "template") == 0 ? "podTemplate" : field;
}

/* One `workloads:` entry into cfg->workloads[cfg->nworkloads]. Returns 0, or -1. */
static int config_load_workload(struct admitd_config *cfg, const char *buf, size_t buflen,
				const struct yamlconf_entry *loc, size_t idx,
				struct yamlconf_errors *errs, const char *name)
{
	char where[48];
	snprintf(where, sizeof(where), "workloads[%zu]", idx);
	if (!loc->is_mapping) {
		yamlconf_error(errs, name, loc->line, loc->col,
			       "%s must be a mapping with group, kind, podTemplate, resource and "
			       "versions",
			       where);
		return -1;
	}
	size_t len = 0;
	char *text = yamlconf_entry_text(buf, buflen, loc, &len);
	if (text == NULL)
		return -1;
	struct config_workload *w = NULL;
	int rc = yamlconf_load(name, text, len, &config_workload_schema, (void **)&w, where,
			       loc->line, errs);
	free(text);
	if (rc < 0)
		return -1;
	struct kind_desc *k = &cfg->workloads[cfg->nworkloads];
	memset(k, 0, sizeof(*k));
	k->group = w->group;
	k->kind = w->kind;
	k->template_path = w->pod_template;
	k->resource = w->resource;
	for (unsigned v = 0; v < w->nversions; v++)
		k->versions[v] = w->versions[v];
	const char *field = NULL;
	char why[400];
	rc = kinds_check(k, &field, why, sizeof(why));
	for (size_t j = 0; j < cfg->nworkloads && rc == 0; j++) {
		const struct kind_desc *o = &cfg->workloads[j];
		if (strcmp(o->group, k->group) == 0 && strcmp(o->kind, k->kind) == 0) {
			field = "kind";
			snprintf(why, sizeof(why),
				 "%s of group \"%s\" is listed twice (workloads[%zu])", k->kind,
				 k->group, j);
			rc = -1;
		}
	}
	if (rc < 0) {
		int line = loc->line, col = loc->col;
		yamlconf_find_key(buf, buflen, config_workload_key(field), loc->line, &line, &col);
		yamlconf_error(errs, name, line, col, "%s.%s: %s", where,
			       config_workload_key(field), why);
		memset(k, 0, sizeof(*k));
		yamlconf_free(&config_workload_schema, w);
		return -1;
	}
	/* the strings move into the row; the rest of what libcyaml loaded goes */
	cfg->nworkloads++;
	w->group = w->kind = w->pod_template = w->resource = NULL;
	for (unsigned v = 0; v < w->nversions; v++)
		w->versions[v] = NULL;
	yamlconf_free(&config_workload_schema, w);
	return 0;
}

static int config_load_workloads(struct admitd_config *cfg, const char *buf, size_t buflen,
				 const struct yamlconf_list *list, struct yamlconf_errors *errs,
				 const char *name)
{
	if (list->nentries == 0)
		return 0;
	if (list->nentries > KINDS_MAX_CONFIGURED) {
		yamlconf_error(errs, name, list->line, list->col,
			       "workloads: %zu entries, more than the %d admitd judges",
			       list->nentries, KINDS_MAX_CONFIGURED);
		return -1;
	}
	cfg->workloads = calloc(list->nentries, sizeof(*cfg->workloads));
	if (cfg->workloads == NULL)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < list->nentries; i++)
		if (config_load_workload(cfg, buf, buflen, &list->entries[i], i, errs, name) < 0)
			rc = -1;
	return rc;
}

/* ---- `registries:`: the registries image signatures are fetched from ---- */

/* each is a client with its own connection and credentials; a cluster pulls from a handful */
#define CONFIG_REGISTRIES_MAX 64
/* verdicts and tag digests remembered across every registry (sigcache.c) */
#define CONFIG_SIGVERIFY_ENTRIES 4096
/* seconds per HTTP request: how long one registry answer may hold a review up */
#define CONFIG_REGISTRY_TIMEOUT_DEFAULT 5
#define CONFIG_REGISTRY_TIMEOUT_MAX     60

struct config_registry {
	char *host, *endpoint, *ca_file, *credentials_file;
	bool insecure_http;
	char **allowed_hosts;
	unsigned nallowed_hosts;
	unsigned *timeout_s; /* NULL: not given */
};

static const cyaml_schema_field_t config_registry_fields[] = {
	CYAML_FIELD_STRING_PTR("host", CYAML_FLAG_POINTER, struct config_registry, host, 0, 260),
	CYAML_FIELD_STRING_PTR("endpoint", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			       struct config_registry, endpoint, 0, 260),
	CYAML_FIELD_STRING_PTR("caFile", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			       struct config_registry, ca_file, 0, 4096),
	CYAML_FIELD_STRING_PTR("credentialsFile", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			       struct config_registry, credentials_file, 0, 4096),
	POLICY_FIELD_BOOL("insecureHTTP", struct config_registry, insecure_http),
	CYAML_FIELD_SEQUENCE_COUNT("allowedHosts", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				   struct config_registry, allowed_hosts, nallowed_hosts,
				   &settings_string_entry, 0, OCI_EXTRA_HOSTS_MAX),
	CYAML_FIELD_UINT_PTR("timeoutSeconds", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct config_registry, timeout_s),
	CYAML_FIELD_END,
};
static const cyaml_schema_value_t config_registry_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct config_registry, config_registry_fields),
};

static void config_free_registries(struct admitd_config *cfg)
{
	sigverify_free(cfg->sigverify);
	cfg->sigverify = NULL;
	for (size_t i = 0; i < cfg->nregistries; i++) {
		struct oci_config *o = &cfg->registries[i];
		free((char *)o->host);
		free((char *)o->endpoint);
		free((char *)o->ca_file);
		free((char *)o->docker_config);
		for (size_t h = 0; h < o->n_extra_hosts; h++)
			free((char *)o->extra_hosts[h]);
	}
	free(cfg->registries);
	cfg->registries = NULL;
	cfg->nregistries = 0;
}

/* An error at `key` (its item `item`, or -1) of the entry at loc. */
static void config_registry_error(struct yamlconf_errors *errs, const char *name, const char *buf,
				  size_t buflen, const struct yamlconf_entry *loc,
				  const char *where, const char *key, int item, const char *why)
{
	int line = loc->line, col = loc->col;
	char index[16] = "";
	if (item >= 0)
		snprintf(index, sizeof(index), "[%d]", item);
	yamlconf_find_key(buf, buflen, key, loc->line, &line, &col);
	yamlconf_error(errs, name, line, col, "%s.%s%s: %s", where, key, index, why);
}

/*
 * text as host[:port]. A URL is the likeliest mistake (a realm or an API
 * address copied whole): the message says what to write instead.
 */
static int config_host_shape(const char *text, const char *as, char *why, size_t whylen)
{
	const char *scheme = strstr(text, "://");
	const char *host = scheme != NULL ? scheme + 3 : text;
	int hostlen = (int)strcspn(host, "/?#");
	if (scheme == NULL && host[hostlen] == '\0')
		return 0;
	snprintf(why, whylen, "\"%s\" %s; write %s: %.*s", text,
		 scheme != NULL ? "is a URL" : "has a path", as, hostlen, host);
	return -1;
}

/* A file read later (a CA at each connection): refused now when it cannot be read. */
static int config_readable(const char *path, char *why, size_t whylen)
{
	struct stat st;
	/* O_NONBLOCK: a FIFO must not hang the load */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		snprintf(why, whylen, "cannot read \"%s\": %s", path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "\"%s\" is not a regular file", path);
		return -1;
	}
	return 0;
}

static void config_lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* Checks an entry's values; every error is reported. Returns 0, or -1. */
static int config_check_registry(struct admitd_config *cfg, struct config_registry *r,
				 const char *buf, size_t buflen, const struct yamlconf_entry *loc,
				 const char *where, struct yamlconf_errors *errs, const char *name)
{
	char why[700], host[264], sub[300];
	int rc = 0;
	if (config_host_shape(r->host, "the host as in image references, host[:port]", why,
			      sizeof(why)) < 0) {
		config_registry_error(errs, name, buf, buflen, loc, where, "host", -1, why);
		rc = -1;
	} else if (image_registry_host(r->host, host, sizeof(host), sub, sizeof(sub)) < 0) {
		snprintf(why, sizeof(why), "\"%s\" %s", r->host, sub);
		config_registry_error(errs, name, buf, buflen, loc, where, "host", -1, why);
		rc = -1;
	} else {
		/* never longer: lower-cased, and index.docker.io becomes docker.io */
		snprintf(r->host, strlen(r->host) + 1, "%s", host);
		for (size_t j = 0; j < cfg->nregistries; j++) {
			if (strcmp(cfg->registries[j].host, r->host) != 0)
				continue;
			snprintf(why, sizeof(why), "%s is listed twice (registries[%zu])", r->host,
				 j);
			config_registry_error(errs, name, buf, buflen, loc, where, "host", -1, why);
			rc = -1;
		}
	}
	/* where the registry's API is asked: a host[:port] as well, never a URL */
	if (r->endpoint != NULL) {
		const char *bad = NULL;
		bool shaped = config_host_shape(r->endpoint, "the host[:port] admitd asks", why,
						sizeof(why)) == 0;
		if (shaped && (bad = image_host_check(r->endpoint)) != NULL)
			snprintf(why, sizeof(why), "\"%s\" %s", r->endpoint, bad);
		if (shaped && bad == NULL) {
			config_lower(r->endpoint);
		} else {
			config_registry_error(errs, name, buf, buflen, loc, where, "endpoint", -1,
					      why);
			rc = -1;
		}
	}
	static const struct {
		const char *key;
		size_t at;
	} files[] = {
		{"caFile", offsetof(struct config_registry, ca_file)},
		{"credentialsFile", offsetof(struct config_registry, credentials_file)},
	};
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		const char *path = *(char *const *)((const char *)r + files[f].at);
		if (path != NULL && config_readable(path, why, sizeof(why)) < 0) {
			config_registry_error(errs, name, buf, buflen, loc, where, files[f].key, -1,
					      why);
			rc = -1;
		}
	}
	for (unsigned h = 0; h < r->nallowed_hosts; h++) {
		char *a = r->allowed_hosts[h];
		const char *bad = NULL;
		if (config_host_shape(a, "host[:port]", why, sizeof(why)) == 0) {
			if ((bad = image_host_check(a)) == NULL) {
				config_lower(a);
				continue;
			}
			snprintf(why, sizeof(why), "\"%s\" %s", a, bad);
		}
		config_registry_error(errs, name, buf, buflen, loc, where, "allowedHosts", (int)h,
				      why);
		rc = -1;
	}
	if (r->timeout_s != NULL &&
	    (*r->timeout_s < 1 || *r->timeout_s > CONFIG_REGISTRY_TIMEOUT_MAX)) {
		/* as cfgkeys.c says it of a top-level number */
		int line = loc->line, col = loc->col;
		yamlconf_find_key(buf, buflen, "timeoutSeconds", loc->line, &line, &col);
		yamlconf_error(errs, name, line, col,
			       "invalid value \"%u\" for key \"%s.timeoutSeconds\" (a whole number "
			       "from 1 to %d)",
			       *r->timeout_s, where, CONFIG_REGISTRY_TIMEOUT_MAX);
		rc = -1;
	}
	return rc;
}

/* One `registries:` entry into cfg->registries[cfg->nregistries]. Returns 0, or -1. */
static int config_load_registry(struct admitd_config *cfg, const char *buf, size_t buflen,
				const struct yamlconf_entry *loc, size_t idx,
				struct yamlconf_errors *errs, const char *name)
{
	char where[48];
	snprintf(where, sizeof(where), "registries[%zu]", idx);
	if (!loc->is_mapping) {
		yamlconf_error(errs, name, loc->line, loc->col,
			       "%s must be a mapping with a \"host\" key", where);
		return -1;
	}
	size_t len = 0;
	char *text = yamlconf_entry_text(buf, buflen, loc, &len);
	if (text == NULL)
		return -1;
	struct config_registry *r = NULL;
	int rc = yamlconf_load(name, text, len, &config_registry_schema, (void **)&r, where,
			       loc->line, errs);
	free(text);
	if (rc < 0)
		return -1;
	if (config_check_registry(cfg, r, buf, buflen, loc, where, errs, name) < 0) {
		yamlconf_free(&config_registry_schema, r);
		return -1;
	}
	/* the strings move into the row; the rest of what libcyaml loaded goes */
	struct oci_config *o = &cfg->registries[cfg->nregistries++];
	memset(o, 0, sizeof(*o));
	o->host = r->host;
	o->endpoint = r->endpoint;
	o->ca_file = r->ca_file;
	o->docker_config = r->credentials_file;
	o->insecure_http = r->insecure_http;
	for (unsigned h = 0; h < r->nallowed_hosts; h++) {
		o->extra_hosts[h] = r->allowed_hosts[h];
		r->allowed_hosts[h] = NULL;
	}
	o->n_extra_hosts = r->nallowed_hosts;
	o->request_timeout_ms =
		1000L * (r->timeout_s != NULL ? *r->timeout_s : CONFIG_REGISTRY_TIMEOUT_DEFAULT);
	r->host = r->endpoint = r->ca_file = r->credentials_file = NULL;
	yamlconf_free(&config_registry_schema, r);
	return 0;
}

/*
 * The entries, then the verifier over them (sigverify.h), which reads the
 * credentials and loads libcurl: what it refuses is an error of the file
 * too, so that a reload that would leave the policy unable to reach a
 * registry keeps the old configuration serving.
 */
static int config_load_registries(struct admitd_config *cfg, const char *buf, size_t buflen,
				  const struct yamlconf_list *list, struct yamlconf_errors *errs,
				  const char *name)
{
	if (list->nentries == 0)
		return 0;
	if (list->nentries > CONFIG_REGISTRIES_MAX) {
		yamlconf_error(errs, name, list->line, list->col,
			       "registries: %zu entries, more than the %d admitd contacts",
			       list->nentries, CONFIG_REGISTRIES_MAX);
		return -1;
	}
	cfg->registries = calloc(list->nentries, sizeof(*cfg->registries));
	if (cfg->registries == NULL)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < list->nentries; i++)
		if (config_load_registry(cfg, buf, buflen, &list->entries[i], i, errs, name) < 0)
			rc = -1;
	if (rc < 0)
		return -1;
	/* once, not once per entry: without it every entry fails alike */
	char why[300];
	if (libcurl_load("`registries:`", why, sizeof(why)) == NULL) {
		yamlconf_error(errs, name, list->line, list->col, "%s", why);
		return -1;
	}
	struct oci_error err;
	cfg->sigverify =
		sigverify_new(cfg->registries, cfg->nregistries, CONFIG_SIGVERIFY_ENTRIES, &err);
	if (cfg->sigverify != NULL)
		return 0;
	/* sigverify_new stops at the first registry it cannot open, and does not say which:
	 * opened alone, each bad entry is named at its line */
	bool named = false;
	for (size_t i = 0; i < cfg->nregistries; i++) {
		struct oci_error e;
		struct oci_client *c = oci_open(&cfg->registries[i], &e);
		if (c != NULL) {
			oci_close(c);
			continue;
		}
		yamlconf_error(errs, name, list->entries[i].line, list->entries[i].col,
			       "registries[%zu]: %s", i, e.reason);
		named = true;
	}
	if (!named)
		yamlconf_error(errs, name, list->line, list->col, "registries: %s", err.reason);
	return -1;
}

static int config_load_entry(struct admitd_config *cfg, const char *buf, size_t buflen,
			     const struct yamlconf_entry *loc, size_t idx,
			     struct yamlconf_errors *errs, const char *name)
{
	char where[64];
	snprintf(where, sizeof(where), "policies[%zu]", idx);
	if (!loc->is_mapping) {
		yamlconf_error(errs, name, loc->line, loc->col,
			       "%s must be a mapping with an \"id\" key", where);
		return -1;
	}
	if (loc->id[0] == '\0') {
		yamlconf_error(errs, name, loc->line, loc->col, "missing required key \"id\" in %s",
			       where);
		return -1;
	}
	int pi = registry_find(loc->id);
	if (pi < 0) {
		yamlconf_error(errs, name, loc->id_line, loc->id_col,
			       "unknown policy id \"%s\" in %s (see `admitd policies`)", loc->id,
			       where);
		return -1;
	}
	struct policy_setting *s = &cfg->settings[pi];
	const struct policy_desc *d = registry_policies[pi];
	if (s->listed) {
		yamlconf_error(errs, name, loc->id_line, loc->id_col,
			       "policy \"%s\" is listed twice (first at line %d)", loc->id,
			       s->line);
		return -1;
	}
	s->listed = true;
	s->line = loc->line;

	size_t len = 0;
	char *text = yamlconf_entry_text(buf, buflen, loc, &len);
	cyaml_schema_field_t *common = config_fields_ignoring(config_entry_common_fields,
							      CONFIG_NCOMMON, d->params_fields);
	cyaml_schema_field_t *own =
		d->params_fields != NULL
			? config_fields_ignoring(d->params_fields, config_nfields(d->params_fields),
						 config_entry_common_fields)
			: NULL;
	int rc = -1;
	if (text == NULL || common == NULL || (d->params_fields != NULL && own == NULL))
		goto out;

	/* the common keys */
	{
		cyaml_schema_value_t schema = {
			CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct config_entry, common),
		};
		struct config_entry *e = NULL;
		if (yamlconf_load(name, text, len, &schema, (void **)&e, where, loc->line, errs) <
		    0)
			goto out;
		s->action_given = e->action != 0;
		if (s->action_given)
			s->action = (enum policy_action)(e->action - 1);
		else if (d->level == POLICY_LEVEL_NONE)
			s->action = POLICY_ACTION_DENY; /* listing a module turns it on */
		s->exempt = e->exemptions;
		e->exemptions = NULL;
		yamlconf_free(&schema, e);
	}
	if (s->exempt != NULL) {
		char w[80];
		snprintf(w, sizeof(w), "%s.exemptions", where);
		if (config_check_names(errs, name, loc->line, loc->col, s->exempt->namespaces,
				       s->exempt->nnamespaces, w) < 0 ||
		    config_compile_images(s->exempt, errs, name, loc->line, loc->col, w) < 0)
			goto out;
	}

	/* the module's own parameters */
	if (own != NULL) {
		cyaml_schema_value_t schema = {
			.type = CYAML_MAPPING,
			.flags = CYAML_FLAG_POINTER,
			.data_size = (uint32_t)d->params_size,
			.mapping.fields = own,
		};
		void *params = NULL;
		if (yamlconf_load(name, text, len, &schema, &params, where, loc->line, errs) < 0)
			goto out;
		s->params = params;
	}
	rc = 0;
out:
	/* its errors are said; prepare() must not add "needs ..." for what did not load */
	s->broken = rc < 0;
	free(text);
	free(common);
	free(own);
	return rc;
}

/* ---- the whole configuration ---- */

static void config_free(struct admitd_config *cfg)
{
	if (cfg->settings != NULL) {
		for (size_t i = 0; i < registry_npolicies; i++) {
			struct policy_setting *s = &cfg->settings[i];
			const struct policy_desc *d = registry_policies[i];
			if (s->state != NULL && d->release != NULL)
				d->release(s->state);
			if (s->params != NULL) {
				cyaml_schema_value_t schema = {
					.type = CYAML_MAPPING,
					.flags = CYAML_FLAG_POINTER,
					.data_size = (uint32_t)d->params_size,
					.mapping.fields = d->params_fields,
				};
				yamlconf_free(&schema, s->params);
			}
			settings_exemptions_free(s->exempt);
		}
		free(cfg->settings);
	}
	for (size_t i = 0; i < cfg->nrules; i++)
		rules_free(cfg->rules[i]);
	free(cfg->rules);
	config_free_workloads(cfg);
	config_free_registries(cfg);
	cfgkeys_free(cfg);
	free(cfg);
}

struct admitd_config *config_ref(struct admitd_config *cfg)
{
	atomic_fetch_add(&cfg->refs, 1);
	return cfg;
}

void config_unref(struct admitd_config *cfg)
{
	if (cfg != NULL && atomic_fetch_sub(&cfg->refs, 1) == 1)
		config_free(cfg);
}

static void config_apply_levels(struct admitd_config *cfg)
{
	/* a PSS check listed with its own action keeps it; the others follow podSecurity */
	for (size_t i = 0; i < registry_npolicies; i++) {
		const struct policy_desc *d = registry_policies[i];
		struct policy_setting *s = &cfg->settings[i];
		if (d->level == POLICY_LEVEL_NONE) {
			if (!s->listed)
				s->action = d->default_action;
			continue;
		}
		if (s->action_given)
			continue;
		s->action = (cfg->pss_level != POLICY_LEVEL_NONE && d->level <= cfg->pss_level)
				    ? cfg->pss_action
				    : POLICY_ACTION_OFF;
	}
	/* where a restricted check runs, it replaces its baseline twin, as upstream does */
	for (size_t i = 0; i < registry_npolicies; i++) {
		const struct policy_desc *d = registry_policies[i];
		if (d->overrides == NULL || cfg->settings[i].action == POLICY_ACTION_OFF)
			continue;
		int t = registry_find(d->overrides);
		if (t >= 0 && !cfg->settings[t].action_given)
			cfg->settings[t].action = POLICY_ACTION_OFF;
	}
}

/* An optional whole number within [min, max]; the error names the key's line. */
size_t config_notes(const struct admitd_config *cfg, char **lines, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < registry_npolicies && n < max; i++) {
		const struct policy_desc *d = registry_policies[i];
		if (!d->audit_only || cfg->settings[i].action == POLICY_ACTION_OFF)
			continue;
		if (asprintf(&lines[n],
			     "policy \"%s\" is at %s, but only `admitd audit` runs it "
			     "(it needs the namespace's NetworkPolicies, which an "
			     "AdmissionReview does not carry): admitd serve never finds "
			     "a violation of it",
			     d->id, policy_action_name(cfg->settings[i].action)) >= 0)
			n++;
	}
	return n;
}

/* What the key table cannot say: defaults that depend on other keys, list shapes. */
static int config_take_top(struct admitd_config *cfg, const bool *given,
			   const struct yamlconf_scan *sc, struct yamlconf_errors *errs,
			   const char *name)
{
	int rc = 0;
	/* podSecurity without a level means restricted: the safe reading */
	if (given[cfgkeys_index("podSecurity")] && !given[cfgkeys_index("podSecurity.level")])
		cfg->pss_level = POLICY_LEVEL_RESTRICTED;
	for (int l = 0; l < YAMLCONF_LISTS; l++) {
		if (sc->lists[l].not_list) {
			yamlconf_error(errs, name, sc->lists[l].line, sc->lists[l].col,
				       "key \"%s\" must be a list", sc->lists[l].key);
			rc = -1;
		}
	}
	return rc;
}

struct admitd_config *config_load_buffer(const char *name, const char *buf, size_t len,
					 struct yamlconf_errors *errs)
{
	struct yamlconf_scan sc = {0};
	struct admitd_config *cfg = calloc(1, sizeof(*cfg));
	bool bad = false;
	if (cfg == NULL)
		return NULL;
	atomic_init(&cfg->refs, 1);
	snprintf(cfg->source, sizeof(cfg->source), "%s", name);
	snprintf(cfg->checksum, sizeof(cfg->checksum), "%016llx",
		 (unsigned long long)fnv_bytes(FNV_OFFSET, buf, len));
	cfg->settings = calloc(registry_npolicies ? registry_npolicies : 1, sizeof(*cfg->settings));
	if (cfg->settings == NULL)
		goto fail;

	static const char *const lists[YAMLCONF_LISTS] = {"policies", "rules", "workloads",
							  "registries"};
	if (yamlconf_scan(buf, len, lists, &sc, errs, name) < 0)
		goto fail;
	if (sc.empty) {
		yamlconf_error(errs, name, 0, 0, "the configuration is empty");
		goto fail;
	}

	bool given[CFGKEYS_MAX];
	if (cfgkeys_read(cfg, name, buf, len, given, errs) < 0)
		bad = true;
	if (config_take_top(cfg, given, &sc, errs, name) < 0)
		bad = true;

	for (size_t i = 0; i < sc.lists[0].nentries; i++)
		if (config_load_entry(cfg, buf, len, &sc.lists[0].entries[i], i, errs, name) < 0)
			bad = true;
	/* before the rules: their match.kinds may name a configured kind */
	if (config_load_workloads(cfg, buf, len, &sc.lists[2], errs, name) < 0)
		bad = true;
	if (config_load_rules(cfg, buf, len, &sc.lists[1], errs, name) < 0)
		bad = true;
	if (config_load_registries(cfg, buf, len, &sc.lists[3], errs, name) < 0)
		bad = true;
	/* on: the modules' own checks of the entries that loaded are errors to report too */
	config_apply_levels(cfg);

	/* modules turn their parameters into runtime state once, here */
	for (size_t i = 0; i < registry_npolicies; i++) {
		const struct policy_desc *d = registry_policies[i];
		struct policy_setting *s = &cfg->settings[i];
		/* a policy that is off never runs: its parameters may be left out */
		if (d->prepare == NULL || s->action == POLICY_ACTION_OFF || s->broken)
			continue;
		char why[300] = "";
		if (d->prepare(s->params, &s->state, why, sizeof(why)) < 0) {
			yamlconf_error(errs, name, s->line, 1, "policy \"%s\": %s", d->id,
				       why[0] ? why : "invalid parameters");
			bad = true;
		}
	}
	if (bad)
		goto fail;
	yamlconf_scan_free(&sc);
	return cfg;
fail:
	yamlconf_scan_free(&sc);
	config_free(cfg);
	return NULL;
}

struct admitd_config *config_load_file(const char *path, struct yamlconf_errors *errs)
{
	char *buf = NULL, why[256];
	size_t len = 0;
	if (readall_file(path, CONFIG_MAX_FILE, &buf, &len, why, sizeof(why)) < 0) {
		yamlconf_error(errs, path, 0, 0, "%s", why);
		return NULL;
	}
	struct admitd_config *cfg = config_load_buffer(path, buf, len, errs);
	free(buf);
	return cfg;
}

struct admitd_config *config_load_or_default(const char *path, struct yamlconf_errors *errs)
{
	if (path == NULL)
		return config_load_buffer("built-in", config_default_yaml,
					  strlen(config_default_yaml), errs);
	return config_load_file(path, errs);
}
