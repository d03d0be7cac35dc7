/*
 * test_updates: the update rule (engine.h). An UPDATE is denied only for
 * what it introduces: a new violation, a container it adds or whose image
 * it changes, a workload template it changes. What the old object already
 * had comes back as warnings marked preexisting. `updates: all` restores
 * CREATE-like judging; an object being deleted is never judged. Also the
 * image volumes every image policy reads, and the response's warnings.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../webhook/review.h"

/* A restricted-violating pod: privileged, hostNetwork, no seccomp, runs as root. */
static const char old_pod[] =
	"apiVersion: v1\nkind: Pod\n"
	"metadata: {name: legacy, namespace: default, labels: {app: legacy, team: a},\n"
	"  finalizers: [batch.kubernetes.io/job-tracking]}\n"
	"spec:\n"
	"  hostNetwork: true\n"
	"  containers:\n"
	"    - name: app\n"
	"      image: registry.corp.example/app:1\n"
	"      securityContext: {privileged: true}\n"
	"    - name: side\n"
	"      image: registry.corp.example/side:1\n";

static struct admitd_config *cfg_default, *cfg_all, *cfg_dry, *cfg_labels, *cfg_rule,
	*cfg_registries;

static int setup(void **state)
{
	(void)state;
	cfg_default = harness_config("podSecurity: {level: restricted, action: deny}\n");
	cfg_all = harness_config("updates: all\npodSecurity: {level: restricted, action: deny}\n");
	cfg_dry = harness_config("mode: dry-run\npodSecurity: {level: restricted, action: deny}\n");
	cfg_labels = harness_config("podSecurity: {level: privileged}\n"
				    "policies:\n  - id: required-labels\n    action: deny\n"
				    "    labels: [{key: team}]\n");
	cfg_rule = harness_config(
		"podSecurity: {level: privileged}\n"
		"rules:\n  - id: no-host-network\n"
		"    assert: {path: pod.spec.hostNetwork, op: notEquals, value: 'true'}\n"
		"    message: do not use the host network\n");
	cfg_registries = harness_config("podSecurity: {level: privileged}\n"
					"policies:\n  - id: allowed-registries\n    action: deny\n"
					"    registries: [registry.corp.example]\n"
					"    exemptions: {images: [ghcr.io/trusted/tool]}\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	config_unref(cfg_default);
	config_unref(cfg_all);
	config_unref(cfg_dry);
	config_unref(cfg_labels);
	config_unref(cfg_rule);
	config_unref(cfg_registries);
	return 0;
}

static const struct engine_verdict *update(const struct admitd_config *cfg, const char *kind,
					   const json_t *old, const json_t *new)
{
	struct engine_input in = {
		.kind = kind,
		.operation = "UPDATE",
		.namespace = "default",
		.name = "legacy",
		.username = "system:serviceaccount:kube-system:job-controller",
		.object = new,
		.old_object = old,
	};
	return harness_judge_as(cfg, &in);
}

static size_t count_preexisting(const struct engine_verdict *v)
{
	size_t n = 0;
	for (const struct violation *x = v->violations; x != NULL; x = x->next)
		n += x->preexisting;
	return n;
}

/* Whether every violation is preexisting and none denies. */
static void assert_only_preexisting(const struct engine_verdict *v)
{
	if (!v->allowed || v->ndeny != 0 || v->nviolations == 0 ||
	    count_preexisting(v) != v->nviolations || v->npreexisting != v->nviolations) {
		harness_dump(v);
		fail_msg("expected only preexisting violations, allowed");
	}
	for (const struct violation *x = v->violations; x != NULL; x = x->next)
		assert_int_equal(x->action, POLICY_ACTION_WARN);
}

static void test_metadata_only_pod_updates_are_allowed_with_warnings(void **state)
{
	(void)state;
	json_t *old = harness_yaml(old_pod);
	const char *edits[] = {
		"metadata.labels.extra",     /* kubectl label */
		"metadata.annotations.note", /* kubectl annotate */
	};
	for (size_t i = 0; i < 2; i++) {
		json_t *new = json_deep_copy(old);
		json_t *meta = json_object_get(new, "metadata");
		const char *leaf = strrchr(edits[i], '.') + 1;
		const char *parent = i == 0 ? "labels" : "annotations";
		if (json_object_get(meta, parent) == NULL)
			json_object_set_new(meta, parent, json_object());
		json_object_set_new(json_object_get(meta, parent), leaf, json_string("x"));
		assert_only_preexisting(update(cfg_default, "Pod", old, new));
		json_decref(new);
	}
	/* the Job controller removes its finalizer; an operator adds an ownerReference */
	json_t *new = json_deep_copy(old);
	json_object_set_new(json_object_get(new, "metadata"), "finalizers", json_array());
	json_object_set_new(json_object_get(new, "metadata"), "ownerReferences",
			    json_pack("[{s:s,s:s,s:s,s:s}]", "apiVersion", "batch/v1", "kind",
				      "Job", "name", "j", "uid", "u"));
	assert_only_preexisting(update(cfg_default, "Pod", old, new));
	json_decref(new);
	json_decref(old);
}

static void test_strict_switch_judges_updates_as_creates(void **state)
{
	(void)state;
	json_t *old = harness_yaml(old_pod);
	json_t *new = json_deep_copy(old);
	json_object_set_new(json_object_get(json_object_get(new, "metadata"), "labels"), "x",
			    json_string("y"));
	const struct engine_verdict *v = update(cfg_all, "Pod", old, new);
	assert_false(v->allowed);
	assert_int_equal(count_preexisting(v), 0);
	assert_true(harness_has(v, "privileged", "container \"app\""));
	json_decref(new);
	json_decref(old);
}

static void test_changed_image_is_judged_in_full(void **state)
{
	(void)state;
	json_t *old = harness_yaml(old_pod);
	json_t *new = json_deep_copy(old);
	json_t *app =
		json_array_get(json_object_get(json_object_get(new, "spec"), "containers"), 0);
	json_object_set_new(app, "image", json_string("registry.corp.example/app:2"));
	const struct engine_verdict *v = update(cfg_default, "Pod", old, new);
	assert_false(v->allowed);
	/* the container whose image changed denies; the pod-level and other container's warn */
	for (const struct violation *x = v->violations; x != NULL; x = x->next) {
		bool on_app = x->container != NULL && strcmp(x->container->name, "app") == 0;
		assert_int_equal(x->preexisting, !on_app);
		assert_int_equal(x->action, on_app ? POLICY_ACTION_DENY : POLICY_ACTION_WARN);
	}
	assert_true(harness_has(v, "privileged", "container \"app\""));
	assert_true(strstr(v->message, "[privileged] container \"app\"") != NULL);
	assert_null(strstr(v->message, "container \"side\""));
	json_decref(new);
	json_decref(old);
}

static void test_added_ephemeral_container_is_judged_in_full(void **state)
{
	(void)state;
	json_t *old = harness_yaml(old_pod);
	/* kubectl debug with a compliant debug container: allowed, old violations warn */
	json_t *new = json_deep_copy(old);
	json_object_set_new(json_object_get(new, "spec"), "ephemeralContainers",
			    json_pack("[{s:s,s:s,s:{s:b,s:b,s:{s:[s]},s:{s:s}}}]", "name",
				      "debugger", "image", "registry.corp.example/debug:1",
				      "securityContext", "allowPrivilegeEscalation", 0,
				      "runAsNonRoot", 1, "capabilities", "drop", "ALL",
				      "seccompProfile", "type", "RuntimeDefault"));
	const struct engine_verdict *v = update(cfg_default, "Pod", old, new);
	assert_only_preexisting(v);
	json_decref(new);

	/* a privileged debug container is new: denied, and only it is named in the denial */
	new = json_deep_copy(old);
	json_object_set_new(json_object_get(new, "spec"), "ephemeralContainers",
			    json_pack("[{s:s,s:s,s:{s:b}}]", "name", "debugger", "image",
				      "registry.corp.example/debug:1", "securityContext",
				      "privileged", 1));
	v = update(cfg_default, "Pod", old, new);
	assert_false(v->allowed);
	assert_non_null(strstr(v->message, "[privileged] container \"debugger\""));
	assert_null(strstr(v->message, "container \"app\""));
	json_decref(new);
	json_decref(old);
}

static void test_workload_without_template_change_is_not_denied(void **state)
{
	(void)state;
	json_t *pod = harness_yaml(old_pod);
	json_t *old = harness_wrap("Deployment", pod);
	json_object_set_new(json_object_get(old, "spec"), "replicas", json_integer(3));
	/* scaled with a plain UPDATE, then the revision annotation bumped */
	json_t *new = json_deep_copy(old);
	json_object_set_new(json_object_get(new, "spec"), "replicas", json_integer(0));
	json_t *meta = json_object_get(new, "metadata");
	if (meta == NULL)
		json_object_set_new(new, "metadata", meta = json_object());
	json_object_set_new(meta, "annotations",
			    json_pack("{s:s}", "deployment.kubernetes.io/revision", "7"));
	for (const char *const *k = (const char *const[]){"Deployment", "ReplicaSet", NULL}; *k;
	     k++)
		assert_only_preexisting(update(cfg_default, *k, old, new));

	/* a template change is judged in full, even to another non-compliant template */
	json_t *tmpl = json_deep_copy(new);
	json_t *spec =
		json_object_get(json_object_get(json_object_get(tmpl, "spec"), "template"), "spec");
	json_object_set_new(spec, "hostPID", json_true());
	const struct engine_verdict *v = update(cfg_default, "Deployment", old, tmpl);
	assert_false(v->allowed);
	assert_int_equal(count_preexisting(v), 0);
	assert_true(harness_has(v, "privileged", NULL));
	assert_true(harness_has(v, "host-namespaces", "hostPID"));
	json_decref(tmpl);
	json_decref(new);
	json_decref(old);
	json_decref(pod);
}

static void test_being_deleted_is_never_denied(void **state)
{
	(void)state;
	json_t *old = harness_yaml(old_pod);
	json_object_set_new(json_object_get(old, "metadata"), "deletionTimestamp",
			    json_string("2026-12-02T10:00:00Z"));
	json_t *new = json_deep_copy(old);
	json_object_set_new(json_object_get(new, "metadata"), "finalizers", json_array());
	/* even the strict switch lets a deletion finish */
	const struct admitd_config *cfgs[] = {cfg_default, cfg_all};
	for (size_t i = 0; i < 2; i++) {
		const struct engine_verdict *v = update(cfgs[i], "Pod", old, new);
		assert_true(v->allowed);
		assert_int_equal(v->nviolations, 0);
		assert_non_null(v->exemptions);
		assert_non_null(strstr(v->exemptions->reason, "deletionTimestamp"));
	}
	json_decref(new);
	json_decref(old);
}

static void test_removing_a_required_label_is_a_new_violation(void **state)
{
	(void)state;
	json_t *old = harness_yaml(old_pod);
	json_t *new = json_deep_copy(old);
	json_object_del(json_object_get(json_object_get(new, "metadata"), "labels"), "team");
	const struct engine_verdict *v = update(cfg_labels, "Pod", old, new);
	assert_false(v->allowed);
	assert_true(harness_has(v, "required-labels", "team"));
	assert_int_equal(count_preexisting(v), 0);
	json_decref(new);

	/* a pod that never had it: a label edit elsewhere is not denied for it */
	json_t *older = json_deep_copy(old);
	json_object_del(json_object_get(json_object_get(older, "metadata"), "labels"), "team");
	new = json_deep_copy(older);
	json_object_set_new(json_object_get(json_object_get(new, "metadata"), "labels"), "x",
			    json_string("y"));
	assert_only_preexisting(update(cfg_labels, "Pod", older, new));
	json_decref(new);
	json_decref(older);
	json_decref(old);
}

static void test_custom_rules_follow_the_rule_and_dry_run_warns_plainly(void **state)
{
	(void)state;
	json_t *old = harness_yaml(old_pod);
	json_t *new = json_deep_copy(old);
	json_object_set_new(json_object_get(new, "metadata"), "annotations",
			    json_pack("{s:s}", "a", "b"));
	const struct engine_verdict *v = update(cfg_rule, "Pod", old, new);
	assert_only_preexisting(v);
	assert_true(harness_has(v, "no-host-network", NULL));
	/* in dry-run, a violation that predates the update is not a would-deny */
	v = update(cfg_dry, "Pod", old, new);
	assert_only_preexisting(v);
	assert_null(v->message);
	json_decref(new);
	json_decref(old);
}

static void test_malformed_old_object_vouches_for_nothing(void **state)
{
	(void)state;
	json_t *new = harness_yaml(old_pod);
	json_t *old = harness_yaml("{metadata: {name: legacy}, spec: {containers: 7}}");
	const struct engine_verdict *v = update(cfg_default, "Pod", old, new);
	assert_false(v->allowed);
	assert_int_equal(count_preexisting(v), 0);
	json_decref(new);
	json_decref(old);
}

static void test_violation_keys_name_policy_scope_and_detail(void **state)
{
	(void)state;
	json_t *pod = harness_yaml(old_pod);
	const struct engine_verdict *v = harness_judge(cfg_default, "Pod", pod);
	struct arena a;
	arena_init(&a);
	bool seen_container = false, seen_pod = false;
	for (const struct violation *x = v->violations; x != NULL; x = x->next) {
		const char *k = violation_key(&a, x);
		assert_non_null(k);
		assert_int_equal(strncmp(k, x->policy->id, strlen(x->policy->id)), 0);
		if (x->container != NULL) {
			char want[128];
			snprintf(want, sizeof(want), "|containers/%s|", x->container->name);
			assert_non_null(strstr(k, want));
			seen_container = true;
		} else {
			assert_non_null(strstr(k, "|pod|"));
			seen_pod = true;
		}
		/* distinct violations have distinct keys */
		for (const struct violation *y = x->next; y != NULL; y = y->next)
			assert_string_not_equal(k, violation_key(&a, y));
	}
	assert_true(seen_container && seen_pod);
	arena_free(&a);
	json_decref(pod);
}

static const char volume_pod[] =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: vols}\n"
	"spec:\n"
	"  containers: [{name: app, image: registry.corp.example/app:1}]\n"
	"  volumes:\n"
	"    - {name: cfg, configMap: {name: c}}\n"
	"    - {name: models, image: {reference: docker.io/evil/models:1, pullPolicy: Always}}\n"
	"    - {name: tools, image: {reference: ghcr.io/trusted/tool:2}}\n"
	"    - {name: ok, image: {reference: registry.corp.example/data:3}}\n";

