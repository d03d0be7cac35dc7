/*
 * drift.c: what changed between an earlier json inventory (the baseline)
 * and now, classified by how it widens the attack surface. A workload is
 * matched by namespace/Kind/name, a container by its list and name; a new
 * workload is compared with nothing, so that a new privileged DaemonSet is
 * new-workload and new-privilege.
 */
#include "inventory.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "readall.h"

const char *const drift_class_names[DRIFT_NCLASSES] = {
	"new-registry",         "new-image",        "digest-changed",  "new-port",
	"new-external-service", "new-privilege",    "new-host-access", "lost-network-policy",
	"new-workload",         "removed-workload",
};

int drift_parse_classes(const char *text, unsigned *out)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", text);
	*out = 0;
	for (char *save = NULL, *w = strtok_r(buf, ",", &save); w != NULL;
	     w = strtok_r(NULL, ",", &save)) {
		if (strcmp(w, "none") == 0)
			continue;
		if (strcmp(w, "all") == 0) {
			*out = (1u << DRIFT_NCLASSES) - 1;
			continue;
		}
		unsigned c = 0;
		while (c < DRIFT_NCLASSES && strcmp(w, drift_class_names[c]) != 0)
			c++;
		if (c == DRIFT_NCLASSES)
			return -1;
		*out |= 1u << c;
	}
	return 0;
}

static const char *dr_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s != NULL ? s : "";
}

/* ---- the baseline ---- */

static bool dr_string_or_null(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	return v == NULL || json_is_string(v) || json_is_null(v);
}

/* the shape drift reads; anything else in an entry is ignored */
static const char *dr_check_entry(const json_t *e)
{
	if (!json_is_object(e))
		return "is not an object";
	if (!json_is_string(json_object_get(e, "kind")) ||
	    !json_is_string(json_object_get(e, "name")) ||
	    !json_is_string(json_object_get(e, "namespace")))
		return "lacks kind, namespace or name";
	static const char *const arrays[] = {"containers", "volumes", "services"};
	for (size_t i = 0; i < 3; i++) {
		const json_t *v = json_object_get(e, arrays[i]);
		if (v != NULL && !json_is_array(v))
			return "has a containers, volumes or services that is not a list";
		size_t k;
		const json_t *x;
		json_array_foreach(v, k, x)
		{
			if (!json_is_object(x))
				return "has an item that is not an object";
		}
	}
	size_t k;
	const json_t *c;
	json_array_foreach(json_object_get(e, "containers"), k, c)
	{
		static const char *const strs[] = {"list",     "name",          "image",
						   "registry", "repository",    "tag",
						   "digest",   "resolvedDigest"};
		for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
			if (!dr_string_or_null(c, strs[i]))
				return "has a container field that is not a string";
		const json_t *ports = json_object_get(c, "ports");
		const json_t *caps = json_object_get(c, "capabilities");
		if ((ports != NULL && !json_is_array(ports)) ||
		    (caps != NULL && !json_is_array(caps)))
			return "has container ports or capabilities that are not a list";
	}
	/* names are unique in a pod and a namespace: drift matches by them */
	size_t j;
	const json_t *o;
	json_array_foreach(json_object_get(e, "containers"), k, c)
	{
		json_array_foreach(json_object_get(e, "containers"), j, o)
		{
			if (j < k && strcmp(dr_str(o, "list"), dr_str(c, "list")) == 0 &&
			    strcmp(dr_str(o, "name"), dr_str(c, "name")) == 0)
				return "names a container twice";
		}
	}
	json_array_foreach(json_object_get(e, "services"), k, c)
	{
		json_array_foreach(json_object_get(e, "services"), j, o)
		{
			if (j < k && strcmp(dr_str(o, "name"), dr_str(c, "name")) == 0)
				return "names a Service twice";
		}
	}
	const json_t *np = json_object_get(e, "networkPolicies");
	if (np != NULL && !json_is_object(np))
		return "has networkPolicies that is not an object";
	const json_t *h = json_object_get(e, "hostNamespaces");
	if (h != NULL && !json_is_object(h))
		return "has hostNamespaces that is not an object";
	return NULL;
}

/*
 * Adds the workloads of one inventory (text) to idx, "namespace/Kind/name"
 * -> entry. A key idx has already is an error, not a replacement: two
 * entries for one workload would make the baseline say whichever came
 * last. from (NULL for a lone file) remembers which file gave each key,
 * so that the error names both.
 */
