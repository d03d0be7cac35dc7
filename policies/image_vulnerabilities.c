/*
 * image-vulnerabilities: only images whose vulnerability scan is signed,
 * recent and clean enough may run. A pipeline scans the image it built
 * (trivy image --format cosign-vuln) and attests the result with its key
 * (cosign attest --type vuln); admission reads that attestation from the
 * registry instead of scanning anything itself.
 *
 * Forbids: on any container, init container or ephemeral container whose
 *          image matches `images`, an image (the digest its tag resolves
 *          to: a multi-arch index's own) without a vulnerability
 *          attestation (in-toto predicate type
 *          https://cosign.sigstore.dev/attestation/vuln/v1, cosign 2.x
 *          `.att` or cosign 3.x bundle) signed by one of `keys` whose
 *          subject is that digest; one whose newest scan finished more than
 *          `maxAgeHours` ago (or in the future); one whose scan found any
 *          vulnerability at or above `maxSeverity` whose id is not under
 *          `ignore`; a registry that cannot be read, unless
 *          `onRegistryError: allow` (then allowed, with a warning).
 * Reads:   <container>.image; the attestation as gathered before the engine
 *          ran (imgcheck.h, vulnattest.h): this check itself never waits.
 *          The scan's time and findings are cached, not the verdict: the
 *          age is judged now, the thresholds here.
 * Parameters:
 *   images:          [image pattern, ...]  required: the images checked
 *   keys:            [PEM public key file, ...]  required: the scanners' keys
 *   maxSeverity:     UNKNOWN, LOW, MEDIUM, HIGH or CRITICAL (default): the
 *                    lowest severity that denies
 *   maxAgeHours:     how old the newest scan may be, 1 to 8760, default 168
 *   ignore:          [vulnerability id, ...]  findings that never deny
 *   timeoutSeconds:  the most one review waits for registries, default 8
 *   onRegistryError: deny (default) or allow (with a warning)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../webhook/arena.h"
#include "../webhook/cosign.h"
#include "../webhook/vulnattest.h"
#include "imgcontents.h"

/* findings a message names; the rest are counted */
#define IMAGE_VULNERABILITIES_SHOWN 5
/* a scan this far ahead of this server's clock is not believed */
#define IMAGE_VULNERABILITIES_SKEW       600
#define IMAGE_VULNERABILITIES_IGNORE_MAX 1024

struct image_vulnerabilities_params {
	struct imgcheck_params common;
	char **keys;
	unsigned keys_count;
	int max_severity;
	unsigned *max_age_hours;
	char **ignore;
	unsigned ignore_count;
};

/* counted down from CRITICAL, so that the default (0, unset) is CRITICAL */
static const cyaml_strval_t image_vulnerabilities_severities[] = {
	{"CRITICAL", 0}, {"HIGH", 1}, {"MEDIUM", 2}, {"LOW", 3}, {"UNKNOWN", 4},
};

static const cyaml_schema_field_t image_vulnerabilities_fields[] = {
	IMGCHECK_FIELDS(struct image_vulnerabilities_params, common),
	CYAML_FIELD_SEQUENCE("keys", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct image_vulnerabilities_params, keys, &imgcheck_string_schema, 0,
			     16),
	CYAML_FIELD_ENUM("maxSeverity", CYAML_FLAG_OPTIONAL | CYAML_FLAG_STRICT,
			 struct image_vulnerabilities_params, max_severity,
			 image_vulnerabilities_severities, 5),
	CYAML_FIELD_UINT_PTR("maxAgeHours", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct image_vulnerabilities_params, max_age_hours),
	CYAML_FIELD_SEQUENCE("ignore", CYAML_FLAG_POINTER | CYAML_FLAG_OPTIONAL,
			     struct image_vulnerabilities_params, ignore, &imgcheck_string_schema,
			     0, IMAGE_VULNERABILITIES_IGNORE_MAX),
	CYAML_FIELD_END,
};

struct image_vulnerabilities_state {
	struct imgcheck_policy public; /* first: imgcheck reads it through the state pointer */
	struct cosign_keys *keys;
	enum vulnattest_severity max_severity;
	long long max_age_s;
	char **ignore; /* sorted, for bsearch */
	size_t nignore;
};

static void image_vulnerabilities_release(void *state)
{
	struct image_vulnerabilities_state *st = state;
	if (st == NULL)
		return;
	cosign_keys_free(st->keys);
	for (size_t i = 0; i < st->nignore; i++)
		free(st->ignore[i]);
	free(st->ignore);
	imgcheck_state_free(st);
}

static int image_vulnerabilities_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether an ignore entry can be a vulnerability id: what vulnattest keeps of one. */
static bool image_vulnerabilities_id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n >= VULNATTEST_ID_MAX - 3)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)id[i] <= 0x20 || (unsigned char)id[i] >= 0x7f || id[i] == '"' ||
		    id[i] == '\\')
			return false;
	return true;
}

