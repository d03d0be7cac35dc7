/*
 * sigcache.c: a bounded LRU map of verdicts with single flight (see
 * sigcache.h). One mutex and one condition variable: verifications take
 * milliseconds to seconds over the network, lookups microseconds, so a
 * finer lock would buy nothing measurable.
 */
#include "sigcache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnv.h"

struct sigcache_entry {
	char key[SIGCACHE_KEY_MAX];
	uint64_t hash;
	struct sigcache_value value;
	double expires;                     /* monotonic seconds */
	bool in_flight;                     /* an owner is verifying it; value not valid yet */
	bool valid;                         /* value holds a verdict (until expires) */
	unsigned waiters;                   /* callers blocked on this entry */
	struct sigcache_entry *prev, *next; /* LRU list: head is the most recent */
	struct sigcache_entry *chain;       /* hash bucket */
};

struct sigcache {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct sigcache_entry **buckets;
	size_t nbuckets;
	size_t count, max;
	struct sigcache_entry *head, *tail;
	struct sigcache_stats stats;
};

static uint64_t sigcache_hash(const char *s)
{
	return fnv_str(FNV_OFFSET, s);
}

struct sigcache *sigcache_new(size_t max_entries)
{
	struct sigcache *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->max = max_entries > 0 ? max_entries : 1;
	c->nbuckets = 64;
	while (c->nbuckets < c->max)
		c->nbuckets *= 2;
	c->buckets = calloc(c->nbuckets, sizeof(*c->buckets));
	if (c->buckets == NULL) {
		free(c);
		return NULL;
	}
	/* deadlines are CLOCK_MONOTONIC: a wall-clock step must not stretch a wait */
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->changed, &attr);
	pthread_condattr_destroy(&attr);
	return c;
}

static void sigcache_unlink(struct sigcache *c, struct sigcache_entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void sigcache_push_front(struct sigcache *c, struct sigcache_entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head != NULL)
		c->head->prev = e;
	c->head = e;
	if (c->tail == NULL)
		c->tail = e;
}

static void sigcache_remove(struct sigcache *c, struct sigcache_entry *e)
{
	struct sigcache_entry **p = &c->buckets[e->hash & (c->nbuckets - 1)];
	while (*p != e)
		p = &(*p)->chain;
	*p = e->chain;
	sigcache_unlink(c, e);
	c->count--;
	free(e->value.blob);
	free(e);
}

