/*
 * inventory.c: `admitd inventory`. Reads through audit (audit_hooks): the
 * first pass keeps NetworkPolicies (audit's), Services and ServiceAccounts,
 * which may come after the workloads they concern; the second makes each
 * workload's entry, which goes to audit's spill file with a record whose
 * `findings` digest everything the entry says but its identity, so that
 * audit_fold folds a pod or ReplicaSet into its controller only when it
 * adds nothing. The status digests a pod reports (imageID) are merged into
 * the entry it is folded into.
 */
#include "inventory.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../policies/image.h"
#include "../policies/registry.h"
#include "../policies/selector.h"
#include "audit.h"
#include "html.h"
#include "invresolve.h"
#include "keysort.h"
#include "kinds.h"
#include "readall.h"
#include "workload.h"

#define INV_MAX_LABEL_KEYS 64

struct inv {
	struct audit_hooks hooks;
	struct arena arena;
	json_t *services; /* namespace -> [{name, type, selector, ports}] */
	json_t *accounts; /* "namespace/name" -> automountServiceAccountToken (true, false, null) */
	const char *label_keys[INV_MAX_LABEL_KEYS];
	size_t nlabel_keys;
	/*
	 * Each record's key, "namespace/Kind/name", with its index: sorted in
	 * a temporary file (keysort.h), as holding the keys would cost as much
	 * again as audit's record of each workload.
	 */
	struct keysort *keys;
	size_t nkeys;
	const char *keys_failed;    /* why a key could not be noted; NULL while all were */
	struct invresolve *resolve; /* --resolve: each tag's digest now (invresolve.h); else NULL */
};

static const char *inv_str(const json_t *obj, const char *path)
{
	const char *s = NULL;
	return jp_string(obj, path, &s) == JP_OK ? s : NULL;
}

static const char *inv_ns(const struct audit_run *run, const json_t *obj)
{
	const char *ns = audit_namespace(run, obj);
	return ns != NULL ? ns : "default";
}

/* core v1 only: a Service of another group is somebody's CRD */
static bool inv_core(const json_t *obj)
{
	const char *av = inv_str(obj, "apiVersion");
	return av == NULL || strcmp(av, "v1") == 0;
}

/* ---- pass 1: Services and ServiceAccounts ---- */

static void inv_keep(struct audit_run *run, json_t *obj, const char *kind)
{
	struct inv *inv = run->hooks->arg;
	const char *ns = inv_ns(run, obj), *name = inv_str(obj, "metadata.name");
	if (name == NULL || !inv_core(obj))
		return;
	if (strcmp(kind, "ServiceAccount") == 0) {
		char key[600];
		snprintf(key, sizeof(key), "%s/%s", ns, name);
		const json_t *am = json_object_get(obj, "automountServiceAccountToken");
		json_object_set_new(inv->accounts, key,
				    json_is_boolean(am) ? json_boolean(json_is_true(am))
							: json_null());
		return;
	}
	if (strcmp(kind, "Service") != 0)
		return;
	const json_t *sel = jp_get(obj, "spec.selector");
	if (!json_is_object(sel) || json_object_size(sel) == 0)
		return; /* selects no pod (endpoints written by hand, ExternalName) */
	const char *type = inv_str(obj, "spec.type");
	type = type != NULL ? type : "ClusterIP";
	json_t *ports = json_array();
	size_t i;
	const json_t *p;
	json_array_foreach(jp_get(obj, "spec.ports"), i, p)
	{
		json_t *pj = json_object();
		const json_t *v;
		if (json_is_integer(v = json_object_get(p, "port")))
			json_object_set(pj, "port", (json_t *)v);
		const char *proto = inv_str(p, "protocol");
		json_object_set_new(pj, "protocol", json_string(proto != NULL ? proto : "TCP"));
		if ((v = json_object_get(p, "targetPort")) != NULL &&
		    (json_is_integer(v) || json_is_string(v)))
			json_object_set(pj, "targetPort", (json_t *)v);
		if (json_is_integer(v = json_object_get(p, "nodePort")))
			json_object_set(pj, "nodePort", (json_t *)v);
		json_array_append_new(ports, pj);
	}
	bool external = strcmp(type, "NodePort") == 0 || strcmp(type, "LoadBalancer") == 0;
	json_t *svc = json_pack("{s:s,s:s,s:O,s:o,s:b}", "name", name, "type", type, "selector",
				sel, "ports", ports, "external", external);
	json_t *list = json_object_get(inv->services, ns);
	if (list == NULL) {
		list = json_array();
		json_object_set_new(inv->services, ns, list);
	}
	json_array_append_new(list, svc);
}

/* ---- pass 2: a workload's entry ---- */

static bool inv_selects(const json_t *sel, const json_t *labels)
{
	const char *k;
	const json_t *v;
	json_object_foreach((json_t *)sel, k, v)
	{
		const json_t *have = json_object_get(labels, k);
		if (!json_is_string(v) || !json_is_string(have) ||
		    strcmp(json_string_value(v), json_string_value(have)) != 0)
			return false;
	}
	return true;
}

static int inv_cmp_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

/* a list of strings, sorted and without repeats: entries must not depend on input order */
static json_t *inv_sorted(json_t *list)
{
	size_t n = json_array_size(list);
	if (n < 2)
		return list;
	json_t **v = malloc(n * sizeof(*v));
	if (v == NULL)
		return list;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(list, i));
	qsort(v, n, sizeof(*v), inv_cmp_str);
	json_array_clear(list);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || !json_equal(v[i], v[i - 1]))
			json_array_append(list, v[i]);
		json_decref(v[i]);
	}
	free(v);
	return list;
}

static int inv_cmp_name(const void *a, const void *b)
{
	const char *x = json_string_value(json_object_get(*(json_t *const *)a, "name"));
	const char *y = json_string_value(json_object_get(*(json_t *const *)b, "name"));
	return strcmp(x != NULL ? x : "", y != NULL ? y : "");
}

static void inv_sort_by_name(json_t *list)
{
	size_t n = json_array_size(list);
	json_t **v = malloc((n ? n : 1) * sizeof(*v));
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(list, i));
	qsort(v, n, sizeof(*v), inv_cmp_name);
	json_array_clear(list);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, v[i]);
	free(v);
}

/* "docker-pullable://nginx@sha256:..." -> "sha256:..." */
static const char *inv_image_id_digest(const char *id)
{
	const char *at = id != NULL ? strrchr(id, '@') : NULL;
	if (at != NULL)
		return strncmp(at + 1, "sha256:", 7) == 0 ? at + 1 : NULL;
	return id != NULL && strncmp(id, "sha256:", 7) == 0 ? id : NULL;
}

/* the digests a pod's status reports for the container `name` of list */
static json_t *inv_status_digests(const json_t *obj, const char *list, const char *name)
{
	const char *key = strcmp(list, "initContainers") == 0 ? "status.initContainerStatuses"
			  : strcmp(list, "ephemeralContainers") == 0
				  ? "status.ephemeralContainerStatuses"
				  : "status.containerStatuses";
	json_t *out = json_array();
	size_t i;
	const json_t *st;
	json_array_foreach(jp_get(obj, key), i, st)
	{
		const char *n = inv_str(st, "name");
		const char *d = inv_image_id_digest(inv_str(st, "imageID"));
		if (n != NULL && d != NULL && strcmp(n, name) == 0)
			json_array_append_new(out, json_string(d));
	}
	return out;
}

