/*
 * test_cosign: the cosign verifier core (webhook/cosign.c).
 *
 *   - every row of ../shared/conformance/cosign/README.md, signatures made
 *     by real cosign, gets the verdict the table gives it;
 *   - simple-signing identities are compared normalized, and only where
 *     the options say;
 *   - DSSE bundles made here with OpenSSL (EC P-256, P-384, Ed25519, RSA
 *     keys generated per run): valid, and every way to get them wrong;
 *   - key loading refuses what is not a supported public key, saying why.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "../../webhook/cosign.h"
#include "../../webhook/readall.h"

#define FIXTURES "conformance/cosign/"
#define REPO1    "192.168.64.2:5000/cosign-signed-single-sample"
/* sha256 of the DER SubjectPublicKeyInfo, from `openssl pkey -pubin -outform DER | sha256sum` */
#define COSIGN_PUB_FP  "c87a79018f346cc02482448b77296b0bea143ef2ccab99b04776fb0f638f301f"
#define COSIGN2_PUB_FP "5e7eb6c1e2e6db06470ae59ee8253b3dc4ce33beefb9a0cca06a371cfc0ebdfa"
#define HEX_A          "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX_B          "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define VULN_TYPE      "https://cosign.sigstore.dev/attestation/vuln/v1"
#define BUNDLE_V03     "application/vnd.dev.sigstore.bundle.v0.3+json"

/* ---- helpers ---- */

static char *read_file(const char *path, size_t *len)
{
	char *buf, why[256];
	if (readall_file(path, 4u << 20, &buf, len, why, sizeof(why)) < 0)
		return NULL;
	return buf;
}

static unsigned char *b64_decode(const char *in, size_t *outlen)
{
	size_t inlen = strlen(in);
	unsigned char *out = malloc(inlen / 4 * 3 + 4);
	assert_non_null(out);
	EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
	int n1 = 0, n2 = 0;
	EVP_DecodeInit(ctx);
	assert_true(EVP_DecodeUpdate(ctx, out, &n1, (const unsigned char *)in, (int)inlen) >= 0);
	assert_int_equal(EVP_DecodeFinal(ctx, out + n1, &n2), 1);
	EVP_ENCODE_CTX_free(ctx);
	*outlen = (size_t)(n1 + n2);
	return out;
}

static char *b64_encode(const void *data, size_t len)
{
	char *out = malloc((len + 2) / 3 * 4 + 1);
	assert_non_null(out);
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

static void sha256_digest(const void *data, size_t len, char out[72])
{
	unsigned char md[32];
	size_t mdlen = 0;
	assert_int_equal(EVP_Q_digest(NULL, "SHA256", NULL, data, len, md, &mdlen), 1);
	strcpy(out, "sha256:");
	for (size_t i = 0; i < 32; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

static struct cosign_keys *shared_keys(const char *a, const char *b)
{
	char pa[4096], pb[4096], why[512];
	snprintf(pa, sizeof(pa), "%s", harness_shared(a));
	if (b != NULL)
		snprintf(pb, sizeof(pb), "%s", harness_shared(b));
	const char *paths[] = {pa, pb};
	struct cosign_keys *k = cosign_keys_load_files(paths, b != NULL ? 2 : 1, why, sizeof(why));
	if (k == NULL)
		fail_msg("keys did not load: %s", why);
	return k;
}

/* A signature file of the fixtures: NUL, "sigstore-json", '\n', then JSON. */
struct fixture_sig {
	unsigned char *blob;
	size_t len;
	char *sig_b64;
};

static void fixture_sig_read(const char *rel, struct fixture_sig *fs)
{
	static const char magic[] = "\0sigstore-json\n";
	size_t len = 0;
	char *raw = read_file(harness_shared(rel), &len);
	if (raw == NULL)
		fail_msg("cannot read %s (is ADMITD_SHARED set?)", harness_shared(rel));
	assert_true(len > sizeof(magic) - 1);
	assert_memory_equal(raw, magic, sizeof(magic) - 1);
	json_error_t jerr;
	json_t *doc = json_loadb(raw + sizeof(magic) - 1, len - (sizeof(magic) - 1), 0, &jerr);
	if (doc == NULL)
		fail_msg("%s: %s", rel, jerr.text);
	const char *payload = json_string_value(json_object_get(doc, "payload"));
	const char *sig = json_string_value(json_object_get(json_object_get(doc, "annotations"),
							    "dev.cosignproject.cosign/signature"));
	assert_non_null(payload);
	assert_non_null(sig);
	fs->blob = b64_decode(payload, &fs->len);
	fs->sig_b64 = strdup(sig);
	json_decref(doc);
	free(raw);
}

static void fixture_sig_free(struct fixture_sig *fs)
{
	free(fs->blob);
	free(fs->sig_b64);
}

/* "sha256:<hex>" of a fixture manifest; false when there is none. */
static bool fixture_digest(const char *rel, char out[72])
{
	size_t len = 0;
	char *m = read_file(harness_shared(rel), &len);
	if (m == NULL)
		return false;
	sha256_digest(m, len, out);
	free(m);
	return true;
}

static void assert_reason(const struct cosign_result *r, const char *substr)
{
	if (r->reason[0] == '\0')
		fail_msg("verdict %s without a reason", cosign_verdict_name(r->verdict));
	if (substr != NULL && strstr(r->reason, substr) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", r->reason, substr);
}

static void assert_verdict(const struct cosign_result *r, enum cosign_verdict want)
{
	if (r->verdict != want)
		fail_msg("got %s (%s), want %s", cosign_verdict_name(r->verdict), r->reason,
			 cosign_verdict_name(want));
	assert_reason(r, NULL);
}

/* ---- generated keys and signatures ---- */

static EVP_PKEY *gen_key(const char *type, const char *curve_or_bits)
{
	EVP_PKEY *k;
	if (strcmp(type, "EC") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve_or_bits);
	else if (strcmp(type, "RSA") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)atoi(curve_or_bits));
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, type);
	assert_non_null(k);
	return k;
}

static char *pem_of(EVP_PKEY *k, bool private_key)
{
	BIO *b = BIO_new(BIO_s_mem());
	assert_non_null(b);
	if (private_key)
		assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
	else
		assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *s = strndup(data, (size_t)n);
	BIO_free(b);
	assert_non_null(s);
	return s;
}

static struct cosign_keys *keys_of(EVP_PKEY *k)
{
	char why[512];
	struct cosign_keys *keys = cosign_keys_new();
	assert_non_null(keys);
	char *pem = pem_of(k, false);
	if (cosign_keys_add_pem(keys, "generated.pub", pem, strlen(pem), why, sizeof(why)) < 0)
		fail_msg("generated key refused: %s", why);
	free(pem);
	return keys;
}

/* md NULL for Ed25519; padding 0, or RSA_PKCS1_PSS_PADDING. Returns base64. */
static char *sign_b64(EVP_PKEY *k, const char *md, int padding, const void *msg, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	assert_int_equal(EVP_DigestSignInit_ex(ctx, &pctx, md, NULL, NULL, k, NULL), 1);
	if (padding != 0)
		assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx, padding) > 0);
	size_t siglen = 0;
	assert_int_equal(EVP_DigestSign(ctx, NULL, &siglen, msg, len), 1);
	unsigned char *sig = malloc(siglen);
	assert_non_null(sig);
	assert_int_equal(EVP_DigestSign(ctx, sig, &siglen, msg, len), 1);
	EVP_MD_CTX_free(ctx);
	char *b64 = b64_encode(sig, siglen);
	free(sig);
	return b64;
}

