/*
 * test_imgcontents: the pieces of the image-contents checks that need no
 * registry: credential-looking names and values (shared with
 * no-secrets-in-env), the platforms a pod can land on (node selector,
 * required affinity, Windows), and the cache's form of an image's facts.
 * tests/integration/test_image_contents.sh drives the policies against a
 * real registry.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../policies/policy.h"
#include "../../policies/secretnames.h"
#include "../../webhook/arena.h"
#include "../../webhook/imgcheck.h"
#include "../../webhook/imgfacts.h"
#include "../../webhook/kinds.h"
#include "../../webhook/workload.h"

static void test_value_formats_are_recognised_and_named(void **state)
{
	(void)state;
	static const struct {
		const char *value, *kind;
	} cases[] = {
		{"-----BEGIN RSA PRIVATE KEY-----\nMIIE...", "a private key"},
		{"-----BEGIN OPENSSH PRIVATE KEY-----", "a private key"},
		{"-----BEGIN PRIVATE KEY-----", "a private key"},
		{"AKIAIOSFODNN7EXAMPLE", "an AWS access key id"},
		{"ASIAIOSFODNN7EXAMPLE", "an AWS access key id"},
		{"ghp_0123456789abcdefghijABCDEFGHIJ012345", "a GitHub token"},
		{"github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "a GitHub token"},
		{"glpat-abcdefghij0123456789", "a GitLab token"},
		{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
		 "a JSON Web Token"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = secretnames_value_kind(cases[i].value);
		if (got == NULL || strcmp(got, cases[i].kind) != 0)
			fail_msg("\"%.20s...\": %s, wanted %s", cases[i].value,
				 got ? got : "(none)", cases[i].kind);
	}
}

static void test_ordinary_values_are_not_credentials(void **state)
{
	(void)state;
	static const char *const values[] = {
		"/usr/local/bin:/usr/bin",
		"AKIA",                                 /* too short */
		"AKIAiosfodnn7example",                 /* not upper case */
		"ghp_short",                            /* too short */
		"eyJ",                                  /* not three parts */
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0", /* two parts */
		"-----BEGIN CERTIFICATE-----",          /* public */
		"-----BEGIN PUBLIC KEY-----",
		"production",
		"",
	};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		if (secretnames_value_kind(values[i]) != NULL)
			fail_msg("\"%s\" was taken for %s", values[i],
				 secretnames_value_kind(values[i]));
}

static void test_names_match_the_shared_defaults_case_insensitively(void **state)
{
	(void)state;
	struct secretnames s;
	char err[128];
	assert_int_equal(secretnames_prepare(NULL, 0, &s, err, sizeof(err)), 0);
	assert_true(secretnames_match(&s, "DB_PASSWORD"));
	assert_true(secretnames_match(&s, "github_token"));
	assert_true(secretnames_match(&s, "Stripe_Api_Key"));
	assert_false(secretnames_match(&s, "PATH"));
	assert_false(secretnames_match(&s, "LANG"));
	/* in place over "NAME=value": the name only, never the value */
	assert_true(secretnames_match_n(&s, "DB_PASSWORD=x", 11));
	assert_false(secretnames_match_n(&s, "DB_PASSWORD=x", 6));
	assert_false(secretnames_match_n(&s, "PATH=MY_TOKEN", 4));
	secretnames_free(&s);
	char *bad[] = {""};
	assert_int_equal(secretnames_prepare(bad, 1, &s, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "non-empty"));
}

/* The pod view the server builds of a Pod whose spec is written as JSON. */
static struct pod_view view(json_t **keep, const char *spec)
{
	static struct arena a;
	static bool ready;
	if (!ready) {
		arena_init(&a);
		workload_init();
	}
	ready = true;
	json_t *s = json_loads(spec, 0, NULL);
	assert_non_null(s);
	*keep = json_pack("{s:s, s:{s:s}, s:o}", "kind", "Pod", "metadata", "name", "p", "spec", s);
	assert_non_null(*keep);
	struct pod_view v = {0};
	const char *why = NULL;
	assert_int_equal(workload_pod_view(kinds_find("Pod"), *keep, &a, &v, &why), WORKLOAD_OK);
	return v;
}

