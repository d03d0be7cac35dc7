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

static int windows_host_process_judge(struct policy_ctx *ctx, const struct pss_field *f)
{
	if (!json_is_true(f->value))
		return 0;
	return policy_fail(ctx, f->c, "%smust not set %s=true", f->who, f->name);
}

static int windows_host_process_check(struct policy_ctx *ctx)
{
	const struct pss_visit v = {
		.path = "securityContext.windowsOptions.hostProcess",
		.type = JSON_TRUE,
		.want = "a boolean",
		.fix = "remove it or set false",
		.pod = true,
		.judge = windows_host_process_judge,
	};
	return pss_visit_fields(ctx, &v);
}

const struct policy_desc policy_windows_host_process = {
	.id = "windows-host-process",
	.description = "Pods and containers must not run as Windows HostProcess",
	.level = POLICY_LEVEL_BASELINE,
	.check = windows_host_process_check,
};
