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
#include "selector.h"

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
		if (!selector_matches(json_object_get(spec, "podSelector"), pod->pod_labels))
			continue;
		bool in, out;
		selector_netpol_directions(np, &in, &out);
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
