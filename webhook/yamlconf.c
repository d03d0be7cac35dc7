/*
 * yamlconf.c: see yamlconf.h. libcyaml tells what went wrong only through
 * its log callback; this file is the one place that reads that text.
 */
#include "yamlconf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

/* ---- errors ---- */

void yamlconf_errors_free(struct yamlconf_errors *errs)
{
	for (size_t i = 0; i < errs->count; i++)
		free(errs->lines[i]);
	free(errs->lines);
	errs->lines = NULL;
	errs->count = 0;
}

void yamlconf_error(struct yamlconf_errors *errs, const char *name, int line, int col,
		    const char *fmt, ...)
{
	char msg[512], full[800];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(full, sizeof(full), "%s:%d:%d: %s", name, line, col > 0 ? col : 1, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", name, msg);
	char **n = realloc(errs->lines, (errs->count + 1) * sizeof(*n));
	if (n == NULL)
		return;
	errs->lines = n;
	if ((n[errs->count] = strdup(full)) != NULL)
		errs->count++;
}

/* ---- libcyaml log capture ----
 * libcyaml tells what went wrong and where only through its log callback:
 * one message, then "Backtrace:" and one line per enclosing node, innermost
 * first. Collect them and turn them into one user-facing line. */

struct yamlconf_log {
	char message[256];
	int line, col;     /* innermost position */
	char path[256];    /* dotted path built from the backtrace */
	char trace[8][96]; /* raw backtrace components, innermost first */
	int ntrace;
	bool in_backtrace;
};

static void yamlconf_log_fn(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
	struct yamlconf_log *lg = ctx;
	char buf[512];
	if (level < CYAML_LOG_ERROR)
		return;
	vsnprintf(buf, sizeof(buf), fmt, args);
	buf[strcspn(buf, "\n")] = '\0';
	const char *s = buf;
	if (strncmp(s, "Load: ", 6) == 0)
		s += 6;
	if (strcmp(s, "Backtrace:") == 0) {
		lg->in_backtrace = true;
		return;
	}
	if (!lg->in_backtrace) {
		if (lg->message[0] == '\0')
			snprintf(lg->message, sizeof(lg->message), "%.255s", s);
		return;
	}
	/* "  in mapping field 'x' (line: 3, column: 5)" / "  in sequence entry '2' (...)" */
	while (*s == ' ')
		s++;
	unsigned long line = 0, col = 0;
	const char *pos = strstr(s, "(line: ");
	if (pos != NULL)
		sscanf(pos, "(line: %lu, column: %lu)", &line, &col);
	if (lg->line == 0 && line > 0) {
		lg->line = (int)line;
		lg->col = (int)col;
	}
	if (lg->ntrace < 8) {
		char name[96] = "";
		const char *q1 = strchr(s, '\'');
		const char *q2 = q1 != NULL ? strchr(q1 + 1, '\'') : NULL;
		if (q1 != NULL && q2 != NULL && (size_t)(q2 - q1 - 1) < sizeof(name)) {
			if (strncmp(s, "in sequence entry", 17) == 0)
				/* libcyaml counts entries from 1 here; paths count from 0 */
				snprintf(name, sizeof(name), "[%ld]", strtol(q1 + 1, NULL, 10) - 1);
			else
				snprintf(name, sizeof(name), "%.*s", (int)(q2 - q1 - 1), q1 + 1);
		}
		snprintf(lg->trace[lg->ntrace++], sizeof(lg->trace[0]), "%s", name);
	}
}

/* Dotted path from the backtrace, outermost first, after `prefix`. */
static void yamlconf_path(const struct yamlconf_log *lg, const char *prefix, int skip, char *out,
			  size_t outlen)
{
	size_t n = (size_t)snprintf(out, outlen, "%s", prefix);
	for (int i = lg->ntrace - 1; i >= skip && n < outlen; i--) {
		const char *t = lg->trace[i];
		if (t[0] == '\0')
			continue;
		const char *sep = (n == 0 || t[0] == '[') ? "" : ".";
		n += (size_t)snprintf(out + n, outlen - n, "%s%s", sep, t);
	}
}

/*
 * libcyaml places an unknown key at the last value it read, which can be
 * lines away; find the key itself: the first mapping key spelled `key` at
 * or after `from_line` (both 1-based).
 */
void yamlconf_find_key(const char *buf, size_t len, const char *key, int from_line, int *line,
		       int *col)
{
	yaml_parser_t p;
	yaml_event_t ev;
	/* per nesting level: is it a mapping, and is its next scalar a key */
	bool is_map[128] = {false}, want_key[128] = {false};
	int depth = 0;
	if (buf == NULL || !yaml_parser_initialize(&p))
		return;
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (yaml_parser_parse(&p, &ev)) {
		yaml_event_type_t t = ev.type;
		bool key_pos = depth > 0 && is_map[depth] && want_key[depth];
		if (depth > 0 && is_map[depth] &&
		    (t == YAML_SCALAR_EVENT || t == YAML_ALIAS_EVENT ||
		     t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT))
			want_key[depth] = !want_key[depth];
		if (t == YAML_SCALAR_EVENT && key_pos &&
		    strcmp((const char *)ev.data.scalar.value, key) == 0 &&
		    (int)ev.start_mark.line + 1 >= from_line) {
			*line = (int)ev.start_mark.line + 1;
			*col = (int)ev.start_mark.column + 1;
			yaml_event_delete(&ev);
			break;
		}
		if ((t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT) &&
		    depth < 127) {
			depth++;
			is_map[depth] = t == YAML_MAPPING_START_EVENT;
			want_key[depth] = true;
		} else if (t == YAML_MAPPING_END_EVENT || t == YAML_SEQUENCE_END_EVENT) {
			depth--;
		}
		bool end = t == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		if (end || depth < 0)
			break;
	}
	yaml_parser_delete(&p);
}

/* Turns a captured libcyaml failure into one line with file, line, key. */
/*
 * " (expected a, b or c)" from the enum's own values: the backtrace,
 * outermost first, leads through the schema to the field that failed.
 */
static void yamlconf_enum_hint(const cyaml_schema_value_t *schema, const struct yamlconf_log *lg,
			       char *out, size_t len)
{
	const cyaml_schema_value_t *v = schema;
	out[0] = '\0';
	for (int i = lg->ntrace - 1; i >= 0 && v != NULL; i--) {
		const char *t = lg->trace[i];
		if (t[0] == '\0')
			continue;
		if (t[0] == '[') {
			v = v->type == CYAML_SEQUENCE || v->type == CYAML_SEQUENCE_FIXED
				    ? v->sequence.entry
				    : NULL;
			continue;
		}
		const cyaml_schema_field_t *f = v->type == CYAML_MAPPING ? v->mapping.fields : NULL;
		while (f != NULL && f->key != NULL && strcmp(f->key, t) != 0)
			f++;
		v = f != NULL && f->key != NULL ? &f->value : NULL;
	}
	if (v == NULL || v->type != CYAML_ENUM)
		return;
	/* spellings of one word (true, True, TRUE) are named once */
	const char *words[32];
	size_t nw = 0;
	for (uint32_t k = 0; k < v->enumeration.count && nw < 32; k++) {
		bool seen = false;
		for (size_t j = 0; j < nw && !seen; j++)
			seen = strcasecmp(words[j], v->enumeration.strings[k].str) == 0;
		if (!seen)
			words[nw++] = v->enumeration.strings[k].str;
	}
	size_t n = (size_t)snprintf(out, len, " (expected ");
	for (size_t k = 0; k < nw && n < len; k++)
		n += (size_t)snprintf(out + n, len - n, "%s%s",
				      k == 0        ? ""
				      : k + 1 == nw ? " or "
						    : ", ",
				      words[k]);
	if (n < len)
		snprintf(out + n, len - n, ")");
}

static void yamlconf_report(struct yamlconf_errors *errs, const char *name,
			    const cyaml_schema_value_t *schema, const struct yamlconf_log *lg,
			    const char *prefix, cyaml_err_t rc, const char *text, size_t textlen,
			    int from_line)
{
	char path[300], where[320];
	const char *m = lg->message;
	const char *arg;
	if ((arg = strstr(m, "Unexpected key: ")) != NULL) {
		/* the innermost trace entry is the mapping holding the unknown key */
		const char *key = arg + strlen("Unexpected key: ");
		int line = lg->line, col = lg->col;
		yamlconf_find_key(text, textlen, key, from_line, &line, &col);
		yamlconf_path(lg, prefix, 0, path, sizeof(path));
		snprintf(where, sizeof(where), "%s%s", path[0] ? " in " : " at the top level",
			 path);
		yamlconf_error(errs, name, line, col, "unknown key \"%s\"%s", key, where);
		return;
	}
	if ((arg = strstr(m, "Missing required mapping field: ")) != NULL) {
		yamlconf_path(lg, prefix, 0, path, sizeof(path));
		snprintf(where, sizeof(where), "%s%s", path[0] ? " in " : " at the top level",
			 path);
		yamlconf_error(errs, name, lg->line, lg->col, "missing required key \"%s\"%s",
			       arg + strlen("Missing required mapping field: "), where);
		return;
	}
	yamlconf_path(lg, prefix, 0, path, sizeof(path));
	if ((arg = strstr(m, "Invalid ENUM value: ")) != NULL) {
		char expect[256];
		yamlconf_enum_hint(schema, lg, expect, sizeof(expect));
		yamlconf_error(errs, name, lg->line, lg->col,
			       "invalid value \"%s\" for key \"%s\"%s",
			       arg + strlen("Invalid ENUM value: "), path, expect);
		return;
	}
	if ((arg = strstr(m, "Expecting ")) != NULL) {
		char want[32] = "";
		sscanf(arg, "Expecting %31[A-Z_]", want);
		const char *what = strcmp(want, "SEQUENCE") == 0  ? "a list"
				   : strcmp(want, "MAPPING") == 0 ? "a mapping"
								  : "a single value";
		yamlconf_error(errs, name, lg->line, lg->col, "key \"%s\" must be %s", path, what);
		return;
	}
	unsigned have = 0, want = 0;
	bool count_error = sscanf(m, "Insufficient entries (%u of %u min)", &have, &want) == 2 ||
			   sscanf(m, "Excessive entries (%u max)", &want) == 1;
	if (count_error && lg->ntrace > 0 && lg->trace[0][0] == '[')
		/* about the list itself, not the entry libcyaml was counting */
		yamlconf_path(lg, prefix, 1, path, sizeof(path));
	if (sscanf(m, "Insufficient entries (%u of %u min)", &have, &want) == 2) {
		yamlconf_error(errs, name, lg->line, lg->col,
			       "key \"%s\" needs at least %u entr%s (found %u)", path, want,
			       want == 1 ? "y" : "ies", have);
		return;
	}
	if (sscanf(m, "Excessive entries (%u max)", &want) == 1) {
		yamlconf_error(errs, name, lg->line, lg->col, "key \"%s\" takes at most %u entries",
			       path, want);
		return;
	}
	if (strstr(m, "Mapping field already seen: ") != NULL) {
		yamlconf_error(errs, name, lg->line, lg->col, "duplicate key \"%s\"", path);
		return;
	}
	/* libcyaml names the type INT, UINT, or, for text that is no number at all, int64_t or
	 * uint64_t */
	char bad[200], type[16];
	if (sscanf(m, "Invalid %15[A-Za-z0-9_] value: '%199[^']'", type, bad) == 2 &&
	    (strstr(type, "INT") != NULL || strstr(type, "int64_t") != NULL)) {
		yamlconf_error(errs, name, lg->line, lg->col,
			       "invalid value \"%s\" for key \"%s\" (expected a whole number)", bad,
			       path);
		return;
	}
	if (m[0] != '\0')
		yamlconf_error(errs, name, lg->line, lg->col, "%s at \"%s\"", m, path);
	else
		yamlconf_error(errs, name, lg->line, lg->col, "%s", cyaml_strerror(rc));
}

static const cyaml_config_t yamlconf_base = {
	.log_fn = yamlconf_log_fn,
	.mem_fn = cyaml_mem,
	.log_level = CYAML_LOG_ERROR,
	/* anchors and aliases buy nothing in a config and open the door to
	 * alias bombs */
	.flags = CYAML_CFG_NO_ALIAS,
};

/* ---- pass 1: libyaml syntax check and policy entry locations ---- */

static int yamlconf_next(yaml_parser_t *p, yaml_event_t *ev, struct yamlconf_errors *errs,
			 const char *name)
{
	if (!yaml_parser_parse(p, ev)) {
		yamlconf_error(errs, name, (int)p->problem_mark.line + 1,
			       (int)p->problem_mark.column + 1, "YAML syntax error: %s%s%s",
			       p->problem ? p->problem : "invalid YAML", p->context ? " " : "",
			       p->context ? p->context : "");
		return -1;
	}
	if (ev->type == YAML_ALIAS_EVENT) {
		/* they buy nothing in a configuration and open the door to alias bombs */
		yamlconf_error(errs, name, (int)ev->start_mark.line + 1,
			       (int)ev->start_mark.column + 1,
			       "YAML aliases (*%s) are not allowed in a configuration; write the "
			       "value out",
			       (const char *)ev->data.alias.anchor);
		yaml_event_delete(ev);
		return -1;
	}
	return 0;
}

/* Skips the rest of the node that `ev` starts; ev already consumed. */
static int yamlconf_skip(yaml_parser_t *p, const yaml_event_t *ev, struct yamlconf_errors *errs,
			 const char *name, size_t *end)
{
	int depth = 0;
	if (ev->type == YAML_MAPPING_START_EVENT || ev->type == YAML_SEQUENCE_START_EVENT)
		depth = 1;
	*end = ev->end_mark.index;
	while (depth > 0) {
		yaml_event_t e;
		if (yamlconf_next(p, &e, errs, name) < 0)
			return -1;
		if (e.type == YAML_MAPPING_START_EVENT || e.type == YAML_SEQUENCE_START_EVENT)
			depth++;
		else if (e.type == YAML_MAPPING_END_EVENT || e.type == YAML_SEQUENCE_END_EVENT)
			depth--;
		*end = e.end_mark.index;
		yaml_event_delete(&e);
	}
	return 0;
}

static int yamlconf_scan_entry(yaml_parser_t *p, yaml_event_t *start, struct yamlconf_list *sc,
			       struct yamlconf_errors *errs, const char *name)
{
	struct yamlconf_entry *n = realloc(sc->entries, (sc->nentries + 1) * sizeof(*sc->entries));
	if (n == NULL)
		return -1;
	sc->entries = n;
	struct yamlconf_entry *loc = &sc->entries[sc->nentries++];
	memset(loc, 0, sizeof(*loc));
	loc->start = start->start_mark.index;
	loc->line = (int)start->start_mark.line + 1;
	loc->col = (int)start->start_mark.column + 1;
	if (start->type != YAML_MAPPING_START_EVENT)
		return yamlconf_skip(p, start, errs, name, &loc->end);
	loc->is_mapping = true;
	for (;;) {
		yaml_event_t k, v;
		if (yamlconf_next(p, &k, errs, name) < 0)
			return -1;
		if (k.type == YAML_MAPPING_END_EVENT) {
			loc->end = k.end_mark.index;
			yaml_event_delete(&k);
			return 0;
		}
		bool is_id = k.type == YAML_SCALAR_EVENT &&
			     strcmp((const char *)k.data.scalar.value, "id") == 0;
		size_t ignored;
		if (yamlconf_skip(p, &k, errs, name, &ignored) < 0) {
			yaml_event_delete(&k);
			return -1;
		}
		yaml_event_delete(&k);
		if (yamlconf_next(p, &v, errs, name) < 0)
			return -1;
		if (is_id && v.type == YAML_SCALAR_EVENT) {
			snprintf(loc->id, sizeof(loc->id), "%s", (const char *)v.data.scalar.value);
			loc->id_line = (int)v.start_mark.line + 1;
			loc->id_col = (int)v.start_mark.column + 1;
		}
		int rc = yamlconf_skip(p, &v, errs, name, &ignored);
		yaml_event_delete(&v);
		if (rc < 0)
			return -1;
	}
}

int yamlconf_scan(const char *buf, size_t len, const char *const keys[YAMLCONF_LISTS],
		  struct yamlconf_scan *sc, struct yamlconf_errors *errs, const char *name)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int rc = -1, depth = 0;
	bool want_key = false, in_top = false;
	memset(sc, 0, sizeof(*sc));
	for (int l = 0; l < YAMLCONF_LISTS; l++)
		sc->lists[l].key = keys[l];
	sc->empty = true;
	if (!yaml_parser_initialize(&p))
		return -1;
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	for (;;) {
		if (yamlconf_next(&p, &ev, errs, name) < 0)
			goto out;
		yaml_event_type_t t = ev.type;
		if (t == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (t == YAML_ALIAS_EVENT || t == YAML_SCALAR_EVENT ||
		    t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT)
			sc->empty = false;
		if (depth == 0 && t == YAML_MAPPING_START_EVENT) {
			in_top = true;
			want_key = true;
			depth = 1;
			yaml_event_delete(&ev);
			continue;
		}
		if (in_top && depth == 1 && t == YAML_MAPPING_END_EVENT) {
			in_top = false;
			depth = 0;
			yaml_event_delete(&ev);
			continue;
		}
		if (in_top && want_key) {
			struct yamlconf_list *list = NULL;
			for (int l = 0; l < YAMLCONF_LISTS && t == YAML_SCALAR_EVENT; l++)
				if (strcmp((const char *)ev.data.scalar.value, sc->lists[l].key) ==
				    0)
					list = &sc->lists[l];
			size_t end;
			if (yamlconf_skip(&p, &ev, errs, name, &end) < 0)
				goto fail_ev;
			yaml_event_delete(&ev);
			if (yamlconf_next(&p, &ev, errs, name) < 0)
				goto out;
			if (list != NULL) {
				list->line = (int)ev.start_mark.line + 1;
				list->col = (int)ev.start_mark.column + 1;
				if (ev.type == YAML_SEQUENCE_START_EVENT) {
					for (;;) {
						yaml_event_t item;
						if (yamlconf_next(&p, &item, errs, name) < 0)
							goto fail_ev;
						if (item.type == YAML_SEQUENCE_END_EVENT) {
							yaml_event_delete(&item);
							break;
						}
						int r = yamlconf_scan_entry(&p, &item, list, errs,
									    name);
						yaml_event_delete(&item);
						if (r < 0)
							goto fail_ev;
					}
					yaml_event_delete(&ev);
					continue;
				}
				/* null (an empty `policies:`) is no entries; anything else is wrong
				 */
				if (!(ev.type == YAML_SCALAR_EVENT && ev.data.scalar.length == 0))
					list->not_list = true;
			}
			if (yamlconf_skip(&p, &ev, errs, name, &end) < 0)
				goto fail_ev;
			yaml_event_delete(&ev);
			continue;
		}
		/* anything outside the top mapping: let libcyaml judge the shape */
		size_t end;
		if (yamlconf_skip(&p, &ev, errs, name, &end) < 0)
			goto fail_ev;
		yaml_event_delete(&ev);
	}
	rc = 0;
	goto out;
fail_ev:
	yaml_event_delete(&ev);
out:
	yaml_parser_delete(&p);
	return rc;
}

/*
 * libyaml's mark.index counts characters, not bytes: the byte offset of
 * character `index` of UTF-8 text (a continuation byte is 10xxxxxx).
 */
static size_t yamlconf_byte_offset(const char *buf, size_t len, size_t index)
{
	size_t b = 0;
	for (size_t chars = 0; b < len; b++) {
		if (((unsigned char)buf[b] & 0xC0) == 0x80)
			continue;
		if (chars++ == index)
			return b;
	}
	return b;
}

/* The entry's text, preceded by the newlines and spaces it had in the file. */
char *yamlconf_entry_text(const char *buf, size_t buflen, const struct yamlconf_entry *loc,
			  size_t *len)
{
	size_t pad = (size_t)(loc->line - 1) + (size_t)(loc->col - 1);
	size_t start = yamlconf_byte_offset(buf, buflen, loc->start);
	size_t body = yamlconf_byte_offset(buf, buflen, loc->end) - start;
	char *t = malloc(pad + body + 2);
	if (t == NULL)
		return NULL;
	memset(t, '\n', (size_t)(loc->line - 1));
	memset(t + loc->line - 1, ' ', (size_t)(loc->col - 1));
	memcpy(t + pad, buf + start, body);
	t[pad + body] = '\n';
	*len = pad + body + 1;
	return t;
}

int yamlconf_load(const char *name, const char *text, size_t len,
		  const cyaml_schema_value_t *schema, void **out, const char *where, int from_line,
		  struct yamlconf_errors *errs)
{
	struct yamlconf_log lg = {0};
	cyaml_config_t cc = yamlconf_base;
	cc.log_ctx = &lg;
	*out = NULL;
	cyaml_err_t err = cyaml_load_data((const uint8_t *)text, len, &cc, schema, out, NULL);
	if (err != CYAML_OK || *out == NULL) {
		yamlconf_report(errs, name, schema, &lg, where, err, text, len, from_line);
		*out = NULL;
		return -1;
	}
	return 0;
}

void yamlconf_free(const cyaml_schema_value_t *schema, void *data)
{
	cyaml_config_t cc = yamlconf_base;
	cc.log_fn = NULL;
	if (data != NULL)
		cyaml_free(&cc, schema, data, 0);
}

void yamlconf_scan_free(struct yamlconf_scan *sc)
{
	for (int l = 0; l < YAMLCONF_LISTS; l++) {
		free(sc->lists[l].entries);
		sc->lists[l].entries = NULL;
		sc->lists[l].nentries = 0;
	}
}