/* image as written, and its parts */
static void inv_image(struct arena *a, json_t *c, const char *image)
{
	struct image_ref ref;
	json_object_set_new(c, "image", image != NULL ? json_string(image) : json_null());
	bool ok = image != NULL && image_parse(a, image, &ref) == 0;
	json_object_set_new(c, "registry", ok ? json_string(ref.host) : json_null());
	json_object_set_new(c, "repository", ok ? json_string(ref.path) : json_null());
	json_object_set_new(c, "tag", ok && ref.tag != NULL ? json_string(ref.tag) : json_null());
	json_object_set_new(c, "digest",
			    ok && ref.digest != NULL ? json_string(ref.digest) : json_null());
}

static const json_t *inv_ctx_field(const json_t *c, const json_t *spec, const char *field,
				   bool *from_pod)
{
	char path[128];
	snprintf(path, sizeof(path), "securityContext.%s", field);
	const json_t *v = jp_get(c, path);
	*from_pod = false;
	if (v == NULL || json_is_null(v)) {
		v = jp_get(spec, path);
		*from_pod = v != NULL && !json_is_null(v);
	}
	return v != NULL && !json_is_null(v) ? v : NULL;
}

static json_t *inv_container(struct arena *a, const struct container_ref *cr, const json_t *spec)
{
	const json_t *c = cr->json;
	json_t *out = json_pack("{s:s,s:s}", "list", cr->list, "name", cr->name);
	inv_image(a, out, cr->image);
	json_t *ports = json_array();
	size_t i;
	const json_t *p;
	json_array_foreach(json_object_get(c, "ports"), i, p)
	{
		json_t *pj = json_object();
		const json_t *v;
		if (json_is_integer(v = json_object_get(p, "containerPort")))
			json_object_set(pj, "containerPort", (json_t *)v);
		if (json_is_integer(v = json_object_get(p, "hostPort")) &&
		    json_integer_value(v) > 0)
			json_object_set(pj, "hostPort", (json_t *)v);
		if (json_is_string(v = json_object_get(p, "name")))
			json_object_set(pj, "name", (json_t *)v);
		const char *proto = inv_str(p, "protocol");
		json_object_set_new(pj, "protocol", json_string(proto != NULL ? proto : "TCP"));
		json_array_append_new(ports, pj);
	}
	json_object_set_new(out, "ports", ports);
	bool priv = false;
	jp_bool(c, "securityContext.privileged", &priv);
	json_object_set_new(out, "privileged", json_boolean(priv));
	json_t *caps = json_array();
	const json_t *cap;
	json_array_foreach(jp_get(c, "securityContext.capabilities.add"), i, cap)
	{
		if (json_is_string(cap))
			json_array_append(caps, (json_t *)cap);
	}
	json_object_set_new(out, "capabilities", inv_sorted(caps));
	/* the effective user as far as the spec tells: the container's, else the pod's */
	bool from_pod;
	const json_t *uid = inv_ctx_field(c, spec, "runAsUser", &from_pod);
	const json_t *nonroot = inv_ctx_field(c, spec, "runAsNonRoot", &from_pod);
	json_object_set_new(out, "runAsUser",
			    json_is_integer(uid) ? json_integer(json_integer_value(uid))
						 : json_null());
	json_object_set_new(out, "runAsNonRoot",
			    json_is_boolean(nonroot) ? json_boolean(json_is_true(nonroot))
						     : json_null());
	const char *user = "image default";
	if (json_is_integer(uid))
		user = json_integer_value(uid) == 0 ? "root" : "non-root";
	else if (json_is_true(nonroot))
		user = "non-root";
	json_object_set_new(out, "user", json_string(user));
	return out;
}

/* the volume kinds Pod Security's restricted level allows: all others are listed */
static bool inv_restricted_volume(const char *type)
{
	static const char *const ok[] = {"configMap", "csi",       "downwardAPI",
					 "emptyDir",  "ephemeral", "persistentVolumeClaim",
					 "projected", "secret"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(type, ok[i]) == 0)
			return true;
	return false;
}

static json_t *inv_volumes(const json_t *spec)
{
	json_t *out = json_array();
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(spec, "volumes"), i, v)
	{
		const char *k;
		const json_t *src;
		json_object_foreach((json_t *)v, k, src)
		{
			if (strcmp(k, "name") == 0 || strcmp(k, "image") == 0 ||
			    inv_restricted_volume(k))
				continue;
			json_t *vj =
				json_pack("{s:s,s:s}", "name",
					  inv_str(v, "name") ? inv_str(v, "name") : "", "type", k);
			if (strcmp(k, "hostPath") == 0 && inv_str(src, "path") != NULL)
				json_object_set_new(vj, "path", json_string(inv_str(src, "path")));
			json_array_append_new(out, vj);
		}
	}
	return out;
}

static json_t *inv_coverage(struct audit_run *run, const char *ns, const json_t *labels)
{
	json_t *in = json_array(), *out = json_array();
	size_t i;
	const json_t *np;
	const json_t *list = json_object_get(run->netpols, ns);
	json_array_foreach(list, i, np)
	{
		const json_t *spec = json_object_get(np, "spec");
		if (!json_is_object(spec) ||
		    !selector_matches(json_object_get(spec, "podSelector"), labels))
			continue;
		bool ingress, egress;
		selector_netpol_directions(np, &ingress, &egress);
		const char *name = inv_str(np, "metadata.name");
		if (ingress)
			json_array_append_new(in, json_string(name != NULL ? name : ""));
		if (egress)
			json_array_append_new(out, json_string(name != NULL ? name : ""));
	}
	return json_pack("{s:o,s:o,s:b}", "ingress", inv_sorted(in), "egress", inv_sorted(out),
			 "namespaceHasPolicies", json_array_size(list) > 0);
}

static json_t *inv_services(struct inv *inv, const char *ns, const json_t *labels, bool *external)
{
	json_t *out = json_array();
	size_t i;
	const json_t *svc;
	json_array_foreach(json_object_get(inv->services, ns), i, svc)
	{
		if (!inv_selects(json_object_get(svc, "selector"), labels))
			continue;
		json_t *s = json_deep_copy(svc);
		json_object_del(s, "selector");
		*external |= json_is_true(json_object_get(svc, "external"));
		json_array_append_new(out, s);
	}
	inv_sort_by_name(out);
	return out;
}

static json_t *inv_account(struct inv *inv, const char *ns, const json_t *spec)
{
	const char *sa = inv_str(spec, "serviceAccountName");
	if (sa == NULL || sa[0] == '\0')
		sa = inv_str(spec, "serviceAccount"); /* the deprecated spelling */
	if (sa == NULL || sa[0] == '\0')
		sa = "default";
	char key[600];
	snprintf(key, sizeof(key), "%s/%s", ns, sa);
	const json_t *pod = json_object_get(spec, "automountServiceAccountToken");
	const json_t *acct = json_object_get(inv->accounts, key);
	bool mounted = true;
	const char *why = "default";
	if (json_is_boolean(pod)) {
		mounted = json_is_true(pod);
		why = "pod";
	} else if (json_is_boolean(acct)) {
		mounted = json_is_true(acct);
		why = "serviceAccount";
	}
	return json_pack("{s:s,s:b,s:s,s:b}", "name", sa, "tokenMounted", mounted, "tokenMountedBy",
			 why, "known", acct != NULL);
}

/* Notes the key of the record just kept (run->nrecs - 1). */
static void inv_key_add(struct inv *inv, const struct audit_run *run, const char *ns,
			const char *kind, const char *name)
{
	if (inv->keys_failed != NULL)
		return;
	char *key = arena_printf(&inv->arena, "%s/%s/%s", ns, kind, name);
	if (key == NULL)
		inv->keys_failed = "out of memory";
	else if (run->nrecs - 1 > UINT32_MAX)
		inv->keys_failed = "more than 4,294,967,296 objects";
	else if (keysort_add(inv->keys, key, strlen(key), (uint32_t)(run->nrecs - 1)) < 0)
		inv->keys_failed = keysort_error(inv->keys);
	else
		inv->nkeys++;
}

