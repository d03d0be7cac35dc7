/*
 * imgcheck.c: which images the image-contents policies read, and their
 * facts, gathered before the engine runs (see imgcheck.h).
 */
#include "imgcheck.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../policies/registry.h"
#include "arena.h"
#include "cfgtypes.h"
#include "engine.h"
#include "fnv.h"
#include "imagelist.h"
#include "metrics.h"
#include "settings.h"
#include "workload.h"

const cyaml_schema_value_t imgcheck_string_schema = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, 4096),
};
const cyaml_strval_t imgcheck_on_error_strings[2] = {{"deny", 0}, {"allow", 1}};

/* The contents modules, looked up once in the registry. */
static const char *const imgcheck_ids[] = {"image-runs-as-root", "image-exposed-ports",
					   "image-env-secrets", "image-vulnerabilities"};
#define IMGCHECK_NIDS (sizeof(imgcheck_ids) / sizeof(imgcheck_ids[0]))
#define IMGCHECK_VULN 3 /* the one that reads signed scans; the others read configurations */

/* What some policy reads of an image: bits. */
enum { IMGCHECK_WANT_FACTS = 1, IMGCHECK_WANT_VULN = 2 };
static int imgcheck_index[IMGCHECK_NIDS];
static pthread_once_t imgcheck_index_once = PTHREAD_ONCE_INIT;

static void imgcheck_find_indexes(void)
{
	for (size_t i = 0; i < IMGCHECK_NIDS; i++)
		imgcheck_index[i] = registry_find(imgcheck_ids[i]);
}

/* The i-th contents policy's state when it is on in cfg; else NULL. */
static const struct imgcheck_policy *imgcheck_policy_at(const struct admitd_config *cfg, size_t i)
{
	pthread_once(&imgcheck_index_once, imgcheck_find_indexes);
	int at = imgcheck_index[i];
	if (cfg == NULL || at < 0 || cfg->sigverify == NULL)
		return NULL;
	const struct policy_setting *s = &cfg->settings[at];
	if (s->action == POLICY_ACTION_OFF || s->state == NULL)
		return NULL;
	return (const struct imgcheck_policy *)s->state;
}

void *imgcheck_state_new(size_t size, const struct imgcheck_params *in, char *err, size_t errlen)
{
	static const struct imgcheck_params none;
	if (in == NULL)
		in = &none;
	if (in->images_count == 0) {
		snprintf(err, errlen,
			 "\"images\" must list the images whose contents are read, e.g. "
			 "images: [registry.corp.example]");
		return NULL;
	}
	if (in->timeout_seconds != NULL &&
	    (*in->timeout_seconds < 1 || *in->timeout_seconds > 25)) {
		snprintf(err, errlen,
			 "\"timeoutSeconds\" must be from 1 to 25 (the API server waits at most "
			 "30 s for a webhook)");
		return NULL;
	}
	struct imgcheck_policy *p = calloc(1, size);
	if (p == NULL || (p->patterns = calloc(in->images_count, sizeof(*p->patterns))) == NULL) {
		free(p);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (unsigned i = 0; i < in->images_count; i++) {
		char why[256] = "";
		if (image_pattern_compile(in->images[i], &p->patterns[i], why, sizeof(why)) < 0) {
			snprintf(err, errlen, "images[%u] \"%s\": %s", i, in->images[i], why);
			imgcheck_state_free(p);
			return NULL;
		}
		p->npatterns = i + 1;
	}
	p->timeout_ms = (in->timeout_seconds != NULL ? *in->timeout_seconds : 8) * 1000L;
	p->allow_on_registry_error = in->on_registry_error == 1;
	return p;
}

void imgcheck_state_free(void *state)
{
	struct imgcheck_policy *p = state;
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->npatterns; i++)
		image_pattern_free(&p->patterns[i]);
	free(p->patterns);
	free(p);
}

bool imgcheck_enabled(const struct admitd_config *cfg)
{
	for (size_t i = 0; i < IMGCHECK_NIDS; i++)
		if (imgcheck_policy_at(cfg, i) != NULL)
			return true;
	return false;
}

long imgcheck_timeout_ms(const struct admitd_config *cfg)
{
	long ms = 0;
	for (size_t i = 0; i < IMGCHECK_NIDS; i++) {
		const struct imgcheck_policy *p = imgcheck_policy_at(cfg, i);
		if (p != NULL && p->timeout_ms > ms)
			ms = p->timeout_ms;
	}
	return ms > 0 ? ms : 8000;
}

