/*
 * readall.c: see readall.h.
 */
#include "readall.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void readall_too_big(size_t max, char *why, size_t whylen)
{
	if (max % (1u << 20) == 0)
		snprintf(why, whylen, "larger than %zu MiB", max >> 20);
	else
		snprintf(why, whylen, "larger than %zu bytes", max);
}

int readall_stream(FILE *f, size_t max, char **buf, size_t *len, char *why, size_t whylen)
{
	char *b = NULL;
	size_t cap = 0, n = 0;
	*buf = NULL;
	*len = 0;
	for (;;) {
		if (cap - n < 4096 + 1) {
			size_t ncap = cap ? cap * 2 : 8192;
			char *m = realloc(b, ncap);
			if (m == NULL) {
				snprintf(why, whylen, "out of memory");
				free(b);
				return -1;
			}
			b = m;
			cap = ncap;
		}
		size_t r = fread(b + n, 1, cap - n - 1, f);
		n += r;
		if (n > max) {
			readall_too_big(max, why, whylen);
			free(b);
			return -1;
		}
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(why, whylen, "read error: %s", strerror(errno ? errno : EIO));
		free(b);
		return -1;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

int readall_file(const char *path, size_t max, char **buf, size_t *len, char *why, size_t whylen)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(why, whylen, "cannot open: %s", strerror(errno));
		*buf = NULL;
		*len = 0;
		return -1;
	}
	int rc = readall_stream(f, max, buf, len, why, whylen);
	fclose(f);
	return rc;
}
