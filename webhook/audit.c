/*
 * audit.c: `admitd audit`. Reads what users have (kubectl get -o json|yaml
 * Lists, multi-document manifests, single objects), judges every Pod and
 * workload with engine_evaluate() exactly as the webhook would on CREATE,
 * and reports as a table, a JSON document, or PolicyReports.
 *
 * Nothing is silently skipped: objects that are not judged are counted by
 * kind, and every file that does not parse is reported with its path and
 * line while the rest is still audited.
 */
#include "audit.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../policies/registry.h"
#include "cluster.h"
#include "engine.h"
#include "kinds.h"
#include "readall.h"
#include "workload.h"
#include "yamljson.h"

#define AUDIT_MAX_FILE (64u << 20)

void audit_init(struct audit_run *run, const struct admitd_config *cfg)
{
	memset(run, 0, sizeof(*run));
	run->cfg = cfg;
	run->objects = json_array();
	run->netpols = json_object();
	run->skipped = json_object();
	run->results = json_array();
	run->no_netpols = json_array();
	run->warnings = json_array();
}

void audit_free(struct audit_run *run)
{
	cluster_close(run->cluster);
	run->cluster = NULL;
	json_decref(run->objects);
	json_decref(run->netpols);
	json_decref(run->skipped);
	json_decref(run->results);
	json_decref(run->no_netpols);
	json_decref(run->warnings);
	if (run->arena != NULL) {
		arena_free(run->arena);
		free(run->arena);
	}
	for (size_t i = 0; i < run->nerrors; i++) {
		free(run->errors[i].source);
		free(run->errors[i].message);
	}
	free(run->errors);
	memset(run, 0, sizeof(*run));
}

void audit_add_error(struct audit_run *run, const char *source, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct audit_error *n = realloc(run->errors, (run->nerrors + 1) * sizeof(*n));
	if (n == NULL)
		return;
	run->errors = n;
	n[run->nerrors].source = strdup(source);
	n[run->nerrors].line = line;
	n[run->nerrors].message = strdup(msg);
	run->nerrors++;
}

void audit_add_warning(struct audit_run *run, const char *source, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(run->warnings,
			      json_pack("{s:s,s:s}", "source", source, "message", msg));
	fprintf(stderr, "admitd audit: warning: %s: %s\n", source, msg);
}

static const char *audit_str(const json_t *obj, const char *path)
{
	const char *s = NULL;
	return jp_string(obj, path, &s) == JP_OK ? s : NULL;
}

void audit_add_object(struct audit_run *run, const char *source, json_t *obj)
{
	if (!json_is_object(obj)) {
		audit_add_error(run, source, 0, "a document is not an object");
		return;
	}
	const char *kind = audit_str(obj, "kind");
	const json_t *items = json_object_get(obj, "items");
	if (kind != NULL && strlen(kind) >= 4 && strcmp(kind + strlen(kind) - 4, "List") == 0 &&
	    json_is_array(items)) {
		size_t i;
		json_t *item;
		json_array_foreach(items, i, item)
		{
			/* kubectl get -o json drops kind from items of a typed list */
			if (json_is_object(item) && json_object_get(item, "kind") == NULL &&
			    strcmp(kind, "List") != 0) {
				char k[128];
				snprintf(k, sizeof(k), "%.*s", (int)(strlen(kind) - 4), kind);
				json_object_set_new(item, "kind", json_string(k));
			}
			audit_add_object(run, source, item);
		}
		return;
	}
	if (kind == NULL) {
		audit_add_error(run, source, 0, "an object without a kind");
		return;
	}
	if (strcmp(kind, "NetworkPolicy") == 0) {
		const char *ns = audit_str(obj, "metadata.namespace");
		ns = ns != NULL ? ns : "default";
		json_t *list = json_object_get(run->netpols, ns);
		if (list == NULL) {
			list = json_array();
			json_object_set_new(run->netpols, ns, list);
		}
		json_array_append(list, obj);
		run->saw_netpols = true;
	}
	/* by API group too, as the webhook: an example.com/v1 Deployment is a CRD */
	const struct kind_desc *kd = kinds_find(kind);
	const char *av = audit_str(obj, "apiVersion");
	char group[256];
	const char *g = NULL;
	if (av != NULL) {
		const char *slash = strchr(av, '/');
		snprintf(group, sizeof(group), "%.*s", slash != NULL ? (int)(slash - av) : 0, av);
		g = group;
	}
	if (kd == NULL || !kinds_group_ok(kd, g)) {
		char key[400];
		if (kd != NULL)
			snprintf(key, sizeof(key), "%s (%s)", kind, av);
		else
			snprintf(key, sizeof(key), "%s", kind);
		json_t *c = json_object_get(run->skipped, key);
		json_object_set_new(run->skipped, key,
				    json_integer(c != NULL ? json_integer_value(c) + 1 : 1));
		return;
	}
	json_t *rec = json_pack("{s:O,s:s}", "object", obj, "source", source);
	if (rec != NULL)
		json_array_append_new(run->objects, rec);
}

