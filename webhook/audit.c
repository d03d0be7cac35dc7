/*
 * audit.c: `admitd audit`. Reads what users have (kubectl get -o json|yaml
 * Lists, multi-document manifests, single objects, a live cluster), judges
 * every Pod and workload with engine_evaluate() exactly as the webhook
 * would on CREATE, and hands the results to an output format (auditout.c).
 *
 * Nothing is silently skipped: objects that are not judged are counted by
 * kind, exempt objects are listed with their exemption, files that do not
 * parse are reported with their path and line while the rest is still
 * audited, and a file reached twice (links) is named as read once.
 */
#include "audit.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../policies/registry.h"
#include "cluster.h"
#include "engine.h"
#include "kinds.h"
#include "imgcheck.h"
#include "sigcheck.h"
#include "workload.h"
#include "yamljson.h"
#include "fnv.h"

_Static_assert(sizeof(struct audit_rec) == 32, "an audit record is what each workload costs");

void audit_init(struct audit_run *run, const struct admitd_config *cfg)
{
	memset(run, 0, sizeof(*run));
	run->cfg = cfg;
	run->fail_on = 1u << POLICY_ACTION_DENY;
	run->report_bytes = AUDIT_REPORT_BYTES;
	run->netpols = json_object();
	run->skipped = json_object();
	run->no_netpols = json_array();
	run->warnings = json_array();
	run->ignored = json_array();
	run->seen = json_object();
	run->ns_index = json_object();
	static const char *const titles[] = {"NAMESPACE", "KIND", "NAME", "CONTAINER", "POLICY"};
	for (size_t i = 0; i < 5; i++)
		run->widths[i] = (int)strlen(titles[i]);
}

void audit_free(struct audit_run *run)
{
	cluster_close(run->cluster);
	json_decref(run->netpols);
	json_decref(run->skipped);
	json_decref(run->no_netpols);
	json_decref(run->warnings);
	json_decref(run->ignored);
	json_decref(run->seen);
	json_decref(run->ns_index);
	if (run->arena != NULL) {
		arena_free(run->arena);
		free(run->arena);
	}
	for (size_t i = 0; i < run->nfiles; i++) {
		if (run->files[i].spooled)
			unlink(run->files[i].path);
		free(run->files[i].path);
		free(run->files[i].name);
		for (size_t k = 0; k < run->files[i].nmarks; k++)
			free(run->files[i].marks[k].source);
		free(run->files[i].marks);
	}
	free(run->files);
	if (run->spill != NULL)
		fclose(run->spill);
	free(run->recs);
	for (size_t i = 1; i < run->nnamespaces; i++)
		free(run->namespaces[i]);
	free(run->namespaces);
	for (size_t i = 0; i < run->nerrors; i++) {
		free(run->errors[i].source);
		free(run->errors[i].message);
	}
	free(run->errors);
	memset(run, 0, sizeof(*run));
}

void audit_add_error(struct audit_run *run, const char *source, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct audit_error *n = realloc(run->errors, (run->nerrors + 1) * sizeof(*n));
	if (n == NULL)
		return;
	run->errors = n;
	n[run->nerrors].source = strdup(source);
	n[run->nerrors].line = line;
	n[run->nerrors].message = strdup(msg);
	run->nerrors++;
}

static void audit_note(json_t *list, const char *source, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	json_array_append_new(list, json_pack("{s:s,s:s}", "source", source, "message", msg));
}

void audit_add_warning(struct audit_run *run, const char *source, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	audit_note(run->warnings, source, fmt, ap);
	va_end(ap);
}