static int image_vulnerabilities_prepare(const void *params, void **state, char *err, size_t errlen)
{
	const struct image_vulnerabilities_params *p = params;
	static const struct image_vulnerabilities_params none;
	if (p == NULL)
		p = &none;
	*state = NULL;
	if (p->common.images_count > 0 && p->keys_count == 0) {
		snprintf(err, errlen,
			 "\"keys\" must list at least one PEM public key file of the scanner "
			 "that attests, e.g. keys: [/etc/admitd/keys/scanner.pub]");
		return -1;
	}
	if (p->max_age_hours != NULL && (*p->max_age_hours < 1 || *p->max_age_hours > 8760)) {
		snprintf(err, errlen, "\"maxAgeHours\" must be from 1 to 8760 (a year)");
		return -1;
	}
	struct image_vulnerabilities_state *st =
		imgcheck_state_new(sizeof(*st), &p->common, err, errlen);
	if (st == NULL)
		return -1;
	if ((st->ignore = calloc(p->ignore_count + 1, sizeof(char *))) == NULL) {
		snprintf(err, errlen, "out of memory");
		image_vulnerabilities_release(st);
		return -1;
	}
	char why[512];
	st->keys = cosign_keys_load_files((const char *const *)p->keys, p->keys_count, why,
					  sizeof(why));
	if (st->keys == NULL) {
		snprintf(err, errlen, "keys: %s", why);
		image_vulnerabilities_release(st);
		return -1;
	}
	st->public.keys = st->keys;
	for (unsigned i = 0; i < p->ignore_count; i++) {
		if (!image_vulnerabilities_id_ok(p->ignore[i])) {
			snprintf(err, errlen,
				 "ignore[%u] \"%.80s\" is not a vulnerability id (CVE-2024-3094, "
				 "GHSA-..., of at most %d printable characters)",
				 i, p->ignore[i], VULNATTEST_ID_MAX - 4);
			image_vulnerabilities_release(st);
			return -1;
		}
		if ((st->ignore[i] = strdup(p->ignore[i])) == NULL) {
			snprintf(err, errlen, "out of memory");
			image_vulnerabilities_release(st);
			return -1;
		}
		st->nignore = i + 1;
	}
	qsort(st->ignore, st->nignore, sizeof(*st->ignore), image_vulnerabilities_strcmp);
	st->max_severity = (enum vulnattest_severity)(VULN_CRITICAL - p->max_severity);
	st->max_age_s = 3600LL * (p->max_age_hours != NULL ? *p->max_age_hours : 168);
	*state = st;
	return 0;
}

static bool image_vulnerabilities_ignored(const struct image_vulnerabilities_state *st,
					  const char *id)
{
	return st->nignore > 0 && bsearch(&id, st->ignore, st->nignore, sizeof(*st->ignore),
					  image_vulnerabilities_strcmp) != NULL;
}

/* The attestation could not be had: the verdict for the container. */
static int image_vulnerabilities_failed(struct policy_ctx *ctx,
					const struct image_vulnerabilities_state *st,
					const struct container_ref *c, const struct vulnattest *v)
{
	if (v == NULL)
		return policy_fail(ctx, c,
				   "image \"%s\": its vulnerability attestation was not read (the "
				   "registry was not asked); this fails closed",
				   c->image);
	const char *digest = v->digest[0] != '\0' ? v->digest : "no digest";
	if (v->status == VULNATTEST_UNREACHABLE && st->public.allow_on_registry_error)
		return policy_warn(ctx, c, NULL,
				   "is allowed unchecked: image \"%s\" (%s): %s; onRegistryError "
				   "is allow",
				   c->image, digest, v->reason);
	return policy_fail(ctx, c, "image \"%s\" (%s): %s%s", c->image, digest, v->reason,
			   v->status == VULNATTEST_UNREACHABLE
				   ? "; while the registry fails, images are denied "
				     "(onRegistryError: deny)"
				   : "");
}

