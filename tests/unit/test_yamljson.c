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
			    "h: hello\ni: 0x10\nj: -7\nk: '007'\nl: 1e3\nm: .5\nnn: 1.2.3\n",
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
	/* kubectl's JSON writes the float 1000 as 1000: an integer to the API server */
	assert_int_equal(json_integer_value(json_object_get(o, "l")), 1000);
	assert_true(json_is_real(json_object_get(o, "m")));
	assert_string_equal(json_string_value(json_object_get(o, "nn")), "1.2.3");
	json_decref(docs);
}

/* what kubectl (sigs.k8s.io/yaml over go-yaml v2, YAML 1.1) makes of a manifest */
static void test_yaml_1_1_as_kubectl_reads_it(void **state)
{
	(void)state;
	struct yamljson_error err;
	json_t *docs = load("a: yes\nb: No\nc: on\nd: OFF\ne: y\nf: n\ng: 0755\nh: 0o17\n"
			    "i: 0b101\nj: 1_000\nk: 08\nl: +12\nm: '0755'\nn2: 1__0\n"
			    "o: 0x_1F\np: 1.5e1\nq: 9223372036854775807\nr: 1_\n"
			    "y: key-y\n0x10: hex-key\n1.50: float-key\n'on': quoted\n",
			    &err);
	if (docs == NULL)
		fail_msg("%d:%d: %s", err.line, err.column, err.text);
	json_t *o = json_array_get(docs, 0);
	assert_true(json_is_true(json_object_get(o, "a")));
	assert_true(json_is_false(json_object_get(o, "b")));
	assert_true(json_is_true(json_object_get(o, "c")));
	assert_true(json_is_false(json_object_get(o, "d")));
	assert_true(json_is_true(json_object_get(o, "e")));
	assert_true(json_is_false(json_object_get(o, "f")));
	assert_int_equal(json_integer_value(json_object_get(o, "g")), 0755);
	assert_int_equal(json_integer_value(json_object_get(o, "h")), 017);
	assert_int_equal(json_integer_value(json_object_get(o, "i")), 5);
	assert_int_equal(json_integer_value(json_object_get(o, "j")), 1000);
	assert_int_equal(json_integer_value(json_object_get(o, "k")), 8); /* not octal: a float */
	assert_int_equal(json_integer_value(json_object_get(o, "l")), 12);
	assert_string_equal(json_string_value(json_object_get(o, "m")), "0755");
	assert_string_equal(json_string_value(json_object_get(o, "n2")), "1__0");
	assert_int_equal(json_integer_value(json_object_get(o, "o")), 31);
	assert_int_equal(json_integer_value(json_object_get(o, "p")), 15);
	assert_int_equal(json_integer_value(json_object_get(o, "q")), 9223372036854775807LL);
	assert_string_equal(json_string_value(json_object_get(o, "r")), "1_");
	/* keys: booleans and numbers are written as JSON key text */
	assert_string_equal(json_string_value(json_object_get(o, "true")), "key-y");
	assert_string_equal(json_string_value(json_object_get(o, "16")), "hex-key");
	assert_string_equal(json_string_value(json_object_get(o, "1.5")), "float-key");
	assert_string_equal(json_string_value(json_object_get(o, "on")), "quoted");
	/* y: and on: are both the key "true": kubectl refuses the duplicate too */
	json_decref(docs);
	assert_null(load("y: 1\nyes: 2\n", &err));
	assert_int_equal(err.line, 2);
	assert_non_null(strstr(err.text, "duplicate key \"true\""));

	/* .inf and .nan: refused where they stand, as kubectl refuses them */
	const char *bad[] = {"a: .inf\n", "a:\n  b: [1, -.Inf]\n", "a: .NaN\n", "a: 1e999\n"};
	int lines[] = {1, 2, 1, 1};
	for (size_t i = 0; i < 4; i++) {
		assert_null(load(bad[i], &err));
		assert_int_equal(err.line, lines[i]);
		assert_non_null(strstr(err.text, "infinity or NaN"));
	}
	assert_null(load("~: x\n", &err));
	assert_non_null(strstr(err.text, "a null mapping key"));
	docs = load("a: '.inf'\nb: \".nan\"\n", &err);
	assert_string_equal(json_string_value(json_object_get(json_array_get(docs, 0), "a")),
			    ".inf");
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

static void test_merge_keys_as_kubectl_reads_them(void **state)
{
	(void)state;
	struct yamljson_error err;
	json_t *docs = load("base: &b {image: nginx, privileged: true}\n"
			    "one: {<<: *b, name: app}\n"
			    "two: {<<: *b, privileged: false}\n"
			    "three: {<<: [{a: 1, b: 1}, {a: 2, c: 2}]}\n"
			    "quoted: {'<<': *b}\n",
			    &err);
	assert_non_null(docs);
	json_t *o = json_array_get(docs, 0);
	json_t *one = json_object_get(o, "one");
	assert_true(json_is_true(json_object_get(one, "privileged")));
	assert_string_equal(json_string_value(json_object_get(one, "image")), "nginx");
	/* a key written after the merge replaces the merged one, and is no duplicate */
	assert_true(json_is_false(json_object_get(json_object_get(o, "two"), "privileged")));
	/* in a list of mappings, the earlier one wins */
	json_t *three = json_object_get(o, "three");
	assert_int_equal(json_integer_value(json_object_get(three, "a")), 1);
	assert_int_equal(json_integer_value(json_object_get(three, "c")), 2);
	/* a quoted "<<" is an ordinary key */
	assert_non_null(json_object_get(json_object_get(o, "quoted"), "<<"));
	json_decref(docs);
}

static void test_merge_keys_are_checked_and_bounded(void **state)
{
	(void)state;
	struct yamljson_error err;
	assert_null(load("a: {<<: 3}\n", &err));
	assert_int_equal(err.line, 1);
	assert_non_null(strstr(err.text, "merge key (<<) takes a mapping"));
	assert_null(load("a: {x: 1, x: 2}\n", &err));
	assert_non_null(strstr(err.text, "duplicate key"));
	/* merges copy keys: 200 merges of a 1,000-key mapping copy 200,000, over the bound */
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	n += (size_t)snprintf(buf + n, cap - n, "big: &big {");
	for (int k = 0; k < 1000; k++)
		n += (size_t)snprintf(buf + n, cap - n, "k%d: 1, ", k);
	n += (size_t)snprintf(buf + n, cap - n, "z: 1}\n");
	for (int m = 0; m < 200; m++)
		n += (size_t)snprintf(buf + n, cap - n, "m%d: {<<: *big}\n", m);
	assert_true(n < cap);
	json_t *docs = load(buf, &err);
	free(buf);
	assert_null(docs);
	assert_non_null(strstr(err.text, "copy more than 100000 keys"));
}

/* The stream hands out documents and List items one at a time, with lines. */
static void test_stream_hands_out_list_items_with_lines(void **state)
{
	(void)state;
	const char *text =
		"apiVersion: v1\n"
		"items:\n"
		"- {kind: Pod, metadata: {name: a}}\n"
		"- kind: Pod\n"
		"  metadata: {name: b}\n"
		"kind: List\n"
		"---\n"
		"{\"kind\": \"PodList\", \"apiVersion\": \"v1\", \"items\": [{\"metadata\": {\"name\": \"c\"}}]}\n"
		"---\n"
		"kind: ConfigMap\n"
		"items: [1, 2]\n"
		"---\n"
		"# nothing\n"
		"---\n"
		"kind: Pod\n"
		"metadata: {name: [broken\n";
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	assert_non_null(f);
	struct yamljson_stream *s = yamljson_stream_open(f);
	assert_non_null(s);
	json_t *obj;
	int line;
	const char *lk;
	struct yamljson_error err;
	static const struct {
		const char *name;
		int line;
		const char *list_kind;
	} want[] = {{"a", 3, NULL}, {"b", 4, NULL}, {"c", 8, "PodList"}};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(yamljson_stream_next(s, &obj, &line, &lk, &err), 1);
		const char *name = NULL;
		name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
		assert_string_equal(name, want[i].name);
		assert_int_equal(line, want[i].line);
		if (want[i].list_kind == NULL)
			assert_null(lk);
		else
			assert_string_equal(lk, want[i].list_kind);
		json_decref(obj);
	}
	/* not a List: a ConfigMap-like object with items is one object */
	assert_int_equal(yamljson_stream_next(s, &obj, &line, &lk, &err), 1);
	assert_string_equal(json_string_value(json_object_get(obj, "kind")), "ConfigMap");
	assert_int_equal(json_array_size(json_object_get(obj, "items")), 2);
	assert_int_equal(line, 10);
	json_decref(obj);
	/* the empty document is skipped; the broken one is an error with its line */
	assert_int_equal(yamljson_stream_next(s, &obj, &line, &lk, &err), -1);
	assert_int_equal(err.line, 17);
	assert_int_equal(yamljson_stream_next(s, &obj, &line, &lk, &err), 0);
	yamljson_stream_close(s);
	fclose(f);
}

