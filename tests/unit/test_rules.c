/*
 * test_rules: custom rules from the configuration: every operator, the
 * object and pod paths, per-container rules, combinators, match, actions,
 * exemptions, and compile errors with their line numbers.
 */
#include "harness.h"

#include "../../webhook/metrics.h"

#include "../../webhook/regex.h"
#include "../../webhook/rules.h"

#include <stdlib.h>
#include <string.h>

static const char *pod_yaml =
	"kind: Pod\n"
	"metadata: {name: p, labels: {team: blue, tier: web}}\n"
	"spec:\n"
	"  serviceAccountName: builder\n"
	"  priority: 5\n"
	"  hostNetwork: false\n"
	"  containers:\n"
	"  - {name: app, image: registry.corp/app:1.0, ports: [{containerPort: 8080}]}\n"
	"  initContainers:\n"
	"  - {name: setup, image: docker.io/busybox:latest}\n";

/* The config: pss off, one rule from `rule` (indented as a list item). */
static const struct engine_verdict *judge(const char *rule, const char *kind, const char *obj_yaml)
{
	char cfgtext[4096];
	snprintf(cfgtext, sizeof(cfgtext), "podSecurity: {level: privileged}\nrules:\n%s", rule);
	struct admitd_config *cfg = harness_config(cfgtext);
	json_t *obj = harness_yaml(obj_yaml);
	const struct engine_verdict *v = harness_judge(cfg, kind, obj);
	json_decref(obj);
	/* the verdict's strings live in the arena; the rule's id lives in cfg: keep cfg alive */
	static struct admitd_config *last;
	config_unref(last);
	last = cfg;
	return v;
}

static bool holds(const char *assert_yaml)
{
	char rule[1024];
	snprintf(rule, sizeof(rule), "  - id: r\n    assert: %s\n", assert_yaml);
	const struct engine_verdict *v = judge(rule, "Pod", pod_yaml);
	return !harness_has(v, "r", NULL);
}

static void test_operators(void **state)
{
	(void)state;
	assert_true(holds("{path: metadata.labels.team, op: exists}"));
	assert_false(holds("{path: metadata.labels.owner, op: exists}"));
	assert_true(holds("{path: metadata.labels.owner, op: absent}"));
	assert_false(holds("{path: metadata.labels.team, op: absent}"));
	assert_true(holds("{path: metadata.labels.team, op: equals, value: blue}"));
	assert_false(holds("{path: metadata.labels.team, op: equals, value: red}"));
	assert_true(holds("{path: metadata.labels.team, op: notEquals, value: red}"));
	assert_true(holds("{path: metadata.labels.team, op: in, values: [red, blue]}"));
	assert_false(holds("{path: metadata.labels.team, op: notIn, values: [red, blue]}"));
	assert_true(holds("{path: metadata.labels.team, op: matches, value: '^b[a-z]+$'}"));
	assert_false(holds("{path: metadata.labels.team, op: matches, value: '^r'}"));
	assert_true(holds("{path: spec.priority, op: lt, value: '10'}"));
	assert_true(holds("{path: spec.priority, op: lte, value: '5'}"));
	assert_false(holds("{path: spec.priority, op: gt, value: '5'}"));
	assert_true(holds("{path: spec.priority, op: gte, value: '5'}"));
	assert_false(holds("{path: spec.missing, op: lt, value: '5'}"));
	assert_true(holds("{path: spec.hostNetwork, op: equals, value: 'false'}"));
	assert_true(holds("{path: spec.priority, op: equals, value: '5'}"));
}

static void test_absent_reads_as_empty(void **state)
{
	(void)state;
	/* an unset serviceAccountName means the default service account */
	const char *rule =
		"  - id: no-default-sa\n"
		"    action: warn\n"
		"    assert: {path: pod.spec.serviceAccountName, op: notIn, values: [\"\", "
		"default]}\n";
	assert_false(harness_has(judge(rule, "Pod", pod_yaml), "no-default-sa", NULL));
	const struct engine_verdict *v =
		judge(rule, "Pod", "kind: Pod\nmetadata: {name: q}\nspec: {containers: []}\n");
	assert_true(
		harness_has(v, "no-default-sa", "must satisfy pod.spec.serviceAccountName notIn"));
	assert_true(v->allowed); /* warn */
	assert_int_equal(v->violations->action, POLICY_ACTION_WARN);
}

