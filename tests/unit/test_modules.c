/*
 * test_modules: the admitd policy modules (allowed-registries,
 * required-labels, read-only-root-filesystem, resource-limits,
 * no-secrets-in-env, forbidden-ports, and image-signatures given its
 * verdicts) through the real configuration loader and engine: allowed and
 * denied cases in every container list and for Pods and workloads,
 * parameters and their defaults, fields of the wrong JSON type, parameters
 * that must keep a configuration from loading, and per-policy image
 * exemptions.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../policies/registry.h"
#include "../../webhook/arena.h"
#include "../../webhook/sigcheck.h"

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char *const lists[] = {"containers", "initContainers", "ephemeralContainers"};
static const char *const kinds[] = {"Pod", "Deployment", "CronJob"};

/* A Pod whose one container (named c) has `fields` (YAML flow-mapping entries) in `list`. */
static json_t *pod_with(const char *list, const char *fields)
{
	char buf[4096];
	snprintf(buf, sizeof(buf),
		 "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
		 "  %s:\n    - {name: c, %s}\n",
		 list, fields);
	return harness_yaml(buf);
}

static json_t *as_kind(const char *kind, const json_t *pod)
{
	return strcmp(kind, "Pod") == 0 ? json_incref((json_t *)pod) : harness_wrap(kind, pod);
}

static void expect(const struct admitd_config *cfg, const char *kind, const json_t *pod,
		   const char *policy, const char *substr, bool want)
{
	json_t *obj = as_kind(kind, pod);
	const struct engine_verdict *v = harness_judge(cfg, kind, obj);
	bool has = harness_has(v, policy, substr);
	if (has != want) {
		harness_dump(v);
		json_decref(obj);
		fail_msg("%s: expected %s violation of %s containing \"%s\"", kind,
			 want ? "a" : "no", policy, substr ? substr : "(anything)");
	}
	assert_null(v->error);
	json_decref(obj);
}

/* The container with `fields` in `list` is denied (message has substr) for a Pod and workloads. */
static void denied_in(const struct admitd_config *cfg, const char *policy, const char *list,
		      const char *fields, const char *substr)
{
	json_t *pod = pod_with(list, fields);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		expect(cfg, kinds[k], pod, policy, substr, true);
	json_decref(pod);
}

static void allowed_in(const struct admitd_config *cfg, const char *policy, const char *list,
		       const char *fields)
{
	json_t *pod = pod_with(list, fields);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		expect(cfg, kinds[k], pod, policy, NULL, false);
	json_decref(pod);
}

static void denied(const struct admitd_config *cfg, const char *policy, const char *fields,
		   const char *substr)
{
	for (size_t l = 0; l < 3; l++)
		denied_in(cfg, policy, lists[l], fields, substr);
}

static void allowed(const struct admitd_config *cfg, const char *policy, const char *fields)
{
	for (size_t l = 0; l < 3; l++)
		allowed_in(cfg, policy, lists[l], fields);
}

static void load_fails(const char *yaml, const char *substr)
{
	char *errs = harness_config_errors(yaml);
	if (substr != NULL && strstr(errs, substr) == NULL)
		fail_msg("expected an error containing\n  %s\ngot\n  %s", substr, errs);
	free(errs);
}

/* ---- registration ---- */

static void test_modules_are_registered_and_off_by_default(void **state)
{
	(void)state;
	static const char *const ids[] = {"allowed-registries",        "required-labels",
					  "read-only-root-filesystem", "resource-limits",
					  "no-secrets-in-env",         "forbidden-ports"};
	char err[200];
	assert_int_equal(registry_validate(err, sizeof(err)), 0);
	struct admitd_config *cfg = harness_config(config_default_yaml);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		int idx = registry_find(ids[i]);
		if (idx < 0)
			fail_msg("%s is not registered", ids[i]);
		const struct policy_desc *d = registry_policies[idx];
		assert_int_equal(d->level, POLICY_LEVEL_NONE);
		assert_int_equal(d->default_action, POLICY_ACTION_OFF);
		assert_int_equal(cfg->settings[idx].action, POLICY_ACTION_OFF);
	}
	/* off means not run: nothing of these modules on a pod that breaks them all */
	json_t *pod = pod_with("containers", "image: nginx, ports: [{containerPort: 22}], "
					     "env: [{name: DB_PASSWORD, value: hunter2}]");
	const struct engine_verdict *v = harness_judge(cfg, "Pod", pod);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		assert_false(harness_has(v, ids[i], NULL));
	json_decref(pod);
	config_unref(cfg);
}

/* ---- allowed-registries ---- */

#define REGISTRIES_CFG                                                                             \
	"policies:\n"                                                                              \
	"  - id: allowed-registries\n"                                                             \
	"    action: deny\n"                                                                       \
	"    registries: [registry.corp.example, ghcr.io/acme]\n"

static void test_allowed_registries_allows_approved_images(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(REGISTRIES_CFG);
	allowed(cfg, "allowed-registries", "image: registry.corp.example/app:1.0");
	allowed(cfg, "allowed-registries", "image: Registry.Corp.Example/team/app");
	allowed(cfg, "allowed-registries", "image: ghcr.io/acme/tools/debug@sha256:" D64);
	allowed(cfg, "allowed-registries", "image: GHCR.io/acme/x:v2");
	config_unref(cfg);
}

static void test_allowed_registries_denies_other_registries(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(REGISTRIES_CFG);
	denied(cfg, "allowed-registries", "image: \"nginx:1.25\"",
	       "container \"c\" image \"docker.io/library/nginx:1.25\" is not from an approved "
	       "registry (allowed: registry.corp.example, ghcr.io/acme)");
	denied(cfg, "allowed-registries", "image: ghcr.io/acme-evil/x:1",
	       "image \"ghcr.io/acme-evil/x:1\" is not from an approved registry");
	denied(cfg, "allowed-registries", "image: registry.corp.example.evil.io/x",
	       "image \"registry.corp.example.evil.io/x\" is not from");
	denied(cfg, "allowed-registries", "image: registry.corp.example:5000/x",
	       "is not from an approved registry");
	/* a Docker Hub repository named like the registry is still Docker Hub */
	denied(cfg, "allowed-registries", "image: registry.corp.example",
	       "image \"docker.io/library/registry.corp.example\" is not from");
	denied(cfg, "allowed-registries", "image: ghcr.io/other/acme",
	       "is not from an approved registry");
	config_unref(cfg);
}

static void test_allowed_registries_bad_images(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(REGISTRIES_CFG);
	denied(cfg, "allowed-registries", "command: [sh]", "container \"c\" has no image");
	denied(cfg, "allowed-registries", "image: 42", "has an image that is not a string");
	denied(cfg, "allowed-registries", "image: [a]", "has an image that is not a string");
	denied(cfg, "allowed-registries", "image: \"Registry.corp.example/App:1\"",
	       "has image \"Registry.corp.example/App:1\", which is not a valid image reference");
	denied(cfg, "allowed-registries", "image: \"\"", "not a valid image reference");
	denied(cfg, "allowed-registries", "image: \"registry.corp.example/app:bad tag\"",
	       "not a valid image reference");
	denied(cfg, "allowed-registries", "image: \"registry.corp.example/../x\"",
	       "not a valid image reference");
	config_unref(cfg);
}