static const char *md_for(EVP_PKEY *k)
{
	return EVP_PKEY_is_a(k, "ED25519") ? NULL : "SHA256";
}

/* A simple-signing payload, compact as cosign writes it. */
static char *simple_payload(const char *ref, const char *digest, const char *type)
{
	char *s = NULL;
	assert_true(
		asprintf(&s,
			 "{\"critical\":{\"identity\":{\"docker-reference\":\"%s\"},\"image\":"
			 "{\"docker-manifest-digest\":\"%s\"},\"type\":\"%s\"},\"optional\":null}",
			 ref, digest, type) > 0);
	return s;
}

static char *statement(const char *name, const char *hex, const char *ptype)
{
	char *s = NULL;
	assert_true(
		asprintf(&s,
			 "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{%s%s%s"
			 "\"digest\":{\"sha256\":\"%s\"}}],\"predicateType\":\"%s\","
			 "\"predicate\":{\"scanner\":{\"uri\":\"pkg:github/aquasecurity/trivy\"}}}",
			 name != NULL ? "\"name\":\"" : "", name != NULL ? name : "",
			 name != NULL ? "\"," : "", hex, ptype) > 0);
	return s;
}

/* How a test bundle is made; written/written_type differ from what was signed to tamper. */
struct bspec {
	EVP_PKEY *key;
	int padding;
	const char *ptype;        /* signed payloadType; default in-toto */
	const char *payload;      /* signed bytes */
	const char *written;      /* payload bytes put in the envelope; default = payload */
	const char *written_type; /* payloadType put in the envelope; default = ptype */
	const char *media;        /* default v0.3 */
	bool keyless;             /* a certificate instead of a public key hint */
};

static char *pae(const char *type, const char *body)
{
	char *s = NULL;
	assert_true(asprintf(&s, "DSSEv1 %zu %s %zu %s", strlen(type), type, strlen(body), body) >
		    0);
	return s;
}

static char *bundle_make(const struct bspec *s)
{
	const char *ptype = s->ptype != NULL ? s->ptype : "application/vnd.in-toto+json";
	char *p = pae(ptype, s->payload);
	char *sig = sign_b64(s->key, md_for(s->key), s->padding, p, strlen(p));
	const char *written = s->written != NULL ? s->written : s->payload;
	char *payload = b64_encode(written, strlen(written));
	json_t *vm = s->keyless ? json_pack("{s:{s:s}}", "certificate", "rawBytes", "MIIB")
				: json_pack("{s:{s:s}}", "publicKey", "hint", "aGludA==");
	json_t *b = json_pack("{s:s, s:o, s:{s:s, s:s, s:[{s:s, s:s}]}}", "mediaType",
			      s->media != NULL ? s->media : BUNDLE_V03, "verificationMaterial", vm,
			      "dsseEnvelope", "payload", payload, "payloadType",
			      s->written_type != NULL ? s->written_type : ptype, "signatures",
			      "keyid", "", "sig", sig);
	assert_non_null(b);
	char *out = json_dumps(b, JSON_COMPACT);
	assert_non_null(out);
	json_decref(b);
	free(p);
	free(sig);
	free(payload);
	return out;
}

static enum cosign_verdict verify_bundle_text(const struct cosign_keys *keys, const char *bundle,
					      const char *repo, const struct cosign_options *o,
					      struct cosign_result *r)
{
	return cosign_verify_bundle(keys, bundle, strlen(bundle), "sha256:" HEX_A, repo, o, r);
}

/* ---- the conformance table ---- */

struct fixture_row {
	const char *sigs[2];  /* signature files under conformance/cosign/ */
	const char *manifest; /* NULL: no manifest, so no digest */
	const char *key;
	const char *repo;
	enum cosign_verdict want[2];
	bool valid; /* the image: any one signature valid */
};

#define DIR(d) FIXTURES "dir-img-cosign-" d
static const struct fixture_row fixture_rows[] = {
	{{DIR("valid/signature-1")},
	 DIR("valid/manifest.json"),
	 "cosign.pub",
	 REPO1,
	 {COSIGN_VALID},
	 true},
	{{DIR("valid-2/signature-1"), DIR("valid-2/signature-2")},
	 DIR("valid-2/manifest.json"),
	 "cosign.pub",
	 REPO1,
	 {COSIGN_VALID, COSIGN_VALID},
	 true},
	{{DIR("valid-with-tag/signature-1")},
	 DIR("valid-with-tag/manifest.json"),
	 "cosign.pub",
	 "192.168.64.2:5000/skopeo-signed",
	 {COSIGN_VALID},
	 true},
	{{DIR("mixed/signature-1"), DIR("mixed/signature-2")},
	 DIR("mixed/manifest.json"),
	 "cosign.pub",
	 REPO1,
	 {COSIGN_BAD_SIGNATURE, COSIGN_VALID},
	 true},
	{{DIR("modified-manifest/signature-1")},
	 DIR("modified-manifest/manifest.json"),
	 "cosign.pub",
	 REPO1,
	 {COSIGN_WRONG_DIGEST},
	 false},
	{{DIR("manifest-digest-error/signature-1")},
	 DIR("manifest-digest-error/manifest.json"),
	 "cosign.pub",
	 REPO1,
	 {COSIGN_WRONG_DIGEST},
	 false},
	{{DIR("no-manifest/signature-1")}, NULL, "cosign.pub", REPO1, {COSIGN_WRONG_DIGEST}, false},
	/* its signature annotation is the valid one's, over other bytes */
	{{DIR("other-attachment/signature-1")},
	 DIR("other-attachment/manifest.json"),
	 "cosign.pub",
	 REPO1,
	 {COSIGN_BAD_SIGNATURE},
	 false},
	{{DIR("key-rekor-valid/signature-1")},
	 DIR("key-rekor-valid/manifest.json"),
	 "cosign.pub",
	 "192.168.64.2:5000/cosign-signed/key-1",
	 {COSIGN_BAD_SIGNATURE},
	 false},
	{{DIR("key-rekor-valid/signature-1")},
	 DIR("key-rekor-valid/manifest.json"),
	 "cosign2.pub",
	 "192.168.64.2:5000/cosign-signed/key-1",
	 {COSIGN_VALID},
	 true},
	{{DIR("fulcio-rekor-valid/signature-1")},
	 DIR("fulcio-rekor-valid/manifest.json"),
	 "cosign.pub",
	 "192.168.64.2:5000/cosign-signed/fulcio-rekor-1",
	 {COSIGN_BAD_SIGNATURE},
	 false},
	{{DIR("fulcio-rekor-valid/signature-1")},
	 DIR("fulcio-rekor-valid/manifest.json"),
	 "cosign2.pub",
	 "192.168.64.2:5000/cosign-signed/fulcio-rekor-1",
	 {COSIGN_BAD_SIGNATURE},
	 false},
	{{DIR("pki-valid/signature-1")},
	 DIR("pki-valid/manifest.json"),
	 "cosign.pub",
	 "localhost:5000/test",
	 {COSIGN_BAD_SIGNATURE},
	 false},
	{{DIR("pki-valid/signature-1")},
	 DIR("pki-valid/manifest.json"),
	 "cosign2.pub",
	 "localhost:5000/test",
	 {COSIGN_BAD_SIGNATURE},
	 false},
	/* signed for the valid image's manifest, by a key that is not here */
	{{FIXTURES "unknown-cosign-key.signature"},
	 DIR("valid/manifest.json"),
	 "cosign.pub",
	 REPO1,
	 {COSIGN_BAD_SIGNATURE},
	 false},
};
#define FIXTURE_NROWS (sizeof(fixture_rows) / sizeof(fixture_rows[0]))

