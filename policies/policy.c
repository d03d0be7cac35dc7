/*
 * policy.c: helpers shared by all policy modules: reporting violations
 * into the request arena and typed JSON look-ups by dotted path.
 */
#include "policy.h"

#include <stdarg.h>
#include <string.h>

static int policy_add(struct policy_ctx *ctx, const struct container_ref *c,
		      const struct image_volume_ref *vol, bool never_denies, const char *fmt,
		      va_list ap)
{
	char *what = arena_vprintf(ctx->arena, fmt, ap);
	if (what == NULL)
		return policy_error(ctx, "out of memory");
	struct violation *v = arena_calloc(ctx->arena, sizeof(*v));
	if (v == NULL)
		return policy_error(ctx, "out of memory");
	v->policy = ctx->policy;
	v->container = c;
	v->volume = vol;
	v->detail = what;
	v->never_denies = never_denies;
	if (c != NULL) {
		v->image = c->image;
		v->message = arena_printf(ctx->arena, "container \"%s\" %s", c->name, what);
	} else if (vol != NULL) {
		v->image = json_string_value(vol->reference);
		v->message = arena_printf(ctx->arena, "volume \"%s\" %s", vol->name, what);
	} else {
		v->message = what;
	}
	if (v->message == NULL)
		return policy_error(ctx, "out of memory");
	*ctx->tail = v;
	ctx->tail = &v->next;
	ctx->nviolations++;
	return 0;
}

int policy_fail(struct policy_ctx *ctx, const struct container_ref *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = policy_add(ctx, c, NULL, false, fmt, ap);
	va_end(ap);
	return rc;
}

int policy_fail_volume(struct policy_ctx *ctx, const struct image_volume_ref *vol, const char *fmt,
		       ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = policy_add(ctx, NULL, vol, false, fmt, ap);
	va_end(ap);
	return rc;
}

int policy_warn(struct policy_ctx *ctx, const struct container_ref *c,
		const struct image_volume_ref *vol, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = policy_add(ctx, c, c != NULL ? NULL : vol, true, fmt, ap);
	va_end(ap);
	return rc;
}

const char *violation_key(struct arena *a, const struct violation *v)
{
	if (v->container != NULL)
		return arena_printf(a, "%s|%s/%s|%s", v->policy->id, v->container->list,
				    v->container->name, v->detail);
	if (v->volume != NULL)
		return arena_printf(a, "%s|volume/%s|%s", v->policy->id, v->volume->name,
				    v->detail);
	return arena_printf(a, "%s|pod|%s", v->policy->id,
			    v->detail != NULL ? v->detail : v->message);
}

bool policy_once(struct policy_ctx *ctx, enum policy_once what)
{
	if (ctx->once == NULL)
		return true;
	bool first = (*ctx->once & what) == 0;
	*ctx->once |= what;
	return first;
}

int policy_error(struct policy_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const char *msg = arena_vprintf(ctx->arena, fmt, ap);
	va_end(ap);
	/* keep the first error: later ones are usually consequences */
	if (ctx->error == NULL)
		ctx->error = msg != NULL ? msg : "out of memory";
	return -1;
}

const json_t *jp_get(const json_t *root, const char *path)
{
	const json_t *cur = root;
	const char *p = path;
	while (cur != NULL && *p != '\0') {
		const char *dot = strchr(p, '.');
		size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (!json_is_object(cur))
			return NULL;
		cur = json_object_getn(cur, p, len);
		p += len;
		if (*p == '.')
			p++;
	}
	return cur;
}

#define JP_TYPED(name, ctype, test, extract)                                                       \
	enum jp_status jp_##name(const json_t *root, const char *path, ctype *out)                 \
	{                                                                                          \
		const json_t *v = jp_get(root, path);                                              \
		if (v == NULL || json_is_null(v))                                                  \
			return JP_ABSENT;                                                          \
		if (!(test))                                                                       \
			return JP_BADTYPE;                                                         \
		*out = (extract);                                                                  \
		return JP_OK;                                                                      \
	}

JP_TYPED(bool, bool, json_is_boolean(v), json_is_true(v))
JP_TYPED(string, const char *, json_is_string(v), json_string_value(v))
JP_TYPED(int, long long, json_is_integer(v), (long long)json_integer_value(v))
JP_TYPED(object, const json_t *, json_is_object(v), v)
JP_TYPED(array, const json_t *, json_is_array(v), v)

const json_t *pod_security_context(const struct pod_view *pod)
{
	const json_t *sc = json_object_get(pod->spec, "securityContext");
	return json_is_object(sc) ? sc : NULL;
}

const cyaml_strval_t policy_bool_strings[POLICY_BOOL_STRINGS_COUNT] = {
	{"true", 1}, {"True", 1}, {"TRUE", 1}, {"false", 0}, {"False", 0}, {"FALSE", 0},
};

const char *policy_level_name(enum policy_level level)
{
	switch (level) {
	case POLICY_LEVEL_BASELINE:
		return "baseline";
	case POLICY_LEVEL_RESTRICTED:
		return "restricted";
	case POLICY_LEVEL_NONE:
		break;
	}
	return "-";
}

const char *policy_action_name(enum policy_action action)
{
	switch (action) {
	case POLICY_ACTION_DENY:
		return "deny";
	case POLICY_ACTION_WARN:
		return "warn";
	case POLICY_ACTION_AUDIT:
		return "audit";
	case POLICY_ACTION_OFF:
		break;
	}
	return "off";
}
