/*
 * invresolve: `admitd inventory --resolve`. The digest each container's
 * tag points to now, asked of the image's registry through the
 * configuration's `registries:` (the image-signature verifier's clients
 * and tag resolution, sigverify_target), so that a tag re-pointed since
 * the baseline shows as drift (digest-changed) even where no pod status
 * says what runs.
 *
 * Each distinct image (registry/repository:tag) is asked once per run;
 * only configured registries are asked; each image is bounded by twice
 * its registry's timeoutSeconds, and a registry that did not answer
 * (unreachable, timeout) is not asked again in the same run.
 *
 * Every container of an entry gets:
 *   resolvedDigest  the digest: the tag's now, or the reference's own
 *                   (null when none could be had)
 *   resolveStatus   resolved (asked), pinned (the reference names a
 *                   digest: not asked), no-registry (not configured: not
 *                   asked), failed (asked, no digest), bad-image
 *   resolveReason   why there is no digest (all but resolved and pinned)
 *
 * A failure is also an error of the run (audit_add_error, once per
 * image): the inventory is incomplete, as when an input cannot be read.
 */
#ifndef ADMITD_INVRESOLVE_H
#define ADMITD_INVRESOLVE_H

#include <jansson.h>

struct admitd_config;
struct audit_run;
struct invresolve;

/* A resolver over cfg's registries (cfg must outlive it); NULL when out of memory. */
struct invresolve *invresolve_new(const struct admitd_config *cfg);
void invresolve_free(struct invresolve *rs);

/*
 * Sets resolvedDigest, resolveStatus and resolveReason on each container
 * of entry (an inventory entry); failures become errors of run.
 */
void invresolve_entry(struct invresolve *rs, struct audit_run *run, json_t *entry);

#endif
