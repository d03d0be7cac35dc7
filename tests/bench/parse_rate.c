/*
 * parse_rate: the bare jansson parse rate of a document on N threads,
 * with the same flags admitd uses. admitd's throughput is reported as a
 * ratio of this, so figures compare across machines.
 *
 *   parse_rate FILE THREADS SECONDS   -> prints "parses/s"
 */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static char *doc;
static size_t doclen;
static atomic_bool stop;

static void *parse_rate_worker(void *arg)
{
	unsigned long long *count = arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		json_t *j = json_loadb(doc, doclen, JSON_REJECT_DUPLICATES, NULL);
		if (j == NULL)
			abort();
		json_decref(j);
		(*count)++;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: parse_rate FILE THREADS SECONDS\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (f == NULL)
		return 2;
	fseek(f, 0, SEEK_END);
	doclen = (size_t)ftell(f);
	rewind(f);
	doc = malloc(doclen);
	if (doc == NULL || fread(doc, 1, doclen, f) != doclen)
		return 2;
	fclose(f);
	int n = atoi(argv[2]);
	double secs = atof(argv[3]);
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	unsigned long long *counts = calloc((size_t)n, sizeof(*counts));
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, parse_rate_worker, &counts[i]);
	struct timespec d = {(time_t)secs, (long)((secs - (time_t)secs) * 1e9)};
	nanosleep(&d, NULL);
	atomic_store(&stop, true);
	unsigned long long total = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		total += counts[i];
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double el = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("%.0f\n", (double)total / el);
	free(t);
	free(counts);
	free(doc);
	return 0;
}
