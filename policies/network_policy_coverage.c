/*
 * network-policy-coverage (audit only): a pod that no NetworkPolicy
 * selects is open to every peer in the cluster, whatever its labels say.
 *
 * Forbids: a Pod or workload whose pod labels are selected by no
 *          NetworkPolicy of its namespace for ingress, or for egress.
 * Reads:   the pod labels (pod view), and each NetworkPolicy's
 *          spec.podSelector (matchLabels, matchExpressions; an empty
 *          selector selects every pod), spec.policyTypes (absent: Ingress,
 *          plus Egress when spec.egress is present).
 * Only `admitd audit` knows the namespace's NetworkPolicies; in the
 * webhook the check has nothing to look at and reports nothing.
 */
#include <string.h>

#include "policy.h"

static bool npc_label_is(const json_t *labels, const char *key, const char **value)
{
	const json_t *v = json_object_get(labels, key);
	if (!json_is_string(v))
		return false;
	*value = json_string_value(v);
	return true;
}

static bool npc_in_values(const json_t *values, const char *value)
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
static bool npc_selects(const json_t *selector, const json_t *labels)
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
		if (!json_is_string(want) || !npc_label_is(labels, key, &have) ||
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
		bool present = npc_label_is(labels, k, &have);
		const json_t *values = json_object_get(expr, "values");
		if (strcmp(op, "In") == 0) {
			if (!present || !npc_in_values(values, have))
				return false;
		} else if (strcmp(op, "NotIn") == 0) {
			if (present && npc_in_values(values, have))
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

static void npc_directions(const json_t *np, bool *ingress, bool *egress)
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

static int npc_check(struct policy_ctx *ctx)
{
	const struct pod_view *pod = ctx->pod;
	if (pod->network_policies == NULL)
		return 0;
	bool ingress = false, egress = false;
	size_t i;
	const json_t *np;
	json_array_foreach(pod->network_policies, i, np)
	{
		const json_t *spec = json_object_get(np, "spec");
		if (!json_is_object(spec))
			continue;
		if (!npc_selects(json_object_get(spec, "podSelector"), pod->pod_labels))
			continue;
		bool in, out;
		npc_directions(np, &in, &out);
		ingress |= in;
		egress |= out;
	}
	const char *what = strcmp(pod->kind, "Pod") == 0 ? "pod" : "pod template";
	const char *ns = pod->namespace != NULL ? pod->namespace : "default";
	if (!ingress && policy_fail(ctx, NULL,
				    "%s is selected by no NetworkPolicy for ingress in namespace "
				    "\"%s\"; add one whose podSelector matches its labels",
				    what, ns) < 0)
		return -1;
	if (!egress && policy_fail(ctx, NULL,
				   "%s is selected by no NetworkPolicy for egress in namespace "
				   "\"%s\"; add one whose podSelector matches its labels",
				   what, ns) < 0)
		return -1;
	return 0;
}

const struct policy_desc policy_network_policy_coverage = {
	.id = "network-policy-coverage",
	.description =
		"Audit only: every workload is selected by a NetworkPolicy for ingress and egress",
	.level = POLICY_LEVEL_NONE,
	.default_action = POLICY_ACTION_OFF,
	.check = npc_check,
	.audit_only = true,
};