bool imgcheck_wanted(const struct imgcheck_policy *p, struct arena *a, const char *image)
{
	struct image_ref r;
	if (p == NULL || image == NULL)
		return false;
	if (image_parse(a, image, &r) < 0)
		return true; /* unparsable: judged, and reported, by the reader */
	for (size_t i = 0; i < p->npatterns; i++)
		if (image_pattern_match(&p->patterns[i], &r))
			return true;
	return false;
}

/* What the contents policies on in cfg read of image: IMGCHECK_WANT_* bits. */
static unsigned imgcheck_wants(const struct admitd_config *cfg, struct arena *a, const char *image)
{
	unsigned w = 0;
	for (size_t i = 0; i < IMGCHECK_NIDS; i++) {
		unsigned bit = i == IMGCHECK_VULN ? IMGCHECK_WANT_VULN : IMGCHECK_WANT_FACTS;
		if (!(w & bit) && imgcheck_wanted(imgcheck_policy_at(cfg, i), a, image))
			w |= bit;
	}
	return w;
}

/*
 * The event loop's memo, one per thread, as sigcheck.c keeps for
 * signatures: what the contents policies read of an image, and its last
 * fresh facts and scan, for one verifier generation and only until the
 * cache would have expired them or their tag.
 */
#define IMGCHECK_MEMO       32
#define IMGCHECK_MEMO_IMAGE 240
struct imgcheck_memo {
	unsigned long generation; /* 0: empty */
	unsigned long lent;       /* the imgcheck_cached call whose results use these facts */
	char image[IMGCHECK_MEMO_IMAGE];
	unsigned char wanted; /* IMGCHECK_WANT_* bits */
	bool has_facts;
	struct imgfacts facts;
	bool has_vuln;
	struct vulnattest vuln;
};
static __thread struct imgcheck_memo imgcheck_memo[IMGCHECK_MEMO];
/*
 * imgcheck_cached lends its results the memo's facts instead of copying
 * them (a copy is a malloc per string, for every image of every review).
 * A slot lent in the current call is not taken over by another image of
 * the same review; the results are freed before the thread's next call.
 */
static __thread unsigned long imgcheck_calls;

/* A thread's memo holds facts on the heap: its end releases them. */
static pthread_key_t imgcheck_memo_key;
static pthread_once_t imgcheck_memo_once = PTHREAD_ONCE_INIT;

static void imgcheck_memo_clear(void *memo)
{
	struct imgcheck_memo *m = memo;
	for (size_t i = 0; i < IMGCHECK_MEMO; i++) {
		if (m[i].has_facts) {
			imgfacts_release(&m[i].facts);
			m[i].has_facts = false;
		}
		if (m[i].has_vuln) {
			vulnattest_release(&m[i].vuln);
			m[i].has_vuln = false;
		}
	}
}

static void imgcheck_memo_key_make(void)
{
	pthread_key_create(&imgcheck_memo_key, imgcheck_memo_clear);
}

static struct imgcheck_memo *imgcheck_memo_slot(unsigned long gen, const char *image, bool *hit)
{
	pthread_once(&imgcheck_memo_once, imgcheck_memo_key_make);
	if (pthread_getspecific(imgcheck_memo_key) == NULL)
		pthread_setspecific(imgcheck_memo_key, imgcheck_memo);
	size_t len = strlen(image);
	*hit = false;
	if (len >= IMGCHECK_MEMO_IMAGE)
		return NULL;
	struct imgcheck_memo *m = &imgcheck_memo[fnv_words(image, len) % IMGCHECK_MEMO];
	*hit = m->generation == gen && memcmp(m->image, image, len + 1) == 0;
	return m;
}

static void imgcheck_memo_take(struct imgcheck_memo *m, unsigned long gen, const char *image)
{
	if (m->has_facts)
		imgfacts_release(&m->facts);
	m->has_facts = false;
	if (m->has_vuln)
		vulnattest_release(&m->vuln);
	m->has_vuln = false;
	m->generation = gen;
	strcpy(m->image, image);
}

