#include "jsonarena.h"

#include <stdlib.h>

#include <jansson.h>

static __thread struct arena *jsonarena_current;

static void *jsonarena_malloc(size_t n)
{
	struct arena *a = jsonarena_current;
	return a != NULL ? arena_alloc(a, n) : malloc(n);
}

static void jsonarena_free(void *p)
{
	/* arena memory is released by arena_reset; the rest is malloc's */
	if (p != NULL && !(jsonarena_current != NULL && arena_owns(jsonarena_current, p)))
		free(p);
}

void jsonarena_install(void)
{
	json_set_alloc_funcs(jsonarena_malloc, jsonarena_free);
}

void jsonarena_begin(struct arena *a)
{
	jsonarena_current = a;
}

void jsonarena_end(void)
{
	jsonarena_current = NULL;
}

bool jsonarena_active(void)
{
	return jsonarena_current != NULL;
}
