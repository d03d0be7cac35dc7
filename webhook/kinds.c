/*
 * kinds.c: the judged kinds, one row each (see kinds.h).
 */
#include "kinds.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

const struct kind_desc kinds_table[] = {
	{"Deployment", "apps", "extensions", "deployments", {"v1", NULL}, "spec.template"},
	{"StatefulSet", "apps", NULL, "statefulsets", {"v1", NULL}, "spec.template"},
	{"DaemonSet", "apps", "extensions", "daemonsets", {"v1", NULL}, "spec.template"},
	{"ReplicaSet", "apps", "extensions", "replicasets", {"v1", NULL}, "spec.template"},
	{"ReplicationController",
	 "",
	 NULL,
	 "replicationcontrollers",
	 {"v1", NULL},
	 "spec.template"},
	/* batch/v1beta1: CronJob is not in batch/v1 before Kubernetes 1.21 */
	{"CronJob",
	 "batch",
	 NULL,
	 "cronjobs",
	 {"v1", "v1beta1", NULL},
	 "spec.jobTemplate.spec.template"},
	{"Job", "batch", NULL, "jobs", {"v1", NULL}, "spec.template"},
	{"Pod", "", NULL, "pods", {"v1", NULL}, NULL},
};
const size_t kinds_count = sizeof(kinds_table) / sizeof(kinds_table[0]);
_Static_assert(sizeof(kinds_table) / sizeof(kinds_table[0]) <= KINDS_MAX,
	       "kinds_table has more rows than KINDS_MAX");

size_t kinds_index(const char *kind)
{
	if (kind == NULL)
		return kinds_count;
	for (size_t i = 0; i < kinds_count; i++)
		if (strcmp(kinds_table[i].kind, kind) == 0)
			return i;
	return kinds_count;
}

const struct kind_desc *kinds_find(const char *kind)
{
	size_t i = kinds_index(kind);
	return i < kinds_count ? &kinds_table[i] : NULL;
}

bool kinds_group_ok(const struct kind_desc *k, const char *group)
{
	if (group == NULL)
		return true;
	return strcmp(group, k->group) == 0 ||
	       (k->old_group != NULL && strcmp(group, k->old_group) == 0);
}

void kinds_paths(const struct kind_desc *k, const char *version, char *path, size_t plen,
		 char *api_version, size_t alen)
{
	if (k->group[0] == '\0') {
		snprintf(path, plen, "/api/%s/%s", version, k->resource);
		snprintf(api_version, alen, "%s", version);
	} else {
		snprintf(path, plen, "/apis/%s/%s/%s", k->group, version, k->resource);
		snprintf(api_version, alen, "%s/%s", k->group, version);
	}
}

static char kinds_list_text[256];
static pthread_once_t kinds_list_once = PTHREAD_ONCE_INIT;

static void kinds_list_init(void)
{
	size_t n = 0;
	for (size_t i = 0; i < kinds_count && n < sizeof(kinds_list_text); i++)
		n += (size_t)snprintf(kinds_list_text + n, sizeof(kinds_list_text) - n, "%s%s",
				      i ? ", " : "", kinds_table[i].kind);
}

const char *kinds_list(void)
{
	pthread_once(&kinds_list_once, kinds_list_init);
	return kinds_list_text;
}
