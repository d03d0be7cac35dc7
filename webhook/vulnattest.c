/*
 * vulnattest.c: an image's signed vulnerability scan, from its registry
 * (see vulnattest.h).
 *
 * Every attestation found is verified (cosign.c: a configured key, the
 * subject digest, the predicate type) before anything it says is read;
 * of the verified ones the newest scan wins. Otherwise the result carries
 * the most telling reason among the attestations looked at.
 */
#include "vulnattest.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../policies/image.h"
#include "arena.h"
#include "ocimf.h"
#include "sigcache.h"

#define VULNATTEST_MT_BUNDLE "application/vnd.dev.sigstore.bundle.v0.3+json"
/* what cosign writes beside an attestation, unsigned: only a reason to skip a fetch */
#define VULNATTEST_ANNOTATION_V2 "predicateType"
#define VULNATTEST_ANNOTATION_V3 "dev.sigstore.bundle.predicateType"

static const char *const vulnattest_severities[VULNATTEST_NSEVERITIES] = {
	"UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"};

const char *vulnattest_severity_name(enum vulnattest_severity s)
{
	return (unsigned)s < VULNATTEST_NSEVERITIES ? vulnattest_severities[s] : "UNKNOWN";
}

int vulnattest_severity_parse(const char *s)
{
	for (int i = 0; s != NULL && i < VULNATTEST_NSEVERITIES; i++)
		if (strcasecmp(s, vulnattest_severities[i]) == 0)
			return i;
	return -1;
}

const char *vulnattest_status_name(enum vulnattest_status s)
{
	static const char *const names[] = {"ok",          "none",        "rejected",
					    "unreachable", "no-registry", "bad-image"};
	return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

void vulnattest_scan_free(struct vulnattest_scan *s)
{
	if (s == NULL)
		return;
	free(s->findings);
	memset(s, 0, sizeof(*s));
}

void vulnattest_release(struct vulnattest *v)
{
	if (v != NULL)
		vulnattest_scan_free(&v->scan);
}

int vulnattest_copy(struct vulnattest *dst, const struct vulnattest *src)
{
	*dst = *src;
	dst->scan.findings = NULL;
	dst->scan.n = 0;
	if (src->scan.n == 0)
		return 0;
	dst->scan.findings = malloc(src->scan.n * sizeof(*dst->scan.findings));
	if (dst->scan.findings == NULL)
		return -1;
	memcpy(dst->scan.findings, src->scan.findings, src->scan.n * sizeof(*dst->scan.findings));
	dst->scan.n = src->scan.n;
	return 0;
}

/* ---- time ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t vulnattest_days(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* n decimal digits at s into *out; false when any is not a digit. */
static bool vulnattest_digits(const char *s, int n, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return true;
}

int vulnattest_time_parse(const char *s, int64_t *out)
{
	static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned y, mo, d, h, mi, sec;
	if (s == NULL || strnlen(s, 20) < 20 || !vulnattest_digits(s, 4, &y) || s[4] != '-' ||
	    !vulnattest_digits(s + 5, 2, &mo) || s[7] != '-' || !vulnattest_digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't') || !vulnattest_digits(s + 11, 2, &h) || s[13] != ':' ||
	    !vulnattest_digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !vulnattest_digits(s + 17, 2, &sec))
		return -1;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap) || h > 23 ||
	    mi > 59 || sec > 59)
		return -1;
	const char *p = s + 19;
	if (*p == '.') { /* a fraction: Go writes up to 9 digits */
		size_t n = strspn(p + 1, "0123456789");
		if (n == 0 || n > 9)
			return -1;
		p += 1 + n;
	}
	int64_t offset = 0;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		offset = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		unsigned oh, om;
		if (!vulnattest_digits(p + 1, 2, &oh) || !vulnattest_digits(p + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
		offset = (int64_t)(oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
	} else {
		return -1;
	}
	*out = vulnattest_days(y, mo, d) * 86400 + (int64_t)(h * 3600 + mi * 60 + sec) - offset;
	return 0;
}

const char *vulnattest_time_format(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "@%lld", (long long)t);
	return buf;
}

/* ---- the predicate ---- */

