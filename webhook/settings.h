/*
 * settings: what every policy and custom rule carries in a configuration:
 * its action and its exemptions (the libcyaml schema of an entry's
 * `exemptions:`), and name matching with trailing-`*` prefixes. Shared by
 * the configuration loader and the custom rules, which otherwise know
 * nothing of each other.
 */
#ifndef ADMITD_SETTINGS_H
#define ADMITD_SETTINGS_H

#include <stdbool.h>

#include <cyaml/cyaml.h>

#include "../policies/policy.h"

struct image_pattern;

struct exemptions {
	char **namespaces; /* exact names, or a prefix ending in '*' */
	unsigned nnamespaces;
	char **users;
	unsigned nusers;
	char **groups;
	unsigned ngroups;
	char **images; /* per policy only */
	unsigned nimages;
	struct image_pattern *image_patterns; /* compiled from images */
};

struct policy_setting {
	enum policy_action action; /* effective action; OFF = not run */
	bool listed;               /* has an entry under policies: */
	bool action_given;         /* that entry sets `action:` */
	int line;                  /* line of that entry, 0 when not listed */
	bool broken;               /* that entry had errors (reported): not prepared */
	struct exemptions *exempt; /* NULL when none */
	void *params;              /* as loaded by libcyaml, NULL when none */
	void *state;               /* from the module's prepare() */
};

/*
 * Loaded as value + 1: libcyaml zero-fills an absent optional field, and
 * `off` and `privileged` are 0, so 0 must mean "not given".
 */
#define SETTINGS_GIVEN(v) ((v) + 1)

/* deny, warn, audit, off, as SETTINGS_GIVEN(enum policy_action) */
extern const cyaml_strval_t settings_action_strings[4];
/* an entry's `exemptions:`: namespaces, users, groups, images */
extern const cyaml_schema_field_t settings_exemptions_fields[6];
extern const cyaml_schema_value_t settings_string_entry;
/* a list of strings into struct exemptions' member and n<member> */
#define SETTINGS_STRING_LIST(key, member)                                                          \
	CYAML_FIELD_SEQUENCE_COUNT(key, CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,                  \
				   struct exemptions, member, n##member, &settings_string_entry,   \
				   0, CYAML_UNLIMITED)

/* Frees an `exemptions:` loaded with settings_exemptions_fields, compiled images too. */
void settings_exemptions_free(struct exemptions *ex);
/* Frees only the compiled image patterns. */
void settings_exemptions_release(struct exemptions *ex);

/* Whether `name` matches one of the exact names or trailing-'*' globs. */
bool settings_name_matches(char *const *names, unsigned n, const char *name);

#endif
