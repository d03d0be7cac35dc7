/*
 * test_audit_rec: audit's 32-byte record (audit.h) packs the spill offset,
 * the namespace index and the flags into one word. Past what those fields
 * hold, an object is an error that names it, never a record filed under
 * no namespace or pointing at the wrong place in the spill file; below,
 * the fields read back what was written.
 */
#include "harness.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../webhook/audit.h"

static json_t *pod(const char *ns, const char *name)
{
	return json_pack("{s:s,s:s,s:{s:s,s:s}}", "apiVersion", "v1", "kind", "Pod", "metadata",
			 "namespace", ns, "name", name);
}

/* Judges nothing: identifies and keeps obj as audit does, with res as its result. */
static void keep(struct audit_run *run, const json_t *obj, int line)
{
	json_t *res = json_pack("{s:s}", "kind", "Pod");
	struct audit_rec *r = audit_rec_new(run, "pods.yaml", line);
	assert_non_null(r);
	audit_rec_identify(run, r, obj, "Pod", res);
	audit_rec_keep(run, r, res, "pods.yaml", line);
	json_decref(res);
}

/* Each test's run, over a configuration of its own. */
struct fixture {
	struct admitd_config *cfg;
	struct audit_run run;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->cfg = harness_config("podSecurity: {level: baseline}\n");
	audit_init(&f->run, f->cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	audit_free(&f->run);
	config_unref(f->cfg);
	free(f);
	return 0;
}

static void test_fields_read_back_what_was_written(void **state)
{
	struct audit_run *run = &((struct fixture *)*state)->run;
	json_t *a = pod("shop", "a"), *b = pod("ops", "b");
	keep(run, a, 1);
	keep(run, b, 2);
	keep(run, a, 3);
	assert_int_equal(run->nrecs, 3);
	assert_int_equal(run->nerrors, 0);
	assert_string_equal(run->namespaces[run->recs[0].ns], "shop");
	assert_string_equal(run->namespaces[run->recs[1].ns], "ops");
	assert_int_equal(run->recs[2].ns, run->recs[0].ns);
	assert_true(run->recs[0].flags & AUDIT_REC_POD);
	assert_int_equal(run->recs[0].off, 0);
	assert_true(run->recs[1].off > 0 && run->recs[2].off > run->recs[1].off);
	json_decref(a);
	json_decref(b);
}

static void test_past_the_namespaces_a_record_holds_is_an_error(void **state)
{
	struct audit_run *run = &((struct fixture *)*state)->run;
	json_t *a = pod("shop", "a"), *b = pod("one-too-many", "b");
	keep(run, a, 1);
	/* as if AUDIT_NS_MAX namespaces were already kept */
	size_t had = run->nnamespaces;
	run->nnamespaces = (size_t)AUDIT_NS_MAX + 1;
	keep(run, b, 7);
	keep(run, a, 9); /* a namespace already kept is still found */
	run->nnamespaces = had;
	assert_int_equal(run->nrecs, 2);
	assert_int_equal(run->nerrors, 1);
	assert_string_equal(run->errors[0].source, "pods.yaml");
	assert_int_equal(run->errors[0].line, 7);
	assert_non_null(strstr(run->errors[0].message, "more than 1048575 namespaces"));
	json_decref(a);
	json_decref(b);
}

static void test_past_the_spill_offset_a_record_holds_is_an_error(void **state)
{
	struct audit_run *run = &((struct fixture *)*state)->run;
	json_t *a = pod("shop", "a");
	keep(run, a, 1);
	uint64_t had = run->spill_end;
	run->spill_end = AUDIT_SPILL_MAX + 1;
	keep(run, a, 4);
	run->spill_end = had;
	assert_int_equal(run->nrecs, 1);
	assert_int_equal(run->nerrors, 1);
	assert_int_equal(run->errors[0].line, 4);
	assert_non_null(strstr(run->errors[0].message, strerror(EFBIG)));
	json_decref(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fields_read_back_what_was_written, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_past_the_namespaces_a_record_holds_is_an_error,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_past_the_spill_offset_a_record_holds_is_an_error, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