/* The scan's findings at or above the threshold and not ignored: a message, or NULL. */
static const char *image_vulnerabilities_findings(struct policy_ctx *ctx,
						  const struct image_vulnerabilities_state *st,
						  const struct vulnattest_scan *scan)
{
	unsigned counts[VULNATTEST_NSEVERITIES];
	memcpy(counts, scan->counts, sizeof(counts));
	/* an ignored id counts no more; one not kept (past VULNATTEST_MAX_FINDINGS, the least
	 * severe) cannot be told ignored and still counts: fail closed */
	for (size_t i = 0; i < scan->n; i++)
		if (image_vulnerabilities_ignored(st, scan->findings[i].id) &&
		    counts[scan->findings[i].severity] > 0)
			counts[scan->findings[i].severity]--;
	unsigned total = 0;
	char *by = arena_strdup(ctx->arena, "");
	for (int s = VULN_CRITICAL; s >= (int)st->max_severity && by != NULL; s--) {
		if (counts[s] == 0)
			continue;
		by = arena_printf(ctx->arena, "%s%s%u %s", by, total > 0 ? ", " : "", counts[s],
				  vulnattest_severity_name((enum vulnattest_severity)s));
		total += counts[s];
	}
	if (total == 0 || by == NULL)
		return by == NULL ? "out of memory" : NULL;
	char *ids = arena_strdup(ctx->arena, "");
	unsigned shown = 0;
	for (size_t i = 0; i < scan->n && shown < IMAGE_VULNERABILITIES_SHOWN && ids != NULL; i++) {
		const struct vulnattest_finding *f = &scan->findings[i];
		if (f->severity < st->max_severity || image_vulnerabilities_ignored(st, f->id))
			continue;
		ids = arena_printf(ctx->arena, "%s%s%s", ids, shown > 0 ? ", " : "", f->id);
		shown++;
	}
	if (ids == NULL)
		return "out of memory";
	return arena_printf(
		ctx->arena, "%s at or above %s: %s%s", by,
		vulnattest_severity_name(st->max_severity), ids,
		total > shown ? arena_printf(ctx->arena, " (and %u more)", total - shown) : "");
}

static int image_vulnerabilities_judge(struct policy_ctx *ctx,
				       const struct image_vulnerabilities_state *st,
				       const struct container_ref *c, const struct vulnattest *v,
				       time_t now)
{
	/* the scan's time is formatted only for a message: strftime is most of a pass's cost */
	char when[40];
	long long age = (long long)now - (long long)v->scan.finished;
	if (age < -IMAGE_VULNERABILITIES_SKEW || age > st->max_age_s)
		vulnattest_time_format(v->scan.finished, when, sizeof(when));
	if (age < -IMAGE_VULNERABILITIES_SKEW)
		return policy_fail(ctx, c,
				   "image \"%s\" (%s): its vulnerability scan finished %s, %lld "
				   "minutes ahead of this server's clock; the scanner's clock (or "
				   "this server's) is wrong: fix it, then scan and attest again",
				   c->image, v->digest, when, -age / 60);
	if (age > st->max_age_s)
		return policy_fail(ctx, c,
				   "image \"%s\" (%s): its newest vulnerability scan finished %s, "
				   "%lld hours ago, more than maxAgeHours (%lld); scan the image "
				   "again and attest the result (cosign attest --type vuln)",
				   c->image, v->digest, when, age / 3600, st->max_age_s / 3600);
	const char *found = image_vulnerabilities_findings(ctx, st, &v->scan);
	if (found == NULL)
		return 0;
	vulnattest_time_format(v->scan.finished, when, sizeof(when));
	return policy_fail(ctx, c,
			   "image \"%s\" (%s): its vulnerability scan of %s found %s; update the "
			   "affected packages or base image, then scan and attest again, or accept "
			   "an id under ignore",
			   c->image, v->digest, when, found);
}

static int image_vulnerabilities_check(struct policy_ctx *ctx)
{
	const struct image_vulnerabilities_state *st = ctx->state;
	if (st == NULL)
		return policy_error(ctx, "%s has no prepared state", ctx->policy->id);
	if (ctx->contents != NULL && ctx->contents->skipped)
		return 0; /* audit --offline: reported as skipped, not as a verdict */
	time_t now = time(NULL);
	for (size_t i = 0; i < ctx->pod->ncontainers; i++) {
		const struct container_ref *c = &ctx->pod->containers[i];
		if (c->image == NULL)
			continue; /* other policies say so */
		const struct vulnattest *v = imgcheck_find_vuln(ctx->contents, c->image);
		if (v == NULL && !imgcheck_wanted(&st->public, ctx->arena, c->image))
			continue;
		int rc = v == NULL || v->status != VULNATTEST_OK
				 ? image_vulnerabilities_failed(ctx, st, c, v)
				 : image_vulnerabilities_judge(ctx, st, c, v, now);
		if (rc < 0)
			return -1;
	}
	return 0;
}

const struct policy_desc policy_image_vulnerabilities = {
	.id = "image-vulnerabilities",
	.description = "Images must carry a recent, signed vulnerability scan with no finding at "
		       "or above a severity",
	.level = POLICY_LEVEL_NONE,
	.default_action = POLICY_ACTION_OFF,
	.params_fields = image_vulnerabilities_fields,
	.params_size = sizeof(struct image_vulnerabilities_params),
	.prepare = image_vulnerabilities_prepare,
	.release = image_vulnerabilities_release,
	.check = image_vulnerabilities_check,
};