/* Adds each element of an array (documents, or a JSON array of objects); takes the reference. */
static void audit_add_all(struct audit_run *run, const char *source, json_t *docs)
{
	size_t k;
	json_t *o;
	json_array_foreach(docs, k, o) audit_add_object(run, source, o);
	json_decref(docs);
}

void audit_add_buffer(struct audit_run *run, const char *source, const char *buf, size_t len)
{
	size_t i = 0;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
		i++;
	if (i == len)
		return; /* an empty file holds nothing */
	json_error_t jerr;
	bool looks_json = buf[i] == '{' || buf[i] == '[';
	json_t *doc = looks_json ? json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
	if (doc != NULL) {
		if (json_is_array(doc))
			audit_add_all(run, source, doc);
		else {
			audit_add_object(run, source, doc);
			json_decref(doc);
		}
		return;
	}
	/* YAML, or a YAML stream of JSON-style documents */
	struct yamljson_error yerr;
	json_t *docs = yamljson_load(buf, len, &yerr);
	if (docs == NULL) {
		if (looks_json)
			audit_add_error(run, source, jerr.line, "invalid JSON: %s", jerr.text);
		else
			audit_add_error(run, source, yerr.line, "invalid YAML: %s", yerr.text);
		return;
	}
	audit_add_all(run, source, docs);
}

static void audit_add_file(struct audit_run *run, const char *path, FILE *f)
{
	size_t len;
	char *buf, why[256];
	if (readall_stream(f, AUDIT_MAX_FILE, &buf, &len, why, sizeof(why)) < 0) {
		audit_add_error(run, path, 0, "%s", why);
		return;
	}
	audit_add_buffer(run, path, buf, len);
	free(buf);
}

static bool audit_wanted_name(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot != NULL &&
	       (strcmp(dot, ".json") == 0 || strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0);
}

void audit_add_path(struct audit_run *run, const char *path)
{
	if (strcmp(path, "-") == 0) {
		audit_add_file(run, "<stdin>", stdin);
		return;
	}
	struct stat st;
	if (stat(path, &st) != 0) {
		audit_add_error(run, path, 0, "cannot read: %s", strerror(errno));
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent **names = NULL;
		int n = scandir(path, &names, NULL, alphasort);
		if (n < 0) {
			audit_add_error(run, path, 0, "cannot list: %s", strerror(errno));
			return;
		}
		for (int i = 0; i < n; i++) {
			const char *name = names[i]->d_name;
			if (name[0] != '.') {
				char child[4096];
				snprintf(child, sizeof(child), "%s/%s", path, name);
				struct stat cs;
				if (stat(child, &cs) == 0 &&
				    (S_ISDIR(cs.st_mode) || audit_wanted_name(name)))
					audit_add_path(run, child);
			}
			free(names[i]);
		}
		free(names);
		return;
	}
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		audit_add_error(run, path, 0, "cannot open: %s", strerror(errno));
		return;
	}
	audit_add_file(run, path, f);
	fclose(f);
}

/* ---- judging ---- */

