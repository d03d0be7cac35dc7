/*
 * suite.c: `admitd test PATH...`: policy test suites, so platform teams
 * prove a configuration before they roll it out.
 *
 *   config: admitd.yaml          # relative to the suite; "default" = built-in
 *   cases:
 *     - name: privileged init container is denied
 *       file: pods/privileged.yaml   # or `object:` inline
 *       expect: deny                 # allow | deny | warn
 *       policies: [privileged]       # each must be among the violations
 *       messages: ['container "setup"']  # each must appear in a violation
 *       namespace: team-a            # optional: default from the object, else "default"
 *       user: alice                  # optional, with groups: [...]
 *       operation: CREATE            # optional; UPDATE when an old object is given
 *       oldFile: pods/before.yaml    # or `oldObject:` inline: the object before an UPDATE
 *
 * `allow` means allowed with no warning; `warn` allowed with at least one
 * warning; `deny` denied. Each case prints `ok` or `FAIL` with what
 * differed, then `N passed, N failed`; exit 1 on any failure, 2 when a
 * suite itself cannot be read.
 */
#include "suite.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "yamljson.h"

struct suite_counts {
	unsigned passed, failed, broken;
};

static char *suite_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *buf = NULL;
	size_t cap = 0;
	*len = 0;
	for (;;) {
		if (cap - *len < 4096) {
			if (cap > (64u << 20)) {
				free(buf);
				fclose(f);
				return NULL;
			}
			char *n = realloc(buf, cap ? cap * 2 : 8192);
			if (n == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = n;
			cap = cap ? cap * 2 : 8192;
		}
		size_t r = fread(buf + *len, 1, cap - *len, f);
		if (r == 0)
			break;
		*len += r;
	}
	fclose(f);
	return buf;
}

