/*
 * required-labels: ownership, cost and network segmentation are decided by
 * pod labels; a pod without them is nobody's, or falls outside the
 * NetworkPolicies written for its segment.
 *
 * Forbids: a Pod, or a workload's pod template, that lacks one of the
 *          configured labels, carries it with an empty value (when any
 *          value is allowed), with a value outside `values`, or with a
 *          value that is not a string.
 * Reads:   the pod's metadata.labels (a workload's pod template labels,
 *          e.g. spec.template.metadata.labels; the workload's own labels
 *          do not reach its pods and do not count).
 * Parameters:
 *   labels: required, at least one entry:
 *     - key: team              # any non-empty value
 *     - key: segment
 *       values: [frontend, backend]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "selector.h"

struct required_labels_label {
	char *key;
	char **values; /* NULL: any non-empty value */
	unsigned values_count;
};

struct required_labels_params {
	struct required_labels_label *labels;
	unsigned labels_count;
};

struct required_labels_rule {
	char *key;
	char **values;
	size_t nvalues;
	char *allowed; /* "a, b", NULL when any value goes */
};

struct required_labels_state {
	struct required_labels_rule *rules;
	size_t nrules;
};

static const cyaml_schema_value_t required_labels_string = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, 1024),
};

static const cyaml_schema_field_t required_labels_label_fields[] = {
	CYAML_FIELD_STRING_PTR("key", CYAML_FLAG_POINTER, struct required_labels_label, key, 0,
			       1024),
	/* at least one entry: `values: []` would allow nothing and deny every pod */
	CYAML_FIELD_SEQUENCE("values", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct required_labels_label, values, &required_labels_string, 1,
			     CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t required_labels_label_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct required_labels_label,
			    required_labels_label_fields),
};

static const cyaml_schema_field_t required_labels_fields[] = {
	CYAML_FIELD_SEQUENCE("labels", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct required_labels_params, labels, &required_labels_label_schema,
			     0, CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

static bool required_labels_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/*
 * The Kubernetes syntax for a label name or value: a rule the apiserver
 * would never let a pod satisfy is a configuration mistake, better caught
 * at load than by denying every pod.
 */
static bool required_labels_name_ok(const char *s, size_t n)
{
	if (n == 0 || n > 63 || !required_labels_alnum(s[0]) || !required_labels_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!required_labels_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

/* A key prefix is a DNS subdomain: dot-separated lower-case labels with inner hyphens. */
static bool required_labels_prefix_ok(const char *s, size_t n)
{
	if (n == 0 || n > 253)
		return false;
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
			      s[i] == '-'))
				return false;
			continue;
		}
		if (i == start || s[start] == '-' || s[i - 1] == '-')
			return false;
		start = i + 1;
	}
	return true;
}

static bool required_labels_key_ok(const char *key)
{
	const char *slash = strchr(key, '/');
	if (slash == NULL)
		return required_labels_name_ok(key, strlen(key));
	return required_labels_prefix_ok(key, (size_t)(slash - key)) &&
	       required_labels_name_ok(slash + 1, strlen(slash + 1));
}

static void required_labels_release(void *state)
{
	struct required_labels_state *st = state;
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->nrules; i++)
		free(st->rules[i].allowed);
	free(st->rules);
	free(st);
}

static int required_labels_prepare(const void *params, void **state, char *err, size_t errlen)
{
	const struct required_labels_params *p = params;
	*state = NULL;
	if (p == NULL || p->labels_count == 0) {
		snprintf(err, errlen,
			 "\"labels\" must list at least one label, e.g. labels: [{key: team}, "
			 "{key: segment, values: [frontend, backend]}]");
		return -1;
	}
	struct required_labels_state *st = calloc(1, sizeof(*st));
	if (st == NULL || (st->rules = calloc(p->labels_count, sizeof(*st->rules))) == NULL)
		goto nomem;
	for (unsigned i = 0; i < p->labels_count; i++) {
		const struct required_labels_label *l = &p->labels[i];
		if (!required_labels_key_ok(l->key)) {
			snprintf(err, errlen,
				 "labels[%u].key \"%s\" is not a valid label key ([prefix/]name: "
				 "name up to 63 letters, digits, '-', '_', '.', starting and "
				 "ending with a letter or digit)",
				 i, l->key);
			goto fail;
		}
		for (unsigned j = 0; j < i; j++) {
			if (strcmp(p->labels[j].key, l->key) == 0) {
				snprintf(err, errlen,
					 "labels[%u].key \"%s\" is listed twice; merge the entries",
					 i, l->key);
				goto fail;
			}
		}
		size_t len = 1;
		for (unsigned j = 0; j < l->values_count; j++) {
			const char *v = l->values[j];
			if (v[0] != '\0' && !required_labels_name_ok(v, strlen(v))) {
				snprintf(err, errlen,
					 "labels[%u].values[%u] \"%s\" is not a valid label value "
					 "(up to 63 letters, digits, '-', '_', '.', starting and "
					 "ending with a letter or digit)",
					 i, j, v);
				goto fail;
			}
			len += strlen(v) + 4;
		}
		struct required_labels_rule *r = &st->rules[i];
		st->nrules = i + 1;
		/* the configuration keeps the loaded parameters until after release() */
		r->key = l->key;
		r->values = l->values;
		r->nvalues = l->values_count;
		if (l->values_count > 0) {
			if ((r->allowed = malloc(len)) == NULL)
				goto nomem;
			r->allowed[0] = '\0';
			for (unsigned j = 0; j < l->values_count; j++) {
				if (j > 0)
					strcat(r->allowed, ", ");
				/* an allowed empty value must still be visible in the message */
				strcat(r->allowed, l->values[j][0] != '\0' ? l->values[j] : "\"\"");
			}
		}
	}
	*state = st;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
fail:
	required_labels_release(st);
	return -1;
}