static void test_platforms_follow_node_selector_and_required_affinity(void **state)
{
	(void)state;
	json_t *j;
	struct pod_view v = view(&j, "{}");
	assert_true(imgcheck_arch_allowed(&v, "amd64"));
	assert_true(imgcheck_arch_allowed(&v, "arm64"));
	assert_false(imgcheck_pod_windows(&v));
	json_decref(j);
	v = view(&j, "{\"nodeSelector\":{\"kubernetes.io/arch\":\"arm64\"}}");
	assert_false(imgcheck_arch_allowed(&v, "amd64"));
	assert_true(imgcheck_arch_allowed(&v, "arm64"));
	json_decref(j);
	/* terms are ORed, expressions ANDed; expressions on other keys narrow nothing here */
	v = view(
		&j,
		"{\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
		"{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"kubernetes.io/arch\","
		"\"operator\":\"In\",\"values\":[\"arm64\"]},{\"key\":\"zone\",\"operator\":"
		"\"In\",\"values\":[\"a\"]}]},{\"matchExpressions\":[{\"key\":\"kubernetes.io/"
		"arch\",\"operator\":\"In\",\"values\":[\"s390x\"]}]}]}}}}");
	assert_true(imgcheck_arch_allowed(&v, "arm64"));
	assert_true(imgcheck_arch_allowed(&v, "s390x"));
	assert_false(imgcheck_arch_allowed(&v, "amd64"));
	json_decref(j);
	v = view(
		&j,
		"{\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
		"{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"kubernetes.io/arch\","
		"\"operator\":\"NotIn\",\"values\":[\"amd64\"]}]}]}}}}");
	assert_false(imgcheck_arch_allowed(&v, "amd64"));
	assert_true(imgcheck_arch_allowed(&v, "arm64"));
	json_decref(j);
	/* preferred affinity does not bind */
	v = view(
		&j,
		"{\"affinity\":{\"nodeAffinity\":{\"preferredDuringSchedulingIgnoredDuringExecution\":"
		"[{\"weight\":1,\"preference\":{\"matchExpressions\":[{\"key\":\"kubernetes.io/"
		"arch\",\"operator\":\"In\",\"values\":[\"arm64\"]}]}}]}}}");
	assert_true(imgcheck_arch_allowed(&v, "amd64"));
	json_decref(j);
}

static void test_windows_pods_are_told_apart(void **state)
{
	(void)state;
	json_t *j;
	struct pod_view v = view(&j, "{\"nodeSelector\":{\"kubernetes.io/os\":\"windows\"}}");
	assert_true(imgcheck_pod_windows(&v));
	json_decref(j);
	v = view(&j, "{\"nodeSelector\":{\"kubernetes.io/os\":\"linux\"}}");
	assert_false(imgcheck_pod_windows(&v));
	json_decref(j);
	v = view(&j, "{\"os\":{\"name\":\"windows\"}}");
	assert_true(imgcheck_pod_windows(&v));
	json_decref(j);
	/* constrained on something else: still linux */
	v = view(&j, "{\"nodeSelector\":{\"zone\":\"a\"},\"affinity\":{}}");
	assert_false(imgcheck_pod_windows(&v));
	assert_false(imgcheck_arch_narrowed(&v));
	json_decref(j);
}

static void test_facts_survive_the_cache_form(void **state)
{
	(void)state;
	char *ports[] = {"22/tcp", "8080/tcp"}, *env[] = {"PATH=/bin", "A=b=c"};
	struct imgfacts_platform p[2] = {
		{.platform = "linux/amd64",
		 .os = "linux",
		 .arch = "amd64",
		 .user = "root",
		 .ports = ports,
		 .nports = 2,
		 .env = env,
		 .nenv = 2},
		{.platform = "linux/arm/v7", .os = "linux", .arch = "arm"},
	};
	struct imgfacts f = {.n = 2, .platforms = p};
	char *text = imgfacts_encode(&f);
	assert_non_null(text);
	struct imgfacts g = {0};
	assert_int_equal(imgfacts_decode(text, &g), 0);
	assert_int_equal(g.n, 2);
	assert_string_equal(g.platforms[0].user, "root");
	assert_int_equal(g.platforms[0].nports, 2);
	assert_string_equal(g.platforms[0].ports[1], "8080/tcp");
	assert_string_equal(g.platforms[0].env[1], "A=b=c");
	assert_string_equal(g.platforms[1].platform, "linux/arm/v7");
	assert_null(g.platforms[1].user); /* no USER stays no USER, not "" */
	struct imgfacts h;
	assert_int_equal(imgfacts_copy(&h, &g), 0);
	assert_string_equal(h.platforms[0].env[0], "PATH=/bin");
	imgfacts_release(&h);
	imgfacts_release(&g);
	free(text);
	static const char *const bad[] = {"", "[]", "{\"p\":{}}", "{\"p\":[1]}",
					  "{\"p\":[{\"ports\":[1]}]}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct imgfacts b = {0};
		if (imgfacts_decode(bad[i], &b) != -1)
			fail_msg("\"%s\" should not decode", bad[i]);
		assert_null(b.platforms);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_value_formats_are_recognised_and_named),
		cmocka_unit_test(test_ordinary_values_are_not_credentials),
		cmocka_unit_test(test_names_match_the_shared_defaults_case_insensitively),
		cmocka_unit_test(test_platforms_follow_node_selector_and_required_affinity),
		cmocka_unit_test(test_windows_pods_are_told_apart),
		cmocka_unit_test(test_facts_survive_the_cache_form),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
