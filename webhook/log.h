/*
 * log: operational messages on stderr, one line each, prefixed with the
 * time and level. Decisions go to the decision log, not here.
 */
#ifndef ADMITD_LOG_H
#define ADMITD_LOG_H

#include <stddef.h>

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Writes buf whole to fd under one process-wide lock, looping over short
 * writes: a pipe takes at most PIPE_BUF (4 KiB) bytes atomically, so a
 * longer line could interleave with another thread's. Returns 0 or -1.
 */
int log_write_whole(int fd, const char *buf, size_t len);

#endif