static void test_combinators(void **state)
{
	(void)state;
	assert_true(holds("{all: [{path: metadata.labels.team, op: exists}, {path: spec.priority, "
			  "op: gt, value: '1'}]}"));
	assert_false(holds("{all: [{path: metadata.labels.team, op: exists}, {path: spec.priority, "
			   "op: gt, value: '9'}]}"));
	assert_true(holds("{any: [{path: metadata.labels.nope, op: exists}, {path: spec.priority, "
			  "op: gt, value: '1'}]}"));
	assert_false(holds("{not: {path: metadata.labels.team, op: exists}}"));
	assert_true(holds("{not: {not: {path: metadata.labels.team, op: exists}}}"));
}

static void test_containers_wildcard_names_each_offender(void **state)
{
	(void)state;
	const char *rule = "  - id: no-latest\n"
			   "    assert: {path: 'pod.spec.containers[*].image', op: matches, value: "
			   "'^registry\\.corp/'}\n"
			   "    message: must come from registry.corp\n";
	const struct engine_verdict *v = judge(rule, "Pod", pod_yaml);
	assert_true(
		harness_has(v, "no-latest", "container \"setup\" must come from registry.corp"));
	assert_false(harness_has(v, "no-latest", "container \"app\""));
	assert_false(v->allowed);
	/* the same rule on a Deployment's template */
	json_t *pod = harness_yaml(pod_yaml);
	json_t *dep = harness_wrap("Deployment", pod);
	char *text = json_dumps(dep, 0);
	v = judge(rule, "Deployment", text);
	assert_true(harness_has(v, "no-latest", "container \"setup\""));
	free(text);
	json_decref(dep);
	json_decref(pod);
}

static void test_other_wildcards_mean_every_element(void **state)
{
	(void)state;
	assert_true(holds("{path: 'spec.containers[*].ports[*].containerPort', op: gte, value: "
			  "'1024'}"));
	assert_false(holds("{path: 'spec.containers[*].ports[*].containerPort', op: lt, value: "
			   "'1024'}"));
	assert_true(holds("{path: 'spec.containers[0].name', op: equals, value: app}"));
	assert_false(holds("{path: 'spec.containers[5].name', op: exists}"));
}

static void test_object_paths_vs_pod_paths(void **state)
{
	(void)state;
	const char *rule = "  - id: team-label\n"
			   "    match: {kinds: [Deployment], namespaces: [\"def*\"]}\n"
			   "    assert: {path: metadata.labels.team, op: exists}\n"
			   "    message: \"workloads in prod must carry a team label\"\n";
	/* the template carries team, the Deployment itself does not */
	const char *dep = "kind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n"
			  "    metadata: {labels: {team: blue}}\n    spec: {containers: []}\n";
	const struct engine_verdict *v = judge(rule, "Deployment", dep);
	assert_true(harness_has(v, "team-label", "workloads in prod must carry a team label"));
	/* match.kinds: a Pod is not checked */
	assert_false(harness_has(judge(rule, "Pod", pod_yaml), "team-label", NULL));
	/* pod. addresses the template */
	const char *rule2 =
		"  - id: tmpl-team\n"
		"    assert: {path: pod.metadata.labels.team, op: equals, value: blue}\n";
	assert_false(harness_has(judge(rule2, "Deployment", dep), "tmpl-team", NULL));
}

static void test_match_namespaces(void **state)
{
	(void)state;
	const char *rule = "  - id: only-prod\n"
			   "    match: {namespaces: [\"prod-*\"]}\n"
			   "    assert: {path: metadata.labels.owner, op: exists}\n";
	/* harness_judge uses namespace "default" */
	assert_false(harness_has(judge(rule, "Pod", pod_yaml), "only-prod", NULL));
}

static void test_rule_exemptions(void **state)
{
	(void)state;
	const char *rule = "  - id: r\n"
			   "    exemptions: {users: [alice]}\n"
			   "    assert: {path: metadata.labels.owner, op: exists}\n";
	const struct engine_verdict *v = judge(rule, "Pod", pod_yaml);
	assert_false(harness_has(v, "r", NULL));
	assert_non_null(v->exemptions);
}

static void assert_rule_error(const char *rules, const char *expect)
{
	char cfgtext[4096];
	snprintf(cfgtext, sizeof(cfgtext), "podSecurity: {level: privileged}\nrules:\n%s", rules);
	char *errs = harness_config_errors(cfgtext);
	if (strstr(errs, expect) == NULL)
		fail_msg("expected error containing\n  %s\ngot\n  %s", expect, errs);
	free(errs);
}

