/*
 * test_image: image references are normalized the way the container
 * runtime resolves them, invalid ones are refused without crashing, and
 * image patterns (one syntax: a prefix, or one image with a tag or digest)
 * match whole components only.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../policies/image.h"

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define E64 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static struct arena test_arena;

static int setup(void **state)
{
	(void)state;
	arena_init(&test_arena);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	arena_free(&test_arena);
	return 0;
}

static void check_parse(const char *ref, const char *host, const char *path, const char *tag,
			const char *digest)
{
	struct image_ref r;
	if (image_parse(&test_arena, ref, &r) != 0)
		fail_msg("\"%s\" should parse", ref);
	if (strcmp(r.host, host) != 0 || strcmp(r.path, path) != 0)
		fail_msg("\"%s\": got %s / %s, want %s / %s", ref, r.host, r.path, host, path);
	if (tag == NULL)
		assert_null(r.tag);
	else
		assert_string_equal(r.tag, tag);
	if (digest == NULL)
		assert_null(r.digest);
	else
		assert_string_equal(r.digest, digest);
}

static void check_invalid(const char *ref)
{
	struct image_ref r;
	if (image_parse(&test_arena, ref, &r) != -1)
		fail_msg("\"%s\" should be refused, got %s / %s", ref, r.host, r.path);
}

static void test_docker_hub_defaults(void **state)
{
	(void)state;
	check_parse("nginx", "docker.io", "library/nginx", NULL, NULL);
	check_parse("nginx:1.25", "docker.io", "library/nginx", "1.25", NULL);
	check_parse("acme/app:1.2", "docker.io", "acme/app", "1.2", NULL);
	check_parse("docker.io/nginx", "docker.io", "library/nginx", NULL, NULL);
	check_parse("docker.io/library/nginx:latest", "docker.io", "library/nginx", "latest", NULL);
	check_parse("index.docker.io/library/nginx", "docker.io", "library/nginx", NULL, NULL);
	check_parse("index.docker.io/nginx", "docker.io", "library/nginx", NULL, NULL);
	check_parse("Docker.IO/acme/app", "docker.io", "acme/app", NULL, NULL);
	check_parse("a/b/c/d", "docker.io", "a/b/c/d", NULL, NULL);
	/* a single name with a ':' is a tag, never a host */
	check_parse("localhost:5000", "docker.io", "library/localhost", "5000", NULL);
	check_parse("ghcr.io", "docker.io", "library/ghcr.io", NULL, NULL);
}

static void test_hosts(void **state)
{
	(void)state;
	check_parse("Registry.Corp.Example/x@sha256:" D64, "registry.corp.example", "x", NULL,
		    "sha256:" D64);
	check_parse("localhost:5000/x:dev", "localhost:5000", "x", "dev", NULL);
	check_parse("localhost/x", "localhost", "x", NULL, NULL);
	check_parse("LOCALHOST:5000/x", "localhost:5000", "x", NULL, NULL);
	check_parse("INDEX.Docker.IO/nginx:1", "docker.io", "library/nginx", "1", NULL);
	check_parse("registry.corp.example:443/team/app", "registry.corp.example:443", "team/app",
		    NULL, NULL);
	check_parse("127.0.0.1:5000/a/b:1", "127.0.0.1:5000", "a/b", "1", NULL);
	check_parse("[::1]:5000/a", "[::1]:5000", "a", NULL, NULL);
	check_parse("[fe80::1]/a:v", "[fe80::1]", "a", "v", NULL);
	check_parse("my-registry.io/a", "my-registry.io", "a", NULL, NULL);
	check_parse("quay.io/prometheus/node-exporter:v1.8.0", "quay.io",
		    "prometheus/node-exporter", "v1.8.0", NULL);
	/* no '.', no ':', not localhost: the first component is a Docker Hub namespace */
	check_parse("corp/app", "docker.io", "corp/app", NULL, NULL);
}

