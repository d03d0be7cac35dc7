/*
 * metrics.c: counting on the request path is a relaxed load and store of
 * a counter only this thread writes; summing happens at scrape time.
 */
#include "metrics.h"

#include "imgfacts.h"

#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../policies/registry.h"
#include "sigverify.h"
#include "vulnattest.h"

#define METRICS_MAX_THREADS 256

static struct metrics_thread *metrics_threads[METRICS_MAX_THREADS];
static atomic_int metrics_nthreads;
static _Atomic uint64_t metrics_handshakes_other; /* handshakes on threads without counters */
static _Atomic int64_t metrics_conns;
static _Atomic uint64_t metrics_reloads[2]; /* failure, success */
static atomic_int metrics_last_reload = -1; /* -1 none yet, 0 failed, 1 succeeded */
static atomic_int metrics_restart_required; /* server keys changed that only a restart applies */
/* image signatures: verdicts by status and whether the cache gave them; registry requests */
static _Atomic uint64_t metrics_sig[SIGVERIFY_NSTATUS][2];
static _Atomic uint64_t metrics_sig_requests;
/* image contents: facts read, by status and whether the cache gave them */
static _Atomic uint64_t metrics_facts[IMGFACTS_NSTATUS][2];
/* image-vulnerabilities: scans read, by status and whether the cache gave them */
static _Atomic uint64_t metrics_vulns[VULNATTEST_NSTATUS][2];
static time_t metrics_start;
static __thread struct metrics_thread *metrics_self;

static const int metrics_codes[] = {200, 400, 404, 405, 413, 500, 503};
/* the kind label: kinds_table's rows, then "other" at index kinds_count */
static const char *metrics_kind_name(size_t k)
{
	return k < kinds_count ? kinds_table[k].kind : "other";
}
static const char *const metrics_ops[] = {"CREATE", "UPDATE", "DELETE", "CONNECT", "other"};
/* seconds: sub-millisecond answers must be visible */
static const double metrics_dur_bounds[METRICS_NDUR] = {
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
	0.01,    0.025,  0.05,    0.1,    0.25,  0.5,    1.0,
};
static const double metrics_body_bounds[METRICS_NBODY] = {
	1024, 4096, 16384, 65536, 262144, 1048576, 3145728, 7340032, 16777216,
};

static inline void metrics_inc(metrics_counter *c, uint64_t by)
{
	/* single writer: no read-modify-write lock needed */
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + by,
			      memory_order_relaxed);
}