static void test_allowed_registries_every_container_is_judged(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(REGISTRIES_CFG);
	json_t *pod = harness_yaml("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
				   "  containers:\n"
				   "    - {name: ok, image: registry.corp.example/app:1}\n"
				   "    - {name: bad, image: nginx}\n"
				   "  initContainers:\n"
				   "    - {name: init, image: busybox}\n"
				   "  ephemeralContainers:\n"
				   "    - {name: dbg, image: ghcr.io/acme/debug}\n");
	const struct engine_verdict *v = harness_judge(cfg, "Pod", pod);
	assert_false(v->allowed);
	assert_int_equal(v->nviolations, 2);
	assert_true(harness_has(v, "allowed-registries", "container \"bad\" image"));
	assert_true(harness_has(v, "allowed-registries", "container \"init\" image"));
	assert_false(harness_has(v, "allowed-registries", "container \"ok\""));
	assert_false(harness_has(v, "allowed-registries", "container \"dbg\""));
	json_decref(pod);
	config_unref(cfg);
}

static void test_allowed_registries_require_digest(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(REGISTRIES_CFG "    requireDigest: true\n");
	denied(cfg, "allowed-registries", "image: registry.corp.example/app:1.0",
	       "image \"registry.corp.example/app:1.0\" is not pinned by digest; refer to it as "
	       "registry.corp.example/app@sha256:<digest>");
	denied(cfg, "allowed-registries", "image: registry.corp.example/app",
	       "is not pinned by digest");
	allowed(cfg, "allowed-registries", "image: registry.corp.example/app@sha256:" D64);
	allowed(cfg, "allowed-registries", "image: registry.corp.example/app:1.0@sha256:" D64);
	allowed(cfg, "allowed-registries", "image: registry.corp.example/app@sha512:" D64 D64);
	denied(cfg, "allowed-registries", "image: registry.corp.example/app@foo:" D64,
	       "is not pinned by digest");
	/* one finding per image: an unapproved one is reported once, saying both fixes */
	json_t *pod =
		harness_yaml("kind: Pod\nspec: {containers: [{name: c, image: 'nginx:1'}]}\n");
	const struct engine_verdict *v = harness_judge(cfg, "Pod", pod);
	assert_int_equal(v->nviolations, 1);
	assert_true(harness_has(v, "allowed-registries",
				"is not from an approved registry (allowed: registry.corp.example, "
				"ghcr.io/acme); use an image from one of them, pinned by digest"));
	json_decref(pod);
	config_unref(cfg);

	cfg = harness_config(REGISTRIES_CFG "    requireDigest: false\n");
	allowed(cfg, "allowed-registries", "image: registry.corp.example/app:1.0");
	config_unref(cfg);
}

static void test_allowed_registries_allow_latest(void **state)
{
	(void)state;
	/* default: latest is allowed */
	struct admitd_config *cfg = harness_config(REGISTRIES_CFG);
	allowed(cfg, "allowed-registries", "image: registry.corp.example/app");
	allowed(cfg, "allowed-registries", "image: registry.corp.example/app:latest");
	config_unref(cfg);

	cfg = harness_config(REGISTRIES_CFG "    allowLatest: true\n");
	allowed(cfg, "allowed-registries", "image: registry.corp.example/app:latest");
	config_unref(cfg);

	cfg = harness_config(REGISTRIES_CFG "    allowLatest: false\n");
	denied(cfg, "allowed-registries", "image: registry.corp.example/app",
	       "image \"registry.corp.example/app\" has no tag, so the runtime pulls :latest");
	denied(cfg, "allowed-registries", "image: registry.corp.example/app:latest",
	       "image \"registry.corp.example/app:latest\" uses the tag :latest");
	allowed(cfg, "allowed-registries", "image: registry.corp.example/app:1.2.3");
	allowed(cfg, "allowed-registries", "image: registry.corp.example/app:latest-debian");
	/* a digest decides what is pulled */
	allowed(cfg, "allowed-registries", "image: registry.corp.example/app@sha256:" D64);
	allowed(cfg, "allowed-registries", "image: registry.corp.example/app:latest@sha256:" D64);
	config_unref(cfg);
}

static void test_allowed_registries_bad_parameters(void **state)
{
	(void)state;
	load_fails("policies:\n  - id: allowed-registries\n    registries: []\n",
		   "policy \"allowed-registries\": \"registries\" must list at least one registry");
	load_fails("policies:\n  - id: allowed-registries\n    action: warn\n",
		   "\"registries\" must list at least one registry");
	load_fails("policies:\n  - id: allowed-registries\n    registries: [ghcr.io/]\n",
		   "registries[0] \"ghcr.io/\"");
	load_fails("policies:\n  - id: allowed-registries\n"
		   "    registries: [registry.corp.example, \"nginx:\"]\n",
		   "registries[1] \"nginx:\": not an image pattern: it has an empty tag");
	load_fails("policies:\n  - id: allowed-registries\n    registries: [ghcr.io/Acme]\n",
		   "upper-case");
	load_fails("policies:\n  - id: allowed-registries\n    registries: [\"*.corp.example\"]\n",
		   "registries[0]");
	load_fails("policies:\n  - id: allowed-registries\n    registries: ghcr.io\n", NULL);
	load_fails("policies:\n  - id: allowed-registries\n    registries: [ghcr.io]\n"
		   "    allowLatest: flase\n",
		   "invalid value \"flase\"");
	load_fails("policies:\n  - id: allowed-registries\n    registries: [ghcr.io]\n"
		   "    requireDigest: yes\n",
		   "invalid value \"yes\"");
	load_fails("policies:\n  - id: allowed-registries\n    registries: [ghcr.io]\n"
		   "    registires: [x]\n",
		   "unknown key \"registires\"");
}

static void test_allowed_registries_image_exemptions(void **state)
{
	(void)state;
	struct admitd_config *cfg =
		harness_config(REGISTRIES_CFG "    exemptions:\n"
					      "      images: [nginx, \"busybox:1.36\"]\n");
	json_t *pod = harness_yaml("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
				   "  containers:\n"
				   "    - {name: web, image: \"nginx:1.25\"}\n"
				   "    - {name: side, image: redis}\n"
				   "  initContainers:\n"
				   "    - {name: init, image: \"busybox:1.36\"}\n"
				   "    - {name: init2, image: \"busybox:1.37\"}\n");
	const struct engine_verdict *v = harness_judge(cfg, "Pod", pod);
	assert_false(harness_has(v, "allowed-registries", "container \"web\""));
	assert_false(harness_has(v, "allowed-registries", "container \"init\""));
	assert_true(harness_has(v, "allowed-registries", "container \"side\""));
	assert_true(harness_has(v, "allowed-registries", "container \"init2\""));
	bool exempt_seen = false;
	for (const struct engine_exemption *e = v->exemptions; e != NULL; e = e->next)
		if (strstr(e->reason, "image \"nginx:1.25\" is exempt") != NULL)
			exempt_seen = true;
	assert_true(exempt_seen);
	json_decref(pod);
	config_unref(cfg);

	load_fails(REGISTRIES_CFG "    exemptions:\n      images: [\"Nginx\"]\n", "images[0]");
}

/* Gatekeeper's allowedImages beside its globs: an entry with a tag is that image only. */
static void test_allowed_registries_takes_exact_images(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(
		"policies:\n  - id: allowed-registries\n"
		"    registries: [\"ubuntu:20.14\", \"openpolicyagent/*\", nginx]\n");
	allowed(cfg, "allowed-registries", "image: \"ubuntu:20.14\"");
	allowed(cfg, "allowed-registries", "image: docker.io/library/ubuntu:20.14");
	denied(cfg, "allowed-registries", "image: \"ubuntu:22.04\"",
	       "image \"docker.io/library/ubuntu:22.04\" is not from an approved registry");
	denied(cfg, "allowed-registries", "image: ubuntu",
	       "image \"docker.io/library/ubuntu\" is not from");
	denied(cfg, "allowed-registries", "image: \"ubuntu/x:20.14\"", "is not from");
	allowed(cfg, "allowed-registries", "image: \"openpolicyagent/gatekeeper:v3.14.0\"");
	denied(cfg, "allowed-registries", "image: \"openpolicyagent-evil/gatekeeper:v3\"",
	       "is not from");
	/* a bare Docker Hub name: the official image and what is below it */
	allowed(cfg, "allowed-registries", "image: \"nginx:1.25\"");
	allowed(cfg, "allowed-registries", "image: \"index.docker.io/library/nginx\"");
	denied(cfg, "allowed-registries", "image: acme/nginx", "is not from");
	denied(cfg, "allowed-registries", "image: nginx-evil", "is not from");
	config_unref(cfg);
}

