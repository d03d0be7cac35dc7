/*
 * cfgtypes: what a loaded configuration holds (struct admitd_config and its
 * parts), apart from how it is loaded, so that the key table (cfgkeys.c)
 * can point into it without depending on the loader (config.c).
 */
#ifndef ADMITD_CFGTYPES_H
#define ADMITD_CFGTYPES_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "../policies/policy.h"
#include "settings.h"

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

struct kind_desc;
struct oci_config;
struct sigverify;

struct admitd_config {
	atomic_int refs;
	enum admitd_mode mode;
	enum admitd_updates updates;
	enum policy_level pss_level; /* NONE means `privileged`: PSS off */
	enum policy_action pss_action;
	struct exemptions exempt;     /* global */
	char **annotation_namespaces; /* where the webhook honours admitd.io/exempt (engine.h) */
	unsigned nannotation_namespaces;
	struct policy_setting *settings; /* one per registry entry, same index */
	struct server_settings server;
	struct request_limits limits;
	bool on_policy_error_allow; /* onPolicyError: allow (fail open); default deny */
	char source[256];           /* file name, or "built-in" */
	char checksum[17];          /* FNV-1a 64 of the source text, hex */
	struct rule **rules;        /* custom rules from `rules:`, in file order */
	size_t nrules;
	struct kind_desc *workloads; /* `workloads:`, judged like the built-in kinds (kinds.h) */
	size_t nworkloads;
	/* `registries:`, the only hosts image signatures are fetched from (oci.h); its
	 * strings are the configuration's own, lower-cased hosts */
	struct oci_config *registries;
	size_t nregistries;
	struct sigverify *sigverify; /* over those registries, with its cache; NULL when none */
};

#endif
