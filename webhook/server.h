/*
 * server: the HTTPS front of admitd on h2o's event loop: one loop per
 * thread, each with its own listener on a port no other process shares, handlers registered by
 * path, certificate and configuration reload without a restart.
 */
#ifndef ADMITD_SERVER_H
#define ADMITD_SERVER_H

#include <stdbool.h>

#include "config.h"

struct server_options {
	const char *listen; /* ADDR:PORT, [ADDR]:PORT or :PORT */
	const char *cert;
	const char *key;
	const char *client_ca;   /* require client certificates signed by this CA; NULL: none */
	const char *config_path; /* NULL: built-in default (reload re-reads nothing) */
	unsigned threads;        /* 0: one per core */
	bool http2;
	unsigned shutdown_grace_ms;
	unsigned shutdown_delay_ms; /* after SIGTERM, keep serving (not ready) this long */
	bool force_dry_run;         /* --dry-run: dry-run whatever a reloaded file says */
	const char *metrics_listen; /* plain-HTTP /metrics port, NULL for none */
	/* set by a command-line flag: the configuration's key is not used, and
	 * a reload that changes it needs no restart */
	bool listen_given, cert_given, key_given, client_ca_given, threads_given, http2_given;
};

/*
 * Runs until SIGTERM or SIGINT. Takes its own reference to cfg.
 * Returns the process exit status.
 */
int server_run(const struct server_options *opt, struct admitd_config *cfg);

#endif
