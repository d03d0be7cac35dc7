/*
 * jsonarena: jansson's allocations for one request come from that
 * request's arena. Parsing a review makes hundreds of small allocations;
 * from the arena they cost a pointer bump, and freeing the whole tree
 * costs nothing: the arena is reset when the request ends.
 *
 * jansson takes one global pair of allocation functions; ours consult a
 * thread-local arena, so other threads and other uses (audit, config)
 * keep plain malloc. Nothing jansson allocates inside a request may
 * outlive it.
 */
#ifndef ADMITD_JSONARENA_H
#define ADMITD_JSONARENA_H

#include <stdbool.h>

#include "arena.h"

/* Installs the allocation functions; call once, before any thread uses jansson. */
void jsonarena_install(void);
/* From now on, this thread's jansson allocations come from a. */
void jsonarena_begin(struct arena *a);
/* Back to malloc; then arena_reset(a) frees everything at once. */
void jsonarena_end(void);
/* Whether this thread's jansson values live in an arena (then never json_decref them). */
bool jsonarena_active(void);

#endif
