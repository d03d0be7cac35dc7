/*
 * yamljson.c: libyaml events -> jansson values.
 *
 * Why not libcyaml here: libcyaml needs a schema, and Kubernetes objects
 * are open-ended; libcyaml stays the configuration reader.
 */
#include "yamljson.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

struct yamljson_anchor {
	char *name;
	json_t *value;
};

struct yamljson_state {
	yaml_parser_t parser;
	struct yamljson_error *err;
	struct yamljson_anchor *anchors;
	size_t nanchors, capanchors;
	size_t nmerged; /* keys copied by merge keys in this document */
	/*
	 * The stream's positions of named list items ("containers/web" ->
	 * line) in the object being read, when asked for; NULL otherwise.
	 */
	json_t *positions;
	const char *seq_key; /* the key whose value is being read */
};

#define YAMLJSON_STR_(x) #x
#define YAMLJSON_STR(x)  YAMLJSON_STR_(x)

static void yamljson_fail(struct yamljson_state *st, const yaml_mark_t *m, const char *fmt,
			  const char *arg)
{
	st->err->line = m != NULL ? (int)m->line + 1 : 0;
	st->err->column = m != NULL ? (int)m->column + 1 : 0;
	snprintf(st->err->text, sizeof(st->err->text), fmt, arg != NULL ? arg : "");
}

/* libyaml's own error, with where the construct it was parsing began */
static void yamljson_parser_fail(struct yamljson_state *st)
{
	const yaml_parser_t *p = &st->parser;
	char ctx[120] = "";
	if (p->context != NULL)
		snprintf(ctx, sizeof(ctx), " (%s, begun at line %d)", p->context,
			 (int)p->context_mark.line + 1);
	st->err->line = (int)p->problem_mark.line + 1;
	st->err->column = (int)p->problem_mark.column + 1;
	snprintf(st->err->text, sizeof(st->err->text), "%s%s",
		 p->problem != NULL ? p->problem : "YAML syntax error", ctx);
}

static bool yamljson_match(const char *s, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcmp(s, *words) == 0)
			return true;
	return false;
}

/*
 * Plain scalars resolve as kubectl reads manifests: sigs.k8s.io/yaml over
 * go-yaml v2, YAML 1.1 rules, then JSON.
 *  - null: "", ~, null, Null, NULL;
 *  - booleans: y Y yes Yes YES true True TRUE on On ON and their false
 *    twins n N no No NO false False FALSE off Off OFF;
 *  - integers as Go's ParseInt with base 0: 42, +7, 0x1F, 0o17, 0b101,
 *    0755 (octal), 1_000 (underscores between digits);
 *  - floats: [-+]?(.D+|D+(.D*)?)([eE][-+]?D+)?, so 08 is 8 and 1e3 is 1000;
 *    an integral one is written as an integer, as Go's JSON encoder does;
 *  - .inf, -.inf, .nan (any case): kubectl cannot turn them into JSON and
 *    refuses the manifest, and so does admitd (YAMLJSON_REFUSED).
 */
enum yamljson_kind { YJ_NULL, YJ_BOOL, YJ_INT, YJ_FLOAT, YJ_STRING, YJ_INF, YJ_NAN };

struct yamljson_scalar {
	enum yamljson_kind kind;
	bool b;
	long long i;
	double f;
};

static int yamljson_digit(char c, int base)
{
	int d = c >= '0' && c <= '9'   ? c - '0'
		: c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10
				       : 99;
	return d < base ? d : -1;
}

