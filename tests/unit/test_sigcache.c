/*
 * test_sigcache: the verification cache of image signatures. A verdict
 * lives for its lifetime and not a second longer, a key that differs in
 * the keys or settings that decided is another verdict, a burst of
 * reviews of one uncached digest costs one verification, and the map
 * stays within its bound.
 */
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "../../webhook/sigcache.h"

static struct timespec in_seconds(double s)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)s;
	ts.tv_nsec += (long)((s - (double)(time_t)s) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static struct sigcache_value verdict(bool ok, const char *text)
{
	struct sigcache_value v = {.ok = ok};
	snprintf(v.text, sizeof(v.text), "%s", text);
	return v;
}

static void test_a_verdict_lives_for_its_lifetime_only(void **state)
{
	(void)state;
	struct sigcache *c = sigcache_new(16);
	struct timespec dl = in_seconds(1);
	struct sigcache_value out;
	assert_int_equal(sigcache_get(c, "sha256:aa|keys1", 100.0, &dl, &out), SIGCACHE_OWNER);
	struct sigcache_value v = verdict(true, "signed by release.pub");
	sigcache_put(c, "sha256:aa|keys1", &v, 100.0, 300.0);
	assert_int_equal(sigcache_get(c, "sha256:aa|keys1", 399.0, &dl, &out), SIGCACHE_HIT);
	assert_true(out.ok);
	assert_string_equal(out.text, "signed by release.pub");
	/* at 400 s it has expired: the next caller verifies again */
	assert_int_equal(sigcache_get(c, "sha256:aa|keys1", 400.0, &dl, &out), SIGCACHE_OWNER);
	sigcache_abandon(c, "sha256:aa|keys1");
	sigcache_free(c);
}

static void test_other_keys_or_settings_are_another_verdict(void **state)
{
	(void)state;
	struct sigcache *c = sigcache_new(16);
	struct timespec dl = in_seconds(1);
	struct sigcache_value out, v = verdict(true, "ok");
	assert_int_equal(sigcache_get(c, "sha256:aa|keys1", 0, &dl, &out), SIGCACHE_OWNER);
	sigcache_put(c, "sha256:aa|keys1", &v, 0, 300);
	/* a reload that changed the keys asks with another fingerprint: a miss */
	assert_int_equal(sigcache_get(c, "sha256:aa|keys2", 1, &dl, &out), SIGCACHE_OWNER);
	sigcache_abandon(c, "sha256:aa|keys2");
	/* and sigcache_clear forgets the old verdicts at once */
	sigcache_clear(c);
	assert_int_equal(sigcache_get(c, "sha256:aa|keys1", 1, &dl, &out), SIGCACHE_OWNER);
	sigcache_abandon(c, "sha256:aa|keys1");
	sigcache_free(c);
}

static void test_failures_are_cached_for_their_own_lifetime(void **state)
{
	(void)state;
	struct sigcache *c = sigcache_new(16);
	struct timespec dl = in_seconds(1);
	struct sigcache_value out, v = verdict(false, "registry unreachable");
	assert_int_equal(sigcache_get(c, "sha256:bb|k", 0, &dl, &out), SIGCACHE_OWNER);
	sigcache_put(c, "sha256:bb|k", &v, 0, 5);
	assert_int_equal(sigcache_get(c, "sha256:bb|k", 4, &dl, &out), SIGCACHE_HIT);
	assert_false(out.ok);
	assert_string_equal(out.text, "registry unreachable");
	assert_int_equal(sigcache_get(c, "sha256:bb|k", 5, &dl, &out), SIGCACHE_OWNER);
	sigcache_abandon(c, "sha256:bb|k");
	sigcache_free(c);
}

static void test_the_map_stays_within_its_bound(void **state)
{
	(void)state;
	struct sigcache *c = sigcache_new(8);
	struct timespec dl = in_seconds(1);
	struct sigcache_value out, v = verdict(true, "ok");
	char key[64];
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "sha256:%03d|k", i);
		assert_int_equal(sigcache_get(c, key, 0, &dl, &out), SIGCACHE_OWNER);
		sigcache_put(c, key, &v, 0, 300);
		assert_true(sigcache_size(c) <= 8);
	}
	/* the most recent ones stay, the oldest went */
	assert_int_equal(sigcache_get(c, "sha256:099|k", 1, &dl, &out), SIGCACHE_HIT);
	assert_int_equal(sigcache_get(c, "sha256:000|k", 1, &dl, &out), SIGCACHE_OWNER);
	sigcache_abandon(c, "sha256:000|k");
	struct sigcache_stats st;
	sigcache_stats(c, &st);
	assert_true(st.evictions >= 92);
	sigcache_free(c);
}

