/*
 * policy.h: the interface every policy module implements.
 *
 * A module is one .c file under policies/ that ends with a
 * `const struct policy_desc policy_<name>` descriptor, its user page
 * policies/<name>.md beside it, and one line in policies/registry.def. The engine builds a pod_view
 * of the object (a Pod, or the pod template of a workload), calls the module's check function, and
 * the module reports each problem with policy_fail().
 *
 * Modules never allocate with malloc on the request path: the arena in
 * the context is released when the request ends.
 */
#ifndef ADMITD_POLICY_H
#define ADMITD_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include <cyaml/cyaml.h>
#include <jansson.h>

#include "../webhook/arena.h"

enum policy_level {
	POLICY_LEVEL_NONE = 0, /* not part of the Pod Security Standards */
	POLICY_LEVEL_BASELINE,
	POLICY_LEVEL_RESTRICTED,
};

/* Ordered by severity: a larger value is stricter. */
enum policy_action {
	POLICY_ACTION_OFF = 0,
	POLICY_ACTION_AUDIT,
	POLICY_ACTION_WARN,
	POLICY_ACTION_DENY,
};

/* One entry of containers, initContainers or ephemeralContainers. */
struct container_ref {
	const json_t *json; /* the container object */
	const char *name;   /* "" when the container has no name */
	const char *image;  /* NULL when missing or not a string */
	const char *list;   /* "containers", "initContainers", "ephemeralContainers" */
	size_t index;       /* position within its list */
};

/*
 * An image volume (spec.volumes[].image, Kubernetes 1.31+, KEP-4639): the
 * kubelet pulls `reference` like a container image, so every image policy
 * judges it too.
 */
struct image_volume_ref {
	const json_t *json;      /* the volume object */
	const char *name;        /* "" when the volume has no name */
	const json_t *reference; /* volumes[].image.reference as sent (any JSON type) */
	size_t index;            /* position in spec.volumes */
};

struct kind_desc;

/* What checks read: the same shape for a Pod and for every workload. */
struct pod_view {
	const char *kind;             /* "Pod", "Deployment", ... */
	const struct kind_desc *desc; /* the kinds table's entry the view was built by */
	const json_t *object;         /* the object as sent */
	const json_t *pod_meta;   /* the pod's metadata (template's for workloads); may be NULL */
	const json_t *pod_labels; /* pod_meta.labels when an object, else NULL */
	const json_t *spec;       /* the pod spec; an object, never NULL */
	const char *spec_path;    /* "spec", "spec.template.spec", ... for messages */
	bool windows;             /* spec.os.name == "windows" */
	/* spec.nodeSelector or spec.affinity is set: without them, no node label narrows where
	 * the pod lands (the image-contents checks then judge every platform unasked) */
	bool node_constrained;
	struct container_ref *containers;
	size_t ncontainers;
	struct image_volume_ref *image_volumes;
	size_t nimage_volumes;
	const char *namespace;          /* the object's namespace; may be NULL */
	const json_t *network_policies; /* audit only: the namespace's NetworkPolicies
					 * (array); NULL when unknown (webhook) */
};

struct policy_desc;
struct violation;

struct sigcheck_results;
struct imgcheck_results;

struct policy_ctx {
	struct arena *arena;
	const struct pod_view *pod;
	const struct policy_desc *policy;
	const void *state; /* what the module's prepare() returned, or NULL */
	/* owned by the engine: */
	struct violation **tail;
	size_t nviolations;
	const char *error; /* set by policy_error() */
	unsigned *once;    /* the request's POLICY_ONCE_* findings already reported */
	/* image-signatures: verdicts gathered before the engine ran (webhook/sigcheck.h) */
	const struct sigcheck_results *signatures;
	/* image-contents modules: the images' facts gathered before (webhook/imgcheck.h) */
	const struct imgcheck_results *contents;
};

/*
 * A malformed field that several checks read (spec.hostUsers) is one
 * finding: the first check that meets it reports it, the others do not.
 */
enum policy_once {
	POLICY_ONCE_HOST_USERS = 1u << 0,
};
/* True the first time in this request (and then marks it reported). */
bool policy_once(struct policy_ctx *ctx, enum policy_once what);

/*
 * Module parameters. A module that takes parameters gives the libcyaml
 * fields of its own struct (`params_fields`, `params_size`); the config
 * loader reads them from the module's entry under `policies:`. prepare()
 * then turns the loaded struct (NULL when the entry is absent or has no
 * parameters) into the module's runtime state, once per configuration
 * load, so the request path never parses configuration. On a bad value it
 * writes a one-line reason into err and returns -1.
 */
typedef int (*policy_prepare_fn)(const void *params, void **state, char *err, size_t errlen);
typedef void (*policy_release_fn)(void *state);
/* Returns 0 when the check ran (violations or not), -1 on an internal failure. */
typedef int (*policy_check_fn)(struct policy_ctx *ctx);