static void test_conformance_table_verdicts(void **state)
{
	(void)state;
	for (size_t i = 0; i < FIXTURE_NROWS; i++) {
		const struct fixture_row *row = &fixture_rows[i];
		char keyrel[64], digest[72];
		snprintf(keyrel, sizeof(keyrel), FIXTURES "%s", row->key);
		struct cosign_keys *keys = shared_keys(keyrel, NULL);
		bool have = row->manifest != NULL && fixture_digest(row->manifest, digest);
		assert_true(have == (row->manifest != NULL));
		bool any_valid = false;
		for (size_t s = 0; s < 2 && row->sigs[s] != NULL; s++) {
			struct fixture_sig fs;
			struct cosign_result r;
			fixture_sig_read(row->sigs[s], &fs);
			cosign_verify_simplesigning(keys, fs.blob, fs.len, fs.sig_b64,
						    have ? digest : NULL, row->repo, NULL, &r);
			if (r.verdict != row->want[s])
				fail_msg("%s with %s: got %s (%s), want %s", row->sigs[s], row->key,
					 cosign_verdict_name(r.verdict), r.reason,
					 cosign_verdict_name(row->want[s]));
			assert_reason(&r, NULL);
			/* the key is named exactly when the signature verified */
			if (r.verdict == COSIGN_BAD_SIGNATURE)
				assert_string_equal(r.key, "");
			else if (have)
				assert_string_equal(r.key, cosign_keys_fingerprint(keys, 0));
			any_valid |= r.verdict == COSIGN_VALID;
			fixture_sig_free(&fs);
		}
		if (any_valid != row->valid)
			fail_msg("%s with %s: image %s", row->sigs[0], row->key,
				 any_valid ? "valid, want invalid" : "invalid, want valid");
		cosign_keys_free(keys);
	}
}

static void test_conformance_no_manifest_says_so(void **state)
{
	(void)state;
	struct cosign_keys *keys = shared_keys(FIXTURES "cosign.pub", NULL);
	struct fixture_sig fs;
	struct cosign_result r;
	fixture_sig_read(DIR("no-manifest/signature-1"), &fs);
	cosign_verify_simplesigning(keys, fs.blob, fs.len, fs.sig_b64, NULL, REPO1, NULL, &r);
	assert_verdict(&r, COSIGN_WRONG_DIGEST);
	assert_reason(&r, "digest is unknown");
	fixture_sig_free(&fs);
	cosign_keys_free(keys);
}

static void test_conformance_wrong_digest_names_both(void **state)
{
	(void)state;
	struct cosign_keys *keys = shared_keys(FIXTURES "cosign.pub", NULL);
	struct fixture_sig fs;
	struct cosign_result r;
	char digest[72];
	fixture_sig_read(DIR("modified-manifest/signature-1"), &fs);
	assert_true(fixture_digest(DIR("modified-manifest/manifest.json"), digest));
	cosign_verify_simplesigning(keys, fs.blob, fs.len, fs.sig_b64, digest, REPO1, NULL, &r);
	assert_verdict(&r, COSIGN_WRONG_DIGEST);
	assert_reason(&r,
		      "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00");
	assert_reason(&r, digest);
	fixture_sig_free(&fs);
	cosign_keys_free(keys);
}

static void test_conformance_either_of_two_keys_verifies(void **state)
{
	(void)state;
	struct cosign_keys *keys = shared_keys(FIXTURES "cosign.pub", FIXTURES "cosign2.pub");
	struct fixture_sig fs;
	struct cosign_result r;
	char digest[72];
	assert_int_equal(cosign_keys_count(keys), 2);
	fixture_sig_read(DIR("key-rekor-valid/signature-1"), &fs);
	assert_true(fixture_digest(DIR("key-rekor-valid/manifest.json"), digest));
	cosign_verify_simplesigning(keys, fs.blob, fs.len, fs.sig_b64, digest,
				    "192.168.64.2:5000/cosign-signed/key-1", NULL, &r);
	assert_verdict(&r, COSIGN_VALID);
	assert_string_equal(r.key, COSIGN2_PUB_FP);
	assert_reason(&r, "cosign2.pub");
	fixture_sig_free(&fs);
	cosign_keys_free(keys);
}

/* The signature covers bytes: the same JSON, written otherwise, is not signed. */
static void test_simplesigning_reserialised_payload_is_bad_signature(void **state)
{
	(void)state;
	struct cosign_keys *keys = shared_keys(FIXTURES "cosign.pub", NULL);
	struct fixture_sig fs;
	struct cosign_result r;
	char digest[72];
	fixture_sig_read(DIR("valid/signature-1"), &fs);
	assert_true(fixture_digest(DIR("valid/manifest.json"), digest));
	json_t *doc = json_loadb((const char *)fs.blob, fs.len, 0, NULL);
	assert_non_null(doc);
	char *again = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	assert_non_null(again);
	assert_false(strlen(again) == fs.len && memcmp(again, fs.blob, fs.len) == 0);
	cosign_verify_simplesigning(keys, again, strlen(again), fs.sig_b64, digest, REPO1, NULL,
				    &r);
	assert_verdict(&r, COSIGN_BAD_SIGNATURE);
	assert_reason(&r, "cosign.pub");
	/* and the bytes as signed still verify: the refusal is the reformatting's */
	cosign_verify_simplesigning(keys, fs.blob, fs.len, fs.sig_b64, digest, REPO1, NULL, &r);
	assert_verdict(&r, COSIGN_VALID);
	free(again);
	json_decref(doc);
	fixture_sig_free(&fs);
	cosign_keys_free(keys);
}

static void test_simplesigning_identity_options(void **state)
{
	(void)state;
	struct cosign_keys *keys = shared_keys(FIXTURES "cosign.pub", NULL);
	struct fixture_sig fs;
	struct cosign_result r;
	char digest[72];
	fixture_sig_read(DIR("valid/signature-1"), &fs);
	assert_true(fixture_digest(DIR("valid/manifest.json"), digest));

	/* a mirror: the signature names the repository the image was copied from */
	cosign_verify_simplesigning(keys, fs.blob, fs.len, fs.sig_b64, digest,
				    "mirror.corp.example/cosign-signed-single-sample", NULL, &r);
	assert_verdict(&r, COSIGN_WRONG_IDENTITY);
	assert_reason(&r, REPO1);
	assert_reason(&r, "mirror.corp.example/cosign-signed-single-sample");
	assert_string_equal(r.key, COSIGN_PUB_FP);

	const char *const upstream[] = {"ghcr.io/other", REPO1 ":anytag"};
	struct cosign_options o = {.also_repos = upstream, .n_also_repos = 2};
	cosign_verify_simplesigning(keys, fs.blob, fs.len, fs.sig_b64, digest,
				    "mirror.corp.example/cosign-signed-single-sample", &o, &r);
	assert_verdict(&r, COSIGN_VALID);

	/* exact names, not prefixes */
	const char *const parent[] = {"192.168.64.2:5000/cosign-signed"};
	struct cosign_options op = {.also_repos = parent, .n_also_repos = 1};
	cosign_verify_simplesigning(keys, fs.blob, fs.len, fs.sig_b64, digest,
				    "mirror.corp.example/x", &op, &r);
	assert_verdict(&r, COSIGN_WRONG_IDENTITY);

	struct cosign_options any = {.any_identity = true};
	cosign_verify_simplesigning(keys, fs.blob, fs.len, fs.sig_b64, digest, NULL, &any, &r);
	assert_verdict(&r, COSIGN_VALID);
	/* any identity never excuses the digest */
	cosign_verify_simplesigning(keys, fs.blob, fs.len, fs.sig_b64, "sha256:" HEX_A, NULL, &any,
				    &r);
	assert_verdict(&r, COSIGN_WRONG_DIGEST);

	/* no repository and no "any": the caller's mistake, said */
	cosign_verify_simplesigning(keys, fs.blob, fs.len, fs.sig_b64, digest, NULL, NULL, &r);
	assert_verdict(&r, COSIGN_MALFORMED);
	assert_reason(&r, "expected repository");
	fixture_sig_free(&fs);
	cosign_keys_free(keys);
}

