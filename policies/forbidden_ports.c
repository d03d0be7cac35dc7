/*
 * forbidden-ports: a container that offers a remote shell (ssh, telnet)
 * is a way in that bypasses Kubernetes authentication, RBAC and audit;
 * kubectl exec and kubectl debug give the same access with all three.
 *
 * Forbids: on any container, init container or ephemeral container, a
 *          ports[*].containerPort in `ports`; also a ports that is not a
 *          list, an entry that is not an object and a containerPort that
 *          is not an integer, since such a port cannot be vouched for.
 * Reads:   <container>.ports[*].containerPort
 * Parameters:
 *   ports: [int, ...]  default [22, 23]; each from 1 to 65535
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

struct forbidden_ports_params {
	int *ports;
	unsigned ports_count;
};

struct forbidden_ports_state {
	int *ports;
	size_t nports;
};

static const cyaml_schema_value_t forbidden_ports_int = {
	CYAML_VALUE_INT(CYAML_FLAG_DEFAULT, int),
};

static const cyaml_schema_field_t forbidden_ports_fields[] = {
	/* at least one entry: `ports: []` cannot be told from an absent key afterwards */
	CYAML_FIELD_SEQUENCE("ports", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct forbidden_ports_params, ports, &forbidden_ports_int, 1,
			     CYAML_UNLIMITED),
	CYAML_FIELD_END,
};

static const int forbidden_ports_defaults[] = {22, 23};

/* Names the usual remote-shell ports, so the message says why the port matters. */
static const char *forbidden_ports_name(long long port)
{
	switch (port) {
	case 22:
		return " (ssh)";
	case 23:
		return " (telnet)";
	case 512:
		return " (rexec)";
	case 513:
		return " (rlogin)";
	case 514:
		return " (rsh)";
	case 3389:
		return " (RDP)";
	case 5900:
		return " (VNC)";
	case 5985:
	case 5986:
		return " (WinRM)";
	default:
		return "";
	}
}

static void forbidden_ports_release(void *state)
{
	struct forbidden_ports_state *st = state;
	if (st == NULL)
		return;
	free(st->ports);
	free(st);
}

static int forbidden_ports_prepare(const void *params, void **state, char *err, size_t errlen)
{
	const struct forbidden_ports_params *p = params;
	*state = NULL;
	bool given = p != NULL && p->ports_count > 0;
	const int *ports = given ? p->ports : forbidden_ports_defaults;
	size_t n = given ? p->ports_count
			 : sizeof(forbidden_ports_defaults) / sizeof(forbidden_ports_defaults[0]);
	for (size_t i = 0; i < n; i++) {
		if (ports[i] < 1 || ports[i] > 65535) {
			snprintf(err, errlen, "ports[%zu] %d is not a port number (1 to 65535)", i,
				 ports[i]);
			return -1;
		}
	}
	struct forbidden_ports_state *st = calloc(1, sizeof(*st));
	if (st == NULL || (st->ports = malloc(n * sizeof(*st->ports))) == NULL) {
		forbidden_ports_release(st);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(st->ports, ports, n * sizeof(*st->ports));
	st->nports = n;
	*state = st;
	return 0;
}

static bool forbidden_ports_forbidden(const struct forbidden_ports_state *st, long long port)
{
	for (size_t i = 0; i < st->nports; i++)
		if (st->ports[i] == port)
			return true;
	return false;
}

static int forbidden_ports_container(struct policy_ctx *ctx, const struct forbidden_ports_state *st,
				     const struct container_ref *c)
{
	const json_t *ports = NULL;
	switch (jp_array(c->json, "ports", &ports)) {
	case JP_OK:
		break;
	case JP_BADTYPE:
		return policy_fail(ctx, c, "has a ports that is not a list; fix or remove it");
	case JP_ABSENT:
		return 0;
	}
	size_t i;
	const json_t *port;
	json_array_foreach(ports, i, port)
	{
		int rc = 0;
		long long num = 0;
		if (!json_is_object(port)) {
			rc = policy_fail(ctx, c,
					 "has a ports[%zu] that is not an object; fix or "
					 "remove it",
					 i);
		} else {
			switch (jp_int(port, "containerPort", &num)) {
			case JP_OK:
				if (forbidden_ports_forbidden(st, num))
					rc = policy_fail(ctx, c,
							 "exposes containerPort %lld%s, a remote "
							 "shell port; remove it and use kubectl "
							 "exec or kubectl debug for a shell",
							 num, forbidden_ports_name(num));
				break;
			case JP_BADTYPE:
				rc = policy_fail(ctx, c,
						 "has a ports[%zu].containerPort that is not an "
						 "integer; set it to a port number",
						 i);
				break;
			case JP_ABSENT:
				break; /* the apiserver refuses a port without a number */
			}
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int forbidden_ports_check(struct policy_ctx *ctx)
{
	const struct forbidden_ports_state *st = ctx->state;
	if (st == NULL)
		return policy_error(ctx, "forbidden-ports has no prepared ports");
	for (size_t i = 0; i < ctx->pod->ncontainers; i++)
		if (forbidden_ports_container(ctx, st, &ctx->pod->containers[i]) < 0)
			return -1;
	return 0;
}

const struct policy_desc policy_forbidden_ports = {
	.id = "forbidden-ports",
	.description = "Containers must not expose remote shell ports (default: 22, 23)",
	.level = POLICY_LEVEL_NONE,
	.default_action = POLICY_ACTION_OFF,
	.params_fields = forbidden_ports_fields,
	.params_size = sizeof(struct forbidden_ports_params),
	.prepare = forbidden_ports_prepare,
	.release = forbidden_ports_release,
	.check = forbidden_ports_check,
};
