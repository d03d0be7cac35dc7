/*
 * keysort: (key, index) pairs in key order, in memory that does not grow
 * with their number. `admitd inventory` sorts its entries by
 * "namespace/Kind/name"; holding every key costs as much again as audit's
 * record of the workload, so the keys go through a temporary file instead:
 * each buffer full is sorted and written as a run, and the runs are merged
 * as they are read back.
 *
 * Order: strcmp of the keys, then the index (so the same key twice comes
 * back in the order it was added).
 */
#ifndef ADMITD_KEYSORT_H
#define ADMITD_KEYSORT_H

#include <stddef.h>
#include <stdint.h>

struct keysort;

/*
 * run_bytes: how much of the pairs is held before a run is written (a key
 * longer than that is held alone); 0: the default (256 KiB). NULL when
 * out of memory.
 */
struct keysort *keysort_new(size_t run_bytes);
/* 0, or -1 (keysort_error says why; every later call fails too). */
int keysort_add(struct keysort *ks, const char *key, size_t len, uint32_t idx);
/* Ends the adding: what follows is keysort_next. 0 or -1. */
int keysort_sort(struct keysort *ks);
/*
 * The next pair: 1, with *key (NUL-terminated, valid until the next call)
 * and *idx; 0 after the last; -1 when the temporary file fails.
 */
int keysort_next(struct keysort *ks, const char **key, size_t *len, uint32_t *idx);
/* How many runs went through the file (0: all was sorted in memory). */
size_t keysort_runs(const struct keysort *ks);
/* Why the last call failed. */
const char *keysort_error(const struct keysort *ks);
void keysort_free(struct keysort *ks);

#endif
