/*
 * kinds: the one table of the kinds admitd judges. Everything that names
 * a kind reads it: the engine (which kinds under which API groups, where
 * the pod template is), metrics (the kind label), the cluster audit (what
 * to list, and where), custom rules (match.kinds) and messages that list
 * them. Adding a judged kind is one row in kinds.c.
 *
 * A configuration adds rows of its own (`workloads:`, custom resources that
 * embed a pod template): they live in the loaded struct admitd_config, so
 * a lookup through the configuration a request holds never races a reload.
 */
#ifndef ADMITD_KINDS_H
#define ADMITD_KINDS_H

#include <stdbool.h>
#include <stddef.h>

struct admitd_config;

struct kind_desc {
	const char *kind;        /* "Deployment" */
	const char *group;       /* its API group; "" for the core group */
	const char *old_group;   /* a group it was also served under, or NULL ("extensions") */
	const char *resource;    /* "deployments": the REST collection */
	const char *versions[4]; /* versions to list, newest first, NULL-terminated */
	const char
		*template_path; /* the pod (metadata + spec) in the object; NULL: it is the pod */
};

/* A bound for arrays indexed by kind (metrics): kinds.c checks the table fits. */
#define KINDS_MAX 16
/* At most this many `workloads:` entries, each with at most this many versions. */
#define KINDS_MAX_CONFIGURED 16
#define KINDS_MAX_VERSIONS   3

/* In the order the cluster audit lists them (owners before what they own). */
extern const struct kind_desc kinds_table[];
extern const size_t kinds_count;

/*
 * The kind admitd judges as (group, kind) under cfg: a built-in row served
 * under `group`, or one of cfg's `workloads:`; NULL when it judges none.
 * A NULL group (an old client, a file without apiVersion) matches a
 * built-in row only: a configured kind is a custom resource's, and only its
 * group tells it from a look-alike. cfg may be NULL (built-in rows only).
 */
const struct kind_desc *kinds_lookup(const struct admitd_config *cfg, const char *group,
				     const char *kind);
/* The built-in row named `kind`, whatever the group, or NULL. */
const struct kind_desc *kinds_find(const char *kind);
/* Its index in kinds_table, or kinds_count when k is NULL or a configured kind. */
size_t kinds_index(const struct kind_desc *k);
/* Whether some kind judged under cfg is named `kind` (custom rules' match.kinds). */
bool kinds_named(const struct admitd_config *cfg, const char *kind);
/*
 * Whether `group` (request.kind.group, or an apiVersion's group) serves
 * this kind: a same-named kind of another group (a CRD) is not judged.
 * A NULL group (an old client, a file without apiVersion) is accepted.
 */
bool kinds_group_ok(const struct kind_desc *k, const char *group);
/*
 * Whether k, a configured row, can be judged: a DNS subdomain for a group,
 * a kind that starts with a capital letter, a template path of field names,
 * a DNS label for the resource and each version, and a (group, kind) that
 * no built-in row has. Returns 0, or -1 with the reason in why and, in
 * *field, the member at fault ("group", "kind", "template", "resource",
 * "versions").
 */
int kinds_check(const struct kind_desc *k, const char **field, char *why, size_t whylen);
/*
 * The collection path of the kind's resource at one version ("/api/v1/pods",
 * "/apis/apps/v1/deployments") and its apiVersion ("v1", "apps/v1").
 */
void kinds_paths(const struct kind_desc *k, const char *version, char *path, size_t plen,
		 char *api_version, size_t alen);

/* "Pod, Deployment, ..., Rollout" (the configured kinds last) for messages, in buf. */
const char *kinds_list(const struct admitd_config *cfg, char *buf, size_t len);

#endif
