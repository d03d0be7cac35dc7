/*
 * fuzz_rules: custom rules (`rules:` in the configuration).
 *
 * Input: PATH '\n' ASSERTION. PATH goes to rules_check_path. ASSERTION is
 * the text after `assert: ` of one rule in a configuration built around it
 * (so flow mappings such as {path: a.b, op: exists} and, after a newline,
 * block mappings both reach the rule compiler). When the configuration
 * loads, the rule judges a Pod and a Deployment review (per-container
 * paths, wildcards, indexes, regexes and numbers all run) and the answers
 * are written.
 */
#include "fuzz_common.h"

#include "../../webhook/rules.h"

static const char pod_review[] =
	"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
	"\"uid\":\"p\",\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},"
	"\"operation\":\"CREATE\",\"namespace\":\"prod-a\",\"name\":\"web\","
	"\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\","
	"\"labels\":{\"team\":\"a\",\"tier\":\"1\",\"n\":3.5}},\"spec\":{"
	"\"serviceAccountName\":\"default\",\"hostNetwork\":false,\"priority\":-7,"
	"\"volumes\":[{\"name\":\"data\",\"emptyDir\":{}},{\"name\":\"cfg\",\"configMap\":{"
	"\"name\":"
	"\"c\",\"items\":[{\"key\":\"a\",\"path\":\"b\"}]}}],"
	"\"initContainers\":[{\"name\":\"init\",\"image\":\"busybox\"}],"
	"\"ephemeralContainers\":[{\"name\":\"dbg\",\"image\":\"debian:12\"}],"
	"\"containers\":[{\"name\":\"web\",\"image\":\"ghcr.io/acme/web@sha256:"
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\"ports\":[{"
	"\"containerPort\":8080}],\"env\":[{\"name\":\"A\",\"value\":\"1\"}],\"resources\":{"
	"\"limits\":{\"cpu\":\"500m\",\"memory\":512}},\"securityContext\":{\"runAsUser\":1000,"
	"\"readOnlyRootFilesystem\":true}},{\"name\":\"side\",\"image\":null,\"args\":[[],{},"
	"null,true,1e300]}]}}}}";

static const char deploy_review[] =
	"{\"apiVersion\":\"admission.k8s.io/v1beta1\",\"kind\":\"AdmissionReview\",\"request\":{"
	"\"uid\":\"d\",\"kind\":{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\"},"
	"\"operation\":\"UPDATE\",\"namespace\":\"prod-b\",\"name\":\"api\","
	"\"object\":{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":"
	"\"api\",\"labels\":{\"owner\":\"x\"}},\"spec\":{\"replicas\":70,\"selector\":{},"
	"\"template\":{\"metadata\":{\"labels\":{\"app\":\"api\"}},\"spec\":{"
	"\"containers\":[{\"name\":\"api\",\"image\":\"nginx:latest\"}]}}}}}}";

static struct review pod_rv, deploy_rv;
static struct arena arena;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char why[256];
	if (review_decode(pod_review, sizeof(pod_review) - 1, REVIEW_MAX_DEPTH, &pod_rv, why,
			  sizeof(why)) < 0)
		fuzz_fail("fixed pod review refused: %s", why);
	if (review_decode(deploy_review, sizeof(deploy_review) - 1, REVIEW_MAX_DEPTH, &deploy_rv,
			  why, sizeof(why)) < 0)
		fuzz_fail("fixed deployment review refused: %s", why);
	arena_init(&arena);
	return 0;
}

static const char prefix[] = "podSecurity: {level: privileged}\n"
			     "rules:\n"
			     "  - id: fuzz-rule\n"
			     "    action: deny\n"
			     "    match: {namespaces: [\"prod-*\"]}\n"
			     "    assert: ";
static const char suffix[] = "\n"
			     "  - id: second\n"
			     "    action: warn\n"
			     "    assert: {path: pod.metadata.labels.team, op: exists}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t plen = nl ? (size_t)(nl - data) : size;
	char *path = fuzz_strndup(data, plen);
	char err[256];
	if (rules_check_path(path, err, sizeof(err)) < 0 &&
	    (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0'))
		fuzz_fail("rules_check_path failed without a reason");
	free(path);

	const uint8_t *as = nl ? nl + 1 : data;
	size_t alen = nl ? size - plen - 1 : size;
	size_t len = sizeof(prefix) - 1 + alen + sizeof(suffix) - 1;
	char *text = malloc(len);
	if (text == NULL)
		return 0;
	memcpy(text, prefix, sizeof(prefix) - 1);
	memcpy(text + sizeof(prefix) - 1, as, alen);
	memcpy(text + sizeof(prefix) - 1 + alen, suffix, sizeof(suffix) - 1);
	struct yamlconf_errors errs = {0};
	struct admitd_config *cfg = config_load_buffer("fuzz-rules.yaml", text, len, &errs);
	if (cfg != NULL) {
		free(fuzz_judge(cfg, &pod_rv, &arena));
		free(fuzz_judge(cfg, &deploy_rv, &arena));
		arena_reset(&arena);
		config_unref(cfg);
	} else if (errs.count == 0) {
		fuzz_fail("rules configuration refused without an error message");
	}
	yamlconf_errors_free(&errs);
	free(text);
	return 0;
}
