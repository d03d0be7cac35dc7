/*
 * test_review: the AdmissionReview codec and the workload model: decoding
 * v1 and v1beta1, every judged kind and container list, the verdict
 * document, and every kind of bad input.
 */
#include "harness.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../policies/registry.h"
#include "../../webhook/kinds.h"
#include "../../webhook/metrics.h"
#include "../../webhook/review.h"
#include "../../webhook/workload.h"

static struct admitd_config *privileged_only;

static int setup(void **state)
{
	(void)state;
	privileged_only = harness_config("podSecurity: {level: privileged}\n"
					 "policies:\n  - {id: privileged, action: deny}\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	config_unref(privileged_only);
	return 0;
}

/* A review around `object` text, in apiVersion `api`. */
static char *make_review(const char *api, const char *group, const char *kind, const char *op,
			 const char *object)
{
	char *buf = malloc(strlen(object) + 1024);
	assert_non_null(buf);
	sprintf(buf,
		"{\"apiVersion\":\"%s\",\"kind\":\"AdmissionReview\",\"request\":{"
		"\"uid\":\"u-1\",\"kind\":{\"group\":\"%s\",\"version\":\"v1\",\"kind\":\"%s\"},"
		"\"operation\":\"%s\",\"namespace\":\"ns\",\"name\":\"n\","
		"\"userInfo\":{\"username\":\"alice\",\"groups\":[\"dev\"]},\"object\":%s}}",
		api, group, kind, op, object);
	return buf;
}

/* Decodes, judges with cfg, encodes; returns the response document. */
static json_t *roundtrip_with(const struct admitd_config *cfg, const char *body,
			      struct engine_verdict *out_verdict)
{
	struct review rv;
	char err[256];
	struct arena a;
	arena_init(&a);
	if (review_decode(body, strlen(body), REVIEW_MAX_DEPTH, &rv, err, sizeof(err)) < 0)
		fail_msg("decode failed: %s", err);
	struct engine_verdict v;
	memset(&v, 0, sizeof(v));
	v.allowed = true;
	if (review_judged(&rv))
		assert_int_equal(engine_evaluate(cfg, &rv.in, &a, &v), 0);
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(review_encode(&rv, &v, cfg, &text, &len), 0);
	json_t *doc = json_loadb(text, len, 0, NULL);
	assert_non_null(doc);
	if (out_verdict != NULL) {
		out_verdict->allowed = v.allowed;
		out_verdict->judged = v.judged;
		out_verdict->nviolations = v.nviolations;
	}
	free(text);
	review_free(&rv);
	arena_free(&a);
	return doc;
}

/* Decodes, judges with privileged_only, encodes; returns the response document. */
static json_t *roundtrip(const char *body, struct engine_verdict *out_verdict)
{
	return roundtrip_with(privileged_only, body, out_verdict);
}

static const char pod_priv_in_list_fmt[] =
	"{\"metadata\":{\"name\":\"p\"},\"spec\":{\"%s\":[{\"name\":\"c\",\"image\":\"x\","
	"\"securityContext\":{\"privileged\":true}}]}}";

static void test_v1_and_v1beta1_echo_api_version_and_uid(void **state)
{
	(void)state;
	const char *apis[] = {"admission.k8s.io/v1", "admission.k8s.io/v1beta1"};
	for (int i = 0; i < 2; i++) {
		char *body = make_review(apis[i], "", "Pod", "CREATE", "{\"spec\":{}}");
		json_t *doc = roundtrip(body, NULL);
		assert_string_equal(json_string_value(json_object_get(doc, "apiVersion")), apis[i]);
		assert_string_equal(json_string_value(json_object_get(doc, "kind")),
				    "AdmissionReview");
		json_t *resp = json_object_get(doc, "response");
		assert_string_equal(json_string_value(json_object_get(resp, "uid")), "u-1");
		assert_true(json_is_true(json_object_get(resp, "allowed")));
		assert_null(json_object_get(resp, "status"));
		json_decref(doc);
		free(body);
	}
}

static void test_every_container_list_is_judged(void **state)
{
	(void)state;
	const char *lists[] = {"containers", "initContainers", "ephemeralContainers"};
	for (int i = 0; i < 3; i++) {
		char obj[512];
		snprintf(obj, sizeof(obj), pod_priv_in_list_fmt, lists[i]);
		char *body = make_review("admission.k8s.io/v1", "", "Pod", "CREATE", obj);
		json_t *doc = roundtrip(body, NULL);
		json_t *resp = json_object_get(doc, "response");
		assert_true(json_is_false(json_object_get(resp, "allowed")));
		json_t *status = json_object_get(resp, "status");
		assert_int_equal(json_integer_value(json_object_get(status, "code")), 403);
		assert_string_equal(json_string_value(json_object_get(status, "reason")),
				    "Forbidden");
		assert_string_equal(
			json_string_value(json_object_get(status, "message")),
			"Pod \"n\" in namespace \"ns\": [privileged] container \"c\" must "
			"not set securityContext.privileged=true");
		json_decref(doc);
		free(body);
	}
}

static void test_every_workload_kind_is_judged_on_its_template(void **state)
{
	(void)state;
	static const struct {
		const char *kind, *group, *fmt;
	} kinds[] = {
		{"Deployment", "apps", "{\"spec\":{\"template\":%s}}"},
		{"ReplicaSet", "apps", "{\"spec\":{\"template\":%s}}"},
		{"StatefulSet", "apps", "{\"spec\":{\"template\":%s}}"},
		{"DaemonSet", "apps", "{\"spec\":{\"template\":%s}}"},
		{"ReplicationController", "", "{\"spec\":{\"template\":%s}}"},
		{"Job", "batch", "{\"spec\":{\"template\":%s}}"},
		{"CronJob", "batch", "{\"spec\":{\"jobTemplate\":{\"spec\":{\"template\":%s}}}}"},
	};
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		char pod[512], obj[1024];
		snprintf(pod, sizeof(pod), pod_priv_in_list_fmt, "initContainers");
		snprintf(obj, sizeof(obj), kinds[k].fmt, pod);
		char *body = make_review("admission.k8s.io/v1", kinds[k].group, kinds[k].kind,
					 "CREATE", obj);
		struct engine_verdict v;
		json_t *doc = roundtrip(body, &v);
		if (v.allowed)
			fail_msg("%s with a privileged template was allowed", kinds[k].kind);
		const char *msg = json_string_value(
			jp_get(json_object_get(doc, "response"), "status.message"));
		assert_non_null(strstr(msg, kinds[k].kind));
		json_decref(doc);
		free(body);
	}
}

