/*
 * test_config: the YAML configuration loader: what loads, what each error
 * says (file:line:col and key), and how levels, actions and exemptions
 * turn into the effective setting of every policy.
 */
#include "harness.h"

#include "../../webhook/cfgkeys.h"
#include "../../webhook/kinds.h"
#include "../../webhook/oci.h"
#include "../../webhook/readall.h"
#include "../../webhook/sigverify.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../policies/registry.h"

static const struct policy_setting *setting(const struct admitd_config *cfg, const char *id)
{
	int i = registry_find(id);
	assert_true(i >= 0);
	return &cfg->settings[i];
}

static void assert_error(const char *yaml, const char *expect)
{
	char *errs = harness_config_errors(yaml);
	if (strstr(errs, expect) == NULL)
		fail_msg("expected error containing\n  %s\ngot\n  %s", expect, errs);
	free(errs);
}

static void test_default_config_is_restricted_deny_with_kube_system_exempt(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(config_default_yaml);
	assert_int_equal(cfg->mode, ADMITD_MODE_ENFORCE);
	assert_int_equal(cfg->pss_level, POLICY_LEVEL_RESTRICTED);
	assert_int_equal(setting(cfg, "privileged")->action, POLICY_ACTION_DENY);
	assert_int_equal(cfg->exempt.nnamespaces, 1);
	assert_string_equal(cfg->exempt.namespaces[0], "kube-system");
	assert_int_equal(strlen(cfg->checksum), 16);
	config_unref(cfg);
}

static void test_full_shape_loads(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config("mode: dry-run\n"
						   "podSecurity:\n"
						   "  level: baseline\n"
						   "  action: warn\n"
						   "exemptions:\n"
						   "  namespaces: [kube-system, \"team-*\"]\n"
						   "  users: [system:admin]\n"
						   "  groups: [platform]\n"
						   "server:\n"
						   "  listen: 127.0.0.1:9443\n"
						   "  threads: \"4\"\n"
						   "  maxBodyBytes: 2Mi\n"
						   "  http2: true\n"
						   "policies:\n"
						   "  - id: privileged\n"
						   "    action: audit\n"
						   "    exemptions:\n"
						   "      namespaces: [ci]\n");
	assert_int_equal(cfg->mode, ADMITD_MODE_DRY_RUN);
	assert_int_equal(cfg->pss_level, POLICY_LEVEL_BASELINE);
	assert_int_equal(cfg->pss_action, POLICY_ACTION_WARN);
	assert_int_equal(cfg->exempt.nnamespaces, 2);
	assert_int_equal(cfg->exempt.nusers, 1);
	assert_int_equal(cfg->exempt.ngroups, 1);
	assert_string_equal(cfg->server.listen, "127.0.0.1:9443");
	assert_int_equal(cfg->server.threads, 4);
	assert_int_equal(cfg->server.max_body_bytes, 2 * 1024 * 1024);
	assert_true(cfg->server.http2);
	const struct policy_setting *p = setting(cfg, "privileged");
	assert_int_equal(p->action, POLICY_ACTION_AUDIT);
	assert_true(p->listed);
	assert_non_null(p->exempt);
	assert_int_equal(p->exempt->nnamespaces, 1);
	config_unref(cfg);
}

static void test_podsecurity_without_action_denies(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config("podSecurity: {level: baseline}\n");
	assert_int_equal(cfg->pss_action, POLICY_ACTION_DENY);
	assert_int_equal(setting(cfg, "privileged")->action, POLICY_ACTION_DENY);
	config_unref(cfg);
}

static void test_level_privileged_turns_pss_off(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config("podSecurity: {level: privileged}\n");
	for (size_t i = 0; i < registry_npolicies; i++)
		if (registry_policies[i]->level != POLICY_LEVEL_NONE)
			assert_int_equal(cfg->settings[i].action, POLICY_ACTION_OFF);
	config_unref(cfg);
}

static void test_listed_pss_check_without_action_keeps_level_action(void **state)
{
	(void)state;
	struct admitd_config *cfg =
		harness_config("podSecurity: {level: restricted, action: warn}\n"
			       "policies:\n"
			       "  - id: privileged\n"
			       "    exemptions: {users: [bob]}\n");
	assert_int_equal(setting(cfg, "privileged")->action, POLICY_ACTION_WARN);
	config_unref(cfg);
}

static void test_explicit_off_is_off(void **state)
{
	(void)state;
	struct admitd_config *cfg =
		harness_config("policies:\n  - {id: privileged, action: off}\n");
	assert_int_equal(setting(cfg, "privileged")->action, POLICY_ACTION_OFF);
	config_unref(cfg);
}

static void test_restricted_check_replaces_baseline_twin(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config("podSecurity: {level: restricted}\n");
	for (size_t i = 0; i < registry_npolicies; i++) {
		const struct policy_desc *d = registry_policies[i];
		if (d->overrides == NULL)
			continue;
		assert_int_equal(cfg->settings[i].action, POLICY_ACTION_DENY);
		assert_int_equal(setting(cfg, d->overrides)->action, POLICY_ACTION_OFF);
	}
	config_unref(cfg);
	cfg = harness_config("podSecurity: {level: baseline}\n");
	for (size_t i = 0; i < registry_npolicies; i++) {
		const struct policy_desc *d = registry_policies[i];
		if (d->overrides == NULL)
			continue;
		assert_int_equal(cfg->settings[i].action, POLICY_ACTION_OFF);
		assert_int_equal(setting(cfg, d->overrides)->action, POLICY_ACTION_DENY);
	}
	config_unref(cfg);
}

