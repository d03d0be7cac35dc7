#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../webhook/yamljson.h"

static struct arena harness_arena;

json_t *harness_yaml(const char *text)
{
	struct yamljson_error err;
	json_t *docs = yamljson_load(text, strlen(text), &err);
	if (docs == NULL)
		fail_msg("YAML error at %d:%d: %s", err.line, err.column, err.text);
	assert_true(json_array_size(docs) >= 1);
	json_t *first = json_incref(json_array_get(docs, 0));
	json_decref(docs);
	return first;
}

json_t *harness_file_docs(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	struct yamljson_error err;
	json_t *docs = yamljson_load(buf, len, &err);
	free(buf);
	if (docs == NULL)
		fail_msg("%s:%d:%d: %s", path, err.line, err.column, err.text);
	return docs;
}

const char *harness_shared(const char *relpath)
{
	static char path[4096];
	const char *base = getenv("ADMITD_SHARED");
	snprintf(path, sizeof(path), "%s/%s", base != NULL ? base : "../shared", relpath);
	return path;
}

struct admitd_config *harness_config(const char *yaml)
{
	struct yamlconf_errors errs = {0};
	struct admitd_config *cfg = config_load_buffer("test.yaml", yaml, strlen(yaml), &errs);
	if (cfg == NULL) {
		for (size_t i = 0; i < errs.count; i++)
			print_error("%s\n", errs.lines[i]);
		yamlconf_errors_free(&errs);
		fail_msg("configuration did not load");
	}
	return cfg;
}

char *harness_config_errors(const char *yaml)
{
	struct yamlconf_errors errs = {0};
	struct admitd_config *cfg = config_load_buffer("test.yaml", yaml, strlen(yaml), &errs);
	if (cfg != NULL) {
		config_unref(cfg);
		fail_msg("configuration loaded but should not have");
	}
	size_t len = 1;
	for (size_t i = 0; i < errs.count; i++)
		len += strlen(errs.lines[i]) + 1;
	char *out = calloc(1, len);
	assert_non_null(out);
	for (size_t i = 0; i < errs.count; i++) {
		strcat(out, errs.lines[i]);
		strcat(out, "\n");
	}
	yamlconf_errors_free(&errs);
	return out;
}

json_t *harness_wrap(const char *kind, const json_t *pod)
{
	json_t *tmpl = json_pack("{s:O*,s:O*}", "metadata", json_object_get(pod, "metadata"),
				 "spec", json_object_get(pod, "spec"));
	assert_non_null(tmpl);
	json_t *spec;
	if (strcmp(kind, "CronJob") == 0)
		spec = json_pack("{s:s,s:{s:{s:o}}}", "schedule", "* * * * *", "jobTemplate",
				 "spec", "template", tmpl);
	else
		spec = json_pack("{s:o}", "template", tmpl);
	assert_non_null(spec);
	json_t *obj = json_pack("{s:s,s:{s:s},s:o}", "kind", kind, "metadata", "name", "wrapped",
				"spec", spec);
	assert_non_null(obj);
	return obj;
}

const struct engine_verdict *harness_judge_as(const struct admitd_config *cfg,
					      const struct engine_input *in)
{
	static struct engine_verdict v;
	arena_free(&harness_arena);
	arena_init(&harness_arena);
	assert_int_equal(engine_evaluate(cfg, in, &harness_arena, &v), 0);
	return &v;
}

const struct engine_verdict *harness_judge(const struct admitd_config *cfg, const char *kind,
					   const json_t *obj)
{
	struct engine_input in = {
		.kind = kind,
		.operation = "CREATE",
		.namespace = "default",
		.name = "test",
		.username = "alice",
		.object = obj,
	};
	return harness_judge_as(cfg, &in);
}

bool harness_has(const struct engine_verdict *v, const char *policy, const char *substr)
{
	for (const struct violation *x = v->violations; x != NULL; x = x->next) {
		if (policy != NULL && strcmp(x->policy->id, policy) != 0)
			continue;
		if (substr != NULL && strstr(x->message, substr) == NULL)
			continue;
		return true;
	}
	return false;
}

void harness_dump(const struct engine_verdict *v)
{
	print_message("verdict: allowed=%d judged=%d error=%s\n", v->allowed, v->judged,
		      v->error ? v->error : "-");
	for (const struct violation *x = v->violations; x != NULL; x = x->next)
		print_message("  [%s/%s] %s\n", x->policy->id, policy_action_name(x->action),
			      x->message);
}
