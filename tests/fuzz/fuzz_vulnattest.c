/*
 * fuzz_vulnattest: the readers of vulnerability attestations
 * (webhook/vulnattest.c) and cosign 2.x's bare DSSE envelopes
 * (cosign_verify_dsse) on any bytes.
 *
 * Input: a MODE byte (taken modulo 5), then the rest R:
 *   0  R = a predicate (JSON): vulnattest_predicate_read
 *   1  R = a time: vulnattest_time_parse
 *   2  R = the cache's form of a scan: vulnattest_decode
 *   3  R = an in-toto statement, put into a DSSE envelope signed here with
 *      the fixed EC key (as cosign 2.x attests), verified for FUZZ_DIGEST
 *      and the vulnerability predicate type, its predicate then read: the
 *      whole path after the registry
 *   4  R = a DSSE envelope as given, verified the same way
 *
 * Properties, beyond no crash, no leak, no sanitizer report:
 *   - a predicate read has a finish time after 1970, at most
 *     VULNATTEST_MAX_FINDINGS findings, the most severe first, each with
 *     a printable id of fewer than VULNATTEST_ID_MAX characters, and no
 *     more kept of a severity than counted; its cache form decodes to
 *     the same scan. A refused one holds nothing and says why;
 *   - a time read from 1970 to 9999 is written back and read again to the
 *     same second;
 *   - a cache form decoded encodes and decodes again to the same scan;
 *     one refused holds nothing;
 *   - an envelope signed here is never BAD_SIGNATURE; VALID means the
 *     vulnerability predicate type and hands a predicate out; nothing
 *     else does.
 */
#include "fuzz_common.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "../../webhook/cosign.h"
#include "../../webhook/vulnattest.h"

#define FUZZ_DIGEST "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static EVP_PKEY *ec_key;
static struct cosign_keys *keys;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char why[512];
	ec_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	keys = cosign_keys_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *pem;
	if (ec_key == NULL || keys == NULL || b == NULL || PEM_write_bio_PUBKEY(b, ec_key) != 1)
		fuzz_fail("cannot make the test key");
	long n = BIO_get_mem_data(b, &pem);
	if (cosign_keys_add_pem(keys, "fuzz-scanner.pub", pem, (size_t)n, why, sizeof(why)) < 0)
		fuzz_fail("the test key is refused: %s", why);
	BIO_free(b);
	return 0;
}

static void same_scan(const struct vulnattest_scan *a, const struct vulnattest_scan *b,
		      const char *what)
{
	if (a->finished != b->finished || memcmp(a->counts, b->counts, sizeof(a->counts)) != 0 ||
	    a->n != b->n)
		fuzz_fail("%s: the scan changed on the way", what);
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->findings[i].id, b->findings[i].id) != 0 ||
		    a->findings[i].severity != b->findings[i].severity)
			fuzz_fail("%s: finding %zu changed on the way", what, i);
}

static void check_scan(const struct vulnattest_scan *s, const char *what)
{
	if (s->finished <= 0)
		fuzz_fail("%s: finished %lld", what, (long long)s->finished);
	if (s->n > VULNATTEST_MAX_FINDINGS || (s->n > 0) != (s->findings != NULL))
		fuzz_fail("%s: %zu findings", what, s->n);
	unsigned kept[VULNATTEST_NSEVERITIES] = {0};
	for (size_t i = 0; i < s->n; i++) {
		const struct vulnattest_finding *f = &s->findings[i];
		size_t len = strnlen(f->id, VULNATTEST_ID_MAX);
		if (len == 0 || len >= VULNATTEST_ID_MAX)
			fuzz_fail("%s: finding %zu: id of %zu characters", what, i, len);
		for (size_t k = 0; k < len; k++)
			if ((unsigned char)f->id[k] <= 0x20 || (unsigned char)f->id[k] >= 0x7f ||
			    f->id[k] == '"' || f->id[k] == '\\')
				fuzz_fail("%s: finding %zu: id byte 0x%02x", what, i,
					  (unsigned char)f->id[k]);
		if (f->severity >= VULNATTEST_NSEVERITIES)
			fuzz_fail("%s: severity %u", what, f->severity);
		if (i > 0 && f->severity > s->findings[i - 1].severity)
			fuzz_fail("%s: finding %zu is more severe than the one before", what, i);
		if (++kept[f->severity] > s->counts[f->severity])
			fuzz_fail("%s: more %s kept than counted", what,
				  vulnattest_severity_name(f->severity));
	}
}

/* The cache form of s decodes to s. */
static void round_trip(const struct vulnattest_scan *s, const char *what)
{
	char *text = vulnattest_encode(s);
	if (text == NULL)
		return; /* out of memory */
	struct vulnattest_scan d;
	if (vulnattest_decode(text, &d) < 0)
		fuzz_fail("%s: its cache form is refused: %.200s", what, text);
	same_scan(s, &d, what);
	vulnattest_scan_free(&d);
	free(text);
}

