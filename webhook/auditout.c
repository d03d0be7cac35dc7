/*
 * auditout.c: the formats `admitd audit` writes, one row each in
 * audit_formats. A format sees the entries one at a time (folded, from
 * the spill file), so no format holds the whole report: a table row or a
 * JSON result is written as it comes, and a PolicyReport holds one
 * namespace's results at most.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../policies/registry.h"
#include "audit.h"
#include "cluster.h"
#include "html.h"
#include "rules.h"
#include "settings.h"
#include "version.h"

static const char *out_str(const json_t *obj, const char *key, const char *dflt)
{
	const json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : dflt;
}

static long long out_int(const json_t *obj, const char *key)
{
	return (long long)json_integer_value(json_object_get(obj, key));
}

/* "1 object", "2 objects" */
static const char *out_plural(long long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* ---- table ---- */

static void table_begin(struct audit_out *o)
{
	const int *w = o->run->widths;
	fprintf(o->out, "%-*s %-*s %-*s %-*s %-*s %-6s %s\n", w[0], "NAMESPACE", w[1], "KIND", w[2],
		"NAME", w[3], "CONTAINER", w[4], "POLICY", "ACTION", "MESSAGE");
}

static void table_row(struct audit_out *o, const json_t *r, const char *container,
		      const char *policy, const char *action, const char *message)
{
	const int *w = o->run->widths;
	fprintf(o->out, "%-*s %-*s %-*s %-*s %-*s %-6s %s", w[0], out_str(r, "namespace", "-"),
		w[1], out_str(r, "kind", "-"), w[2], out_str(r, "name", "-"), w[3], container, w[4],
		policy, action, message);
	if (json_object_get(r, "podsAffected") != NULL)
		fprintf(o->out, " (%lld pods)", out_int(r, "podsAffected"));
	const json_t *owner = json_object_get(r, "owner");
	if (owner != NULL)
		fprintf(o->out, " (owned by %s %s)", out_str(owner, "kind", ""),
			out_str(owner, "name", ""));
	fputc('\n', o->out);
}

static void table_entry(struct audit_out *o, const json_t *r)
{
	size_t k;
	json_t *v;
	json_array_foreach(json_object_get(r, "violations"), k, v)
		table_row(o, r, out_str(v, "container", "-"), out_str(v, "policy", "-"),
			  out_str(v, "action", "-"), out_str(v, "message", ""));
	/* exempt objects are listed, so that an exemption is seen, not silence */
	if (json_object_get(r, "exempt") != NULL)
		table_row(o, r, "-", "(exempt)", "-", out_str(r, "exempt", ""));
	json_array_foreach(json_object_get(r, "exemptions"), k, v)
		table_row(o, r, "-", out_str(v, "policy", "-"), "exempt", out_str(v, "reason", ""));
}

static void table_counts(FILE *out, const char *title, const json_t *counts)
{
	const char *key;
	json_t *val;
	if (json_object_size(counts) == 0)
		return;
	fprintf(out, "\n%s\n", title);
	json_object_foreach((json_t *)counts, key, val)
		fprintf(out, "  %-30s %lld\n", key, (long long)json_integer_value(val));
}

void audit_table_notes(FILE *out, const char *title, const json_t *notes)
{
	size_t i;
	json_t *n;
	json_array_foreach(notes, i, n)
	{
		if (i == 0)
			fprintf(out, "\n%s\n", title);
		if (json_object_get(n, "line") != NULL)
			fprintf(out, "  %s:%lld: %s\n", out_str(n, "source", ""),
				out_int(n, "line"), out_str(n, "message", ""));
		else
			fprintf(out, "  %s: %s\n", out_str(n, "source", ""),
				out_str(n, "message", ""));
	}
}

static int table_end(struct audit_out *o, const json_t *s)
{
	long long judged = out_int(s, "judged"), entries = out_int(s, "entries");
	long long deny = out_int(s, "wouldDeny"), viol = out_int(s, "violations");
	long long exempt = out_int(s, "exempt");
	fprintf(o->out, "\nSummary: %lld %s judged", judged,
		out_plural(judged, "object", "objects"));
	if (entries != judged)
		fprintf(o->out,
			" (%lld %s: owned objects with their controller's findings are "
			"folded into it)",
			entries, out_plural(entries, "entry", "entries"));
	fprintf(o->out, ", %lld would be denied, %lld %s", deny, viol,
		out_plural(viol, "violation", "violations"));
	if (exempt > 0)
		fprintf(o->out, ", %lld exempt", exempt);
	fputc('\n', o->out);
	if (json_object_size(json_object_get(s, "byPolicy")) > 0) {
		table_counts(o->out, "By policy:", json_object_get(s, "byPolicy"));
		table_counts(o->out, "By namespace:", json_object_get(s, "byNamespace"));
	}
	table_counts(o->out, "Not judged (not a pod or workload):", json_object_get(s, "skipped"));
	const char *key;
	json_t *val;
	json_object_foreach((json_t *)json_object_get(s, "skippedPolicies"), key, val)
		fprintf(o->out, "\nSkipped: %s (%s)\n", key, json_string_value(val));
	audit_table_notes(
		o->out, "Read once (reached again through a link):", json_object_get(s, "ignored"));
	audit_table_notes(o->out, "Not listed (reported, audit incomplete):",
			  json_object_get(s, "notListed"));
	audit_table_notes(o->out, "Input errors:", json_object_get(s, "errors"));
	return 0;
}

/* ---- json ---- */

static void json_begin(struct audit_out *o)
{
	fputs("{\n  \"results\": [", o->out);
	o->state = NULL;
}

/* A value dumped at a nesting depth, so that the streamed document reads as one. */
static void out_dump_at(FILE *out, const json_t *v, int depth)
{
	char *text = json_dumps(v, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text == NULL)
		return;
	for (const char *p = text; *p != '\0'; p++) {
		fputc(*p, out);
		if (*p == '\n')
			fprintf(out, "%*s", depth * 2, "");
	}
	free(text);
}

static void json_entry(struct audit_out *o, const json_t *r)
{
	fputs(o->state != NULL ? ",\n    " : "\n    ", o->out);
	o->state = o; /* not the first any more */
	out_dump_at(o->out, r, 2);
}

static int json_end(struct audit_out *o, const json_t *summary)
{
	fputs(o->state != NULL ? "\n  ],\n  \"summary\": " : "],\n  \"summary\": ", o->out);
	out_dump_at(o->out, summary, 1);
	fputs("\n}\n", o->out);
	return 0;
}

/*
 * ---- policyreport and openreports: one report per namespace ----
 *
 * wgpolicyk8s.io/v1alpha2 PolicyReport and its successor openreports.io
 * v1alpha1 Report share their results; one implementation, one row of
 * report_apis each. A namespace's report is split into chunks below
 * REPORT_MAX_BYTES (etcd stores at most 1.5 MiB an object, and the API
 * server refuses larger requests; --report-bytes lowers it), named
 * admitd-NS, admitd-NS-2, ... (drift's: admitd-drift-NS, ...; see
 * report_kinds), so that a rerun replaces them; --write-reports then
 * deletes the chunks and reports of earlier runs of the same kind that
 * this one did not write.
 */
struct report_api {
	const char *api_version; /* "wgpolicyk8s.io/v1alpha2" */
	const char *kind, *cluster_kind;
	const char *plural, *cluster_plural;
	bool source_field; /* the report names its source (openreports) */
};

static const struct report_api report_wgpolicy = {
	"wgpolicyk8s.io/v1alpha2", "PolicyReport",         "ClusterPolicyReport",
	"policyreports",           "clusterpolicyreports", false,
};
static const struct report_api report_openreports = {
	"openreports.io/v1alpha1", "Report", "ClusterReport", "reports", "clusterreports", true,
};

/*
 * What a report holds, by audit_run.report_of. The names never meet: in
 * namespace NS, audit's are admitd-NS[-N] and drift's admitd-drift-NS[-N];
 * the label keeps each sweep to its own kind whatever the names.
 */
struct report_kind {
	const char *prefix;  /* PREFIX-NS, PREFIX-NS-2, ..., PREFIX-cluster */
	const char *label;   /* admitd.io/report: LABEL, what the sweep selects */
	const char *source;  /* each result's source and category, an OpenReport's source */
	const char *command; /* who speaks on stderr */
};

static const struct report_kind report_kinds[] = {
	[AUDIT_REPORT_AUDIT] = {"admitd", "audit", "admitd", "admitd audit"},
	[AUDIT_REPORT_DRIFT] = {"admitd-drift", "drift", "admitd-drift", "admitd inventory"},
};

struct report_state {
	const struct report_api *api;
	const struct report_kind *kind;
	/*
	 * The chunk being filled is text, never a jansson tree (1 MB of
	 * results would take ten times that in memory).
	 */
	char *results;     /* --write-reports: the chunk's text, to send */
	size_t bytes;      /* its length */
	FILE *mem;         /* open_memstream over results, while a chunk is open */
	bool open;         /* a chunk is open */
	size_t nresults;   /* in the open chunk */
	size_t used;       /* bytes of its results */
	json_int_t sum[5]; /* pass, fail, warn, error, skip */
	char *ns;          /* the chunk's namespace, "" for the cluster */
	unsigned chunk;    /* its number within the namespace, from 1 */
	json_t *written;   /* --write-reports: the path of every report stored */
	bool first;
	bool store_failed;
	long long now;
};

static const char *const report_words[5] = {"pass", "fail", "warn", "error", "skip"};

static const char *report_word(const char *action)
{
	return strcmp(action, "deny") == 0 ? "fail" : "warn"; /* warn, audit: worth a look */
}

static const char *report_severity(const char *action)
{
	return strcmp(action, "deny") == 0   ? "high"
	       : strcmp(action, "warn") == 0 ? "medium"
					     : "low";
}

/* The REST path of a report: namespaced when ns is set. */
static void report_path(const struct report_api *api, const char *ns, const char *name, char *buf,
			size_t len)
{
	if (ns != NULL && ns[0] != '\0')
		snprintf(buf, len, "/apis/%s/namespaces/%s/%s/%s", api->api_version, ns,
			 api->plural, name);
	else
		snprintf(buf, len, "/apis/%s/%s/%s", api->api_version, api->cluster_plural, name);
}

/* The chunk's report without results or summary: what comes before them. */
static json_t *report_head(const struct report_state *st)
{
	const char *ns = st->ns;
	char name[300];
	if (st->chunk > 1)
		snprintf(name, sizeof(name), "%s-%s-%u", st->kind->prefix, ns[0] ? ns : "cluster",
			 st->chunk);
	else
		snprintf(name, sizeof(name), "%s-%s", st->kind->prefix, ns[0] ? ns : "cluster");
	json_t *rep = json_pack("{s:s,s:s,s:{s:s,s:{s:s,s:s}}}", "apiVersion", st->api->api_version,
				"kind", ns[0] ? st->api->kind : st->api->cluster_kind, "metadata",
				"name", name, "labels", "app.kubernetes.io/managed-by", "admitd",
				"admitd.io/report", st->kind->label);
	if (rep != NULL && ns[0])
		json_object_set_new(json_object_get(rep, "metadata"), "namespace", json_string(ns));
	if (rep != NULL && st->api->source_field)
		json_object_set_new(rep, "source", json_string(st->kind->source));
	return rep;
}

/* --write-reports: server-side apply, so reruns replace what they wrote */
static int report_store(struct audit_run *run, struct report_state *st, const json_t *head,
			const char *body)
{
	const char *ns = NULL, *name = NULL;
	jp_string(head, "metadata.name", &name);
	jp_string(head, "metadata.namespace", &ns);
	char path[1024];
	report_path(st->api, ns, name, path, sizeof(path));
	json_object_set_new(st->written, path, json_true());
	int rc = cluster_apply(run->cluster, path, body);
	if (rc < 0)
		fprintf(stderr, "%s: storing %s: %s\n", st->kind->command, path,
			cluster_error(run->cluster));
	return rc;
}

/*
 * The chunk goes straight to the output as its results come: its head
 * first, the results, the summary last (JSON does not order keys). Only
 * --write-reports keeps a chunk's text, to send it.
 */
static FILE *report_sink(struct report_state *st, struct audit_out *o)
{
	return o->run->write_reports ? st->mem : o->out;
}

static void report_open(struct audit_out *o)
{
	struct report_state *st = o->state;
	json_t *head = report_head(st);
	char *h = head != NULL ? json_dumps(head, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(head);
	if (h == NULL || (o->run->write_reports &&
			  (st->mem = open_memstream(&st->results, &st->bytes)) == NULL)) {
		free(h);
		fprintf(stderr, "%s: out of memory while writing a report\n", st->kind->command);
		st->store_failed = true;
		return;
	}
	fputs(st->first ? "\n    " : ",\n    ", o->out);
	st->first = false;
	h[strlen(h) - 1] = '\0'; /* its closing brace: the results follow */
	fprintf(report_sink(st, o), "%s,\"results\":[", h);
	free(h);
	st->open = true;
	st->nresults = 0;
	st->used = 0;
}

/* Ends the chunk and stores it; the next one starts empty. */
static void report_flush(struct audit_out *o)
{
	struct report_state *st = o->state;
	if (!st->open)
		return;
	st->open = false;
	json_t *sum = json_object();
	for (size_t i = 0; i < 5; i++)
		json_object_set_new(sum, report_words[i], json_integer(st->sum[i]));
	char *t = json_dumps(sum, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(sum);
	memset(st->sum, 0, sizeof(st->sum));
	FILE *sink = report_sink(st, o);
	if (sink == NULL)
		return;
	fprintf(sink, "],\"summary\":%s}", t != NULL ? t : "{}");
	free(t);
	if (!o->run->write_reports)
		return;
	fclose(st->mem);
	st->mem = NULL;
	fputs(st->results, o->out);
	json_t *head = report_head(st);
	if (report_store(o->run, st, head, st->results) < 0)
		st->store_failed = true;
	json_decref(head);
	free(st->results);
	st->results = NULL;
	st->bytes = 0;
}

static void report_begin(struct audit_out *o)
{
	struct report_state *st = calloc(1, sizeof(*st));
	o->state = st;
	if (st != NULL) {
		st->api = o->fmt->data;
		st->kind = &report_kinds[o->run->report_of];
		st->first = true;
		st->now = (long long)time(NULL);
		st->written = json_object();
	}
	fputs("{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [", o->out);
}

/* Adds one result (taken) to the namespace's chunk, opening the next when it is full. */
static void report_add(struct audit_out *o, json_t *res, const char *word)
{
	struct report_state *st = o->state;
	char *text = json_dumps(res, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(res);
	if (text == NULL) {
		st->store_failed = true;
		return;
	}
	size_t len = strlen(text) + 1;
	if (st->open && st->nresults > 0 && st->used + len > o->run->report_bytes) {
		report_flush(o);
		st->chunk++;
	}
	if (!st->open)
		report_open(o);
	FILE *sink = report_sink(st, o);
	if (sink != NULL) {
		if (st->nresults > 0)
			fputc(',', sink);
		fputs(text, sink);
	}
	st->nresults++;
	st->used += len;
	free(text);
	for (size_t i = 0; i < 5; i++)
		if (strcmp(word, report_words[i]) == 0)
			st->sum[i]++;
}

static void report_entry(struct audit_out *o, const json_t *r)
{
	struct report_state *st = o->state;
	if (st == NULL)
		return;
	const char *ns = out_str(r, "namespace", "");
	if (st->ns == NULL || strcmp(st->ns, ns) != 0) {
		report_flush(o);
		free(st->ns);
		st->ns = strdup(ns);
		st->chunk = 1;
		if (st->ns == NULL) {
			st->store_failed = true;
			return;
		}
	}
	json_t *resource = json_pack("{s:s,s:s}", "kind", out_str(r, "kind", ""), "name",
				     out_str(r, "name", ""));
	if (ns[0])
		json_object_set_new(resource, "namespace", json_string(ns));
	if (json_object_get(r, "apiVersion"))
		json_object_set(resource, "apiVersion", json_object_get(r, "apiVersion"));
	if (json_object_get(r, "uid"))
		json_object_set(resource, "uid", json_object_get(r, "uid"));
	const json_t *viol = json_object_get(r, "violations");
	if (json_array_size(viol) == 0) {
		bool exempt = json_object_get(r, "exempt") != NULL;
		json_t *res = json_pack("{s:s,s:s,s:s,s:s,s:b,s:[O],s:{s:I,s:i}}", "source",
					st->kind->source, "policy", "admitd", "result",
					exempt ? "skip" : "pass", "message",
					exempt ? out_str(r, "exempt", "") : "no violations",
					"scored", 1, "resources", resource, "timestamp", "seconds",
					(json_int_t)st->now, "nanos", 0);
		report_add(o, res, exempt ? "skip" : "pass");
	}
	size_t k;
	json_t *v;
	json_array_foreach(viol, k, v)
	{
		const char *action = out_str(v, "action", "deny");
		const char *word = report_word(action);
		json_t *props = json_pack("{s:s}", "action", action);
		if (json_is_string(json_object_get(v, "container")))
			json_object_set(props, "container", json_object_get(v, "container"));
		if (json_object_get(r, "podsAffected"))
			json_object_set_new(props, "podsAffected",
					    json_sprintf("%lld", out_int(r, "podsAffected")));
		if (json_is_string(json_object_get(r, "template")))
			json_object_set(props, "template", json_object_get(r, "template"));
		const char *tool = st->kind->source;
		json_t *res = json_pack(
			"{s:s,s:O,s:s,s:O,s:s,s:b,s:s,s:[O],s:o,s:{s:I,s:i}}", "source", tool,
			"policy", json_object_get(v, "policy"), "result", word, "message",
			json_object_get(v, "message"), "severity", report_severity(action),
			"scored", 1, "category", tool, "resources", resource, "properties", props,
			"timestamp", "seconds", (json_int_t)st->now, "nanos", 0);
		report_add(o, res, word);
	}
	json_decref(resource);
}

struct report_sweep {
	struct audit_run *run;
	struct report_state *st;
	bool failed;
};

/* Deletes every report of ours in the page that this run did not write. */
static int report_sweep_page(json_t *items, void *arg)
{
	struct report_sweep *sw = arg;
	size_t i;
	json_t *item;
	json_array_foreach(items, i, item)
	{
		const char *ns = NULL, *name = NULL;
		jp_string(item, "metadata.name", &name);
		jp_string(item, "metadata.namespace", &ns);
		if (name == NULL)
			continue;
		char path[1024];
		report_path(sw->st->api, ns, name, path, sizeof(path));
		if (json_object_get(sw->st->written, path) != NULL)
			continue;
		if (cluster_delete(sw->run->cluster, path) < 0) {
			fprintf(stderr, "%s: deleting %s: %s\n", sw->st->kind->command, path,
				cluster_error(sw->run->cluster));
			sw->failed = true;
		}
	}
	return 0;
}

/*
 * After a complete run, the reports of earlier runs of its kind that this
 * one did not write (a namespace with nothing left, a chunk a smaller run
 * does not need) go. An incomplete run (a kind not listed, an input
 * error) deletes nothing: what it did not see may still be true. The run
 * says so itself, not the summary: drift's writer gets none.
 */
static int report_sweep(struct audit_out *o)
{
	struct report_state *st = o->state;
	if (json_array_size(o->run->warnings) > 0 || o->run->nerrors > 0) {
		fprintf(stderr, "%s: the run was incomplete: reports of earlier runs are kept\n",
			st->kind->command);
		return 0;
	}
	struct report_sweep sw = {.run = o->run, .st = st};
	const char *plurals[2] = {st->api->plural, st->api->cluster_plural};
	for (size_t i = 0; i < 2; i++) {
		char path[512];
		snprintf(path, sizeof(path),
			 "/apis/%s/%s?labelSelector=app.kubernetes.io%%2Fmanaged-by%%3Dadmitd%%2C"
			 "admitd.io%%2Freport%%3D%s",
			 st->api->api_version, plurals[i], st->kind->label);
		if (cluster_list(o->run->cluster, path, report_sweep_page, &sw) != CLUSTER_OK) {
			fprintf(stderr, "%s: listing %s: %s\n", st->kind->command, path,
				cluster_error(o->run->cluster));
			return -1;
		}
	}
	return sw.failed ? -1 : 0;
}

static int report_end(struct audit_out *o, const json_t *summary)
{
	(void)summary; /* the run itself says whether it was complete */
	struct report_state *st = o->state;
	if (st == NULL) {
		fprintf(stderr, "%s: out of memory\n", report_kinds[o->run->report_of].command);
		return -1;
	}
	report_flush(o);
	fputs(st->first ? "]\n}\n" : "\n  ]\n}\n", o->out);
	int rc = st->store_failed ? -1 : 0;
	if (o->run->write_reports && rc == 0)
		rc = report_sweep(o);
	json_decref(st->written);
	free(st->ns);
	free(st);
	o->state = NULL;
	return rc;
}

/* ---- the policies a configuration runs: registry modules, then custom rules ---- */

struct out_policy {
	const struct policy_desc *desc;
	enum policy_action action;
	const char *doc; /* the module's page, NULL for a custom rule */
};

/* The i-th policy that is on; false past the last. */
static bool out_policy_at(const struct admitd_config *cfg, size_t i, struct out_policy *p)
{
	size_t k = 0;
	for (size_t r = 0; r < registry_npolicies; r++) {
		if (cfg->settings[r].action == POLICY_ACTION_OFF)
			continue;
		if (k++ == i) {
			*p = (struct out_policy){registry_policies[r], cfg->settings[r].action,
						 registry_docs[r]};
			return true;
		}
	}
	for (size_t r = 0; r < cfg->nrules; r++) {
		struct policy_setting *st = rules_setting(cfg->rules[r]);
		if (st->action == POLICY_ACTION_OFF)
			continue;
		if (k++ == i) {
			*p = (struct out_policy){rules_desc(cfg->rules[r]), st->action, NULL};
			return true;
		}
	}
	return false;
}

/* "shop/Deployment/web": an object's name where there is no file to point at */
static void out_object_name(const json_t *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s/%s", out_str(r, "namespace", ""),
		 json_is_string(json_object_get(r, "namespace")) ? "/" : "", out_str(r, "kind", ""),
		 out_str(r, "name", ""));
}

/* ---- sarif: SARIF 2.1.0, for code scanning ---- */

static const char *sarif_level(const char *action)
{
	return strcmp(action, "deny") == 0   ? "error"
	       : strcmp(action, "warn") == 0 ? "warning"
					     : "note";
}

/* A file path as a URI reference: unreserved characters and '/' kept, the rest %XX. */
static json_t *sarif_uri(const char *path)
{
	size_t n = strlen(path);
	char *buf = malloc(n * 3 + sizeof("file://"));
	if (buf == NULL)
		return NULL;
	char *w = buf;
	if (path[0] == '/')
		w += sprintf(w, "file://");
	for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p) != NULL)
			*w++ = (char)*p;
		else
			w += sprintf(w, "%%%02X", *p);
	}
	*w = '\0';
	json_t *v = json_string(buf);
	free(buf);
	return v;
}

