/*
 * cfgkeys.c: the configuration's keys (see cfgkeys.h) and the reader that
 * checks a file against them. The file is read with libyaml's document
 * API, which keeps every node's position, so that each error names its
 * own line and column and no error hides the next.
 */
#include "cfgkeys.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "cfgtypes.h"

static const cyaml_strval_t cfgkeys_mode[] = {
	{"enforce", ADMITD_MODE_ENFORCE},
	{"dry-run", ADMITD_MODE_DRY_RUN},
};
static const cyaml_strval_t cfgkeys_updates[] = {
	{"newViolations", ADMITD_UPDATES_NEW_VIOLATIONS},
	{"all", ADMITD_UPDATES_ALL},
};
static const cyaml_strval_t cfgkeys_level[] = {
	{"privileged", POLICY_LEVEL_NONE},
	{"baseline", POLICY_LEVEL_BASELINE},
	{"restricted", POLICY_LEVEL_RESTRICTED},
};
static const cyaml_strval_t cfgkeys_action[] = {
	{"deny", POLICY_ACTION_DENY},
	{"warn", POLICY_ACTION_WARN},
	{"audit", POLICY_ACTION_AUDIT},
	{"off", POLICY_ACTION_OFF},
};
static const cyaml_strval_t cfgkeys_on_error[] = {
	{"deny", 0},
	{"allow", 1},
};

#define CK_AT(member)   offsetof(struct admitd_config, member)
#define CK_SIZE(member) sizeof(((struct admitd_config *)0)->member)
#define CK_ENUM(p, member, vals, d, doc_def, text)                                                 \
	{                                                                                          \
		.path = p, .type = CFGKEYS_ENUM, .offset = CK_AT(member), .size = CK_SIZE(member), \
		.def = d, .values = vals, .nvalues = sizeof(vals) / sizeof(vals[0]), .live = true, \
		.doc_default = doc_def, .doc = text                                                \
	}
#define CK_UINT(p, member, d, lo, hi, lv, text)                                                    \
	{                                                                                          \
		.path = p, .type = CFGKEYS_UINT, .offset = CK_AT(member), .def = d, .min = lo,     \
		.max = hi, .live = lv, .doc = text                                                 \
	}
#define CK_STR(p, member, fl, text)                                                                \
	{                                                                                          \
		.path = p, .type = CFGKEYS_STRING, .offset = CK_AT(member), .max = 4096,           \
		.flag = fl, .doc = text                                                            \
	}
