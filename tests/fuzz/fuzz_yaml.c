/*
 * fuzz_yaml: yamljson_load, the YAML reader of `admitd audit` and
 * `admitd test` (libyaml events turned into JSON the way kubectl reads
 * manifests: YAML 1.1 scalars, keys written as JSON text, anchors).
 *
 * Properties, when the input loads:
 *   - the result is an array, and every element survives a JSON round
 *     trip (json_dumps then json_loads gives an equal value): nothing
 *     that JSON cannot hold (an infinity, a NaN, a non-string key) gets out;
 *   - a failure always says where (line > 0) and why (text not empty).
 */
#include "fuzz_common.h"

#include "../../webhook/yamljson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yamljson_error err;
	json_t *docs = yamljson_load((const char *)data, size, &err);
	if (docs == NULL) {
		if (err.text[0] == '\0')
			fuzz_fail("a failed load without a reason");
		return 0;
	}
	if (!json_is_array(docs))
		fuzz_fail("yamljson_load returned a non-array");
	char *text = json_dumps(docs, JSON_COMPACT | JSON_ENCODE_ANY);
	if (text != NULL) {
		json_error_t jerr;
		json_t *back = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
		if (back == NULL)
			fuzz_fail("the JSON written does not read back: %s", jerr.text);
		if (!json_equal(back, docs))
			fuzz_fail("the JSON round trip changed the value");
		json_decref(back);
		free(text);
	}
	json_decref(docs);
	return 0;
}
