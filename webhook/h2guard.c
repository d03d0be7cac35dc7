/*
 * h2guard.c: a per-connection budget of new HTTP/2 streams.
 *
 * Why here and not in h2o: Debian's h2o 2.2.5 predates the Rapid Reset
 * fixes. A reset stream costs it a HEADERS decode, a request set-up and a
 * teardown, and a client can send a million such pairs a second on one
 * connection, which holds the event loop that also serves every other
 * connection of that thread. SETTINGS_MAX_CONCURRENT_STREAMS does not help:
 * a reset stream no longer counts.
 *
 * How: h2o keeps, per connection, the highest stream id the client opened
 * (pull_stream_ids.max_open; client ids are odd and only grow), and every
 * HTTP/2 connection of a context is on ctx->http2._conns. A scan every
 * H2GUARD_TICK_MS (from the thread's own loop, so no locking) turns the
 * growth of that id into streams opened and charges them to a token bucket
 * per connection: `rate` tokens a second, at most `burst` saved. A
 * connection in debt gets h2o's frame reader replaced by one that refuses
 * the next frame with ENHANCE_YOUR_CALM, the error RFC 9113 names for
 * excessive load; h2o then sends GOAWAY and closes the connection through
 * its own error path, so nothing of h2o's is freed behind its back.
 *
 * Legitimate clients wait for answers, so their stream rate is bounded by
 * how fast admitd answers on one connection (one thread): 8,000 5 KB
 * reviews a second here, 28,000 tiny ones. The default budget is 50,000 a
 * second, with a second's worth saved, but a new connection starts with a
 * tenth of that: otherwise a flooder that reconnects at once would get a
 * full second's budget per connection.
 *
 * Closing alone does not stop a client that reconnects at once (measured:
 * 220 connections in 10 s, one core busy throughout). So the peer address
 * of a caught connection is also refused new connections, at accept and
 * before any TLS work, for penalty_s seconds (one thread's ring of
 * H2GUARD_PENALTY_SLOTS addresses; each thread catches on its own).
 */
#include "h2guard.h"

#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <h2o/http2.h>
#include <h2o/http2_internal.h>

#include "log.h"

#define H2GUARD_TICK_MS 10
#define H2GUARD_FIRST_S 0.1 /* a new connection's budget: this many seconds' worth */

struct h2guard_conn {
	uint64_t id;
	uint32_t seen_max_open;
	double tokens;
	bool caught;
};

void h2guard_init(struct h2guard *g, unsigned streams_per_second, unsigned penalty_s)
{
	memset(g, 0, sizeof(*g));
	g->rate = streams_per_second;
	g->burst = streams_per_second; /* a second's worth at once */
	g->penalty_ms = (uint64_t)penalty_s * 1000;
}

void h2guard_set_limits(struct h2guard *g, unsigned streams_per_second, unsigned penalty_s)
{
	g->rate = streams_per_second;
	g->burst = streams_per_second;
	g->penalty_ms = (uint64_t)penalty_s * 1000;
}

void h2guard_free(struct h2guard *g)
{
	free(g->v);
	free(g->w);
	memset(g, 0, sizeof(*g));
}

/* The peer's address as 16 bytes (IPv4 v4-mapped); false for other families. */
static bool h2guard_peer(const struct sockaddr *sa, uint8_t out[16])
{
	if (sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return true;
	}
	if (sa->sa_family == AF_INET) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		return true;
	}
	return false;
}

bool h2guard_refuses_addr(const struct h2guard *g, const struct sockaddr *sa, uint64_t now_ms)
{
	uint8_t addr[16];
	if (g->penalty_ms == 0 || now_ms >= g->box_until_ms || !h2guard_peer(sa, addr))
		return false;
	for (unsigned i = 0; i < H2GUARD_PENALTY_SLOTS; i++)
		if (g->box[i].until_ms > now_ms && memcmp(g->box[i].addr, addr, 16) == 0)
			return true;
	return false;
}

bool h2guard_refuses(struct h2guard *g, h2o_socket_t *sock, uint64_t now_ms)
{
	/* every accepted connection passes here: no getpeername while no
	 * address is being refused (always so with HTTP/2 off) */
	if (g->penalty_ms == 0 || now_ms >= g->box_until_ms)
		return false;
	struct sockaddr_storage ss;
	if (h2o_socket_getpeername(sock, (struct sockaddr *)&ss) == 0)
		return false;
	return h2guard_refuses_addr(g, (struct sockaddr *)&ss, now_ms);
}

static ssize_t h2guard_refuse_frame(h2o_http2_conn_t *conn, const uint8_t *src, size_t len,
				    const char **err_desc)
{
	(void)conn;
	(void)src;
	(void)len;
	*err_desc = "too many streams opened on this connection";
	return H2O_HTTP2_ERROR_ENHANCE_YOUR_CALM;
}

