/*
 * test_vulnattest: the image-vulnerabilities pieces that need no registry:
 * RFC 3339 times as Go writes them, the vulnerability predicate (Trivy's
 * JSON report inside `cosign-vuln`), the cache's form of a scan, and the
 * policy's verdicts over scans gathered by hand (the threshold, ignore,
 * the age judged now, failures). tests/integration/test_image_vulnerabilities.sh
 * drives the whole path against a real registry.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "../../webhook/imgcheck.h"
#include "../../webhook/vulnattest.h"

/* ---- times ---- */

static void test_times_as_go_writes_them(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		long long want;
	} good[] = {
		{"1970-01-01T00:00:01Z", 1},
		{"2026-12-01T10:20:30Z", 1796120430},
		{"2026-12-01T10:20:30.123456789Z", 1796120430},
		{"2026-12-01T12:20:30+02:00", 1796120430},
		{"2026-12-01T05:50:30.5-04:30", 1796120430},
		{"2024-02-29T00:00:00Z", 1709164800},
		{"2000-03-01t00:00:00z", 951868800},
		{"9999-12-31T23:59:59Z", 253402300799},
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int64_t t = 0;
		if (vulnattest_time_parse(good[i].text, &t) < 0 || t != good[i].want)
			fail_msg("%s: %lld, wanted %lld", good[i].text, (long long)t, good[i].want);
	}
	static const char *const bad[] = {
		"",
		"2026-12-01",
		"2026-12-01 10:20:30Z",
		"2026-12-01T10:20:30",
		"2026-13-01T10:20:30Z",
		"2023-02-29T10:20:30Z",
		"2026-12-01T24:00:00Z",
		"2026-12-01T10:60:00Z",
		"2026-12-01T10:20:60Z",
		"2026-12-01T10:20:30.Z",
		"2026-12-01T10:20:30.1234567890Z",
		"2026-12-01T10:20:30+0200",
		"2026-12-01T10:20:30+24:00",
		"2026-12-01T10:20:30Zjunk",
		"+2026-12-01T10:20:30Z",
		"2026-1a-01T10:20:30Z",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t t = 42;
		if (vulnattest_time_parse(bad[i], &t) == 0)
			fail_msg("\"%s\" was read as %lld", bad[i], (long long)t);
		assert_int_equal(t, 42);
	}
	char buf[40];
	assert_string_equal(vulnattest_time_format(1796120430, buf, sizeof(buf)),
			    "2026-12-01T10:20:30Z");
}

/* ---- the predicate ---- */

/* A cosign-vuln predicate as Trivy writes it, with VULNS (JSON objects, comma-separated). */
static json_t *predicate(const char *finished, const char *results)
{
	char *text = NULL;
	assert_true(
		asprintf(
			&text,
			"{\"invocation\":{\"parameters\":null,\"uri\":\"\",\"event_id\":\"\","
			"\"builder.id\":\"\"},\"scanner\":{\"uri\":\"pkg:github/aquasecurity/"
			"trivy@0.58.1\",\"version\":\"0.58.1\",\"db\":{\"uri\":\"\",\"version\":\"\"},"
			"\"result\":{\"SchemaVersion\":2,\"CreatedAt\":\"2026-12-01T10:20:29Z\","
			"\"ArtifactName\":\"registry.corp.example/prod/web:1.4\",\"ArtifactType\":"
			"\"container_image\",\"Metadata\":{\"OS\":{\"Family\":\"debian\",\"Name\":"
			"\"12.8\"}}%s%s}},\"metadata\":{\"scanStartedOn\":\"2026-12-01T10:20:21Z\","
			"\"scanFinishedOn\":\"%s\"}}",
			results != NULL ? ",\"Results\":" : "", results != NULL ? results : "",
			finished) > 0);
	json_error_t e;
	json_t *p = json_loads(text, 0, &e);
	if (p == NULL)
		fail_msg("test predicate: %s: %s", e.text, text);
	free(text);
	return p;
}

#define VULN(id, pkg, sev)                                                                         \
	"{\"VulnerabilityID\":\"" id "\",\"PkgName\":\"" pkg "\",\"InstalledVersion\":\"1.0\","    \
	"\"FixedVersion\":\"1.1\",\"Status\":\"fixed\",\"SeveritySource\":\"nvd\",\"PrimaryURL\":" \
	"\"https://avd.aquasec.com/nvd/" id "\",\"Title\":\"t\",\"Severity\":\"" sev "\"}"