#define CK_NAMES(p, member, text)                                                                  \
	{                                                                                          \
		.path = p, .type = CFGKEYS_NAMES, .offset = CK_AT(exempt.member),                  \
		.count_offset = CK_AT(exempt.n##member), .live = true, .doc_default = "none",      \
		.doc = text                                                                        \
	}

/*
 * The rows. A section's rows follow it, named "section.key". Defaults are
 * the row's; `doc_default` only when the default needs words.
 */
const struct cfgkey cfgkeys_table[] = {
	CK_ENUM("mode", mode, cfgkeys_mode, ADMITD_MODE_ENFORCE, NULL,
		"`dry-run` allows everything and returns each would-be denial as a warning and in "
		"the audit annotation `would-deny` ([audit.md](audit.md))"),
	CK_ENUM("updates", updates, cfgkeys_updates, ADMITD_UPDATES_NEW_VIOLATIONS, NULL,
		"how an UPDATE is judged: `newViolations` denies only what the update introduces "
		"([the update rule](#updates-the-update-rule)); `all` judges every UPDATE as a "
		"CREATE"),
	{.path = "podSecurity",
	 .type = CFGKEYS_SECTION,
	 .live = true,
	 .doc = "the Pod Security Standards checks"},
	CK_ENUM("podSecurity.level", pss_level, cfgkeys_level, POLICY_LEVEL_NONE,
		"`restricted` when `podSecurity` is present, else off",
		"which Pod Security Standards checks run; `privileged` turns them all off"),
	CK_ENUM("podSecurity.action", pss_action, cfgkeys_action, POLICY_ACTION_DENY, NULL,
		"the action of every check of that level"),
	{.path = "exemptions",
	 .type = CFGKEYS_SECTION,
	 .live = true,
	 .doc = "requests allowed untouched, for every policy"},
	CK_NAMES("exemptions.namespaces", namespaces,
		 "requests in these namespaces are allowed untouched"),
	CK_NAMES("exemptions.users", users, "requests from these users are allowed"),
	CK_NAMES("exemptions.groups", groups,
		 "requests from a user in any of these groups are allowed"),
	{.path = "exemptions.annotationNamespaces",
	 .type = CFGKEYS_NAMES,
	 .offset = CK_AT(annotation_namespaces),
	 .count_offset = CK_AT(nannotation_namespaces),
	 .live = true,
	 .doc_default = "none: only `admitd audit` honours it",
	 .doc = "namespaces where the webhook honours an object's `admitd.io/exempt` annotation "
		"([Per-object exemptions](#per-object-exemptions-the-admitdioexempt-annotation))"},
	{.path = "policies",
	 .type = CFGKEYS_LIST,
	 .live = true,
	 .doc_default = "none",
	 .doc = "per-policy settings ([Policy entries](#policy-entries))"},
	{.path = "rules",
	 .type = CFGKEYS_LIST,
	 .live = true,
	 .doc_default = "none",
	 .doc = "your own checks ([rules.md](rules.md))"},
	{.path = "workloads",
	 .type = CFGKEYS_LIST,
	 .live = true,
	 .doc_default = "none",
	 .doc = "custom resources that embed a pod template (Argo Rollouts, Knative Services, "
		"...), judged like a Deployment ([Workloads](#workloads-custom-resources))"},
	{.path = "registries",
	 .type = CFGKEYS_LIST,
	 .live = true,
	 .doc_default = "none: no registry is contacted",
	 .doc = "the registries image signatures may be fetched from, with their CA, credentials "
		"and timeout; a reload replaces them all ([Registries](#registries))"},
	CK_ENUM("onPolicyError", on_policy_error_allow, cfgkeys_on_error, 0, NULL,
		"a policy that fails internally denies the request (fail closed); `allow` lets it "
		"through with a warning"),

	{.path = "server",
	 .type = CFGKEYS_SECTION,
	 .live = true,
	 .doc = "listening, TLS and HTTP ([server.md](server.md))"},
	{.path = "server.listen",
	 .type = CFGKEYS_LISTEN,
	 .offset = CK_AT(server.listen),
	 .text_default = ":8443",
	 .max = 300,
	 .flag = "--listen",
	 .doc = "`ADDR:PORT`, `[V6]:PORT` or `:PORT` (all interfaces)"},
	CK_STR("server.cert", server.cert, "--cert",
	       "PEM certificate chain (required here or as the flag); the file reloads when it "
	       "changes"),
	CK_STR("server.key", server.key, "--key", "its PEM key"),
	CK_STR("server.clientCA", server.client_ca, "--client-ca",
	       "require a client certificate from this CA"),
	{.path = "server.threads",
	 .type = CFGKEYS_UINT,
	 .offset = CK_AT(server.threads),
	 .def = 0,
	 .min = 0,
	 .max = 256,
	 .flag = "--threads",
	 .doc_default = "0: one per core",
	 .doc = "event loops, each with its own listener on the port (SO_REUSEPORT); a "
		"second process on the same address gets \"address in use\""},
	{.path = "server.http2",
	 .type = CFGKEYS_BOOL,
	 .offset = CK_AT(server.http2),
	 .size = CK_SIZE(server.http2),
	 .def = 0,
	 .flag = "--http2",
	 .doc = "also offer HTTP/2 (ALPN `h2`)"},
	{.path = "server.maxBodyBytes",
	 .type = CFGKEYS_SIZE,
	 .offset = CK_AT(server.max_body_bytes),
	 .def = 7ULL << 20,
	 .min = 1024,
	 .max = 1ULL << 40,
	 .live = true,
	 .doc_default = "`7Mi`",
	 .doc = "larger bodies get 413 (an UPDATE carries two objects of up to 3 MiB)"},
	CK_UINT("server.requestTimeoutSeconds", server.request_timeout_s, 10, 1, 3600, false,
		"a request must arrive whole within this"),
	CK_UINT("server.idleTimeoutSeconds", server.idle_timeout_s, 60, 1, 3600, false,
		"idle HTTP/2 connections are closed"),
	CK_UINT("server.handshakeTimeoutSeconds", server.handshake_timeout_s, 10, 1, 600, false,
		"a TLS handshake must finish within this"),
	CK_UINT("server.maxConnections", server.max_connections, 4096, 1, 1000000, true,
		"connections over this are closed at accept"),
	CK_UINT("server.maxStreamsPerConnection", server.max_streams, 16, 1, 256, true,
		"HTTP/2 requests handled at once per connection"),
	/* a review client waits for answers and tops out near 28,000 streams a second on one
	 * connection here (tiny reviews, 16 at once); a Rapid Reset flood sends over a
	 * million, and h2o alone handles some 370,000 a second (h2guard.c) */
	CK_UINT("server.http2MaxStreamsPerSecond", server.h2_streams_per_second, 50000, 0, 10000000,
		true,
		"HTTP/2 streams one connection may open a second; over it, GOAWAY "
		"`ENHANCE_YOUR_CALM` and close (Rapid Reset, [security.md](security.md#http2)); 0: "
		"no bound"),
	CK_UINT("server.http2FloodPenaltySeconds", server.h2_penalty_s, 10, 0, 3600, true,
		"an address caught by the bound above is refused new connections this long; 0: "
		"never"),

	{.path = "limits",
	 .type = CFGKEYS_SECTION,
	 .live = true,
	 .doc = "what one request may make admitd do ([security.md](security.md))"},
	CK_UINT("limits.maxJsonDepth", limits.max_json_depth, 64, 16, 1024, true,
		"bodies nested deeper are refused with 400"),
	CK_UINT("limits.maxContainers", limits.max_containers, 256, 1, 10000, true,
		"objects with more containers are denied (fail closed)"),
	CK_UINT("limits.maxMatchLength", limits.max_match_length, 4096, 1, 1048576, true,
		"longer strings never reach a rule's regex: the rule is not decided (a violation)"),
};
const size_t cfgkeys_count = sizeof(cfgkeys_table) / sizeof(cfgkeys_table[0]);
_Static_assert(sizeof(cfgkeys_table) / sizeof(cfgkeys_table[0]) <= CFGKEYS_MAX,
	       "cfgkeys_table has more rows than CFGKEYS_MAX");

static const char *const cfgkeys_bool_true[] = {"true", "True", "TRUE", NULL};
static const char *const cfgkeys_bool_false[] = {"false", "False", "FALSE", NULL};

int cfgkeys_parse_uint(const char *text, unsigned long min, unsigned long max, unsigned *out,
		       char *why, size_t whylen)
{
	char *end = NULL;
	errno = 0;
	unsigned long v =
		text != NULL && text[0] >= '0' && text[0] <= '9' ? strtoul(text, &end, 10) : 0;
	if (text == NULL || end == NULL || end == text || *end != '\0' || errno != 0 || v < min ||
	    v > max) {
		snprintf(why, whylen, "\"%s\" is not a whole number from %lu to %lu",
			 text != NULL ? text : "", min, max);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

int cfgkeys_check_listen(const char *listen, char *why, size_t whylen)
{
	const char *colon = listen != NULL ? strrchr(listen, ':') : NULL;
	if (colon == NULL) {
		snprintf(why, whylen, "\"%s\" is not ADDR:PORT", listen != NULL ? listen : "");
		return -1;
	}
	unsigned port;
	char sub[96];
	if (cfgkeys_parse_uint(colon + 1, 1, 65535, &port, sub, sizeof(sub)) < 0) {
		snprintf(why, whylen, "\"%s\": the port %s", listen, sub);
		return -1;
	}
	return 0;
}

/* ---- values in struct admitd_config ---- */

static void *cfgkeys_at(struct admitd_config *cfg, const struct cfgkey *k)
{
	return (char *)cfg + k->offset;
}

static void cfgkeys_store_int(struct admitd_config *cfg, const struct cfgkey *k, long long v)
{
	void *p = cfgkeys_at(cfg, k);
	switch (k->size) {
	case 1:
		*(uint8_t *)p = (uint8_t)v;
		break;
	case 2:
		*(uint16_t *)p = (uint16_t)v;
		break;
	case 8:
		*(uint64_t *)p = (uint64_t)v;
		break;
	default:
		*(int *)p = (int)v;
		break;
	}
}

static long long cfgkeys_load_int(const struct admitd_config *cfg, const struct cfgkey *k)
{
	const void *p = (const char *)cfg + k->offset;
	switch (k->size) {
	case 1:
		return *(const uint8_t *)p;
	case 2:
		return *(const uint16_t *)p;
	case 8:
		return (long long)*(const uint64_t *)p;
	default:
		return *(const int *)p;
	}
}

static void cfgkeys_defaults(struct admitd_config *cfg)
{
	for (size_t i = 0; i < cfgkeys_count; i++) {
		const struct cfgkey *k = &cfgkeys_table[i];
		switch (k->type) {
		case CFGKEYS_ENUM:
		case CFGKEYS_BOOL:
			cfgkeys_store_int(cfg, k, (long long)k->def);
			break;
		case CFGKEYS_UINT:
			*(unsigned *)cfgkeys_at(cfg, k) = (unsigned)k->def;
			break;
		case CFGKEYS_SIZE:
			*(unsigned long long *)cfgkeys_at(cfg, k) = k->def;
			break;
		case CFGKEYS_STRING:
		case CFGKEYS_LISTEN:
			*(char **)cfgkeys_at(cfg, k) =
				k->text_default != NULL ? strdup(k->text_default) : NULL;
			break;
		case CFGKEYS_NAMES:
		case CFGKEYS_SECTION:
		case CFGKEYS_LIST:
			break;
		}
	}
}

void cfgkeys_free(struct admitd_config *cfg)
{
	for (size_t i = 0; i < cfgkeys_count; i++) {
		const struct cfgkey *k = &cfgkeys_table[i];
		if (k->type == CFGKEYS_STRING || k->type == CFGKEYS_LISTEN) {
			char **p = cfgkeys_at(cfg, k);
			free(*p);
			*p = NULL;
		} else if (k->type == CFGKEYS_NAMES) {
			char ***p = cfgkeys_at(cfg, k);
			unsigned *n = (unsigned *)((char *)cfg + k->count_offset);
			for (unsigned j = 0; j < *n; j++)
				free((*p)[j]);
			free(*p);
			*p = NULL;
			*n = 0;
		}
	}
}

bool cfgkeys_equal(size_t i, const struct admitd_config *a, const struct admitd_config *b)
{
	const struct cfgkey *k = &cfgkeys_table[i];
	const void *pa = (const char *)a + k->offset, *pb = (const char *)b + k->offset;
	switch (k->type) {
	case CFGKEYS_ENUM:
	case CFGKEYS_BOOL:
		return cfgkeys_load_int(a, k) == cfgkeys_load_int(b, k);
	case CFGKEYS_UINT:
		return *(const unsigned *)pa == *(const unsigned *)pb;
	case CFGKEYS_SIZE:
		return *(const unsigned long long *)pa == *(const unsigned long long *)pb;
	case CFGKEYS_STRING:
	case CFGKEYS_LISTEN: {
		const char *sa = *(char *const *)pa, *sb = *(char *const *)pb;
		return (sa == NULL && sb == NULL) ||
		       (sa != NULL && sb != NULL && strcmp(sa, sb) == 0);
	}
	case CFGKEYS_NAMES: {
		unsigned na = *(const unsigned *)((const char *)a + k->count_offset);
		unsigned nb = *(const unsigned *)((const char *)b + k->count_offset);
		char *const *la = *(char **const *)pa, *const *lb = *(char **const *)pb;
		if (na != nb)
			return false;
		for (unsigned j = 0; j < na; j++)
			if (strcmp(la[j], lb[j]) != 0)
				return false;
		return true;
	}
	case CFGKEYS_SECTION:
	case CFGKEYS_LIST:
		break;
	}
	return true;
}

/* ---- reading ---- */

struct cfgkeys_reader {
	yaml_document_t doc;
	struct admitd_config *cfg;
	const char *name;
	struct yamlconf_errors *errs;
	bool *given;
	int rc;
};

static void cfgkeys_fail(struct cfgkeys_reader *r, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void cfgkeys_fail(struct cfgkeys_reader *r, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	yamlconf_error(r->errs, r->name, n != NULL ? (int)n->start_mark.line + 1 : 0,
		       n != NULL ? (int)n->start_mark.column + 1 : 0, "%s", msg);
	r->rc = -1;
}

static const char *cfgkeys_scalar(const yaml_node_t *n)
{
	return n != NULL && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A plain `key:` with nothing after it (YAML null). */
static bool cfgkeys_is_null(const yaml_node_t *n)
{
	const char *s = cfgkeys_scalar(n);
	return s != NULL && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0);
}

size_t cfgkeys_index(const char *path)
{
	for (size_t i = 0; i < cfgkeys_count; i++)
		if (strcmp(cfgkeys_table[i].path, path) == 0)
			return i;
	return cfgkeys_count;
}

static const struct cfgkey *cfgkeys_find(const char *path, size_t *idx)
{
	*idx = cfgkeys_index(path);
	return *idx < cfgkeys_count ? &cfgkeys_table[*idx] : NULL;
}

/* " (expected a, b or c)" from an enum row's values. */
static void cfgkeys_expected(const struct cfgkey *k, char *out, size_t len)
{
	size_t n = (size_t)snprintf(out, len, " (expected ");
	for (unsigned i = 0; i < k->nvalues && n < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%s",
				      i == 0                ? ""
				      : i + 1 == k->nvalues ? " or "
							    : ", ",
				      k->values[i].str);
	if (n < len)
		snprintf(out + n, len - n, ")");
}

static bool cfgkeys_parse_size(const char *s, unsigned long long *out)
{
	char *end = NULL;
	errno = 0;
	if (!(s[0] >= '0' && s[0] <= '9'))
		return false;
	unsigned long long v = strtoull(s, &end, 10), mul = 1;
	if (errno != 0 || end == s)
		return false;
	if (strcmp(end, "Ki") == 0 || strcmp(end, "K") == 0)
		mul = 1024;
	else if (strcmp(end, "Mi") == 0 || strcmp(end, "M") == 0)
		mul = 1024 * 1024;
	else if (end[0] != '\0')
		return false;
	if (v > (1ULL << 40) / mul)
		return false;
	*out = v * mul;
	return true;
}

static bool cfgkeys_in(const char *s, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcmp(s, *words) == 0)
			return true;
	return false;
}

static void cfgkeys_names(struct cfgkeys_reader *r, const struct cfgkey *k, yaml_node_t *v)
{
	if (v->type != YAML_SEQUENCE_NODE) {
		cfgkeys_fail(r, v, "key \"%s\" must be a list", k->path);
		return;
	}
	size_t n = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	char **list = calloc(n ? n : 1, sizeof(*list));
	if (list == NULL) {
		cfgkeys_fail(r, v, "out of memory");
		return;
	}
	unsigned got = 0;
	for (size_t i = 0; i < n; i++) {
		yaml_node_t *item =
			yaml_document_get_node(&r->doc, v->data.sequence.items.start[i]);
		const char *s = cfgkeys_scalar(item);
		if (s == NULL) {
			cfgkeys_fail(r, item, "key \"%s[%zu]\" must be a single value", k->path, i);
			continue;
		}
		const char *star = strchr(s, '*');
		if (s[0] == '\0' || (star != NULL && star[1] != '\0')) {
			cfgkeys_fail(
				r, item,
				"%s[%zu] \"%s\": a name, or a prefix followed by a single trailing "
				"'*'",
				k->path, i, s);
			continue;
		}
		if ((list[got] = strdup(s)) == NULL) {
			cfgkeys_fail(r, item, "out of memory");
			continue;
		}
		got++;
	}
	*(char ***)cfgkeys_at(r->cfg, k) = list;
	*(unsigned *)((char *)r->cfg + k->count_offset) = got;
}

static void cfgkeys_value(struct cfgkeys_reader *r, const struct cfgkey *k, yaml_node_t *v)
{
	if (k->type == CFGKEYS_NAMES) {
		if (!cfgkeys_is_null(v))
			cfgkeys_names(r, k, v);
		return;
	}
	const char *s = cfgkeys_scalar(v);
	if (s == NULL) {
		cfgkeys_fail(r, v, "key \"%s\" must be a single value", k->path);
		return;
	}
	char hint[256];
	switch (k->type) {
	case CFGKEYS_ENUM:
		for (unsigned i = 0; i < k->nvalues; i++)
			if (strcmp(s, k->values[i].str) == 0) {
				cfgkeys_store_int(r->cfg, k, k->values[i].val);
				return;
			}
		cfgkeys_expected(k, hint, sizeof(hint));
		cfgkeys_fail(r, v, "invalid value \"%s\" for key \"%s\"%s", s, k->path, hint);
		return;
	case CFGKEYS_BOOL:
		if (cfgkeys_in(s, cfgkeys_bool_true) || cfgkeys_in(s, cfgkeys_bool_false)) {
			cfgkeys_store_int(r->cfg, k, cfgkeys_in(s, cfgkeys_bool_true));
			return;
		}
		cfgkeys_fail(r, v, "invalid value \"%s\" for key \"%s\" (expected true or false)",
			     s, k->path);
		return;
	case CFGKEYS_UINT: {
		unsigned u;
		if (cfgkeys_parse_uint(s, (unsigned long)k->min, (unsigned long)k->max, &u, hint,
				       sizeof(hint)) < 0) {
			cfgkeys_fail(r, v,
				     "invalid value \"%s\" for key \"%s\" (a whole number from "
				     "%llu to %llu)",
				     s, k->path, k->min, k->max);
			return;
		}
		*(unsigned *)cfgkeys_at(r->cfg, k) = u;
		return;
	}
	case CFGKEYS_SIZE: {
		unsigned long long b;
		if (!cfgkeys_parse_size(s, &b) || b < k->min || b > k->max) {
			cfgkeys_fail(r, v,
				     "invalid value \"%s\" for key \"%s\" (a byte count of at "
				     "least %llu, optionally with Ki or Mi)",
				     s, k->path, k->min);
			return;
		}
		*(unsigned long long *)cfgkeys_at(r->cfg, k) = b;
		return;
	}
	case CFGKEYS_LISTEN:
		if (cfgkeys_check_listen(s, hint, sizeof(hint)) < 0) {
			cfgkeys_fail(r, v, "invalid value for key \"%s\": %s", k->path, hint);
			return;
		}
		__attribute__((fallthrough)); /* stored as text */
	case CFGKEYS_STRING: {
		if (s[0] == '\0' || strlen(s) > k->max) {
			cfgkeys_fail(r, v, "key \"%s\" must be a non-empty string", k->path);
			return;
		}
		char **p = cfgkeys_at(r->cfg, k);
		char *copy = strdup(s);
		if (copy == NULL) {
			cfgkeys_fail(r, v, "out of memory");
			return;
		}
		free(*p);
		*p = copy;
		return;
	}
	case CFGKEYS_SECTION:
	case CFGKEYS_LIST:
	case CFGKEYS_NAMES:
		break;
	}
}

/* The pairs of a mapping node under `prefix` ("" or "server"). */
static void cfgkeys_mapping(struct cfgkeys_reader *r, yaml_node_t *map, const char *prefix)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *kn = yaml_document_get_node(&r->doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(&r->doc, p->value);
		const char *key = cfgkeys_scalar(kn);
		if (key == NULL || vn == NULL) {
			cfgkeys_fail(r, kn, "mapping keys must be single values");
			continue;
		}
		/* a duplicate: libcyaml refused it too; both values cannot be meant */
		bool dup = false;
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p && !dup; q++) {
			const char *other = cfgkeys_scalar(yaml_document_get_node(&r->doc, q->key));
			dup = other != NULL && strcmp(other, key) == 0;
		}
		char path[256];
		snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] ? "." : "", key);
		if (dup) {
			cfgkeys_fail(r, kn, "duplicate key \"%s\"", path);
			continue;
		}
		size_t idx = 0;
		const struct cfgkey *k = cfgkeys_find(path, &idx);
		if (k == NULL) {
			if (prefix[0] == '\0')
				cfgkeys_fail(r, kn, "unknown key \"%s\" at the top level", key);
			else
				cfgkeys_fail(r, kn, "unknown key \"%s\" in %s", key, prefix);
			continue;
		}
		r->given[idx] = true;
		if (k->type == CFGKEYS_LIST)
			continue; /* config.c reads the entries, and says when it is not a list */
		if (k->type == CFGKEYS_SECTION) {
			if (vn->type == YAML_MAPPING_NODE)
				cfgkeys_mapping(r, vn, path);
			else if (!cfgkeys_is_null(vn))
				cfgkeys_fail(r, vn, "key \"%s\" must be a mapping", path);
			continue;
		}
		cfgkeys_value(r, k, vn);
	}
}

