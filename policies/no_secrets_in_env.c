/*
 * no-secrets-in-env: a credential written as a literal env value is stored
 * in clear in the workload object, so anyone who can read Deployments or
 * Pods (and every copy in etcd backups, Git and CI logs) can read it.
 *
 * Forbids: on any container, init container or ephemeral container, an
 *          env entry whose name contains one of `patterns` (case-
 *          insensitive) and that sets a non-empty literal `value`, or
 *          takes it from a ConfigMap (valueFrom.configMapKeyRef), which is
 *          just as readable. valueFrom.secretKeyRef (or fieldRef,
 *          resourceFieldRef) is fine. An empty literal value discloses
 *          nothing and is allowed. Also forbids an env that is not a list,
 *          an entry that is not an object, and a name or value that is not
 *          a string, since such an entry cannot be vouched for.
 * Reads:   <container>.env[*].name, .value, .valueFrom(.configMapKeyRef)
 *          (envFrom is not read: it imports names this check cannot see)
 * Messages name the variable and never its value.
 * Parameters:
 *   patterns: [substring, ...]  default [PASSWORD, SECRET, TOKEN, API_KEY,
 *             PRIVATE_KEY]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "secretnames.h"

struct no_secrets_in_env_params {
	char **patterns;
	unsigned patterns_count;
};

struct no_secrets_in_env_state {
	struct secretnames names;
};

static const cyaml_schema_value_t no_secrets_in_env_string = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, 1024),
};

static const cyaml_schema_field_t no_secrets_in_env_fields[] = {
	/* at least one entry: `patterns: []` cannot be told from an absent key afterwards */
	CYAML_FIELD_SEQUENCE("patterns", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct no_secrets_in_env_params, patterns, &no_secrets_in_env_string,
			     1, CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

static void no_secrets_in_env_release(void *state)
{
	struct no_secrets_in_env_state *st = state;
	if (st == NULL)
		return;
	secretnames_free(&st->names);
	free(st);
}

static int no_secrets_in_env_prepare(const void *params, void **state, char *err, size_t errlen)
{
	const struct no_secrets_in_env_params *p = params;
	*state = NULL;
	struct no_secrets_in_env_state *st = calloc(1, sizeof(*st));
	if (st == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (secretnames_prepare(p != NULL ? p->patterns : NULL, p != NULL ? p->patterns_count : 0,
				&st->names, err, errlen) < 0) {
		free(st);
		return -1;
	}
	*state = st;
	return 0;
}

static int no_secrets_in_env_entry(struct policy_ctx *ctx, const struct no_secrets_in_env_state *st,
				   const struct container_ref *c, size_t i, const json_t *e)
{
	if (!json_is_object(e))
		return policy_fail(ctx, c,
				   "has an env[%zu] that is not an object; fix or remove it", i);
	const char *name = NULL;
	switch (jp_string(e, "name", &name)) {
	case JP_OK:
		break;
	case JP_BADTYPE:
		return policy_fail(ctx, c,
				   "has an env[%zu].name that is not a string; give the variable "
				   "a string name",
				   i);
	case JP_ABSENT:
		return 0; /* the apiserver refuses a nameless variable */
	}
	if (!secretnames_match(&st->names, name))
		return 0;

	const char *value = NULL;
	switch (jp_string(e, "value", &value)) {
	case JP_OK:
		if (value[0] != '\0')
			return policy_fail(ctx, c,
					   "sets env \"%s\", which looks like a credential, to a "
					   "literal value; store it in a Secret and use "
					   "valueFrom.secretKeyRef",
					   name);
		break;
	case JP_BADTYPE:
		return policy_fail(
			ctx, c,
			"has env \"%s\", which looks like a credential, with a value that "
			"is not a string; store it in a Secret and use "
			"valueFrom.secretKeyRef",
			name);
	case JP_ABSENT:
		break;
	}
	const json_t *from = NULL;
	switch (jp_object(e, "valueFrom", &from)) {
	case JP_OK:
		break;
	case JP_BADTYPE:
		return policy_fail(
			ctx, c,
			"has env \"%s\", which looks like a credential, with a valueFrom "
			"that is not an object; use valueFrom.secretKeyRef",
			name);
	case JP_ABSENT:
		return 0;
	}
	const json_t *cm = json_object_get(from, "configMapKeyRef");
	if (cm != NULL && !json_is_null(cm))
		return policy_fail(
			ctx, c,
			"takes env \"%s\", which looks like a credential, from a "
			"ConfigMap, which is not meant for secrets; store it in a Secret "
			"and use valueFrom.secretKeyRef",
			name);
	return 0;
}

static int no_secrets_in_env_check(struct policy_ctx *ctx)
{
	const struct no_secrets_in_env_state *st = ctx->state;
	if (st == NULL)
		return policy_error(ctx, "no-secrets-in-env has no prepared patterns");
	for (size_t i = 0; i < ctx->pod->ncontainers; i++) {
		const struct container_ref *c = &ctx->pod->containers[i];
		const json_t *env = NULL;
		switch (jp_array(c->json, "env", &env)) {
		case JP_OK:
			break;
		case JP_BADTYPE:
			if (policy_fail(ctx, c, "has an env that is not a list; fix or remove it") <
			    0)
				return -1;
			continue;
		case JP_ABSENT:
			continue;
		}
		size_t k;
		const json_t *e;
		json_array_foreach(env, k, e)
		{
			if (no_secrets_in_env_entry(ctx, st, c, k, e) < 0)
				return -1;
		}
	}
	return 0;
}

const struct policy_desc policy_no_secrets_in_env = {
	.id = "no-secrets-in-env",
	.description = "Credential-like env variables must come from a Secret, not a literal value",
	.level = POLICY_LEVEL_NONE,
	.default_action = POLICY_ACTION_OFF,
	.params_fields = no_secrets_in_env_fields,
	.params_size = sizeof(struct no_secrets_in_env_params),
	.prepare = no_secrets_in_env_prepare,
	.release = no_secrets_in_env_release,
	.check = no_secrets_in_env_check,
};
