/*
 * engine.c: runs the enabled policies over the pod view, applies
 * exemptions and actions, and aggregates every violation of the object
 * into one verdict and one message.
 */
#include "engine.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../policies/image.h"
#include "../policies/registry.h"
#include "rules.h"
#include "workload.h"

static bool engine_in_groups(char *const *names, unsigned n, const json_t *groups)
{
	size_t i;
	const json_t *g;
	json_array_foreach(groups, i, g)
	{
		if (json_is_string(g) && settings_name_matches(names, n, json_string_value(g)))
			return true;
	}
	return false;
}

/* Why `ex` exempts this request, or NULL when it does not. */
static const char *engine_exempt_reason(struct arena *a, const struct exemptions *ex,
					const struct engine_input *in)
{
	if (ex == NULL)
		return NULL;
	if (in->namespace != NULL && in->namespace[0] != '\0' &&
	    settings_name_matches(ex->namespaces, ex->nnamespaces, in->namespace))
		return arena_printf(a, "namespace \"%s\" is exempt", in->namespace);
	if (in->username != NULL && settings_name_matches(ex->users, ex->nusers, in->username))
		return arena_printf(a, "user \"%s\" is exempt", in->username);
	if (in->groups != NULL && engine_in_groups(ex->groups, ex->ngroups, in->groups))
		return "a group of the requesting user is exempt";
	return NULL;
}

static bool engine_image_exempt(struct arena *a, const struct exemptions *ex, const char *image)
{
	if (ex == NULL || ex->nimages == 0 || image == NULL)
		return false;
	struct image_ref ref;
	if (image_parse(a, image, &ref) < 0)
		return false; /* an unparsable image is never exempt */
	for (unsigned i = 0; i < ex->nimages; i++)
		if (image_pattern_match(&ex->image_patterns[i], &ref))
			return true;
	return false;
}

static int engine_add_exemption(struct arena *a, struct engine_verdict *out,
				const struct policy_desc *p, const char *reason)
{
	struct engine_exemption *e = arena_calloc(a, sizeof(*e));
	if (e == NULL || reason == NULL)
		return -1;
	e->policy = p;
	e->reason = reason;
	e->next = out->exemptions;
	out->exemptions = e;
	return 0;
}

/*
 * Fault injection for tests: ADMITD_FAULT_POLICY=<id> makes that policy
 * report an internal failure, to prove fail-closed and onPolicyError.
 * Read once, under pthread_once, so that every server thread sees the
 * same value without a data race.
 */
static const char *engine_fault_id;
static pthread_once_t engine_fault_once = PTHREAD_ONCE_INIT;

static void engine_fault_init(void)
{
	engine_fault_id = getenv("ADMITD_FAULT_POLICY");
}

static bool engine_fault(const struct policy_desc *p)
{
	pthread_once(&engine_fault_once, engine_fault_init);
	return engine_fault_id != NULL && strcmp(engine_fault_id, p->id) == 0;
}

const char *engine_object_label(struct arena *a, const struct engine_input *in)
{
	const char *name = in->name;
	if (name == NULL || name[0] == '\0') {
		const char *gen = NULL;
		const json_t *meta = json_object_get(in->object, "metadata");
		if (jp_string(meta, "name", &name) != JP_OK || name[0] == '\0')
			name = jp_string(meta, "generateName", &gen) == JP_OK
				       ? arena_printf(a, "%s*", gen)
				       : "(unnamed)";
	}
	const char *kind = in->kind != NULL ? in->kind : "object";
	if (in->namespace != NULL && in->namespace[0] != '\0')
		return arena_printf(a, "%s \"%s\" in namespace \"%s\"", kind, name, in->namespace);
	return arena_printf(a, "%s \"%s\"", kind, name);
}

/* Whether y is x's finding on another container: same policy, same detail. */
static bool engine_same_finding(const struct violation *x, const struct violation *y)
{
	return y->action == POLICY_ACTION_DENY && y->policy == x->policy && y->container != NULL &&
	       x->container != NULL && x->detail != NULL && y->detail != NULL &&
	       strcmp(x->detail, y->detail) == 0;
}

/*
 * One message listing every violation that denies, `[id] text; [id] text`.
 * As pod-security-admission does, one finding on several containers is one
 * entry naming them all (`[privileged] containers "a", "b" must not set
 * ...`): nine bad containers read as one line, not nine. The violations
 * stay one per container for annotations, reports and the decision log.
 */