static bool required_labels_allowed(const struct required_labels_rule *r, const char *value)
{
	for (size_t i = 0; i < r->nvalues; i++)
		if (strcmp(r->values[i], value) == 0)
			return true;
	return false;
}

static int required_labels_check(struct policy_ctx *ctx)
{
	const struct required_labels_state *st = ctx->state;
	if (st == NULL)
		return policy_error(ctx, "required-labels has no prepared labels");
	bool is_pod = ctx->pod->kind != NULL && strcmp(ctx->pod->kind, "Pod") == 0;
	const char *what = is_pod ? "pod" : "pod template";
	/* where the labels go: "metadata.labels", "spec.template.metadata.labels", ... */
	const char *sp = ctx->pod->spec_path != NULL ? ctx->pod->spec_path : "spec";
	size_t splen = strlen(sp);
	const char *where = arena_printf(ctx->arena, "%.*smetadata.labels",
					 (int)(splen >= 4 ? splen - 4 : 0), sp);
	if (where == NULL)
		return policy_error(ctx, "out of memory");

	for (size_t i = 0; i < st->nrules; i++) {
		const struct required_labels_rule *r = &st->rules[i];
		const json_t *v = ctx->pod->pod_labels != NULL
					  ? json_object_get(ctx->pod->pod_labels, r->key)
					  : NULL;
		int rc = 0;
		if (v == NULL || json_is_null(v)) {
			if (r->allowed != NULL)
				rc = policy_fail(ctx, NULL,
						 "%s must carry label \"%s\" (one of: %s); add it "
						 "under %s",
						 what, r->key, r->allowed, where);
			else
				rc = policy_fail(
					ctx, NULL,
					"%s must carry label \"%s\" with a non-empty value; "
					"add it under %s",
					what, r->key, where);
		} else if (!json_is_string(v)) {
			rc = policy_fail(ctx, NULL,
					 "%s label \"%s\" is not a string; set it to %s%s under %s",
					 what, r->key,
					 r->allowed ? "one of: " : "a non-empty value",
					 r->allowed ? r->allowed : "", where);
		} else if (r->allowed == NULL) {
			if (json_string_length(v) == 0)
				rc = policy_fail(ctx, NULL,
						 "%s label \"%s\" is empty; set a non-empty value "
						 "under %s",
						 what, r->key, where);
		} else if (!required_labels_allowed(r, json_string_value(v))) {
			rc = policy_fail(
				ctx, NULL,
				"%s label \"%s\" is \"%s\", which is not allowed; set it to "
				"one of: %s",
				what, r->key, json_string_value(v), r->allowed);
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

/*
 * The configured label keys, in configuration order: what `admitd
 * inventory` reports as a workload's segmentation labels.
 */
size_t required_labels_keys(const void *state, const char **keys, size_t max)
{
	const struct required_labels_state *st = state;
	size_t n = 0;
	for (size_t i = 0; st != NULL && i < st->nrules && n < max; i++)
		keys[n++] = st->rules[i].key;
	return n;
}

const struct policy_desc policy_required_labels = {
	.id = "required-labels",
	.description = "Pods (and pod templates) must carry the configured labels and values",
	.level = POLICY_LEVEL_NONE,
	.default_action = POLICY_ACTION_OFF,
	.params_fields = required_labels_fields,
	.params_size = sizeof(struct required_labels_params),
	.prepare = required_labels_prepare,
	.release = required_labels_release,
	.check = required_labels_check,
};
