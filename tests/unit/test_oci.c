/*
 * test_oci: the registry client's parsers and configuration, without a
 * registry: WWW-Authenticate challenges as registries and RFC 7235 write
 * them, docker config credentials, and the configuration checks that
 * oci_open makes before connecting anywhere. tests/integration/test_oci.sh
 * drives the client against a real registry.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../webhook/oci.h"

static struct oci_challenges parse_ok(const char *header)
{
	struct oci_challenges cs = {0};
	char why[128] = "";
	if (oci_challenges_parse(header, strlen(header), &cs, why, sizeof(why)) != 0)
		fail_msg("\"%s\" should parse: %s", header, why);
	return cs;
}

static void parse_bad(const char *header, const char *why_part)
{
	struct oci_challenges cs = {0};
	char why[128] = "";
	if (oci_challenges_parse(header, strlen(header), &cs, why, sizeof(why)) != -1)
		fail_msg("\"%s\" should be refused", header);
	assert_int_equal(cs.n, 0);
	if (strstr(why, why_part) == NULL)
		fail_msg("\"%s\": reason \"%s\" lacks \"%s\"", header, why, why_part);
}

static void test_distribution_bearer_challenge(void **state)
{
	(void)state;
	struct oci_challenges cs = parse_ok(
		"Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
		"scope=\"repository:library/nginx:pull\"");
	assert_int_equal(cs.n, 1);
	assert_string_equal(cs.list[0].scheme, "Bearer");
	assert_string_equal(oci_challenge_param(&cs.list[0], "realm"),
			    "https://auth.docker.io/token");
	assert_string_equal(oci_challenge_param(&cs.list[0], "service"), "registry.docker.io");
	assert_string_equal(oci_challenge_param(&cs.list[0], "scope"),
			    "repository:library/nginx:pull");
	assert_null(oci_challenge_param(&cs.list[0], "error"));
	oci_challenges_free(&cs);
}

static void test_quoted_strings_unescape_and_keep_commas(void **state)
{
	(void)state;
	struct oci_challenges cs =
		parse_ok("Bearer realm=\"https://x/t?a=1,b=2\", scope=\"a \\\"q\\\" \\\\ b\"");
	assert_int_equal(cs.n, 1);
	assert_string_equal(oci_challenge_param(&cs.list[0], "realm"), "https://x/t?a=1,b=2");
	assert_string_equal(oci_challenge_param(&cs.list[0], "scope"), "a \"q\" \\ b");
	oci_challenges_free(&cs);
}

static void test_names_are_case_insensitive_and_spaces_around_equals_allowed(void **state)
{
	(void)state;
	struct oci_challenges cs = parse_ok("bearer  Realm = \"r\" ,\tSERVICE=svc");
	assert_string_equal(cs.list[0].scheme, "bearer");
	assert_string_equal(oci_challenge_param(&cs.list[0], "realm"), "r");
	assert_string_equal(oci_challenge_param(&cs.list[0], "service"), "svc");
	oci_challenges_free(&cs);
}

static void test_several_challenges_in_one_header(void **state)
{
	(void)state;
	/* "realm=" alone is a token68 (trailing '=' is base64 padding), not a parameter */
	struct oci_challenges t68 = parse_ok("Bearer realm=");
	assert_string_equal(t68.list[0].token68, "realm=");
	oci_challenges_free(&t68);
	struct oci_challenges cs =
		parse_ok("Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", "
			 "Basic realm=\"simple\", Negotiate abc+/x==, Empty,, Bearer realm=b");
	assert_int_equal(cs.n, 5);
	assert_string_equal(cs.list[0].scheme, "Newauth");
	assert_int_equal(cs.list[0].nparams, 3);
	assert_string_equal(oci_challenge_param(&cs.list[0], "title"), "Login to \"apps\"");
	assert_string_equal(cs.list[1].scheme, "Basic");
	assert_string_equal(oci_challenge_param(&cs.list[1], "realm"), "simple");
	assert_string_equal(cs.list[2].scheme, "Negotiate");
	assert_string_equal(cs.list[2].token68, "abc+/x==");
	assert_int_equal(cs.list[2].nparams, 0);
	assert_string_equal(cs.list[3].scheme, "Empty");
	assert_int_equal(cs.list[3].nparams, 0);
	assert_string_equal(oci_challenge_param(&cs.list[4], "realm"), "b");
	oci_challenges_free(&cs);
}

