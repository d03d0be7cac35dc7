/*
 * decision: the decision log, one JSON line per judged request, in any
 * mode: when, who, what, the verdict and every violation. Policies never
 * put a Secret's or env var's value into a message, so neither does this.
 */
#ifndef ADMITD_DECISION_H
#define ADMITD_DECISION_H

#include "config.h"
#include "engine.h"

/* "-" or NULL: stderr; "off": no log; anything else: a file, appended to. */
int decision_log_open(const char *where);
void decision_log_close(void);

/* One line for one decision. uid may be NULL (audit). Thread-safe: one write(2) per line. */
void decision_log_write(const char *uid, const struct engine_input *in,
			const struct engine_verdict *v, const struct admitd_config *cfg);

#endif