/* Go's strconv.ParseInt(s, 0, 64): false when it is not an integer or overflows. */
static bool yamljson_goint(const char *s, long long *out)
{
	const char *p = s;
	bool neg = false;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	int base = 10;
	bool prefixed = false;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2, prefixed = true;
	else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
		base = 8, p += 2, prefixed = true;
	else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
		base = 2, p += 2, prefixed = true;
	else if (p[0] == '0' && p[1] != '\0')
		base = 8, p += 1, prefixed = true; /* a leading 0 is the octal prefix */
	unsigned long long v = 0;
	bool any = false, last_us = prefixed; /* an underscore may follow a prefix */
	for (; *p != '\0'; p++) {
		if (*p == '_') {
			if (!last_us && !any)
				return false;
			if (last_us && any)
				return false; /* "1__2" */
			last_us = true;
			continue;
		}
		int d = yamljson_digit(*p, base);
		if (d < 0)
			return false;
		if (v > (ULLONG_MAX - (unsigned)d) / (unsigned)base)
			return false;
		v = v * (unsigned)base + (unsigned)d;
		any = true;
		last_us = false;
	}
	if (!any || last_us)
		return false; /* "0x", "1_" */
	if (neg ? v > (unsigned long long)LLONG_MAX + 1 : v > (unsigned long long)LLONG_MAX)
		return false;
	*out = neg ? (long long)(0 - v) : (long long)v;
	return true;
}

/* go-yaml v2's float pattern: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool yamljson_gofloat(const char *s)
{
	const char *q = s;
	if (*q == '+' || *q == '-')
		q++;
	if (*q == '.') {
		q++;
		if (!(*q >= '0' && *q <= '9'))
			return false;
		while (*q >= '0' && *q <= '9')
			q++;
	} else {
		if (!(*q >= '0' && *q <= '9'))
			return false;
		while (*q >= '0' && *q <= '9')
			q++;
		if (*q == '.') {
			q++;
			while (*q >= '0' && *q <= '9')
				q++;
		}
	}
	if (*q == 'e' || *q == 'E') {
		q++;
		if (*q == '+' || *q == '-')
			q++;
		if (!(*q >= '0' && *q <= '9'))
			return false;
		while (*q >= '0' && *q <= '9')
			q++;
	}
	return *q == '\0';
}

static void yamljson_resolve(const char *s, struct yamljson_scalar *out)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	static const char *const trues[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
					    "True", "TRUE", "on",  "On",  "ON",  NULL};
	static const char *const falses[] = {"n",     "N",     "no",  "No",  "NO",  "false",
					     "False", "FALSE", "off", "Off", "OFF", NULL};
	static const char *const infs[] = {".inf",  ".Inf",  ".INF",  "+.inf", "+.Inf",
					   "+.INF", "-.inf", "-.Inf", "-.INF", NULL};
	static const char *const nans[] = {".nan", ".NaN", ".NAN", NULL};
	memset(out, 0, sizeof(*out));
	out->kind = YJ_STRING;
	/*
	 * Most scalars are names and text: one that cannot be a word of the
	 * lists (longer than 5, or beginning otherwise) nor a number is text
	 * at once. This is most of the time audit spends on YAML.
	 */
	if (s[0] != '\0' && strchr("~nNyYtTfFoO.+-0123456789", s[0]) == NULL)
		return;
	bool word = strnlen(s, 6) <= 5; /* the longest word is 5 characters ("false", "+.inf") */
	if (word && yamljson_match(s, nulls)) {
		out->kind = YJ_NULL;
	} else if (word && (yamljson_match(s, trues) || yamljson_match(s, falses))) {
		out->kind = YJ_BOOL;
		out->b = yamljson_match(s, trues);
	} else if (word && yamljson_match(s, infs)) {
		out->kind = YJ_INF;
		out->f = s[0] == '-' ? -INFINITY : INFINITY;
	} else if (word && yamljson_match(s, nans)) {
		out->kind = YJ_NAN;
	} else if ((s[0] >= '0' && s[0] <= '9') || s[0] == '+' || s[0] == '-' || s[0] == '.' ||
		   s[0] == '\0') {
		if (yamljson_goint(s, &out->i)) {
			out->kind = YJ_INT;
		} else if (yamljson_gofloat(s)) {
			out->f = strtod(s, NULL);
			out->kind = isfinite(out->f) ? YJ_FLOAT : YJ_INF; /* 1e999 overflows */
		}
	}
}

