/*
 * pss: helpers shared by the Pod Security Standards modules.
 *
 * The apiserver only calls a validating webhook with an object that
 * passed its own schema validation, but `admitd test` and `admitd audit`
 * read whatever YAML they are given. So the PSS checks never treat a
 * field of the wrong JSON type as unset: these look-ups tell "absent"
 * from "wrong type" at every step of a dotted path (jp_get stops
 * silently at a step that is not an object), and pss_bad_type() turns
 * the latter into a violation.
 */
#ifndef ADMITD_PSS_H
#define ADMITD_PSS_H

#include "policy.h"

/*
 * Like the jp_* getters, but a step of the path that is present and not
 * an object is JP_BADTYPE too. On JP_BADTYPE, *badlen is the length of
 * the prefix of `path` that has the wrong type (strlen(path) when it is
 * the value itself). A JSON null is absent.
 */
enum jp_status pss_get(const json_t *root, const char *path, const json_t **out, size_t *badlen);
enum jp_status pss_bool(const json_t *root, const char *path, bool *out, size_t *badlen);
enum jp_status pss_string(const json_t *root, const char *path, const char **out, size_t *badlen);
enum jp_status pss_int(const json_t *root, const char *path, long long *out, size_t *badlen);
enum jp_status pss_object(const json_t *root, const char *path, const json_t **out, size_t *badlen);
enum jp_status pss_array(const json_t *root, const char *path, const json_t **out, size_t *badlen);

/*
 * Reports that the field at `path` (cut at badlen) has the wrong JSON
 * type: `has a securityContext.privileged that is not a boolean; <fix>`.
 * `want` names the type the full path should have ("a boolean") and `fix`
 * what to do about it; a cut path names an object instead. With c == NULL the field is the pod's
 * and `base` is where the path hangs from (ctx->pod->spec_path, ...). Returns what policy_fail()
 * returns.
 */
int pss_bad_type(struct policy_ctx *ctx, const struct container_ref *c, const char *base,
		 const char *path, size_t badlen, const char *want, const char *fix);

/*
 * Whether the pod runs in a user namespace (spec.hostUsers: false), which
 * upstream (policy v1.35+) lets relax some checks. A hostUsers that is not
 * a boolean is reported and never relaxes anything.
 * Returns 0, or -1 when out of memory.
 */
int pss_user_namespace(struct policy_ctx *ctx, bool *relaxed);

/*
 * A profile object of a securityContext (seccompProfile, appArmorProfile)
 * at `path`, on the pod and on every container: its type must be
 * RuntimeDefault or Localhost; anything else, a missing type included, is
 * reported. With `required`, a container without one of its own or a good
 * one on the pod is reported too. Returns 0, or -1 when out of memory.
 */
int pss_profiles(struct policy_ctx *ctx, const char *path, bool required);

/*
 * How a field is named in a message: a pod's from the object's root
 * (*who "pod ", `spec.template.spec.securityContext.x`), a container's
 * from the container (*who "", the path itself). NULL when out of memory.
 */
const char *pss_field_name(struct policy_ctx *ctx, const struct container_ref *c, const char *path,
			   const char **who);

/*
 * The field visitor, as pod-security-admission's visitContainers: one
 * securityContext field, read on the pod (when asked) and then on every
 * container of all three lists, type-checked once, and handed to the
 * check's judge, which only decides about one value. A value of the wrong
 * type is reported here, with the visit's `want` and `fix`.
 */
struct pss_field {
	const struct container_ref *c; /* NULL: the pod's own field */
	const char *who;               /* "pod " or "": starts the pod's messages */
	const char *name;              /* as printed: spec.securityContext.x or securityContext.x */
	const json_t *value;           /* of the visit's type; NULL when unset */
	const json_t *pod_value;       /* for a container: the pod's value it inherits, or NULL */
	const void *arg;               /* the visit's arg */
};
typedef int (*pss_judge_fn)(struct policy_ctx *ctx, const struct pss_field *f);

struct pss_visit {
	const char *path; /* under the pod spec and under each container */
	json_type type;   /* JSON_TRUE for a boolean */
	const char *want; /* "a boolean": the type in a wrong-type message */
	const char *fix;  /* what to do with a value of the wrong type */
	bool pod;         /* judge the pod's field too, before the containers' */
	bool unset;       /* the judge also sees containers' fields that are not set */
	pss_judge_fn judge;
	const void *arg;
};
/* Returns 0, or -1 when out of memory. */
int pss_visit_fields(struct policy_ctx *ctx, const struct pss_visit *v);

/*
 * Every container must leave securityContext.procMount unset or Default.
 * `hint` is appended to the fix (baseline mentions user namespaces).
 * Shared by proc-mount and proc-mount-restricted, which differ only in
 * when they apply.
 */
int pss_proc_mount_default(struct policy_ctx *ctx, const char *hint);

/*
 * A container's securityContext.capabilities.add may hold only `allowed`
 * names: a list of another type is reported with `type_fix` (unless a
 * broken step above it was already reported, `parent_reported`), an entry
 * that is not a string on its own, and the forbidden names in one finding
 * ending with `fix`. Shared by capabilities-baseline and -restricted.
 */
int pss_capabilities_add(struct policy_ctx *ctx, const struct container_ref *c,
			 const char *const *allowed, const char *type_fix, const char *fix,
			 bool parent_reported);

/*
 * Every entry of spec.volumes, for a volume check: a volumes of another
 * type is reported with `type_fix`, an entry that is not an object on its
 * own; the judge gets each object with its index and name ("" unnamed).
 */
typedef int (*pss_volume_fn)(struct policy_ctx *ctx, size_t i, const json_t *vol, const char *name);
int pss_visit_volumes(struct policy_ctx *ctx, const char *type_fix, pss_volume_fn judge);

/* `list, "item"` (or `"item"` when list is NULL), in the arena; NULL when out of memory. */
const char *pss_join_quoted(struct arena *a, const char *list, const char *item);

/* Whether s is one of the NULL-terminated words. */
bool pss_in(const char *const *words, const char *s);

#endif
