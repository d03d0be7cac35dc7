/*
 * fuzz_cosign: the cosign verifier core (webhook/cosign.c) on any bytes.
 *
 * Input: a MODE byte, then the rest R:
 *   0  R = SIG '\n' BLOB: a simple-signing layer and its annotation, as given
 *   1  R = BLOB, signed here with the fixed EC key: the payload checks run
 *   2  R = a bundle, as given
 *   3  R = TYPE '\n' PAYLOAD, put into a v0.3 bundle signed here with the
 *      fixed Ed25519 key: the statement checks run
 * (MODE is taken modulo 4; bit 2 accepts any identity; with bit 3, R is
 * also read as PEM key text into a set of its own.) The verifying keys
 * are generated once, at start.
 *
 * Properties, beyond no crash, no leak, no sanitizer report:
 *   - every result has a known verdict and a non-empty, terminated reason;
 *   - VALID names the key that verified, one of the set; BAD_SIGNATURE
 *     names none;
 *   - what was signed here (modes 1 and 3) is never BAD_SIGNATURE;
 *   - a predicate is handed out only with VALID;
 *   - PEM text either adds keys with 64-hex-digit fingerprints or is
 *     refused with "fuzz.pem: <why>", the set left empty.
 */
#include "fuzz_common.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "../../webhook/cosign.h"

#define FUZZ_DIGEST "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static EVP_PKEY *ec_key, *ed_key;
static struct cosign_keys *keys;

static void add_public(EVP_PKEY *k, const char *name)
{
	char why[512];
	BIO *b = BIO_new(BIO_s_mem());
	char *pem;
	if (b == NULL || PEM_write_bio_PUBKEY(b, k) != 1)
		fuzz_fail("cannot write the %s public key", name);
	long n = BIO_get_mem_data(b, &pem);
	if (cosign_keys_add_pem(keys, name, pem, (size_t)n, why, sizeof(why)) < 0)
		fuzz_fail("the %s key is refused: %s", name, why);
	BIO_free(b);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ec_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ed_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	keys = cosign_keys_new();
	if (ec_key == NULL || ed_key == NULL || keys == NULL)
		fuzz_fail("cannot make the test keys");
	add_public(ec_key, "fuzz-ec.pub");
	add_public(ed_key, "fuzz-ed25519.pub");
	return 0;
}