static void test_unknown_key_in_policy_names_file_line_and_entry(void **state)
{
	(void)state;
	assert_error("mode: enforce\n"
		     "policies:\n"
		     "  - id: privileged\n"
		     "    action: deny\n"
		     "  - id: privileged\n"
		     "    registires: [a]\n",
		     "policy \"privileged\" is listed twice");
	assert_error("mode: enforce\n"
		     "policies:\n"
		     "  - id: privileged\n"
		     "    actoin: deny\n",
		     "test.yaml:4:5: unknown key \"actoin\" in policies[0]");
}

static void test_unknown_top_level_key(void **state)
{
	(void)state;
	assert_error("mode: enforce\npodSecurty: {level: baseline}\n",
		     "test.yaml:2:1: unknown key \"podSecurty\" at the top level");
}

static void test_unknown_nested_key(void **state)
{
	(void)state;
	assert_error("exemptions:\n  namespacs: [a]\n",
		     "test.yaml:2:3: unknown key \"namespacs\" in exemptions");
}

static void test_bad_enum_values(void **state)
{
	(void)state;
	assert_error("mode: enforced\n",
		     "test.yaml:1:7: invalid value \"enforced\" for key \"mode\" (expected enforce "
		     "or dry-run)");
	assert_error("podSecurity:\n  level: strict\n",
		     "test.yaml:2:10: invalid value \"strict\" for key \"podSecurity.level\"");
	assert_error("policies:\n  - id: privileged\n    action: block\n",
		     "test.yaml:3:13: invalid value \"block\" for key \"policies[0].action\" "
		     "(expected deny, warn, audit or off)");
}

static void test_wrong_types(void **state)
{
	(void)state;
	assert_error("exemptions:\n  namespaces: kube-system\n",
		     "key \"exemptions.namespaces\" must be a list");
	assert_error("podSecurity: restricted\n", "key \"podSecurity\" must be a mapping");
	assert_error("policies: {id: privileged}\n", "key \"policies\" must be a list");
	assert_error("policies:\n  - privileged\n",
		     "test.yaml:2:5: policies[0] must be a mapping with an \"id\" key");
}

static void test_unknown_policy_id(void **state)
{
	(void)state;
	assert_error("policies:\n  - id: privilegd\n",
		     "test.yaml:2:9: unknown policy id \"privilegd\" in policies[0]");
}

static void test_missing_id(void **state)
{
	(void)state;
	assert_error("policies:\n  - action: deny\n",
		     "test.yaml:2:5: missing required key \"id\" in policies[0]");
}

static void test_yaml_syntax_error_has_position(void **state)
{
	(void)state;
	assert_error("mode: enforce\nexemptions:\n\tnamespaces: [a]\n",
		     "test.yaml:3:1: YAML syntax error");
	assert_error("mode: [enforce\n", "test.yaml:2:1: YAML syntax error");
}

static void test_empty_config_is_an_error(void **state)
{
	(void)state;
	assert_error("", "the configuration is empty");
	assert_error("# only a comment\n", "the configuration is empty");
}

static void test_duplicate_key(void **state)
{
	(void)state;
	assert_error("mode: enforce\nmode: dry-run\n", "duplicate key \"mode\"");
}

static void test_every_error_is_reported(void **state)
{
	(void)state;
	char *errs = harness_config_errors("policies:\n"
					   "  - id: nope\n"
					   "  - id: privileged\n"
					   "    action: never\n"
					   "  - id: alsonope\n");
	assert_non_null(strstr(errs, "unknown policy id \"nope\""));
	assert_non_null(strstr(errs, "invalid value \"never\""));
	assert_non_null(strstr(errs, "unknown policy id \"alsonope\""));
	free(errs);
}

static void test_bad_server_values(void **state)
{
	(void)state;
	assert_error("server: {threads: 5abc}\n",
		     "test.yaml:1:19: invalid value \"5abc\" for key \"server.threads\" (a whole "
		     "number from 0 to 256)");
	assert_error(
		"server:\n  requestTimeoutSeconds: \"0\"\n",
		"test.yaml:2:26: invalid value \"0\" for key \"server.requestTimeoutSeconds\"");
	assert_error("limits: {maxContainers: lots}\n", "for key \"limits.maxContainers\"");
	assert_error(
		"server: {maxBodyBytes: 12}\n",
		"invalid value \"12\" for key \"server.maxBodyBytes\" (a byte count of at least "
		"1024, optionally with Ki or Mi)");
	assert_error("server: {maxBodyBytes: 7Gi}\n", "invalid value \"7Gi\"");
	assert_error(
		"server: {http2: yes please}\n",
		"invalid value \"yes please\" for key \"server.http2\" (expected true or false)");
}

