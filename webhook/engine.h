/*
 * engine: judges one object against a configuration. Used by the webhook,
 * by `admitd audit` and by `admitd test`, so that every path applies the
 * same policy code.
 */
#ifndef ADMITD_ENGINE_H
#define ADMITD_ENGINE_H

#include <stdbool.h>

#include "../policies/policy.h"
#include "config.h"
#include "kinds.h"

/*
 * An object's own opt-out: a comma-separated list of the policy (or custom
 * rule) ids it is exempt from, in its metadata.annotations and, for a
 * workload, its pod template's (the pods carry only the template's). `admitd
 * audit` always honours it and reports each as an exemption quoting it; the
 * webhook only in the namespaces of `exemptions.annotationNamespaces`, or
 * any pod author could exempt their own pod.
 */
#define ENGINE_EXEMPT_ANNOTATION "admitd.io/exempt"

/* Who asks for what: the parts of an AdmissionReview request the engine reads. */
struct engine_input {
	const char *kind;      /* request.kind.kind, or the object's kind */
	const char *group;     /* request.kind.group; NULL: the group of the object's apiVersion */
	const char *operation; /* CREATE, UPDATE, DELETE, CONNECT */
	const char *namespace; /* may be NULL (cluster-scoped) or "" */
	const char *name;      /* may be NULL */
	const char *username;  /* may be NULL */
	const json_t *groups;  /* array of strings, may be NULL */
	const json_t *object;
	const json_t *old_object;       /* request.oldObject on UPDATE; NULL otherwise */
	const json_t *network_policies; /* audit only; NULL in the webhook */
	/* image-signatures: the verdicts gathered for this object's images (sigcheck.h) */
	const struct sigcheck_results *signatures;
	/* the image-contents policies: the facts gathered for this object's images (imgcheck.h) */
	const struct imgcheck_results *contents;
	/*
	 * object's pod view when the caller built it already (engine_pod_view), so
	 * that the registry gatherers and the engine read one; NULL: built where needed
	 */
	const struct pod_view *pod;
	bool audit; /* judged by `admitd audit`: ENGINE_EXEMPT_ANNOTATION counts in every namespace
		     */
};

/* An exemption that applied: to the whole request (policy NULL) or one policy. */
struct engine_exemption {
	const struct policy_desc *policy;
	const char *reason;
	struct engine_exemption *next;
};

struct engine_verdict {
	bool allowed;
	bool judged;                  /* a judged kind and operation, and not wholly exempt */
	struct violation *violations; /* every violation whose action is not off */
	size_t nviolations;
	size_t ndeny;        /* violations with action deny */
	size_t npreexisting; /* violations that predate this UPDATE (not denied) */
	struct engine_exemption *exemptions;
	const char *error;   /* an internal failure: the request is denied (fail closed) */
	const char *message; /* status.message when denied or would be denied */
	unsigned once;       /* POLICY_ONCE_* findings reported (policy.h) */
	const char *warning; /* about the request itself (its exempt annotation), or NULL */
	struct pod_view pod;
};

/*
 * in->object's pod view: in->pod when the caller built it, else built into
 * space (in a). NULL when the object is not judged, malformed, or out of
 * memory: the engine says which.
 */
const struct pod_view *engine_pod_view(const struct admitd_config *cfg,
				       const struct engine_input *in, struct arena *a,
				       struct pod_view *space);

/*
 * The update rule (configuration key `updates`, docs/configuration.md).
 * With `newViolations` (the default), an UPDATE with an old object:
 *  - of a workload whose pod template changed is judged in full, as a CREATE;
 *  - otherwise a violation whose key (violation_key) the old object had too
 *    predates the update, unless it belongs to a container the update adds
 *    or whose image it changes: it is reported, marked preexisting, and a
 *    deny becomes a warning. New violations deny as on CREATE.
 * With `all`, every UPDATE is judged as a CREATE. Whatever the setting, an
 * object that is being deleted (metadata.deletionTimestamp) is not judged.
 *
 * Judges `in` under `cfg`. Everything in *out lives in the arena.
 * Returns 0, or -1 when out of memory (out->error set, out->allowed false).
 */
int engine_evaluate(const struct admitd_config *cfg, const struct engine_input *in, struct arena *a,
		    struct engine_verdict *out);

/*
 * The kind `in` is judged as under cfg (kinds_lookup): by its group and
 * kind, the group taken from the object's apiVersion when in->group is
 * NULL. NULL when admitd does not judge it.
 */
const struct kind_desc *engine_kind(const struct admitd_config *cfg, const struct engine_input *in);

/* The object's name for messages: `Pod "web"` / `Deployment "api" in namespace "prod"`. */
const char *engine_object_label(struct arena *a, const struct engine_input *in);

#endif