/* The case: every image under registry.corp.example/platform, and Gatekeeper's spelling. */
static void test_image_exemptions_by_registry_prefix(void **state)
{
	(void)state;
	const char *ar = "allowed-registries";
	/* nothing is approved but ghcr.io/acme: whatever passes is exempt */
	struct admitd_config *cfg = harness_config(
		"policies:\n  - id: allowed-registries\n"
		"    registries: [ghcr.io/acme]\n"
		"    exemptions:\n"
		"      images: [registry.corp.example/platform, \"safeimages.com/*\", "
		"docker.io]\n");
	allowed(cfg, ar, "image: \"registry.corp.example/platform:1\"");
	allowed(cfg, ar, "image: \"registry.corp.example/platform/agent:2\"");
	allowed(cfg, ar, "image: registry.corp.example/platform/team/tool@sha256:" D64);
	allowed(cfg, ar, "image: safeimages.com/x");
	allowed(cfg, ar, "image: \"Safeimages.COM/a/b:1\"");
	allowed(cfg, ar, "image: nginx");
	/* whole components and whole hosts only */
	denied(cfg, ar, "image: registry.corp.example/platform-evil/agent", "is not from");
	denied(cfg, ar, "image: registry.corp.example/other/platform", "is not from");
	denied(cfg, ar, "image: registry.corp.example.evil.io/platform/x", "is not from");
	denied(cfg, ar, "image: safeimages.com.evil.io/x", "is not from");
	denied(cfg, ar, "image: evil.io/safeimages.com/x", "is not from");
	denied(cfg, ar, "image: docker.io.evil.com/library/nginx", "is not from");
	denied(cfg, ar, "image: registry-1.docker.io/library/nginx", "is not from");
	config_unref(cfg);

	/* the same syntax in another policy's exemptions */
	cfg = harness_config("policies:\n  - id: privileged\n    action: deny\n"
			     "    exemptions: {images: [\"registry.corp.example/platform/*\"]}\n");
	allowed(cfg, "privileged",
		"image: registry.corp.example/platform/agent, securityContext: {privileged: true}");
	denied(cfg, "privileged",
	       "image: registry.corp.example/platformx, securityContext: {privileged: true}", NULL);
	config_unref(cfg);
}

/* A refused pattern names its file, line, key and the character at fault. */
static void test_bad_image_patterns_are_refused_at_load(void **state)
{
	(void)state;
	load_fails("policies:\n  - id: privileged\n    action: deny\n"
		   "    exemptions: {images: [nginx, \"ghcr.io/*/x\"]}\n",
		   "test.yaml:2:5: policies[0].exemptions.images[1] \"ghcr.io/*/x\": not an image "
		   "pattern: it has '*' at character 9; the only wildcard is a trailing '/*'");
	load_fails(
		"policies:\n  - id: privileged\n"
		"  - id: allowed-registries\n    registries: [\"registry.corp.*\"]\n",
		"test.yaml:3:1: policy \"allowed-registries\": registries[0] \"registry.corp.*\": "
		"not an image pattern: it has '*' at character 15");
	load_fails("policies:\n  - id: allowed-registries\n    registries: [ghcr.io]\n"
		   "    exemptions: {images: [\"ghcr.io/acme:1/*\"]}\n",
		   "images[0] \"ghcr.io/acme:1/*\": not an image pattern: it has a tag or digest "
		   "before '/*'");
	load_fails("rules:\n  - id: no-host-network\n"
		   "    assert: {path: pod.spec.hostNetwork, op: notIn, values: [true]}\n"
		   "    exemptions: {images: [\"ghcr.io/acme?\"]}\n",
		   "'?' at character 13");
}

static void test_allowed_registries_actions(void **state)
{
	(void)state;
	struct admitd_config *cfg =
		harness_config("policies:\n  - id: allowed-registries\n    action: warn\n"
			       "    registries: [registry.corp.example]\n");
	json_t *pod = pod_with("containers", "image: nginx");
	const struct engine_verdict *v = harness_judge(cfg, "Pod", pod);
	assert_true(v->allowed);
	assert_int_equal(v->nviolations, 1);
	assert_int_equal(v->violations->action, POLICY_ACTION_WARN);
	config_unref(cfg);

	/* listing the module without an action turns it on at deny */
	cfg = harness_config("policies:\n  - id: allowed-registries\n"
			     "    registries: [registry.corp.example]\n");
	v = harness_judge(cfg, "Pod", pod);
	assert_false(v->allowed);
	assert_non_null(strstr(v->message, "[allowed-registries] container \"c\" image "
					   "\"docker.io/library/nginx\" is not from"));
	config_unref(cfg);
	json_decref(pod);
}

/* ---- required-labels ---- */

#define LABELS_CFG                                                                                 \
	"policies:\n"                                                                              \
	"  - id: required-labels\n"                                                                \
	"    labels:\n"                                                                            \
	"      - key: team\n"                                                                      \
	"      - key: segment\n"                                                                   \
	"        values: [frontend, backend]\n"

static json_t *labelled_pod(const char *labels)
{
	char buf[1024];
	snprintf(buf, sizeof(buf),
		 "apiVersion: v1\nkind: Pod\nmetadata: {name: p%s%s}\nspec:\n"
		 "  containers: [{name: c, image: nginx}]\n",
		 labels != NULL ? ", labels: " : "", labels != NULL ? labels : "");
	return harness_yaml(buf);
}

static void labels_case(const struct admitd_config *cfg, const char *labels, const char *kind,
			const char *substr, bool want)
{
	json_t *pod = labelled_pod(labels);
	expect(cfg, kind, pod, "required-labels", substr, want);
	json_decref(pod);
}

static void test_required_labels(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(LABELS_CFG);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		labels_case(cfg, "{team: a, segment: frontend}", kinds[k], NULL, false);
		labels_case(cfg, "{team: a, segment: backend, other: x}", kinds[k], NULL, false);
		labels_case(cfg, "{team: a}", kinds[k],
			    "label \"segment\" (one of: frontend, backend)", true);
		labels_case(cfg, "{segment: frontend}", kinds[k],
			    "must carry label \"team\" with a non-empty value", true);
		labels_case(cfg, "{team: a, segment: db}", kinds[k],
			    "label \"segment\" is \"db\", which is not allowed; set it to one of: "
			    "frontend, backend",
			    true);
		labels_case(cfg, "{team: \"\", segment: frontend}", kinds[k],
			    "label \"team\" is empty", true);
		labels_case(cfg, "{team: 5, segment: frontend}", kinds[k],
			    "label \"team\" is not a string", true);
		labels_case(cfg, "{team: a, segment: [frontend]}", kinds[k],
			    "label \"segment\" is not a string", true);
		labels_case(cfg, "{team: a, segment: Frontend}", kinds[k], "is \"Frontend\"", true);
		labels_case(cfg, NULL, kinds[k], "must carry label \"team\"", true);
		labels_case(cfg, "{}", kinds[k], "must carry label \"segment\"", true);
	}
	/* the message says pod for a Pod and pod template (with where) for a workload */
	labels_case(cfg, NULL, "Pod",
		    "pod must carry label \"segment\" (one of: frontend, backend); add it under "
		    "metadata.labels",
		    true);
	labels_case(cfg, NULL, "Deployment",
		    "pod template must carry label \"segment\" (one of: frontend, backend); add it "
		    "under spec.template.metadata.labels",
		    true);
	labels_case(cfg, NULL, "CronJob", "under spec.jobTemplate.spec.template.metadata.labels",
		    true);
	labels_case(cfg, "{team: a}", "Pod", "pod label", false);
	config_unref(cfg);
}

