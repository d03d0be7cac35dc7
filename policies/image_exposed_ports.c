/*
 * image-exposed-ports: an image that EXPOSEs 22 usually carries sshd, and
 * one that EXPOSEs 23 a Telnet server: remote shells beside the
 * application, whatever ports the pod declares. The image's configuration
 * says so; the pod spec does not.
 *
 * Forbids: on any container, init container or ephemeral container whose
 *          image matches `images`, an image whose config.ExposedPorts holds
 *          one of `ports`, on any linux platform the pod can land on,
 *          whether or not the pod declares the port.
 * Reads:   <container>.image, the pod's node selector and affinity for its
 *          platforms; the image's configuration as gathered before the
 *          engine ran (imgcheck.h).
 * Parameters:
 *   images:          [image pattern, ...]  required: the images read
 *   ports:           ["PORT/PROTO", ...]  default ["22/tcp", "23/tcp"] (a bare
 *                    number is tcp)
 *   timeoutSeconds:  the most one review waits for registries, default 8
 *   onRegistryError: deny (default) or allow (with a warning)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgcontents.h"

struct image_exposed_ports_params {
	struct imgcheck_params common;
	char **ports;
	unsigned ports_count;
};

static const cyaml_schema_field_t image_exposed_ports_fields[] = {
	IMGCHECK_FIELDS(struct image_exposed_ports_params, common),
	CYAML_FIELD_SEQUENCE("ports", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct image_exposed_ports_params, ports, &imgcheck_string_schema, 1,
			     256),
	CYAML_FIELD_END,
};

#define EXPOSED_PORTS_MAX 256
struct image_exposed_ports_state {
	struct imgcheck_policy public;     /* first: imgcheck reads it through the state pointer */
	char ports[EXPOSED_PORTS_MAX][16]; /* "22/tcp" */
	size_t nports;
};

/* "22", "22/tcp", "53/UDP" as "N/proto"; -1 when not a port. */
static int image_exposed_ports_norm(const char *s, char out[16])
{
	char *end;
	if (s[0] < '0' || s[0] > '9')
		return -1;
	unsigned long port = strtoul(s, &end, 10);
	if (port < 1 || port > 65535)
		return -1;
	char proto[8] = "tcp";
	if (*end == '/') {
		size_t n = strlen(end + 1);
		if (n == 0 || n >= sizeof(proto))
			return -1;
		for (size_t i = 0; i <= n; i++)
			proto[i] = (char)(end[1 + i] >= 'A' && end[1 + i] <= 'Z' ? end[1 + i] + 32
										 : end[1 + i]);
		if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0 &&
		    strcmp(proto, "sctp") != 0)
			return -1;
	} else if (*end != '\0') {
		return -1;
	}
	snprintf(out, 16, "%lu/%s", port, proto);
	return 0;
}

static int image_exposed_ports_prepare(const void *params, void **state, char *err, size_t errlen)
{
	const struct image_exposed_ports_params *p = params;
	static const char *const defaults[] = {"22/tcp", "23/tcp"};
	*state = NULL;
	struct image_exposed_ports_state *st =
		imgcheck_state_new(sizeof(*st), p != NULL ? &p->common : NULL, err, errlen);
	if (st == NULL)
		return -1;
	size_t n = p != NULL && p->ports_count > 0 ? p->ports_count : 2;
	for (size_t i = 0; i < n; i++) {
		const char *s = p != NULL && p->ports_count > 0 ? p->ports[i] : defaults[i];
		if (image_exposed_ports_norm(s, st->ports[i]) < 0) {
			snprintf(err, errlen,
				 "ports[%zu] \"%s\" is not PORT or PORT/PROTO (tcp, udp, sctp), "
				 "e.g. \"22/tcp\"",
				 i, s);
			imgcheck_state_free(st);
			return -1;
		}
		st->nports = i + 1;
	}
	*state = st;
	return 0;
}

/* What usually listens there, for the message. */
static const char *image_exposed_ports_service(const char *port)
{
	if (strcmp(port, "22/tcp") == 0)
		return " (SSH)";
	if (strcmp(port, "23/tcp") == 0)
		return " (Telnet)";
	return "";
}

static enum imgcontents_verdict image_exposed_ports_platform(struct policy_ctx *ctx,
							     const struct container_ref *c,
							     const struct imgfacts_platform *p,
							     const char **detail)
{
	(void)c;
	const struct image_exposed_ports_state *st = ctx->state;
	char *found = NULL;
	for (size_t i = 0; i < p->nports; i++)
		for (size_t k = 0; k < st->nports; k++)
			if (strcmp(p->ports[i], st->ports[k]) == 0) {
				found = arena_printf(ctx->arena, "%s%s%s%s", found ? found : "",
						     found ? ", " : "", p->ports[i],
						     image_exposed_ports_service(p->ports[i]));
				if (found == NULL)
					return IMGCONTENTS_OK;
			}
	if (found == NULL)
		return IMGCONTENTS_OK;
	*detail = arena_printf(ctx->arena,
			       "exposes %s in its configuration (EXPOSE), whether or not the pod "
			       "declares it; remove the EXPOSE and the server behind it from the "
			       "image",
			       found);
	return IMGCONTENTS_FAIL;
}

static int image_exposed_ports_check(struct policy_ctx *ctx)
{
	const struct image_exposed_ports_state *st = ctx->state;
	return imgcontents_visit(ctx, st != NULL ? &st->public : NULL,
				 image_exposed_ports_platform);
}

const struct policy_desc policy_image_exposed_ports = {
	.id = "image-exposed-ports",
	.description =
		"Images must not expose forbidden ports (SSH, Telnet) in their configuration",
	.level = POLICY_LEVEL_NONE,
	.default_action = POLICY_ACTION_OFF,
	.params_fields = image_exposed_ports_fields,
	.params_size = sizeof(struct image_exposed_ports_params),
	.prepare = image_exposed_ports_prepare,
	.release = imgcheck_state_free,
	.check = image_exposed_ports_check,
};