static void read_predicate(const json_t *pred, const char *what)
{
	struct vulnattest_scan s;
	char why[256] = "";
	if (vulnattest_predicate_read(pred, &s, why, sizeof(why)) < 0) {
		if (s.findings != NULL || s.n != 0 || why[0] == '\0')
			fuzz_fail("%s: a refused predicate left findings or said nothing", what);
		return;
	}
	check_scan(&s, what);
	round_trip(&s, what);
	vulnattest_scan_free(&s);
}

static void fuzz_time(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	int64_t t = 0;
	if (vulnattest_time_parse(text, &t) == 0 && t >= 0 && t < 253402300800LL) {
		char buf[40];
		int64_t again = -1;
		vulnattest_time_format(t, buf, sizeof(buf));
		if (vulnattest_time_parse(buf, &again) < 0 || again != t)
			fuzz_fail("\"%s\" is %lld, written \"%s\", read back %lld", text,
				  (long long)t, buf, (long long)again);
	}
	free(text);
}

static void fuzz_cache(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	struct vulnattest_scan s;
	if (vulnattest_decode(text, &s) < 0) {
		if (s.findings != NULL || s.n != 0)
			fuzz_fail("a refused cache form left findings");
	} else {
		check_scan(&s, "cache form");
		round_trip(&s, "cache form");
		vulnattest_scan_free(&s);
	}
	free(text);
}

/* base64 of sig(msg) by the EC key; NULL when it cannot sign. */
static char *sign_b64(const void *msg, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	char *b64 = NULL;
	size_t siglen = 0;
	if (ctx == NULL ||
	    EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL, ec_key, NULL) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, msg, len) != 1)
		goto done;
	sig = malloc(siglen);
	b64 = malloc((siglen + 2) / 3 * 4 + 1);
	if (sig == NULL || b64 == NULL || EVP_DigestSign(ctx, sig, &siglen, msg, len) != 1) {
		free(b64);
		b64 = NULL;
		goto done;
	}
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
done:
	free(sig);
	EVP_MD_CTX_free(ctx);
	return b64;
}

/* The statement in a DSSE envelope signed here, as cosign 2.x writes the layer. */
static char *envelope_signed(const uint8_t *body, size_t blen)
{
	static const char type[] = "application/vnd.in-toto+json";
	char *pae = NULL, *sig = NULL, *out = NULL, *b64 = malloc((blen + 2) / 3 * 4 + 1);
	if (b64 == NULL || asprintf(&pae, "DSSEv1 %zu %s %zu ", strlen(type), type, blen) < 0) {
		free(b64);
		return NULL;
	}
	size_t head = strlen(pae);
	char *grown = realloc(pae, head + blen + 1);
	if (grown != NULL) {
		pae = grown;
		memcpy(pae + head, body, blen);
		sig = sign_b64(pae, head + blen);
	}
	EVP_EncodeBlock((unsigned char *)b64, body, (int)blen);
	json_t *e = sig != NULL ? json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "payloadType", type,
					    "payload", b64, "signatures", "keyid", "", "sig", sig)
				: NULL;
	if (e != NULL)
		out = json_dumps(e, JSON_COMPACT);
	json_decref(e);
	free(pae);
	free(sig);
	free(b64);
	return out;
}

static void fuzz_envelope(const char *env, size_t len, bool signed_here)
{
	struct cosign_options o = {
		.any_identity = true,
		.predicate_type = VULNATTEST_PREDICATE,
		.keep_predicate = true,
		.max_bytes = VULNATTEST_ENVELOPE_MAX,
	};
	struct cosign_result r;
	cosign_verify_dsse(keys, env, len, FUZZ_DIGEST, NULL, &o, &r);
	if ((unsigned)r.verdict >= COSIGN_NVERDICTS || r.reason[0] == '\0')
		fuzz_fail("verdict %d without a reason", (int)r.verdict);
	if (signed_here && r.verdict == COSIGN_BAD_SIGNATURE)
		fuzz_fail("signed here, yet: %s", r.reason);
	if (r.verdict != COSIGN_VALID && r.predicate != NULL)
		fuzz_fail("a predicate handed out with %s", cosign_verdict_name(r.verdict));
	if (r.verdict == COSIGN_VALID && strcmp(r.predicate_type, VULNATTEST_PREDICATE) != 0)
		fuzz_fail("valid with predicate type \"%s\"", r.predicate_type);
	if (r.verdict == COSIGN_VALID)
		read_predicate(r.predicate, "a verified statement's predicate");
	cosign_result_release(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const uint8_t *rest = data + 1;
	size_t n = size - 1;
	switch (data[0] % 5) {
	case 0: {
		json_t *p = json_loadb((const char *)rest, n, 0, NULL);
		if (p != NULL)
			read_predicate(p, "predicate");
		json_decref(p);
		break;
	}
	case 1:
		fuzz_time(rest, n);
		break;
	case 2:
		fuzz_cache(rest, n);
		break;
	case 3: {
		char *env = envelope_signed(rest, n);
		if (env != NULL)
			fuzz_envelope(env, strlen(env), true);
		free(env);
		break;
	}
	case 4: {
		char *env = fuzz_strndup(rest, n);
		fuzz_envelope(env, n, false);
		free(env);
		break;
	}
	}
	return 0;
}
