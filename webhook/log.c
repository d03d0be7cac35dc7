#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

int log_write_whole(int fd, const char *buf, size_t len)
{
	int rc = 0;
	pthread_mutex_lock(&log_lock);
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = -1;
			break;
		}
		buf += w;
		len -= (size_t)w;
	}
	pthread_mutex_unlock(&log_lock);
	return rc;
}

static void log_emit(const char *level, const char *fmt, va_list ap)
{
	char msg[1024], stamp[32];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	char line[1100];
	int n = snprintf(line, sizeof(line), "%s.%03ldZ admitd %s: %s\n", stamp,
			 ts.tv_nsec / 1000000, level, msg);
	if (n > 0)
		log_write_whole(STDERR_FILENO, line,
				(size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
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