static inline uint64_t metrics_get(metrics_counter *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

void metrics_register(struct metrics_thread *t)
{
	if (metrics_start == 0)
		metrics_start = time(NULL);
	int n = atomic_load(&metrics_nthreads);
	if (n < METRICS_MAX_THREADS) {
		metrics_threads[n] = t;
		atomic_store(&metrics_nthreads, n + 1);
	}
}

void metrics_bind(struct metrics_thread *t)
{
	metrics_self = t;
}

static size_t metrics_index(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; s != NULL && i + 1 < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return n - 1;
}

void metrics_request(struct metrics_thread *t, int status)
{
	size_t ci = 7;
	for (size_t i = 0; i < sizeof(metrics_codes) / sizeof(metrics_codes[0]); i++)
		if (metrics_codes[i] == status)
			ci = i;
	metrics_inc(&t->requests[ci], 1);
}

void metrics_h2_flood_closed(struct metrics_thread *t, unsigned n)
{
	if (n != 0)
		metrics_inc(&t->h2_flood_closed, n);
}

void metrics_h2_flood_refused(struct metrics_thread *t)
{
	metrics_inc(&t->h2_flood_refused, 1);
}

void metrics_observe(struct metrics_thread *t, uint64_t ns, size_t body_bytes)
{
	double secs = (double)ns / 1e9;
	size_t b = 0;
	while (b < METRICS_NDUR && secs > metrics_dur_bounds[b])
		b++;
	metrics_inc(&t->duration[b], 1);
	metrics_inc(&t->duration_sum_ns, ns);
	b = 0;
	while (b < METRICS_NBODY && (double)body_bytes > metrics_body_bounds[b])
		b++;
	metrics_inc(&t->body[b], 1);
	metrics_inc(&t->body_sum, body_bytes);
}

static metrics_counter *metrics_rule_counter(struct metrics_thread *t, const char *id,
					     enum policy_action a)
{
	int n = atomic_load_explicit(&t->nrules, memory_order_relaxed);
	for (int i = 0; i < n; i++)
		if (strcmp(t->rules[i].id, id) == 0)
			return &t->rules[i].by_action[a];
	if (n == METRICS_MAX_RULES)
		return NULL;
	snprintf(t->rules[n].id, sizeof(t->rules[n].id), "%s", id);
	/* publish the id before the scraper may read the slot */
	atomic_store_explicit(&t->nrules, n + 1, memory_order_release);
	return &t->rules[n].by_action[a];
}

/*
 * A label value as the text format wants it: backslash, double quote and
 * newline escaped. Rule ids are DNS labels, but a label value must never
 * be able to end its own quotes, whatever the id's checks become.
 */
const char *metrics_escape(const char *s, char *buf, size_t len)
{
	size_t n = 0;
	for (; *s != '\0' && n + 3 < len; s++) {
		if (*s == '\\' || *s == '"' || *s == '\n') {
			buf[n++] = '\\';
			buf[n++] = *s == '\n' ? 'n' : *s;
		} else {
			buf[n++] = *s;
		}
	}
	buf[n] = '\0';
	return buf;
}

/*
 * The decisions of a configured kind, its slot taken at first sight: kinds
 * come and go with reloads, and a label must keep its counts across them.
 */
static struct metrics_kind_slot *metrics_workload(struct metrics_thread *t,
						  const struct kind_desc *k)
{
	char label[sizeof(t->workloads[0].kind)];
	snprintf(label, sizeof(label), "%s.%s", k->kind, k->group);
	int n = atomic_load_explicit(&t->nworkloads, memory_order_relaxed);
	for (int i = 0; i < n; i++)
		if (strcmp(t->workloads[i].kind, label) == 0)
			return &t->workloads[i];
	if (n == METRICS_MAX_WORKLOADS)
		return NULL;
	memcpy(t->workloads[n].kind, label, sizeof(label));
	/* publish the label before the scraper may read the slot */
	atomic_store_explicit(&t->nworkloads, n + 1, memory_order_release);
	return &t->workloads[n];
}

void metrics_decision(struct metrics_thread *t, const struct kind_desc *kd, const char *operation,
		      const struct engine_verdict *v, enum admitd_mode mode)
{
	size_t k = kinds_index(kd); /* kinds_count: configured, or other */
	size_t o = metrics_index(operation, metrics_ops, METRICS_NOPS);
	int a = v->allowed ? 1 : 0, m = mode == ADMITD_MODE_DRY_RUN;
	struct metrics_kind_slot *w =
		kd != NULL && k == kinds_count ? metrics_workload(t, kd) : NULL;
	if (w != NULL)
		metrics_inc(&w->decisions[o][a][m], 1);
	else
		metrics_inc(&t->decisions[k][o][a][m], 1);
	if (v->npreexisting > 0)
		metrics_inc(&t->preexisting, v->npreexisting);
	for (const struct violation *x = v->violations; x != NULL; x = x->next) {
		int pi = -1;
		for (size_t i = 0; i < registry_npolicies && i < METRICS_MAX_POL; i++)
			if (registry_policies[i] == x->policy)
				pi = (int)i;
		metrics_counter *c = pi >= 0 ? &t->violations[pi][x->action]
					     : metrics_rule_counter(t, x->policy->id, x->action);
		if (c != NULL)
			metrics_inc(c, 1);
	}
}

void metrics_tls_handshake(void)
{
	if (metrics_self != NULL)
		metrics_inc(&metrics_self->handshakes, 1);
	else
		atomic_fetch_add(&metrics_handshakes_other, 1);
}

void metrics_connection_opened(void)
{
	atomic_fetch_add_explicit(&metrics_conns, 1, memory_order_relaxed);
}

void metrics_connection_closed(void)
{
	atomic_fetch_sub_explicit(&metrics_conns, 1, memory_order_relaxed);
}

const char *metrics_last_reload_result(void)
{
	int r = atomic_load(&metrics_last_reload);
	return r < 0 ? "none" : r ? "success" : "failure";
}

int64_t metrics_open_connections(void)
{
	return atomic_load_explicit(&metrics_conns, memory_order_relaxed);
}

void metrics_config_restart_required(bool yes)
{
	atomic_store(&metrics_restart_required, yes ? 1 : 0);
}

void metrics_config_reload(bool ok)
{
	atomic_fetch_add(&metrics_reloads[ok ? 1 : 0], 1);
	atomic_store(&metrics_last_reload, ok ? 1 : 0);
}

/* ---- rendering ---- */

struct metrics_buf {
	char *p;
	size_t len, cap;
	bool failed;
};

static void metrics_put(struct metrics_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void metrics_put(struct metrics_buf *b, const char *fmt, ...)
{
	for (;;) {
		if (b->failed)
			return;
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t ncap = b->cap * 2 + (size_t)(n > 0 ? n : 0);
		char *np = realloc(b->p, ncap);
		if (np == NULL) {
			b->failed = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
}

static void metrics_histogram(struct metrics_buf *b, const char *name, const char *help,
			      const double *bounds, size_t nb, const uint64_t *counts, double sum,
			      const char *fmt_bound)
{
	metrics_put(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	uint64_t cum = 0;
	for (size_t i = 0; i < nb; i++) {
		cum += counts[i];
		char le[32];
		snprintf(le, sizeof(le), fmt_bound, bounds[i]);
		metrics_put(b, "%s_bucket{le=\"%s\"} %llu\n", name, le, (unsigned long long)cum);
	}
	cum += counts[nb];
	metrics_put(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9g\n%s_count %llu\n", name,
		    (unsigned long long)cum, name, sum, name, (unsigned long long)cum);
}

static void metrics_process(struct metrics_buf *b)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (f != NULL) {
		if (fscanf(f, "%lu %lu", &size, &resident) != 2)
			size = resident = 0;
		fclose(f);
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	int fds = 0;
	DIR *d = opendir("/proc/self/fd");
	if (d != NULL) {
		while (readdir(d) != NULL)
			fds++;
		closedir(d);
		fds -= 3; /* ".", ".." and the directory's own descriptor */
	}
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	metrics_put(b,
		    "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
		    "# TYPE process_resident_memory_bytes gauge\n"
		    "process_resident_memory_bytes %lu\n"
		    "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
		    "# TYPE process_virtual_memory_bytes gauge\n"
		    "process_virtual_memory_bytes %lu\n"
		    "# HELP process_cpu_seconds_total Total user and system CPU time in seconds.\n"
		    "# TYPE process_cpu_seconds_total counter\n"
		    "process_cpu_seconds_total %.6f\n"
		    "# HELP process_open_fds Number of open file descriptors.\n"
		    "# TYPE process_open_fds gauge\n"
		    "process_open_fds %d\n"
		    "# HELP process_max_fds Maximum number of open file descriptors.\n"
		    "# TYPE process_max_fds gauge\n"
		    "process_max_fds %llu\n"
		    "# HELP process_start_time_seconds Start time of the process since the epoch.\n"
		    "# TYPE process_start_time_seconds gauge\n"
		    "process_start_time_seconds %lld\n",
		    resident * (unsigned long)page, size * (unsigned long)page, cpu, fds,
		    (unsigned long long)rl.rlim_cur, (long long)metrics_start);
}

/* admitd_requests_total: answers by status code */
static void metrics_render_requests(struct metrics_buf *b, int nt)
{
	metrics_put(b, "# HELP admitd_requests_total HTTP requests answered by admitd's "
		       "handlers, by status code.\n# TYPE admitd_requests_total counter\n");
	for (size_t c = 0; c < 8; c++) {
		uint64_t sum = 0;
		for (int i = 0; i < nt; i++)
			sum += metrics_get(&metrics_threads[i]->requests[c]);
		if (c < 7)
			metrics_put(b, "admitd_requests_total{code=\"%d\"} %llu\n",
				    metrics_codes[c], (unsigned long long)sum);
		else if (sum > 0)
			metrics_put(b, "admitd_requests_total{code=\"other\"} %llu\n",
				    (unsigned long long)sum);
	}
}

/* One configured kind's lines, summed over the threads from `from` on that have its label. */
static void metrics_render_workload(struct metrics_buf *b, int from, int nt, const char *label)
{
	for (size_t o = 0; o < METRICS_NOPS; o++)
		for (int a = 0; a < 2; a++)
			for (int m = 0; m < 2; m++) {
				uint64_t sum = 0;
				for (int j = from; j < nt; j++) {
					struct metrics_thread *t = metrics_threads[j];
					int n = atomic_load_explicit(&t->nworkloads,
								     memory_order_acquire);
					for (int q = 0; q < n; q++)
						if (strcmp(t->workloads[q].kind, label) == 0)
							sum += metrics_get(
								&t->workloads[q]
									 .decisions[o][a][m]);
				}
				if (sum > 0)
					metrics_put(b,
						    "admitd_decisions_total{kind=\"%s\",operation="
						    "\"%s\",allowed=\"%s\",mode=\"%s\"} %llu\n",
						    label, metrics_ops[o], a ? "true" : "false",
						    m ? "dry-run" : "enforce",
						    (unsigned long long)sum);
			}
}

/* admitd_decisions_total: by kind, operation, verdict and mode */
static void metrics_render_decisions(struct metrics_buf *b, int nt)
{
	metrics_put(b, "# HELP admitd_decisions_total Admission decisions, by kind, operation, "
		       "verdict and mode.\n# TYPE admitd_decisions_total counter\n");
	/* configured kinds (their labels are checked names, nothing to escape), each once */
	for (int i = 0; i < nt; i++) {
		struct metrics_thread *t = metrics_threads[i];
		int n = atomic_load_explicit(&t->nworkloads, memory_order_acquire);
		for (int r = 0; r < n; r++) {
			bool seen = false;
			for (int j = 0; j < i && !seen; j++) {
				struct metrics_thread *u = metrics_threads[j];
				int nu = atomic_load_explicit(&u->nworkloads, memory_order_acquire);
				for (int q = 0; q < nu && !seen; q++)
					seen = strcmp(u->workloads[q].kind, t->workloads[r].kind) ==
					       0;
			}
			if (!seen)
				metrics_render_workload(b, i, nt, t->workloads[r].kind);
		}
	}
	for (size_t k = 0; k <= kinds_count; k++)
		for (size_t o = 0; o < METRICS_NOPS; o++)
			for (int a = 0; a < 2; a++)
				for (int m = 0; m < 2; m++) {
					uint64_t sum = 0;
					for (int i = 0; i < nt; i++)
						sum += metrics_get(
							&metrics_threads[i]->decisions[k][o][a][m]);
					if (sum == 0)
						continue;
					metrics_put(
						b,
						"admitd_decisions_total{kind=\"%s\",operation=\"%s\","
						"allowed=\"%s\",mode=\"%s\"} %llu\n",
						metrics_kind_name(k), metrics_ops[o],
						a ? "true" : "false", m ? "dry-run" : "enforce",
						(unsigned long long)sum);
				}
}

/* admitd_violations_total: modules, then custom rules summed over threads */
static void metrics_render_violations(struct metrics_buf *b, int nt)
{
	metrics_put(b, "# HELP admitd_violations_total Violations found, by policy and action.\n"
		       "# TYPE admitd_violations_total counter\n");
	for (size_t p = 0; p < registry_npolicies && p < METRICS_MAX_POL; p++)
		for (int a = 1; a < 4; a++) {
			uint64_t sum = 0;
			for (int i = 0; i < nt; i++)
				sum += metrics_get(&metrics_threads[i]->violations[p][a]);
			if (sum > 0)
				metrics_put(
					b,
					"admitd_violations_total{policy=\"%s\",action=\"%s\"} %llu\n",
					registry_policies[p]->id,
					policy_action_name((enum policy_action)a),
					(unsigned long long)sum);
		}
	char esc[2 * sizeof(metrics_threads[0]->rules[0].id) + 1];
	for (int i = 0; i < nt; i++) {
		struct metrics_thread *t = metrics_threads[i];
		int nr = atomic_load_explicit(&t->nrules, memory_order_acquire);
		for (int r = 0; r < nr; r++) {
			/* sum this rule id over threads once, at its first thread */
			bool seen = false;
			for (int j = 0; j < i && !seen; j++) {
				int nrj = atomic_load_explicit(&metrics_threads[j]->nrules,
							       memory_order_acquire);
				for (int q = 0; q < nrj && !seen; q++)
					seen = strcmp(metrics_threads[j]->rules[q].id,
						      t->rules[r].id) == 0;
			}
			if (seen)
				continue;
			for (int a = 1; a < 4; a++) {
				uint64_t sum = 0;
				for (int j = i; j < nt; j++) {
					int nrj = atomic_load_explicit(&metrics_threads[j]->nrules,
								       memory_order_acquire);
					for (int q = 0; q < nrj; q++)
						if (strcmp(metrics_threads[j]->rules[q].id,
							   t->rules[r].id) == 0)
							sum += metrics_get(&metrics_threads[j]
										    ->rules[q]
										    .by_action[a]);
				}
				if (sum > 0)
					metrics_put(
						b,
						"admitd_violations_total{policy=\"%s\",action=\"%s\"} "
						"%llu\n",
						metrics_escape(t->rules[r].id, esc, sizeof(esc)),
						policy_action_name((enum policy_action)a),
						(unsigned long long)sum);
			}
		}
	}
}

/* durations, body sizes, reloads, TLS, connections, the flood guard, preexisting violations */
static void metrics_render_others(struct metrics_buf *b, int nt, const struct admitd_config *cfg)
{
	uint64_t dur[METRICS_NDUR + 1] = {0}, body[METRICS_NBODY + 1] = {0}, dsum = 0, bsum = 0,
				    hs = atomic_load(&metrics_handshakes_other), flood = 0,
				    refused = 0, pre = 0;
	for (int i = 0; i < nt; i++) {
		struct metrics_thread *t = metrics_threads[i];
		for (size_t k = 0; k <= METRICS_NDUR; k++)
			dur[k] += metrics_get(&t->duration[k]);
		for (size_t k = 0; k <= METRICS_NBODY; k++)
			body[k] += metrics_get(&t->body[k]);
		dsum += metrics_get(&t->duration_sum_ns);
		bsum += metrics_get(&t->body_sum);
		hs += metrics_get(&t->handshakes);
		flood += metrics_get(&t->h2_flood_closed);
		refused += metrics_get(&t->h2_flood_refused);
		pre += metrics_get(&t->preexisting);
	}
	metrics_histogram(b, "admitd_request_duration_seconds",
			  "Time from the complete request to the answer, in seconds.",
			  metrics_dur_bounds, METRICS_NDUR, dur, (double)dsum / 1e9, "%g");
	metrics_histogram(b, "admitd_request_body_bytes", "Size of request bodies, in bytes.",
			  metrics_body_bounds, METRICS_NBODY, body, (double)bsum, "%.0f");
	metrics_put(
		b,
		"# HELP admitd_config_reloads_total Configuration reloads, by result.\n"
		"# TYPE admitd_config_reloads_total counter\n"
		"admitd_config_reloads_total{result=\"success\"} %llu\n"
		"admitd_config_reloads_total{result=\"failure\"} %llu\n"
		"# HELP admitd_config_last_reload_success 1 if the last reload succeeded, 0 if it "
		"was refused (-1: none yet).\n"
		"# TYPE admitd_config_last_reload_success gauge\n"
		"admitd_config_last_reload_success %d\n"
		"# HELP admitd_config_restart_required 1 when a reloaded configuration changed "
		"server keys that take effect only after a restart (/readyz restartNeeded).\n"
		"# TYPE admitd_config_restart_required gauge\n"
		"admitd_config_restart_required %d\n"
		"# HELP admitd_config_info The configuration being served.\n"
		"# TYPE admitd_config_info gauge\n"
		"admitd_config_info{checksum=\"%s\",mode=\"%s\"} 1\n"
		"# HELP admitd_tls_handshakes_total Completed TLS handshakes.\n"
		"# TYPE admitd_tls_handshakes_total counter\n"
		"admitd_tls_handshakes_total %llu\n"
		"# HELP admitd_connections Open TLS connections.\n"
		"# TYPE admitd_connections gauge\n"
		"admitd_connections %lld\n"
		"# HELP admitd_http2_flood_closed_total HTTP/2 connections closed for opening "
		"streams faster than server.http2MaxStreamsPerSecond.\n"
		"# TYPE admitd_http2_flood_closed_total counter\n"
		"admitd_http2_flood_closed_total %llu\n"
		"# HELP admitd_http2_flood_refused_total Connections refused at accept because "
		"their address was caught flooding HTTP/2 within server.http2FloodPenaltySeconds.\n"
		"# TYPE admitd_http2_flood_refused_total counter\n"
		"admitd_http2_flood_refused_total %llu\n"
		"# HELP admitd_violations_preexisting_total Violations of UPDATEs that the old "
		"object already had (not denied, sent as warnings; also in admitd_violations_total "
		"as warn).\n"
		"# TYPE admitd_violations_preexisting_total counter\n"
		"admitd_violations_preexisting_total %llu\n",
		(unsigned long long)atomic_load(&metrics_reloads[1]),
		(unsigned long long)atomic_load(&metrics_reloads[0]),
		atomic_load(&metrics_last_reload), atomic_load(&metrics_restart_required),
		cfg->checksum, cfg->mode == ADMITD_MODE_DRY_RUN ? "dry-run" : "enforce",
		(unsigned long long)hs, (long long)atomic_load(&metrics_conns),
		(unsigned long long)flood, (unsigned long long)refused, (unsigned long long)pre);
}

/*
 * Workers, audit and the event loop's fast path all count here: verdicts
 * come at most a few thousand a second, so one atomic add each is nothing.
 */
void metrics_signature(int status, bool cached, unsigned requests)
{
	if (status >= 0 && status < SIGVERIFY_NSTATUS)
		atomic_fetch_add_explicit(&metrics_sig[status][cached], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&metrics_sig_requests, requests, memory_order_relaxed);
}

/*
 * Registry requests by host (oci.c's observer): a latency histogram and
 * failures by category. Hosts are few (the configured registries and
 * their allowed hosts); past METRICS_MAX_HOSTS they count as "other".
 */
#define METRICS_MAX_HOSTS 32
#define METRICS_NREG      11
static const double metrics_reg_bounds[METRICS_NREG] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
};
struct metrics_host {
	char host[256];
	_Atomic uint64_t buckets[METRICS_NREG + 1]; /* +Inf last */
	_Atomic uint64_t sum_ns;
	_Atomic uint64_t failures[OCI_INTERNAL + 1];
};
static struct metrics_host metrics_hosts[METRICS_MAX_HOSTS + 1]; /* "other" last */
static atomic_size_t metrics_nhosts;
static pthread_mutex_t metrics_hosts_lock = PTHREAD_MUTEX_INITIALIZER;

static struct metrics_host *metrics_host_slot(const char *host)
{
	size_t n = atomic_load(&metrics_nhosts);
	for (size_t i = 0; i < n; i++)
		if (strcmp(metrics_hosts[i].host, host) == 0)
			return &metrics_hosts[i];
	pthread_mutex_lock(&metrics_hosts_lock);
	n = atomic_load(&metrics_nhosts);
	struct metrics_host *h = NULL;
	for (size_t i = 0; i < n && h == NULL; i++)
		if (strcmp(metrics_hosts[i].host, host) == 0)
			h = &metrics_hosts[i];
	if (h == NULL && n < METRICS_MAX_HOSTS && strlen(host) < sizeof(h->host)) {
		h = &metrics_hosts[n];
		strcpy(h->host, host);
		atomic_store(&metrics_nhosts, n + 1); /* published after its name */
	}
	pthread_mutex_unlock(&metrics_hosts_lock);
	return h != NULL ? h : &metrics_hosts[METRICS_MAX_HOSTS];
}

void metrics_registry_request(const char *host, double seconds, enum oci_category cat)
{
	struct metrics_host *h = metrics_host_slot(host);
	size_t b = 0;
	while (b < METRICS_NREG && seconds > metrics_reg_bounds[b])
		b++;
	atomic_fetch_add_explicit(&h->buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_ns, (uint64_t)(seconds * 1e9), memory_order_relaxed);
	if (cat != OCI_OK && (int)cat >= 0 && cat <= OCI_INTERNAL)
		atomic_fetch_add_explicit(&h->failures[cat], 1, memory_order_relaxed);
}

static void metrics_render_hosts(struct metrics_buf *b)
{
	metrics_put(b, "# HELP admitd_registry_request_duration_seconds Requests to registries "
		       "(and their token realms and blob hosts), by host.\n"
		       "# TYPE admitd_registry_request_duration_seconds histogram\n");
	size_t n = atomic_load(&metrics_nhosts);
	char esc[300];
	for (size_t i = 0; i <= METRICS_MAX_HOSTS; i++) {
		struct metrics_host *h = &metrics_hosts[i];
		if (i >= n && i != METRICS_MAX_HOSTS)
			continue;
		const char *name = i == METRICS_MAX_HOSTS ? "other" : h->host;
		uint64_t cum = 0;
		for (size_t k = 0; k <= METRICS_NREG; k++)
			cum += atomic_load(&h->buckets[k]);
		if (i == METRICS_MAX_HOSTS && cum == 0)
			continue;
		metrics_escape(name, esc, sizeof(esc));
		cum = 0;
		for (size_t k = 0; k <= METRICS_NREG; k++) {
			cum += atomic_load(&h->buckets[k]);
			if (k < METRICS_NREG)
				metrics_put(
					b,
					"admitd_registry_request_duration_seconds_bucket{host=\"%s\","
					"le=\"%g\"} %llu\n",
					esc, metrics_reg_bounds[k], (unsigned long long)cum);
			else
				metrics_put(
					b,
					"admitd_registry_request_duration_seconds_bucket{host=\"%s\","
					"le=\"+Inf\"} %llu\n",
					esc, (unsigned long long)cum);
		}
		metrics_put(b,
			    "admitd_registry_request_duration_seconds_sum{host=\"%s\"} %.9f\n"
			    "admitd_registry_request_duration_seconds_count{host=\"%s\"} %llu\n",
			    esc, (double)atomic_load(&h->sum_ns) / 1e9, esc,
			    (unsigned long long)cum);
	}
	metrics_put(b, "# HELP admitd_registry_request_failures_total Requests to registries that "
		       "got no usable answer, by host and why.\n"
		       "# TYPE admitd_registry_request_failures_total counter\n");
	for (size_t i = 0; i <= METRICS_MAX_HOSTS; i++) {
		struct metrics_host *h = &metrics_hosts[i];
		if (i >= n && i != METRICS_MAX_HOSTS)
			continue;
		metrics_escape(i == METRICS_MAX_HOSTS ? "other" : h->host, esc, sizeof(esc));
		for (int c = OCI_UNREACHABLE; c <= OCI_INTERNAL; c++) {
			uint64_t v = atomic_load(&h->failures[c]);
			if (v > 0)
				metrics_put(b,
					    "admitd_registry_request_failures_total{host=\"%s\","
					    "reason=\"%s\"} %llu\n",
					    esc, oci_category_name((enum oci_category)c),
					    (unsigned long long)v);
		}
	}
}

void metrics_image_facts(int status, bool cached)
{
	if (status >= 0 && status < IMGFACTS_NSTATUS)
		atomic_fetch_add_explicit(&metrics_facts[status][cached], 1, memory_order_relaxed);
}

void metrics_vuln_attestation(int status, bool cached)
{
	if (status >= 0 && status < VULNATTEST_NSTATUS)
		atomic_fetch_add_explicit(&metrics_vulns[status][cached], 1, memory_order_relaxed);
}

static void metrics_render_facts(struct metrics_buf *b)
{
	metrics_put(b, "# HELP admitd_image_facts_total Image configurations read for the "
		       "image-contents policies, by result and whether the cache gave them.\n"
		       "# TYPE admitd_image_facts_total counter\n");
	for (int s = 0; s < IMGFACTS_NSTATUS; s++)
		for (int c = 0; c < 2; c++)
			metrics_put(
				b, "admitd_image_facts_total{result=\"%s\",cached=\"%s\"} %llu\n",
				imgfacts_status_name((enum imgfacts_status)s), c ? "true" : "false",
				(unsigned long long)atomic_load(&metrics_facts[s][c]));
	metrics_put(b, "# HELP admitd_vulnerability_attestations_total Images' signed "
		       "vulnerability scans read for image-vulnerabilities, by result and whether "
		       "the cache gave them.\n"
		       "# TYPE admitd_vulnerability_attestations_total counter\n");
	for (int s = 0; s < VULNATTEST_NSTATUS; s++)
		for (int c = 0; c < 2; c++)
			metrics_put(b,
				    "admitd_vulnerability_attestations_total{result=\"%s\","
				    "cached=\"%s\"} %llu\n",
				    vulnattest_status_name((enum vulnattest_status)s),
				    c ? "true" : "false",
				    (unsigned long long)atomic_load(&metrics_vulns[s][c]));
}

static void metrics_render_signatures(struct metrics_buf *b, const struct admitd_config *cfg)
{
	metrics_put(b, "# HELP admitd_signature_verdicts_total Image signature verdicts of the "
		       "image-signatures policy, by result and whether the cache gave them.\n"
		       "# TYPE admitd_signature_verdicts_total counter\n");
	for (int s = 0; s < SIGVERIFY_NSTATUS; s++)
		for (int c = 0; c < 2; c++)
			metrics_put(
				b,
				"admitd_signature_verdicts_total{result=\"%s\",cached=\"%s\"} %llu\n",
				sigverify_status_name((enum sigverify_status)s),
				c ? "true" : "false",
				(unsigned long long)atomic_load(&metrics_sig[s][c]));
	struct sigcache_stats st = {0};
	if (cfg->sigverify != NULL)
		sigverify_cache_stats(cfg->sigverify, &st);
	metrics_put(
		b,
		"# HELP admitd_registry_requests_total Requests sent to registries for image "
		"signatures.\n"
		"# TYPE admitd_registry_requests_total counter\n"
		"admitd_registry_requests_total %llu\n"
		"# HELP admitd_signature_cache_lookups_total Lookups in the verdict cache of the "
		"configuration being served (a reload starts a new cache), by result.\n"
		"# TYPE admitd_signature_cache_lookups_total counter\n"
		"admitd_signature_cache_lookups_total{result=\"hit\"} %llu\n"
		"admitd_signature_cache_lookups_total{result=\"miss\"} %llu\n"
		"admitd_signature_cache_lookups_total{result=\"wait\"} %llu\n",
		(unsigned long long)atomic_load(&metrics_sig_requests), st.hits, st.misses,
		st.waits);
}

char *metrics_render(const struct admitd_config *cfg, size_t *len)
{
	struct metrics_buf b = {.cap = 16384};
	b.p = malloc(b.cap);
	if (b.p == NULL)
		return NULL;
	int nt = atomic_load(&metrics_nthreads);

	metrics_render_requests(&b, nt);
	metrics_render_decisions(&b, nt);
	metrics_render_violations(&b, nt);
	metrics_render_others(&b, nt, cfg);
	metrics_render_signatures(&b, cfg);
	metrics_render_hosts(&b);
	metrics_render_facts(&b);
	metrics_process(&b);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}
