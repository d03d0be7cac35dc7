/*
 * html.c: the self-contained HTML page of audit and inventory (html.h).
 * No network: no URL is ever written; the policy forbids loading one.
 */
#include "html.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/*
 * The page's behaviour: each table of the data, built with DOM calls and
 * textContent (never markup from data), sorted by a click on a column's
 * heading, filtered by the words typed in its box (every word must occur
 * in the row). No inline handlers: the policy would refuse them.
 */
const char html_script[] =
	"\n(function () {\n"
	"  'use strict';\n"
	"  var el = document.getElementById('admitd-data');\n"
	"  if (!el) return;\n"
	"  var data = JSON.parse(el.textContent);\n"
	"  var coll = new Intl.Collator(undefined, {numeric: true, sensitivity: 'base'});\n"
	"  (data.tables || []).forEach(function (t) {\n"
	"    var table = document.getElementById('t-' + t.id);\n"
	"    var filter = document.getElementById('f-' + t.id);\n"
	"    var count = document.getElementById('n-' + t.id);\n"
	"    if (!table) return;\n"
	"    var derived = t.derived || [];\n"
	"    var names = t.columns.concat(derived.map(function (d) { return d.name; }));\n"
	"    var head = table.createTHead().insertRow();\n"
	"    var body = table.createTBody();\n"
	"    var rows = t.rows.map(function (r) {\n"
	"      var cells = r.map(function (v) { return v === null || v === undefined ? '' : "
	"String(v); });\n"
	"      derived.forEach(function (d) {\n"
	"        var m = (data.maps || {})[d.map] || {};\n"
	"        var v = Object.prototype.hasOwnProperty.call(m, cells[d.from]) ? "
	"m[cells[d.from]] : '';\n"
	"        cells.push(typeof v === 'string' ? v : '');\n"
	"      });\n"
	"      var tr = document.createElement('tr');\n"
	"      cells.forEach(function (v) { tr.insertCell().textContent = v; });\n"
	"      return {tr: tr, cells: cells, text: cells.join('\\n').toLowerCase()};\n"
	"    });\n"
	"    var frag = document.createDocumentFragment();\n"
	"    rows.forEach(function (r) { frag.appendChild(r.tr); });\n"
	"    body.appendChild(frag);\n"
	"    function shown() {\n"
	"      var n = 0;\n"
	"      rows.forEach(function (r) { if (!r.tr.hidden) n++; });\n"
	"      if (count) count.textContent = n + ' of ' + rows.length + ' rows';\n"
	"    }\n"
	"    var sortCol = -1, sortDir = 1;\n"
	"    names.forEach(function (name, i) {\n"
	"      var th = document.createElement('th');\n"
	"      var b = document.createElement('button');\n"
	"      b.type = 'button';\n"
	"      b.textContent = name;\n"
	"      b.addEventListener('click', function () {\n"
	"        sortDir = sortCol === i ? -sortDir : 1;\n"
	"        sortCol = i;\n"
	"        rows.sort(function (a, c) { return sortDir * coll.compare(a.cells[i], "
	"c.cells[i]); });\n"
	"        var f = document.createDocumentFragment();\n"
	"        rows.forEach(function (r) { f.appendChild(r.tr); });\n"
	"        body.appendChild(f);\n"
	"        Array.prototype.forEach.call(head.cells, function (h, k) {\n"
	"          h.setAttribute('aria-sort', k === i ? (sortDir > 0 ? 'ascending' : "
	"'descending') : 'none');\n"
	"        });\n"
	"      });\n"
	"      th.appendChild(b);\n"
	"      head.appendChild(th);\n"
	"    });\n"
	"    if (filter) filter.addEventListener('input', function () {\n"
	"      var words = filter.value.toLowerCase().split(/\\s+/).filter(Boolean);\n"
	"      rows.forEach(function (r) {\n"
	"        r.tr.hidden = !words.every(function (w) { return r.text.indexOf(w) >= 0; });\n"
	"      });\n"
	"      shown();\n"
	"    });\n"
	"    shown();\n"
	"  });\n"
	"})();\n";

