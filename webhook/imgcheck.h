/*
 * imgcheck: the image-contents policies' facts (imgfacts.h) gathered
 * before the engine runs, as sigcheck.h does for signatures: the engine
 * and its checks never wait on a network; the server's workers (or
 * `admitd audit`) ask the registries here first, and the checks read the
 * answers (engine_input.contents, policy_ctx.contents).
 *
 * The contents policies (image-runs-as-root, image-exposed-ports,
 * image-env-secrets) each choose their images; an image is read once for
 * all of them. image-vulnerabilities reads, for its images, the image's
 * signed vulnerability scan instead (vulnattest.h); an image's
 * configuration is read only for the policies that read it.
 */
#ifndef ADMITD_IMGCHECK_H
#define ADMITD_IMGCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cyaml/cyaml.h>
#include <jansson.h>

#include "../policies/image.h"
#include "imgfacts.h"
#include "vulnattest.h"

struct admitd_config;
struct engine_input;
struct arena;
struct pod_view;

/* The common part of a contents policy's state: its first member. */
struct imgcheck_policy {
	struct image_pattern *patterns; /* the images the policy checks (owned) */
	size_t npatterns;
	long timeout_ms; /* the most one review waits for registries */
	bool allow_on_registry_error;
	/* a policy that reads signed attestations (image-vulnerabilities): its keys */
	const struct cosign_keys *keys;
};

/* The common parameters, for the modules' libcyaml schemas. */
struct imgcheck_params {
	char **images;
	unsigned images_count;
	unsigned *timeout_seconds;
	int on_registry_error;
};
#define IMGCHECK_FIELDS(type, member)                                                              \
	CYAML_FIELD_SEQUENCE("images", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL, type,             \
			     member.images, &imgcheck_string_schema, 0, CYAML_UNLIMITED),          \
		CYAML_FIELD_UINT_PTR("timeoutSeconds", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,   \
				     type, member.timeout_seconds),                                \
		CYAML_FIELD_ENUM("onRegistryError", CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT, type, \
				 member.on_registry_error, imgcheck_on_error_strings, 2)
extern const cyaml_schema_value_t imgcheck_string_schema;
extern const cyaml_strval_t imgcheck_on_error_strings[2];

/*
 * A contents policy's state: size bytes (zeroed) whose first member is its
 * imgcheck_policy, filled from the common parameters (NULL when the module
 * was given none: "images" is required, so that is an error). NULL with err.
 * imgcheck_state_free releases the common part and the state; a module
 * releases its own members first.
 */
void *imgcheck_state_new(size_t size, const struct imgcheck_params *common, char *err,
			 size_t errlen);
void imgcheck_state_free(void *state);

/*
 * An image, its facts and its scan (NULL where no policy reads them).
 * They point at the item's own copies (own_*, heap) or, from
 * imgcheck_cached, at the thread's memo's, lent until the results are
 * freed: a review on the fast path copies nothing.
 */
struct imgcheck_item {
	const char *image;
	const struct imgfacts *facts;
	const struct vulnattest *vuln;
	char *own_image;
	struct imgfacts *own_facts;
	struct vulnattest *own_vuln;
};

struct imgcheck_results {
	bool skipped; /* not gathered on purpose (audit --offline) */
	size_t n;
	struct imgcheck_item *items;
};

/* Whether any contents policy is on in cfg (and registries exist). */
bool imgcheck_enabled(const struct admitd_config *cfg);
/* The longest wait any of them allows, in ms. */
long imgcheck_timeout_ms(const struct admitd_config *cfg);
bool imgcheck_wanted(const struct imgcheck_policy *p, struct arena *a, const char *image);
/* The images of in's object some contents policy checks, each once (imgcheck_images_free). */
size_t imgcheck_images(const struct admitd_config *cfg, const struct engine_input *in,
		       struct arena *a, char ***out);
void imgcheck_images_free(char **images, size_t n);
/* Reads each image's facts, blocking until deadline at the latest: workers and audit. */
int imgcheck_run(const struct admitd_config *cfg, char *const *images, size_t n,
		 struct timespec deadline, struct imgcheck_results *out);
/* Without waiting: true when every image's facts are fresh in the cache (out holds them). */
bool imgcheck_cached(const struct admitd_config *cfg, char *const *images, size_t n,
		     struct imgcheck_results *out);
/* audit and test: gathered now, or marked skipped offline; false when no policy is on. */
bool imgcheck_gather(const struct admitd_config *cfg, const struct engine_input *in,
		     struct arena *a, bool offline, struct imgcheck_results *out);
/* An image's facts; NULL when they were not gathered (no configuration policy reads it). */
const struct imgfacts *imgcheck_find(const struct imgcheck_results *r, const char *image);
/* An image's vulnerability scan; NULL when it was not gathered. */
const struct vulnattest *imgcheck_find_vuln(const struct imgcheck_results *r, const char *image);
void imgcheck_results_free(struct imgcheck_results *r);

/*
 * The pod's side. Whether it is a Windows pod (spec.os.name, or a
 * kubernetes.io/os node selector or required affinity of windows): these
 * checks do not judge those. Whether a platform's architecture is one the
 * pod can land on: its kubernetes.io/arch node selector and required node
 * affinity (terms ORed, expressions ANDed; In, NotIn, Exists,
 * DoesNotExist), every architecture when it has neither.
 */
bool imgcheck_pod_windows(const struct pod_view *pod);
bool imgcheck_arch_allowed(const struct pod_view *pod, const char *arch);
/* Whether the pod narrows architectures at all (else imgcheck_arch_allowed is always true). */
bool imgcheck_arch_narrowed(const struct pod_view *pod);

#endif
