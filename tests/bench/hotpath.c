/*
 * hotpath: the request path without the network: decode, judge, encode
 * one review N times under a configuration. Run under
 * `valgrind --tool=callgrind` for instruction counts that do not depend on
 * machine load, or plainly for a per-review time.
 *
 *   hotpath REVIEW.json CONFIG.yaml|default N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../webhook/engine.h"
#include "../../webhook/jsonarena.h"
#include "../../webhook/review.h"
#include "../../webhook/workload.h"

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: hotpath REVIEW.json CONFIG.yaml|default N\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (f == NULL)
		return 2;
	static char body[1 << 22];
	size_t len = fread(body, 1, sizeof(body), f);
	fclose(f);
	struct yamlconf_errors errs = {0};
	struct admitd_config *cfg =
		strcmp(argv[2], "default") == 0
			? config_load_buffer("built-in", config_default_yaml,
					     strlen(config_default_yaml), &errs)
			: config_load_file(argv[2], &errs);
	if (cfg == NULL) {
		for (size_t i = 0; i < errs.count; i++)
			fprintf(stderr, "%s\n", errs.lines[i]);
		return 2;
	}
	long n = atol(argv[3]);
	bool use_arena = getenv("HOTPATH_MALLOC") == NULL;
	jsonarena_install();
	workload_init();
	struct arena a;
	arena_init(&a);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	size_t out_bytes = 0;
	for (long i = 0; i < n; i++) {
		if (use_arena)
			jsonarena_begin(&a);
		struct review rv;
		char why[256];
		if (review_decode(body, len, cfg->limits.max_json_depth, &rv, why, sizeof(why)) < 0) {
			fprintf(stderr, "%s\n", why);
			return 1;
		}
		struct engine_verdict v;
		engine_evaluate(cfg, &rv.in, &a, &v);
		char *resp = NULL;
		size_t rlen = 0;
		if (review_encode(&rv, &v, cfg, &resp, &rlen) < 0)
			return 1;
		out_bytes += rlen;
		free(resp);
		review_free(&rv);
		jsonarena_end();
		arena_reset(&a);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) / (double)n;
	printf("%.1f us per review (%zu response bytes)\n", us, out_bytes / (size_t)(n ? n : 1));
	arena_free(&a);
	config_unref(cfg);
	return 0;
}
