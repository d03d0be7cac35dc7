/*
 * resource-limits: a container without limits can take a node's whole CPU
 * or memory, starving its neighbours and getting them evicted.
 *
 * Forbids: a container or init container that has no
 *          resources.limits.<name> for each configured resource, or whose
 *          resources, resources.limits or limit value has the wrong type.
 *          A limit set in the pod-level spec.resources.limits also bounds
 *          the containers and satisfies that resource.
 * Reads:   <container>.resources.limits, <spec>.resources.limits
 * Skips:   ephemeral containers: the API rejects resources on them, so
 *          requiring limits there would forbid `kubectl debug`.
 * Parameters:
 *   resources: [name, ...]  default [cpu, memory]; any resource name, such
 *              as ephemeral-storage or nvidia.com/gpu
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

struct resource_limits_params {
	char **resources;
	unsigned resources_count;
};

struct resource_limits_state {
	char **names;
	size_t nnames;
};

static const cyaml_schema_value_t resource_limits_string = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, 1024),
};

static const cyaml_schema_field_t resource_limits_fields[] = {
	/* at least one entry: `resources: []` cannot be told from an absent key afterwards */
	CYAML_FIELD_SEQUENCE("resources", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct resource_limits_params, resources, &resource_limits_string, 1,
			     CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

static const char *const resource_limits_defaults[] = {"cpu", "memory"};

/* A resource name as the API spells one: "cpu", "ephemeral-storage", "nvidia.com/gpu". */
static bool resource_limits_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.' || c == '/'))
			return false;
	}
	return true;
}

static void resource_limits_release(void *state)
{
	struct resource_limits_state *st = state;
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->nnames; i++)
		free(st->names[i]);
	free(st->names);
	free(st);
}

static int resource_limits_prepare(const void *params, void **state, char *err, size_t errlen)
{
	const struct resource_limits_params *p = params;
	*state = NULL;
	bool given = p != NULL && p->resources_count > 0;
	size_t n = given ? p->resources_count : 2;
	for (size_t i = 0; given && i < n; i++) {
		if (!resource_limits_name_ok(p->resources[i])) {
			snprintf(err, errlen,
				 "resources[%zu] \"%s\" is not a resource name (such as cpu, "
				 "memory, ephemeral-storage, nvidia.com/gpu)",
				 i, p->resources[i]);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(p->resources[j], p->resources[i]) == 0) {
				snprintf(err, errlen, "resources[%zu] \"%s\" is listed twice", i,
					 p->resources[i]);
				return -1;
			}
		}
	}
	struct resource_limits_state *st = calloc(1, sizeof(*st));
	if (st == NULL || (st->names = calloc(n, sizeof(*st->names))) == NULL)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		st->names[i] = strdup(given ? p->resources[i] : resource_limits_defaults[i]);
		if (st->names[i] == NULL)
			goto nomem;
		st->nnames = i + 1;
	}
	*state = st;
	return 0;
nomem:
	resource_limits_release(st);
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* A quantity arrives as a string from the apiserver, and may be a number in a YAML file. */
static bool resource_limits_quantity(const json_t *v)
{
	return (json_is_string(v) && json_string_length(v) > 0) || json_is_number(v);
}

static int resource_limits_container(struct policy_ctx *ctx, const struct resource_limits_state *st,
				     const struct container_ref *c, const json_t *pod_limits)
{
	const json_t *resources = NULL, *limits = NULL;
	if (jp_object(c->json, "resources", &resources) == JP_BADTYPE)
		return policy_fail(ctx, c,
				   "has a resources that is not an object; set resources.limits "
				   "for each of the required resources");
	switch (jp_object(c->json, "resources.limits", &limits)) {
	case JP_OK:
		break;
	case JP_BADTYPE:
		return policy_fail(ctx, c,
				   "has a resources.limits that is not an object; set it to a "
				   "mapping such as {cpu: 500m, memory: 256Mi}");
	case JP_ABSENT:
		break;
	}

	const char *missing = NULL;
	for (size_t i = 0; i < st->nnames; i++) {
		const char *name = st->names[i];
		const json_t *v = limits != NULL ? json_object_get(limits, name) : NULL;
		if (v != NULL && !json_is_null(v)) {
			if (!resource_limits_quantity(v) &&
			    policy_fail(ctx, c,
					"has a resources.limits.%s that is not a quantity; set it "
					"to a quantity such as \"500m\" or \"256Mi\"",
					name) < 0)
				return -1;
			continue;
		}
		if (pod_limits != NULL &&
		    resource_limits_quantity(json_object_get(pod_limits, name)))
			continue;
		missing =
			missing == NULL ? name : arena_printf(ctx->arena, "%s, %s", missing, name);
		if (missing == NULL)
			return policy_error(ctx, "out of memory");
	}
	if (missing != NULL)
		return policy_fail(ctx, c,
				   "must set resources.limits for: %s; add a limit for each under "
				   "resources.limits",
				   missing);
	return 0;
}

static int resource_limits_check(struct policy_ctx *ctx)
{
	const struct resource_limits_state *st = ctx->state;
	if (st == NULL)
		return policy_error(ctx, "resource-limits has no prepared resources");
	const json_t *pod_resources = NULL, *pod_limits = NULL;
	if (jp_object(ctx->pod->spec, "resources", &pod_resources) == JP_BADTYPE ||
	    jp_object(ctx->pod->spec, "resources.limits", &pod_limits) == JP_BADTYPE) {
		pod_limits = NULL;
		if (policy_fail(ctx, NULL,
				"%s.resources (pod-level resources) is not a mapping with a "
				"limits mapping; fix it or remove it",
				ctx->pod->spec_path) < 0)
			return -1;
	}
	for (size_t i = 0; i < ctx->pod->ncontainers; i++) {
		const struct container_ref *c = &ctx->pod->containers[i];
		if (strcmp(c->list, "ephemeralContainers") == 0)
			continue;
		if (resource_limits_container(ctx, st, c, pod_limits) < 0)
			return -1;
	}
	return 0;
}

const struct policy_desc policy_resource_limits = {
	.id = "resource-limits",
	.description = "Containers must set resources.limits (default: cpu and memory)",
	.level = POLICY_LEVEL_NONE,
	.default_action = POLICY_ACTION_OFF,
	.params_fields = resource_limits_fields,
	.params_size = sizeof(struct resource_limits_params),
	.prepare = resource_limits_prepare,
	.release = resource_limits_release,
	.check = resource_limits_check,
};
