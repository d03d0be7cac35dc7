/*
 * review: the AdmissionReview codec (admission.k8s.io/v1 and v1beta1).
 * Decoding validates the envelope and points the engine input into the
 * parsed tree; encoding writes the response in the request's apiVersion.
 */
#ifndef ADMITD_REVIEW_H
#define ADMITD_REVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "config.h"
#include "engine.h"

/* The default nesting bound (limits.maxJsonDepth): no Kubernetes object needs more. */
#define REVIEW_MAX_DEPTH 64

/*
 * Kubernetes asks webhooks for short warnings; once all of a response's
 * warnings pass 4,096 bytes it cuts each to 256 characters, then drops
 * the rest. admitd keeps each under the cut and all of them under the total.
 */
#define REVIEW_WARNING_MAX    256
#define REVIEW_WARNINGS_TOTAL 4096

/* The longest prefix of s (len bytes), at most max bytes, ending on a UTF-8 boundary. */
size_t review_utf8_cut(const char *s, size_t len, size_t max);

struct review {
	json_t *root;            /* owns the parsed body */
	const char *api_version; /* echoed in the response */
	const char *uid;
	const char *subresource; /* NULL or "" when none */
	bool dry_run;            /* request.dryRun: nothing will be stored */
	struct engine_input in;
};

/*
 * Parses and validates a request body. Returns 0, or -1 with a short
 * reason in err (the caller answers 400).
 */
int review_decode(const char *body, size_t len, unsigned max_depth, struct review *out, char *err,
		  size_t errlen);
void review_free(struct review *rv);

/* Whether the engine should judge this request (subresources other than
 * ephemeralcontainers carry no new pod spec). */
bool review_judged(const struct review *rv);

/*
 * The response document, as a malloc'd JSON text in *out (length *len).
 * Returns 0, or -1 when out of memory.
 */
int review_encode(const struct review *rv, const struct engine_verdict *v,
		  const struct admitd_config *cfg, char **out, size_t *len);

/* `{"error":"..."}` for HTTP errors; malloc'd. */
char *review_error_body(const char *message, size_t *len);

#endif
