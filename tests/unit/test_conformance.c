/*
 * test_conformance: the upstream Pod Security Standards fixtures
 * (../shared/conformance/pod-security-standards, read in place) judged
 * through the real engine at each level, as a Pod and as the template of
 * a Deployment. Every pass/ file must be allowed with no violation; every
 * fail/ file must be denied, with the check its file name names among the
 * violations.
 */
#include "harness.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../policies/registry.h"

/* Fixture file stem (before the trailing number) -> admitd policy id. */
static const struct {
	const char *stem;
	const char *id;
} conformance_ids[] = {
	{"allowprivilegeescalation", "allow-privilege-escalation"},
	{"apparmorprofile", "apparmor-profile"},
	{"capabilities_baseline", "capabilities-baseline"},
	{"capabilities_restricted", "capabilities-restricted"},
	{"hostnamespaces", "host-namespaces"},
	{"hostpathvolumes", "host-path-volumes"},
	{"hostports", "host-ports"},
	{"hostprobesandhostlifecycle", "host-probes-lifecycle"},
	{"privileged", "privileged"},
	{"procmount", "proc-mount"},
	{"procmount_restricted", "proc-mount-restricted"},
	{"restrictedvolumes", "restricted-volumes"},
	{"runasnonroot", "run-as-non-root"},
	{"runasuser", "run-as-user"},
	{"seccompprofile_baseline", "seccomp-baseline"},
	{"seccompprofile_restricted", "seccomp-restricted"},
	{"selinuxoptions", "selinux-options"},
	{"sysctls", "sysctls"},
	{"windowshostprocess", "windows-host-process"},
};
#define CONFORMANCE_NIDS (sizeof(conformance_ids) / sizeof(conformance_ids[0]))

/* Pass fixtures that exercise no single check: the minimal valid pods. */
static const char *const conformance_base_stems[] = {"base", "base_linux", "base_windows"};

/* The stem of "runasnonroot2.yaml" is "runasnonroot"; NULL if not a .yaml file. */
static char *conformance_stem(const char *file)
{
	size_t len = strlen(file);
	if (len <= 5 || strcmp(file + len - 5, ".yaml") != 0)
		return NULL;
	len -= 5;
	while (len > 0 && isdigit((unsigned char)file[len - 1]))
		len--;
	char *stem = strndup(file, len);
	assert_non_null(stem);
	return stem;
}

static const char *conformance_id(const char *stem)
{
	for (size_t i = 0; i < CONFORMANCE_NIDS; i++)
		if (strcmp(conformance_ids[i].stem, stem) == 0)
			return conformance_ids[i].id;
	return NULL;
}

static bool conformance_is_base(const char *stem)
{
	for (size_t i = 0; i < sizeof(conformance_base_stems) / sizeof(conformance_base_stems[0]);
	     i++)
		if (strcmp(conformance_base_stems[i], stem) == 0)
			return true;
	return false;
}

static int conformance_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .yaml files of a fixture directory, sorted; fails the test if it cannot be read. */
static char **conformance_list(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		fail_msg("cannot open fixture directory %s (is ADMITD_SHARED set?)", dir);
	char **names = NULL;
	size_t count = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len <= 5 || strcmp(e->d_name + len - 5, ".yaml") != 0)
			continue;
		if (count == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof(*names));
			assert_non_null(names);
		}
		names[count] = strdup(e->d_name);
		assert_non_null(names[count]);
		count++;
	}
	closedir(d);
	qsort(names, count, sizeof(*names), conformance_cmp);
	*n = count;
	return names;
}

/*
 * Whether a violation of `id` is in the verdict. At restricted, a
 * restricted check that replaces its baseline twin (capabilities-restricted
 * for capabilities-baseline, ...) counts as the twin: the twin does not run.
 */
static bool conformance_names(const struct engine_verdict *v, const char *id,
			      enum policy_level level)
{
	for (const struct violation *x = v->violations; x != NULL; x = x->next) {
		if (strcmp(x->policy->id, id) == 0)
			return true;
		if (level == POLICY_LEVEL_RESTRICTED && x->policy->overrides != NULL &&
		    strcmp(x->policy->overrides, id) == 0)
			return true;
	}
	return false;
}

/* Judges one fixture as `kind`; returns whether it met its contract, printing why not. */
static bool conformance_judge_one(const struct admitd_config *cfg, enum policy_level level,
				  const char *path, const char *kind, const json_t *obj,
				  bool expect_pass, const char *id)
{
	const struct engine_verdict *v = harness_judge(cfg, kind, obj);
	bool ok;
	if (expect_pass)
		ok = v->allowed && v->nviolations == 0 && v->error == NULL;
	else
		ok = !v->allowed && v->error == NULL && conformance_names(v, id, level);
	if (!ok) {
		print_error("FAIL %s as %s: expected %s%s%s\n", path, kind,
			    expect_pass ? "allowed with no violation" : "denied by ",
			    expect_pass ? "" : id, expect_pass ? "" : " (or its restricted twin)");
		harness_dump(v);
	}
	return ok;
}

