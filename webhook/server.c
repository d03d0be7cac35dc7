/*
 * server.c: h2o event loops, one per thread, each with its own listener
 * on the shared port (SO_REUSEPORT, and no other process may share it), so
 * threads never contend for a lock on the request path. The main thread waits for signals and
 * watches the certificate and configuration files; what it loads is published with a generation
 * counter that each thread checks at its next accept or request.
 */
#include "server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <h2o.h>

#include "cfgkeys.h"
#include "decision.h"
#include "jsonarena.h"
#include "log.h"
#include "workload.h"
#include "metrics.h"
#include "review.h"
#include "tls.h"
#include "h2guard.h"
#include "imgcheck.h"
#include "sigcheck.h"
#include "sigwork.h"

/* ---- state shared between threads: published by the main thread ---- */

struct server_shared {
	pthread_mutex_t lock;
	SSL_CTX *ssl; /* current TLS context (one reference held here) */
	atomic_uint ssl_gen;
	struct admitd_config *cfg; /* current configuration (one reference held here) */
	atomic_uint cfg_gen;
	atomic_bool stopping;
	atomic_bool draining; /* SIGTERM received, still serving during the delay */
	atomic_bool ready;
	atomic_uint max_connections; /* live: the main thread stores it on reload */
	struct sockaddr_storage addr;
	socklen_t addrlen;
	const struct server_options *opt;
	/* the configuration served at start: a reload that changes a restart key
	 * (cfgkeys.c) is compared with it; main() holds it for the whole run */
	const struct admitd_config *started;
	char restart_needed[256]; /* "server.listen, server.threads", or "" (under lock) */
};

static struct server_shared server;

struct server_thread {
	pthread_t tid;
	unsigned index;
	h2o_evloop_t *loop;
	h2o_context_t ctx;
	h2o_accept_ctx_t accept;
	h2o_socket_t *listener;
	int fd;
	unsigned ssl_gen;
	SSL_CTX *ssl;
	unsigned cfg_gen;
	struct admitd_config *cfg;
	struct arena arena;
	struct metrics_thread metrics;
	struct timespec req_start; /* set while a /validate request is judged */
	struct h2guard h2guard;
	h2o_accept_ctx_t metrics_accept; /* plain HTTP, thread 0 only */
	h2o_socket_t *metrics_listener;
	/*
	 * h2o's settings, one copy per thread: h2o reads max_request_entity_size
	 * and the HTTP/2 stream limit from here on every request, so a reload can
	 * change them by the thread's own hand, with no write racing a reader.
	 */
	h2o_globalconf_t conf;
	h2o_hostconf_t *metrics_hosts[2]; /* NULL-terminated: the plain metrics port's only host */
	/* image-signature jobs handed back by the workers (sigwork.h) */
	h2o_multithread_receiver_t sig_receiver;
};

static __thread struct server_thread *server_self;

/*
 * Threads that ask registries about image signatures, shared by every
 * event loop: a verification mostly waits on the network, so a few
 * threads serve many reviews, and single flight (sigcache) keeps a burst
 * of one image to one verification.
 */
#define SERVER_SIG_WORKERS 4

/* ---- publishing ---- */

static void server_publish_ssl(SSL_CTX *ssl)
{
	pthread_mutex_lock(&server.lock);
	SSL_CTX *old = server.ssl;
	server.ssl = ssl;
	atomic_fetch_add(&server.ssl_gen, 1);
	pthread_mutex_unlock(&server.lock);
	if (old != NULL)
		SSL_CTX_free(old);
}

static void server_publish_config(struct admitd_config *cfg)
{
	pthread_mutex_lock(&server.lock);
	struct admitd_config *old = server.cfg;
	server.cfg = cfg;
	atomic_fetch_add(&server.cfg_gen, 1);
	pthread_mutex_unlock(&server.lock);
	config_unref(old);
}

/* The `server:` keys a running thread applies to itself (the live column of docs/server.md). */
static void server_thread_apply(struct server_thread *t, const struct admitd_config *cfg)
{
	t->conf.max_request_entity_size = cfg->server.max_body_bytes;
	t->conf.http2.max_concurrent_requests_per_connection = cfg->server.max_streams;
	h2guard_set_limits(&t->h2guard, server.opt->http2 ? cfg->server.h2_streams_per_second : 0,
			   cfg->server.h2_penalty_s);
}

/* The configuration this thread judges with; swapped only between requests. */
static struct admitd_config *server_thread_config(struct server_thread *t)
{
	unsigned gen = atomic_load(&server.cfg_gen);
	if (gen != t->cfg_gen || t->cfg == NULL) {
		pthread_mutex_lock(&server.lock);
		struct admitd_config *fresh = config_ref(server.cfg);
		t->cfg_gen = atomic_load(&server.cfg_gen);
		pthread_mutex_unlock(&server.lock);
		config_unref(t->cfg);
		t->cfg = fresh;
		server_thread_apply(t, fresh);
	}
	return t->cfg;
}

