/*
 * sigcheck.c: which images of a request the image-signatures policy
 * checks, and their verdicts, gathered before the engine runs (see
 * sigcheck.h).
 */
#include "sigcheck.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../policies/registry.h"
#include "arena.h"
#include "cfgtypes.h"
#include "engine.h"
#include "fnv.h"
#include "imagelist.h"
#include "imgcheck.h"
#include "metrics.h"
#include "settings.h"
#include "workload.h"

/* The module's index in the registry: constant, looked up once for every thread. */
static int sigcheck_index = -1;
static pthread_once_t sigcheck_index_once = PTHREAD_ONCE_INIT;

static void sigcheck_find_index(void)
{
	sigcheck_index = registry_find("image-signatures");
}

const struct sigcheck_policy *sigcheck_policy(const struct admitd_config *cfg)
{
	pthread_once(&sigcheck_index_once, sigcheck_find_index);
	int at = sigcheck_index;
	if (cfg == NULL || at < 0 || cfg->sigverify == NULL)
		return NULL;
	const struct policy_setting *s = &cfg->settings[at];
	if (s->action == POLICY_ACTION_OFF || s->state == NULL)
		return NULL;
	/* the module's state begins with its sigcheck_policy */
	return (const struct sigcheck_policy *)s->state;
}

const struct sigcheck_rule *sigcheck_rule(const struct sigcheck_policy *p, struct arena *a,
					  const char *image)
{
	struct image_ref r;
	if (p == NULL || image == NULL || p->nrules == 0)
		return NULL;
	if (image_parse(a, image, &r) < 0)
		return &p->rules[0]; /* unparsable: judged, and reported, by the verifier */
	for (size_t i = 0; i < p->nrules; i++)
		for (size_t j = 0; j < p->rules[i].npatterns; j++)
			if (image_pattern_match(&p->rules[i].patterns[j], &r))
				return &p->rules[i];
	return NULL;
}

/* The same without an arena of the caller's: for the workers, and a memo's miss. */
static const struct sigcheck_rule *sigcheck_rule_of(const struct sigcheck_policy *p,
						    const char *image)
{
	struct arena a;
	arena_init(&a);
	const struct sigcheck_rule *rule = sigcheck_rule(p, &a, image);
	arena_free(&a);
	return rule;
}

/*
 * The event loop's memo, one per thread and without a lock: the images it
 * saw lately, the rule the policy checks them under (NULL: not checked),
 * and their last fresh verdict. A review whose verdicts are cached then
 * costs a string comparison per image instead of parsing it twice,
 * building two cache keys and two lookups under the cache's lock (make
 * bench: the cached review's latency against the policy off). An entry holds for one
 * verifier generation (each configuration has its own verifier, and
 * sigverify_forget starts a new one), and a verdict only until the cache
 * would have expired it or its tag's digest. The rule is the policy's of
 * that configuration: it lives as long as the verifier, and an image's
 * rule never changes within it.
 */
#define SIGCHECK_MEMO       32
#define SIGCHECK_MEMO_IMAGE 240
struct sigcheck_memo {
	unsigned long generation; /* 0: empty */
	char image[SIGCHECK_MEMO_IMAGE];
	const struct sigcheck_rule *rule;
	bool has_verdict;
	struct sigverify_verdict v;
};
static __thread struct sigcheck_memo sigcheck_memo[SIGCHECK_MEMO];

/* image's slot (NULL when too long to keep); *hit when it holds image for gen. */
static struct sigcheck_memo *sigcheck_memo_slot(unsigned long gen, const char *image, bool *hit)
{
	size_t len = strlen(image);
	*hit = false;
	if (len >= SIGCHECK_MEMO_IMAGE)
		return NULL;
	struct sigcheck_memo *m = &sigcheck_memo[fnv_words(image, len) % SIGCHECK_MEMO];
	*hit = m->generation == gen && memcmp(m->image, image, len + 1) == 0;
	return m;
}

/* Whether the policy checks image, through the memo. */
static bool sigcheck_wanted_memo(const struct admitd_config *cfg, const struct sigcheck_policy *p,
				 struct arena *a, const char *image)
{
	if (image == NULL)
		return false;
	unsigned long gen = sigverify_generation(cfg->sigverify);
	bool hit;
	struct sigcheck_memo *m = sigcheck_memo_slot(gen, image, &hit);
	if (hit)
		return m->rule != NULL;
	const struct sigcheck_rule *rule = sigcheck_rule(p, a, image);
	if (m != NULL) {
		m->generation = gen;
		strcpy(m->image, image);
		m->rule = rule;
		m->has_verdict = false;
	}
	return rule != NULL;
}

