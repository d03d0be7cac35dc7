/*
 * cosign.c: see cosign.h. Key loading, then the two verifiers; every
 * verdict goes through cosign_set, so a result always has a reason.
 *
 * Order matters in both verifiers: the arguments and size caps first
 * (cheap, and a refusal then costs no crypto), the signature next, and
 * only then the content. Nothing a payload says reaches a reason unless
 * a configured key signed it, and what does is quoted shortened, with
 * control characters replaced (reasons end up in admission responses).
 */
#include "cosign.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "arena.h"
#include "readall.h"
#include "../policies/image.h"

/* NIST SP 800-131A: fewer bits are no longer a safe signature key */
#define COSIGN_RSA_MIN_BITS 2048
/* each signature costs one verification per configured key; signers make one */
#define COSIGN_DSSE_SIGS_MAX 16
/* characters of a signed value quoted in a reason */
#define COSIGN_SHOWN 100

enum cosign_alg { COSIGN_ALG_ECDSA, COSIGN_ALG_RSA, COSIGN_ALG_RSA_PSS, COSIGN_ALG_ED25519 };

struct cosign_key {
	EVP_PKEY *pkey;
	enum cosign_alg alg;
	const char *md; /* ECDSA: the curve's own digest */
	char fingerprint[COSIGN_FINGERPRINT_LEN + 1];
	char *name;
};

struct cosign_keys {
	struct cosign_key *v;
	size_t n, cap;
	char set_fingerprint[COSIGN_FINGERPRINT_LEN + 1];
};

/*
 * The curves sigstore signs with. cosign 2.x hashes with SHA-256 whatever
 * the curve (it loads keys with crypto.SHA256); sigstore-go, under cosign
 * 3.x, with the curve's own digest. Both are tried, the curve's first.
 */
static const struct {
	const char *group;
	const char *label;
	const char *md;
} cosign_curves[] = {
	{"prime256v1", "P-256", "SHA256"},
	{"secp384r1", "P-384", "SHA384"},
	{"secp521r1", "P-521", "SHA512"},
};

/* PEM blocks that are not public keys, each with what to configure instead. */
static const struct {
	const char *pem;
	const char *why;
} cosign_pem_refused[] = {
	{"ENCRYPTED SIGSTORE PRIVATE KEY",
	 "is a cosign private key (cosign.key); configure its public key, cosign.pub (cosign public-key --key FILE)"},
	{"ENCRYPTED COSIGN PRIVATE KEY",
	 "is a cosign private key (cosign.key); configure its public key, cosign.pub (cosign public-key --key FILE)"},
	{"CERTIFICATE",
	 "holds a certificate; key-based verification needs the public key alone (openssl x509 -pubkey -noout -in FILE)"},
	{"RSA PUBLIC KEY",
	 "holds a PKCS#1 RSA PUBLIC KEY; convert it to a PUBLIC KEY block (openssl rsa -RSAPublicKey_in -pubout -in FILE)"},
};

/* The Sigstore bundle media types; every version's DSSE envelope is read the same way. */
static const char *const cosign_bundle_types[] = {
	"application/vnd.dev.sigstore.bundle.v0.3+json",
	"application/vnd.dev.sigstore.bundle+json;version=0.3",
	"application/vnd.dev.sigstore.bundle+json;version=0.2",
	"application/vnd.dev.sigstore.bundle+json;version=0.1",
};

/* in-toto statement types: cosign 2.x attestations still write v0.1 */
static const char *const cosign_statement_types[] = {
	"https://in-toto.io/Statement/v1",
	"https://in-toto.io/Statement/v0.1",
};

static const char *const cosign_verdict_names[COSIGN_NVERDICTS] = {
	"valid", "bad-signature", "wrong-digest", "wrong-identity", "wrong-type", "malformed",
};

#define COSIGN_COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *cosign_verdict_name(enum cosign_verdict v)
{
	return (unsigned)v < COSIGN_NVERDICTS ? cosign_verdict_names[v] : "unknown";
}

