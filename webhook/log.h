/*
 * log: operational messages on stderr, one line each, prefixed with the
 * time and level. Decisions go to the decision log, not here.
 */
#ifndef ADMITD_LOG_H
#define ADMITD_LOG_H

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
