/*
 * imgcontents.c: the image-contents modules' visitor (see imgcontents.h).
 */
#include "imgcontents.h"

#include <string.h>

#include "../webhook/arena.h"

/* The image's facts could not be had: the module's verdict for the container. */
static int imgcontents_failed(struct policy_ctx *ctx, const struct imgcheck_policy *pol,
			      const struct container_ref *c, const struct imgfacts *f)
{
	if (f == NULL)
		return policy_fail(ctx, c,
				   "image \"%s\": its configuration was not read (the registry "
				   "was not asked); this fails closed",
				   c->image);
	const char *digest = f->digest[0] != '\0' ? f->digest : "no digest";
	if (f->status == IMGFACTS_UNREACHABLE && pol->allow_on_registry_error)
		return policy_warn(ctx, c, NULL,
				   "is allowed unchecked: image \"%s\" (%s): %s; onRegistryError "
				   "is allow",
				   c->image, digest, f->reason);
	return policy_fail(ctx, c, "image \"%s\" (%s): %s%s", c->image, digest, f->reason,
			   f->status == IMGFACTS_UNREACHABLE
				   ? "; while the registry fails, images are denied "
				     "(onRegistryError: deny)"
				   : "");
}

int imgcontents_visit(struct policy_ctx *ctx, const struct imgcheck_policy *pol, imgcontents_fn fn)
{
	if (pol == NULL)
		return policy_error(ctx, "%s has no prepared state", ctx->policy->id);
	if (imgcheck_pod_windows(ctx->pod))
		return 0; /* Windows images say nothing these checks read */
	if (ctx->contents != NULL && ctx->contents->skipped)
		return 0; /* audit --offline: reported as skipped, not as a verdict */
	/* most pods pin no architecture: then every platform is judged, without asking each */
	bool narrowed = imgcheck_arch_narrowed(ctx->pod);
	for (size_t i = 0; i < ctx->pod->ncontainers; i++) {
		const struct container_ref *c = &ctx->pod->containers[i];
		if (c->image == NULL)
			continue; /* other policies say so */
		const struct imgfacts *f = imgcheck_find(ctx->contents, c->image);
		if (f == NULL && !imgcheck_wanted(pol, ctx->arena, c->image))
			continue;
		if (f == NULL || f->status != IMGFACTS_OK) {
			if (imgcontents_failed(ctx, pol, c, f) < 0)
				return -1;
			continue;
		}
		/* each platform's detail, then equal details reported once */
		const char *details[IMGFACTS_MAX_PLATFORMS];
		enum imgcontents_verdict verdicts[IMGFACTS_MAX_PLATFORMS];
		bool done[IMGFACTS_MAX_PLATFORMS] = {false};
		size_t n = f->n < IMGFACTS_MAX_PLATFORMS ? f->n : IMGFACTS_MAX_PLATFORMS;
		for (size_t k = 0; k < n; k++) {
			details[k] = NULL;
			verdicts[k] = IMGCONTENTS_OK;
			if (strcmp(f->platforms[k].os, "linux") != 0 ||
			    (narrowed && !imgcheck_arch_allowed(ctx->pod, f->platforms[k].arch)))
				continue;
			verdicts[k] = fn(ctx, c, &f->platforms[k], &details[k]);
		}
		for (size_t k = 0; k < n; k++) {
			if (done[k] || verdicts[k] == IMGCONTENTS_OK || details[k] == NULL)
				continue;
			char *platforms = arena_strdup(ctx->arena, f->platforms[k].platform);
			for (size_t j = k + 1; j < n && platforms != NULL; j++)
				if (!done[j] && verdicts[j] == verdicts[k] && details[j] != NULL &&
				    strcmp(details[j], details[k]) == 0) {
					done[j] = true;
					platforms = arena_printf(ctx->arena, "%s, %s", platforms,
								 f->platforms[j].platform);
				}
			if (platforms == NULL)
				return policy_error(ctx, "out of memory");
			int rc = verdicts[k] == IMGCONTENTS_WARN
					 ? policy_warn(ctx, c, NULL, "image \"%s\" (%s, %s): %s",
						       c->image, f->digest, platforms, details[k])
					 : policy_fail(ctx, c, "image \"%s\" (%s, %s): %s",
						       c->image, f->digest, platforms, details[k]);
			if (rc < 0)
				return -1;
		}
	}
	return 0;
}