/* Judges one object into a result record {kind, namespace, name, allowed, violations}. */
static json_t *audit_judge(struct audit_run *run, const json_t *obj, struct arena *a)
{
	const char *kind = audit_str(obj, "kind");
	const char *ns = audit_str(obj, "metadata.namespace");
	const char *name = audit_str(obj, "metadata.name");
	struct engine_input in = {
		.kind = kind,
		.operation = "CREATE",
		.namespace = ns,
		.name = name,
		.object = obj,
	};
	if (run->saw_netpols) {
		in.network_policies = json_object_get(run->netpols, ns != NULL ? ns : "default");
		if (in.network_policies == NULL)
			in.network_policies = run->no_netpols; /* known: the namespace has none */
	}
	struct engine_verdict v;
	engine_evaluate(run->cfg, &in, a, &v);
	json_t *viol = json_array();
	for (const struct violation *x = v.violations; x != NULL; x = x->next)
		json_array_append_new(
			viol,
			json_pack("{s:s,s:s,s:o,s:s}", "policy", x->policy->id, "action",
				  policy_action_name(x->action), "container",
				  x->container ? json_string(x->container->name) : json_null(),
				  "message", x->message));
	if (v.error != NULL)
		json_array_append_new(viol,
				      json_pack("{s:s,s:s,s:n,s:s}", "policy", "admitd", "action",
						"deny", "container", "message", v.error));
	bool would_deny = v.ndeny > 0 || v.error != NULL;
	json_t *rec = json_pack("{s:s,s:o,s:o,s:b,s:o}", "kind", kind ? kind : "", "namespace",
				ns ? json_string(ns) : json_null(), "name",
				name ? json_string(name) : json_null(), "allowed", !would_deny,
				"violations", viol);
	const char *api = audit_str(obj, "apiVersion");
	const char *uid = audit_str(obj, "metadata.uid");
	if (api != NULL)
		json_object_set_new(rec, "apiVersion", json_string(api));
	if (uid != NULL)
		json_object_set_new(rec, "uid", json_string(uid));
	if (v.exemptions != NULL && v.exemptions->policy == NULL)
		json_object_set_new(rec, "exempt", json_string(v.exemptions->reason));
	/* what folding pods into their controllers needs, without the object */
	char key[600];
	snprintf(key, sizeof(key), "%s/%s/%s", ns ? ns : "", kind ? kind : "", name ? name : "");
	json_object_set_new(rec, "_name", json_string(key));
	if (uid != NULL)
		json_object_set_new(rec, "_uid", json_string(uid));
	size_t i;
	const json_t *ref;
	json_array_foreach(jp_get(obj, "metadata.ownerReferences"), i, ref)
	{
		if (!json_is_true(json_object_get(ref, "controller")))
			continue;
		snprintf(key, sizeof(key), "%s/%s/%s", ns ? ns : "", audit_str(ref, "kind") ?: "",
			 audit_str(ref, "name") ?: "");
		json_object_set_new(rec, "_owner", json_string(key));
		if (audit_str(ref, "uid") != NULL)
			json_object_set_new(rec, "_owner_uid", json_string(audit_str(ref, "uid")));
		break;
	}
	arena_reset(a);
	return rec;
}

void audit_judge_object(struct audit_run *run, const char *source, const json_t *obj)
{
	if (run->arena == NULL) {
		run->arena = malloc(sizeof(*run->arena));
		if (run->arena == NULL)
			return;
		arena_init(run->arena);
	}
	json_t *r = audit_judge(run, obj, run->arena);
	if (r == NULL)
		return;
	json_object_set_new(r, "source", json_string(source));
	json_array_append_new(run->results, r);
}

/* The index of the result's controller among the results, or -1. */
static int audit_owner(const json_t *index, const json_t *r)
{
	const json_t *at = NULL;
	if (json_object_get(r, "_owner_uid") != NULL)
		at = json_object_get(index, json_string_value(json_object_get(r, "_owner_uid")));
	if (at == NULL && json_object_get(r, "_owner") != NULL)
		at = json_object_get(index, json_string_value(json_object_get(r, "_owner")));
	return at != NULL ? (int)json_integer_value(at) : -1;
}

