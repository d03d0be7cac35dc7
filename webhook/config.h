/*
 * config: the admitd configuration, read from YAML with libcyaml.
 *
 * A loaded configuration is immutable and reference counted: the server
 * swaps a new one in on reload while requests in flight keep the old one.
 */
#ifndef ADMITD_CONFIG_H
#define ADMITD_CONFIG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "../policies/policy.h"

enum admitd_mode {
	ADMITD_MODE_ENFORCE = 0,
	ADMITD_MODE_DRY_RUN,
};

/* How an UPDATE is judged (engine.h, the update rule). */
enum admitd_updates {
	ADMITD_UPDATES_NEW_VIOLATIONS = 0, /* deny only what the update introduces */
	ADMITD_UPDATES_ALL,                /* judge every UPDATE as a CREATE */
};

struct image_pattern;

struct exemptions {
	char **namespaces; /* exact names, or a prefix ending in '*' */
	unsigned nnamespaces;
	char **users;
	unsigned nusers;
	char **groups;
	unsigned ngroups;
	char **images; /* per policy only */
	unsigned nimages;
	struct image_pattern *image_patterns; /* compiled from images */
};

struct policy_setting {
	enum policy_action action; /* effective action; OFF = not run */
	bool listed;               /* has an entry under policies: */
	bool action_given;         /* that entry sets `action:` */
	int line;                  /* line of that entry, 0 when not listed */
	struct exemptions *exempt; /* NULL when none */
	void *params;              /* as loaded by libcyaml, NULL when none */
	void *state;               /* from the module's prepare() */
};

struct server_settings {
	char *listen;              /* ADDR:PORT */
	char *cert;
	char *key;
	char *client_ca;           /* verify callers' certificates against this CA */
	unsigned threads;          /* 0: one per core */
	bool http2;
	unsigned long long max_body_bytes;
	unsigned request_timeout_s;   /* a request must arrive whole within this */
	unsigned idle_timeout_s;      /* idle HTTP/2 connections are closed after this */
	unsigned handshake_timeout_s;
	unsigned max_connections;     /* open connections across all threads */
	unsigned max_streams;         /* HTTP/2 requests in flight per connection */
	unsigned h2_streams_per_second; /* HTTP/2 streams a connection may open (0: no bound) */
	unsigned h2_penalty_s;          /* a flooder's address is refused this long */
};

/* Bounds on what one request may make admitd do. */
struct request_limits {
	unsigned max_json_depth;   /* deeper bodies are refused with 400 */
	unsigned max_containers;   /* more containers are denied (fail closed) */
	unsigned max_match_length; /* longer strings never reach a regex: denied */
};

struct admitd_config {
	atomic_int refs;
	enum admitd_mode mode;
	enum admitd_updates updates;
	enum policy_level pss_level; /* NONE means `privileged`: PSS off */
	enum policy_action pss_action;
	struct exemptions exempt;    /* global */
	struct policy_setting *settings; /* one per registry entry, same index */
	struct server_settings server;
	struct request_limits limits;
	bool on_policy_error_allow;  /* onPolicyError: allow (fail open); default deny */
	char source[256];            /* file name, or "built-in" */
	char checksum[17];           /* FNV-1a 64 of the source text, hex */
	struct rule **rules;         /* custom rules from `rules:`, in file order */
	size_t nrules;
	void *raw;                   /* libcyaml top-level data, freed with the config */
};

/* A list of errors, each already formatted as `file:line:col: message`. */
struct config_errors {
	char **lines;
	size_t count;
};

void config_errors_free(struct config_errors *errs);

/* The built-in default: Pod Security restricted at deny, kube-system exempt. */
extern const char config_default_yaml[];

/*
 * Loads and validates. Returns a configuration with one reference, or
 * NULL with every error found in *errs (caller frees with
 * config_errors_free). `name` is used in error messages.
 */
struct admitd_config *config_load_file(const char *path, struct config_errors *errs);
struct admitd_config *config_load_buffer(const char *name, const char *buf, size_t len,
					 struct config_errors *errs);

struct admitd_config *config_ref(struct admitd_config *cfg);
void config_unref(struct admitd_config *cfg);

/* ---- for rules.c: shared pieces of the loader ---- */
struct rule;
extern const cyaml_strval_t config_action_strings[4];
extern const cyaml_schema_field_t config_policy_exemptions_fields[6];
void config_add_error(struct config_errors *errs, const char *name, int line, int col,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* libcyaml load of text (padded to the file's lines) with errors as config errors. */
int config_load_yaml(const char *name, const char *text, size_t len,
		     const cyaml_schema_value_t *schema, void **out, const char *where,
		     int from_line, struct config_errors *errs);
void config_free_yaml(const cyaml_schema_value_t *schema, void *data);
void config_exemptions_free(struct exemptions *ex);

/*
 * Checks a listen address, "ADDR:PORT", "[V6]:PORT" or ":PORT", with PORT
 * a number from 1 to 65535 (getaddrinfo would take 99999 and bind another
 * port). Returns 0, or -1 with the reason in why.
 */
int config_check_listen(const char *listen, char *why, size_t whylen);

/*
 * A command-line number: digits only, from min to max. Returns 0, or -1
 * with the reason in why ("-1" and "abc" are errors, never 4294967295 or 0).
 */
int config_parse_uint(const char *text, unsigned long min, unsigned long max, unsigned *out,
		      char *why, size_t whylen);

/*
 * Things a valid configuration does that are probably not what was meant
 * (a policy turned on that only `admitd audit` can run), one line each,
 * for check-config and the server's log. Returns how many were written
 * into lines (up to max); each is malloc'd, the caller frees them.
 */
size_t config_notes(const struct admitd_config *cfg, char **lines, size_t max);

/* Whether `name` matches one of the exact names or trailing-'*' globs. */
bool config_name_matches(char *const *names, unsigned n, const char *name);

#endif