static bool cosign_in(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static void cosign_hex(const unsigned char *d, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[2 * n] = '\0';
}

/* sha256 of len bytes as hex into out (COSIGN_FINGERPRINT_LEN + 1). */
static int cosign_sha256_hex(const void *data, size_t len, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	size_t mdlen = 0;
	if (EVP_Q_digest(NULL, "SHA256", NULL, data, len, md, &mdlen) != 1 || mdlen != 32)
		return -1;
	cosign_hex(md, mdlen, out);
	return 0;
}

/* s shortened and with control characters and quotes replaced, for a reason. */
static const char *cosign_shown(const char *s, char *buf, size_t buflen)
{
	size_t i = 0, n = strlen(s);
	for (; i < n && i < COSIGN_SHOWN && i + 4 < buflen; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[i] = c < 0x20 || c == 0x7f || c == '"' || c == '\\' ? '?' : (char)c;
	}
	if (i < n && i + 4 <= buflen) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

/* "\"value\"" shortened as cosign_shown does, or "missing" for NULL. */
static const char *cosign_quote(const char *s, char *buf, size_t buflen)
{
	char shown[COSIGN_SHOWN + 4];
	if (s == NULL)
		return "missing";
	snprintf(buf, buflen, "\"%s\"", cosign_shown(s, shown, sizeof(shown)));
	return buf;
}

__attribute__((format(printf, 3, 4))) static enum cosign_verdict
cosign_set(struct cosign_result *res, enum cosign_verdict v, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
	res->verdict = v;
	return v;
}

/* ---- keys ---- */

static char *cosign_strdupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *cosign_strdupf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *s = malloc((size_t)n + 1);
	if (s == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static void cosign_key_clear(struct cosign_key *k)
{
	EVP_PKEY_free(k->pkey);
	free(k->name);
	memset(k, 0, sizeof(*k));
}

/* Sets k->alg and k->md for a supported key; else why it is not. */
static int cosign_key_vet(struct cosign_key *k, char *why, size_t whylen)
{
	EVP_PKEY *p = k->pkey;
	if (EVP_PKEY_is_a(p, "EC")) {
		char group[80];
		size_t glen = 0;
		if (EVP_PKEY_get_group_name(p, group, sizeof(group), &glen) != 1) {
			snprintf(
				why, whylen,
				"is an ECDSA key with explicit curve parameters; only the named curves P-256, P-384 and P-521 are supported");
			return -1;
		}
		for (size_t i = 0; i < COSIGN_COUNT(cosign_curves); i++) {
			if (strcmp(group, cosign_curves[i].group) == 0) {
				k->alg = COSIGN_ALG_ECDSA;
				k->md = cosign_curves[i].md;
				return 0;
			}
		}
		snprintf(
			why, whylen,
			"is an ECDSA key on the curve %s; cosign keys are on P-256, P-384 or P-521",
			group);
		return -1;
	}
	bool pss = EVP_PKEY_is_a(p, "RSA-PSS");
	if (pss || EVP_PKEY_is_a(p, "RSA")) {
		int bits = EVP_PKEY_get_bits(p);
		if (bits < COSIGN_RSA_MIN_BITS) {
			snprintf(why, whylen, "is a %d-bit RSA key; at least %d bits are required",
				 bits, COSIGN_RSA_MIN_BITS);
			return -1;
		}
		k->alg = pss ? COSIGN_ALG_RSA_PSS : COSIGN_ALG_RSA;
		return 0;
	}
	if (EVP_PKEY_is_a(p, "ED25519")) {
		k->alg = COSIGN_ALG_ED25519;
		return 0;
	}
	const char *type = EVP_PKEY_get0_type_name(p);
	snprintf(why, whylen,
		 "is a key of type %s; supported are ECDSA (P-256, P-384, P-521), RSA and Ed25519",
		 type != NULL ? type : "unknown");
	return -1;
}

/* Whether a PEM block named name is refused, and why, into detail. */
static bool cosign_pem_refused_why(const char *name, char *detail, size_t len)
{
	if (strcmp(name, "PUBLIC KEY") == 0)
		return false;
	for (size_t i = 0; i < COSIGN_COUNT(cosign_pem_refused); i++) {
		if (strcmp(name, cosign_pem_refused[i].pem) == 0) {
			snprintf(detail, len, "%s", cosign_pem_refused[i].why);
			return true;
		}
	}
	size_t n = strlen(name);
	if (n >= 11 && strcmp(name + n - 11, "PRIVATE KEY") == 0)
		snprintf(
			detail, len,
			"holds a private key (%.40s); configure only its public key (openssl pkey -pubout -in FILE)",
			name);
	else
		snprintf(detail, len, "holds a PEM block \"%.60s\", not a PUBLIC KEY", name);
	return true;
}

static bool cosign_keys_has(const struct cosign_key *v, size_t n, const char *fingerprint)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].fingerprint, fingerprint) == 0)
			return true;
	return false;
}

static int cosign_fp_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cosign_keys_refresh(struct cosign_keys *keys)
{
	const char **fps = malloc((keys->n + 1) * sizeof(*fps));
	char *all = malloc(keys->n * (COSIGN_FINGERPRINT_LEN + 1) + 1);
	int rc = -1;
	if (fps == NULL || all == NULL)
		goto fail;
	for (size_t i = 0; i < keys->n; i++)
		fps[i] = keys->v[i].fingerprint;
	qsort(fps, keys->n, sizeof(*fps), cosign_fp_cmp);
	size_t len = 0;
	for (size_t i = 0; i < keys->n; i++) {
		memcpy(all + len, fps[i], COSIGN_FINGERPRINT_LEN);
		len += COSIGN_FINGERPRINT_LEN;
		all[len++] = '\n';
	}
	rc = cosign_sha256_hex(all, len, keys->set_fingerprint);
fail:
	free(fps);
	free(all);
	return rc;
}

struct cosign_keys *cosign_keys_new(void)
{
	struct cosign_keys *keys = calloc(1, sizeof(*keys));
	if (keys != NULL && cosign_keys_refresh(keys) < 0) {
		free(keys);
		return NULL;
	}
	return keys;
}

void cosign_keys_free(struct cosign_keys *keys)
{
	if (keys == NULL)
		return;
	for (size_t i = 0; i < keys->n; i++)
		cosign_key_clear(&keys->v[i]);
	free(keys->v);
	free(keys);
}

/* One PEM block's DER into k (pkey, alg, fingerprint); -1 with why. */
static int cosign_key_from_der(struct cosign_key *k, const unsigned char *der, long len, char *why,
			       size_t whylen)
{
	const unsigned char *p = der;
	k->pkey = d2i_PUBKEY(NULL, &p, len);
	if (k->pkey == NULL) {
		snprintf(why, whylen, "its PUBLIC KEY block is not a valid SubjectPublicKeyInfo");
		return -1;
	}
	if (p != der + len) {
		snprintf(why, whylen, "its PUBLIC KEY block has bytes after the key");
		return -1;
	}
	if (cosign_key_vet(k, why, whylen) < 0)
		return -1;
	unsigned char *spki = NULL;
	int n = i2d_PUBKEY(k->pkey, &spki);
	int rc = n > 0 ? cosign_sha256_hex(spki, (size_t)n, k->fingerprint) : -1;
	OPENSSL_free(spki);
	if (rc < 0)
		snprintf(why, whylen, "its fingerprint cannot be computed");
	return rc;
}

