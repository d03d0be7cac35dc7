/*
 * test_exempt_annotation: an object's own opt-out, the admitd.io/exempt
 * annotation: honoured by audit everywhere, by the webhook only in the
 * namespaces of exemptions.annotationNamespaces, reported as a per-policy
 * exemption that quotes it, read on the object and its pod template, with
 * ids no policy has ignored and said in a warning.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../webhook/review.h"

/* two baseline checks at deny, a custom rule, and the annotation honoured in ci-* */
static const char cfg_yaml[] = "podSecurity: {level: privileged}\n"
			       "policies:\n"
			       "  - {id: privileged, action: deny}\n"
			       "  - {id: host-namespaces, action: deny}\n"
			       "rules:\n"
			       "  - id: no-host-pid\n"
			       "    assert: {path: pod.spec.hostPID, op: absent}\n"
			       "exemptions:\n"
			       "  annotationNamespaces: [\"ci-*\"]\n";

/* A privileged pod on the host network, the annotation on it set to `value` (NULL: none). */
static json_t *pod(const char *value)
{
	json_t *p = harness_yaml("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
				 "spec:\n  hostNetwork: true\n"
				 "  containers: [{name: c, image: x, securityContext: {privileged: "
				 "true}}]\n");
	if (value != NULL)
		json_object_set_new(json_object_get(p, "metadata"), "annotations",
				    json_pack("{s:s}", "admitd.io/exempt", value));
	return p;
}

static const struct engine_verdict *judge(const struct admitd_config *cfg, const char *kind,
					  const json_t *obj, const char *ns, bool audit)
{
	struct engine_input in = {.kind = kind,
				  .operation = "CREATE",
				  .namespace = ns,
				  .name = "p",
				  .username = "alice",
				  .object = obj,
				  .audit = audit};
	return harness_judge_as(cfg, &in);
}

/* The reason of v's exemption from `policy`, or NULL. */
static const char *exemption(const struct engine_verdict *v, const char *policy)
{
	for (const struct engine_exemption *e = v->exemptions; e != NULL; e = e->next)
		if (e->policy != NULL && strcmp(e->policy->id, policy) == 0)
			return e->reason;
	return NULL;
}

static void test_webhook_ignores_it_outside_the_listed_namespaces(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(cfg_yaml);
	json_t *p = pod("privileged,host-namespaces");
	const struct engine_verdict *v = judge(cfg, "Pod", p, "default", false);
	assert_false(v->allowed);
	assert_true(harness_has(v, "privileged", NULL));
	assert_true(harness_has(v, "host-namespaces", NULL));
	assert_null(v->exemptions);
	assert_string_equal(v->warning, "the annotation admitd.io/exempt is ignored: namespace "
					"\"default\" is not in exemptions.annotationNamespaces");
	/* a cluster-scoped request has no namespace to be listed */
	v = judge(cfg, "Pod", p, NULL, false);
	assert_false(v->allowed);
	assert_non_null(strstr(v->warning, "ignored on an object without a namespace"));
	json_decref(p);
	config_unref(cfg);

	/* and without annotationNamespaces, nowhere: the default */
	cfg = harness_config("podSecurity: {level: baseline}\n");
	p = pod("privileged,host-namespaces");
	assert_false(judge(cfg, "Pod", p, "ci-build", false)->allowed);
	json_decref(p);
	config_unref(cfg);
}

static void test_webhook_honours_it_in_a_listed_namespace(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(cfg_yaml);
	json_t *p = pod(" privileged , host-namespaces ");
	const struct engine_verdict *v = judge(cfg, "Pod", p, "ci-build", false);
	if (!v->allowed)
		harness_dump(v);
	assert_true(v->allowed);
	assert_int_equal(v->nviolations, 0);
	assert_string_equal(exemption(v, "privileged"),
			    "annotation admitd.io/exempt: \" privileged , host-namespaces \" "
			    "(metadata.annotations)");
	assert_non_null(exemption(v, "host-namespaces"));
	assert_null(exemption(v, "no-host-pid"));
	assert_null(v->warning);
	json_decref(p);
	/* only what it names: the other check still denies */
	p = pod("privileged");
	v = judge(cfg, "Pod", p, "ci-build", false);
	assert_false(v->allowed);
	assert_non_null(exemption(v, "privileged"));
	assert_false(harness_has(v, "privileged", NULL));
	assert_true(harness_has(v, "host-namespaces", NULL));
	json_decref(p);
	/* an id is a whole word: "privileged-x" is not "privileged" */
	p = pod("privileged-x");
	v = judge(cfg, "Pod", p, "ci-build", false);
	assert_null(exemption(v, "privileged"));
	assert_true(harness_has(v, "privileged", NULL));
	json_decref(p);
	config_unref(cfg);
}

