/*
 * host-probes-lifecycle (Pod Security Standards, baseline, policy v1.34+):
 * a probe or lifecycle hook with a host makes the kubelet, which runs on
 * the node with the node's network identity, connect wherever the pod
 * says: a way to reach node-local or otherwise unreachable services.
 *
 * Forbids: a non-empty host in httpGet or tcpSocket of livenessProbe,
 *          readinessProbe, startupProbe, lifecycle.postStart or
 *          lifecycle.preStop, on any container, init container or
 *          ephemeral container.
 * Reads:   <container>.{livenessProbe,readinessProbe,startupProbe}.
 *          {httpGet,tcpSocket}.host and <container>.lifecycle.
 *          {postStart,preStop}.{httpGet,tcpSocket}.host
 * Windows: applies unchanged (upstream has no exception).
 */
#include <string.h>

#include "pss.h"

/* Entries that share a prefix are adjacent, so a malformed prefix is reported once. */
static const char *const host_probes_lifecycle_paths[] = {
	"livenessProbe.httpGet.host",       "livenessProbe.tcpSocket.host",
	"readinessProbe.httpGet.host",      "readinessProbe.tcpSocket.host",
	"startupProbe.httpGet.host",        "startupProbe.tcpSocket.host",
	"lifecycle.postStart.httpGet.host", "lifecycle.postStart.tcpSocket.host",
	"lifecycle.preStop.httpGet.host",   "lifecycle.preStop.tcpSocket.host",
};

static int host_probes_lifecycle_container(struct policy_ctx *ctx, const struct container_ref *c)
{
	const char *reported = NULL;
	size_t reported_len = 0;
	for (size_t i = 0;
	     i < sizeof(host_probes_lifecycle_paths) / sizeof(host_probes_lifecycle_paths[0]);
	     i++) {
		const char *path = host_probes_lifecycle_paths[i];
		const char *host = NULL;
		size_t bad = 0;
		switch (pss_string(c->json, path, &host, &bad)) {
		case JP_OK:
			if (host[0] != '\0' &&
			    policy_fail(ctx, c,
					"must not set %s=\"%s\"; remove the host so the kubelet "
					"connects to the pod's own IP",
					path, host) < 0)
				return -1;
			break;
		case JP_BADTYPE:
			if (reported != NULL && bad == reported_len &&
			    strncmp(reported, path, bad) == 0)
				break;
			reported = path;
			reported_len = bad;
			if (pss_bad_type(ctx, c, NULL, path, bad, "a string",
					 "fix it, and leave the host unset") < 0)
				return -1;
			break;
		case JP_ABSENT:
			break;
		}
	}
	return 0;
}

static int host_probes_lifecycle_check(struct policy_ctx *ctx)
{
	for (size_t i = 0; i < ctx->pod->ncontainers; i++)
		if (host_probes_lifecycle_container(ctx, &ctx->pod->containers[i]) < 0)
			return -1;
	return 0;
}

const struct policy_desc policy_host_probes_lifecycle = {
	.id = "host-probes-lifecycle",
	.description = "Probes and lifecycle hooks must not set a host (httpGet/tcpSocket.host)",
	.level = POLICY_LEVEL_BASELINE,
	.check = host_probes_lifecycle_check,
};
