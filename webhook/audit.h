/*
 * audit: judge existing workloads (files, or a live cluster) with the
 * same engine and configuration as the webhook, and report what would be
 * denied without blocking anyone.
 *
 * Memory does not grow with the input: every document, and every item of
 * a List, is judged as it is read; what the report needs of it is written
 * to a spill file, and only a small record per object (identity, owner,
 * a digest of its findings) stays in memory for folding owned objects
 * into their controllers. NetworkPolicies, which coverage needs before
 * any workload is judged, are collected by a first pass over the files
 * that mention them.
 */
#ifndef ADMITD_AUDIT_H
#define ADMITD_AUDIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "arena.h"
#include "config.h"

/*
 * A report's results take at most this many bytes by default: etcd stores
 * at most 1.5 MiB an object, and what the API server adds (metadata,
 * managedFields) needs room.
 */
#define AUDIT_REPORT_BYTES     (1000u * 1000u)
#define AUDIT_REPORT_BYTES_MIN 1000u
#define AUDIT_REPORT_BYTES_MAX (1400u * 1000u)

struct audit_error {
	char *source; /* path, or a cluster URL */
	int line;     /* 0 when unknown */
	char *message;
};

/*
 * What stays in memory of one judged object: 32 bytes, so that 100,000
 * objects take 3.2 MB. Its result is in the spill file, from off to the
 * next record's off (records are written in order).
 */
struct audit_rec {
	uint64_t id;       /* namespace/kind/name, hashed */
	uint64_t owner;    /* its controller's namespace/kind/name, hashed; 0: none */
	uint64_t findings; /* an order-free digest of its violation keys */
	/* three in one word: with them apart, a record would be 40 bytes */
	uint64_t off : 40;  /* where its result begins in the spill file, to AUDIT_SPILL_MAX */
	uint64_t ns : 20;   /* namespace, an index into audit_run.namespaces (0: none) */
	uint64_t flags : 4; /* AUDIT_REC_* */
};
#define AUDIT_SPILL_MAX  ((UINT64_C(1) << 40) - 1) /* 1 TiB of results */
#define AUDIT_NS_MAX     ((1u << 20) - 1) /* namespaces; Kubernetes' tested limit is 10,000 */
#define AUDIT_REC_POD    1u               /* a Pod */
#define AUDIT_REC_FAILS  2u               /* has a violation whose action is in --fail-on */
#define AUDIT_REC_DENY   4u               /* would be denied */
#define AUDIT_REC_NSLOST 8u               /* its namespace could not be kept: the record is not */

struct audit_run;
struct kind_desc;

/*
 * What the report formats (policyreport, openreports) hold: audit's
 * findings, or drift from a baseline (`admitd inventory --baseline`). It
 * names the reports (admitd-NS, admitd-drift-NS), labels them
 * (admitd.io/report: audit or drift) and is their results' source, so
 * that both kinds are stored side by side and the sweep after
 * --write-reports deletes earlier reports of its own kind only
 * (auditout.c, report_kinds).
 */
enum audit_report_of {
	AUDIT_REPORT_AUDIT, /* the default: audit_init zeroes the run */
	AUDIT_REPORT_DRIFT,
};

/*
 * A command that reads its input as audit does (the same files, passes,
 * cluster paging, records and folding) but makes something else of each
 * workload: `admitd inventory`. NULL members keep audit's behaviour.
 */
struct audit_hooks {
	/* pass 1 also reads a file that mentions one of these (NULL-terminated) */
	const char *const *words;
	/* --cluster: also listed before any workload, their objects going to keep */
	const struct kind_desc *const *kinds;
	size_t nkinds;
	/* pass 1: an object that is neither a NetworkPolicy nor a judged kind */
	void (*keep)(struct audit_run *run, json_t *obj, const char *kind);
	/* pass 2: a workload, instead of judging it */
	void (*judge)(struct audit_run *run, const char *source, int line, const json_t *obj,
		      const struct kind_desc *kd);
	void *arg;
};

struct audit_run {
	const struct admitd_config *cfg;
	const struct audit_hooks *hooks; /* NULL: audit itself */
	const char *default_ns;          /* --namespace: for objects without one */
	unsigned fail_on;                /* bit per enum policy_action that makes exit 1 */
	struct arena *arena;
	json_t *netpols;    /* namespace -> [NetworkPolicy] */
	json_t *no_netpols; /* an empty list: "this namespace has none" */
	bool saw_netpols;   /* input contained NetworkPolicies (or --cluster listed them) */
	json_t *skipped;    /* kind -> count, objects that are not judged */
	json_t *warnings;   /* what could not be read, so the audit is incomplete */
	json_t *ignored;    /* what was deliberately not read twice (links, cycles) */
	json_t *seen;       /* "dev:ino" of every file and directory walked */
	struct audit_file {
		char *path;   /* what to open */
		char *name;   /* what to call it: the path, or <stdin> */
		bool spooled; /* standard input's copy, removed at the end */
		/* Helm's `# Source:` comments (source set) and `---` lines (NULL) */
		struct audit_mark {
			int line;
			char *source;
		} * marks;
		size_t nmarks;
	} * files;                  /* the files to read, in order */
	struct audit_file *reading; /* the file being read, NULL for --cluster */
	const json_t *positions;    /* lines of its object's containers (yamljson_stream_track) */
	size_t nfiles;
	FILE *spill;        /* one JSON result per judged object, back to back */
	uint64_t spill_end; /* its size */
	struct audit_rec *recs;
	size_t nrecs, caprecs;
	char **namespaces; /* interned; [0] unused */
	size_t nnamespaces;
	json_t *ns_index; /* namespace -> index */
	struct audit_error *errors;
	size_t nerrors;
	struct cluster *cluster; /* --cluster: the API server, open until audit_free */
	bool write_reports;      /* --write-reports: store the reports there too */
	size_t report_bytes;     /* --report-bytes: a report's results, at most */
	bool offline;            /* --offline: no registry is asked */
	bool signatures_skipped; /* and so image-signatures judged nothing */
	bool contents_skipped;   /* and so the image-contents policies judged nothing */
	int widths[5];           /* the table's column widths, from what was judged */
	/* what the report formats hold: audit's findings (0) or drift */
	enum audit_report_of report_of;
};