int cfgkeys_read(struct admitd_config *cfg, const char *name, const char *buf, size_t len,
		 bool given[CFGKEYS_MAX], struct yamlconf_errors *errs)
{
	struct cfgkeys_reader r = {.cfg = cfg, .name = name, .errs = errs, .given = given};
	memset(given, 0, CFGKEYS_MAX * sizeof(*given));
	cfgkeys_defaults(cfg);
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p)) {
		yamlconf_error(errs, name, 0, 0, "out of memory");
		return -1;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&p, &r.doc)) {
		/* the scan pass took the syntax; the loader also refuses, e.g., an anchor
		 * defined twice: say so, every refusal has its message */
		if (p.context != NULL)
			/* libyaml: context "found duplicate anchor; first occurrence" at
			 * context_mark, problem "second occurrence" at problem_mark */
			yamlconf_error(errs, name, (int)p.problem_mark.line + 1,
				       (int)p.problem_mark.column + 1,
				       "YAML error: %s at line %d, %s here", p.context,
				       (int)p.context_mark.line + 1, p.problem ? p.problem : "and");
		else
			yamlconf_error(errs, name, (int)p.problem_mark.line + 1,
				       (int)p.problem_mark.column + 1, "YAML error: %s",
				       p.problem ? p.problem : "the document cannot be loaded");
		yaml_parser_delete(&p);
		return -1;
	}
	yaml_node_t *root = yaml_document_get_root_node(&r.doc);
	if (root != NULL && root->type == YAML_MAPPING_NODE)
		cfgkeys_mapping(&r, root, "");
	else if (root != NULL && !cfgkeys_is_null(root))
		cfgkeys_fail(&r, root, "the configuration must be a mapping of keys");
	yaml_document_delete(&r.doc);
	yaml_parser_delete(&p);
	return r.rc;
}

