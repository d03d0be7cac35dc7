/*
 * selector.c: label selectors as the API server reads them, and the
 * directions of a NetworkPolicy (selector.h).
 */
#include "selector.h"

#include <string.h>

#include "policy.h"

static bool selector_label_is(const json_t *labels, const char *key, const char **value)
{
	const json_t *v = json_object_get(labels, key);
	if (!json_is_string(v))
		return false;
	*value = json_string_value(v);
	return true;
}

static bool selector_in_values(const json_t *values, const char *value)
{
	size_t i;
	const json_t *v;
	json_array_foreach(values, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), value) == 0)
			return true;
	}
	return false;
}

/* Kubernetes label selector semantics; an unknown operator selects nothing. */
bool selector_matches(const json_t *selector, const json_t *labels)
{
	if (!json_is_object(selector))
		return json_is_null(selector) || selector == NULL;
	/* a selector admitd cannot read covers nothing: report the gap, never hide it */
	const json_t *ml = json_object_get(selector, "matchLabels");
	const json_t *me = json_object_get(selector, "matchExpressions");
	if ((ml != NULL && !json_is_object(ml) && !json_is_null(ml)) ||
	    (me != NULL && !json_is_array(me) && !json_is_null(me)))
		return false;
	const char *key, *have;
	const json_t *want;
	json_object_foreach((json_t *)json_object_get(selector, "matchLabels"), key, want)
	{
		if (!json_is_string(want) || !selector_label_is(labels, key, &have) ||
		    strcmp(have, json_string_value(want)) != 0)
			return false;
	}
	size_t i;
	const json_t *expr;
	json_array_foreach(json_object_get(selector, "matchExpressions"), i, expr)
	{
		const char *k = NULL, *op = NULL;
		if (jp_string(expr, "key", &k) != JP_OK ||
		    jp_string(expr, "operator", &op) != JP_OK)
			return false;
		bool present = selector_label_is(labels, k, &have);
		const json_t *values = json_object_get(expr, "values");
		if (strcmp(op, "In") == 0) {
			if (!present || !selector_in_values(values, have))
				return false;
		} else if (strcmp(op, "NotIn") == 0) {
			if (present && selector_in_values(values, have))
				return false;
		} else if (strcmp(op, "Exists") == 0) {
			if (!present)
				return false;
		} else if (strcmp(op, "DoesNotExist") == 0) {
			if (present)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

void selector_netpol_directions(const json_t *np, bool *ingress, bool *egress)
{
	const json_t *types = jp_get(np, "spec.policyTypes");
	*ingress = *egress = false;
	if (json_is_array(types) && json_array_size(types) > 0) {
		size_t i;
		const json_t *t;
		json_array_foreach(types, i, t)
		{
			if (json_is_string(t) && strcmp(json_string_value(t), "Ingress") == 0)
				*ingress = true;
			if (json_is_string(t) && strcmp(json_string_value(t), "Egress") == 0)
				*egress = true;
		}
		return;
	}
	*ingress = true;
	*egress = jp_get(np, "spec.egress") != NULL;
}