/* Every row of kinds.c: judged on its template path under its groups, not under another
 * group, and named in docs/server.md, so that adding a kind is one row and its doc. */
static void test_every_kinds_row_is_judged_and_documented(void **state)
{
	(void)state;
	FILE *f = fopen("docs/server.md", "r");
	assert_non_null(f);
	static char doc[65536];
	size_t n = fread(doc, 1, sizeof(doc) - 1, f);
	doc[n] = '\0';
	fclose(f);
	const char *judged = strstr(doc, "## What is judged");
	assert_non_null(judged);
	for (size_t k = 0; k < kinds_count; k++) {
		const struct kind_desc *d = &kinds_table[k];
		char what[64];
		snprintf(what, sizeof(what), "%s", d->kind);
		if (strstr(judged, what) == NULL)
			fail_msg("docs/server.md \"What is judged\" does not name %s", d->kind);
		/* the pod, nested at the row's template path */
		char pod[512], obj[2048];
		snprintf(pod, sizeof(pod), pod_priv_in_list_fmt, "containers");
		if (d->template_path == NULL) {
			snprintf(obj, sizeof(obj), "%s", pod);
		} else {
			char path[128], *save = NULL, open_[1024] = "", close_[256] = "";
			snprintf(path, sizeof(path), "%s", d->template_path);
			for (char *seg = strtok_r(path, ".", &save); seg;
			     seg = strtok_r(NULL, ".", &save)) {
				strcat(open_, "{\"");
				strcat(open_, seg);
				strcat(open_, "\":");
				strcat(close_, "}");
			}
			snprintf(obj, sizeof(obj), "%s%s%s", open_, pod, close_);
		}
		const char *groups[] = {d->group, d->old_group, "example.com"};
		for (size_t g = 0; g < 3; g++) {
			if (groups[g] == NULL)
				continue;
			char *body = make_review("admission.k8s.io/v1", groups[g], d->kind,
						 "CREATE", obj);
			struct engine_verdict v;
			json_t *doc_ = roundtrip(body, &v);
			bool other = g == 2;
			if (v.allowed != other)
				fail_msg("%s in group \"%s\": allowed=%d", d->kind, groups[g],
					 v.allowed);
			json_decref(doc_);
			free(body);
		}
	}
}