static void test_required_labels_are_pod_level(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(LABELS_CFG);
	json_t *pod = labelled_pod(NULL);
	const struct engine_verdict *v = harness_judge(cfg, "Pod", pod);
	assert_int_equal(v->nviolations, 2);
	for (const struct violation *x = v->violations; x != NULL; x = x->next)
		assert_null(x->container);
	json_decref(pod);

	/* a workload's own labels do not reach its pods */
	pod = labelled_pod(NULL);
	json_t *dep = harness_wrap("Deployment", pod);
	json_object_set_new(json_object_get(dep, "metadata"), "labels",
			    json_pack("{s:s,s:s}", "team", "a", "segment", "frontend"));
	v = harness_judge(cfg, "Deployment", dep);
	assert_true(harness_has(v, "required-labels", "pod template must carry label \"team\""));
	json_decref(dep);
	json_decref(pod);
	config_unref(cfg);
}

static void test_required_labels_empty_value_allowed_when_listed(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config("policies:\n  - id: required-labels\n"
						   "    labels: [{key: example.com/tier, values: "
						   "[\"\", gold]}]\n");
	labels_case(cfg, "{example.com/tier: \"\"}", "Pod", NULL, false);
	labels_case(cfg, "{example.com/tier: gold}", "Pod", NULL, false);
	labels_case(cfg, "{example.com/tier: silver}", "Pod", "one of: \"\", gold", true);
	config_unref(cfg);
}

static void test_required_labels_bad_parameters(void **state)
{
	(void)state;
	load_fails("policies:\n  - id: required-labels\n",
		   "policy \"required-labels\": \"labels\" must list at least one label");
	load_fails("policies:\n  - id: required-labels\n    labels: []\n",
		   "\"labels\" must list at least one label");
	load_fails("policies:\n  - id: required-labels\n    labels: [{key: \"bad key\"}]\n",
		   "labels[0].key \"bad key\" is not a valid label key");
	load_fails("policies:\n  - id: required-labels\n    labels: [{key: \"Example.com/x\"}]\n",
		   "is not a valid label key");
	load_fails("policies:\n  - id: required-labels\n    labels: [{key: \"\"}]\n",
		   "is not a valid label key");
	load_fails("policies:\n  - id: required-labels\n    labels: [{key: team}, {key: team}]\n",
		   "labels[1].key \"team\" is listed twice");
	load_fails("policies:\n  - id: required-labels\n"
		   "    labels: [{key: team, values: [\"a b\"]}]\n",
		   "labels[0].values[0] \"a b\" is not a valid label value");
	load_fails("policies:\n  - id: required-labels\n    labels: [{key: team, values: []}]\n",
		   NULL);
	load_fails("policies:\n  - id: required-labels\n    labels: [{values: [a]}]\n", "key");
	load_fails("policies:\n  - id: required-labels\n    labels: [team]\n", NULL);
	load_fails("policies:\n  - id: required-labels\n    labels: [{key: team, vals: [a]}]\n",
		   "unknown key \"vals\"");
}

/* ---- read-only-root-filesystem ---- */

#define RORFS_CFG "policies:\n  - id: read-only-root-filesystem\n"

static void test_read_only_root_filesystem(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(RORFS_CFG);
	allowed(cfg, "read-only-root-filesystem",
		"image: nginx, securityContext: {readOnlyRootFilesystem: true}");
	denied(cfg, "read-only-root-filesystem", "image: nginx",
	       "container \"c\" must set securityContext.readOnlyRootFilesystem=true");
	denied(cfg, "read-only-root-filesystem", "image: nginx, securityContext: {}",
	       "must set securityContext.readOnlyRootFilesystem=true");
	denied(cfg, "read-only-root-filesystem",
	       "image: nginx, securityContext: {readOnlyRootFilesystem: false}", "(it is false)");
	denied(cfg, "read-only-root-filesystem",
	       "image: nginx, securityContext: {readOnlyRootFilesystem: \"true\"}",
	       "readOnlyRootFilesystem that is not a boolean");
	denied(cfg, "read-only-root-filesystem", "image: nginx, securityContext: x",
	       "has a securityContext that is not an object");
	/* a pod-level securityContext has no such field and does not count */
	json_t *pod = harness_yaml("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
				   "  securityContext: {runAsNonRoot: true}\n"
				   "  containers: [{name: c, image: nginx}]\n");
	expect(cfg, "Pod", pod, "read-only-root-filesystem", "must set", true);
	json_decref(pod);
	config_unref(cfg);
}

static void test_read_only_root_filesystem_skips_windows(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(RORFS_CFG);
	json_t *pod = harness_yaml("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
				   "  os: {name: windows}\n"
				   "  containers: [{name: c, image: mcr.microsoft.com/windows}]\n");
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		expect(cfg, kinds[k], pod, "read-only-root-filesystem", NULL, false);
	json_decref(pod);
	config_unref(cfg);
}

/* ---- resource-limits ---- */

#define LIMITS_CFG "policies:\n  - id: resource-limits\n"

static void test_resource_limits_default(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(LIMITS_CFG);
	/* ephemeral containers cannot set resources, so they are never judged */
	for (size_t l = 0; l < 2; l++) {
		allowed_in(cfg, "resource-limits", lists[l],
			   "image: nginx, resources: {limits: {cpu: 500m, memory: 256Mi}}");
		allowed_in(cfg, "resource-limits", lists[l],
			   "image: nginx, resources: {limits: {cpu: 1, memory: 1Gi}}");
		denied_in(cfg, "resource-limits", lists[l], "image: nginx",
			  "container \"c\" must set resources.limits for: cpu, memory");
		denied_in(cfg, "resource-limits", lists[l],
			  "image: nginx, resources: {requests: {cpu: 1, memory: 1Gi}}",
			  "must set resources.limits for: cpu, memory");
		denied_in(cfg, "resource-limits", lists[l],
			  "image: nginx, resources: {limits: {cpu: 500m}}",
			  "must set resources.limits for: memory;");
		denied_in(cfg, "resource-limits", lists[l],
			  "image: nginx, resources: {limits: {cpu: 500m, memory: ~}}",
			  "must set resources.limits for: memory;");
		denied_in(cfg, "resource-limits", lists[l],
			  "image: nginx, resources: {limits: {cpu: true, memory: 1Gi}}",
			  "has a resources.limits.cpu that is not a quantity");
		denied_in(cfg, "resource-limits", lists[l],
			  "image: nginx, resources: {limits: {cpu: \"\", memory: 1Gi}}",
			  "has a resources.limits.cpu that is not a quantity");
		denied_in(cfg, "resource-limits", lists[l],
			  "image: nginx, resources: {limits: [cpu, memory]}",
			  "has a resources.limits that is not an object");
		denied_in(cfg, "resource-limits", lists[l], "image: nginx, resources: x",
			  "has a resources that is not an object");
	}
	allowed_in(cfg, "resource-limits", "ephemeralContainers", "image: busybox");
	config_unref(cfg);
}

