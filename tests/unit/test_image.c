/*
 * test_image: image references are normalized the way the container
 * runtime resolves them, invalid ones are refused without crashing, and
 * registry / image patterns match whole components only.
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
	static const char subst[] = { '/', ':', '@', '.', '_',    '-',
				      '[', ']', 'A', ' ', '\x7f', '\xff' };
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

static bool matches(const char *pattern, enum image_pattern_kind kind, const char *ref)
{
	struct image_pattern p;
	char err[200];
	if (image_pattern_compile(pattern, kind, &p, err, sizeof(err)) != 0)
		fail_msg("pattern \"%s\" should compile: %s", pattern, err);
	struct image_ref r;
	if (image_parse(&test_arena, ref, &r) != 0)
		fail_msg("\"%s\" should parse", ref);
	bool m = image_pattern_match(&p, &r);
	image_pattern_free(&p);
	return m;
}

#define REG IMAGE_PATTERN_REGISTRY
#define IMG IMAGE_PATTERN_IMAGE

static void test_registry_patterns_match_whole_components(void **state)
{
	(void)state;
	assert_true(matches("registry.corp.example", REG, "registry.corp.example/x"));
	assert_true(matches("registry.corp.example", REG, "Registry.Corp.Example/x/y:1"));
	assert_true(matches("Registry.CORP.example", REG, "registry.corp.example/x"));
	assert_false(matches("registry.corp.example", REG, "registry.corp.example.evil.io/x"));
	assert_false(matches("registry.corp.example", REG, "evilregistry.corp.example/x"));
	assert_false(matches("registry.corp.example", REG, "registry.corp.example:5000/x"));
	assert_false(matches("registry.corp.example", REG, "evil.io/registry.corp.example/x"));
	/* no host: a Docker Hub repository whose name looks like the registry */
	assert_false(matches("registry.corp.example", REG, "registry.corp.example"));

	assert_true(matches("ghcr.io/acme", REG, "ghcr.io/acme/x"));
	assert_true(matches("ghcr.io/acme", REG, "ghcr.io/acme/x/y:1@sha256:" D64));
	assert_true(matches("ghcr.io/acme", REG, "ghcr.io/acme"));
	assert_true(matches("GHCR.IO/acme", REG, "ghcr.io/acme/x"));
	assert_false(matches("ghcr.io/acme", REG, "ghcr.io/acme-evil/x"));
	assert_false(matches("ghcr.io/acme", REG, "ghcr.io/acmex"));
	assert_false(matches("ghcr.io/acme", REG, "ghcr.io/other/acme"));
	assert_false(matches("ghcr.io/acme/team", REG, "ghcr.io/acme/x"));

	assert_true(matches("localhost:5000", REG, "localhost:5000/x"));
	assert_false(matches("localhost:5000", REG, "localhost/x"));
	assert_false(matches("localhost:5000", REG, "localhost:5001/x"));
	assert_false(matches("localhost", REG, "localhost:5000/x"));
	assert_true(matches("[::1]:5000", REG, "[::1]:5000/x"));

	assert_true(matches("docker.io", REG, "nginx"));
	assert_true(matches("docker.io", REG, "acme/x"));
	assert_true(matches("docker.io", REG, "index.docker.io/acme/x"));
	assert_true(matches("index.docker.io", REG, "nginx"));
	assert_true(matches("docker.io/library", REG, "nginx:1"));
	assert_false(matches("docker.io/library", REG, "acme/x"));
	assert_true(matches("docker.io/acme", REG, "acme/x"));
	assert_false(matches("docker.io", REG, "ghcr.io/acme/x"));
	assert_false(matches("ghcr.io", REG, "nginx"));
}