/* imgcheck_wants through the memo. */
static unsigned imgcheck_wanted_any(const struct admitd_config *cfg, struct arena *a,
				    const char *image)
{
	if (image == NULL)
		return 0;
	unsigned long gen = sigverify_generation(cfg->sigverify);
	bool hit;
	struct imgcheck_memo *m = imgcheck_memo_slot(gen, image, &hit);
	if (hit)
		return m->wanted;
	unsigned wanted = imgcheck_wants(cfg, a, image);
	if (m != NULL) {
		imgcheck_memo_take(m, gen, image);
		m->wanted = (unsigned char)wanted;
	}
	return wanted;
}

size_t imgcheck_images(const struct admitd_config *cfg, const struct engine_input *in,
		       struct arena *a, char ***out)
{
	*out = NULL;
	if (!imgcheck_enabled(cfg))
		return 0;
	struct pod_view space;
	const struct pod_view *pod = engine_pod_view(cfg, in, a, &space);
	if (pod == NULL)
		return 0;
	/* a Windows image's configuration says nothing these checks read; its scan does */
	unsigned judged = imgcheck_pod_windows(pod) ? IMGCHECK_WANT_VULN : ~0u;
	size_t n = 0;
	/* containers only: an image volume's configuration is never run */
	for (size_t i = 0; i < pod->ncontainers; i++) {
		const char *image = pod->containers[i].image;
		if ((imgcheck_wanted_any(cfg, a, image) & judged) != 0 &&
		    imagelist_add(out, &n, image) < 0)
			break; /* what could not be listed fails closed in the checks */
	}
	return n;
}

void imgcheck_images_free(char **images, size_t n)
{
	imagelist_free(images, n);
}

static int imgcheck_alloc(struct imgcheck_results *out, size_t n)
{
	memset(out, 0, sizeof(*out));
	out->items = calloc(n ? n : 1, sizeof(*out->items));
	return out->items != NULL ? 0 : -1;
}

int imgcheck_run(const struct admitd_config *cfg, char *const *images, size_t n,
		 struct timespec deadline, struct imgcheck_results *out)
{
	if (imgcheck_alloc(out, n) < 0)
		return -1;
	struct arena a;
	arena_init(&a);
	const struct imgcheck_policy *vp = imgcheck_policy_at(cfg, IMGCHECK_VULN);
	int rc = 0;
	for (size_t i = 0; i < n && cfg->sigverify != NULL; i++) {
		struct imgcheck_item *it = &out->items[out->n];
		if ((it->image = it->own_image = strdup(images[i])) == NULL) {
			rc = -1;
			break;
		}
		out->n++;
		unsigned w = imgcheck_wants(cfg, &a, images[i]);
		if (w & IMGCHECK_WANT_FACTS) {
			if ((it->own_facts = calloc(1, sizeof(*it->own_facts))) == NULL) {
				rc = -1; /* not gathered: the checks fail closed */
				break;
			}
			imgfacts_get(cfg->sigverify, images[i], imagelist_now(), deadline,
				     it->own_facts);
			it->facts = it->own_facts;
			metrics_image_facts((int)it->facts->status, it->facts->cached);
		}
		if ((w & IMGCHECK_WANT_VULN) && vp != NULL) {
			if ((it->own_vuln = calloc(1, sizeof(*it->own_vuln))) == NULL) {
				rc = -1;
				break;
			}
			vulnattest_get(cfg->sigverify, vp->keys, images[i], imagelist_now(),
				       deadline, it->own_vuln);
			it->vuln = it->own_vuln;
			metrics_vuln_attestation((int)it->vuln->status, it->vuln->cached);
		}
	}
	arena_free(&a);
	return rc;
}

/*
 * An image's facts for imgcheck_cached: lent from the memo m when it holds
 * fresh ones, else peeked from the cache into the memo (or into the item
 * when there is no slot for it). false when not at hand without waiting.
 */
static bool imgcheck_cached_facts(const struct admitd_config *cfg, struct imgcheck_memo *m,
				  const char *image, double now, struct imgcheck_item *it)
{
	if (m != NULL && m->has_facts && m->facts.fresh_until > now) {
		it->facts = &m->facts;
		m->lent = imgcheck_calls;
		return true;
	}
	if (m != NULL) {
		if (m->has_facts)
			imgfacts_release(&m->facts);
		if (!(m->has_facts = imgfacts_peek(cfg->sigverify, image, now, &m->facts)))
			return false;
		it->facts = &m->facts;
		m->lent = imgcheck_calls;
		return true;
	}
	if ((it->own_facts = calloc(1, sizeof(*it->own_facts))) == NULL)
		return false;
	if (!imgfacts_peek(cfg->sigverify, image, now, it->own_facts))
		return false;
	it->facts = it->own_facts;
	return true;
}

