/*
 * review.c: AdmissionReview in, AdmissionReview out.
 *
 * The body is parsed with JSON_REJECT_DUPLICATES: with duplicate keys the
 * apiserver (last key wins) and a policy could read different values, and
 * a policy must judge exactly what will be stored.
 */
#include "review.h"
#include "jsonarena.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Whether the body nests arrays/objects deeper than max. A scan of the
 * raw bytes (skipping strings) before parsing, because walking the parsed
 * tree costs about a tenth of the whole request; jansson itself parses
 * nesting up to 2048 and has no bound to set.
 */
static bool review_too_deep(const char *p, size_t len, unsigned max)
{
	const char *end = p + len;
	unsigned depth = 0;
	while (p < end) {
		char c = *p++;
		if (c == '"') {
			/* most bytes are inside strings: jump to each quote with memchr */
			for (;;) {
				const char *q = memchr(p, '"', (size_t)(end - p));
				if (q == NULL)
					return false; /* unterminated: the parser will say so */
				size_t bs = 0;
				while (q - bs > p && q[-1 - (ptrdiff_t)bs] == '\\')
					bs++;
				p = q + 1;
				if (bs % 2 == 0)
					break; /* not escaped */
			}
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				return true;
		} else if ((c == '}' || c == ']') && depth > 0) {
			depth--;
		}
	}
	return false;
}

