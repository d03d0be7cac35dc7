/*
 * audit: judge existing workloads (files, or a live cluster) with the
 * same engine and configuration as the webhook, and report what would be
 * denied without blocking anyone.
 */
#ifndef ADMITD_AUDIT_H
#define ADMITD_AUDIT_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "arena.h"
#include "config.h"

enum audit_format { AUDIT_TABLE, AUDIT_JSON, AUDIT_POLICYREPORT };

struct audit_error {
	char *source; /* path, or a cluster URL */
	int line;     /* 0 when unknown */
	char *message;
};

struct audit_run {
	const struct admitd_config *cfg;
	json_t *objects;    /* objects read and not yet judged: [{object, source}] */
	json_t *results;    /* judged, one record per object */
	json_t *no_netpols; /* an empty list: "this namespace has none" */
	struct arena *arena;
	json_t *netpols;  /* namespace -> [NetworkPolicy] */
	json_t *skipped;  /* kind -> count, objects that are not judged */
	bool saw_netpols; /* input contained NetworkPolicies (or --cluster listed them) */
	struct audit_error *errors;
	size_t nerrors;
	json_t *warnings;        /* what could not be read but does not stop the audit */
	struct cluster *cluster; /* --cluster: the API server, open until audit_free */
	bool write_reports;      /* --write-reports: store the PolicyReports there too */
};

void audit_init(struct audit_run *run, const struct admitd_config *cfg);
void audit_free(struct audit_run *run);

/* Adds what a file, a directory (walked for .json/.yaml/.yml) or "-" holds. */
void audit_add_path(struct audit_run *run, const char *path);
/* Adds objects parsed from a buffer (a List, one object, or a YAML stream). */
void audit_add_buffer(struct audit_run *run, const char *source, const char *buf, size_t len);
/* Judges one object now and keeps only its result (for paged cluster listings). */
void audit_judge_object(struct audit_run *run, const char *source, const json_t *obj);
/* Adds one object (a List is expanded); takes a new reference. */
void audit_add_object(struct audit_run *run, const char *source, json_t *obj);
void audit_add_error(struct audit_run *run, const char *source, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Something not readable (a kind the credentials cannot list): reported, not fatal. */
void audit_add_warning(struct audit_run *run, const char *source, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Judges everything added and writes the report. Returns the exit status:
 * 0 nothing would be denied, 1 something would, 2 an input error.
 */
int audit_report(struct audit_run *run, enum audit_format format, FILE *out);
/*
 * --cluster: connects (kubeconfig, else $KUBECONFIG, else the service
 * account) and judges every judged kind the API server lists, page by
 * page. Returns 0, or -1 when the API server cannot be used (said on stderr).
 */
int audit_cluster(struct audit_run *run, const char *kubeconfig);

/* `admitd audit` */
int audit_main(int argc, char **argv);

#endif