/* The verdict of one `matches` rule on a pod whose label `v` is value. */
static const struct engine_verdict *judge_label(const char *assert_yaml, const char *value)
{
	char rule[1024], obj[8192];
	snprintf(rule, sizeof(rule), "  - id: r\n    assert: %s\n", assert_yaml);
	snprintf(obj, sizeof(obj),
		 "kind: Pod\nmetadata: {name: p, labels: {v: \"%s\"}}\nspec: {}\n", value);
	return judge(rule, "Pod", obj);
}

static bool label_matches(const char *re, const char *value)
{
	char a[512];
	snprintf(a, sizeof(a), "{path: metadata.labels.v, op: matches, value: '%s'}", re);
	return !harness_has(judge_label(a, value), "r", NULL);
}

static bool compiles(const char *re)
{
	char err[512];
	struct regex *x = regex_compile(re, err, sizeof(err));
	regex_free(x);
	return x != NULL;
}

/* PCRE2's syntax, with POSIX's `.` and `$`, so old patterns keep their verdicts. */
static void test_regex_dialect_pcre2_with_posix_anchors(void **state)
{
	(void)state;
	assert_true(label_matches("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", "web-1"));
	assert_true(label_matches("^\\d{3}$", "123")); /* \d is a digit, not a d */
	assert_false(label_matches("^\\d{3}$", "ddd"));
	assert_true(label_matches("^a.*?b$", "axxb")); /* non-greedy */
	assert_true(label_matches("^[[:alpha:]]+$", "abc"));
	assert_false(label_matches("^[a-z]+$", "abc\\n")); /* $ only at the very end */
	assert_true(label_matches("^a.b$", "a\\nb"));      /* . matches a newline */
	assert_true(label_matches("^caf.$", "caf\u00e9")); /* UTF-8: one character */
	/* patterns that took glibc seconds now compile at once (or are invalid) */
	assert_true(compiles("(x{1,30}){1,30}"));
	assert_true(compiles("n++++++++++") == false); /* PCRE2: a quantifier on a quantifier */
	assert_true(compiles("^(a*)*$"));
}

/* A match the PCRE2 limits stop is a violation, even under `not`. */
static void test_regex_limit_is_a_violation(void **state)
{
	(void)state;
	char subject[64];
	memset(subject, 'a', 40);
	strcpy(subject + 40, "!");
	const struct engine_verdict *v =
		judge_label("{path: metadata.labels.v, op: matches, value: '^(a|aa)+$'}", subject);
	assert_true(harness_has(v, "r", "not decided: its regex hit the match limit"));
	v = judge_label("{not: {path: metadata.labels.v, op: matches, value: '^(a|aa)+$'}}",
			subject);
	assert_true(harness_has(v, "r", "not decided"));
	/* the same pattern on a short subject is decided */
	assert_false(harness_has(judge_label("{not: {path: metadata.labels.v, op: matches, "
					     "value: '^(a|aa)+$'}}",
					     "aaa!"),
				 "r", NULL));
	struct regex *re = regex_compile("^(a|aa)+$", (char[64]){0}, 64);
	assert_non_null(re);
	assert_int_equal(regex_match(re, subject, strlen(subject)), REGEX_LIMIT);
	assert_int_equal(regex_match(re, "aaaa", 4), REGEX_MATCH);
	assert_int_equal(regex_match(re, "aab", 3), REGEX_NOMATCH);
	regex_free(re);
}

static void assert_dialect_refused(const char *re, const char *fix)
{
	char err[512];
	err[0] = '\0';
	assert_int_equal(regex_check_dialect(re, err, sizeof(err)), -1);
	if (strstr(err, fix) == NULL)
		fail_msg("regex \"%s\": expected \"%s\" in\n  %s", re, fix, err);
}

/* What glibc read one way and PCRE2 10.42 reads another is refused, with the fix. */
static void test_regex_posix_only_constructs_refused(void **state)
{
	(void)state;
	char err[256];
	assert_dialect_refused("a{,5}", "write {0,5}");
	assert_dialect_refused("^x{,12}$", "{,12} meant {0,12} in POSIX");
	assert_dialect_refused("\\<word", "write \\b");
	assert_dialect_refused("end\\'", "write \\z");
	assert_int_equal(regex_check_dialect("a\\{,5}", err, sizeof(err)), 0); /* escaped */
	assert_int_equal(regex_check_dialect("[{,5}]", err, sizeof(err)), 0);  /* in a class */
	assert_int_equal(regex_check_dialect("[]{,5}]", err, sizeof(err)), 0); /* ] first */
	assert_int_equal(regex_check_dialect("[[:alpha:]{,5}]", err, sizeof(err)), 0);
	assert_int_equal(regex_check_dialect("\\Q{,5}\\E", err, sizeof(err)), 0);
	assert_int_equal(regex_check_dialect("a{,}", err, sizeof(err)), 0);  /* literal in both */
	assert_int_equal(regex_check_dialect("[\\<]", err, sizeof(err)), 0); /* a class member */
	/* through the loader: the reason reaches the operator with file:line */
	assert_rule_error(
		"  - id: r\n    assert: {path: a.b, op: matches, value: 'a{,5}'}\n",
		"test.yaml:3:5: rules[0] (rule \"r\"): regex \"a{,5}\": {,5} meant {0,5}");
	char big[REGEX_MAX_PATTERN + 2];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_false(compiles(big));
}