/* Refuses the connection's next frame, boxes its peer, and logs it (once
 * a second at most: a flood of connections must not become a flood of log
 * lines). */
static void h2guard_catch(struct h2guard *g, h2o_http2_conn_t *conn, const struct h2guard_conn *c,
			  uint64_t now_ms)
{
	conn->_read_expect = h2guard_refuse_frame;

	struct sockaddr_storage ss;
	char peer[NI_MAXHOST] = "?";
	socklen_t sl = conn->super.callbacks->get_peername(&conn->super, (struct sockaddr *)&ss);
	if (sl == 0 || h2o_socket_getnumerichost((struct sockaddr *)&ss, sl, peer) == SIZE_MAX)
		strcpy(peer, "?");
	uint8_t addr[16];
	if (g->penalty_ms != 0 && sl != 0 && h2guard_peer((struct sockaddr *)&ss, addr)) {
		struct h2guard_penalty *p = &g->box[g->next_slot++ % H2GUARD_PENALTY_SLOTS];
		memcpy(p->addr, addr, 16);
		p->until_ms = now_ms + g->penalty_ms;
		if (p->until_ms > g->box_until_ms)
			g->box_until_ms = p->until_ms;
	}
	if (g->last_log_ms != 0 && now_ms - g->last_log_ms < 1000) {
		g->unlogged++;
		return;
	}
	char penalty[64] = "";
	if (g->penalty_ms != 0)
		snprintf(penalty, sizeof(penalty), "; its address is refused for %llu s",
			 (unsigned long long)(g->penalty_ms / 1000));
	log_warnx("%s: HTTP/2 connection %llu from %s opened streams faster than %.0f a "
		  "second (stream id %u): closed with ENHANCE_YOUR_CALM%s (%u more caught since "
		  "the last line)",
		  __func__, (unsigned long long)c->id, peer, g->rate, c->seen_max_open, penalty,
		  g->unlogged);
	g->last_log_ms = now_ms;
	g->unlogged = 0;
}

/* Records are kept in connection-id order, the order of ctx->http2._conns
 * (h2o appends each new connection, ids only grow), so one merge walk
 * pairs them and drops the records of closed connections. */
unsigned h2guard_scan(struct h2guard *g, h2o_context_t *ctx, uint64_t now_ms)
{
	if (g->rate <= 0 || now_ms - g->last_ms < H2GUARD_TICK_MS)
		return 0;
	double dt = g->last_ms == 0 ? 0 : (double)(now_ms - g->last_ms) / 1000.0;
	g->last_ms = now_ms;

	size_t live = 0;
	for (h2o_linklist_t *n = ctx->http2._conns.next; n != &ctx->http2._conns; n = n->next)
		live++;
	if (live > g->cap) {
		size_t cap = live * 2;
		struct h2guard_conn *v = realloc(g->v, cap * sizeof(*v));
		if (v != NULL)
			g->v = v;
		struct h2guard_conn *w = realloc(g->w, cap * sizeof(*w));
		if (w != NULL)
			g->w = w;
		if (v == NULL || w == NULL)
			return 0; /* try again next tick */
		g->cap = cap;
	}

	unsigned caught = 0;
	size_t old = 0, out = 0, nold = g->n;
	for (h2o_linklist_t *n = ctx->http2._conns.next; n != &ctx->http2._conns; n = n->next) {
		h2o_http2_conn_t *conn = H2O_STRUCT_FROM_MEMBER(h2o_http2_conn_t, _conns, n);
		while (old < nold && g->v[old].id < conn->super.id)
			old++; /* closed since the last scan */
		struct h2guard_conn c;
		uint32_t opened;
		if (old < nold && g->v[old].id == conn->super.id) {
			c = g->v[old++];
			opened =
				conn->pull_stream_ids.max_open >= c.seen_max_open
					? (conn->pull_stream_ids.max_open - c.seen_max_open + 1) / 2
					: 0;
			c.tokens += g->rate * dt;
			if (c.tokens > g->burst)
				c.tokens = g->burst;
		} else {
			/* new since the last scan, at most a tick old */
			c = (struct h2guard_conn){.id = conn->super.id,
						  .tokens = g->rate * H2GUARD_FIRST_S};
			opened = (conn->pull_stream_ids.max_open + 1) / 2;
		}
		c.seen_max_open = conn->pull_stream_ids.max_open;
		c.tokens -= opened;
		if (c.tokens < 0 && !c.caught && conn->state < H2O_HTTP2_CONN_STATE_IS_CLOSING) {
			h2guard_catch(g, conn, &c, now_ms);
			c.caught = true;
			caught++;
		}
		g->w[out++] = c;
	}
	struct h2guard_conn *swap = g->v;
	g->v = g->w;
	g->w = swap;
	g->n = out;
	return caught;
}
