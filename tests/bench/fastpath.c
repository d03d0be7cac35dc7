/*
 * fastpath: the server's path for a review whose registry-read facts are
 * all cached, without the network: decode, list the image-contents
 * policies' images (imgcheck_images), take their facts and scans from the
 * per-thread memo or the cache (imgcheck_cached), judge, encode, free, N
 * times. The caches are filled once first, from the registry, as a worker
 * would (imgcheck_run); the N reviews are one function, counted alone. Run under `valgrind --tool=callgrind` for
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

/* One review as the server judges it; fill: first, as a worker fills the caches. */
static void fastpath_review(const struct admitd_config *cfg, const char *body, size_t len,
			    struct arena *a, bool fill, long *fast, long *allowed)
{
	if (!fill)
		jsonarena_begin(a);
	struct review rv;
	char why[256];
	if (review_decode(body, len, cfg->limits.max_json_depth, &rv, why, sizeof(why)) < 0) {
		fprintf(stderr, "%s\n", why);
		exit(1);
	}
	struct pod_view pod; /* as server_judge: one view for the gatherers and the engine */
	if (sigcheck_gathers(cfg))
		rv.in.pod = engine_pod_view(cfg, &rv.in, a, &pod);
	char **images = NULL;
	size_t ni = imgcheck_images(cfg, &rv.in, a, &images);
	struct imgcheck_results r = {0};
	if (fill)
		imgcheck_run(cfg, images, ni, oci_deadline_in(8000), &r);
	else
		*fast += ni == 0 || imgcheck_cached(cfg, images, ni, &r);
	imgcheck_images_free(images, ni);
	rv.in.contents = ni > 0 ? &r : NULL;
	struct engine_verdict v;
	engine_evaluate(cfg, &rv.in, a, &v);
	*allowed += !fill && v.allowed;
	char *resp = NULL;
	size_t rlen = 0;
	if (review_encode(&rv, &v, cfg, &resp, &rlen) < 0)
		exit(1);
	free(resp);
	imgcheck_results_free(&r);
	review_free(&rv);
	if (!fill)
		jsonarena_end();
	arena_reset(a);
}

/*
 * The n reviews from the caches, apart: fastpath.sh counts this function
 * alone (callgrind --toggle-collect), so that the registry round before,
 * whose cost varies with the registry's answers, never enters the figure.
 */
__attribute__((noinline)) static void fastpath_reviews(const struct admitd_config *cfg,
						       const char *body, size_t len,
						       struct arena *a, long n, long *fast,
						       long *allowed)
{
	for (long i = 0; i < n; i++)
		fastpath_review(cfg, body, len, a, false, fast, allowed);
}

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
	/* the caches are filled once first, as a worker would: outside any request's arena */
	fastpath_review(cfg, body, len, &a, true, &fast, &allowed);
	fastpath_reviews(cfg, body, len, &a, n, &fast, &allowed);
	printf("%ld of %ld reviews from the fast path, %ld allowed\n", fast, n, allowed);
	arena_free(&a);
	config_unref(cfg);
	return 0;
}
