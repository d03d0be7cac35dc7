/*
 * test_h2guard: the HTTP/2 stream budget, on connections built in memory:
 * an honest rate is never caught, a flood is caught on the tick that sees
 * it (with its frame reader replaced), a new connection starts with a
 * tenth of the budget, records follow connections that come and go, the
 * caught address is refused for the penalty and then let in again, and a
 * budget of 0 turns the guard off.
 */
#include "harness.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <h2o.h>
#include <h2o/http2.h>
#include <h2o/http2_internal.h>

#include "../../webhook/h2guard.h"

static socklen_t fake_peername(h2o_conn_t *conn, struct sockaddr *sa)
{
	struct sockaddr_in *in = (struct sockaddr_in *)sa;
	memset(in, 0, sizeof(*in));
	in->sin_family = AF_INET;
	in->sin_port = htons(40000);
	/* the connection id picks the address: 10.0.0.<id> */
	in->sin_addr.s_addr = htonl(0x0a000000u | (uint32_t)(conn->id & 0xff));
	return sizeof(*in);
}

static ssize_t fake_expect(h2o_http2_conn_t *conn, const uint8_t *src, size_t len,
			   const char **err_desc)
{
	(void)conn;
	(void)src;
	(void)err_desc;
	return (ssize_t)len;
}

static h2o_conn_callbacks_t fake_callbacks = {.get_peername = fake_peername};

static h2o_context_t ctx;

static h2o_http2_conn_t *conn_open(uint64_t id)
{
	h2o_http2_conn_t *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->super.id = id;
	c->super.callbacks = &fake_callbacks;
	c->state = H2O_HTTP2_CONN_STATE_OPEN;
	c->_read_expect = fake_expect;
	h2o_linklist_insert(&ctx.http2._conns, &c->_conns);
	return c;
}

static void conn_close(h2o_http2_conn_t *c)
{
	h2o_linklist_unlink(&c->_conns);
	free(c);
}

/* n more streams opened by the client (ids 1, 3, 5, ...) */
static void conn_streams(h2o_http2_conn_t *c, uint32_t n)
{
	uint32_t opened = (c->pull_stream_ids.max_open + 1) / 2 + n;
	c->pull_stream_ids.max_open = opened * 2 - 1;
}

static bool caught(h2o_http2_conn_t *c)
{
	return c->_read_expect != fake_expect;
}

static struct sockaddr_in addr_of(uint8_t last)
{
	struct sockaddr_in in = {.sin_family = AF_INET};
	in.sin_addr.s_addr = htonl(0x0a000000u | last);
	return in;
}

static int setup(void **state)
{
	(void)state;
	memset(&ctx, 0, sizeof(ctx));
	h2o_linklist_init_anchor(&ctx.http2._conns);
	return 0;
}

static void test_honest_rate_is_never_caught(void **state)
{
	(void)state;
	struct h2guard g;
	h2guard_init(&g, 1000, 10);
	h2o_http2_conn_t *c = conn_open(1);
	uint64_t now = 1000;
	assert_int_equal(h2guard_scan(&g, &ctx, now), 0);
	/* 900 a second for 10 s, in 10 ms ticks */
	for (int i = 0; i < 1000; i++) {
		now += 10;
		conn_streams(c, 9);
		assert_int_equal(h2guard_scan(&g, &ctx, now), 0);
	}
	assert_false(caught(c));
	conn_close(c);
	h2guard_free(&g);
}

static void test_flood_is_caught_and_its_reader_replaced(void **state)
{
	(void)state;
	struct h2guard g;
	h2guard_init(&g, 1000, 10);
	h2o_http2_conn_t *honest = conn_open(1), *flood = conn_open(2);
	uint64_t now = 1000;
	h2guard_scan(&g, &ctx, now);
	/* both save up a full second's budget (1,000), then one sends 1,200 at once */
	now += 2000;
	h2guard_scan(&g, &ctx, now);
	now += 10;
	conn_streams(flood, 1200);
	conn_streams(honest, 5);
	assert_int_equal(h2guard_scan(&g, &ctx, now), 1);
	assert_true(caught(flood));
	assert_false(caught(honest));
	const char *why = NULL;
	assert_int_equal(flood->_read_expect(flood, (const uint8_t *)"x", 1, &why),
			 H2O_HTTP2_ERROR_ENHANCE_YOUR_CALM);
	assert_non_null(why);
	/* counted once, however long the connection takes to close */
	now += 10;
	conn_streams(flood, 1000);
	assert_int_equal(h2guard_scan(&g, &ctx, now), 0);
	conn_close(honest);
	conn_close(flood);
	h2guard_free(&g);
}