static void server_thread_ssl(struct server_thread *t)
{
	unsigned gen = atomic_load(&server.ssl_gen);
	if (gen == t->ssl_gen && t->ssl != NULL)
		return;
	pthread_mutex_lock(&server.lock);
	SSL_CTX *fresh = server.ssl;
	SSL_CTX_up_ref(fresh);
	t->ssl_gen = atomic_load(&server.ssl_gen);
	pthread_mutex_unlock(&server.lock);
	/* live connections hold their own reference through their SSL object */
	if (t->ssl != NULL)
		SSL_CTX_free(t->ssl);
	t->ssl = fresh;
	t->accept.ssl_ctx = fresh;
}

/* ---- responses ---- */

/* Every answer goes through here, so every answer is counted once. */
static void server_send(h2o_req_t *req, int status, const char *reason, const char *type,
			const char *body, size_t len)
{
	struct server_thread *t = server_self;
	if (t->req_start.tv_sec != 0) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		uint64_t ns = (uint64_t)(now.tv_sec - t->req_start.tv_sec) * 1000000000ull +
			      (uint64_t)(now.tv_nsec - t->req_start.tv_nsec);
		t->req_start.tv_sec = 0;
		metrics_observe(&t->metrics, ns, req->entity.len);
	}
	metrics_request(&t->metrics, status);
	req->res.status = status;
	req->res.reason = reason;
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, type,
		       strlen(type));
	/* without it h2o sends HTTP/1.1 answers chunked */
	req->res.content_length = len;
	h2o_send_inline(req, body, len);
}

static void server_respond(h2o_req_t *req, int status, const char *reason, const char *body,
			   size_t len)
{
	server_send(req, status, reason, "application/json", body, len);
}

static void server_respond_error(h2o_req_t *req, int status, const char *reason,
				 const char *message)
{
	size_t len = 0;
	char *body = review_error_body(message, &len);
	if (body == NULL) {
		static const char oom[] = "{\"error\":\"out of memory\"}";
		server_respond(req, status, reason, oom, sizeof(oom) - 1);
		return;
	}
	server_respond(req, status, reason, body, len);
	free(body);
}

static bool server_path_is(h2o_req_t *req, const char *path)
{
	/* h2o matches registered paths by prefix; admitd wants exact paths */
	return h2o_memis(req->path_normalized.base, req->path_normalized.len, path, strlen(path));
}

static bool server_method_is(h2o_req_t *req, const char *m)
{
	return h2o_memis(req->method.base, req->method.len, m, strlen(m));
}

static int server_method_not_allowed(h2o_req_t *req, const char *allow)
{
	h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ALLOW, NULL, allow, strlen(allow));
	char msg[96];
	snprintf(msg, sizeof(msg), "method not allowed: use %s", allow);
	server_respond_error(req, 405, "Method Not Allowed", msg);
	return 0;
}

/* ---- handlers ---- */