static void test_tags_and_digests(void **state)
{
	(void)state;
	check_parse("ghcr.io/acme/app:v1@sha256:" D64, "ghcr.io", "acme/app", "v1", "sha256:" D64);
	check_parse("nginx@sha256:" D64, "docker.io", "library/nginx", NULL, "sha256:" D64);
	check_parse("nginx@sha512:" D64 D64, "docker.io", "library/nginx", NULL, "sha512:" D64 D64);
	check_parse("x:_tag", "docker.io", "library/x", "_tag", NULL);
	check_parse("x:Tag.v1-2_rc", "docker.io", "library/x", "Tag.v1-2_rc", NULL);
	check_parse("my-app_x__y/a--b---c.z", "docker.io", "my-app_x__y/a--b---c.z", NULL, NULL);
	/* a "." in the first component makes it a host, and a host has no "_" */
	check_invalid("my_app.z/a");
	/* an unregistered algorithm is accepted as the grammar allows */
	check_parse("x@multihash+base58:" D64, "docker.io", "library/x", NULL,
		    "multihash+base58:" D64);

	char ref[300];
	memset(ref, 0, sizeof(ref));
	strcpy(ref, "x:");
	memset(ref + 2, 'a', 128);
	struct image_ref r;
	assert_int_equal(image_parse(&test_arena, ref, &r), 0);
	assert_int_equal(strlen(r.tag), 128);
	ref[2 + 128] = 'a';
	check_invalid(ref); /* 129 characters */
}

static void test_invalid_references(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		" nginx",
		"nginx ",
		"ngi nx",
		"nginx\t",
		"nginx\n",
		"Nginx",
		"acme/App",
		"ghcr.io/Acme/app",
		"LocalHost/x",
		"nginx:",
		"nginx@",
		"nginx:tag with space",
		"nginx:-tag",
		"nginx:.tag",
		"nginx:1:2",
		"nginx:t@g",
		".nginx",
		"nginx.",
		"-nginx",
		"nginx-",
		"_nginx",
		"a..b",
		"a___b",
		"a/.b",
		"a//b",
		"/nginx",
		"nginx/",
		"ghcr.io/",
		"ghcr.io//x",
		"ghcr.io/x/",
		"ghcr.io/../x",
		"../x",
		"a/../b",
		"nginx@sha256:abc",
		"nginx@sha256:" D64 "0",
		"nginx@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
		"nginx@md5",
		"nginx@:" D64,
		"nginx@1sha:" D64,
		"nginx@sha256:" D64 "@sha256:" D64,
		"nginx@x:abc",
		"localhost:99999/x",
		"localhost:0/x",
		"localhost:/x",
		"localhost:12a/x",
		"-host.io/x",
		"host-.io/x",
		"ex..com/x",
		".example.com/x",
		"example.com./x",
		"ho_st.io/x",
		"[::1/x",
		"[]/x",
		"[::1]x/y",
		"https://ghcr.io/x",
		"ghcr.io/acme/app:v1@",
		"@sha256:" D64,
		":tag",
		D64,
		"caf\xc3\xa9/x",
		"x/caf\xc3\xa9",
		"nginx:caf\xc3\xa9",
		"*",
		"ghcr.io/acme/*",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check_invalid(bad[i]);
	check_invalid(NULL);

	/* a name of 256 characters is too long; 255 is fine; and the bound holds
	 * once normalized: docker.io/library/ plus 237 is 255 */
	char name[400];
	memset(name, 0, sizeof(name));
	memset(name, 'a', 237);
	struct image_ref r;
	assert_int_equal(image_parse(&test_arena, name, &r), 0);
	name[237] = 'a';
	check_invalid(name);
	memset(name, 0, sizeof(name));
	memcpy(name, "registry.example/", 17);
	memset(name + 17, 'a', 255 - 17);
	assert_int_equal(image_parse(&test_arena, name, &r), 0);
	name[255] = 'a';
	check_invalid(name);
	/* the digest is not part of the name's length */
	memset(name, 0, sizeof(name));
	memset(name, 'a', 200);
	strcat(name, "@sha256:" D64);
	assert_int_equal(image_parse(&test_arena, name, &r), 0);
}

/* Every prefix and every single-byte change of a valid reference: refused or parsed, never a crash.
 */