static void test_headers_accumulate_and_a_bad_one_leaves_the_others(void **state)
{
	(void)state;
	struct oci_challenges cs = parse_ok("Basic realm=\"a\"");
	char why[128];
	const char *bad = "Bearer realm=\"x";
	assert_int_equal(oci_challenges_parse(bad, strlen(bad), &cs, why, sizeof(why)), -1);
	assert_int_equal(cs.n, 1);
	const char *good = "Bearer realm=\"y\"";
	assert_int_equal(oci_challenges_parse(good, strlen(good), &cs, why, sizeof(why)), 0);
	assert_int_equal(cs.n, 2);
	assert_string_equal(oci_challenge_param(&cs.list[1], "realm"), "y");
	oci_challenges_free(&cs);
}

static void test_malformed_challenges_are_refused(void **state)
{
	(void)state;
	parse_bad("Bearer realm=\"unterminated", "not closed");
	parse_bad("Bearer realm=\"a\", realm=\"b\"", "named twice");
	parse_bad("Bearer realm=\"a\" service=\"b\"", "not separated");
	parse_bad("Bearer a=b, realm=", "without a value");
	parse_bad("=x", "does not start with a scheme");
	parse_bad("Bearer realm=\"a\rb\"", "control character");
	parse_bad("Bearer\"x\"", "no space");
	parse_bad("Bearer realm=\"a\\", "not closed");
	parse_bad("Bearer realm=\"a\", \"b\"", "does not start with a scheme");
	/* a NUL inside the header is no character of it */
	struct oci_challenges cs = {0};
	char why[64];
	assert_int_equal(oci_challenges_parse("Basic realm=\"a\0b\"", 16, &cs, why, sizeof(why)),
			 -1);
}