static void sarif_begin(struct audit_out *o)
{
	json_t *rules = json_array();
	struct out_policy p;
	for (size_t i = 0; out_policy_at(o->run->cfg, i, &p); i++) {
		json_t *rule =
			json_pack("{s:s,s:{s:s},s:{s:s}}", "id", p.desc->id, "shortDescription",
				  "text", p.desc->description, "defaultConfiguration", "level",
				  sarif_level(policy_action_name(p.action)));
		if (p.doc != NULL)
			json_object_set_new(rule, "help",
					    json_pack("{s:s,s:s}", "text", p.desc->description,
						      "markdown", p.doc));
		json_array_append_new(rules, rule);
	}
	json_t *driver =
		json_pack("{s:s,s:s,s:s,s:o}", "name", "admitd", "version", ADMITD_VERSION,
			  "informationUri", "https://github.com/admitd/admitd", "rules", rules);
	fputs("{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n"
	      "  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n      \"tool\": {\n        "
	      "\"driver\": ",
	      o->out);
	out_dump_at(o->out, driver, 4);
	fputs("\n      },\n      \"results\": [", o->out);
	json_decref(driver);
	o->state = NULL;
}

static void sarif_entry(struct audit_out *o, const json_t *r)
{
	char name[800];
	out_object_name(r, name, sizeof(name));
	const char *source = out_str(r, "source", "");
	bool file = strncmp(source, "cluster:", 8) != 0 && strcmp(source, "<stdin>") != 0;
	size_t k;
	json_t *v;
	json_array_foreach(json_object_get(r, "violations"), k, v)
	{
		json_t *loc = json_pack("{s:[{s:s,s:s}]}", "logicalLocations", "fullyQualifiedName",
					name, "kind", "resource");
		if (file) {
			json_t *phys = json_pack("{s:{s:o}}", "artifactLocation", "uri",
						 sarif_uri(source));
			/* the container's line where it is known, else its object's */
			const json_t *at = json_object_get(v, "line");
			if (at == NULL)
				at = json_object_get(r, "line");
			if (at != NULL)
				json_object_set_new(
					phys, "region",
					json_pack("{s:I}", "startLine", json_integer_value(at)));
			json_object_set_new(loc, "physicalLocation", phys);
		}
		const char *action = out_str(v, "action", "deny");
		json_t *related = NULL;
		if (json_is_string(json_object_get(r, "template")))
			related =
				json_pack("[{s:i,s:{s:{s:o}},s:{s:s}}]", "id", 1,
					  "physicalLocation", "artifactLocation", "uri",
					  sarif_uri(out_str(r, "template", "")), "message", "text",
					  "the Helm template this object was rendered from");
		json_t *res = json_pack(
			"{s:s,s:s,s:{s:s},s:[o],s:{s:s}}", "ruleId", out_str(v, "policy", "admitd"),
			"level", sarif_level(action), "message", "text", out_str(v, "message", ""),
			"locations", loc, "properties", "action", action);
		if (json_is_string(json_object_get(v, "container")))
			json_object_set(json_object_get(res, "properties"), "container",
					json_object_get(v, "container"));
		if (related != NULL)
			json_object_set_new(res, "relatedLocations", related);
		fputs(o->state != NULL ? ",\n        " : "\n        ", o->out);
		o->state = o;
		out_dump_at(o->out, res, 4);
		json_decref(res);
	}
}