static void inv_judge(struct audit_run *run, const char *source, int line, const json_t *obj,
		      const struct kind_desc *kd)
{
	struct inv *inv = run->hooks->arg;
	struct arena *a = &inv->arena;
	struct pod_view pv;
	const char *why = NULL;
	enum workload_result wr = workload_pod_view(kd, obj, a, &pv, &why);
	if (wr != WORKLOAD_OK) {
		audit_add_error(run, source, line, "%s: %s", kd->kind,
				why != NULL ? why : "out of memory");
		arena_reset(a);
		return;
	}
	const char *ns = inv_ns(run, obj);
	const json_t *spec = pv.spec;
	const json_t *labels = pv.pod_labels != NULL ? pv.pod_labels : json_object();
	json_t *tmp_labels = pv.pod_labels == NULL ? (json_t *)labels : NULL;

	json_t *body = json_object();
	json_t *containers = json_array();
	for (size_t i = 0; i < pv.ncontainers; i++)
		json_array_append_new(containers, inv_container(a, &pv.containers[i], spec));
	for (size_t i = 0; i < pv.nimage_volumes; i++) {
		const struct image_volume_ref *v = &pv.image_volumes[i];
		json_t *c = json_pack("{s:s,s:s}", "list", "imageVolumes", "name", v->name);
		inv_image(a, c, json_string_value(v->reference));
		json_array_append_new(containers, c);
	}
	json_object_set_new(body, "containers", containers);
	json_t *host = json_object();
	static const char *const hostns[] = {"hostNetwork", "hostPID", "hostIPC"};
	for (size_t i = 0; i < 3; i++)
		json_object_set_new(host, hostns[i],
				    json_boolean(json_is_true(json_object_get(spec, hostns[i]))));
	json_object_set_new(body, "hostNamespaces", host);
	json_object_set_new(body, "volumes", inv_volumes(spec));
	json_object_set_new(body, "serviceAccount", inv_account(inv, ns, spec));
	json_t *seg = json_object();
	for (size_t i = 0; i < inv->nlabel_keys; i++) {
		const json_t *v = json_object_get(labels, inv->label_keys[i]);
		json_object_set_new(seg, inv->label_keys[i],
				    json_is_string(v) ? json_incref((json_t *)v) : json_null());
	}
	json_object_set_new(body, "segmentationLabels", seg);
	json_object_set_new(body, "networkPolicies", inv_coverage(run, ns, labels));
	bool external = false;
	json_object_set_new(body, "services", inv_services(inv, ns, labels, &external));
	bool host_port = false;
	size_t i;
	const json_t *c;
	json_array_foreach(containers, i, c)
	{
		size_t k;
		const json_t *p;
		json_array_foreach(json_object_get(c, "ports"), k, p) host_port |=
			json_object_get(p, "hostPort") != NULL;
	}
	json_object_set_new(body, "exposed", json_boolean(external || host_port));

	struct audit_rec *r = audit_rec_new(run, source, line);
	if (r != NULL) {
		/* what the entry says, but who it is: equal bodies fold */
		char *text = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
		r->findings = audit_hash(text, NULL, NULL);
		free(text);
		const char *name = inv_str(obj, "metadata.name");
		json_object_set_new(body, "kind", json_string(kd->kind));
		json_object_set_new(body, "namespace", json_string(ns));
		json_object_set_new(body, "name", json_string(name != NULL ? name : ""));
		const char *api = inv_str(obj, "apiVersion");
		if (api != NULL)
			json_object_set_new(body, "apiVersion", json_string(api));
		audit_rec_identify(run, r, obj, kd->kind, body);
		/* a pod's running digests: not part of what folding compares */
		if (strcmp(kd->kind, "Pod") == 0)
			json_array_foreach(containers, i, c)
			{
				const char *list = json_string_value(json_object_get(c, "list"));
				json_t *d = inv_status_digests(
					obj, list, json_string_value(json_object_get(c, "name")));
				if (json_array_size(d) > 0)
					json_object_set_new((json_t *)c, "runningDigests",
							    inv_sorted(d));
				else
					json_decref(d);
			}
		size_t had = run->nrecs;
		audit_rec_keep(run, r, body, source, line);
		if (run->nrecs > had)
			inv_key_add(inv, run, ns, kd->kind, name != NULL ? name : "");
	}
	json_decref(body);
	json_decref(tmp_labels);
	arena_reset(a);
}

/* ---- the inventory: folded entries, sorted, with counts ---- */

static const char *inv_cstr(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s != NULL ? s : "";
}

/* pod's running digests into the entry it was folded into, container by container */
static void inv_merge_running(json_t *into, const json_t *pod)
{
	size_t i, k;
	const json_t *pc;
	json_t *c;
	json_array_foreach(json_object_get(pod, "containers"), i, pc)
	{
		const json_t *d = json_object_get(pc, "runningDigests");
		if (d == NULL)
			continue;
		json_array_foreach(json_object_get(into, "containers"), k, c)
		{
			if (strcmp(inv_cstr(c, "list"), inv_cstr(pc, "list")) != 0 ||
			    strcmp(inv_cstr(c, "name"), inv_cstr(pc, "name")) != 0)
				continue;
			json_t *have = json_object_get(c, "runningDigests");
			if (have == NULL) {
				have = json_array();
				json_object_set_new(c, "runningDigests", have);
			}
			json_array_extend(have, (json_t *)d);
			inv_sorted(have);
		}
	}
}

static void inv_count(json_t *obj, const char *key)
{
	json_t *c = json_object_get(obj, key);
	json_object_set_new(obj, key, json_integer(c != NULL ? json_integer_value(c) + 1 : 1));
}

/* registry/repository:tag@digest, normalised; the image as written when it does not parse */
static char *inv_image_key(const json_t *c, bool with_digest)
{
	const char *reg = json_string_value(json_object_get(c, "registry"));
	const char *repo = json_string_value(json_object_get(c, "repository"));
	const char *tag = json_string_value(json_object_get(c, "tag"));
	const char *dig = json_string_value(json_object_get(c, "digest"));
	char *out = NULL;
	if (reg == NULL || repo == NULL) {
		const char *img = json_string_value(json_object_get(c, "image"));
		return strdup(img != NULL ? img : "");
	}
	if (asprintf(&out, "%s/%s%s%s%s%s", reg, repo, tag ? ":" : "", tag ? tag : "",
		     with_digest && dig ? "@" : "", with_digest && dig ? dig : "") < 0)
		return NULL;
	return out;
}

/* Finishes an entry: the digest a pod reported where the reference names none. */
static void inv_finish(json_t *e)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(e, "containers"), i, c)
	{
		const json_t *run = json_object_get(c, "runningDigests");
		if (json_is_null(json_object_get(c, "digest")) && json_array_size(run) == 1)
			json_object_set(c, "digest", json_array_get(run, 0));
	}
}

static void inv_tally(json_t *where, const json_t *e)
{
	json_t *regs = json_object_get(where, "registries");
	json_t *imgs = json_object_get(where, "images");
	size_t i;
	const json_t *c;
	json_array_foreach(json_object_get(e, "containers"), i, c)
	{
		const char *reg = json_string_value(json_object_get(c, "registry"));
		inv_count(regs, reg != NULL ? reg : "(unparsed)");
		char *k = inv_image_key(c, false);
		if (k != NULL)
			inv_count(imgs, k);
		free(k);
	}
	inv_count(where, "workloads");
	if (json_is_true(json_object_get(e, "exposed")))
		json_array_append_new(json_object_get(where, "exposed"),
				      json_sprintf("%s/%s/%s", inv_cstr(e, "namespace"),
						   inv_cstr(e, "kind"), inv_cstr(e, "name")));
}