static int server_on_metrics(h2o_handler_t *self, h2o_req_t *req)
{
	(void)self;
	if (!server_path_is(req, "/metrics"))
		return -1;
	if (!server_method_is(req, "GET") && !server_method_is(req, "HEAD"))
		return server_method_not_allowed(req, "GET");
	size_t len = 0;
	char *text = metrics_render(server_thread_config(server_self), &len);
	if (text == NULL) {
		server_respond_error(req, 500, "Internal Server Error", "out of memory");
		return 0;
	}
	server_send(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", text, len);
	free(text);
	return 0;
}

/*
 * A review whose image signatures are being gathered by a worker. It
 * lives in the request's pool: when the request goes (the client hung
 * up), its dispose callback tells the job, which then answers no one.
 */
struct server_sigwait {
	struct sigwork_job *job;
	struct timespec start; /* when the review arrived, for the latency metric */
};

static void server_sigwait_dispose(void *p)
{
	struct server_sigwait *w = p;
	if (w->job != NULL)
		w->job->owner = NULL;
}

/*
 * The time a review may spend on registries: the policy's timeoutSeconds,
 * and a second less than the API server's own ?timeout= for this call, so
 * that admitd answers (fail closed) before the API server gives up on it.
 */
static struct timespec server_sig_deadline(h2o_req_t *req, long ms)
{
	if (req->query_at != SIZE_MAX) {
		const char *q = req->path.base + req->query_at;
		size_t len = req->path.len - req->query_at;
		const char *at = memmem(q, len, "timeout=", 8);
		if (at != NULL) {
			char *end = NULL;
			long v = strtol(at + 8, &end, 10);
			long unit = end != NULL && *end == 'm' && end[1] != 's' ? 60000
				    : end != NULL && *end == 's'                ? 1000
										: 0;
			if (unit > 0 && v > 0 && v * unit - 1000 < ms)
				ms = v * unit - 1000 > 100 ? v * unit - 1000 : 100;
		}
	}
	return oci_deadline_in(ms);
}

/*
 * Judges the review in req and answers it. sig: the image signatures'
 * verdicts when they were gathered; NULL on the first pass, which may
 * instead hand the review to a worker (returns 1: the answer comes later).
 */
static int server_judge(struct server_thread *t, h2o_req_t *req, struct admitd_config *cfg,
			const struct sigwork_job *done)
{
	jsonarena_begin(&t->arena);
	struct review rv;
	char why[256];
	if (review_decode(req->entity.base, req->entity.len, cfg->limits.max_json_depth, &rv, why,
			  sizeof(why)) < 0) {
		jsonarena_end();
		arena_reset(&t->arena);
		server_respond_error(req, 400, "Bad Request", why);
		return 0;
	}
	const struct sigcheck_results *sig = done != NULL ? &done->results : NULL;
	const struct imgcheck_results *contents = done != NULL ? &done->contents : NULL;
	struct sigcheck_results cached = {0};
	struct imgcheck_results ccached = {0};
	struct pod_view pod;
	if (done == NULL && review_judged(&rv)) {
		/* one pod view for the registry gatherers and the engine, when a gatherer reads it
		 */
		if (sigcheck_gathers(cfg))
			rv.in.pod = engine_pod_view(cfg, &rv.in, &t->arena, &pod);
		char **images = NULL, **cimages = NULL;
		size_t n = sigcheck_images(cfg, &rv.in, &t->arena, &images);
		size_t cn = imgcheck_images(cfg, &rv.in, &t->arena, &cimages);
		/* every verdict and every image's facts at hand: judged now, no worker */
		bool sig_ok = n == 0 || sigcheck_cached(cfg, images, n, &cached);
		bool con_ok = sig_ok && (cn == 0 || imgcheck_cached(cfg, cimages, cn, &ccached));
		if (sig_ok && con_ok) {
			sig = n > 0 ? &cached : NULL;
			contents = cn > 0 ? &ccached : NULL;
			sigcheck_images_free(images, n);
			imgcheck_images_free(cimages, cn);
		} else {
			sigcheck_results_free(&cached);
			imgcheck_results_free(&ccached);
			struct sigwork_job *job = calloc(1, sizeof(*job));
			struct server_sigwait *w =
				job != NULL ? h2o_mem_alloc_shared(&req->pool, sizeof(*w),
								   server_sigwait_dispose)
					    : NULL;
			review_free(&rv);
			jsonarena_end();
			arena_reset(&t->arena);
			if (w == NULL) {
				free(job);
				sigcheck_images_free(images, n);
				imgcheck_images_free(cimages, cn);
				server_respond_error(req, 500, "Internal Server Error",
						     "out of memory");
				return 0;
			}
			w->job = job;
			job->owner = req;
			job->receiver = &t->sig_receiver;
			job->cfg = config_ref(cfg);
			job->images = images;
			job->nimages = n;
			job->cimages = cimages;
			job->ncimages = cn;
			long ms = 0;
			if (n > 0)
				ms = sigcheck_policy(cfg)->timeout_ms;
			if (cn > 0 && imgcheck_timeout_ms(cfg) > ms)
				ms = imgcheck_timeout_ms(cfg);
			job->deadline = server_sig_deadline(req, ms);
			/* the pool entry points back, so the job can forget it when answered */
			job->owner_data = w;
			w->start = t->req_start;
			sigwork_submit(job);
			return 1;
		}
	}
	rv.in.signatures = sig;
	rv.in.contents = contents;
	struct engine_verdict verdict;
	memset(&verdict, 0, sizeof(verdict));
	verdict.allowed = true;
	if (review_judged(&rv))
		engine_evaluate(cfg, &rv.in, &t->arena, &verdict);
	decision_log_write(rv.uid, &rv.in, &verdict, cfg);
	metrics_decision(&t->metrics, engine_kind(cfg, &rv.in), rv.in.operation, &verdict,
			 cfg->mode);
	char *body = NULL;
	size_t len = 0;
	int encoded = review_encode(&rv, &verdict, cfg, &body, &len);
	review_free(&rv);
	jsonarena_end();
	arena_reset(&t->arena);
	sigcheck_results_free(&cached);
	imgcheck_results_free(&ccached);
	if (encoded < 0) {
		server_respond_error(req, 500, "Internal Server Error",
				     "out of memory while writing the response");
	} else {
		server_respond(req, 200, "OK", body, len);
		free(body);
	}
	return 0;
}

static int server_on_validate(h2o_handler_t *self, h2o_req_t *req)
{
	(void)self;
	struct server_thread *t = server_self;
	if (!server_path_is(req, "/validate"))
		return -1;
	if (!server_method_is(req, "POST"))
		return server_method_not_allowed(req, "POST");
	clock_gettime(CLOCK_MONOTONIC, &t->req_start);
	server_judge(t, req, server_thread_config(t), NULL);
	return 0;
}

/* Jobs back from the workers: each review is judged with its verdicts, if it is still there. */
static void server_on_signatures(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
	(void)receiver;
	struct server_thread *t = server_self;
	while (!h2o_linklist_is_empty(messages)) {
		struct sigwork_job *job =
			H2O_STRUCT_FROM_MEMBER(struct sigwork_job, msg.link, messages->next);
		h2o_linklist_unlink(&job->msg.link);
		h2o_req_t *req = job->owner;
		if (req != NULL) {
			struct server_sigwait *w = job->owner_data;
			w->job = NULL;
			t->req_start = w->start;
			server_judge(t, req, job->cfg, job);
		}
		sigwork_job_free(job);
	}
}

static int server_on_healthz(h2o_handler_t *self, h2o_req_t *req)
{
	(void)self;
	if (!server_path_is(req, "/healthz"))
		return -1;
	if (!server_method_is(req, "GET") && !server_method_is(req, "HEAD"))
		return server_method_not_allowed(req, "GET");
	static const char ok[] = "{\"status\":\"ok\"}";
	server_respond(req, 200, "OK", ok, sizeof(ok) - 1);
	return 0;
}

static int server_on_readyz(h2o_handler_t *self, h2o_req_t *req)
{
	(void)self;
	if (!server_path_is(req, "/readyz"))
		return -1;
	if (!server_method_is(req, "GET") && !server_method_is(req, "HEAD"))
		return server_method_not_allowed(req, "GET");
	struct admitd_config *cfg = server_thread_config(server_self);
	if (!atomic_load(&server.ready) || atomic_load(&server.stopping) ||
	    atomic_load(&server.draining)) {
		server_respond_error(req, 503, "Service Unavailable", "not ready");
		return 0;
	}
	char body[512], restart[sizeof(server.restart_needed)];
	pthread_mutex_lock(&server.lock);
	snprintf(restart, sizeof(restart), "%s",
		 server.restart_needed[0] ? server.restart_needed : "[]");
	pthread_mutex_unlock(&server.lock);
	int n = snprintf(body, sizeof(body),
			 "{\"status\":\"ready\",\"config\":\"%s\",\"lastReload\":\"%s\","
			 "\"restartNeeded\":%s}",
			 cfg->checksum, metrics_last_reload_result(), restart);
	server_respond(req, 200, "OK", body, (size_t)n);
	return 0;
}

/*
 * Any other path, and an exact path's handler falling through (h2o
 * matches "/validate" for "/validate/x" too): the JSON error the docs
 * promise, counted in admitd_requests_total, instead of h2o's text 404.
 */
static int server_on_not_found(h2o_handler_t *self, h2o_req_t *req)
{
	(void)self;
	char msg[160];
	snprintf(msg, sizeof(msg),
		 "no such endpoint: %.*s (admitd serves /validate, /healthz, "
		 "/readyz and /metrics)",
		 (int)(req->path_normalized.len < 64 ? req->path_normalized.len : 64),
		 req->path_normalized.base);
	server_respond_error(req, 404, "Not Found", msg);
	return 0;
}

static void server_register(h2o_hostconf_t *host, const char *path,
			    int (*fn)(h2o_handler_t *, h2o_req_t *))
{
	h2o_pathconf_t *pc = h2o_config_register_path(host, path, 0);
	if (fn != NULL) {
		h2o_handler_t *h = h2o_create_handler(pc, sizeof(*h));
		h->on_req = fn;
	}
	/* last in the chain: what the handler declines is a JSON 404 */
	h2o_handler_t *nf = h2o_create_handler(pc, sizeof(*nf));
	nf->on_req = server_on_not_found;
}

/*
 * Errors h2o answers itself before any handler runs, above all 413 for an
 * HTTP/1.1 body over maxBodyBytes, go through the host's fallback path:
 * this filter turns their text body into admitd's JSON error and counts
 * them. (Over HTTP/2 h2o resets the stream instead: there is no answer.)
 */
struct server_error_ostream {
	h2o_ostream_t super;
	h2o_iovec_t body;
};

static void server_error_do_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs,
				 size_t bufcnt, h2o_send_state_t state)
{
	struct server_error_ostream *o = (void *)self;
	if (bufcnt == 0) {
		h2o_ostream_send_next(self, req, bufs, 0, state);
	} else if (o->body.base != NULL) {
		/* h2o's text body, replaced whole by the JSON one */
		h2o_ostream_send_next(self, req, &o->body, 1, state);
		o->body.base = NULL;
	} else {
		h2o_ostream_send_next(self, req, NULL, 0, state);
	}
}