static void test_never_crashes(void **state)
{
	(void)state;
	const char *seed = "Registry.Corp.Example:5000/team/app_x.y-z:v1.2@sha256:" D64;
	size_t n = strlen(seed);
	char buf[256];
	struct image_ref r;
	for (size_t len = 0; len <= n; len++) {
		memcpy(buf, seed, len);
		buf[len] = '\0';
		(void)image_parse(&test_arena, buf, &r);
	}
	static const char subst[] = {'/', ':', '@', '.', '_',    '-',
				     '[', ']', 'A', ' ', '\x7f', '\xff'};
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < sizeof(subst); k++) {
			memcpy(buf, seed, n + 1);
			buf[i] = subst[k];
			if (image_parse(&test_arena, buf, &r) == 0) {
				assert_non_null(r.host);
				assert_non_null(r.path);
			}
		}
	}
	srand(42);
	for (int t = 0; t < 20000; t++) {
		size_t len = (size_t)(rand() % 80);
		for (size_t i = 0; i < len; i++)
			buf[i] = "ab0.:/@_-A[]sh256"[rand() % 17];
		buf[len] = '\0';
		(void)image_parse(&test_arena, buf, &r);
		if (t % 1000 == 0)
			arena_reset(&test_arena);
	}
}

static bool matches(const char *pattern, const char *ref)
{
	struct image_pattern p;
	char err[256];
	if (image_pattern_compile(pattern, &p, err, sizeof(err)) != 0)
		fail_msg("pattern \"%s\" should compile: %s", pattern, err);
	struct image_ref r;
	if (image_parse(&test_arena, ref, &r) != 0)
		fail_msg("\"%s\" should parse", ref);
	bool m = image_pattern_match(&p, &r);
	image_pattern_free(&p);
	return m;
}

static void test_registry_patterns_match_whole_components(void **state)
{
	(void)state;
	assert_true(matches("registry.corp.example", "registry.corp.example/x"));
	assert_true(matches("registry.corp.example", "Registry.Corp.Example/x/y:1"));
	assert_true(matches("Registry.CORP.example", "registry.corp.example/x"));
	assert_false(matches("registry.corp.example", "registry.corp.example.evil.io/x"));
	assert_false(matches("registry.corp.example", "evilregistry.corp.example/x"));
	assert_false(matches("registry.corp.example", "registry.corp.example:5000/x"));
	assert_false(matches("registry.corp.example", "evil.io/registry.corp.example/x"));
	/* no host: a Docker Hub repository whose name looks like the registry */
	assert_false(matches("registry.corp.example", "registry.corp.example"));

	assert_true(matches("ghcr.io/acme", "ghcr.io/acme/x"));
	assert_true(matches("ghcr.io/acme", "ghcr.io/acme/x/y:1@sha256:" D64));
	assert_true(matches("ghcr.io/acme", "ghcr.io/acme"));
	assert_true(matches("GHCR.IO/acme", "ghcr.io/acme/x"));
	assert_false(matches("ghcr.io/acme", "ghcr.io/acme-evil/x"));
	assert_false(matches("ghcr.io/acme", "ghcr.io/acmex"));
	assert_false(matches("ghcr.io/acme", "ghcr.io/other/acme"));
	assert_false(matches("ghcr.io/acme/team", "ghcr.io/acme/x"));

	assert_true(matches("localhost:5000", "localhost:5000/x"));
	assert_false(matches("localhost:5000", "localhost/x"));
	assert_false(matches("localhost:5000", "localhost:5001/x"));
	assert_false(matches("localhost", "localhost:5000/x"));
	assert_true(matches("[::1]:5000", "[::1]:5000/x"));

	assert_true(matches("docker.io", "nginx"));
	assert_true(matches("docker.io", "acme/x"));
	assert_true(matches("docker.io", "index.docker.io/acme/x"));
	assert_true(matches("index.docker.io", "nginx"));
	assert_true(matches("docker.io/library", "nginx:1"));
	assert_false(matches("docker.io/library", "acme/x"));
	assert_true(matches("docker.io/acme", "acme/x"));
	assert_false(matches("docker.io", "ghcr.io/acme/x"));
	assert_false(matches("ghcr.io", "nginx"));
}