static json_t *inv_counts(void)
{
	return json_pack("{s:i,s:{},s:{},s:[]}", "workloads", 0, "registries", "images", "exposed");
}

/* ---- output ---- */

static json_t *inv_errors(const struct audit_run *run)
{
	json_t *errors = json_array();
	for (size_t i = 0; i < run->nerrors; i++) {
		json_t *err = json_pack("{s:s,s:s}", "source", run->errors[i].source, "message",
					run->errors[i].message);
		if (run->errors[i].line > 0)
			json_object_set_new(err, "line", json_integer(run->errors[i].line));
		json_array_append_new(errors, err);
		if (run->errors[i].line > 0)
			fprintf(stderr, "%s:%d: %s\n", run->errors[i].source, run->errors[i].line,
				run->errors[i].message);
		else
			fprintf(stderr, "%s: %s\n", run->errors[i].source, run->errors[i].message);
	}
	/* a kind the credentials cannot list: what it would have shown is missing, drift too */
	size_t i;
	const json_t *w;
	json_array_foreach(run->warnings, i, w)
		fprintf(stderr, "admitd inventory: incomplete: %s: %s\n", inv_cstr(w, "source"),
			inv_cstr(w, "message"));
	return errors;
}

static void inv_ports_text(const json_t *c, char *buf, size_t len)
{
	size_t n = 0, i;
	const json_t *p;
	buf[0] = '\0';
	json_array_foreach(json_object_get(c, "ports"), i, p)
	{
		const json_t *hp = json_object_get(p, "hostPort");
		int w = hp != NULL ? snprintf(buf + n, len - n, "%s%lld(host %lld)", n ? "," : "",
					      (long long)json_integer_value(
						      json_object_get(p, "containerPort")),
					      (long long)json_integer_value(hp))
				   : snprintf(buf + n, len - n, "%s%lld", n ? "," : "",
					      (long long)json_integer_value(
						      json_object_get(p, "containerPort")));
		if (w < 0 || (size_t)w >= len - n)
			break;
		n += (size_t)w;
	}
	if (n == 0)
		snprintf(buf, len, "-");
}

static void inv_table_head(FILE *out)
{
	fprintf(out, "%-16s %-12s %-24s %-16s %-40s %-16s %-5s %-13s %-9s %s\n", "NAMESPACE",
		"KIND", "NAME", "CONTAINER", "IMAGE", "PORTS", "PRIV", "USER", "NETPOL", "EXPOSED");
}

/* An entry's rows: one per container. */
static void inv_table_entry(FILE *out, const json_t *e)
{
	size_t k;
	const json_t *c;
	const json_t *np = json_object_get(e, "networkPolicies");
	char netpol[16];
	snprintf(netpol, sizeof(netpol), "%s/%s",
		 json_array_size(json_object_get(np, "ingress")) ? "in" : "-",
		 json_array_size(json_object_get(np, "egress")) ? "out" : "-");
	json_array_foreach(json_object_get(e, "containers"), k, c)
	{
		char ports[128];
		inv_ports_text(c, ports, sizeof(ports));
		const char *user = inv_cstr(c, "user");
		fprintf(out, "%-16s %-12s %-24s %-16s %-40s %-16s %-5s %-13s %-9s %s\n",
			inv_cstr(e, "namespace"), inv_cstr(e, "kind"), inv_cstr(e, "name"),
			inv_cstr(c, "name"), inv_cstr(c, "image"), ports,
			json_is_true(json_object_get(c, "privileged")) ? "yes" : "-",
			user[0] ? user : "-", netpol,
			json_is_true(json_object_get(e, "exposed")) ? "yes" : "-");
	}
}

/* After the rows: the cluster's counts. */
static void inv_table_tail(FILE *out, const json_t *cl)
{
	size_t i;
	fprintf(out, "\nRegistries:\n");
	const char *key;
	const json_t *v;
	json_object_foreach((json_t *)json_object_get(cl, "registries"), key, v)
		fprintf(out, "  %-40s %lld\n", key, (long long)json_integer_value(v));
	fprintf(out, "\nImages:\n");
	json_object_foreach((json_t *)json_object_get(cl, "images"), key, v)
		fprintf(out, "  %-60s %lld\n", key, (long long)json_integer_value(v));
	fprintf(out, "\nNamespaces without a NetworkPolicy:");
	json_array_foreach(json_object_get(cl, "namespacesWithoutNetworkPolicy"), i, v)
		fprintf(out, " %s", json_string_value(v));
	fprintf(out, "\nExposed outside the cluster:");
	json_array_foreach(json_object_get(cl, "exposed"), i, v)
		fprintf(out, " %s", json_string_value(v));
	fprintf(out, "\n");
}

/* Drift as audit results, so that the report writers (policyreport, openreports) take it. */
static int inv_drift_reports(struct audit_run *run, const struct audit_format *fmt,
			     const json_t *drift, unsigned fail_on, FILE *out)
{
	struct audit_out o = {.out = out, .run = run, .fmt = fmt};
	fmt->begin(&o);
	/* drift is sorted by namespace first: one result per item, grouped by object */
	size_t i;
	const json_t *d;
	json_array_foreach(drift, i, d)
	{
		unsigned cls = 0;
		for (unsigned c = 0; c < DRIFT_NCLASSES; c++)
			if (strcmp(drift_class_names[c], inv_cstr(d, "class")) == 0)
				cls = c;
		const json_t *container = json_object_get(d, "container");
		json_t *v = json_pack("{s:s,s:s,s:s}", "policy", inv_cstr(d, "class"), "action",
				      (fail_on & (1u << cls)) ? "deny" : "audit", "message",
				      inv_cstr(d, "message"));
		json_object_set_new(v, "container",
				    container != NULL ? json_incref((json_t *)container)
						      : json_null());
		/* the source, admitd-drift, is the report kind's (run->report_of) */
		json_t *res = json_pack("{s:s,s:s,s:s,s:[o]}", "kind", inv_cstr(d, "kind"),
					"namespace", inv_cstr(d, "namespace"), "name",
					inv_cstr(d, "name"), "violations", v);
		fmt->entry(&o, res);
		json_decref(res);
	}
	json_t *summary = json_object();
	int rc = fmt->end(&o, summary);
	json_decref(summary);
	return rc;
}

/*
 * ---- html: one self-contained page (html.h) ----
 *
 * Drift first when there is a baseline, then the registries, what is
 * exposed outside the cluster and every container. Each table shows its
 * first HTML_MAX_ROWS rows.
 */

/* Appends a row (taken) to a table's rows, counting the ones past the limit. */
static void inv_html_add(json_t *rows, size_t *total, json_t *row)
{
	if ((*total)++ < HTML_MAX_ROWS)
		json_array_append_new(rows, row);
	else
		json_decref(row);
}

static void inv_html_table_data(FILE *out, bool *first, const char *id, const char *const *cols,
				const json_t *rows)
{
	fprintf(out, "%s{\"id\":\"%s\",\"columns\":[", *first ? "" : ",", id);
	for (size_t i = 0; cols[i] != NULL; i++)
		fprintf(out, "%s\"%s\"", i ? "," : "", cols[i]);
	fputs("],\"rows\":", out);
	html_json(out, rows);
	fputc('}', out);
	*first = false;
}

static void inv_html_count(FILE *out, long long n, const char *what, bool bad)
{
	fprintf(out, "<li%s><b>%lld</b>", bad ? " class=\"deny\"" : "", n);
	html_escape(out, what);
	fputs("</li>\n", out);
}