/*
 * Judges what is pending, then folds every result whose controller is
 * also in the input into the top-most controller: a Deployment's
 * ReplicaSets and Pods share its template, so they are reported once,
 * with the number of pods affected.
 */
static json_t *audit_results(struct audit_run *run)
{
	size_t i;
	json_t *rec;
	json_array_foreach(run->objects, i, rec)
		audit_judge_object(run, json_string_value(json_object_get(rec, "source")),
				   json_object_get(rec, "object"));
	json_array_clear(run->objects);

	size_t n = json_array_size(run->results);
	json_t *index = json_object();
	json_array_foreach(run->results, i, rec)
	{
		json_object_set_new(index, json_string_value(json_object_get(rec, "_name")),
				    json_integer((json_int_t)i));
		if (json_object_get(rec, "_uid") != NULL)
			json_object_set_new(index, json_string_value(json_object_get(rec, "_uid")),
					    json_integer((json_int_t)i));
	}
	int *top = calloc(n ? n : 1, sizeof(int));
	size_t *pods = calloc(n ? n : 1, sizeof(size_t));
	json_t *results = json_array();
	if (top == NULL || pods == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		int cur = (int)i;
		for (int hops = 0; hops < 8; hops++) {
			int up = audit_owner(index, json_array_get(run->results, (size_t)cur));
			if (up < 0 || up == cur)
				break;
			cur = up;
		}
		top[i] = cur;
		const char *kind =
			json_string_value(json_object_get(json_array_get(run->results, i), "kind"));
		if (cur != (int)i && kind != NULL && strcmp(kind, "Pod") == 0)
			pods[cur]++;
	}
	for (i = 0; i < n; i++) {
		if (top[i] != (int)i)
			continue;
		json_t *r = json_copy(json_array_get(run->results, i));
		json_object_del(r, "_name");
		json_object_del(r, "_uid");
		json_object_del(r, "_owner");
		json_object_del(r, "_owner_uid");
		if (pods[i] > 0)
			json_object_set_new(r, "podsAffected", json_integer((json_int_t)pods[i]));
		json_array_append_new(results, r);
	}
out:
	free(top);
	free(pods);
	json_decref(index);
	return results;
}

static json_t *audit_summary(struct audit_run *run, const json_t *results, size_t *would_deny)
{
	json_t *by_policy = json_object(), *by_ns = json_object();
	size_t nviol = 0;
	*would_deny = 0;
	size_t i;
	json_t *r;
	json_array_foreach(results, i, r)
	{
		if (json_is_false(json_object_get(r, "allowed")))
			(*would_deny)++;
		const char *ns = json_string_value(json_object_get(r, "namespace"));
		size_t k;
		json_t *v;
		json_array_foreach(json_object_get(r, "violations"), k, v)
		{
			nviol++;
			const char *p = json_string_value(json_object_get(v, "policy"));
			json_t *c = json_object_get(by_policy, p);
			json_object_set_new(by_policy, p,
					    json_integer(c ? json_integer_value(c) + 1 : 1));
			const char *key = ns != NULL ? ns : "(none)";
			c = json_object_get(by_ns, key);
			json_object_set_new(by_ns, key,
					    json_integer(c ? json_integer_value(c) + 1 : 1));
		}
	}
	json_t *errors = json_array();
	for (size_t e = 0; e < run->nerrors; e++)
		json_array_append_new(
			errors, json_pack("{s:s,s:i,s:s}", "source", run->errors[e].source, "line",
					  run->errors[e].line, "message", run->errors[e].message));
	return json_pack("{s:I,s:I,s:I,s:O,s:o,s:o,s:o,s:O}", "judged",
			 (json_int_t)json_array_size(results), "wouldDeny", (json_int_t)*would_deny,
			 "violations", (json_int_t)nviol, "skipped", run->skipped, "byPolicy",
			 by_policy, "byNamespace", by_ns, "errors", errors, "notListed",
			 run->warnings);
}

/* ---- output ---- */

static const char *audit_or(const json_t *v, const char *dflt)
{
	return json_is_string(v) ? json_string_value(v) : dflt;
}