static void test_audit_honours_it_in_every_namespace(void **state)
{
	(void)state;
	/* no annotationNamespaces at all: audit reports what reviewers must see anyway */
	struct admitd_config *cfg = harness_config("podSecurity: {level: baseline}\n");
	json_t *p = pod("privileged,host-namespaces");
	const struct engine_verdict *v = judge(cfg, "Pod", p, "default", true);
	assert_true(v->allowed);
	assert_string_equal(exemption(v, "host-namespaces"),
			    "annotation admitd.io/exempt: \"privileged,host-namespaces\" "
			    "(metadata.annotations)");
	assert_non_null(exemption(v, "privileged"));
	assert_null(v->warning);
	/* the same object, judged for the webhook, is denied */
	assert_false(judge(cfg, "Pod", p, "default", false)->allowed);
	json_decref(p);
	config_unref(cfg);
}

/* On a workload: its own annotation or its pod template's (which its pods carry). */
static void test_workload_reads_its_own_and_its_templates(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(cfg_yaml);
	json_t *bare = pod(NULL);
	static const struct {
		const char *kind, *where;
	} cases[] = {
		{"Deployment", "spec.template.metadata.annotations"},
		{"CronJob", "spec.jobTemplate.spec.template.metadata.annotations"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* on the object */
		json_t *w = harness_wrap(cases[i].kind, bare);
		json_object_set_new(json_object_get(w, "metadata"), "annotations",
				    json_pack("{s:s}", "admitd.io/exempt", "privileged"));
		const struct engine_verdict *v = judge(cfg, cases[i].kind, w, "ci-1", false);
		assert_string_equal(
			exemption(v, "privileged"),
			"annotation admitd.io/exempt: \"privileged\" (metadata.annotations)");
		assert_true(harness_has(v, "host-namespaces", NULL));
		json_decref(w);
		/* on the template */
		json_t *annotated = pod("host-namespaces");
		w = harness_wrap(cases[i].kind, annotated);
		v = judge(cfg, cases[i].kind, w, "ci-1", false);
		char want[256];
		snprintf(want, sizeof(want),
			 "annotation admitd.io/exempt: \"host-namespaces\" (%s)", cases[i].where);
		assert_string_equal(exemption(v, "host-namespaces"), want);
		assert_true(harness_has(v, "privileged", NULL));
		json_decref(w);
		json_decref(annotated);
	}
	json_decref(bare);
	config_unref(cfg);
}

/* A typo must not pass for an exemption: ids no policy or rule has are ignored and said. */
static void test_unknown_ids_are_ignored_with_a_warning(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(cfg_yaml);
	json_t *p = pod("privilegd, no-host-pid,host-namespaces,*");
	const struct engine_verdict *v = judge(cfg, "Pod", p, "default", true);
	assert_true(harness_has(v, "privileged", NULL));
	assert_false(v->allowed);
	assert_non_null(exemption(v, "no-host-pid")); /* a custom rule's id counts */
	assert_non_null(exemption(v, "host-namespaces"));
	assert_string_equal(v->warning, "the annotation admitd.io/exempt names \"privilegd, *\", "
					"which no policy or rule has: ignored");
	json_decref(p);
	/* quoted safely: no newline, no quote that ends the reason's own */
	p = pod("privileged,\n\"x");
	v = judge(cfg, "Pod", p, "default", true);
	assert_non_null(exemption(v, "privileged"));
	assert_string_equal(
		exemption(v, "privileged"),
		"annotation admitd.io/exempt: \"privileged,?'x\" (metadata.annotations)");
	assert_string_equal(v->warning, "the annotation admitd.io/exempt names \"?'x\", which no "
					"policy or rule has: ignored");
	json_decref(p);
	config_unref(cfg);
}

/* The webhook says it to kubectl, as a warning from admitd. */
static void test_the_review_carries_the_warning(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(cfg_yaml);
	static const char body[] =
		"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
		"\"uid\":\"u\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
		"\"operation\":\"CREATE\",\"namespace\":\"prod\",\"userInfo\":{\"username\":\"a\"},"
		"\"object\":{\"metadata\":{\"name\":\"p\",\"annotations\":{\"admitd.io/exempt\":"
		"\"privileged\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}}}";
	struct review rv;
	char err[256];
	struct arena a;
	arena_init(&a);
	assert_int_equal(review_decode(body, strlen(body), REVIEW_MAX_DEPTH, &rv, err, sizeof(err)),
			 0);
	struct engine_verdict v;
	assert_int_equal(engine_evaluate(cfg, &rv.in, &a, &v), 0);
	assert_true(v.allowed);
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(review_encode(&rv, &v, cfg, &text, &len), 0);
	assert_non_null(strstr(text, "\"warnings\":[\"[admitd] the annotation admitd.io/exempt is "
				     "ignored: namespace \\\"prod\\\" is not in "
				     "exemptions.annotationNamespaces\"]"));
	free(text);
	review_free(&rv);
	arena_free(&a);
	config_unref(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_webhook_ignores_it_outside_the_listed_namespaces),
		cmocka_unit_test(test_webhook_honours_it_in_a_listed_namespace),
		cmocka_unit_test(test_audit_honours_it_in_every_namespace),
		cmocka_unit_test(test_workload_reads_its_own_and_its_templates),
		cmocka_unit_test(test_unknown_ids_are_ignored_with_a_warning),
		cmocka_unit_test(test_the_review_carries_the_warning),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