const char html_style[] =
	"\nbody{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}\n"
	"h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.2em;margin:1.5em 0 .4em}\n"
	".sub{color:#555;margin:0 0 1em}\n"
	".counts{display:flex;flex-wrap:wrap;gap:.6em;padding:0;list-style:none}\n"
	".counts li{border:1px solid #ccc;border-radius:4px;padding:.4em .8em}\n"
	".counts b{font-size:1.4em;display:block}\n"
	".deny b{color:#b3261e}\n"
	".note{background:#fff4ce;border:1px solid #e0c060;padding:.5em .8em}\n"
	"svg text{font:12px system-ui,sans-serif;fill:#222}\n"
	"table{border-collapse:collapse;width:100%;margin-top:.4em}\n"
	"th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top;"
	"overflow-wrap:break-word}\n"
	"th{background:#f3f3f3;position:sticky;top:0;white-space:nowrap}\n"
	"th button{font:inherit;font-weight:bold;background:none;border:0;padding:0;cursor:pointer}\n"
	"tr:nth-child(even) td{background:#fafafa}\n"
	"input[type=search]{width:24em;padding:.3em}\n"
	".count{color:#555;margin-left:1em}\n"
	"ul.list{columns:2}\n";

void html_escape(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			if ((*p >= 0x20 && *p != 0x7f) || *p == '\t' || *p == '\n' || *p == '\r')
				fputc(*p, out);
		}
	}
}

int html_json(FILE *out, const json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
	if (text == NULL)
		return -1;
	for (const char *p = text; *p != '\0'; p++) {
		/* these occur only inside strings: \uXXXX means the same there */
		if (*p == '<')
			fputs("\\u003c", out);
		else if (*p == '>')
			fputs("\\u003e", out);
		else if (*p == '&')
			fputs("\\u0026", out);
		else
			fputc(*p, out);
	}
	free(text);
	return 0;
}

