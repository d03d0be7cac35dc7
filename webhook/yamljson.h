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
#include <stdio.h>

#include <jansson.h>

struct yamljson_error {
	int line;   /* 1-based, 0 when unknown */
	int column; /* 1-based, 0 when unknown */
	char text[200];
};

/* Keys that merge keys (`<<`) may copy in one document: a bound on expansion. */
#define YAMLJSON_MAX_MERGED 100000

/* Nesting deeper than this is refused, like deep JSON. */
#define YAMLJSON_MAX_DEPTH 100

/*
 * Parses every document of a (multi-document) YAML stream. Returns a new
 * JSON array with one element per non-empty document, or NULL with *err
 * filled in. Duplicate mapping keys are an error.
 */
json_t *yamljson_load(const char *buf, size_t len, struct yamljson_error *err);

/*
 * Reading a stream one object at a time, for inputs of any size: each
 * document, and each item of a List document (kubectl get -o yaml|json)
 * as it is read, so that memory holds one item, not the List. JSON is
 * read by the same parser (JSON is YAML's flow syntax).
 */
struct yamljson_stream;

/* Reads from f (not closed here). NULL when out of memory. */
struct yamljson_stream *yamljson_stream_open(FILE *f);
void yamljson_stream_close(struct yamljson_stream *s);
/*
 * From now on, note where named list items begin in each object handed
 * out: yamljson_stream_positions() then maps "LIST/NAME" (the key of the
 * list, the item's name: "containers/web", "volumes/data") to a 1-based
 * line, for the last object until the next call. Reports point at a
 * container this way, not only at its object.
 */
void yamljson_stream_track(struct yamljson_stream *s);
const json_t *yamljson_stream_positions(const struct yamljson_stream *s);
/*
 * The next object. Returns 1 with *obj (a new reference), *line (1-based,
 * where it begins) and *list_kind (the kind of the List it came from when
 * that is known so far, e.g. "PodList"; NULL for a document; valid until
 * the next call); 0 at the end; -1 on an error (*err), after which the
 * stream stays at its end: what came before it was handed out already.
 */
int yamljson_stream_next(struct yamljson_stream *s, json_t **obj, int *line, const char **list_kind,
			 struct yamljson_error *err);

#endif
