/*
 * sysctls (Pod Security Standards, baseline): most sysctls are node-wide
 * or can starve the node; only a few are namespaced per pod and isolated
 * from other pods, and those are the only ones a pod may set.
 *
 * Forbids: any spec.securityContext.sysctls[*].name outside the safe set
 *          of upstream policy v1.37: kernel.shm_rmid_forced,
 *          net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies,
 *          net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start
 *          (v1.0); net.ipv4.ip_local_reserved_ports (v1.27);
 *          net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout,
 *          net.ipv4.tcp_keepalive_intvl, net.ipv4.tcp_keepalive_probes
 *          (v1.29); net.ipv4.tcp_rmem, net.ipv4.tcp_wmem (v1.32);
 *          net.ipv4.tcp_slow_start_after_idle, net.ipv4.tcp_notsent_lowat
 *          (v1.37). Names are compared exactly, as upstream does.
 * Reads:   spec.securityContext.sysctls[*].name
 * Windows: applies unchanged (upstream has no exception).
 */
#include "pss.h"

static const char *const sysctls_allowed[] = {
	"kernel.shm_rmid_forced",
	"net.ipv4.ip_local_port_range",
	"net.ipv4.tcp_syncookies",
	"net.ipv4.ping_group_range",
	"net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time",
	"net.ipv4.tcp_fin_timeout",
	"net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes",
	"net.ipv4.tcp_rmem",
	"net.ipv4.tcp_wmem",
	"net.ipv4.tcp_slow_start_after_idle",
	"net.ipv4.tcp_notsent_lowat",
	NULL,
};

static int sysctls_check(struct policy_ctx *ctx)
{
	const struct pod_view *pod = ctx->pod;
	const char *path = "securityContext.sysctls";
	const json_t *list = NULL;
	size_t bad = 0;
	switch (pss_array(pod->spec, path, &list, &bad)) {
	case JP_OK:
		break;
	case JP_BADTYPE:
		return pss_bad_type(ctx, NULL, pod->spec_path, path, bad, "a list",
				    "list only safe sysctls");
	case JP_ABSENT:
		return 0;
	}
	size_t i;
	const json_t *entry;
	json_array_foreach(list, i, entry)
	{
		const char *name = NULL;
		int rc = 0;
		if (!json_is_object(entry))
			rc = policy_fail(
				ctx, NULL,
				"pod has a %s.%s[%zu] that is not an object; fix or remove it",
				pod->spec_path, path, i);
		else if (jp_string(entry, "name", &name) != JP_OK)
			rc = policy_fail(
				ctx, NULL,
				"pod has a %s.%s[%zu] without a string name; fix or remove it",
				pod->spec_path, path, i);
		else if (!pss_in(sysctls_allowed, name))
			rc = policy_fail(
				ctx, NULL,
				"pod must not set sysctl \"%s\" in %s.%s; remove it (only "
				"namespaced safe sysctls such as net.ipv4.ip_local_port_range "
				"are allowed)",
				name, pod->spec_path, path);
		if (rc < 0)
			return -1;
	}
	return 0;
}

const struct policy_desc policy_sysctls = {
	.id = "sysctls",
	.description = "Pods may set only the safe, namespaced sysctls",
	.level = POLICY_LEVEL_BASELINE,
	.check = sysctls_check,
};