static void test_compile_errors_name_line(void **state)
{
	(void)state;
	assert_rule_error("  - id: r\n    assert: {path: a.b, op: matches, value: '('}\n",
			  "test.yaml:3:5: rules[0] (rule \"r\"): invalid regex \"(\"");
	assert_rule_error("  - id: r\n    assert: {path: a.b, op: like, value: x}\n",
			  "test.yaml:3:5: rules[0] (rule \"r\"): unknown operator \"like\"");
	assert_rule_error("  - id: r\n    assert: {path: 'a..b', op: exists}\n",
			  "path \"a..b\": empty segment");
	assert_rule_error("  - id: r\n    assert: {path: 'a[x]', op: exists}\n",
			  "an index is [*] or a number");
	assert_rule_error("  - id: r\n    assert: {path: pod.status.phase, op: exists}\n",
			  "after pod. comes metadata or spec");
	assert_rule_error("  - id: r\n    assert: {path: a, op: lt, value: many}\n",
			  "operator lt needs a number");
	assert_rule_error("  - id: r\n    assert: {path: a, op: in, value: x}\n",
			  "operator in takes `values`");
	assert_rule_error("  - id: r\n    assert: {path: a, op: exists, value: x}\n",
			  "operator exists takes no value");
	assert_rule_error("  - id: r\n    assert: {path: a, op: exists, all: []}\n", "rules[0]");
	assert_rule_error("  - id: r\n    asert: {path: a, op: exists}\n",
			  "test.yaml:4:5: unknown key \"asert\" in rules[0]");
	assert_rule_error("  - id: privileged\n    assert: {path: a, op: exists}\n",
			  "id \"privileged\" is already taken");
	assert_rule_error("  - id: r\n    match: {kinds: [Service]}\n    assert: {path: a, op: "
			  "exists}\n",
			  "\"Service\" is not a judged kind");
	assert_rule_error("  - id: r\n    action: maybe\n    assert: {path: a, op: exists}\n",
			  "test.yaml:4:13: invalid value \"maybe\" for key \"rules[0].action\"");
}

/* ids reach Prometheus labels and audit-annotation keys: DNS labels only, admitd's own keys taken
 */
static void test_rule_ids_are_dns_labels(void **state)
{
	(void)state;
	const char *bad[] = {"'a\"b'",
			     "Team",
			     "team_label",
			     "-x",
			     "x-",
			     "'a b'",
			     "warn",
			     "preexisting",
			     "exempt",
			     "would-deny",
			     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char rule[256];
		snprintf(rule, sizeof(rule), "  - id: %s\n    assert: {path: a, op: exists}\n",
			 bad[i]);
		assert_rule_error(rule, "must be lower-case letters, digits and '-'");
	}
	struct admitd_config *cfg =
		harness_config("podSecurity: {level: privileged}\nrules:\n  - id: team-label2\n"
			       "    assert: {path: a, op: exists}\n");
	config_unref(cfg);
	char buf[64];
	assert_string_equal(metrics_escape("a\"b\\c\nd", buf, sizeof(buf)), "a\\\"b\\\\c\\nd");
	assert_string_equal(metrics_escape("\"\"\"\"", buf, 6), "\\\"\\\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_ids_are_dns_labels),
		cmocka_unit_test(test_operators),
		cmocka_unit_test(test_absent_reads_as_empty),
		cmocka_unit_test(test_combinators),
		cmocka_unit_test(test_containers_wildcard_names_each_offender),
		cmocka_unit_test(test_other_wildcards_mean_every_element),
		cmocka_unit_test(test_object_paths_vs_pod_paths),
		cmocka_unit_test(test_match_namespaces),
		cmocka_unit_test(test_rule_exemptions),
		cmocka_unit_test(test_compile_errors_name_line),
		cmocka_unit_test(test_regex_dialect_pcre2_with_posix_anchors),
		cmocka_unit_test(test_regex_limit_is_a_violation),
		cmocka_unit_test(test_regex_posix_only_constructs_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