int html_csp_hash(const char *text, char *buf, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned char b64[64];
	if (len < sizeof("'sha256-'") + 44 ||
	    EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return -1;
	EVP_EncodeBlock(b64, md, (int)mdlen);
	snprintf(buf, len, "'sha256-%s'", (const char *)b64);
	return 0;
}

int html_begin(FILE *out, const char *title, const char *subtitle)
{
	char script_hash[80], style_hash[80];
	if (html_csp_hash(html_script, script_hash, sizeof(script_hash)) < 0 ||
	    html_csp_hash(html_style, style_hash, sizeof(style_hash)) < 0)
		return -1;
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", out);
	/* first, before anything it governs */
	fprintf(out,
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		"script-src %s; style-src %s; img-src data:; base-uri 'none'; form-action "
		"'none'\">\n",
		script_hash, style_hash);
	fputs("<meta name=\"referrer\" content=\"no-referrer\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
	      out);
	html_escape(out, title);
	fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", html_style);
	html_escape(out, title);
	fputs("</h1>\n", out);
	if (subtitle != NULL) {
		fputs("<p class=\"sub\">", out);
		html_escape(out, subtitle);
		fputs("</p>\n", out);
	}
	fputs("<noscript><p class=\"note\">The tables below are drawn by the page's own script; "
	      "the summary needs none.</p></noscript>\n",
	      out);
	return 0;
}

struct html_bar {
	const char *key;
	long long n;
};

static int html_bar_cmp(const void *a, const void *b)
{
	const struct html_bar *x = a, *y = b;
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

#define HTML_MAX_BARS 25

void html_bars(FILE *out, const char *title, const json_t *counts, const char *unit)
{
	size_t n = json_object_size(counts);
	if (n == 0)
		return;
	struct html_bar *bars = malloc(n * sizeof(*bars));
	if (bars == NULL)
		return;
	size_t i = 0;
	const char *key;
	json_t *val;
	json_object_foreach((json_t *)counts, key, val) bars[i++] =
		(struct html_bar){key, (long long)json_integer_value(val)};
	qsort(bars, n, sizeof(*bars), html_bar_cmp);
	size_t shown = n < HTML_MAX_BARS ? n : HTML_MAX_BARS;
	long long max = bars[0].n > 0 ? bars[0].n : 1, rest = 0;
	for (i = shown; i < n; i++)
		rest += bars[i].n;
	int row = 22, width = 720, barw = 300;
	int height = (int)(shown + (n > shown)) * row + 4;
	fputs("<h2>", out);
	html_escape(out, title);
	fprintf(out,
		"</h2>\n<svg role=\"img\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" aria-label=\"",
		width, height, width, height);
	html_escape(out, title);
	fputs("\">\n", out);
	for (i = 0; i < shown; i++) {
		int y = (int)i * row + 2;
		int w = (int)((double)bars[i].n / (double)max * barw);
		if (w < 1)
			w = 1;
		fprintf(out, "<g><title>");
		html_escape(out, bars[i].key);
		fprintf(out, ": %lld %s</title>", bars[i].n, unit);
		fprintf(out,
			"<rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#c0504d\"/>"
			"<text x=\"%d\" y=\"%d\">%lld  ",
			y, w, row - 6, w + 6, y + row - 10, bars[i].n);
		html_escape(out, bars[i].key);
		fputs("</text></g>\n", out);
	}
	if (n > shown)
		fprintf(out, "<text x=\"0\" y=\"%d\">and %zu more (%lld %s)</text>\n",
			(int)shown * row + row - 8, n - shown, rest, unit);
	fputs("</svg>\n", out);
	free(bars);
}

/* A note's string field, "" when it has none. */
static const char *html_note_str(const json_t *n, const char *key)
{
	const char *s = json_string_value(json_object_get(n, key));
	return s != NULL ? s : "";
}

void html_notes(FILE *out, const char *title, const json_t *notes)
{
	size_t i;
	json_t *n;
	json_array_foreach(notes, i, n)
	{
		if (i == 0) {
			fputs("<h2>", out);
			html_escape(out, title);
			fputs("</h2>\n<ul>\n", out);
		}
		fputs("<li>", out);
		html_escape(out, html_note_str(n, "source"));
		if (json_object_get(n, "line") != NULL)
			fprintf(out, ":%lld",
				(long long)json_integer_value(json_object_get(n, "line")));
		fputs(": ", out);
		html_escape(out, html_note_str(n, "message"));
		fputs("</li>\n", out);
	}
	if (json_array_size(notes) > 0)
		fputs("</ul>\n", out);
}

void html_table(FILE *out, const char *id, const char *title, size_t shown, size_t total,
		const char *rest)
{
	fprintf(out, "<section id=\"s-%s\">\n<h2>", id);
	html_escape(out, title);
	fputs("</h2>\n", out);
	if (shown < total) {
		fprintf(out,
			"<p class=\"note\" id=\"trunc-%s\">This page shows the first %zu of %zu rows. ",
			id, shown, total);
		html_escape(out, rest);
		fputs("</p>\n", out);
	}
	fprintf(out,
		"<p><input type=\"search\" id=\"f-%s\" placeholder=\"filter: words that must all "
		"occur\" aria-label=\"filter\"><span class=\"count\" id=\"n-%s\"></span></p>\n"
		"<table id=\"t-%s\"></table>\n</section>\n",
		id, id, id);
}

void html_data_begin(FILE *out)
{
	fputs("<script type=\"application/json\" id=\"admitd-data\">", out);
}

void html_end(FILE *out)
{
	fprintf(out, "</script>\n<script>%s</script>\n</body>\n</html>\n", html_script);
}