static struct sigcache_entry *sigcache_find(struct sigcache *c, const char *key, uint64_t h)
{
	for (struct sigcache_entry *e = c->buckets[h & (c->nbuckets - 1)]; e != NULL; e = e->chain)
		if (e->hash == h && strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/*
 * Makes room for one more: the least recently used entries that nobody
 * verifies or waits for go. When every entry is in flight the map grows
 * past its bound, by at most the number of concurrent verifications.
 */
static void sigcache_evict(struct sigcache *c)
{
	struct sigcache_entry *e = c->tail;
	while (e != NULL && c->count >= c->max) {
		struct sigcache_entry *prev = e->prev;
		if (!e->in_flight && e->waiters == 0) {
			sigcache_remove(c, e);
			c->stats.evictions++;
		}
		e = prev;
	}
}

void sigcache_free(struct sigcache *c)
{
	if (c == NULL)
		return;
	while (c->head != NULL)
		sigcache_remove(c, c->head);
	free(c->buckets);
	pthread_cond_destroy(&c->changed);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

enum sigcache_result sigcache_get(struct sigcache *c, const char *key, double now,
				  const struct timespec *deadline, struct sigcache_value *out)
{
	if (strlen(key) >= SIGCACHE_KEY_MAX)
		return SIGCACHE_NOMEM; /* never true of digests and fingerprints */
	uint64_t h = sigcache_hash(key);
	enum sigcache_result rc;
	pthread_mutex_lock(&c->lock);
	struct sigcache_entry *e = sigcache_find(c, key, h);
	bool waited = false;
	while (e != NULL && e->in_flight) {
		if (!waited)
			c->stats.waits++;
		waited = true;
		e->waiters++;
		int w = pthread_cond_timedwait(&c->changed, &c->lock, deadline);
		e->waiters--;
		if (w != 0 && e->in_flight) {
			rc = SIGCACHE_TIMEOUT;
			goto out;
		}
	}
	if (e != NULL && e->valid && (e->expires > now || waited)) {
		/* a value just put for this caller's wait is fresh, whatever its clock says */
		*out = e->value;
		out->expires = e->expires;
		out->blob = e->value.blob != NULL ? strdup(e->value.blob) : NULL;
		sigcache_unlink(c, e);
		sigcache_push_front(c, e);
		c->stats.hits++;
		rc = SIGCACHE_HIT;
		goto out;
	}
	c->stats.misses++;
	if (e == NULL) {
		if (c->count >= c->max)
			sigcache_evict(c);
		e = calloc(1, sizeof(*e));
		if (e == NULL) {
			rc = SIGCACHE_NOMEM;
			goto out;
		}
		snprintf(e->key, sizeof(e->key), "%s", key);
		e->hash = h;
		e->chain = c->buckets[h & (c->nbuckets - 1)];
		c->buckets[h & (c->nbuckets - 1)] = e;
		c->count++;
	} else {
		sigcache_unlink(c, e);
	}
	sigcache_push_front(c, e);
	e->in_flight = true;
	e->valid = false;
	rc = SIGCACHE_OWNER;
out:
	pthread_mutex_unlock(&c->lock);
	return rc;
}

bool sigcache_peek(struct sigcache *c, const char *key, double now, struct sigcache_value *out)
{
	pthread_mutex_lock(&c->lock);
	struct sigcache_entry *e = sigcache_find(c, key, sigcache_hash(key));
	bool fresh = e != NULL && e->valid && e->expires > now;
	if (fresh) {
		*out = e->value;
		out->expires = e->expires;
		out->blob = e->value.blob != NULL ? strdup(e->value.blob) : NULL;
		c->stats.hits++;
	}
	pthread_mutex_unlock(&c->lock);
	return fresh;
}

void sigcache_put(struct sigcache *c, const char *key, const struct sigcache_value *v, double now,
		  double ttl)
{
	pthread_mutex_lock(&c->lock);
	struct sigcache_entry *e = sigcache_find(c, key, sigcache_hash(key));
	if (e != NULL) {
		free(e->value.blob);
		e->value = *v;
		e->value.blob = v->blob != NULL ? strdup(v->blob) : NULL;
		e->valid = true;
		e->in_flight = false;
		e->expires = now + ttl;
		pthread_cond_broadcast(&c->changed);
	}
	pthread_mutex_unlock(&c->lock);
}

void sigcache_abandon(struct sigcache *c, const char *key)
{
	pthread_mutex_lock(&c->lock);
	struct sigcache_entry *e = sigcache_find(c, key, sigcache_hash(key));
	if (e != NULL && e->in_flight) {
		e->in_flight = false;
		e->valid = false;
		pthread_cond_broadcast(&c->changed);
	}
	pthread_mutex_unlock(&c->lock);
}

void sigcache_clear(struct sigcache *c)
{
	pthread_mutex_lock(&c->lock);
	for (struct sigcache_entry *e = c->head, *next; e != NULL; e = next) {
		next = e->next;
		/* an entry in flight stays: its owner and waiters hold on to it */
		if (e->in_flight || e->waiters > 0)
			e->valid = false;
		else
			sigcache_remove(c, e);
	}
	pthread_mutex_unlock(&c->lock);
}

void sigcache_stats(struct sigcache *c, struct sigcache_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->lock);
}

size_t sigcache_size(struct sigcache *c)
{
	pthread_mutex_lock(&c->lock);
	size_t n = c->count;
	pthread_mutex_unlock(&c->lock);
	return n;
}
