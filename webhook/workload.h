/*
 * workload: the pod view of every judged kind (kinds.h says which, and
 * where each keeps its pod template): every container list and image
 * volume gathered once, so that checks loop over one array.
 */
#ifndef ADMITD_WORKLOAD_H
#define ADMITD_WORKLOAD_H

#include <stdbool.h>

#include "../policies/policy.h"
#include "kinds.h"

enum workload_result {
	WORKLOAD_NOT_JUDGED = 0, /* not a kind admitd judges */
	WORKLOAD_OK = 1,
	WORKLOAD_MALFORMED = -1, /* judged kind, but the pod part has the wrong shape */
	WORKLOAD_NOMEM = -2,
};

/* Process-wide set-up; call before the first request (safe to call twice). */
void workload_init(void);

/*
 * The pod template of a workload object (spec.template, ...) of kind k, in
 * *tmpl (NULL when absent). Returns false for a Pod and for kinds not
 * judged (k NULL): they have no template.
 */
bool workload_template(const struct kind_desc *k, const json_t *object, const json_t **tmpl);

/*
 * Builds the view of an object of kind k (kinds_lookup) into *out, all
 * allocations in the arena. Along the template path, a field that is there
 * but not an object is malformed; an absent one is a template with no
 * containers. On WORKLOAD_MALFORMED, *why says what is wrong (arena string).
 */
enum workload_result workload_pod_view(const struct kind_desc *k, const json_t *object,
				       struct arena *a, struct pod_view *out, const char **why);

#endif
