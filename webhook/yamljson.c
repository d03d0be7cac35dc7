/*
 * yamljson.c: libyaml events -> jansson values.
 *
 * Why not libcyaml here: libcyaml needs a schema, and Kubernetes objects
 * are open-ended; libcyaml stays the configuration reader.
 */
#include "yamljson.h"

#include <errno.h>
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
};

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

/* YAML 1.1 plain scalar resolution, as Kubernetes' YAML reader does it. */
static json_t *yamljson_plain(const char *s, size_t len)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
	/* YAML 1.1 also reads y/n as booleans; Kubernetes users write `n:` as a
	 * key or value meaning the letter, so those two stay strings */
	static const char *const trues[] = {"true", "True", "TRUE", "yes", "Yes",
					    "YES",  "on",   "On",   "ON",   NULL};
	static const char *const falses[] = {"false", "False", "FALSE", "no", "No",
					     "NO",    "off",   "Off",   "OFF", NULL};
	if (yamljson_match(s, nulls))
		return json_null();
	if (yamljson_match(s, trues))
		return json_true();
	if (yamljson_match(s, falses))
		return json_false();

	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (*p >= '0' && *p <= '9') {
		char *end = NULL;
		errno = 0;
		if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
			long long v = strtoll(s, &end, 16);
			if (*end == '\0' && errno == 0)
				return json_integer(v);
		} else {
			long long v = strtoll(s, &end, 10);
			if (*end == '\0' && errno == 0)
				return json_integer(v);
		}
	}
	/* floats: digits with a dot or exponent, and the .inf/.nan spellings */
	if ((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9')) {
		bool digits = false, ok = true;
		const char *q = p;
		while (*q >= '0' && *q <= '9')
			q++, digits = true;
		if (*q == '.') {
			q++;
			while (*q >= '0' && *q <= '9')
				q++, digits = true;
		}
		if (digits && (*q == 'e' || *q == 'E')) {
			q++;
			if (*q == '+' || *q == '-')
				q++;
			if (!(*q >= '0' && *q <= '9'))
				ok = false;
			while (*q >= '0' && *q <= '9')
				q++;
		}
		if (ok && digits && *q == '\0') {
			double d = strtod(s, NULL);
			if (isfinite(d))
				return json_real(d);
		}
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

static json_t *yamljson_mapping(struct yamljson_state *st, yaml_event_t *start, int depth)
{
	json_t *obj = json_object();
	if (obj == NULL)
		goto fail;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&st->parser, &ev)) {
			yamljson_parser_fail(st);
			goto fail;
		}
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		yaml_mark_t keymark = ev.start_mark;
		/* a scalar key is its text: JSON keys are strings, never `true` or `1.0` */
		json_t *key = ev.type == YAML_SCALAR_EVENT
				      ? json_stringn((const char *)ev.data.scalar.value,
						     ev.data.scalar.length)
				      : yamljson_node(st, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (key == NULL)
			goto fail;
		if (!json_is_string(key)) {
			json_decref(key);
			yamljson_fail(st, &keymark, "mapping keys must be scalars%s", NULL);
			goto fail;
		}
		const char *k = json_string_value(key);
		if (json_object_get(obj, k) != NULL) {
			yamljson_fail(st, &keymark, "duplicate key \"%s\"", k);
			json_decref(key);
			goto fail;
		}
		json_t *val = yamljson_next(st, depth + 1);
		if (val == NULL) {
			json_decref(key);
			goto fail;
		}
		int rc = json_object_setn_new(obj, k, json_string_length(key), val);
		json_decref(key);
		if (rc != 0)
			goto fail;
	}
	if (yamljson_remember(st, start->data.mapping_start.anchor, obj) < 0)
		goto fail;
	return obj;
fail:
	json_decref(obj);
	return NULL;
}

static json_t *yamljson_sequence(struct yamljson_state *st, yaml_event_t *start, int depth)
{
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
		json_t *item = yamljson_node(st, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (item == NULL || json_array_append_new(arr, item) != 0)
			goto fail;
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
