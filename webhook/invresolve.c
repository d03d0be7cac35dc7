/*
 * invresolve.c: the digest each tag points to now, for `admitd inventory
 * --resolve` (see invresolve.h). The registry work is sigverify_target's
 * (the same clients, limits and tag cache as the image policies); this
 * file only decides what to ask, remembers the answer per image for the
 * run, and writes it into the entries.
 */
#include "invresolve.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../policies/image.h"
#include "arena.h"
#include "audit.h"
#include "cfgtypes.h"
#include "oci.h"
#include "sigverify.h"

/* the shared tag cache's lifetime for what we put in it: the run's memo answers repeats */
#define INVRESOLVE_TAG_SECONDS 30.0
/* HEAD, then a GET when the HEAD names no digest: each bounded by the registry's timeout */
#define INVRESOLVE_REQUESTS_PER_IMAGE 2

struct invresolve {
	const struct admitd_config *cfg;
	/* "host/path:tag" -> {digest, status, reason?}: each image asked once per run */
	json_t *memo;
	/* host -> why: a registry that did not answer is not asked again this run */
	json_t *down;
};

struct invresolve *invresolve_new(const struct admitd_config *cfg)
{
	struct invresolve *rs = calloc(1, sizeof(*rs));
	if (rs == NULL)
		return NULL;
	rs->cfg = cfg;
	rs->memo = json_object();
	rs->down = json_object();
	if (rs->memo == NULL || rs->down == NULL)
		goto fail;
	return rs;
fail:
	invresolve_free(rs);
	return NULL;
}

void invresolve_free(struct invresolve *rs)
{
	if (rs == NULL)
		return;
	json_decref(rs->memo);
	json_decref(rs->down);
	free(rs);
}

static double invresolve_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The time one image may take: its registry's own request timeout, per request. */
static long invresolve_budget_ms(const struct invresolve *rs, const char *host)
{
	long ms = OCI_TIMEOUT_DEFAULT;
	for (size_t i = 0; i < rs->cfg->nregistries; i++)
		if (strcmp(rs->cfg->registries[i].host, host) == 0 &&
		    rs->cfg->registries[i].request_timeout_ms > 0)
			ms = rs->cfg->registries[i].request_timeout_ms;
	return ms * INVRESOLVE_REQUESTS_PER_IMAGE;
}

static json_t *invresolve_result(const char *digest, const char *status, const char *reason)
{
	json_t *r = json_pack("{s:s?,s:s}", "digest", digest, "status", status);
	if (r != NULL && reason != NULL)
		json_object_set_new(r, "reason", json_string(reason));
	return r;
}

/*
 * What image resolves to: {digest, status, reason?}, new. failed is set
 * when it is a failure not reported yet (the first container that names
 * the image reports it).
 */
static json_t *invresolve_image(struct invresolve *rs, const char *image, bool *failed)
{
	*failed = false;
	if (image == NULL)
		return invresolve_result(NULL, "bad-image", "the container names no image");
	struct arena a;
	arena_init(&a);
	json_t *out = NULL;
	char *key = NULL;
	struct image_ref ref;
	if (image_parse(&a, image, &ref) < 0) {
		char why[768];
		snprintf(why, sizeof(why), "\"%.500s\" is not an image reference", image);
		out = invresolve_result(NULL, "bad-image", why);
		goto done;
	}
	/* the runtime pulls a digest reference by its digest: its tag does not matter */
	if (ref.digest != NULL) {
		out = invresolve_result(ref.digest, "pinned", NULL);
		goto done;
	}
	key = arena_printf(&a, "%s/%s:%s", ref.host, ref.path,
			   ref.tag != NULL ? ref.tag : "latest");
	json_t *seen = key != NULL ? json_object_get(rs->memo, key) : NULL;
	if (seen != NULL) {
		out = json_incref(seen);
		goto done;
	}
	struct sigverify *sv = rs->cfg->sigverify;
	if (sv == NULL || sigverify_registry(sv, ref.host) == NULL) {
		char why[768];
		snprintf(why, sizeof(why),
			 "its registry %.256s is not under registries: in the configuration, so it "
			 "was not asked; add the registry to see where the tag points",
			 ref.host);
		out = invresolve_result(NULL, "no-registry", why);
		goto remember;
	}
	const json_t *down = json_object_get(rs->down, ref.host);
	if (down != NULL) {
		char why[768];
		snprintf(
			why, sizeof(why),
			"not asked: its registry %.256s did not answer for %.300s earlier in this run",
			ref.host, json_string_value(down));
		out = invresolve_result(NULL, "failed", why);
		*failed = true;
		goto remember;
	}
	struct timespec deadline = oci_deadline_in(invresolve_budget_ms(rs, ref.host));
	struct sigverify_target t;
	switch (sigverify_target(sv, &a, image, "the digest its tag points to",
				 INVRESOLVE_TAG_SECONDS, invresolve_now(), &deadline, &t)) {
	case SIGVERIFY_AT_OK:
		out = invresolve_result(t.digest, "resolved", NULL);
		break;
	case SIGVERIFY_AT_NO_REGISTRY:
		out = invresolve_result(NULL, "no-registry", t.why);
		break;
	case SIGVERIFY_AT_BAD_IMAGE:
		out = invresolve_result(NULL, "bad-image", t.why);
		break;
	case SIGVERIFY_AT_UNRESOLVED:
	case SIGVERIFY_AT_NOT_CACHED:
		out = invresolve_result(NULL, "failed", t.why);
		*failed = true;
		/* a registry that is down or silent would cost every other image its time too */
		if (t.failure == OCI_UNREACHABLE || t.failure == OCI_TIMEOUT)
			json_object_set_new(rs->down, ref.host, json_string(key));
		break;
	}
remember:
	if (out != NULL && key != NULL)
		json_object_set(rs->memo, key, out);
done:
	arena_free(&a);
	return out;
}

void invresolve_entry(struct invresolve *rs, struct audit_run *run, json_t *entry)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(entry, "containers"), i, c)
	{
		const char *image = json_string_value(json_object_get(c, "image"));
		bool failed;
		json_t *r = invresolve_image(rs, image, &failed);
		if (r == NULL) {
			audit_add_error(run, "--resolve", 0, "out of memory");
			return;
		}
		json_t *digest = json_object_get(r, "digest");
		json_t *reason = json_object_get(r, "reason");
		json_object_set(c, "resolvedDigest", digest != NULL ? digest : json_null());
		json_object_set(c, "resolveStatus", json_object_get(r, "status"));
		if (reason != NULL)
			json_object_set(c, "resolveReason", reason);
		if (failed)
			audit_add_error(run, image, 0, "%s", json_string_value(reason));
		json_decref(r);
	}
}
