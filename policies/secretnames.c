/*
 * secretnames.c: credential-looking names and values (see secretnames.h).
 */
#include "secretnames.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const secretnames_defaults[] = {"PASSWORD", "SECRET", "TOKEN", "API_KEY",
						   "PRIVATE_KEY"};

void secretnames_free(struct secretnames *s)
{
	for (size_t i = 0; i < s->npatterns; i++)
		free(s->patterns[i]);
	free(s->patterns);
	free(s->lengths);
	s->patterns = NULL;
	s->lengths = NULL;
	s->npatterns = 0;
}

int secretnames_prepare(char *const *given, size_t n, struct secretnames *out, char *err,
			size_t errlen)
{
	memset(out, 0, sizeof(*out));
	bool own = n > 0;
	if (!own)
		n = sizeof(secretnames_defaults) / sizeof(secretnames_defaults[0]);
	for (size_t i = 0; own && i < n; i++) {
		/* an empty pattern is a substring of every name and would flag every variable */
		if (given[i][0] == '\0' || strchr(given[i], '=') != NULL) {
			snprintf(err, errlen,
				 "patterns[%zu] \"%s\" must be a non-empty part of a variable name",
				 i, given[i]);
			return -1;
		}
	}
	if ((out->patterns = calloc(n, sizeof(*out->patterns))) == NULL ||
	    (out->lengths = calloc(n, sizeof(*out->lengths))) == NULL)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		if ((out->patterns[i] = strdup(own ? given[i] : secretnames_defaults[i])) == NULL)
			goto nomem;
		out->lengths[i] = strlen(out->patterns[i]);
		out->npatterns = i + 1;
	}
	return 0;
nomem:
	secretnames_free(out);
	snprintf(err, errlen, "out of memory");
	return -1;
}

static char secretnames_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* ASCII-only case folding: strcasestr follows the locale, and a locale must not unmask a name. */
static bool secretnames_contains(const char *name, size_t n, const char *pattern, size_t m)
{
	for (size_t i = 0; m <= n && i <= n - m; i++) {
		size_t k = 0;
		while (k < m && secretnames_upper(name[i + k]) == secretnames_upper(pattern[k]))
			k++;
		if (k == m)
			return true;
	}
	return false;
}

bool secretnames_match_n(const struct secretnames *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->npatterns; i++)
		if (secretnames_contains(name, len, s->patterns[i], s->lengths[i]))
			return true;
	return false;
}

bool secretnames_match(const struct secretnames *s, const char *name)
{
	return secretnames_match_n(s, name, strlen(name));
}

/* n characters of s from set (a strspn over a prefix of exactly n). */
static bool secretnames_run(const char *s, size_t n, const char *set)
{
	return strlen(s) >= n && strspn(s, set) >= n;
}

#define SECRETNAMES_B64URL "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
#define SECRETNAMES_ALNUM  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/* A JWT: three base64url parts, the first a JSON object ("eyJ" is base64 of '{"'). */
static bool secretnames_jwt(const char *v)
{
	if (strncmp(v, "eyJ", 3) != 0)
		return false;
	const char *p = v;
	for (int part = 0; part < 3; part++) {
		size_t n = strspn(p, SECRETNAMES_B64URL);
		if (n < (part == 2 ? 16u : 10u))
			return false;
		p += n;
		if (part < 2) {
			if (*p != '.')
				return false;
			p++;
		}
	}
	return *p == '\0';
}

const char *secretnames_value_kind(const char *v)
{
	static const struct {
		const char *prefix;
		size_t run; /* characters of set that must follow */
		const char *set;
		const char *kind;
	} formats[] = {
		/* AWS access key ids: AKIA (long-term), ASIA (temporary), 16 more of [A-Z0-9] */
		{"AKIA", 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "an AWS access key id"},
		{"ASIA", 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "an AWS access key id"},
		/* GitHub: ghp_ gho_ ghu_ ghs_ ghr_ and 36 alphanumerics; fine-grained github_pat_
		 */
		{"ghp_", 36, SECRETNAMES_ALNUM, "a GitHub token"},
		{"gho_", 36, SECRETNAMES_ALNUM, "a GitHub token"},
		{"ghu_", 36, SECRETNAMES_ALNUM, "a GitHub token"},
		{"ghs_", 36, SECRETNAMES_ALNUM, "a GitHub token"},
		{"ghr_", 36, SECRETNAMES_ALNUM, "a GitHub token"},
		{"github_pat_", 22, SECRETNAMES_ALNUM "_", "a GitHub token"},
		/* GitLab personal, project and group access tokens */
		{"glpat-", 20, SECRETNAMES_ALNUM "-_", "a GitLab token"},
	};
	if (v == NULL)
		return NULL;
	if (strstr(v, "-----BEGIN ") != NULL && strstr(v, "PRIVATE KEY-----") != NULL)
		return "a private key";
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		if (v[0] != formats[i].prefix[0])
			continue; /* most values (paths, numbers) end here: this runs per image
				     variable */
		size_t n = strlen(formats[i].prefix);
		if (strncmp(v, formats[i].prefix, n) == 0 &&
		    secretnames_run(v + n, formats[i].run, formats[i].set))
			return formats[i].kind;
	}
	if (secretnames_jwt(v))
		return "a JSON Web Token";
	return NULL;
}
