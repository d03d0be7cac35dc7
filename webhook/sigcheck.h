/*
 * sigcheck: the image-signatures policy's verdicts gathered before the
 * engine runs. The engine and its checks never wait on a network; the
 * server's workers (or `admitd audit`) ask the registries here first, and
 * the engine reads the answers (engine_input.signatures).
 */
#ifndef ADMITD_SIGCHECK_H
#define ADMITD_SIGCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "../policies/image.h"
#include "sigverify.h"

struct admitd_config;
struct engine_input;
struct arena;

/*
 * Some images and the keys they are verified with: an `imageKeys` entry,
 * or `images` with `keys`. Each has its own fingerprint (in verify), so
 * that the cache never hands one entry's verdict to another's images.
 */
struct sigcheck_rule {
	struct sigverify_policy verify;
	const struct image_pattern *patterns; /* the images it checks */
	size_t npatterns;
	/* for a denial: "imageKeys[0] (PATTERNS), so only its keys count: FILES" */
	const char *expected;
};

/* The policy's side, as its module prepared it (policies/image_signatures.c). */
struct sigcheck_policy {
	/* imageKeys' entries in order, then images with keys: an image is the first match's */
	const struct sigcheck_rule *rules;
	size_t nrules;
	long timeout_ms; /* the most one review waits for registries */
	bool allow_on_registry_error;
};

struct sigcheck_item {
	char *image;
	struct sigverify_verdict v;
};

struct sigcheck_results {
	bool skipped; /* not gathered on purpose (audit --offline): the policy says nothing */
	size_t n;
	struct sigcheck_item *items;
};

/* The policy's state when image-signatures is on in cfg and registries exist; else NULL. */
const struct sigcheck_policy *sigcheck_policy(const struct admitd_config *cfg);
/*
 * Whether a registry gatherer (this one, or the image-contents policies')
 * reads cfg's pods: then the caller builds one pod view for the gatherers
 * and the engine (engine_input.pod) instead of one each.
 */
bool sigcheck_gathers(const struct admitd_config *cfg);
/*
 * The rule image is checked under (the first whose patterns match it), or
 * NULL when the policy does not check it. An image that does not parse is
 * checked (the verifier reports it) under the first rule.
 */
const struct sigcheck_rule *sigcheck_rule(const struct sigcheck_policy *p, struct arena *a,
					  const char *image);
/*
 * The images of in's object that the policy checks, each once: malloc'd
 * strings in a malloc'd array (sigcheck_images_free). 0 when none, or
 * when the policy is off.
 */
size_t sigcheck_images(const struct admitd_config *cfg, const struct engine_input *in,
		       struct arena *a, char ***out);
void sigcheck_images_free(char **images, size_t n);
/* Verifies each image, blocking until deadline at the latest: for workers and audit. */
int sigcheck_run(const struct admitd_config *cfg, char *const *images, size_t n,
		 struct timespec deadline, struct sigcheck_results *out);
/* Without waiting: true when every image has a fresh verdict in the cache (then out holds them). */
bool sigcheck_cached(const struct admitd_config *cfg, char *const *images, size_t n,
		     struct sigcheck_results *out);
/*
 * For `admitd audit` and `admitd test`, which judge one object at a time:
 * the verdicts of in's images, gathered now (blocking, within the
 * policy's timeoutSeconds), or, offline, marked skipped. Returns whether
 * the policy is on for this object (out then to be freed).
 */
bool sigcheck_gather(const struct admitd_config *cfg, const struct engine_input *in,
		     struct arena *a, bool offline, struct sigcheck_results *out);
const struct sigverify_verdict *sigcheck_find(const struct sigcheck_results *r, const char *image);
void sigcheck_results_free(struct sigcheck_results *r);

#endif