static int dr_parse_into(json_t *idx, json_t *from, const char *file, const char *text, size_t len,
			 char *why, size_t whylen)
{
	json_error_t err;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (doc == NULL) {
		snprintf(why, whylen, "line %d: not JSON: %s", err.line, err.text);
		return -1;
	}
	const json_t *list = json_object_get(doc, "workloads");
	if (!json_is_array(list)) {
		snprintf(why, whylen,
			 "not an inventory (no \"workloads\" list): write it with `admitd "
			 "inventory --output json`");
		json_decref(doc);
		return -1;
	}
	size_t i;
	json_t *e;
	json_array_foreach(list, i, e)
	{
		const char *bad = dr_check_entry(e);
		if (bad != NULL) {
			snprintf(why, whylen, "workloads[%zu] %s", i, bad);
			json_decref(doc);
			return -1;
		}
		char key[1024];
		snprintf(key, sizeof(key), "%s/%s/%s", dr_str(e, "namespace"), dr_str(e, "kind"),
			 dr_str(e, "name"));
		if (json_object_get(idx, key) != NULL) {
			const char *other = json_string_value(json_object_get(from, key));
			if (other != NULL && strcmp(other, file) != 0)
				snprintf(why, whylen, "workloads[%zu] (%s) is also in %s", i, key,
					 other);
			else
				snprintf(why, whylen, "workloads[%zu] (%s) is there twice", i, key);
			json_decref(doc);
			return -1;
		}
		json_object_set(idx, key, e);
		if (from != NULL)
			json_object_set_new(from, key, json_string(file));
	}
	json_decref(doc);
	return 0;
}

json_t *drift_baseline_parse(const char *text, size_t len, char *why, size_t whylen)
{
	json_t *idx = json_object();
	if (dr_parse_into(idx, NULL, "", text, len, why, whylen) < 0) {
		json_decref(idx);
		return NULL;
	}
	return idx;
}

/* One file of a baseline into idx; why names the file. */
static int dr_load_file(json_t *idx, json_t *from, const char *path, char *why, size_t whylen)
{
	char *text = NULL, reason[512];
	size_t len = 0;
	/* no cap: the baseline is the operator's own file, as large as the cluster */
	int rc = readall_file(path, SIZE_MAX - 1, &text, &len, reason, sizeof(reason));
	if (rc == 0)
		rc = dr_parse_into(idx, from, path, text, len, reason, sizeof(reason));
	if (rc < 0)
		snprintf(why, whylen, "%s: %s", path, reason);
	free(text);
	return rc;
}