static void test_image_patterns(void **state)
{
	(void)state;
	assert_true(matches("nginx", "nginx"));
	assert_true(matches("nginx", "nginx:1.25"));
	assert_true(matches("nginx", "docker.io/library/nginx@sha256:" D64));
	assert_true(matches("nginx", "index.docker.io/library/nginx:1"));
	assert_true(matches("docker.io/library/nginx", "nginx"));
	assert_false(matches("nginx", "acme/nginx"));
	assert_false(matches("nginx", "nginx-evil"));
	assert_false(matches("nginx", "ghcr.io/nginx"));

	assert_true(matches("nginx:1.25", "nginx:1.25"));
	assert_true(matches("nginx:1.25", "nginx:1.25@sha256:" D64));
	assert_false(matches("nginx:1.25", "nginx:1.26"));
	assert_false(matches("nginx:1.25", "nginx"));
	assert_false(matches("nginx:1.25", "nginx@sha256:" D64));
	/* no tag and no digest is what the runtime pulls as :latest */
	assert_true(matches("nginx:latest", "nginx"));
	assert_true(matches("nginx:latest", "nginx:latest"));
	assert_false(matches("nginx:latest", "nginx@sha256:" D64));

	assert_true(matches("nginx@sha256:" D64, "nginx@sha256:" D64));
	assert_true(matches("nginx@sha256:" D64, "nginx:1@sha256:" D64));
	assert_false(matches("nginx@sha256:" D64, "nginx@sha256:" E64));
	assert_false(matches("nginx@sha256:" D64, "nginx:1"));

	assert_true(matches("Registry.Corp.Example:5000/tools/debug",
			    "registry.corp.example:5000/tools/debug:7"));
	assert_false(matches("registry.corp.example/tools/debug",
			     "registry.corp.example.evil.io/tools/debug"));
	assert_false(matches("ghcr.io/acme/app", "ghcr.io/acme/app-evil"));
}

/* The widening the one syntax brings to exemptions: an entry without a tag covers what is below. */
static void test_untagged_image_covers_repositories_below_it(void **state)
{
	(void)state;
	assert_true(matches("nginx", "library/nginx/sub"));
	assert_true(matches("nginx", "docker.io/library/nginx/sub/deeper:1"));
	assert_true(matches("registry.corp.example/tools/debug",
			    "registry.corp.example/tools/debug/sub"));
	assert_true(matches("registry.corp.example/platform",
			    "registry.corp.example/platform/agent:2"));
	assert_false(matches("registry.corp.example/platform",
			     "registry.corp.example/platform-evil/agent"));
	assert_false(
		matches("registry.corp.example/platform", "registry.corp.example/other/platform"));
	assert_false(matches("nginx", "library/nginx-evil/sub"));
	/* a tag or a digest names one repository: nothing below it */
	assert_false(matches("nginx:1.25", "library/nginx/sub:1.25"));
	assert_false(matches("nginx@sha256:" D64, "library/nginx/sub@sha256:" D64));
}

static void test_trailing_slash_star_is_the_prefix(void **state)
{
	(void)state;
	assert_true(matches("safeimages.com/*", "safeimages.com/x:1"));
	assert_true(matches("safeimages.com/*", "safeimages.com/a/b@sha256:" D64));
	assert_false(matches("safeimages.com/*", "safeimages.com.evil.io/x"));
	assert_false(matches("safeimages.com/*", "evil.io/safeimages.com/x"));
	assert_true(matches("ghcr.io/acme/*", "ghcr.io/acme/x"));
	assert_true(matches("ghcr.io/acme/*", "ghcr.io/acme"));
	assert_false(matches("ghcr.io/acme/*", "ghcr.io/acme-evil/x"));
	assert_false(matches("ghcr.io/acme/*", "ghcr.io/other/x"));
	assert_true(matches("docker.io/*", "nginx"));
	assert_true(matches("index.docker.io/*", "acme/x"));
	assert_false(matches("docker.io/*", "ghcr.io/acme/x"));
	/* before a slash-star, a ':' makes a host, as in an image: the runtime's rule */
	assert_true(matches("kind-registry:5000/*", "kind-registry:5000/app:1"));
	assert_false(matches("kind-registry:5000/*", "kind-registry:5001/app"));
	assert_true(matches("localhost/*", "localhost/x"));

	/* Gatekeeper's "openpolicyagent/" "*" is the Docker Hub namespace, not library/ */
	assert_true(matches("openpolicyagent/*", "openpolicyagent/gatekeeper:v3.14.0"));
	assert_true(matches("openpolicyagent/*", "docker.io/openpolicyagent/opa"));
	assert_false(matches("openpolicyagent/*", "openpolicyagent"));
	assert_false(matches("openpolicyagent/*", "openpolicyagent-evil/opa"));
	assert_true(matches("docker.io/acme/*", "acme/x"));
	assert_false(matches("docker.io/acme/*", "acme"));
	assert_true(matches("library/*", "nginx:1"));
	assert_false(matches("library/*", "acme/x"));
}

