/*
 * workload: the pod view of every judged kind (kinds.h says which, and
 * where each keeps its pod template): every container list and image
 * volume gathered once, so that checks loop over one array.
 */
#ifndef ADMITD_WORKLOAD_H
#define ADMITD_WORKLOAD_H

#include <stdbool.h>

#include "../policies/policy.h"

enum workload_result {
	WORKLOAD_NOT_JUDGED = 0, /* not a kind admitd judges */
	WORKLOAD_OK = 1,
	WORKLOAD_MALFORMED = -1, /* judged kind, but the pod part has the wrong shape */
	WORKLOAD_NOMEM = -2,
};

/* Process-wide set-up; call before the first request (safe to call twice). */
void workload_init(void);

/*
 * The pod template of a workload object (spec.template, ...), in *tmpl
 * (NULL when absent). Returns false for a Pod and for kinds not judged:
 * they have no template.
 */
bool workload_template(const char *kind, const json_t *object, const json_t **tmpl);

/*
 * Builds the view into *out, all allocations in the arena. On
 * WORKLOAD_MALFORMED, *why says what is wrong (arena string).
 */
enum workload_result workload_pod_view(const char *kind, const json_t *object, struct arena *a,
				       struct pod_view *out, const char **why);

#endif