static int sarif_end(struct audit_out *o, const json_t *summary)
{
	/* input errors are the run's notifications: the run was not complete */
	json_t *notes = json_array();
	size_t i;
	json_t *err;
	json_array_foreach(json_object_get(summary, "errors"), i, err)
	{
		json_t *n = json_pack("{s:s,s:{s:s}}", "level", "error", "message", "text",
				      out_str(err, "message", ""));
		json_t *phys = json_pack("{s:{s:o}}", "artifactLocation", "uri",
					 sarif_uri(out_str(err, "source", "")));
		if (json_object_get(err, "line") != NULL)
			json_object_set_new(
				phys, "region",
				json_pack("{s:I}", "startLine", (json_int_t)out_int(err, "line")));
		json_object_set_new(n, "locations",
				    json_pack("{s:[{s:o}]}", "x", "physicalLocation", phys));
		/* notifications take one list of locations */
		json_object_set(n, "locations",
				json_object_get(json_object_get(n, "locations"), "x"));
		json_array_append_new(notes, n);
	}
	json_t *inv = json_pack("{s:b,s:o}", "executionSuccessful", json_array_size(notes) == 0,
				"toolExecutionNotifications", notes);
	fputs(o->state != NULL ? "\n      ],\n      \"invocations\": [\n        "
			       : "],\n      \"invocations\": [\n        ",
	      o->out);
	out_dump_at(o->out, inv, 4);
	fputs("\n      ]\n    }\n  ]\n}\n", o->out);
	json_decref(inv);
	return 0;
}