/* The same for the image's vulnerability scan. */
static bool imgcheck_cached_vuln(const struct admitd_config *cfg, struct imgcheck_memo *m,
				 const char *image, double now, struct imgcheck_item *it)
{
	const struct imgcheck_policy *vp = imgcheck_policy_at(cfg, IMGCHECK_VULN);
	if (vp == NULL)
		return false;
	if (m != NULL && m->has_vuln && m->vuln.fresh_until > now) {
		it->vuln = &m->vuln;
		m->lent = imgcheck_calls;
		return true;
	}
	if (m != NULL) {
		if (m->has_vuln)
			vulnattest_release(&m->vuln);
		if (!(m->has_vuln =
			      vulnattest_peek(cfg->sigverify, vp->keys, image, now, &m->vuln)))
			return false;
		it->vuln = &m->vuln;
		m->lent = imgcheck_calls;
		return true;
	}
	if ((it->own_vuln = calloc(1, sizeof(*it->own_vuln))) == NULL)
		return false;
	if (!vulnattest_peek(cfg->sigverify, vp->keys, image, now, it->own_vuln))
		return false;
	it->vuln = it->own_vuln;
	return true;
}

bool imgcheck_cached(const struct admitd_config *cfg, char *const *images, size_t n,
		     struct imgcheck_results *out)
{
	if (cfg->sigverify == NULL || imgcheck_alloc(out, n) < 0)
		return false;
	double now = imagelist_now();
	unsigned long gen = sigverify_generation(cfg->sigverify);
	imgcheck_calls++;
	bool ok = true;
	struct arena a;
	arena_init(&a);
	for (size_t i = 0; i < n && ok; i++) {
		struct imgcheck_item *it = &out->items[out->n];
		bool hit;
		struct imgcheck_memo *m = imgcheck_memo_slot(gen, images[i], &hit);
		unsigned w = hit ? m->wanted : imgcheck_wants(cfg, &a, images[i]);
		if (m != NULL && !hit && m->lent == imgcheck_calls)
			m = NULL; /* lent to an earlier image of this review: left alone */
		if (m != NULL && !hit) {
			imgcheck_memo_take(m, gen, images[i]);
			m->wanted = (unsigned char)w;
		}
		if (m != NULL) {
			it->image = m->image; /* lent, as its facts are */
			m->lent = imgcheck_calls;
		} else if ((it->image = it->own_image = strdup(images[i])) == NULL)
			break;
		out->n++;
		if (w & IMGCHECK_WANT_FACTS)
			ok = imgcheck_cached_facts(cfg, m, images[i], now, it);
		if (ok && (w & IMGCHECK_WANT_VULN))
			ok = imgcheck_cached_vuln(cfg, m, images[i], now, it);
	}
	arena_free(&a);
	if (!ok || out->n < n)
		return false;
	/* counted once all are at hand: a partial peek is redone by a worker, which counts */
	for (size_t i = 0; i < out->n; i++) {
		if (out->items[i].facts != NULL)
			metrics_image_facts((int)out->items[i].facts->status, true);
		if (out->items[i].vuln != NULL)
			metrics_vuln_attestation((int)out->items[i].vuln->status, true);
	}
	return true;
}

bool imgcheck_gather(const struct admitd_config *cfg, const struct engine_input *in,
		     struct arena *a, bool offline, struct imgcheck_results *out)
{
	memset(out, 0, sizeof(*out));
	if (!imgcheck_enabled(cfg))
		return false;
	if (offline) {
		out->skipped = true;
		return true;
	}
	char **images = NULL;
	size_t n = imgcheck_images(cfg, in, a, &images);
	imgcheck_run(cfg, images, n, oci_deadline_in(imgcheck_timeout_ms(cfg)), out);
	imgcheck_images_free(images, n);
	return true;
}

