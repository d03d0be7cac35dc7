#include "cluster.h"

#include <stdio.h>

#include "audit.h"

int cluster_audit(struct audit_run *run, const char *kubeconfig)
{
	(void)run;
	(void)kubeconfig;
	fprintf(stderr, "admitd audit: --cluster is not available yet\n");
	return -1;
}