static void test_tagged_or_digested_pattern_is_one_image(void **state)
{
	(void)state;
	assert_true(matches("ubuntu:20.14", "ubuntu:20.14"));
	assert_true(matches("ubuntu:20.14", "docker.io/library/ubuntu:20.14"));
	assert_true(matches("ubuntu:20.14", "ubuntu:20.14@sha256:" D64));
	assert_false(matches("ubuntu:20.14", "ubuntu:22.04"));
	assert_false(matches("ubuntu:20.14", "ubuntu"));
	assert_false(matches("ubuntu:20.14", "ubuntu@sha256:" D64));
	assert_false(matches("ubuntu:20.14", "acme/ubuntu:20.14"));
	/*
	 * without a '/', "name:digits" is the image with that tag, and also the
	 * registry with that port (its reading before one syntax; see
	 * test_name_with_a_port_alone_keeps_its_registry_reading)
	 */
	assert_true(matches("node:20", "node:20"));
	assert_true(matches("node:20", "node:20/app"));
	assert_false(matches("node:20", "node:21"));
	/* a tag on a path with a host */
	assert_true(matches("ghcr.io/acme:1", "ghcr.io/acme:1"));
	assert_false(matches("ghcr.io/acme:1", "ghcr.io/acme/x:1"));
	assert_true(matches("ghcr.io/acme/app@sha256:" D64, "ghcr.io/acme/app:9@sha256:" D64));
	assert_false(matches("ghcr.io/acme/app@sha256:" D64, "ghcr.io/acme/app/x@sha256:" D64));
	/* the runtime's reading of a written Docker Hub host */
	assert_true(matches("docker.io/nginx:1.25", "nginx:1.25"));
	assert_false(matches("docker.io/nginx:1.25", "nginx/x:1.25"));
}

/*
 * "docker.io/acme" was the namespace acme to allowed-registries and the
 * official image acme to exemptions: it keeps matching both.
 */
static void test_docker_hub_name_with_host_reads_both_ways(void **state)
{
	(void)state;
	assert_true(matches("docker.io/acme", "acme/x"));
	assert_true(matches("docker.io/acme", "acme"));
	assert_true(matches("docker.io/nginx", "nginx:1.25"));
	assert_true(matches("index.docker.io/nginx", "library/nginx/sub"));
	assert_false(matches("docker.io/acme", "acme-evil/x"));
	assert_false(matches("docker.io/acme", "acme-evil"));
	assert_false(matches("docker.io/acme", "library/acme-evil"));
	assert_false(matches("docker.io/acme", "other/acme"));
	assert_false(matches("docker.io/acme", "ghcr.io/acme/x"));
	/* without the host, the runtime's rule alone: the official image */
	assert_false(matches("nginx", "nginx/nginx-ingress"));
}

/* "kind-registry:5000" alone: allowed-registries read it as a registry, and still does */
static void test_name_with_a_port_alone_keeps_its_registry_reading(void **state)
{
	(void)state;
	assert_true(matches("kind-registry:5000", "kind-registry:5000/app:1"));
	assert_true(matches("kind-registry:5000", "kind-registry:5000/team/app"));
	assert_true(matches("kind-registry:5000", "kind-registry:5000"));
	assert_false(matches("kind-registry:5000", "kind-registry:5001/app"));
	assert_false(matches("kind-registry:5000", "kind-registry:50000/app"));
	assert_false(matches("kind-registry:5000", "kind-registry/app"));
	/* and as the runtime reads it, the image with that tag */
	assert_true(matches("node:20", "docker.io/library/node:20"));
	assert_false(matches("node:20", "node:21"));
	/* a tag that is no port has only the image reading */
	assert_false(matches("node:20-alpine", "node/x"));
	assert_false(matches("ubuntu:20.14", "ubuntu/x"));
}