static void audit_print_table(FILE *out, const json_t *results, const json_t *summary)
{
	fprintf(out, "%-16s %-12s %-28s %-16s %-26s %-6s %s\n", "NAMESPACE", "KIND", "NAME",
		"CONTAINER", "POLICY", "ACTION", "MESSAGE");
	size_t i;
	json_t *r;
	json_array_foreach(results, i, r)
	{
		size_t k;
		json_t *v;
		json_t *pods = json_object_get(r, "podsAffected");
		json_array_foreach(json_object_get(r, "violations"), k, v)
		{
			fprintf(out, "%-16s %-12s %-28s %-16s %-26s %-6s %s",
				audit_or(json_object_get(r, "namespace"), "-"),
				audit_or(json_object_get(r, "kind"), "-"),
				audit_or(json_object_get(r, "name"), "-"),
				audit_or(json_object_get(v, "container"), "-"),
				audit_or(json_object_get(v, "policy"), "-"),
				audit_or(json_object_get(v, "action"), "-"),
				audit_or(json_object_get(v, "message"), ""));
			if (pods != NULL)
				fprintf(out, " (%lld pods)", (long long)json_integer_value(pods));
			fputc('\n', out);
		}
	}
	fprintf(out, "\nSummary: %lld objects judged, %lld would be denied, %lld violations\n",
		(long long)json_integer_value(json_object_get(summary, "judged")),
		(long long)json_integer_value(json_object_get(summary, "wouldDeny")),
		(long long)json_integer_value(json_object_get(summary, "violations")));
	const char *key;
	json_t *val;
	if (json_object_size(json_object_get(summary, "byPolicy")) > 0) {
		fprintf(out, "\nBy policy:\n");
		json_object_foreach(json_object_get(summary, "byPolicy"), key, val)
			fprintf(out, "  %-30s %lld\n", key, (long long)json_integer_value(val));
		fprintf(out, "\nBy namespace:\n");
		json_object_foreach(json_object_get(summary, "byNamespace"), key, val)
			fprintf(out, "  %-30s %lld\n", key, (long long)json_integer_value(val));
	}
	if (json_object_size(json_object_get(summary, "skipped")) > 0) {
		fprintf(out, "\nNot judged (not a pod or workload):\n");
		json_object_foreach(json_object_get(summary, "skipped"), key, val)
			fprintf(out, "  %-30s %lld\n", key, (long long)json_integer_value(val));
	}
	size_t e;
	json_t *err;
	json_array_foreach(json_object_get(summary, "notListed"), e, err)
	{
		if (e == 0)
			fprintf(out, "\nNot listed (reported, audit incomplete):\n");
		fprintf(out, "  %s: %s\n", json_string_value(json_object_get(err, "source")),
			json_string_value(json_object_get(err, "message")));
	}
	json_array_foreach(json_object_get(summary, "errors"), e, err)
	{
		if (e == 0)
			fprintf(out, "\nInput errors:\n");
		fprintf(out, "  %s:%lld: %s\n", json_string_value(json_object_get(err, "source")),
			(long long)json_integer_value(json_object_get(err, "line")),
			json_string_value(json_object_get(err, "message")));
	}
}

static const char *audit_result_word(const char *action)
{
	if (strcmp(action, "deny") == 0)
		return "fail";
	return "warn"; /* warn and audit: allowed, but worth a look */
}

static const char *audit_severity(const char *action)
{
	return strcmp(action, "deny") == 0   ? "high"
	       : strcmp(action, "warn") == 0 ? "medium"
					     : "low";
}