/* ---- junit: a test suite per object, a test case per policy ---- */

static void junit_text(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\n':
			fputs("&#10;", out);
			break;
		default:
			/* XML 1.0 has no other control characters */
			if ((unsigned char)*s >= 0x20 || *s == '\t')
				fputc(*s, out);
		}
	}
}

static void junit_begin(struct audit_out *o)
{
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"admitd audit\">\n",
	      o->out);
}

/* One test case: a policy that is on, and whether its violations fail (--fail-on). */
struct junit_case {
	const char *id;
	bool fails;
};

/*
 * The cases of one object: every policy that is on, and "admitd" when
 * the object could not be judged (an internal failure always fails).
 * Returns how many, in a malloc'd array; 0 when out of memory.
 */
static size_t junit_cases(const struct audit_out *o, const json_t *viol, struct junit_case **out)
{
	size_t n = 0, k;
	struct out_policy p;
	json_t *v;
	while (out_policy_at(o->run->cfg, n, &p))
		n++;
	struct junit_case *c = malloc((n + 1) * sizeof(*c));
	if (c == NULL)
		return 0;
	for (size_t i = 0; i < n && out_policy_at(o->run->cfg, i, &p); i++)
		c[i] = (struct junit_case){p.desc->id, (o->run->fail_on & (1u << p.action)) != 0};
	json_array_foreach(viol, k, v) if (strcmp(out_str(v, "policy", ""), "admitd") == 0)
	{
		c[n++] = (struct junit_case){"admitd", true};
		break;
	}
	*out = c;
	return n;
}

