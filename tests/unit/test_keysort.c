/*
 * test_keysort: the external sort of inventory keys (keysort.c) gives the
 * pairs in the order strcmp-then-index gives them, whether they stayed in
 * memory or went through many runs of the temporary file, keys longer than
 * a run or a read buffer included.
 */
#include "harness.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../webhook/keysort.h"

struct pair {
	char *key;
	uint32_t idx;
};

static int pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c != 0 ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

/* A key like the inventory's, from a few namespaces and kinds. */
static char *random_key(unsigned *seed, size_t i)
{
	static const char *const ns[] = {"default", "shop", "shop-2", "a", "kube-system"};
	static const char *const kinds[] = {"Pod", "Deployment", "CronJob", "DaemonSet"};
	char buf[128];
	unsigned r = (unsigned)rand_r(seed);
	snprintf(buf, sizeof(buf), "%s/%s/web-%zu%s", ns[r % 5], kinds[(r / 5) % 4], i,
		 r % 3 == 0 ? "-x" : "");
	return strdup(buf);
}

/* Adds n random pairs to a keysort of run_bytes and checks the order against qsort. */
static size_t check_sorted(size_t n, size_t run_bytes)
{
	unsigned seed = 42;
	struct pair *want = calloc(n ? n : 1, sizeof(*want));
	struct keysort *ks = keysort_new(run_bytes);
	assert_non_null(ks);
	for (size_t i = 0; i < n; i++) {
		/* every 7th repeats an earlier key, so equal keys meet in different runs */
		want[i].key = i % 7 == 0 && i > 0 ? strdup(want[(size_t)rand_r(&seed) % i].key)
						  : random_key(&seed, i);
		want[i].idx = (uint32_t)i;
		assert_int_equal(keysort_add(ks, want[i].key, strlen(want[i].key), (uint32_t)i), 0);
	}
	assert_int_equal(keysort_sort(ks), 0);
	qsort(want, n, sizeof(*want), pair_cmp);
	const char *key;
	size_t len;
	uint32_t idx;
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(keysort_next(ks, &key, &len, &idx), 1);
		assert_string_equal(key, want[i].key);
		assert_int_equal(len, strlen(want[i].key));
		assert_int_equal(idx, want[i].idx);
	}
	assert_int_equal(keysort_next(ks, &key, &len, &idx), 0);
	assert_int_equal(keysort_next(ks, &key, &len, &idx), 0);
	size_t runs = keysort_runs(ks);
	keysort_free(ks);
	for (size_t i = 0; i < n; i++)
		free(want[i].key);
	free(want);
	return runs;
}

static void test_in_memory_order_is_strcmp_then_index(void **state)
{
	(void)state;
	assert_int_equal(check_sorted(5000, 0), 0);
}

static void test_many_runs_merge_to_the_same_order(void **state)
{
	(void)state;
	/* about 40 pairs a run: 125 runs */
	assert_true(check_sorted(5000, 1024) > 100);
}

static void test_one_pair_per_run(void **state)
{
	(void)state;
	assert_int_equal(check_sorted(300, 1), 300);
}

static void test_nothing_added_gives_nothing(void **state)
{
	(void)state;
	assert_int_equal(check_sorted(0, 0), 0);
}

static void test_same_key_comes_back_in_the_order_added(void **state)
{
	(void)state;
	struct keysort *ks = keysort_new(16);
	uint32_t order[] = {9, 3, 7, 1};
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(keysort_add(ks, "ns/Pod/same", 11, order[i]), 0);
	assert_int_equal(keysort_add(ks, "ns/Pod/sam", 10, 100), 0);
	assert_int_equal(keysort_sort(ks), 0);
	assert_true(keysort_runs(ks) > 1);
	const char *key;
	size_t len;
	uint32_t idx;
	/* a prefix sorts first, as strcmp has it */
	assert_int_equal(keysort_next(ks, &key, &len, &idx), 1);
	assert_int_equal(idx, 100);
	uint32_t want[] = {1, 3, 7, 9};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(keysort_next(ks, &key, &len, &idx), 1);
		assert_string_equal(key, "ns/Pod/same");
		assert_int_equal(idx, want[i]);
	}
	assert_int_equal(keysort_next(ks, &key, &len, &idx), 0);
	keysort_free(ks);
}

static void test_key_longer_than_a_run_and_a_read(void **state)
{
	(void)state;
	size_t n = 20000;
	char *big = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	big[n] = '\0';
	struct keysort *ks = keysort_new(1024);
	assert_int_equal(keysort_add(ks, "m", 1, 1), 0);
	assert_int_equal(keysort_add(ks, big, n, 2), 0);
	big[0] = 'z';
	assert_int_equal(keysort_add(ks, big, n, 3), 0);
	assert_int_equal(keysort_add(ks, "b", 1, 4), 0);
	assert_int_equal(keysort_sort(ks), 0);
	const char *key;
	size_t len;
	uint32_t idx;
	uint32_t want[] = {2, 4, 1, 3};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(keysort_next(ks, &key, &len, &idx), 1);
		assert_int_equal(idx, want[i]);
		assert_int_equal(len, idx == 2 || idx == 3 ? n : 1);
		assert_int_equal(strlen(key), len);
	}
	assert_memory_equal(key, big, n);
	keysort_free(ks);
	free(big);
}

static void test_add_after_sort_is_an_error(void **state)
{
	(void)state;
	struct keysort *ks = keysort_new(0);
	assert_int_equal(keysort_add(ks, "a", 1, 0), 0);
	assert_int_equal(keysort_sort(ks), 0);
	assert_int_equal(keysort_add(ks, "b", 1, 1), -1);
	assert_non_null(strstr(keysort_error(ks), "after keysort_sort"));
	const char *key;
	size_t len;
	uint32_t idx;
	assert_int_equal(keysort_next(ks, &key, &len, &idx), -1);
	keysort_free(ks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_memory_order_is_strcmp_then_index),
		cmocka_unit_test(test_many_runs_merge_to_the_same_order),
		cmocka_unit_test(test_one_pair_per_run),
		cmocka_unit_test(test_nothing_added_gives_nothing),
		cmocka_unit_test(test_same_key_comes_back_in_the_order_added),
		cmocka_unit_test(test_key_longer_than_a_run_and_a_read),
		cmocka_unit_test(test_add_after_sort_is_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