static void test_trivy_report_is_read_counted_and_ordered(void **state)
{
	(void)state;
	json_t *p = predicate(
		"2026-12-01T10:20:30.5Z",
		"[{\"Target\":\"web (debian 12.8)\",\"Class\":\"os-pkgs\",\"Type\":\"debian\","
		"\"Vulnerabilities\":[" VULN("CVE-2024-0002", "libc6", "HIGH") "," VULN("CVE-2024-0001", "openssl", "CRITICAL") "," VULN(
			"CVE-2024-0003", "zlib1g",
			"LOW") "]},"
			       "{\"Target\":\"app/package-lock.json\",\"Class\":\"lang-pkgs\",\"Type\":\"npm\","
			       "\"Vulnerabilities\":[" VULN("CVE-2024-0002", "libssl3", "MEDIUM") "," VULN(
				       "GHSA-aaaa-bbbb-cccc", "lodash",
				       "MEDIUM") ",{\"VulnerabilityID\":\"TEMP-0001\",\"PkgName\":\"x\"}]},"
						 "{\"Target\":\"usr/bin/tool\",\"Class\":\"lang-pkgs\",\"Type\":\"gobinary\"},"
						 "{\"Target\":\"other\",\"Vulnerabilities\":null}]");
	struct vulnattest_scan s;
	char why[256] = "";
	if (vulnattest_predicate_read(p, &s, why, sizeof(why)) < 0)
		fail_msg("refused: %s", why);
	assert_int_equal(s.finished, 1796120430);
	/* CVE-2024-0002 twice: once, at HIGH; TEMP-0001 without Severity: UNKNOWN */
	assert_int_equal(s.counts[VULN_CRITICAL], 1);
	assert_int_equal(s.counts[VULN_HIGH], 1);
	assert_int_equal(s.counts[VULN_MEDIUM], 1);
	assert_int_equal(s.counts[VULN_LOW], 1);
	assert_int_equal(s.counts[VULN_UNKNOWN], 1);
	assert_int_equal(s.n, 5);
	static const char *const order[] = {"CVE-2024-0001", "CVE-2024-0002", "GHSA-aaaa-bbbb-cccc",
					    "CVE-2024-0003", "TEMP-0001"};
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(s.findings[i].id, order[i]);
	vulnattest_scan_free(&s);
	json_decref(p);

	/* a clean scan: Trivy omits Results, or lists targets without findings */
	p = predicate("2026-12-01T10:20:30Z", NULL);
	assert_int_equal(vulnattest_predicate_read(p, &s, why, sizeof(why)), 0);
	assert_int_equal(s.n, 0);
	assert_null(s.findings);
	json_decref(p);
}

static void check_refused(const char *text, const char *substr)
{
	json_t *p = json_loads(text, 0, NULL);
	assert_non_null(p);
	struct vulnattest_scan s;
	char why[256] = "";
	if (vulnattest_predicate_read(p, &s, why, sizeof(why)) == 0)
		fail_msg("accepted: %s", text);
	if (strstr(why, substr) == NULL)
		fail_msg("\"%s\" lacks \"%s\"", why, substr);
	assert_null(s.findings);
	assert_int_equal(s.n, 0);
	json_decref(p);
}

static void check_refused_predicate(const char *finished, const char *results, const char *substr)
{
	json_t *p = predicate(finished, results);
	char *text = json_dumps(p, JSON_COMPACT);
	check_refused(text, substr);
	free(text);
	json_decref(p);
}