struct vulnattest_raw {
	const char *id; /* in the predicate's JSON */
	int severity;
};

static int vulnattest_by_id(const void *a, const void *b)
{
	const struct vulnattest_raw *x = a, *y = b;
	int c = strcmp(x->id, y->id);
	return c != 0 ? c : y->severity - x->severity; /* the highest severity first */
}

static int vulnattest_by_severity(const void *a, const void *b)
{
	const struct vulnattest_raw *x = a, *y = b;
	return x->severity != y->severity ? y->severity - x->severity : strcmp(x->id, y->id);
}

/* An id as a message may print it: printable ASCII, shortened with "...". */
static void vulnattest_id_copy(char dst[VULNATTEST_ID_MAX], const char *id)
{
	size_t n = strlen(id), i = 0;
	size_t keep = n < VULNATTEST_ID_MAX ? n : VULNATTEST_ID_MAX - 4;
	for (; i < keep; i++) {
		unsigned char c = (unsigned char)id[i];
		dst[i] = c > 0x20 && c < 0x7f && c != '"' && c != '\\' ? (char)c : '?';
	}
	if (keep < n) {
		memcpy(dst + i, "...", 3);
		i += 3;
	}
	dst[i] = '\0';
}

__attribute__((format(printf, 3, 4))) static int vulnattest_why(char *why, size_t whylen,
								const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Appends the findings of one Results[] entry to *raw. */
static int vulnattest_result(const json_t *res, size_t ri, struct vulnattest_raw **raw, size_t *n,
			     size_t *cap, char *why, size_t whylen)
{
	if (!json_is_object(res))
		return vulnattest_why(why, whylen, "scanner.result.Results[%zu] is not an object",
				      ri);
	const json_t *vulns = json_object_get(res, "Vulnerabilities");
	if (vulns == NULL || json_is_null(vulns))
		return 0; /* a target with no findings */
	if (!json_is_array(vulns))
		return vulnattest_why(why, whylen,
				      "scanner.result.Results[%zu].Vulnerabilities is not a list",
				      ri);
	size_t vi;
	const json_t *v;
	json_array_foreach(vulns, vi, v)
	{
		const char *id = json_string_value(json_object_get(v, "VulnerabilityID"));
		if (!json_is_object(v) || id == NULL || id[0] == '\0')
			return vulnattest_why(
				why, whylen,
				"scanner.result.Results[%zu].Vulnerabilities[%zu] has "
				"no VulnerabilityID",
				ri, vi);
		const json_t *sev = json_object_get(v, "Severity");
		int s = sev == NULL ? VULN_UNKNOWN
				    : vulnattest_severity_parse(json_string_value(sev));
		if (s < 0 && !json_is_string(sev))
			return vulnattest_why(
				why, whylen,
				"scanner.result.Results[%zu].Vulnerabilities[%zu].Severity is not a "
				"string",
				ri, vi);
		if (s < 0) {
			char shown[VULNATTEST_ID_MAX];
			vulnattest_id_copy(shown, json_string_value(sev));
			return vulnattest_why(
				why, whylen,
				"scanner.result.Results[%zu].Vulnerabilities[%zu].Severity \"%s\" is "
				"not UNKNOWN, LOW, MEDIUM, HIGH or CRITICAL",
				ri, vi, shown);
		}
		if (*n == *cap) {
			size_t more = *cap ? *cap * 2 : 64;
			struct vulnattest_raw *r = realloc(*raw, more * sizeof(*r));
			if (r == NULL)
				return vulnattest_why(why, whylen, "out of memory");
			*raw = r;
			*cap = more;
		}
		(*raw)[(*n)++] = (struct vulnattest_raw){id, s};
	}
	return 0;
}

int vulnattest_predicate_read(const json_t *pred, struct vulnattest_scan *out, char *why,
			      size_t whylen)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(pred))
		return vulnattest_why(why, whylen, "the predicate is not an object");
	const char *fin = json_string_value(
		json_object_get(json_object_get(pred, "metadata"), "scanFinishedOn"));
	int64_t finished = 0;
	if (fin == NULL)
		return vulnattest_why(why, whylen, "it has no metadata.scanFinishedOn");
	if (vulnattest_time_parse(fin, &finished) < 0 || finished <= 0) {
		char shown[VULNATTEST_ID_MAX];
		vulnattest_id_copy(shown, fin);
		return vulnattest_why(
			why, whylen,
			"metadata.scanFinishedOn \"%s\" is not an RFC 3339 time after "
			"1970",
			shown);
	}
	const json_t *report = json_object_get(json_object_get(pred, "scanner"), "result");
	if (!json_is_object(report))
		return vulnattest_why(why, whylen,
				      "scanner.result is not a report (trivy image --format "
				      "cosign-vuln puts Trivy's JSON report there)");
	const json_t *schema = json_object_get(report, "SchemaVersion");
	if (!json_is_integer(schema) || json_integer_value(schema) != 2)
		return vulnattest_why(
			why, whylen,
			"scanner.result is not a Trivy JSON report of SchemaVersion 2");
	const json_t *results = json_object_get(report, "Results");
	if (results != NULL && !json_is_null(results) && !json_is_array(results))
		return vulnattest_why(why, whylen, "scanner.result.Results is not a list");
	struct vulnattest_raw *raw = NULL;
	size_t n = 0, cap = 0, ri;
	const json_t *res;
	json_array_foreach(results, ri, res)
	{
		if (vulnattest_result(res, ri, &raw, &n, &cap, why, whylen) < 0) {
			free(raw);
			return -1;
		}
	}
	/* one id once, at its highest severity */
	if (n > 1)
		qsort(raw, n, sizeof(*raw), vulnattest_by_id);
	size_t distinct = 0;
	for (size_t i = 0; i < n; i++)
		if (distinct == 0 || strcmp(raw[distinct - 1].id, raw[i].id) != 0)
			raw[distinct++] = raw[i];
	for (size_t i = 0; i < distinct; i++)
		out->counts[raw[i].severity]++;
	if (distinct > 1)
		qsort(raw, distinct, sizeof(*raw), vulnattest_by_severity);
	size_t keep = distinct < VULNATTEST_MAX_FINDINGS ? distinct : VULNATTEST_MAX_FINDINGS;
	if (keep > 0 && (out->findings = calloc(keep, sizeof(*out->findings))) == NULL) {
		free(raw);
		memset(out, 0, sizeof(*out));
		return vulnattest_why(why, whylen, "out of memory");
	}
	for (size_t i = 0; i < keep; i++) {
		vulnattest_id_copy(out->findings[i].id, raw[i].id);
		out->findings[i].severity = (unsigned char)raw[i].severity;
	}
	out->n = keep;
	out->finished = finished;
	free(raw);
	return 0;
}