#define YAMLJSON_REFUSED ((json_t *)-1)

/* A plain scalar value; YAMLJSON_REFUSED for what kubectl refuses. */
static json_t *yamljson_plain(const char *s, size_t len)
{
	struct yamljson_scalar r;
	yamljson_resolve(s, &r);
	switch (r.kind) {
	case YJ_NULL:
		return json_null();
	case YJ_BOOL:
		return json_boolean(r.b);
	case YJ_INT:
		return json_integer(r.i);
	case YJ_FLOAT:
		/* Go's JSON writes 1000.0 as 1000, which the API server reads as an integer */
		if (r.f == floor(r.f) && fabs(r.f) < 9007199254740992.0)
			return json_integer((json_int_t)r.f);
		return json_real(r.f);
	case YJ_INF:
	case YJ_NAN:
		return YAMLJSON_REFUSED;
	case YJ_STRING:
		break;
	}
	return json_stringn(s, len);
}

/*
 * A plain scalar mapping key as sigs.k8s.io/yaml writes it: `on:` is the
 * key "true", `0x10:` is "16", `1.50:` is "1.5"; a null key is refused
 * (NULL with *why). Quoted keys are their text.
 */
static json_t *yamljson_plain_key(const char *s, size_t len, const char **why)
{
	struct yamljson_scalar r;
	char buf[64];
	yamljson_resolve(s, &r);
	switch (r.kind) {
	case YJ_NULL:
		*why = "a null mapping key (kubectl refuses it; quote it for the text)";
		return NULL;
	case YJ_BOOL:
		return json_string(r.b ? "true" : "false");
	case YJ_INT:
		snprintf(buf, sizeof(buf), "%lld", r.i);
		return json_string(buf);
	case YJ_FLOAT:
		/* strconv.FormatFloat(f, 'g', -1, 32): the shortest text that reads back */
		for (int prec = 1; prec <= 9; prec++) {
			snprintf(buf, sizeof(buf), "%.*g", prec, r.f);
			if ((float)strtod(buf, NULL) == (float)r.f)
				break;
		}
		return json_string(buf);
	case YJ_INF:
		return json_string(r.f < 0 ? "-.inf" : ".inf");
	case YJ_NAN:
		return json_string(".nan");
	case YJ_STRING:
		break;
	}
	return json_stringn(s, len);
}

static json_t *yamljson_node(struct yamljson_state *st, yaml_event_t *ev, int depth);

static int yamljson_remember(struct yamljson_state *st, const yaml_char_t *anchor, json_t *v)
{
	if (anchor == NULL)
		return 0;
	if (st->nanchors == st->capanchors) {
		size_t cap = st->capanchors ? st->capanchors * 2 : 8;
		struct yamljson_anchor *n = realloc(st->anchors, cap * sizeof(*n));
		if (n == NULL)
			return -1;
		st->anchors = n;
		st->capanchors = cap;
	}
	char *name = strdup((const char *)anchor);
	if (name == NULL)
		return -1;
	st->anchors[st->nanchors].name = name;
	st->anchors[st->nanchors].value = json_incref(v);
	st->nanchors++;
	return 0;
}

static json_t *yamljson_next(struct yamljson_state *st, int depth)
{
	yaml_event_t ev;
	if (!yaml_parser_parse(&st->parser, &ev)) {
		yamljson_parser_fail(st);
		return NULL;
	}
	json_t *v = yamljson_node(st, &ev, depth);
	yaml_event_delete(&ev);
	return v;
}

/*
 * Merges `src` (a mapping, or a sequence of mappings) into `obj` as
 * go-yaml v2 does for kubectl: in document order, so a merged key replaces
 * one written before the `<<` and a key written after it replaces the
 * merged one; in a sequence, earlier mappings win. `merged` remembers
 * which keys came from a merge, so that writing them again is not a
 * duplicate. Copies are shallow (values are shared) and counted against
 * YAMLJSON_MAX_MERGED per document, so merges cannot blow up.
 */
