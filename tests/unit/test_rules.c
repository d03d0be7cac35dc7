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

/* -1, 0 or 1 from rules_compare_quantities; fails the test when either is refused. */
static int qcmp(const char *a, const char *b)
{
	char err[512];
	int cmp = 2;
	if (rules_compare_quantities(a, b, &cmp, err, sizeof(err)) < 0)
		fail_msg("%s vs %s: %s", a, b, err);
	return cmp;
}

static void assert_not_quantity(const char *q, const char *why)
{
	char err[512] = "";
	int cmp;
	assert_int_equal(rules_compare_quantities(q, "1", &cmp, err, sizeof(err)), -1);
	if (strstr(err, why) == NULL)
		fail_msg("\"%s\": expected \"%s\" in\n  %s", q, why, err);
}

/* resource.Quantity's grammar and values, exactly: doubles would tie 8Ei with 8Ei - 1. */
static void test_quantities_compare_exactly_as_kubernetes_reads_them(void **state)
{
	(void)state;
	assert_int_equal(qcmp("100m", "0.1001"), -1);
	assert_int_equal(qcmp("1Gi", "1G"), 1);
	assert_int_equal(qcmp("1000m", "1"), 0);
	assert_int_equal(qcmp("2Gi", "2147483648"), 0);
	assert_int_equal(qcmp("1.5Gi", "1536Mi"), 0);
	assert_int_equal(qcmp("0.1Ki", "102.4"), 0);
	assert_int_equal(qcmp("1Ti", "1099511627776"), 0);
	assert_int_equal(qcmp("1Pi", "1125899906842624"), 0);
	assert_int_equal(qcmp("8Ei", "9223372036854775808"), 0);
	assert_int_equal(qcmp("8Ei", "9223372036854775807"), 1);           /* one apart at 2^63 */
	assert_int_equal(qcmp("9007199254740993", "9007199254740992"), 1); /* 2^53 + 1 */
	assert_int_equal(qcmp("1E", "1e18"), 0); /* E alone is exa, E with digits an exponent */
	assert_int_equal(qcmp("12E-2", "0.12"), 0);
	assert_int_equal(qcmp("1e3", "1k"), 0);
	assert_int_equal(qcmp("1e+3", "1000"), 0);
	assert_int_equal(qcmp("1u", "1000n"), 0);
	assert_int_equal(qcmp("1n", "0"), 1);
	assert_int_equal(qcmp(".5", "500m"), 0);
	assert_int_equal(qcmp("5.", "+5"), 0);
	assert_int_equal(qcmp("0.000", "-0"), 0);
	assert_int_equal(qcmp("-2Gi", "-1Gi"), -1);
	assert_int_equal(qcmp("-1m", "0"), -1);
	assert_int_equal(qcmp("007", "7000000000n"), 0);
	assert_int_equal(qcmp("1000000000000000000000000000000000000000000000000", "1e48"), 0);
	const char *bad[] = {"",    "lots",  "1K",   "1e", "1.2.3", "Gi",   "1 Gi", "1Gib",
			     "--1", "1e1.5", "0x10", ".",  "-",     "1Gi ", "1ki",  "e3"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_not_quantity(bad[i], "needs a number or a Kubernetes quantity");
	assert_not_quantity("1.0000000000000000000000000000000000000001",
			    "more than 40 significant");
	assert_not_quantity("1e1234567890", "an exponent of more than 9 digits");
	assert_int_equal(qcmp("1.000000000000000000000000000000000000001", "1"), 1); /* 40 */
}

/* The pod of the quantity tests: limits as the apiserver sends them (strings), one over 2Gi. */
static const char *limits_pod_yaml =
	"kind: Pod\n"
	"metadata: {name: p, labels: {share: \"100m\"}}\n"
	"spec:\n"
	"  ratio: 0.1\n"
	"  containers:\n"
	"  - {name: app, resources: {limits: {memory: 512Mi, cpu: 500m}}}\n"
	"  - {name: big, resources: {limits: {memory: 3Gi, cpu: \"2\"}}}\n"
	"  - {name: bare}\n";

static void test_quantity_rules_read_limits_and_numbers(void **state)
{
	(void)state;
	const char *rule =
		"  - id: memory-cap\n"
		"    assert: {path: 'pod.spec.containers[*].resources.limits.memory', op: "
		"lte, value: 2Gi}\n"
		"    message: at most 2Gi\n";
	const struct engine_verdict *v = judge(rule, "Pod", limits_pod_yaml);
	assert_true(harness_has(v, "memory-cap", "container \"big\" at most 2Gi"));
	assert_true(harness_has(v, "memory-cap", "container \"bare\" at most 2Gi")); /* unset */
	assert_false(harness_has(v, "memory-cap", "container \"app\""));
	assert_false(harness_has(v, "memory-cap", "not decided"));
	/* a string quantity in any field, and a JSON real read as written */
	char a[256];
	const char *holding[] = {
		"{path: metadata.labels.share, op: gte, value: '0.1'}",
		"{path: metadata.labels.share, op: lt, value: '0.1001'}",
		"{path: spec.ratio, op: lte, value: 100m}",
		"{path: spec.ratio, op: gte, value: 100m}",
		"{path: 'spec.containers[1].resources.limits.cpu', op: gt, value: 1999m}"};
	for (size_t i = 0; i < sizeof(holding) / sizeof(holding[0]); i++) {
		snprintf(a, sizeof(a), "  - id: r\n    assert: %s\n", holding[i]);
		if (harness_has(judge(a, "Pod", limits_pod_yaml), "r", NULL))
			fail_msg("does not hold: %s", holding[i]);
	}
	snprintf(a, sizeof(a), "  - id: r\n    assert: %s\n",
		 "{path: metadata.labels.share, op: gt, value: '0.1'}");
	assert_true(harness_has(judge(a, "Pod", limits_pod_yaml), "r", NULL));
	/* a bad value is a configuration error naming the rule and the accepted forms */
	assert_rule_error(
		"  - id: mem\n    assert: {path: a, op: lte, value: 2GB}\n",
		"rules[0] (rule \"mem\"): operator lte needs a number or a Kubernetes "
		"quantity, not \"2GB\" (a number such as 3, -1.5 or .5, optionally followed "
		"by a binary suffix (Ki Mi Gi Ti Pi Ei), a decimal one (n u m k M G T P E) "
		"or an exponent (e3, E-2))");
	assert_rule_error("  - id: mem\n    assert: {path: a, op: gt, value: '1e9999999999'}\n",
			  "operator gt: \"1e9999999999\" has more than 40 significant digits");
}

/*
 * A field that is not a quantity is a decided "no", which `not` turns into
 * "yes", as a non-number was before. One too long to compare exactly is not
 * decided: a violation whatever `not` says.
 */
static void test_unparsable_quantity_fails_the_leaf_but_too_long_is_not_decided(void **state)
{
	(void)state;
	const char *lte = "{path: metadata.labels.v, op: lte, value: 2Gi}";
	const char *not_gt = "{not: {path: metadata.labels.v, op: gt, value: 2Gi}}";
	const struct engine_verdict *v = judge_label(lte, "lots");
	assert_true(harness_has(v, "r", "must satisfy metadata.labels.v lte \"2Gi\""));
	assert_false(harness_has(v, "r", "not decided"));
	assert_false(harness_has(judge_label(not_gt, "lots"), "r", NULL));
	assert_false(harness_has(judge_label(not_gt, "1Gi"), "r", NULL));
	assert_true(harness_has(judge_label(not_gt, "3Gi"), "r", NULL));
	/* 41 significant digits: maybe 1, maybe not; admitd does not round it either way */
	const char *longq = "1.0000000000000000000000000000000000000001";
	assert_true(harness_has(judge_label(lte, longq), "r",
				"not decided: a quantity has more digits than admitd compares"));
	assert_true(harness_has(judge_label(not_gt, longq), "r", "not decided"));
}

static void test_count_compares_the_number_of_elements(void **state)
{
	(void)state;
	assert_true(holds("{path: spec.containers, count: true, op: lte, value: '1'}"));
	assert_false(holds("{path: spec.containers, count: true, op: gt, value: '1'}"));
	assert_true(holds("{path: spec.tolerations, count: true, op: lt, value: '1'}")); /* 0 */
	assert_false(holds("{path: spec.tolerations, count: true, op: gte, value: '1'}"));
	assert_true(holds("{path: metadata.labels, count: true, op: gte, value: '2'}")); /* map */
	assert_false(holds("{path: metadata.labels, count: true, op: gt, value: '2'}"));
	/* a string has no elements to count */
	assert_false(holds("{path: spec.serviceAccountName, count: true, op: gte, value: '0'}"));
	assert_true(holds("{not: {path: spec.serviceAccountName, count: true, op: gte, value: "
			  "'0'}}"));
	assert_true(holds("{path: 'spec.containers[*].ports', count: true, op: lte, value: '1'}"));
	/* per container: the init container without ports is named */
	const char *rule =
		"  - id: ports\n"
		"    assert: {path: 'pod.spec.containers[*].ports', count: true, op: gte, "
		"value: '1'}\n";
	const struct engine_verdict *v = judge(rule, "Pod", pod_yaml);
	assert_true(harness_has(v, "ports",
				"container \"setup\" must satisfy the count of "
				"pod.spec.containers[*].ports gte \"1\""));
	assert_false(harness_has(v, "ports", "container \"app\""));
	assert_rule_error(
		"  - id: r\n    assert: {path: a, count: true, op: equals, value: '1'}\n",
		"rules[0] (rule \"r\"): count: true goes with lt, lte, gt, gte, not equals");
	assert_rule_error(
		"  - id: r\n    assert: {path: 'a[*]', count: true, op: lt, value: '1'}\n",
		"path \"a[*]\": count: true counts the list the path ends at");
	assert_rule_error(
		"  - id: r\n    assert: {path: 'pod.spec.containers[*]', count: true, op: "
		"lt, value: '1'}\n",
		"counts the list the path ends at");
	assert_rule_error("  - id: r\n    assert: {count: true, all: [{path: a, op: exists}]}\n",
			  "an assertion is exactly one of {path, op, count}, all, any, not");
}

/* The ```yaml block after `marker` in a Markdown file; fails the test when it is gone. */
static char *doc_block(const char *file, const char *marker)
{
	static char doc[65536];
	FILE *f = fopen(file, "r");
	if (f == NULL)
		fail_msg("cannot open %s (unit tests run from the checkout's top)", file);
	size_t n = fread(doc, 1, sizeof(doc) - 1, f);
	doc[n] = '\0';
	fclose(f);
	const char *at = strstr(doc, marker);
	if (at == NULL)
		fail_msg("%s lost its tested example (%s)", file, marker);
	const char *open_ = strstr(at, "```yaml\n");
	const char *close_ = open_ != NULL ? strstr(open_ + 8, "\n```") : NULL;
	if (open_ == NULL || close_ == NULL)
		fail_msg("%s: no ```yaml block after %s", file, marker);
	return strndup(open_ + 8, (size_t)(close_ + 1 - (open_ + 8)));
}

/* docs/rules.md's all/any/not example, as written there, admits and denies what it says. */
static void test_docs_combinator_example_judges_as_documented(void **state)
{
	(void)state;
	char *yaml =
		doc_block("docs/rules.md", "test_docs_combinator_example_judges_as_documented");
	struct admitd_config *cfg = harness_config(yaml);
	free(yaml);
	static const struct {
		const char *pod;
		bool denied;
	} cases[] = {
		{"metadata: {name: a, labels: {tier: web}}\n"
		 "spec: {containers: [{name: a}, {name: b}]}\n",
		 false},
		{"metadata: {name: b, labels: {tier: batch}}\n"
		 "spec: {hostNetwork: true, containers: [{name: a}, {name: b}, {name: c}, {name: d}]}\n",
		 false},
		{"metadata: {name: c, labels: {tier: web}}\n"
		 "spec: {containers: [{name: a}, {name: b}, {name: c}, {name: d}]}\n",
		 true},
		{"metadata: {name: d, labels: {tier: web}}\n"
		 "spec: {hostNetwork: true, containers: [{name: a}]}\n",
		 true},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), "kind: Pod\n%s", cases[i].pod);
		json_t *pod = harness_yaml(text);
		const struct engine_verdict *v = harness_judge(cfg, "Pod", pod);
		bool denied =
			harness_has(v, "web-pods-small",
				    "web pods run at most 3 containers, off the host network");
		if (denied != cases[i].denied) {
			harness_dump(v);
			fail_msg("case %zu: expected %s", i, cases[i].denied ? "a denial" : "none");
		}
		assert_int_equal(v->allowed, !cases[i].denied);
		/* the same pod as a Deployment's template */
		json_t *dep = harness_wrap("Deployment", pod);
		v = harness_judge(cfg, "Deployment", dep);
		assert_int_equal(harness_has(v, "web-pods-small", NULL), cases[i].denied);
		json_decref(dep);
		json_decref(pod);
	}
	config_unref(cfg);
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
		cmocka_unit_test(test_quantities_compare_exactly_as_kubernetes_reads_them),
		cmocka_unit_test(test_quantity_rules_read_limits_and_numbers),
		cmocka_unit_test(
			test_unparsable_quantity_fails_the_leaf_but_too_long_is_not_decided),
		cmocka_unit_test(test_count_compares_the_number_of_elements),
		cmocka_unit_test(test_docs_combinator_example_judges_as_documented),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