static void test_kind_from_another_group_is_not_judged(void **state)
{
	(void)state;
	char pod[512], obj[1024];
	snprintf(pod, sizeof(pod), pod_priv_in_list_fmt, "containers");
	snprintf(obj, sizeof(obj), "{\"spec\":{\"template\":%s}}", pod);
	char *body =
		make_review("admission.k8s.io/v1", "acme.example", "Deployment", "CREATE", obj);
	struct engine_verdict v;
	json_decref(roundtrip(body, &v));
	assert_true(v.allowed);
	free(body);
}

/* privileged at deny, and two custom resources that embed a pod template */
static const char workloads_yaml[] =
	"podSecurity: {level: privileged}\n"
	"policies:\n  - {id: privileged, action: deny}\n"
	"workloads:\n"
	"  - {group: argoproj.io, kind: Rollout, podTemplate: spec.template, resource: rollouts, "
	"versions: [v1alpha1]}\n"
	"  - {group: serving.knative.dev, kind: Service, podTemplate: spec.template, resource: "
	"services, versions: [v1]}\n";

static const char rollout_priv[] =
	"{\"apiVersion\":\"argoproj.io/v1alpha1\",\"kind\":\"Rollout\",\"metadata\":{\"name\":"
	"\"n\"},\"spec\":{\"strategy\":{\"canary\":{}},\"template\":{\"metadata\":{\"labels\":{"
	"\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"x\","
	"\"securityContext\":{\"privileged\":true}}]}}}}";

static void test_configured_rollout_is_judged_by_group_and_kind(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(workloads_yaml);
	struct engine_verdict v;
	char *body = make_review("admission.k8s.io/v1", "argoproj.io", "Rollout", "CREATE",
				 rollout_priv);
	json_t *doc = roundtrip_with(cfg, body, &v);
	assert_false(v.allowed);
	const char *msg =
		json_string_value(jp_get(json_object_get(doc, "response"), "status.message"));
	assert_non_null(strstr(msg, "Rollout \"n\" in namespace \"ns\": [privileged] container "
				    "\"app\" must not set securityContext.privileged=true"));
	json_decref(doc);
	/* the configuration that does not list it leaves it alone, like any CRD */
	json_decref(roundtrip(body, &v));
	assert_true(v.allowed);
	assert_false(v.judged);
	free(body);
	/* a Rollout of another group is another kind: not judged, whatever it holds */
	body = make_review("admission.k8s.io/v1", "example.com", "Rollout", "CREATE", rollout_priv);
	json_decref(roundtrip_with(cfg, body, &v));
	assert_true(v.allowed);
	assert_false(v.judged);
	free(body);
	/* Knative: spec.template is a RevisionTemplateSpec, a pod's metadata and spec; its
	 * containers often have no name */
	body = make_review(
		"admission.k8s.io/v1", "serving.knative.dev", "Service", "CREATE",
		"{\"spec\":{\"template\":{\"spec\":{\"containerConcurrency\":0,\"containers\":[{"
		"\"image\":\"x\",\"securityContext\":{\"privileged\":true}}]}}}}");
	json_decref(roundtrip_with(cfg, body, &v));
	assert_false(v.allowed);
	assert_int_equal(v.nviolations, 1);
	free(body);
	/* the core group's Service is not Knative's */
	body = make_review("admission.k8s.io/v1", "", "Service", "CREATE", "{\"spec\":{}}");
	json_decref(roundtrip_with(cfg, body, &v));
	assert_false(v.judged);
	free(body);
	config_unref(cfg);
}

/* A configured kind's schema may leave its template untyped: what is not an object along
 * the path is denied, never judged as an absent template. */