static int yamljson_merge(struct yamljson_state *st, json_t *obj, json_t **merged, json_t *src,
			  const yaml_mark_t *mark)
{
	if (json_is_array(src)) {
		for (size_t i = json_array_size(src); i-- > 0;) {
			json_t *m = json_array_get(src, i);
			if (!json_is_object(m))
				goto bad;
			if (yamljson_merge(st, obj, merged, m, mark) < 0)
				return -1;
		}
		return 0;
	}
	if (!json_is_object(src))
		goto bad;
	if (*merged == NULL && (*merged = json_object()) == NULL)
		return -1;
	const char *k;
	json_t *v;
	json_object_foreach(src, k, v)
	{
		if (++st->nmerged > YAMLJSON_MAX_MERGED) {
			yamljson_fail(st, mark,
				      "merge keys (<<) copy more than %s keys in one document",
				      YAMLJSON_STR(YAMLJSON_MAX_MERGED));
			return -1;
		}
		if (json_object_set(obj, k, v) != 0 ||
		    json_object_set(*merged, k, json_true()) != 0)
			return -1;
	}
	return 0;
bad:
	yamljson_fail(st, mark, "a merge key (<<) takes a mapping or a list of mappings%s", NULL);
	return -1;
}

/*
 * A mapping key as JSON spells it: a plain scalar key as kubectl writes it
 * (`on:` is "true"), quoted keys as their text. *merge: the key is `<<`,
 * plain and untagged, YAML 1.1's merge key, which kubectl and Helm
 * honour. Deletes ev. NULL on an error (said in st).
 */
static json_t *yamljson_key(struct yamljson_state *st, yaml_event_t *ev, int depth, bool *merge)
{
	yaml_mark_t keymark = ev->start_mark;
	*merge = ev->type == YAML_SCALAR_EVENT &&
		 ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && ev->data.scalar.tag == NULL &&
		 ev->data.scalar.length == 2 && memcmp(ev->data.scalar.value, "<<", 2) == 0;
	const char *why = NULL;
	json_t *key;
	if (ev->type != YAML_SCALAR_EVENT)
		key = yamljson_node(st, ev, depth + 1);
	else if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
		 (ev->data.scalar.tag != NULL &&
		  strcmp((const char *)ev->data.scalar.tag, YAML_STR_TAG) == 0) ||
		 strlen((const char *)ev->data.scalar.value) != ev->data.scalar.length)
		key = json_stringn((const char *)ev->data.scalar.value, ev->data.scalar.length);
	else
		key = yamljson_plain_key((const char *)ev->data.scalar.value,
					 ev->data.scalar.length, &why);
	if (key == NULL)
		yamljson_fail(st, &keymark, "%s", why != NULL ? why : "invalid UTF-8 in a key");
	yaml_event_delete(ev);
	if (key != NULL && !json_is_string(key)) {
		json_decref(key);
		yamljson_fail(st, &keymark, "mapping keys must be scalars%s", NULL);
		return NULL;
	}
	return key;
}

/*
 * Stores one entry of a mapping: `key` (taken) and the value that begins
 * with vev (deleted here). Returns 0, or -1 (said in st).
 */
static int yamljson_entry(struct yamljson_state *st, json_t *obj, json_t **merged, json_t *key,
			  bool merge, yaml_event_t *vev, const yaml_mark_t *keymark, int depth)
{
	st->seq_key = json_string_value(key);
	json_t *val = yamljson_node(st, vev, depth + 1);
	st->seq_key = NULL;
	yaml_event_delete(vev);
	int rc = -1;
	const char *k = json_string_value(key);
	if (val == NULL)
		goto out;
	if (merge) {
		rc = yamljson_merge(st, obj, merged, val, keymark);
		goto out;
	}
	if (json_object_get(obj, k) != NULL && json_object_get(*merged, k) == NULL) {
		yamljson_fail(st, keymark, "duplicate key \"%s\"", k);
		goto out;
	}
	json_object_del(*merged, k); /* written here: no longer a merged key */
	rc = json_object_setn(obj, k, json_string_length(key), val);
out:
	json_decref(val);
	json_decref(key);
	return rc;
}