static void server_on_error_setup(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
	(void)self;
	if (req->res.status >= 400) {
		struct server_thread *t = server_self;
		if (t != NULL)
			metrics_request(&t->metrics, req->res.status);
		char msg[160];
		if (req->res.status == 413)
			snprintf(msg, sizeof(msg),
				 "request body larger than server.maxBodyBytes (%zu bytes)",
				 req->conn->ctx->globalconf->max_request_entity_size);
		else
			snprintf(msg, sizeof(msg), "%s", req->res.reason);
		size_t len = 0;
		char *body = review_error_body(msg, &len);
		if (body != NULL) {
			struct server_error_ostream *o =
				(void *)h2o_add_ostream(req, sizeof(*o), slot);
			o->super.do_send = server_error_do_send;
			o->body = h2o_strdup(&req->pool, body, len);
			free(body);
			req->res.content_length = len;
			h2o_set_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
				       H2O_STRLIT("application/json"), 1);
			slot = &o->super.next;
		}
	}
	h2o_setup_next_ostream(req, slot);
}

static void server_register_fallback(h2o_hostconf_t *host)
{
	server_register(host, "/", NULL);
	h2o_filter_t *f = h2o_create_filter(&host->fallback_path, sizeof(*f));
	f->on_setup_ostream = server_on_error_setup;
}

/* ---- listening ---- */