/* ---- docs ---- */

static void cfgkeys_doc_values(FILE *out, const struct cfgkey *k)
{
	switch (k->type) {
	case CFGKEYS_ENUM:
		for (unsigned i = 0; i < k->nvalues; i++)
			fprintf(out, "%s`%s`", i ? ", " : "", k->values[i].str);
		break;
	case CFGKEYS_BOOL:
		fputs("`true`, `false`", out);
		break;
	case CFGKEYS_UINT:
		fprintf(out, "%llu to %llu", k->min, k->max);
		break;
	case CFGKEYS_SIZE:
		fputs("bytes, or with `Ki`, `Mi`", out);
		break;
	case CFGKEYS_STRING:
		fputs("a file path", out);
		break;
	case CFGKEYS_LISTEN:
		fputs("`ADDR:PORT`", out);
		break;
	case CFGKEYS_NAMES:
		fputs("names, or prefixes ending in `*`", out);
		break;
	case CFGKEYS_SECTION:
		fputs("a mapping", out);
		break;
	case CFGKEYS_LIST:
		fputs("a list of entries", out);
		break;
	}
}

static void cfgkeys_doc_default(FILE *out, const struct cfgkey *k)
{
	if (k->doc_default != NULL) {
		fputs(k->doc_default, out);
		return;
	}
	switch (k->type) {
	case CFGKEYS_ENUM:
		for (unsigned i = 0; i < k->nvalues; i++)
			if ((unsigned long long)k->values[i].val == k->def)
				fprintf(out, "`%s`", k->values[i].str);
		break;
	case CFGKEYS_BOOL:
		fputs(k->def ? "`true`" : "`false`", out);
		break;
	case CFGKEYS_UINT:
	case CFGKEYS_SIZE:
		fprintf(out, "%llu", k->def);
		break;
	case CFGKEYS_STRING:
	case CFGKEYS_LISTEN:
		if (k->text_default != NULL)
			fprintf(out, "`%s`", k->text_default);
		else
			fputs("none", out);
		break;
	case CFGKEYS_NAMES:
	case CFGKEYS_SECTION:
	case CFGKEYS_LIST:
		fputs("", out);
		break;
	}
}