static void test_resource_limits_parameters(void **state)
{
	(void)state;
	struct admitd_config *cfg =
		harness_config(LIMITS_CFG "    resources: [memory, ephemeral-storage]\n");
	allowed_in(cfg, "resource-limits", "containers",
		   "image: nginx, resources: {limits: {memory: 1Gi, ephemeral-storage: 1Gi}}");
	denied_in(cfg, "resource-limits", "initContainers",
		  "image: nginx, resources: {limits: {cpu: 1, memory: 1Gi}}",
		  "must set resources.limits for: ephemeral-storage;");
	config_unref(cfg);

	load_fails(LIMITS_CFG "    resources: []\n", NULL);
	load_fails(LIMITS_CFG "    resources: [\"bad name\"]\n",
		   "resources[0] \"bad name\" is not a resource name");
	load_fails(LIMITS_CFG "    resources: [cpu, cpu]\n",
		   "resources[1] \"cpu\" is listed twice");
	load_fails(LIMITS_CFG "    resources: cpu\n", NULL);
}

static void test_resource_limits_pod_level(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(LIMITS_CFG);
	json_t *pod = harness_yaml("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
				   "  resources: {limits: {cpu: 2, memory: 2Gi}}\n"
				   "  containers: [{name: c, image: nginx}]\n");
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		expect(cfg, kinds[k], pod, "resource-limits", NULL, false);
	json_decref(pod);
	pod = harness_yaml("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
			   "  resources: {limits: {cpu: 2}}\n"
			   "  containers: [{name: c, image: nginx}]\n");
	expect(cfg, "Pod", pod, "resource-limits", "must set resources.limits for: memory;", true);
	json_decref(pod);
	pod = harness_yaml("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
			   "  resources: {limits: [cpu]}\n"
			   "  containers: [{name: c, image: nginx}]\n");
	expect(cfg, "Pod", pod, "resource-limits", "spec.resources (pod-level resources)", true);
	expect(cfg, "Deployment", pod, "resource-limits",
	       "spec.template.spec.resources (pod-level resources)", true);
	json_decref(pod);
	config_unref(cfg);
}

/* ---- no-secrets-in-env ---- */

#define ENV_CFG "policies:\n  - id: no-secrets-in-env\n"

static void test_no_secrets_in_env(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(ENV_CFG);
	denied(cfg, "no-secrets-in-env", "image: app, env: [{name: DB_PASSWORD, value: hunter2}]",
	       "container \"c\" sets env \"DB_PASSWORD\", which looks like a credential, to a "
	       "literal value; store it in a Secret and use valueFrom.secretKeyRef");
	denied(cfg, "no-secrets-in-env", "image: app, env: [{name: github_token, value: ghp_x}]",
	       "env \"github_token\"");
	denied(cfg, "no-secrets-in-env", "image: app, env: [{name: Stripe_Api_Key, value: sk}]",
	       "env \"Stripe_Api_Key\"");
	denied(cfg, "no-secrets-in-env",
	       "image: app, env: [{name: HOME, value: /x}, {name: SSH_PRIVATE_KEY, value: k}]",
	       "env \"SSH_PRIVATE_KEY\"");
	denied(cfg, "no-secrets-in-env", "image: app, env: [{name: CLIENT_SECRET, value: s}]",
	       "env \"CLIENT_SECRET\"");
	denied(cfg, "no-secrets-in-env",
	       "image: app, env: [{name: DB_PASSWORD, valueFrom: {configMapKeyRef: {name: cm, "
	       "key: pw}}}]",
	       "takes env \"DB_PASSWORD\", which looks like a credential, from a ConfigMap");
	allowed(cfg, "no-secrets-in-env",
		"image: app, env: [{name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: s, key: "
		"pw}}}]");
	allowed(cfg, "no-secrets-in-env", "image: app, env: [{name: DB_PASSWORD, value: \"\"}]");
	allowed(cfg, "no-secrets-in-env",
		"image: app, env: [{name: HOME, value: /root}, {name: LOG_LEVEL, value: debug}]");
	allowed(cfg, "no-secrets-in-env",
		"image: app, env: [{name: TOKEN_FILE, valueFrom: {fieldRef: {fieldPath: "
		"metadata.name}}}]");
	allowed(cfg, "no-secrets-in-env", "image: app, envFrom: [{secretRef: {name: s}}]");
	allowed(cfg, "no-secrets-in-env", "image: app");
	allowed(cfg, "no-secrets-in-env", "image: app, env: [{value: hunter2}]");

	/* wrong types fail closed */
	denied(cfg, "no-secrets-in-env", "image: app, env: x", "has an env that is not a list");
	denied(cfg, "no-secrets-in-env", "image: app, env: [5]",
	       "has an env[0] that is not an object");
	denied(cfg, "no-secrets-in-env", "image: app, env: [{name: HOME, value: x}, {name: 5}]",
	       "has an env[1].name that is not a string");
	denied(cfg, "no-secrets-in-env", "image: app, env: [{name: API_TOKEN, valueFrom: x}]",
	       "has env \"API_TOKEN\", which looks like a credential, with a valueFrom that is "
	       "not an object");
	denied(cfg, "no-secrets-in-env", "image: app, env: [{name: API_TOKEN, value: 12345}]",
	       "has env \"API_TOKEN\", which looks like a credential, with a value that is not a "
	       "string");
	config_unref(cfg);
}

static void test_no_secrets_in_env_never_echoes_the_value(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(ENV_CFG);
	static const char *const cases[] = {
		"image: app, env: [{name: DB_PASSWORD, value: hunter2-s3cr3t}]",
		"image: app, env: [{name: API_TOKEN, value: 99887766}]",
		"image: app, env: [{name: x_secret, value: [hunter2-s3cr3t]}]",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (size_t l = 0; l < 3; l++) {
			json_t *pod = pod_with(lists[l], cases[i]);
			const struct engine_verdict *v = harness_judge(cfg, "Pod", pod);
			assert_true(harness_has(v, "no-secrets-in-env", NULL));
			assert_false(harness_has(v, NULL, "hunter2"));
			assert_false(harness_has(v, NULL, "99887766"));
			assert_null(strstr(v->message, "hunter2"));
			assert_null(strstr(v->message, "99887766"));
			json_decref(pod);
		}
	}
	config_unref(cfg);
}

static void test_no_secrets_in_env_patterns(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(ENV_CFG "    patterns: [cert, PASSPHRASE]\n");
	denied(cfg, "no-secrets-in-env", "image: app, env: [{name: TLS_CERT_KEY, value: x}]",
	       "env \"TLS_CERT_KEY\"");
	denied(cfg, "no-secrets-in-env", "image: app, env: [{name: gpg_passphrase, value: x}]",
	       "env \"gpg_passphrase\"");
	/* the list replaces the default */
	allowed(cfg, "no-secrets-in-env", "image: app, env: [{name: DB_PASSWORD, value: x}]");
	config_unref(cfg);

	load_fails(ENV_CFG "    patterns: []\n", NULL);
	load_fails(ENV_CFG "    patterns: [\"\"]\n",
		   "patterns[0] \"\" must be a non-empty part of a variable name");
	load_fails(ENV_CFG "    patterns: PASSWORD\n", NULL);
}

/* ---- forbidden-ports ---- */

#define PORTS_CFG "policies:\n  - id: forbidden-ports\n"

