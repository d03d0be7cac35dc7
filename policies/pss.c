/*
 * pss.c: typed look-ups and reporting shared by the Pod Security
 * Standards modules (see pss.h for why they exist beside jp_*).
 */
#include "pss.h"

#include <string.h>

enum jp_status pss_get(const json_t *root, const char *path, const json_t **out, size_t *badlen)
{
	const json_t *cur = root;
	const char *p = path;
	*badlen = 0;
	while (*p != '\0') {
		if (cur == NULL || json_is_null(cur))
			return JP_ABSENT;
		if (!json_is_object(cur)) {
			/* the prefix before the separator is what should have been an object */
			*badlen = p > path ? (size_t)(p - path - 1) : 0;
			return JP_BADTYPE;
		}
		const char *dot = strchr(p, '.');
		size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);
		cur = json_object_getn(cur, p, len);
		p += len;
		if (*p == '.')
			p++;
	}
	if (cur == NULL || json_is_null(cur))
		return JP_ABSENT;
	*out = cur;
	return JP_OK;
}

#define PSS_TYPED(name, ctype, test, extract)                                                      \
	enum jp_status pss_##name(const json_t *root, const char *path, ctype *out,                \
				  size_t *badlen)                                                  \
	{                                                                                          \
		const json_t *v = NULL;                                                            \
		enum jp_status st = pss_get(root, path, &v, badlen);                               \
		if (st != JP_OK)                                                                   \
			return st;                                                                 \
		if (!(test)) {                                                                     \
			*badlen = strlen(path);                                                    \
			return JP_BADTYPE;                                                         \
		}                                                                                  \
		*out = (extract);                                                                  \
		return JP_OK;                                                                      \
	}

PSS_TYPED(bool, bool, json_is_boolean(v), json_is_true(v))
PSS_TYPED(string, const char *, json_is_string(v), json_string_value(v))
PSS_TYPED(int, long long, json_is_integer(v), (long long)json_integer_value(v))
PSS_TYPED(object, const json_t *, json_is_object(v), v)
PSS_TYPED(array, const json_t *, json_is_array(v), v)

int pss_bad_type(struct policy_ctx *ctx, const struct container_ref *c, const char *base,
		 const char *path, size_t badlen, const char *want, const char *fix)
{
	/* the leaf's fix means nothing when a step above it is broken */
	if (badlen < strlen(path)) {
		want = "an object";
		fix = "make it an object";
	}
	if (c != NULL)
		return policy_fail(ctx, c, "has a %.*s that is not %s; %s", (int)badlen, path, want,
				   fix);
	return policy_fail(ctx, NULL, "pod has a %s%s%.*s that is not %s; %s",
			   base != NULL ? base : "", base != NULL && badlen > 0 ? "." : "",
			   (int)badlen, path, want, fix);
}

int pss_user_namespace(struct policy_ctx *ctx, bool *relaxed)
{
	bool host_users = true;
	size_t bad = 0;
	*relaxed = false;
	switch (pss_bool(ctx->pod->spec, "hostUsers", &host_users, &bad)) {
	case JP_OK:
		*relaxed = !host_users;
		break;
	case JP_BADTYPE:
		/* read by several checks, reported by the first: one finding, one line */
		if (!policy_once(ctx, POLICY_ONCE_HOST_USERS))
			return 0;
		return pss_bad_type(ctx, NULL, ctx->pod->spec_path, "hostUsers", bad, "a boolean",
				    "set true or false");
	case JP_ABSENT:
		break;
	}
	return 0;
}

const char *pss_field_name(struct policy_ctx *ctx, const struct container_ref *c, const char *path,
			   const char **who)
{
	*who = c != NULL ? "" : "pod ";
	if (c != NULL)
		return path;
	return arena_printf(ctx->arena, "%s.%s", ctx->pod->spec_path, path);
}

static bool pss_profile_good(const json_t *profile)
{
	const char *type = json_string_value(json_object_get(profile, "type"));
	return type != NULL &&
	       (strcmp(type, "RuntimeDefault") == 0 || strcmp(type, "Localhost") == 0);
}

static int pss_profile_judge(struct policy_ctx *ctx, const struct pss_field *f)
{
	if (f->value == NULL) { /* asked for: a container with neither its own nor the pod's */
		if (pss_profile_good(f->pod_value))
			return 0;
		return policy_fail(
			ctx, f->c,
			"must set %s.type to RuntimeDefault or Localhost (pod or container)",
			f->name);
	}
	const char *type = NULL;
	size_t bad = 0;
	switch (pss_string(f->value, "type", &type, &bad)) {
	case JP_OK:
		if (pss_profile_good(f->value))
			return 0;
		return policy_fail(ctx, f->c,
				   "%smust not set %s.type=\"%s\"; use RuntimeDefault or Localhost",
				   f->who, f->name, type);
	case JP_BADTYPE:
		return policy_fail(ctx, f->c,
				   "%shas a %s.type that is not a string; use RuntimeDefault or "
				   "Localhost",
				   f->who, f->name);
	case JP_ABSENT:
		break;
	}
	return policy_fail(ctx, f->c, "%smust set %s.type to RuntimeDefault or Localhost", f->who,
			   f->name);
}

int pss_profiles(struct policy_ctx *ctx, const char *path, bool required)
{
	const struct pss_visit v = {
		.path = path,
		.type = JSON_OBJECT,
		.want = "an object",
		.fix = "set type RuntimeDefault or Localhost",
		.pod = true,
		.unset = required,
		.judge = pss_profile_judge,
	};
	return pss_visit_fields(ctx, &v);
}

