/*
 * test_yamljson: YAML input (kubectl -o yaml, manifests) becomes the same
 * JSON values the apiserver would send.
 */
#include "harness.h"

#include <string.h>

#include "../../webhook/yamljson.h"

static json_t *load(const char *text, struct yamljson_error *err)
{
	return yamljson_load(text, strlen(text), err);
}

static void test_scalars_resolve_like_kubernetes(void **state)
{
	(void)state;
	struct yamljson_error err;
	json_t *docs = load("a: true\nb: \"true\"\nc: 42\nd: \"42\"\ne: 1.5\nf: ~\ng: null\n"
			    "h: hello\ni: 0x10\nj: -7\nk: '007'\nl: 1e3\nm: .5\nn: 1.2.3\n",
			    &err);
	assert_non_null(docs);
	json_t *o = json_array_get(docs, 0);
	assert_true(json_is_true(json_object_get(o, "a")));
	assert_string_equal(json_string_value(json_object_get(o, "b")), "true");
	assert_int_equal(json_integer_value(json_object_get(o, "c")), 42);
	assert_string_equal(json_string_value(json_object_get(o, "d")), "42");
	assert_true(json_is_real(json_object_get(o, "e")));
	assert_true(json_is_null(json_object_get(o, "f")));
	assert_true(json_is_null(json_object_get(o, "g")));
	assert_string_equal(json_string_value(json_object_get(o, "h")), "hello");
	assert_int_equal(json_integer_value(json_object_get(o, "i")), 16);
	assert_int_equal(json_integer_value(json_object_get(o, "j")), -7);
	assert_string_equal(json_string_value(json_object_get(o, "k")), "007");
	assert_true(json_is_real(json_object_get(o, "l")));
	assert_true(json_is_real(json_object_get(o, "m")));
	assert_string_equal(json_string_value(json_object_get(o, "n")), "1.2.3");
	json_decref(docs);
}

static void test_multi_document_stream(void **state)
{
	(void)state;
	struct yamljson_error err;
	json_t *docs = load("---\nkind: Pod\n---\n# empty\n---\nkind: Deployment\n...\n", &err);
	assert_non_null(docs);
	assert_int_equal(json_array_size(docs), 2);
	assert_string_equal(json_string_value(jp_get(json_array_get(docs, 1), "kind")),
			    "Deployment");
	json_decref(docs);
}

static void test_duplicate_keys_are_refused_with_position(void **state)
{
	(void)state;
	struct yamljson_error err;
	assert_null(load("spec:\n  hostNetwork: true\n  hostNetwork: false\n", &err));
	assert_int_equal(err.line, 3);
	assert_int_equal(err.column, 3);
	assert_non_null(strstr(err.text, "duplicate key \"hostNetwork\""));
}

static void test_syntax_error_has_position(void **state)
{
	(void)state;
	struct yamljson_error err;
	assert_null(load("a: [1, 2\nb: c\n", &err));
	assert_true(err.line >= 2);
	assert_true(strlen(err.text) > 0);
}

static void test_depth_is_bounded(void **state)
{
	(void)state;
	char deep[1024];
	int n = 0;
	for (int i = 0; i < YAMLJSON_MAX_DEPTH + 5; i++)
		deep[n++] = '[';
	for (int i = 0; i < YAMLJSON_MAX_DEPTH + 5; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	struct yamljson_error err;
	assert_null(load(deep, &err));
	assert_non_null(strstr(err.text, "nesting"));
}

static void test_aliases_share_values(void **state)
{
	(void)state;
	struct yamljson_error err;
	json_t *docs = load("base: &b {x: 1}\ncopy: *b\n", &err);
	assert_non_null(docs);
	assert_int_equal(json_integer_value(jp_get(json_array_get(docs, 0), "copy.x")), 1);
	json_decref(docs);
	assert_null(load("copy: *nope\n", &err));
}

static void test_non_string_keys_become_text(void **state)
{
	(void)state;
	struct yamljson_error err;
	json_t *docs = load("1: a\ntrue: b\n", &err);
	assert_non_null(docs);
	assert_string_equal(json_string_value(jp_get(json_array_get(docs, 0), "1")), "a");
	assert_string_equal(json_string_value(jp_get(json_array_get(docs, 0), "true")), "b");
	json_decref(docs);
	assert_null(load("[a]: b\n", &err));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars_resolve_like_kubernetes),
		cmocka_unit_test(test_multi_document_stream),
		cmocka_unit_test(test_duplicate_keys_are_refused_with_position),
		cmocka_unit_test(test_syntax_error_has_position),
		cmocka_unit_test(test_depth_is_bounded),
		cmocka_unit_test(test_aliases_share_values),
		cmocka_unit_test(test_non_string_keys_become_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