static const struct imgcheck_item *imgcheck_item_of(const struct imgcheck_results *r,
						    const char *image)
{
	for (size_t i = 0; r != NULL && image != NULL && i < r->n; i++)
		if (strcmp(r->items[i].image, image) == 0)
			return &r->items[i];
	return NULL;
}

const struct imgfacts *imgcheck_find(const struct imgcheck_results *r, const char *image)
{
	const struct imgcheck_item *it = imgcheck_item_of(r, image);
	return it != NULL ? it->facts : NULL;
}

const struct vulnattest *imgcheck_find_vuln(const struct imgcheck_results *r, const char *image)
{
	const struct imgcheck_item *it = imgcheck_item_of(r, image);
	return it != NULL ? it->vuln : NULL;
}

void imgcheck_results_free(struct imgcheck_results *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->items[i].own_image);
		if (r->items[i].own_facts != NULL)
			imgfacts_release(r->items[i].own_facts);
		free(r->items[i].own_facts);
		if (r->items[i].own_vuln != NULL)
			vulnattest_release(r->items[i].own_vuln);
		free(r->items[i].own_vuln);
	}
	free(r->items);
	memset(r, 0, sizeof(*r));
}

/* ---- the pod's platforms ---- */

static const char *imgcheck_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Whether one matchExpression on key allows value (a term without it allows all). */
static bool imgcheck_expr_allows(const json_t *e, const char *value)
{
	const char *op = imgcheck_str(e, "operator");
	const json_t *values = json_object_get(e, "values");
	bool listed = false;
	size_t i;
	const json_t *v;
	json_array_foreach(values, i, v)
	{
		const char *s = json_string_value(v);
		if (s != NULL && strcmp(s, value) == 0)
			listed = true;
	}
	if (op == NULL)
		return true;
	if (strcmp(op, "In") == 0)
		return listed;
	if (strcmp(op, "NotIn") == 0)
		return !listed;
	if (strcmp(op, "DoesNotExist") == 0)
		return false; /* every node has kubernetes.io/arch and kubernetes.io/os */
	return true;          /* Exists, Gt, Lt: nothing to narrow by */
}

/*
 * Whether the pod can land on a node whose label key is value: its
 * nodeSelector, then its required node affinity (any term whose
 * expressions on key all allow value).
 */
static bool imgcheck_node_allows(const json_t *spec, const char *key, const char *value)
{
	const char *sel = imgcheck_str(json_object_get(spec, "nodeSelector"), key);
	if (sel != NULL && strcmp(sel, value) != 0)
		return false;
	const json_t *terms = json_object_get(
		json_object_get(json_object_get(json_object_get(spec, "affinity"), "nodeAffinity"),
				"requiredDuringSchedulingIgnoredDuringExecution"),
		"nodeSelectorTerms");
	if (!json_is_array(terms) || json_array_size(terms) == 0)
		return true;
	size_t i;
	const json_t *term;
	json_array_foreach(terms, i, term)
	{
		bool ok = true;
		size_t j;
		const json_t *e;
		json_array_foreach(json_object_get(term, "matchExpressions"), j, e)
		{
			const char *k = imgcheck_str(e, "key");
			if (k != NULL && strcmp(k, key) == 0 && !imgcheck_expr_allows(e, value))
				ok = false;
		}
		if (ok)
			return true;
	}
	return false;
}

bool imgcheck_pod_windows(const struct pod_view *pod)
{
	return pod->windows || (pod->node_constrained &&
				!imgcheck_node_allows(pod->spec, "kubernetes.io/os", "linux"));
}

bool imgcheck_arch_allowed(const struct pod_view *pod, const char *arch)
{
	return imgcheck_node_allows(pod->spec, "kubernetes.io/arch", arch) &&
	       imgcheck_node_allows(pod->spec, "beta.kubernetes.io/arch", arch);
}

bool imgcheck_arch_narrowed(const struct pod_view *pod)
{
	if (!pod->node_constrained)
		return false;
	const json_t *sel = json_object_get(pod->spec, "nodeSelector");
	if (json_object_get(sel, "kubernetes.io/arch") != NULL ||
	    json_object_get(sel, "beta.kubernetes.io/arch") != NULL)
		return true;
	/* any required term: asking costs what answering does */
	return json_object_get(
		       json_object_get(json_object_get(pod->spec, "affinity"), "nodeAffinity"),
		       "requiredDuringSchedulingIgnoredDuringExecution") != NULL;
}
