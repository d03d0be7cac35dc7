/*
 * fuzz_image: image references and image patterns.
 *
 * Input: REF '\n' PATTERN (without a newline, the whole input is both).
 * image_parse(REF); image_pattern_compile(PATTERN); image_pattern_match
 * when both compiled.
 *
 * Properties, when REF parses:
 *   - the normalized form host/path[:tag][@digest] parses to the same
 *     reference (normalization is idempotent);
 *   - that form compiled as a pattern matches the reference, and so do
 *     the prefixes "host/path", "host/path/" "*" and "host/" "*";
 *   - a sibling "host/path-x" never matches it (whole components only),
 *     nor does "host.x/path" (a longer host is another registry).
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

/*
 * pattern matches r (from text) or not, as want says; one that must match
 * must compile, one that must not may be refused (e.g. made too long).
 */
static void expect(const char *pattern, const struct image_ref *r, const char *text, bool want)
{
	char err[256];
	struct image_pattern p;
	if (pattern == NULL)
		return;
	if (image_pattern_compile(pattern, &p, err, sizeof(err)) < 0) {
		if (want)
			fuzz_fail("pattern \"%s\" from \"%s\" is refused: %s", pattern, text, err);
		return;
	}
	if (image_pattern_match(&p, r) != want)
		fuzz_fail("pattern \"%s\" %s \"%s\"", pattern, want ? "does not match" : "matches",
			  text);
	image_pattern_free(&p);
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
	expect(canon, r, text, true);
	expect(arena_printf(&arena, "%s/%s", r->host, r->path), r, text, true);
	expect(arena_printf(&arena, "%s/%s/*", r->host, r->path), r, text, true);
	expect(arena_printf(&arena, "%s/*", r->host), r, text, true);
	expect(arena_printf(&arena, "%s/%s-x", r->host, r->path), r, text, false);
	if (strchr(r->host, ':') == NULL && strchr(r->host, ']') == NULL)
		expect(arena_printf(&arena, "%s.x/%s", r->host, r->path), r, text, false);
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
	struct image_pattern p;
	char err[256];
	memset(&p, 0, sizeof(p));
	if (image_pattern_compile(pat, &p, err, sizeof(err)) < 0) {
		if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
			fuzz_fail("image_pattern_compile failed without a reason");
	} else if (have_ref) {
		(void)image_pattern_match(&p, &r);
	}
	image_pattern_free(&p);
	arena_reset(&arena);
	free(ref);
	free(pat);
	return 0;
}