/* check-config's promise: every error of a file, each with its position and hint */
static void test_every_error_of_a_file_is_reported(void **state)
{
	(void)state;
	char *errs = harness_config_errors("modee: enforce\n"
					   "onPolicyError: maybe\n"
					   "exemptions:\n"
					   "  namespace: [kube-system]\n"
					   "server:\n"
					   "  maxBodyBytes: 1\n"
					   "  threads: lots\n"
					   "  treads: 2\n"
					   "limits:\n"
					   "  maxJsonDepth: 5\n"
					   "policies:\n"
					   "  - id: privileged\n"
					   "    acton: deny\n"
					   "  - id: allowed-registries\n"
					   "    registries: [a.io]\n"
					   "    requireDigest: maybe\n"
					   "  - id: required-labels\n"
					   "    labels: []\n");
	const char *want[] = {
		"test.yaml:1:1: unknown key \"modee\" at the top level",
		"test.yaml:2:16: invalid value \"maybe\" for key \"onPolicyError\" (expected deny or "
		"allow)",
		"test.yaml:4:3: unknown key \"namespace\" in exemptions",
		"test.yaml:6:17: invalid value \"1\" for key \"server.maxBodyBytes\"",
		"test.yaml:7:12: invalid value \"lots\" for key \"server.threads\"",
		"test.yaml:8:3: unknown key \"treads\" in server",
		"test.yaml:10:17: invalid value \"5\" for key \"limits.maxJsonDepth\" (a whole number "
		"from 16 to 1024)",
		"test.yaml:13:5: unknown key \"acton\" in policies[0]",
		"invalid value \"maybe\" for key \"policies[1].requireDigest\" (expected true or "
		"false)",
		"test.yaml:17:1: policy \"required-labels\": \"labels\" must list at least one label",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(errs, want[i]) == NULL)
			fail_msg("missing error\n  %s\nin\n%s", want[i], errs);
	free(errs);
}

static void test_bad_namespace_glob(void **state)
{
	(void)state;
	assert_error("exemptions: {namespaces: [\"a*b\"]}\n", "exemptions.namespaces[0] \"a*b\"");
}

static void test_aliases_are_refused(void **state)
{
	(void)state;
	/* an anchor defined twice: refused with its position, never silently */
	assert_error(
		"a: &x 1\nb: &x 2\n",
		"test.yaml:2:4: YAML error: found duplicate anchor; first occurrence at line 1");
	char *errs = harness_config_errors("exemptions:\n  namespaces: &n [a]\n  users: *n\n");
	free(errs);
}

static void test_list_errors_name_the_entry(void **state)
{
	(void)state;
	assert_error("policies:\n  - id: forbidden-ports\n    ports: [22, ssh]\n",
		     "test.yaml:3:17: invalid value \"ssh\" for key \"policies[0].ports[1]\" "
		     "(expected a whole number)");
	assert_error("policies:\n  - id: forbidden-ports\n    ports: []\n",
		     "key \"policies[0].ports\" needs at least 1 entry (found 0)");
	assert_error("exemptions:\n  namespaces:\n    - a\n    - [b]\n",
		     "test.yaml:4:7: key \"exemptions.namespaces[1]\" must be a single value");
}

static void test_policy_turned_off_needs_no_parameters(void **state)
{
	(void)state;
	struct admitd_config *cfg =
		harness_config("policies:\n  - {id: allowed-registries, action: off}\n");
	assert_int_equal(setting(cfg, "allowed-registries")->action, POLICY_ACTION_OFF);
	config_unref(cfg);
	assert_error("policies:\n  - {id: allowed-registries, action: deny}\n",
		     "policy \"allowed-registries\"");
}

/* Argo Rollouts, as docs/configuration.md shows it */
#define ROLLOUT                                                                                    \
	"  - group: argoproj.io\n    kind: Rollout\n    podTemplate: spec.template\n"              \
	"    resource: rollouts\n    versions: [v1alpha1]\n"

static void test_workloads_load_into_the_configuration(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(
		"workloads:\n" ROLLOUT "  - {group: serving.knative.dev, kind: Service, "
		"podTemplate: spec.template, resource: services, versions: [v1]}\n"
		"rules:\n  - id: rollouts-only\n    match: {kinds: [Rollout]}\n"
		"    assert: {path: spec.hostNetwork, op: absent}\n");
	assert_int_equal(cfg->nworkloads, 2);
	const struct kind_desc *k = kinds_lookup(cfg, "argoproj.io", "Rollout");
	assert_ptr_equal(k, &cfg->workloads[0]);
	assert_string_equal(k->template_path, "spec.template");
	assert_string_equal(k->resource, "rollouts");
	assert_string_equal(k->versions[0], "v1alpha1");
	assert_null(k->versions[1]);
	/* by (group, kind): the same names under another group, or no group, are not judged */
	assert_null(kinds_lookup(cfg, "example.com", "Rollout"));
	assert_null(kinds_lookup(cfg, NULL, "Rollout"));
	assert_null(kinds_lookup(cfg, "", "Service"));
	assert_ptr_equal(kinds_lookup(cfg, "serving.knative.dev", "Service"), &cfg->workloads[1]);
	/* and the built-in kinds are still found as they were */
	assert_ptr_equal(kinds_lookup(cfg, "apps", "Deployment"), kinds_find("Deployment"));
	assert_ptr_equal(kinds_lookup(cfg, NULL, "Pod"), kinds_find("Pod"));
	config_unref(cfg);
	/* without the entry, the rule's kind is unknown: `workloads:` is what makes it judged */
	assert_error("rules:\n  - id: rollouts-only\n    match: {kinds: [Rollout]}\n"
		     "    assert: {path: spec.hostNetwork, op: absent}\n",
		     "match.kinds: \"Rollout\" is not a judged kind (Deployment,");
}