static void test_image_patterns(void **state)
{
	(void)state;
	assert_true(matches("nginx", IMG, "nginx"));
	assert_true(matches("nginx", IMG, "nginx:1.25"));
	assert_true(matches("nginx", IMG, "docker.io/library/nginx@sha256:" D64));
	assert_true(matches("nginx", IMG, "index.docker.io/library/nginx:1"));
	assert_true(matches("docker.io/library/nginx", IMG, "nginx"));
	assert_false(matches("nginx", IMG, "acme/nginx"));
	assert_false(matches("nginx", IMG, "nginx-evil"));
	assert_false(matches("nginx", IMG, "ghcr.io/nginx"));
	assert_false(matches("nginx", IMG, "library/nginx/sub"));

	assert_true(matches("nginx:1.25", IMG, "nginx:1.25"));
	assert_true(matches("nginx:1.25", IMG, "nginx:1.25@sha256:" D64));
	assert_false(matches("nginx:1.25", IMG, "nginx:1.26"));
	assert_false(matches("nginx:1.25", IMG, "nginx"));
	assert_false(matches("nginx:1.25", IMG, "nginx@sha256:" D64));
	/* no tag and no digest is what the runtime pulls as :latest */
	assert_true(matches("nginx:latest", IMG, "nginx"));
	assert_true(matches("nginx:latest", IMG, "nginx:latest"));
	assert_false(matches("nginx:latest", IMG, "nginx@sha256:" D64));

	assert_true(matches("nginx@sha256:" D64, IMG, "nginx@sha256:" D64));
	assert_true(matches("nginx@sha256:" D64, IMG, "nginx:1@sha256:" D64));
	assert_false(matches("nginx@sha256:" D64, IMG, "nginx@sha256:" E64));
	assert_false(matches("nginx@sha256:" D64, IMG, "nginx:1"));

	assert_true(matches("Registry.Corp.Example:5000/tools/debug", IMG,
			    "registry.corp.example:5000/tools/debug:7"));
	assert_false(matches("registry.corp.example/tools/debug", IMG,
			     "registry.corp.example/tools/debug/sub"));
	assert_false(matches("registry.corp.example/tools/debug", IMG,
			     "registry.corp.example.evil.io/tools/debug"));
	assert_false(matches("ghcr.io/acme/app", IMG, "ghcr.io/acme/app-evil"));
}

static void check_bad_pattern(const char *text, enum image_pattern_kind kind, const char *expect)
{
	struct image_pattern p;
	char err[200] = "";
	if (image_pattern_compile(text, kind, &p, err, sizeof(err)) != -1)
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
	check_bad_pattern("", REG, "empty");
	check_bad_pattern(NULL, REG, "empty");
	check_bad_pattern("ghcr.io/", REG, "ends with '/'");
	check_bad_pattern("ghcr.io/Acme", REG, "upper-case");
	check_bad_pattern("nginx", REG, "does not start with a registry host");
	check_bad_pattern("acme/app", REG, "docker.io/NAME");
	check_bad_pattern("ghcr.io/acme:1", REG, "tag");
	check_bad_pattern("ghcr.io/acme@sha256:" D64, REG, "digest");
	check_bad_pattern("*.corp.example", REG, NULL);
	check_bad_pattern("ghcr.io//x", REG, NULL);
	check_bad_pattern("https://ghcr.io", REG, NULL);
	check_bad_pattern("ghcr.io:99999", REG, "port");
	check_bad_pattern(" ghcr.io", REG, NULL);

	check_bad_pattern("", IMG, "empty");
	check_bad_pattern("Nginx", IMG, "upper-case");
	check_bad_pattern("nginx:", IMG, "tag");
	check_bad_pattern("ghcr.io/", IMG, NULL);
	check_bad_pattern("nginx@sha256:abc", IMG, "digest");
	check_bad_pattern("ghcr.io/acme/*", IMG, NULL);
}

static void test_pattern_fields(void **state)
{
	(void)state;
	struct image_pattern p;
	char err[200];
	assert_int_equal(image_pattern_compile("GHCR.io/acme", REG, &p, err, sizeof(err)), 0);
	assert_int_equal(p.kind, IMAGE_PATTERN_REGISTRY);
	assert_string_equal(p.host, "ghcr.io");
	assert_string_equal(p.path, "acme");
	assert_null(p.tag);
	assert_null(p.digest);
	image_pattern_free(&p);
	assert_null(p.host);
	image_pattern_free(&p); /* twice is harmless */

	assert_int_equal(image_pattern_compile("registry.corp.example", REG, &p, err, sizeof(err)),
			 0);
	assert_string_equal(p.path, "");
	image_pattern_free(&p);

	assert_int_equal(image_pattern_compile("nginx:1@sha256:" D64, IMG, &p, err, sizeof(err)),
			 0);
	assert_int_equal(p.kind, IMAGE_PATTERN_IMAGE);
	assert_string_equal(p.host, "docker.io");
	assert_string_equal(p.path, "library/nginx");
	assert_string_equal(p.tag, "1");
	assert_string_equal(p.digest, "sha256:" D64);
	image_pattern_free(&p);

	/* a NULL pattern or reference matches nothing */
	struct image_ref r;
	assert_int_equal(image_parse(&test_arena, "nginx", &r), 0);
	assert_false(image_pattern_match(NULL, &r));
	assert_int_equal(image_pattern_compile("nginx", IMG, &p, err, sizeof(err)), 0);
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
		cmocka_unit_test(test_bad_patterns),
		cmocka_unit_test(test_pattern_fields),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