size_t sigcheck_images(const struct admitd_config *cfg, const struct engine_input *in,
		       struct arena *a, char ***out)
{
	*out = NULL;
	const struct sigcheck_policy *p = sigcheck_policy(cfg);
	struct pod_view space;
	const struct pod_view *pod = p != NULL ? engine_pod_view(cfg, in, a, &space) : NULL;
	if (pod == NULL)
		return 0;
	size_t n = 0;
	for (size_t i = 0; i < pod->ncontainers; i++) {
		const char *image =
			json_string_value(json_object_get(pod->containers[i].json, "image"));
		if (sigcheck_wanted_memo(cfg, p, a, image) && imagelist_add(out, &n, image) < 0)
			goto nomem;
	}
	for (size_t i = 0; i < pod->nimage_volumes; i++) {
		const char *image = json_string_value(pod->image_volumes[i].reference);
		if (sigcheck_wanted_memo(cfg, p, a, image) && imagelist_add(out, &n, image) < 0)
			goto nomem;
	}
	return n;
nomem:
	/* what could not be listed is not verified: the policy then fails closed */
	return n;
}

void sigcheck_images_free(char **images, size_t n)
{
	imagelist_free(images, n);
}

static int sigcheck_alloc(struct sigcheck_results *out, size_t n)
{
	memset(out, 0, sizeof(*out));
	out->items = calloc(n ? n : 1, sizeof(*out->items));
	return out->items != NULL ? 0 : -1;
}

int sigcheck_run(const struct admitd_config *cfg, char *const *images, size_t n,
		 struct timespec deadline, struct sigcheck_results *out)
{
	const struct sigcheck_policy *p = sigcheck_policy(cfg);
	if (sigcheck_alloc(out, n) < 0)
		return -1;
	for (size_t i = 0; i < n && p != NULL; i++) {
		struct sigcheck_item *it = &out->items[out->n];
		const struct sigcheck_rule *rule = sigcheck_rule_of(p, images[i]);
		if (rule == NULL)
			continue; /* not the policy's: it judges the image without a verdict */
		if ((it->image = strdup(images[i])) == NULL)
			return -1;
		sigverify_image(cfg->sigverify, &rule->verify, images[i], imagelist_now(), deadline,
				&it->v);
		metrics_signature((int)it->v.status, it->v.cached, it->v.requests);
		out->n++;
	}
	return 0;
}

bool sigcheck_cached(const struct admitd_config *cfg, char *const *images, size_t n,
		     struct sigcheck_results *out)
{
	const struct sigcheck_policy *p = sigcheck_policy(cfg);
	if (p == NULL || sigcheck_alloc(out, n) < 0)
		return false;
	double now = imagelist_now();
	unsigned long gen = sigverify_generation(cfg->sigverify);
	unsigned memo_hits = 0;
	for (size_t i = 0; i < n; i++) {
		struct sigcheck_item *it = &out->items[out->n];
		bool hit;
		struct sigcheck_memo *m = sigcheck_memo_slot(gen, images[i], &hit);
		const struct sigcheck_rule *rule = NULL;
		if (hit && m->has_verdict && m->v.fresh_until > now) {
			it->v = m->v;
			memo_hits++;
		} else if ((rule = hit ? m->rule : sigcheck_rule_of(p, images[i])) != NULL &&
			   sigverify_peek(cfg->sigverify, &rule->verify, images[i], now, &it->v)) {
			if (m != NULL) {
				if (!hit) {
					m->generation = gen;
					strcpy(m->image, images[i]);
					m->rule = rule;
				}
				m->has_verdict = true;
				m->v = it->v;
			}
		} else {
			sigverify_count_hits(cfg->sigverify, memo_hits);
			return false;
		}
		if ((it->image = strdup(images[i])) == NULL)
			return false;
		out->n++;
	}
	sigverify_count_hits(cfg->sigverify, memo_hits);
	/* counted once all are at hand: a partial peek is redone by a worker, which counts */
	for (size_t i = 0; i < out->n; i++)
		metrics_signature((int)out->items[i].v.status, out->items[i].v.cached, 0);
	return true;
}

bool sigcheck_gather(const struct admitd_config *cfg, const struct engine_input *in,
		     struct arena *a, bool offline, struct sigcheck_results *out)
{
	memset(out, 0, sizeof(*out));
	const struct sigcheck_policy *p = sigcheck_policy(cfg);
	if (p == NULL)
		return false;
	if (offline) {
		out->skipped = true;
		return true;
	}
	char **images = NULL;
	size_t n = sigcheck_images(cfg, in, a, &images);
	sigcheck_run(cfg, images, n, oci_deadline_in(p->timeout_ms), out);
	sigcheck_images_free(images, n);
	return true;
}

const struct sigverify_verdict *sigcheck_find(const struct sigcheck_results *r, const char *image)
{
	for (size_t i = 0; r != NULL && i < r->n; i++)
		if (strcmp(r->items[i].image, image) == 0)
			return &r->items[i].v;
	return NULL;
}

void sigcheck_results_free(struct sigcheck_results *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->items[i].image);
	free(r->items);
	memset(r, 0, sizeof(*r));
}

bool sigcheck_gathers(const struct admitd_config *cfg)
{
	return sigcheck_policy(cfg) != NULL || imgcheck_enabled(cfg);
}