/* The violations of one policy, as a failure (it fails) or the case's output (it does not). */
static bool junit_findings(FILE *out, const json_t *viol, const struct junit_case *c)
{
	bool any = false;
	size_t k;
	json_t *v;
	json_array_foreach(viol, k, v)
	{
		if (strcmp(out_str(v, "policy", ""), c->id) != 0)
			continue;
		if (!any && c->fails) {
			fputs("\n      <failure type=\"", out);
			junit_text(out, out_str(v, "action", ""));
			fputs("\" message=\"", out);
			junit_text(out, out_str(v, "message", ""));
			fputs("\">", out);
		} else if (!any) {
			fputs("\n      <system-out>", out);
		} else {
			fputs("&#10;", out);
		}
		any = true;
		junit_text(out, out_str(v, "action", ""));
		fputs(": ", out);
		junit_text(out, out_str(v, "message", ""));
	}
	if (any)
		fputs(c->fails ? "</failure>\n    " : "</system-out>\n    ", out);
	return any;
}

/*
 * The suite of one object: a case for every policy that is on, failed by
 * its violations whose action is in --fail-on; other findings are the
 * case's output; an exempt object's cases are skipped.
 */
static void junit_entry(struct audit_out *o, const json_t *r)
{
	const json_t *viol = json_object_get(r, "violations");
	const char *exempt = out_str(r, "exempt", NULL);
	const char *source = out_str(r, "source", "");
	char name[800];
	out_object_name(r, name, sizeof(name));
	struct junit_case *cases = NULL;
	size_t ncases = junit_cases(o, viol, &cases), nfail = 0, k;
	json_t *v;
	for (size_t i = 0; i < ncases; i++) {
		bool hit = false;
		json_array_foreach(viol, k, v) hit |=
			strcmp(out_str(v, "policy", ""), cases[i].id) == 0;
		nfail += hit && cases[i].fails;
	}
	fputs("  <testsuite name=\"", o->out);
	junit_text(o->out, name);
	fprintf(o->out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" file=\"",
		ncases, nfail, exempt != NULL ? ncases : 0);
	junit_text(o->out, source);
	fputs("\">\n", o->out);
	for (size_t i = 0; i < ncases; i++) {
		fputs("    <testcase classname=\"", o->out);
		junit_text(o->out, name);
		fputs("\" name=\"", o->out);
		junit_text(o->out, cases[i].id);
		fputs("\" file=\"", o->out);
		junit_text(o->out, source);
		if (json_object_get(r, "line") != NULL)
			fprintf(o->out, "\" line=\"%lld", out_int(r, "line"));
		fputs("\">", o->out);
		if (!junit_findings(o->out, viol, &cases[i]) && exempt != NULL) {
			fputs("\n      <skipped message=\"", o->out);
			junit_text(o->out, exempt);
			fputs("\"/>\n    ", o->out);
		}
		fputs("</testcase>\n", o->out);
	}
	fputs("  </testsuite>\n", o->out);
	free(cases);
}

