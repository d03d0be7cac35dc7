#ifndef ADMITD_REGEX_H
#define ADMITD_REGEX_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Regular expressions from the configuration, compiled by PCRE2 with limits
 * on what one match may cost, because the subject comes from the objects
 * admitd judges and the pattern from whoever wrote the configuration.
 * A compiled pattern is read-only and shared by every thread.
 */
struct regex;

enum regex_result {
	REGEX_NOMATCH = 0,
	REGEX_MATCH = 1,
	REGEX_LIMIT = 2, /* the match, depth or heap limit stopped it: no answer */
};

/* Limits of one match; docs/rules.md quotes them. */
#define REGEX_MATCH_LIMIT 200000u /* backtracking steps */
#define REGEX_DEPTH_LIMIT 5000u   /* nested backtracking points */
#define REGEX_HEAP_LIMIT  2048u   /* KiB of backtracking frames */
#define REGEX_MAX_PATTERN 4096u   /* characters */
#define REGEX_NEST_LIMIT  64u     /* parentheses */

/* NULL and the reason in err when pattern is refused or does not compile. */
struct regex *regex_compile(const char *pattern, char *err, size_t errlen);
void regex_free(struct regex *re);

/* Whether re matches somewhere in the len bytes of subject (valid UTF-8). */
enum regex_result regex_match(const struct regex *re, const char *subject, size_t len);

/*
 * 0 unless pattern uses a construct that glibc's POSIX EREs (admitd's
 * dialect before PCRE2) read otherwise and PCRE2 would take silently; then
 * -1 and, in err, the construct and how to write it now.
 */
int regex_check_dialect(const char *pattern, char *err, size_t errlen);

#endif
