/*
 * readall: a whole file (or stream) into memory, with a size cap and read
 * errors reported, for everything admitd reads whole: configurations,
 * suites, kubeconfigs and tokens, audit input.
 */
#ifndef ADMITD_READALL_H
#define ADMITD_READALL_H

#include <stddef.h>
#include <stdio.h>

/*
 * Reads f to its end into a malloc'd buffer, NUL-terminated (the NUL is
 * not counted in *len). More than max bytes is an error. Returns 0, or -1
 * with the reason in why ("larger than 16 MiB", "read error: ...").
 */
int readall_stream(FILE *f, size_t max, char **buf, size_t *len, char *why, size_t whylen);
/* The same for the file at path ("cannot open: ..." when it cannot be opened). */
int readall_file(const char *path, size_t max, char **buf, size_t *len, char *why, size_t whylen);

#endif