int cosign_keys_add_pem(struct cosign_keys *keys, const char *name, const char *pem, size_t len,
			char *why, size_t whylen)
{
	struct cosign_key *fresh = NULL;
	size_t nfresh = 0, blocks = 0;
	char detail[256] = "";
	BIO *bio = NULL;
	bool marked = false;
	char *bname = NULL, *header = NULL;
	unsigned char *data = NULL;
	long dlen = 0;
	if (name == NULL)
		name = "key";
	if (keys == NULL || (pem == NULL && len > 0)) {
		snprintf(detail, sizeof(detail), "no key set or no text");
		goto fail;
	}
	if (len > COSIGN_KEY_FILE_MAX) {
		snprintf(detail, sizeof(detail), "is larger than %u KiB: not a public key file",
			 COSIGN_KEY_FILE_MAX >> 10);
		goto fail;
	}
	/* PEM_read_bio reports the end of the text as an error: ours to drop */
	marked = ERR_set_mark() == 1;
	bio = BIO_new_mem_buf(len > 0 ? pem : "", (int)len);
	if (bio == NULL) {
		snprintf(detail, sizeof(detail), "out of memory");
		goto fail;
	}
	for (;;) {
		if (PEM_read_bio(bio, &bname, &header, &data, &dlen) != 1) {
			unsigned long e = ERR_peek_last_error();
			bool end = ERR_GET_LIB(e) == ERR_LIB_PEM &&
				   ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
			if (end && blocks > 0)
				break;
			if (end)
				snprintf(
					detail, sizeof(detail),
					"holds no PEM block (expected -----BEGIN PUBLIC KEY-----)");
			else
				snprintf(detail, sizeof(detail), "PEM block %zu is damaged (%s)",
					 blocks + 1,
					 ERR_reason_error_string(e) != NULL
						 ? ERR_reason_error_string(e)
						 : "unreadable");
			goto fail;
		}
		blocks++;
		if (cosign_pem_refused_why(bname, detail, sizeof(detail)))
			goto fail;
		struct cosign_key *grown = realloc(fresh, (nfresh + 1) * sizeof(*fresh));
		if (grown == NULL) {
			snprintf(detail, sizeof(detail), "out of memory");
			goto fail;
		}
		fresh = grown;
		struct cosign_key *k = &fresh[nfresh++];
		memset(k, 0, sizeof(*k));
		char kwhy[200];
		if (cosign_key_from_der(k, data, dlen, kwhy, sizeof(kwhy)) < 0) {
			if (blocks > 1)
				snprintf(detail, sizeof(detail), "key %zu: %s", blocks, kwhy);
			else
				snprintf(detail, sizeof(detail), "%s", kwhy);
			goto fail;
		}
		k->name = blocks > 1 ? cosign_strdupf("%s (key %zu)", name, blocks)
				     : cosign_strdupf("%s", name);
		if (k->name == NULL) {
			snprintf(detail, sizeof(detail), "out of memory");
			goto fail;
		}
		/* the same key twice (a file listed twice, a key in two files) is one key */
		if (cosign_keys_has(keys->v, keys->n, k->fingerprint) ||
		    cosign_keys_has(fresh, nfresh - 1, k->fingerprint))
			cosign_key_clear(&fresh[--nfresh]);
		OPENSSL_free(bname);
		OPENSSL_free(header);
		OPENSSL_free(data);
		bname = header = NULL;
		data = NULL;
	}
	if (keys->n + nfresh > keys->cap) {
		size_t cap = keys->n + nfresh + 4;
		struct cosign_key *v = realloc(keys->v, cap * sizeof(*v));
		if (v == NULL) {
			snprintf(detail, sizeof(detail), "out of memory");
			goto fail;
		}
		keys->v = v;
		keys->cap = cap;
	}
	if (nfresh > 0)
		memcpy(keys->v + keys->n, fresh, nfresh * sizeof(*fresh));
	keys->n += nfresh;
	free(fresh);
	BIO_free(bio);
	if (marked)
		ERR_pop_to_mark();
	if (cosign_keys_refresh(keys) < 0) {
		/* the set stays as it was, fingerprint and all */
		while (nfresh-- > 0)
			cosign_key_clear(&keys->v[--keys->n]);
		snprintf(why, whylen, "%s: out of memory", name);
		return -1;
	}
	return 0;
fail:
	for (size_t i = 0; i < nfresh; i++)
		cosign_key_clear(&fresh[i]);
	free(fresh);
	OPENSSL_free(bname);
	OPENSSL_free(header);
	OPENSSL_free(data);
	if (marked)
		ERR_pop_to_mark();
	BIO_free(bio);
	snprintf(why, whylen, "%s: %s", name, detail);
	return -1;
}

int cosign_keys_add_file(struct cosign_keys *keys, const char *path, char *why, size_t whylen)
{
	char *buf = NULL, rwhy[200];
	size_t len = 0;
	if (readall_file(path, COSIGN_KEY_FILE_MAX, &buf, &len, rwhy, sizeof(rwhy)) < 0) {
		snprintf(why, whylen, "%s: %s", path, rwhy);
		return -1;
	}
	int rc = cosign_keys_add_pem(keys, path, buf, len, why, whylen);
	free(buf);
	return rc;
}