static int junit_end(struct audit_out *o, const json_t *summary)
{
	/* input errors are a suite of their own, so that CI shows them */
	const json_t *errors = json_object_get(summary, "errors");
	if (json_array_size(errors) > 0) {
		fprintf(o->out,
			"  <testsuite name=\"admitd input\" tests=\"%zu\" failures=\"0\" errors=\"%zu\">\n",
			json_array_size(errors), json_array_size(errors));
		size_t i;
		json_t *err;
		json_array_foreach(errors, i, err)
		{
			fputs("    <testcase classname=\"input\" name=\"", o->out);
			junit_text(o->out, out_str(err, "source", ""));
			fputs("\">\n      <error message=\"", o->out);
			junit_text(o->out, out_str(err, "message", ""));
			fputs("\"/>\n    </testcase>\n", o->out);
		}
		fputs("  </testsuite>\n", o->out);
	}
	fputs("</testsuites>\n", o->out);
	return 0;
}

/*
 * ---- html: one self-contained page ----
 *
 * The summary comes first on the page but last from audit_report, so the
 * rows (the first HTML_MAX_ROWS; the rest are only counted) wait in
 * memory as the JSON the page's script reads, already escaped.
 */
struct html_state {
	FILE *rows; /* open_memstream over text */
	char *text;
	size_t len;
	size_t shown, total;
	bool failed;
};

