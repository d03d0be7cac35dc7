#include "arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 64 KiB holds a typical 5 KB review's parsed tree, violations and
 * answer in the one chunk that arena_reset keeps: no malloc per request. */
#define ARENA_CHUNK_SIZE (64 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t size;
	size_t used;
	alignas(max_align_t) unsigned char data[];
};

void arena_init(struct arena *a)
{
	a->head = NULL;
	a->total = 0;
}

static struct arena_chunk *arena_chunk_new(size_t want)
{
	size_t size = want > ARENA_CHUNK_SIZE ? want : ARENA_CHUNK_SIZE;
	if (size > SIZE_MAX - sizeof(struct arena_chunk))
		return NULL; /* the header would wrap the size around */
	struct arena_chunk *c = malloc(sizeof(*c) + size);
	if (c == NULL)
		return NULL;
	c->next = NULL;
	c->size = size;
	c->used = 0;
	return c;
}

void *arena_alloc(struct arena *a, size_t n)
{
	const size_t align = alignof(max_align_t);
	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - align)
		return NULL;
	n = (n + align - 1) & ~(align - 1);
	struct arena_chunk *c = a->head;
	if (c == NULL || c->size - c->used < n) {
		struct arena_chunk *fresh = arena_chunk_new(n);
		if (fresh == NULL)
			return NULL;
		fresh->next = c;
		a->head = c = fresh;
	}
	void *p = c->data + c->used;
	c->used += n;
	a->total += n;
	return p;
}

void *arena_calloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);
	if (p != NULL)
		memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	int n = vsnprintf(NULL, 0, fmt, ap);
	char *p = NULL;
	if (n >= 0 && (p = arena_alloc(a, (size_t)n + 1)) != NULL)
		vsnprintf(p, (size_t)n + 1, fmt, again);
	va_end(again);
	return p;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

bool arena_owns(const struct arena *a, const void *p)
{
	const unsigned char *q = p;
	for (const struct arena_chunk *c = a->head; c != NULL; c = c->next)
		if (q >= c->data && q < c->data + c->size)
			return true;
	return false;
}

void arena_reset(struct arena *a)
{
	struct arena_chunk *c = a->head;
	if (c == NULL)
		return;
	/* keep the oldest chunk (the standard-size one), free the others */
	while (c->next != NULL) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	c->used = 0;
	a->head = c;
	a->total = 0;
}

void arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head;
	while (c != NULL) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->total = 0;
}
