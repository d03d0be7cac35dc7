/*
 * sig_probe: drives sigverify (webhook/sigverify.c) for test_sigverify.sh,
 * one verifier and cache for the whole run, so that caching across calls
 * and a registry stopped between calls can be tested.
 *
 *   sig_probe --registry HOST[:PORT] --ca FILE --key FILE... [--any-identity]
 *             [--also REPO] [--cache S] [--failure-cache S] [--tag-cache S]
 *
 * Reads commands from standard input, one a line, and answers each with
 * one line on standard output (flushed):
 *   verify IMAGE   ->  STATUS cached=0|1 requests=N digest=D | REASON
 *   advance S      ->  ok        (moves the verifier's clock S seconds on)
 *   forget         ->  ok        (a reload: sigverify_forget)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../webhook/sigverify.h"

static double probe_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct oci_config reg = {0};
	const char *keyfiles[8] = {0};
	size_t nkeys = 0;
	const char *also[4];
	struct sigverify_policy p = {
		.cache_seconds = 300, .failure_seconds = 10, .tag_seconds = 30, .fingerprint = ""};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--any-identity") == 0) {
			p.options.any_identity = true;
			continue;
		}
		if (v == NULL) {
			fprintf(stderr, "sig_probe: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (strcmp(a, "--registry") == 0)
			reg.host = v;
		else if (strcmp(a, "--ca") == 0)
			reg.ca_file = v;
		else if (strcmp(a, "--key") == 0 && nkeys < 8)
			keyfiles[nkeys++] = v;
		else if (strcmp(a, "--also") == 0 && p.options.n_also_repos < 4)
			also[p.options.n_also_repos++] = v;
		else if (strcmp(a, "--cache") == 0)
			p.cache_seconds = atof(v);
		else if (strcmp(a, "--failure-cache") == 0)
			p.failure_seconds = atof(v);
		else if (strcmp(a, "--tag-cache") == 0)
			p.tag_seconds = atof(v);
		else {
			fprintf(stderr, "sig_probe: unknown option %s\n", a);
			return 2;
		}
	}
	p.options.also_repos = also;
	char why[512];
	struct cosign_keys *keys = cosign_keys_load_files(keyfiles, nkeys, why, sizeof(why));
	if (keys == NULL) {
		fprintf(stderr, "sig_probe: %s\n", why);
		return 2;
	}
	p.keys = keys;
	p.fingerprint = cosign_keys_set_fingerprint(keys);
	struct oci_error err;
	struct sigverify *sv = sigverify_new(&reg, reg.host != NULL ? 1 : 0, 64, &err);
	if (sv == NULL) {
		fprintf(stderr, "sig_probe: %s\n", err.reason);
		cosign_keys_free(keys);
		return 2;
	}
	double skew = 0;
	char line[4096];
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "verify ", 7) == 0) {
			struct sigverify_verdict out;
			sigverify_image(sv, &p, line + 7, probe_now() + skew, oci_deadline_in(8000),
					&out);
			printf("%s cached=%d requests=%u digest=%s | %s\n",
			       sigverify_status_name(out.status), out.cached, out.requests,
			       out.digest[0] ? out.digest : "-", out.reason);
		} else if (strncmp(line, "advance ", 8) == 0) {
			skew += atof(line + 8);
			printf("ok\n");
		} else if (strcmp(line, "forget") == 0) {
			sigverify_forget(sv);
			printf("ok\n");
		} else {
			printf("error unknown command\n");
		}
		fflush(stdout);
	}
	sigverify_free(sv);
	cosign_keys_free(keys);
	return 0;
}