struct cosign_keys *cosign_keys_load_files(const char *const *paths, size_t n, char *why,
					   size_t whylen)
{
	if (n == 0) {
		snprintf(why, whylen, "no public key files given");
		return NULL;
	}
	struct cosign_keys *keys = cosign_keys_new();
	if (keys == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (cosign_keys_add_file(keys, paths[i], why, whylen) < 0) {
			cosign_keys_free(keys);
			return NULL;
		}
	}
	return keys;
}

size_t cosign_keys_count(const struct cosign_keys *keys)
{
	return keys != NULL ? keys->n : 0;
}

const char *cosign_keys_fingerprint(const struct cosign_keys *keys, size_t i)
{
	return keys != NULL && i < keys->n ? keys->v[i].fingerprint : NULL;
}

const char *cosign_keys_name(const struct cosign_keys *keys, size_t i)
{
	return keys != NULL && i < keys->n ? keys->v[i].name : NULL;
}

const char *cosign_keys_set_fingerprint(const struct cosign_keys *keys)
{
	return keys != NULL ? keys->set_fingerprint : NULL;
}

/* ---- signatures ---- */

/* One verification: md NULL for Ed25519, padding 0 for everything but RSA. */
static bool cosign_try(EVP_PKEY *pkey, const char *md, int padding, const unsigned char *msg,
		       size_t len, const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	bool ok = false;
	if (ctx == NULL)
		return false;
	if (EVP_DigestVerifyInit_ex(ctx, &pctx, md, NULL, NULL, pkey, NULL) != 1)
		goto fail;
	if (padding != 0 && EVP_PKEY_CTX_set_rsa_padding(pctx, padding) <= 0)
		goto fail;
	/* Go's rsa.SignPSS picks the longest salt; AUTO reads whatever was used */
	if (padding == RSA_PKCS1_PSS_PADDING &&
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) <= 0)
		goto fail;
	ok = EVP_DigestVerify(ctx, sig, siglen, msg, len) == 1;
fail:
	EVP_MD_CTX_free(ctx);
	return ok;
}

static bool cosign_key_verifies(const struct cosign_key *k, const unsigned char *msg, size_t len,
				const unsigned char *sig, size_t siglen)
{
	switch (k->alg) {
	case COSIGN_ALG_ED25519:
		return cosign_try(k->pkey, NULL, 0, msg, len, sig, siglen);
	case COSIGN_ALG_ECDSA:
		return cosign_try(k->pkey, k->md, 0, msg, len, sig, siglen) ||
		       (strcmp(k->md, "SHA256") != 0 &&
			cosign_try(k->pkey, "SHA256", 0, msg, len, sig, siglen));
	case COSIGN_ALG_RSA:
		/* sigstore's RSA keys sign PKCS#1 v1.5 by default, PSS on request */
		return cosign_try(k->pkey, "SHA256", RSA_PKCS1_PADDING, msg, len, sig, siglen) ||
		       cosign_try(k->pkey, "SHA256", RSA_PKCS1_PSS_PADDING, msg, len, sig, siglen);
	case COSIGN_ALG_RSA_PSS:
		return cosign_try(k->pkey, "SHA256", RSA_PKCS1_PSS_PADDING, msg, len, sig, siglen);
	}
	return false;
}

/* The first configured key that verifies sig over msg; NULL when none does. */
static const struct cosign_key *cosign_verified_by(const struct cosign_keys *keys,
						   const unsigned char *msg, size_t len,
						   const unsigned char *sig, size_t siglen)
{
	const struct cosign_key *found = NULL;
	/* a failed verification leaves errors on this thread's queue; they are ours to drop */
	ERR_set_mark();
	for (size_t i = 0; found == NULL && i < keys->n; i++)
		if (cosign_key_verifies(&keys->v[i], msg, len, sig, siglen))
			found = &keys->v[i];
	ERR_pop_to_mark();
	return found;
}