/* base64 of sig(msg) by k (SHA-256, or none for Ed25519); NULL if it cannot sign. */
static char *sign_b64(EVP_PKEY *k, const void *msg, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	char *b64 = NULL;
	size_t siglen = 0;
	const char *md = EVP_PKEY_is_a(k, "ED25519") ? NULL : "SHA256";
	if (ctx == NULL || EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, k, NULL) != 1 ||
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

static void check(const struct cosign_result *r, bool signed_here, const char *what)
{
	if ((unsigned)r->verdict >= COSIGN_NVERDICTS)
		fuzz_fail("%s: verdict %d out of range", what, (int)r->verdict);
	if (memchr(r->reason, '\0', sizeof(r->reason)) == NULL || r->reason[0] == '\0')
		fuzz_fail("%s: %s without a reason", what, cosign_verdict_name(r->verdict));
	if (memchr(r->key, '\0', sizeof(r->key)) == NULL)
		fuzz_fail("%s: key not terminated", what);
	bool known = false;
	for (size_t i = 0; i < cosign_keys_count(keys); i++)
		known |= strcmp(r->key, cosign_keys_fingerprint(keys, i)) == 0;
	if (r->verdict == COSIGN_VALID && !known)
		fuzz_fail("%s: valid, but key \"%s\" is not in the set", what, r->key);
	if (r->verdict == COSIGN_BAD_SIGNATURE && r->key[0] != '\0')
		fuzz_fail("%s: bad signature, yet key %s named", what, r->key);
	if (signed_here && r->verdict == COSIGN_BAD_SIGNATURE)
		fuzz_fail("%s: signed by a configured key, yet: %s", what, r->reason);
	if (r->predicate != NULL && r->verdict != COSIGN_VALID)
		fuzz_fail("%s: a predicate handed out with %s", what,
			  cosign_verdict_name(r->verdict));
}

static const char *const fuzz_mirrors[] = {"docker.io/library/nginx", "ghcr.io/acme/upstream"};

static void fuzz_bundle(const char *b, size_t len, bool signed_here, bool any)
{
	struct cosign_options o = {
		.any_identity = any,
		.also_repos = fuzz_mirrors,
		.n_also_repos = 2,
		.keep_predicate = true,
	};
	struct cosign_result r;
	cosign_verify_bundle(keys, b, len, FUZZ_DIGEST, "ghcr.io/acme/app", &o, &r);
	check(&r, signed_here, "bundle");
	cosign_result_release(&r);
}

/* TYPE '\n' PAYLOAD into a signed bundle; NULL when TYPE is no JSON string (not UTF-8). */
static char *wrap_signed(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t tlen = nl != NULL ? (size_t)(nl - data) : 0;
	const uint8_t *body = nl != NULL ? nl + 1 : data;
	size_t blen = size - (size_t)(body - data);
	char *type = fuzz_strndup(data, tlen), *out = NULL;
	char *pae = NULL, *sig = NULL, *b64 = malloc((blen + 2) / 3 * 4 + 1);
	if (type == NULL || b64 == NULL || strlen(type) != tlen)
		goto done;
	if (asprintf(&pae, "DSSEv1 %zu %s %zu ", tlen, type, blen) < 0) {
		pae = NULL;
		goto done;
	}
	size_t head = strlen(pae);
	char *grown = realloc(pae, head + blen + 1);
	if (grown == NULL)
		goto done;
	pae = grown;
	memcpy(pae + head, body, blen);
	sig = sign_b64(ed_key, pae, head + blen);
	EVP_EncodeBlock((unsigned char *)b64, body, (int)blen);
	json_t *b = sig != NULL
			    ? json_pack("{s:s, s:{s:{s:s}}, s:{s:s, s:s, s:[{s:s}]}}", "mediaType",
					"application/vnd.dev.sigstore.bundle.v0.3+json",
					"verificationMaterial", "publicKey", "hint", "fuzz",
					"dsseEnvelope", "payload", b64, "payloadType", type,
					"signatures", "sig", sig)
			    : NULL;
	if (b != NULL)
		out = json_dumps(b, JSON_COMPACT);
	json_decref(b);
done:
	free(type);
	free(pae);
	free(sig);
	free(b64);
	return out;
}

static void fuzz_pem(const uint8_t *data, size_t size)
{
	char why[512] = "";
	struct cosign_keys *k = cosign_keys_new();
	if (k == NULL)
		return;
	if (cosign_keys_add_pem(k, "fuzz.pem", (const char *)data, size, why, sizeof(why)) < 0) {
		if (strncmp(why, "fuzz.pem: ", 10) != 0 || why[10] == '\0')
			fuzz_fail("PEM refused without a reason: \"%s\"", why);
		if (cosign_keys_count(k) != 0)
			fuzz_fail("PEM refused, yet %zu keys added", cosign_keys_count(k));
	} else {
		if (cosign_keys_count(k) == 0)
			fuzz_fail("PEM accepted without a key");
		for (size_t i = 0; i < cosign_keys_count(k); i++)
			if (strspn(cosign_keys_fingerprint(k, i), "0123456789abcdef") !=
			    COSIGN_FINGERPRINT_LEN)
				fuzz_fail("fingerprint \"%s\"", cosign_keys_fingerprint(k, i));
	}
	cosign_keys_free(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	unsigned mode = data[0] % 4;
	bool any = (data[0] & 4) != 0;
	const uint8_t *rest = data + 1;
	size_t n = size - 1;
	struct cosign_options o = {
		.any_identity = any, .also_repos = fuzz_mirrors, .n_also_repos = 2};
	struct cosign_result r;

	if (data[0] & 8)
		fuzz_pem(rest, n);
	if (mode == 0) {
		const uint8_t *nl = memchr(rest, '\n', n);
		size_t slen = nl != NULL ? (size_t)(nl - rest) : n;
		char *sig = fuzz_strndup(rest, slen);
		const uint8_t *blob = nl != NULL ? nl + 1 : rest + n;
		cosign_verify_simplesigning(keys, blob, n - (size_t)(blob - rest), sig, FUZZ_DIGEST,
					    "ghcr.io/acme/app", &o, &r);
		check(&r, false, "simple signing");
		free(sig);
	} else if (mode == 1) {
		char *sig = sign_b64(ec_key, rest, n);
		if (sig == NULL)
			fuzz_fail("cannot sign");
		cosign_verify_simplesigning(keys, rest, n, sig, FUZZ_DIGEST, "ghcr.io/acme/app", &o,
					    &r);
		check(&r, true, "signed simple signing");
		free(sig);
	} else if (mode == 2) {
		fuzz_bundle((const char *)rest, n, false, any);
	} else {
		char *b = wrap_signed(rest, n);
		if (b != NULL)
			fuzz_bundle(b, strlen(b), true, any);
		free(b);
	}
	return 0;
}
