/*
 * windows-host-process (Pod Security Standards, baseline): a Windows
 * HostProcess container runs directly on the node as a host process, with
 * full access to the host.
 *
 * Forbids: securityContext.windowsOptions.hostProcess=true on the pod or
 *          on any container, init container or ephemeral container.
 * Reads:   spec.securityContext.windowsOptions.hostProcess,
 *          <container>.securityContext.windowsOptions.hostProcess
 * Windows: this is the Windows check; it applies to every pod whatever
 *          spec.os says, as upstream does.
 */
#include "pss.h"

static int windows_host_process_check(struct policy_ctx *ctx)
{
	const struct pod_view *pod = ctx->pod;
	const char *path = "securityContext.windowsOptions.hostProcess";
	bool on = false;
	size_t bad = 0;
	int rc = 0;
	switch (pss_bool(pod->spec, path, &on, &bad)) {
	case JP_OK:
		if (on)
			rc = policy_fail(ctx, NULL, "pod must not set %s.%s=true", pod->spec_path,
					 path);
		break;
	case JP_BADTYPE:
		rc = pss_bad_type(ctx, NULL, pod->spec_path, path, bad, "a boolean",
				  "remove it or set false");
		break;
	case JP_ABSENT:
		break;
	}
	if (rc < 0)
		return -1;
	for (size_t i = 0; i < pod->ncontainers; i++) {
		const struct container_ref *c = &pod->containers[i];
		switch (pss_bool(c->json, path, &on, &bad)) {
		case JP_OK:
			if (on)
				rc = policy_fail(ctx, c, "must not set %s=true", path);
			break;
		case JP_BADTYPE:
			rc = pss_bad_type(ctx, c, NULL, path, bad, "a boolean",
					  "remove it or set false");
			break;
		case JP_ABSENT:
			break;
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

const struct policy_desc policy_windows_host_process = {
	.id = "windows-host-process",
	.description = "Pods and containers must not run as Windows HostProcess",
	.level = POLICY_LEVEL_BASELINE,
	.check = windows_host_process_check,
};
