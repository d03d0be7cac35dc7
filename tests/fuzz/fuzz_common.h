/*
 * fuzz_common.h: pieces the libFuzzer targets share. Each target is one
 * .c file with LLVMFuzzerTestOneInput; tests/fuzz/run.sh builds them with
 * clang -fsanitize=fuzzer,address,undefined against the library objects.
 *
 * Properties checked beyond "no crash, no sanitizer report, no leak" call
 * fuzz_fail(), which aborts so that libFuzzer saves the input.
 */
#ifndef ADMITD_FUZZ_COMMON_H
#define ADMITD_FUZZ_COMMON_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../webhook/arena.h"
#include "../../webhook/config.h"
#include "../../webhook/engine.h"
#include "../../webhook/review.h"

__attribute__((noreturn, format(printf, 1, 2))) static inline void fuzz_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "fuzz property violated: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

/* A configuration the target relies on; a load failure is a bug in the target. */
static inline struct admitd_config *fuzz_config(const char *name, const char *yaml)
{
	struct yamlconf_errors errs = {0};
	struct admitd_config *cfg = config_load_buffer(name, yaml, strlen(yaml), &errs);
	if (cfg == NULL) {
		for (size_t i = 0; i < errs.count; i++)
			fprintf(stderr, "%s\n", errs.lines[i]);
		yamlconf_errors_free(&errs);
		fuzz_fail("built-in fuzz configuration %s did not load", name);
	}
	return cfg;
}

/* An exact-size, NUL-terminated copy: ASan sees any read past the input. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s == NULL)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * Judges rv under cfg the way server_on_validate does and writes the
 * response; checks that the answer is consistent with the verdict. Returns
 * the response (malloc'd, the caller frees it) or NULL when out of memory.
 * What the engine allocates stays in `a` until the caller resets it.
 */
static inline char *fuzz_judge(const struct admitd_config *cfg, const struct review *rv,
			       struct arena *a)
{
	struct engine_verdict v;
	memset(&v, 0, sizeof(v));
	v.allowed = true;
	if (review_judged(rv))
		engine_evaluate(cfg, &rv->in, a, &v);
#ifndef FUZZ_SKIP_KNOWN /* only to explore past the known findings (regressions/README.md) */
	if (cfg->mode == ADMITD_MODE_DRY_RUN && !v.allowed)
		fuzz_fail("dry-run denied a request");
#endif
	if (v.ndeny > v.nviolations)
		fuzz_fail("ndeny %zu > nviolations %zu", v.ndeny, v.nviolations);
	size_t n = 0;
	for (const struct violation *x = v.violations; x != NULL; x = x->next)
		n++;
	if (n != v.nviolations)
		fuzz_fail("nviolations %zu but %zu in the list", v.nviolations, n);
	char *body = NULL;
	size_t len = 0;
	if (review_encode(rv, &v, cfg, &body, &len) < 0)
		return NULL;
	if (strlen(body) != len)
		fuzz_fail("review_encode: length %zu, but the text is %zu bytes", len,
			  strlen(body));
	/* the answer must itself be a valid AdmissionReview response */
	json_error_t jerr;
	json_t *doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		fuzz_fail("review_encode wrote invalid JSON: %s", jerr.text);
	json_t *resp = json_object_get(doc, "response");
	if (!json_is_boolean(json_object_get(resp, "allowed")) ||
	    json_is_true(json_object_get(resp, "allowed")) != v.allowed)
		fuzz_fail("response.allowed does not match the verdict");
	if (!json_is_string(json_object_get(resp, "uid")) ||
	    strcmp(json_string_value(json_object_get(resp, "uid")), rv->uid) != 0)
		fuzz_fail("response.uid is not the request's uid");
	json_decref(doc);
	return body;
}

#endif
