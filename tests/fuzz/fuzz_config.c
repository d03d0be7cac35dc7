/*
 * fuzz_config: arbitrary bytes as a configuration file (what
 * `admitd check-config`, --config and SIGHUP reload read). A loaded
 * configuration is then used once, the way the server would: it judges a
 * fixed Deployment review and writes the answer, so that policy parameters
 * and exemptions that load are also exercised.
 */
#include "fuzz_common.h"

static const char fixed_review[] =
	"{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{"
	"\"uid\":\"f\",\"kind\":{\"group\":\"apps\",\"version\":\"v1\",\"kind\":\"Deployment\"},"
	"\"operation\":\"CREATE\",\"namespace\":\"prod-a\",\"name\":\"web\","
	"\"userInfo\":{\"username\":\"alice\",\"groups\":[\"dev\",\"system:authenticated\"]},"
	"\"object\":{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":"
	"\"web\",\"namespace\":\"prod-a\",\"labels\":{\"team\":\"a\"}},\"spec\":{\"replicas\":3,"
	"\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\",\"segment\":\"db\"}},\"spec\":{"
	"\"hostNetwork\":true,\"serviceAccountName\":\"default\","
	"\"volumes\":[{\"name\":\"h\",\"hostPath\":{\"path\":\"/etc\"}}],"
	"\"initContainers\":[{\"name\":\"init\",\"image\":\"busybox\",\"securityContext\":{"
	"\"privileged\":true}}],"
	"\"containers\":[{\"name\":\"web\",\"image\":\"ghcr.io/acme/web:latest\",\"ports\":[{"
	"\"containerPort\":22,\"hostPort\":22}],\"env\":[{\"name\":\"DB_PASSWORD\",\"value\":"
	"\"x\"}],\"resources\":{\"limits\":{\"cpu\":\"1\"}},\"securityContext\":{"
	"\"capabilities\":{\"add\":[\"NET_RAW\",\"SYS_ADMIN\"]},\"runAsUser\":0}},"
	"{\"name\":\"side\",\"image\":\"registry.corp.example/side@sha256:"
	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
	"\"securityContext\":{\"readOnlyRootFilesystem\":true,\"allowPrivilegeEscalation\":"
	"false,\"runAsNonRoot\":true,\"seccompProfile\":{\"type\":\"RuntimeDefault\"},"
	"\"capabilities\":{\"drop\":[\"ALL\"]}}}]}}}}}}";

static struct review rv;
static struct arena arena;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char why[256];
	if (review_decode(fixed_review, sizeof(fixed_review) - 1, REVIEW_MAX_DEPTH, &rv, why,
			  sizeof(why)) < 0)
		fuzz_fail("fixed review refused: %s", why);
	arena_init(&arena);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* exact size, not NUL-terminated: config_load_buffer takes a length */
	char *buf = malloc(size ? size : 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	struct yamlconf_errors errs = {0};
	struct admitd_config *cfg = config_load_buffer("fuzz.yaml", buf, size, &errs);
	if (cfg != NULL) {
		if (errs.count != 0)
			fuzz_fail("a configuration loaded with %zu errors", errs.count);
		if (cfg->checksum[16] != '\0' || strlen(cfg->checksum) != 16)
			fuzz_fail("checksum is not 16 hex digits");
		free(fuzz_judge(cfg, &rv, &arena));
		arena_reset(&arena);
		config_unref(cfg);
	} else if (errs.count == 0) {
		fuzz_fail("a configuration was refused without an error message");
	}
	for (size_t i = 0; i < errs.count; i++)
		if (errs.lines[i] == NULL || errs.lines[i][0] == '\0')
			fuzz_fail("an empty error line");
	yamlconf_errors_free(&errs);
	free(buf);
	return 0;
}
