/*
 * sigcache: what image-signature verification remembers between reviews,
 * the only state admitd keeps besides its configuration (issue: signed
 * images only). Thread-safe; called from the workers that talk to
 * registries, never from an event loop, since a lookup may wait.
 *
 * A key says everything that decided a verdict: the image digest, and a
 * fingerprint of the keys and settings that judged it (cosign_keys_set_-
 * fingerprint plus the policy's options), so that a configuration change
 * never reuses a stale verdict. Tags map to digests under keys of their
 * own, with a short lifetime, so that a re-pointed tag is seen quickly.
 *
 * Single flight: the first caller to miss a key owns its verification;
 * callers of the same key meanwhile wait for that verdict (up to their own
 * deadline) instead of verifying it again, so a burst of pods of one new
 * image costs one verification. Failures are cached too, briefly, by the
 * caller's choice of lifetime.
 */
#ifndef ADMITD_SIGCACHE_H
#define ADMITD_SIGCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define SIGCACHE_KEY_MAX    512
#define SIGCACHE_REASON_MAX 512

/* What is cached for a key: a verdict (or a tag's digest) and why. */
struct sigcache_value {
	bool ok;
	int code;                       /* the caller's own: which kind of failure */
	char text[SIGCACHE_REASON_MAX]; /* the reason, or the digest a tag resolved to */
	double expires; /* set on a HIT: until when the value holds (the caller's clock) */
	/*
	 * More than a reason holds (image facts, as JSON): put copies it; a HIT
	 * hands the caller its own copy to free (NULL when none, or out of
	 * memory). Zero it in a value that has none.
	 */
	char *blob;
};

enum sigcache_result {
	SIGCACHE_HIT,     /* *out holds a value that has not expired */
	SIGCACHE_OWNER,   /* a miss: the caller verifies, then sigcache_put or sigcache_abandon */
	SIGCACHE_TIMEOUT, /* another caller's verification did not end by the deadline */
	SIGCACHE_NOMEM,
};

struct sigcache_stats {
	unsigned long long hits, misses, waits, evictions;
};

struct sigcache;

/* At most max_entries keys; the least recently used one goes first. NULL when out of memory. */
struct sigcache *sigcache_new(size_t max_entries);
void sigcache_free(struct sigcache *c);

/*
 * Looks key up at time now (CLOCK_MONOTONIC seconds, passed in so tests
 * can move time). A fresh value is a HIT. A key being verified by another
 * caller is waited for until deadline (CLOCK_MONOTONIC): its value is
 * then a HIT, or, if it was abandoned, this caller becomes the OWNER. A
 * missing or expired key makes this caller the OWNER.
 */
enum sigcache_result sigcache_get(struct sigcache *c, const char *key, double now,
				  const struct timespec *deadline, struct sigcache_value *out);
/* A fresh value without becoming an owner or waiting: for an event loop. */
bool sigcache_peek(struct sigcache *c, const char *key, double now, struct sigcache_value *out);
/* The owner's verdict: kept for ttl seconds from now, and handed to every waiter. */
void sigcache_put(struct sigcache *c, const char *key, const struct sigcache_value *v, double now,
		  double ttl);
/* The owner gives up (out of time, shutting down): one waiter becomes the owner. */
void sigcache_abandon(struct sigcache *c, const char *key);
/* Forgets everything: a reload whose keys changed need not wait for lifetimes. */
void sigcache_clear(struct sigcache *c);
void sigcache_stats(struct sigcache *c, struct sigcache_stats *out);
size_t sigcache_size(struct sigcache *c);

#endif