static json_t *yamljson_mapping(struct yamljson_state *st, yaml_event_t *start, int depth)
{
	json_t *merged = NULL; /* keys that came from `<<`, once there was one */
	json_t *obj = json_object();
	if (obj == NULL)
		goto fail;
	for (;;) {
		yaml_event_t ev, vev;
		if (!yaml_parser_parse(&st->parser, &ev)) {
			yamljson_parser_fail(st);
			goto fail;
		}
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		yaml_mark_t keymark = ev.start_mark;
		bool merge;
		json_t *key = yamljson_key(st, &ev, depth, &merge);
		if (key == NULL)
			goto fail;
		if (!yaml_parser_parse(&st->parser, &vev)) {
			yamljson_parser_fail(st);
			json_decref(key);
			goto fail;
		}
		if (yamljson_entry(st, obj, &merged, key, merge, &vev, &keymark, depth) < 0)
			goto fail;
	}
	json_decref(merged);
	merged = NULL;
	if (yamljson_remember(st, start->data.mapping_start.anchor, obj) < 0)
		goto fail;
	return obj;
fail:
	json_decref(merged);
	json_decref(obj);
	return NULL;
}

/* Notes where a list item with a name begins: "containers/web" -> its line. */
static void yamljson_position(struct yamljson_state *st, const char *key, const json_t *item,
			      const yaml_mark_t *mark)
{
	const char *name = json_string_value(json_object_get(item, "name"));
	char path[512];
	if (name == NULL ||
	    (size_t)snprintf(path, sizeof(path), "%s/%s", key, name) >= sizeof(path))
		return;
	if (json_object_get(st->positions, path) == NULL) /* the first of a name is the one */
		json_object_set_new(st->positions, path, json_integer((json_int_t)mark->line + 1));
}

static json_t *yamljson_sequence(struct yamljson_state *st, yaml_event_t *start, int depth)
{
	char key[128] = "";
	if (st->positions != NULL && st->seq_key != NULL)
		snprintf(key, sizeof(key), "%s", st->seq_key);
	json_t *arr = json_array();
	if (arr == NULL)
		goto fail;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&st->parser, &ev)) {
			yamljson_parser_fail(st);
			goto fail;
		}
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		yaml_mark_t mark = ev.start_mark;
		st->seq_key = NULL;
		json_t *item = yamljson_node(st, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (item == NULL || json_array_append_new(arr, item) != 0)
			goto fail;
		if (key[0] != '\0' && json_is_object(item))
			yamljson_position(st, key, item, &mark);
	}
	if (yamljson_remember(st, start->data.sequence_start.anchor, arr) < 0)
		goto fail;
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

