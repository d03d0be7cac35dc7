/*
 * test_html: the one escaping function of the HTML page (html_escape) and
 * the data block's JSON (html_json) let no untrusted text become markup
 * or end the <script> block; the CSP hash is the SHA-256 a browser
 * computes of the inline script.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../webhook/html.h"

/* What f wrote for s, in a malloc'd string. */
static char *capture_escape(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	html_escape(f, s);
	fclose(f);
	return buf;
}

static char *capture_json(const json_t *v)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(html_json(f, v), 0);
	fclose(f);
	return buf;
}

static void check_escape(const char *in, const char *want)
{
	char *got = capture_escape(in);
	if (strcmp(got, want) != 0)
		fail_msg("html_escape(\"%s\") = \"%s\", want \"%s\"", in, got, want);
	free(got);
}

static void test_markup_characters_are_references(void **state)
{
	(void)state;
	check_escape("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
	check_escape("\"><img src=x onerror=alert(1)>",
		     "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
	check_escape("a&b 'c'", "a&amp;b &#39;c&#39;");
	check_escape("&amp;", "&amp;amp;");
	check_escape("", "");
	check_escape("plain nginx:1.25", "plain nginx:1.25");
}

static void test_control_characters_are_dropped_utf8_kept(void **state)
{
	(void)state;
	check_escape("a\x01"
		     "b\x1f"
		     "c\x7f"
		     "d",
		     "abcd");
	check_escape("tab\there\nnew", "tab\there\nnew");
	check_escape("caf\xc3\xa9 \xe2\x80\xa8", "caf\xc3\xa9 \xe2\x80\xa8");
}

static void test_json_cannot_end_the_script_block(void **state)
{
	(void)state;
	json_t *v = json_pack("[s,s,s,s]", "</script><script>alert(1)</script>", "<!-- x -->",
			      "a&b>c", "\xe2\x80\xa8 caf\xc3\xa9");
	char *got = capture_json(v);
	assert_null(strchr(got, '<'));
	assert_null(strchr(got, '>'));
	assert_null(strchr(got, '&'));
	for (const unsigned char *p = (const unsigned char *)got; *p; p++)
		if (*p >= 0x80)
			fail_msg("not ASCII: %s", got);
	/* and it reads back as the same values */
	json_error_t err;
	json_t *back = json_loads(got, 0, &err);
	assert_non_null(back);
	assert_true(json_equal(v, back));
	json_decref(back);
	json_decref(v);
	free(got);
}

static void test_csp_hash_is_sha256_base64(void **state)
{
	(void)state;
	char buf[80];
	/* printf 'alert(1)' | openssl dgst -sha256 -binary | base64 */
	assert_int_equal(html_csp_hash("alert(1)", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='");
	assert_int_equal(html_csp_hash("x", buf, 10), -1);
}

static void test_page_names_its_own_hashes(void **state)
{
	(void)state;
	char *page = NULL, script[80], style[80];
	size_t len = 0;
	FILE *f = open_memstream(&page, &len);
	assert_int_equal(html_begin(f, "t<i>tle", NULL), 0);
	html_data_begin(f);
	fputs("{}", f);
	html_end(f);
	fclose(f);
	assert_int_equal(html_csp_hash(html_script, script, sizeof(script)), 0);
	assert_int_equal(html_csp_hash(html_style, style, sizeof(style)), 0);
	assert_non_null(strstr(page, script));
	assert_non_null(strstr(page, style));
	assert_non_null(strstr(page, "<title>t&lt;i&gt;tle</title>"));
	assert_null(strstr(page, "http:"));
	assert_null(strstr(page, "https:"));
	free(page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_markup_characters_are_references),
		cmocka_unit_test(test_control_characters_are_dropped_utf8_kept),
		cmocka_unit_test(test_json_cannot_end_the_script_block),
		cmocka_unit_test(test_csp_hash_is_sha256_base64),
		cmocka_unit_test(test_page_names_its_own_hashes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