static void test_too_many_parameters_or_challenges_are_refused(void **state)
{
	(void)state;
	char buf[1024] = "Bearer ";
	for (int i = 0; i < 17; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%sp%d=v", i ? "," : "", i);
	parse_bad(buf, "more than 16 parameters");
	snprintf(buf, sizeof(buf), "A, B, C, D, E, F, G, H, I");
	parse_bad(buf, "more than 8 challenges");
}

static const char *const HOST = "registry.example:5000";

static int creds(const char *json, struct oci_credentials *c, char *why)
{
	return oci_docker_config_parse(json, strlen(json), HOST, c, why, 256);
}

static void test_docker_config_auth_field(void **state)
{
	(void)state;
	struct oci_credentials c;
	char why[256];
	/* "alice:s3cr:et" in base64: the password keeps its colons */
	assert_int_equal(
		creds("{\"auths\":{\"registry.example:5000\":{\"auth\":\"YWxpY2U6czNjcjpldA==\"}}}",
		      &c, why),
		1);
	assert_string_equal(c.username, "alice");
	assert_string_equal(c.password, "s3cr:et");
	oci_credentials_free(&c);
}

static void test_docker_config_username_password_and_url_keys(void **state)
{
	(void)state;
	struct oci_credentials c;
	char why[256];
	assert_int_equal(creds("{\"auths\":{\"other\":{\"auth\":\"eDp5\"},"
			       "\"https://Registry.Example:5000/v1/\":{\"username\":\"bob\","
			       "\"password\":\"pw\"}}}",
			       &c, why),
			 1);
	assert_string_equal(c.username, "bob");
	assert_string_equal(c.password, "pw");
	oci_credentials_free(&c);
	/* Docker Hub's key, as docker login writes it */
	const char *hub = "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"dTpw\"}}}";
	assert_int_equal(oci_docker_config_parse(hub, strlen(hub), "docker.io", &c, why, 256), 1);
	assert_string_equal(c.username, "u");
	oci_credentials_free(&c);
}

static void test_docker_config_without_this_host_is_anonymous(void **state)
{
	(void)state;
	struct oci_credentials c;
	char why[256];
	assert_int_equal(creds("{\"auths\":{\"registry.example\":{\"auth\":\"eDp5\"}}}", &c, why),
			 0);
	assert_null(c.username);
	/* another port is another registry, and a longer host another host */
	assert_int_equal(
		creds("{\"auths\":{\"registry.example:5000.evil\":{\"auth\":\"eDp5\"}}}", &c, why),
		0);
	assert_int_equal(creds("{}", &c, why), 0);
	assert_int_equal(creds("{\"auths\":[]}", &c, why), 0);
}

static void test_docker_config_errors_name_the_problem(void **state)
{
	(void)state;
	struct oci_credentials c;
	char why[256];
	assert_int_equal(creds("{\"auths\":", &c, why), -1);
	assert_non_null(strstr(why, "invalid JSON"));
	assert_int_equal(creds("[1]", &c, why), -1);
	assert_int_equal(
		creds("{\"auths\":{\"registry.example:5000\":{\"auth\":\"!!!\"}}}", &c, why), -1);
	assert_non_null(strstr(why, "not base64"));
	/* base64 of "nocolon" */
	assert_int_equal(
		creds("{\"auths\":{\"registry.example:5000\":{\"auth\":\"bm9jb2xvbg==\"}}}", &c,
		      why),
		-1);
	assert_non_null(strstr(why, "user:password"));
	assert_int_equal(
		creds("{\"auths\":{\"registry.example:5000\":{\"identitytoken\":\"t\"}}}", &c, why),
		-1);
	assert_non_null(strstr(why, "identitytoken is not supported"));
	assert_int_equal(
		creds("{\"credHelpers\":{\"registry.example:5000\":\"ecr-login\"}}", &c, why), -1);
	assert_non_null(strstr(why, "credHelpers"));
	/* duplicate keys: which one wins would be a guess */
	assert_int_equal(creds("{\"auths\":{},\"auths\":{}}", &c, why), -1);
}

static void test_insecure_http_is_refused_for_a_remote_host(void **state)
{
	(void)state;
	struct oci_error err;
	struct oci_config cfg = {.host = "registry.example.com", .insecure_http = true};
	assert_null(oci_open(&cfg, &err));
	assert_int_equal(err.category, OCI_INTERNAL);
	assert_non_null(strstr(err.reason, "loopback hosts only"));
	cfg.host = "127.0.0.1.evil.example:5000";
	assert_null(oci_open(&cfg, &err));
	static const char *const loopbacks[] = {"127.0.0.1:5000", "localhost:5000", "[::1]:5000",
						"127.9.9.9"};
	for (size_t i = 0; i < sizeof(loopbacks) / sizeof(loopbacks[0]); i++) {
		cfg.host = loopbacks[i];
		struct oci_client *c = oci_open(&cfg, &err);
		if (c == NULL)
			fail_msg("%s: %s", loopbacks[i], err.reason);
		oci_close(c);
	}
}

static void test_bad_hosts_and_credentials_files_are_refused_at_open(void **state)
{
	(void)state;
	struct oci_error err;
	struct oci_config cfg = {.host = "registry.example/x"};
	assert_null(oci_open(&cfg, &err));
	assert_non_null(strstr(err.reason, "not a host[:port]"));
	cfg.host = "registry.example";
	cfg.extra_hosts[0] = "cdn.example/path";
	cfg.n_extra_hosts = 1;
	assert_null(oci_open(&cfg, &err));
	assert_non_null(strstr(err.reason, "extra host"));
	cfg.n_extra_hosts = 0;
	cfg.docker_config = "/nonexistent/config.json";
	assert_null(oci_open(&cfg, &err));
	assert_non_null(strstr(err.reason, "/nonexistent/config.json"));
	char path[] = "/tmp/test_oci.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *bad = "{\"auths\":{\"registry.example\":{\"auth\":\"%%%\"}}}";
	assert_int_equal(write(fd, bad, strlen(bad)), (ssize_t)strlen(bad));
	close(fd);
	cfg.docker_config = path;
	assert_null(oci_open(&cfg, &err));
	assert_non_null(strstr(err.reason, "not base64"));
	unlink(path);
}

static void test_bad_names_are_refused_before_any_request(void **state)
{
	(void)state;
	struct oci_error err;
	/* nothing listens there: a request would be "unreachable", not "internal" */
	struct oci_config cfg = {.host = "127.0.0.1:9", .insecure_http = true};
	struct oci_client *c = oci_open(&cfg, &err);
	assert_non_null(c);
	struct timespec dl = oci_deadline_in(2000);
	char digest[OCI_DIGEST_MAX];
	struct oci_content ct;
	static const char *const bad_repos[] = {"../x", "A/b", "a//b", "a/",
						"a?b",  "a b", "-a",   "a..b"};
	for (size_t i = 0; i < sizeof(bad_repos) / sizeof(bad_repos[0]); i++)
		assert_int_equal(oci_resolve(c, bad_repos[i], "latest", dl, digest, &err),
				 OCI_INTERNAL);
	assert_int_equal(oci_manifest(c, "a/b", "x/../y", dl, &ct, &err), OCI_INTERNAL);
	assert_int_equal(oci_manifest(c, "a/b", "sha256:abc", dl, &ct, &err), OCI_INTERNAL);
	assert_non_null(strstr(err.reason, "not a sha256 or sha512 digest"));
	assert_int_equal(oci_blob(c, "a/b", "latest", 1, 1, dl, &ct, &err), OCI_INTERNAL);
	/* a blob larger than the caller's maximum is not asked for */
	assert_int_equal(
		oci_blob(c, "a/b",
			 "sha256:"
			 "0000000000000000000000000000000000000000000000000000000000000000",
			 2048, 1024, dl, &ct, &err),
		OCI_TOO_LARGE);
	assert_non_null(strstr(err.reason, "127.0.0.1:9: blob a/b@sha256:"));
	/* a good name does reach the network: refused on the discard port */
	assert_int_equal(oci_resolve(c, "a/b", "latest", dl, digest, &err), OCI_UNREACHABLE);
	assert_non_null(strstr(err.reason, "127.0.0.1:9: digest of a/b:latest: "));
	/* a past deadline stops a call before it asks */
	assert_int_equal(oci_resolve(c, "a/b", "latest", oci_deadline_in(-1), digest, &err),
			 OCI_TIMEOUT);
	oci_close(c);
}

/* an endpoint is asked instead of the host; the host stays the registry's name */
static void test_an_endpoint_is_asked_instead_of_the_host(void **state)
{
	(void)state;
	struct oci_error err;
	struct oci_config cfg = {.host = "Registry.Corp.Example"};
	struct oci_client *c = oci_open(&cfg, &err);
	assert_non_null(c);
	assert_string_equal(oci_endpoint(c), "registry.corp.example");
	assert_string_equal(oci_name(c), "registry.corp.example");
	oci_close(c);
	/* Docker Hub's API is elsewhere, unless an endpoint says where */
	cfg.host = "docker.io";
	c = oci_open(&cfg, &err);
	assert_string_equal(oci_endpoint(c), "registry-1.docker.io");
	assert_string_equal(oci_name(c), "docker.io");
	oci_close(c);
	cfg.endpoint = "Mirror.Corp.Example:5000";
	c = oci_open(&cfg, &err);
	assert_non_null(c);
	assert_string_equal(oci_endpoint(c), "mirror.corp.example:5000");
	assert_string_equal(oci_name(c), "mirror.corp.example:5000 (endpoint of docker.io)");
	oci_close(c);
	/* asked there, and named so: the discard port refuses the connection */
	cfg = (struct oci_config){
		.host = "registry.corp.example", .endpoint = "127.0.0.1:9", .insecure_http = true};
	c = oci_open(&cfg, &err);
	if (c == NULL)
		fail_msg("%s", err.reason);
	char digest[OCI_DIGEST_MAX];
	assert_int_equal(oci_resolve(c, "a/b", "latest", oci_deadline_in(2000), digest, &err),
			 OCI_UNREACHABLE);
	assert_non_null(strstr(err.reason, "127.0.0.1:9 (endpoint of registry.corp.example): "
					   "digest of a/b:latest: "));
	oci_close(c);
	/* plain HTTP is for a loopback endpoint, whatever the host */
	cfg = (struct oci_config){
		.host = "127.0.0.1:5000", .endpoint = "mirror.corp.example", .insecure_http = true};
	assert_null(oci_open(&cfg, &err));
	assert_non_null(strstr(err.reason, "registry mirror.corp.example (endpoint of "
					   "127.0.0.1:5000): insecure_http is allowed for loopback "
					   "hosts only"));
	cfg = (struct oci_config){.host = "registry.corp.example", .endpoint = "mirror.example/v2"};
	assert_null(oci_open(&cfg, &err));
	assert_non_null(strstr(err.reason, "endpoint \"mirror.example/v2\" is not a host[:port]"));
}

static void test_deadlines_are_valid_timespecs_even_in_the_past(void **state)
{
	(void)state;
	static const long ms[] = {-1, -999, -1000, -1001, -123456, 0, 1, 999, 1000, 1001};
	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		struct timespec before, t = oci_deadline_in(ms[i]);
		clock_gettime(CLOCK_MONOTONIC, &before);
		if (t.tv_nsec < 0 || t.tv_nsec >= 1000000000L)
			fail_msg("oci_deadline_in(%ld): tv_nsec %ld", ms[i], t.tv_nsec);
		long diff = (long)(t.tv_sec - before.tv_sec) * 1000 +
			    (t.tv_nsec - before.tv_nsec) / 1000000L;
		if (diff > ms[i] || diff < ms[i] - 50)
			fail_msg("oci_deadline_in(%ld) is %ld ms from now", ms[i], diff);
	}
}

/* oci_link_next on text: its return value, the URI found (or NULL) in *uri */
static int link_next(const char *text, char **uri)
{
	char why[128] = "";
	int r = oci_link_next(text, strlen(text), uri, why, sizeof(why));
	if (r < 0 && why[0] == '\0')
		fail_msg("\"%s\" refused without a reason", text);
	return r;
}

static void test_link_next_as_registries_page_lists(void **state)
{
	(void)state;
	char *uri = NULL;
	/* distribution's tag list, a referrers page, relative and absolute */
	assert_int_equal(link_next("</v2/app/tags/list?last=b&n=2>; rel=\"next\"", &uri), 1);
	assert_string_equal(uri, "/v2/app/tags/list?last=b&n=2");
	free(uri);
	assert_int_equal(
		link_next("<https://r.example/v2/a/referrers/sha256:ab?page=2>;rel=next", &uri), 1);
	assert_string_equal(uri, "https://r.example/v2/a/referrers/sha256:ab?page=2");
	free(uri);
	/* several links, other relations first, rel lists and case, extra parameters */
	assert_int_equal(link_next("</p0>; rel=\"prev\", </p1> ; title=\"a, b; c\" ; "
				   "REL=\"last NEXT\"; type=x",
				   &uri),
			 1);
	assert_string_equal(uri, "/p1");
	free(uri);
	/* only the first rel of a link counts; a comma inside <> is part of the URI */
	assert_int_equal(link_next("</a>; rel=prev; rel=next, </b,c>; rel=next", &uri), 1);
	assert_string_equal(uri, "/b,c");
	free(uri);
}

static void test_link_without_next_or_malformed(void **state)
{
	(void)state;
	char *uri = (char *)"unchanged";
	assert_int_equal(link_next("", &uri), 0);
	assert_null(uri);
	assert_int_equal(link_next(" , ,", &uri), 0);
	assert_int_equal(link_next("</p0>; rel=\"prev\"", &uri), 0);
	assert_int_equal(link_next("</p0>; rel=\"nextpage\"", &uri), 0);
	assert_int_equal(link_next("</p0>; next", &uri), 0); /* a parameter named next */
	assert_null(uri);
	static const char *const bad[] = {
		"/p1; rel=next",           /* no <> */
		"</p1; rel=next",          /* not closed */
		"<>; rel=next",            /* empty */
		"</p 1>; rel=next",        /* a space in the URI */
		"</p1\r\nX: y>; rel=next", /* a control character in it */
		"</p1> rel=next",          /* no ';' */
		"</p1>; =next",            /* no name */
		"</p1>; rel=",             /* no value */
		"</p1>; rel=\"next",       /* a quoted string not closed */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (link_next(bad[i], &uri) != -1)
			fail_msg("\"%s\" was not refused", bad[i]);
		assert_null(uri);
	}
}

static void test_category_names_are_stable(void **state)
{
	(void)state;
	assert_string_equal(oci_category_name(OCI_TOO_LARGE), "too large");
	assert_string_equal(oci_category_name(OCI_NOT_SUPPORTED), "not supported");
	assert_string_equal(oci_category_name((enum oci_category)99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distribution_bearer_challenge),
		cmocka_unit_test(test_quoted_strings_unescape_and_keep_commas),
		cmocka_unit_test(test_names_are_case_insensitive_and_spaces_around_equals_allowed),
		cmocka_unit_test(test_several_challenges_in_one_header),
		cmocka_unit_test(test_headers_accumulate_and_a_bad_one_leaves_the_others),
		cmocka_unit_test(test_malformed_challenges_are_refused),
		cmocka_unit_test(test_too_many_parameters_or_challenges_are_refused),
		cmocka_unit_test(test_docker_config_auth_field),
		cmocka_unit_test(test_docker_config_username_password_and_url_keys),
		cmocka_unit_test(test_docker_config_without_this_host_is_anonymous),
		cmocka_unit_test(test_docker_config_errors_name_the_problem),
		cmocka_unit_test(test_insecure_http_is_refused_for_a_remote_host),
		cmocka_unit_test(test_bad_hosts_and_credentials_files_are_refused_at_open),
		cmocka_unit_test(test_bad_names_are_refused_before_any_request),
		cmocka_unit_test(test_an_endpoint_is_asked_instead_of_the_host),
		cmocka_unit_test(test_deadlines_are_valid_timespecs_even_in_the_past),
		cmocka_unit_test(test_link_next_as_registries_page_lists),
		cmocka_unit_test(test_link_without_next_or_malformed),
		cmocka_unit_test(test_category_names_are_stable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
