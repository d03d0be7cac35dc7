/*
 * inventory: what runs, and how it is exposed, from the same input as
 * `admitd audit` (files or --cluster): one entry per workload, folded as
 * audit folds, with its containers' images, ports, privileges, host
 * access, service account, segmentation labels, NetworkPolicy coverage
 * and the Services that select it; counts per namespace and for the
 * cluster. The json form is stable (sorted, no timestamps), so it can be
 * kept in git and be the baseline of drift (drift.c).
 */
#ifndef ADMITD_INVENTORY_H
#define ADMITD_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* ---- drift (drift.c) ---- */

enum drift_class {
	DRIFT_NEW_REGISTRY,
	DRIFT_NEW_IMAGE,
	DRIFT_DIGEST_CHANGED,
	DRIFT_NEW_PORT,
	DRIFT_NEW_EXTERNAL_SERVICE,
	DRIFT_NEW_PRIVILEGE,
	DRIFT_NEW_HOST_ACCESS,
	DRIFT_LOST_NETWORK_POLICY,
	DRIFT_NEW_WORKLOAD,
	DRIFT_REMOVED_WORKLOAD,
	DRIFT_NCLASSES,
};
extern const char *const drift_class_names[DRIFT_NCLASSES];
/* what fails by default: everything that widens the attack surface, not removals */
#define DRIFT_FAIL_DEFAULT (((1u << DRIFT_NCLASSES) - 1) & ~(1u << DRIFT_REMOVED_WORKLOAD))

/* "new-image,new-port", "all", "none" -> a bit per class; -1 on an unknown word. */
int drift_parse_classes(const char *text, unsigned *out);

/*
 * Reads an earlier json inventory (its "workloads"; the rest is ignored)
 * into an object "namespace/Kind/name" -> entry. NULL with why when it is
 * not an inventory, or names a workload twice.
 */
json_t *drift_baseline_parse(const char *text, size_t len, char *why, size_t whylen);

/*
 * The baseline at path: one inventory, or a directory of them (every
 * *.json in it and in its subdirectories, merged), so that a baseline
 * split into parts (per namespace, or to keep each ConfigMap or Secret
 * below 1 MiB) reads as one. Half a baseline is never read: NULL with why
 * (naming the file) when any part cannot be read or is not an inventory,
 * when a workload is in two parts, when the directory holds anything else
 * (names beginning with a dot aside) or no inventory at all.
 */
json_t *drift_baseline_load(const char *path, char *why, size_t whylen);

/*
 * The drift from base to cur (both as drift_baseline_parse returns them):
 * a sorted list of {class, namespace, kind, name, container?, message}.
 */
json_t *drift_compare(const json_t *base, const json_t *cur);
/* The same, the current entries one at a time (each key once): begin, entry..., end. */
struct drift;
struct drift *drift_begin(const json_t *base); /* NULL when out of memory */
void drift_entry(struct drift *d, const char *key, const json_t *e);
json_t *drift_end(struct drift *d); /* the sorted list; d is freed */

/* `admitd inventory` */
int inventory_main(int argc, char **argv);

#endif
