/*
 * tls.c: TLS 1.2 and 1.3 only, forward-secret AEAD suites only, no
 * renegotiation. ALPN offers http/1.1 alone unless HTTP/2 is asked for:
 * Debian's h2o 2.2.5 most likely lacks the HTTP/2 Rapid Reset fix
 * (CVE-2023-44487), and the kube-apiserver speaks HTTP/1.1 to webhooks.
 */
#include "tls.h"

#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>

#include <h2o.h>
#include <openssl/err.h>

#include "metrics.h"

static const h2o_iovec_t tls_alpn_http1[] = {{H2O_STRLIT("http/1.1")}, {NULL, 0}};

static void tls_openssl_error(char *err, size_t errlen, const char *what, const char *path)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";
	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, errlen, "%s %s: %s", what, path, buf[0] ? buf : "unknown error");
	ERR_clear_error();
}

static void tls_info(const SSL *ssl, int where, int ret)
{
	(void)ssl;
	(void)ret;
	if (where & SSL_CB_HANDSHAKE_DONE)
		metrics_tls_handshake();
}

/* An ex_data slot whose constructor and destructor run for every SSL
 * object: the open-connection gauge without hooks into h2o. */
static void tls_ssl_new(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent, (void)ptr, (void)ad, (void)idx, (void)argl, (void)argp;
	metrics_connection_opened();
}

static void tls_ssl_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
			 void *argp)
{
	(void)parent, (void)ptr, (void)ad, (void)idx, (void)argl, (void)argp;
	metrics_connection_closed();
}

static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

static void tls_init_once(void)
{
	CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL, 0, NULL, tls_ssl_new, NULL, tls_ssl_free);
}

SSL_CTX *tls_context_new(const char *cert, const char *key, const char *client_ca, bool http2,
			 char *err, size_t errlen)
{
	pthread_once(&tls_once, tls_init_once);
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		snprintf(err, errlen, "SSL_CTX_new failed");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
					 SSL_OP_NO_COMPRESSION);
	/* idle connections hold no read/write buffers */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	if (SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20") != 1 ||
	    SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1) {
		tls_openssl_error(err, errlen, "cipher setup for", cert);
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		tls_openssl_error(err, errlen, "cannot load certificate", cert);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		tls_openssl_error(err, errlen, "cannot load private key", key);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_openssl_error(err, errlen, "private key does not match certificate", key);
		goto fail;
	}
	if (client_ca != NULL) {
		/* only the API server (with a certificate from this CA) may call */
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(client_ca);
		if (SSL_CTX_load_verify_locations(ctx, client_ca, NULL) != 1 || names == NULL) {
			sk_X509_NAME_pop_free(names, X509_NAME_free);
			tls_openssl_error(err, errlen, "cannot load client CA", client_ca);
			goto fail;
		}
		SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	SSL_CTX_set_info_callback(ctx, tls_info);
	h2o_ssl_register_alpn_protocols(ctx, http2 ? h2o_alpn_protocols : tls_alpn_http1);
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int tls_stamp_file(const char *path, struct tls_stamp *st)
{
	struct stat sb;
	/* stat follows symlinks: a Secret update swaps the ..data link */
	if (stat(path, &sb) != 0)
		return -1;
	st->mtime = sb.st_mtim.tv_sec;
	st->mtime_ns = sb.st_mtim.tv_nsec;
	st->ino = (unsigned long long)sb.st_ino;
	st->size = (long long)sb.st_size;
	return 0;
}

bool tls_stamp_equal(const struct tls_stamp *a, const struct tls_stamp *b)
{
	return a->mtime == b->mtime && a->mtime_ns == b->mtime_ns && a->ino == b->ino &&
	       a->size == b->size;
}
