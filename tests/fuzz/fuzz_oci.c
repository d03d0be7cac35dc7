/*
 * fuzz_oci: the parsers of the registry client that read what others
 * wrote: a WWW-Authenticate header and a Link header (sent by any registry
 * asked) and a docker config file. Every input is given to each.
 *
 * Properties, beyond no crash, no sanitizer report and no leak:
 *   - a header that parses has only well-formed challenges (a scheme of
 *     token characters, lower-case parameter names, no control character
 *     but HTAB in a value), and written back in canonical form (every
 *     value quoted and escaped) it parses to the same challenges;
 *   - a Link header's next page, when found, is a URI found again when
 *     written back as the only link; a refused Link header finds none;
 *   - a header that does not parse leaves no challenge and says why;
 *   - credentials found have a non-empty user name, and written back as
 *     username/password (and as "auth", base64, when the name has no
 *     colon) they are found again, the same;
 *   - a config that does not parse says why and returns no credentials.
 */
#include "fuzz_common.h"

#include <ctype.h>

#include <openssl/evp.h>

#include "../../webhook/oci.h"

static const char *const HOSTS[] = {"registry.example:5000", "docker.io"};

/* Appends s to *buf (size *cap, used *len); aborts when out of memory. */
static void put(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		*cap = (*len + n + 1) * 2;
		*buf = realloc(*buf, *cap);
		if (*buf == NULL)
			abort();
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
}

static bool same_challenge(const struct oci_challenge *a, const struct oci_challenge *b)
{
	if (strcmp(a->scheme, b->scheme) != 0 || a->nparams != b->nparams)
		return false;
	if ((a->token68 == NULL) != (b->token68 == NULL) ||
	    (a->token68 != NULL && strcmp(a->token68, b->token68) != 0))
		return false;
	for (size_t i = 0; i < a->nparams; i++)
		if (strcmp(a->params[i].name, b->params[i].name) != 0 ||
		    strcmp(a->params[i].value, b->params[i].value) != 0)
			return false;
	return true;
}

static void check_challenge(const struct oci_challenge *ch)
{
	if (ch->scheme == NULL || ch->scheme[0] == '\0')
		fuzz_fail("a challenge without a scheme");
	for (size_t i = 0; i < ch->nparams; i++) {
		for (const char *p = ch->params[i].name; *p; p++)
			if (isupper((unsigned char)*p) || isspace((unsigned char)*p))
				fuzz_fail("parameter name \"%s\" is not lower-case token",
					  ch->params[i].name);
		for (const char *p = ch->params[i].value; *p; p++)
			if ((unsigned char)*p < 0x20 && *p != '\t')
				fuzz_fail("a control character in the value of %s",
					  ch->params[i].name);
	}
}

static void fuzz_header(const uint8_t *data, size_t size)
{
	struct oci_challenges cs = {0};
	char why[128] = "";
	if (oci_challenges_parse((const char *)data, size, &cs, why, sizeof(why)) < 0) {
		if (cs.n != 0 || why[0] == '\0')
			fuzz_fail("a refused header left %zu challenges, reason \"%s\"", cs.n, why);
		return;
	}
	/* canonical form: scheme, then the token68 or every parameter quoted */
	char *buf = NULL;
	size_t len = 0, cap = 0;
	put(&buf, &len, &cap, "", 0);
	for (size_t i = 0; i < cs.n; i++) {
		const struct oci_challenge *ch = &cs.list[i];
		check_challenge(ch);
		if (i > 0)
			put(&buf, &len, &cap, ", ", 2);
		put(&buf, &len, &cap, ch->scheme, strlen(ch->scheme));
		if (ch->token68 != NULL) {
			put(&buf, &len, &cap, " ", 1);
			put(&buf, &len, &cap, ch->token68, strlen(ch->token68));
		}
		for (size_t j = 0; j < ch->nparams; j++) {
			put(&buf, &len, &cap, j ? ", " : " ", j ? 2 : 1);
			put(&buf, &len, &cap, ch->params[j].name, strlen(ch->params[j].name));
			put(&buf, &len, &cap, "=\"", 2);
			for (const char *p = ch->params[j].value; *p; p++) {
				if (*p == '"' || *p == '\\')
					put(&buf, &len, &cap, "\\", 1);
				put(&buf, &len, &cap, p, 1);
			}
			put(&buf, &len, &cap, "\"", 1);
		}
	}
	struct oci_challenges again = {0};
	if (oci_challenges_parse(buf, len, &again, why, sizeof(why)) < 0)
		fuzz_fail("canonical form \"%s\" does not parse: %s", buf, why);
	if (again.n != cs.n)
		fuzz_fail("canonical form \"%s\" has %zu challenges, not %zu", buf, again.n, cs.n);
	for (size_t i = 0; i < cs.n; i++)
		if (!same_challenge(&cs.list[i], &again.list[i]))
			fuzz_fail("challenge %zu differs after \"%s\"", i, buf);
	oci_challenges_free(&again);
	oci_challenges_free(&cs);
	free(buf);
}

