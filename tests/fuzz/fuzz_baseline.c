/*
 * fuzz_baseline: the baseline reader of `admitd inventory --baseline`.
 *
 * Input: a file that claims to be a json inventory.
 * drift_baseline_parse(input); when it is read, drift_compare of it with
 * itself and with nothing.
 *
 * Properties, when it is read:
 *   - an inventory compared with itself has no drift;
 *   - compared with an empty inventory, every workload is removed-workload,
 *     and from an empty one, every workload is new-workload (one each);
 *   - drift_compare never fails on what the reader accepted.
 */
#include "fuzz_common.h"

#include "../../webhook/inventory.h"

static size_t count_class(const json_t *drift, const char *cls)
{
	size_t n = 0, i;
	const json_t *d;
	json_array_foreach(drift, i, d)
	{
		const char *c = json_string_value(json_object_get(d, "class"));
		n += c != NULL && strcmp(c, cls) == 0;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[300];
	json_t *base = drift_baseline_parse((const char *)data, size, why, sizeof(why));
	if (base == NULL)
		return 0;
	json_t *empty = json_object();
	json_t *same = drift_compare(base, base);
	if (json_array_size(same) != 0)
		abort();
	json_t *removed = drift_compare(base, empty);
	if (count_class(removed, "removed-workload") != json_object_size(base))
		abort();
	json_t *added = drift_compare(empty, base);
	if (count_class(added, "new-workload") != json_object_size(base))
		abort();
	json_decref(same);
	json_decref(removed);
	json_decref(added);
	json_decref(empty);
	json_decref(base);
	return 0;
}