struct policy_desc {
	const char *id;
	const char *description;           /* one line, for `admitd policies` */
	enum policy_level level;           /* PSS level, or POLICY_LEVEL_NONE */
	enum policy_action default_action; /* for POLICY_LEVEL_NONE modules */
	const char *overrides; /* id of the baseline twin this check replaces at restricted */
	const cyaml_schema_field_t *params_fields; /* NULL: no parameters */
	size_t params_size;
	policy_prepare_fn prepare; /* may be NULL */
	policy_release_fn release; /* may be NULL */
	policy_check_fn check;
	/*
	 * The check needs what only `admitd audit` reads (the namespace's
	 * NetworkPolicies): in the webhook it never finds anything, so a
	 * configuration that turns it on there is warned about.
	 */
	bool audit_only;
};

struct violation {
	const struct policy_desc *policy;
	enum policy_action action;             /* filled in by the engine */
	const struct container_ref *container; /* NULL for a pod-level problem */
	const struct image_volume_ref *volume; /* an image volume's problem, else NULL */
	const char *image;   /* the image the problem concerns (exemptions.images), or NULL */
	const char *detail;  /* what is wrong and what to change, without the container */
	const char *message; /* `container "NAME" ` + detail, or detail */
	/*
	 * Set by the engine on an UPDATE: the old object had the same violation
	 * (same key) and the update does not touch its container, so it
	 * predates the update; a deny became a warning.
	 */
	bool preexisting;
	/* reported with policy_warn: a warning at most, whatever the policy's action */
	bool never_denies;
	struct violation *next;
};

/*
 * The violation's stable key, `policy|scope|detail`, with scope
 * `pod`, `volume/NAME` or `LIST/NAME` (containers/web): the same problem on
 * the old and the new object of an UPDATE has the same key. In the arena;
 * NULL when out of memory.
 */
const char *violation_key(struct arena *a, const struct violation *v);

/*
 * Report one problem. With a container, the message is prefixed with
 * `container "NAME" `, so modules write only what is wrong and what to
 * change: policy_fail(ctx, c, "must not set securityContext.privileged=true").
 * Returns 0, or -1 when out of memory.
 */
int policy_fail(struct policy_ctx *ctx, const struct container_ref *c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same for an image volume: prefixed with `volume "NAME" `. */
int policy_fail_volume(struct policy_ctx *ctx, const struct image_volume_ref *vol, const char *fmt,
		       ...) __attribute__((format(printf, 3, 4)));
/*
 * A problem that never denies: with the policy's action deny (or warn) it is
 * sent as a warning, with audit it is recorded; off, nothing. For a check
 * whose configuration lets an image through that it could not judge
 * (image-signatures' onRegistryError: allow), which must still say so. c's,
 * or vol's when c is NULL, prefixed as policy_fail and policy_fail_volume do.
 */
int policy_warn(struct policy_ctx *ctx, const struct container_ref *c,
		const struct image_volume_ref *vol, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Record an internal failure (bad state, out of memory); returns -1. */
int policy_error(struct policy_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * JSON look-ups by dotted path ("securityContext.capabilities.add").
 * jp_get returns NULL when any step is absent or not an object.
 * The typed getters tell absent from wrong type, so a module can fail
 * closed on a malformed field instead of treating it as unset.
 */
enum jp_status { JP_ABSENT = 0, JP_OK, JP_BADTYPE };
const json_t *jp_get(const json_t *root, const char *path);
enum jp_status jp_bool(const json_t *root, const char *path, bool *out);
enum jp_status jp_string(const json_t *root, const char *path, const char **out);
enum jp_status jp_int(const json_t *root, const char *path, long long *out);
enum jp_status jp_object(const json_t *root, const char *path, const json_t **out);
enum jp_status jp_array(const json_t *root, const char *path, const json_t **out);

/* Container and pod security context look-ups used by many checks. */
const json_t *pod_security_context(const struct pod_view *pod); /* may be NULL */

/*
 * A strict boolean parameter: libcyaml's own CYAML_BOOL reads any unknown
 * word ("flase") as true, which would silently flip a security switch.
 * Use this instead of CYAML_FIELD_BOOL for a `bool` member.
 */
extern const cyaml_strval_t policy_bool_strings[];
#define POLICY_BOOL_STRINGS_COUNT 6
#define POLICY_FIELD_BOOL(key, structure, member)                                                  \
	CYAML_FIELD_ENUM(key, CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT, structure, member,          \
			 policy_bool_strings, POLICY_BOOL_STRINGS_COUNT)

const char *policy_level_name(enum policy_level level);
const char *policy_action_name(enum policy_action action);

#endif
