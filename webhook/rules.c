/*
 * rules.c: declarative checks from the configuration.
 *
 *   rules:
 *     - id: team-label
 *       action: deny
 *       match: {kinds: [Deployment], namespaces: ["prod-*"]}
 *       assert: {path: metadata.labels.team, op: exists}
 *       message: "workloads in prod must carry a team label"
 *
 * A path addresses the object as sent (`metadata.labels.team`), or, with
 * the prefix `pod.`, the pod view that is the same for every judged kind
 * (`pod.metadata.labels.zone`, `pod.spec.hostNetwork`). A rule whose
 * assertion mentions `pod.spec.containers[*]` is judged once per
 * container of all three lists, and each offending container is named.
 * Any other `[*]` means "every element"; `[N]` one element.
 *
 * Values: an absent field reads as "" for equals/in/matches (so `notIn:
 * ["", default]` catches an unset serviceAccountName), lt/lte/gt/gte
 * compare Kubernetes quantities (`512Mi`, `100m`, plain numbers), and
 * nothing is ever echoed from the object into a message. With `count:
 * true` they compare the number of elements of the list (or map) the path
 * ends at instead: `{path: spec.tolerations, count: true, op: lte, value:
 * 3}`; an absent list counts 0.
 * Everything is compiled once at load: paths, regexes, quantities.
 */
#include "rules.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex.h"
#include "settings.h"
#include "yamlconf.h"
#include "kinds.h"

#define RULES_MAX_DEPTH 16
#define RULES_MAX_SEGS  32

/* ---- YAML shape (libcyaml) ---- */

struct rules_assert_yaml {
	char *path;
	char *op;
	char *value;
	char **values;
	unsigned nvalues;
	struct rules_assert_yaml *all;
	unsigned nall;
	struct rules_assert_yaml *any;
	unsigned nany;
	struct rules_assert_yaml *not_;
	bool count;
};

struct rules_match_yaml {
	char **kinds;
	unsigned nkinds;
	char **namespaces;
	unsigned nnamespaces;
};

struct rules_yaml {
	char *id;
	char *description;
	int action;
	struct rules_match_yaml *match;
	struct rules_assert_yaml *assert_;
	char *message;
	struct exemptions *exemptions;
};

static const cyaml_schema_value_t rules_string = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, 4096),
};

