/*
 * test_ocimf: reading manifests, indexes and image configurations as
 * registries serve them: the real image manifests of the cosign
 * conformance data, Docker's and OCI's index shapes, the descriptors of
 * a cosign signature manifest and a referrers index, and the image
 * configuration fields the image-contents checks read. Every malformed
 * shape is refused with a reason naming the field.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../webhook/ocimf.h"
#include "../../webhook/readall.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static int parse(const char *text, const char *ct, struct ocimf *m, char *why)
{
	return ocimf_parse((const unsigned char *)text, strlen(text), ct, m, why, 256);
}

static void refused(const char *text, const char *why_part)
{
	struct ocimf m;
	char why[256] = "";
	if (parse(text, NULL, &m, why) != -1)
		fail_msg("should be refused: %s", text);
	assert_null(m.doc);
	if (strstr(why, why_part) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\" (%s)", why, why_part, text);
}

static void test_real_manifests_of_the_conformance_data_parse(void **state)
{
	(void)state;
	const char *dir = getenv("ADMITD_SHARED");
	char path[1024];
	snprintf(path, sizeof(path), "%s/conformance/cosign/dir-img-cosign-valid/manifest.json",
		 dir != NULL ? dir : "../shared");
	size_t len;
	char *text = NULL, err[128];
	if (readall_file(path, 1 << 20, &text, &len, err, sizeof(err)) < 0)
		fail_msg("cannot read %s: %s", path, err);
	struct ocimf m;
	char why[256] = "";
	assert_int_equal(ocimf_parse((unsigned char *)text, len, NULL, &m, why, sizeof(why)), 0);
	assert_false(m.index);
	assert_non_null(m.config.digest);
	assert_true(ocimf_digest_ok(m.config.digest));
	assert_true(m.n >= 1);
	for (size_t i = 0; i < m.n; i++)
		assert_true(m.entries[i].size > 0);
	ocimf_free(&m);
	free(text);
}

static void test_a_cosign_signature_manifest_gives_layers_and_annotations(void **state)
{
	(void)state;
	struct ocimf m;
	char why[256];
	assert_int_equal(
		parse("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
		      "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" D1
		      "\",\"size\":233},\"layers\":[{\"mediaType\":\"application/"
		      "vnd.dev.cosign.simplesigning.v1+json\",\"digest\":\"" D2
		      "\",\"size\":250,\"annotations\":{\"dev.cosignproject.cosign/signature\":\"MEUC\"}}]}",
		      NULL, &m, why),
		0);
	assert_false(m.index);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.entries[0].media_type,
			    "application/vnd.dev.cosign.simplesigning.v1+json");
	assert_string_equal(ocimf_annotation(&m.entries[0], "dev.cosignproject.cosign/signature"),
			    "MEUC");
	assert_null(ocimf_annotation(&m.entries[0], "other"));
	assert_int_equal(m.config.size, 233);
	ocimf_free(&m);
}

static void test_indexes_by_media_type_or_content_type_with_platforms(void **state)
{
	(void)state;
	struct ocimf m;
	char why[256];
	/* Docker's manifest list names itself; platforms are read */
	assert_int_equal(
		parse("{\"schemaVersion\":2,\"mediaType\":\"application/"
		      "vnd.docker.distribution.manifest.list.v2+json\",\"manifests\":[{\"mediaType\":"
		      "\"application/vnd.docker.distribution.manifest.v2+json\",\"digest\":\"" D1
		      "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"arm\","
		      "\"variant\":\"v7\"}},{\"digest\":\"" D2
		      "\",\"size\":2,\"platform\":{\"os\":\"windows\",\"architecture\":\"amd64\"}}]}",
		      NULL, &m, why),
		0);
	assert_true(m.index);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.entries[0].os, "linux");
	assert_string_equal(m.entries[0].architecture, "arm");
	assert_string_equal(m.entries[0].variant, "v7");
	assert_string_equal(m.entries[1].os, "windows");
	assert_null(m.entries[1].variant);
	ocimf_free(&m);
	/* an OCI index without its own mediaType: the Content-Type decides */
	assert_int_equal(parse("{\"schemaVersion\":2,\"manifests\":[]}",
			       "application/vnd.oci.image.index.v1+json", &m, why),
			 0);
	assert_true(m.index);
	assert_int_equal(m.n, 0);
	ocimf_free(&m);
	/* a referrers index entry keeps artifactType and the subject */
	assert_int_equal(parse("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/"
			       "vnd.oci.image.manifest.v1+json\",\"artifactType\":\"application/"
			       "vnd.dev.sigstore.bundle.v0.3+json\",\"digest\":\"" D1
			       "\",\"size\":5}],\"subject\":{\"digest\":\"" D2 "\",\"size\":9}}",
			       NULL, &m, why),
			 0);
	assert_true(m.index);
	assert_string_equal(m.entries[0].artifact_type,
			    "application/vnd.dev.sigstore.bundle.v0.3+json");
	assert_string_equal(m.subject, D2);
	ocimf_free(&m);
}