static void test_what_is_not_a_trivy_scan_is_refused_naming_the_field(void **state)
{
	(void)state;
	check_refused("[]", "not an object");
	check_refused("{\"scanner\":{\"result\":{\"SchemaVersion\":2}}}",
		      "no metadata.scanFinishedOn");
	check_refused("{\"metadata\":{\"scanFinishedOn\":\"0001-01-01T00:00:00Z\"},"
		      "\"scanner\":{\"result\":{\"SchemaVersion\":2}}}",
		      "not an RFC 3339 time after 1970");
	check_refused("{\"metadata\":{\"scanFinishedOn\":\"yesterday\"},"
		      "\"scanner\":{\"result\":{\"SchemaVersion\":2}}}",
		      "\"yesterday\"");
	check_refused("{\"metadata\":{\"scanFinishedOn\":\"2026-12-01T10:20:30Z\"},"
		      "\"scanner\":{\"uri\":\"pkg:github/anchore/grype\"}}",
		      "scanner.result is not a report");
	check_refused("{\"metadata\":{\"scanFinishedOn\":\"2026-12-01T10:20:30Z\"},"
		      "\"scanner\":{\"result\":{\"matches\":[]}}}",
		      "SchemaVersion 2");
	check_refused("{\"metadata\":{\"scanFinishedOn\":\"2026-12-01T10:20:30Z\"},"
		      "\"scanner\":{\"result\":{\"SchemaVersion\":2,\"Results\":{}}}}",
		      "Results is not a list");
	check_refused_predicate("2026-12-01T10:20:30Z", "[7]", "Results[0] is not an object");
	check_refused_predicate("2026-12-01T10:20:30Z", "[{\"Vulnerabilities\":{}}]",
				"Results[0].Vulnerabilities is not a list");
	check_refused_predicate("2026-12-01T10:20:30Z",
				"[{},{\"Vulnerabilities\":[" VULN("CVE-1", "a", "LOW") ",{}]}]",
				"Results[1].Vulnerabilities[1] has no VulnerabilityID");
	check_refused_predicate(
		"2026-12-01T10:20:30Z",
		"[{\"Vulnerabilities\":[" VULN("CVE-1", "a", "SEVERE") "]}]",
		"Severity \"SEVERE\" is not UNKNOWN, LOW, MEDIUM, HIGH or CRITICAL");
	check_refused_predicate("2026-12-01T10:20:30Z",
				"[{\"Vulnerabilities\":[{\"VulnerabilityID\":\"CVE-1\","
				"\"Severity\":4}]}]",
				"Severity is not a string");
}

static void test_findings_are_capped_keeping_the_most_severe(void **state)
{
	(void)state;
	size_t nlow = VULNATTEST_MAX_FINDINGS + 88;
	size_t cap = (nlow + 3) * 64 + 16, len = 0;
	char *results = malloc(cap);
	assert_non_null(results);
	len += (size_t)snprintf(results + len, cap - len, "[{\"Vulnerabilities\":[");
	for (size_t i = 0; i < nlow; i++)
		len += (size_t)snprintf(
			results + len, cap - len,
			"{\"VulnerabilityID\":\"CVE-2020-%05zu\",\"Severity\":\"LOW\"},", i);
	len += (size_t)snprintf(
		results + len, cap - len,
		"{\"VulnerabilityID\":\"CVE-2024-9999\",\"Severity\":\"CRITICAL\"},"
		"{\"VulnerabilityID\":\"%s\",\"Severity\":\"CRITICAL\"}]}]",
		"A-VERY-LONG-ID-0123456789012345678901234567890123456789012345678901234567890\\u0001");
	json_t *p = predicate("2026-12-01T10:20:30Z", results);
	struct vulnattest_scan s;
	char why[256] = "";
	if (vulnattest_predicate_read(p, &s, why, sizeof(why)) < 0)
		fail_msg("refused: %s", why);
	assert_int_equal(s.n, VULNATTEST_MAX_FINDINGS);
	assert_int_equal(s.counts[VULN_LOW], nlow);
	assert_int_equal(s.counts[VULN_CRITICAL], 2);
	assert_int_equal(s.findings[0].severity, VULN_CRITICAL);
	assert_int_equal(s.findings[1].severity, VULN_CRITICAL);
	/* shortened, printable, marked */
	assert_string_equal(s.findings[0].id,
			    "A-VERY-LONG-ID-012345678901234567890123456789012345678901234...");
	assert_int_equal(strlen(s.findings[0].id), VULNATTEST_ID_MAX - 1);
	assert_string_equal(s.findings[1].id, "CVE-2024-9999");
	assert_string_equal(s.findings[2].id, "CVE-2020-00000");

	/* the cache's form: the same scan back, and nothing from what is not one */
	char *text = vulnattest_encode(&s);
	assert_non_null(text);
	struct vulnattest_scan d;
	assert_int_equal(vulnattest_decode(text, &d), 0);
	assert_int_equal(d.finished, s.finished);
	assert_memory_equal(d.counts, s.counts, sizeof(s.counts));
	assert_int_equal(d.n, s.n);
	for (size_t i = 0; i < s.n; i++) {
		assert_string_equal(d.findings[i].id, s.findings[i].id);
		assert_int_equal(d.findings[i].severity, s.findings[i].severity);
	}
	vulnattest_scan_free(&d);
	free(text);
	vulnattest_scan_free(&s);
	json_decref(p);
	free(results);
}