/* "web(ClusterIP 80), web-public(LoadBalancer 443 node 30443)" */
static void inv_services_text(const json_t *services, bool external_only, char *buf, size_t len)
{
	size_t n = 0, i, k;
	const json_t *sv, *p;
	buf[0] = '\0';
	json_array_foreach(services, i, sv)
	{
		if (external_only && !json_is_true(json_object_get(sv, "external")))
			continue;
		int w = snprintf(buf + n, len - n, "%s%s (%s", n ? ", " : "", inv_cstr(sv, "name"),
				 inv_cstr(sv, "type"));
		if (w < 0 || (size_t)w >= len - n)
			return;
		n += (size_t)w;
		json_array_foreach(json_object_get(sv, "ports"), k, p)
		{
			const json_t *np = json_object_get(p, "nodePort");
			w = np != NULL ? snprintf(buf + n, len - n, " %lld node %lld",
						  (long long)json_integer_value(
							  json_object_get(p, "port")),
						  (long long)json_integer_value(np))
				       : snprintf(buf + n, len - n, " %lld",
						  (long long)json_integer_value(
							  json_object_get(p, "port")));
			if (w < 0 || (size_t)w >= len - n)
				return;
			n += (size_t)w;
		}
		if (n + 2 >= len)
			return;
		buf[n++] = ')';
		buf[n] = '\0';
	}
}

/* What the page shows of the entries, gathered as they stream by: bounded rows, counts. */
struct inv_html {
	json_t *exp_rows, *ctr_rows;
	size_t nexp, nctr, nexposed, npriv;
};

/*
 * A digest as a person reads it, the algorithm and 12 hex digits as docker
 * shows them, or "(not a digest)": it comes from the cluster, and cutting
 * any other text could split a UTF-8 character.
 */
