/*
 * oci_probe: drives the registry client (webhook/oci.c) for
 * tests/integration/test_oci.sh. One client for the whole run, so that
 * connections and tokens are reused across the commands it reads, one a
 * line, from standard input:
 *
 *   resolve REPO REF
 *   manifest REPO REF
 *   blob REPO DIGEST SIZE MAX
 *   referrers REPO DIGEST [ARTIFACT-TYPE]
 *
 * Each prints one line: "OK <digest> <media type or -> <bytes> <ms>" or
 * "ERR <category> <ms> <reason>" (category with '_' for spaces). At the
 * end: "RSS_KB <peak resident set>", which shows that nothing was
 * buffered whole.
 *
 *   oci_probe --host H [--endpoint E] [--ca FILE] [--auth DOCKER-CONFIG] [--insecure]
 *             [--extra HOST]... [--timeout-ms N] [--deadline-ms N]
 *             [--max-manifest BYTES]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "../../webhook/oci.h"

static long probe_ms_since(struct timespec t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)(t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000L;
}

static void probe_result(enum oci_category cat, const struct oci_error *err, const char *digest,
			 const struct oci_content *ct, struct timespec t0)
{
	if (cat == OCI_OK) {
		printf("OK %s %s %zu %ld\n", digest, ct && ct->media_type[0] ? ct->media_type : "-",
		       ct ? ct->len : 0, probe_ms_since(t0));
	} else {
		char name[32];
		snprintf(name, sizeof(name), "%s", oci_category_name(cat));
		for (char *p = name; *p; p++)
			if (*p == ' ')
				*p = '_';
		printf("ERR %s %ld %s\n", name, probe_ms_since(t0), err->reason);
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct oci_config cfg = {0};
	long deadline_ms = 10000;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--insecure") == 0) {
			cfg.insecure_http = true;
			continue;
		}
		if (v == NULL) {
			fprintf(stderr, "oci_probe: %s needs a value\n", a);
			return 2;
		}
		i++;
		if (strcmp(a, "--host") == 0)
			cfg.host = v;
		else if (strcmp(a, "--endpoint") == 0)
			cfg.endpoint = v;
		else if (strcmp(a, "--ca") == 0)
			cfg.ca_file = v;
		else if (strcmp(a, "--auth") == 0)
			cfg.docker_config = v;
		else if (strcmp(a, "--extra") == 0 && cfg.n_extra_hosts < OCI_EXTRA_HOSTS_MAX)
			cfg.extra_hosts[cfg.n_extra_hosts++] = v;
		else if (strcmp(a, "--timeout-ms") == 0)
			cfg.request_timeout_ms = atol(v);
		else if (strcmp(a, "--deadline-ms") == 0)
			deadline_ms = atol(v);
		else if (strcmp(a, "--max-manifest") == 0)
			cfg.max_manifest = (size_t)atol(v);
		else {
			fprintf(stderr, "oci_probe: unknown option %s\n", a);
			return 2;
		}
	}
	struct oci_error err;
	struct oci_client *c = oci_open(&cfg, &err);
	if (c == NULL) {
		printf("OPEN_FAILED %s\n", err.reason);
		return 1;
	}
	char line[1024];
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char op[32] = "", repo[300] = "", ref[200] = "", a3[200] = "", a4[64] = "";
		if (sscanf(line, "%31s %299s %199s %199s %63s", op, repo, ref, a3, a4) < 3)
			continue;
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		struct timespec dl = oci_deadline_in(deadline_ms);
		struct oci_content ct = {0};
		enum oci_category cat;
		if (strcmp(op, "resolve") == 0) {
			char digest[OCI_DIGEST_MAX];
			cat = oci_resolve(c, repo, ref, dl, digest, &err);
			probe_result(cat, &err, digest, NULL, t0);
			continue;
		}
		if (strcmp(op, "manifest") == 0)
			cat = oci_manifest(c, repo, ref, dl, &ct, &err);
		else if (strcmp(op, "blob") == 0)
			cat = oci_blob(c, repo, ref, (size_t)atol(a3), (size_t)atol(a4), dl, &ct,
				       &err);
		else if (strcmp(op, "referrers") == 0)
			cat = oci_referrers(c, repo, ref, a3[0] ? a3 : NULL, dl, &ct, &err);
		else {
			printf("BAD_COMMAND %s\n", op);
			continue;
		}
		probe_result(cat, &err, ct.digest, &ct, t0);
		oci_content_free(&ct);
	}
	oci_close(c);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("RSS_KB %ld\n", ru.ru_maxrss);
	return 0;
}