static void test_malformed_documents_are_refused_naming_the_field(void **state)
{
	(void)state;
	refused("not json", "not JSON");
	refused("[1]", "not a JSON object");
	refused("{\"schemaVersion\":2}", "neither an index");
	refused("{\"mediaType\":5,\"config\":{}}", "mediaType");
	refused("{\"config\":{\"digest\":\"" D1 "\"}}", "config: no size");
	refused("{\"config\":{\"digest\":\"sha256:abc\",\"size\":1}}",
		"config: no well-formed digest");
	refused("{\"config\":{\"digest\":\"" D1 "\",\"size\":-1}}", "config: no size");
	refused("{\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":{}}",
		"layers is not a list");
	refused("{\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":[{\"digest\":\"" D2
		"\",\"size\":1},{\"digest\":\"md5:00\",\"size\":1}]}",
		"layers[1]: no well-formed digest");
	refused("{\"manifests\":[{\"digest\":\"" D1 "\",\"size\":1,\"platform\":\"linux\"}]}",
		"manifests[0]: a platform");
	refused("{\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"layers\":[{\"digest\":\"" D2
		"\",\"size\":1,\"annotations\":[]}]}",
		"annotations are not an object");
	refused("{\"config\":{\"digest\":\"" D1 "\",\"size\":1},\"config\":{}}", "not JSON");
	/* upper-case hex is not a digest the registry would have given */
	refused("{\"config\":{\"digest\":\"sha256:"
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"size\":1}}",
		"no well-formed digest");
}

static void test_too_many_entries_are_refused(void **state)
{
	(void)state;
	size_t n = OCIMF_MAX_ENTRIES + 1, cap = n * 100 + 64, len = 0;
	char *text = malloc(cap);
	assert_non_null(text);
	len += (size_t)snprintf(text + len, cap - len, "{\"manifests\":[");
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, cap - len,
					"%s{\"digest\":\"" D1 "\",\"size\":1}", i ? "," : "");
	snprintf(text + len, cap - len, "]}");
	refused(text, "more than 1024");
	free(text);
}

static int config(const char *text, struct ocimf_config *c, char *why)
{
	return ocimf_config_parse((const unsigned char *)text, strlen(text), c, why, 256);
}

static void test_image_config_user_ports_and_env(void **state)
{
	(void)state;
	struct ocimf_config c;
	char why[256];
	assert_int_equal(
		config("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"User\":"
		       "\"1000:1000\",\"ExposedPorts\":{\"22/tcp\":{},\"53/UDP\":{},\"8080\":{}},"
		       "\"Env\":[\"PATH=/usr/bin\",\"DB_PASSWORD=x\"]},\"rootfs\":{}}",
		       &c, why),
		0);
	assert_string_equal(c.os, "linux");
	assert_string_equal(c.architecture, "amd64");
	assert_string_equal(c.user, "1000:1000");
	assert_int_equal(c.nports, 3);
	assert_string_equal(c.ports[0], "22/tcp");
	assert_string_equal(c.ports[1], "53/udp");
	assert_string_equal(c.ports[2], "8080/tcp");
	assert_int_equal(c.nenv, 2);
	assert_string_equal(c.env[1], "DB_PASSWORD=x");
	ocimf_config_free(&c);
	/* no config at all, or no User: every default (the user is unknown, i.e. root) */
	assert_int_equal(config("{\"architecture\":\"arm64\",\"os\":\"linux\"}", &c, why), 0);
	assert_null(c.user);
	assert_int_equal(c.nports + c.nenv, 0);
	ocimf_config_free(&c);
}

static void test_bad_image_configs_are_refused(void **state)
{
	(void)state;
	static const struct {
		const char *text, *why;
	} bad[] = {
		{"[]", "not an image configuration"},
		{"{\"config\":[]}", "not an image configuration"},
		{"{\"config\":{\"User\":0}}", "config.User is not a string"},
		{"{\"config\":{\"ExposedPorts\":[22]}}", "ExposedPorts is not an object"},
		{"{\"config\":{\"ExposedPorts\":{\"ssh\":{}}}}", "\"ssh\" is not PORT"},
		{"{\"config\":{\"ExposedPorts\":{\"70000/tcp\":{}}}}", "is not PORT"},
		{"{\"config\":{\"ExposedPorts\":{\"22/icmp\":{}}}}", "is not PORT"},
		{"{\"config\":{\"Env\":\"A=b\"}}", "config.Env is not a list"},
		{"{\"config\":{\"Env\":[\"A=b\",1]}}", "config.Env[1] is not a string"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ocimf_config c;
		char why[256] = "";
		if (config(bad[i].text, &c, why) != -1)
			fail_msg("should be refused: %s", bad[i].text);
		assert_null(c.doc);
		if (strstr(why, bad[i].why) == NULL)
			fail_msg("%s: reason \"%s\" lacks \"%s\"", bad[i].text, why, bad[i].why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_manifests_of_the_conformance_data_parse),
		cmocka_unit_test(test_a_cosign_signature_manifest_gives_layers_and_annotations),
		cmocka_unit_test(test_indexes_by_media_type_or_content_type_with_platforms),
		cmocka_unit_test(test_malformed_documents_are_refused_naming_the_field),
		cmocka_unit_test(test_too_many_entries_are_refused),
		cmocka_unit_test(test_image_config_user_ports_and_env),
		cmocka_unit_test(test_bad_image_configs_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
