/*
 * fuzz_ocimf: the readers of what registries send (webhook/ocimf.c):
 * manifests, indexes (Docker's and OCI's, referrers), and image
 * configurations. Every input is given to both parsers; the first byte
 * picks the Content-Type the manifest parser is told (none, a manifest,
 * an index), the rest is the document.
 *
 * Properties, beyond no crash, no leak, no sanitizer report:
 *   - a document that parses has only well-formed descriptors (a digest
 *     ocimf_digest_ok accepts, a size >= 0), at most OCIMF_MAX_ENTRIES of
 *     them, a config descriptor exactly when it is not an index, and
 *     written back by jansson it parses again to the same descriptors;
 *   - a document that does not parse leaves nothing and says why;
 *   - a configuration that parses has only ports "N/proto" with N in
 *     1..65535 and proto tcp, udp or sctp, and Env entries that are
 *     strings; one that does not parse leaves nothing and says why;
 *   - image facts as the cache keeps them (imgfacts_decode) either decode
 *     to at most IMGFACTS_MAX_PLATFORMS platforms that encode and decode
 *     again to the same, or leave nothing.
 */
#include "fuzz_common.h"

#include "../../webhook/imgfacts.h"
#include "../../webhook/ocimf.h"

static const char *const TYPES[] = {NULL, "application/vnd.oci.image.manifest.v1+json",
				    "application/vnd.oci.image.index.v1+json"};

static void check_manifest(const unsigned char *data, size_t len, const char *ct)
{
	struct ocimf m;
	char why[256] = "";
	if (ocimf_parse(data, len, ct, &m, why, sizeof(why)) < 0) {
		if (m.doc != NULL || m.entries != NULL || why[0] == '\0')
			fuzz_fail("a refused manifest left a document or said nothing");
		return;
	}
	if (m.n > OCIMF_MAX_ENTRIES)
		fuzz_fail("%zu entries", m.n);
	if (m.index == (m.config.digest != NULL))
		fuzz_fail("index=%d with config digest %s", m.index,
			  m.config.digest ? m.config.digest : "(none)");
	if (!m.index && (!ocimf_digest_ok(m.config.digest) || m.config.size < 0))
		fuzz_fail("a malformed config descriptor was accepted");
	for (size_t i = 0; i < m.n; i++)
		if (!ocimf_digest_ok(m.entries[i].digest) || m.entries[i].size < 0)
			fuzz_fail("entry %zu: a malformed descriptor was accepted", i);
	char *again = json_dumps(m.doc, JSON_COMPACT);
	if (again == NULL)
		fuzz_fail("a parsed document does not serialise");
	struct ocimf m2;
	if (ocimf_parse((unsigned char *)again, strlen(again), ct, &m2, why, sizeof(why)) < 0)
		fuzz_fail("written back, the document is refused: %s", why);
	if (m2.n != m.n || m2.index != m.index)
		fuzz_fail("written back, %zu entries (index %d) became %zu (index %d)", m.n,
			  m.index, m2.n, m2.index);
	for (size_t i = 0; i < m.n; i++)
		if (strcmp(m.entries[i].digest, m2.entries[i].digest) != 0 ||
		    m.entries[i].size != m2.entries[i].size)
			fuzz_fail("written back, entry %zu changed", i);
	ocimf_free(&m2);
	free(again);
	ocimf_free(&m);
}

static void check_config(const unsigned char *data, size_t len)
{
	struct ocimf_config c;
	char why[256] = "";
	if (ocimf_config_parse(data, len, &c, why, sizeof(why)) < 0) {
		if (c.doc != NULL || c.ports != NULL || c.env != NULL || why[0] == '\0')
			fuzz_fail("a refused configuration left something or said nothing");
		return;
	}
	for (size_t i = 0; i < c.nports; i++) {
		char proto[8] = "";
		unsigned port = 0;
		int used = 0;
		if (sscanf(c.ports[i], "%5u/%7[a-z]%n", &port, proto, &used) != 2 ||
		    (size_t)used != strlen(c.ports[i]) || port < 1 || port > 65535 ||
		    (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0 &&
		     strcmp(proto, "sctp") != 0))
			fuzz_fail("port \"%s\" is not N/proto", c.ports[i]);
	}
	for (size_t i = 0; i < c.nenv; i++)
		if (c.env[i] == NULL)
			fuzz_fail("Env[%zu] is missing", i);
	ocimf_config_free(&c);
}

static void check_facts(const unsigned char *data, size_t size)
{
	char *text = malloc(size + 1);
	if (text == NULL)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	struct imgfacts f = {0};
	if (imgfacts_decode(text, &f) < 0) {
		if (f.platforms != NULL || f.n != 0)
			fuzz_fail("refused facts left platforms");
		free(text);
		return;
	}
	if (f.n > IMGFACTS_MAX_PLATFORMS)
		fuzz_fail("%zu platforms", f.n);
	char *again = imgfacts_encode(&f);
	struct imgfacts g = {0};
	if (again == NULL || imgfacts_decode(again, &g) < 0 || g.n != f.n)
		fuzz_fail("decoded facts do not encode and decode again");
	for (size_t i = 0; i < f.n; i++)
		if (strcmp(f.platforms[i].platform, g.platforms[i].platform) != 0 ||
		    f.platforms[i].nenv != g.platforms[i].nenv ||
		    f.platforms[i].nports != g.platforms[i].nports ||
		    (f.platforms[i].user == NULL) != (g.platforms[i].user == NULL))
			fuzz_fail("platform %zu changed on the way", i);
	imgfacts_release(&g);
	imgfacts_release(&f);
	free(again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	check_manifest(data + 1, size - 1, TYPES[data[0] % 3]);
	check_config(data + 1, size - 1);
	check_facts(data + 1, size - 1);
	return 0;
}
