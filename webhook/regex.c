/*
 * regex.c: PCRE2 with bounds, for the patterns of custom rules.
 *
 * Why PCRE2 and these options: a backtracking engine with a match limit
 * stops in bounded time whatever the pattern (glibc's regcomp expanded
 * bounded repeats by copying, and its matcher had no limit). The options
 * keep the verdicts of the patterns people wrote for glibc: `.` matches a
 * newline (DOTALL) and `$` matches only at the very end (DOLLAR_ENDONLY),
 * as in POSIX; without them `^[a-z]+$` would accept "abc\n".
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "regex.h"

#include <pcre2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct regex {
	pcre2_code *code;
	pcre2_match_context *mctx;
};

/* glibc extensions that PCRE2 reads as a literal character: the fix. */
static const struct {
	char c;
	const char *means, *fix;
} regex_gnu_escapes[] = {
	{'<', "start of a word", "\\b"},
	{'>', "end of a word", "\\b"},
	{'`', "start of the text", "\\A"},
	{'\'', "end of the text", "\\z"},
};

int regex_check_dialect(const char *p, char *err, size_t errlen)
{
	bool in_class = false, quoted = false;
	for (size_t i = 0; p[i] != '\0'; i++) {
		if (quoted) { /* \Q...\E: literal up to \E */
			if (p[i] == '\\' && p[i + 1] == 'E') {
				quoted = false;
				i++;
			}
			continue;
		}
		if (p[i] == '\\' && p[i + 1] != '\0') {
			i++;
			if (p[i] == 'Q') {
				quoted = true;
				continue;
			}
			for (size_t k = 0;
			     !in_class &&
			     k < sizeof(regex_gnu_escapes) / sizeof(regex_gnu_escapes[0]);
			     k++) {
				if (p[i] != regex_gnu_escapes[k].c)
					continue;
				snprintf(err, errlen,
					 "regex \"%s\": \\%c (%s) is a glibc extension that PCRE2 "
					 "reads as the character %c; write %s",
					 p, p[i], regex_gnu_escapes[k].means, p[i],
					 regex_gnu_escapes[k].fix);
				return -1;
			}
			continue;
		}
		if (in_class) {
			if (p[i] == '[' && p[i + 1] == ':') { /* [:alpha:] */
				const char *end = strstr(p + i + 2, ":]");
				if (end != NULL)
					i = (size_t)(end - p) + 1;
			} else if (p[i] == ']') {
				in_class = false;
			}
			continue;
		}
		if (p[i] == '[') {
			in_class = true;
			if (p[i + 1] == '^')
				i++;
			if (p[i + 1] == ']') /* a leading ] is a member */
				i++;
			continue;
		}
		if (p[i] == '{' && p[i + 1] == ',') {
			size_t j = i + 2;
			while (p[j] >= '0' && p[j] <= '9')
				j++;
			if (j > i + 2 && p[j] == '}') {
				snprintf(
					err, errlen,
					"regex \"%s\": %.*s meant {0%.*s} in POSIX but is the literal "
					"text \"%.*s\" in PCRE2 10.42; write {0%.*s}",
					p, (int)(j + 1 - i), p + i, (int)(j - i - 1), p + i + 1,
					(int)(j + 1 - i), p + i, (int)(j - i - 1), p + i + 1);
				return -1;
			}
		}
	}
	return 0;
}

struct regex *regex_compile(const char *pattern, char *err, size_t errlen)
{
	struct regex *re = NULL;
	pcre2_compile_context *cctx = NULL;
	size_t len = strlen(pattern);

	if (len > REGEX_MAX_PATTERN) {
		snprintf(err, errlen, "regex of %zu characters is longer than the %u allowed", len,
			 REGEX_MAX_PATTERN);
		return NULL;
	}
	if (regex_check_dialect(pattern, err, errlen) < 0)
		return NULL;
	if ((re = calloc(1, sizeof(*re))) == NULL ||
	    (cctx = pcre2_compile_context_create(NULL)) == NULL ||
	    (re->mctx = pcre2_match_context_create(NULL)) == NULL) {
		snprintf(err, errlen, "regex \"%s\": out of memory", pattern);
		goto fail;
	}
	pcre2_set_parens_nest_limit(cctx, REGEX_NEST_LIMIT);
	pcre2_set_max_pattern_length(cctx, REGEX_MAX_PATTERN);
	pcre2_set_match_limit(re->mctx, REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(re->mctx, REGEX_DEPTH_LIMIT);
	pcre2_set_heap_limit(re->mctx, REGEX_HEAP_LIMIT);

	int code;
	PCRE2_SIZE off;
	re->code = pcre2_compile((PCRE2_SPTR)pattern, len,
				 PCRE2_UTF | PCRE2_DOTALL | PCRE2_DOLLAR_ENDONLY |
					 PCRE2_NEVER_BACKSLASH_C,
				 &code, &off, cctx);
	if (re->code == NULL) {
		PCRE2_UCHAR why[160];
		if (pcre2_get_error_message(code, why, sizeof(why)) < 0)
			snprintf((char *)why, sizeof(why), "error %d", code);
		snprintf(err, errlen, "invalid regex \"%s\": %s at offset %zu", pattern,
			 (const char *)why, (size_t)off);
		goto fail;
	}
	pcre2_compile_context_free(cctx);
	return re;
fail:
	pcre2_compile_context_free(cctx);
	regex_free(re);
	return NULL;
}

void regex_free(struct regex *re)
{
	if (re == NULL)
		return;
	pcre2_code_free(re->code);
	pcre2_match_context_free(re->mctx);
	free(re);
}

enum regex_result regex_match(const struct regex *re, const char *subject, size_t len)
{
	/* one pair: only whether it matched is read */
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	if (md == NULL)
		return REGEX_LIMIT;
	int rc = pcre2_match(re->code, (PCRE2_SPTR)subject, len, 0, 0, md, re->mctx);
	pcre2_match_data_free(md);
	if (rc >= 0)
		return REGEX_MATCH;
	if (rc == PCRE2_ERROR_NOMATCH)
		return REGEX_NOMATCH;
	return REGEX_LIMIT; /* limits, and anything else PCRE2 could not finish */
}
