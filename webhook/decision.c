/*
 * decision.c: each line is built whole and written under log.c's lock,
 * looping over short writes, so lines from different threads never
 * interleave, whatever their size and whether the log is a file or a pipe.
 */
#include "decision.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int decision_fd = -1;
static int decision_own_fd;

int decision_log_open(const char *where)
{
	decision_log_close();
	if (where == NULL || strcmp(where, "-") == 0) {
		decision_fd = STDERR_FILENO;
		return 0;
	}
	if (strcmp(where, "off") == 0)
		return 0;
	decision_fd = open(where, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (decision_fd < 0) {
		log_warnx("decision log %s: %s", where, strerror(errno));
		return -1;
	}
	decision_own_fd = 1;
	return 0;
}

void decision_log_close(void)
{
	if (decision_own_fd && decision_fd >= 0)
		close(decision_fd);
	decision_fd = -1;
	decision_own_fd = 0;
}

static json_t *decision_str(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

void decision_log_write(const char *uid, const struct engine_input *in,
			const struct engine_verdict *v, const struct admitd_config *cfg)
{
	if (decision_fd < 0)
		return;
	char stamp[40];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + n, sizeof(stamp) - n, ".%06ldZ", ts.tv_nsec / 1000);

	/* every constructor is checked: a decision that cannot be logged whole is logged as
	 * a line that says so, never as a line that silently lacks a violation */
	json_t *viol = json_array();
	bool whole = viol != NULL;
	for (const struct violation *x = v->violations; x != NULL && whole; x = x->next) {
		json_t *e = json_pack("{s:s,s:s,s:o,s:s,s:b}", "policy", x->policy->id, "action",
				      policy_action_name(x->action), "container",
				      x->container ? json_string(x->container->name) : json_null(),
				      "message", x->message, "preexisting", x->preexisting);
		whole = e != NULL && json_array_append_new(viol, e) == 0;
	}
	json_t *line = json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:b,s:s,s:o*}", "time", stamp, "uid",
				 decision_str(uid), "operation", decision_str(in->operation),
				 "kind", decision_str(in->kind), "namespace",
				 decision_str(in->namespace), "name", decision_str(in->name),
				 "user", decision_str(in->username), "allowed", v->allowed, "mode",
				 cfg->mode == ADMITD_MODE_DRY_RUN ? "dry-run" : "enforce",
				 "violations", whole ? viol : NULL);
	if (!whole)
		json_decref(viol);
	if (line == NULL) {
		static const char oom[] =
			"{\"error\":\"out of memory while logging a decision\"}\n";
		log_write_whole(decision_fd, oom, sizeof(oom) - 1);
		return;
	}
	if (!whole)
		json_object_set_new(line, "error",
				    json_string("out of memory: violations not logged"));
	else if (v->error != NULL)
		json_object_set_new(line, "error", json_string(v->error));
	if (v->exemptions != NULL) {
		json_t *ex = json_array();
		for (const struct engine_exemption *e = v->exemptions; e != NULL && ex != NULL;
		     e = e->next)
			if (json_array_append_new(
				    ex,
				    json_pack("{s:o,s:s}", "policy",
					      e->policy ? json_string(e->policy->id) : json_null(),
					      "reason", e->reason)) != 0) {
				json_decref(ex);
				ex = NULL;
			}
		json_object_set_new(line, "exemptions",
				    ex != NULL ? ex : json_string("out of memory: not logged"));
	}
	/* plain malloc: json_dumps would allocate from the request arena */
	size_t len = json_dumpb(line, NULL, 0, JSON_COMPACT);
	char *text = len > 0 ? malloc(len + 1) : NULL;
	if (text != NULL) {
		len = json_dumpb(line, text, len, JSON_COMPACT);
		text[len] = '\n';
		/* a full disk must not fail the admission request */
		(void)log_write_whole(decision_fd, text, len + 1);
		free(text);
	}
	json_decref(line);
}