static void test_forbidden_ports(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(PORTS_CFG);
	denied(cfg, "forbidden-ports", "image: app, ports: [{containerPort: 22}]",
	       "container \"c\" exposes containerPort 22 (ssh), a remote shell port; remove it");
	denied(cfg, "forbidden-ports",
	       "image: app, ports: [{containerPort: 8080}, {containerPort: 23, protocol: TCP}]",
	       "exposes containerPort 23 (telnet)");
	allowed(cfg, "forbidden-ports", "image: app, ports: [{containerPort: 8080}]");
	allowed(cfg, "forbidden-ports", "image: app, ports: [{containerPort: 2222}]");
	allowed(cfg, "forbidden-ports", "image: app");
	allowed(cfg, "forbidden-ports", "image: app, ports: []");
	/* wrong types fail closed */
	denied(cfg, "forbidden-ports", "image: app, ports: x", "has a ports that is not a list");
	denied(cfg, "forbidden-ports", "image: app, ports: [22]",
	       "has a ports[0] that is not an object");
	denied(cfg, "forbidden-ports", "image: app, ports: [{containerPort: \"22\"}]",
	       "has a ports[0].containerPort that is not an integer");
	denied(cfg, "forbidden-ports", "image: app, ports: [{containerPort: 22.5}]",
	       "that is not an integer");
	config_unref(cfg);
}

static void test_forbidden_ports_parameters(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(PORTS_CFG "    ports: [2222, 3389]\n");
	denied(cfg, "forbidden-ports", "image: app, ports: [{containerPort: 2222}]",
	       "exposes containerPort 2222, a remote shell port");
	denied(cfg, "forbidden-ports", "image: app, ports: [{containerPort: 3389}]",
	       "containerPort 3389 (RDP)");
	allowed(cfg, "forbidden-ports", "image: app, ports: [{containerPort: 22}]");
	config_unref(cfg);

	load_fails(PORTS_CFG "    ports: []\n", NULL);
	load_fails(PORTS_CFG "    ports: [0]\n", "ports[0] 0 is not a port number (1 to 65535)");
	load_fails(PORTS_CFG "    ports: [22, 70000]\n", "ports[1] 70000 is not a port number");
	load_fails(PORTS_CFG "    ports: [-1]\n", "is not a port number");
	load_fails(PORTS_CFG "    ports: [ssh]\n", NULL);
	load_fails(PORTS_CFG "    ports: 22\n", NULL);
}

/* ---- image-signatures: the policy's side of the verdicts the server gathers ---- */

static struct admitd_config *signatures_config(const char *action, const char *on_error)
{
	char yaml[2048];
	snprintf(yaml, sizeof(yaml),
		 "registries:\n  - {host: registry.corp.example}\n"
		 "policies:\n  - id: image-signatures\n    action: %s\n"
		 "    images: [registry.corp.example/prod]\n    keys: [\"%s\"]\n"
		 "    onRegistryError: %s\n",
		 action, harness_shared("conformance/cosign/cosign.pub"), on_error);
	return harness_config(yaml);
}

/* Judges pod (its container "web" runs registry.corp.example/prod/web:1) with this verdict. */
static const struct engine_verdict *signatures_judge(const struct admitd_config *cfg,
						     const json_t *pod, enum sigverify_status st,
						     enum oci_category failure)
{
	static char image[] = "registry.corp.example/prod/web:1";
	static struct sigcheck_item item;
	static struct sigcheck_results res = {.n = 1, .items = &item};
	memset(&item, 0, sizeof(item));
	item.image = image;
	item.v.status = st;
	item.v.failure = failure;
	snprintf(item.v.reason, sizeof(item.v.reason),
		 "image \"%s\" (sha256:" D64 "): the signatures could not be read: "
		 "registry.corp.example: manifest prod/web:sha256-" D64 ".sig: ... (%s)",
		 image, oci_category_name(failure));
	struct engine_input in = {
		.kind = "Pod",
		.operation = "CREATE",
		.namespace = "default",
		.name = "p",
		.username = "alice",
		.object = pod,
		.signatures = &res,
	};
	return harness_judge_as(cfg, &in);
}

static void test_image_signatures_on_registry_error(void **state)
{
	(void)state;
	json_t *pod = harness_yaml("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
				   "  containers: [{name: web, image: "
				   "\"registry.corp.example/prod/web:1\"}]\n");
	struct admitd_config *cfg = signatures_config("deny", "deny");
	const struct engine_verdict *v =
		signatures_judge(cfg, pod, SIGVERIFY_UNREACHABLE, OCI_TOO_LARGE);
	assert_false(v->allowed);
	assert_true(harness_has(v, "image-signatures",
				"container \"web\" image \"registry.corp.example/prod/web:1\" "
				"(sha256:" D64 "): the signatures could not be read"));
	config_unref(cfg);

	/* allow: let through, but never silently: a warning saying what the registry did */
	cfg = signatures_config("deny", "allow");
	v = signatures_judge(cfg, pod, SIGVERIFY_UNREACHABLE, OCI_TOO_LARGE);
	assert_true(v->allowed);
	assert_int_equal(v->nviolations, 1);
	assert_int_equal(v->ndeny, 0);
	assert_int_equal(v->violations->action, POLICY_ACTION_WARN);
	assert_true(
		harness_has(v, "image-signatures",
			    "container \"web\" is allowed unverified: its registry failed (too "
			    "large) and onRegistryError is allow: image \"registry.corp.example/"));
	v = signatures_judge(cfg, pod, SIGVERIFY_UNREACHABLE, OCI_TIMEOUT);
	assert_true(v->allowed);
	assert_true(harness_has(v, "image-signatures", "its registry failed (timeout)"));
	/* only a registry failure: an unsigned or rejected image is still denied */
	v = signatures_judge(cfg, pod, SIGVERIFY_UNSIGNED, OCI_OK);
	assert_false(v->allowed);
	v = signatures_judge(cfg, pod, SIGVERIFY_REJECTED, OCI_OK);
	assert_false(v->allowed);
	config_unref(cfg);

	/* with action audit the finding is recorded, not raised to a warning */
	cfg = signatures_config("audit", "allow");
	v = signatures_judge(cfg, pod, SIGVERIFY_UNREACHABLE, OCI_UNREACHABLE);
	assert_true(v->allowed);
	assert_int_equal(v->nviolations, 1);
	assert_int_equal(v->violations->action, POLICY_ACTION_AUDIT);
	config_unref(cfg);
	json_decref(pod);
}

/* ---- image-signatures with imageKeys: keys per image pattern ---- */

/* release (cosign.pub) for prod, team-a's (cosign2.pub) for team-a and prod/special */
static struct admitd_config *image_keys_config(void)
{
	char yaml[4096], release[1024], team[1024];
	/* harness_shared's answer is its own buffer: copied, to name two files */
	snprintf(release, sizeof(release), "%s", harness_shared("conformance/cosign/cosign.pub"));
	snprintf(team, sizeof(team), "%s", harness_shared("conformance/cosign/cosign2.pub"));
	snprintf(yaml, sizeof(yaml),
		 "registries:\n  - {host: registry.corp.example}\n"
		 "policies:\n  - id: image-signatures\n"
		 "    images: [registry.corp.example/prod]\n    keys: [\"%s\"]\n"
		 "    imageKeys:\n"
		 "      - {images: [registry.corp.example/team-a], keys: [\"%s\"]}\n"
		 "      - {images: [registry.corp.example/prod/special, ghcr.io/acme], keys: [\"%s\"]}\n",
		 release, team, team);
	return harness_config(yaml);
}

static const struct sigcheck_rule *rule_of(const struct admitd_config *cfg, const char *image)
{
	struct arena a;
	arena_init(&a);
	const struct sigcheck_rule *r = sigcheck_rule(sigcheck_policy(cfg), &a, image);
	arena_free(&a);
	return r;
}

