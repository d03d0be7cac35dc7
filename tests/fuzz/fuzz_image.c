/*
 * fuzz_image: image references and registry/image patterns.
 *
 * Input: REF '\n' PATTERN (without a newline, the whole input is both).
 * image_parse(REF); image_pattern_compile(PATTERN) as a registry and as an
 * image pattern; image_pattern_match for every pair that compiled.
 *
 * Properties, when REF parses:
 *   - the normalized form host/path[:tag][@digest] parses to the same
 *     reference (normalization is idempotent);
 *   - that form compiled as an IMAGE pattern matches the reference, and
 *     "host/path" compiled as a REGISTRY pattern matches it too (unless
 *     the host is one a registry pattern refuses, e.g. no dot or port).
 */
#include "fuzz_common.h"

#include "../../policies/image.h"

static struct arena arena;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	arena_init(&arena);
	return 0;
}

static bool same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static void check_roundtrip(const char *text, const struct image_ref *r)
{
	char *canon = arena_printf(&arena, "%s/%s%s%s%s%s", r->host, r->path, r->tag ? ":" : "",
				   r->tag ? r->tag : "", r->digest ? "@" : "",
				   r->digest ? r->digest : "");
	if (canon == NULL)
		return;
	struct image_ref again;
#ifdef FUZZ_SKIP_KNOWN /* only to explore past the known findings (regressions/README.md) */
	if (strlen(r->host) + 1 + strlen(r->path) > 255)
		return;
#endif
	if (image_parse(&arena, canon, &again) < 0)
		fuzz_fail("\"%s\" parsed, but its normal form \"%s\" does not", text, canon);
	if (!same(again.host, r->host) || !same(again.path, r->path) || !same(again.tag, r->tag) ||
	    !same(again.digest, r->digest))
		fuzz_fail("\"%s\" -> \"%s\" -> host %s path %s tag %s digest %s", text, canon,
			  again.host, again.path, again.tag ? again.tag : "-",
			  again.digest ? again.digest : "-");
	char err[256];
	struct image_pattern p;
	if (image_pattern_compile(canon, IMAGE_PATTERN_IMAGE, &p, err, sizeof(err)) < 0)
		fuzz_fail("normal form \"%s\" of \"%s\" is refused as an image pattern: %s", canon,
			  text, err);
	if (!image_pattern_match(&p, r))
		fuzz_fail("image pattern \"%s\" does not match \"%s\"", canon, text);
	image_pattern_free(&p);
	char *reg = arena_printf(&arena, "%s/%s", r->host, r->path);
	if (reg != NULL &&
	    image_pattern_compile(reg, IMAGE_PATTERN_REGISTRY, &p, err, sizeof(err)) == 0) {
		if (!image_pattern_match(&p, r))
			fuzz_fail("registry pattern \"%s\" does not match \"%s\"", reg, text);
		image_pattern_free(&p);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t rlen = nl ? (size_t)(nl - data) : size;
	char *ref = fuzz_strndup(data, rlen);
	char *pat = nl ? fuzz_strndup(nl + 1, size - rlen - 1) : fuzz_strndup(data, size);

	struct image_ref r;
	bool have_ref = image_parse(&arena, ref, &r) == 0;
	if (have_ref) {
		if (r.host == NULL || r.path == NULL)
			fuzz_fail("image_parse(\"%s\") left host or path NULL", ref);
		check_roundtrip(ref, &r);
	}
	static const enum image_pattern_kind kinds[] = {IMAGE_PATTERN_REGISTRY,
							IMAGE_PATTERN_IMAGE};
	for (size_t k = 0; k < 2; k++) {
		struct image_pattern p;
		char err[256];
		memset(&p, 0, sizeof(p));
		if (image_pattern_compile(pat, kinds[k], &p, err, sizeof(err)) < 0) {
			if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
				fuzz_fail("image_pattern_compile failed without a reason");
			continue;
		}
		if (have_ref)
			(void)image_pattern_match(&p, &r);
		image_pattern_free(&p);
	}
	arena_reset(&arena);
	free(ref);
	free(pat);
	return 0;
}
