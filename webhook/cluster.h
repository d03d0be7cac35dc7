/*
 * cluster: `admitd audit --cluster`: list every judged kind from a live
 * API server, page by page, and judge each page as it arrives.
 */
#ifndef ADMITD_CLUSTER_H
#define ADMITD_CLUSTER_H

struct audit_run;

/* Returns 0, or -1 when the API server cannot be reached at all (reason printed). */
int cluster_audit(struct audit_run *run, const char *kubeconfig);

/* Stores a List of PolicyReports/ClusterPolicyReports (server-side apply). */
#include <jansson.h>
int cluster_write_reports(const json_t *list, const char *kubeconfig);

#endif
