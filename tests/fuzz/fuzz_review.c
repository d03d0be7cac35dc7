/*
 * fuzz_review: arbitrary bytes as a /validate request body. Runs what
 * server_on_validate runs: review_decode, then engine_evaluate under a
 * configuration with every webhook module on (restricted Pod Security,
 * every admitd module, per-policy and global exemptions, custom rules with
 * all/any/not, regex and numbers) in enforce and in dry-run mode, then
 * review_encode; the answer must be valid JSON that agrees with the verdict.
 * Each input runs twice: with jansson allocating from the request arena,
 * as the server does, and from malloc, where ASan sees every allocation;
 * both must give the same answers.
 */
#include "fuzz_common.h"

#include "../../webhook/jsonarena.h"
#include "../../webhook/workload.h"

#define FUZZ_REVIEW_CONFIG(mode)                                                                   \
	"mode: " mode "\n"                                                                         \
	"podSecurity:\n"                                                                           \
	"  level: restricted\n"                                                                    \
	"  action: deny\n"                                                                         \
	"exemptions:\n"                                                                            \
	"  namespaces: [kube-system, \"exempt-*\"]\n"                                              \
	"  users: [\"system:serviceaccount:kube-system:replicaset-controller\"]\n"                 \
	"  groups: [\"system:masters-exempt\"]\n"                                                  \
	"policies:\n"                                                                              \
	"  - id: allowed-registries\n"                                                             \
	"    action: deny\n"                                                                       \
	"    registries: [registry.corp.example, ghcr.io/acme, \"localhost:5000\", "               \
	"docker.io/library]\n"                                                                     \
	"    allowLatest: false\n"                                                                 \
	"    exemptions: {images: [docker.io/library/busybox, \"ghcr.io/acme/tool:1.0\"], "        \
	"namespaces: [ci]}\n"                                                                      \
	"  - id: required-labels\n"                                                                \
	"    action: warn\n"                                                                       \
	"    labels:\n"                                                                            \
	"      - key: team\n"                                                                      \
	"      - key: example.com/segment\n"                                                       \
	"        values: [frontend, backend, \"\"]\n"                                              \
	"  - id: read-only-root-filesystem\n"                                                      \
	"    action: audit\n"                                                                      \
	"  - id: resource-limits\n"                                                                \
	"    resources: [cpu, memory, nvidia.com/gpu]\n"                                           \
	"  - id: no-secrets-in-env\n"                                                              \
	"    action: deny\n"                                                                       \
	"  - id: forbidden-ports\n"                                                                \
	"    ports: [22, 23, 3389]\n"                                                              \
	"  - id: privileged\n"                                                                     \
	"    exemptions: {users: [admin], images: [registry.corp.example/debug]}\n"                \
	"  - id: run-as-user\n"                                                                    \
	"    action: warn\n"                                                                       \
	"rules:\n"                                                                                 \
	"  - id: team-label\n"                                                                     \
	"    action: deny\n"                                                                       \
	"    match: {kinds: [Deployment, StatefulSet], namespaces: [\"prod-*\"]}\n"                \
	"    assert: {path: metadata.labels.team, op: exists}\n"                                   \
	"    message: \"workloads in prod must carry a team label\"\n"                             \
	"  - id: pinned\n"                                                                         \
	"    action: audit\n"                                                                      \
	"    assert: {path: \"pod.spec.containers[*].image\", op: matches, value: "                \
	"\"@sha256:[0-9a-f]{64}$\"}\n"                                                             \
	"  - id: sa\n"                                                                             \
	"    action: warn\n"                                                                       \
	"    assert: {any: [{path: pod.spec.serviceAccountName, op: notIn, values: [\"\", "        \
	"default]}, {not: {path: pod.metadata.labels.tier, op: absent}}]}\n"                       \
	"  - id: replicas\n"                                                                       \
	"    assert: {all: [{path: spec.replicas, op: lte, value: \"50\"}, "                       \
	"{path: \"spec.template.spec.containers[0].name\", op: notEquals, value: forbidden}, "     \
	"{path: \"spec.template.spec.volumes[*].name\", op: in, values: [data, tmp, cache]}]}\n"

static struct admitd_config *cfg_enforce, *cfg_dry;
static struct arena arena;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* as server_run does at start: jansson allocates through jsonarena, and
	 * the shared values are made before any request arena exists */
	jsonarena_install();
	workload_init();
	cfg_enforce = fuzz_config("fuzz-enforce.yaml", FUZZ_REVIEW_CONFIG("enforce"));
	cfg_dry = fuzz_config("fuzz-dry-run.yaml", FUZZ_REVIEW_CONFIG("dry-run"));
	arena_init(&arena);
	return 0;
}

struct outcome {
	int decoded;
	char why[256];
	char *enforce, *dry; /* the responses, malloc'd */
};

/*
 * One pass over the body: decode, judge in enforce and in dry-run mode,
 * encode. With in_arena, jansson allocates from the request arena as in
 * server_on_validate; without, from malloc, where ASan sees every block.
 */
static void one_pass(const char *body, size_t size, bool in_arena, struct outcome *o)
{
	struct review rv;
	memset(o, 0, sizeof(*o));
	if (in_arena)
		jsonarena_begin(&arena);
	o->decoded = review_decode(body, size, cfg_enforce->limits.max_json_depth, &rv, o->why,
				   sizeof(o->why));
	if (o->decoded == 0) {
		if (rv.uid == NULL || rv.api_version == NULL || rv.in.operation == NULL)
			fuzz_fail(
				"review_decode accepted a review without uid/apiVersion/operation");
		o->enforce = fuzz_judge(cfg_enforce, &rv, &arena);
		o->dry = fuzz_judge(cfg_dry, &rv, &arena);
		review_free(&rv);
	} else {
		if (memchr(o->why, '\0', sizeof(o->why)) == NULL || o->why[0] == '\0')
			fuzz_fail("review_decode failed without a reason");
		size_t len = 0;
		free(review_error_body(o->why, &len));
	}
	if (in_arena)
		jsonarena_end();
	arena_reset(&arena);
}

static bool same_text(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* h2o hands the handler a pointer and a length, not a C string */
	char *body = size ? malloc(size) : NULL;
	if (size && body == NULL)
		return 0;
	if (size)
		memcpy(body, data, size);
	struct outcome server, plain;
	one_pass(body, size, true, &server);
	one_pass(body, size, false, &plain);
	/* where jansson's memory comes from must never change an answer */
	if (server.decoded != plain.decoded || strcmp(server.why, plain.why) != 0)
		fuzz_fail("decode differs in the arena (%d \"%s\") and in malloc (%d \"%s\")",
			  server.decoded, server.why, plain.decoded, plain.why);
	if (!same_text(server.enforce, plain.enforce) || !same_text(server.dry, plain.dry))
		fuzz_fail("the response differs in the arena and in malloc");
	free(server.enforce);
	free(server.dry);
	free(plain.enforce);
	free(plain.dry);
	free(body);
	return 0;
}
