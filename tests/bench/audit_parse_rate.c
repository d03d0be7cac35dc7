/*
 * audit_parse_rate: how fast the input of an audit can merely be read,
 * the yardstick `make bench` holds `admitd audit` against.
 *
 *   audit_parse_rate events FILE   libyaml's events alone (no values built)
 *   audit_parse_rate values FILE   events turned into jansson values, one
 *                                  object at a time (yamljson_stream_next,
 *                                  what audit reads with), nothing judged
 *
 * Prints "MB/s objects" (events: the byte rate and 0).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <yaml.h>

#include "../../webhook/yamljson.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "events") != 0 && strcmp(argv[1], "values") != 0)) {
		fprintf(stderr, "usage: audit_parse_rate events|values FILE\n");
		return 2;
	}
	FILE *f = fopen(argv[2], "rb");
	if (f == NULL) {
		perror(argv[2]);
		return 2;
	}
	fseek(f, 0, SEEK_END);
	double mb = (double)ftell(f) / 1e6;
	rewind(f);
	double t0 = now();
	unsigned long objects = 0;
	if (strcmp(argv[1], "events") == 0) {
		yaml_parser_t p;
		yaml_parser_initialize(&p);
		yaml_parser_set_input_file(&p, f);
		for (;;) {
			yaml_event_t ev;
			if (!yaml_parser_parse(&p, &ev)) {
				fprintf(stderr, "parse error\n");
				return 1;
			}
			int end = ev.type == YAML_STREAM_END_EVENT;
			yaml_event_delete(&ev);
			if (end)
				break;
		}
		yaml_parser_delete(&p);
	} else {
		struct yamljson_stream *s = yamljson_stream_open(f);
		json_t *obj;
		int line, rc;
		const char *lk;
		struct yamljson_error err;
		while ((rc = yamljson_stream_next(s, &obj, &line, &lk, &err)) == 1) {
			objects++;
			json_decref(obj);
		}
		yamljson_stream_close(s);
		if (rc < 0) {
			fprintf(stderr, "line %d: %s\n", err.line, err.text);
			return 1;
		}
	}
	double t = now() - t0;
	printf("%.1f %lu\n", mb / t, objects);
	fclose(f);
	return 0;
}