static void test_image_volumes_are_judged_by_image_policies(void **state)
{
	(void)state;
	json_t *pod = harness_yaml(volume_pod);
	const struct engine_verdict *v = harness_judge(cfg_registries, "Pod", pod);
	if (v->allowed || v->ndeny != 1) {
		harness_dump(v);
		fail_msg("expected one denial, for the volume models");
	}
	assert_true(
		harness_has(v, "allowed-registries",
			    "volume \"models\" image \"docker.io/evil/models:1\" is not from an "
			    "approved registry"));
	/* exemptions.images covers an image volume too */
	bool exempt = false;
	for (const struct engine_exemption *e = v->exemptions; e != NULL; e = e->next)
		exempt |= strstr(e->reason, "ghcr.io/trusted/tool:2") != NULL;
	assert_true(exempt);

	/* the same in a workload template, and a reference that is missing or not a string */
	json_t *d = harness_wrap("Deployment", pod);
	v = harness_judge(cfg_registries, "Deployment", d);
	assert_true(harness_has(v, "allowed-registries", "volume \"models\""));
	json_decref(d);
	json_t *bad = harness_yaml("kind: Pod\nspec:\n  containers: [{name: a, image: "
				   "registry.corp.example/a:1}]\n  volumes:\n"
				   "    - {name: none, image: {pullPolicy: Always}}\n"
				   "    - {name: num, image: {reference: 7}}\n");
	v = harness_judge(cfg_registries, "Pod", bad);
	assert_true(harness_has(v, "allowed-registries", "volume \"none\" has no image.reference"));
	assert_true(harness_has(v, "allowed-registries",
				"volume \"num\" has an image.reference that is not a string"));
	json_decref(bad);
	bad = harness_yaml(
		"kind: Pod\nspec:\n  volumes: [{name: x, image: registry.corp.example/a}]\n");
	v = harness_judge(cfg_registries, "Pod", bad);
	assert_false(v->allowed);
	assert_non_null(v->error);
	assert_non_null(strstr(v->error, "spec.volumes[0].image is not an object"));
	json_decref(bad);
	json_decref(pod);
}

