/*
 * imgcontents: what the image-contents modules (image-runs-as-root,
 * image-exposed-ports, image-env-secrets) share: a visitor over the
 * containers whose image a module reads, with the image's facts gathered
 * before the engine ran (webhook/imgcheck.h), one call per linux platform
 * the pod can land on; and the failures every such module reports alike
 * (a registry that failed, a configuration that cannot be read, facts
 * that were never gathered: fail closed).
 */
#ifndef ADMITD_IMGCONTENTS_H
#define ADMITD_IMGCONTENTS_H

#include "../webhook/imgcheck.h"
#include "policy.h"

enum imgcontents_verdict {
	IMGCONTENTS_OK = 0,
	IMGCONTENTS_WARN, /* reported with policy_warn: never denies */
	IMGCONTENTS_FAIL,
};

/*
 * What one platform of one container's image says: a detail (arena
 * string: what is wrong and what to change, without the container or the
 * image) and its verdict. Details that are equal across platforms are
 * reported once, naming every platform.
 */
typedef enum imgcontents_verdict (*imgcontents_fn)(struct policy_ctx *ctx,
						   const struct container_ref *c,
						   const struct imgfacts_platform *p,
						   const char **detail);

/* Visits every container of ctx's pod whose image pol reads. Returns 0, or -1 (out of memory). */
int imgcontents_visit(struct policy_ctx *ctx, const struct imgcheck_policy *pol, imgcontents_fn fn);

#endif
