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

#include <yaml.h>

#include "engine.h"
#include "readall.h"
#include "yamljson.h"
#include "imgcheck.h"
#include "sigcheck.h"

/*
 * The suite's schema, checked with libcyaml (file:line:col errors, as for
 * the configuration) before the cases run: a misspelled key (`polices:`)
 * or a wrong value (`operation: CRAETE`) must fail the suite, never let a
 * case pass on what it did not say. `object:`/`oldObject:` hold any
 * Kubernetes object and are read by yamljson, not here.
 */
struct suite_case_yaml {
	char *name, *file, *old_file, *kind, *namespace, *user;
	int expect, operation;
	char **policies;
	unsigned policies_count;
	char **messages;
	unsigned messages_count;
	char **groups;
	unsigned groups_count;
};

struct suite_yaml {
	char *config;
	struct suite_case_yaml *cases;
	unsigned cases_count;
};

static const cyaml_strval_t suite_expect_strings[] = {
	{"allow", 0},
	{"deny", 1},
	{"warn", 2},
};
/* + 1: 0 means "not given" (CREATE, or UPDATE with an old object) */
static const cyaml_strval_t suite_operation_strings[] = {
	{"CREATE", 1},
	{"UPDATE", 2},
	{"DELETE", 3},
	{"CONNECT", 4},
};
static const cyaml_schema_value_t suite_string = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, CYAML_UNLIMITED),
};
#define SUITE_STR(key, member)                                                                     \
	CYAML_FIELD_STRING_PTR(key, CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,                      \
			       struct suite_case_yaml, member, 0, CYAML_UNLIMITED)
#define SUITE_LIST(key, member)                                                                    \
	CYAML_FIELD_SEQUENCE(key, CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,                        \
			     struct suite_case_yaml, member, &suite_string, 0, CYAML_UNLIMITED)
static const cyaml_schema_field_t suite_case_fields[] = {
	SUITE_STR("name", name),
	SUITE_STR("file", file),
	SUITE_STR("oldFile", old_file),
	SUITE_STR("kind", kind),
	SUITE_STR("namespace", namespace),
	SUITE_STR("user", user),
	CYAML_FIELD_ENUM("expect", CYAML_FLAG_STRICT, struct suite_case_yaml, expect,
			 suite_expect_strings, 3),
	CYAML_FIELD_ENUM("operation", CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT,
			 struct suite_case_yaml, operation, suite_operation_strings, 4),
	SUITE_LIST("policies", policies),
	SUITE_LIST("messages", messages),
	SUITE_LIST("groups", groups),
	CYAML_FIELD_IGNORE("object", CYAML_FLAG_OPTIONAL),
	CYAML_FIELD_IGNORE("oldObject", CYAML_FLAG_OPTIONAL),
	CYAML_FIELD_END,
};
static const cyaml_schema_value_t suite_case_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct suite_case_yaml, suite_case_fields),
};
static const cyaml_schema_field_t suite_fields[] = {
	CYAML_FIELD_STRING_PTR("config", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			       struct suite_yaml, config, 1, CYAML_UNLIMITED),
	CYAML_FIELD_SEQUENCE("cases", CYAML_FLAG_POINTER, struct suite_yaml, cases,
			     &suite_case_schema, 1, CYAML_UNLIMITED),
	CYAML_FIELD_END,
};
static const cyaml_schema_value_t suite_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct suite_yaml, suite_fields),
};