/* sized up front: the schema refers to itself (all/any/not nest) */
static const cyaml_schema_field_t rules_assert_fields[9];
static const cyaml_schema_value_t rules_assert_entry = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct rules_assert_yaml, rules_assert_fields),
};
static const cyaml_schema_field_t rules_assert_fields[9] = {
	CYAML_FIELD_STRING_PTR("path", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			       struct rules_assert_yaml, path, 1, 1024),
	CYAML_FIELD_STRING_PTR("op", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			       struct rules_assert_yaml, op, 1, 32),
	CYAML_FIELD_STRING_PTR("value", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			       struct rules_assert_yaml, value, 0, 4096),
	CYAML_FIELD_SEQUENCE_COUNT("values", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				   struct rules_assert_yaml, values, nvalues, &rules_string, 0,
				   1024),
	CYAML_FIELD_SEQUENCE_COUNT("all", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				   struct rules_assert_yaml, all, nall, &rules_assert_entry, 1, 64),
	CYAML_FIELD_SEQUENCE_COUNT("any", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				   struct rules_assert_yaml, any, nany, &rules_assert_entry, 1, 64),
	CYAML_FIELD_MAPPING_PTR("not", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct rules_assert_yaml, not_, rules_assert_fields),
	CYAML_FIELD_BOOL("count", CYAML_FLAG_OPTIONAL, struct rules_assert_yaml, count),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t rules_match_fields[] = {
	CYAML_FIELD_SEQUENCE_COUNT("kinds", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				   struct rules_match_yaml, kinds, nkinds, &rules_string, 0, 64),
	CYAML_FIELD_SEQUENCE_COUNT("namespaces", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				   struct rules_match_yaml, namespaces, nnamespaces, &rules_string,
				   0, 1024),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t rules_fields[] = {
	CYAML_FIELD_STRING_PTR("id", CYAML_FLAG_POINTER, struct rules_yaml, id, 1, 128),
	CYAML_FIELD_STRING_PTR("description", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			       struct rules_yaml, description, 0, 1024),
	CYAML_FIELD_ENUM("action", CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT, struct rules_yaml,
			 action, settings_action_strings, 4),
	CYAML_FIELD_MAPPING_PTR("match", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct rules_yaml, match, rules_match_fields),
	CYAML_FIELD_MAPPING_PTR("assert", CYAML_FLAG_POINTER, struct rules_yaml, assert_,
				rules_assert_fields),
	CYAML_FIELD_STRING_PTR("message", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			       struct rules_yaml, message, 1, 1024),
	CYAML_FIELD_MAPPING_PTR("exemptions", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
				struct rules_yaml, exemptions, settings_exemptions_fields),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t rules_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct rules_yaml, rules_fields),
};

/* ---- quantities ----
 *
 * lt/lte/gt/gte compare Kubernetes quantities as k8s.io/apimachinery's
 * resource.Quantity reads them: a signed decimal number (`2`, `-1.5`,
 * `.5`, `5.`), then a binary suffix (Ki..Ei, 2^10..2^60), a decimal SI
 * suffix (n u m k M G T P E) or a decimal exponent (`e3`, `E-2`). A plain
 * number is a quantity without a suffix, so numbers compare as before.
 *
 * Precision: a quantity is held exactly, as its significant decimal digits
 * and a power of ten, never as a double: a double keeps 15-17 digits, so
 * 8Ei and 8Ei + 1 (or 2^53 and 2^53 + 1) would be equal, and a long double
 * would only move that edge to 19 digits. A binary suffix multiplies the
 * digits by 1024 up to six times, exactly (2^60 adds at most 19 digits).
 * What is written with more than RULES_QTY_DIGITS significant digits, or an
 * exponent of more than 9 digits, is beyond this form: refused in the
 * configuration, and it leaves a rule not decided in an object.
 *
 * Kubernetes rounds a quantity up to 1n and caps it at 2^63-1; the
 * apiserver sends objects in that form already, and a configured value is
 * compared as written (only `0.5n` or `1e30` could tell the difference).
 */
#define RULES_QTY_DIGITS 40 /* significant digits as written; canonical Kubernetes needs 28 */

struct rules_qty {
	int sign;                               /* -1, 0 (the value is 0) or 1 */
	unsigned n;                             /* digits in d: no leading zero, no trailing zero */
	long exp;                               /* the value is sign x 0.d[0]d[1]... x 10^exp */
	unsigned char d[RULES_QTY_DIGITS + 24]; /* 0..9 each; room for x 2^60 */
};

enum rules_qty_read {
	RULES_QTY_OK,
	RULES_QTY_NOT,      /* not a quantity */
	RULES_QTY_TOO_LONG, /* a quantity, beyond what rules_qty holds exactly */
};

static const struct {
	const char *name;
	int base;  /* 2 or 10 */
	int power; /* of base */
} rules_qty_suffixes[] = {
	{"Ki", 2, 10}, {"Mi", 2, 20}, {"Gi", 2, 30}, {"Ti", 2, 40}, {"Pi", 2, 50}, {"Ei", 2, 60},
	{"n", 10, -9}, {"u", 10, -6}, {"m", 10, -3}, {"", 10, 0},   {"k", 10, 3},  {"M", 10, 6},
	{"G", 10, 9},  {"T", 10, 12}, {"P", 10, 15}, {"E", 10, 18},
};
#define RULES_NQTY_SUFFIXES (sizeof(rules_qty_suffixes) / sizeof(rules_qty_suffixes[0]))

#define RULES_QTY_FORMS                                                                            \
	"a number such as 3, -1.5 or .5, optionally followed by a binary suffix (Ki Mi Gi Ti Pi "  \
	"Ei), a decimal one (n u m k M G T P E) or an exponent (e3, E-2)"

static bool rules_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The suffix s..end as a power of 2 or 10; RULES_QTY_NOT when it is none. */
static enum rules_qty_read rules_qty_suffix(const char *s, const char *end, int *base, long *power)
{
	size_t len = (size_t)(end - s);
	for (size_t i = 0; i < RULES_NQTY_SUFFIXES; i++) {
		if (strlen(rules_qty_suffixes[i].name) == len &&
		    memcmp(rules_qty_suffixes[i].name, s, len) == 0) {
			*base = rules_qty_suffixes[i].base;
			*power = rules_qty_suffixes[i].power;
			return RULES_QTY_OK;
		}
	}
	/* `E` alone is exa (above); `E` or `e` with a signed integer, an exponent */
	if (len < 2 || (s[0] != 'e' && s[0] != 'E'))
		return RULES_QTY_NOT;
	const char *p = s + 1;
	bool neg = *p == '-';
	if (*p == '-' || *p == '+')
		p++;
	if (p == end)
		return RULES_QTY_NOT;
	long v = 0;
	for (; p < end; p++) {
		if (!rules_is_digit(*p))
			return RULES_QTY_NOT;
		if (v > 99999999) /* a tenth digit: beyond what exp can take with a length added */
			return RULES_QTY_TOO_LONG;
		v = v * 10 + (*p - '0');
	}
	*base = 10;
	*power = neg ? -v : v;
	return RULES_QTY_OK;
}

/* q times 1024, exactly. */
static void rules_qty_times_1024(struct rules_qty *q)
{
	unsigned carry = 0;
	for (unsigned i = q->n; i-- > 0;) {
		unsigned v = q->d[i] * 1024u + carry;
		q->d[i] = (unsigned char)(v % 10);
		carry = v / 10;
	}
	for (; carry > 0; carry /= 10) {
		memmove(q->d + 1, q->d, q->n);
		q->d[0] = (unsigned char)(carry % 10);
		q->n++;
		q->exp++;
	}
	while (q->n > 0 && q->d[q->n - 1] == 0)
		q->n--;
}

/* Reads s (len bytes, not NUL-terminated) as a Kubernetes quantity. */
static enum rules_qty_read rules_qty_parse(const char *s, size_t len, struct rules_qty *q)
{
	const char *p = s, *end = s + len;
	memset(q, 0, sizeof(*q));
	q->sign = 1;
	if (p < end && (*p == '+' || *p == '-'))
		q->sign = *p++ == '-' ? -1 : 1;
	const char *ints = p;
	while (p < end && rules_is_digit(*p))
		p++;
	const char *ints_end = p, *frac = p, *frac_end = p;
	if (p < end && *p == '.') {
		frac = ++p;
		while (p < end && rules_is_digit(*p))
			p++;
		frac_end = p;
	}
	if (ints == ints_end && frac == frac_end)
		return RULES_QTY_NOT;
	int base;
	long power;
	enum rules_qty_read rc = rules_qty_suffix(p, end, &base, &power);
	if (rc != RULES_QTY_OK)
		return rc;
	/* 0.DIGITS x 10^exp; a zero waits for a digit after it, so 1000000 holds one digit */
	q->exp = (long)(ints_end - ints);
	const char *const parts[2][2] = {{ints, ints_end}, {frac, frac_end}};
	size_t zeros = 0;
	for (size_t k = 0; k < 2; k++) {
		for (const char *c = parts[k][0]; c < parts[k][1]; c++) {
			if (*c == '0' && q->n == 0) {
				q->exp--; /* a leading zero */
			} else if (*c == '0') {
				zeros++;
			} else {
				if (q->n + zeros + 1 > RULES_QTY_DIGITS)
					return RULES_QTY_TOO_LONG;
				for (; zeros > 0; zeros--)
					q->d[q->n++] = 0;
				q->d[q->n++] = (unsigned char)(*c - '0');
			}
		}
	}
	if (q->n == 0) {
		q->sign = 0;
		q->exp = 0;
		return RULES_QTY_OK;
	}
	if (base == 10)
		q->exp += power;
	else
		for (long i = 0; i < power; i += 10)
			rules_qty_times_1024(q);
	return RULES_QTY_OK;
}

/* -1, 0 or 1 as a is below, equal to or above b. */
static int rules_qty_cmp(const struct rules_qty *a, const struct rules_qty *b)
{
	if (a->sign != b->sign)
		return a->sign < b->sign ? -1 : 1;
	if (a->sign == 0)
		return 0;
	int mag = 0;
	if (a->exp != b->exp) {
		mag = a->exp < b->exp ? -1 : 1;
	} else {
		unsigned n = a->n > b->n ? a->n : b->n;
		for (unsigned i = 0; i < n && mag == 0; i++) {
			unsigned da = i < a->n ? a->d[i] : 0, db = i < b->n ? b->d[i] : 0;
			mag = da < db ? -1 : da > db ? 1 : 0;
		}
	}
	return a->sign * mag;
}

/*
 * A JSON number or a string holding a quantity. A real is read in its
 * shortest form that gives the same double back, so 0.1 stays 0.1 (and
 * equals 100m) rather than its binary expansion.
 */
static enum rules_qty_read rules_qty_of_json(const json_t *v, struct rules_qty *q)
{
	char buf[64];
	int n = 0;
	if (json_is_string(v))
		return rules_qty_parse(json_string_value(v), json_string_length(v), q);
	if (json_is_integer(v)) {
		n = snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	} else if (json_is_real(v)) {
		double d = json_real_value(v);
		for (int prec = 1; prec <= 17; prec++) {
			n = snprintf(buf, sizeof(buf), "%.*g", prec, d);
			if (strtod(buf, NULL) == d)
				break;
		}
	} else {
		return RULES_QTY_NOT;
	}
	return rules_qty_parse(buf, (size_t)n, q);
}

/* Reads text into q; -1 with why `who` (an operator) cannot take it. */
static int rules_qty_compile(const char *who, const char *text, struct rules_qty *q, char *err,
			     size_t errlen)
{
	enum rules_qty_read rc = rules_qty_parse(text, strlen(text), q);
	if (rc == RULES_QTY_NOT)
		snprintf(err, errlen, "%s needs a number or a Kubernetes quantity, not \"%s\" (%s)",
			 who, text, RULES_QTY_FORMS);
	else if (rc == RULES_QTY_TOO_LONG)
		snprintf(err, errlen,
			 "%s: \"%s\" has more than %d significant digits or an exponent of more "
			 "than 9 digits, beyond what admitd compares exactly",
			 who, text, RULES_QTY_DIGITS);
	return rc == RULES_QTY_OK ? 0 : -1;
}

int rules_compare_quantities(const char *a, const char *b, int *cmp, char *err, size_t errlen)
{
	struct rules_qty qa, qb;
	if (rules_qty_compile("a comparison", a, &qa, err, errlen) < 0 ||
	    rules_qty_compile("a comparison", b, &qb, err, errlen) < 0)
		return -1;
	*cmp = rules_qty_cmp(&qa, &qb);
	return 0;
}

/* ---- compiled form ---- */

enum rules_op {
	RULES_EXISTS,
	RULES_ABSENT,
	RULES_EQUALS,
	RULES_NOT_EQUALS,
	RULES_IN,
	RULES_NOT_IN,
	RULES_MATCHES,
	RULES_LT,
	RULES_LTE,
	RULES_GT,
	RULES_GTE,
};

/* What an operator takes beside its path. */
enum rules_operand {
	RULES_TAKES_NOTHING,
	RULES_TAKES_VALUE,    /* `value` */
	RULES_TAKES_VALUES,   /* `values`, a list */
	RULES_TAKES_QUANTITY, /* `value`, a Kubernetes quantity */
};

static const struct {
	const char *name;
	enum rules_op op;
	enum rules_operand takes;
} rules_ops[] = {
	{"exists", RULES_EXISTS, RULES_TAKES_NOTHING},
	{"absent", RULES_ABSENT, RULES_TAKES_NOTHING},
	{"equals", RULES_EQUALS, RULES_TAKES_VALUE},
	{"notEquals", RULES_NOT_EQUALS, RULES_TAKES_VALUE},
	{"in", RULES_IN, RULES_TAKES_VALUES},
	{"notIn", RULES_NOT_IN, RULES_TAKES_VALUES},
	{"matches", RULES_MATCHES, RULES_TAKES_VALUE},
	{"lt", RULES_LT, RULES_TAKES_QUANTITY},
	{"lte", RULES_LTE, RULES_TAKES_QUANTITY},
	{"gt", RULES_GT, RULES_TAKES_QUANTITY},
	{"gte", RULES_GTE, RULES_TAKES_QUANTITY},
};
#define RULES_NOPS (sizeof(rules_ops) / sizeof(rules_ops[0]))

#define RULES_SEG_NONE     (-1)
#define RULES_SEG_WILDCARD (-2)

struct rules_seg {
	char *name;
	long index; /* RULES_SEG_NONE, RULES_SEG_WILDCARD, or an element index */
};

struct rules_path {
	bool pod;        /* starts at the pod view */
	bool containers; /* starts at each container (pod.spec.containers[*]) */
	struct rules_seg segs[RULES_MAX_SEGS];
	size_t nsegs;
};

enum rules_kind { RULES_LEAF, RULES_ALL, RULES_ANY, RULES_NOT };

struct rules_assert {
	enum rules_kind kind;
	struct rules_path path;
	enum rules_op op;
	char **values; /* equals/notEquals: one; in/notIn: several */
	size_t nvalues;
	struct rules_qty quantity; /* lt/lte/gt/gte */
	bool count;                /* compare the number of elements, not the value */
	struct regex *re;
	struct rules_assert **kids;
	size_t nkids;
};

struct rule {
	struct policy_desc desc;
	struct policy_setting setting;
	char *id;
	char *description;
	char *message;
	char *summary; /* "path op values" for default messages */
	char **kinds;
	size_t nkinds;
	char **namespaces;
	size_t nnamespaces;
	struct rules_assert *root;
	bool per_container;
	unsigned max_match; /* limits.maxMatchLength */
};

/* ---- paths ---- */

static void rules_path_free(struct rules_path *p)
{
	for (size_t i = 0; i < p->nsegs; i++)
		free(p->segs[i].name);
	p->nsegs = 0;
}

static int rules_path_compile(const char *text, struct rules_path *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (text == NULL || text[0] == '\0') {
		snprintf(err, errlen, "an empty path");
		return -1;
	}
	const char *p = text;
	while (*p != '\0') {
		const char *end = p;
		while (*end != '\0' && *end != '.' && *end != '[')
			end++;
		if (end == p) {
			snprintf(err, errlen, "path \"%s\": empty segment", text);
			goto fail;
		}
		if (out->nsegs == RULES_MAX_SEGS) {
			snprintf(err, errlen, "path \"%s\": more than %d segments", text,
				 RULES_MAX_SEGS);
			goto fail;
		}
		struct rules_seg *s = &out->segs[out->nsegs++];
		s->name = strndup(p, (size_t)(end - p));
		s->index = RULES_SEG_NONE;
		if (s->name == NULL)
			goto fail;
		p = end;
		if (*p == '[') {
			const char *close = strchr(p, ']');
			if (close == NULL) {
				snprintf(err, errlen, "path \"%s\": '[' without ']'", text);
				goto fail;
			}
			if (close == p + 2 && p[1] == '*') {
				s->index = RULES_SEG_WILDCARD;
			} else {
				char *num_end = NULL;
				long v = strtol(p + 1, &num_end, 10);
				if (num_end != close || v < 0 || close == p + 1) {
					snprintf(err, errlen,
						 "path \"%s\": an index is [*] or a number", text);
					goto fail;
				}
				s->index = v;
			}
			p = close + 1;
		}
		if (*p == '.')
			p++;
		else if (*p != '\0') {
			snprintf(err, errlen, "path \"%s\": expected '.' after ']'", text);
			goto fail;
		}
	}
	if (strcmp(out->segs[0].name, "pod") == 0 && out->segs[0].index == RULES_SEG_NONE) {
		if (out->nsegs < 2 || out->segs[1].index != RULES_SEG_NONE ||
		    (strcmp(out->segs[1].name, "metadata") != 0 &&
		     strcmp(out->segs[1].name, "spec") != 0)) {
			snprintf(err, errlen, "path \"%s\": after pod. comes metadata or spec",
				 text);
			goto fail;
		}
		out->pod = true;
		if (out->nsegs >= 3 && strcmp(out->segs[1].name, "spec") == 0 &&
		    strcmp(out->segs[2].name, "containers") == 0 &&
		    out->segs[2].index == RULES_SEG_WILDCARD) {
			/* pod.spec.containers[*] walks every container list of the view */
			out->containers = true;
			for (size_t i = 0; i < 3; i++)
				free(out->segs[i].name);
			memmove(out->segs, out->segs + 3, (out->nsegs - 3) * sizeof(out->segs[0]));
			out->nsegs -= 3;
		} else {
			free(out->segs[0].name);
			memmove(out->segs, out->segs + 1, (out->nsegs - 1) * sizeof(out->segs[0]));
			out->nsegs -= 1;
		}
	}
	return 0;
fail:
	rules_path_free(out);
	return -1;
}

int rules_check_path(const char *path, char *err, size_t errlen)
{
	struct rules_path p;
	if (rules_path_compile(path, &p, err, errlen) < 0)
		return -1;
	rules_path_free(&p);
	return 0;
}

/* ---- compile ---- */

static void rules_assert_free(struct rules_assert *a)
{
	if (a == NULL)
		return;
	rules_path_free(&a->path);
	for (size_t i = 0; i < a->nvalues; i++)
		free(a->values[i]);
	free(a->values);
	regex_free(a->re);
	for (size_t i = 0; i < a->nkids; i++)
		rules_assert_free(a->kids[i]);
	free(a->kids);
	free(a);
}

/* The operators' names (only those taking a quantity, when asked), comma-separated. */
static void rules_op_names(char *out, size_t outlen, bool quantity_only)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < RULES_NOPS && n < outlen; i++)
		if (!quantity_only || rules_ops[i].takes == RULES_TAKES_QUANTITY)
			n += (size_t)snprintf(out + n, outlen - n, "%s%s", n ? ", " : "",
					      rules_ops[i].name);
}