static void test_hosts_are_whole_and_not_aliased(void **state)
{
	(void)state;
	assert_false(matches("docker.io", "docker.io.evil.com/library/nginx"));
	assert_false(matches("docker.io/library", "docker.io.evil.com/library/nginx"));
	assert_false(matches("nginx", "docker.io.evil.com/library/nginx"));
	assert_false(matches("docker.io/*", "docker.io.evil.com/x"));
	assert_false(matches("docker.io", "evildocker.io/x"));
	/* the runtime rewrites only docker.io and index.docker.io: another name is another registry
	 */
	assert_false(matches("docker.io", "registry-1.docker.io/library/nginx"));
	assert_false(matches("nginx", "registry-1.docker.io/library/nginx"));
	assert_true(matches("registry-1.docker.io", "registry-1.docker.io/library/nginx"));
	assert_false(matches("registry-1.docker.io", "nginx"));
	assert_true(matches("LOCALHOST:5000/*", "localhost:5000/x"));
}

/* A configured registry's host is the host image_parse gives the images pulled from it. */
static void check_registry_host(const char *text, const char *want)
{
	char out[300], why[256] = "";
	if (image_registry_host(text, out, sizeof(out), why, sizeof(why)) != 0)
		fail_msg("registry host \"%s\" refused: %s", text, why);
	assert_string_equal(out, want);
	/* and an image from it says so */
	char ref[320];
	struct image_ref r;
	snprintf(ref, sizeof(ref), "%s/team/app:1", text);
	assert_int_equal(image_parse(&test_arena, ref, &r), 0);
	assert_string_equal(r.host, want);
}

static void check_bad_registry_host(const char *text, const char *expect)
{
	char out[300], why[256] = "";
	if (image_registry_host(text, out, sizeof(out), why, sizeof(why)) != -1)
		fail_msg("registry host \"%s\" should be refused", text);
	if (strstr(why, expect) == NULL)
		fail_msg("registry host \"%s\": expected \"%s\" in \"%s\"", text, expect, why);
}

static void test_registry_hosts_are_what_image_references_name(void **state)
{
	(void)state;
	check_registry_host("Registry.Corp.Example", "registry.corp.example");
	check_registry_host("registry.corp.example:5000", "registry.corp.example:5000");
	check_registry_host("127.0.0.1:5000", "127.0.0.1:5000");
	check_registry_host("[::1]:5000", "[::1]:5000");
	check_registry_host("localhost", "localhost");
	check_registry_host("docker.io", "docker.io");
	check_registry_host("INDEX.docker.io", "docker.io");
	check_bad_registry_host("corp", "NAME/app is docker.io/NAME/app");
	check_bad_registry_host("registry.corp.example:99999", "port");
	check_bad_registry_host("registry..example", "malformed registry host");
	check_bad_registry_host("ghcr.io/acme", "not allowed in a registry host");
	check_bad_registry_host("", "empty");
	char out[8], why[128];
	assert_int_equal(
		image_registry_host("registry.corp.example", out, sizeof(out), why, sizeof(why)),
		-1);
	/* a host that is not a registry's (a token realm, a CDN) needs no '.' */
	assert_null(image_host_check("auth"));
	assert_null(image_host_check("Auth.Corp.Example:8443"));
	assert_non_null(image_host_check("auth.corp.example/token"));
}

static void check_bad_pattern(const char *text, const char *expect)
{
	struct image_pattern p;
	char err[256] = "";
	if (image_pattern_compile(text, &p, err, sizeof(err)) != -1)
		fail_msg("pattern \"%s\" should be refused", text ? text : "(null)");
	if (expect != NULL && strstr(err, expect) == NULL)
		fail_msg("pattern \"%s\": expected \"%s\" in \"%s\"", text ? text : "(null)",
			 expect, err);
	assert_null(p.host);
	assert_null(p.path);
	image_pattern_free(&p); /* harmless on a refused pattern */
}

static void test_bad_patterns(void **state)
{
	(void)state;
	check_bad_pattern("", "empty");
	check_bad_pattern(NULL, "empty");
	check_bad_pattern("ghcr.io/", "ends with '/'");
	check_bad_pattern("ghcr.io/Acme", "upper-case");
	check_bad_pattern("ghcr.io//x", NULL);
	check_bad_pattern("https://ghcr.io", NULL);
	check_bad_pattern("ghcr.io:99999", "port");
	check_bad_pattern("registry.corp.example:v1", "port");
	check_bad_pattern(" ghcr.io", NULL);
	check_bad_pattern("Nginx", "upper-case");
	check_bad_pattern("nginx:", "tag");
	check_bad_pattern("nginx@sha256:abc", "digest");
	check_bad_pattern("ghcr.io@sha256:" D64, "a digest belongs to an image");
	check_bad_pattern("ghcr.io/acme:1/*", "tag or digest before '/*'");
	check_bad_pattern("/*", "nothing before");
}

