/*
 * settings.c: see settings.h.
 */
#include "settings.h"

#include <stdlib.h>
#include <string.h>

#include "../policies/image.h"

const cyaml_strval_t settings_action_strings[4] = {
	{"deny", SETTINGS_GIVEN(POLICY_ACTION_DENY)},
	{"warn", SETTINGS_GIVEN(POLICY_ACTION_WARN)},
	{"audit", SETTINGS_GIVEN(POLICY_ACTION_AUDIT)},
	{"off", SETTINGS_GIVEN(POLICY_ACTION_OFF)},
};

const cyaml_schema_value_t settings_string_entry = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 0, 1024),
};

const cyaml_schema_field_t settings_exemptions_fields[6] = {
	SETTINGS_STRING_LIST("namespaces", namespaces),
	SETTINGS_STRING_LIST("users", users),
	SETTINGS_STRING_LIST("groups", groups),
	SETTINGS_STRING_LIST("images", images),
	CYAML_FIELD_END,
};
static const cyaml_schema_value_t settings_exemptions_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct exemptions, settings_exemptions_fields),
};

void settings_exemptions_release(struct exemptions *ex)
{
	if (ex == NULL || ex->image_patterns == NULL)
		return;
	for (unsigned i = 0; i < ex->nimages; i++)
		image_pattern_free(&ex->image_patterns[i]);
	free(ex->image_patterns);
	ex->image_patterns = NULL;
}

void settings_exemptions_free(struct exemptions *ex)
{
	if (ex == NULL)
		return;
	/* libcyaml's free needs only the allocator of the load */
	const cyaml_config_t cc = {.mem_fn = cyaml_mem, .log_level = CYAML_LOG_ERROR + 1};
	settings_exemptions_release(ex);
	cyaml_free(&cc, &settings_exemptions_schema, ex, 0);
}

bool settings_name_matches(char *const *names, unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++) {
		const char *pat = names[i];
		size_t len = strlen(pat);
		if (len > 0 && pat[len - 1] == '*') {
			if (strncmp(pat, name, len - 1) == 0)
				return true;
		} else if (strcmp(pat, name) == 0) {
			return true;
		}
	}
	return false;
}