static void html_begin_audit(struct audit_out *o)
{
	struct html_state *st = calloc(1, sizeof(*st));
	o->state = st;
	if (st != NULL && (st->rows = open_memstream(&st->text, &st->len)) == NULL)
		st->failed = true;
}

static void html_row(struct audit_out *o, const json_t *r, const char *container,
		     const char *policy, const char *action, const char *message)
{
	struct html_state *st = o->state;
	if (st == NULL || st->rows == NULL)
		return;
	if (st->total++ >= HTML_MAX_ROWS)
		return;
	char workload[600];
	int n = snprintf(workload, sizeof(workload), "%s/%s", out_str(r, "kind", "-"),
			 out_str(r, "name", "-"));
	if (n > 0 && (size_t)n < sizeof(workload) && json_object_get(r, "podsAffected") != NULL)
		n += snprintf(workload + n, sizeof(workload) - (size_t)n, " (%lld pods)",
			      out_int(r, "podsAffected"));
	const json_t *owner = json_object_get(r, "owner");
	if (n > 0 && (size_t)n < sizeof(workload) && owner != NULL)
		snprintf(workload + n, sizeof(workload) - (size_t)n, " (owned by %s %s)",
			 out_str(owner, "kind", ""), out_str(owner, "name", ""));
	json_t *row = json_pack("[s,s,s,s,s,s]", out_str(r, "namespace", "-"), workload, container,
				policy, action, message);
	if (st->shown > 0)
		fputc(',', st->rows);
	if (row == NULL || html_json(st->rows, row) < 0)
		st->failed = true;
	json_decref(row);
	st->shown++;
}

/* The same rows as the table: a violation each, an exempt object, its exemptions. */
static void html_entry_audit(struct audit_out *o, const json_t *r)
{
	size_t k;
	json_t *v;
	json_array_foreach(json_object_get(r, "violations"), k, v)
		html_row(o, r, out_str(v, "container", "-"), out_str(v, "policy", "-"),
			 out_str(v, "action", "-"), out_str(v, "message", ""));
	if (json_object_get(r, "exempt") != NULL)
		html_row(o, r, "-", "(exempt)", "-", out_str(r, "exempt", ""));
	json_array_foreach(json_object_get(r, "exemptions"), k, v)
		html_row(o, r, "-", out_str(v, "policy", "-"), "exempt", out_str(v, "reason", ""));
}

