/*
 * cluster: a plain Kubernetes API client (libcurl, loaded with dlopen when
 * first used): list a collection page by page into a callback, apply an
 * object. Errors are values; the caller says them.
 */
#ifndef ADMITD_CLUSTER_H
#define ADMITD_CLUSTER_H

#include <jansson.h>

struct cluster;

/* Connects with kubeconfig, else $KUBECONFIG, else the service account; NULL with why. */
struct cluster *cluster_open(const char *kubeconfig, char *why, size_t whylen);
void cluster_close(struct cluster *c);
/* https://host:port */
const char *cluster_server(const struct cluster *c);
/* The last call's error, "" when it had none. */
const char *cluster_error(const struct cluster *c);

enum cluster_status {
	CLUSTER_OK = 0,
	CLUSTER_NOT_FOUND, /* 404: the API server does not serve this version */
	CLUSTER_REFUSED,   /* another HTTP status (403: the credentials may not list it) */
	CLUSTER_BAD_REPLY, /* the answer cannot be read: the rest of the list is unknown */
	CLUSTER_FATAL,     /* unreachable, 401, out of memory: stop */
};

/* Called with each page's `items` (an array, or NULL); returns 0, or -1 to stop. */
typedef int (*cluster_page_fn)(json_t *items, void *arg);
/* Lists path ("/apis/apps/v1/deployments") page by page into fn. */
enum cluster_status cluster_list(struct cluster *c, const char *path, cluster_page_fn fn,
				 void *arg);
/* Server-side apply of body (JSON) at path. Returns 0, or -1 (cluster_error). */
int cluster_apply(struct cluster *c, const char *path, const char *body);
/* DELETE path; an object already gone is no error. Returns 0, or -1 (cluster_error). */
int cluster_delete(struct cluster *c, const char *path);

#endif
