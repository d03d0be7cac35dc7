/*
 * image.c: container image references, parsed and normalized the way the
 * container runtime resolves them (the docker/containerd reference
 * grammar), and the one image-pattern syntax configurations use.
 *
 * Forbids: nothing by itself; it is the one place that decides which
 * registry an image really comes from, so that allowed-registries and
 * image exemptions cannot be fooled by spelling ("Docker.IO/nginx",
 * "index.docker.io/library/nginx" and "nginx" are the same image).
 * Reads:   an image string (a container's `image`) or a pattern from the
 *          configuration.
 *
 * Grammar (github.com/distribution/reference):
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ host [ ":" port ] "/" ] path-component { "/" path-component }
 *   path-component := [a-z0-9]+ { ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ }
 *   tag       := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
 *   digest    := algorithm ":" hex
 */
#include "image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMAGE_DEFAULT_HOST "docker.io"
/* docker refuses longer names; a longer one cannot be pulled, so it cannot be trusted either */
#define IMAGE_NAME_MAX 255
#define IMAGE_TAG_MAX  128

/* The pieces of a reference, pointing into the text; nothing is copied yet. */
struct image_span {
	const char *host; /* NULL: the default registry */
	size_t host_len;
	const char *path;
	size_t path_len;
	bool library;     /* docker.io/NAME means docker.io/library/NAME */
	bool hub_written; /* the text named Docker Hub's host itself ("docker.io/...") */
	const char *tag;  /* NULL when none */
	size_t tag_len;
	const char *digest; /* NULL when none */
	size_t digest_len;
};

/* Locale-free on purpose: a locale must never change what an image reference means. */
static bool image_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool image_alnum(char c)
{
	return image_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool image_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static char image_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* One path component; NULL when valid, else why not. */
static const char *image_path_component(const char *s, size_t n)
{
	size_t i = 0;
	if (n == 0)
		return "has an empty path component (a leading, trailing or doubled '/')";
	for (;;) {
		size_t start = i;
		while (i < n && image_lower_alnum(s[i]))
			i++;
		if (i == start) {
			if (i < n && s[i] >= 'A' && s[i] <= 'Z')
				return "has an upper-case letter in the repository path; "
				       "repository names are lower-case";
			if (i < n && (s[i] == '.' || s[i] == '_' || s[i] == '-'))
				return "has a path component that starts or ends with a separator, "
				       "or a doubled '.'";
			return i < n ? "has a character that is not allowed in a repository path"
				     : "has a path component that ends with a separator";
		}
		if (i == n)
			return NULL;
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i++;
			if (i < n && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else if (s[i] >= 'A' && s[i] <= 'Z') {
			return "has an upper-case letter in the repository path; "
			       "repository names are lower-case";
		} else {
			return "has a character that is not allowed in a repository path";
		}
	}
}

static const char *image_path(const char *s, size_t n)
{
	if (n == 0)
		return "has no repository path";
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '/') {
			const char *why = image_path_component(s + start, i - start);
			if (why != NULL)
				return why;
			start = i + 1;
		}
	}
	return NULL;
}

/* host := domain-name | IPv4 | "[" IPv6 "]", then an optional ":port". */
static const char *image_host(const char *s, size_t n)
{
	size_t i = 0;
	if (n == 0)
		return "has an empty registry host";
	if (s[0] == '[') {
		i = 1;
		while (i < n && (image_hex(s[i]) || s[i] == ':' || s[i] == '.'))
			i++;
		if (i == 1 || i >= n || s[i] != ']')
			return "has a malformed bracketed IPv6 registry host";
		i++;
	} else {
		/* dot-separated labels of letters, digits and inner hyphens */
		for (;;) {
			size_t start = i;
			while (i < n && (image_alnum(s[i]) || s[i] == '-'))
				i++;
			if (i == start || s[start] == '-' || s[i - 1] == '-')
				return "has a malformed registry host (each dot-separated label is "
				       "letters, digits and inner hyphens)";
			if (i < n && s[i] == '.') {
				i++;
				continue;
			}
			break;
		}
	}
	if (i == n)
		return NULL;
	if (s[i] != ':')
		return "has a character that is not allowed in a registry host";
	i++;
	size_t digits = n - i;
	unsigned long port = 0;
	if (digits == 0 || digits > 5)
		return "has a registry port that is not a number from 1 to 65535";
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return "has a registry port that is not a number from 1 to 65535";
		port = port * 10 + (unsigned long)(s[i] - '0');
	}
	if (port == 0 || port > 65535)
		return "has a registry port that is not a number from 1 to 65535";
	return NULL;
}