static const char *engine_message(struct arena *a, const struct engine_input *in,
				  const struct engine_verdict *v, bool dry_run)
{
	size_t len = 0, n = 0;
	for (const struct violation *x = v->violations; x != NULL; x = x->next, n++)
		if (x->action == POLICY_ACTION_DENY)
			len += strlen(x->policy->id) + strlen(x->message) + 8;
	const char *label = engine_object_label(a, in);
	if (label == NULL)
		return NULL;
	char *buf = arena_alloc(a, strlen(label) + len + 64);
	bool *done = arena_alloc(a, n + 1);
	if (buf == NULL || done == NULL)
		return NULL;
	memset(done, 0, n + 1);
	char *p = buf;
	p += sprintf(p, "%s%s: ", label, dry_run ? " would be denied" : "");
	const char *sep = "";
	size_t i = 0;
	for (const struct violation *x = v->violations; x != NULL; x = x->next, i++) {
		if (x->action != POLICY_ACTION_DENY || done[i])
			continue;
		/* an undone head has no done twin: the head that took the twin would have taken it
		 */
		const struct violation *y = x->next;
		while (y != NULL && !engine_same_finding(x, y))
			y = y->next;
		if (y == NULL) {
			p += sprintf(p, "%s[%s] %s", sep, x->policy->id, x->message);
			sep = "; ";
			continue;
		}
		p += sprintf(p, "%s[%s] containers \"%s\"", sep, x->policy->id, x->container->name);
		size_t j = i + 1;
		for (y = x->next; y != NULL; y = y->next, j++) {
			if (!engine_same_finding(x, y))
				continue;
			done[j] = true;
			p += sprintf(p, ", \"%s\"", y->container->name);
		}
		p += sprintf(p, " %s", x->detail);
		sep = "; ";
	}
	return buf;
}

static bool engine_is(const char *operation, const char *want)
{
	return operation != NULL && strcmp(operation, want) == 0;
}

/* The API server sets deletionTimestamp; no client can set or clear it. */
static bool engine_being_deleted(const json_t *object)
{
	const json_t *ts = jp_get(object, "metadata.deletionTimestamp");
	return ts != NULL && !json_is_null(ts);
}

/* Whether the old pod view has container c (same list and name) with the same image. */
static bool engine_container_kept(const struct pod_view *old, const struct container_ref *c)
{
	for (size_t i = 0; i < old->ncontainers; i++) {
		const struct container_ref *o = &old->containers[i];
		if (strcmp(o->list, c->list) != 0 || strcmp(o->name, c->name) != 0)
			continue;
		if (o->image == NULL || c->image == NULL)
			return o->image == c->image;
		return strcmp(o->image, c->image) == 0;
	}
	return false;
}