/* A leaf: path, operator and what the operator takes, compiled into a. */
static int rules_leaf_compile(const struct rules_assert_yaml *y, struct rules_assert *a,
			      bool *per_container, char *err, size_t errlen)
{
	a->kind = RULES_LEAF;
	if (y->path == NULL || y->op == NULL) {
		snprintf(err, errlen, "an assertion needs both path and op");
		return -1;
	}
	if (rules_path_compile(y->path, &a->path, err, errlen) < 0)
		return -1;
	if (a->path.containers)
		*per_container = true;
	size_t k = 0;
	while (k < RULES_NOPS && strcmp(rules_ops[k].name, y->op) != 0)
		k++;
	char names[160];
	if (k == RULES_NOPS) {
		rules_op_names(names, sizeof(names), false);
		snprintf(err, errlen, "unknown operator \"%s\" (%s)", y->op, names);
		return -1;
	}
	a->op = rules_ops[k].op;
	enum rules_operand takes = rules_ops[k].takes;
	a->count = y->count;
	if (a->count && takes != RULES_TAKES_QUANTITY) {
		rules_op_names(names, sizeof(names), true);
		snprintf(err, errlen, "count: true goes with %s, not %s", names, y->op);
		return -1;
	}
	if (a->count &&
	    (a->path.nsegs == 0 || a->path.segs[a->path.nsegs - 1].index == RULES_SEG_WILDCARD)) {
		snprintf(err, errlen,
			 "path \"%s\": count: true counts the list the path ends at; end it at the "
			 "list's name, not at [*]",
			 y->path);
		return -1;
	}
	bool one = takes == RULES_TAKES_VALUE || takes == RULES_TAKES_QUANTITY;
	if (one && (y->value == NULL || y->values != NULL)) {
		snprintf(err, errlen, "operator %s takes `value`", y->op);
		return -1;
	}
	if (takes == RULES_TAKES_VALUES && (y->values == NULL || y->value != NULL)) {
		snprintf(err, errlen, "operator %s takes `values` (a list)", y->op);
		return -1;
	}
	if (takes == RULES_TAKES_NOTHING && (y->value != NULL || y->values != NULL)) {
		snprintf(err, errlen, "operator %s takes no value", y->op);
		return -1;
	}
	size_t n = takes == RULES_TAKES_VALUES ? y->nvalues : one ? 1 : 0;
	a->values = calloc(n ? n : 1, sizeof(char *));
	if (a->values == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		a->values[i] = strdup(takes == RULES_TAKES_VALUES ? y->values[i] : y->value);
		if (a->values[i] == NULL)
			return -1;
		a->nvalues++;
	}
	if (takes == RULES_TAKES_QUANTITY) {
		char who[48];
		snprintf(who, sizeof(who), "operator %s", y->op);
		if (rules_qty_compile(who, y->value, &a->quantity, err, errlen) < 0)
			return -1;
	}
	if (a->op == RULES_MATCHES && (a->re = regex_compile(y->value, err, errlen)) == NULL)
		return -1;
	return 0;
}

