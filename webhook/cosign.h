/*
 * cosign: verifies cosign image signatures against configured public keys.
 * Pure functions over bytes that someone else fetched: the registry client
 * brings the signature artifacts, the policy decides what a verdict means;
 * this file only says whether the bytes are a valid signature, by which
 * key, for which digest and repository.
 *
 * Two formats, the two that cosign writes (and cosign 2.x's attestations,
 * bare DSSE envelopes: cosign_verify_dsse()):
 *
 *   cosign 2.x  the `sha256-<hex>.sig` manifest; each layer is a
 *               simple-signing JSON blob (media type
 *               application/vnd.dev.cosign.simplesigning.v1+json) and its
 *               annotation `dev.cosignproject.cosign/signature` is the
 *               base64 signature over the blob's exact bytes.
 *               -> cosign_verify_simplesigning(), once per layer.
 *   cosign 3.x  a Sigstore bundle (application/vnd.dev.sigstore.bundle.v0.3+json,
 *               also ...bundle+json;version=0.1 and 0.2) holding a DSSE
 *               envelope around an in-toto statement; the signature is over
 *               DSSEv1 PAE(payloadType, payload bytes).
 *               -> cosign_verify_bundle(), once per bundle.
 *
 * An image is signed when any one of its signatures is VALID; the caller
 * loops and keeps the first valid result (or the most telling failure).
 *
 * Never, in any function here: a network request (no registry, no Rekor,
 * no Fulcio, no TUF), a certificate chain or keyless identity check, a
 * timestamp or expiry check, trust in a key hint or DSSE keyid (every
 * configured key is tried), re-serialising JSON before verifying (the
 * signature is checked over the bytes as given), looking at the content
 * of a payload before its signature verified, or printing anything.
 *
 * Thread-safety: a key set is read-only once loaded and may be shared by
 * any number of threads verifying at once.
 */
#ifndef ADMITD_COSIGN_H
#define ADMITD_COSIGN_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/* Inputs larger than these are refused (COSIGN_MALFORMED) before any parsing. */
#define COSIGN_PAYLOAD_MAX   (1u << 20) /* a simple-signing blob */
#define COSIGN_BUNDLE_MAX    (1u << 20) /* a Sigstore bundle, whole */
#define COSIGN_SIGNATURE_MAX 8192       /* one base64 signature (RSA 16384 needs 2732) */
#define COSIGN_KEY_FILE_MAX  (64u << 10)

/* sha256 of a key's DER SubjectPublicKeyInfo, lowercase hex. */
#define COSIGN_FINGERPRINT_LEN 64
#define COSIGN_REASON_MAX      512
#define COSIGN_TYPE_MAX        256

/* The simple-signing `critical.type` and the in-toto types a bundle must carry. */
#define COSIGN_SIMPLESIGNING_TYPE "cosign container image signature"
#define COSIGN_INTOTO_PAYLOAD     "application/vnd.in-toto+json"

/* ---- keys ---- */

/*
 * A set of public keys: ECDSA P-256, P-384 or P-521, RSA of 2048 bits or
 * more (PKCS#1 v1.5 or PSS, SHA-256), Ed25519, each from a PEM
 * "PUBLIC KEY" block (SubjectPublicKeyInfo, what `cosign generate-key-pair`
 * writes to cosign.pub). Opaque; immutable once the caller stops adding.
 */
struct cosign_keys;

struct cosign_keys *cosign_keys_new(void);
/*
 * Adds every PUBLIC KEY block of pem (len bytes, NUL not needed); name
 * (a file name, a Secret's key) labels the keys in messages. A key
 * already in the set is not added twice. Returns 0, or -1 and "<name>: why"
 * in why when the text holds no PEM block, a damaged one, anything but
 * public keys (a private key or certificate is refused, with what to
 * configure instead), or an unsupported key; the set is then unchanged.
 */
int cosign_keys_add_pem(struct cosign_keys *keys, const char *name, const char *pem, size_t len,
			char *why, size_t whylen);
/* The same for the file at path (at most COSIGN_KEY_FILE_MAX bytes), named by its path. */
int cosign_keys_add_file(struct cosign_keys *keys, const char *path, char *why, size_t whylen);
/*
 * A new set from n PEM files; NULL with the first failing file and the
 * reason in why ("keys/b.pub: holds a private key; ..."). n == 0 fails.
 */
struct cosign_keys *cosign_keys_load_files(const char *const *paths, size_t n, char *why,
					   size_t whylen);
void cosign_keys_free(struct cosign_keys *keys); /* NULL is fine */

size_t cosign_keys_count(const struct cosign_keys *keys);
/* Key i's fingerprint (COSIGN_FINGERPRINT_LEN hex digits) and label; NULL past the end. */
const char *cosign_keys_fingerprint(const struct cosign_keys *keys, size_t i);
const char *cosign_keys_name(const struct cosign_keys *keys, size_t i);
/*
 * sha256 over the sorted fingerprints of the whole set, hex: a cache key
 * for a negative result ("no configured key verified"), which any added or
 * removed key may change. A positive result depends only on result.key.
 */
const char *cosign_keys_set_fingerprint(const struct cosign_keys *keys);

/* ---- verification ---- */

