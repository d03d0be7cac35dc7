/*
 * selinux-options (Pod Security Standards, baseline): an SELinux type
 * other than the container types (spc_t, unconfined_t, ...) escapes the
 * container policy, and a custom SELinux user or role changes what the
 * process may do on the host.
 *
 * Forbids: seLinuxOptions.type other than empty, container_t,
 *          container_init_t, container_kvm_t or container_engine_t
 *          (allowed from policy v1.31); and any non-empty seLinuxOptions.user
 *          or seLinuxOptions.role; on the pod or on any container, init
 *          container or ephemeral container. seLinuxOptions.level is free.
 * Reads:   spec.securityContext.seLinuxOptions.{type,user,role},
 *          <container>.securityContext.seLinuxOptions.{type,user,role}
 * Windows: applies unchanged (upstream has no exception).
 */
#include "pss.h"

static const char *const selinux_options_types[] = {
	"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t", NULL,
};

/* The seLinuxOptions of the pod (c == NULL) or of a container. */
static int selinux_options_one(struct policy_ctx *ctx, const struct container_ref *c,
			       const json_t *root)
{
	const char *path = "securityContext.seLinuxOptions";
	const json_t *opts = NULL;
	size_t bad = 0;
	switch (pss_object(root, path, &opts, &bad)) {
	case JP_OK:
		break;
	case JP_BADTYPE:
		return pss_bad_type(ctx, c, ctx->pod->spec_path, path, bad, "an object",
				    "set only an allowed type and level");
	case JP_ABSENT:
		return 0;
	}
	const char *who = NULL, *name = pss_field_name(ctx, c, path, &who);
	if (name == NULL)
		return policy_error(ctx, "out of memory");

	const char *type = NULL;
	int rc = 0;
	switch (pss_string(opts, "type", &type, &bad)) {
	case JP_OK:
		if (!pss_in(selinux_options_types, type))
			rc = policy_fail(ctx, c,
					 "%smust not set %s.type=\"%s\"; use container_t, "
					 "container_init_t, container_kvm_t or container_engine_t, "
					 "or leave it empty",
					 who, name, type);
		break;
	case JP_BADTYPE:
		rc = policy_fail(ctx, c,
				 "%shas a %s.type that is not a string; use container_t, "
				 "container_init_t, container_kvm_t or container_engine_t",
				 who, name);
		break;
	case JP_ABSENT:
		break;
	}
	if (rc < 0)
		return -1;

	/* a custom user or role is never needed by a container and never allowed */
	static const char *const fixed[] = {"user", "role"};
	for (size_t i = 0; i < 2; i++) {
		const char *v = NULL;
		switch (pss_string(opts, fixed[i], &v, &bad)) {
		case JP_OK:
			if (v[0] != '\0')
				rc = policy_fail(ctx, c, "%smust not set %s.%s=\"%s\"; remove it",
						 who, name, fixed[i], v);
			break;
		case JP_BADTYPE:
			rc = policy_fail(ctx, c, "%shas a %s.%s that is not a string; remove it",
					 who, name, fixed[i]);
			break;
		case JP_ABSENT:
			break;
		}
		if (rc < 0)
			return -1;
	}
	return 0;
}

static int selinux_options_check(struct policy_ctx *ctx)
{
	const struct pod_view *pod = ctx->pod;
	if (selinux_options_one(ctx, NULL, pod->spec) < 0)
		return -1;
	for (size_t i = 0; i < pod->ncontainers; i++) {
		const struct container_ref *c = &pod->containers[i];
		if (selinux_options_one(ctx, c, c->json) < 0)
			return -1;
	}
	return 0;
}

const struct policy_desc policy_selinux_options = {
	.id = "selinux-options",
	.description = "SELinux type must be a container type; SELinux user and role must be unset",
	.level = POLICY_LEVEL_BASELINE,
	.check = selinux_options_check,
};