/* all, any or not: each kid compiled in turn. */
static struct rules_assert *rules_assert_compile(const struct rules_assert_yaml *y, int depth,
						 bool *per_container, char *err, size_t errlen)
{
	if (depth > RULES_MAX_DEPTH) {
		snprintf(err, errlen, "assertions nested deeper than %d", RULES_MAX_DEPTH);
		return NULL;
	}
	struct rules_assert *a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	int forms = (y->path != NULL || y->op != NULL || y->count) + (y->all != NULL) +
		    (y->any != NULL) + (y->not_ != NULL);
	if (forms != 1) {
		snprintf(err, errlen,
			 "an assertion is exactly one of {path, op, count}, all, any, not");
		goto fail;
	}
	const struct rules_assert_yaml *kids = NULL;
	unsigned nkids = 0;
	if (y->all != NULL) {
		a->kind = RULES_ALL;
		kids = y->all;
		nkids = y->nall;
	} else if (y->any != NULL) {
		a->kind = RULES_ANY;
		kids = y->any;
		nkids = y->nany;
	} else if (y->not_ != NULL) {
		a->kind = RULES_NOT;
		kids = y->not_;
		nkids = 1;
	} else {
		if (rules_leaf_compile(y, a, per_container, err, errlen) < 0)
			goto fail;
		return a;
	}
	a->kids = calloc(nkids, sizeof(*a->kids));
	if (a->kids == NULL)
		goto fail;
	for (unsigned i = 0; i < nkids; i++) {
		a->kids[i] = rules_assert_compile(&kids[i], depth + 1, per_container, err, errlen);
		if (a->kids[i] == NULL)
			goto fail;
		a->nkids++;
	}
	return a;
fail:
	rules_assert_free(a);
	return NULL;
}

