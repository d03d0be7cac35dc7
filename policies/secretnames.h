/*
 * secretnames: what looks like a credential in an environment variable,
 * for no-secrets-in-env (the pod's env) and image-env-secrets (the
 * image's ENV): one set of default name patterns and one matcher, and the
 * well-known formats a value can have whatever its name.
 */
#ifndef ADMITD_SECRETNAMES_H
#define ADMITD_SECRETNAMES_H

#include <stdbool.h>
#include <stddef.h>

struct secretnames {
	char **patterns;
	size_t *lengths; /* each pattern's: matching runs for every variable of every image */
	size_t npatterns;
};

/*
 * The patterns given (n of them), or the defaults (PASSWORD, SECRET,
 * TOKEN, API_KEY, PRIVATE_KEY) when n is 0. -1 with err for an empty
 * pattern or one with '=' (it would match every name, or none).
 */
int secretnames_prepare(char *const *given, size_t n, struct secretnames *out, char *err,
			size_t errlen);
void secretnames_free(struct secretnames *s);
/* Whether name contains one of the patterns (ASCII case folding, never the locale's). */
bool secretnames_match(const struct secretnames *s, const char *name);
/* The same for the first len bytes of name ("NAME=value" as an image's ENV holds it). */
bool secretnames_match_n(const struct secretnames *s, const char *name, size_t len);
/*
 * What value looks like when it has a well-known credential format ("a
 * private key", "an AWS access key id", "a GitHub token", "a GitLab
 * token", "a JSON Web Token"), or NULL. Never says the value itself.
 */
const char *secretnames_value_kind(const char *value);

#endif