/* First document of a YAML/JSON file; NULL with a message printed. */
static json_t *suite_load_doc(const char *path)
{
	size_t len;
	char *buf = suite_read(path, &len);
	if (buf == NULL) {
		printf("FAIL %s: cannot read\n", path);
		return NULL;
	}
	struct yamljson_error err;
	json_t *docs = yamljson_load(buf, len, &err);
	free(buf);
	if (docs == NULL) {
		printf("FAIL %s:%d: %s\n", path, err.line, err.text);
		return NULL;
	}
	json_t *doc = json_incref(json_array_get(docs, 0));
	json_decref(docs);
	if (!json_is_object(doc)) {
		printf("FAIL %s: not a mapping\n", path);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

static void suite_join(char *out, size_t outlen, const char *dir, const char *rel)
{
	if (rel[0] == '/')
		snprintf(out, outlen, "%s", rel);
	else
		snprintf(out, outlen, "%s/%s", dir, rel);
}

static const char *suite_str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Appends the violations as "[id/action] message; ..." for failure lines. */
static void suite_describe(const struct engine_verdict *v, char *out, size_t outlen)
{
	size_t n = 0;
	out[0] = '\0';
	for (const struct violation *x = v->violations; x != NULL && n < outlen; x = x->next)
		n += (size_t)snprintf(out + n, outlen - n, "%s[%s/%s] %s", n ? "; " : "",
				      x->policy->id, policy_action_name(x->action), x->message);
	if (v->error != NULL && n < outlen)
		snprintf(out + n, outlen - n, "%s[admitd] %s", n ? "; " : "", v->error);
	if (out[0] == '\0')
		snprintf(out, outlen, "no violations");
}

static bool suite_has_policy(const struct engine_verdict *v, const char *id)
{
	for (const struct violation *x = v->violations; x != NULL; x = x->next)
		if (strcmp(x->policy->id, id) == 0)
			return true;
	return false;
}

static bool suite_has_message(const struct engine_verdict *v, const char *text)
{
	for (const struct violation *x = v->violations; x != NULL; x = x->next)
		if (strstr(x->message, text) != NULL)
			return true;
	return v->message != NULL && strstr(v->message, text) != NULL;
}

static size_t suite_warnings(const struct engine_verdict *v)
{
	size_t n = 0;
	for (const struct violation *x = v->violations; x != NULL; x = x->next)
		if (x->action == POLICY_ACTION_WARN)
			n++;
	return n;
}

static void suite_case(const struct admitd_config *cfg, const char *dir, const char *suite,
		       size_t idx, const json_t *c, struct suite_counts *counts)
{
	char label[512], why[2048] = "", path[4096];
	const char *name = suite_str(c, "name");
	snprintf(label, sizeof(label), "%s: %s", suite, name ? name : "(unnamed case)");
	if (name == NULL)
		snprintf(label, sizeof(label), "%s: cases[%zu]", suite, idx);

	json_t *obj = NULL, *old = NULL;
	const char *file = suite_str(c, "file");
	if (file != NULL) {
		suite_join(path, sizeof(path), dir, file);
		obj = suite_load_doc(path);
		if (obj == NULL) {
			counts->failed++;
			return;
		}
	} else if (json_is_object(json_object_get(c, "object"))) {
		obj = json_incref(json_object_get(c, "object"));
	} else {
		printf("FAIL %s: a case needs `file` or `object`\n", label);
		counts->failed++;
		return;
	}
	const char *oldfile = suite_str(c, "oldFile");
	if (oldfile != NULL) {
		suite_join(path, sizeof(path), dir, oldfile);
		if ((old = suite_load_doc(path)) == NULL) {
			counts->failed++;
			json_decref(obj);
			return;
		}
	} else if (json_is_object(json_object_get(c, "oldObject"))) {
		old = json_incref(json_object_get(c, "oldObject"));
	}
	const char *op = suite_str(c, "operation");
	if (op == NULL)
		op = old != NULL ? "UPDATE" : "CREATE";
	if (old != NULL && strcmp(op, "UPDATE") != 0) {
		printf("FAIL %s: an old object (`oldFile`, `oldObject`) needs operation UPDATE, not "
		       "%s\n",
		       label, op);
		counts->failed++;
		json_decref(obj);
		json_decref(old);
		return;
	}
	const char *expect = suite_str(c, "expect");
	if (expect == NULL || (strcmp(expect, "allow") != 0 && strcmp(expect, "deny") != 0 &&
			       strcmp(expect, "warn") != 0)) {
		printf("FAIL %s: `expect` must be allow, deny or warn\n", label);
		counts->failed++;
		json_decref(obj);
		json_decref(old);
		return;
	}
	const char *ns = suite_str(c, "namespace");
	const char *meta_ns = NULL;
	jp_string(obj, "metadata.namespace", &meta_ns);
	struct engine_input in = {
		.kind = suite_str(c, "kind") ? suite_str(c, "kind") : suite_str(obj, "kind"),
		.operation = op,
		.namespace = ns ? ns : meta_ns ? meta_ns : "default",
		.username = suite_str(c, "user"),
		.groups = json_object_get(c, "groups"),
		.object = obj,
		.old_object = old,
	};
	jp_string(obj, "metadata.name", &in.name);
	struct arena a;
	arena_init(&a);
	struct engine_verdict v;
	engine_evaluate(cfg, &in, &a, &v);
	/* dry-run mode allows everything: suites judge what enforcement would do */
	bool denied = v.ndeny > 0 || v.error != NULL;
	const char *got = denied ? "deny" : suite_warnings(&v) > 0 ? "warn" : "allow";
	if (strcmp(got, expect) != 0) {
		char what[1500];
		suite_describe(&v, what, sizeof(what));
		snprintf(why, sizeof(why), "expected %s, got %s (%s)", expect, got, what);
	}
	size_t i;
	const json_t *p;
	json_array_foreach(json_object_get(c, "policies"), i, p)
	{
		if (why[0] == '\0' && json_is_string(p) && !suite_has_policy(&v, json_string_value(p))) {
			char what[1500];
			suite_describe(&v, what, sizeof(what));
			snprintf(why, sizeof(why), "policy %s not among the violations (%s)",
				 json_string_value(p), what);
		}
	}
	json_array_foreach(json_object_get(c, "messages"), i, p)
	{
		if (why[0] == '\0' && json_is_string(p) &&
		    !suite_has_message(&v, json_string_value(p))) {
			char what[1500];
			suite_describe(&v, what, sizeof(what));
			snprintf(why, sizeof(why), "no message contains \"%s\" (%s)",
				 json_string_value(p), what);
		}
	}
	if (why[0] == '\0') {
		printf("ok   %s\n", label);
		counts->passed++;
	} else {
		printf("FAIL %s: %s\n", label, why);
		counts->failed++;
	}
	arena_free(&a);
	json_decref(obj);
	json_decref(old);
}

static void suite_run(const char *path, struct suite_counts *counts)
{
	json_t *doc = suite_load_doc(path);
	if (doc == NULL) {
		counts->broken++;
		return;
	}
	char dirbuf[4096];
	snprintf(dirbuf, sizeof(dirbuf), "%s", path);
	const char *dir = dirname(dirbuf);
	const char *cfgname = suite_str(doc, "config");
	struct config_errors errs = {0};
	struct admitd_config *cfg;
	if (cfgname == NULL || strcmp(cfgname, "default") == 0) {
		cfg = config_load_buffer("built-in", config_default_yaml, strlen(config_default_yaml),
					 &errs);
	} else {
		char cpath[4096];
		suite_join(cpath, sizeof(cpath), dir, cfgname);
		cfg = config_load_file(cpath, &errs);
	}
	if (cfg == NULL) {
		printf("FAIL %s: its configuration does not load:\n", path);
		for (size_t i = 0; i < errs.count; i++)
			printf("     %s\n", errs.lines[i]);
		config_errors_free(&errs);
		counts->broken++;
		json_decref(doc);
		return;
	}
	const json_t *cases = json_object_get(doc, "cases");
	if (!json_is_array(cases) || json_array_size(cases) == 0) {
		printf("FAIL %s: `cases` must be a non-empty list\n", path);
		counts->broken++;
	}
	size_t i;
	const json_t *c;
	json_array_foreach(cases, i, c)
		suite_case(cfg, dir, path, i, c, counts);
	config_unref(cfg);
	json_decref(doc);
}

int suite_main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		fprintf(argc < 2 ? stderr : stdout, "usage: admitd test SUITE.yaml...\n");
		return argc < 2 ? 2 : 0;
	}
	struct suite_counts counts = {0};
	for (int i = 1; i < argc; i++)
		suite_run(argv[i], &counts);
	printf("%u passed, %u failed\n", counts.passed, counts.failed + counts.broken);
	if (counts.broken > 0 && counts.passed + counts.failed == 0)
		return 2;
	return counts.failed + counts.broken > 0 ? 1 : 0;
}