/* One fixture file, as a Pod and as a Deployment; returns its number of failures. */
static size_t conformance_file(const struct admitd_config *cfg, enum policy_level level,
			       const char *path, const char *file, bool pass)
{
	char *stem = conformance_stem(file);
	const char *id = conformance_id(stem);
	size_t failures = 0;
	if (id == NULL && !(pass && conformance_is_base(stem))) {
		print_error("FAIL %s: stem \"%s\" names no known check; add it to the stem map\n",
			    path, stem);
		free(stem);
		return 1;
	}
	free(stem);
	if (id != NULL && registry_find(id) < 0) {
		print_error("FAIL %s: check %s is not registered\n", path, id);
		return 1;
	}

	json_t *docs = harness_file_docs(path);
	const json_t *pod = json_array_get(docs, 0);
	const char *kind = NULL;
	if (json_array_size(docs) != 1 || jp_string(pod, "kind", &kind) != JP_OK ||
	    strcmp(kind, "Pod") != 0) {
		print_error("FAIL %s: expected one Pod document\n", path);
		json_decref(docs);
		return 1;
	}
	if (!conformance_judge_one(cfg, level, path, "Pod", pod, pass, id))
		failures++;
	json_t *deploy = harness_wrap("Deployment", pod);
	if (!conformance_judge_one(cfg, level, path, "Deployment", deploy, pass, id))
		failures++;
	json_decref(deploy);
	json_decref(docs);
	return failures;
}

/* Every fixture of LEVEL/pass or LEVEL/fail, of which there must be at least `minimum`. */
static void conformance_run(const char *level_name, enum policy_level level, bool pass,
			    size_t minimum)
{
	char cfgtext[128];
	snprintf(cfgtext, sizeof(cfgtext), "podSecurity:\n  level: %s\n  action: deny\n",
		 level_name);
	struct admitd_config *cfg = harness_config(cfgtext);

	char rel[256];
	snprintf(rel, sizeof(rel), "conformance/pod-security-standards/%s/%s", level_name,
		 pass ? "pass" : "fail");
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s", harness_shared(rel));

	size_t n = 0, failures = 0;
	char **names = conformance_list(dir, &n);
	for (size_t i = 0; i < n; i++) {
		char path[4352];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		failures += conformance_file(cfg, level, path, names[i], pass);
		free(names[i]);
	}
	free(names);
	config_unref(cfg);

	print_message("%s/%s: %zu fixture files, %zu failures\n", level_name,
		      pass ? "pass" : "fail", n, failures);
	if (n < minimum)
		fail_msg("only %zu fixture files in %s; expected at least %zu", n, dir, minimum);
	assert_int_equal(failures, 0);
}

static void test_baseline_pass(void **state)
{
	(void)state;
	conformance_run("baseline", POLICY_LEVEL_BASELINE, true, 10);
}

static void test_baseline_fail(void **state)
{
	(void)state;
	conformance_run("baseline", POLICY_LEVEL_BASELINE, false, 30);
}

static void test_restricted_pass(void **state)
{
	(void)state;
	conformance_run("restricted", POLICY_LEVEL_RESTRICTED, true, 15);
}

static void test_restricted_fail(void **state)
{
	(void)state;
	conformance_run("restricted", POLICY_LEVEL_RESTRICTED, false, 60);
}

/* The stem map names only registered PSS checks, and every PSS check has a stem. */
static void test_stem_map_matches_registry(void **state)
{
	(void)state;
	for (size_t i = 0; i < CONFORMANCE_NIDS; i++) {
		int r = registry_find(conformance_ids[i].id);
		if (r < 0)
			fail_msg("stem %s maps to unregistered check %s", conformance_ids[i].stem,
				 conformance_ids[i].id);
		assert_int_not_equal(registry_policies[r]->level, POLICY_LEVEL_NONE);
	}
	for (size_t r = 0; r < registry_npolicies; r++) {
		const struct policy_desc *p = registry_policies[r];
		if (p->level == POLICY_LEVEL_NONE)
			continue;
		bool found = false;
		for (size_t i = 0; i < CONFORMANCE_NIDS; i++)
			found = found || strcmp(conformance_ids[i].id, p->id) == 0;
		if (!found)
			fail_msg("PSS check %s has no fixture stem", p->id);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stem_map_matches_registry),
		cmocka_unit_test(test_baseline_pass),
		cmocka_unit_test(test_baseline_fail),
		cmocka_unit_test(test_restricted_pass),
		cmocka_unit_test(test_restricted_fail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
