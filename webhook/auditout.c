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

#include "audit.h"
#include "cluster.h"

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

static void table_notes(FILE *out, const char *title, const json_t *notes)
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
	table_notes(o->out,
		    "Read once (reached again through a link):", json_object_get(s, "ignored"));
	table_notes(o->out,
		    "Not listed (reported, audit incomplete):", json_object_get(s, "notListed"));
	table_notes(o->out, "Input errors:", json_object_get(s, "errors"));
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

/* ---- policyreport: wgpolicyk8s.io/v1alpha2, one report per namespace ---- */

struct report_state {
	json_t *report; /* the namespace's report being filled */
	char *ns;       /* its namespace, "" for the cluster */
	bool first;
	bool store_failed;
	long long now;
};

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

/* --write-reports: server-side apply, so reruns replace what they wrote */
static int report_store(struct audit_run *run, const json_t *rep)
{
	const char *kind = out_str(rep, "kind", ""), *ns = NULL, *name = NULL;
	jp_string(rep, "metadata.name", &name);
	jp_string(rep, "metadata.namespace", &ns);
	char path[1024];
	if (strcmp(kind, "PolicyReport") == 0 && ns != NULL)
		snprintf(path, sizeof(path),
			 "/apis/wgpolicyk8s.io/v1alpha2/namespaces/%s/policyreports/%s", ns, name);
	else
		snprintf(path, sizeof(path),
			 "/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/%s", name);
	char *body = json_dumps(rep, JSON_COMPACT);
	if (body == NULL) {
		fprintf(stderr, "admitd audit: out of memory while storing reports\n");
		return -1;
	}
	int rc = cluster_apply(run->cluster, path, body);
	if (rc < 0)
		fprintf(stderr, "admitd audit: storing %s %s%s%s: %s\n", kind, ns ? ns : "",
			ns ? "/" : "", name, cluster_error(run->cluster));
	free(body);
	return rc;
}

static void report_flush(struct audit_out *o)
{
	struct report_state *st = o->state;
	if (st->report == NULL)
		return;
	fputs(st->first ? "\n    " : ",\n    ", o->out);
	st->first = false;
	out_dump_at(o->out, st->report, 2);
	if (o->run->write_reports && report_store(o->run, st->report) < 0)
		st->store_failed = true;
	json_decref(st->report);
	st->report = NULL;
	free(st->ns);
	st->ns = NULL;
}

static void report_begin(struct audit_out *o)
{
	struct report_state *st = calloc(1, sizeof(*st));
	o->state = st;
	if (st != NULL) {
		st->first = true;
		st->now = (long long)time(NULL);
	}
	fputs("{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": [", o->out);
}

static json_t *report_new(const char *ns)
{
	char name[300];
	snprintf(name, sizeof(name), "admitd-%s", ns[0] ? ns : "cluster");
	json_t *rep = json_pack("{s:s,s:s,s:{s:s,s:{s:s}},s:{s:i,s:i,s:i,s:i,s:i},s:[]}",
				"apiVersion", "wgpolicyk8s.io/v1alpha2", "kind",
				ns[0] ? "PolicyReport" : "ClusterPolicyReport", "metadata", "name",
				name, "labels", "app.kubernetes.io/managed-by", "admitd", "summary",
				"pass", 0, "fail", 0, "warn", 0, "error", 0, "skip", 0, "results");
	if (rep != NULL && ns[0])
		json_object_set_new(json_object_get(rep, "metadata"), "namespace", json_string(ns));
	return rep;
}

static void report_bump(json_t *rep, const char *word)
{
	json_t *sum = json_object_get(rep, "summary");
	json_object_set_new(sum, word,
			    json_integer(json_integer_value(json_object_get(sum, word)) + 1));
}

static void report_entry(struct audit_out *o, const json_t *r)
{
	struct report_state *st = o->state;
	if (st == NULL)
		return;
	const char *ns = out_str(r, "namespace", "");
	if (st->ns != NULL && strcmp(st->ns, ns) != 0)
		report_flush(o);
	if (st->report == NULL) {
		st->report = report_new(ns);
		st->ns = strdup(ns);
	}
	json_t *resource = json_pack("{s:s,s:s}", "kind", out_str(r, "kind", ""), "name",
				     out_str(r, "name", ""));
	if (ns[0])
		json_object_set_new(resource, "namespace", json_string(ns));
	if (json_object_get(r, "apiVersion"))
		json_object_set(resource, "apiVersion", json_object_get(r, "apiVersion"));
	if (json_object_get(r, "uid"))
		json_object_set(resource, "uid", json_object_get(r, "uid"));
	json_t *list = json_object_get(st->report, "results");
	const json_t *viol = json_object_get(r, "violations");
	if (json_array_size(viol) == 0) {
		bool exempt = json_object_get(r, "exempt") != NULL;
		json_t *res =
			json_pack("{s:s,s:s,s:s,s:s,s:b,s:[O],s:{s:I,s:i}}", "source", "admitd",
				  "policy", "admitd", "result", exempt ? "skip" : "pass", "message",
				  exempt ? out_str(r, "exempt", "") : "no violations", "scored", 1,
				  "resources", resource, "timestamp", "seconds",
				  (json_int_t)st->now, "nanos", 0);
		json_array_append_new(list, res);
		report_bump(st->report, exempt ? "skip" : "pass");
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
		json_array_append_new(
			list,
			json_pack("{s:s,s:O,s:s,s:O,s:s,s:b,s:s,s:[O],s:o,s:{s:I,s:i}}", "source",
				  "admitd", "policy", json_object_get(v, "policy"), "result", word,
				  "message", json_object_get(v, "message"), "severity",
				  report_severity(action), "scored", 1, "category", "admitd",
				  "resources", resource, "properties", props, "timestamp",
				  "seconds", (json_int_t)st->now, "nanos", 0));
		report_bump(st->report, word);
	}
	json_decref(resource);
}

static int report_end(struct audit_out *o, const json_t *summary)
{
	(void)summary;
	struct report_state *st = o->state;
	if (st == NULL) {
		fprintf(stderr, "admitd audit: out of memory\n");
		return -1;
	}
	report_flush(o);
	fputs(st->first ? "]\n}\n" : "\n  ]\n}\n", o->out);
	int rc = st->store_failed ? -1 : 0;
	free(st);
	o->state = NULL;
	return rc;
}

const struct audit_format audit_formats[] = {
	{"table", "one row per violation, then counts", false, table_begin, table_entry, table_end},
	{"json", "{results, summary}, for scripts", false, json_begin, json_entry, json_end},
	{"policyreport", "wgpolicyk8s.io/v1alpha2 PolicyReports, one per namespace", true,
	 report_begin, report_entry, report_end},
};
const size_t audit_nformats = sizeof(audit_formats) / sizeof(audit_formats[0]);

const struct audit_format *audit_format_find(const char *name)
{
	for (size_t i = 0; i < audit_nformats; i++)
		if (strcmp(audit_formats[i].name, name) == 0)
			return &audit_formats[i];
	return NULL;
}