static void test_configured_template_path_through_a_non_object_fails_closed(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(workloads_yaml);
	static const struct {
		const char *object, *error;
	} cases[] = {
		{"{\"spec\":\"x\"}", "malformed object: spec is not an object"},
		{"{\"spec\":[]}", "malformed object: spec is not an object"},
		{"{\"spec\":{\"template\":[]}}",
		 "malformed object: spec.template is not an object"},
		{"{\"spec\":{\"template\":{\"spec\":7}}}",
		 "malformed object: spec.template.spec is not an object"},
		/* absent: a Rollout with workloadRef points at a Deployment, judged on its own */
		{"{\"spec\":{\"workloadRef\":{\"kind\":\"Deployment\",\"name\":\"web\"}}}", NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *body = make_review("admission.k8s.io/v1", "argoproj.io", "Rollout", "CREATE",
					 cases[i].object);
		struct engine_verdict v;
		json_t *doc = roundtrip_with(cfg, body, &v);
		const char *msg = json_string_value(
			jp_get(json_object_get(doc, "response"), "status.message"));
		if (cases[i].error == NULL) {
			assert_true(v.allowed);
			assert_true(v.judged);
		} else if (v.allowed || msg == NULL || strstr(msg, cases[i].error) == NULL) {
			fail_msg("%s: allowed=%d message %s", cases[i].object, v.allowed,
				 msg ? msg : "(none)");
		}
		json_decref(doc);
		free(body);
	}
	config_unref(cfg);
}

/* Files (audit, admitd test) carry no request.kind: the group is the apiVersion's. */
static void test_configured_kind_in_a_file_is_judged_by_its_api_version(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(workloads_yaml);
	json_t *obj = json_loads(rollout_priv, 0, NULL);
	assert_non_null(obj);
	struct engine_input in = {
		.kind = "Rollout", .operation = "CREATE", .namespace = "ns", .object = obj};
	const struct engine_verdict *v = harness_judge_as(cfg, &in);
	assert_false(v->allowed);
	assert_true(harness_has(v, "privileged", "container \"app\""));
	json_object_set_new(obj, "apiVersion", json_string("example.com/v1"));
	assert_false(harness_judge_as(cfg, &in)->judged);
	/* no apiVersion at all: a custom resource is told apart by its group only */
	json_object_del(obj, "apiVersion");
	assert_false(harness_judge_as(cfg, &in)->judged);
	/* request.kind.group, when given, is what counts */
	in.group = "argoproj.io";
	assert_false(harness_judge_as(cfg, &in)->allowed);
	json_decref(obj);
	config_unref(cfg);
}

/* The kind label stays bounded and unambiguous: a configured kind is `Kind.group`. */
static void test_metrics_label_a_configured_kind_with_its_group(void **state)
{
	(void)state;
	struct admitd_config *cfg = harness_config(workloads_yaml);
	static struct metrics_thread t;
	metrics_register(&t);
	struct engine_verdict v = {.allowed = false};
	metrics_decision(&t, kinds_lookup(cfg, "argoproj.io", "Rollout"), "CREATE", &v,
			 ADMITD_MODE_ENFORCE);
	metrics_decision(&t, kinds_lookup(cfg, "example.com", "Rollout"), "CREATE", &v,
			 ADMITD_MODE_ENFORCE);
	metrics_decision(&t, kinds_lookup(cfg, "apps", "Deployment"), "CREATE", &v,
			 ADMITD_MODE_ENFORCE);
	size_t len = 0;
	char *text = metrics_render(cfg, &len);
	assert_non_null(text);
	static const char *const want[] = {
		"admitd_decisions_total{kind=\"Rollout.argoproj.io\",operation=\"CREATE\","
		"allowed=\"false\",mode=\"enforce\"} 1\n",
		"admitd_decisions_total{kind=\"other\",operation=\"CREATE\",allowed=\"false\","
		"mode=\"enforce\"} 1\n",
		"admitd_decisions_total{kind=\"Deployment\",operation=\"CREATE\",allowed=\"false\","
		"mode=\"enforce\"} 1\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (strstr(text, want[i]) == NULL)
			fail_msg("no line %s in\n%s", want[i], text);
	free(text);
	config_unref(cfg);
}

static void test_update_is_judged_delete_and_connect_are_not(void **state)
{
	(void)state;
	char obj[512];
	snprintf(obj, sizeof(obj), pod_priv_in_list_fmt, "containers");
	struct engine_verdict v;
	char *body = make_review("admission.k8s.io/v1", "", "Pod", "UPDATE", obj);
	json_decref(roundtrip(body, &v));
	assert_false(v.allowed);
	free(body);
	body = make_review("admission.k8s.io/v1", "", "Pod", "DELETE", obj);
	json_decref(roundtrip(body, &v));
	assert_true(v.allowed);
	free(body);
	body = make_review("admission.k8s.io/v1", "", "Pod", "CONNECT", obj);
	json_decref(roundtrip(body, &v));
	assert_true(v.allowed);
	free(body);
}

static void test_status_subresource_is_not_judged_ephemeral_is(void **state)
{
	(void)state;
	char obj[512];
	snprintf(obj, sizeof(obj), pod_priv_in_list_fmt, "ephemeralContainers");
	const char *subs[] = {"status", "ephemeralcontainers"};
	for (int i = 0; i < 2; i++) {
		char *body = make_review("admission.k8s.io/v1", "", "Pod", "UPDATE", obj);
		char *at = strstr(body, "\"operation\"");
		char *patched = malloc(strlen(body) + 64);
		sprintf(patched, "%.*s\"subResource\":\"%s\",%s", (int)(at - body), body, subs[i],
			at);
		struct engine_verdict v;
		json_decref(roundtrip(patched, &v));
		assert_int_equal(v.allowed, i == 0);
		free(patched);
		free(body);
	}
}

static void test_kubectl_generated_objects_decode(void **state)
{
	(void)state;
	const char *files[] = {"tests/data/kubectl-deployment.json", "tests/data/kubectl-job.json",
			       "tests/data/kubectl-cronjob.json"};
	for (int i = 0; i < 3; i++) {
		json_t *docs = harness_file_docs(files[i]);
		json_t *obj = json_array_get(docs, 0);
		const char *kind = json_string_value(json_object_get(obj, "kind"));
		struct pod_view view;
		const char *why = NULL;
		struct arena a;
		arena_init(&a);
		assert_int_equal(workload_pod_view(kinds_find(kind), obj, &a, &view, &why),
				 WORKLOAD_OK);
		assert_int_equal(view.ncontainers, 1);
		assert_string_equal(view.containers[0].list, "containers");
		assert_non_null(view.containers[0].image);
		arena_free(&a);
		json_decref(docs);
	}
}

static void test_pod_view_labels_are_the_templates(void **state)
{
	(void)state;
	json_t *obj = harness_yaml(
		"kind: Deployment\n"
		"metadata: {labels: {owner: deploy}}\n"
		"spec:\n  template:\n    metadata: {labels: {app: web}}\n"
		"    spec: {containers: [{name: a, image: x}], initContainers: "
		"[{name: b, image: y}], ephemeralContainers: [{name: c, image: z}]}\n");
	struct pod_view view;
	const char *why;
	struct arena a;
	arena_init(&a);
	assert_int_equal(workload_pod_view(kinds_find("Deployment"), obj, &a, &view, &why),
			 WORKLOAD_OK);
	assert_string_equal(json_string_value(json_object_get(view.pod_labels, "app")), "web");
	assert_null(json_object_get(view.pod_labels, "owner"));
	assert_int_equal(view.ncontainers, 3);
	assert_string_equal(view.containers[1].name, "b");
	assert_string_equal(view.containers[1].list, "initContainers");
	assert_string_equal(view.containers[2].list, "ephemeralContainers");
	assert_string_equal(view.spec_path, "spec.template.spec");
	arena_free(&a);
	json_decref(obj);
}

static void test_malformed_pod_parts_fail_closed(void **state)
{
	(void)state;
	const char *objs[] = {
		"{\"spec\":\"nope\"}",
		"{\"spec\":{\"containers\":{}}}",
		"{\"spec\":{\"containers\":[1]}}",
		"{\"metadata\":[],\"spec\":{}}",
		"[]",
	};
	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		char *body = make_review("admission.k8s.io/v1", "", "Pod", "CREATE", objs[i]);
		struct engine_verdict v;
		json_t *doc = roundtrip(body, &v);
		if (v.allowed)
			fail_msg("malformed object %s was allowed", objs[i]);
		const char *msg = json_string_value(
			jp_get(json_object_get(doc, "response"), "status.message"));
		assert_non_null(strstr(msg, "malformed object"));
		json_decref(doc);
		free(body);
	}
}

static void test_malformed_in_dry_run_warns_and_exempt_namespace_passes(void **state)
{
	(void)state;
	struct admitd_config *dry =
		harness_config("mode: dry-run\npodSecurity: {level: restricted}\n"
			       "exemptions: {namespaces: [kube-system]}\n");
	json_t *obj = json_loads("{\"spec\":\"nope\"}", 0, NULL);
	const struct engine_verdict *v = harness_judge(dry, "Pod", obj);
	assert_true(v->allowed);
	assert_non_null(v->error);
	struct engine_input in = {
		.kind = "Pod", .operation = "CREATE", .namespace = "kube-system", .object = obj};
	config_unref(dry);
	struct admitd_config *enforce = harness_config("exemptions: {namespaces: [kube-system]}\n");
	v = harness_judge_as(enforce, &in);
	assert_true(v->allowed);
	assert_non_null(v->exemptions);
	in.namespace = "default";
	v = harness_judge_as(enforce, &in);
	assert_false(v->allowed);
	config_unref(enforce);
	json_decref(obj);
}

static void assert_decode_fails(const char *body, const char *expect)
{
	struct review rv;
	char err[256] = "";
	assert_int_equal(review_decode(body, strlen(body), REVIEW_MAX_DEPTH, &rv, err, sizeof(err)),
			 -1);
	if (strstr(err, expect) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", err, expect);
}

static void test_bad_inputs_are_rejected_with_a_reason(void **state)
{
	(void)state;
	assert_decode_fails("", "empty body");
	assert_decode_fails("{", "invalid JSON");
	assert_decode_fails("[1]", "must be a JSON object");
	assert_decode_fails("{\"apiVersion\":\"v1\",\"kind\":\"AdmissionReview\"}", "apiVersion");
	assert_decode_fails("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"Pod\"}", "kind");
	assert_decode_fails("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}",
			    "request must be an object");
	assert_decode_fails("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
			    "\"request\":\"x\"}",
			    "request must be an object");
	assert_decode_fails("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
			    "\"request\":{\"operation\":\"CREATE\"}}",
			    "uid");
	assert_decode_fails("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
			    "\"request\":{\"uid\":7,\"operation\":\"CREATE\"}}",
			    "uid");
	assert_decode_fails("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
			    "\"request\":{\"uid\":\"a\",\"uid\":\"b\"}}",
			    "duplicate");
	assert_decode_fails("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
			    "\"request\":{\"uid\":\"a\",\"operation\":\"CREATE\",\"kind\":[]}}",
			    "request.kind");
	/* duplicates deep inside the object are just as dangerous */
	assert_decode_fails(
		"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
		"\"request\":{\"uid\":\"a\",\"operation\":\"CREATE\",\"object\":{\"spec\":"
		"{\"hostNetwork\":true,\"hostNetwork\":false}}}}",
		"duplicate");
	char deep[1024];
	int n = sprintf(deep,
			"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
			"\"request\":{\"uid\":\"a\",\"operation\":\"CREATE\",\"object\":");
	for (int i = 0; i < 80; i++)
		deep[n++] = '[';
	for (int i = 0; i < 80; i++)
		deep[n++] = ']';
	strcpy(deep + n, "}}");
	assert_decode_fails(deep, "nested deeper");
}

/* a size near SIZE_MAX must fail, not wrap the chunk header's size around */
static void test_arena_refuses_sizes_that_would_wrap(void **state)
{
	(void)state;
	struct arena a;
	arena_init(&a);
	/* rounded up to SIZE_MAX - 15: the old header addition wrapped to 16 bytes */
	assert_null(arena_alloc(&a, SIZE_MAX - 16));
	assert_null(arena_alloc(&a, SIZE_MAX));
	assert_non_null(arena_alloc(&a, 100));
	arena_free(&a);
}

static void test_registry_is_valid(void **state)
{
	(void)state;
	char why[256] = "";
	if (registry_validate(why, sizeof(why)) < 0)
		fail_msg("%s", why);
	assert_true(registry_npolicies >= 1);
	assert_int_equal(registry_find("privileged") >= 0, 1);
	assert_int_equal(registry_find("no-such-policy"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v1_and_v1beta1_echo_api_version_and_uid),
		cmocka_unit_test(test_every_container_list_is_judged),
		cmocka_unit_test(test_every_workload_kind_is_judged_on_its_template),
		cmocka_unit_test(test_kind_from_another_group_is_not_judged),
		cmocka_unit_test(test_configured_rollout_is_judged_by_group_and_kind),
		cmocka_unit_test(test_configured_template_path_through_a_non_object_fails_closed),
		cmocka_unit_test(test_configured_kind_in_a_file_is_judged_by_its_api_version),
		cmocka_unit_test(test_metrics_label_a_configured_kind_with_its_group),
		cmocka_unit_test(test_every_kinds_row_is_judged_and_documented),
		cmocka_unit_test(test_update_is_judged_delete_and_connect_are_not),
		cmocka_unit_test(test_status_subresource_is_not_judged_ephemeral_is),
		cmocka_unit_test(test_kubectl_generated_objects_decode),
		cmocka_unit_test(test_pod_view_labels_are_the_templates),
		cmocka_unit_test(test_malformed_pod_parts_fail_closed),
		cmocka_unit_test(test_bad_inputs_are_rejected_with_a_reason),
		cmocka_unit_test(test_malformed_in_dry_run_warns_and_exempt_namespace_passes),
		cmocka_unit_test(test_registry_is_valid),
		cmocka_unit_test(test_arena_refuses_sizes_that_would_wrap),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