/* ---- the cache's form: {"t":<finished>,"c":[5 counts],"f":[["id",severity],...]} ---- */

char *vulnattest_encode(const struct vulnattest_scan *s)
{
	json_t *f = json_array(), *c = json_array();
	for (size_t i = 0; f != NULL && i < s->n; i++)
		if (json_array_append_new(f, json_pack("[s,i]", s->findings[i].id,
						       (int)s->findings[i].severity)) < 0) {
			json_decref(f);
			f = NULL;
		}
	for (int i = 0; c != NULL && i < VULNATTEST_NSEVERITIES; i++)
		if (json_array_append_new(c, json_integer(s->counts[i])) < 0) {
			json_decref(c);
			c = NULL;
		}
	json_t *doc = f != NULL && c != NULL ? json_pack("{s:I,s:o,s:o}", "t",
							 (json_int_t)s->finished, "c", c, "f", f)
					     : NULL;
	if (doc == NULL) {
		json_decref(f);
		json_decref(c);
	}
	char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	return text;
}

int vulnattest_decode(const char *text, struct vulnattest_scan *out)
{
	memset(out, 0, sizeof(*out));
	json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	const json_t *t = json_object_get(doc, "t"), *c = json_object_get(doc, "c"),
		     *f = json_object_get(doc, "f");
	size_t n = json_array_size(f);
	if (!json_is_integer(t) || json_integer_value(t) <= 0 || !json_is_array(c) ||
	    json_array_size(c) != VULNATTEST_NSEVERITIES || !json_is_array(f) ||
	    n > VULNATTEST_MAX_FINDINGS)
		goto fail;
	out->finished = json_integer_value(t);
	for (size_t i = 0; i < VULNATTEST_NSEVERITIES; i++) {
		const json_t *v = json_array_get(c, i);
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > (json_int_t)UINT32_MAX)
			goto fail;
		out->counts[i] = (unsigned)json_integer_value(v);
	}
	if (n > 0 && (out->findings = calloc(n, sizeof(*out->findings))) == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(f, i);
		const char *id = json_string_value(json_array_get(e, 0));
		const json_t *sev = json_array_get(e, 1);
		if (!json_is_array(e) || json_array_size(e) != 2 || id == NULL || id[0] == '\0' ||
		    strlen(id) >= VULNATTEST_ID_MAX || !json_is_integer(sev) ||
		    json_integer_value(sev) < 0 ||
		    json_integer_value(sev) >= VULNATTEST_NSEVERITIES)
			goto fail;
		/* kept findings are a part of the counts, most severe first */
		if (i > 0 && json_integer_value(sev) > out->findings[i - 1].severity)
			goto fail;
		vulnattest_id_copy(out->findings[i].id, id);
		out->findings[i].severity = (unsigned char)json_integer_value(sev);
		out->n = i + 1;
	}
	/* the findings kept are some of those counted */
	unsigned kept[VULNATTEST_NSEVERITIES] = {0};
	for (size_t i = 0; i < out->n; i++)
		if (++kept[out->findings[i].severity] > out->counts[out->findings[i].severity])
			goto fail;
	json_decref(doc);
	return 0;
