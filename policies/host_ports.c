/*
 * host-ports (Pod Security Standards, baseline): a hostPort binds the
 * node's own network interface, bypassing Services and NetworkPolicies
 * and limiting where the pod can be scheduled.
 *
 * Forbids: ports[*].hostPort set to anything but 0 on any container, init
 *          container or ephemeral container.
 * Reads:   <container>.ports[*].hostPort
 * Windows: applies unchanged (upstream has no exception).
 */
#include "pss.h"

static int host_ports_container(struct policy_ctx *ctx, const struct container_ref *c)
{
	const json_t *ports = NULL;
	size_t bad = 0;
	switch (pss_array(c->json, "ports", &ports, &bad)) {
	case JP_OK:
		break;
	case JP_BADTYPE:
		return pss_bad_type(ctx, c, NULL, "ports", bad, "a list",
				    "list ports without hostPort");
	case JP_ABSENT:
		return 0;
	}

	size_t i;
	const json_t *port;
	json_array_foreach(ports, i, port)
	{
		if (!json_is_object(port)) {
			if (policy_fail(ctx, c,
					"has a ports[%zu] that is not an object; fix or "
					"remove it",
					i) < 0)
				return -1;
			continue;
		}
		long long hp = 0;
		switch (jp_int(port, "hostPort", &hp)) {
		case JP_OK:
			if (hp != 0 &&
			    policy_fail(ctx, c,
					"must not set ports[%zu].hostPort=%lld; remove "
					"hostPort (or set 0) and reach the pod through a "
					"Service",
					i, hp) < 0)
				return -1;
			break;
		case JP_BADTYPE:
			if (policy_fail(
				    ctx, c,
				    "has a ports[%zu].hostPort that is not an integer; remove it "
				    "or set 0",
				    i) < 0)
				return -1;
			break;
		case JP_ABSENT:
			break;
		}
	}
	return 0;
}

static int host_ports_check(struct policy_ctx *ctx)
{
	for (size_t i = 0; i < ctx->pod->ncontainers; i++)
		if (host_ports_container(ctx, &ctx->pod->containers[i]) < 0)
			return -1;
	return 0;
}

const struct policy_desc policy_host_ports = {
	.id = "host-ports",
	.description = "Containers must not bind host ports (ports[].hostPort)",
	.level = POLICY_LEVEL_BASELINE,
	.check = host_ports_check,
};
