/*
 * test_race: the engine judged from several threads at once, as the
 * server's threads do, with the ADMITD_FAULT_POLICY test hook set. Built
 * and run under ThreadSanitizer by `make race` (part of make test), where
 * any unsynchronised state shared by requests is a failure; in the other
 * builds it checks that every thread gets the same, complete verdicts.
 */
#include "harness.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../../webhook/workload.h"

#define RACE_THREADS 4
#define RACE_ROUNDS  50

static struct admitd_config *race_cfg;
static json_t *race_pod;

struct race_result {
	unsigned faults; /* verdicts that carried the injected failure */
	unsigned denied;
};

static void *race_worker(void *arg)
{
	struct race_result *res = arg;
	for (int i = 0; i < RACE_ROUNDS; i++) {
		struct arena a;
		arena_init(&a);
		struct engine_input in = {.kind = "Pod",
					  .operation = "CREATE",
					  .namespace = "default",
					  .object = race_pod};
		struct engine_verdict v;
		if (engine_evaluate(race_cfg, &in, &a, &v) == 0) {
			res->faults += v.error != NULL &&
				       strstr(v.error, "policy privileged failed") != NULL;
			res->denied += !v.allowed;
		}
		arena_free(&a);
	}
	return NULL;
}

static void test_engine_is_race_free_across_threads(void **state)
{
	(void)state;
	setenv("ADMITD_FAULT_POLICY", "privileged", 1);
	workload_init();
	race_cfg = harness_config("podSecurity: {level: baseline, action: deny}\n");
	race_pod = harness_yaml("kind: Pod\nspec:\n  containers:\n"
				"    - {name: a, image: x, securityContext: {privileged: true}}\n");
	pthread_t t[RACE_THREADS];
	struct race_result r[RACE_THREADS];
	memset(r, 0, sizeof(r));
	for (int i = 0; i < RACE_THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race_worker, &r[i]), 0);
	for (int i = 0; i < RACE_THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < RACE_THREADS; i++) {
		assert_int_equal(r[i].faults, RACE_ROUNDS);
		assert_int_equal(r[i].denied, RACE_ROUNDS);
	}
	json_decref(race_pod);
	config_unref(race_cfg);
	unsetenv("ADMITD_FAULT_POLICY");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_engine_is_race_free_across_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