/* "ADDR:PORT", "[V6]:PORT" or ":PORT" (all interfaces). */
static int server_resolve(const char *listen, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256], port[16];
	const char *colon = strrchr(listen, ':');
	if (colon == NULL || colon[1] == '\0' || strlen(colon + 1) >= sizeof(port))
		return -1;
	size_t hl = (size_t)(colon - listen);
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, listen, hl);
	host[hl] = '\0';
	snprintf(port, sizeof(port), "%s", colon + 1);
	char *h = host;
	if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
		h[hl - 1] = '\0';
		h++;
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	if (getaddrinfo(h[0] ? h : NULL, port, &hints, &res) != 0 || res == NULL)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/*
 * Each thread listens on its own socket on the shared port (SO_REUSEPORT),
 * so that the kernel spreads connections over the threads: with one shared
 * socket the thread that wakes first takes every pending connection, and
 * 8 keep-alive clients were served by one thread (8,000 instead of 11,000
 * reviews/s here).
 */
static int server_listen_fd(void)
{
	int fd = socket(server.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int on = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
	/* wake the loop only once the client has sent its first bytes */
	setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&server.addr, server.addrlen) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/*
 * SO_REUSEPORT would also let a second admitd (a dry-run one, say) start
 * on the same address and take half the connections. So first a socket
 * without it binds the address: that fails with EADDRINUSE while any
 * process listens there, SO_REUSEPORT or not (SO_REUSEADDR keeps a
 * restart's TIME_WAIT connections from counting). Two processes started
 * within the same microseconds could still both pass; nothing else can.
 */
static int server_port_free(void)
{
	int fd = socket(server.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int on = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	int rc = bind(fd, (struct sockaddr *)&server.addr, server.addrlen);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

static uint64_t server_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void server_on_accept(h2o_socket_t *listener, const char *err)
{
	struct server_thread *t = listener->data;
	if (err != NULL)
		return;
	server_thread_ssl(t);
	server_thread_config(t); /* a new connection gets the limits of the latest reload */
	/* drain the backlog: several connections may be waiting */
	for (int i = 0; i < 16; i++) {
		h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
		if (sock == NULL)
			break;
		/* over the limit, a new connection is closed at once: the ones being
		 * served keep their resources */
		if (metrics_open_connections() >= (int64_t)atomic_load(&server.max_connections)) {
			h2o_socket_close(sock);
			continue;
		}
		/* a peer just caught flooding HTTP/2 gets no TLS handshake for a while */
		if (h2guard_refuses(&t->h2guard, sock, h2o_now(t->loop))) {
			metrics_h2_flood_refused(&t->metrics);
			h2o_socket_close(sock);
			continue;
		}
		h2o_accept(&t->accept, sock);
	}
}

static bool server_thread_idle(struct server_thread *t)
{
	return h2o_linklist_is_empty(&t->ctx.http1._conns) &&
	       h2o_linklist_is_empty(&t->ctx.http2._conns);
}

static void *server_thread_main(void *arg)
{
	struct server_thread *t = arg;
	server_self = t;
	metrics_bind(&t->metrics);
	/* every signal goes to the main thread's sigwait */
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);

	while (h2o_evloop_run(t->loop, 100) == 0 && !atomic_load(&server.stopping)) {
		/* within 100 ms of a reload, even on a thread that gets no request */
		server_thread_config(t);
		metrics_h2_flood_closed(&t->metrics,
					h2guard_scan(&t->h2guard, &t->ctx, h2o_now(t->loop)));
	}

	/* stop accepting, tell HTTP/2 peers (GOAWAY), finish what is in flight */
	if (t->listener != NULL) {
		h2o_socket_read_stop(t->listener);
		h2o_socket_close(t->listener);
		t->listener = NULL;
	}
	if (t->metrics_listener != NULL) {
		h2o_socket_read_stop(t->metrics_listener);
		h2o_socket_close(t->metrics_listener);
		t->metrics_listener = NULL;
	}
	h2o_context_request_shutdown(&t->ctx);
	uint64_t deadline = server_now_ms() + server.opt->shutdown_grace_ms;
	while (!server_thread_idle(t) && server_now_ms() < deadline)
		h2o_evloop_run(t->loop, 50);
	/* request_shutdown arms h2o's HTTP/2 GOAWAY timer even when no HTTP/2
	 * connection exists; disarm it so the context can be disposed */
	if (h2o_timeout_is_linked(&t->ctx.http2._graceful_shutdown_timeout))
		h2o_timeout_unlink(&t->ctx.http2._graceful_shutdown_timeout);
	return NULL;
}

static void server_on_metrics_accept(h2o_socket_t *listener, const char *err)
{
	struct server_thread *t = listener->data;
	h2o_socket_t *sock;
	if (err == NULL && (sock = h2o_evloop_socket_accept(listener)) != NULL)
		h2o_accept(&t->metrics_accept, sock);
}

/* One thread's h2o settings and hosts, from the configuration served at start. */
static void server_conf_init(h2o_globalconf_t *conf, h2o_hostconf_t **metrics_hosts,
			     const struct admitd_config *cfg)
{
	h2o_config_init(conf);
	conf->max_request_entity_size = cfg->server.max_body_bytes;
	/* a request must arrive whole in time: a client sending a byte a second is dropped */
	conf->http1.req_timeout = (uint64_t)cfg->server.request_timeout_s * 1000;
	conf->http2.idle_timeout = (uint64_t)cfg->server.idle_timeout_s * 1000;
	conf->handshake_timeout = (uint64_t)cfg->server.handshake_timeout_s * 1000;
	conf->http2.max_concurrent_requests_per_connection = cfg->server.max_streams;
	/* h2o's own HTTP/2 shutdown timer would outlive the loop; our deadline governs */
	conf->http2.graceful_shutdown_timeout = 0;
	h2o_hostconf_t *host =
		h2o_config_register_host(conf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
	server_register(host, "/validate", server_on_validate);
	server_register(host, "/healthz", server_on_healthz);
	server_register(host, "/readyz", server_on_readyz);
	server_register(host, "/metrics", server_on_metrics);
	server_register_fallback(host);
	h2o_hostconf_t *mhost =
		h2o_config_register_host(conf, h2o_iovec_init(H2O_STRLIT("metrics")), 65535);
	server_register(mhost, "/metrics", server_on_metrics);
	server_register(mhost, "/healthz", server_on_healthz);
	server_register_fallback(mhost);
	metrics_hosts[0] = mhost;
	metrics_hosts[1] = NULL;
}

/* Plain HTTP for Prometheus on its own port (thread 0): no TLS to configure in the scraper. */
static int server_metrics_listener(struct server_thread *t, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	if (server_resolve(server.opt->metrics_listen, &ss, &sl) < 0) {
		snprintf(err, errlen, "cannot resolve --metrics-listen \"%s\"",
			 server.opt->metrics_listen);
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int on = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 64) != 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", server.opt->metrics_listen,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	t->metrics_accept.ctx = &t->ctx;
	/* the plain port serves /metrics and /healthz only, never /validate */
	t->metrics_accept.hosts = t->metrics_hosts;
	t->metrics_accept.ssl_ctx = NULL;
	t->metrics_listener = h2o_evloop_socket_create(t->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
	t->metrics_listener->data = t;
	h2o_socket_read_start(t->metrics_listener, server_on_metrics_accept);
	return 0;
}

static int server_thread_init(struct server_thread *t, unsigned index, char *err, size_t errlen)
{
	t->index = index;
	t->fd = server_listen_fd();
	if (t->fd < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", server.opt->listen,
			 strerror(errno));
		return -1;
	}
	t->loop = h2o_evloop_create();
	server_conf_init(&t->conf, t->metrics_hosts, server.cfg);
	h2o_context_init(&t->ctx, t->loop, &t->conf);
	t->accept.ctx = &t->ctx;
	t->accept.hosts = t->conf.hosts;
	server_thread_ssl(t);
	t->listener = h2o_evloop_socket_create(t->loop, t->fd, H2O_SOCKET_FLAG_DONT_READ);
	t->listener->data = t;
	h2o_socket_read_start(t->listener, server_on_accept);
	arena_init(&t->arena);
	h2o_multithread_register_receiver(t->ctx.queue, &t->sig_receiver, server_on_signatures);
	h2guard_init(&t->h2guard, server.opt->http2 ? server.cfg->server.h2_streams_per_second : 0,
		     server.cfg->server.h2_penalty_s);
	metrics_register(&t->metrics);
	if (index == 0 && server.opt->metrics_listen != NULL &&
	    server_metrics_listener(t, err, errlen) < 0)
		return -1;
	return 0;
}

static void server_thread_dispose(struct server_thread *t)
{
	if (t->loop == NULL)
		return;
	/* connections still open past the deadline keep h2o timers armed, and
	 * h2o asserts on disposing them: the process is exiting, leave them */
	if (!server_thread_idle(t))
		return;
	/* jobs the workers handed back after this loop stopped: nobody waits for them */
	while (!h2o_linklist_is_empty(&t->sig_receiver._messages)) {
		struct sigwork_job *job = H2O_STRUCT_FROM_MEMBER(struct sigwork_job, msg.link,
								 t->sig_receiver._messages.next);
		h2o_linklist_unlink(&job->msg.link);
		sigwork_job_free(job);
	}
	h2o_multithread_unregister_receiver(t->ctx.queue, &t->sig_receiver);
	h2o_context_dispose(&t->ctx);
	h2o_evloop_destroy(t->loop);
	h2o_config_dispose(&t->conf);
	if (t->ssl != NULL)
		SSL_CTX_free(t->ssl);
	config_unref(t->cfg);
	arena_free(&t->arena);
	h2guard_free(&t->h2guard);
}

/* ---- reload (main thread) ---- */

struct server_watch {
	struct tls_stamp cert, key, cfg;
	bool have_cfg;
};

static void server_reload_tls(struct server_watch *w, bool force)
{
	struct tls_stamp c, k;
	if (tls_stamp_file(server.opt->cert, &c) < 0 || tls_stamp_file(server.opt->key, &k) < 0)
		return; /* mid-swap: try again on the next tick */
	if (!force && tls_stamp_equal(&c, &w->cert) && tls_stamp_equal(&k, &w->key))
		return;
	w->cert = c;
	w->key = k;
	char why[512];
	SSL_CTX *ssl = tls_context_new(server.opt->cert, server.opt->key, server.opt->client_ca,
				       server.opt->http2, why, sizeof(why));
	if (ssl == NULL) {
		log_warnx("certificate reload refused, still serving the previous pair: %s", why);
		return;
	}
	server_publish_ssl(ssl);
	log_info("certificate reloaded from %s", server.opt->cert);
}

/* Whether the key's `admitd serve` flag was given: then the file's value is not used. */
static bool server_flag_given(const struct server_options *o, const char *flag)
{
	static const struct {
		const char *flag;
		size_t at;
	} flags[] = {
		{"--listen", offsetof(struct server_options, listen_given)},
		{"--cert", offsetof(struct server_options, cert_given)},
		{"--key", offsetof(struct server_options, key_given)},
		{"--client-ca", offsetof(struct server_options, client_ca_given)},
		{"--threads", offsetof(struct server_options, threads_given)},
		{"--http2", offsetof(struct server_options, http2_given)},
	};
	for (size_t i = 0; flag != NULL && i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strcmp(flags[i].flag, flag) == 0)
			return *(const bool *)((const char *)o + flags[i].at);
	return false;
}

/*
 * The keys read only at start (the "restart" rows of cfgkeys.c): a reload
 * that changes one is logged, listed in /readyz (restartNeeded) and flagged
 * by admitd_config_restart_required, while /readyz stays 200 (a 503 would
 * pull every replica at once when a ConfigMap change rolls out).
 */
static void server_restart_check(const struct admitd_config *cfg)
{
	char json[sizeof(server.restart_needed)] = "[", text[sizeof(server.restart_needed)] = "";
	size_t nj = 1, nt = 0, n = 0;
	for (size_t i = 0; i < cfgkeys_count; i++) {
		const struct cfgkey *k = &cfgkeys_table[i];
		if (k->live || server_flag_given(server.opt, k->flag) ||
		    cfgkeys_equal(i, cfg, server.started))
			continue;
		nj += (size_t)snprintf(json + nj, sizeof(json) - nj, "%s\"%s\"", n ? "," : "",
				       k->path);
		nt += (size_t)snprintf(text + nt, sizeof(text) - nt, "%s%s", n ? ", " : "",
				       k->path);
		n++;
	}
	snprintf(json + nj, sizeof(json) - nj, "]");
	pthread_mutex_lock(&server.lock);
	snprintf(server.restart_needed, sizeof(server.restart_needed), "%s", json);
	pthread_mutex_unlock(&server.lock);
	metrics_config_restart_required(n > 0);
	if (n > 0)
		log_warnx("configuration reload: %s changed; %s only at start: restart admitd to "
			  "apply %s (the other keys are applied now)",
			  text, n == 1 ? "it is read" : "they are read", n == 1 ? "it" : "them");
}

static void server_reload_config(struct server_watch *w, bool force)
{
	const char *path = server.opt->config_path;
	if (path == NULL) {
		if (force)
			log_info("reload: no --config file, the built-in configuration stays");
		return;
	}
	struct tls_stamp st;
	if (tls_stamp_file(path, &st) < 0) {
		if (force)
			log_warnx("reload: cannot read %s, keeping the current configuration",
				  path);
		return;
	}
	if (!force && w->have_cfg && tls_stamp_equal(&st, &w->cfg))
		return;
	w->cfg = st;
	w->have_cfg = true;
	struct yamlconf_errors errs = {0};
	struct admitd_config *cfg = config_load_file(path, &errs);
	if (cfg == NULL) {
		log_warnx("configuration reload refused (%zu error%s), still serving checksum %s",
			  errs.count, errs.count == 1 ? "" : "s", server.cfg->checksum);
		for (size_t i = 0; i < errs.count; i++)
			log_warnx("  %s", errs.lines[i]);
		yamlconf_errors_free(&errs);
		metrics_config_reload(false);
		return;
	}
	metrics_config_reload(true);
	atomic_store(&server.max_connections, cfg->server.max_connections);
	server_restart_check(cfg);
	if (server.opt->force_dry_run)
		cfg->mode = ADMITD_MODE_DRY_RUN; /* --dry-run outlives reloads */
	log_info("configuration reloaded from %s (checksum %s)%s", path, cfg->checksum,
		 force ? " on SIGHUP" : " after the file changed");
	char *notes[16];
	size_t nnotes = config_notes(cfg, notes, 16);
	for (size_t i = 0; i < nnotes; i++) {
		log_warnx("%s: %s", path, notes[i]);
		free(notes[i]);
	}
	server_publish_config(cfg);
}

/* ---- entry point ---- */

/*
 * Initialises and starts nthreads event loops. Returns how many were
 * initialised (to dispose of), and sets *ok when all of them run.
 */
static unsigned server_start_threads(struct server_thread *threads, unsigned nthreads, bool *ok)
{
	char why[512];
	*ok = false;
	unsigned inited = 0;
	for (; inited < nthreads; inited++) {
		if (server_thread_init(&threads[inited], inited, why, sizeof(why)) < 0) {
			log_warnx("%s", why);
			/* a failed init leaves what it made for server_thread_dispose */
			return inited + 1;
		}
	}
	unsigned started = 0;
	for (; started < nthreads; started++) {
		int e = pthread_create(&threads[started].tid, NULL, server_thread_main,
				       &threads[started]);
		if (e != 0) {
			log_warnx("cannot start server thread %u of %u: %s", started + 1, nthreads,
				  strerror(e));
			break;
		}
	}
	if (started < nthreads) {
		/* the ones running stop at their next loop turn */
		atomic_store(&server.stopping, true);
		for (unsigned i = 0; i < started; i++)
			pthread_join(threads[i].tid, NULL);
		return inited;
	}
	*ok = true;
	return inited;
}

/*
 * The main thread's loop: signals, and a look at the certificate and
 * configuration files every second, until SIGTERM or SIGINT (after
 * --shutdown-delay-ms of serving while not ready, when set).
 */
static void server_watch_loop(const sigset_t *sigs)
{
	const struct server_options *opt = server.opt;
	struct server_watch watch = {0};
	tls_stamp_file(opt->cert, &watch.cert);
	tls_stamp_file(opt->key, &watch.key);
	if (opt->config_path != NULL && tls_stamp_file(opt->config_path, &watch.cfg) == 0)
		watch.have_cfg = true;
	for (;;) {
		struct timespec tick = {.tv_sec = 1};
		int sig = sigtimedwait(sigs, NULL, &tick);
		if (sig == SIGTERM || sig == SIGINT) {
			const char *name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
			if (opt->shutdown_delay_ms > 0 && !atomic_load(&server.draining)) {
				/* keep serving while the endpoint is removed from the Service;
				 * /readyz answers 503 meanwhile. A second signal ends it. */
				log_info("%s: not ready, serving for %u ms more before stopping",
					 name, opt->shutdown_delay_ms);
				atomic_store(&server.draining, true);
				uint64_t until = server_now_ms() + opt->shutdown_delay_ms;
				for (uint64_t now; (now = server_now_ms()) < until;) {
					uint64_t left = until - now;
					struct timespec d = {.tv_sec = (time_t)(left / 1000),
							     .tv_nsec =
								     (long)(left % 1000) * 1000000};
					int again = sigtimedwait(sigs, NULL, &d);
					if (again == SIGTERM || again == SIGINT)
						break;
					if (again == SIGHUP)
						server_reload_config(&watch, true);
				}
			}
			log_info("%s: finishing requests in flight, then exiting", name);
			return;
		}
		server_reload_config(&watch, sig == SIGHUP);
		server_reload_tls(&watch, false);
	}
}

int server_run(const struct server_options *opt, struct admitd_config *cfg)
{
	char why[512];
	int status = 1;
	unsigned nthreads = opt->threads, inited = 0;
	struct server_thread *threads = NULL;

	memset(&server, 0, sizeof(server));
	pthread_mutex_init(&server.lock, NULL);
	server.opt = opt;
	server.cfg = config_ref(cfg);
	atomic_store(&server.max_connections, cfg->server.max_connections);
	server.started = cfg;
	if (nthreads == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = n > 0 ? (unsigned)n : 1;
	}
	if (server_resolve(opt->listen, &server.addr, &server.addrlen) < 0) {
		log_warnx("cannot resolve listen address \"%s\" (want ADDR:PORT)", opt->listen);
		goto out;
	}
	SSL_CTX *ssl =
		tls_context_new(opt->cert, opt->key, opt->client_ca, opt->http2, why, sizeof(why));
	if (ssl == NULL) {
		log_warnx("%s", why);
		goto out;
	}
	server_publish_ssl(ssl);

	signal(SIGPIPE, SIG_IGN); /* h2o writes with writev and leaves SIGPIPE alone */
	jsonarena_install();
	workload_init();
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	if (server_port_free() < 0) {
		log_warnx("cannot listen on %s: %s", opt->listen,
			  errno == EADDRINUSE
				  ? "address in use (another admitd, or another server?)"
				  : strerror(errno));
		goto out_tls;
	}
	threads = calloc(nthreads, sizeof(*threads));
	if (threads == NULL)
		goto out_tls;
	bool running;
	oci_observe(metrics_registry_request); /* before any worker asks a registry */
	if (sigwork_start(SERVER_SIG_WORKERS) < 0)
		log_warnx("cannot start the image-signature workers: %s", strerror(errno));
	inited = server_start_threads(threads, nthreads, &running);
	if (running) {
		atomic_store(&server.ready, true);
		log_info("listening on https://%s (%u thread%s, %s, config %s checksum %s)",
			 opt->listen, nthreads, nthreads == 1 ? "" : "s",
			 opt->http2 ? "HTTP/1.1 and HTTP/2" : "HTTP/1.1", cfg->source,
			 cfg->checksum);
		server_watch_loop(&sigs);
		atomic_store(&server.stopping, true);
		for (unsigned i = 0; i < nthreads; i++)
			pthread_join(threads[i].tid, NULL);
		status = 0;
		log_info("stopped");
	}
	/* before the loops' queues go: a worker may still hand a job back */
	sigwork_stop();
	for (unsigned i = 0; i < inited; i++) {
		if (threads[i].listener != NULL)
			h2o_socket_close(threads[i].listener);
		if (threads[i].metrics_listener != NULL)
			h2o_socket_close(threads[i].metrics_listener);
		server_thread_dispose(&threads[i]);
	}
	free(threads);
out_tls:
	server_publish_ssl(NULL);
out:
	config_unref(server.cfg);
	server.cfg = NULL;
	return status;
}
