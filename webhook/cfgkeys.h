/*
 * cfgkeys: the configuration's keys, one row each: where the value goes
 * in struct admitd_config, its type, default and bounds, whether a reload
 * applies it, the flag that overrides it and a line of documentation.
 * From this one table come the reading and checking of those keys (every
 * error of a file, each with file:line:col and the hint of the key's own
 * values), their defaults, the restart check of a reload and the key
 * reference in the docs (`admitd config --markdown`). Adding a key is one
 * row. `policies:`, `rules:`, `workloads:` and `registries:` entries are read
 * by config.c and rules.c.
 */
#ifndef ADMITD_CFGKEYS_H
#define ADMITD_CFGKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cyaml/cyaml.h>

#include "yamlconf.h"

struct admitd_config;

enum cfgkeys_type {
	CFGKEYS_SECTION, /* a mapping of further rows ("server") */
	CFGKEYS_LIST,    /* policies, rules: entries read elsewhere */
	CFGKEYS_ENUM,    /* one of `values` */
	CFGKEYS_BOOL,    /* true or false */
	CFGKEYS_UINT,    /* a whole number from min to max */
	CFGKEYS_SIZE,    /* a byte count, optionally Ki or Mi, from min to max */
	CFGKEYS_STRING,  /* text; `text_default` when absent */
	CFGKEYS_LISTEN,  /* ADDR:PORT with a port from 1 to 65535 */
	CFGKEYS_NAMES,   /* a list of names or trailing-'*' prefixes */
};

struct cfgkey {
	const char *path; /* "server.maxBodyBytes"; a section's rows follow it */
	enum cfgkeys_type type;
	size_t offset;       /* of the value in struct admitd_config */
	size_t size;         /* of that member (ENUM, BOOL) */
	size_t count_offset; /* NAMES: of the unsigned count */
	unsigned long long def, min, max;
	const char *text_default;     /* STRING/LISTEN default, or NULL */
	const cyaml_strval_t *values; /* ENUM */
	unsigned nvalues;
	bool live;               /* a reload applies it; false: read at start only */
	const char *flag;        /* `admitd serve` flag that overrides it, or NULL */
	const char *doc_default; /* the default as the docs say it */
	const char *doc;         /* one line for the key reference */
};

extern const struct cfgkey cfgkeys_table[];
extern const size_t cfgkeys_count;

#define CFGKEYS_MAX 64

/*
 * Reads every row's key from the YAML text into cfg (defaults first),
 * appending one error per problem: unknown keys, wrong shapes, values out
 * of range or outside their choices, duplicates. given[i] tells whether
 * row i was in the file. Returns 0, or -1 when there were errors.
 */
int cfgkeys_read(struct admitd_config *cfg, const char *name, const char *buf, size_t len,
		 bool given[CFGKEYS_MAX], struct yamlconf_errors *errs);
/* The row of `path`, or cfgkeys_count. */
size_t cfgkeys_index(const char *path);
/* Frees what cfgkeys_read allocated in cfg (strings, name lists). */
void cfgkeys_free(struct admitd_config *cfg);

/* Whether rows i of a and b hold the same value. */
bool cfgkeys_equal(size_t i, const struct admitd_config *a, const struct admitd_config *b);

/*
 * Checks a listen address, "ADDR:PORT", "[V6]:PORT" or ":PORT", with PORT
 * a number from 1 to 65535 (getaddrinfo would take 99999 and bind another
 * port). Returns 0, or -1 with the reason in why.
 */
int cfgkeys_check_listen(const char *listen, char *why, size_t whylen);

/*
 * A command-line number: digits only, from min to max. Returns 0, or -1
 * with the reason in why ("-1" and "abc" are errors, never 4294967295 or 0).
 */
int cfgkeys_parse_uint(const char *text, unsigned long min, unsigned long max, unsigned *out,
		       char *why, size_t whylen);

/* The key reference of one section ("" for the top level) as a Markdown table. */
void cfgkeys_markdown(FILE *out, const char *section);

#endif
