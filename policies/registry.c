/*
 * registry.c: the policy table. Adding a module is one line in
 * registry.def; registry_validate() runs at start-up and in a unit test so
 * a duplicate id or a missing function never reaches a cluster.
 */
#include "registry.h"

#include <stdio.h>
#include <string.h>

#define POLICY(name) extern const struct policy_desc policy_##name;
#include "registry.def"
#undef POLICY

const struct policy_desc *const registry_policies[] = {
#define POLICY(name) &policy_##name,
#include "registry.def"
#undef POLICY
};

const size_t registry_npolicies = sizeof(registry_policies) / sizeof(registry_policies[0]);

/*
 * Each module's page is a Markdown file beside its .c, so docs are edited
 * as docs; the assembler copies it into .rodata with a NUL after it. The
 * path is relative to the top of the tree, where every build runs, and the
 * Makefile rebuilds this object when a page changes.
 */
#define POLICY(name)                                                                               \
	extern const char policy_doc_##name[];                                                     \
	__asm__(".pushsection .rodata\n"                                                           \
		".hidden policy_doc_" #name "\n"                                                   \
		"policy_doc_" #name ":\n"                                                          \
		".incbin \"policies/" #name ".md\"\n"                                              \
		".byte 0\n"                                                                        \
		".popsection\n");
#include "registry.def"
#undef POLICY

const char *const registry_docs[] = {
#define POLICY(name) policy_doc_##name,
#include "registry.def"
#undef POLICY
};

int registry_find(const char *id)
{
	for (size_t i = 0; i < registry_npolicies; i++)
		if (strcmp(registry_policies[i]->id, id) == 0)
			return (int)i;
	return -1;
}

int registry_validate(char *err, size_t errlen)
{
	for (size_t i = 0; i < registry_npolicies; i++) {
		const struct policy_desc *p = registry_policies[i];
		if (p->id == NULL || p->id[0] == '\0' || p->check == NULL ||
		    p->description == NULL) {
			snprintf(err, errlen, "policy #%zu: missing id, description or check", i);
			return -1;
		}
		if (registry_docs[i][0] == '\0') {
			snprintf(err, errlen, "policy %s: its page policies/*.md is empty", p->id);
			return -1;
		}
		if ((p->params_fields == NULL) != (p->params_size == 0)) {
			snprintf(err, errlen, "policy %s: params_fields and params_size disagree",
				 p->id);
			return -1;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(registry_policies[j]->id, p->id) == 0) {
				snprintf(err, errlen, "policy id %s is registered twice", p->id);
				return -1;
			}
		}
		if (p->overrides != NULL) {
			int t = registry_find(p->overrides);
			if (p->level != POLICY_LEVEL_RESTRICTED || t < 0 ||
			    registry_policies[t]->level != POLICY_LEVEL_BASELINE) {
				snprintf(err, errlen,
					 "policy %s: overrides %s, which is not a baseline check",
					 p->id, p->overrides);
				return -1;
			}
		}
	}
	return 0;
}