static void test_image_signatures_image_keys_pick_the_first_match(void **state)
{
	(void)state;
	struct admitd_config *cfg = image_keys_config();
	const struct sigcheck_policy *p = sigcheck_policy(cfg);
	assert_non_null(p);
	/* imageKeys' entries in order, then images */
	assert_int_equal(p->nrules, 3);
	assert_ptr_equal(rule_of(cfg, "registry.corp.example/team-a/web:1"), &p->rules[0]);
	assert_ptr_equal(rule_of(cfg, "registry.corp.example/prod/web:1"), &p->rules[2]);
	/* an entry wins over images, which matches it too */
	assert_ptr_equal(rule_of(cfg, "registry.corp.example/prod/special/x@sha256:" D64),
			 &p->rules[1]);
	/* an entry's images are checked though images does not list them */
	assert_ptr_equal(rule_of(cfg, "ghcr.io/acme/tool:2"), &p->rules[1]);
	/* on whole components: team-a-evil is not team-a's */
	assert_null(rule_of(cfg, "registry.corp.example/team-a-evil/web:1"));
	assert_null(rule_of(cfg, "docker.io/library/nginx:1.25"));
	/* an image that does not parse is checked (the verifier reports it) */
	assert_ptr_equal(rule_of(cfg, "Not An Image"), &p->rules[0]);
	/* each its own keys and fingerprint: the cache never hands one's verdict to another */
	assert_int_equal(cosign_keys_count(p->rules[0].verify.keys), 1);
	assert_string_not_equal(p->rules[0].verify.fingerprint, p->rules[2].verify.fingerprint);
	assert_string_not_equal(cosign_keys_fingerprint(p->rules[0].verify.keys, 0),
				cosign_keys_fingerprint(p->rules[2].verify.keys, 0));
	/* the same keys and options are the same verdicts: one fingerprint */
	assert_string_equal(p->rules[0].verify.fingerprint, p->rules[1].verify.fingerprint);
	/* what every rule shares */
	assert_true(p->rules[0].verify.cache_seconds == 300);
	assert_true(p->rules[2].verify.tag_seconds == 30);
	config_unref(cfg);

	/* only imageKeys: valid, and nothing else is checked */
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
		 "registries:\n  - {host: registry.corp.example}\n"
		 "policies:\n  - id: image-signatures\n"
		 "    imageKeys: [{images: [registry.corp.example/team-a], keys: [\"%s\"]}]\n",
		 harness_shared("conformance/cosign/cosign2.pub"));
	cfg = harness_config(yaml);
	p = sigcheck_policy(cfg);
	assert_non_null(p);
	assert_int_equal(p->nrules, 1);
	assert_non_null(rule_of(cfg, "registry.corp.example/team-a/web:1"));
	assert_null(rule_of(cfg, "registry.corp.example/prod/web:1"));
	json_t *pod = harness_yaml("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
				   "  containers:\n"
				   "    - {name: a, image: \"registry.corp.example/team-a/web:1\"}\n"
				   "    - {name: b, image: \"registry.corp.example/prod/web:1\"}\n");
	struct engine_input in = {
	    .kind = "Pod", .operation = "CREATE", .namespace = "default", .name = "p",
	    .username = "alice", .object = pod,
	};
	struct arena a;
	arena_init(&a);
	char **images = NULL;
	size_t n = sigcheck_images(cfg, &in, &a, &images);
	assert_int_equal(n, 1);
	assert_string_equal(images[0], "registry.corp.example/team-a/web:1");
	sigcheck_images_free(images, n);
	arena_free(&a);
	/* without a verdict for it: not checked, so not this policy's to deny */
	const struct engine_verdict *v = harness_judge(cfg, "Pod", pod);
	assert_false(harness_has(v, "image-signatures", "prod/web"));
	assert_true(harness_has(v, "image-signatures", "team-a/web:1\": its signature was not checked"));
	json_decref(pod);
	config_unref(cfg);
}

/* the pod image_keys_judge judged last */
static json_t *image_keys_pod;

/* Judges a pod whose container "web" runs image, with this verdict for it. */
static const struct engine_verdict *image_keys_judge(const struct admitd_config *cfg,
						     const char *image, enum sigverify_status st,
						     const char *reason)
{
	static char img[256];
	static struct sigcheck_item item;
	static struct sigcheck_results res = {.n = 1, .items = &item};
	json_t *pod;
	char yaml[512];
	json_decref(image_keys_pod);
	snprintf(yaml, sizeof(yaml),
		 "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
		 "  containers: [{name: web, image: \"%s\"}]\n", image);
	image_keys_pod = pod = harness_yaml(yaml);
	snprintf(img, sizeof(img), "%s", image);
	memset(&item, 0, sizeof(item));
	item.image = img;
	item.v.status = st;
	snprintf(item.v.reason, sizeof(item.v.reason), "%s", reason);
	struct engine_input in = {
	    .kind = "Pod", .operation = "CREATE", .namespace = "default", .name = "p",
	    .username = "alice", .object = pod, .signatures = &res,
	};
	return harness_judge_as(cfg, &in);
}

static void test_image_signatures_image_keys_denial_names_the_keys(void **state)
{
	(void)state;
	struct admitd_config *cfg = image_keys_config();
	char want[512];
	/* team-a's image signed by the release key: which keys it needed, and why */
	const struct engine_verdict *v = image_keys_judge(
	    cfg, "registry.corp.example/team-a/web:1", SIGVERIFY_REJECTED,
	    "image \"registry.corp.example/team-a/web:1\" (sha256:" D64 "): 1 signature found, "
	    "none by a configured key for this image: ...");
	assert_false(v->allowed);
	snprintf(want, sizeof(want),
		 "none by a configured key for this image: ...; the image matches imageKeys[0] "
		 "(registry.corp.example/team-a), so only its keys count: %s",
		 harness_shared("conformance/cosign/cosign2.pub"));
	if (!harness_has(v, "image-signatures", want)) {
		harness_dump(v);
		fail_msg("expected %s", want);
	}
	v = image_keys_judge(cfg, "ghcr.io/acme/tool:2", SIGVERIFY_UNSIGNED, "unsigned");
	assert_true(harness_has(v, "image-signatures",
				"unsigned; the image matches imageKeys[1] "
				"(registry.corp.example/prod/special, ghcr.io/acme), so only its "
				"keys count: "));
	/* an image of images: the policy's keys */
	v = image_keys_judge(cfg, "registry.corp.example/prod/web:1", SIGVERIFY_UNSIGNED,
			     "unsigned");
	snprintf(want, sizeof(want),
		 "unsigned; the image matches images (registry.corp.example/prod), so only the "
		 "policy's keys count: %s",
		 harness_shared("conformance/cosign/cosign.pub"));
	assert_true(harness_has(v, "image-signatures", want));
	/* a registry failure is not about keys: nothing added */
	v = image_keys_judge(cfg, "registry.corp.example/team-a/web:1", SIGVERIFY_UNREACHABLE,
			     "down");
	assert_true(harness_has(v, "image-signatures", "down; while the registry fails"));
	assert_false(harness_has(v, "image-signatures", "imageKeys"));
	v = image_keys_judge(cfg, "registry.corp.example/team-a/web:1", SIGVERIFY_SIGNED, "ok");
	assert_true(v->allowed);
	config_unref(cfg);

	/* without imageKeys the message is as it was */
	cfg = signatures_config("deny", "deny");
	v = image_keys_judge(cfg, "registry.corp.example/prod/web:1", SIGVERIFY_UNSIGNED,
			     "unsigned");
	assert_false(v->allowed);
	assert_false(harness_has(v, "image-signatures", "the image matches"));
	config_unref(cfg);
	json_decref(image_keys_pod);
	image_keys_pod = NULL;
}