/* The "How to fix:" paragraph of a policy's page, as one line; NULL when it has none. */
static json_t *html_fix(const char *doc)
{
	const char *at = doc != NULL ? strstr(doc, "How to fix:") : NULL;
	if (at == NULL)
		return NULL;
	at += strlen("How to fix:");
	const char *end = strstr(at, "\n\n");
	size_t len = end != NULL ? (size_t)(end - at) : strlen(at);
	char *text = malloc(len + 1);
	if (text == NULL)
		return NULL;
	size_t w = 0;
	for (size_t i = 0; i < len; i++) {
		char c = at[i] == '\n' ? ' ' : at[i];
		if (c == ' ' && (w == 0 || text[w - 1] == ' '))
			continue;
		text[w++] = c;
	}
	while (w > 0 && text[w - 1] == ' ')
		w--;
	text[w] = '\0';
	json_t *v = json_string(text);
	free(text);
	return v;
}

static void html_count(FILE *out, const char *cls, long long n, const char *what)
{
	fprintf(out, "<li%s%s%s><b>%lld</b>", cls ? " class=\"" : "", cls ? cls : "",
		cls ? "\"" : "", n);
	html_escape(out, what);
	fputs("</li>\n", out);
}

static int html_end_audit(struct audit_out *o, const json_t *s)
{
	struct html_state *st = o->state;
	if (st == NULL) {
		fprintf(stderr, "admitd audit: out of memory\n");
		return -1;
	}
	FILE *out = o->out;
	int rc = 0;
	if (st->rows != NULL && fclose(st->rows) != 0)
		st->failed = true;
	st->rows = NULL;
	if (st->failed || html_begin(out, "admitd audit",
				     "what the webhook would do to "
				     "these objects, with the same policies") < 0) {
		fprintf(stderr, "admitd audit: out of memory while writing the page\n");
		rc = -1;
		goto done;
	}
	fputs("<section id=\"summary\">\n<ul class=\"counts\">\n", out);
	html_count(out, "deny", out_int(s, "wouldDeny"), "would be denied");
	html_count(out, NULL, out_int(s, "violations"), "violations");
	html_count(out, NULL, out_int(s, "judged"), "objects judged");
	if (out_int(s, "entries") != out_int(s, "judged"))
		html_count(out, NULL, out_int(s, "entries"),
			   "entries (owned objects with their controller's findings folded)");
	html_count(out, NULL, out_int(s, "exempt"), "exempt");
	fputs("</ul>\n", out);
	html_bars(out, "Violations by policy", json_object_get(s, "byPolicy"), "violations");
	html_bars(out, "Violations by namespace", json_object_get(s, "byNamespace"), "violations");
	html_notes(out, "Input errors", json_object_get(s, "errors"));
	html_notes(out, "Not listed (audit incomplete)", json_object_get(s, "notListed"));
	html_notes(out, "Read once (reached again through a link)", json_object_get(s, "ignored"));
	fputs("</section>\n", out);
	html_table(out, "findings", "Findings", st->shown, st->total,
		   "For all of them: admitd audit --output json (or table).");
	/* the fix of each policy that is on, from its page; the script looks it up */
	json_t *fixes = json_object();
	struct out_policy p;
	for (size_t i = 0; out_policy_at(o->run->cfg, i, &p); i++) {
		json_t *fix = html_fix(p.doc);
		if (fix != NULL)
			json_object_set_new(fixes, p.desc->id, fix);
	}
	html_data_begin(out);
	fputs("{\"maps\":{\"fixes\":", out);
	if (html_json(out, fixes) < 0)
		rc = -1;
	json_decref(fixes);
	fputs("},\"tables\":[{\"id\":\"findings\",\"columns\":[\"Namespace\",\"Workload\","
	      "\"Container\",\"Policy\",\"Action\",\"Message\"],\"derived\":[{\"name\":\"Fix\","
	      "\"from\":3,\"map\":\"fixes\"}],\"rows\":[",
	      out);
	if (st->text != NULL)
		fwrite(st->text, 1, st->len, out);
	fputs("]}]}", out);
	html_end(out);
done:
	free(st->text);
	free(st);
	o->state = NULL;
	return rc;
}

const struct audit_format audit_formats[] = {
	{"table", "one row per violation, then counts", false, table_begin, table_entry, table_end,
	 NULL},
	{"json", "{results, summary}, for scripts", false, json_begin, json_entry, json_end, NULL},
	{"policyreport", "wgpolicyk8s.io/v1alpha2 PolicyReports, one per namespace", true,
	 report_begin, report_entry, report_end, &report_wgpolicy},
	{"openreports", "openreports.io/v1alpha1 Reports, one per namespace", true, report_begin,
	 report_entry, report_end, &report_openreports},
	{"sarif", "SARIF 2.1.0, for code scanning", false, sarif_begin, sarif_entry, sarif_end,
	 NULL},
	{"junit", "JUnit XML, a suite per object and a case per policy", false, junit_begin,
	 junit_entry, junit_end, NULL},
	{"html", "one self-contained HTML page: summary, charts, a sortable table", false,
	 html_begin_audit, html_entry_audit, html_end_audit, NULL},
};
const size_t audit_nformats = sizeof(audit_formats) / sizeof(audit_formats[0]);

const struct audit_format *audit_format_find(const char *name)
{
	for (size_t i = 0; i < audit_nformats; i++)
		if (strcmp(audit_formats[i].name, name) == 0)
			return &audit_formats[i];
	return NULL;
}
