/*
 * rules: custom checks that platform teams write in the configuration
 * (`rules:`), compiled once at load and run by the engine like built-in
 * policy modules, with the same actions, exemptions and reporting.
 */
#ifndef ADMITD_RULES_H
#define ADMITD_RULES_H

#include <stddef.h>

#include "../policies/policy.h"

struct rule;

/* One compiled rule: a policy descriptor of its own plus its setting. */
struct rule_set {
	struct rule **rules;
	size_t count;
};

struct yamlconf_errors;
struct policy_setting;
struct admitd_config;

/*
 * Reads and compiles rules[idx] from its YAML text (padded so lines match
 * the file); on error appends `file:line:col: message` lines to errs.
 * match.kinds may name the kinds cfg judges, its `workloads:` too.
 * Returns the compiled rule, or NULL.
 */
struct rule *rules_compile(const char *name, const char *text, size_t len, size_t idx, int line,
			   int col, const struct admitd_config *cfg, struct yamlconf_errors *errs);
void rules_free(struct rule *r);

const struct policy_desc *rules_desc(const struct rule *r);
struct policy_setting *rules_setting(struct rule *r);
/* Strings longer than n never reach the rule's regexes: the rule is undecided (a violation). */
void rules_set_max_match(struct rule *r, unsigned n);

/* Compiles a path for tests and the fuzzer; returns 0 or -1 with a reason. */
int rules_check_path(const char *path, char *err, size_t errlen);
/*
 * Compares two Kubernetes quantities (`512Mi`, `100m`, `1e3`) as lt/lte/gt/gte
 * do: *cmp is -1, 0 or 1 as a is below, equal to or above b. For tests and
 * the fuzzer; returns 0, or -1 with a reason when either is not a quantity.
 */
int rules_compare_quantities(const char *a, const char *b, int *cmp, char *err, size_t errlen);

#endif
