/*
 * h2guard: bounds how fast one HTTP/2 connection may open streams, so that
 * a "Rapid Reset" flood (CVE-2023-44487: HEADERS then RST_STREAM, again and
 * again) cannot keep an event loop busy for as long as the client likes.
 */
#ifndef ADMITD_H2GUARD_H
#define ADMITD_H2GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <h2o.h>

struct h2guard_conn;

#define H2GUARD_PENALTY_SLOTS 64

/* A peer address caught flooding, refused new connections until until_ms. */
struct h2guard_penalty {
	uint8_t addr[16]; /* IPv4 as v4-mapped IPv6 */
	uint64_t until_ms;
};

struct h2guard {
	struct h2guard_conn *v, *w; /* by connection id, ascending; w: the next scan's */
	size_t n, cap;
	uint64_t last_ms;
	double rate;  /* streams a second each connection may open */
	double burst; /* and at once */
	uint64_t penalty_ms;
	struct h2guard_penalty box[H2GUARD_PENALTY_SLOTS]; /* a ring */
	uint64_t box_until_ms; /* the latest until_ms in box: none is active after it */
	unsigned next_slot;
	uint64_t last_log_ms;
	unsigned unlogged;
};

/* streams_per_second 0 turns the guard off; penalty_s 0 never refuses
 * connections, only closes the flooding ones. */
void h2guard_init(struct h2guard *g, unsigned streams_per_second, unsigned penalty_s);
/* A reload's new limits, keeping what the guard knows of live connections. */
void h2guard_set_limits(struct h2guard *g, unsigned streams_per_second, unsigned penalty_s);
/* At accept: true if sock's peer was caught flooding less than penalty_s
 * ago on this thread; the caller closes it before any TLS work. */
bool h2guard_refuses(struct h2guard *g, h2o_socket_t *sock, uint64_t now_ms);
bool h2guard_refuses_addr(const struct h2guard *g, const struct sockaddr *sa, uint64_t now_ms);
/* Looks at every HTTP/2 connection of ctx (its owning thread only). Each
 * one that has opened streams faster than the rate, beyond the burst, is
 * answered GOAWAY(ENHANCE_YOUR_CALM) at its next frame and closed. Returns
 * how many connections were caught this time. */
unsigned h2guard_scan(struct h2guard *g, h2o_context_t *ctx, uint64_t now_ms);
void h2guard_free(struct h2guard *g);

#endif