/* ---- the response's warnings ---- */

static json_t *encode(const struct admitd_config *cfg, const struct engine_verdict *v)
{
	struct review rv = {.api_version = "admission.k8s.io/v1", .uid = "u"};
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(review_encode(&rv, v, cfg, &text, &len), 0);
	json_t *doc = json_loadb(text, len, 0, NULL);
	free(text);
	assert_non_null(doc);
	return doc;
}

static void test_preexisting_warnings_say_so_and_are_annotated(void **state)
{
	(void)state;
	json_t *old = harness_yaml(old_pod);
	json_t *new = json_deep_copy(old);
	json_object_set_new(json_object_get(new, "metadata"), "finalizers", json_array());
	const struct engine_verdict *v = update(cfg_default, "Pod", old, new);
	json_t *doc = encode(cfg_default, v);
	const json_t *resp = json_object_get(doc, "response");
	assert_true(json_is_true(json_object_get(resp, "allowed")));
	const json_t *w = json_object_get(resp, "warnings");
	assert_int_equal(json_array_size(w), v->nviolations);
	size_t i;
	const json_t *x;
	json_array_foreach(w, i, x)
	{
		const char *s = json_string_value(x);
		assert_int_equal(s[0], '[');
		assert_non_null(strstr(s, "] (predates this update, not denied) "));
	}
	const char *pre = json_string_value(
		json_object_get(json_object_get(resp, "auditAnnotations"), "preexisting"));
	assert_non_null(pre);
	assert_non_null(strstr(pre, "[privileged] container \"app\""));
	json_decref(doc);
	json_decref(new);
	json_decref(old);
}