static void test_image_signatures_image_keys_errors_name_the_entry(void **state)
{
	(void)state;
	const char *pub = harness_shared("conformance/cosign/cosign.pub");
	char yaml[2048], want[512];
#define SIG_CFG "registries: [{host: registry.corp.example}]\npolicies:\n  - id: image-signatures\n"
	snprintf(yaml, sizeof(yaml),
		 SIG_CFG "    imageKeys:\n      - {images: [a.example/x], keys: [\"%s\"]}\n"
		 "      - {images: [b.example/y], keys: [\"%s\", /nonexistent/team-b.pub]}\n",
		 pub, pub);
	load_fails(yaml, "policy \"image-signatures\": imageKeys[1].keys[1]: "
			 "/nonexistent/team-b.pub: cannot open");
	snprintf(yaml, sizeof(yaml),
		 SIG_CFG "    imageKeys:\n      - {images: [a.example/x, \"bad pattern\"], keys: [\"%s\"]}\n",
		 pub);
	load_fails(yaml, "imageKeys[0].images[1] \"bad pattern\": not an image pattern");
	snprintf(yaml, sizeof(yaml), SIG_CFG "    imageKeys: [{images: [a.example/x]}]\n");
	load_fails(yaml, "imageKeys[0].keys must list at least one PEM public key file");
	snprintf(yaml, sizeof(yaml), SIG_CFG "    imageKeys: [{keys: [\"%s\"], images: []}]\n", pub);
	load_fails(yaml, "imageKeys[0].images must list the images its keys verify");
	snprintf(yaml, sizeof(yaml),
		 SIG_CFG "    imageKeys: [{images: [a.example/x], keys: [\"%s\"], key: x}]\n", pub);
	load_fails(yaml, "unknown key \"key\" in policies[0].imageKeys[0]");
	char *errs = harness_config_errors(SIG_CFG "    imageKeys: []\n");
	assert_non_null(strstr(errs, "\"images\" must list the images whose signatures are checked"));
	free(errs);
	/* keys go with images: alone, they would verify nothing */
	snprintf(yaml, sizeof(yaml),
		 SIG_CFG "    keys: [\"%s\"]\n    imageKeys: [{images: [a.example/x], keys: [\"%s\"]}]\n",
		 pub, pub);
	load_fails(yaml, "\"keys\" verify the images of \"images\", which lists none");
	/* images still need keys when imageKeys is there */
	snprintf(yaml, sizeof(yaml),
		 SIG_CFG "    images: [c.example]\n    imageKeys: [{images: [a.example/x], keys: [\"%s\"]}]\n",
		 pub);
	load_fails(yaml, "\"keys\" must list at least one PEM public key file");
	/* the top-level keys name their item too */
	snprintf(yaml, sizeof(yaml), SIG_CFG "    images: [c.example]\n    keys: [\"%s\", /nonexistent/k.pub]\n", pub);
	snprintf(want, sizeof(want), "keys[1]: /nonexistent/k.pub: cannot open");
	load_fails(yaml, want);
#undef SIG_CFG
}

/* ---- all at once ---- */

static void test_all_modules_together(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(
		"podSecurity: {level: privileged}\n"
		"policies:\n"
		"  - {id: allowed-registries, registries: [registry.corp.example], requireDigest: "
		"true, allowLatest: false}\n"
		"  - {id: required-labels, labels: [{key: team}]}\n"
		"  - {id: read-only-root-filesystem}\n"
		"  - {id: resource-limits, action: warn}\n"
		"  - {id: no-secrets-in-env}\n"
		"  - {id: forbidden-ports, action: audit}\n");
	json_t *good = harness_yaml(
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {team: a}}\nspec:\n"
		"  containers:\n"
		"    - name: c\n"
		"      image: registry.corp.example/app:1@sha256:" D64 "\n"
		"      securityContext: {readOnlyRootFilesystem: true}\n"
		"      resources: {limits: {cpu: 1, memory: 1Gi}}\n"
		"      ports: [{containerPort: 8080}]\n"
		"      env: [{name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: s, key: k}}}]\n");
	const struct engine_verdict *v = harness_judge(cfg, "Pod", good);
	if (v->nviolations != 0) {
		harness_dump(v);
		fail_msg("expected no violations");
	}
	assert_true(v->allowed);
	json_decref(good);

	json_t *bad = harness_yaml("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
				   "  containers:\n"
				   "    - name: c\n"
				   "      image: nginx\n"
				   "      ports: [{containerPort: 22}]\n"
				   "      env: [{name: DB_PASSWORD, value: x}]\n");
	v = harness_judge(cfg, "Pod", bad);
	assert_false(v->allowed);
	/* the unapproved image is one finding, whose fix names the digest */
	assert_true(harness_has(
		v, "allowed-registries",
		"not from an approved registry (allowed: registry.corp.example); use an "
		"image from one of them, pinned by digest"));
	assert_true(harness_has(v, "required-labels", "pod must carry label \"team\""));
	assert_true(harness_has(v, "read-only-root-filesystem", NULL));
	assert_true(harness_has(v, "resource-limits", NULL));
	assert_true(harness_has(v, "no-secrets-in-env", NULL));
	assert_true(harness_has(v, "forbidden-ports", NULL));
	assert_int_equal(v->nviolations, 6);
	assert_int_equal(v->ndeny, 4);
	json_decref(bad);
	config_unref(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modules_are_registered_and_off_by_default),
		cmocka_unit_test(test_allowed_registries_allows_approved_images),
		cmocka_unit_test(test_allowed_registries_denies_other_registries),
		cmocka_unit_test(test_allowed_registries_bad_images),
		cmocka_unit_test(test_allowed_registries_every_container_is_judged),
		cmocka_unit_test(test_allowed_registries_require_digest),
		cmocka_unit_test(test_allowed_registries_allow_latest),
		cmocka_unit_test(test_allowed_registries_bad_parameters),
		cmocka_unit_test(test_allowed_registries_image_exemptions),
		cmocka_unit_test(test_allowed_registries_takes_exact_images),
		cmocka_unit_test(test_image_exemptions_by_registry_prefix),
		cmocka_unit_test(test_bad_image_patterns_are_refused_at_load),
		cmocka_unit_test(test_allowed_registries_actions),
		cmocka_unit_test(test_required_labels),
		cmocka_unit_test(test_required_labels_are_pod_level),
		cmocka_unit_test(test_required_labels_empty_value_allowed_when_listed),
		cmocka_unit_test(test_required_labels_bad_parameters),
		cmocka_unit_test(test_read_only_root_filesystem),
		cmocka_unit_test(test_read_only_root_filesystem_skips_windows),
		cmocka_unit_test(test_resource_limits_default),
		cmocka_unit_test(test_resource_limits_parameters),
		cmocka_unit_test(test_resource_limits_pod_level),
		cmocka_unit_test(test_no_secrets_in_env),
		cmocka_unit_test(test_no_secrets_in_env_never_echoes_the_value),
		cmocka_unit_test(test_no_secrets_in_env_patterns),
		cmocka_unit_test(test_forbidden_ports),
		cmocka_unit_test(test_forbidden_ports_parameters),
		cmocka_unit_test(test_image_signatures_on_registry_error),
		cmocka_unit_test(test_image_signatures_image_keys_pick_the_first_match),
		cmocka_unit_test(test_image_signatures_image_keys_denial_names_the_keys),
		cmocka_unit_test(test_image_signatures_image_keys_errors_name_the_entry),
		cmocka_unit_test(test_all_modules_together),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