enum cosign_verdict {
	COSIGN_VALID = 0,
	/* no configured key verifies it: another key, changed bytes, keyless
	 * (certificate) signing, or no keys configured */
	COSIGN_BAD_SIGNATURE,
	/* signed, but for another image digest (or there is none to compare with) */
	COSIGN_WRONG_DIGEST,
	/* signed, for this digest, but naming another repository */
	COSIGN_WRONG_IDENTITY,
	/* signed, but not an image signature, or a statement of another kind than asked */
	COSIGN_WRONG_TYPE,
	/* too large, not the format, or unusable arguments */
	COSIGN_MALFORMED,
};
#define COSIGN_NVERDICTS 6

/* "valid", "bad-signature", "wrong-digest", "wrong-identity", "wrong-type", "malformed". */
const char *cosign_verdict_name(enum cosign_verdict v);

struct cosign_options {
	/*
	 * Identity: by default the signature must name expected_repo (compared
	 * normalized: "nginx", "docker.io/library/nginx" and
	 * "index.docker.io/library/nginx" are one repository; tags and digests
	 * are ignored). A signature copied along with its image to a mirror
	 * still names the upstream repository: list that name here, or accept
	 * any, in which case only the digest binds the signature to the image.
	 */
	bool any_identity;
	const char *const *also_repos; /* exact repository names, not prefixes */
	size_t n_also_repos;
	/* Bundles only. NULL: any predicateType (reported in the result). */
	const char *predicate_type;
	/* Bundles only: on VALID, hand the statement's predicate out (result.predicate). */
	bool keep_predicate;
	/* Bundles and envelopes: the most bytes accepted; 0: COSIGN_BUNDLE_MAX. An
	 * attestation carrying a scanner's report is larger than a signature. */
	size_t max_bytes;
};

struct cosign_result {
	enum cosign_verdict verdict;
	/* Always set, for an operator: why, and what to change ("signed by key ..." when VALID). */
	char reason[COSIGN_REASON_MAX];
	/* The fingerprint of the key that verified the signature; "" when none did. Set also
	 * when a later check failed (the signature was good, its content was not). */
	char key[COSIGN_FINGERPRINT_LEN + 1];
	/* Bundles: the statement's predicateType once the signature verified; "" otherwise. */
	char predicate_type[COSIGN_TYPE_MAX];
	/* Bundles with options.keep_predicate, VALID only: one reference the caller owns
	 * (json_decref, or cosign_result_release). NULL otherwise. */
	json_t *predicate;
};

/* Drops result.predicate, if any. Safe on any result, also twice. */
void cosign_result_release(struct cosign_result *res);

/*
 * A cosign 2.x simple-signing layer: blob (bloblen bytes, the layer as the
 * registry stores it) and sig_b64 (its signature annotation). In order:
 *   1. arguments: expected_digest is "sha256:<64 lowercase hex>" (NULL: no
 *      manifest to compare with, WRONG_DIGEST); sizes within the caps;
 *   2. some configured key verifies sig_b64 over the exact blob bytes;
 *   3. the blob is a JSON object with critical.type ==
 *      COSIGN_SIMPLESIGNING_TYPE (WRONG_TYPE otherwise);
 *   4. critical.image.docker-manifest-digest == expected_digest;
 *   5. critical.identity.docker-reference names expected_repo, or one of
 *      options->also_repos, unless options->any_identity.
 * options may be NULL (strict identity); expected_repo may be NULL only
 * with any_identity. `optional` is never looked at. res is overwritten
 * (release a predicate it held first). Returns res->verdict.
 */
enum cosign_verdict cosign_verify_simplesigning(const struct cosign_keys *keys, const void *blob,
						size_t bloblen, const char *sig_b64,
						const char *expected_digest,
						const char *expected_repo,
						const struct cosign_options *options,
						struct cosign_result *res);

/*
 * A cosign 3.x Sigstore bundle (len bytes). In order:
 *   1. arguments as above; the bundle within COSIGN_BUNDLE_MAX;
 *   2. a JSON object with a known bundle mediaType, verificationMaterial
 *      naming a public key (a certificate chain or certificate alone is
 *      keyless signing: BAD_SIGNATURE, "not signed by a configured key"),
 *      and a dsseEnvelope (a messageSignature is WRONG_TYPE);
 *   3. some configured key verifies one of the envelope's signatures over
 *      PAE(payloadType, the payload's decoded bytes);
 *   4. payloadType == COSIGN_INTOTO_PAYLOAD; the payload is an in-toto
 *      statement (v1 or v0.1) with a predicateType (== options->predicate_type
 *      when set), else WRONG_TYPE;
 *   5. a subject's digest.sha256 equals expected_digest's hex;
 *   6. that subject's name, when present, names expected_repo (or an
 *      also_repos name) unless options->any_identity.
 * Returns res->verdict; with options->keep_predicate a VALID result holds
 * the predicate (release it).
 */
enum cosign_verdict cosign_verify_bundle(const struct cosign_keys *keys, const void *bundle,
					 size_t len, const char *expected_digest,
					 const char *expected_repo,
					 const struct cosign_options *options,
					 struct cosign_result *res);

/*
 * A bare DSSE envelope (len bytes), as cosign 2.x stores an attestation:
 * a layer of media type application/vnd.dsse.envelope.v1+json in the
 * manifest tagged sha256-<hex>.att, {"payloadType", "payload", "signatures"}.
 * The arguments and caps of cosign_verify_bundle, then its steps 3 to 6;
 * there is no verification material to read: every configured key is tried.
 */
enum cosign_verdict cosign_verify_dsse(const struct cosign_keys *keys, const void *envelope,
				       size_t len, const char *expected_digest,
				       const char *expected_repo,
				       const struct cosign_options *options,
				       struct cosign_result *res);

#endif