static void test_warnings_are_cut_on_utf8_boundaries_and_bounded(void **state)
{
	(void)state;
	/* a long custom-rule message of 2-byte characters, cut anywhere, stays UTF-8 */
	char cfgtext[4096], msg[1200] = "";
	for (int i = 0; i < 300; i++)
		strcat(msg, "\xc3\xa9"); /* é */
	snprintf(cfgtext, sizeof(cfgtext),
		 "podSecurity: {level: privileged}\nrules:\n"
		 "  - id: long\n    action: warn\n"
		 "    assert: {path: 'pod.spec.containers[*].name', op: equals, value: never}\n"
		 "    message: \"x%s\"\n",
		 msg);
	struct admitd_config *cfg = harness_config(cfgtext);
	/* 40 containers: 40 warnings would pass the API server's 4,096-byte total */
	json_t *pod = harness_yaml("kind: Pod\nspec: {containers: []}\n");
	json_t *list = json_object_get(json_object_get(pod, "spec"), "containers");
	for (int i = 0; i < 40; i++) {
		char name[16];
		snprintf(name, sizeof(name), "c%d", i);
		json_array_append_new(list, json_pack("{s:s,s:s}", "name", name, "image", "x"));
	}
	const struct engine_verdict *v = harness_judge(cfg, "Pod", pod);
	assert_int_equal(v->nviolations, 40);
	json_t *doc = encode(cfg, v);
	const json_t *resp = json_object_get(doc, "response");
	const json_t *w = json_object_get(resp, "warnings");
	size_t i, total = 0;
	const json_t *x;
	assert_true(json_array_size(w) > 1 && json_array_size(w) < 40);
	json_array_foreach(w, i, x)
	{
		size_t n = json_string_length(x);
		assert_true(n <= REVIEW_WARNING_MAX);
		total += n;
		if (i + 1 < json_array_size(w))
			assert_non_null(
				strstr(json_string_value(x), "(cut; full text in the audit"));
	}
	assert_true(total <= REVIEW_WARNINGS_TOTAL);
	const char *last = json_string_value(json_array_get(w, json_array_size(w) - 1));
	char want[64];
	snprintf(want, sizeof(want), "[admitd] %zu more warnings not shown",
		 40 - (json_array_size(w) - 1));
	assert_non_null(strstr(last, want));
	/* the full text of every one is in the annotation */
	const char *all = json_string_value(
		json_object_get(json_object_get(resp, "auditAnnotations"), "warn"));
	assert_non_null(all);
	assert_non_null(strstr(all, "container \"c39\""));
	assert_true(strlen(all) > 40 * 600);
	json_decref(doc);
	json_decref(pod);
	config_unref(cfg);
}

