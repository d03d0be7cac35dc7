#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static void log_emit(const char *level, const char *fmt, va_list ap)
{
	char msg[1024], stamp[32];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* one fprintf per line keeps lines from different threads whole */
	fprintf(stderr, "%s.%03ldZ admitd %s: %s\n", stamp, ts.tv_nsec / 1000000, level, msg);
}

void log_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit("info", fmt, ap);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_emit("warn", fmt, ap);
	va_end(ap);
}