const char *pss_join_quoted(struct arena *a, const char *list, const char *item)
{
	if (list == NULL)
		return arena_printf(a, "\"%s\"", item);
	return arena_printf(a, "%s, \"%s\"", list, item);
}

bool pss_in(const char *const *words, const char *s)
{
	for (size_t i = 0; words[i] != NULL; i++)
		if (strcmp(words[i], s) == 0)
			return true;
	return false;
}

static bool pss_has_type(const json_t *v, json_type type)
{
	if (type == JSON_TRUE || type == JSON_FALSE)
		return json_is_boolean(v);
	return json_typeof(v) == type;
}

/* The field at v->path under root: 1 with *out set, 0 unset, -1 reported (wrong type). */
static int pss_visit_get(struct policy_ctx *ctx, const struct pss_visit *v,
			 const struct container_ref *c, const json_t *root, const json_t **out)
{
	size_t bad = 0;
	*out = NULL;
	switch (pss_get(root, v->path, out, &bad)) {
	case JP_OK:
		if (pss_has_type(*out, v->type))
			return 1;
		*out = NULL;
		bad = strlen(v->path);
		break;
	case JP_BADTYPE:
		break;
	case JP_ABSENT:
		return 0;
	}
	return pss_bad_type(ctx, c, c != NULL ? NULL : ctx->pod->spec_path, v->path, bad, v->want,
			    v->fix) < 0
		       ? -2
		       : -1;
}

int pss_visit_fields(struct policy_ctx *ctx, const struct pss_visit *v)
{
	const struct pod_view *pod = ctx->pod;
	struct pss_field f = {.who = "pod ", .arg = v->arg};
	const json_t *pod_value = NULL;
	int got = v->pod ? pss_visit_get(ctx, v, NULL, pod->spec, &pod_value) : 0;
	if (got == -2)
		return -1;
	/* an unset pod field is no finding by itself: a container's judge sees it as pod_value */
	if (got == 1) {
		f.name = pss_field_name(ctx, NULL, v->path, &f.who);
		if (f.name == NULL)
			return policy_error(ctx, "out of memory");
		f.value = pod_value;
		if (v->judge(ctx, &f) < 0)
			return -1;
	}
	f.who = "";
	f.name = v->path;
	f.pod_value = pod_value;
	for (size_t i = 0; i < pod->ncontainers; i++) {
		f.c = &pod->containers[i];
		got = pss_visit_get(ctx, v, f.c, f.c->json, &f.value);
		if (got == -2)
			return -1;
		if ((got == 1 || (got == 0 && v->unset)) && v->judge(ctx, &f) < 0)
			return -1;
	}
	return 0;
}

static int pss_proc_mount_judge(struct policy_ctx *ctx, const struct pss_field *f)
{
	const char *pm = json_string_value(f->value);
	if (strcmp(pm, "Default") == 0)
		return 0;
	return policy_fail(ctx, f->c, "must not set %s=\"%s\"; remove it or set Default%s", f->name,
			   pm, (const char *)f->arg);
}

int pss_proc_mount_default(struct policy_ctx *ctx, const char *hint)
{
	const struct pss_visit v = {
		.path = "securityContext.procMount",
		.type = JSON_STRING,
		.want = "a string",
		.fix = "remove it or set Default",
		.judge = pss_proc_mount_judge,
		.arg = hint,
	};
	return pss_visit_fields(ctx, &v);
}

int pss_capabilities_add(struct policy_ctx *ctx, const struct container_ref *c,
			 const char *const *allowed, const char *type_fix, const char *fix,
			 bool parent_reported)
{
	const char *path = "securityContext.capabilities.add";
	const json_t *add = NULL;
	size_t bad = 0;
	switch (pss_array(c->json, path, &add, &bad)) {
	case JP_OK:
		break;
	case JP_BADTYPE:
		if (parent_reported && bad < strlen(path))
			return 0;
		return pss_bad_type(ctx, c, NULL, path, bad, "a list", type_fix);
	case JP_ABSENT:
		return 0;
	}
	const char *forbidden = NULL;
	size_t i;
	const json_t *cap;
	json_array_foreach(add, i, cap)
	{
		if (!json_is_string(cap)) {
			if (policy_fail(ctx, c, "has a %s[%zu] that is not a string; remove it",
					path, i) < 0)
				return -1;
			continue;
		}
		if (pss_in(allowed, json_string_value(cap)))
			continue;
		forbidden = pss_join_quoted(ctx->arena, forbidden, json_string_value(cap));
		if (forbidden == NULL)
			return policy_error(ctx, "out of memory");
	}
	if (forbidden != NULL)
		return policy_fail(ctx, c, "must not include %s in %s; %s", forbidden, path, fix);
	return 0;
}

int pss_visit_volumes(struct policy_ctx *ctx, const char *type_fix, pss_volume_fn judge)
{
	const struct pod_view *pod = ctx->pod;
	const json_t *volumes = NULL;
	size_t bad = 0;
	switch (pss_array(pod->spec, "volumes", &volumes, &bad)) {
	case JP_OK:
		break;
	case JP_BADTYPE:
		return pss_bad_type(ctx, NULL, pod->spec_path, "volumes", bad, "a list", type_fix);
	case JP_ABSENT:
		return 0;
	}
	size_t i;
	const json_t *vol;
	json_array_foreach(volumes, i, vol)
	{
		int rc;
		if (!json_is_object(vol)) {
			rc = policy_fail(
				ctx, NULL,
				"pod has a %s.volumes[%zu] that is not an object; fix or remove it",
				pod->spec_path, i);
		} else {
			const char *name = NULL;
			if (jp_string(vol, "name", &name) != JP_OK)
				name = "";
			rc = judge(ctx, i, vol, name);
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}
