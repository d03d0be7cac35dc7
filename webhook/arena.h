/*
 * arena: a per-request bump allocator. Everything a request produces
 * (the pod view, violations, messages) lives here and is released at once
 * by arena_reset(), so the request path never frees piece by piece and
 * never leaks on an early return.
 */
#ifndef ADMITD_ARENA_H
#define ADMITD_ARENA_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *head; /* newest chunk first */
	size_t total;             /* bytes handed out since the last reset */
};

void arena_init(struct arena *a);
/* Returns NULL only when malloc fails. Memory is aligned for any type. */
void *arena_alloc(struct arena *a, size_t n);
void *arena_calloc(struct arena *a, size_t n);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);
/* Whether p points into memory this arena handed out. */
bool arena_owns(const struct arena *a, const void *p);
/* Keeps the first chunk for the next request; frees the rest. */
void arena_reset(struct arena *a);
void arena_free(struct arena *a);

#endif