static void test_workload_errors_name_the_entry_and_key(void **state)
{
	(void)state;
	static const struct {
		const char *entry, *error;
	} cases[] = {
		/* a built-in (group, kind), under its group or its old one */
		{"{group: apps, kind: Deployment, podTemplate: spec.template, resource: deployments, "
		 "versions: [v1]}",
		 "test.yaml:2:19: workloads[0].kind: Deployment of group \"apps\" is built in"},
		{"{group: extensions, kind: DaemonSet, podTemplate: spec.template, resource: "
		 "daemonsets, versions: [v1beta1]}",
		 "workloads[0].kind: DaemonSet of group \"extensions\" is built in"},
		{"{group: Argoproj.io, kind: Rollout, podTemplate: spec.template, resource: rollouts, "
		 "versions: [v1alpha1]}",
		 "test.yaml:2:6: workloads[0].group: \"Argoproj.io\" is not an API group"},
		{"{group: \"\", kind: Rollout, podTemplate: spec.template, resource: rollouts, "
		 "versions: [v1alpha1]}",
		 "workloads[0].group: \"\" is not an API group"},
		{"{group: argoproj.io, kind: rollout, podTemplate: spec.template, resource: rollouts, "
		 "versions: [v1alpha1]}",
		 "workloads[0].kind: \"rollout\" is not a kind"},
		{"{group: argoproj.io, kind: Rollout, podTemplate: spec..template, resource: rollouts, "
		 "versions: [v1alpha1]}",
		 "test.yaml:2:41: workloads[0].podTemplate: \"spec..template\" is not a path"},
		{"{group: argoproj.io, kind: Rollout, podTemplate: \"spec.templates[0]\", resource: "
		 "rollouts, versions: [v1alpha1]}",
		 "workloads[0].podTemplate: \"spec.templates[0]\" is not a path"},
		{"{group: argoproj.io, kind: Rollout, podTemplate: spec.template, resource: Rollouts, "
		 "versions: [v1alpha1]}",
		 "workloads[0].resource: \"Rollouts\" is not a resource"},
		{"{group: argoproj.io, kind: Rollout, podTemplate: spec.template, resource: rollouts, "
		 "versions: [v1/alpha]}",
		 "workloads[0].versions: \"v1/alpha\" is not a version"},
		{"{group: argoproj.io, kind: Rollout, podTemplate: spec.template, resource: rollouts, "
		 "versions: []}",
		 "key \"workloads[0].versions\" needs at least 1 entry (found 0)"},
		{"{group: argoproj.io, kind: Rollout, podTemplate: spec.template, resource: rollouts, "
		 "versions: [a, b, c, d]}",
		 "workloads[0].versions"},
		{"{group: argoproj.io, kind: Rollout, resource: rollouts, versions: [v1alpha1]}",
		 "missing required key \"podTemplate\" in workloads[0]"},
		{"{group: argoproj.io, kind: Rollout, podTemplate: spec.template, resource: rollouts, "
		 "versions: [v1alpha1], template: x}",
		 "unknown key \"template\" in workloads[0]"},
		{"Rollout", "test.yaml:2:5: workloads[0] must be a mapping"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char yaml[512];
		snprintf(yaml, sizeof(yaml), "workloads:\n  - %s\n", cases[i].entry);
		assert_error(yaml, cases[i].error);
	}
	assert_error("workloads:\n" ROLLOUT ROLLOUT,
		     "test.yaml:8:5: workloads[1].kind: Rollout of group \"argoproj.io\" is listed "
		     "twice (workloads[0])");
	assert_error("workloads: {group: argoproj.io}\n", "key \"workloads\" must be a list");
}

/* A file with text in /tmp, for the keys that name files; its path in path. */
static void temp_file(char path[64], const char *text)
{
	snprintf(path, 64, "/tmp/admitd-test-config-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* user:pass for registry.corp.example, as `docker login` writes it */
#define DOCKER_CONFIG "{\"auths\": {\"registry.corp.example\": {\"auth\": \"dXNlcjpwYXNz\"}}}"

static void test_registries_load_into_the_configuration(void **state)
{
	(void)state;
	char ca[64], creds[64], yaml[1024];
	temp_file(ca, "-----BEGIN CERTIFICATE-----\n");
	temp_file(creds, DOCKER_CONFIG);
	snprintf(yaml, sizeof(yaml),
		 "registries:\n"
		 "  - host: Registry.Corp.Example\n"
		 "    caFile: %s\n"
		 "    credentialsFile: %s\n"
		 "    insecureHTTP: false\n"
		 "    allowedHosts: [Auth.Corp.Example, \"s3.corp.example:8443\"]\n"
		 "    timeoutSeconds: 9\n"
		 "  - host: ghcr.io\n"
		 "  - host: index.docker.io\n",
		 ca, creds);
	struct admitd_config *cfg = harness_config(yaml);
	assert_int_equal(cfg->nregistries, 3);
	const struct oci_config *r = &cfg->registries[0];
	assert_string_equal(r->host, "registry.corp.example");
	assert_string_equal(r->ca_file, ca);
	assert_string_equal(r->docker_config, creds);
	assert_false(r->insecure_http);
	assert_int_equal(r->n_extra_hosts, 2);
	assert_string_equal(r->extra_hosts[0], "auth.corp.example");
	assert_string_equal(r->extra_hosts[1], "s3.corp.example:8443");
	assert_int_equal(r->request_timeout_ms, 9000);
	/* the defaults: system CAs, anonymous, HTTPS, no other host, 5 s */
	r = &cfg->registries[1];
	assert_string_equal(r->host, "ghcr.io");
	assert_null(r->ca_file);
	assert_null(r->docker_config);
	assert_false(r->insecure_http);
	assert_int_equal(r->n_extra_hosts, 0);
	assert_int_equal(r->request_timeout_ms, 5000);
	/* Docker Hub's other name is the one its images have */
	assert_string_equal(cfg->registries[2].host, "docker.io");
	assert_non_null(cfg->sigverify);
	config_unref(cfg);
	unlink(ca);
	unlink(creds);
}

/* an endpoint: where the registry's images are asked; the host stays what images name */
static void test_registry_endpoints_load(void **state)
{
	(void)state;
	struct admitd_config *cfg =
		harness_config("registries:\n"
			       "  - {host: registry.corp.example, endpoint: Mirror.Corp.Example:5000}\n"
			       "  - {host: docker.io, endpoint: \"127.0.0.1:5001\", insecureHTTP: true}\n"
			       "  - {host: ghcr.io}\n");
	assert_int_equal(cfg->nregistries, 3);
	assert_string_equal(cfg->registries[0].host, "registry.corp.example");
	assert_string_equal(cfg->registries[0].endpoint, "mirror.corp.example:5000");
	/* the loopback rule is the endpoint's: docker.io's mirror on this machine */
	assert_string_equal(cfg->registries[1].host, "docker.io");
	assert_string_equal(cfg->registries[1].endpoint, "127.0.0.1:5001");
	assert_true(cfg->registries[1].insecure_http);
	assert_null(cfg->registries[2].endpoint);
	assert_non_null(cfg->sigverify);
	config_unref(cfg);
	/* two registries may share a mirror; a registry is still listed once */
	cfg = harness_config("registries:\n"
			     "  - {host: docker.io, endpoint: mirror.corp.example}\n"
			     "  - {host: ghcr.io, endpoint: mirror.corp.example}\n");
	assert_int_equal(cfg->nregistries, 2);
	config_unref(cfg);
	assert_error("registries:\n  - {host: ghcr.io, endpoint: mirror.corp.example}\n"
		     "  - {host: ghcr.io}\n",
		     "registries[1].host: ghcr.io is listed twice (registries[0])");
}

/* the signed-images policy has a verifier exactly when a registry is configured */
static void test_sigverify_exists_exactly_when_registries_are_configured(void **state)
{
	(void)state;
	static const char *const none[] = {config_default_yaml, "registries:\n", "registries: []\n",
					   "mode: dry-run\n"};
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		struct admitd_config *cfg = harness_config(none[i]);
		assert_int_equal(cfg->nregistries, 0);
		assert_null(cfg->registries);
		assert_null(cfg->sigverify);
		config_unref(cfg);
	}
	struct admitd_config *cfg = harness_config("registries: [{host: ghcr.io}]\n");
	assert_int_equal(cfg->nregistries, 1);
	assert_non_null(cfg->sigverify);
	config_unref(cfg);
}

/* plain HTTP is for a registry on this machine (tests, a local mirror), never across a network */
static void test_insecure_http_is_for_loopback_registries_only(void **state)
{
	(void)state;
	struct admitd_config *cfg =
		harness_config("registries:\n"
			       "  - {host: \"127.0.0.1:5000\", insecureHTTP: true}\n"
			       "  - {host: \"localhost:5001\", insecureHTTP: true}\n"
			       "  - {host: \"[::1]:5002\", insecureHTTP: true}\n");
	assert_int_equal(cfg->nregistries, 3);
	assert_true(cfg->registries[0].insecure_http);
	assert_string_equal(cfg->registries[0].host, "127.0.0.1:5000");
	assert_non_null(cfg->sigverify);
	config_unref(cfg);
	assert_error("registries:\n  - {host: ghcr.io}\n"
		     "  - {host: registry.corp.example, insecureHTTP: true}\n",
		     "test.yaml:3:5: registries[1]: registry registry.corp.example: insecure_http "
		     "is allowed for loopback hosts only");
	assert_error("registries:\n  - {host: \"10.0.0.1:5000\", insecureHTTP: true}\n",
		     "test.yaml:2:5: registries[0]: registry 10.0.0.1:5000: insecure_http is "
		     "allowed for loopback hosts only");
	/* a strict boolean: a typo must not turn it on */
	assert_error("registries:\n  - {host: \"127.0.0.1:5000\", insecureHTTP: flase}\n",
		     "invalid value \"flase\" for key \"registries[0].insecureHTTP\"");
}

static void test_registry_errors_name_the_entry_and_key(void **state)
{
	(void)state;
	static const struct {
		const char *entry, *error;
	} cases[] = {
		{"{host: \"https://registry.corp.example\"}",
		 "test.yaml:2:6: registries[0].host: \"https://registry.corp.example\" is a URL; "
		 "write the host as in image references, host[:port]: registry.corp.example"},
		{"{host: registry.corp.example/acme}",
		 "test.yaml:2:6: registries[0].host: \"registry.corp.example/acme\" has a path; "
		 "write the host as in image references, host[:port]: registry.corp.example"},
		{"{host: \"registry.corp.example:99999\"}",
		 "registries[0].host: \"registry.corp.example:99999\" has a registry port that is "
		 "not a number from 1 to 65535"},
		{"{host: corp}",
		 "registries[0].host: \"corp\" is not a registry host in an image reference"},
		{"{host: \"\"}", "registries[0].host: \"\" has an empty registry host"},
		{"{host: ghcr.io, caFile: /nonexistent/ca.pem}",
		 "test.yaml:2:21: registries[0].caFile: cannot read \"/nonexistent/ca.pem\": No "
		 "such file or directory"},
		{"{host: ghcr.io, credentialsFile: /nonexistent/config.json}",
		 "test.yaml:2:21: registries[0].credentialsFile: cannot read "
		 "\"/nonexistent/config.json\": No such file or directory"},
		{"{host: ghcr.io, caFile: /tmp}",
		 "registries[0].caFile: \"/tmp\" is not a regular file"},
		{"{host: ghcr.io, allowedHosts: [auth.example, \"https://auth.example/token\"]}",
		 "test.yaml:2:21: registries[0].allowedHosts[1]: \"https://auth.example/token\" is "
		 "a URL; write host[:port]: auth.example"},
		{"{host: ghcr.io, allowedHosts: [\"auth example\"]}",
		 "registries[0].allowedHosts[0]: \"auth example\" has a character that is not "
		 "allowed in a registry host"},
		{"{host: ghcr.io, allowedHosts: [a, b, c, d, e, f, g, h, i]}",
		 "registries[0].allowedHosts"},
		{"{host: ghcr.io, timeoutSeconds: 0}",
		 "test.yaml:2:21: invalid value \"0\" for key \"registries[0].timeoutSeconds\" (a "
		 "whole number from 1 to 60)"},
		{"{host: ghcr.io, timeoutSeconds: 61}",
		 "invalid value \"61\" for key \"registries[0].timeoutSeconds\""},
		{"{host: ghcr.io, timeoutSeconds: soon}",
		 "test.yaml:2:37: invalid value \"soon\" for key \"registries[0].timeoutSeconds\" "
		 "(expected a whole number)"},
		{"{host: ghcr.io, timeoutSeconds: -1}",
		 "invalid value \"-1\" for key \"registries[0].timeoutSeconds\" (expected a whole "
		 "number)"},
		{"{host: ghcr.io, endpoint: \"https://mirror.corp.example/v2/\"}",
		 "test.yaml:2:21: registries[0].endpoint: \"https://mirror.corp.example/v2/\" is a "
		 "URL; write the host[:port] admitd asks: mirror.corp.example"},
		{"{host: ghcr.io, endpoint: mirror.corp.example/ghcr}",
		 "registries[0].endpoint: \"mirror.corp.example/ghcr\" has a path; write the "
		 "host[:port] admitd asks: mirror.corp.example"},
		{"{host: ghcr.io, endpoint: \"mirror.corp.example:0\"}",
		 "registries[0].endpoint: \"mirror.corp.example:0\" has a registry port that is not "
		 "a number from 1 to 65535"},
		{"{host: ghcr.io, endpoint: \"\"}", "registries[0].endpoint: \"\" has an empty"},
		{"{host: ghcr.io, endpoint: \"10.0.0.5:5000\", insecureHTTP: true}",
		 "test.yaml:2:5: registries[0]: registry 10.0.0.5:5000 (endpoint of ghcr.io): "
		 "insecure_http is allowed for loopback hosts only"},
		{"{caFile: /etc/hostname}", "missing required key \"host\" in registries[0]"},
		{"{host: ghcr.io, insecure: true}", "unknown key \"insecure\" in registries[0]"},
		{"ghcr.io", "test.yaml:2:5: registries[0] must be a mapping"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char yaml[512];
		snprintf(yaml, sizeof(yaml), "registries:\n  - %s\n", cases[i].entry);
		assert_error(yaml, cases[i].error);
	}
	/* the same registry twice, however it is spelled */
	assert_error("registries:\n  - host: ghcr.io\n  - host: GHCR.io\n",
		     "test.yaml:3:5: registries[1].host: ghcr.io is listed twice (registries[0])");
	assert_error(
		"registries:\n  - host: docker.io\n  - host: index.docker.io\n",
		"test.yaml:3:5: registries[1].host: docker.io is listed twice (registries[0])");
	assert_error("registries: {host: ghcr.io}\n", "key \"registries\" must be a list");
	/* every error of every entry, not the first */
	char *errs = harness_config_errors("registries:\n"
					   "  - {host: \"https://ghcr.io\", caFile: /nonexistent}\n"
					   "  - {host: quay.io, timeoutSeconds: 0}\n");
	assert_non_null(strstr(errs, "test.yaml:2:6: registries[0].host"));
	assert_non_null(strstr(errs, "test.yaml:2:31: registries[0].caFile"));
	assert_non_null(strstr(errs, "test.yaml:3:21: invalid value \"0\" for key "
				     "\"registries[1].timeoutSeconds\""));
	free(errs);
}

/* What the verifier refuses when it opens the registries is an error of the entry too. */
static void test_unusable_credentials_are_an_error_of_their_entry(void **state)
{
	(void)state;
	char creds[64], yaml[512];
	temp_file(creds, "{\"auths\": ");
	snprintf(yaml, sizeof(yaml),
		 "registries:\n  - host: ghcr.io\n  - host: registry.corp.example\n"
		 "    credentialsFile: %s\n",
		 creds);
	char *errs = harness_config_errors(yaml);
	char want[160];
	snprintf(want, sizeof(want),
		 "test.yaml:3:5: registries[1]: registry.corp.example: "
		 "credentials %s: ",
		 creds);
	if (strstr(errs, want) == NULL)
		fail_msg("expected\n  %s\ngot\n  %s", want, errs);
	assert_null(strstr(errs, "registries[0]"));
	free(errs);
	unlink(creds);
}

static void test_at_most_64_registries(void **state)
{
	(void)state;
	char yaml[4096] = "registries:\n";
	for (int i = 0; i < 65; i++) {
		char line[64];
		snprintf(line, sizeof(line), "  - host: r%d.example\n", i);
		strcat(yaml, line);
	}
	assert_error(yaml, "test.yaml:2:3: registries: 65 entries, more than the 64 admitd "
			   "contacts");
	/* 64 is fine */
	*strstr(yaml, "  - host: r64.example\n") = '\0';
	struct admitd_config *cfg = harness_config(yaml);
	assert_int_equal(cfg->nregistries, 64);
	assert_string_equal(cfg->registries[63].host, "r63.example");
	config_unref(cfg);
}

static void test_name_matching(void **state)
{
	(void)state;
	char *names[] = {"kube-system", "team-*"};
	assert_true(settings_name_matches(names, 2, "kube-system"));
	assert_true(settings_name_matches(names, 2, "team-a"));
	assert_true(settings_name_matches(names, 2, "team-"));
	assert_false(settings_name_matches(names, 2, "kube-system2"));
	assert_false(settings_name_matches(names, 2, "tea"));
	assert_false(settings_name_matches(names, 0, "kube-system"));
}

static void test_load_file_names_the_file(void **state)
{
	(void)state;
	char path[] = "/tmp/admitd-test-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char yaml[] = "mode: enforce\npolicies:\n  - id: privileged\n    registires: [x]\n";
	assert_int_equal(write(fd, yaml, sizeof(yaml) - 1), (ssize_t)(sizeof(yaml) - 1));
	close(fd);
	struct yamlconf_errors errs = {0};
	assert_null(config_load_file(path, &errs));
	assert_int_equal(errs.count, 1);
	char expect[128];
	snprintf(expect, sizeof(expect), "%s:4:5: unknown key \"registires\" in policies[0]", path);
	assert_string_equal(errs.lines[0], expect);
	yamlconf_errors_free(&errs);
	unlink(path);
	assert_null(config_load_file("/nonexistent/admitd.yaml", &errs));
	assert_non_null(strstr(errs.lines[0], "cannot open"));
	yamlconf_errors_free(&errs);
}

/* libyaml counts marks in characters: entries after non-ASCII text must still be cut right */
static void test_non_ascii_text_before_and_in_entries_loads(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(
		"# équipe plateforme: règles\n"
		"podSecurity: {level: privileged}\n"
		"policies:\n"
		"  - id: required-labels   # étiquettes\n"
		"    labels: [{key: team}]  # équipe\n"
		"rules:\n"
		"  - id: no-host-pid\n"
		"    assert: {path: pod.spec.hostPID, op: notEquals, value: 'true'}\n"
		"    message: \"pas de hostPID — retirez-le ✓\"\n");
	json_t *pod = harness_yaml("kind: Pod\nspec: {hostPID: true, containers: []}\n");
	const struct engine_verdict *v = harness_judge(cfg, "Pod", pod);
	assert_true(harness_has(v, "no-host-pid", "pas de hostPID — retirez-le ✓"));
	assert_true(harness_has(v, "required-labels", "\"team\""));
	json_decref(pod);
	config_unref(cfg);
}

/* Each row of the key table is whole: a doc line, its choices, a default within bounds,
 * a section for a dotted key; and a key the table has is read into the config. */
static void test_every_key_row_is_whole(void **state)
{
	(void)state;
	for (size_t i = 0; i < cfgkeys_count; i++) {
		const struct cfgkey *k = &cfgkeys_table[i];
		if (k->doc == NULL || k->doc[0] == '\0')
			fail_msg("key %s has no doc line", k->path);
		if (k->type == CFGKEYS_ENUM && (k->values == NULL || k->nvalues == 0))
			fail_msg("enum key %s has no values", k->path);
		if ((k->type == CFGKEYS_UINT || k->type == CFGKEYS_SIZE) &&
		    (k->def < k->min || k->def > k->max))
			fail_msg("key %s: default %llu outside %llu..%llu", k->path, k->def, k->min,
				 k->max);
		const char *dot = strrchr(k->path, '.');
		if (dot != NULL) {
			char section[64];
			snprintf(section, sizeof(section), "%.*s", (int)(dot - k->path), k->path);
			size_t s = cfgkeys_index(section);
			assert_true(s < i);
			assert_int_equal(cfgkeys_table[s].type, CFGKEYS_SECTION);
		}
	}
	/* a number set in the file lands where the row says */
	struct admitd_config *cfg =
		harness_config("server: {maxStreamsPerConnection: 7, maxBodyBytes: 3Ki}\n"
			       "limits: {maxContainers: 9}\n");
	assert_int_equal(cfg->server.max_streams, 7);
	assert_int_equal(cfg->server.max_body_bytes, 3072);
	assert_int_equal(cfg->limits.max_containers, 9);
	assert_string_equal(cfg->server.listen, ":8443");
	config_unref(cfg);
}

/* the one whole-file reader: its cap, read errors (a directory), NUL termination */
static void test_readall_caps_and_reports_read_errors(void **state)
{
	(void)state;
	char path[] = "/tmp/admitd-readall-XXXXXX", why[128];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	close(fd);
	char *buf = NULL;
	size_t len = 0;
	assert_int_equal(readall_file(path, 10, &buf, &len, why, sizeof(why)), 0);
	assert_int_equal(len, 10);
	assert_int_equal(buf[10], '\0');
	free(buf);
	assert_int_equal(readall_file(path, 9, &buf, &len, why, sizeof(why)), -1);
	assert_null(buf);
	assert_string_equal(why, "larger than 9 bytes");
	unlink(path);
	assert_int_equal(readall_file(path, 9, &buf, &len, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "cannot open: "));
	assert_int_equal(readall_file("/tmp", 1u << 20, &buf, &len, why, sizeof(why)), -1);
	assert_string_equal(why, "read error: Is a directory");
	struct yamlconf_errors errs = {0};
	assert_null(config_load_file("/tmp", &errs));
	assert_int_equal(errs.count, 1);
	assert_string_equal(errs.lines[0], "/tmp: read error: Is a directory");
	yamlconf_errors_free(&errs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_config_is_restricted_deny_with_kube_system_exempt),
		cmocka_unit_test(test_full_shape_loads),
		cmocka_unit_test(test_podsecurity_without_action_denies),
		cmocka_unit_test(test_level_privileged_turns_pss_off),
		cmocka_unit_test(test_listed_pss_check_without_action_keeps_level_action),
		cmocka_unit_test(test_explicit_off_is_off),
		cmocka_unit_test(test_restricted_check_replaces_baseline_twin),
		cmocka_unit_test(test_unknown_key_in_policy_names_file_line_and_entry),
		cmocka_unit_test(test_unknown_top_level_key),
		cmocka_unit_test(test_unknown_nested_key),
		cmocka_unit_test(test_bad_enum_values),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_unknown_policy_id),
		cmocka_unit_test(test_missing_id),
		cmocka_unit_test(test_yaml_syntax_error_has_position),
		cmocka_unit_test(test_empty_config_is_an_error),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_every_error_is_reported),
		cmocka_unit_test(test_bad_server_values),
		cmocka_unit_test(test_every_error_of_a_file_is_reported),
		cmocka_unit_test(test_every_key_row_is_whole),
		cmocka_unit_test(test_readall_caps_and_reports_read_errors),
		cmocka_unit_test(test_bad_namespace_glob),
		cmocka_unit_test(test_aliases_are_refused),
		cmocka_unit_test(test_list_errors_name_the_entry),
		cmocka_unit_test(test_policy_turned_off_needs_no_parameters),
		cmocka_unit_test(test_name_matching),
		cmocka_unit_test(test_workloads_load_into_the_configuration),
		cmocka_unit_test(test_workload_errors_name_the_entry_and_key),
		cmocka_unit_test(test_registries_load_into_the_configuration),
		cmocka_unit_test(test_sigverify_exists_exactly_when_registries_are_configured),
		cmocka_unit_test(test_registry_endpoints_load),
		cmocka_unit_test(test_insecure_http_is_for_loopback_registries_only),
		cmocka_unit_test(test_registry_errors_name_the_entry_and_key),
		cmocka_unit_test(test_unusable_credentials_are_an_error_of_their_entry),
		cmocka_unit_test(test_at_most_64_registries),
		cmocka_unit_test(test_load_file_names_the_file),
		cmocka_unit_test(test_non_ascii_text_before_and_in_entries_loads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