static void check_identity(const struct cosign_keys *keys, EVP_PKEY *k, const char *signed_ref,
			   const char *expected, enum cosign_verdict want)
{
	struct cosign_result r;
	char *p = simple_payload(signed_ref, "sha256:" HEX_A, COSIGN_SIMPLESIGNING_TYPE);
	char *sig = sign_b64(k, md_for(k), 0, p, strlen(p));
	cosign_verify_simplesigning(keys, p, strlen(p), sig, "sha256:" HEX_A, expected, NULL, &r);
	if (r.verdict != want)
		fail_msg("signed \"%s\", expected \"%s\": got %s (%s), want %s", signed_ref,
			 expected, cosign_verdict_name(r.verdict), r.reason,
			 cosign_verdict_name(want));
	free(p);
	free(sig);
}

static void test_simplesigning_identity_is_normalized(void **state)
{
	(void)state;
	EVP_PKEY *k = gen_key("EC", "P-256");
	struct cosign_keys *keys = keys_of(k);
	check_identity(keys, k, "nginx:1.25", "docker.io/library/nginx", COSIGN_VALID);
	check_identity(keys, k, "index.docker.io/library/nginx@sha256:" HEX_A, "nginx",
		       COSIGN_VALID);
	check_identity(keys, k, "Registry.Corp.Example/team/app:v1",
		       "registry.corp.example/team/app", COSIGN_VALID);
	check_identity(keys, k, "docker.io/library/nginx-evil", "nginx", COSIGN_WRONG_IDENTITY);
	check_identity(keys, k, "ghcr.io/library/nginx", "nginx", COSIGN_WRONG_IDENTITY);
	check_identity(keys, k, "acme/nginx", "nginx", COSIGN_WRONG_IDENTITY);
	check_identity(keys, k, "registry.corp.example/team", "registry.corp.example/team/app",
		       COSIGN_WRONG_IDENTITY);
	check_identity(keys, k, "not a reference", "nginx", COSIGN_WRONG_IDENTITY);
	cosign_keys_free(keys);
	EVP_PKEY_free(k);
}

static void test_simplesigning_content_checked_after_signature(void **state)
{
	(void)state;
	EVP_PKEY *k = gen_key("EC", "P-256");
	struct cosign_keys *keys = keys_of(k);
	struct cosign_result r;

	/* another attachment signed with the right key is still no image signature */
	char *p = simple_payload("nginx", "sha256:" HEX_A, "cosign attestation");
	char *sig = sign_b64(k, "SHA256", 0, p, strlen(p));
	cosign_verify_simplesigning(keys, p, strlen(p), sig, "sha256:" HEX_A, "nginx", NULL, &r);
	assert_verdict(&r, COSIGN_WRONG_TYPE);
	assert_reason(&r, "cosign attestation");
	assert_string_equal(r.key, cosign_keys_fingerprint(keys, 0));
	free(p);
	free(sig);

	const char *text = "this is not a signature, regardless of the annotation";
	sig = sign_b64(k, "SHA256", 0, text, strlen(text));
	cosign_verify_simplesigning(keys, text, strlen(text), sig, "sha256:" HEX_A, "nginx", NULL,
				    &r);
	assert_verdict(&r, COSIGN_MALFORMED);
	assert_reason(&r, "not a JSON object");
	free(sig);

	/* the same unsigned text says nothing about its content */
	cosign_verify_simplesigning(keys, text, strlen(text), "MEUCIQ==", "sha256:" HEX_A, "nginx",
				    NULL, &r);
	assert_verdict(&r, COSIGN_BAD_SIGNATURE);
	cosign_keys_free(keys);
	EVP_PKEY_free(k);
}

static void test_simplesigning_refuses_bad_arguments(void **state)
{
	(void)state;
	EVP_PKEY *k = gen_key("EC", "P-256");
	struct cosign_keys *keys = keys_of(k);
	struct cosign_result r;
	char *p = simple_payload("nginx", "sha256:" HEX_A, COSIGN_SIMPLESIGNING_TYPE);
	char *sig = sign_b64(k, "SHA256", 0, p, strlen(p));

	cosign_verify_simplesigning(keys, p, strlen(p), sig, "sha256:" HEX_A, "nginx", NULL, &r);
	assert_verdict(&r, COSIGN_VALID);
	cosign_verify_simplesigning(keys, p, strlen(p), "not base64!", "sha256:" HEX_A, "nginx",
				    NULL, &r);
	assert_verdict(&r, COSIGN_MALFORMED);
	assert_reason(&r, "not base64");
	cosign_verify_simplesigning(keys, p, strlen(p), NULL, "sha256:" HEX_A, "nginx", NULL, &r);
	assert_verdict(&r, COSIGN_MALFORMED);
	assert_reason(&r, "dev.cosignproject.cosign/signature");
	cosign_verify_simplesigning(keys, p, strlen(p), sig, "sha256:" HEX_A "0", "nginx", NULL,
				    &r);
	assert_verdict(&r, COSIGN_MALFORMED);
	cosign_verify_simplesigning(keys, p, strlen(p), sig, "sha256:ABCDEF", "nginx", NULL, &r);
	assert_verdict(&r, COSIGN_MALFORMED);
	cosign_verify_simplesigning(keys, p, strlen(p), sig, "sha256:" HEX_A, "Not/A Repo", NULL,
				    &r);
	assert_verdict(&r, COSIGN_MALFORMED);

	struct cosign_keys *none = cosign_keys_new();
	cosign_verify_simplesigning(none, p, strlen(p), sig, "sha256:" HEX_A, "nginx", NULL, &r);
	assert_verdict(&r, COSIGN_BAD_SIGNATURE);
	assert_reason(&r, "no public keys");
	cosign_keys_free(none);

	/* one byte over the cap is refused before any work */
	size_t big = COSIGN_PAYLOAD_MAX + 1;
	char *blob = malloc(big);
	assert_non_null(blob);
	memset(blob, ' ', big);
	cosign_verify_simplesigning(keys, blob, big, sig, "sha256:" HEX_A, "nginx", NULL, &r);
	assert_verdict(&r, COSIGN_MALFORMED);
	assert_reason(&r, "1 MiB");
	free(blob);
	free(p);
	free(sig);
	cosign_keys_free(keys);
	EVP_PKEY_free(k);
}

/* ---- keys ---- */

