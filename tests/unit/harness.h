/*
 * harness: shared helpers for the cmocka unit tests: load objects from
 * YAML/JSON text or files, load a configuration from YAML text, judge an
 * object through the real engine and look for violations.
 */
#ifndef ADMITD_TEST_HARNESS_H
#define ADMITD_TEST_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../webhook/config.h"
#include "../../webhook/engine.h"

/* The first document of YAML (or JSON) text; fails the test on a parse error. */
json_t *harness_yaml(const char *text);
/* Every document of a file; fails the test on error. */
json_t *harness_file_docs(const char *path);
/* Path of a file under ../shared/conformance (ADMITD_SHARED, or ../shared beside the checkout). */
const char *harness_shared(const char *relpath);

/* A configuration from YAML text; fails the test (printing every error) if it does not load. */
struct admitd_config *harness_config(const char *yaml);
/* The errors a configuration produces; fails the test if it loads. Joined by '\n'. */
char *harness_config_errors(const char *yaml);

/* Wraps a Pod into the template of a workload kind (Deployment, CronJob, ...). New reference. */
json_t *harness_wrap(const char *kind, const json_t *pod);

/*
 * Judges obj (kind as given) in namespace "default" as user "alice".
 * The verdict lives until the next harness_judge call.
 */
const struct engine_verdict *harness_judge(const struct admitd_config *cfg, const char *kind,
					   const json_t *obj);
const struct engine_verdict *harness_judge_as(const struct admitd_config *cfg,
					      const struct engine_input *in);

/* Whether a violation of `policy` (any, when NULL) with `substr` (any, when NULL) exists. */
bool harness_has(const struct engine_verdict *v, const char *policy, const char *substr);
/* Prints every violation, for failing assertions. */
void harness_dump(const struct engine_verdict *v);

#endif