static void test_new_connection_starts_with_a_tenth(void **state)
{
	(void)state;
	struct h2guard g;
	h2guard_init(&g, 1000, 10);
	h2guard_scan(&g, &ctx, 1000);
	h2o_http2_conn_t *a = conn_open(1), *b = conn_open(2);
	conn_streams(a, 100); /* a tenth of a second's worth: fine */
	conn_streams(b, 101);
	assert_int_equal(h2guard_scan(&g, &ctx, 1010), 1);
	assert_false(caught(a));
	assert_true(caught(b));
	conn_close(a);
	conn_close(b);
	h2guard_free(&g);
}

static void test_records_follow_connections(void **state)
{
	(void)state;
	struct h2guard g;
	h2guard_init(&g, 1000, 10);
	uint64_t now = 1000;
	h2o_http2_conn_t *c[40];
	for (int i = 0; i < 40; i++)
		c[i] = conn_open((uint64_t)i + 1);
	h2guard_scan(&g, &ctx, now);
	/* every other one closes, new ones come: records must pair by id */
	for (int i = 0; i < 40; i += 2)
		conn_close(c[i]);
	h2o_http2_conn_t *late = conn_open(100);
	now += 2000;
	h2guard_scan(&g, &ctx, now);
	/* an old connection may spend its saved second, the new one its tenth */
	now += 10;
	conn_streams(c[1], 1000);
	conn_streams(late, 100);
	assert_int_equal(h2guard_scan(&g, &ctx, now), 0);
	now += 10;
	conn_streams(c[3], 1011);
	assert_int_equal(h2guard_scan(&g, &ctx, now), 1);
	assert_true(caught(c[3]));
	assert_false(caught(c[1]));
	for (int i = 1; i < 40; i += 2)
		conn_close(c[i]);
	conn_close(late);
	h2guard_free(&g);
}

static void test_penalty_refuses_then_lets_in(void **state)
{
	(void)state;
	struct h2guard g;
	h2guard_init(&g, 1000, 10);
	h2guard_scan(&g, &ctx, 1000);
	h2o_http2_conn_t *c = conn_open(7);
	conn_streams(c, 5000);
	assert_int_equal(h2guard_scan(&g, &ctx, 1010), 1);
	struct sockaddr_in bad = addr_of(7), other = addr_of(8);
	assert_true(h2guard_refuses_addr(&g, (struct sockaddr *)&bad, 1020));
	assert_false(h2guard_refuses_addr(&g, (struct sockaddr *)&other, 1020));
	assert_true(h2guard_refuses_addr(&g, (struct sockaddr *)&bad, 1010 + 9999));
	assert_false(h2guard_refuses_addr(&g, (struct sockaddr *)&bad, 1010 + 10000));
	/* before any catch, nothing is refused (and no address is looked up) */
	struct h2guard fresh;
	h2guard_init(&fresh, 1000, 10);
	assert_false(h2guard_refuses_addr(&fresh, (struct sockaddr *)&bad, 1020));
	h2guard_free(&fresh);
	conn_close(c);
	h2guard_free(&g);
	/* penalty 0: caught connections are closed, addresses never refused */
	h2guard_init(&g, 1000, 0);
	h2guard_scan(&g, &ctx, 1000);
	c = conn_open(9);
	conn_streams(c, 5000);
	assert_int_equal(h2guard_scan(&g, &ctx, 1010), 1);
	struct sockaddr_in nine = addr_of(9);
	assert_false(h2guard_refuses_addr(&g, (struct sockaddr *)&nine, 1020));
	conn_close(c);
	h2guard_free(&g);
}

static void test_zero_budget_is_off(void **state)
{
	(void)state;
	struct h2guard g;
	h2guard_init(&g, 0, 10);
	h2o_http2_conn_t *c = conn_open(1);
	conn_streams(c, 10000000);
	assert_int_equal(h2guard_scan(&g, &ctx, 1000), 0);
	assert_int_equal(h2guard_scan(&g, &ctx, 2000), 0);
	assert_false(caught(c));
	conn_close(c);
	h2guard_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_honest_rate_is_never_caught, setup),
		cmocka_unit_test_setup(test_flood_is_caught_and_its_reader_replaced, setup),
		cmocka_unit_test_setup(test_new_connection_starts_with_a_tenth, setup),
		cmocka_unit_test_setup(test_records_follow_connections, setup),
		cmocka_unit_test_setup(test_penalty_refuses_then_lets_in, setup),
		cmocka_unit_test_setup(test_zero_budget_is_off, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