/* Parses doc (a JSON text) for host; aborts unless it finds exactly want. */
static void expect_creds(const char *doc, const char *host, const struct oci_credentials *want)
{
	struct oci_credentials got;
	char why[256];
	int rc = oci_docker_config_parse(doc, strlen(doc), host, &got, why, sizeof(why));
	if (rc != 1)
		fuzz_fail("credentials written back as %s are not found: %d %s", doc, rc, why);
	if (strcmp(got.username, want->username) != 0 || strcmp(got.password, want->password) != 0)
		fuzz_fail("credentials written back as %s read differently", doc);
	oci_credentials_free(&got);
}

static void fuzz_docker_config(const uint8_t *data, size_t size, const char *host)
{
	struct oci_credentials cr;
	char why[256] = "";
	int rc = oci_docker_config_parse((const char *)data, size, host, &cr, why, sizeof(why));
	if (rc < 0) {
		if (why[0] == '\0' || cr.username != NULL || cr.password != NULL)
			fuzz_fail("a refused config gave credentials or no reason");
		return;
	}
	if (rc == 0) {
		if (cr.username != NULL || cr.password != NULL)
			fuzz_fail("no credentials found, but some returned");
		return;
	}
	if (cr.username == NULL || cr.username[0] == '\0' || cr.password == NULL)
		fuzz_fail("credentials found without a user name or password");
	json_t *doc = json_pack("{s:{s:{s:s,s:s}}}", "auths", host, "username", cr.username,
				"password", cr.password);
	char *text = doc ? json_dumps(doc, 0) : NULL;
	if (text != NULL)
		expect_creds(text, host, &cr);
	free(text);
	json_decref(doc);
	if (strchr(cr.username, ':') == NULL) {
		char *plain = NULL;
		int n = asprintf(&plain, "%s:%s", cr.username, cr.password);
		if (n < 0)
			abort();
		char *b64 = malloc(((size_t)n + 2) / 3 * 4 + 1);
		if (b64 == NULL)
			abort();
		EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)plain, n);
		doc = json_pack("{s:{s:{s:s}}}", "auths", host, "auth", b64);
		text = doc ? json_dumps(doc, 0) : NULL;
		if (text != NULL)
			expect_creds(text, host, &cr);
		free(text);
		json_decref(doc);
		free(b64);
		free(plain);
	}
	oci_credentials_free(&cr);
}

/*
 * A Link header: a next page found is a non-empty URI of printable ASCII
 * without spaces or '>', and written back as the one link of a header it
 * is found again, the same; a refused header says why and finds none.
 */
static void fuzz_link(const uint8_t *data, size_t size)
{
	char *uri = (char *)"unset", *again = NULL, why[128] = "";
	int r = oci_link_next((const char *)data, size, &uri, why, sizeof(why));
	if (r <= 0) {
		if (uri != NULL || (r < 0 && why[0] == '\0'))
			fuzz_fail("no link found, yet uri %p and reason \"%s\"", (void *)uri, why);
		return;
	}
	if (uri[0] == '\0')
		fuzz_fail("an empty next link");
	for (const char *p = uri; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '>')
			fuzz_fail("a next link with byte 0x%02x", (unsigned char)*p);
	char *buf = NULL;
	size_t len = 0, cap = 0;
	put(&buf, &len, &cap, "<", 1);
	put(&buf, &len, &cap, uri, strlen(uri));
	put(&buf, &len, &cap, ">; rel=\"next\"", 13);
	if (oci_link_next(buf, len, &again, why, sizeof(why)) != 1 || strcmp(again, uri) != 0)
		fuzz_fail("\"%s\" does not find %s again", buf, uri);
	free(again);
	free(buf);
	free(uri);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_header(data, size);
	fuzz_link(data, size);
	for (size_t i = 0; i < sizeof(HOSTS) / sizeof(HOSTS[0]); i++)
		fuzz_docker_config(data, size, HOSTS[i]);
	return 0;
}