static void audit_add_ignored(struct audit_run *run, const char *source, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void audit_add_ignored(struct audit_run *run, const char *source, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	audit_note(run->ignored, source, fmt, ap);
	va_end(ap);
}

static const char *audit_str(const json_t *obj, const char *path)
{
	const char *s = NULL;
	return jp_string(obj, path, &s) == JP_OK ? s : NULL;
}

/* ---- identities: 64-bit FNV-1a, enough to tell 10^6 objects apart ---- */

uint64_t audit_hash(const char *a, const char *b, const char *c)
{
	static const unsigned char sep = 0xff; /* a separator no string holds */
	uint64_t h = FNV_OFFSET;
	const char *parts[3] = {a, b, c};
	for (size_t i = 0; i < 3; i++)
		h = fnv_bytes(fnv_str(h, parts[i] != NULL ? parts[i] : ""), &sep, 1);
	return h != 0 ? h : 1;
}

/* splitmix64's finaliser: sums of mixed hashes are order-free and still spread */
uint64_t audit_mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* ---- reading ---- */

/*
 * Pass 1's look at a file's text, line by line: whether it mentions
 * NetworkPolicy (most files do not, and are parsed once), and where Helm's
 * `# Source: chart/templates/x.yaml` comments and the `---` separators
 * stand, so that a document can name the template it came from (libyaml
 * does not report comments).
 */
static bool audit_scan(FILE *f, struct audit_file *af, const char *const *words)
{
	static const char word[] = "NetworkPolicy", helm[] = "# Source: ";
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0;
	bool netpol = false;
	while ((n = getline(&line, &cap, f)) > 0) {
		lineno++;
		if (!netpol && memmem(line, (size_t)n, word, sizeof(word) - 1) != NULL)
			netpol = true;
		for (size_t w = 0; !netpol && words != NULL && words[w] != NULL; w++)
			netpol = memmem(line, (size_t)n, words[w], strlen(words[w])) != NULL;
		bool source = strncmp(line, helm, sizeof(helm) - 1) == 0;
		/* a separator matters only as the end of a source's documents */
		if (!source && (strncmp(line, "---", 3) != 0 || af->nmarks == 0 ||
				af->marks[af->nmarks - 1].source == NULL))
			continue;
		struct audit_mark *m = realloc(af->marks, (af->nmarks + 1) * sizeof(*m));
		if (m == NULL)
			break;
		af->marks = m;
		m[af->nmarks].line = lineno;
		m[af->nmarks].source = NULL;
		if (source) {
			size_t len = strcspn(line + sizeof(helm) - 1, "\r\n");
			m[af->nmarks].source = strndup(line + sizeof(helm) - 1, len);
		}
		af->nmarks++;
	}
	free(line);
	rewind(f);
	return netpol;
}

/* The Helm template of the document that begins at line: the last mark before it, if a source. */
static const char *audit_template(const struct audit_file *af, int line)
{
	size_t lo = 0, hi = af != NULL ? af->nmarks : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (af->marks[mid].line < line)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 ? af->marks[lo - 1].source : NULL;
}

/* The namespace an object is judged in: its own, else --namespace. */
const char *audit_namespace(const struct audit_run *run, const json_t *obj)
{
	const char *ns = audit_str(obj, "metadata.namespace");
	return ns != NULL && ns[0] != '\0' ? ns : run->default_ns;
}

static uint32_t audit_intern_ns(struct audit_run *run, const char *ns)
{
	if (ns == NULL)
		return 0;
	json_t *at = json_object_get(run->ns_index, ns);
	if (at != NULL)
		return (uint32_t)json_integer_value(at);
	if (run->nnamespaces > AUDIT_NS_MAX)
		return 0;
	if (run->nnamespaces == 0)
		run->nnamespaces = 1; /* 0 is "none" */
	char **n = realloc(run->namespaces, (run->nnamespaces + 1) * sizeof(*n));
	if (n == NULL)
		return 0;
	run->namespaces = n;
	n[run->nnamespaces] = strdup(ns);
	json_object_set_new(run->ns_index, ns, json_integer((json_int_t)run->nnamespaces));
	return (uint32_t)run->nnamespaces++;
}

static void audit_count_skipped(struct audit_run *run, const char *kind, const char *av, bool known)
{
	char key[400];
	if (known)
		snprintf(key, sizeof(key), "%s (%s)", kind, av != NULL ? av : "");
	else
		snprintf(key, sizeof(key), "%s", kind);
	json_t *c = json_object_get(run->skipped, key);
	json_object_set_new(run->skipped, key,
			    json_integer(c != NULL ? json_integer_value(c) + 1 : 1));
}

static void audit_keep_netpol(struct audit_run *run, json_t *obj)
{
	const char *ns = audit_namespace(run, obj);
	ns = ns != NULL ? ns : "default";
	json_t *list = json_object_get(run->netpols, ns);
	if (list == NULL) {
		list = json_array();
		json_object_set_new(run->netpols, ns, list);
	}
	json_array_append(list, obj);
	run->saw_netpols = true;
}

static void audit_widen(struct audit_run *run, int col, const char *s)
{
	int n = s != NULL ? (int)strlen(s) : 1;
	if (n > 80)
		n = 80; /* a longer value overflows its own row only */
	if (n > run->widths[col])
		run->widths[col] = n;
}

static int audit_spill(struct audit_run *run, struct audit_rec *r, const json_t *res)
{
	if (run->spill == NULL && (run->spill = tmpfile()) == NULL)
		return -1;
	if (run->spill_end > AUDIT_SPILL_MAX) {
		errno = EFBIG;
		return -1;
	}
	char *text = json_dumps(res, JSON_COMPACT);
	if (text == NULL)
		return -1;
	size_t len = strlen(text);
	r->off = run->spill_end;
	int rc = fwrite(text, 1, len, run->spill) == len ? 0 : -1;
	free(text);
	if (rc == 0)
		run->spill_end += len;
	return rc;
}

struct audit_rec *audit_rec_new(struct audit_run *run, const char *source, int line)
{
	if (run->nrecs == run->caprecs) {
		size_t cap = run->caprecs ? run->caprecs * 2 : 1024;
		struct audit_rec *n = realloc(run->recs, cap * sizeof(*n));
		if (n == NULL) {
			audit_add_error(run, source, line, "out of memory");
			return NULL;
		}
		run->recs = n;
		run->caprecs = cap;
	}
	struct audit_rec *r = &run->recs[run->nrecs];
	memset(r, 0, sizeof(*r));
	return r;
}

void audit_rec_identify(struct audit_run *run, struct audit_rec *r, const json_t *obj,
			const char *kind, json_t *res)
{
	const char *ns = audit_namespace(run, obj);
	/* its controller, for folding and for naming it when it is not folded */
	size_t i;
	const json_t *ref;
	json_array_foreach(jp_get(obj, "metadata.ownerReferences"), i, ref)
	{
		if (!json_is_true(json_object_get(ref, "controller")))
			continue;
		const char *ok = audit_str(ref, "kind"), *on = audit_str(ref, "name");
		if (res != NULL)
			json_object_set_new(
				res, "owner",
				json_pack("{s:s,s:s}", "kind", ok ? ok : "", "name", on ? on : ""));
		r->owner = audit_hash(ns, ok, on);
		break;
	}
	r->id = audit_hash(ns, kind, audit_str(obj, "metadata.name"));
	if (strcmp(kind, "Pod") == 0)
		r->flags |= AUDIT_REC_POD;
	uint32_t at = audit_intern_ns(run, ns);
	if (ns != NULL && at == 0)
		r->flags |= AUDIT_REC_NSLOST;
	r->ns = at;
}

void audit_rec_keep(struct audit_run *run, struct audit_rec *r, const json_t *res,
		    const char *source, int line)
{
	if (r->flags & AUDIT_REC_NSLOST)
		audit_add_error(run, source, line,
				"cannot keep the result: more than %u namespaces, or out of memory",
				AUDIT_NS_MAX);
	else if (res == NULL || audit_spill(run, r, res) < 0)
		audit_add_error(run, source, line, "cannot keep the result: %s", strerror(errno));
	else
		run->nrecs++;
}

/*
 * The violation's key (violation_key) as it would read on the pod: a
 * message names the field where the object has it, `spec.template.spec.
 * hostNetwork` on a ReplicaSet, `spec.hostNetwork` on its pod, and the
 * same finding must compare equal for folding.
 */
static const char *audit_pod_key(struct arena *a, const struct violation *x, const char *tmpl)
{
	const char *key = violation_key(a, x);
	if (key == NULL || tmpl == NULL)
		return key;
	size_t tl = strlen(tmpl);
	for (const char *at = strstr(key, tmpl); at != NULL; at = strstr(at + 1, tmpl))
		if (at[tl] == '.' && (at == key || at[-1] == ' ' || at[-1] == '|'))
			return arena_printf(a, "%.*s%s", (int)(at - key), key, at + tl + 1);
	return key;
}

/* Judges one workload; its result goes to the spill file, its record to recs. */
static void audit_judge(struct audit_run *run, const char *source, int line, const json_t *obj,
			const struct kind_desc *kd)
{
	const char *kind = kd->kind;
	if (run->arena == NULL) {
		if ((run->arena = malloc(sizeof(*run->arena))) == NULL)
			return;
		arena_init(run->arena);
	}
	struct arena *a = run->arena;
	const char *ns = audit_namespace(run, obj);
	const char *name = audit_str(obj, "metadata.name");
	struct engine_input in = {
		.kind = kind,
		.operation = "CREATE",
		.namespace = ns,
		.name = name,
		.object = obj,
		.audit = true,
	};
	if (run->saw_netpols) {
		in.network_policies = json_object_get(run->netpols, ns != NULL ? ns : "default");
		if (in.network_policies == NULL)
			in.network_policies = run->no_netpols; /* known: the namespace has none */
	}
	/* image-signatures: the registries first (blocking here: audit judges one object at a time)
	 */
	struct pod_view pod; /* one view for the gatherers and the engine */
	if (sigcheck_gathers(run->cfg))
		in.pod = engine_pod_view(run->cfg, &in, a, &pod);
	struct sigcheck_results sig;
	if (sigcheck_gather(run->cfg, &in, a, run->offline, &sig)) {
		in.signatures = &sig;
		run->signatures_skipped |= sig.skipped;
	}
	struct imgcheck_results contents;
	if (imgcheck_gather(run->cfg, &in, a, run->offline, &contents)) {
		in.contents = &contents;
		run->contents_skipped |= contents.skipped;
	}
	struct engine_verdict v;
	engine_evaluate(run->cfg, &in, a, &v);
	const char *tmpl = kd->template_path;

	struct audit_rec *r = audit_rec_new(run, source, line);
	if (r == NULL) {
		sigcheck_results_free(&sig);
		imgcheck_results_free(&contents);
		arena_reset(a);
		return;
	}
	json_t *viol = json_array();
	for (const struct violation *x = v.violations; x != NULL; x = x->next) {
		json_t *vj = json_pack("{s:s,s:s,s:o,s:s}", "policy", x->policy->id, "action",
				       policy_action_name(x->action), "container",
				       x->container ? json_string(x->container->name) : json_null(),
				       "message", x->message);
		/* the line of the container (or volume) at fault, where the file tells */
		char where[400] = "";
		if (x->container != NULL)
			snprintf(where, sizeof(where), "%s/%s", x->container->list,
				 x->container->name);
		else if (x->volume != NULL)
			snprintf(where, sizeof(where), "volumes/%s", x->volume->name);
		const json_t *at = where[0] != '\0' ? json_object_get(run->positions, where) : NULL;
		if (at != NULL)
			json_object_set(vj, "line", (json_t *)at);
		json_array_append_new(viol, vj);
		r->findings += audit_mix(audit_hash(audit_pod_key(a, x, tmpl), NULL, NULL));
		if (run->fail_on & (1u << x->action))
			r->flags |= AUDIT_REC_FAILS;
		audit_widen(run, 3, x->container ? x->container->name : NULL);
		audit_widen(run, 4, x->policy->id);
	}
	if (v.error != NULL) {
		json_array_append_new(viol,
				      json_pack("{s:s,s:s,s:n,s:s}", "policy", "admitd", "action",
						"deny", "container", "message", v.error));
		r->findings += audit_mix(audit_hash("admitd", v.error, NULL));
		r->flags |= AUDIT_REC_FAILS;
	}
	bool deny = v.ndeny > 0 || v.error != NULL;
	if (deny)
		r->flags |= AUDIT_REC_DENY;
	const char *api = audit_str(obj, "apiVersion");
	const char *uid = audit_str(obj, "metadata.uid");
	json_t *res = json_pack("{s:s,s:o,s:o,s:b,s:o,s:s}", "kind", kind, "namespace",
				ns ? json_string(ns) : json_null(), "name",
				name ? json_string(name) : json_null(), "allowed", !deny,
				"violations", viol, "source", source);
	if (line > 0)
		json_object_set_new(res, "line", json_integer(line));
	const char *tmpl_file = audit_template(run->reading, line);
	if (tmpl_file != NULL)
		json_object_set_new(res, "template", json_string(tmpl_file));
	if (api != NULL)
		json_object_set_new(res, "apiVersion", json_string(api));
	if (uid != NULL)
		json_object_set_new(res, "uid", json_string(uid));
	json_t *exemptions = NULL;
	for (const struct engine_exemption *e = v.exemptions; e != NULL; e = e->next) {
		if (e->policy == NULL) {
			json_object_set_new(res, "exempt", json_string(e->reason));
			continue;
		}
		if (exemptions == NULL)
			exemptions = json_array();
		json_array_append_new(exemptions, json_pack("{s:s,s:s}", "policy", e->policy->id,
							    "reason", e->reason));
	}
	if (exemptions != NULL)
		json_object_set_new(res, "exemptions", exemptions);
	audit_rec_identify(run, r, obj, kind, res);
	audit_widen(run, 0, ns);
	audit_widen(run, 1, kind);
	audit_widen(run, 2, name);
	audit_rec_keep(run, r, res, source, line);
	json_decref(res);
	sigcheck_results_free(&sig);
	imgcheck_results_free(&contents);
	arena_reset(a);
}

/*
 * One object read from the input. pass 1 keeps NetworkPolicies, pass 2
 * judges workloads and counts the rest.
 */
static void audit_take(struct audit_run *run, int pass, const char *source, int line, json_t *obj,
		       const char *list_kind)
{
	if (!json_is_object(obj)) {
		if (pass == 2)
			audit_add_error(run, source, line, "a document is not an object");
		return;
	}
	const char *kind = audit_str(obj, "kind");
	if (kind == NULL && list_kind != NULL && strcmp(list_kind, "List") != 0 &&
	    strlen(list_kind) > 4) {
		/* the items of a typed List (PodList) carry no kind */
		char k[128];
		snprintf(k, sizeof(k), "%.*s", (int)(strlen(list_kind) - 4), list_kind);
		json_object_set_new(obj, "kind", json_string(k));
		kind = audit_str(obj, "kind");
	}
	if (kind == NULL) {
		if (pass == 2)
			audit_add_error(run, source, line, "an object without a kind");
		return;
	}
	const char *av = audit_str(obj, "apiVersion");
	if (strcmp(kind, "NetworkPolicy") == 0) {
		if (pass == 1)
			audit_keep_netpol(run, obj);
		return;
	}
	if (pass == 1) {
		if (run->hooks != NULL && run->hooks->keep != NULL)
			run->hooks->keep(run, obj, kind);
		return;
	}
	/* by API group too, as the webhook: an example.com/v1 Deployment is a CRD */
	char group[256];
	const char *g = NULL;
	if (av != NULL) {
		const char *slash = strchr(av, '/');
		snprintf(group, sizeof(group), "%.*s", slash != NULL ? (int)(slash - av) : 0, av);
		g = group;
	}
	const struct kind_desc *kd = kinds_lookup(run->cfg, g, kind);
	if (kd == NULL) {
		audit_count_skipped(run, kind, av, kinds_named(run->cfg, kind));
		return;
	}
	if (run->hooks != NULL && run->hooks->judge != NULL)
		run->hooks->judge(run, source, line, obj, kd);
	else
		audit_judge(run, source, line, obj, kd);
}

/* JSON when it begins like JSON: for the error message only, both are read alike */
static bool audit_looks_json(FILE *f)
{
	int c;
	while ((c = fgetc(f)) == ' ' || c == '\t' || c == '\r' || c == '\n')
		;
	rewind(f);
	return c == '{' || c == '[';
}

static void audit_read_stream(struct audit_run *run, int pass, const char *source, FILE *f)
{
	bool json = pass == 2 && audit_looks_json(f);
	struct yamljson_stream *s = yamljson_stream_open(f);
	if (s == NULL) {
		audit_add_error(run, source, 0, "out of memory");
		return;
	}
	json_t *obj;
	int line, rc;
	const char *list_kind;
	struct yamljson_error err;
	if (pass == 2)
		yamljson_stream_track(s);
	while ((rc = yamljson_stream_next(s, &obj, &line, &list_kind, &err)) == 1) {
		run->positions = yamljson_stream_positions(s);
		audit_take(run, pass, source, line, obj, list_kind);
		run->positions = NULL;
		json_decref(obj);
	}
	if (rc < 0 && pass == 2)
		audit_add_error(run, source, err.line, "invalid %s: %s", json ? "JSON" : "YAML",
				err.text);
	yamljson_stream_close(s);
}

void audit_read_files(struct audit_run *run)
{
	for (int pass = 1; pass <= 2; pass++) {
		for (size_t i = 0; i < run->nfiles; i++) {
			const char *name = run->files[i].name;
			FILE *f = fopen(run->files[i].path, "rb");
			if (f == NULL) {
				if (pass == 2)
					audit_add_error(run, name, 0, "cannot open: %s",
							strerror(errno));
				continue;
			}
			run->reading = &run->files[i];
			if (pass == 2 ||
			    audit_scan(f, &run->files[i], run->hooks ? run->hooks->words : NULL))
				audit_read_stream(run, pass, name, f);
			run->reading = NULL;
			fclose(f);
		}
	}
}

static void audit_queue_file(struct audit_run *run, const char *path, const char *name,
			     bool spooled)
{
	struct audit_file *n = realloc(run->files, (run->nfiles + 1) * sizeof(*n));
	if (n == NULL) {
		audit_add_error(run, name, 0, "out of memory");
		return;
	}
	run->files = n;
	n[run->nfiles].path = strdup(path);
	n[run->nfiles].name = strdup(name);
	n[run->nfiles].spooled = spooled;
	n[run->nfiles].marks = NULL;
	n[run->nfiles].nmarks = 0;
	run->nfiles++;
}

/* Standard input, spooled to a file so that it can be read twice like the others. */
static void audit_queue_stdin(struct audit_run *run)
{
	const char *dir = getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";
	char tmpl[4096];
	snprintf(tmpl, sizeof(tmpl), "%s/admitd-audit-stdin-XXXXXX", dir);
	int fd = mkstemp(tmpl);
	if (fd < 0) {
		audit_add_error(run, "<stdin>", 0, "cannot spool to %s: %s", dir, strerror(errno));
		return;
	}
	char buf[65536];
	size_t n;
	bool ok = true;
	while (ok && (n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		ok = write(fd, buf, n) == (ssize_t)n;
	int saved = errno;
	close(fd);
	if (!ok || ferror(stdin)) {
		audit_add_error(run, "<stdin>", 0, "cannot spool: %s", strerror(saved));
		unlink(tmpl);
		return;
	}
	audit_queue_file(run, tmpl, "<stdin>", true);
}

static bool audit_wanted_name(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot != NULL &&
	       (strcmp(dot, ".json") == 0 || strcmp(dot, ".yaml") == 0 || strcmp(dot, ".yml") == 0);
}

/* false when this file or directory was walked already (a link, or a cycle) */
static bool audit_first_visit(struct audit_run *run, const char *path, const struct stat *st)
{
	char key[64];
	snprintf(key, sizeof(key), "%llu:%llu", (unsigned long long)st->st_dev,
		 (unsigned long long)st->st_ino);
	const json_t *was = json_object_get(run->seen, key);
	if (was == NULL) {
		json_object_set_new(run->seen, key, json_string(path));
		return true;
	}
	if (S_ISDIR(st->st_mode))
		audit_add_ignored(run, path, "the directory %s again (a link): not walked twice",
				  json_string_value(was));
	else
		audit_add_ignored(run, path, "the same file as %s: read once",
				  json_string_value(was));
	return false;
}

void audit_add_path(struct audit_run *run, const char *path)
{
	if (strcmp(path, "-") == 0) {
		audit_queue_stdin(run);
		return;
	}
	struct stat st;
	if (stat(path, &st) != 0) {
		audit_add_error(run, path, 0, "cannot read: %s", strerror(errno));
		return;
	}
	if (!audit_first_visit(run, path, &st))
		return;
	if (!S_ISDIR(st.st_mode)) {
		audit_queue_file(run, path, path, false);
		return;
	}
	struct dirent **names = NULL;
	int n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		audit_add_error(run, path, 0, "cannot list: %s", strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		if (name[0] != '.') {
			char child[4096];
			snprintf(child, sizeof(child), "%s/%s", path, name);
			struct stat cs;
			if (stat(child, &cs) == 0 &&
			    (S_ISDIR(cs.st_mode) || audit_wanted_name(name)))
				audit_add_path(run, child);
		}
		free(names[i]);
	}
	free(names);
}

/* ---- --cluster: the Kubernetes client (cluster.c) driven for an audit ---- */

/* Not judged, but listed first: coverage needs them before any workload is judged. */
static const struct kind_desc audit_netpol_kind = {
	"NetworkPolicy", "networking.k8s.io", NULL, "networkpolicies", {"v1", NULL}, NULL,
};

struct audit_page {
	struct audit_run *run;
	int pass; /* 1: kept before any workload is judged */
	const struct kind_desc *kind;
	const char *api_version;
	char source[128];
};

static int audit_take_page(json_t *items, void *arg)
{
	struct audit_page *pg = arg;
	bool netpol = pg->kind == &audit_netpol_kind;
	size_t i;
	json_t *item;
	json_array_foreach(items, i, item)
	{
		if (!json_is_object(item))
			continue;
		/* list items carry neither kind nor apiVersion */
		json_object_set_new(item, "kind", json_string(pg->kind->kind));
		json_object_set_new(item, "apiVersion", json_string(pg->api_version));
		audit_take(pg->run, pg->pass, pg->source, 0, item, NULL);
	}
	if (netpol)
		pg->run->saw_netpols = true; /* listed: even none at all is knowledge */
	return 0;
}

/* Lists one kind, its newest served version first. Returns 0, or -1 when fatal. */
static int audit_list_kind(struct audit_run *run, const struct kind_desc *k, int pass)
{
	struct cluster *c = run->cluster;
	char path[256], api_version[128];
	enum cluster_status st = CLUSTER_NOT_FOUND;
	for (size_t v = 0; k->versions[v] != NULL && st == CLUSTER_NOT_FOUND; v++) {
		kinds_paths(k, k->versions[v], path, sizeof(path), api_version,
			    sizeof(api_version));
		struct audit_page pg = {
			.run = run, .pass = pass, .kind = k, .api_version = api_version};
		snprintf(pg.source, sizeof(pg.source), "cluster:%s", k->kind);
		st = cluster_list(c, path, audit_take_page, &pg);
	}
	switch (st) {
	case CLUSTER_OK:
		return 0;
	case CLUSTER_NOT_FOUND:
	case CLUSTER_REFUSED:
		audit_add_warning(run, cluster_server(c), "cannot list %s (%s): %s", k->kind, path,
				  cluster_error(c));
		fprintf(stderr, "admitd audit: warning: cannot list %s (%s): %s\n", k->kind, path,
			cluster_error(c));
		return 0;
	case CLUSTER_BAD_REPLY:
		audit_add_error(run, path, 0, "%s", cluster_error(c));
		return 0;
	case CLUSTER_FATAL:
		break;
	}
	fprintf(stderr, "admitd audit: %s\n", cluster_error(c));
	return -1;
}

int audit_cluster(struct audit_run *run, const char *kubeconfig)
{
	char why[600];
	run->cluster = cluster_open(kubeconfig, why, sizeof(why));
	if (run->cluster == NULL) {
		fprintf(stderr, "admitd audit: %s\n", why);
		return -1;
	}
	if (audit_list_kind(run, &audit_netpol_kind, 1) < 0)
		return -1;
	for (size_t i = 0; run->hooks != NULL && i < run->hooks->nkinds; i++)
		if (audit_list_kind(run, run->hooks->kinds[i], 1) < 0)
			return -1;
	for (size_t i = 0; i < kinds_count; i++)
		if (audit_list_kind(run, &kinds_table[i], 2) < 0)
			return -1;
	for (size_t i = 0; i < run->cfg->nworkloads; i++)
		if (audit_list_kind(run, &run->cfg->workloads[i], 2) < 0)
			return -1;
	return 0;
}

/* ---- folding and the report ---- */

/* For bsearch and qsort over a permutation of the records, by identity. */
static const struct audit_rec *audit_sort_recs;

static int audit_cmp_id(const void *a, const void *b)
{
	uint64_t x = audit_sort_recs[*(const uint32_t *)a].id;
	uint64_t y = audit_sort_recs[*(const uint32_t *)b].id;
	return (x > y) - (x < y);
}

static int audit_cmp_key(const void *key, const void *elem)
{
	uint64_t x = *(const uint64_t *)key, y = audit_sort_recs[*(const uint32_t *)elem].id;
	return (x > y) - (x < y);
}

/*
 * Folds an owned object (a Pod, a ReplicaSet, a Job) into its controller
 * when the controller is in the input and has exactly its findings: a
 * Deployment's pods are then one entry with podsAffected. An object whose
 * findings differ (an old ReplicaSet, a pod with an ephemeral debug
 * container) stays an entry of its own, with its owner named, so that
 * folding never hides a violation. Fills top[i] (the entry record i is
 * reported under) and pods[i] (the pods folded into entry i). Owners are
 * found by binary search in a sorted permutation: 4 bytes an object, no
 * hash table. Returns 0, or -1 when out of memory.
 */
int audit_fold(struct audit_run *run, uint32_t *top, uint32_t *pods)
{
	size_t n = run->nrecs, nowners = 0;
	/* a Pod owns nothing: only the other kinds are looked up as owners (most are pods) */
	for (size_t i = 0; i < n; i++)
		nowners += !(run->recs[i].flags & AUDIT_REC_POD);
	uint32_t *by_id = malloc((nowners ? nowners : 1) * sizeof(*by_id));
	if (by_id == NULL)
		return -1;
	nowners = 0;
	for (size_t i = 0; i < n; i++)
		if (!(run->recs[i].flags & AUDIT_REC_POD))
			by_id[nowners++] = (uint32_t)i;
	audit_sort_recs = run->recs;
	qsort(by_id, nowners, sizeof(*by_id), audit_cmp_id);
	for (size_t i = 0; i < n; i++) {
		size_t cur = i;
		for (int hops = 0; hops < 8 && run->recs[cur].owner != 0; hops++) {
			const uint32_t *at = bsearch(&run->recs[cur].owner, by_id, nowners,
						     sizeof(*by_id), audit_cmp_key);
			if (at == NULL || *at == cur ||
			    run->recs[*at].findings != run->recs[cur].findings)
				break;
			cur = *at;
		}
		top[i] = (uint32_t)cur;
		if (pods != NULL)
			pods[i] = 0;
	}
	for (size_t i = 0; i < n && pods != NULL; i++)
		if (top[i] != i && (run->recs[i].flags & AUDIT_REC_POD))
			pods[top[i]]++;
	free(by_id);
	return 0;
}

/* The entry's result as spilled, with what folding adds. NULL on a read error. */
json_t *audit_load_entry(struct audit_run *run, size_t i, uint32_t pods)
{
	uint64_t off = run->recs[i].off;
	uint64_t end = i + 1 < run->nrecs ? run->recs[i + 1].off : run->spill_end;
	size_t len = (size_t)(end - off);
	char *buf = malloc(len + 1);
	json_t *res = NULL;
	if (buf != NULL && pread(fileno(run->spill), buf, len, (off_t)off) == (ssize_t)len)
		res = json_loadb(buf, len, 0, NULL);
	free(buf);
	if (res != NULL && pods > 0)
		json_object_set_new(res, "podsAffected", json_integer(pods));
	return res;
}

static int audit_cmp_ns(const void *a, const void *b, void *arg)
{
	const struct audit_run *run = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	const struct audit_rec *rx = &run->recs[x], *ry = &run->recs[y];
	const char *nx = rx->ns ? run->namespaces[rx->ns] : "";
	const char *ny = ry->ns ? run->namespaces[ry->ns] : "";
	int c = strcmp(nx, ny);
	return c != 0 ? c : (x > y) - (x < y); /* stable: input order within a namespace */
}

static void audit_count(json_t *obj, const char *key, json_int_t by)
{
	json_t *c = json_object_get(obj, key);
	json_object_set_new(obj, key, json_integer((c != NULL ? json_integer_value(c) : 0) + by));
}

int audit_report(struct audit_run *run, const struct audit_format *fmt, FILE *out)
{
	size_t n = run->nrecs, nentries = 0;
	uint32_t *top = malloc((n ? n : 1) * sizeof(*top));
	uint32_t *pods = malloc((n ? n : 1) * sizeof(*pods));
	uint32_t *order = malloc((n ? n : 1) * sizeof(*order));
	if (top == NULL || pods == NULL || order == NULL || audit_fold(run, top, pods) < 0) {
		free(top);
		free(pods);
		free(order);
		fprintf(stderr, "admitd audit: out of memory\n");
		return 2;
	}
	for (size_t i = 0; i < n; i++)
		if (top[i] == i)
			order[nentries++] = (uint32_t)i;
	free(top);
	if (fmt->by_namespace)
		qsort_r(order, nentries, sizeof(*order), audit_cmp_ns, run);
	if (run->spill != NULL)
		fflush(run->spill);

	struct audit_out o = {.out = out, .run = run, .fmt = fmt};
	json_t *by_policy = json_object(), *by_ns = json_object();
	json_int_t would_deny = 0, nviol = 0, exempt = 0;
	bool fails = false, read_failed = false;
	fmt->begin(&o);
	for (size_t e = 0; e < nentries; e++) {
		const struct audit_rec *r = &run->recs[order[e]];
		json_t *res = audit_load_entry(run, order[e], pods[order[e]]);
		if (res == NULL) {
			read_failed = true;
			continue;
		}
		would_deny += (r->flags & AUDIT_REC_DENY) != 0;
		fails |= (r->flags & AUDIT_REC_FAILS) != 0;
		exempt += json_object_get(res, "exempt") != NULL;
		const char *ns = json_string_value(json_object_get(res, "namespace"));
		size_t k;
		json_t *v;
		json_array_foreach(json_object_get(res, "violations"), k, v)
		{
			nviol++;
			audit_count(by_policy, json_string_value(json_object_get(v, "policy")), 1);
			audit_count(by_ns, ns != NULL ? ns : "(none)", 1);
		}
		fmt->entry(&o, res);
		json_decref(res);
	}
	free(pods);
	free(order);
	if (read_failed)
		audit_add_error(run, "audit", 0, "the spill file could not be read back");
	json_t *errors = json_array();
	for (size_t i = 0; i < run->nerrors; i++) {
		json_t *err = json_pack("{s:s,s:s}", "source", run->errors[i].source, "message",
					run->errors[i].message);
		if (run->errors[i].line > 0)
			json_object_set_new(err, "line", json_integer(run->errors[i].line));
		json_array_append_new(errors, err);
	}
	json_t *summary = json_pack(
		"{s:I,s:I,s:I,s:I,s:I,s:O,s:o,s:o,s:o,s:O,s:O}", "judged", (json_int_t)run->nrecs,
		"entries", (json_int_t)nentries, "wouldDeny", would_deny, "violations", nviol,
		"exempt", exempt, "skipped", run->skipped, "byPolicy", by_policy, "byNamespace",
		by_ns, "errors", errors, "notListed", run->warnings, "ignored", run->ignored);
	/* --offline: say which policy judged nothing, so "0 denied" is not read as "all signed" */
	if (run->signatures_skipped || run->contents_skipped) {
		json_t *skipped = json_object();
		if (run->signatures_skipped)
			json_object_set_new(skipped, "image-signatures",
					    json_string("--offline: no registry was asked"));
		for (size_t i = 0; run->contents_skipped && i < registry_npolicies; i++) {
			const char *id = registry_policies[i]->id;
			if (strncmp(id, "image-", 6) == 0 && strcmp(id, "image-signatures") != 0 &&
			    run->cfg->settings[i].action != POLICY_ACTION_OFF)
				json_object_set_new(
					skipped, id,
					json_string("--offline: no registry was asked"));
		}
		json_object_set_new(summary, "skippedPolicies", skipped);
	}
	bool write_failed = fmt->end(&o, summary) < 0;
	json_decref(summary);
	/* input errors also go to stderr, where a pipeline's user sees them */
	for (size_t i = 0; i < run->nerrors; i++) {
		if (run->errors[i].line > 0)
			fprintf(stderr, "%s:%d: %s\n", run->errors[i].source, run->errors[i].line,
				run->errors[i].message);
		else
			fprintf(stderr, "%s: %s\n", run->errors[i].source, run->errors[i].message);
	}
	if (run->nerrors > 0 || write_failed)
		return 2;
	return fails ? 1 : 0;
}

/* ---- the command ---- */

static void audit_usage(FILE *f)
{
	fprintf(f, "usage: admitd audit [OPTIONS] PATH...\n"
		   "       admitd audit --cluster [OPTIONS]\n\n"
		   "Judges existing workloads with the webhook's engine and reports what would be\n"
		   "denied. PATH is a file, a directory (walked for .json, .yaml, .yml) or -.\n\n"
		   "options:\n"
		   "  -c, --config FILE       the configuration (default: the built-in policies)\n"
		   "  -o, --output FORMAT     the report:\n");
	for (size_t i = 0; i < audit_nformats; i++)
		fprintf(f, "                            %-13s %s\n", audit_formats[i].name,
			audit_formats[i].summary);
	fprintf(f,
		"                          (default: table on a terminal, json otherwise)\n"
		"  -n, --namespace NS      the namespace of objects that name none\n"
		"      --fail-on ACTIONS   actions that make the exit status 1, comma-separated:\n"
		"                          deny, warn, audit, or none (default: deny)\n"
		"      --cluster           read the cluster instead of files\n"
		"      --kubeconfig FILE   (default: $KUBECONFIG, ~/.kube/config, the service "
		"account)\n"
		"      --write-reports     with --cluster and a report format, store the reports\n"
		"  -h, --help              this help\n\n"
		"exit status: 0 nothing fails, 1 a violation fails (--fail-on), 2 a usage,\n"
		"configuration or input error.\n");
}

/* "deny,warn" -> a bit per action; -1 on a word that is not an action */
static int audit_parse_fail_on(const char *text, unsigned *out)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", text);
	*out = 0;
	for (char *save = NULL, *w = strtok_r(buf, ",", &save); w != NULL;
	     w = strtok_r(NULL, ",", &save)) {
		if (strcmp(w, "deny") == 0)
			*out |= 1u << POLICY_ACTION_DENY;
		else if (strcmp(w, "warn") == 0)
			*out |= 1u << POLICY_ACTION_WARN;
		else if (strcmp(w, "audit") == 0)
			*out |= 1u << POLICY_ACTION_AUDIT;
		else if (strcmp(w, "none") != 0)
			return -1;
	}
	return 0;
}

int audit_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"output", required_argument, NULL, 'o'},
		{"namespace", required_argument, NULL, 'n'},
		{"fail-on", required_argument, NULL, 'f'},
		{"cluster", no_argument, NULL, 'C'},
		{"kubeconfig", required_argument, NULL, 'k'},
		{"write-reports", no_argument, NULL, 'w'},
		{"report-bytes", required_argument, NULL, 'b'},
		{"offline", no_argument, NULL, 'O'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config_path = NULL, *output = NULL, *kubeconfig = NULL, *ns = NULL;
	const char *fail_on = "deny";
	bool cluster = false, write_reports = false;
	size_t report_bytes = AUDIT_REPORT_BYTES;
	bool offline = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:o:n:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'n':
			ns = optarg;
			break;
		case 'f':
			fail_on = optarg;
			break;
		case 'C':
			cluster = true;
			break;
		case 'k':
			kubeconfig = optarg;
			break;
		case 'w':
			write_reports = true;
			break;
		case 'O':
			offline = true;
			break;
		case 'b': {
			char *end = NULL;
			errno = 0;
			unsigned long long n = strtoull(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-' ||
			    n < AUDIT_REPORT_BYTES_MIN || n > AUDIT_REPORT_BYTES_MAX) {
				fprintf(stderr,
					"admitd audit: --report-bytes takes a number from %u to %u\n",
					AUDIT_REPORT_BYTES_MIN, AUDIT_REPORT_BYTES_MAX);
				return 2;
			}
			report_bytes = (size_t)n;
			break;
		}
		case 'h':
			audit_usage(stdout);
			return 0;
		default:
			audit_usage(stderr);
			return 2;
		}
	}
	const struct audit_format *fmt = audit_format_find(output != NULL          ? output
							   : isatty(STDOUT_FILENO) ? "table"
										   : "json");
	if (fmt == NULL) {
		fprintf(stderr, "admitd audit: --output must be one of:");
		for (size_t i = 0; i < audit_nformats; i++)
			fprintf(stderr, " %s", audit_formats[i].name);
		fprintf(stderr, "\n");
		return 2;
	}
	unsigned fail_bits;
	if (audit_parse_fail_on(fail_on, &fail_bits) < 0) {
		fprintf(stderr,
			"admitd audit: --fail-on takes deny, warn, audit or none "
			"(comma-separated), not \"%s\"\n",
			fail_on);
		return 2;
	}
	if (write_reports && (!cluster || !fmt->by_namespace)) {
		fprintf(stderr, "admitd audit: --write-reports goes with --cluster and --output "
				"policyreport or openreports\n");
		return 2;
	}
	if (!cluster && optind >= argc) {
		fprintf(stderr, "admitd audit: name at least one PATH (a file, a directory or -), "
				"or --cluster\n");
		return 2;
	}
	struct yamlconf_errors errs = {0};
	struct admitd_config *cfg = config_load_or_default(config_path, &errs);
	for (size_t i = 0; i < errs.count; i++)
		fprintf(stderr, "%s\n", errs.lines[i]);
	yamlconf_errors_free(&errs);
	if (cfg == NULL)
		return 2;
	struct audit_run run;
	audit_init(&run, cfg);
	run.write_reports = write_reports;
	run.report_bytes = report_bytes;
	run.offline = offline;
	run.default_ns = ns;
	run.fail_on = fail_bits;
	for (int i = optind; i < argc; i++)
		audit_add_path(&run, argv[i]);
	audit_read_files(&run);
	if (cluster && audit_cluster(&run, kubeconfig) < 0) {
		audit_free(&run);
		config_unref(cfg);
		return 2;
	}
	int rc = audit_report(&run, fmt, stdout);
	audit_free(&run);
	config_unref(cfg);
	return rc;
}
