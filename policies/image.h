/*
 * image: container image references, normalized the way the container
 * runtime resolves them, and the one pattern syntax that registries lists
 * and image exemptions are written in.
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

/*
 * A registry host as image references write it: a domain name, IPv4 or
 * [IPv6], then an optional ":port". NULL, or why not, to follow the text
 * in a message ("has a malformed registry host ...").
 */
const char *image_host_check(const char *text);
/*
 * The same, for the host of a registry images are pulled from: it must
 * also be read as a host by the runtime's rule (a '.', a ':port', or
 * localhost), and it is written into out as image_ref.host names it:
 * lower-cased, Docker Hub's index.docker.io as docker.io. Returns 0, or
 * -1 with why.
 */
int image_registry_host(const char *text, char *out, size_t outlen, char *why, size_t whylen);

/*
 * An image pattern: the one syntax of every configuration key that names
 * images (allowed-registries' `registries`, every `exemptions.images`).
 * Without a tag or digest it is a prefix on whole components, with one it
 * is that image:
 *
 *   registry.corp.example          every image from that registry
 *   ghcr.io/acme                   ghcr.io/acme and every repository below it
 *   nginx                          docker.io/library/nginx and below it
 *   ubuntu:20.14                   docker.io/library/ubuntu, tag 20.14
 *   ghcr.io/acme/app@sha256:...    that digest
 *
 * A trailing slash-star (Gatekeeper's spelling) is accepted for a prefix.
 * image.c says how each entry is read, and why.
 */
struct image_pattern {
	char *host;         /* lower-cased, "docker.io" for Docker Hub */
	char *path;         /* normalized; "" (a prefix) covers the whole registry */
	char *tag;          /* NULL: any tag; with no digest either, path is a prefix */
	char *digest;       /* NULL: any digest */
	bool official_too;  /* "docker.io/NAME": also docker.io/library/NAME and below */
	char *registry_too; /* "name:port" alone: also that registry (its old reading) */
};

/* Compiles a pattern at configuration load. Returns 0, or -1 with a reason in err. */
int image_pattern_compile(const char *text, struct image_pattern *out, char *err, size_t errlen);
/*
 * A prefix matches on whole components: "ghcr.io/acme" matches
 * ghcr.io/acme/x, not ghcr.io/acme-evil/x. A pattern with a tag or digest
 * matches that repository only, with that tag or digest.
 */
bool image_pattern_match(const struct image_pattern *p, const struct image_ref *ref);
void image_pattern_free(struct image_pattern *p);

#endif
