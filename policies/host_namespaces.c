/*
 * host-namespaces (Pod Security Standards, baseline): sharing the node's
 * network, PID or IPC namespace lets a pod see and reach the host's
 * processes, sockets and shared memory.
 *
 * Forbids: spec.hostNetwork, spec.hostPID or spec.hostIPC set to true.
 * Reads:   spec.hostNetwork, spec.hostPID, spec.hostIPC
 * Windows: applies unchanged (upstream has no exception).
 */
#include "pss.h"

static const char *const host_namespaces_fields[] = {"hostNetwork", "hostPID", "hostIPC"};

static int host_namespaces_check(struct policy_ctx *ctx)
{
	const struct pod_view *pod = ctx->pod;
	for (size_t i = 0; i < sizeof(host_namespaces_fields) / sizeof(host_namespaces_fields[0]);
	     i++) {
		const char *field = host_namespaces_fields[i];
		bool on = false;
		size_t bad = 0;
		switch (pss_bool(pod->spec, field, &on, &bad)) {
		case JP_OK:
			if (on && policy_fail(ctx, NULL, "pod must not set %s.%s=true",
					      pod->spec_path, field) < 0)
				return -1;
			break;
		case JP_BADTYPE:
			if (pss_bad_type(ctx, NULL, pod->spec_path, field, bad, "a boolean",
					 "remove it or set false") < 0)
				return -1;
			break;
		case JP_ABSENT:
			break;
		}
	}
	return 0;
}

const struct policy_desc policy_host_namespaces = {
	.id = "host-namespaces",
	.description = "Pods must not share the host's network, PID or IPC namespace",
	.level = POLICY_LEVEL_BASELINE,
	.check = host_namespaces_check,
};