static void test_keys_fingerprint_is_sha256_of_spki(void **state)
{
	(void)state;
	struct cosign_keys *keys = shared_keys(FIXTURES "cosign.pub", FIXTURES "cosign2.pub");
	assert_string_equal(cosign_keys_fingerprint(keys, 0), COSIGN_PUB_FP);
	assert_string_equal(cosign_keys_fingerprint(keys, 1), COSIGN2_PUB_FP);
	assert_null(cosign_keys_fingerprint(keys, 2));
	assert_non_null(strstr(cosign_keys_name(keys, 1), "cosign2.pub"));

	/* the set's fingerprint: the same keys in any order, another with another key */
	struct cosign_keys *swapped = shared_keys(FIXTURES "cosign2.pub", FIXTURES "cosign.pub");
	struct cosign_keys *one = shared_keys(FIXTURES "cosign.pub", NULL);
	assert_string_equal(cosign_keys_set_fingerprint(keys),
			    cosign_keys_set_fingerprint(swapped));
	assert_string_not_equal(cosign_keys_set_fingerprint(keys),
				cosign_keys_set_fingerprint(one));
	assert_int_equal(strlen(cosign_keys_set_fingerprint(one)), COSIGN_FINGERPRINT_LEN);

	/* the same key twice is one key */
	struct cosign_keys *twice = shared_keys(FIXTURES "cosign.pub", FIXTURES "cosign.pub");
	assert_int_equal(cosign_keys_count(twice), 1);
	assert_string_equal(cosign_keys_set_fingerprint(twice), cosign_keys_set_fingerprint(one));
	cosign_keys_free(twice);
	cosign_keys_free(one);
	cosign_keys_free(swapped);
	cosign_keys_free(keys);
}

static void check_key_refused(const char *pem, const char *substr)
{
	char why[512] = "";
	struct cosign_keys *keys = shared_keys(FIXTURES "cosign.pub", NULL);
	const char *before = strdup(cosign_keys_set_fingerprint(keys));
	if (cosign_keys_add_pem(keys, "team.pub", pem, strlen(pem), why, sizeof(why)) == 0)
		fail_msg("accepted, should refuse with \"%s\"", substr);
	if (strncmp(why, "team.pub: ", 10) != 0 || strstr(why, substr) == NULL)
		fail_msg("reason \"%s\" lacks \"team.pub: ...%s\"", why, substr);
	/* a refused text adds nothing, not even the keys before the bad block */
	assert_int_equal(cosign_keys_count(keys), 1);
	assert_string_equal(cosign_keys_set_fingerprint(keys), before);
	free((void *)before);
	cosign_keys_free(keys);
}

static void test_keys_refused_with_reason(void **state)
{
	(void)state;
	check_key_refused("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG... me@host\n", "no PEM block");
	check_key_refused("-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n",
			  "damaged");
	check_key_refused("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
			  "not a valid SubjectPublicKeyInfo");
	check_key_refused("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n"
			  "-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
			  "cosign.pub");
	check_key_refused("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
			  "x509 -pubkey");

	EVP_PKEY *ec = gen_key("EC", "P-256");
	char *priv = pem_of(ec, true);
	check_key_refused(priv, "private key");
	/* a good key first, then the private one: the whole text is refused */
	char *pub = pem_of(ec, false), *both = NULL;
	assert_true(asprintf(&both, "%s%s", pub, priv) > 0);
	check_key_refused(both, "private key");
	free(both);
	free(pub);
	free(priv);
	EVP_PKEY_free(ec);

	EVP_PKEY *k1 = gen_key("EC", "secp256k1");
	char *pem = pem_of(k1, false);
	check_key_refused(pem, "curve secp256k1");
	free(pem);
	EVP_PKEY_free(k1);

	EVP_PKEY *small = gen_key("RSA", "1024");
	pem = pem_of(small, false);
	check_key_refused(pem, "1024-bit RSA");
	free(pem);
	EVP_PKEY_free(small);

	EVP_PKEY *x = gen_key("X25519", NULL);
	pem = pem_of(x, false);
	check_key_refused(pem, "type X25519");
	free(pem);
	EVP_PKEY_free(x);
}

static void test_keys_load_files_names_the_failing_file(void **state)
{
	(void)state;
	char why[512] = "", good[4096], tmp[] = "/tmp/test_cosign_XXXXXX";
	snprintf(good, sizeof(good), "%s", harness_shared(FIXTURES "cosign.pub"));
	const char *missing[] = {good, "/nonexistent/keys/team.pub"};
	assert_null(cosign_keys_load_files(missing, 2, why, sizeof(why)));
	assert_non_null(strstr(why, "/nonexistent/keys/team.pub: cannot open"));

	EVP_PKEY *ec = gen_key("EC", "P-256");
	char *priv = pem_of(ec, true);
	int fd = mkstemp(tmp);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, priv, strlen(priv)), (ssize_t)strlen(priv));
	close(fd);
	const char *paths[] = {good, tmp};
	assert_null(cosign_keys_load_files(paths, 2, why, sizeof(why)));
	assert_int_equal(strncmp(why, tmp, strlen(tmp)), 0);
	assert_non_null(strstr(why, "private key"));
	unlink(tmp);
	free(priv);
	EVP_PKEY_free(ec);

	assert_null(cosign_keys_load_files(NULL, 0, why, sizeof(why)));
	assert_non_null(strstr(why, "no public key files"));
}

/* ---- DSSE bundles ---- */

static void test_bundle_ec_p256_valid_with_predicate(void **state)
{
	(void)state;
	EVP_PKEY *k = gen_key("EC", "P-256");
	struct cosign_keys *keys = keys_of(k);
	char *st = statement("ghcr.io/acme/app", HEX_A, VULN_TYPE);
	struct bspec s = {.key = k, .payload = st};
	char *b = bundle_make(&s);
	struct cosign_result r;
	struct cosign_options o = {.keep_predicate = true};
	verify_bundle_text(keys, b, "ghcr.io/acme/app", &o, &r);
	assert_verdict(&r, COSIGN_VALID);
	assert_string_equal(r.key, cosign_keys_fingerprint(keys, 0));
	assert_string_equal(r.predicate_type, VULN_TYPE);
	assert_non_null(r.predicate);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(r.predicate, "scanner"), "uri")),
		"pkg:github/aquasecurity/trivy");
	cosign_result_release(&r);
	assert_null(r.predicate);
	cosign_result_release(&r);

	/* without keep_predicate nothing is handed out */
	verify_bundle_text(keys, b, "ghcr.io/acme/app", NULL, &r);
	assert_verdict(&r, COSIGN_VALID);
	assert_null(r.predicate);
	assert_string_equal(r.predicate_type, VULN_TYPE);
	free(b);
	free(st);
	cosign_keys_free(keys);
	EVP_PKEY_free(k);
}

static void test_bundle_flipped_payload_byte_is_bad_signature(void **state)
{
	(void)state;
	EVP_PKEY *k = gen_key("EC", "P-256");
	struct cosign_keys *keys = keys_of(k);
	char *st = statement("ghcr.io/acme/app", HEX_A, VULN_TYPE);
	char *flipped = strdup(st);
	char *at = strstr(flipped, "trivy");
	at[0] = 'T';
	struct bspec s = {.key = k, .payload = st, .written = flipped};
	char *b = bundle_make(&s);
	struct cosign_result r;
	verify_bundle_text(keys, b, "ghcr.io/acme/app", NULL, &r);
	assert_verdict(&r, COSIGN_BAD_SIGNATURE);
	assert_reason(&r, "generated.pub");
	assert_string_equal(r.key, "");
	assert_string_equal(r.predicate_type, "");
	free(b);
	free(flipped);
	free(st);
	cosign_keys_free(keys);
	EVP_PKEY_free(k);
}