/* One PolicyReport per namespace, a ClusterPolicyReport for objects without one. */
static json_t *audit_policyreports(const json_t *results)
{
	json_t *reports = json_object(); /* namespace ("" = cluster) -> report */
	long long now = (long long)time(NULL);
	size_t i;
	json_t *r;
	json_array_foreach(results, i, r)
	{
		const char *ns = audit_or(json_object_get(r, "namespace"), "");
		json_t *rep = json_object_get(reports, ns);
		if (rep == NULL) {
			char name[300];
			snprintf(name, sizeof(name), "admitd-%s", ns[0] ? ns : "cluster");
			rep = json_pack("{s:s,s:s,s:{s:s,s:{s:s}},s:{s:i,s:i,s:i,s:i,s:i},s:[]}",
					"apiVersion", "wgpolicyk8s.io/v1alpha2", "kind",
					ns[0] ? "PolicyReport" : "ClusterPolicyReport", "metadata",
					"name", name, "labels", "app.kubernetes.io/managed-by",
					"admitd", "summary", "pass", 0, "fail", 0, "warn", 0,
					"error", 0, "skip", 0, "results");
			if (ns[0])
				json_object_set_new(json_object_get(rep, "metadata"), "namespace",
						    json_string(ns));
			json_object_set_new(reports, ns, rep);
		}
		json_t *resource =
			json_pack("{s:s,s:s}", "kind", audit_or(json_object_get(r, "kind"), ""),
				  "name", audit_or(json_object_get(r, "name"), ""));
		if (ns[0])
			json_object_set_new(resource, "namespace", json_string(ns));
		if (json_object_get(r, "apiVersion"))
			json_object_set(resource, "apiVersion", json_object_get(r, "apiVersion"));
		if (json_object_get(r, "uid"))
			json_object_set(resource, "uid", json_object_get(r, "uid"));
		json_t *list = json_object_get(rep, "results");
		json_t *sum = json_object_get(rep, "summary");
		const json_t *viol = json_object_get(r, "violations");
		if (json_array_size(viol) == 0) {
			json_array_append_new(
				list,
				json_pack("{s:s,s:s,s:s,s:s,s:b,s:[O],s:{s:I,s:i}}", "source",
					  "admitd", "policy", "admitd", "result", "pass", "message",
					  "no violations", "scored", 1, "resources", resource,
					  "timestamp", "seconds", (json_int_t)now, "nanos", 0));
			json_object_set_new(
				sum, "pass",
				json_integer(json_integer_value(json_object_get(sum, "pass")) + 1));
		}
		size_t k;
		json_t *v;
		json_array_foreach(viol, k, v)
		{
			const char *action = audit_or(json_object_get(v, "action"), "deny");
			const char *word = audit_result_word(action);
			json_t *props = json_pack("{s:s}", "action", action);
			if (json_is_string(json_object_get(v, "container")))
				json_object_set(props, "container",
						json_object_get(v, "container"));
			if (json_object_get(r, "podsAffected"))
				json_object_set_new(
					props, "podsAffected",
					json_sprintf("%lld",
						     (long long)json_integer_value(
							     json_object_get(r, "podsAffected"))));
			json_array_append_new(
				list,
				json_pack("{s:s,s:O,s:s,s:O,s:s,s:b,s:s,s:[O],s:o,s:{s:I,s:i}}",
					  "source", "admitd", "policy",
					  json_object_get(v, "policy"), "result", word, "message",
					  json_object_get(v, "message"), "severity",
					  audit_severity(action), "scored", 1, "category", "admitd",
					  "resources", resource, "properties", props, "timestamp",
					  "seconds", (json_int_t)now, "nanos", 0));
			json_object_set_new(
				sum, word,
				json_integer(json_integer_value(json_object_get(sum, word)) + 1));
		}
		json_decref(resource);
	}
	json_t *items = json_array();
	const char *key;
	json_t *rep;
	json_object_foreach(reports, key, rep) json_array_append(items, rep);
	json_decref(reports);
	return json_pack("{s:s,s:s,s:o}", "apiVersion", "v1", "kind", "List", "items", items);
}

/* ---- --cluster: the Kubernetes client (cluster.c) driven for an audit ---- */

/* Not judged, but listed first: coverage needs them before any workload is judged. */
static const struct kind_desc audit_netpol_kind = {
	"NetworkPolicy", "networking.k8s.io", NULL, "networkpolicies", {"v1", NULL}, NULL,
};

struct audit_page {
	struct audit_run *run;
	const struct kind_desc *kind;
	const char *api_version;
	char source[128];
};

