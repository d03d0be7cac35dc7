/*
 * metrics: Prometheus counters without a lock on the request path. Each
 * server thread owns one struct metrics_thread and is its only writer
 * (relaxed atomic stores, no lock prefix); a scrape sums every thread's.
 */
#ifndef ADMITD_METRICS_H
#define ADMITD_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "kinds.h"
#include "engine.h"
#include "oci.h"

#define METRICS_NCODES    9               /* 200 400 404 405 413 500 503 other + (index 8 unused) */
#define METRICS_NKINDS    (KINDS_MAX + 1) /* the judged kinds (kinds.h), then other */
#define METRICS_NOPS      5               /* CREATE UPDATE DELETE CONNECT other */
#define METRICS_NDUR      14
#define METRICS_NBODY     9
#define METRICS_MAX_POL   64 /* built-in modules */
#define METRICS_MAX_RULES 64 /* distinct custom rule ids seen by one thread */
/* distinct configured kinds (`workloads:`) one thread counts under their own label */
#define METRICS_MAX_WORKLOADS 32

typedef _Atomic uint64_t metrics_counter;

struct metrics_rule_slot {
	char id[128];
	metrics_counter by_action[4];
};

/* A configured kind's decisions, labelled `Kind.group` (Rollout.argoproj.io). */
struct metrics_kind_slot {
	char kind[320];
	metrics_counter decisions[METRICS_NOPS][2][2]; /* op allowed mode */
};

struct metrics_thread {
	metrics_counter requests[METRICS_NCODES];
	metrics_counter decisions[METRICS_NKINDS][METRICS_NOPS][2][2]; /* kind op allowed mode */
	struct metrics_kind_slot workloads[METRICS_MAX_WORKLOADS];
	atomic_int nworkloads;
	metrics_counter violations[METRICS_MAX_POL][4];
	struct metrics_rule_slot rules[METRICS_MAX_RULES];
	atomic_int nrules;
	metrics_counter duration[METRICS_NDUR + 1]; /* per bucket, +Inf last */
	metrics_counter duration_sum_ns;
	metrics_counter body[METRICS_NBODY + 1];
	metrics_counter body_sum;
	metrics_counter handshakes;
	metrics_counter h2_flood_closed;
	metrics_counter h2_flood_refused;
	metrics_counter preexisting; /* violations an UPDATE did not introduce */
};

/* Registers a thread's counters (main thread, at start-up, before serving). */
void metrics_register(struct metrics_thread *t);
/* Called by the thread that owns t, so TLS callbacks find its counters. */
void metrics_bind(struct metrics_thread *t);
void metrics_request(struct metrics_thread *t, int status);
/* One /validate request: its duration and body size. */
void metrics_observe(struct metrics_thread *t, uint64_t ns, size_t body_bytes);
/*
 * One decision on an object of kind k (engine_kind; NULL: not judged, the
 * label "other"). A built-in kind is its own label; a configured one is
 * `Kind.group`, up to METRICS_MAX_WORKLOADS of them per thread, then "other".
 */
void metrics_decision(struct metrics_thread *t, const struct kind_desc *k, const char *operation,
		      const struct engine_verdict *v, enum admitd_mode mode);
/* HTTP/2 connections closed by h2guard for opening streams too fast. */
void metrics_h2_flood_closed(struct metrics_thread *t, unsigned n);
/* One image signature verdict (status: enum sigverify_status), from any thread. */
void metrics_signature(int status, bool cached, unsigned requests);
/* One request to a registry host (oci.c's observer; any thread). */
void metrics_registry_request(const char *host, double seconds, enum oci_category cat);
/* One image's facts for the contents policies (status: enum imgfacts_status), any thread. */
void metrics_image_facts(int status, bool cached);
/* One image's vulnerability scan (status: enum vulnattest_status), any thread. */
void metrics_vuln_attestation(int status, bool cached);
/* A connection refused at accept: its peer was caught flooding lately. */
void metrics_h2_flood_refused(struct metrics_thread *t);
/* TLS: counts completed handshakes and open connections (any thread). */
void metrics_tls_handshake(void);
void metrics_connection_opened(void);
void metrics_connection_closed(void);
int64_t metrics_open_connections(void);
/* "none", "success" or "failure": the last configuration reload. */
const char *metrics_last_reload_result(void);
void metrics_config_reload(bool ok);
void metrics_config_restart_required(bool yes);

/* s as a label value (\\, \" and \n escaped) in buf; cut to fit len. */
const char *metrics_escape(const char *s, char *buf, size_t len);

/* The whole exposition (text format 0.0.4), malloc'd. */
char *metrics_render(const struct admitd_config *cfg, size_t *len);

#endif
