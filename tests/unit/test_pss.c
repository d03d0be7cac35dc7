/*
 * test_pss: the Pod Security Standards modules one by one, through the
 * real engine: what each allows and denies in every container list
 * (containers, initContainers, ephemeralContainers), the Windows and
 * user-namespace exceptions upstream makes, how restricted checks replace
 * their baseline twins, and that a field of the wrong JSON type is a
 * violation that says so rather than a crash or a silent pass.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../policies/registry.h"

static struct admitd_config *cfg_baseline;
static struct admitd_config *cfg_restricted;

static const char *const lists[] = {"containers", "initContainers", "ephemeralContainers"};
static const char *const list_names[] = {"app", "init", "debug"};

static int setup(void **state)
{
	(void)state;
	cfg_baseline = harness_config("podSecurity:\n  level: baseline\n  action: deny\n");
	cfg_restricted = harness_config("podSecurity:\n  level: restricted\n  action: deny\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	config_unref(cfg_baseline);
	config_unref(cfg_restricted);
	return 0;
}

/*
 * A Pod that passes restricted, with one container in each list. Tests
 * change one field of it, so any violation is that field's.
 */
static json_t *clean_pod(void)
{
	return harness_yaml("apiVersion: v1\n"
			    "kind: Pod\n"
			    "metadata: {name: p}\n"
			    "spec:\n"
			    "  securityContext:\n"
			    "    runAsNonRoot: true\n"
			    "    seccompProfile: {type: RuntimeDefault}\n"
			    "  containers:\n"
			    "  - name: app\n"
			    "    image: nginx\n"
			    "    securityContext:\n"
			    "      allowPrivilegeEscalation: false\n"
			    "      capabilities: {drop: [ALL]}\n"
			    "  initContainers:\n"
			    "  - name: init\n"
			    "    image: busybox\n"
			    "    securityContext:\n"
			    "      allowPrivilegeEscalation: false\n"
			    "      capabilities: {drop: [ALL]}\n"
			    "  ephemeralContainers:\n"
			    "  - name: debug\n"
			    "    image: busybox\n"
			    "    securityContext:\n"
			    "      allowPrivilegeEscalation: false\n"
			    "      capabilities: {drop: [ALL]}\n");
}

/* The only container of `list` in a clean_pod(). */
static json_t *ctr(json_t *pod, const char *list)
{
	json_t *c = json_array_get(json_object_get(json_object_get(pod, "spec"), list), 0);
	assert_non_null(c);
	return c;
}

static json_t *spec(json_t *pod)
{
	return json_object_get(pod, "spec");
}

/* Sets a dotted path under root to the YAML (flow) text `value`, making objects on the way. */
static void set(json_t *root, const char *path, const char *value)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	json_t *cur = root;
	char *p = buf;
	for (char *dot; (dot = strchr(p, '.')) != NULL; p = dot + 1) {
		*dot = '\0';
		json_t *next = json_object_get(cur, p);
		if (!json_is_object(next)) {
			next = json_object();
			assert_int_equal(json_object_set_new(cur, p, next), 0);
		}
		cur = next;
	}
	size_t len = strlen(value) + 8;
	char *doc = malloc(len);
	assert_non_null(doc);
	snprintf(doc, len, "v: %s\n", value);
	json_t *wrapped = harness_yaml(doc);
	free(doc);
	assert_int_equal(json_object_set(cur, p, json_object_get(wrapped, "v")), 0);
	json_decref(wrapped);
}

static void del(json_t *root, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	char *dot = strrchr(buf, '.');
	json_t *parent = root;
	if (dot != NULL) {
		*dot = '\0';
		parent = (json_t *)jp_get(root, buf);
	}
	if (json_is_object(parent))
		json_object_del(parent, dot != NULL ? dot + 1 : buf);
}

/* Kept alive until the next judge(): violations point into it. */
static json_t *judged;

static const struct engine_verdict *judge(const struct admitd_config *cfg, json_t *pod)
{
	json_decref(judged);
	judged = pod;
	return harness_judge(cfg, "Pod", pod);
}

static size_t count(const struct engine_verdict *v, const char *policy)
{
	size_t n = 0;
	for (const struct violation *x = v->violations; x != NULL; x = x->next)
		if (strcmp(x->policy->id, policy) == 0)
			n++;
	return n;
}

static void expect_allowed(const struct admitd_config *cfg, json_t *pod)
{
	const struct engine_verdict *v = judge(cfg, pod);
	if (!v->allowed || v->nviolations != 0) {
		harness_dump(v);
		fail_msg("expected the pod to be allowed with no violation");
	}
}

/* Denied, with a violation of `policy` whose message contains each of the substrings. */
static const struct engine_verdict *expect_denied(const struct admitd_config *cfg, json_t *pod,
						  const char *policy, const char *substr,
						  const char *substr2)
{
	const struct engine_verdict *v = judge(cfg, pod);
	bool found = false;
	for (const struct violation *x = v->violations; x != NULL; x = x->next)
		if (strcmp(x->policy->id, policy) == 0 &&
		    (substr == NULL || strstr(x->message, substr) != NULL) &&
		    (substr2 == NULL || strstr(x->message, substr2) != NULL))
			found = true;
	if (v->allowed || v->error != NULL || !found) {
		harness_dump(v);
		fail_msg("expected a denial by %s containing \"%s\" and \"%s\"", policy,
			 substr ? substr : "", substr2 ? substr2 : "");
	}
	return v;
}

/* Only `policy` reports anything. */
static void expect_only(const struct engine_verdict *v, const char *policy)
{
	for (const struct violation *x = v->violations; x != NULL; x = x->next) {
		if (strcmp(x->policy->id, policy) != 0) {
			harness_dump(v);
			fail_msg("unexpected violation of %s", x->policy->id);
		}
	}
}

/*
 * For each container list: a clean pod whose container in that list gets
 * `path` = `value` is denied by `policy` at `cfg`, naming that container
 * and `substr`, and by nothing else.
 */
static void deny_in_every_list(const struct admitd_config *cfg, const char *path, const char *value,
			       const char *policy, const char *substr)
{
	for (size_t l = 0; l < 3; l++) {
		json_t *pod = clean_pod();
		set(ctr(pod, lists[l]), path, value);
		char who[64];
		snprintf(who, sizeof(who), "container \"%s\" ", list_names[l]);
		const struct engine_verdict *v = expect_denied(cfg, pod, policy, who, substr);
		expect_only(v, policy);
		assert_int_equal(count(v, policy), 1);
	}
}

/* For each container list: `path` = `value` is allowed at `cfg`. */
static void allow_in_every_list(const struct admitd_config *cfg, const char *path,
				const char *value)
{
	for (size_t l = 0; l < 3; l++) {
		json_t *pod = clean_pod();
		set(ctr(pod, lists[l]), path, value);
		expect_allowed(cfg, pod);
	}
}