static int audit_take_page(json_t *items, void *arg)
{
	struct audit_page *pg = arg;
	bool netpol = pg->kind == &audit_netpol_kind;
	size_t i;
	json_t *item;
	json_array_foreach(items, i, item)
	{
		if (!json_is_object(item))
			continue;
		/* list items carry neither kind nor apiVersion */
		json_object_set_new(item, "kind", json_string(pg->kind->kind));
		json_object_set_new(item, "apiVersion", json_string(pg->api_version));
		if (netpol)
			audit_add_object(pg->run, pg->source, item);
		else
			audit_judge_object(pg->run, pg->source, item);
	}
	if (netpol)
		pg->run->saw_netpols = true; /* listed: even none at all is knowledge */
	return 0;
}

/* Lists one kind, its newest served version first. Returns 0, or -1 when fatal. */
static int audit_list_kind(struct audit_run *run, const struct kind_desc *k)
{
	struct cluster *c = run->cluster;
	char path[256], api_version[128];
	enum cluster_status st = CLUSTER_NOT_FOUND;
	for (size_t v = 0; k->versions[v] != NULL && st == CLUSTER_NOT_FOUND; v++) {
		kinds_paths(k, k->versions[v], path, sizeof(path), api_version,
			    sizeof(api_version));
		struct audit_page pg = {.run = run, .kind = k, .api_version = api_version};
		snprintf(pg.source, sizeof(pg.source), "cluster:%s", k->kind);
		st = cluster_list(c, path, audit_take_page, &pg);
	}
	switch (st) {
	case CLUSTER_OK:
		return 0;
	case CLUSTER_NOT_FOUND:
	case CLUSTER_REFUSED:
		audit_add_warning(run, cluster_server(c), "cannot list %s (%s): %s", k->kind, path,
				  cluster_error(c));
		return 0;
	case CLUSTER_BAD_REPLY:
		audit_add_error(run, path, 0, "%s", cluster_error(c));
		return 0;
	case CLUSTER_FATAL:
		break;
	}
	fprintf(stderr, "admitd audit: %s\n", cluster_error(c));
	return -1;
}

int audit_cluster(struct audit_run *run, const char *kubeconfig)
{
	char why[600];
	run->cluster = cluster_open(kubeconfig, why, sizeof(why));
	if (run->cluster == NULL) {
		fprintf(stderr, "admitd audit: %s\n", why);
		return -1;
	}
	if (audit_list_kind(run, &audit_netpol_kind) < 0)
		return -1;
	for (size_t i = 0; i < kinds_count; i++)
		if (audit_list_kind(run, &kinds_table[i]) < 0)
			return -1;
	return 0;
}

/* --write-reports: each PolicyReport / ClusterPolicyReport, by server-side apply. */
static int audit_store_reports(struct audit_run *run, const json_t *list)
{
	int rc = 0;
	size_t i;
	const json_t *rep;
	json_array_foreach(json_object_get(list, "items"), i, rep)
	{
		const char *kind = NULL, *name = NULL, *ns = NULL;
		jp_string(rep, "kind", &kind);
		jp_string(rep, "metadata.name", &name);
		jp_string(rep, "metadata.namespace", &ns);
		if (name == NULL) {
			fprintf(stderr,
				"admitd audit: a report without metadata.name was not stored\n");
			rc = -1;
			continue;
		}
		char path[1024];
		if (kind != NULL && strcmp(kind, "PolicyReport") == 0 && ns != NULL)
			snprintf(path, sizeof(path),
				 "/apis/wgpolicyk8s.io/v1alpha2/namespaces/%s/policyreports/%s", ns,
				 name);
		else
			snprintf(path, sizeof(path),
				 "/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/%s", name);
		char *body = json_dumps(rep, JSON_COMPACT);
		if (body == NULL) {
			fprintf(stderr, "admitd audit: out of memory while storing reports\n");
			return -1;
		}
		if (cluster_apply(run->cluster, path, body) < 0) {
			fprintf(stderr, "admitd audit: storing %s %s%s%s: %s\n", kind ? kind : "",
				ns ? ns : "", ns ? "/" : "", name, cluster_error(run->cluster));
			rc = -1;
		}
		free(body);
	}
	return rc;
}