static void rules_summarize(const struct rules_assert_yaml *y, char *out, size_t outlen)
{
	if (y->path != NULL && y->op != NULL) {
		size_t n = (size_t)snprintf(out, outlen, "%s%s %s", y->count ? "the count of " : "",
					    y->path, y->op);
		if (y->value != NULL && n < outlen)
			n += (size_t)snprintf(out + n, outlen - n, " \"%s\"", y->value);
		for (unsigned i = 0; i < y->nvalues && n < outlen; i++)
			n += (size_t)snprintf(out + n, outlen - n, "%s\"%s\"", i ? ", " : " [",
					      y->values[i]);
		if (y->nvalues > 0 && n < outlen)
			snprintf(out + n, outlen - n, "]");
		return;
	}
	snprintf(out, outlen, "%s",
		 y->all   ? "all of its conditions"
		 : y->any ? "any of its conditions"
			  : "its negated condition");
}

void rules_free(struct rule *r)
{
	if (r == NULL)
		return;
	free(r->id);
	free(r->description);
	free(r->message);
	free(r->summary);
	for (size_t i = 0; i < r->nkinds; i++)
		free(r->kinds[i]);
	free(r->kinds);
	for (size_t i = 0; i < r->nnamespaces; i++)
		free(r->namespaces[i]);
	free(r->namespaces);
	rules_assert_free(r->root);
	settings_exemptions_free(r->setting.exempt);
	free(r);
}