static json_t *yamljson_node(struct yamljson_state *st, yaml_event_t *ev, int depth)
{
	if (depth > YAMLJSON_MAX_DEPTH) {
		yamljson_fail(st, &ev->start_mark, "nesting deeper than %s levels", "100");
		return NULL;
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT: {
		const char *s = (const char *)ev->data.scalar.value;
		size_t len = ev->data.scalar.length;
		const char *tag = (const char *)ev->data.scalar.tag;
		json_t *v;
		if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
		    (tag != NULL && strcmp(tag, YAML_STR_TAG) == 0))
			v = json_stringn(s, len);
		else if (strlen(s) != len)
			v = json_stringn(s, len); /* an embedded NUL is never a number */
		else
			v = yamljson_plain(s, len);
		if (v == YAMLJSON_REFUSED) {
			yamljson_fail(
				st, &ev->start_mark,
				"\"%s\" is an infinity or NaN, which JSON cannot hold (kubectl "
				"refuses it too); quote it for the text",
				s);
			return NULL;
		}
		if (v == NULL) {
			yamljson_fail(st, &ev->start_mark, "invalid UTF-8 in a string%s", NULL);
			return NULL;
		}
		if (yamljson_remember(st, ev->data.scalar.anchor, v) < 0) {
			json_decref(v);
			return NULL;
		}
		return v;
	}
	case YAML_MAPPING_START_EVENT:
		return yamljson_mapping(st, ev, depth);
	case YAML_SEQUENCE_START_EVENT:
		return yamljson_sequence(st, ev, depth);
	case YAML_ALIAS_EVENT: {
		const char *name = (const char *)ev->data.alias.anchor;
		for (size_t i = st->nanchors; i-- > 0;)
			if (strcmp(st->anchors[i].name, name) == 0)
				return json_incref(st->anchors[i].value);
		yamljson_fail(st, &ev->start_mark, "unknown alias *%s", name);
		return NULL;
	}
	default:
		yamljson_fail(st, &ev->start_mark, "unexpected YAML event%s", NULL);
		return NULL;
	}
}

json_t *yamljson_load(const char *buf, size_t len, struct yamljson_error *err)
{
	struct yamljson_state st = {.err = err};
	json_t *docs = json_array();
	memset(err, 0, sizeof(*err));
	if (docs == NULL || !yaml_parser_initialize(&st.parser)) {
		snprintf(err->text, sizeof(err->text), "out of memory");
		json_decref(docs);
		return NULL;
	}
	yaml_parser_set_input_string(&st.parser, (const unsigned char *)buf, len);
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&st.parser, &ev)) {
			yamljson_parser_fail(&st);
			goto fail;
		}
		yaml_event_type_t type = ev.type;
		yaml_event_delete(&ev);
		if (type == YAML_STREAM_END_EVENT)
			break;
		if (type != YAML_DOCUMENT_START_EVENT)
			continue; /* stream start */
		/* one node, then document end */
		json_t *doc = yamljson_next(&st, 0);
		if (doc == NULL)
			goto fail;
		if (!json_is_null(doc))
			json_array_append(docs, doc);
		json_decref(doc);
		if (!yaml_parser_parse(&st.parser, &ev)) {
			yamljson_parser_fail(&st);
			goto fail;
		}
		yaml_event_delete(&ev);
		/* anchors do not cross documents */
		for (size_t i = 0; i < st.nanchors; i++) {
			free(st.anchors[i].name);
			json_decref(st.anchors[i].value);
		}
		st.nanchors = 0;
		st.nmerged = 0;
	}
	goto done;
fail:
	json_decref(docs);
	docs = NULL;
done:
	for (size_t i = 0; i < st.nanchors; i++) {
		free(st.anchors[i].name);
		json_decref(st.anchors[i].value);
	}
	free(st.anchors);
	yaml_parser_delete(&st.parser);
	return docs;
}

/* ---- one object at a time ---- */

struct yamljson_stream {
	struct yamljson_state st;
	json_t *root;     /* the document mapping being read, or NULL between documents */
	json_t *merged;   /* its merge-key bookkeeping */
	int root_line;    /* where the document begins */
	bool in_items;    /* inside the root's `items`, handing them out one by one */
	bool streamed;    /* the root's items were handed out: the List itself is not an object */
	json_t *held;     /* a List read whole (its kind came late): items still to hand out */
	size_t next_held; /* the next of them */
	char list_kind[128];
	bool done;
};

struct yamljson_stream *yamljson_stream_open(FILE *f)
{
	struct yamljson_stream *s = calloc(1, sizeof(*s));
	if (s == NULL || !yaml_parser_initialize(&s->st.parser)) {
		free(s);
		return NULL;
	}
	yaml_parser_set_input_file(&s->st.parser, f);
	return s;
}

