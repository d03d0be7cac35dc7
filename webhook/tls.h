/*
 * tls: the server's SSL_CTX, built from a certificate and key pair, and
 * rebuilt when either file changes on disk.
 */
#ifndef ADMITD_TLS_H
#define ADMITD_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/ssl.h>

/* Builds a TLS 1.2+ server context. Returns NULL with a reason in err. */
/* client_ca non-NULL: a client without a certificate from that CA fails the handshake. */
SSL_CTX *tls_context_new(const char *cert, const char *key, const char *client_ca, bool http2,
			 char *err, size_t errlen);

/* Identity of a file's current content, to notice a swap on disk. */
struct tls_stamp {
	time_t mtime;
	long mtime_ns;
	unsigned long long ino;
	long long size;
};

/* Returns 0 and fills st, or -1 when the file cannot be read. */
int tls_stamp_file(const char *path, struct tls_stamp *st);
bool tls_stamp_equal(const struct tls_stamp *a, const struct tls_stamp *b);

#endif