static void inv_digest_short(const char *d, char *buf, size_t len)
{
	if (d[strspn(d, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:+._-")] !=
	    '\0') {
		snprintf(buf, len, "(not a digest)");
		return;
	}
	const char *colon = strchr(d, ':');
	int n = colon != NULL ? (int)(colon - d) + 1 + 12 : 12;
	snprintf(buf, len, "%.*s", n, d);
}

/*
 * A container's digest for the page: the one it runs, and where its tag
 * points now when --resolve found that elsewhere (a re-pointed tag).
 */
static void inv_digest_text(const json_t *c, char *buf, size_t len)
{
	const char *d = json_string_value(json_object_get(c, "digest"));
	const char *r = json_string_value(json_object_get(c, "resolvedDigest"));
	char ds[48], rs[48];
	if (d != NULL)
		inv_digest_short(d, ds, sizeof(ds));
	if (r != NULL)
		inv_digest_short(r, rs, sizeof(rs));
	if (d != NULL && r != NULL && strcmp(d, r) != 0)
		snprintf(buf, len, "%s, its tag now %s", ds, rs);
	else
		snprintf(buf, len, "%s", d != NULL ? ds : r != NULL ? rs : "-");
}

static void inv_html_entry(struct inv_html *h, const json_t *e)
{
	size_t k;
	const json_t *c;
	char workload[600], text[1024];
	snprintf(workload, sizeof(workload), "%s/%s", inv_cstr(e, "kind"), inv_cstr(e, "name"));
	const json_t *np = json_object_get(e, "networkPolicies");
	char netpol[16];
	snprintf(netpol, sizeof(netpol), "%s/%s",
		 json_array_size(json_object_get(np, "ingress")) ? "in" : "-",
		 json_array_size(json_object_get(np, "egress")) ? "out" : "-");
	/* the segmentation labels, key=value, "key=(missing)" */
	char labels[1024];
	size_t ln = 0;
	const char *key;
	const json_t *v;
	labels[0] = '\0';
	json_object_foreach((json_t *)json_object_get(e, "segmentationLabels"), key, v)
	{
		int w = snprintf(labels + ln, sizeof(labels) - ln, "%s%s=%s", ln ? " " : "", key,
				 json_is_string(v) ? json_string_value(v) : "(missing)");
		if (w < 0 || (size_t)w >= sizeof(labels) - ln)
			break;
		ln += (size_t)w;
	}
	bool exposed = json_is_true(json_object_get(e, "exposed"));
	h->nexposed += exposed;
	char hostports[256];
	size_t hn = 0;
	hostports[0] = '\0';
	json_array_foreach(json_object_get(e, "containers"), k, c)
	{
		char ports[128], digest[128];
		inv_ports_text(c, ports, sizeof(ports));
		inv_digest_text(c, digest, sizeof(digest));
		bool priv = json_is_true(json_object_get(c, "privileged"));
		h->npriv += priv;
		inv_html_add(h->ctr_rows, &h->nctr,
			     json_pack("[s,s,s,s,s,s,s,s,s,s,s,s]", inv_cstr(e, "namespace"),
				       workload, inv_cstr(c, "name"), inv_cstr(c, "image"), digest,
				       inv_cstr(c, "registry"), ports, priv ? "yes" : "-",
				       inv_cstr(c, "user")[0] ? inv_cstr(c, "user") : "-", netpol,
				       exposed ? "yes" : "-", labels));
		size_t pi;
		const json_t *p;
		json_array_foreach(json_object_get(c, "ports"), pi, p)
		{
			const json_t *hp = json_object_get(p, "hostPort");
			if (hp == NULL)
				continue;
			int w = snprintf(hostports + hn, sizeof(hostports) - hn, "%s%s:%lld",
					 hn ? ", " : "", inv_cstr(c, "name"),
					 (long long)json_integer_value(hp));
			if (w < 0 || (size_t)w >= sizeof(hostports) - hn)
				break;
			hn += (size_t)w;
		}
	}
	if (!exposed)
		return;
	inv_services_text(json_object_get(e, "services"), true, text, sizeof(text));
	const json_t *hns = json_object_get(e, "hostNamespaces");
	inv_html_add(h->exp_rows, &h->nexp,
		     json_pack("[s,s,s,s,s]", inv_cstr(e, "namespace"), workload,
			       text[0] ? text : "-", hostports[0] ? hostports : "-",
			       json_is_true(json_object_get(hns, "hostNetwork")) ? "yes" : "-"));
}

static int inv_html(FILE *out, const struct inv_html *h, const json_t *cl, const json_t *errors,
		    const json_t *not_listed, const json_t *drift, const json_t *by_class,
		    unsigned fail_bits)
{
	if (html_begin(out, drift != NULL ? "admitd inventory: drift" : "admitd inventory",
		       drift != NULL ? "what changed since the baseline, then what runs now"
				     : "what runs, and how it is exposed") < 0)
		return -1;
	json_t *drift_rows = json_array();
	size_t ndrift = 0, nfails = 0, i;
	const json_t *d, *e;
	json_array_foreach(drift, i, d)
	{
		const char *cls = inv_cstr(d, "class");
		bool fails = false;
		for (unsigned b = 0; b < DRIFT_NCLASSES; b++)
			if (strcmp(drift_class_names[b], cls) == 0 && (fail_bits & (1u << b)))
				fails = true;
		nfails += fails;
		char workload[600];
		snprintf(workload, sizeof(workload), "%s/%s", inv_cstr(d, "kind"),
			 inv_cstr(d, "name"));
		const char *container = json_is_string(json_object_get(d, "container"))
						? inv_cstr(d, "container")
						: "-";
		inv_html_add(drift_rows, &ndrift,
			     json_pack("[s,s,s,s,s,s]", cls, fails ? "fails" : "listed",
				       inv_cstr(d, "namespace"), workload, container,
				       inv_cstr(d, "message")));
	}
	fputs("<section id=\"summary\">\n<ul class=\"counts\">\n", out);
	if (drift != NULL) {
		inv_html_count(out, (long long)json_array_size(drift), "changes", false);
		inv_html_count(out, (long long)nfails, "fail (--fail-on)", nfails > 0);
	}
	inv_html_count(out, (long long)json_integer_value(json_object_get(cl, "workloads")),
		       "workloads", false);
	inv_html_count(out, (long long)h->nctr, "containers", false);
	inv_html_count(out, (long long)json_object_size(json_object_get(cl, "registries")),
		       "registries", false);
	inv_html_count(out, (long long)h->nexposed, "exposed outside the cluster", h->nexposed > 0);
	inv_html_count(out, (long long)h->npriv, "privileged containers", h->npriv > 0);
	inv_html_count(
		out,
		(long long)json_array_size(json_object_get(cl, "namespacesWithoutNetworkPolicy")),
		"namespaces without a NetworkPolicy", false);
	fputs("</ul>\n", out);
	if (drift != NULL)
		html_bars(out, "Changes by class", by_class, "changes");
	html_bars(out, "Containers by registry", json_object_get(cl, "registries"), "containers");
	html_notes(out, "Input errors", errors);
	html_notes(out, "Not listed (the inventory is incomplete)", not_listed);
	const json_t *bare = json_object_get(cl, "namespacesWithoutNetworkPolicy");
	json_array_foreach(bare, i, e)
	{
		fputs(i == 0 ? "<h2>Namespaces without a NetworkPolicy</h2>\n<ul class=\"list\">\n<li>"
			     : "<li>",
		      out);
		html_escape(out, json_string_value(e));
		fputs(i + 1 == json_array_size(bare) ? "</li>\n</ul>\n" : "</li>\n", out);
	}
	fputs("</section>\n", out);
	const char *rest = "For all of them: admitd inventory --output json.";
	if (drift != NULL)
		html_table(out, "drift", "Changes since the baseline", json_array_size(drift_rows),
			   ndrift, rest);
	html_table(out, "exposed", "Exposed outside the cluster", json_array_size(h->exp_rows),
		   h->nexp, rest);
	html_table(out, "containers", "Containers", json_array_size(h->ctr_rows), h->nctr, rest);
	static const char *const drift_cols[] = {"Class",     "Drift",   "Namespace", "Workload",
						 "Container", "Message", NULL};
	static const char *const exp_cols[] = {"Namespace",  "Workload",    "External Services",
					       "Host ports", "hostNetwork", NULL};
	static const char *const ctr_cols[] = {
		"Namespace", "Workload",      "Container", "Image",
		"Digest",    "Registry",      "Ports",     "Privileged",
		"User",      "NetworkPolicy", "Exposed",   "Segmentation labels",
		NULL};
	html_data_begin(out);
	fputs("{\"tables\":[", out);
	bool first = true;
	if (drift != NULL)
		inv_html_table_data(out, &first, "drift", drift_cols, drift_rows);
	inv_html_table_data(out, &first, "exposed", exp_cols, h->exp_rows);
	inv_html_table_data(out, &first, "containers", ctr_cols, h->ctr_rows);
	fputs("]}", out);
	html_end(out);
	json_decref(drift_rows);
	return 0;
}

/*
 * ---- the entries, streamed ----
 *
 * Memory grows with the records (their keys and fold links, tens of bytes
 * each), never with what the entries say: each entry is read back from the
 * spill file in key order, finished, given to its format and freed.
 */

enum inv_format { INV_JSON, INV_TABLE, INV_HTML, INV_REPORT };

struct inv_out {
	enum inv_format format;
	FILE *out;
	/* json: the entries' text, until the counts (whose keys sort first) are known */
	FILE *workloads;
	size_t nworkloads;
	struct inv_html html;
	struct drift *drift; /* --baseline: the entries are compared, not written */
	const json_t *netpols;
	json_t *namespaces, *cluster;
};

/* An entry in the json document's "workloads", indented as json_dumpf would at that depth. */
static int inv_json_entry(struct inv_out *o, const json_t *e)
{
	char *t = json_dumps(e, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (t == NULL)
		return -1;
	fputs(o->nworkloads++ ? ",\n    " : "\n    ", o->workloads);
	/* JSON strings hold no raw newline: each one starts a line of the entry */
	for (const char *p = t, *nl; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL) {
			fputs(p, o->workloads);
			break;
		}
		fwrite(p, 1, (size_t)(nl - p), o->workloads);
		fputs("\n    ", o->workloads);
	}
	free(t);
	return ferror(o->workloads) ? -1 : 0;
}

/* The document: the counts and errors as json_dumpf sorts them, then the entries' text. */
static int inv_json_write(struct inv_out *o, json_t *doc)
{
	char *head = json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS);
	size_t hl = head != NULL ? strlen(head) : 0;
	if (hl < 2 || strcmp(head + hl - 2, "\n}") != 0) {
		free(head);
		return -1;
	}
	fwrite(head, 1, hl - 2, o->out); /* "workloads" sorts last: it goes before the brace */
	free(head);
	fputs(",\n  \"workloads\": [", o->out);
	if (o->nworkloads > 0) {
		char buf[65536];
		size_t n;
		rewind(o->workloads);
		while ((n = fread(buf, 1, sizeof(buf), o->workloads)) > 0)
			fwrite(buf, 1, n, o->out);
		if (ferror(o->workloads))
			return -1;
		fputs("\n  ", o->out);
	}
	fputs("]\n}\n", o->out);
	return 0;
}

/* One finished entry: counted, compared or written. */
static int inv_emit(struct inv_out *o, const char *key, const json_t *e)
{
	const char *ns = inv_cstr(e, "namespace");
	json_t *nsc = json_object_get(o->namespaces, ns);
	if (nsc == NULL) {
		nsc = inv_counts();
		json_object_set_new(
			nsc, "networkPolicies",
			json_integer((json_int_t)json_array_size(json_object_get(o->netpols, ns))));
		json_object_set_new(o->namespaces, ns, nsc);
	}
	inv_tally(nsc, e);
	inv_tally(o->cluster, e);
	if (o->drift != NULL)
		drift_entry(o->drift, key, e);
	if (o->format == INV_HTML)
		inv_html_entry(&o->html, e);
	else if (o->drift == NULL && o->format == INV_TABLE)
		inv_table_entry(o->out, e);
	else if (o->drift == NULL && o->format == INV_JSON)
		return inv_json_entry(o, e);
	return 0;
}

/* A pod folded into the entry `top`: what gives that entry the digests it runs. */
struct inv_kid {
	uint32_t top, pod;
};

static int inv_cmp_kid(const void *a, const void *b)
{
	const struct inv_kid *x = a, *y = b;
	if (x->top != y->top)
		return x->top < y->top ? -1 : 1;
	return (x->pod > y->pod) - (x->pod < y->pod);
}

/* Entry i with the running digests of its pods (kids), finished, to o; key for drift. */
static int inv_entry(struct audit_run *run, struct inv *inv, struct inv_out *o, const char *key,
		     uint32_t i, const struct inv_kid *kids, size_t nkids, bool *read_failed)
{
	json_t *e = audit_load_entry(run, i, 0);
	if (e == NULL) {
		*read_failed = true;
		return 0;
	}
	/* its pods: the first kid of top i, by binary search, and those after it */
	size_t lo = 0, hi = nkids;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (kids[mid].top < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < nkids && kids[lo].top == i; lo++) {
		json_t *pod = audit_load_entry(run, kids[lo].pod, 0);
		if (pod == NULL)
			*read_failed = true;
		else
			inv_merge_running(e, pod);
		json_decref(pod);
	}
	inv_finish(e);
	if (inv->resolve != NULL)
		invresolve_entry(inv->resolve, run, e);
	int rc = inv_emit(o, key, e);
	json_decref(e);
	return rc;
}

/*
 * Every entry, folded as audit folds, in key order (namespace/Kind/name;
 * the same object twice: the last read wins), to o; a pod folded into its
 * controller gives it the digests it runs. -1 with *why.
 */
static int inv_stream(struct audit_run *run, struct inv *inv, struct inv_out *o, const char **why)
{
	size_t n = run->nrecs, nkids = 0;
	*why = "out of memory";
	if (inv->keys_failed != NULL || inv->nkeys != n) {
		if (inv->keys_failed != NULL)
			*why = inv->keys_failed;
		return -1;
	}
	/*
	 * Besides audit's record, what a record costs here: where it folds
	 * (4 bytes). The keys are in keysort's file; how many pods an entry
	 * folds is audit's business.
	 */
	uint32_t *fold = malloc((n ? n : 1) * sizeof(*fold));
	struct inv_kid *kids = NULL;
	char *held = NULL; /* the key read last, emitted when the next one differs */
	size_t held_cap = 0;
	uint32_t held_i = 0;
	bool have = false, read_failed = false;
	int rc = -1;
	if (fold == NULL || audit_fold(run, fold, NULL) < 0)
		goto done;
	for (size_t i = 0; i < n; i++)
		nkids += fold[i] != i && (run->recs[i].flags & AUDIT_REC_POD);
	if ((kids = malloc((nkids ? nkids : 1) * sizeof(*kids))) == NULL)
		goto done;
	nkids = 0;
	for (size_t i = 0; i < n; i++)
		if (fold[i] != i && (run->recs[i].flags & AUDIT_REC_POD))
			kids[nkids++] = (struct inv_kid){fold[i], (uint32_t)i};
	qsort(kids, nkids, sizeof(*kids), inv_cmp_kid);
	if (keysort_sort(inv->keys) < 0) {
		*why = keysort_error(inv->keys);
		goto done;
	}
	if (run->spill != NULL)
		fflush(run->spill);
	for (rc = 0; rc == 0;) {
		const char *key;
		size_t len;
		uint32_t i;
		int got = keysort_next(inv->keys, &key, &len, &i);
		if (got < 0) {
			*why = keysort_error(inv->keys);
			rc = -1;
			break;
		}
		if (got > 0 && fold[i] != i)
			continue; /* folded into its controller's entry */
		if (have && (got == 0 || strcmp(held, key) != 0))
			rc = inv_entry(run, inv, o, held, held_i, kids, nkids, &read_failed);
		if (got == 0)
			break;
		if (len + 1 > held_cap) {
			char *h = realloc(held, len + 1);
			if (h == NULL) {
				rc = -1;
				break;
			}
			held = h;
			held_cap = len + 1;
		}
		memcpy(held, key, len + 1);
		held_i = i;
		have = true;
	}
	if (read_failed)
		audit_add_error(run, "inventory", 0, "the spill file could not be read back");
done:
	free(fold);
	free(kids);
	free(held);
	return rc;
}

/* After the stream: the cluster's namespaces, and those without any NetworkPolicy. */
static void inv_counts_finish(struct inv_out *o)
{
	json_t *without = json_array();
	const char *ns;
	json_t *nsc;
	json_object_foreach(o->namespaces, ns, nsc)
	{
		if (json_integer_value(json_object_get(nsc, "networkPolicies")) == 0)
			json_array_append_new(without, json_string(ns));
	}
	json_object_set_new(o->cluster, "namespacesWithoutNetworkPolicy", inv_sorted(without));
	json_object_set_new(o->cluster, "namespaces",
			    json_integer((json_int_t)json_object_size(o->namespaces)));
}

/* ---- the command ---- */

static const struct kind_desc inv_service_kind = {
	"Service", "", NULL, "services", {"v1", NULL}, NULL,
};
static const struct kind_desc inv_account_kind = {
	"ServiceAccount", "", NULL, "serviceaccounts", {"v1", NULL}, NULL,
};
static const struct kind_desc *const inv_kinds[] = {&inv_service_kind, &inv_account_kind};
static const char *const inv_words[] = {"Service", NULL}; /* ServiceAccount too */

static void inv_usage(FILE *f)
{
	fprintf(f,
		"usage: admitd inventory [OPTIONS] PATH...\n"
		"       admitd inventory --cluster [OPTIONS]\n\n"
		"Lists every workload with its images, ports, privileges, host access, service\n"
		"account, NetworkPolicy coverage and Services; with --baseline, the drift from an\n"
		"earlier json inventory. PATH is a file, a directory or -.\n\n"
		"options:\n"
		"  -c, --config FILE       the configuration (required-labels' keys are the\n"
		"                          segmentation labels)\n"
		"  -o, --output FORMAT     json (stable: keep it in git as the baseline), table or\n"
		"                          html (one self-contained page); with --baseline also\n"
		"                          policyreport or openreports\n"
		"                          (default: table on a terminal, json otherwise)\n"
		"      --resolve           ask each tag's digest now from its registry (only those\n"
		"                          under registries: in the configuration), so that a\n"
		"                          re-pointed tag is digest-changed drift\n"
		"      --baseline PATH     report the drift from this earlier json inventory, or\n"
		"                          from a directory of them (every *.json, merged)\n"
		"      --write-reports     with --cluster, --baseline and a report format, store\n"
		"                          the drift reports (admitd-drift-NS) in the cluster\n"
		"      --fail-on CLASSES   drift classes that make the exit status 1, comma-\n"
		"                          separated, all or none (default: all but\n"
		"                          removed-workload); classes:\n"
		"                          ");
	for (size_t i = 0; i < DRIFT_NCLASSES; i++)
		fprintf(f, "%s%s", drift_class_names[i],
			i + 1 < DRIFT_NCLASSES
				? (i % 4 == 3 ? ",\n                          " : ", ")
				: "\n");
	fprintf(f, "      --cluster           read the cluster instead of files\n"
		   "      --kubeconfig FILE   (default: $KUBECONFIG, ~/.kube/config, the service "
		   "account)\n"
		   "  -h, --help              this help\n\n"
		   "exit status: 0 no failing drift, 1 drift of a class in --fail-on, 2 a usage,\n"
		   "configuration or input error.\n");
}

static json_t *inv_load_baseline(const char *path)
{
	char why[1024];
	json_t *base = drift_baseline_load(path, why, sizeof(why));
	if (base == NULL)
		fprintf(stderr, "admitd inventory: %s\n", why);
	return base;
}

int inventory_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"output", required_argument, NULL, 'o'},
		{"baseline", required_argument, NULL, 'b'},
		{"fail-on", required_argument, NULL, 'f'},
		{"cluster", no_argument, NULL, 'C'},
		{"resolve", no_argument, NULL, 'r'},
		{"kubeconfig", required_argument, NULL, 'k'},
		{"write-reports", no_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config_path = NULL, *output = NULL, *kubeconfig = NULL, *baseline = NULL;
	const char *fail_on = NULL;
	bool cluster = false, resolve = false, write_reports = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:o:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'b':
			baseline = optarg;
			break;
		case 'f':
			fail_on = optarg;
			break;
		case 'C':
			cluster = true;
			break;
		case 'r':
			resolve = true;
			break;
		case 'k':
			kubeconfig = optarg;
			break;
		case 'w':
			write_reports = true;
			break;
		case 'h':
			inv_usage(stdout);
			return 0;
		default:
			inv_usage(stderr);
			return 2;
		}
	}
	if (output == NULL)
		output = isatty(STDOUT_FILENO) ? "table" : "json";
	const struct audit_format *report = NULL;
	bool html = strcmp(output, "html") == 0;
	if (strcmp(output, "json") != 0 && strcmp(output, "table") != 0 && !html) {
		report = audit_format_find(output);
		if (baseline == NULL || report == NULL || !report->by_namespace) {
			fprintf(stderr, "admitd inventory: --output is json, table or html (with "
					"--baseline also policyreport or openreports)\n");
			return 2;
		}
	}
	if (write_reports && (!cluster || baseline == NULL || report == NULL)) {
		fprintf(stderr, "admitd inventory: --write-reports goes with --cluster, --baseline "
				"and --output policyreport or openreports\n");
		return 2;
	}
	unsigned fail_bits = DRIFT_FAIL_DEFAULT;
	if (fail_on != NULL && drift_parse_classes(fail_on, &fail_bits) < 0) {
		fprintf(stderr,
			"admitd inventory: --fail-on takes drift classes (see --help), all "
			"or none, comma-separated, not \"%s\"\n",
			fail_on);
		return 2;
	}
	if (!cluster && optind >= argc) {
		fprintf(stderr, "admitd inventory: name at least one PATH (a file, a directory or "
				"-), or --cluster\n");
		return 2;
	}
	json_t *base = NULL;
	if (baseline != NULL && (base = inv_load_baseline(baseline)) == NULL)
		return 2;
	struct yamlconf_errors errs = {0};
	struct admitd_config *cfg = config_load_or_default(config_path, &errs);
	for (size_t i = 0; i < errs.count; i++)
		fprintf(stderr, "%s\n", errs.lines[i]);
	yamlconf_errors_free(&errs);
	if (cfg == NULL) {
		json_decref(base);
		return 2;
	}
	struct keysort *keys = keysort_new(0);
	if (keys == NULL) {
		fprintf(stderr, "admitd inventory: out of memory\n");
		json_decref(base);
		config_unref(cfg);
		return 2;
	}
	workload_init();
	struct inv inv = {
		.hooks = {.words = inv_words,
			  .kinds = inv_kinds,
			  .nkinds = sizeof(inv_kinds) / sizeof(inv_kinds[0]),
			  .keep = inv_keep,
			  .judge = inv_judge},
		.services = json_object(),
		.accounts = json_object(),
		.keys = keys,
	};
	inv.hooks.arg = &inv;
	arena_init(&inv.arena);
	int rl = registry_find("required-labels");
	if (rl >= 0)
		inv.nlabel_keys = required_labels_keys(cfg->settings[rl].state, inv.label_keys,
						       INV_MAX_LABEL_KEYS);
	struct audit_run run;
	audit_init(&run, cfg);
	run.hooks = &inv.hooks;
	/* the report writers store drift's reports (admitd-drift-NS), beside audit's */
	run.report_of = AUDIT_REPORT_DRIFT;
	run.write_reports = write_reports;
	int rc = 0;
	if (resolve && (inv.resolve = invresolve_new(cfg)) == NULL) {
		fprintf(stderr, "admitd inventory: out of memory\n");
		rc = 2;
	}
	for (int i = optind; i < argc; i++)
		audit_add_path(&run, argv[i]);
	audit_read_files(&run);
	if (cluster && audit_cluster(&run, kubeconfig) < 0)
		rc = 2;
	struct inv_out o = {
		.format = html                           ? INV_HTML
			  : report != NULL               ? INV_REPORT
			  : strcmp(output, "table") == 0 ? INV_TABLE
							 : INV_JSON,
		.out = stdout,
		.html = {.exp_rows = json_array(), .ctr_rows = json_array()},
		.netpols = run.netpols,
		.namespaces = json_object(),
		.cluster = inv_counts(),
	};
	if (rc == 0 && base != NULL && (o.drift = drift_begin(base)) == NULL)
		rc = -1;
	if (rc == 0 && base == NULL && o.format == INV_JSON && (o.workloads = tmpfile()) == NULL) {
		fprintf(stderr, "admitd inventory: a temporary file: %s\n", strerror(errno));
		rc = 2;
	}
	if (rc == 0 && base == NULL && o.format == INV_TABLE)
		inv_table_head(stdout);
	const char *why = "out of memory";
	if (rc == 0 && inv_stream(&run, &inv, &o, &why) < 0)
		rc = -1;
	if (rc == -1) {
		fprintf(stderr, "admitd inventory: %s\n", why);
		rc = 2;
	}
	if (rc == 0) {
		inv_counts_finish(&o);
		json_t *errors = inv_errors(&run);
		if (base == NULL) {
			if (o.format == INV_HTML) {
				if (inv_html(stdout, &o.html, o.cluster, errors, run.warnings, NULL,
					     NULL, 0) < 0)
					rc = 2;
			} else if (o.format == INV_TABLE) {
				inv_table_tail(stdout, o.cluster);
				audit_table_notes(
					stdout,
					"Not listed (the inventory is incomplete):", run.warnings);
			} else {
				json_t *doc = json_pack("{s:s,s:O,s:O,s:O,s:O}", "apiVersion",
							"admitd.io/inventory/v1", "cluster",
							o.cluster, "errors", errors, "namespaces",
							o.namespaces, "notListed", run.warnings);
				if (doc == NULL || inv_json_write(&o, doc) < 0) {
					fprintf(stderr, "admitd inventory: writing the inventory "
							"failed\n");
					rc = 2;
				}
				json_decref(doc);
			}
		} else {
			json_t *drift = drift_end(o.drift);
			o.drift = NULL;
			bool fails = false;
			json_t *by_class = json_object();
			size_t i;
			const json_t *d;
			json_array_foreach(drift, i, d)
			{
				const char *cls = inv_cstr(d, "class");
				inv_count(by_class, cls);
				for (unsigned c = 0; c < DRIFT_NCLASSES; c++)
					if (strcmp(drift_class_names[c], cls) == 0 &&
					    (fail_bits & (1u << c)))
						fails = true;
			}
			if (o.format == INV_HTML) {
				if (inv_html(stdout, &o.html, o.cluster, errors, run.warnings,
					     drift, by_class, fail_bits) < 0)
					rc = 2;
			} else if (report != NULL) {
				if (inv_drift_reports(&run, report, drift, fail_bits, stdout) < 0)
					rc = 2;
			} else if (o.format == INV_TABLE) {
				printf("%-22s %-16s %-12s %-24s %-16s %s\n", "CLASS", "NAMESPACE",
				       "KIND", "NAME", "CONTAINER", "MESSAGE");
				json_array_foreach(drift, i, d)
					printf("%-22s %-16s %-12s %-24s %-16s %s\n",
					       inv_cstr(d, "class"), inv_cstr(d, "namespace"),
					       inv_cstr(d, "kind"), inv_cstr(d, "name"),
					       json_is_string(json_object_get(d, "container"))
						       ? inv_cstr(d, "container")
						       : "-",
					       inv_cstr(d, "message"));
				printf("\n%zu drift item%s\n", json_array_size(drift),
				       json_array_size(drift) == 1 ? "" : "s");
				audit_table_notes(
					stdout,
					"Not listed (the inventory is incomplete):", run.warnings);
			} else {
				json_t *out = json_pack("{s:O,s:{s:O,s:I,s:b},s:O,s:O}", "drift",
							drift, "summary", "byClass", by_class,
							"items", (json_int_t)json_array_size(drift),
							"fails", fails, "errors", errors,
							"notListed", run.warnings);
				json_dumpf(out, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
				fputc('\n', stdout);
				json_decref(out);
			}
			json_decref(by_class);
			json_decref(drift);
			if (fails && rc == 0)
				rc = 1;
		}
		json_decref(errors);
		if (run.nerrors > 0)
			rc = 2;
	}
	if (o.drift != NULL)
		json_decref(drift_end(o.drift));
	if (o.workloads != NULL)
		fclose(o.workloads);
	json_decref(o.html.exp_rows);
	json_decref(o.html.ctr_rows);
	json_decref(o.namespaces);
	json_decref(o.cluster);
	json_decref(base);
	audit_free(&run);
	arena_free(&inv.arena);
	keysort_free(inv.keys);
	json_decref(inv.services);
	json_decref(inv.accounts);
	invresolve_free(inv.resolve);
	config_unref(cfg);
	return rc;
}
