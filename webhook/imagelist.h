/*
 * imagelist: the list of a review's images that registry-backed policies
 * read (sigcheck.c for signatures, imgcheck.c for image contents), each
 * once, and the clock their caches run on. One home for both.
 */
#ifndef ADMITD_IMAGELIST_H
#define ADMITD_IMAGELIST_H

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Appends a copy of image to *list (n entries) unless it is there. -1 when out of memory. */
static inline int imagelist_add(char ***list, size_t *n, const char *image)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*list)[i], image) == 0)
			return 0;
	char **more = realloc(*list, (*n + 1) * sizeof(*more));
	if (more == NULL)
		return -1;
	*list = more;
	if ((more[*n] = strdup(image)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

static inline void imagelist_free(char **images, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(images[i]);
	free(images);
}

/* CLOCK_MONOTONIC in seconds: the verdict caches' clock. */
static inline double imagelist_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