static int engine_cmp_key(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/*
 * The update rule (see engine.h): marks the violations of an UPDATE that
 * the old object had too. Sorted keys, so that an object with thousands
 * of violations costs n log n, not n * m. Returns -1 when out of memory.
 */
static int engine_mark_preexisting(const struct admitd_config *cfg, const struct kind_desc *kd,
				   const struct engine_input *in, struct arena *a,
				   struct engine_verdict *out)
{
	const json_t *tnew, *told;
	if (workload_template(kd, in->object, &tnew)) {
		workload_template(kd, in->old_object, &told);
		/* a new template makes new pods: judge it as their CREATE will be */
		if (tnew != told && (tnew == NULL || told == NULL || !json_equal(tnew, told)))
			return 0;
	}
	struct engine_input old_in = *in;
	old_in.object = in->old_object;
	old_in.old_object = NULL;
	old_in.pod = NULL; /* in->pod is the new object's */
	old_in.operation = "CREATE";
	struct engine_verdict ov;
	if (engine_evaluate(cfg, &old_in, a, &ov) < 0)
		return -1;
	if (ov.error != NULL || ov.nviolations == 0)
		return 0; /* an old object that cannot be judged vouches for nothing */

	const char **keys = arena_alloc(a, ov.nviolations * sizeof(*keys));
	if (keys == NULL)
		return -1;
	size_t n = 0;
	for (const struct violation *x = ov.violations; x != NULL; x = x->next)
		if ((keys[n++] = violation_key(a, x)) == NULL)
			return -1;
	qsort(keys, n, sizeof(*keys), engine_cmp_key);

	for (struct violation *v = out->violations; v != NULL; v = v->next) {
		if (v->container != NULL && !engine_container_kept(&ov.pod, v->container))
			continue; /* an added container, or a new image: judged in full */
		const char *key = violation_key(a, v);
		if (key == NULL)
			return -1;
		if (bsearch(&key, keys, n, sizeof(*keys), engine_cmp_key) == NULL)
			continue;
		v->preexisting = true;
		out->npreexisting++;
		if (v->action == POLICY_ACTION_DENY) {
			v->action = POLICY_ACTION_WARN;
			out->ndeny--;
		}
	}
	return 0;
}

/*
 * The object's ENGINE_EXEMPT_ANNOTATION (engine.h): its own, and its pod
 * template's when that is another object (a workload), read once per
 * request before any policy runs.
 */
struct engine_annotation {
	const char *value[2]; /* the object's, the template's; NULL when absent */
	const char *where[2]; /* the annotations they are in, for the reason */
	bool honoured;
};

static const char *engine_annotation_of(const json_t *meta)
{
	const json_t *v =
		json_object_get(json_object_get(meta, "annotations"), ENGINE_EXEMPT_ANNOTATION);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/*
 * The next id of the comma-separated list at *p, spaces around it trimmed:
 * its start, and its length in *n; NULL after the last.
 */
static const char *engine_next_id(const char **p, size_t *n)
{
	while (**p != '\0') {
		const char *s = *p + strspn(*p, " \t");
		size_t len = strcspn(s, ",");
		*p = s[len] == ',' ? s + len + 1 : s + len;
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len > 0) {
			*n = len;
			return s;
		}
	}
	return NULL;
}

/* Whether the comma-separated `list` names `id`. */
static bool engine_list_names(const char *list, const char *id)
{
	size_t n, want = strlen(id);
	for (const char *s; (s = engine_next_id(&list, &n)) != NULL;)
		if (n == want && memcmp(s, id, n) == 0)
			return true;
	return false;
}

/*
 * An annotation's text in a reason, which goes to audit annotations, the
 * decision log and audit's table: kept to one line that cannot end its own
 * quotes (control characters become '?', '"' becomes '\''), cut at 200
 * bytes on a character boundary.
 */
static const char *engine_quote(struct arena *a, const char *s)
{
	size_t len = strlen(s), n = len < 200 ? len : 200;
	while (n < len && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	char *q = arena_alloc(a, n + 4);
	if (q == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		q[i] = c < 0x20 || c == 0x7f ? '?' : c == '"' ? '\'' : (char)c;
	}
	strcpy(q + n, n < len ? "..." : "");
	return q;
}

/* Whether a policy or custom rule of cfg has this id (n bytes of it). */
static bool engine_known_id(const struct admitd_config *cfg, const char *id, size_t n)
{
	for (size_t i = 0; i < registry_npolicies; i++)
		if (strlen(registry_policies[i]->id) == n &&
		    memcmp(registry_policies[i]->id, id, n) == 0)
			return true;
	for (size_t i = 0; i < cfg->nrules; i++) {
		const char *r = rules_desc(cfg->rules[i])->id;
		if (strlen(r) == n && memcmp(r, id, n) == 0)
			return true;
	}
	return false;
}

/*
 * Reads the annotation and decides whether it counts. out->warning says
 * why one does not (the webhook, outside exemptions.annotationNamespaces),
 * or which of its ids no policy has: those are ignored, and a typo must
 * not pass for an exemption unseen. Returns -1 when out of memory.
 */
static int engine_read_annotation(const struct admitd_config *cfg, const struct engine_input *in,
				  struct arena *a, struct engine_verdict *out,
				  struct engine_annotation *ann)
{
	memset(ann, 0, sizeof(*ann));
	const json_t *meta = json_object_get(in->object, "metadata");
	ann->value[0] = engine_annotation_of(meta);
	ann->where[0] = "metadata.annotations";
	if (out->pod.pod_meta != NULL && out->pod.pod_meta != meta) {
		ann->value[1] = engine_annotation_of(out->pod.pod_meta);
		/* spec_path is the template's path and ".spec": its metadata is beside it */
		ann->where[1] = arena_printf(a, "%.*smetadata.annotations",
					     (int)(strlen(out->pod.spec_path) - strlen("spec")),
					     out->pod.spec_path);
		if (ann->where[1] == NULL)
			return -1;
	}
	if (ann->value[0] == NULL && ann->value[1] == NULL)
		return 0;
	const char *ns = in->namespace != NULL && in->namespace[0] != '\0' ? in->namespace : NULL;
	ann->honoured =
		in->audit || (ns != NULL && settings_name_matches(cfg->annotation_namespaces,
								  cfg->nannotation_namespaces, ns));
	if (!ann->honoured) {
		out->warning = ns != NULL ? arena_printf(a,
							 "the annotation " ENGINE_EXEMPT_ANNOTATION
							 " is ignored: namespace \"%s\" is not in "
							 "exemptions.annotationNamespaces",
							 ns)
					  : "the annotation " ENGINE_EXEMPT_ANNOTATION
					    " is ignored on an object without a namespace";
		return out->warning != NULL ? 0 : -1;
	}
	char unknown[256] = "";
	size_t len = 0, n;
	for (int k = 0; k < 2; k++) {
		const char *list = ann->value[k] != NULL ? ann->value[k] : "";
		for (const char *id; (id = engine_next_id(&list, &n)) != NULL;)
			if (!engine_known_id(cfg, id, n) && len < sizeof(unknown))
				len += (size_t)snprintf(unknown + len, sizeof(unknown) - len,
							"%s%.*s", len ? ", " : "", (int)n, id);
	}
	if (len == 0)
		return 0;
	const char *ids = engine_quote(a, unknown);
	out->warning = ids != NULL
			       ? arena_printf(a,
					      "the annotation " ENGINE_EXEMPT_ANNOTATION
					      " names \"%s\", which no policy or rule has: ignored",
					      ids)
			       : NULL;
	return out->warning != NULL ? 0 : -1;
}

/* Why the annotation exempts the object from p, quoting it, or NULL when it does not. */
static const char *engine_annotation_reason(struct arena *a, const struct engine_annotation *ann,
					    const struct policy_desc *p, bool *nomem)
{
	for (int k = 0; ann->honoured && k < 2; k++) {
		if (ann->value[k] == NULL || !engine_list_names(ann->value[k], p->id))
			continue;
		const char *q = engine_quote(a, ann->value[k]);
		const char *why = q != NULL ? arena_printf(a,
							   "annotation " ENGINE_EXEMPT_ANNOTATION
							   ": \"%s\" (%s)",
							   q, ann->where[k])
					    : NULL;
		*nomem = why == NULL;
		return why;
	}
	return NULL;
}

static int engine_run_policy(const struct policy_desc *p, const struct policy_setting *s,
			     const struct engine_input *in, const struct engine_annotation *ann,
			     struct arena *a, struct engine_verdict *out, struct violation ***tail)
{
	if (s->action == POLICY_ACTION_OFF)
		return 0;
	const char *why = engine_exempt_reason(a, s->exempt, in);
	if (why != NULL)
		return engine_add_exemption(a, out, p, why);
	bool nomem = false;
	if ((why = engine_annotation_reason(a, ann, p, &nomem)) != NULL || nomem)
		return engine_add_exemption(a, out, p, why);

	struct violation *first = NULL;
	struct policy_ctx ctx = {
		.arena = a,
		.pod = &out->pod,
		.policy = p,
		.state = s->state,
		.tail = &first,
		.once = &out->once,
		.signatures = in->signatures,
		.contents = in->contents,
	};
	if (p->check(&ctx) < 0 || engine_fault(p)) {
		out->error = arena_printf(a, "policy %s failed internally: %s", p->id,
					  ctx.error != NULL ? ctx.error : "unknown error");
		return 0;
	}
	for (struct violation *v = first, *next; v != NULL; v = next) {
		next = v->next;
		v->next = NULL;
		if (engine_image_exempt(a, s->exempt, v->image)) {
			if (engine_add_exemption(
				    a, out, p,
				    arena_printf(a, "image \"%s\" is exempt", v->image)) < 0)
				return -1;
			continue;
		}
		v->action = s->action;
		if (v->never_denies && v->action > POLICY_ACTION_WARN)
			v->action = POLICY_ACTION_WARN;
		**tail = v;
		*tail = &v->next;
		out->nviolations++;
		if (v->action == POLICY_ACTION_DENY)
			out->ndeny++;
	}
	return 0;
}

const struct kind_desc *engine_kind(const struct admitd_config *cfg, const struct engine_input *in)
{
	const char *group = in->group;
	char buf[256];
	const json_t *av = json_object_get(in->object, "apiVersion");
	if (group == NULL && json_is_string(av)) {
		/* "apps/v1": apps; "v1": the core group, "" */
		const char *s = json_string_value(av), *slash = strchr(s, '/');
		size_t n = slash != NULL ? (size_t)(slash - s) : 0;
		if (n >= sizeof(buf))
			return NULL; /* no API group is this long */
		memcpy(buf, s, n);
		buf[n] = '\0';
		group = buf;
	}
	return kinds_lookup(cfg, group, in->kind);
}

int engine_evaluate(const struct admitd_config *cfg, const struct engine_input *in, struct arena *a,
		    struct engine_verdict *out)
{
	memset(out, 0, sizeof(*out));
	out->allowed = true;

	/* Removing or connecting to a workload never makes it more dangerous. */
	if (in->operation != NULL &&
	    (strcmp(in->operation, "DELETE") == 0 || strcmp(in->operation, "CONNECT") == 0))
		return 0;

	/* a view built already (engine_pod_view) was built by this lookup: not made twice */
	const struct kind_desc *kd = in->pod != NULL ? in->pod->desc : engine_kind(cfg, in);
	if (kd == NULL)
		return 0;
	/* a deletion in progress (finalizers being removed) must be able to finish */
	if (engine_is(in->operation, "UPDATE") && engine_being_deleted(in->object)) {
		if (engine_add_exemption(a, out, NULL,
					 "the object is being deleted (metadata.deletionTimestamp "
					 "is set)") < 0)
			goto nomem;
		return 0;
	}
	/* exemptions first: an exempt namespace must stay repairable whatever it sends */
	const char *exempt = engine_exempt_reason(a, &cfg->exempt, in);
	if (exempt != NULL) {
		if (engine_add_exemption(a, out, NULL, exempt) < 0)
			goto nomem;
		return 0;
	}
	out->judged = true;
	bool dry_run = cfg->mode == ADMITD_MODE_DRY_RUN;

	const char *why = NULL;
	enum workload_result wr = WORKLOAD_OK;
	if (in->pod != NULL)
		out->pod = *in->pod;
	else
		wr = workload_pod_view(kd, in->object, a, &out->pod, &why);
	switch (wr) {
	case WORKLOAD_NOT_JUDGED:
		return 0;
	case WORKLOAD_OK:
		break;
	case WORKLOAD_MALFORMED:
		/* fail closed: a pod spec we cannot read is a pod spec we cannot vouch for */
		out->error = arena_printf(a, "malformed object: %s", why ? why : "bad shape");
		goto refuse;
	case WORKLOAD_NOMEM:
		goto nomem;
	}
	if (out->pod.ncontainers > cfg->limits.max_containers) {
		/* judging thousands of containers is a way to stall admission */
		out->error = arena_printf(a,
					  "malformed object: %zu containers, more than the limit "
					  "of %u (limits.maxContainers)",
					  out->pod.ncontainers, cfg->limits.max_containers);
		goto refuse;
	}
	out->pod.namespace = in->namespace;
	out->pod.network_policies = in->network_policies;
	struct engine_annotation ann;
	if (engine_read_annotation(cfg, in, a, out, &ann) < 0)
		goto nomem;

	struct violation **tail = &out->violations;
	for (size_t i = 0; i < registry_npolicies; i++)
		if (engine_run_policy(registry_policies[i], &cfg->settings[i], in, &ann, a, out,
				      &tail) < 0)
			goto nomem;
	for (size_t i = 0; i < cfg->nrules; i++)
		if (engine_run_policy(rules_desc(cfg->rules[i]), rules_setting(cfg->rules[i]), in,
				      &ann, a, out, &tail) < 0)
			goto nomem;

	if (out->error == NULL && cfg->updates == ADMITD_UPDATES_NEW_VIOLATIONS &&
	    engine_is(in->operation, "UPDATE") && json_is_object(in->old_object) &&
	    out->nviolations > 0 && engine_mark_preexisting(cfg, kd, in, a, out) < 0)
		goto nomem;

	if (out->error != NULL) {
		/* fail closed unless the operator chose availability over enforcement */
		out->allowed = dry_run || cfg->on_policy_error_allow;
		out->message =
			arena_printf(a, "%s: [admitd] %s", engine_object_label(a, in), out->error);
	} else if (out->ndeny > 0) {
		out->allowed = dry_run;
		out->message = engine_message(a, in, out, dry_run);
	}
	if ((out->error != NULL || out->ndeny > 0) && out->message == NULL)
		goto nomem;
	return 0;
refuse:
	/* unreadable input is refused even with onPolicyError: allow; dry-run only warns */
	out->allowed = dry_run;
	if (out->error == NULL ||
	    (out->message = arena_printf(a, "%s: [admitd] %s", engine_object_label(a, in),
					 out->error)) == NULL)
		goto nomem;
	return 0;
nomem:
	out->allowed = false;
	out->error = "out of memory";
	out->message = "admitd: out of memory while judging the object";
	return -1;
}

const struct pod_view *engine_pod_view(const struct admitd_config *cfg,
				       const struct engine_input *in, struct arena *a,
				       struct pod_view *space)
{
	if (in->pod != NULL)
		return in->pod;
	const struct kind_desc *kd = in->object != NULL ? engine_kind(cfg, in) : NULL;
	const char *why = NULL;
	if (kd == NULL || workload_pod_view(kd, in->object, a, space, &why) != WORKLOAD_OK)
		return NULL;
	return space;
}