void cfgkeys_markdown(FILE *out, const char *section)
{
	size_t sl = strlen(section);
	bool server = strcmp(section, "server") == 0;
	if (server)
		fputs("| key | flag | values | default | on reload | meaning |\n"
		      "|---|---|---|---|---|---|\n",
		      out);
	else
		fputs("| key | values | default | meaning |\n|---|---|---|---|\n", out);
	for (size_t i = 0; i < cfgkeys_count; i++) {
		const struct cfgkey *k = &cfgkeys_table[i];
		/* the top level: every row but sections and the server and limits rows */
		bool mine = sl == 0 ? k->type != CFGKEYS_SECTION &&
					      strncmp(k->path, "server", 6) != 0 &&
					      strncmp(k->path, "limits", 6) != 0
				    : strncmp(k->path, section, sl) == 0 && k->path[sl] == '.';
		if (!mine)
			continue;
		fprintf(out, "| `%s` | ", sl == 0 ? k->path : k->path + sl + 1);
		if (server)
			fprintf(out, "%s%s%s | ", k->flag ? "`" : "", k->flag ? k->flag : "",
				k->flag ? "`" : "");
		cfgkeys_doc_values(out, k);
		fputs(" | ", out);
		cfgkeys_doc_default(out, k);
		if (server)
			fprintf(out, " | %s", k->live ? "applied" : "restart");
		fprintf(out, " | %s |\n", k->doc);
	}
	if (sl == 0)
		fputs("| `server.*` | | | listening, TLS and HTTP ([server.md](server.md)) |\n"
		      "| `limits.*` | | | what one request may make admitd do "
		      "([security.md](security.md)) |\n",
		      out);
}
