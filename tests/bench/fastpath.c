/*
 * fastpath: the server's path for a review whose registry-read facts are
 * all cached, without the network: decode, list the image-contents
 * policies' images (imgcheck_images), take their facts and scans from the
 * per-thread memo or the cache (imgcheck_cached), judge, encode, free, N
 * times. The caches are filled once first, from the registry, as a worker
 * would (imgcheck_run). Run under `valgrind --tool=callgrind` for
 * instruction counts that do not depend on machine load (fastpath.sh).
 *
 *   fastpath REVIEW.json CONFIG.yaml N
 *
 * Prints how many of the N reviews the fast path answered and how many
 * were allowed, so that a run that fell off it (a tag's digest expired)
 * shows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../webhook/engine.h"
#include "../../webhook/imgcheck.h"
#include "../../webhook/jsonarena.h"
#include "../../webhook/oci.h"
#include "../../webhook/review.h"
#include "../../webhook/sigcheck.h"
#include "../../webhook/workload.h"

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: fastpath REVIEW.json CONFIG.yaml N\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (f == NULL)
		return 2;
	static char body[1 << 20];
	size_t len = fread(body, 1, sizeof(body), f);
	fclose(f);
	struct yamlconf_errors errs = {0};
	struct admitd_config *cfg = config_load_file(argv[2], &errs);
	if (cfg == NULL) {
		for (size_t i = 0; i < errs.count; i++)
			fprintf(stderr, "%s\n", errs.lines[i]);
		return 2;
	}
	long n = atol(argv[3]);
	jsonarena_install();
	workload_init();
	struct arena a;
	arena_init(&a);
	long fast = 0, allowed = 0;
	/* round -1 fills the caches as a worker does: outside any request's arena */
	for (long i = -1; i < n; i++) {
		if (i >= 0)
			jsonarena_begin(&a);
		struct review rv;
		char why[256];
		if (review_decode(body, len, cfg->limits.max_json_depth, &rv, why, sizeof(why)) <
		    0) {
			fprintf(stderr, "%s\n", why);
			return 1;
		}
		struct pod_view
			pod; /* as server_judge: one view for the gatherers and the engine */
		if (sigcheck_gathers(cfg))
			rv.in.pod = engine_pod_view(cfg, &rv.in, &a, &pod);
		char **images = NULL;
		size_t ni = imgcheck_images(cfg, &rv.in, &a, &images);
		struct imgcheck_results r = {0};
		if (i < 0)
			imgcheck_run(cfg, images, ni, oci_deadline_in(8000), &r);
		else
			fast += ni == 0 || imgcheck_cached(cfg, images, ni, &r);
		imgcheck_images_free(images, ni);
		rv.in.contents = ni > 0 ? &r : NULL;
		struct engine_verdict v;
		engine_evaluate(cfg, &rv.in, &a, &v);
		allowed += i >= 0 && v.allowed;
		char *resp = NULL;
		size_t rlen = 0;
		if (review_encode(&rv, &v, cfg, &resp, &rlen) < 0)
			return 1;
		free(resp);
		imgcheck_results_free(&r);
		review_free(&rv);
		if (i >= 0)
			jsonarena_end();
		arena_reset(&a);
	}
	printf("%ld of %ld reviews from the fast path, %ld allowed\n", fast, n, allowed);
	arena_free(&a);
	config_unref(cfg);
	return 0;
}