/* A glob is refused where it stands, so that nobody believes it matches. */
static void test_wildcards_other_than_a_trailing_slash_star_are_refused(void **state)
{
	(void)state;
	check_bad_pattern("*", "'*' at character 1");
	check_bad_pattern("*.corp.example", "'*' at character 1");
	check_bad_pattern("ghcr.io/*/app", "'*' at character 9");
	check_bad_pattern("ghcr.io/**", "'*' at character 9");
	check_bad_pattern("ghcr.io/acme*", "'*' at character 13");
	check_bad_pattern("ghcr.io/acme/app:1.*", "'*' at character 20");
	check_bad_pattern("ghcr.io/acme?", "'?' at character 13");
	check_bad_pattern("ghcr.io/ac[mn]e", "'[' at character 11");
	check_bad_pattern("ghcr.io/acme/*/*", "'*' at character 14");
	check_bad_pattern("ghcr.io/a*", "the only wildcard is a trailing '/*'");
}

static void test_pattern_fields(void **state)
{
	(void)state;
	struct image_pattern p;
	char err[256];
	assert_int_equal(image_pattern_compile("GHCR.io/acme", &p, err, sizeof(err)), 0);
	assert_string_equal(p.host, "ghcr.io");
	assert_string_equal(p.path, "acme");
	assert_null(p.tag);
	assert_null(p.digest);
	assert_false(p.official_too);
	image_pattern_free(&p);
	assert_null(p.host);
	image_pattern_free(&p); /* twice is harmless */

	assert_int_equal(image_pattern_compile("registry.corp.example", &p, err, sizeof(err)), 0);
	assert_string_equal(p.path, "");
	image_pattern_free(&p);

	assert_int_equal(image_pattern_compile("nginx:1@sha256:" D64, &p, err, sizeof(err)), 0);
	assert_string_equal(p.host, "docker.io");
	assert_string_equal(p.path, "library/nginx");
	assert_string_equal(p.tag, "1");
	assert_string_equal(p.digest, "sha256:" D64);
	image_pattern_free(&p);

	assert_int_equal(image_pattern_compile("nginx", &p, err, sizeof(err)), 0);
	assert_string_equal(p.path, "library/nginx");
	assert_false(p.official_too);
	image_pattern_free(&p);
	assert_int_equal(image_pattern_compile("docker.io/acme", &p, err, sizeof(err)), 0);
	assert_string_equal(p.path, "acme");
	assert_true(p.official_too);
	image_pattern_free(&p);
	assert_int_equal(image_pattern_compile("Index.Docker.IO/*", &p, err, sizeof(err)), 0);
	assert_string_equal(p.host, "docker.io");
	assert_string_equal(p.path, "");
	image_pattern_free(&p);

	/* a NULL pattern or reference matches nothing */
	struct image_ref r;
	assert_int_equal(image_parse(&test_arena, "nginx", &r), 0);
	assert_false(image_pattern_match(NULL, &r));
	assert_int_equal(image_pattern_compile("nginx", &p, err, sizeof(err)), 0);
	assert_false(image_pattern_match(&p, NULL));
	image_pattern_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker_hub_defaults),
		cmocka_unit_test(test_hosts),
		cmocka_unit_test(test_tags_and_digests),
		cmocka_unit_test(test_invalid_references),
		cmocka_unit_test(test_never_crashes),
		cmocka_unit_test(test_registry_patterns_match_whole_components),
		cmocka_unit_test(test_image_patterns),
		cmocka_unit_test(test_untagged_image_covers_repositories_below_it),
		cmocka_unit_test(test_trailing_slash_star_is_the_prefix),
		cmocka_unit_test(test_tagged_or_digested_pattern_is_one_image),
		cmocka_unit_test(test_docker_hub_name_with_host_reads_both_ways),
		cmocka_unit_test(test_name_with_a_port_alone_keeps_its_registry_reading),
		cmocka_unit_test(test_hosts_are_whole_and_not_aliased),
		cmocka_unit_test(test_registry_hosts_are_what_image_references_name),
		cmocka_unit_test(test_bad_patterns),
		cmocka_unit_test(test_wildcards_other_than_a_trailing_slash_star_are_refused),
		cmocka_unit_test(test_pattern_fields),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