static void test_utf8_cut_never_splits_a_character(void **state)
{
	(void)state;
	const char s[] = "ab\xe2\x82\xac"; /* ab€ */
	assert_int_equal(review_utf8_cut(s, 5, 10), 5);
	assert_int_equal(review_utf8_cut(s, 5, 4), 2);
	assert_int_equal(review_utf8_cut(s, 5, 3), 2);
	assert_int_equal(review_utf8_cut(s, 5, 2), 2);
	assert_int_equal(review_utf8_cut(s, 5, 1), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metadata_only_pod_updates_are_allowed_with_warnings),
		cmocka_unit_test(test_strict_switch_judges_updates_as_creates),
		cmocka_unit_test(test_changed_image_is_judged_in_full),
		cmocka_unit_test(test_added_ephemeral_container_is_judged_in_full),
		cmocka_unit_test(test_workload_without_template_change_is_not_denied),
		cmocka_unit_test(test_being_deleted_is_never_denied),
		cmocka_unit_test(test_removing_a_required_label_is_a_new_violation),
		cmocka_unit_test(test_custom_rules_follow_the_rule_and_dry_run_warns_plainly),
		cmocka_unit_test(test_malformed_old_object_vouches_for_nothing),
		cmocka_unit_test(test_violation_keys_name_policy_scope_and_detail),
		cmocka_unit_test(test_image_volumes_are_judged_by_image_policies),
		cmocka_unit_test(test_preexisting_warnings_say_so_and_are_annotated),
		cmocka_unit_test(test_warnings_are_cut_on_utf8_boundaries_and_bounded),
		cmocka_unit_test(test_utf8_cut_never_splits_a_character),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