void audit_init(struct audit_run *run, const struct admitd_config *cfg);
void audit_free(struct audit_run *run);

/*
 * Adds a file, a directory (walked for .json/.yaml/.yml; links are
 * followed, a file or directory reached twice is read once) or "-".
 */
void audit_add_path(struct audit_run *run, const char *path);
/* Reads every file added: NetworkPolicies first, then judges the rest. */
void audit_read_files(struct audit_run *run);
void audit_add_error(struct audit_run *run, const char *source, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Something not readable (a kind the credentials cannot list): reported, not fatal. */
void audit_add_warning(struct audit_run *run, const char *source, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * --cluster: connects (kubeconfig, else $KUBECONFIG, else ~/.kube/config,
 * else the service account) and judges every judged kind the API server
 * lists, page by page. Returns 0, or -1 when the API server cannot be
 * used (said on stderr).
 */
int audit_cluster(struct audit_run *run, const char *kubeconfig);

/*
 * The output formats (auditout.c). Each reads the entries, folded, from
 * the spill file through audit_next_entry.
 */
struct audit_out;
struct audit_format {
	const char *name;
	const char *summary; /* for --help */
	bool by_namespace;   /* wants the entries grouped by namespace */
	void (*begin)(struct audit_out *o);
	void (*entry)(struct audit_out *o, const json_t *rec);
	/* summary: the counts; returns -1 when writing somewhere failed */
	int (*end)(struct audit_out *o, const json_t *summary);
	const void *data; /* the format's own (which report API) */
};
extern const struct audit_format audit_formats[];
extern const size_t audit_nformats;
const struct audit_format *audit_format_find(const char *name);
/*
 * The table formats' notes after a title line: "  source[:line]: message"
 * each (input errors, kinds not listed). Nothing when notes is empty.
 */
void audit_table_notes(FILE *out, const char *title, const json_t *notes);

/* Passed to every format callback. */
struct audit_out {
	FILE *out;
	struct audit_run *run;
	const struct audit_format *fmt;
	void *state; /* the format's own */
};

/*
 * Folds, then writes the report in `fmt`. Returns the exit status: 0
 * nothing fails, 1 a violation whose action is in --fail-on, 2 an input
 * error or a report that could not be stored.
 */
int audit_report(struct audit_run *run, const struct audit_format *fmt, FILE *out);

/* ---- for the commands that read through audit_hooks ---- */

/* The namespace an object is judged in: its own, else --namespace (NULL: none). */
const char *audit_namespace(const struct audit_run *run, const json_t *obj);
/* 64-bit FNV-1a of three strings (NULL as ""), never 0: an object's identity. */
uint64_t audit_hash(const char *a, const char *b, const char *c);
/* A mix of a hash whose sums are order-free digests. */
uint64_t audit_mix(uint64_t x);
/* The next record, zeroed, or NULL when out of memory (said as an input error). */
struct audit_rec *audit_rec_new(struct audit_run *run, const char *source, int line);
/*
 * Fills r's identity (id, owner, ns, the Pod flag) from obj and names its
 * controller in res ("owner"), as audit reports it.
 */
void audit_rec_identify(struct audit_run *run, struct audit_rec *r, const json_t *obj,
			const char *kind, json_t *res);
/* Spills res as r's result and keeps r (audit_rec_new's). */
void audit_rec_keep(struct audit_run *run, struct audit_rec *r, const json_t *res,
		    const char *source, int line);
/*
 * Folds owned objects into their controllers where their `findings` are
 * equal: top[i] is the entry record i is reported under, pods[i] the pods
 * folded into entry i (pods may be NULL: not counted). Returns 0, or -1
 * when out of memory.
 */
int audit_fold(struct audit_run *run, uint32_t *top, uint32_t *pods);
/* Record i's result as spilled (podsAffected added when pods > 0); NULL on a read error. */
json_t *audit_load_entry(struct audit_run *run, size_t i, uint32_t pods);

/* `admitd audit` */
int audit_main(int argc, char **argv);

#endif
