/*
 * selector: Kubernetes label selectors and NetworkPolicy directions, read
 * once for network-policy-coverage and for `admitd inventory`, which must
 * agree on which policies cover a pod.
 */
#ifndef ADMITD_SELECTOR_H
#define ADMITD_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/*
 * Whether a label selector (matchLabels, matchExpressions) selects these
 * labels. An absent or null selector, and an empty one, select every pod;
 * a selector that cannot be read (a wrong type, an unknown operator)
 * selects nothing, so that a gap is reported, never hidden.
 */
bool selector_matches(const json_t *selector, const json_t *labels);

/*
 * The directions a NetworkPolicy governs: spec.policyTypes, or when absent
 * Ingress, plus Egress when spec.egress is present.
 */
void selector_netpol_directions(const json_t *np, bool *ingress, bool *egress);

/*
 * required-labels' configured keys (its prepared state), at most max of
 * them, in configuration order; 0 when the policy has no state.
 */
size_t required_labels_keys(const void *state, const char **keys, size_t max);

#endif
