/*
 * image: container image references, normalized the way the container
 * runtime resolves them, and the patterns that registries lists and image
 * exemptions are written in.
 *
 *   nginx                      -> docker.io/library/nginx, tag none
 *   acme/app:1.2               -> docker.io/acme/app, tag 1.2
 *   Registry.Corp.Example/x@sha256:... -> host registry.corp.example, digest
 *   localhost:5000/x:dev       -> host localhost:5000, path x, tag dev
 */
#ifndef ADMITD_IMAGE_H
#define ADMITD_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "../webhook/arena.h"

struct image_ref {
	const char *host;   /* lower-cased registry host[:port], "docker.io" by default */
	const char *path;   /* repository path after the host, e.g. "library/nginx" */
	const char *tag;    /* NULL when none */
	const char *digest; /* "sha256:<64 hex>", NULL when none */
};

/* Returns 0, or -1 when ref is not a valid image reference. Strings live in the arena. */
int image_parse(struct arena *a, const char *ref, struct image_ref *out);

enum image_pattern_kind {
	IMAGE_PATTERN_REGISTRY, /* "host[:port][/path-prefix]": the first component is the host */
	IMAGE_PATTERN_IMAGE, /* an image reference, normalized like one: "nginx", "ghcr.io/acme/x:1"
			      */
};

struct image_pattern {
	char *host;
	char *path;   /* "" matches every path under the host */
	char *tag;    /* IMAGE only: NULL matches any tag */
	char *digest; /* IMAGE only: NULL matches any digest */
	enum image_pattern_kind kind;
};

/* Compiles a pattern at configuration load. Returns 0, or -1 with a reason in err. */
int image_pattern_compile(const char *text, enum image_pattern_kind kind, struct image_pattern *out,
			  char *err, size_t errlen);
/* Whole-component match: "ghcr.io/acme" matches ghcr.io/acme/x, not ghcr.io/acme-evil/x. */
bool image_pattern_match(const struct image_pattern *p, const struct image_ref *ref);
void image_pattern_free(struct image_pattern *p);

#endif