static const char *image_tag(const char *s, size_t n)
{
	if (n == 0)
		return "has an empty tag after ':'";
	if (n > IMAGE_TAG_MAX)
		return "has a tag longer than 128 characters";
	if (!(image_alnum(s[0]) || s[0] == '_'))
		return "has a tag that does not start with a letter, digit or '_'";
	for (size_t i = 1; i < n; i++)
		if (!(image_alnum(s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return "has a character that is not allowed in a tag "
			       "(letters, digits, '_', '.', '-')";
	return NULL;
}

/*
 * sha256 and sha512 are the algorithms registries and runtimes verify, so
 * they are held to their exact form; others are accepted as the grammar
 * allows (a runtime that does not know one refuses to pull).
 */
static const char *image_digest(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	if (colon == NULL)
		return "has a digest without an algorithm (expected sha256:<64 hex digits>)";
	size_t alen = (size_t)(colon - s);
	const char *hex = colon + 1;
	size_t hlen = n - alen - 1;
	size_t want = 0;
	if (alen == 6 && memcmp(s, "sha256", 6) == 0)
		want = 64;
	else if (alen == 6 && memcmp(s, "sha512", 6) == 0)
		want = 128;
	if (want != 0) {
		if (hlen != want)
			return "has a digest of the wrong length (sha256 needs 64 hex digits, "
			       "sha512 128)";
		for (size_t i = 0; i < hlen; i++)
			if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
				return "has a digest that is not lower-case hexadecimal";
		return NULL;
	}
	/* algorithm := [A-Za-z][A-Za-z0-9]* { [+._-] [A-Za-z][A-Za-z0-9]* } */
	size_t i = 0;
	for (;;) {
		if (i >= alen || !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
			return "has a malformed digest algorithm";
		while (i < alen && image_alnum(s[i]))
			i++;
		if (i == alen)
			break;
		if (s[i] != '+' && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return "has a malformed digest algorithm";
		i++;
	}
	if (hlen < 32)
		return "has a digest shorter than 32 hex digits";
	for (size_t k = 0; k < hlen; k++)
		if (!image_hex(hex[k]))
			return "has a digest that is not hexadecimal";
	return NULL;
}

/*
 * The runtime's rule, which decides where an image is pulled from: the
 * first component names a registry only when it looks like a host.
 */
static bool image_looks_like_host(const char *s, size_t n)
{
	return memchr(s, '.', n) != NULL || memchr(s, ':', n) != NULL ||
	       (n == 9 && memcmp(s, "localhost", 9) == 0);
}

static bool image_host_is(const char *s, size_t n, const char *want)
{
	if (n != strlen(want))
		return false;
	for (size_t i = 0; i < n; i++)
		if (image_lower(s[i]) != image_lower(want[i]))
			return false;
	return true;
}

/* Splits and validates; NULL on success, else why the reference is invalid. */
static const char *image_split(const char *ref, struct image_span *sp)
{
	memset(sp, 0, sizeof(*sp));
	if (ref == NULL || ref[0] == '\0')
		return "is empty";
	size_t len = strlen(ref);

	/* docker refuses a bare image ID: it would be read as docker.io/library/<hex> */
	if (len == 64) {
		size_t k = 0;
		while (k < 64 &&
		       ((ref[k] >= '0' && ref[k] <= '9') || (ref[k] >= 'a' && ref[k] <= 'f')))
			k++;
		if (k == 64)
			return "is a 64-digit image ID, not a reference (use name@sha256:<digest>)";
	}

	size_t name_len = len;
	const char *at = strchr(ref, '@');
	if (at != NULL) {
		sp->digest = at + 1;
		sp->digest_len = len - (size_t)(at + 1 - ref);
		if (sp->digest_len == 0)
			return "has an empty digest after '@'";
		const char *why = image_digest(sp->digest, sp->digest_len);
		if (why != NULL)
			return why;
		name_len = (size_t)(at - ref);
	}

	/* a ':' after the last '/' starts the tag; one before it is a host's port */
	const char *slash = NULL;
	for (size_t i = 0; i < name_len; i++)
		if (ref[i] == '/')
			slash = ref + i;
	const char *from = slash != NULL ? slash + 1 : ref;
	const char *colon = memchr(from, ':', name_len - (size_t)(from - ref));
	if (colon != NULL) {
		sp->tag = colon + 1;
		sp->tag_len = name_len - (size_t)(colon + 1 - ref);
		const char *why = image_tag(sp->tag, sp->tag_len);
		if (why != NULL)
			return why;
		name_len = (size_t)(colon - ref);
	}
	if (name_len == 0)
		return "has no repository name";
	if (name_len > IMAGE_NAME_MAX)
		return "has a name longer than 255 characters";

	const char *first = memchr(ref, '/', name_len);
	if (first != NULL && image_looks_like_host(ref, (size_t)(first - ref))) {
		sp->host = ref;
		sp->host_len = (size_t)(first - ref);
		const char *why = image_host(sp->host, sp->host_len);
		if (why != NULL)
			return why;
		sp->path = first + 1;
		sp->path_len = name_len - sp->host_len - 1;
	} else {
		sp->path = ref;
		sp->path_len = name_len;
	}
	const char *why = image_path(sp->path, sp->path_len);
	if (why != NULL)
		return why;

	/* Docker Hub's legacy name is the same registry; official images live under library/ */
	if (sp->host != NULL && (image_host_is(sp->host, sp->host_len, "index.docker.io") ||
				 image_host_is(sp->host, sp->host_len, IMAGE_DEFAULT_HOST))) {
		sp->host = NULL;
		sp->hub_written = true;
	}
	sp->library = sp->host == NULL && memchr(sp->path, '/', sp->path_len) == NULL;
	/* the bound holds for the normalized name too, so a normalized reference
	 * always parses again (found by fuzz_image: "a"*255 became
	 * docker.io/library/a... of 273 characters) */
	size_t normalized = (sp->host != NULL ? sp->host_len : strlen(IMAGE_DEFAULT_HOST)) + 1 +
			    (sp->library ? strlen("library/") : 0) + sp->path_len;
	if (normalized > IMAGE_NAME_MAX)
		return "has a name longer than 255 characters once normalized";
	return NULL;
}

static void image_lower_in_place(char *s)
{
	for (; *s != '\0'; s++)
		*s = image_lower(*s);
}

int image_parse(struct arena *a, const char *ref, struct image_ref *out)
{
	struct image_span sp;
	memset(out, 0, sizeof(*out));
	if (image_split(ref, &sp) != NULL)
		return -1;
	char *host = sp.host != NULL ? arena_strndup(a, sp.host, sp.host_len) : NULL;
	if (host != NULL)
		image_lower_in_place(host);
	out->host = sp.host != NULL ? host : IMAGE_DEFAULT_HOST;
	out->path = sp.library ? arena_printf(a, "library/%.*s", (int)sp.path_len, sp.path)
			       : arena_strndup(a, sp.path, sp.path_len);
	out->tag = sp.tag != NULL ? arena_strndup(a, sp.tag, sp.tag_len) : NULL;
	out->digest = sp.digest != NULL ? arena_strndup(a, sp.digest, sp.digest_len) : NULL;
	if (out->host == NULL || out->path == NULL || (sp.tag != NULL && out->tag == NULL) ||
	    (sp.digest != NULL && out->digest == NULL)) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

const char *image_host_check(const char *text)
{
	return image_host(text, strlen(text));
}

int image_registry_host(const char *text, char *out, size_t outlen, char *why, size_t whylen)
{
	size_t n = strlen(text);
	const char *bad = image_host(text, n);
	/* otherwise no image names it: "corp/app" is docker.io/corp/app */
	if (bad == NULL && !image_looks_like_host(text, n))
		bad = "is not a registry host in an image reference (NAME/app is "
		      "docker.io/NAME/app): a host has a '.' or a ':port', or is localhost";
	const char *host = image_host_is(text, n, "index.docker.io") ? IMAGE_DEFAULT_HOST : text;
	if (bad == NULL && strlen(host) >= outlen)
		bad = "is too long for a registry host";
	if (bad != NULL) {
		snprintf(why, whylen, "%s", bad);
		return -1;
	}
	snprintf(out, outlen, "%s", host);
	image_lower_in_place(out);
	return 0;
}

static char *image_xstrndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/*
 * Image patterns. One syntax for every key that names images, read the way
 * the runtime reads the same text, so that an entry means the images it
 * looks like:
 *
 *   - a tag or a digest makes an entry one image: "ubuntu:20.14" is
 *     docker.io/library/ubuntu with tag 20.14 (and any digest: the runtime
 *     pulls a digest when there is one, so pin it in the entry to allow one
 *     build); "x@sha256:..." is that digest, whatever the tag;
 *   - without either it is a prefix on whole components: "ghcr.io/acme"
 *     covers ghcr.io/acme and ghcr.io/acme/x, never ghcr.io/acme-evil;
 *     "nginx" covers docker.io/library/nginx and below it;
 *   - a trailing slash-star is Gatekeeper's spelling of the same prefix;
 *     no other wildcard exists, so '*', '?' and '[' elsewhere are refused
 *     (a glob like "*.corp.example" would otherwise read as a repository);
 *   - with a '/' (a trailing slash-star counts), the first component is a
 *     host by the runtime's rule: it has a '.' or a ':', or is localhost;
 *   - without one, a name with a '.' or that is "localhost" (with an
 *     optional :port), or a bracketed IPv6 address, is a registry alone:
 *     as an image "registry.corp.example" would be Docker Hub's
 *     library/registry.corp.example, which nobody writes on purpose. A ':'
 *     alone does not make a host here, since "node:20" is an image with a
 *     tag; a registry without a '.' is written "kind-registry:5000" and
 *     slash-star.
 *
 * Docker Hub's one-name rule ("nginx" is library/nginx) is the runtime's
 * for a whole name, so it applies to "nginx", not to "nginx" followed by
 * slash-star, which is the namespace docker.io/nginx/... . "docker.io/acme"
 * with the host written is read both ways: allowed-registries has always
 * read it as the namespace acme, exemptions as the official image acme,
 * and neither reading may stop matching what it matched.
 */

/* the one wildcard: a trailing slash-star */
static bool image_pattern_below(const char *text, size_t len)
{
	return len >= 2 && text[len - 1] == '*' && text[len - 2] == '/';
}

/* 0, or the 1-based position of a glob character other than the trailing slash-star. */
static size_t image_pattern_glob_at(const char *text, size_t len)
{
	size_t n = image_pattern_below(text, len) ? len - 1 : len;
	for (size_t i = 0; i < n; i++)
		if (text[i] == '*' || text[i] == '?' || (text[i] == '[' && i > 0))
			return i + 1;
	return 0;
}

/*
 * Without a '/': does the entry name a registry rather than a Docker Hub
 * image? Before a slash-star it is a first component, and the runtime's
 * rule says ("kind-registry:5000" then slash-star is a host); alone, a
 * ':' may start a tag ("node:20"), so only a '.' or "localhost" makes it
 * a host.
 */
static bool image_pattern_registry_alone(const char *s, size_t n, bool below)
{
	if (memchr(s, '/', n) != NULL)
		return false;
	if (below)
		return image_looks_like_host(s, n);
	if (n > 0 && s[0] == '[')
		return true;
	size_t name = 0;
	while (name < n && s[name] != ':' && s[name] != '@')
		name++;
	return memchr(s, '.', name) != NULL || (name == 9 && memcmp(s, "localhost", 9) == 0);
}

/* Fills out from text; NULL on success, else why text is not a pattern. */
static const char *image_pattern_read(const char *text, struct image_pattern *out)
{
	size_t len = strlen(text);
	bool below = image_pattern_below(text, len);
	size_t n = below ? len - 2 : len;
	if (n == 0)
		return "has nothing before the '/*'";
	if (text[n - 1] == '/')
		return "ends with '/'; write the registry or path without it, or end it with '/*'";
	char *body = image_xstrndup(text, n);
	if (body == NULL)
		return "could not be read: out of memory";
	const char *why = NULL;
	struct image_span sp;
	memset(&sp, 0, sizeof(sp));
	if (image_pattern_registry_alone(body, n, below)) {
		if (strchr(body, '@') != NULL) {
			why = "names a registry with a digest; a digest belongs to an image "
			      "(host/path@sha256:...)";
			goto done;
		}
		why = image_host(body, n);
		if (why != NULL)
			goto done;
		sp.host = body;
		sp.host_len = n;
		sp.path = "";
		if (image_host_is(body, n, "index.docker.io") ||
		    image_host_is(body, n, IMAGE_DEFAULT_HOST))
			sp.host = NULL;
	} else {
		why = image_split(body, &sp);
		if (why != NULL)
			goto done;
		if (below && (sp.tag != NULL || sp.digest != NULL)) {
			why = "has a tag or digest before '/*'; a prefix names repositories, "
			      "an image with a tag or digest names one";
			goto done;
		}
		bool prefix = sp.tag == NULL && sp.digest == NULL;
		/* "nginx/" then '*' is the namespace nginx, not library/nginx */
		if (below)
			sp.library = false;
		/* both readings of "docker.io/NAME" (see above) */
		if (prefix && sp.library && sp.hub_written) {
			sp.library = false;
			out->official_too = true;
		}
		/*
		 * "kind-registry:5000" alone is an image with a tag by the
		 * runtime's rule, but allowed-registries has always read it as
		 * a registry with a port: it keeps matching that registry too,
		 * so that no entry stops allowing what it allowed.
		 */
		if (!below && sp.library && sp.tag != NULL && sp.digest == NULL &&
		    sp.tag_len <= 5 && strspn(sp.tag, "0123456789") >= sp.tag_len &&
		    image_host(body, n) == NULL) {
			out->registry_too = image_xstrndup(body, n);
			if (out->registry_too == NULL) {
				why = "could not be read: out of memory";
				goto done;
			}
			image_lower_in_place(out->registry_too);
		}
	}
	out->host = sp.host != NULL
			    ? image_xstrndup(sp.host, sp.host_len)
			    : image_xstrndup(IMAGE_DEFAULT_HOST, strlen(IMAGE_DEFAULT_HOST));
	if (sp.library) {
		out->path = malloc(sp.path_len + sizeof("library/"));
		if (out->path != NULL)
			snprintf(out->path, sp.path_len + sizeof("library/"), "library/%.*s",
				 (int)sp.path_len, sp.path);
	} else {
		out->path = image_xstrndup(sp.path, sp.path_len);
	}
	if (sp.tag != NULL)
		out->tag = image_xstrndup(sp.tag, sp.tag_len);
	if (sp.digest != NULL)
		out->digest = image_xstrndup(sp.digest, sp.digest_len);
	if (out->host == NULL || out->path == NULL || (sp.tag != NULL && out->tag == NULL) ||
	    (sp.digest != NULL && out->digest == NULL)) {
		why = "could not be read: out of memory";
		goto done;
	}
	image_lower_in_place(out->host);
done:
	free(body);
	return why;
}

int image_pattern_compile(const char *text, struct image_pattern *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (text == NULL || text[0] == '\0') {
		snprintf(err, errlen, "an empty pattern matches nothing");
		return -1;
	}
	size_t at = image_pattern_glob_at(text, strlen(text));
	if (at != 0) {
		snprintf(err, errlen,
			 "not an image pattern: it has '%c' at character %zu; the only wildcard "
			 "is a trailing '/*' (ghcr.io/acme/* is ghcr.io/acme and every image "
			 "below it)",
			 text[at - 1], at);
		return -1;
	}
	const char *why = image_pattern_read(text, out);
	if (why != NULL) {
		image_pattern_free(out);
		snprintf(err, errlen, "not an image pattern: it %s", why);
		return -1;
	}
	return 0;
}

/* whole components only: "acme" must not cover "acme-evil" */
static bool image_path_under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	return n == 0 || (strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/'));
}

bool image_pattern_match(const struct image_pattern *p, const struct image_ref *ref)
{
	if (p == NULL || ref == NULL || p->host == NULL || p->path == NULL || ref->host == NULL ||
	    ref->path == NULL)
		return false;
	if (p->registry_too != NULL && image_host_is(ref->host, strlen(ref->host), p->registry_too))
		return true;
	if (!image_host_is(ref->host, strlen(ref->host), p->host))
		return false;
	if (p->tag == NULL && p->digest == NULL)
		return image_path_under(ref->path, p->path) ||
		       (p->official_too && strncmp(ref->path, "library/", 8) == 0 &&
			image_path_under(ref->path + 8, p->path));
	if (strcmp(p->path, ref->path) != 0)
		return false;
	if (p->tag != NULL) {
		/* the runtime pulls :latest when neither tag nor digest is given */
		const char *tag = ref->tag;
		if (tag == NULL && ref->digest == NULL)
			tag = "latest";
		if (tag == NULL || strcmp(p->tag, tag) != 0)
			return false;
	}
	if (p->digest != NULL && (ref->digest == NULL || strcmp(p->digest, ref->digest) != 0))
		return false;
	return true;
}

void image_pattern_free(struct image_pattern *p)
{
	if (p == NULL)
		return;
	free(p->host);
	free(p->path);
	free(p->tag);
	free(p->digest);
	free(p->registry_too);
	memset(p, 0, sizeof(*p));
}
