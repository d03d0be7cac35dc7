/*
 * yamlconf: the YAML plumbing of the configuration and of everything read
 * like it (custom rules, policy test suites): errors as `file:line:col:
 * message` lines, libcyaml loads whose log text becomes those lines (with
 * the hint of an enum's own values), key positions, and the libyaml pass
 * that finds the entries of the top-level lists and their text.
 */
#ifndef ADMITD_YAMLCONF_H
#define ADMITD_YAMLCONF_H

#include <stdbool.h>
#include <stddef.h>

#include <cyaml/cyaml.h>

/* A list of errors, each already formatted as `file:line:col: message`. */
struct yamlconf_errors {
	char **lines;
	size_t count;
};

void yamlconf_errors_free(struct yamlconf_errors *errs);
/* `name:line:col: message` (`name: message` when line is 0). */
void yamlconf_error(struct yamlconf_errors *errs, const char *name, int line, int col,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * libcyaml load of text (padded to the file's lines, so that positions are
 * the file's) with its failure as one error: `where` prefixes the key path
 * ("rules[2]"), from_line is where the text starts. Returns 0, or -1.
 */
int yamlconf_load(const char *name, const char *text, size_t len,
		  const cyaml_schema_value_t *schema, void **out, const char *where, int from_line,
		  struct yamlconf_errors *errs);
void yamlconf_free(const cyaml_schema_value_t *schema, void *data);

/* The position of the first mapping key spelled `key` at or after from_line. */
void yamlconf_find_key(const char *buf, size_t len, const char *key, int from_line, int *line,
		       int *col);

/* One entry of a top-level list: where it is, and its `id`. */
struct yamlconf_entry {
	size_t start, end; /* range of the entry's node, in characters (libyaml marks) */
	int line, col;     /* 1-based position of the entry */
	bool is_mapping;
	char id[129];
	int id_line, id_col;
};

/* The entries of one top-level list. */
struct yamlconf_list {
	const char *key;
	struct yamlconf_entry *entries;
	size_t nentries;
	bool not_list;
	int line, col;
};

#define YAMLCONF_LISTS 4
struct yamlconf_scan {
	struct yamlconf_list lists[YAMLCONF_LISTS];
	bool empty;
};

/*
 * The libyaml pass: checks the syntax (libcyaml reports syntax errors at a
 * misleading position) and finds the entries of the top-level lists named
 * in keys. Returns 0, or -1 with the error in errs.
 */
int yamlconf_scan(const char *buf, size_t len, const char *const keys[YAMLCONF_LISTS],
		  struct yamlconf_scan *sc, struct yamlconf_errors *errs, const char *name);
void yamlconf_scan_free(struct yamlconf_scan *sc);

/* The entry's text, preceded by the newlines and spaces it had in the file; malloc'd. */
char *yamlconf_entry_text(const char *buf, size_t buflen, const struct yamlconf_entry *loc,
			  size_t *len);

#endif