static void yamljson_forget_anchors(struct yamljson_state *st)
{
	for (size_t i = 0; i < st->nanchors; i++) {
		free(st->anchors[i].name);
		json_decref(st->anchors[i].value);
	}
	st->nanchors = 0;
	st->nmerged = 0;
}

void yamljson_stream_track(struct yamljson_stream *s)
{
	if (s->st.positions == NULL)
		s->st.positions = json_object();
}

const json_t *yamljson_stream_positions(const struct yamljson_stream *s)
{
	return s->st.positions;
}

void yamljson_stream_close(struct yamljson_stream *s)
{
	if (s == NULL)
		return;
	json_decref(s->st.positions);
	yamljson_forget_anchors(&s->st);
	free(s->st.anchors);
	yaml_parser_delete(&s->st.parser);
	json_decref(s->root);
	json_decref(s->merged);
	json_decref(s->held);
	free(s);
}

static bool yamljson_is_list_kind(const char *kind)
{
	size_t n = kind != NULL ? strlen(kind) : 0;
	return n >= 4 && strcmp(kind + n - 4, "List") == 0;
}

/*
 * Whether the root's `items` may be handed out as they are read: the
 * root is a List, or will be. kubectl writes `apiVersion: v1`, then
 * `items`, then `kind: List`, so a v1 object whose kind is still unknown
 * is taken for one (no other v1 kind has `items`); anything else is read
 * whole and decided at its end.
 */
static bool yamljson_streams_items(const json_t *root)
{
	const char *kind = json_string_value(json_object_get(root, "kind"));
	if (kind != NULL)
		return yamljson_is_list_kind(kind);
	const char *av = json_string_value(json_object_get(root, "apiVersion"));
	return av != NULL && strcmp(av, "v1") == 0;
}

/* Reads the root mapping on. 1: items begin (in_items); 0: the document ended; -1 error. */
static int yamljson_root_step(struct yamljson_stream *s)
{
	struct yamljson_state *st = &s->st;
	for (;;) {
		yaml_event_t ev, vev;
		if (!yaml_parser_parse(&st->parser, &ev))
			goto parse_fail;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		yaml_mark_t keymark = ev.start_mark;
		bool merge;
		json_t *key = yamljson_key(st, &ev, 0, &merge);
		if (key == NULL)
			return -1;
		if (!yaml_parser_parse(&st->parser, &vev)) {
			json_decref(key);
			goto parse_fail;
		}
		if (!merge && !s->streamed && vev.type == YAML_SEQUENCE_START_EVENT &&
		    strcmp(json_string_value(key), "items") == 0 &&
		    json_object_get(s->root, "items") == NULL && yamljson_streams_items(s->root)) {
			json_decref(key);
			yaml_event_delete(&vev);
			s->in_items = s->streamed = true;
			/* a placeholder, so that a second `items` is a duplicate key */
			return json_object_set_new(s->root, "items", json_array()) == 0 ? 1 : -1;
		}
		if (yamljson_entry(st, s->root, &s->merged, key, merge, &vev, &keymark, 0) < 0)
			return -1;
	}
parse_fail:
	yamljson_parser_fail(st);
	return -1;
}

static const char *yamljson_root_kind(struct yamljson_stream *s)
{
	const char *kind = json_string_value(json_object_get(s->root, "kind"));
	snprintf(s->list_kind, sizeof(s->list_kind), "%s", kind != NULL ? kind : "");
	return s->list_kind[0] != '\0' ? s->list_kind : NULL;
}

