/*
 * test_drift: digest-changed (drift.c) with and without the digest a tag
 * resolved to (inventory --resolve): each digest is compared only when
 * both sides have one, so that a baseline taken without --resolve, or a
 * registry that failed once, does not make every tagged image "changed";
 * a change both digests say alike is one item.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../webhook/inventory.h"

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/*
 * An index as drift reads it: one Deployment shop/web, one container "app"
 * of reg.example/app:1 with digest and resolvedDigest (NULL: null,
 * "absent": no such key, as an inventory taken without --resolve).
 */
static json_t *one(const char *digest, const char *resolved)
{
	json_t *c = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s?}", "list", "containers", "name", "app",
			      "image", "reg.example/app:1", "registry", "reg.example", "repository",
			      "app", "tag", "1", "digest", digest);
	if (resolved == NULL || strcmp(resolved, "absent") != 0)
		json_object_set_new(c, "resolvedDigest",
				    resolved != NULL ? json_string(resolved) : json_null());
	json_t *doc = json_pack("{s:[{s:s,s:s,s:s,s:[o]}]}", "workloads", "kind", "Deployment",
				"namespace", "shop", "name", "web", "containers", c);
	char *text = json_dumps(doc, JSON_COMPACT);
	char why[300];
	json_t *idx = drift_baseline_parse(text, strlen(text), why, sizeof(why));
	if (idx == NULL)
		fail_msg("not a baseline: %s", why);
	free(text);
	json_decref(doc);
	return idx;
}

/* The messages of digest-changed items from base to cur, joined by '|'. */
static char *changed(json_t *base, json_t *cur)
{
	json_t *drift = drift_compare(base, cur);
	char *out = calloc(1, 4096);
	size_t i;
	const json_t *d;
	json_array_foreach(drift, i, d)
	{
		const char *cls = json_string_value(json_object_get(d, "class"));
		if (strcmp(cls, "digest-changed") != 0)
			fail_msg("unexpected drift class %s", cls);
		if (out[0] != '\0')
			strcat(out, "|");
		strncat(out, json_string_value(json_object_get(d, "message")), 1000);
	}
	json_decref(drift);
	json_decref(base);
	json_decref(cur);
	return out;
}

static void expect(json_t *base, json_t *cur, const char *want)
{
	char *got = changed(base, cur);
	if (strcmp(got, want) != 0)
		fail_msg("drift \"%s\", want \"%s\"", got, want);
	free(got);
}

static void test_repointed_tag_is_digest_changed(void **state)
{
	(void)state;
	expect(one(NULL, DA), one(NULL, DB),
	       "reg.example/app:1 now resolves to " DB " in its registry, was " DA " (--resolve)");
	expect(one(NULL, DA), one(NULL, DA), "");
}

static void test_no_resolved_digest_on_one_side_is_not_compared(void **state)
{
	(void)state;
	/* baseline without --resolve, run with it, and the other way round */
	expect(one(NULL, "absent"), one(NULL, DB), "");
	expect(one(NULL, DA), one(NULL, "absent"), "");
	/* a registry that failed (null) on either side */
	expect(one(NULL, NULL), one(NULL, DB), "");
	expect(one(NULL, DA), one(NULL, NULL), "");
	/* the running digest is still compared as before */
	expect(one(DA, "absent"), one(DB, DB), "reg.example/app:1 is now " DB ", was " DA);
}

static void test_one_change_said_twice_is_one_item(void **state)
{
	(void)state;
	/* a pinned reference, or a pod restarted on the digest the tag moved to */
	expect(one(DA, DA), one(DB, DB), "reg.example/app:1 is now " DB ", was " DA);
	/* the pod still runs the old digest, the tag moved: only the tag changed */
	expect(one(DA, DA), one(DA, DB),
	       "reg.example/app:1 now resolves to " DB " in its registry, was " DA " (--resolve)");
}

static void test_resolved_digest_must_be_a_string(void **state)
{
	(void)state;
	const char *text = "{\"workloads\":[{\"kind\":\"Pod\",\"namespace\":\"a\",\"name\":\"b\","
			   "\"containers\":[{\"name\":\"c\",\"resolvedDigest\":7}]}]}";
	char why[300];
	json_t *idx = drift_baseline_parse(text, strlen(text), why, sizeof(why));
	assert_null(idx);
	assert_non_null(strstr(why, "not a string"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repointed_tag_is_digest_changed),
		cmocka_unit_test(test_no_resolved_digest_on_one_side_is_not_compared),
		cmocka_unit_test(test_one_change_said_twice_is_one_item),
		cmocka_unit_test(test_resolved_digest_must_be_a_string),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