const struct policy_desc *rules_desc(const struct rule *r)
{
	return &r->desc;
}

struct policy_setting *rules_setting(struct rule *r)
{
	return &r->setting;
}

void rules_set_max_match(struct rule *r, unsigned n)
{
	r->max_match = n;
}

/* ---- evaluation ---- */

/* The value as text for equals/in/matches; NULL for objects and arrays. */
static const char *rules_text(const json_t *v, char *buf, size_t buflen)
{
	if (v == NULL || json_is_null(v))
		return "";
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_true(v))
		return "true";
	if (json_is_false(v))
		return "false";
	if (json_is_integer(v)) {
		snprintf(buf, buflen, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (json_is_real(v)) {
		snprintf(buf, buflen, "%g", json_real_value(v));
		return buf;
	}
	return NULL;
}

/*
 * Strings longer than this never reach a regex. Such a value, a match the
 * PCRE2 limits stop, or a quantity too long to compare exactly, leaves the
 * rule undecided, and an undecided rule is a violation whatever the rest
 * says: under `not` a "no" would admit.
 */
static __thread unsigned rules_max_match = 4096;
static __thread const char *rules_undecided;

static bool rules_regex_leaf(const struct rules_assert *a, const char *t)
{
	size_t n = strlen(t);
	if (n > rules_max_match) {
		rules_undecided = "a value is longer than limits.maxMatchLength";
		return false;
	}
	enum regex_result rc = regex_match(a->re, t, n);
	if (rc == REGEX_LIMIT)
		rules_undecided = "its regex hit the match limit";
	return rc == REGEX_MATCH;
}

/*
 * lt/lte/gt/gte: the value (with `count`, its number of elements) as a
 * quantity, compared with the configured one. What is not a quantity
 * (absent, "lots", a map; with `count`, a string) makes the leaf not hold:
 * a decided "no", which `not` turns into "yes", as a non-number always
 * did. The object says what it is, and the apiserver refuses a resource
 * quantity that does not parse, so nothing went unjudged. A quantity with
 * more digits than rules_qty holds is different: it may well be in range
 * and admitd cannot tell, like a regex stopped by a limit, so the rule is
 * not decided (a violation even under `not`).
 */
static bool rules_quantity_leaf(const struct rules_assert *a, const json_t *v)
{
	struct rules_qty q;
	enum rules_qty_read rc;
	if (a->count) {
		char buf[32];
		size_t n = 0; /* absent or null */
		if (json_is_array(v))
			n = json_array_size(v);
		else if (json_is_object(v))
			n = json_object_size(v);
		else if (v != NULL && !json_is_null(v))
			return false;
		int len = snprintf(buf, sizeof(buf), "%zu", n);
		rc = rules_qty_parse(buf, (size_t)len, &q);
	} else {
		rc = rules_qty_of_json(v, &q);
	}
	if (rc == RULES_QTY_TOO_LONG)
		rules_undecided = "a quantity has more digits than admitd compares exactly";
	if (rc != RULES_QTY_OK)
		return false;
	int c = rules_qty_cmp(&q, &a->quantity);
	return a->op == RULES_LT    ? c < 0
	       : a->op == RULES_LTE ? c <= 0
	       : a->op == RULES_GT  ? c > 0
				    : c >= 0;
}

static bool rules_leaf(const struct rules_assert *a, const json_t *v)
{
	char buf[64];
	const char *t = rules_text(v, buf, sizeof(buf));
	bool present = v != NULL && !json_is_null(v);
	switch (a->op) {
	case RULES_EXISTS:
		return present;
	case RULES_ABSENT:
		return !present;
	case RULES_EQUALS:
		return t != NULL && strcmp(t, a->values[0]) == 0;
	case RULES_NOT_EQUALS:
		return t == NULL || strcmp(t, a->values[0]) != 0;
	case RULES_IN:
	case RULES_NOT_IN: {
		bool in = false;
		for (size_t i = 0; t != NULL && i < a->nvalues && !in; i++)
			in = strcmp(t, a->values[i]) == 0;
		return a->op == RULES_IN ? in : !in;
	}
	case RULES_MATCHES:
		return t != NULL && rules_regex_leaf(a, t);
	case RULES_LT:
	case RULES_LTE:
	case RULES_GT:
	case RULES_GTE:
		return rules_quantity_leaf(a, v);
	}
	return false;
}

/* Whether the leaf holds for every value the path reaches from node. */
static bool rules_walk(const struct rules_assert *a, const json_t *node, size_t seg)
{
	if (seg == a->path.nsegs)
		return rules_leaf(a, node);
	const struct rules_seg *s = &a->path.segs[seg];
	const json_t *next = json_is_object(node) ? json_object_get(node, s->name) : NULL;
	if (s->index == RULES_SEG_NONE)
		return rules_walk(a, next, seg + 1);
	if (s->index == RULES_SEG_WILDCARD) {
		size_t i;
		const json_t *e;
		json_array_foreach(next, i, e)
		{
			if (!rules_walk(a, e, seg + 1))
				return false;
		}
		return true; /* none at all: nothing violates */
	}
	return rules_walk(a, json_is_array(next) ? json_array_get(next, (size_t)s->index) : NULL,
			  seg + 1);
}

static bool rules_eval(const struct rules_assert *a, const struct pod_view *pod,
		       const struct container_ref *c)
{
	switch (a->kind) {
	case RULES_ALL:
		for (size_t i = 0; i < a->nkids; i++)
			if (!rules_eval(a->kids[i], pod, c))
				return false;
		return true;
	case RULES_ANY:
		for (size_t i = 0; i < a->nkids; i++)
			if (rules_eval(a->kids[i], pod, c))
				return true;
		return false;
	case RULES_NOT:
		return !rules_eval(a->kids[0], pod, c);
	case RULES_LEAF:
		break;
	}
	const json_t *root = pod->object;
	size_t seg = 0;
	if (a->path.containers) {
		root = c != NULL ? c->json : NULL;
	} else if (a->path.pod) {
		root = strcmp(a->path.segs[0].name, "metadata") == 0 ? pod->pod_meta : pod->spec;
		seg = 1;
	}
	return rules_walk(a, root, seg);
}

static bool rules_matches(const struct rule *r, const struct pod_view *pod)
{
	bool kind_ok = r->nkinds == 0;
	for (size_t i = 0; i < r->nkinds && !kind_ok; i++)
		kind_ok = strcmp(r->kinds[i], pod->kind) == 0;
	if (!kind_ok)
		return false;
	if (r->nnamespaces == 0)
		return true;
	return pod->namespace != NULL &&
	       settings_name_matches(r->namespaces, (unsigned)r->nnamespaces, pod->namespace);
}

static int rules_run(struct policy_ctx *ctx)
{
	const struct rule *r = ctx->state;
	const struct pod_view *pod = ctx->pod;
	if (!rules_matches(r, pod))
		return 0;
	rules_max_match = r->max_match;
	const char *msg = r->message != NULL ? r->message : r->summary;
	size_t n = r->per_container ? pod->ncontainers : 1;
	for (size_t i = 0; i < n; i++) {
		const struct container_ref *c = r->per_container ? &pod->containers[i] : NULL;
		rules_undecided = NULL;
		bool ok = rules_eval(r->root, pod, c);
		int rc = 0;
		if (rules_undecided != NULL)
			rc = policy_fail(ctx, c, "%s (not decided: %s)", msg, rules_undecided);
		else if (!ok)
			rc = policy_fail(ctx, c, "%s", msg);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/*
 * A rule id becomes a Prometheus label value, an audit-annotation key and
 * a word in every message: a DNS label (RFC 1123), like the built-in ids.
 * The names of admitd's own annotations are taken.
 */
static bool rules_id_ok(const char *id)
{
	static const char *const reserved[] = {"warn",   "preexisting", "would-deny",
					       "exempt", "admitd",      NULL};
	size_t n = strlen(id);
	if (n == 0 || n > 63 || !(id[0] >= 'a' && id[0] <= 'z') || id[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') ||
		      id[i] == '-'))
			return false;
	for (size_t i = 0; reserved[i] != NULL; i++)
		if (strcmp(id, reserved[i]) == 0)
			return false;
	return true;
}

struct rule *rules_compile(const char *name, const char *text, size_t len, size_t idx, int line,
			   int col, const struct admitd_config *cfg, struct yamlconf_errors *errs)
{
	char where[48], err[512] = "";
	snprintf(where, sizeof(where), "rules[%zu]", idx);
	struct rules_yaml *y = NULL;
	if (yamlconf_load(name, text, len, &rules_schema, (void **)&y, where, line, errs) < 0)
		return NULL;
	struct rule *r = NULL;
	if (!rules_id_ok(y->id)) {
		yamlconf_error(
			errs, name, line, col,
			"%s: id \"%s\" must be lower-case letters, digits and '-', starting "
			"with a letter, not ending with '-', at most 63 characters, and none "
			"of warn, preexisting, would-deny, exempt, admitd (it is a metric "
			"label and an audit-annotation key)",
			where, y->id);
		goto fail;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		goto fail;
	r->id = strdup(y->id);
	r->description = strdup(y->description != NULL ? y->description : y->id);
	r->message = y->message != NULL ? strdup(y->message) : NULL;
	r->root = rules_assert_compile(y->assert_, 0, &r->per_container, err, sizeof(err));
	if (r->root == NULL) {
		yamlconf_error(errs, name, line, col, "%s (rule \"%s\"): %s", where, y->id,
			       err[0] ? err : "out of memory");
		goto fail;
	}
	char summary[600];
	rules_summarize(y->assert_, summary, sizeof(summary));
	size_t sl = strlen(summary) + 32;
	r->summary = malloc(sl);
	if (r->summary != NULL)
		snprintf(r->summary, sl, "must satisfy %s", summary);
	if (y->match != NULL) {
		r->kinds = y->match->kinds;
		r->nkinds = y->match->nkinds;
		r->namespaces = y->match->namespaces;
		r->nnamespaces = y->match->nnamespaces;
		y->match->kinds = NULL;
		y->match->nkinds = 0;
		y->match->namespaces = NULL;
		y->match->nnamespaces = 0;
		for (size_t i = 0; i < r->nkinds; i++) {
			if (!kinds_named(cfg, r->kinds[i])) {
				char judged[1024];
				yamlconf_error(errs, name, line, col,
					       "%s (rule \"%s\"): match.kinds: \"%s\" is not a "
					       "judged kind (%s)",
					       where, y->id, r->kinds[i],
					       kinds_list(cfg, judged, sizeof(judged)));
				goto fail;
			}
		}
	}
	r->max_match = 4096;
	r->setting.action =
		y->action != 0 ? (enum policy_action)(y->action - 1) : POLICY_ACTION_DENY;
	r->setting.action_given = y->action != 0;
	r->setting.listed = true;
	r->setting.line = line;
	r->setting.exempt = y->exemptions;
	y->exemptions = NULL;
	if (r->id == NULL || r->description == NULL || r->summary == NULL ||
	    (y->message != NULL && r->message == NULL))
		goto fail;
	r->desc.id = r->id;
	r->desc.description = r->description;
	r->desc.level = POLICY_LEVEL_NONE;
	r->desc.default_action = POLICY_ACTION_DENY;
	r->desc.check = rules_run;
	r->setting.state = r;
	yamlconf_free(&rules_schema, y);
	return r;
fail:
	rules_free(r);
	yamlconf_free(&rules_schema, y);
	return NULL;
}
