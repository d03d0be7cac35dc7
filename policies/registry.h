/*
 * registry: the table of all policy modules, built from registry.def.
 */
#ifndef ADMITD_REGISTRY_H
#define ADMITD_REGISTRY_H

#include <stddef.h>

#include "policy.h"

extern const struct policy_desc *const registry_policies[];
extern const size_t registry_npolicies;
/*
 * registry_docs[i] is the user page of registry_policies[i]: what it
 * forbids and why, its parameters, an example denial and the fix
 * (Markdown, policies/<name>.md, embedded at build time).
 */
extern const char *const registry_docs[];

/* Index of the policy with this id, or -1. */
int registry_find(const char *id);
/* Checks the table (unique ids, a check function each, overrides that
 * name a baseline check). Returns 0, or -1 with a reason in err. */
int registry_validate(char *err, size_t errlen);

#endif