static bool cosign_b64_value(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/*
 * Base64 (standard or URL-safe, padded or not: DSSE allows either; line
 * breaks skipped, as Go's decoder does: cosign wraps some signatures) to
 * malloc'd bytes, by OpenSSL's decoder. The alphabet is checked first
 * because EVP_DecodeBlock skips some characters and stops at others
 * rather than refusing them. NULL when in is not base64.
 */
static unsigned char *cosign_b64(const char *in, size_t inlen, size_t *outlen)
{
	char *norm = malloc(inlen + 4);
	unsigned char *out = NULL;
	size_t n = 0;
	if (norm == NULL)
		return NULL;
	for (size_t i = 0; i < inlen; i++)
		if (in[i] != '\r' && in[i] != '\n')
			norm[n++] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
	while (n > 0 && norm[n - 1] == '=' && n % 4 != 1)
		n--;
	if (n % 4 == 1)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (!cosign_b64_value((unsigned char)norm[i]))
			goto fail;
	size_t pad = (4 - n % 4) % 4;
	memset(norm + n, '=', pad);
	out = malloc((n + pad) / 4 * 3 + 1);
	if (out == NULL)
		goto fail;
	int got =
		n + pad > 0 ? EVP_DecodeBlock(out, (const unsigned char *)norm, (int)(n + pad)) : 0;
	if (got < 0 || (size_t)got < pad)
		goto fail;
	free(norm);
	*outlen = (size_t)got - pad; /* EVP_DecodeBlock counts the padding as zero bytes */
	return out;
fail:
	free(norm);
	free(out);
	return NULL;
}

static enum cosign_verdict cosign_unverified(struct cosign_result *res,
					     const struct cosign_keys *keys, const char *what)
{
	char names[200] = "";
	size_t len = 0;
	for (size_t i = 0; i < keys->n && len < sizeof(names); i++) {
		int n = snprintf(names + len, sizeof(names) - len, "%s%s", i > 0 ? ", " : "",
				 keys->v[i].name);
		if (n < 0)
			break;
		len += (size_t)n;
	}
	return cosign_set(
		res, COSIGN_BAD_SIGNATURE,
		"no configured key verifies the %s (tried %s): it was made with another key, or the signed bytes were changed",
		what, names);
}

/* ---- arguments and identity ---- */

struct cosign_args {
	struct arena arena;
	const struct cosign_keys *keys;
	const char *digest; /* "sha256:<hex>" */
	bool any;
	struct image_ref want;
	struct image_ref *also;
	size_t nalso;
};

static bool cosign_digest_ok(const char *d)
{
	if (strncmp(d, "sha256:", 7) != 0)
		return false;
	size_t i = 7;
	for (; (d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'f'); i++)
		;
	return i == 7 + 64 && d[i] == '\0';
}

static enum cosign_verdict cosign_args_read(struct cosign_args *a, const struct cosign_keys *keys,
					    const char *digest, const char *repo,
					    const struct cosign_options *o,
					    struct cosign_result *res)
{
	char shown[COSIGN_SHOWN + 4];
	a->keys = keys;
	a->digest = digest;
	a->any = o != NULL && o->any_identity;
	if (keys == NULL || keys->n == 0)
		return cosign_set(res, COSIGN_BAD_SIGNATURE,
				  "no public keys are configured: no signature can be verified");
	if (digest == NULL)
		return cosign_set(
			res, COSIGN_WRONG_DIGEST,
			"the image's manifest digest is unknown: there is nothing to compare the signed digest with");
	if (!cosign_digest_ok(digest))
		return cosign_set(res, COSIGN_MALFORMED,
				  "the image digest \"%s\" is not sha256:<64 lowercase hex digits>",
				  cosign_shown(digest, shown, sizeof(shown)));
	if (a->any)
		return COSIGN_VALID;
	if (repo == NULL)
		return cosign_set(
			res, COSIGN_MALFORMED,
			"no expected repository is given (name one, or accept any identity)");
	if (image_parse(&a->arena, repo, &a->want) < 0)
		return cosign_set(res, COSIGN_MALFORMED,
				  "the expected repository \"%s\" is not an image name",
				  cosign_shown(repo, shown, sizeof(shown)));
	size_t n = o != NULL && o->also_repos != NULL ? o->n_also_repos : 0;
	a->also = n > 0 ? arena_alloc(&a->arena, n * sizeof(*a->also)) : NULL;
	if (n > 0 && a->also == NULL)
		return cosign_set(res, COSIGN_MALFORMED, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *r = o->also_repos[i];
		if (r == NULL || image_parse(&a->arena, r, &a->also[i]) < 0)
			return cosign_set(
				res, COSIGN_MALFORMED,
				"the accepted signing repository \"%s\" is not an image name",
				r != NULL ? cosign_shown(r, shown, sizeof(shown)) : "");
	}
	a->nalso = n;
	return COSIGN_VALID;
}

static bool cosign_same_repo(const struct image_ref *x, const struct image_ref *y)
{
	return strcmp(x->host, y->host) == 0 && strcmp(x->path, y->path) == 0;
}

/* Whether the signed name (a docker-reference, a subject name) names an accepted repository. */
static bool cosign_repo_accepted(struct cosign_args *a, const char *named)
{
	struct image_ref r;
	if (a->any)
		return true;
	if (named == NULL || image_parse(&a->arena, named, &r) < 0)
		return false;
	if (cosign_same_repo(&r, &a->want))
		return true;
	for (size_t i = 0; i < a->nalso; i++)
		if (cosign_same_repo(&r, &a->also[i]))
			return true;
	return false;
}

static enum cosign_verdict cosign_wrong_identity(struct cosign_args *a, struct cosign_result *res,
						 const char *what, const char *named)
{
	char shown[COSIGN_SHOWN + 4];
	if (named == NULL)
		return cosign_set(res, COSIGN_WRONG_IDENTITY,
				  "the %s names no repository; expected %s/%s", what, a->want.host,
				  a->want.path);
	return cosign_set(
		res, COSIGN_WRONG_IDENTITY,
		"the %s names \"%s\", not the repository %s/%s; if the image was copied from there, accept that repository as a signing identity",
		what, cosign_shown(named, shown, sizeof(shown)), a->want.host, a->want.path);
}

static enum cosign_verdict cosign_valid(struct cosign_result *res, const struct cosign_key *k,
					const char *what)
{
	return cosign_set(res, COSIGN_VALID, "%s by key %s (%.200s)", what, k->fingerprint,
			  k->name);
}

/* ---- cosign 2.x: simple signing ---- */

enum cosign_verdict cosign_verify_simplesigning(const struct cosign_keys *keys, const void *blob,
						size_t bloblen, const char *sig_b64,
						const char *expected_digest,
						const char *expected_repo,
						const struct cosign_options *options,
						struct cosign_result *res)
{
	struct cosign_args a = {0};
	unsigned char *sig = NULL;
	size_t siglen = 0;
	json_t *doc = NULL;
	char shown[COSIGN_SHOWN + 8];
	memset(res, 0, sizeof(*res));
	arena_init(&a.arena);
	if (cosign_args_read(&a, keys, expected_digest, expected_repo, options, res) !=
	    COSIGN_VALID)
		goto done;
	if (bloblen > COSIGN_PAYLOAD_MAX) {
		cosign_set(
			res, COSIGN_MALFORMED,
			"the signed payload is %zu bytes, more than the %u MiB a simple-signing payload may have",
			bloblen, COSIGN_PAYLOAD_MAX >> 20);
		goto done;
	}
	if (blob == NULL && bloblen > 0) {
		cosign_set(res, COSIGN_MALFORMED, "no payload bytes were given");
		goto done;
	}
	if (blob == NULL)
		blob = "";
	if (sig_b64 == NULL || sig_b64[0] == '\0') {
		cosign_set(
			res, COSIGN_MALFORMED,
			"the layer has no signature (annotation dev.cosignproject.cosign/signature)");
		goto done;
	}
	size_t b64len = strnlen(sig_b64, COSIGN_SIGNATURE_MAX + 1);
	if (b64len > COSIGN_SIGNATURE_MAX) {
		cosign_set(res, COSIGN_MALFORMED, "the signature is longer than %d characters",
			   COSIGN_SIGNATURE_MAX);
		goto done;
	}
	sig = cosign_b64(sig_b64, b64len, &siglen);
	if (sig == NULL || siglen == 0) {
		cosign_set(res, COSIGN_MALFORMED, "the signature annotation is not base64");
		goto done;
	}
	const struct cosign_key *k = cosign_verified_by(keys, blob, bloblen, sig, siglen);
	if (k == NULL) {
		cosign_unverified(res, keys, "signature");
		goto done;
	}
	memcpy(res->key, k->fingerprint, sizeof(res->key));

	json_error_t jerr;
	doc = json_loadb(blob, bloblen, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(doc)) {
		cosign_set(
			res, COSIGN_MALFORMED,
			"the signed payload is not a JSON object (%s), so not a simple-signing document",
			doc != NULL ? "another JSON value"
				    : cosign_shown(jerr.text, shown, sizeof(shown)));
		goto done;
	}
	const json_t *critical = json_object_get(doc, "critical");
	const char *type = json_string_value(json_object_get(critical, "type"));
	if (type == NULL || strcmp(type, COSIGN_SIMPLESIGNING_TYPE) != 0) {
		cosign_set(
			res, COSIGN_WRONG_TYPE,
			"the signed payload's critical.type is %s, not \"" COSIGN_SIMPLESIGNING_TYPE
			"\": it is not an image signature",
			cosign_quote(type, shown, sizeof(shown)));
		goto done;
	}
	const char *digest = json_string_value(
		json_object_get(json_object_get(critical, "image"), "docker-manifest-digest"));
	if (digest == NULL) {
		cosign_set(res, COSIGN_MALFORMED,
			   "the signed payload has no critical.image.docker-manifest-digest");
		goto done;
	}
	if (strcmp(digest, expected_digest) != 0) {
		cosign_set(
			res, COSIGN_WRONG_DIGEST,
			"the signature is for the manifest %s, not this image's %s: the image changed after signing, or the signature belongs to another image",
			cosign_shown(digest, shown, sizeof(shown)), expected_digest);
		goto done;
	}
	const char *named = json_string_value(
		json_object_get(json_object_get(critical, "identity"), "docker-reference"));
	if (!cosign_repo_accepted(&a, named)) {
		cosign_wrong_identity(&a, res, "signature", named);
		goto done;
	}
	cosign_valid(res, k, "signed");
done:
	json_decref(doc);
	free(sig);
	arena_free(&a.arena);
	return res->verdict;
}

/* ---- cosign 3.x: Sigstore bundle, DSSE, in-toto ---- */

/* DSSEv1 pre-authentication encoding: what a DSSE signature is over. */
static unsigned char *cosign_pae(const char *type, const unsigned char *body, size_t bodylen,
				 size_t *len)
{
	size_t tlen = strlen(type);
	int head = snprintf(NULL, 0, "DSSEv1 %zu %s %zu ", tlen, type, bodylen);
	if (head < 0)
		return NULL;
	unsigned char *pae = malloc((size_t)head + 1 + bodylen);
	if (pae == NULL)
		return NULL;
	snprintf((char *)pae, (size_t)head + 1, "DSSEv1 %zu %s %zu ", tlen, type, bodylen);
	if (bodylen > 0)
		memcpy(pae + head, body, bodylen);
	*len = (size_t)head + bodylen;
	return pae;
}

/* Which configured key signed the envelope; MALFORMED (res set) on a damaged envelope. */
static enum cosign_verdict cosign_dsse_verify(const struct cosign_keys *keys,
					      const json_t *signatures, const unsigned char *pae,
					      size_t paelen, const struct cosign_key **by,
					      struct cosign_result *res)
{
	size_t n = json_array_size(signatures);
	*by = NULL;
	if (n == 0)
		return cosign_set(res, COSIGN_MALFORMED, "the DSSE envelope has no signatures");
	if (n > COSIGN_DSSE_SIGS_MAX)
		return cosign_set(res, COSIGN_MALFORMED,
				  "the DSSE envelope has %zu signatures, more than %d", n,
				  COSIGN_DSSE_SIGS_MAX);
	for (size_t i = 0; i < n && *by == NULL; i++) {
		/* keyid is a hint anyone can write: every configured key is tried */
		const char *b64 =
			json_string_value(json_object_get(json_array_get(signatures, i), "sig"));
		size_t siglen = 0;
		unsigned char *sig = b64 != NULL && strlen(b64) <= COSIGN_SIGNATURE_MAX
					     ? cosign_b64(b64, strlen(b64), &siglen)
					     : NULL;
		if (sig == NULL || siglen == 0) {
			free(sig);
			return cosign_set(
				res, COSIGN_MALFORMED,
				"signature %zu of the DSSE envelope has no base64 \"sig\" (of at most %d characters)",
				i + 1, COSIGN_SIGNATURE_MAX);
		}
		*by = cosign_verified_by(keys, pae, paelen, sig, siglen);
		free(sig);
	}
	return COSIGN_VALID;
}

/* The statement's checks once its signature verified (steps 4 to 6 in cosign.h). */
static enum cosign_verdict cosign_statement(struct cosign_args *a, const char *ptype,
					    const unsigned char *payload, size_t plen,
					    const struct cosign_options *o,
					    const struct cosign_key *k, struct cosign_result *res)
{
	char shown[COSIGN_SHOWN + 8];
	json_error_t jerr;
	enum cosign_verdict v;
	if (strcmp(ptype, COSIGN_INTOTO_PAYLOAD) != 0)
		return cosign_set(res, COSIGN_WRONG_TYPE,
				  "the DSSE payloadType is \"%s\", not " COSIGN_INTOTO_PAYLOAD
				  ": not an in-toto statement",
				  cosign_shown(ptype, shown, sizeof(shown)));
	json_t *st = json_loadb((const char *)payload, plen, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(st)) {
		v = cosign_set(res, COSIGN_MALFORMED,
			       "the signed statement is not a JSON object (%s)",
			       st != NULL ? "another JSON value"
					  : cosign_shown(jerr.text, shown, sizeof(shown)));
		goto done;
	}
	const char *stype = json_string_value(json_object_get(st, "_type"));
	if (!cosign_in(stype, cosign_statement_types, COSIGN_COUNT(cosign_statement_types))) {
		v = cosign_set(
			res, COSIGN_WRONG_TYPE,
			"the signed payload's _type is %s, not an in-toto Statement (v1 or v0.1)",
			cosign_quote(stype, shown, sizeof(shown)));
		goto done;
	}
	const char *pt = json_string_value(json_object_get(st, "predicateType"));
	if (pt == NULL || pt[0] == '\0' || strlen(pt) >= sizeof(res->predicate_type)) {
		v = cosign_set(
			res, COSIGN_MALFORMED,
			"the statement has no predicateType (or one of %d characters or more)",
			COSIGN_TYPE_MAX);
		goto done;
	}
	snprintf(res->predicate_type, sizeof(res->predicate_type), "%s", pt);
	if (o != NULL && o->predicate_type != NULL && strcmp(pt, o->predicate_type) != 0) {
		v = cosign_set(
			res, COSIGN_WRONG_TYPE,
			"the statement's predicateType is \"%s\", not the required \"%.100s\"",
			cosign_shown(pt, shown, sizeof(shown)), o->predicate_type);
		goto done;
	}
	const json_t *subjects = json_object_get(st, "subject");
	const char *hex = a->digest + strlen("sha256:"), *first = NULL, *wrong_name = NULL;
	bool digest_seen = false, accepted = false;
	size_t i;
	const json_t *s;
	json_array_foreach(subjects, i, s)
	{
		const char *d =
			json_string_value(json_object_get(json_object_get(s, "digest"), "sha256"));
		if (first == NULL)
			first = d;
		if (d == NULL || strcmp(d, hex) != 0)
			continue;
		digest_seen = true;
		/* a subject without a name binds by digest alone, as cosign's own do for blobs */
		const char *name = json_string_value(json_object_get(s, "name"));
		if (name == NULL || name[0] == '\0' || cosign_repo_accepted(a, name)) {
			accepted = true;
			break;
		}
		if (wrong_name == NULL)
			wrong_name = name;
	}
	if (!digest_seen) {
		v = cosign_set(
			res, COSIGN_WRONG_DIGEST,
			"no subject of the statement has this image's digest %s (%s%s): it is about another image",
			a->digest, first != NULL ? "the first is sha256:" : "it has none",
			first != NULL ? cosign_shown(first, shown, sizeof(shown)) : "");
		goto done;
	}
	if (!accepted) {
		v = cosign_wrong_identity(a, res, "statement's subject", wrong_name);
		goto done;
	}
	if (o != NULL && o->keep_predicate)
		res->predicate = json_incref(json_object_get(st, "predicate"));
	char what[COSIGN_SHOWN + 64];
	snprintf(what, sizeof(what), "statement %s signed", cosign_shown(pt, shown, sizeof(shown)));
	v = cosign_valid(res, k, what);
done:
	json_decref(st);
	return v;
}

/* The largest bundle or envelope accepted under o. */
static size_t cosign_max_bytes(const struct cosign_options *o)
{
	return o != NULL && o->max_bytes > 0 ? o->max_bytes : COSIGN_BUNDLE_MAX;
}

/* n bytes as a person reads a cap: "1 MiB", "640 KiB", "1000 bytes". */
static const char *cosign_size(size_t n, char *buf, size_t len)
{
	if (n >= (1u << 20) && n % (1u << 20) == 0)
		snprintf(buf, len, "%zu MiB", n >> 20);
	else if (n >= 1024 && n % 1024 == 0)
		snprintf(buf, len, "%zu KiB", n >> 10);
	else
		snprintf(buf, len, "%zu bytes", n);
	return buf;
}

/* A DSSE envelope's signature, then its statement (steps 3 to 6 in cosign.h). */
static enum cosign_verdict cosign_envelope(struct cosign_args *a, const json_t *env,
					   const struct cosign_options *options,
					   struct cosign_result *res)
{
	unsigned char *payload = NULL, *pae = NULL;
	size_t plen = 0, paelen = 0;
	const char *b64 = json_string_value(json_object_get(env, "payload"));
	const char *ptype = json_string_value(json_object_get(env, "payloadType"));
	const json_t *sigs = json_object_get(env, "signatures");
	if (b64 == NULL || ptype == NULL || !json_is_array(sigs)) {
		cosign_set(res, COSIGN_MALFORMED,
			   "the DSSE envelope lacks a payload, payloadType or signatures list");
		goto done;
	}
	payload = cosign_b64(b64, strlen(b64), &plen);
	if (payload == NULL) {
		cosign_set(res, COSIGN_MALFORMED, "the DSSE payload is not base64");
		goto done;
	}
	pae = cosign_pae(ptype, payload, plen, &paelen);
	if (pae == NULL) {
		cosign_set(res, COSIGN_MALFORMED, "out of memory");
		goto done;
	}
	const struct cosign_key *k = NULL;
	if (cosign_dsse_verify(a->keys, sigs, pae, paelen, &k, res) != COSIGN_VALID)
		goto done;
	if (k == NULL) {
		cosign_unverified(res, a->keys, "DSSE envelope");
		goto done;
	}
	memcpy(res->key, k->fingerprint, sizeof(res->key));
	cosign_statement(a, ptype, payload, plen, options, k, res);
done:
	free(payload);
	free(pae);
	return res->verdict;
}

enum cosign_verdict cosign_verify_bundle(const struct cosign_keys *keys, const void *bundle,
					 size_t len, const char *expected_digest,
					 const char *expected_repo,
					 const struct cosign_options *options,
					 struct cosign_result *res)
{
	struct cosign_args a = {0};
	json_t *doc = NULL;
	char shown[COSIGN_SHOWN + 8];
	json_error_t jerr;
	memset(res, 0, sizeof(*res));
	arena_init(&a.arena);
	if (cosign_args_read(&a, keys, expected_digest, expected_repo, options, res) !=
	    COSIGN_VALID)
		goto done;
	if (len > cosign_max_bytes(options)) {
		cosign_set(res, COSIGN_MALFORMED,
			   "the bundle is %zu bytes, more than the %s a bundle may have", len,
			   cosign_size(cosign_max_bytes(options), shown, sizeof(shown)));
		goto done;
	}
	doc = json_loadb(bundle != NULL ? bundle : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(doc)) {
		cosign_set(res, COSIGN_MALFORMED, "the bundle is not a JSON object (%s)",
			   doc != NULL ? "another JSON value"
				       : cosign_shown(jerr.text, shown, sizeof(shown)));
		goto done;
	}
	const char *mt = json_string_value(json_object_get(doc, "mediaType"));
	if (!cosign_in(mt, cosign_bundle_types, COSIGN_COUNT(cosign_bundle_types))) {
		cosign_set(res, COSIGN_MALFORMED,
			   "the bundle's mediaType is %s, not a Sigstore bundle (v0.1 to v0.3)",
			   cosign_quote(mt, shown, sizeof(shown)));
		goto done;
	}
	const json_t *vm = json_object_get(doc, "verificationMaterial");
	if (!json_is_object(json_object_get(vm, "publicKey"))) {
		if (json_object_get(vm, "x509CertificateChain") != NULL ||
		    json_object_get(vm, "certificate") != NULL)
			cosign_set(
				res, COSIGN_BAD_SIGNATURE,
				"the bundle carries a certificate (keyless or PKI signing), not a public key: not signed by a configured key (only key-based signatures are verified)");
		else
			cosign_set(res, COSIGN_MALFORMED,
				   "the bundle's verificationMaterial names no public key");
		goto done;
	}
	const json_t *env = json_object_get(doc, "dsseEnvelope");
	if (!json_is_object(env)) {
		if (json_object_get(doc, "messageSignature") != NULL)
			cosign_set(
				res, COSIGN_WRONG_TYPE,
				"the bundle holds a messageSignature, not a DSSE envelope: only DSSE (in-toto) bundles are verified");
		else
			cosign_set(res, COSIGN_MALFORMED, "the bundle has no dsseEnvelope");
		goto done;
	}
	cosign_envelope(&a, env, options, res);
done:
	json_decref(doc);
	arena_free(&a.arena);
	return res->verdict;
}

enum cosign_verdict cosign_verify_dsse(const struct cosign_keys *keys, const void *envelope,
				       size_t len, const char *expected_digest,
				       const char *expected_repo,
				       const struct cosign_options *options,
				       struct cosign_result *res)
{
	struct cosign_args a = {0};
	json_t *doc = NULL;
	char shown[COSIGN_SHOWN + 8];
	json_error_t jerr;
	memset(res, 0, sizeof(*res));
	arena_init(&a.arena);
	if (cosign_args_read(&a, keys, expected_digest, expected_repo, options, res) !=
	    COSIGN_VALID)
		goto done;
	if (len > cosign_max_bytes(options)) {
		cosign_set(res, COSIGN_MALFORMED,
			   "the DSSE envelope is %zu bytes, more than the %s an envelope may have",
			   len, cosign_size(cosign_max_bytes(options), shown, sizeof(shown)));
		goto done;
	}
	doc = json_loadb(envelope != NULL ? envelope : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(doc)) {
		cosign_set(res, COSIGN_MALFORMED, "the DSSE envelope is not a JSON object (%s)",
			   doc != NULL ? "another JSON value"
				       : cosign_shown(jerr.text, shown, sizeof(shown)));
		goto done;
	}
	cosign_envelope(&a, doc, options, res);
done:
	json_decref(doc);
	arena_free(&a.arena);
	return res->verdict;
}

void cosign_result_release(struct cosign_result *res)
{
	if (res == NULL)
		return;
	json_decref(res->predicate);
	res->predicate = NULL;
}