static void test_bundle_reserialised_statement_is_bad_signature(void **state)
{
	(void)state;
	EVP_PKEY *k = gen_key("EC", "P-256");
	struct cosign_keys *keys = keys_of(k);
	char *st = statement("ghcr.io/acme/app", HEX_A, VULN_TYPE);
	json_t *doc = json_loads(st, 0, NULL);
	char *again = json_dumps(doc, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	assert_string_not_equal(again, st);
	struct bspec s = {.key = k, .payload = st, .written = again};
	char *b = bundle_make(&s);
	struct cosign_result r;
	verify_bundle_text(keys, b, "ghcr.io/acme/app", NULL, &r);
	assert_verdict(&r, COSIGN_BAD_SIGNATURE);
	free(b);
	/* signed as reformatted, it is valid: the bytes decide, not the meaning */
	s.payload = again;
	s.written = NULL;
	b = bundle_make(&s);
	verify_bundle_text(keys, b, "ghcr.io/acme/app", NULL, &r);
	assert_verdict(&r, COSIGN_VALID);
	free(b);
	free(again);
	json_decref(doc);
	free(st);
	cosign_keys_free(keys);
	EVP_PKEY_free(k);
}

static void test_bundle_other_digest_is_wrong_digest(void **state)
{
	(void)state;
	EVP_PKEY *k = gen_key("EC", "P-256");
	struct cosign_keys *keys = keys_of(k);
	char *st = statement("ghcr.io/acme/app", HEX_B, VULN_TYPE);
	struct bspec s = {.key = k, .payload = st};
	char *b = bundle_make(&s);
	struct cosign_result r;
	verify_bundle_text(keys, b, "ghcr.io/acme/app", NULL, &r);
	assert_verdict(&r, COSIGN_WRONG_DIGEST);
	assert_reason(&r, HEX_B);
	assert_reason(&r, "sha256:" HEX_A);
	assert_string_equal(r.key, cosign_keys_fingerprint(keys, 0));
	free(b);
	free(st);
	cosign_keys_free(keys);
	EVP_PKEY_free(k);
}

static void test_bundle_payload_type_is_checked(void **state)
{
	(void)state;
	EVP_PKEY *k = gen_key("EC", "P-256");
	struct cosign_keys *keys = keys_of(k);
	char *st = statement("ghcr.io/acme/app", HEX_A, VULN_TYPE);
	struct cosign_result r;

	/* signed as another type: refused for its type */
	struct bspec s = {.key = k, .payload = st, .ptype = "application/json"};
	char *b = bundle_make(&s);
	verify_bundle_text(keys, b, "ghcr.io/acme/app", NULL, &r);
	assert_verdict(&r, COSIGN_WRONG_TYPE);
	assert_reason(&r, "application/json");
	free(b);

	/* the type is signed too (PAE): relabelling the envelope breaks the signature */
	struct bspec relabel = {.key = k,
				.payload = st,
				.ptype = "application/json",
				.written_type = "application/vnd.in-toto+json"};
	b = bundle_make(&relabel);
	verify_bundle_text(keys, b, "ghcr.io/acme/app", NULL, &r);
	assert_verdict(&r, COSIGN_BAD_SIGNATURE);
	free(b);
	free(st);
	cosign_keys_free(keys);
	EVP_PKEY_free(k);
}

static void test_bundle_unknown_key_is_bad_signature(void **state)
{
	(void)state;
	EVP_PKEY *k = gen_key("EC", "P-256"), *other = gen_key("EC", "P-256");
	struct cosign_keys *keys = keys_of(k);
	char *st = statement("ghcr.io/acme/app", HEX_A, VULN_TYPE);
	struct bspec s = {.key = other, .payload = st};
	char *b = bundle_make(&s);
	struct cosign_result r;
	verify_bundle_text(keys, b, "ghcr.io/acme/app", NULL, &r);
	assert_verdict(&r, COSIGN_BAD_SIGNATURE);
	assert_reason(&r, "another key");
	free(b);
	free(st);
	cosign_keys_free(keys);
	EVP_PKEY_free(other);
	EVP_PKEY_free(k);
}

static void test_bundle_keyless_is_not_signed_by_configured_key(void **state)
{
	(void)state;
	EVP_PKEY *k = gen_key("EC", "P-256");
	struct cosign_keys *keys = keys_of(k);
	char *st = statement("ghcr.io/acme/app", HEX_A, VULN_TYPE);
	/* even signed by a configured key: certificate material is not key-based trust */
	struct bspec s = {.key = k, .payload = st, .keyless = true};
	char *b = bundle_make(&s);
	struct cosign_result r;
	verify_bundle_text(keys, b, "ghcr.io/acme/app", NULL, &r);
	assert_verdict(&r, COSIGN_BAD_SIGNATURE);
	assert_reason(&r, "not signed by a configured key");
	free(b);
	free(st);
	cosign_keys_free(keys);
	EVP_PKEY_free(k);
}

static void test_bundle_oversize_refused(void **state)
{
	(void)state;
	EVP_PKEY *k = gen_key("EC", "P-256");
	struct cosign_keys *keys = keys_of(k);
	char *st = statement("ghcr.io/acme/app", HEX_A, VULN_TYPE);
	struct bspec s = {.key = k, .payload = st};
	char *b = bundle_make(&s);
	/* the valid bundle padded with JSON whitespace to one byte over the cap */
	size_t len = strlen(b), big = COSIGN_BUNDLE_MAX + 1;
	char *padded = malloc(big);
	assert_non_null(padded);
	memcpy(padded, b, len);
	memset(padded + len, ' ', big - len);
	struct cosign_result r;
	cosign_verify_bundle(keys, padded, big, "sha256:" HEX_A, "ghcr.io/acme/app", NULL, &r);
	assert_verdict(&r, COSIGN_MALFORMED);
	assert_reason(&r, "1 MiB");
	/* at the cap it is read */
	cosign_verify_bundle(keys, padded, big - 1, "sha256:" HEX_A, "ghcr.io/acme/app", NULL, &r);
	assert_verdict(&r, COSIGN_VALID);
	free(padded);
	free(b);
	free(st);
	cosign_keys_free(keys);
	EVP_PKEY_free(k);
}

/* The bundle's dsseEnvelope alone, as cosign 2.x stores an attestation layer. */
static char *envelope_of(const char *bundle)
{
	json_t *b = json_loads(bundle, 0, NULL);
	assert_non_null(b);
	char *out = json_dumps(json_object_get(b, "dsseEnvelope"), JSON_COMPACT);
	assert_non_null(out);
	json_decref(b);
	return out;
}

/* cosign 2.x attestations: a bare DSSE envelope, checked as a bundle's is */
static void test_dsse_envelope_as_cosign2_attests(void **state)
{
	(void)state;
	EVP_PKEY *k = gen_key("EC", "P-256"), *other = gen_key("EC", "P-256");
	struct cosign_keys *keys = keys_of(k);
	char *st = statement("ghcr.io/acme/app", HEX_A, VULN_TYPE);
	struct bspec s = {.key = k, .payload = st};
	char *b = bundle_make(&s), *env = envelope_of(b);
	struct cosign_options o = {
		.any_identity = true, .predicate_type = VULN_TYPE, .keep_predicate = true};
	struct cosign_result r;
	cosign_verify_dsse(keys, env, strlen(env), "sha256:" HEX_A, NULL, &o, &r);
	assert_verdict(&r, COSIGN_VALID);
	assert_string_equal(r.predicate_type, VULN_TYPE);
	assert_non_null(json_object_get(r.predicate, "scanner"));
	cosign_result_release(&r);
	/* another digest, another predicate type, another key, not an envelope */
	cosign_verify_dsse(keys, env, strlen(env), "sha256:" HEX_B, NULL, &o, &r);
	assert_verdict(&r, COSIGN_WRONG_DIGEST);
	assert_null(r.predicate);
	o.predicate_type = "https://slsa.dev/provenance/v1";
	cosign_verify_dsse(keys, env, strlen(env), "sha256:" HEX_A, NULL, &o, &r);
	assert_verdict(&r, COSIGN_WRONG_TYPE);
	o.predicate_type = VULN_TYPE;
	struct bspec s2 = {.key = other, .payload = st};
	char *b2 = bundle_make(&s2), *env2 = envelope_of(b2);
	cosign_verify_dsse(keys, env2, strlen(env2), "sha256:" HEX_A, NULL, &o, &r);
	assert_verdict(&r, COSIGN_BAD_SIGNATURE);
	cosign_verify_dsse(keys, "[1]", 3, "sha256:" HEX_A, NULL, &o, &r);
	assert_verdict(&r, COSIGN_MALFORMED);
	assert_reason(&r, "not a JSON object");
	/* a whole bundle is not an envelope */
	cosign_verify_dsse(keys, b, strlen(b), "sha256:" HEX_A, NULL, &o, &r);
	assert_verdict(&r, COSIGN_MALFORMED);
	/* strict identity reads the subject name as for bundles */
	cosign_verify_dsse(keys, env, strlen(env), "sha256:" HEX_A, "ghcr.io/acme/other", NULL, &r);
	assert_verdict(&r, COSIGN_WRONG_IDENTITY);
	free(b2);
	free(env2);
	free(b);
	free(env);
	free(st);
	cosign_keys_free(keys);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

/* options.max_bytes: an attestation's cap, above or below the bundle default */
static void test_max_bytes_option_moves_the_cap(void **state)
{
	(void)state;
	EVP_PKEY *k = gen_key("EC", "P-256");
	struct cosign_keys *keys = keys_of(k);
	char *st = statement("ghcr.io/acme/app", HEX_A, VULN_TYPE);
	struct bspec s = {.key = k, .payload = st};
	char *b = bundle_make(&s), *env = envelope_of(b);
	size_t big = COSIGN_BUNDLE_MAX + 4096;
	char *padded = malloc(big);
	assert_non_null(padded);
	memcpy(padded, b, strlen(b));
	memset(padded + strlen(b), ' ', big - strlen(b));
	struct cosign_options o = {.any_identity = true, .max_bytes = 2u << 20};
	struct cosign_result r;
	cosign_verify_bundle(keys, padded, big, "sha256:" HEX_A, NULL, &o, &r);
	assert_verdict(&r, COSIGN_VALID);
	o.max_bytes = 300;
	cosign_verify_bundle(keys, b, strlen(b), "sha256:" HEX_A, NULL, &o, &r);
	assert_verdict(&r, COSIGN_MALFORMED);
	assert_reason(&r, "more than the 300 bytes a bundle may have");
	o.max_bytes = 100;
	cosign_verify_dsse(keys, env, strlen(env), "sha256:" HEX_A, NULL, &o, &r);
	assert_verdict(&r, COSIGN_MALFORMED);
	assert_reason(&r, "more than the 100 bytes an envelope may have");
	free(padded);
	free(b);
	free(env);
	free(st);
	cosign_keys_free(keys);
	EVP_PKEY_free(k);
}

static void check_bundle_signed_by(EVP_PKEY *k, int padding)
{
	struct cosign_keys *keys = keys_of(k);
	char *st = statement("ghcr.io/acme/app", HEX_A, VULN_TYPE);
	struct bspec s = {.key = k, .padding = padding, .payload = st};
	char *b = bundle_make(&s);
	struct cosign_result r;
	verify_bundle_text(keys, b, "ghcr.io/acme/app", NULL, &r);
	assert_verdict(&r, COSIGN_VALID);
	assert_string_equal(r.key, cosign_keys_fingerprint(keys, 0));
	free(b);

	/* the same key for cosign 2.x simple signing */
	char *p = simple_payload("ghcr.io/acme/app:v1", "sha256:" HEX_A, COSIGN_SIMPLESIGNING_TYPE);
	char *sig = sign_b64(k, md_for(k), padding, p, strlen(p));
	cosign_verify_simplesigning(keys, p, strlen(p), sig, "sha256:" HEX_A, "ghcr.io/acme/app",
				    NULL, &r);
	assert_verdict(&r, COSIGN_VALID);
	p[5] ^= 1;
	cosign_verify_simplesigning(keys, p, strlen(p), sig, "sha256:" HEX_A, "ghcr.io/acme/app",
				    NULL, &r);
	assert_verdict(&r, COSIGN_BAD_SIGNATURE);
	free(p);
	free(sig);
	free(st);
	cosign_keys_free(keys);
}

static void test_ed25519_and_rsa_keys_load_and_verify(void **state)
{
	(void)state;
	EVP_PKEY *ed = gen_key("ED25519", NULL);
	check_bundle_signed_by(ed, 0);
	EVP_PKEY *rsa = gen_key("RSA", "2048");
	check_bundle_signed_by(rsa, 0);
	check_bundle_signed_by(rsa, RSA_PKCS1_PSS_PADDING);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
}

/* cosign 2.x signs with SHA-256 on any curve, sigstore-go with the curve's digest */
static void test_ecdsa_p384_either_digest(void **state)
{
	(void)state;
	EVP_PKEY *k = gen_key("EC", "P-384");
	struct cosign_keys *keys = keys_of(k);
	char *p = simple_payload("nginx", "sha256:" HEX_A, COSIGN_SIMPLESIGNING_TYPE);
	struct cosign_result r;
	const char *mds[] = {"SHA256", "SHA384"};
	for (size_t i = 0; i < 2; i++) {
		char *sig = sign_b64(k, mds[i], 0, p, strlen(p));
		cosign_verify_simplesigning(keys, p, strlen(p), sig, "sha256:" HEX_A, "nginx", NULL,
					    &r);
		assert_verdict(&r, COSIGN_VALID);
		free(sig);
	}
	/* SHA-1 is neither */
	char *sig = sign_b64(k, "SHA1", 0, p, strlen(p));
	cosign_verify_simplesigning(keys, p, strlen(p), sig, "sha256:" HEX_A, "nginx", NULL, &r);
	assert_verdict(&r, COSIGN_BAD_SIGNATURE);
	free(sig);
	free(p);
	cosign_keys_free(keys);
	EVP_PKEY_free(k);
}

static void test_bundle_subject_name_is_the_identity(void **state)
{
	(void)state;
	EVP_PKEY *k = gen_key("EC", "P-256");
	struct cosign_keys *keys = keys_of(k);
	char *st = statement("index.docker.io/acme/app", HEX_A, VULN_TYPE);
	struct bspec s = {.key = k, .payload = st};
	char *b = bundle_make(&s);
	struct cosign_result r;
	verify_bundle_text(keys, b, "acme/app:v1", NULL, &r);
	assert_verdict(&r, COSIGN_VALID);
	verify_bundle_text(keys, b, "ghcr.io/acme/app", NULL, &r);
	assert_verdict(&r, COSIGN_WRONG_IDENTITY);
	assert_reason(&r, "index.docker.io/acme/app");
	struct cosign_options any = {.any_identity = true};
	verify_bundle_text(keys, b, NULL, &any, &r);
	assert_verdict(&r, COSIGN_VALID);
	free(b);
	free(st);

	/* a subject without a name binds by digest alone */
	st = statement(NULL, HEX_A, VULN_TYPE);
	s.payload = st;
	b = bundle_make(&s);
	verify_bundle_text(keys, b, "ghcr.io/acme/app", NULL, &r);
	assert_verdict(&r, COSIGN_VALID);
	free(b);
	free(st);
	cosign_keys_free(keys);
	EVP_PKEY_free(k);
}

static void test_bundle_statement_and_predicate_types(void **state)
{
	(void)state;
	EVP_PKEY *k = gen_key("EC", "P-256");
	struct cosign_keys *keys = keys_of(k);
	char *st = statement("ghcr.io/acme/app", HEX_A, VULN_TYPE);
	struct bspec s = {.key = k, .payload = st};
	char *b = bundle_make(&s);
	struct cosign_result r;
	struct cosign_options want = {.predicate_type = "https://slsa.dev/provenance/v1"};
	verify_bundle_text(keys, b, "ghcr.io/acme/app", &want, &r);
	assert_verdict(&r, COSIGN_WRONG_TYPE);
	assert_reason(&r, "https://slsa.dev/provenance/v1");
	assert_string_equal(r.predicate_type, VULN_TYPE);
	want.predicate_type = VULN_TYPE;
	verify_bundle_text(keys, b, "ghcr.io/acme/app", &want, &r);
	assert_verdict(&r, COSIGN_VALID);
	free(b);

	/* a signed JSON that is no in-toto statement */
	const char *other = "{\"_type\":\"https://example.com/Other\",\"subject\":[]}";
	s.payload = other;
	b = bundle_make(&s);
	verify_bundle_text(keys, b, "ghcr.io/acme/app", NULL, &r);
	assert_verdict(&r, COSIGN_WRONG_TYPE);
	assert_reason(&r, "https://example.com/Other");
	free(b);
	free(st);
	cosign_keys_free(keys);
	EVP_PKEY_free(k);
}

static void test_bundle_media_types_and_shapes(void **state)
{
	(void)state;
	EVP_PKEY *k = gen_key("EC", "P-256");
	struct cosign_keys *keys = keys_of(k);
	char *st = statement("ghcr.io/acme/app", HEX_A, VULN_TYPE);
	struct cosign_result r;
	struct bspec s = {.key = k,
			  .payload = st,
			  .media = "application/vnd.dev.sigstore.bundle+json;version=0.2"};
	char *b = bundle_make(&s);
	verify_bundle_text(keys, b, "ghcr.io/acme/app", NULL, &r);
	assert_verdict(&r, COSIGN_VALID);
	free(b);
	s.media = "application/vnd.oci.image.manifest.v1+json";
	b = bundle_make(&s);
	verify_bundle_text(keys, b, "ghcr.io/acme/app", NULL, &r);
	assert_verdict(&r, COSIGN_MALFORMED);
	assert_reason(&r, "mediaType");
	free(b);

	const char *msgsig =
		"{\"mediaType\":\"" BUNDLE_V03 "\",\"verificationMaterial\":"
		"{\"publicKey\":{\"hint\":\"x\"}},\"messageSignature\":{\"messageDigest\":"
		"{\"algorithm\":\"SHA2_256\",\"digest\":\"AAAA\"},\"signature\":\"AAAA\"}}";
	verify_bundle_text(keys, msgsig, "ghcr.io/acme/app", NULL, &r);
	assert_verdict(&r, COSIGN_WRONG_TYPE);
	assert_reason(&r, "messageSignature");

	const char *bad[] = {
		"",
		"[]",
		"{\"mediaType\":\"" BUNDLE_V03 "\"}",
		"{\"mediaType\":\"" BUNDLE_V03 "\",\"verificationMaterial\":{\"publicKey\":{}}}",
		"{\"mediaType\":\"" BUNDLE_V03 "\",\"verificationMaterial\":{\"publicKey\":{}},"
		"\"dsseEnvelope\":{\"payload\":\"e30=\",\"payloadType\":\"x\",\"signatures\":[]}}",
		"{\"mediaType\":\"" BUNDLE_V03 "\",\"verificationMaterial\":{\"publicKey\":{}},"
		"\"dsseEnvelope\":{\"payload\":\"e30=\",\"payloadType\":\"x\",\"signatures\":"
		"[{\"sig\":\"%%%%\"}]}}",
		"{\"mediaType\":\"" BUNDLE_V03 "\",\"mediaType\":\"" BUNDLE_V03 "\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		verify_bundle_text(keys, bad[i], "ghcr.io/acme/app", NULL, &r);
		if (r.verdict != COSIGN_MALFORMED)
			fail_msg("bundle %zu: got %s (%s)", i, cosign_verdict_name(r.verdict),
				 r.reason);
		assert_reason(&r, NULL);
	}
	free(st);
	cosign_keys_free(keys);
	EVP_PKEY_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conformance_table_verdicts),
		cmocka_unit_test(test_conformance_no_manifest_says_so),
		cmocka_unit_test(test_conformance_wrong_digest_names_both),
		cmocka_unit_test(test_conformance_either_of_two_keys_verifies),
		cmocka_unit_test(test_simplesigning_reserialised_payload_is_bad_signature),
		cmocka_unit_test(test_simplesigning_identity_options),
		cmocka_unit_test(test_simplesigning_identity_is_normalized),
		cmocka_unit_test(test_simplesigning_content_checked_after_signature),
		cmocka_unit_test(test_simplesigning_refuses_bad_arguments),
		cmocka_unit_test(test_keys_fingerprint_is_sha256_of_spki),
		cmocka_unit_test(test_keys_refused_with_reason),
		cmocka_unit_test(test_keys_load_files_names_the_failing_file),
		cmocka_unit_test(test_bundle_ec_p256_valid_with_predicate),
		cmocka_unit_test(test_bundle_flipped_payload_byte_is_bad_signature),
		cmocka_unit_test(test_bundle_reserialised_statement_is_bad_signature),
		cmocka_unit_test(test_bundle_other_digest_is_wrong_digest),
		cmocka_unit_test(test_bundle_payload_type_is_checked),
		cmocka_unit_test(test_bundle_unknown_key_is_bad_signature),
		cmocka_unit_test(test_bundle_keyless_is_not_signed_by_configured_key),
		cmocka_unit_test(test_bundle_oversize_refused),
		cmocka_unit_test(test_dsse_envelope_as_cosign2_attests),
		cmocka_unit_test(test_max_bytes_option_moves_the_cap),
		cmocka_unit_test(test_ed25519_and_rsa_keys_load_and_verify),
		cmocka_unit_test(test_ecdsa_p384_either_digest),
		cmocka_unit_test(test_bundle_subject_name_is_the_identity),
		cmocka_unit_test(test_bundle_statement_and_predicate_types),
		cmocka_unit_test(test_bundle_media_types_and_shapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