static void test_cache_form_refuses_what_it_did_not_write(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"[]",
		"{\"t\":0,\"c\":[0,0,0,0,0],\"f\":[]}",
		"{\"t\":5,\"c\":[0,0,0,0],\"f\":[]}",
		"{\"t\":5,\"c\":[0,0,0,0,-1],\"f\":[]}",
		"{\"t\":5,\"c\":[0,0,0,0,1],\"f\":[[\"CVE-1\",5]]}",
		"{\"t\":5,\"c\":[0,0,0,0,1],\"f\":[[\"\",4]]}",
		/* more kept than counted, or out of order */
		"{\"t\":5,\"c\":[0,0,0,0,1],\"f\":[[\"CVE-1\",4],[\"CVE-2\",4]]}",
		"{\"t\":5,\"c\":[0,0,0,1,1],\"f\":[[\"CVE-1\",3],[\"CVE-2\",4]]}",
		"{\"t\":5,\"c\":[0,0,0,0,1],\"f\":[[\"CVE-1\",4]],\"t\":6}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vulnattest_scan s;
		if (vulnattest_decode(bad[i], &s) == 0)
			fail_msg("decoded: %s", bad[i]);
		assert_null(s.findings);
	}
	struct vulnattest_scan s;
	assert_int_equal(vulnattest_decode("{\"t\":5,\"c\":[0,0,0,2,1],\"f\":[[\"CVE-1\",4],"
					   "[\"CVE-2\",3]]}",
					   &s),
			 0);
	assert_int_equal(s.n, 2);
	vulnattest_scan_free(&s);
}

/* ---- the policy, over scans gathered by hand ---- */

static char keydir[64];
static char keypath[96];

static int setup_key(void **state)
{
	(void)state;
	snprintf(keydir, sizeof(keydir), "/tmp/test-vulnattest.XXXXXX");
	if (mkdtemp(keydir) == NULL)
		return -1;
	snprintf(keypath, sizeof(keypath), "%s/scanner.pub", keydir);
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	FILE *f = fopen(keypath, "w");
	if (k == NULL || f == NULL || PEM_write_PUBKEY(f, k) != 1)
		return -1;
	fclose(f);
	EVP_PKEY_free(k);
	return 0;
}

static int teardown_key(void **state)
{
	(void)state;
	unlink(keypath);
	rmdir(keydir);
	return 0;
}

static struct admitd_config *vuln_config(const char *extra)
{
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
		 "podSecurity: {level: privileged}\npolicies:\n"
		 "  - id: image-vulnerabilities\n    action: deny\n"
		 "    images: [registry.corp.example/prod]\n    keys: [%s]\n%s",
		 keypath, extra != NULL ? extra : "");
	return harness_config(yaml);
}

#define IMAGE  "registry.corp.example/prod/web:1.4"
#define DIGEST "sha256:3f0c0000000000000000000000000000000000000000000000000000000000aa"

/* One image's gathered scan: finished `age` seconds ago, with findings "ID:SEV" */
struct gathered {
	struct imgcheck_results r;
	struct imgcheck_item item;
	struct vulnattest v;
	struct vulnattest_finding f[8];
};

static void gather(struct gathered *g, enum vulnattest_status st, long long age,
		   const char *const *findings, size_t n)
{
	memset(g, 0, sizeof(*g));
	g->item.image = IMAGE;
	g->item.vuln = &g->v;
	g->v.status = st;
	snprintf(g->v.digest, sizeof(g->v.digest), "%s", DIGEST);
	snprintf(g->v.reason, sizeof(g->v.reason), "%s",
		 st == VULNATTEST_OK ? "signed" : "its attestations could not be read: down");
	g->v.scan.finished = (int64_t)time(NULL) - age;
	for (size_t i = 0; i < n; i++) {
		const char *colon = strchr(findings[i], ':');
		snprintf(g->f[i].id, sizeof(g->f[i].id), "%.*s", (int)(colon - findings[i]),
			 findings[i]);
		g->f[i].severity = (unsigned char)vulnattest_severity_parse(colon + 1);
		g->v.scan.counts[g->f[i].severity]++;
	}
	g->v.scan.findings = g->f;
	g->v.scan.n = n;
	g->r.items = &g->item;
	g->r.n = 1;
}