/* ---- single flight ---- */

struct burst {
	struct sigcache *c;
	atomic_int owners, hits, ready;
};

static void *burst_reviewer(void *arg)
{
	struct burst *b = arg;
	atomic_fetch_add(&b->ready, 1);
	struct timespec dl = in_seconds(10);
	struct sigcache_value out;
	switch (sigcache_get(b->c, "sha256:cc|k", 0, &dl, &out)) {
	case SIGCACHE_OWNER: {
		atomic_fetch_add(&b->owners, 1);
		usleep(100 * 1000); /* a verification over the network */
		struct sigcache_value v = verdict(true, "verified once");
		sigcache_put(b->c, "sha256:cc|k", &v, 0, 300);
		break;
	}
	case SIGCACHE_HIT:
		if (out.ok && strcmp(out.text, "verified once") == 0)
			atomic_fetch_add(&b->hits, 1);
		break;
	default:
		break;
	}
	return NULL;
}

static void test_a_burst_of_one_digest_is_verified_once(void **state)
{
	(void)state;
	struct burst b = {.c = sigcache_new(16)};
	pthread_t t[16];
	for (int i = 0; i < 16; i++)
		assert_int_equal(pthread_create(&t[i], NULL, burst_reviewer, &b), 0);
	for (int i = 0; i < 16; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(atomic_load(&b.owners), 1);
	assert_int_equal(atomic_load(&b.hits), 15);
	sigcache_free(b.c);
}

struct waiter {
	struct sigcache *c;
	double seconds;
	enum sigcache_result rc;
};

static void *waiter_run(void *arg)
{
	struct waiter *w = arg;
	struct timespec dl = in_seconds(w->seconds);
	struct sigcache_value out;
	w->rc = sigcache_get(w->c, "sha256:dd|k", 0, &dl, &out);
	if (w->rc == SIGCACHE_OWNER)
		sigcache_abandon(w->c, "sha256:dd|k");
	return NULL;
}

static void test_a_waiter_stops_at_its_deadline_and_an_abandoned_key_passes_on(void **state)
{
	(void)state;
	struct sigcache *c = sigcache_new(16);
	struct timespec dl = in_seconds(1);
	struct sigcache_value out;
	assert_int_equal(sigcache_get(c, "sha256:dd|k", 0, &dl, &out), SIGCACHE_OWNER);
	/* the owner takes long: a waiter with 0.2 s gives up, fail closed is its caller's */
	struct waiter w = {.c = c, .seconds = 0.2};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, waiter_run, &w), 0);
	pthread_join(t, NULL);
	assert_int_equal(w.rc, SIGCACHE_TIMEOUT);
	/* a waiter with time left becomes the owner when the owner abandons */
	struct waiter w2 = {.c = c, .seconds = 5};
	assert_int_equal(pthread_create(&t, NULL, waiter_run, &w2), 0);
	usleep(50 * 1000);
	sigcache_abandon(c, "sha256:dd|k");
	pthread_join(t, NULL);
	assert_int_equal(w2.rc, SIGCACHE_OWNER);
	sigcache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_verdict_lives_for_its_lifetime_only),
		cmocka_unit_test(test_other_keys_or_settings_are_another_verdict),
		cmocka_unit_test(test_failures_are_cached_for_their_own_lifetime),
		cmocka_unit_test(test_the_map_stays_within_its_bound),
		cmocka_unit_test(test_a_burst_of_one_digest_is_verified_once),
		cmocka_unit_test(
			test_a_waiter_stops_at_its_deadline_and_an_abandoned_key_passes_on),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