fail:
	json_decref(doc);
	vulnattest_scan_free(out);
	return -1;
}

/* ---- reading from the registry ---- */

struct vulnattest_search {
	struct oci_client *client;
	const struct cosign_keys *keys;
	const char *path; /* the repository in the registry */
	const char *digest;
	struct timespec deadline;
	unsigned requests;
	unsigned found; /* vulnerability attestations looked at (another predicate type is not) */
	bool have;      /* best holds a verified scan */
	struct vulnattest_scan best;
	char best_how[300]; /* what verified it */
	char reason[400];   /* the most telling rejection */
	int rank;
	bool failed; /* a registry failure on the way */
	struct oci_error oci;
};

/*
 * An attestation that is not usable: kept as the reason when it tells
 * more than the one kept. A configured key's signature on something wrong
 * tells more than an unknown key, which tells more than damaged bytes.
 */
static void vulnattest_note(struct vulnattest_search *s, int rank, const char *format,
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void vulnattest_note(struct vulnattest_search *s, int rank, const char *format,
			    const char *fmt, ...)
{
	s->found++;
	if (rank <= s->rank)
		return;
	s->rank = rank;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(s->reason, sizeof(s->reason), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(s->reason))
		snprintf(s->reason + n, sizeof(s->reason) - (size_t)n, " (%s)", format);
}

static bool vulnattest_fail(struct vulnattest_search *s, const struct oci_error *e)
{
	s->failed = true;
	s->oci = *e;
	return false;
}

/* Whether an unsigned annotation names another predicate type: not worth a fetch. */
static bool vulnattest_other_type(const struct ocimf_desc *d, const json_t *annotations,
				  const char *name)
{
	const char *t = d != NULL ? ocimf_annotation(d, name)
				  : json_string_value(json_object_get(annotations, name));
	return t != NULL && strcmp(t, VULNATTEST_PREDICATE) != 0;
}

/* One envelope (v2) or bundle (v3), fetched within the cap, verified, read. */
static bool vulnattest_one(struct vulnattest_search *s, const struct ocimf_desc *layer, bool bundle)
{
	const char *format = bundle ? "cosign 3.x bundle" : "cosign 2.x attestation";
	if ((uint64_t)layer->size > VULNATTEST_ENVELOPE_MAX) {
		vulnattest_note(s, 2, format,
				"an attestation of %lld bytes, more than the %u MiB admitd reads, "
				"was not fetched (too large)",
				(long long)layer->size, VULNATTEST_ENVELOPE_MAX >> 20);
		return true;
	}
	struct oci_content blob = {0};
	struct oci_error e;
	s->requests++;
	enum oci_category cat = oci_blob(s->client, s->path, layer->digest, (size_t)layer->size,
					 VULNATTEST_ENVELOPE_MAX, s->deadline, &blob, &e);
	if (cat == OCI_TOO_LARGE) {
		vulnattest_note(s, 2, format,
				"an attestation is larger than the %u MiB admitd reads",
				VULNATTEST_ENVELOPE_MAX >> 20);
		return true;
	}
	if (cat != OCI_OK)
		return vulnattest_fail(s, &e);
	struct cosign_options o = {
		.any_identity = true, /* a scan is of content: the digest binds it */
		.predicate_type = VULNATTEST_PREDICATE,
		.keep_predicate = true,
		.max_bytes = VULNATTEST_ENVELOPE_MAX,
	};
	struct cosign_result res;
	if (bundle)
		cosign_verify_bundle(s->keys, blob.data, blob.len, s->digest, NULL, &o, &res);
	else
		cosign_verify_dsse(s->keys, blob.data, blob.len, s->digest, NULL, &o, &res);
	oci_content_free(&blob);
	static const int rank[COSIGN_NVERDICTS] = {
		[COSIGN_VALID] = 9,      [COSIGN_WRONG_DIGEST] = 5,  [COSIGN_WRONG_IDENTITY] = 6,
		[COSIGN_WRONG_TYPE] = 0, [COSIGN_BAD_SIGNATURE] = 4, [COSIGN_MALFORMED] = 1,
	};
	if (res.verdict == COSIGN_WRONG_TYPE) {
		/* signed, but another attestation (an SBOM, provenance): not one of ours */
		cosign_result_release(&res);
		return true;
	}
	if (res.verdict != COSIGN_VALID) {
		vulnattest_note(s, rank[res.verdict], format, "%s", res.reason);
		cosign_result_release(&res);
		return true;
	}
	struct vulnattest_scan scan;
	char why[256];
	if (vulnattest_predicate_read(res.predicate, &scan, why, sizeof(why)) < 0) {
		vulnattest_note(s, 7, format,
				"an attestation signed by key %.16s... is not a vulnerability scan "
				"admitd reads: %s",
				res.key, why);
		cosign_result_release(&res);
		return true;
	}
	s->found++;
	if (!s->have || scan.finished > s->best.finished) {
		vulnattest_scan_free(&s->best);
		s->best = scan;
		s->have = true;
		snprintf(s->best_how, sizeof(s->best_how), "%.250s (%s)", res.reason, format);
	} else {
		vulnattest_scan_free(&scan);
	}
	cosign_result_release(&res);
	return true;
}

/* cosign 2.x: the DSSE layers of the manifest tagged sha256-<hex>.att. false on a registry
 * failure. */
static bool vulnattest_v2(struct vulnattest_search *s)
{
	char tag[OCI_DIGEST_MAX + 8];
	snprintf(tag, sizeof(tag), "sha256-%s.att", s->digest + 7);
	struct oci_error e;
	struct ocimf m;
	char why[256];
	enum sigverify_got got = sigverify_manifest(s->client, s->path, tag, s->deadline,
						    &s->requests, &m, &e, why, sizeof(why));
	if (got == SIGVERIFY_GOT_NONE)
		return true; /* no cosign 2.x attestation */
	if (got == SIGVERIFY_GOT_FAILED)
		return vulnattest_fail(s, &e);
	if (got == SIGVERIFY_GOT && m.index) {
		ocimf_free(&m);
		snprintf(why, sizeof(why), "an index");
		got = SIGVERIFY_GOT_MALFORMED;
	}
	if (got == SIGVERIFY_GOT_MALFORMED) {
		vulnattest_note(s, 1, "cosign 2.x attestation",
				"the attestation manifest %s is malformed: %s", tag, why);
		return true;
	}
	bool ok = true;
	size_t looked = 0;
	/* cosign attest appends: the newest are last, and those are the ones looked at */
	for (size_t i = m.n; i-- > 0 && ok;) {
		const struct ocimf_desc *layer = &m.entries[i];
		if (layer->media_type == NULL ||
		    strcmp(layer->media_type, VULNATTEST_MT_DSSE) != 0 ||
		    vulnattest_other_type(layer, NULL, VULNATTEST_ANNOTATION_V2))
			continue;
		if (++looked > VULNATTEST_MAX_ATTESTATIONS)
			break;
		ok = vulnattest_one(s, layer, false);
	}
	ocimf_free(&m);
	return ok;
}

/* One cosign 3.x referrer: its manifest, its bundle layer. false on a registry failure. */
static bool vulnattest_referrer(struct vulnattest_search *s, const struct ocimf_desc *desc)
{
	struct oci_error e;
	struct ocimf m;
	char why[256];
	bool ok = true;
	switch (sigverify_manifest(s->client, s->path, desc->digest, s->deadline, &s->requests, &m,
				   &e, why, sizeof(why))) {
	case SIGVERIFY_GOT_NONE: /* listed, yet not there */
	case SIGVERIFY_GOT_FAILED:
		return vulnattest_fail(s, &e);
	case SIGVERIFY_GOT_MALFORMED:
		vulnattest_note(s, 1, "cosign 3.x bundle", "a bundle's manifest is malformed: %s",
				why);
		return true;
	case SIGVERIFY_GOT:
		break;
	}
	const struct ocimf_desc *layer = m.n > 0 && !m.index ? &m.entries[0] : NULL;
	if (layer != NULL && layer->media_type != NULL &&
	    strcmp(layer->media_type, VULNATTEST_MT_BUNDLE) == 0 &&
	    !vulnattest_other_type(NULL, json_object_get(m.doc, "annotations"),
				   VULNATTEST_ANNOTATION_V3))
		ok = vulnattest_one(s, layer, true);
	ocimf_free(&m);
	return ok;
}

/* The index whose entries are being ordered (qsort has no context argument). */
static __thread const struct ocimf *vulnattest_sorting;

/* Newest first: by org.opencontainers.image.created (cosign writes it, in UTC), then later
 * in the list first (cosign's tag fallback appends, and drops the annotation). */
static int vulnattest_by_created(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	const char *cx = ocimf_annotation(&vulnattest_sorting->entries[x],
					  "org.opencontainers.image.created");
	const char *cy = ocimf_annotation(&vulnattest_sorting->entries[y],
					  "org.opencontainers.image.created");
	int c = strcmp(cy != NULL ? cy : "", cx != NULL ? cx : "");
	return c != 0 ? c : (x < y) - (x > y);
}

static void vulnattest_newest_first(const struct ocimf *m, size_t *order)
{
	if (order == NULL || m->n < 2)
		return;
	vulnattest_sorting = m;
	qsort(order, m->n, sizeof(*order), vulnattest_by_created);
	vulnattest_sorting = NULL;
}

/*
 * cosign 3.x: the referrers whose artifactType is a Sigstore bundle, from
 * the referrers API, or from the index tagged sha256-<hex> where the
 * registry has none. false on a registry failure.
 */
static bool vulnattest_v3(struct vulnattest_search *s)
{
	struct oci_error e;
	struct ocimf m;
	char why[256];
	switch (sigverify_referrers(s->client, s->path, s->digest, VULNATTEST_MT_BUNDLE,
				    s->deadline, &s->requests, &m, &e, why, sizeof(why))) {
	case SIGVERIFY_GOT_NONE:
		return true;
	case SIGVERIFY_GOT_FAILED:
		return vulnattest_fail(s, &e);
	case SIGVERIFY_GOT_MALFORMED:
		vulnattest_note(s, 1, "cosign 3.x bundle", "the referrers index is malformed: %s",
				why);
		return true;
	case SIGVERIFY_GOT:
		break;
	}
	size_t looked = 0, *order = malloc((m.n ? m.n : 1) * sizeof(*order));
	bool ok = true;
	if (order == NULL) {
		struct oci_error nomem = {.category = OCI_INTERNAL, .reason = "out of memory"};
		ok = vulnattest_fail(s, &nomem);
	}
	for (size_t i = 0; ok && i < m.n; i++)
		order[i] = i;
	vulnattest_newest_first(&m, order);
	for (size_t k = 0; k < m.n && ok; k++) {
		const struct ocimf_desc *desc = &m.entries[order[k]];
		/* cosign's own tag fallback drops the annotations: then every bundle is read */
		if (desc->artifact_type == NULL ||
		    strcmp(desc->artifact_type, VULNATTEST_MT_BUNDLE) != 0 ||
		    vulnattest_other_type(desc, NULL, VULNATTEST_ANNOTATION_V3))
			continue;
		if (++looked > VULNATTEST_MAX_ATTESTATIONS)
			break;
		ok = vulnattest_referrer(s, desc);
	}
	free(order);
	ocimf_free(&m);
	return ok;
}

static void vulnattest_say(struct vulnattest *out, enum vulnattest_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void vulnattest_say(struct vulnattest *out, enum vulnattest_status st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	out->status = st;
}

/* Both formats, for the owner of the cache entry: out's status, reason and scan. */
static void vulnattest_read(struct vulnattest_search *s, const char *host, struct vulnattest *out)
{
	if (vulnattest_v2(s))
		vulnattest_v3(s);
	out->requests += s->requests;
	if (s->failed) {
		out->failure = s->oci.category;
		vulnattest_say(out, VULNATTEST_UNREACHABLE,
			       "its attestations could not be read: %s (%s)", s->oci.reason,
			       oci_category_name(s->oci.category));
		vulnattest_scan_free(&s->best);
	} else if (s->have) {
		out->scan = s->best;
		memset(&s->best, 0, sizeof(s->best));
		vulnattest_say(out, VULNATTEST_OK, "%s", s->best_how);
	} else if (s->found == 0) {
		vulnattest_say(
			out, VULNATTEST_NONE,
			"it has no vulnerability attestation (predicate type " VULNATTEST_PREDICATE
			") in %s; scan it and attest the result with one of the policy's "
			"keys (trivy image --format cosign-vuln, then cosign attest --type vuln)",
			host);
	} else {
		vulnattest_say(out, VULNATTEST_REJECTED,
			       "%u vulnerability attestation%s found, none usable: %s", s->found,
			       s->found == 1 ? "" : "s", s->reason);
	}
}

static void vulnattest_key(char key[SIGCACHE_KEY_MAX], const struct image_ref *r,
			   const char *digest, const struct cosign_keys *keys)
{
	const char *fp = cosign_keys_set_fingerprint(keys);
	snprintf(key, SIGCACHE_KEY_MAX, "vuln|%s/%s@%s|%s", r->host, r->path, digest,
		 fp != NULL ? fp : "");
}

/* From the cache's value. false when it cannot be used (then asked again). */
static bool vulnattest_from_cache(const struct sigcache_value *v, struct vulnattest *out)
{
	out->status = (enum vulnattest_status)(v->code & 0xff);
	out->failure = (enum oci_category)(v->code >> 8);
	out->cached = true;
	snprintf(out->reason, sizeof(out->reason), "%s", v->text);
	if (out->status != VULNATTEST_OK)
		return true;
	return v->blob != NULL && vulnattest_decode(v->blob, &out->scan) == 0;
}

/* What stopped sigverify_target, as a status of these. */
static enum vulnattest_status vulnattest_at_status(enum sigverify_at at)
{
	return at == SIGVERIFY_AT_BAD_IMAGE     ? VULNATTEST_BAD_IMAGE
	       : at == SIGVERIFY_AT_NO_REGISTRY ? VULNATTEST_NO_REGISTRY
						: VULNATTEST_UNREACHABLE;
}

enum vulnattest_status vulnattest_get(struct sigverify *sv, const struct cosign_keys *keys,
				      const char *image, double now, struct timespec deadline,
				      struct vulnattest *out)
{
	memset(out, 0, sizeof(*out));
	struct arena a;
	arena_init(&a);
	struct sigverify_target t;
	enum sigverify_at at = sigverify_target(sv, &a, image, "its attestations",
						VULNATTEST_TAG_TTL, now, &deadline, &t);
	out->requests += t.requests;
	if (at != SIGVERIFY_AT_OK) {
		out->failure = t.failure;
		vulnattest_say(out, vulnattest_at_status(at), "%s", t.why);
		goto done;
	}
	const struct image_ref r = *t.ref;
	struct oci_client *c = t.client;
	snprintf(out->digest, sizeof(out->digest), "%s", t.digest);
	if (strncmp(out->digest, "sha256:", 7) != 0 || !ocimf_digest_ok(out->digest)) {
		vulnattest_say(out, VULNATTEST_BAD_IMAGE,
			       "\"%s\" is not a sha256 digest (cosign attests sha256 digests only)",
			       out->digest);
		goto done;
	}
	char key[SIGCACHE_KEY_MAX];
	vulnattest_key(key, &r, out->digest, keys);
	struct sigcache *cache = sigverify_cache(sv);
	struct sigcache_value v = {0};
	switch (sigcache_get(cache, key, now, &deadline, &v)) {
	case SIGCACHE_HIT: {
		bool usable = vulnattest_from_cache(&v, out);
		free(v.blob);
		if (usable)
			goto done;
		/* an entry that cannot be decoded: read again, once, without the cache */
		vulnattest_release(out);
		out->cached = false;
		struct vulnattest_search s = {.client = c,
					      .keys = keys,
					      .path = r.path,
					      .digest = out->digest,
					      .deadline = deadline};
		vulnattest_read(&s, r.host, out);
		goto done;
	}
	case SIGCACHE_TIMEOUT:
	case SIGCACHE_NOMEM:
		out->failure = OCI_TIMEOUT;
		vulnattest_say(out, VULNATTEST_UNREACHABLE,
			       "its attestations were not read in time");
		goto done;
	case SIGCACHE_OWNER:
		break;
	}
	struct vulnattest_search s = {.client = c,
				      .keys = keys,
				      .path = r.path,
				      .digest = out->digest,
				      .deadline = deadline};
	vulnattest_read(&s, r.host, out);
	v.ok = out->status == VULNATTEST_OK;
	v.code = (int)out->status | (int)out->failure << 8;
	snprintf(v.text, sizeof(v.text), "%.*s", (int)sizeof(v.text) - 1, out->reason);
	v.blob = v.ok ? vulnattest_encode(&out->scan) : NULL;
	if (v.ok && v.blob == NULL)
		sigcache_abandon(cache, key); /* out of memory: the next review asks again */
	else
		sigcache_put(cache, key, &v, now, v.ok ? VULNATTEST_TTL : VULNATTEST_FAILURE_TTL);
	free(v.blob);
done:
	arena_free(&a);
	if (out->status != VULNATTEST_OK)
		vulnattest_release(out);
	return out->status;
}

bool vulnattest_peek(struct sigverify *sv, const struct cosign_keys *keys, const char *image,
		     double now, struct vulnattest *out)
{
	memset(out, 0, sizeof(*out));
	struct arena a;
	arena_init(&a);
	bool fresh = false;
	struct sigverify_target t;
	enum sigverify_at at = sigverify_target(sv, &a, image, "its attestations",
						VULNATTEST_TAG_TTL, now, NULL, &t);
	out->fresh_until = t.until;
	if (at == SIGVERIFY_AT_BAD_IMAGE || at == SIGVERIFY_AT_NO_REGISTRY) {
		vulnattest_say(out, vulnattest_at_status(at), "%s", t.why);
		fresh = true; /* decided by the configuration alone */
		goto done;
	}
	if (at != SIGVERIFY_AT_OK)
		goto done;
	snprintf(out->digest, sizeof(out->digest), "%s", t.digest);
	char key[SIGCACHE_KEY_MAX];
	vulnattest_key(key, t.ref, out->digest, keys);
	struct sigcache_value v = {0};
	if (sigcache_peek(sigverify_cache(sv), key, now, &v)) {
		fresh = vulnattest_from_cache(&v, out);
		if (v.expires < out->fresh_until)
			out->fresh_until = v.expires;
		free(v.blob);
	}
done:
	arena_free(&a);
	if (!fresh)
		vulnattest_release(out);
	return fresh;
}
