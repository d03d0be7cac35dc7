/*
 * workload.c: maps each judged kind to where its pod lives, and gathers
 * every container list once so that checks loop over one array.
 */
#include "workload.h"

#include <pthread.h>
#include <string.h>

static const char *const workload_lists[] = {"containers", "initContainers", "ephemeralContainers"};

bool workload_template(const struct kind_desc *wk, const json_t *object, const json_t **tmpl)
{
	*tmpl = NULL;
	if (wk == NULL || wk->template_path == NULL)
		return false;
	*tmpl = jp_get(object, wk->template_path);
	return true;
}

/* An absent spec has no containers and sets nothing: it is judged as an
 * empty object, shared read-only by every thread. */
static json_t *workload_empty_spec;
static pthread_once_t workload_empty_once = PTHREAD_ONCE_INIT;

static void workload_empty_init(void)
{
	workload_empty_spec = json_object();
}

void workload_init(void)
{
	/* before any request arena exists: this object lives for the process */
	pthread_once(&workload_empty_once, workload_empty_init);
}

/*
 * Image volumes (spec.volumes[].image.reference, Kubernetes 1.31+): the
 * only field of the pod spec besides the three container lists that names
 * an image the kubelet pulls (checked against the 1.32 API: ImageVolumeSource
 * is the one *VolumeSource with an image reference). A volume list of the
 * wrong type is left to restricted-volumes and the API server; here an
 * `image` that is not an object is malformed, since no policy can read it.
 */
static enum workload_result workload_image_volumes(const json_t *spec, struct arena *a,
						   struct pod_view *out, const char **why)
{
	const json_t *vols = json_object_get(spec, "volumes");
	size_t i;
	const json_t *v;
	json_array_foreach(vols, i, v)
	{
		const json_t *img = json_object_get(v, "image");
		if (img == NULL || json_is_null(img))
			continue;
		if (!json_is_object(img)) {
			*why = arena_printf(a, "%s.volumes[%zu].image is not an object",
					    out->spec_path, i);
			return WORKLOAD_MALFORMED;
		}
		/* room for the rest of the list, taken at the first image volume only: most
		 * pods have volumes and none of them an image */
		if (out->image_volumes == NULL &&
		    (out->image_volumes = arena_alloc(
			     a, (json_array_size(vols) - i) * sizeof(struct image_volume_ref))) ==
			    NULL)
			return WORKLOAD_NOMEM;
		struct image_volume_ref *r = &out->image_volumes[out->nimage_volumes++];
		const char *s = NULL;
		r->json = v;
		r->index = i;
		r->name = jp_string(v, "name", &s) == JP_OK ? s : "";
		r->reference = json_object_get(img, "reference");
	}
	return WORKLOAD_OK;
}

/*
 * The object at `path` in root, as jp_get finds it, except that a field on
 * the way that is there but not an object is an error: a configured kind's
 * schema may leave its template untyped, and a template that cannot be
 * read must not pass as one that is absent. Returns 0 (*at NULL when
 * absent), or -1 with *why naming the field.
 */
static int workload_at(const json_t *root, const char *path, struct arena *a, const json_t **at,
		       const char **why)
{
	const json_t *cur = root;
	for (const char *p = path; cur != NULL;) {
		const char *dot = strchr(p, '.');
		size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);
		cur = json_object_getn(cur, p, len);
		if (dot == NULL)
			break;
		if (cur != NULL && !json_is_object(cur)) {
			*why = arena_printf(a, "%.*s is not an object", (int)(dot - path), path);
			return -1;
		}
		p = dot + 1;
	}
	*at = cur;
	return 0;
}

enum workload_result workload_pod_view(const struct kind_desc *wk, const json_t *object,
				       struct arena *a, struct pod_view *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	if (wk == NULL)
		return WORKLOAD_NOT_JUDGED;
	out->kind = wk->kind;
	out->desc = wk;
	out->object = object;
	if (!json_is_object(object)) {
		*why = "the object is not a JSON object";
		return WORKLOAD_MALFORMED;
	}

	const json_t *pod = object;
	const char *prefix = "";
	if (wk->template_path != NULL) {
		if (workload_at(object, wk->template_path, a, &pod, why) < 0)
			return *why != NULL ? WORKLOAD_MALFORMED : WORKLOAD_NOMEM;
		prefix = wk->template_path;
		if (pod != NULL && !json_is_object(pod)) {
			*why = arena_printf(a, "%s is not an object", wk->template_path);
			return WORKLOAD_MALFORMED;
		}
	}
	out->spec_path = wk->template_path != NULL ? arena_printf(a, "%s.spec", prefix) : "spec";
	if (out->spec_path == NULL)
		return WORKLOAD_NOMEM;

	const json_t *meta = pod != NULL ? json_object_get(pod, "metadata") : NULL;
	if (meta != NULL && !json_is_object(meta)) {
		*why = arena_printf(a, "%s%smetadata is not an object", prefix, *prefix ? "." : "");
		return WORKLOAD_MALFORMED;
	}
	out->pod_meta = meta;
	const json_t *labels = meta != NULL ? json_object_get(meta, "labels") : NULL;
	if (labels != NULL && !json_is_object(labels) && !json_is_null(labels)) {
		*why = arena_printf(a, "%s%smetadata.labels is not an object", prefix,
				    *prefix ? "." : "");
		return WORKLOAD_MALFORMED;
	}
	out->pod_labels = json_is_object(labels) ? labels : NULL;

	const json_t *spec = pod != NULL ? json_object_get(pod, "spec") : NULL;
	if (spec != NULL && !json_is_object(spec)) {
		*why = arena_printf(a, "%s is not an object", out->spec_path);
		return WORKLOAD_MALFORMED;
	}
	if (spec == NULL) {
		pthread_once(&workload_empty_once, workload_empty_init);
		if (workload_empty_spec == NULL)
			return WORKLOAD_NOMEM;
		spec = workload_empty_spec;
	}
	out->spec = spec;

	const char *os = NULL;
	out->windows = jp_string(spec, "os.name", &os) == JP_OK && strcmp(os, "windows") == 0;
	out->node_constrained = json_object_get(spec, "nodeSelector") != NULL ||
				json_object_get(spec, "affinity") != NULL;

	size_t total = 0;
	for (size_t l = 0; l < 3; l++) {
		const json_t *list = json_object_get(spec, workload_lists[l]);
		if (list == NULL || json_is_null(list))
			continue;
		if (!json_is_array(list)) {
			*why = arena_printf(a, "%s.%s is not a list", out->spec_path,
					    workload_lists[l]);
			return WORKLOAD_MALFORMED;
		}
		total += json_array_size(list);
	}
	out->containers = arena_alloc(a, (total ? total : 1) * sizeof(struct container_ref));
	if (out->containers == NULL)
		return WORKLOAD_NOMEM;
	for (size_t l = 0; l < 3; l++) {
		const json_t *list = json_object_get(spec, workload_lists[l]);
		size_t idx;
		const json_t *c;
		json_array_foreach(list, idx, c)
		{
			if (!json_is_object(c)) {
				*why = arena_printf(a, "%s.%s[%zu] is not an object",
						    out->spec_path, workload_lists[l], idx);
				return WORKLOAD_MALFORMED;
			}
			struct container_ref *r = &out->containers[out->ncontainers++];
			const char *s = NULL;
			r->json = c;
			r->list = workload_lists[l];
			r->index = idx;
			r->name = jp_string(c, "name", &s) == JP_OK ? s : "";
			r->image = jp_string(c, "image", &s) == JP_OK ? s : NULL;
		}
	}
	return workload_image_volumes(spec, a, out, why);
}