/* The root mapping ended: hand out the document, or keep its items, or nothing. */
static int yamljson_root_end(struct yamljson_stream *s, json_t **obj, int *line,
			     const char **list_kind)
{
	yaml_event_t ev;
	if (!yaml_parser_parse(&s->st.parser, &ev)) { /* the document's end */
		yamljson_parser_fail(&s->st);
		return -1;
	}
	yaml_event_delete(&ev);
	yamljson_forget_anchors(&s->st);
	json_decref(s->merged);
	s->merged = NULL;
	json_t *root = s->root;
	s->root = NULL;
	const char *kind = json_string_value(json_object_get(root, "kind"));
	if (!s->streamed && yamljson_is_list_kind(kind) &&
	    json_is_array(json_object_get(root, "items"))) {
		s->held = root; /* handed out item by item, at the document's line */
		s->next_held = 0;
		return 0;
	}
	if (s->streamed) {
		json_decref(root);
		return 0;
	}
	*obj = root;
	*line = s->root_line;
	*list_kind = NULL;
	return 1;
}

int yamljson_stream_next(struct yamljson_stream *s, json_t **obj, int *line, const char **list_kind,
			 struct yamljson_error *err)
{
	struct yamljson_state *st = &s->st;
	st->err = err;
	memset(err, 0, sizeof(*err));
	if (st->positions != NULL)
		json_object_clear(st->positions); /* they were the last object's */
	*obj = NULL;
	*line = 0;
	*list_kind = NULL;
	while (!s->done) {
		yaml_event_t ev;
		if (s->held != NULL) {
			json_t *items = json_object_get(s->held, "items");
			if (s->next_held < json_array_size(items)) {
				*obj = json_incref(json_array_get(items, s->next_held++));
				*line = s->root_line;
				s->root = s->held; /* for the kind */
				*list_kind = yamljson_root_kind(s);
				s->root = NULL;
				return 1;
			}
			json_decref(s->held);
			s->held = NULL;
			continue;
		}
		if (s->in_items) {
			if (!yaml_parser_parse(&st->parser, &ev)) {
				yamljson_parser_fail(st);
				goto fail;
			}
			if (ev.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&ev);
				s->in_items = false;
				continue;
			}
			*line = (int)ev.start_mark.line + 1;
			*obj = yamljson_node(st, &ev, 2);
			yaml_event_delete(&ev);
			if (*obj == NULL)
				goto fail;
			*list_kind = yamljson_root_kind(s);
			return 1;
		}
		if (s->root != NULL) {
			int rc = yamljson_root_step(s);
			if (rc < 0)
				goto fail;
			if (rc == 1)
				continue;
			rc = yamljson_root_end(s, obj, line, list_kind);
			if (rc < 0)
				goto fail;
			if (rc == 1)
				return 1;
			continue;
		}
		if (!yaml_parser_parse(&st->parser, &ev)) {
			yamljson_parser_fail(st);
			goto fail;
		}
		yaml_event_type_t type = ev.type;
		if (type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			s->done = true;
			break;
		}
		if (type == YAML_STREAM_START_EVENT || type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		if (type == YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&ev);
			if (!yaml_parser_parse(&st->parser, &ev)) {
				yamljson_parser_fail(st);
				goto fail;
			}
			s->root_line = (int)ev.start_mark.line + 1;
			s->streamed = false;
			if (ev.type == YAML_MAPPING_START_EVENT) {
				yaml_event_delete(&ev);
				if ((s->root = json_object()) == NULL) {
					snprintf(err->text, sizeof(err->text), "out of memory");
					goto fail;
				}
				continue;
			}
			/* a document that is not a mapping: whole, as yamljson_load reads it */
			json_t *doc = yamljson_node(st, &ev, 0);
			yaml_event_delete(&ev);
			if (doc == NULL)
				goto fail;
			if (!yaml_parser_parse(&st->parser, &ev)) {
				json_decref(doc);
				yamljson_parser_fail(st);
				goto fail;
			}
			yaml_event_delete(&ev);
			yamljson_forget_anchors(st);
			if (json_is_null(doc)) {
				json_decref(doc);
				continue;
			}
			*obj = doc;
			*line = s->root_line;
			return 1;
		}
		yaml_event_delete(&ev);
	}
	return 0;
fail:
	s->done = true;
	return -1;
}
