/*
 * kinds: the one table of the kinds admitd judges. Everything that names
 * a kind reads it: the engine (which kinds, where the pod template is),
 * the AdmissionReview decoder (which API groups), metrics (the kind
 * label), the cluster audit (what to list, and where), custom rules
 * (match.kinds) and messages that list them. Adding a judged kind is one
 * row in kinds.c.
 */
#ifndef ADMITD_KINDS_H
#define ADMITD_KINDS_H

#include <stdbool.h>
#include <stddef.h>

struct kind_desc {
	const char *kind;        /* "Deployment" */
	const char *group;       /* its API group; "" for the core group */
	const char *old_group;   /* a group it was also served under, or NULL ("extensions") */
	const char *resource;    /* "deployments": the REST collection */
	const char *versions[3]; /* versions to list, newest first, NULL-terminated */
	const char
		*template_path; /* the pod (metadata + spec) in the object; NULL: it is the pod */
};

/* A bound for arrays indexed by kind (metrics): kinds.c checks the table fits. */
#define KINDS_MAX 16

/* In the order the cluster audit lists them (owners before what they own). */
extern const struct kind_desc kinds_table[];
extern const size_t kinds_count;

/* The row for `kind`, or NULL when admitd does not judge it. */
const struct kind_desc *kinds_find(const char *kind);
/* Its index in kinds_table, or kinds_count when not judged. */
size_t kinds_index(const char *kind);
/*
 * Whether `group` (request.kind.group, or an apiVersion's group) serves
 * this kind: a same-named kind of another group (a CRD) is not judged.
 * A NULL group (an old client, a file without apiVersion) is accepted.
 */
bool kinds_group_ok(const struct kind_desc *k, const char *group);
/*
 * The collection path of the kind's resource at one version ("/api/v1/pods",
 * "/apis/apps/v1/deployments") and its apiVersion ("v1", "apps/v1").
 */
void kinds_paths(const struct kind_desc *k, const char *version, char *path, size_t plen,
		 char *api_version, size_t alen);

/* "Pod, Deployment, ..." for messages. */
const char *kinds_list(void);

#endif