/* ---- the clean pod, the registry ---- */

static void test_clean_pod_passes_both_levels(void **state)
{
	(void)state;
	expect_allowed(cfg_baseline, clean_pod());
	expect_allowed(cfg_restricted, clean_pod());
	json_t *pod = clean_pod();
	json_t *deploy = harness_wrap("Deployment", pod);
	const struct engine_verdict *v = harness_judge(cfg_restricted, "Deployment", deploy);
	assert_true(v->allowed);
	assert_int_equal(v->nviolations, 0);
	json_decref(deploy);
	json_decref(pod);
}

static void test_registry_levels_and_overrides(void **state)
{
	(void)state;
	static const struct {
		const char *id;
		enum policy_level level;
		const char *overrides;
	} want[] = {
		{"privileged", POLICY_LEVEL_BASELINE, NULL},
		{"host-namespaces", POLICY_LEVEL_BASELINE, NULL},
		{"capabilities-baseline", POLICY_LEVEL_BASELINE, NULL},
		{"host-path-volumes", POLICY_LEVEL_BASELINE, NULL},
		{"host-ports", POLICY_LEVEL_BASELINE, NULL},
		{"host-probes-lifecycle", POLICY_LEVEL_BASELINE, NULL},
		{"apparmor-profile", POLICY_LEVEL_BASELINE, NULL},
		{"selinux-options", POLICY_LEVEL_BASELINE, NULL},
		{"proc-mount", POLICY_LEVEL_BASELINE, NULL},
		{"seccomp-baseline", POLICY_LEVEL_BASELINE, NULL},
		{"sysctls", POLICY_LEVEL_BASELINE, NULL},
		{"windows-host-process", POLICY_LEVEL_BASELINE, NULL},
		{"restricted-volumes", POLICY_LEVEL_RESTRICTED, "host-path-volumes"},
		{"allow-privilege-escalation", POLICY_LEVEL_RESTRICTED, NULL},
		{"run-as-non-root", POLICY_LEVEL_RESTRICTED, NULL},
		{"run-as-user", POLICY_LEVEL_RESTRICTED, NULL},
		{"seccomp-restricted", POLICY_LEVEL_RESTRICTED, "seccomp-baseline"},
		{"capabilities-restricted", POLICY_LEVEL_RESTRICTED, "capabilities-baseline"},
		{"proc-mount-restricted", POLICY_LEVEL_RESTRICTED, "proc-mount"},
	};
	char err[256];
	assert_int_equal(registry_validate(err, sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int r = registry_find(want[i].id);
		if (r < 0)
			fail_msg("%s is not registered", want[i].id);
		const struct policy_desc *p = registry_policies[r];
		assert_int_equal(p->level, want[i].level);
		if (want[i].overrides == NULL)
			assert_null(p->overrides);
		else
			assert_string_equal(p->overrides, want[i].overrides);
	}
}

/* ---- baseline ---- */

static void test_host_namespaces(void **state)
{
	(void)state;
	static const char *const fields[] = {"hostNetwork", "hostPID", "hostIPC"};
	for (size_t i = 0; i < 3; i++) {
		char msg[64];
		snprintf(msg, sizeof(msg), "pod must not set spec.%s=true", fields[i]);
		json_t *pod = clean_pod();
		set(spec(pod), fields[i], "true");
		expect_only(expect_denied(cfg_baseline, pod, "host-namespaces", msg, NULL),
			    "host-namespaces");
		pod = clean_pod();
		set(spec(pod), fields[i], "false");
		expect_allowed(cfg_restricted, pod);
	}
	/* every problem is reported, not only the first */
	json_t *pod = clean_pod();
	set(spec(pod), "hostNetwork", "true");
	set(spec(pod), "hostPID", "true");
	set(spec(pod), "hostIPC", "true");
	assert_int_equal(count(judge(cfg_baseline, pod), "host-namespaces"), 3);

	/* a workload's message names the template's path */
	json_t *deploy = harness_wrap("Deployment", judged);
	const struct engine_verdict *v = harness_judge(cfg_baseline, "Deployment", deploy);
	assert_true(harness_has(v, "host-namespaces",
				"pod must not set spec.template.spec.hostNetwork=true"));
	json_decref(deploy);
}

static void test_host_namespaces_wrong_type(void **state)
{
	(void)state;
	json_t *pod = clean_pod();
	set(spec(pod), "hostPID", "\"yes\"");
	expect_denied(cfg_baseline, pod, "host-namespaces", "spec.hostPID that is not a boolean",
		      NULL);
}

static void test_capabilities_baseline(void **state)
{
	(void)state;
	deny_in_every_list(cfg_baseline, "securityContext.capabilities.add", "[NET_RAW]",
			   "capabilities-baseline", "must not include \"NET_RAW\"");
	deny_in_every_list(cfg_baseline, "securityContext.capabilities.add", "[SYS_ADMIN, chown]",
			   "capabilities-baseline", "\"SYS_ADMIN\", \"chown\"");
	/* upstream compares names exactly */
	deny_in_every_list(cfg_baseline, "securityContext.capabilities.add", "[CAP_CHOWN]",
			   "capabilities-baseline", "\"CAP_CHOWN\"");
	allow_in_every_list(cfg_baseline, "securityContext.capabilities.add",
			    "[AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, "
			    "NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT]");
	allow_in_every_list(cfg_baseline, "securityContext.capabilities.add", "[]");
	/* Windows pods get no exception at baseline */
	json_t *pod = clean_pod();
	set(spec(pod), "os.name", "windows");
	set(ctr(pod, "containers"), "securityContext.capabilities.add", "[NET_ADMIN]");
	expect_denied(cfg_baseline, pod, "capabilities-baseline", "\"NET_ADMIN\"", NULL);
}

static void test_capabilities_baseline_wrong_type(void **state)
{
	(void)state;
	deny_in_every_list(cfg_baseline, "securityContext.capabilities.add", "NET_RAW",
			   "capabilities-baseline",
			   "securityContext.capabilities.add that is not a list");
	deny_in_every_list(cfg_baseline, "securityContext.capabilities.add", "[5]",
			   "capabilities-baseline",
			   "securityContext.capabilities.add[0] that is not a string");
	json_t *pod = clean_pod();
	set(ctr(pod, "initContainers"), "securityContext.capabilities", "\"all\"");
	expect_denied(cfg_baseline, pod, "capabilities-baseline",
		      "securityContext.capabilities that is not an object", NULL);
	pod = clean_pod();
	set(ctr(pod, "containers"), "securityContext", "[]");
	expect_denied(cfg_baseline, pod, "capabilities-baseline",
		      "has a securityContext that is not an object", NULL);
}

static void test_host_path_volumes(void **state)
{
	(void)state;
	json_t *pod = clean_pod();
	set(spec(pod), "volumes",
	    "[{name: data, emptyDir: {}}, {name: host, hostPath: {path: /}}]");
	const struct engine_verdict *v =
		expect_denied(cfg_baseline, pod, "host-path-volumes",
			      "pod must not set spec.volumes[1].hostPath (volume \"host\")", NULL);
	expect_only(v, "host-path-volumes");

	pod = clean_pod();
	set(spec(pod), "volumes",
	    "[{name: a, hostPath: {path: /a}}, {name: b, hostPath: {path: /b}}]");
	assert_int_equal(count(judge(cfg_baseline, pod), "host-path-volumes"), 2);

	pod = clean_pod();
	set(spec(pod), "volumes",
	    "[{name: data, emptyDir: {}}, {name: cfg, configMap: {name: x}}]");
	expect_allowed(cfg_baseline, pod);
}

static void test_host_path_volumes_wrong_type(void **state)
{
	(void)state;
	json_t *pod = clean_pod();
	set(spec(pod), "volumes", "{name: host, hostPath: {path: /}}");
	expect_denied(cfg_baseline, pod, "host-path-volumes", "spec.volumes that is not a list",
		      NULL);
	pod = clean_pod();
	set(spec(pod), "volumes", "[host]");
	expect_denied(cfg_baseline, pod, "host-path-volumes",
		      "spec.volumes[0] that is not an object", NULL);
}

static void test_host_ports(void **state)
{
	(void)state;
	deny_in_every_list(cfg_baseline, "ports", "[{containerPort: 80, hostPort: 8080}]",
			   "host-ports", "must not set ports[0].hostPort=8080");
	allow_in_every_list(cfg_baseline, "ports", "[{containerPort: 80}]");
	allow_in_every_list(cfg_baseline, "ports", "[{containerPort: 80, hostPort: 0}]");
	json_t *pod = clean_pod();
	set(ctr(pod, "containers"), "ports",
	    "[{containerPort: 80, hostPort: 80}, {containerPort: 81}, {containerPort: 443, "
	    "hostPort: 443}]");
	const struct engine_verdict *v = judge(cfg_baseline, pod);
	assert_int_equal(count(v, "host-ports"), 2);
	assert_true(harness_has(v, "host-ports", "ports[2].hostPort=443"));
}

static void test_host_ports_wrong_type(void **state)
{
	(void)state;
	deny_in_every_list(cfg_baseline, "ports", "[{containerPort: 80, hostPort: \"8080\"}]",
			   "host-ports", "ports[0].hostPort that is not an integer");
	deny_in_every_list(cfg_baseline, "ports", "{containerPort: 80, hostPort: 8080}",
			   "host-ports", "ports that is not a list");
	deny_in_every_list(cfg_baseline, "ports", "[8080]", "host-ports",
			   "ports[0] that is not an object");
}

static void test_host_probes_lifecycle(void **state)
{
	(void)state;
	static const char *const handlers[] = {"livenessProbe", "readinessProbe", "startupProbe",
					       "lifecycle.postStart", "lifecycle.preStop"};
	static const char *const kinds[] = {"httpGet", "tcpSocket"};
	for (size_t h = 0; h < 5; h++) {
		for (size_t k = 0; k < 2; k++) {
			char path[96], msg[128];
			snprintf(path, sizeof(path), "%s.%s.host", handlers[h], kinds[k]);
			snprintf(msg, sizeof(msg), "must not set %s=\"10.0.0.1\"", path);
			deny_in_every_list(cfg_baseline, path, "10.0.0.1", "host-probes-lifecycle",
					   msg);
			allow_in_every_list(cfg_baseline, path, "\"\"");
		}
	}
	allow_in_every_list(cfg_baseline, "livenessProbe", "{httpGet: {port: 8080, path: /}}");
	allow_in_every_list(cfg_baseline, "readinessProbe", "{tcpSocket: {port: 8080}}");
	/* one violation per bad host */
	json_t *pod = clean_pod();
	set(ctr(pod, "containers"), "livenessProbe.httpGet.host", "a.example");
	set(ctr(pod, "containers"), "lifecycle.preStop.httpGet.host", "b.example");
	assert_int_equal(count(judge(cfg_baseline, pod), "host-probes-lifecycle"), 2);
}

static void test_host_probes_lifecycle_wrong_type(void **state)
{
	(void)state;
	deny_in_every_list(cfg_baseline, "livenessProbe.httpGet.host", "5", "host-probes-lifecycle",
			   "livenessProbe.httpGet.host that is not a string");
	/* a malformed prefix shared by two fields is reported once */
	deny_in_every_list(cfg_baseline, "readinessProbe", "\"tcp\"", "host-probes-lifecycle",
			   "has a readinessProbe that is not an object");
	deny_in_every_list(cfg_baseline, "lifecycle", "[]", "host-probes-lifecycle",
			   "has a lifecycle that is not an object");
}

static void test_apparmor_profile_fields(void **state)
{
	(void)state;
	deny_in_every_list(cfg_baseline, "securityContext.appArmorProfile", "{type: Unconfined}",
			   "apparmor-profile",
			   "must not set securityContext.appArmorProfile.type=\"Unconfined\"");
	allow_in_every_list(cfg_baseline, "securityContext.appArmorProfile",
			    "{type: RuntimeDefault}");
	allow_in_every_list(cfg_baseline, "securityContext.appArmorProfile",
			    "{type: Localhost, localhostProfile: k8s-nginx}");
	/* a profile without a type is not one of the allowed types */
	deny_in_every_list(cfg_baseline, "securityContext.appArmorProfile", "{}",
			   "apparmor-profile",
			   "must set securityContext.appArmorProfile.type to RuntimeDefault or "
			   "Localhost");
	json_t *pod = clean_pod();
	set(spec(pod), "securityContext.appArmorProfile", "{type: Unconfined}");
	expect_denied(cfg_baseline, pod, "apparmor-profile",
		      "pod must not set spec.securityContext.appArmorProfile.type=\"Unconfined\"",
		      NULL);
}

static void test_apparmor_profile_annotations(void **state)
{
	(void)state;
	json_t *pod = clean_pod();
	set(json_object_get(pod, "metadata"), "annotations",
	    "{container.apparmor.security.beta.kubernetes.io/init: unconfined}");
	expect_denied(cfg_baseline, pod, "apparmor-profile",
		      "pod must not set annotation "
		      "container.apparmor.security.beta.kubernetes.io/init=\"unconfined\"",
		      "metadata.annotations");
	/* on a workload, the template's annotations are judged */
	json_t *deploy = harness_wrap("Deployment", judged);
	const struct engine_verdict *v = harness_judge(cfg_baseline, "Deployment", deploy);
	assert_false(v->allowed);
	assert_true(harness_has(v, "apparmor-profile", "spec.template.metadata.annotations"));
	json_decref(deploy);

	static const char *const ok[] = {"runtime/default", "localhost/k8s-nginx", "\"\""};
	for (size_t i = 0; i < 3; i++) {
		char val[128];
		snprintf(val, sizeof(val),
			 "{container.apparmor.security.beta.kubernetes.io/app: %s, other: x}",
			 ok[i]);
		pod = clean_pod();
		set(json_object_get(pod, "metadata"), "annotations", val);
		expect_allowed(cfg_baseline, pod);
	}
}

static void test_apparmor_profile_wrong_type(void **state)
{
	(void)state;
	deny_in_every_list(cfg_baseline, "securityContext.appArmorProfile", "{type: 1}",
			   "apparmor-profile", "appArmorProfile.type that is not a string");
	deny_in_every_list(cfg_baseline, "securityContext.appArmorProfile", "RuntimeDefault",
			   "apparmor-profile",
			   "securityContext.appArmorProfile that is not an object");
	json_t *pod = clean_pod();
	set(json_object_get(pod, "metadata"), "annotations",
	    "{container.apparmor.security.beta.kubernetes.io/app: [unconfined]}");
	expect_denied(cfg_baseline, pod, "apparmor-profile", "that is not a string", NULL);
	pod = clean_pod();
	set(json_object_get(pod, "metadata"), "annotations", "[a, b]");
	expect_denied(cfg_baseline, pod, "apparmor-profile",
		      "metadata.annotations that is not an object", NULL);
}

static void test_selinux_options(void **state)
{
	(void)state;
	deny_in_every_list(cfg_baseline, "securityContext.seLinuxOptions", "{type: spc_t}",
			   "selinux-options",
			   "must not set securityContext.seLinuxOptions.type=\"spc_t\"");
	deny_in_every_list(cfg_baseline, "securityContext.seLinuxOptions", "{user: system_u}",
			   "selinux-options", "seLinuxOptions.user=\"system_u\"; remove it");
	deny_in_every_list(cfg_baseline, "securityContext.seLinuxOptions", "{role: system_r}",
			   "selinux-options", "seLinuxOptions.role=\"system_r\"; remove it");
	static const char *const types[] = {"\"\"", "container_t", "container_init_t",
					    "container_kvm_t", "container_engine_t"};
	for (size_t i = 0; i < 5; i++) {
		char val[96];
		snprintf(val, sizeof(val), "{type: %s, level: \"s0:c123,c456\"}", types[i]);
		allow_in_every_list(cfg_baseline, "securityContext.seLinuxOptions", val);
	}
	allow_in_every_list(cfg_baseline, "securityContext.seLinuxOptions",
			    "{user: \"\", role: \"\"}");

	json_t *pod = clean_pod();
	set(spec(pod), "securityContext.seLinuxOptions", "{type: spc_t, user: u, role: r}");
	const struct engine_verdict *v =
		expect_denied(cfg_baseline, pod, "selinux-options",
			      "pod must not set spec.securityContext.seLinuxOptions.type", NULL);
	assert_int_equal(count(v, "selinux-options"), 3);
}

static void test_selinux_options_wrong_type(void **state)
{
	(void)state;
	deny_in_every_list(cfg_baseline, "securityContext.seLinuxOptions", "{type: [spc_t]}",
			   "selinux-options", "seLinuxOptions.type that is not a string");
	deny_in_every_list(cfg_baseline, "securityContext.seLinuxOptions", "{user: 0}",
			   "selinux-options", "seLinuxOptions.user that is not a string");
	deny_in_every_list(cfg_baseline, "securityContext.seLinuxOptions", "spc_t",
			   "selinux-options", "seLinuxOptions that is not an object");
}

static void test_proc_mount(void **state)
{
	(void)state;
	deny_in_every_list(cfg_baseline, "securityContext.procMount", "Unmasked", "proc-mount",
			   "must not set securityContext.procMount=\"Unmasked\"");
	allow_in_every_list(cfg_baseline, "securityContext.procMount", "Default");
	/* baseline lets a pod in a user namespace unmask /proc (policy v1.35+) */
	for (size_t l = 0; l < 3; l++) {
		json_t *pod = clean_pod();
		set(spec(pod), "hostUsers", "false");
		set(ctr(pod, lists[l]), "securityContext.procMount", "Unmasked");
		expect_allowed(cfg_baseline, pod);
	}
	json_t *pod = clean_pod();
	set(spec(pod), "hostUsers", "true");
	set(ctr(pod, "containers"), "securityContext.procMount", "Unmasked");
	expect_denied(cfg_baseline, pod, "proc-mount", "procMount=\"Unmasked\"", NULL);
}

static void test_proc_mount_wrong_type(void **state)
{
	(void)state;
	deny_in_every_list(cfg_baseline, "securityContext.procMount", "1", "proc-mount",
			   "securityContext.procMount that is not a string");
	/* a hostUsers that is not a boolean relaxes nothing, and is reported */
	json_t *pod = clean_pod();
	set(spec(pod), "hostUsers", "\"false\"");
	set(ctr(pod, "containers"), "securityContext.procMount", "Unmasked");
	const struct engine_verdict *v =
		expect_denied(cfg_baseline, pod, "proc-mount",
			      "pod has a spec.hostUsers that is not a boolean", NULL);
	assert_true(harness_has(v, "proc-mount", "procMount=\"Unmasked\""));

	/* three checks read hostUsers (proc-mount, run-as-non-root, run-as-user): one report */
	pod = clean_pod();
	set(spec(pod), "hostUsers", "\"false\"");
	v = harness_judge(cfg_restricted, "Pod", pod);
	size_t n = 0;
	for (const struct violation *x = v->violations; x != NULL; x = x->next)
		n += strstr(x->message, "hostUsers that is not a boolean") != NULL;
	if (n != 1) {
		harness_dump(v);
		fail_msg("a bad hostUsers was reported %zu times", n);
	}
	json_decref(pod);
}

static void test_seccomp_baseline(void **state)
{
	(void)state;
	deny_in_every_list(cfg_baseline, "securityContext.seccompProfile", "{type: Unconfined}",
			   "seccomp-baseline",
			   "must not set securityContext.seccompProfile.type=\"Unconfined\"");
	deny_in_every_list(cfg_baseline, "securityContext.seccompProfile", "{}", "seccomp-baseline",
			   "must set securityContext.seccompProfile.type to RuntimeDefault");
	allow_in_every_list(cfg_baseline, "securityContext.seccompProfile",
			    "{type: Localhost, localhostProfile: p.json}");
	json_t *pod = clean_pod();
	set(spec(pod), "securityContext.seccompProfile", "{type: Unconfined}");
	expect_denied(cfg_baseline, pod, "seccomp-baseline",
		      "pod must not set spec.securityContext.seccompProfile.type=\"Unconfined\"",
		      NULL);
	/* baseline does not require a profile */
	pod = clean_pod();
	del(spec(pod), "securityContext");
	expect_allowed(cfg_baseline, pod);
}

static void test_seccomp_baseline_wrong_type(void **state)
{
	(void)state;
	deny_in_every_list(cfg_baseline, "securityContext.seccompProfile", "RuntimeDefault",
			   "seccomp-baseline",
			   "securityContext.seccompProfile that is not an object");
	deny_in_every_list(cfg_baseline, "securityContext.seccompProfile", "{type: true}",
			   "seccomp-baseline", "seccompProfile.type that is not a string");
}

static void test_sysctls(void **state)
{
	(void)state;
	json_t *pod = clean_pod();
	set(spec(pod), "securityContext.sysctls",
	    "[{name: kernel.msgmax, value: \"65536\"}, {name: net.ipv4.tcp_syncookies, value: "
	    "\"1\"}, {name: vm.swappiness, value: \"1\"}]");
	const struct engine_verdict *v = expect_denied(
		cfg_baseline, pod, "sysctls",
		"pod must not set sysctl \"kernel.msgmax\" in spec.securityContext.sysctls", NULL);
	assert_int_equal(count(v, "sysctls"), 2);
	assert_true(harness_has(v, "sysctls", "\"vm.swappiness\""));

	/* the whole v1.37 safe set */
	pod = clean_pod();
	set(spec(pod), "securityContext.sysctls",
	    "[{name: kernel.shm_rmid_forced, value: \"0\"},"
	    " {name: net.ipv4.ip_local_port_range, value: \"1024 65535\"},"
	    " {name: net.ipv4.tcp_syncookies, value: \"1\"},"
	    " {name: net.ipv4.ping_group_range, value: \"0 0\"},"
	    " {name: net.ipv4.ip_unprivileged_port_start, value: \"80\"},"
	    " {name: net.ipv4.ip_local_reserved_ports, value: \"8080\"},"
	    " {name: net.ipv4.tcp_keepalive_time, value: \"60\"},"
	    " {name: net.ipv4.tcp_fin_timeout, value: \"30\"},"
	    " {name: net.ipv4.tcp_keepalive_intvl, value: \"10\"},"
	    " {name: net.ipv4.tcp_keepalive_probes, value: \"3\"},"
	    " {name: net.ipv4.tcp_rmem, value: \"4096 87380 6291456\"},"
	    " {name: net.ipv4.tcp_wmem, value: \"4096 16384 4194304\"},"
	    " {name: net.ipv4.tcp_slow_start_after_idle, value: \"0\"},"
	    " {name: net.ipv4.tcp_notsent_lowat, value: \"16384\"}]");
	expect_allowed(cfg_restricted, pod);
}

static void test_sysctls_wrong_type(void **state)
{
	(void)state;
	json_t *pod = clean_pod();
	set(spec(pod), "securityContext.sysctls", "{name: kernel.msgmax}");
	expect_denied(cfg_baseline, pod, "sysctls",
		      "spec.securityContext.sysctls that is not a list", NULL);
	pod = clean_pod();
	set(spec(pod), "securityContext.sysctls", "[{value: \"1\"}, {name: 5}, x]");
	const struct engine_verdict *v = expect_denied(cfg_baseline, pod, "sysctls",
						       "sysctls[0] without a string name", NULL);
	assert_true(harness_has(v, "sysctls", "sysctls[1] without a string name"));
	assert_true(harness_has(v, "sysctls", "sysctls[2] that is not an object"));
}

static void test_windows_host_process(void **state)
{
	(void)state;
	deny_in_every_list(cfg_baseline, "securityContext.windowsOptions.hostProcess", "true",
			   "windows-host-process",
			   "must not set securityContext.windowsOptions.hostProcess=true");
	allow_in_every_list(cfg_baseline, "securityContext.windowsOptions.hostProcess", "false");
	json_t *pod = clean_pod();
	set(spec(pod), "os.name", "windows");
	set(spec(pod), "securityContext.windowsOptions.hostProcess", "true");
	expect_denied(cfg_restricted, pod, "windows-host-process",
		      "pod must not set spec.securityContext.windowsOptions.hostProcess=true",
		      NULL);
	deny_in_every_list(cfg_baseline, "securityContext.windowsOptions.hostProcess", "\"true\"",
			   "windows-host-process", "hostProcess that is not a boolean");
	deny_in_every_list(cfg_baseline, "securityContext.windowsOptions", "true",
			   "windows-host-process",
			   "securityContext.windowsOptions that is not an object");
}

/* ---- restricted ---- */

static void test_restricted_volumes(void **state)
{
	(void)state;
	json_t *pod = clean_pod();
	set(spec(pod), "volumes",
	    "[{name: a}, {name: b, emptyDir: {}}, {name: c, secret: {secretName: s}},"
	    " {name: d, persistentVolumeClaim: {claimName: c}}, {name: e, configMap: {name: m}},"
	    " {name: f, downwardAPI: {items: []}}, {name: g, projected: {sources: []}},"
	    " {name: h, csi: {driver: x}}, {name: i, image: {reference: \"nginx:1\"}},"
	    " {name: j, ephemeral: {volumeClaimTemplate: {spec: {}}}}]");
	expect_allowed(cfg_restricted, pod);

	static const char *const forbidden[] = {"hostPath: {path: /}", "nfs: {server: s, path: /}",
						"gitRepo: {repository: r}", "rbd: {image: i}",
						"unknownVolume: {}"};
	for (size_t i = 0; i < 5; i++) {
		char val[96], msg[96];
		snprintf(val, sizeof(val), "[{name: v, %s}]", forbidden[i]);
		snprintf(msg, sizeof(msg),
			 "pod must not use volume type %.*s (spec.volumes[0], volume \"v\")",
			 (int)(strchr(forbidden[i], ':') - forbidden[i]), forbidden[i]);
		pod = clean_pod();
		set(spec(pod), "volumes", val);
		const struct engine_verdict *v =
			expect_denied(cfg_restricted, pod, "restricted-volumes", msg, NULL);
		/* restricted-volumes replaces host-path-volumes at restricted */
		expect_only(v, "restricted-volumes");
	}
	/* an allowed source does not hide a forbidden one beside it */
	pod = clean_pod();
	set(spec(pod), "volumes", "[{name: v, emptyDir: {}, hostPath: {path: /}}]");
	expect_denied(cfg_restricted, pod, "restricted-volumes", "volume type hostPath", NULL);
	/* baseline allows nfs */
	pod = clean_pod();
	set(spec(pod), "volumes", "[{name: v, nfs: {server: s, path: /}}]");
	expect_allowed(cfg_baseline, pod);
}

static void test_restricted_volumes_wrong_type(void **state)
{
	(void)state;
	json_t *pod = clean_pod();
	set(spec(pod), "volumes", "[{name: v, emptyDir: true}]");
	expect_denied(cfg_restricted, pod, "restricted-volumes",
		      "spec.volumes[0].emptyDir that is not an object", NULL);
	pod = clean_pod();
	set(spec(pod), "volumes", "[5]");
	expect_denied(cfg_restricted, pod, "restricted-volumes",
		      "spec.volumes[0] that is not an object", NULL);
	pod = clean_pod();
	set(spec(pod), "volumes", "v");
	expect_denied(cfg_restricted, pod, "restricted-volumes", "spec.volumes that is not a list",
		      NULL);
}

static void test_allow_privilege_escalation(void **state)
{
	(void)state;
	deny_in_every_list(cfg_restricted, "securityContext.allowPrivilegeEscalation", "true",
			   "allow-privilege-escalation",
			   "must set securityContext.allowPrivilegeEscalation=false");
	for (size_t l = 0; l < 3; l++) {
		json_t *pod = clean_pod();
		del(ctr(pod, lists[l]), "securityContext.allowPrivilegeEscalation");
		expect_denied(cfg_restricted, pod, "allow-privilege-escalation", list_names[l],
			      "must set securityContext.allowPrivilegeEscalation=false");
	}
	/* baseline does not care */
	json_t *pod = clean_pod();
	set(ctr(pod, "containers"), "securityContext.allowPrivilegeEscalation", "true");
	expect_allowed(cfg_baseline, pod);
}

static void test_allow_privilege_escalation_wrong_type(void **state)
{
	(void)state;
	deny_in_every_list(cfg_restricted, "securityContext.allowPrivilegeEscalation", "\"false\"",
			   "allow-privilege-escalation",
			   "securityContext.allowPrivilegeEscalation that is not a boolean");
}

static void test_run_as_non_root(void **state)
{
	(void)state;
	/* neither pod nor container: every container is reported */
	json_t *pod = clean_pod();
	del(spec(pod), "securityContext.runAsNonRoot");
	const struct engine_verdict *v = expect_denied(
		cfg_restricted, pod, "run-as-non-root",
		"must set securityContext.runAsNonRoot=true (pod or container)", NULL);
	assert_int_equal(count(v, "run-as-non-root"), 3);
	expect_only(v, "run-as-non-root");

	/* every container setting it is enough */
	pod = clean_pod();
	del(spec(pod), "securityContext.runAsNonRoot");
	for (size_t l = 0; l < 3; l++)
		set(ctr(pod, lists[l]), "securityContext.runAsNonRoot", "true");
	expect_allowed(cfg_restricted, pod);

	deny_in_every_list(cfg_restricted, "securityContext.runAsNonRoot", "false",
			   "run-as-non-root", "must not set securityContext.runAsNonRoot=false");

	pod = clean_pod();
	set(spec(pod), "securityContext.runAsNonRoot", "false");
	expect_denied(cfg_restricted, pod, "run-as-non-root",
		      "pod must not set spec.securityContext.runAsNonRoot=false", NULL);
}

static void test_run_as_non_root_user_namespace(void **state)
{
	(void)state;
	/* in a user namespace UID 0 is unprivileged on the host (policy v1.35+) */
	json_t *pod = clean_pod();
	set(spec(pod), "hostUsers", "false");
	set(spec(pod), "securityContext.runAsNonRoot", "false");
	set(ctr(pod, "initContainers"), "securityContext.runAsNonRoot", "false");
	expect_allowed(cfg_restricted, pod);
	pod = clean_pod();
	set(spec(pod), "hostUsers", "true");
	del(spec(pod), "securityContext.runAsNonRoot");
	expect_denied(cfg_restricted, pod, "run-as-non-root", "runAsNonRoot=true", NULL);
}

static void test_run_as_non_root_wrong_type(void **state)
{
	(void)state;
	deny_in_every_list(cfg_restricted, "securityContext.runAsNonRoot", "1", "run-as-non-root",
			   "securityContext.runAsNonRoot that is not a boolean");
	/* a malformed pod value does not count as true for the containers */
	json_t *pod = clean_pod();
	set(spec(pod), "securityContext.runAsNonRoot", "\"true\"");
	const struct engine_verdict *v = expect_denied(
		cfg_restricted, pod, "run-as-non-root",
		"pod has a spec.securityContext.runAsNonRoot that is not a boolean", NULL);
	assert_int_equal(count(v, "run-as-non-root"), 4);
}

static void test_run_as_user(void **state)
{
	(void)state;
	deny_in_every_list(cfg_restricted, "securityContext.runAsUser", "0", "run-as-user",
			   "must not set securityContext.runAsUser=0");
	allow_in_every_list(cfg_restricted, "securityContext.runAsUser", "1000");
	json_t *pod = clean_pod();
	set(spec(pod), "securityContext.runAsUser", "0");
	expect_denied(cfg_restricted, pod, "run-as-user",
		      "pod must not set spec.securityContext.runAsUser=0", NULL);
	/* user namespace (policy v1.35+) */
	pod = clean_pod();
	set(spec(pod), "hostUsers", "false");
	set(spec(pod), "securityContext.runAsUser", "0");
	set(ctr(pod, "ephemeralContainers"), "securityContext.runAsUser", "0");
	expect_allowed(cfg_restricted, pod);
	/* baseline does not care */
	pod = clean_pod();
	set(spec(pod), "securityContext.runAsUser", "0");
	expect_allowed(cfg_baseline, pod);
}

static void test_run_as_user_wrong_type(void **state)
{
	(void)state;
	deny_in_every_list(cfg_restricted, "securityContext.runAsUser", "\"0\"", "run-as-user",
			   "securityContext.runAsUser that is not an integer");
	deny_in_every_list(cfg_restricted, "securityContext.runAsUser", "0.5", "run-as-user",
			   "securityContext.runAsUser that is not an integer");
}

static void test_seccomp_restricted(void **state)
{
	(void)state;
	/* no pod profile: each container must set its own */
	json_t *pod = clean_pod();
	del(spec(pod), "securityContext.seccompProfile");
	const struct engine_verdict *v =
		expect_denied(cfg_restricted, pod, "seccomp-restricted",
			      "must set securityContext.seccompProfile.type to RuntimeDefault or "
			      "Localhost (pod or container)",
			      NULL);
	assert_int_equal(count(v, "seccomp-restricted"), 3);

	pod = clean_pod();
	del(spec(pod), "securityContext.seccompProfile");
	for (size_t l = 0; l < 3; l++)
		set(ctr(pod, lists[l]), "securityContext.seccompProfile", "{type: RuntimeDefault}");
	expect_allowed(cfg_restricted, pod);

	/* seccomp-restricted replaces seccomp-baseline: one report, not two */
	for (size_t l = 0; l < 3; l++) {
		pod = clean_pod();
		set(ctr(pod, lists[l]), "securityContext.seccompProfile", "{type: Unconfined}");
		v = expect_denied(cfg_restricted, pod, "seccomp-restricted", list_names[l],
				  "seccompProfile.type=\"Unconfined\"");
		expect_only(v, "seccomp-restricted");
		assert_int_equal(count(v, "seccomp-restricted"), 1);
	}
	pod = clean_pod();
	set(spec(pod), "securityContext.seccompProfile", "{type: Unconfined}");
	v = expect_denied(
		cfg_restricted, pod, "seccomp-restricted",
		"pod must not set spec.securityContext.seccompProfile.type=\"Unconfined\"", NULL);
	expect_only(v, "seccomp-restricted");
}

static void test_seccomp_restricted_wrong_type(void **state)
{
	(void)state;
	deny_in_every_list(cfg_restricted, "securityContext.seccompProfile", "[]",
			   "seccomp-restricted", "seccompProfile that is not an object");
	json_t *pod = clean_pod();
	set(spec(pod), "securityContext.seccompProfile", "{type: 0}");
	const struct engine_verdict *v = expect_denied(
		cfg_restricted, pod, "seccomp-restricted",
		"pod has a spec.securityContext.seccompProfile.type that is not a string", NULL);
	/* a malformed pod profile covers no container */
	assert_int_equal(count(v, "seccomp-restricted"), 4);
}

static void test_capabilities_restricted(void **state)
{
	(void)state;
	for (size_t l = 0; l < 3; l++) {
		json_t *pod = clean_pod();
		del(ctr(pod, lists[l]), "securityContext.capabilities");
		expect_denied(cfg_restricted, pod, "capabilities-restricted", list_names[l],
			      "must set securityContext.capabilities.drop=[\"ALL\"]");
	}
	deny_in_every_list(cfg_restricted, "securityContext.capabilities.drop",
			   "[NET_RAW, SYS_ADMIN]", "capabilities-restricted",
			   "(\"ALL\" is missing)");
	deny_in_every_list(cfg_restricted, "securityContext.capabilities.add", "[CHOWN]",
			   "capabilities-restricted",
			   "must not include \"CHOWN\" in securityContext.capabilities.add");
	allow_in_every_list(cfg_restricted, "securityContext.capabilities.add",
			    "[NET_BIND_SERVICE]");
	allow_in_every_list(cfg_restricted, "securityContext.capabilities.drop", "[NET_RAW, ALL]");
	/* capabilities-restricted replaces capabilities-baseline: NET_RAW is reported once */
	json_t *pod = clean_pod();
	set(ctr(pod, "containers"), "securityContext.capabilities.add", "[NET_RAW]");
	const struct engine_verdict *v =
		expect_denied(cfg_restricted, pod, "capabilities-restricted", "\"NET_RAW\"", NULL);
	expect_only(v, "capabilities-restricted");
	assert_int_equal(count(v, "capabilities-restricted"), 1);
	/* and both problems of one container are reported */
	pod = clean_pod();
	set(ctr(pod, "containers"), "securityContext.capabilities", "{add: [SYS_ADMIN]}");
	assert_int_equal(count(judge(cfg_restricted, pod), "capabilities-restricted"), 2);
}

static void test_capabilities_restricted_wrong_type(void **state)
{
	(void)state;
	deny_in_every_list(cfg_restricted, "securityContext.capabilities.drop", "ALL",
			   "capabilities-restricted",
			   "securityContext.capabilities.drop that is not a list");
	deny_in_every_list(cfg_restricted, "securityContext.capabilities.add", "NET_BIND_SERVICE",
			   "capabilities-restricted",
			   "securityContext.capabilities.add that is not a list");
	json_t *pod = clean_pod();
	set(ctr(pod, "containers"), "securityContext.capabilities.drop", "[ALL, 7]");
	expect_denied(cfg_restricted, pod, "capabilities-restricted",
		      "capabilities.drop[1] that is not a string", NULL);
	/* a malformed capabilities object is reported once, not once per field */
	pod = clean_pod();
	set(ctr(pod, "containers"), "securityContext.capabilities", "[ALL]");
	const struct engine_verdict *v =
		expect_denied(cfg_restricted, pod, "capabilities-restricted",
			      "securityContext.capabilities that is not an object", NULL);
	assert_int_equal(count(v, "capabilities-restricted"), 1);
}

static void test_proc_mount_restricted(void **state)
{
	(void)state;
	deny_in_every_list(cfg_restricted, "securityContext.procMount", "Unmasked",
			   "proc-mount-restricted",
			   "must not set securityContext.procMount=\"Unmasked\"");
	/* restricted keeps the mask even in a user namespace, and proc-mount does not run */
	for (size_t l = 0; l < 3; l++) {
		json_t *pod = clean_pod();
		set(spec(pod), "hostUsers", "false");
		set(ctr(pod, lists[l]), "securityContext.procMount", "Unmasked");
		const struct engine_verdict *v = expect_denied(
			cfg_restricted, pod, "proc-mount-restricted", list_names[l], "Unmasked");
		expect_only(v, "proc-mount-restricted");
	}
	allow_in_every_list(cfg_restricted, "securityContext.procMount", "Default");
	deny_in_every_list(cfg_restricted, "securityContext.procMount", "[Unmasked]",
			   "proc-mount-restricted", "procMount that is not a string");
}

/* ---- Windows ---- */

static void test_windows_exceptions(void **state)
{
	(void)state;
	/* upstream exempts Windows pods from seccomp, capabilities and privilege escalation */
	json_t *pod = harness_yaml("apiVersion: v1\n"
				   "kind: Pod\n"
				   "metadata: {name: win}\n"
				   "spec:\n"
				   "  os: {name: windows}\n"
				   "  securityContext: {runAsNonRoot: true}\n"
				   "  containers: [{name: app, image: iis}]\n"
				   "  initContainers: [{name: init, image: iis}]\n"
				   "  ephemeralContainers: [{name: debug, image: iis}]\n");
	expect_allowed(cfg_restricted, pod);

	/* the same pod as Linux is denied by all three, for every container */
	pod = json_deep_copy(judged);
	set(spec(pod), "os.name", "linux");
	const struct engine_verdict *v = judge(cfg_restricted, pod);
	assert_false(v->allowed);
	assert_int_equal(count(v, "seccomp-restricted"), 3);
	assert_int_equal(count(v, "capabilities-restricted"), 3);
	assert_int_equal(count(v, "allow-privilege-escalation"), 3);

	/* explicit bad values are not looked at either, as upstream */
	pod = json_deep_copy(judged);
	set(spec(pod), "os.name", "windows");
	set(ctr(pod, "containers"), "securityContext.allowPrivilegeEscalation", "true");
	set(ctr(pod, "containers"), "securityContext.seccompProfile", "{type: Unconfined}");
	v = judge(cfg_restricted, pod);
	assert_int_equal(count(v, "allow-privilege-escalation"), 0);
	assert_int_equal(count(v, "seccomp-restricted"), 0);

	/* Windows pods still need runAsNonRoot, and get no baseline exception */
	pod = json_deep_copy(judged);
	del(spec(pod), "securityContext.runAsNonRoot");
	expect_denied(cfg_restricted, pod, "run-as-non-root", "container \"app\"", NULL);
	pod = json_deep_copy(judged);
	set(spec(pod), "hostNetwork", "true");
	expect_denied(cfg_baseline, pod, "host-namespaces", NULL, NULL);

	/* an os.name that is not a string is not Windows */
	pod = json_deep_copy(judged);
	set(spec(pod), "os.name", "[windows]");
	v = judge(cfg_restricted, pod);
	assert_false(v->allowed);
	assert_int_equal(count(v, "capabilities-restricted"), 3);
}

/* ---- malformed containers never crash a check ---- */

static void test_malformed_security_context_every_check(void **state)
{
	(void)state;
	static const char *const values[] = {"5", "\"x\"", "[]", "true"};
	for (size_t i = 0; i < 4; i++) {
		for (size_t l = 0; l < 3; l++) {
			json_t *pod = clean_pod();
			set(ctr(pod, lists[l]), "securityContext", values[i]);
			/* an empty list is a good value for the list fields */
			const char *notlist = values[i][0] == '[' ? "{}" : values[i];
			set(ctr(pod, lists[l]), "ports", notlist);
			set(ctr(pod, lists[l]), "livenessProbe", values[i]);
			set(ctr(pod, lists[l]), "lifecycle", values[i]);
			set(spec(pod), "securityContext", values[i]);
			set(spec(pod), "volumes", notlist);
			set(spec(pod), "hostUsers", values[i][0] == 't' ? "\"t\"" : values[i]);
			const struct engine_verdict *v = judge(cfg_restricted, pod);
			assert_false(v->allowed);
			assert_null(v->error);
			/* the clean containers may be reported for what the malformed pod no longer
			 * covers */
			for (const struct violation *x = v->violations; x != NULL; x = x->next)
				if ((x->container == NULL || x->container->list == lists[l]) &&
				    strstr(x->message, "that is not") == NULL) {
					harness_dump(v);
					fail_msg("[%s] does not say the field is malformed",
						 x->policy->id);
				}
			static const char *const must[] = {
				"allow-privilege-escalation",
				"capabilities-restricted",
				"seccomp-restricted",
				"run-as-non-root",
				"run-as-user",
				"host-ports",
				"host-probes-lifecycle",
				"restricted-volumes",
				"proc-mount-restricted",
				"selinux-options",
				"apparmor-profile",
				"windows-host-process",
				"sysctls",
			};
			for (size_t m = 0; m < sizeof(must) / sizeof(must[0]); m++)
				if (count(v, must[m]) == 0) {
					harness_dump(v);
					fail_msg("%s did not report the malformed field", must[m]);
				}
		}
	}
}

/* One finding on three containers is one entry of the denial, naming them all; the violations stay
 * three. */
static void test_one_finding_on_many_containers_is_one_entry(void **state)
{
	(void)state;
	json_t *pod = clean_pod();
	for (size_t l = 0; l < 3; l++) {
		json_t *c =
			json_array_get(json_object_get(json_object_get(pod, "spec"), lists[l]), 0);
		json_object_set_new(json_object_get(c, "securityContext"), "privileged",
				    json_true());
	}
	json_object_set_new(
		json_object_get(
			json_array_get(json_object_get(json_object_get(pod, "spec"), "containers"),
				       0),
			"securityContext"),
		"capabilities", json_pack("{s:[s],s:[s]}", "drop", "ALL", "add", "SYS_ADMIN"));
	const struct engine_verdict *v = harness_judge(cfg_baseline, "Pod", pod);
	json_decref(pod);
	assert_false(v->allowed);
	assert_int_equal(v->ndeny, 4);
	const char *want = "[privileged] containers \"app\", \"init\", \"debug\" must not set "
			   "securityContext.privileged=true";
	if (strstr(v->message, want) == NULL)
		fail_msg("expected\n  %s\nin\n  %s", want, v->message);
	assert_null(strstr(strstr(v->message, want) + 1, "[privileged]"));
	/* a finding on one container keeps its singular form */
	assert_non_null(
		strstr(v->message,
		       "[capabilities-baseline] container \"app\" must not include \"SYS_ADMIN\""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_pod_passes_both_levels),
		cmocka_unit_test(test_one_finding_on_many_containers_is_one_entry),
		cmocka_unit_test(test_registry_levels_and_overrides),
		cmocka_unit_test(test_host_namespaces),
		cmocka_unit_test(test_host_namespaces_wrong_type),
		cmocka_unit_test(test_capabilities_baseline),
		cmocka_unit_test(test_capabilities_baseline_wrong_type),
		cmocka_unit_test(test_host_path_volumes),
		cmocka_unit_test(test_host_path_volumes_wrong_type),
		cmocka_unit_test(test_host_ports),
		cmocka_unit_test(test_host_ports_wrong_type),
		cmocka_unit_test(test_host_probes_lifecycle),
		cmocka_unit_test(test_host_probes_lifecycle_wrong_type),
		cmocka_unit_test(test_apparmor_profile_fields),
		cmocka_unit_test(test_apparmor_profile_annotations),
		cmocka_unit_test(test_apparmor_profile_wrong_type),
		cmocka_unit_test(test_selinux_options),
		cmocka_unit_test(test_selinux_options_wrong_type),
		cmocka_unit_test(test_proc_mount),
		cmocka_unit_test(test_proc_mount_wrong_type),
		cmocka_unit_test(test_seccomp_baseline),
		cmocka_unit_test(test_seccomp_baseline_wrong_type),
		cmocka_unit_test(test_sysctls),
		cmocka_unit_test(test_sysctls_wrong_type),
		cmocka_unit_test(test_windows_host_process),
		cmocka_unit_test(test_restricted_volumes),
		cmocka_unit_test(test_restricted_volumes_wrong_type),
		cmocka_unit_test(test_allow_privilege_escalation),
		cmocka_unit_test(test_allow_privilege_escalation_wrong_type),
		cmocka_unit_test(test_run_as_non_root),
		cmocka_unit_test(test_run_as_non_root_user_namespace),
		cmocka_unit_test(test_run_as_non_root_wrong_type),
		cmocka_unit_test(test_run_as_user),
		cmocka_unit_test(test_run_as_user_wrong_type),
		cmocka_unit_test(test_seccomp_restricted),
		cmocka_unit_test(test_seccomp_restricted_wrong_type),
		cmocka_unit_test(test_capabilities_restricted),
		cmocka_unit_test(test_capabilities_restricted_wrong_type),
		cmocka_unit_test(test_proc_mount_restricted),
		cmocka_unit_test(test_windows_exceptions),
		cmocka_unit_test(test_malformed_security_context_every_check),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	json_decref(judged);
	return rc;
}