int audit_report(struct audit_run *run, enum audit_format format, FILE *out)
{
	bool write_failed = false;
	json_t *results = audit_results(run);
	size_t would_deny = 0;
	json_t *summary = audit_summary(run, results, &would_deny);
	switch (format) {
	case AUDIT_TABLE:
		audit_print_table(out, results, summary);
		break;
	case AUDIT_JSON: {
		json_t *doc = json_pack("{s:O,s:O}", "results", results, "summary", summary);
		json_dumpf(doc, out, JSON_INDENT(2));
		fputc('\n', out);
		json_decref(doc);
		break;
	}
	case AUDIT_POLICYREPORT: {
		json_t *doc = audit_policyreports(results);
		json_dumpf(doc, out, JSON_INDENT(2));
		fputc('\n', out);
		if (run->write_reports && audit_store_reports(run, doc) < 0)
			write_failed = true;
		json_decref(doc);
		break;
	}
	}
	/* input errors also go to stderr, where a pipeline's user sees them */
	for (size_t e = 0; e < run->nerrors; e++) {
		if (run->errors[e].line > 0)
			fprintf(stderr, "%s:%d: %s\n", run->errors[e].source, run->errors[e].line,
				run->errors[e].message);
		else
			fprintf(stderr, "%s: %s\n", run->errors[e].source, run->errors[e].message);
	}
	json_decref(results);
	json_decref(summary);
	if (run->nerrors > 0 || write_failed)
		return 2;
	return would_deny > 0 ? 1 : 0;
}

/* ---- the command ---- */

int audit_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"output", required_argument, NULL, 'o'},
		{"cluster", no_argument, NULL, 'C'},
		{"kubeconfig", required_argument, NULL, 'k'},
		{"write-reports", no_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config_path = NULL, *output = NULL, *kubeconfig = NULL;
	bool cluster = false, write_reports = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:o:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'C':
			cluster = true;
			break;
		case 'k':
			kubeconfig = optarg;
			break;
		case 'w':
			write_reports = true;
			break;
		case 'h':
			printf("usage: admitd audit [--config FILE] [--output table|json|policyreport] "
			       "PATH...\n       admitd audit --cluster [--kubeconfig FILE] [--output policyreport "
			       "[--write-reports]] [...]\n");
			return 0;
		default:
			return 2;
		}
	}
	enum audit_format format = isatty(STDOUT_FILENO) ? AUDIT_TABLE : AUDIT_JSON;
	if (output != NULL) {
		if (strcmp(output, "table") == 0)
			format = AUDIT_TABLE;
		else if (strcmp(output, "json") == 0)
			format = AUDIT_JSON;
		else if (strcmp(output, "policyreport") == 0)
			format = AUDIT_POLICYREPORT;
		else {
			fprintf(stderr,
				"admitd audit: --output must be table, json or policyreport\n");
			return 2;
		}
	}
	if (write_reports && (!cluster || format != AUDIT_POLICYREPORT)) {
		fprintf(stderr, "admitd audit: --write-reports goes with --cluster --output "
				"policyreport\n");
		return 2;
	}
	if (!cluster && optind >= argc) {
		fprintf(stderr, "admitd audit: name at least one PATH (a file, a directory or -), "
				"or --cluster\n");
		return 2;
	}
	struct yamlconf_errors errs = {0};
	struct admitd_config *cfg = config_load_or_default(config_path, &errs);
	for (size_t i = 0; i < errs.count; i++)
		fprintf(stderr, "%s\n", errs.lines[i]);
	yamlconf_errors_free(&errs);
	if (cfg == NULL)
		return 2;
	struct audit_run run;
	audit_init(&run, cfg);
	run.write_reports = write_reports;
	for (int i = optind; i < argc; i++)
		audit_add_path(&run, argv[i]);
	if (cluster && audit_cluster(&run, kubeconfig) < 0) {
		audit_free(&run);
		config_unref(cfg);
		return 2;
	}
	int rc = audit_report(&run, format, stdout);
	audit_free(&run);
	config_unref(cfg);
	return rc;
}