/* The 1-based line of each entry of the top-level `cases:` list (0 when not found). */
static void suite_case_lines(const char *buf, size_t len, int *lines, size_t n)
{
	yaml_parser_t p;
	yaml_event_t ev;
	memset(lines, 0, n * sizeof(*lines));
	if (!yaml_parser_initialize(&p))
		return;
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	int depth = 0;
	bool key_turn = true, next_is_cases = false, in_cases = false;
	size_t idx = 0;
	while (yaml_parser_parse(&p, &ev)) {
		yaml_event_type_t t = ev.type;
		if (t == YAML_STREAM_END_EVENT || t == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		bool starts = t == YAML_SCALAR_EVENT || t == YAML_ALIAS_EVENT ||
			      t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT;
		if (depth == 1 && starts) {
			/* the top-level mapping alternates keys and values */
			if (key_turn) {
				next_is_cases =
					t == YAML_SCALAR_EVENT &&
					strcmp((const char *)ev.data.scalar.value, "cases") == 0;
			} else {
				in_cases = next_is_cases && t == YAML_SEQUENCE_START_EVENT;
				next_is_cases = false;
			}
			key_turn = !key_turn;
		} else if (in_cases && depth == 2 && starts && idx < n) {
			lines[idx++] = (int)ev.start_mark.line + 1;
		}
		if (t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT)
			depth++;
		else if (t == YAML_MAPPING_END_EVENT || t == YAML_SEQUENCE_END_EVENT)
			if (--depth == 1)
				in_cases = false;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
}

struct suite_counts {
	unsigned passed, failed, broken;
};

/* A suite or a case's file, whole; NULL with the reason printed as a FAIL line. */
static char *suite_read(const char *path, size_t *len)
{
	char *buf, why[256];
	if (readall_file(path, 64u << 20, &buf, len, why, sizeof(why)) < 0) {
		printf("FAIL %s: %s\n", path, why);
		return NULL;
	}
	return buf;
}

/* The one document of a YAML/JSON file; NULL with a message printed. */
static json_t *suite_load_doc(const char *path)
{
	size_t len;
	char *buf = suite_read(path, &len);
	if (buf == NULL)
		return NULL;
	struct yamljson_error err;
	json_t *docs = yamljson_load(buf, len, &err);
	free(buf);
	if (docs == NULL) {
		printf("FAIL %s:%d: %s\n", path, err.line, err.text);
		return NULL;
	}
	if (json_array_size(docs) > 1) {
		/* judging only the first would pass a case on what it never looked at */
		printf("FAIL %s: %zu YAML documents; a case judges exactly one (split the file, or "
		       "use `object:`)\n",
		       path, json_array_size(docs));
		json_decref(docs);
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
		.namespace = ns        ? ns
			     : meta_ns ? meta_ns
				       : "default",
		.username = suite_str(c, "user"),
		.groups = json_object_get(c, "groups"),
		.object = obj,
		.old_object = old,
	};
	jp_string(obj, "metadata.name", &in.name);
	struct arena a;
	arena_init(&a);
	/* image-signatures: asked of the registries as the webhook's workers would */
	struct pod_view pod; /* one view for the gatherers and the engine */
	if (sigcheck_gathers(cfg))
		in.pod = engine_pod_view(cfg, &in, &a, &pod);
	struct sigcheck_results sig;
	if (sigcheck_gather(cfg, &in, &a, false, &sig))
		in.signatures = &sig;
	struct imgcheck_results contents;
	if (imgcheck_gather(cfg, &in, &a, false, &contents))
		in.contents = &contents;
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
		if (why[0] == '\0' && json_is_string(p) &&
		    !suite_has_policy(&v, json_string_value(p))) {
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
	if (in.signatures != NULL)
		sigcheck_results_free(&sig);
	if (in.contents != NULL)
		imgcheck_results_free(&contents);
	arena_free(&a);
	json_decref(obj);
	json_decref(old);
}

/*
 * The suite's schema (suite_schema) and the rules between keys; every
 * error is printed as `FAIL file:line: ...`. Returns 0 when the suite may run.
 */
static int suite_check(const char *path, const json_t *doc)
{
	size_t len = 0;
	char *buf = suite_read(path, &len);
	if (buf == NULL)
		return -1; /* suite_load_doc said so */
	struct yamlconf_errors errs = {0};
	struct suite_yaml *y = NULL;
	int rc = 0;
	if (yamlconf_load(path, buf, len, &suite_schema, (void **)&y, "", 1, &errs) < 0) {
		for (size_t i = 0; i < errs.count; i++)
			printf("FAIL %s\n", errs.lines[i]);
		yamlconf_errors_free(&errs);
		free(buf);
		return -1;
	}
	const json_t *cases = json_object_get(doc, "cases");
	size_t n = json_array_size(cases);
	int *lines = calloc(n ? n : 1, sizeof(*lines));
	if (lines == NULL) {
		yamlconf_free(&suite_schema, y);
		free(buf);
		return -1;
	}
	suite_case_lines(buf, len, lines, n);
	for (size_t i = 0; i < n && i < y->cases_count; i++) {
		const json_t *c = json_array_get(cases, i);
		const struct suite_case_yaml *cy = &y->cases[i];
		bool object = json_object_get(c, "object") != NULL;
		bool old = json_object_get(c, "oldObject") != NULL;
		const char *why = NULL;
		if (cy->file != NULL && object)
			why = "`file` and `object` both given: a case judges one object";
		else if (cy->file == NULL && !object)
			why = "a case needs `file` or `object`";
		else if (object && !json_is_object(json_object_get(c, "object")))
			why = "`object` must be a mapping (a Kubernetes object)";
		else if (cy->old_file != NULL && old)
			why = "`oldFile` and `oldObject` both given";
		else if (old && !json_is_object(json_object_get(c, "oldObject")))
			why = "`oldObject` must be a mapping (a Kubernetes object)";
		else if ((cy->old_file != NULL || old) && cy->operation != 0 && cy->operation != 2)
			why = "an old object (`oldFile`, `oldObject`) needs operation UPDATE";
		if (why != NULL) {
			printf("FAIL %s:%d: cases[%zu]%s%s%s: %s\n", path, lines[i], i,
			       cy->name ? " (" : "", cy->name ? cy->name : "", cy->name ? ")" : "",
			       why);
			rc = -1;
		}
	}
	free(lines);
	yamlconf_free(&suite_schema, y);
	free(buf);
	return rc;
}

static void suite_run(const char *path, struct suite_counts *counts)
{
	json_t *doc = suite_load_doc(path);
	if (doc == NULL || suite_check(path, doc) < 0) {
		counts->broken++;
		json_decref(doc);
		return;
	}
	char dirbuf[4096];
	snprintf(dirbuf, sizeof(dirbuf), "%s", path);
	const char *dir = dirname(dirbuf);
	const char *cfgname = suite_str(doc, "config");
	struct yamlconf_errors errs = {0};
	char cpath[4096];
	bool builtin = cfgname == NULL || strcmp(cfgname, "default") == 0;
	if (!builtin)
		suite_join(cpath, sizeof(cpath), dir, cfgname);
	struct admitd_config *cfg = config_load_or_default(builtin ? NULL : cpath, &errs);
	if (cfg == NULL) {
		printf("FAIL %s: its configuration does not load:\n", path);
		for (size_t i = 0; i < errs.count; i++)
			printf("     %s\n", errs.lines[i]);
		yamlconf_errors_free(&errs);
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
	json_array_foreach(cases, i, c) suite_case(cfg, dir, path, i, c, counts);
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
