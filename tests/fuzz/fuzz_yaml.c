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
 *
 * The stream reader (yamljson_stream_next, what audit reads files with)
 * reads the same bytes: it fails exactly when yamljson_load fails, every
 * object it hands out is a JSON value, and it ends.
 */
#include "fuzz_common.h"

#include "../../webhook/yamljson.h"

/* Returns whether the stream read everything without an error. */
static bool fuzz_stream(const uint8_t *data, size_t size)
{
	FILE *f = fmemopen((void *)data, size, "r");
	if (f == NULL)
		return true; /* fmemopen refuses an empty buffer: nothing to read */
	struct yamljson_stream *s = yamljson_stream_open(f);
	if (s == NULL)
		fuzz_fail("yamljson_stream_open failed");
	json_t *obj;
	int line, rc;
	const char *lk;
	struct yamljson_error err;
	while ((rc = yamljson_stream_next(s, &obj, &line, &lk, &err)) == 1) {
		if (obj == NULL || line <= 0)
			fuzz_fail("an object handed out without a value or a line");
		json_decref(obj);
	}
	if (rc < 0 && err.text[0] == '\0')
		fuzz_fail("a failed stream without a reason");
	if (rc < 0 && yamljson_stream_next(s, &obj, &line, &lk, &err) != 0)
		fuzz_fail("the stream goes on after an error");
	yamljson_stream_close(s);
	fclose(f);
	return rc == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yamljson_error err;
	json_t *docs = yamljson_load((const char *)data, size, &err);
	bool streamed = fuzz_stream(data, size);
	if ((docs != NULL) != streamed && size > 0)
		fuzz_fail("yamljson_load %s but the stream %s", docs ? "read it" : "failed",
			  streamed ? "read it" : "failed");
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
