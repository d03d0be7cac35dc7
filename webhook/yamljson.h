/*
 * yamljson: YAML documents (kubectl -o yaml, manifests, fixtures) turned
 * into jansson values, so that YAML input is judged by exactly the same
 * code as the JSON the apiserver sends. Parsing is libyaml's; this file
 * only builds values and resolves plain scalars the way Kubernetes'
 * YAML reader (YAML 1.1 rules) does.
 */
#ifndef ADMITD_YAMLJSON_H
#define ADMITD_YAMLJSON_H

#include <stddef.h>

#include <jansson.h>

struct yamljson_error {
	int line;   /* 1-based, 0 when unknown */
	int column; /* 1-based, 0 when unknown */
	char text[200];
};

/* Nesting deeper than this is refused, like deep JSON. */
#define YAMLJSON_MAX_DEPTH 100

/*
 * Parses every document of a (multi-document) YAML stream. Returns a new
 * JSON array with one element per non-empty document, or NULL with *err
 * filled in. Duplicate mapping keys are an error.
 */
json_t *yamljson_load(const char *buf, size_t len, struct yamljson_error *err);

#endif