static int dr_cmp_dirent(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/*
 * Every *.json below dir, in name order, into idx. Names beginning with a
 * dot are not the baseline's (a ConfigMap volume's ..data, .git); any
 * other file is an error rather than skipped, so that a part named
 * shop.yaml or shop.json.gz is not silently missing. seen holds the
 * directories walked ("dev:ino"), so that a link cannot loop.
 */
static int dr_load_dir(json_t *idx, json_t *from, json_t *seen, const char *dir, size_t *nfiles,
		       char *why, size_t whylen)
{
	struct stat sb;
	char id[64];
	if (stat(dir, &sb) != 0) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	snprintf(id, sizeof(id), "%ju:%ju", (uintmax_t)sb.st_dev, (uintmax_t)sb.st_ino);
	if (json_object_get(seen, id) != NULL) {
		snprintf(why, whylen, "%s: the same directory is reached twice (a link loop?)",
			 dir);
		return -1;
	}
	json_object_set_new(seen, id, json_true());
	struct dirent **names = NULL;
	int n = scandir(dir, &names, NULL, dr_cmp_dirent);
	if (n < 0) {
		snprintf(why, whylen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char path[4096];
		size_t nl = strlen(name);
		if (rc < 0 || name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
			snprintf(why, whylen, "%s/%s: the path is too long", dir, name);
			rc = -1;
		} else if (stat(path, &sb) != 0) {
			snprintf(why, whylen, "%s: %s", path, strerror(errno));
			rc = -1;
		} else if (S_ISDIR(sb.st_mode)) {
			rc = dr_load_dir(idx, from, seen, path, nfiles, why, whylen);
		} else if (S_ISREG(sb.st_mode) && nl > 5 && strcmp(name + nl - 5, ".json") == 0) {
			rc = dr_load_file(idx, from, path, why, whylen);
			++*nfiles;
		} else {
			snprintf(why, whylen,
				 "%s: not a *.json inventory (a baseline directory holds only "
				 "inventories and directories of them)",
				 path);
			rc = -1;
		}
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

json_t *drift_baseline_load(const char *path, char *why, size_t whylen)
{
	struct stat sb;
	if (stat(path, &sb) != 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	json_t *idx = json_object();
	int rc;
	if (S_ISDIR(sb.st_mode)) {
		json_t *from = json_object(), *seen = json_object();
		size_t nfiles = 0;
		rc = dr_load_dir(idx, from, seen, path, &nfiles, why, whylen);
		if (rc == 0 && nfiles == 0) {
			snprintf(why, whylen, "%s: no *.json inventory in this directory", path);
			rc = -1;
		}
		json_decref(from);
		json_decref(seen);
	} else {
		rc = dr_load_file(idx, NULL, path, why, whylen);
	}
	if (rc < 0) {
		json_decref(idx);
		return NULL;
	}
	return idx;
}

/* ---- comparing ---- */

struct dr_ctx {
	json_t *items;
	const json_t *registries; /* every registry of the baseline */
	const json_t *images;     /* every image (no digest) of the baseline */
};

static void dr_add(struct dr_ctx *x, enum drift_class c, const json_t *e, const char *container,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void dr_add(struct dr_ctx *x, enum drift_class c, const json_t *e, const char *container,
		   const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_t *it = json_pack("{s:s,s:s,s:s,s:s,s:s}", "class", drift_class_names[c], "namespace",
			       dr_str(e, "namespace"), "kind", dr_str(e, "kind"), "name",
			       dr_str(e, "name"), "message", msg);
	if (container != NULL)
		json_object_set_new(it, "container", json_string(container));
	json_array_append_new(x->items, it);
}

static void dr_image_key(const json_t *c, char *buf, size_t len)
{
	const char *reg = json_string_value(json_object_get(c, "registry"));
	const char *repo = json_string_value(json_object_get(c, "repository"));
	const char *tag = json_string_value(json_object_get(c, "tag"));
	if (reg == NULL || repo == NULL)
		snprintf(buf, len, "%s", dr_str(c, "image"));
	else
		snprintf(buf, len, "%s/%s%s%s", reg, repo, tag ? ":" : "", tag ? tag : "");
}

static const json_t *dr_container(const json_t *e, const json_t *c)
{
	size_t i;
	const json_t *b;
	json_array_foreach(json_object_get(e, "containers"), i, b)
	{
		if (strcmp(dr_str(b, "list"), dr_str(c, "list")) == 0 &&
		    strcmp(dr_str(b, "name"), dr_str(c, "name")) == 0)
			return b;
	}
	return NULL;
}

static bool dr_has_string(const json_t *list, const char *s)
{
	size_t i;
	const json_t *v;
	json_array_foreach(list, i, v)
	{
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

static bool dr_has_host_port(const json_t *c, json_int_t port, const char *proto)
{
	size_t i;
	const json_t *p;
	json_array_foreach(json_object_get(c, "ports"), i, p)
	{
		if (json_integer_value(json_object_get(p, "hostPort")) == port &&
		    strcmp(dr_str(p, "protocol"), proto) == 0)
			return true;
	}
	return false;
}

static const json_t *dr_service(const json_t *e, const char *name)
{
	size_t i;
	const json_t *s;
	json_array_foreach(json_object_get(e, "services"), i, s)
	{
		if (json_is_object(s) && strcmp(dr_str(s, "name"), name) == 0)
			return s;
	}
	return NULL;
}

static bool dr_service_has_port(const json_t *s, const json_t *p)
{
	size_t i;
	const json_t *q;
	json_array_foreach(json_object_get(s, "ports"), i, q)
	{
		if (json_integer_value(json_object_get(q, "port")) ==
			    json_integer_value(json_object_get(p, "port")) &&
		    strcmp(dr_str(q, "protocol"), dr_str(p, "protocol")) == 0)
			return true;
	}
	return false;
}

/*
 * digest-changed, for a container whose image (registry/repository:tag)
 * is the same: its digest (the reference's, else the pod status's) and
 * the digest its tag resolved to (--resolve) are each compared only when
 * both sides have one, like with like, so that a baseline taken without
 * --resolve against a run with it (or the other way round, or a registry
 * that failed once) reports nothing for want of a digest. When both say
 * the same change (a pinned reference, a pod restarted on the new
 * digest), it is one item.
 */
static void dr_digests(struct dr_ctx *x, const json_t *e, const json_t *c, const json_t *bc,
		       const char *img, const char *bimg)
{
	if (bc == NULL || strcmp(img, bimg) != 0)
		return;
	const char *cn = dr_str(c, "name");
	const char *d = json_string_value(json_object_get(c, "digest"));
	const char *bd = json_string_value(json_object_get(bc, "digest"));
	const char *rd = json_string_value(json_object_get(c, "resolvedDigest"));
	const char *brd = json_string_value(json_object_get(bc, "resolvedDigest"));
	bool runs = d != NULL && bd != NULL && strcmp(d, bd) != 0;
	bool moved = rd != NULL && brd != NULL && strcmp(rd, brd) != 0;
	if (runs)
		dr_add(x, DRIFT_DIGEST_CHANGED, e, cn, "%s is now %s, was %s", img, d, bd);
	if (moved && !(runs && strcmp(d, rd) == 0 && strcmp(bd, brd) == 0))
		dr_add(x, DRIFT_DIGEST_CHANGED, e, cn,
		       "%s now resolves to %s in its registry, was %s (--resolve)", img, rd, brd);
}

/* b: the baseline's entry, or an empty object for a new workload */
static void dr_workload(struct dr_ctx *x, const json_t *b, const json_t *e, bool is_new)
{
	if (is_new)
		dr_add(x, DRIFT_NEW_WORKLOAD, e, NULL, "new workload");
	size_t i, k;
	const json_t *c;
	json_array_foreach(json_object_get(e, "containers"), i, c)
	{
		const char *cn = dr_str(c, "name");
		const json_t *bc = dr_container(b, c);
		char img[1024], bimg[1024] = "";
		dr_image_key(c, img, sizeof(img));
		if (bc != NULL)
			dr_image_key(bc, bimg, sizeof(bimg));
		const char *reg = json_string_value(json_object_get(c, "registry"));
		if (reg != NULL && json_object_get(x->registries, reg) == NULL)
			dr_add(x, DRIFT_NEW_REGISTRY, e, cn, "registry %s (image %s) is new", reg,
			       dr_str(c, "image"));
		else if (bc != NULL ? strcmp(img, bimg) != 0
				    : json_object_get(x->images, img) == NULL)
			dr_add(x, DRIFT_NEW_IMAGE, e, cn, "image %s%s%s", dr_str(c, "image"),
			       bc != NULL ? ", was " : " is new",
			       bc != NULL ? dr_str(bc, "image") : "");
		dr_digests(x, e, c, bc, img, bimg);
		const json_t *p;
		json_array_foreach(json_object_get(c, "ports"), k, p)
		{
			const json_t *hp = json_object_get(p, "hostPort");
			if (json_is_integer(hp) &&
			    (bc == NULL ||
			     !dr_has_host_port(bc, json_integer_value(hp), dr_str(p, "protocol"))))
				dr_add(x, DRIFT_NEW_PORT, e, cn, "hostPort %lld/%s",
				       (long long)json_integer_value(hp), dr_str(p, "protocol"));
		}
		if (json_is_true(json_object_get(c, "privileged")) &&
		    (bc == NULL || !json_is_true(json_object_get(bc, "privileged"))))
			dr_add(x, DRIFT_NEW_PRIVILEGE, e, cn, "privileged");
		const json_t *cap;
		json_array_foreach(json_object_get(c, "capabilities"), k, cap)
		{
			if (json_is_string(cap) &&
			    (bc == NULL || !dr_has_string(json_object_get(bc, "capabilities"),
							  json_string_value(cap))))
				dr_add(x, DRIFT_NEW_PRIVILEGE, e, cn, "adds capability %s",
				       json_string_value(cap));
		}
	}
	/* Services: new external ones, and ports newly exposed through any */
	const json_t *s;
	json_array_foreach(json_object_get(e, "services"), i, s)
	{
		const json_t *bs = dr_service(b, dr_str(s, "name"));
		bool ext = json_is_true(json_object_get(s, "external"));
		if (ext && (bs == NULL || !json_is_true(json_object_get(bs, "external"))))
			dr_add(x, DRIFT_NEW_EXTERNAL_SERVICE, e, NULL, "Service %s (%s) selects it",
			       dr_str(s, "name"), dr_str(s, "type"));
		const json_t *p;
		json_array_foreach(json_object_get(s, "ports"), k, p)
		{
			if (bs == NULL || !dr_service_has_port(bs, p))
				dr_add(x, DRIFT_NEW_PORT, e, NULL, "Service %s port %lld/%s",
				       dr_str(s, "name"),
				       (long long)json_integer_value(json_object_get(p, "port")),
				       dr_str(p, "protocol"));
		}
	}
	/* host access */
	static const char *const hostns[] = {"hostNetwork", "hostPID", "hostIPC"};
	const json_t *h = json_object_get(e, "hostNamespaces");
	const json_t *bh = json_object_get(b, "hostNamespaces");
	for (size_t n = 0; n < 3; n++)
		if (json_is_true(json_object_get(h, hostns[n])) &&
		    !json_is_true(json_object_get(bh, hostns[n])))
			dr_add(x, DRIFT_NEW_HOST_ACCESS, e, NULL, "%s", hostns[n]);
	const json_t *v;
	json_array_foreach(json_object_get(e, "volumes"), i, v)
	{
		if (strcmp(dr_str(v, "type"), "hostPath") != 0)
			continue;
		bool had = false;
		const json_t *bv;
		json_array_foreach(json_object_get(b, "volumes"), k, bv) had |=
			strcmp(dr_str(bv, "type"), "hostPath") == 0 &&
			strcmp(dr_str(bv, "path"), dr_str(v, "path")) == 0;
		if (!had)
			dr_add(x, DRIFT_NEW_HOST_ACCESS, e, NULL, "hostPath %s (volume %s)",
			       dr_str(v, "path"), dr_str(v, "name"));
	}
	/* coverage lost */
	static const char *const dirs[] = {"ingress", "egress"};
	const json_t *np = json_object_get(e, "networkPolicies");
	const json_t *bnp = json_object_get(b, "networkPolicies");
	for (size_t n = 0; n < 2; n++) {
		const json_t *was = json_object_get(bnp, dirs[n]);
		if (json_array_size(was) > 0 && json_array_size(json_object_get(np, dirs[n])) == 0)
			dr_add(x, DRIFT_LOST_NETWORK_POLICY, e, NULL,
			       "no NetworkPolicy covers its %s any more (was: %s)", dirs[n],
			       json_is_string(json_array_get(was, 0))
				       ? json_string_value(json_array_get(was, 0))
				       : "?");
	}
}

static int dr_cmp(const void *a, const void *b)
{
	static const char *const keys[] = {"namespace", "kind",      "name",
					   "class",     "container", "message"};
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		int c = strcmp(dr_str(x, keys[i]), dr_str(y, keys[i]));
		if (c != 0)
			return c;
	}
	return 0;
}

/*
 * The comparison as entries stream by (inventory.c never holds the whole
 * current inventory): the baseline's registries and images first, then each
 * current entry against its baseline twin, then what was not seen.
 */
struct drift {
	struct dr_ctx x;
	const json_t *base;
	json_t *seen; /* the baseline's keys met */
	json_t *empty;
};

struct drift *drift_begin(const json_t *base)
{
	struct drift *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	json_t *regs = json_object(), *imgs = json_object();
	const char *key;
	const json_t *e;
	json_object_foreach((json_t *)base, key, e)
	{
		size_t i;
		const json_t *c;
		json_array_foreach(json_object_get(e, "containers"), i, c)
		{
			const char *reg = json_string_value(json_object_get(c, "registry"));
			if (reg != NULL)
				json_object_set_new(regs, reg, json_true());
			char img[1024];
			dr_image_key(c, img, sizeof(img));
			json_object_set_new(imgs, img, json_true());
		}
	}
	d->x = (struct dr_ctx){.items = json_array(), .registries = regs, .images = imgs};
	d->base = base;
	d->seen = json_object();
	d->empty = json_object();
	return d;
}

void drift_entry(struct drift *d, const char *key, const json_t *e)
{
	const json_t *b = json_object_get(d->base, key);
	if (b != NULL)
		json_object_set_new(d->seen, key, json_true());
	dr_workload(&d->x, b != NULL ? b : d->empty, e, b == NULL);
}

json_t *drift_end(struct drift *d)
{
	const char *key;
	const json_t *e;
	json_object_foreach((json_t *)d->base, key, e)
	{
		if (json_object_get(d->seen, key) == NULL)
			dr_add(&d->x, DRIFT_REMOVED_WORKLOAD, e, NULL, "workload removed");
	}
	json_decref(d->seen);
	json_decref(d->empty);
	json_decref((json_t *)d->x.registries);
	json_decref((json_t *)d->x.images);
	json_t *items = d->x.items;
	free(d);
	size_t n = json_array_size(items);
	json_t **v = malloc((n ? n : 1) * sizeof(*v));
	if (v == NULL)
		return items;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(items, i));
	qsort(v, n, sizeof(*v), dr_cmp);
	json_array_clear(items);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(items, v[i]);
	free(v);
	return items;
}

json_t *drift_compare(const json_t *base, const json_t *cur)
{
	struct drift *d = drift_begin(base);
	if (d == NULL)
		return json_array();
	const char *key;
	const json_t *e;
	json_object_foreach((json_t *)cur, key, e) drift_entry(d, key, e);
	return drift_end(d);
}
