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
#include "settings.h"
#include "yamlconf.h"

enum admitd_mode {
	ADMITD_MODE_ENFORCE = 0,
	ADMITD_MODE_DRY_RUN,
};

/* How an UPDATE is judged (engine.h, the update rule). */
enum admitd_updates {
	ADMITD_UPDATES_NEW_VIOLATIONS = 0, /* deny only what the update introduces */
	ADMITD_UPDATES_ALL,                /* judge every UPDATE as a CREATE */
};

struct server_settings {
	char *listen; /* ADDR:PORT */
	char *cert;
	char *key;
	char *client_ca;  /* verify callers' certificates against this CA */
	unsigned threads; /* 0: one per core */
	bool http2;
	unsigned long long max_body_bytes;
	unsigned request_timeout_s; /* a request must arrive whole within this */
	unsigned idle_timeout_s;    /* idle HTTP/2 connections are closed after this */
	unsigned handshake_timeout_s;
	unsigned max_connections;       /* open connections across all threads */
	unsigned max_streams;           /* HTTP/2 requests in flight per connection */
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
	struct exemptions exempt;        /* global */
	struct policy_setting *settings; /* one per registry entry, same index */
	struct server_settings server;
	struct request_limits limits;
	bool on_policy_error_allow; /* onPolicyError: allow (fail open); default deny */
	char source[256];           /* file name, or "built-in" */
	char checksum[17];          /* FNV-1a 64 of the source text, hex */
	struct rule **rules;        /* custom rules from `rules:`, in file order */
	size_t nrules;
};

/* The built-in default: Pod Security restricted at deny, kube-system exempt. */
extern const char config_default_yaml[];

/*
 * Loads and validates. Returns a configuration with one reference, or
 * NULL with every error found in *errs (caller frees with
 * yamlconf_errors_free). `name` is used in error messages.
 */
struct admitd_config *config_load_file(const char *path, struct yamlconf_errors *errs);
/* config_load_file, or the built-in default when path is NULL. */
struct admitd_config *config_load_or_default(const char *path, struct yamlconf_errors *errs);

/* A configuration file larger than this is refused. */
#define CONFIG_MAX_FILE (16u << 20)
struct admitd_config *config_load_buffer(const char *name, const char *buf, size_t len,
					 struct yamlconf_errors *errs);

struct admitd_config *config_ref(struct admitd_config *cfg);
void config_unref(struct admitd_config *cfg);

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

#endif