static const char *review_str(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

int review_decode(const char *body, size_t len, unsigned max_depth, struct review *out, char *err,
		  size_t errlen)
{
	json_error_t jerr;
	memset(out, 0, sizeof(*out));
	if (body == NULL || len == 0) {
		snprintf(err, errlen, "empty body: expected an AdmissionReview");
		return -1;
	}
	if (review_too_deep(body, len, max_depth)) {
		snprintf(err, errlen, "JSON nested deeper than %u levels", max_depth);
		return -1;
	}
	out->root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (out->root == NULL) {
		snprintf(err, errlen, "invalid JSON at line %d column %d: %s", jerr.line,
			 jerr.column, jerr.text);
		return -1;
	}
	if (!json_is_object(out->root)) {
		snprintf(err, errlen, "the body must be a JSON object (an AdmissionReview)");
		goto fail;
	}
	out->api_version = review_str(out->root, "apiVersion");
	if (out->api_version == NULL ||
	    (strcmp(out->api_version, "admission.k8s.io/v1") != 0 &&
	     strcmp(out->api_version, "admission.k8s.io/v1beta1") != 0)) {
		snprintf(err, errlen,
			 "apiVersion must be admission.k8s.io/v1 or admission.k8s.io/v1beta1");
		goto fail;
	}
	const char *kind = review_str(out->root, "kind");
	if (kind == NULL || strcmp(kind, "AdmissionReview") != 0) {
		snprintf(err, errlen, "kind must be AdmissionReview");
		goto fail;
	}
	const json_t *rq = json_object_get(out->root, "request");
	if (!json_is_object(rq)) {
		snprintf(err, errlen, "request must be an object");
		goto fail;
	}
	out->uid = review_str(rq, "uid");
	if (out->uid == NULL || out->uid[0] == '\0') {
		snprintf(err, errlen, "request.uid must be a non-empty string");
		goto fail;
	}
	const json_t *k = json_object_get(rq, "kind");
	if (k != NULL && !json_is_object(k)) {
		snprintf(err, errlen, "request.kind must be an object");
		goto fail;
	}
	/* the engine judges by (group, kind): a same-named kind of another group is a CRD */
	out->in.group = review_str(k, "group");
	out->in.kind = review_str(k, "kind");
	out->in.operation = review_str(rq, "operation");
	if (out->in.operation == NULL) {
		snprintf(err, errlen, "request.operation must be a string");
		goto fail;
	}
	out->in.namespace = review_str(rq, "namespace");
	out->in.name = review_str(rq, "name");
	out->subresource = review_str(rq, "subResource");
	const json_t *ui = json_object_get(rq, "userInfo");
	out->in.username = review_str(ui, "username");
	const json_t *groups = json_object_get(ui, "groups");
	out->in.groups = json_is_array(groups) ? groups : NULL;
	out->in.object = json_object_get(rq, "object");
	out->in.old_object = json_object_get(rq, "oldObject");
	if (json_is_null(out->in.old_object))
		out->in.old_object = NULL;
	out->dry_run = json_is_true(json_object_get(rq, "dryRun"));
	return 0;
fail:
	review_free(out);
	return -1;
}

void review_free(struct review *rv)
{
	/* in an arena the tree goes with arena_reset; walking it to free is wasted work */
	if (!jsonarena_active())
		json_decref(rv->root);
	rv->root = NULL;
}

/* A compact dump into plain malloc memory (json_dumps would use the request arena). */
static char *review_dump(const json_t *doc, size_t *len)
{
	size_t n = json_dumpb(doc, NULL, 0, JSON_COMPACT);
	char *buf = n > 0 ? malloc(n + 1) : NULL;
	if (buf == NULL)
		return NULL;
	*len = json_dumpb(doc, buf, n, JSON_COMPACT);
	buf[*len] = '\0';
	return buf;
}

bool review_judged(const struct review *rv)
{
	return rv->subresource == NULL || rv->subresource[0] == '\0' ||
	       strcmp(rv->subresource, "ephemeralcontainers") == 0;
}

/* Appends the formatted text to the annotation `key`, joining repeated keys with "; ". */
static int review_annotate(json_t *ann, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int review_annotate(json_t *ann, const char *key, const char *fmt, ...)
{
	const json_t *old = json_object_get(ann, key);
	char *text = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	json_t *val;
	if (old == NULL) {
		val = json_stringn(text, (size_t)n);
	} else {
		size_t a = json_string_length(old);
		char *joined = malloc(a + (size_t)n + 3);
		if (joined == NULL) {
			free(text);
			return -1;
		}
		memcpy(joined, json_string_value(old), a);
		memcpy(joined + a, "; ", 2);
		memcpy(joined + a + 2, text, (size_t)n + 1);
		val = json_string(joined);
		free(joined);
	}
	free(text);
	/* json_string is NULL for text that is not UTF-8: never lose it silently */
	return val != NULL ? json_object_set_new(ann, key, val) : -1;
}

/*
 * The longest prefix of s, at most max bytes, that ends on a UTF-8
 * character boundary (a continuation byte is 10xxxxxx).
 */
size_t review_utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	size_t n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

struct review_warnings {
	json_t *list;
	size_t bytes;   /* sum of the warnings' lengths */
	size_t dropped; /* not sent: past REVIEW_WARNINGS_TOTAL */
};

/*
 * Adds one warning, `[id] prefix text`, cut to REVIEW_WARNING_MAX bytes
 * (the API server's own per-warning cut is 256 characters) at a UTF-8
 * boundary, saying that it was cut; the full text is in the audit
 * annotations and the decision log. Past REVIEW_WARNINGS_TOTAL bytes in
 * all (where the API server starts dropping) warnings are counted instead.
 */
static int review_warn(struct review_warnings *w, const char *id, const char *prefix,
		       const char *text, const char *suffix)
{
	static const char cut[] = "... (cut; full text in the audit annotations)";
	char buf[REVIEW_WARNING_MAX + 1];
	int n = snprintf(buf, sizeof(buf), "[%s] %s%s%s", id, prefix, text, suffix);
	if (n < 0)
		return -1;
	size_t len = (size_t)n;
	if (len > REVIEW_WARNING_MAX) {
		size_t keep = review_utf8_cut(buf, REVIEW_WARNING_MAX,
					      REVIEW_WARNING_MAX - (sizeof(cut) - 1));
		memcpy(buf + keep, cut, sizeof(cut));
		len = keep + sizeof(cut) - 1;
	}
	if (w->bytes + len > REVIEW_WARNINGS_TOTAL - REVIEW_WARNING_MAX) {
		w->dropped++;
		return 0;
	}
	json_t *s = json_stringn(buf, len);
	if (s == NULL || json_array_append_new(w->list, s) != 0)
		return -1;
	w->bytes += len;
	return 0;
}

int review_encode(const struct review *rv, const struct engine_verdict *v,
		  const struct admitd_config *cfg, char **out, size_t *len)
{
	bool dry_run = cfg->mode == ADMITD_MODE_DRY_RUN;
	json_t *resp = json_pack("{s:s,s:b}", "uid", rv->uid, "allowed", v->allowed);
	struct review_warnings w = {.list = json_array()};
	json_t *ann = json_object();
	int rc = -1;
	if (resp == NULL || w.list == NULL || ann == NULL)
		goto out;

	if (!v->allowed) {
		json_t *status = json_pack("{s:i,s:s,s:s}", "code", 403, "reason", "Forbidden",
					   "message", v->message != NULL ? v->message : "denied");
		if (status == NULL || json_object_set_new(resp, "status", status) != 0)
			goto out;
	}
	for (const struct violation *x = v->violations; x != NULL; x = x->next) {
		const char *id = x->policy->id;
		int bad = 0;
		switch (x->action) {
		case POLICY_ACTION_WARN:
			bad = review_warn(&w, id,
					  x->preexisting ? "(predates this update, not denied) "
							 : "",
					  x->message, "") < 0 ||
			      review_annotate(ann, x->preexisting ? "preexisting" : "warn",
					      "[%s] %s", id, x->message) < 0;
			break;
		case POLICY_ACTION_AUDIT:
			bad = review_annotate(ann, id, "%s", x->message) < 0;
			break;
		case POLICY_ACTION_DENY:
			if (!dry_run)
				break;
			bad = review_warn(&w, id, "", x->message, " (dry-run: would deny)") < 0 ||
			      review_annotate(ann, "would-deny", "[%s] %s", id, x->message) < 0;
			break;
		case POLICY_ACTION_OFF:
			break;
		}
		if (bad)
			goto out;
	}
	if (v->error != NULL && v->allowed) {
		/* dry-run, or onPolicyError: allow (fail open): say what was skipped */
		if (review_warn(&w, "admitd", "", v->error,
				dry_run ? " (dry-run: would deny)"
					: " (allowed: onPolicyError is allow)") < 0)
			goto out;
	}
	if (v->warning != NULL && review_warn(&w, "admitd", "", v->warning, "") < 0)
		goto out;
	if (w.dropped > 0) {
		char more[160];
		snprintf(more, sizeof(more),
			 "%zu more warning%s not shown; the audit annotations and the decision log "
			 "have them all",
			 w.dropped, w.dropped == 1 ? "" : "s");
		w.bytes = 0; /* room was kept for this line */
		if (review_warn(&w, "admitd", "", more, "") < 0)
			goto out;
	}
	for (const struct engine_exemption *e = v->exemptions; e != NULL; e = e->next)
		if (review_annotate(ann, "exempt", "%s%s%s", e->policy ? e->policy->id : "",
				    e->policy ? ": " : "", e->reason) < 0)
			goto out;
	if (json_array_size(w.list) > 0 && json_object_set(resp, "warnings", w.list) != 0)
		goto out;
	if (json_object_size(ann) > 0 && json_object_set(resp, "auditAnnotations", ann) != 0)
		goto out;

	json_t *doc = json_pack("{s:s,s:s,s:O}", "apiVersion", rv->api_version, "kind",
				"AdmissionReview", "response", resp);
	if (doc == NULL)
		goto out;
	*out = review_dump(doc, len);
	json_decref(doc);
	if (*out != NULL)
		rc = 0;
out:
	json_decref(resp);
	json_decref(w.list);
	json_decref(ann);
	return rc;
}

char *review_error_body(const char *message, size_t *len)
{
	json_t *doc = json_pack("{s:s}", "error", message);
	char *s = doc != NULL ? review_dump(doc, len) : NULL;
	json_decref(doc);
	return s;
}