static const struct engine_verdict *judge(const struct admitd_config *cfg, const char *pod_yaml,
					  const struct imgcheck_results *contents)
{
	static json_t *obj;
	json_decref(obj);
	obj = harness_yaml(pod_yaml);
	struct engine_input in = {.kind = "Pod",
				  .operation = "CREATE",
				  .namespace = "default",
				  .name = "test",
				  .username = "alice",
				  .object = obj,
				  .contents = contents};
	return harness_judge_as(cfg, &in);
}

#define POD                                                                                        \
	"{kind: Pod, metadata: {name: p}, spec: {containers: [{name: web, image: \"" IMAGE "\"}]}}"

static void expect(const struct engine_verdict *v, bool allowed, const char *substr)
{
	if (v->allowed != allowed ||
	    (substr != NULL && !harness_has(v, "image-vulnerabilities", substr))) {
		harness_dump(v);
		fail_msg("wanted %s with \"%s\"", allowed ? "allowed" : "denied",
			 substr ? substr : "");
	}
}

static void test_policy_threshold_ignore_and_counts(void **state)
{
	(void)state;
	struct admitd_config *cfg = vuln_config("    maxSeverity: HIGH\n    ignore: [CVE-9]\n");
	struct gathered g;
	static const char *const many[] = {"CVE-1:CRITICAL", "CVE-2:CRITICAL", "CVE-3:HIGH",
					   "CVE-4:HIGH",     "CVE-5:HIGH",     "CVE-6:HIGH",
					   "CVE-7:HIGH",     "CVE-8:MEDIUM"};
	gather(&g, VULNATTEST_OK, 3600, many, 8);
	const struct engine_verdict *v = judge(cfg, POD, &g.r);
	expect(v, false,
	       "found 2 CRITICAL, 5 HIGH at or above HIGH: CVE-1, CVE-2, CVE-3, CVE-4, CVE-5 "
	       "(and 2 more); update the affected packages");
	expect(v, false, "container \"web\" image \"" IMAGE "\" (" DIGEST ")");
	assert_false(harness_has(v, NULL, "CVE-8"));

	static const char *const below[] = {"CVE-8:MEDIUM", "CVE-10:LOW"};
	gather(&g, VULNATTEST_OK, 3600, below, 2);
	expect(judge(cfg, POD, &g.r), true, NULL);

	static const char *const ignored[] = {"CVE-9:CRITICAL", "CVE-8:MEDIUM"};
	gather(&g, VULNATTEST_OK, 3600, ignored, 2);
	expect(judge(cfg, POD, &g.r), true, NULL);
	config_unref(cfg);

	/* the default: CRITICAL only */
	cfg = vuln_config(NULL);
	static const char *const high[] = {"CVE-3:HIGH"};
	gather(&g, VULNATTEST_OK, 3600, high, 1);
	expect(judge(cfg, POD, &g.r), true, NULL);
	static const char *const crit[] = {"CVE-1:CRITICAL", "CVE-3:HIGH"};
	gather(&g, VULNATTEST_OK, 3600, crit, 2);
	expect(judge(cfg, POD, &g.r), false, "1 CRITICAL at or above CRITICAL: CVE-1;");
	config_unref(cfg);
}

static void test_policy_age_is_judged_at_review_time(void **state)
{
	(void)state;
	struct admitd_config *cfg = vuln_config("    maxAgeHours: 24\n");
	struct gathered g;
	gather(&g, VULNATTEST_OK, 23 * 3600, NULL, 0);
	expect(judge(cfg, POD, &g.r), true, NULL);
	gather(&g, VULNATTEST_OK, 25 * 3600 + 60, NULL, 0);
	expect(judge(cfg, POD, &g.r), false, "25 hours ago, more than maxAgeHours (24)");
	gather(&g, VULNATTEST_OK, -3600, NULL, 0);
	expect(judge(cfg, POD, &g.r), false, "60 minutes ahead of this server's clock");
	gather(&g, VULNATTEST_OK, -60, NULL, 0); /* a minute's skew is forgiven */
	expect(judge(cfg, POD, &g.r), true, NULL);
	config_unref(cfg);
}

