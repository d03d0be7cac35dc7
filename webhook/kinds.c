/*
 * kinds.c: the judged kinds, one row each (see kinds.h).
 */
#include "kinds.h"

#include "cfgtypes.h"

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

const struct kind_desc *kinds_find(const char *kind)
{
	if (kind == NULL)
		return NULL;
	for (size_t i = 0; i < kinds_count; i++)
		if (strcmp(kinds_table[i].kind, kind) == 0)
			return &kinds_table[i];
	return NULL;
}

size_t kinds_index(const struct kind_desc *k)
{
	for (size_t i = 0; i < kinds_count; i++)
		if (&kinds_table[i] == k)
			return i;
	return kinds_count;
}

const struct kind_desc *kinds_lookup(const struct admitd_config *cfg, const char *group,
				     const char *kind)
{
	const struct kind_desc *k = kinds_find(kind);
	if (k != NULL && kinds_group_ok(k, group))
		return k;
	if (cfg == NULL || kind == NULL || group == NULL)
		return NULL;
	for (size_t i = 0; i < cfg->nworkloads; i++) {
		k = &cfg->workloads[i];
		if (strcmp(k->kind, kind) == 0 && strcmp(k->group, group) == 0)
			return k;
	}
	return NULL;
}

bool kinds_named(const struct admitd_config *cfg, const char *kind)
{
	if (kinds_find(kind) != NULL)
		return true;
	for (size_t i = 0; cfg != NULL && i < cfg->nworkloads; i++)
		if (strcmp(cfg->workloads[i].kind, kind) == 0)
			return true;
	return false;
}

bool kinds_group_ok(const struct kind_desc *k, const char *group)
{
	if (group == NULL)
		return true;
	return strcmp(group, k->group) == 0 ||
	       (k->old_group != NULL && strcmp(group, k->old_group) == 0);
}

/* A DNS label (RFC 1123): lowercase letters, digits and '-', not at either end. */
static bool kinds_dns_label(const char *s, size_t n)
{
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* A DNS subdomain: DNS labels joined by dots, 253 characters at most. */
static bool kinds_dns_subdomain(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253)
		return false;
	for (const char *p = s;;) {
		const char *dot = strchr(p, '.');
		size_t l = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (!kinds_dns_label(p, l))
			return false;
		if (dot == NULL)
			return true;
		p = dot + 1;
	}
}

/* A kind as Kubernetes names them: a capital letter, then letters and digits. */
static bool kinds_kind_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63 || !(s[0] >= 'A' && s[0] <= 'Z'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

/*
 * A template path as jp_get reads it: field names joined by dots. No list
 * index: a pod template in a list is several templates, and the engine
 * judges one pod per object.
 */
static bool kinds_path(const char *s)
{
	size_t n = strlen(s), seg = 0, nseg = 1;
	if (n == 0 || n > 256)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (seg == 0 || ++nseg > 16)
				return false;
			seg = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return false;
		seg++;
	}
	return seg > 0;
}

int kinds_check(const struct kind_desc *k, const char **field, char *why, size_t whylen)
{
	if (!kinds_dns_subdomain(k->group)) {
		*field = "group";
		snprintf(why, whylen,
			 "\"%s\" is not an API group (a DNS subdomain: lowercase letters, digits, "
			 "'-' and '.')",
			 k->group);
		return -1;
	}
	if (!kinds_kind_name(k->kind)) {
		*field = "kind";
		snprintf(why, whylen,
			 "\"%s\" is not a kind (a capital letter, then letters and digits)",
			 k->kind);
		return -1;
	}
	const struct kind_desc *b = kinds_find(k->kind);
	if (b != NULL && kinds_group_ok(b, k->group)) {
		*field = "kind";
		snprintf(why, whylen, "%s of group \"%s\" is built in: admitd judges it already",
			 k->kind, k->group);
		return -1;
	}
	if (!kinds_path(k->template_path)) {
		*field = "template";
		snprintf(why, whylen,
			 "\"%s\" is not a path to the pod template (field names joined by '.', "
			 "such as spec.template; no list index)",
			 k->template_path);
		return -1;
	}
	if (!kinds_dns_label(k->resource, strlen(k->resource))) {
		*field = "resource";
		snprintf(why, whylen,
			 "\"%s\" is not a resource (the plural, lowercase, such as rollouts)",
			 k->resource);
		return -1;
	}
	for (size_t i = 0; k->versions[i] != NULL; i++) {
		if (!kinds_dns_label(k->versions[i], strlen(k->versions[i]))) {
			*field = "versions";
			snprintf(why, whylen, "\"%s\" is not a version (such as v1alpha1)",
				 k->versions[i]);
			return -1;
		}
	}
	return 0;
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

const char *kinds_list(const struct admitd_config *cfg, char *buf, size_t len)
{
	size_t n = 0, nw = cfg != NULL ? cfg->nworkloads : 0;
	buf[0] = '\0';
	for (size_t i = 0; i < kinds_count + nw && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "",
				      i < kinds_count ? kinds_table[i].kind
						      : cfg->workloads[i - kinds_count].kind);
	return buf;
}