/* Tracking: where each named list item of the object handed out begins. */
static void test_stream_tracks_named_list_items(void **state)
{
	(void)state;
	const char *text = "kind: Pod\n"
			   "spec:\n"
			   "  containers:\n"
			   "  - name: a\n"
			   "    env: [{name: X, value: '1'}]\n"
			   "  - image: nameless\n"
			   "  - name: b\n"
			   "  volumes: [{name: data}]\n"
			   "---\n"
			   "kind: Pod\n"
			   "spec: {containers: [{name: c}]}\n";
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	struct yamljson_stream *s = yamljson_stream_open(f);
	yamljson_stream_track(s);
	json_t *obj;
	int line;
	const char *lk;
	struct yamljson_error err;
	assert_int_equal(yamljson_stream_next(s, &obj, &line, &lk, &err), 1);
	const json_t *pos = yamljson_stream_positions(s);
	assert_int_equal(json_integer_value(json_object_get(pos, "containers/a")), 4);
	assert_int_equal(json_integer_value(json_object_get(pos, "containers/b")), 7);
	assert_int_equal(json_integer_value(json_object_get(pos, "env/X")), 5);
	assert_int_equal(json_integer_value(json_object_get(pos, "volumes/data")), 8);
	assert_int_equal(json_object_size(pos), 4);
	json_decref(obj);
	/* the next object's positions replace the last one's */
	assert_int_equal(yamljson_stream_next(s, &obj, &line, &lk, &err), 1);
	pos = yamljson_stream_positions(s);
	assert_int_equal(json_integer_value(json_object_get(pos, "containers/c")), 11);
	assert_null(json_object_get(pos, "containers/a"));
	json_decref(obj);
	yamljson_stream_close(s);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars_resolve_like_kubernetes),
		cmocka_unit_test(test_yaml_1_1_as_kubectl_reads_it),
		cmocka_unit_test(test_multi_document_stream),
		cmocka_unit_test(test_duplicate_keys_are_refused_with_position),
		cmocka_unit_test(test_syntax_error_has_position),
		cmocka_unit_test(test_depth_is_bounded),
		cmocka_unit_test(test_aliases_share_values),
		cmocka_unit_test(test_non_string_keys_become_text),
		cmocka_unit_test(test_merge_keys_as_kubectl_reads_them),
		cmocka_unit_test(test_merge_keys_are_checked_and_bounded),
		cmocka_unit_test(test_stream_hands_out_list_items_with_lines),
		cmocka_unit_test(test_stream_tracks_named_list_items),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