static void test_policy_failures_fail_closed_or_warn(void **state)
{
	(void)state;
	struct admitd_config *cfg = vuln_config(NULL);
	/* not gathered: fail closed */
	expect(judge(cfg, POD, NULL), false, "was not read (the registry was not asked)");
	struct gathered g;
	gather(&g, VULNATTEST_UNREACHABLE, 0, NULL, 0);
	expect(judge(cfg, POD, &g.r), false,
	       "could not be read: down; while the registry fails, images are denied");
	gather(&g, VULNATTEST_NONE, 0, NULL, 0);
	expect(judge(cfg, POD, &g.r), false, NULL);
	/* another image: not this policy's */
	expect(judge(cfg,
		     "{kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: "
		     "\"docker.io/library/nginx:1\"}]}}",
		     NULL),
	       true, NULL);
	config_unref(cfg);
	cfg = vuln_config("    onRegistryError: allow\n");
	gather(&g, VULNATTEST_UNREACHABLE, 0, NULL, 0);
	const struct engine_verdict *v = judge(cfg, POD, &g.r);
	expect(v, true, "is allowed unchecked");
	config_unref(cfg);
}

static void test_policy_configuration_is_checked(void **state)
{
	(void)state;
	static const struct {
		const char *extra, *substr;
	} cases[] = {
		{"    maxSeverity: critical\n", "maxSeverity"},
		{"    maxAgeHours: 0\n", "\"maxAgeHours\" must be from 1 to 8760"},
		{"    maxAgeHours: 9000\n", "\"maxAgeHours\" must be from 1 to 8760"},
		{"    ignore: [\"CVE 1\"]\n", "ignore[0] \"CVE 1\" is not a vulnerability id"},
		{"    ignore: [\"\"]\n", "ignore[0] \"\" is not a vulnerability id"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char yaml[1024];
		snprintf(yaml, sizeof(yaml),
			 "policies:\n  - id: image-vulnerabilities\n    action: deny\n"
			 "    images: [registry.corp.example/prod]\n    keys: [%s]\n%s",
			 keypath, cases[i].extra);
		char *errs = harness_config_errors(yaml);
		if (strstr(errs, cases[i].substr) == NULL)
			fail_msg("\"%s\" lacks \"%s\"", errs, cases[i].substr);
		free(errs);
	}
	char *errs = harness_config_errors("policies:\n  - id: image-vulnerabilities\n"
					   "    images: [registry.corp.example/prod]\n");
	assert_non_null(strstr(errs, "\"keys\" must list at least one PEM public key file"));
	free(errs);
	errs = harness_config_errors("policies:\n  - id: image-vulnerabilities\n"
				     "    keys: [/nonexistent.pub]\n");
	assert_non_null(strstr(errs, "\"images\" must list"));
	free(errs);
	errs = harness_config_errors("policies:\n  - id: image-vulnerabilities\n"
				     "    images: [registry.corp.example]\n"
				     "    keys: [/nonexistent/scanner.pub]\n");
	assert_non_null(strstr(errs, "keys: /nonexistent/scanner.pub"));
	free(errs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_times_as_go_writes_them),
		cmocka_unit_test(test_trivy_report_is_read_counted_and_ordered),
		cmocka_unit_test(test_what_is_not_a_trivy_scan_is_refused_naming_the_field),
		cmocka_unit_test(test_findings_are_capped_keeping_the_most_severe),
		cmocka_unit_test(test_cache_form_refuses_what_it_did_not_write),
		cmocka_unit_test(test_policy_threshold_ignore_and_counts),
		cmocka_unit_test(test_policy_age_is_judged_at_review_time),
		cmocka_unit_test(test_policy_failures_fail_closed_or_warn),
		cmocka_unit_test(test_policy_configuration_is_checked),
	};
	return cmocka_run_group_tests(tests, setup_key, teardown_key);
}
