/*
 * html: the one self-contained HTML page that `admitd audit --output html`
 * and `admitd inventory --output html` write. Everything on it that comes
 * from a cluster or a file is untrusted text: it reaches the page only
 * through html_escape (markup) or html_json (the data the inline script
 * reads), and the page's Content-Security-Policy allows nothing but its
 * own inline script and style, by their SHA-256.
 *
 * A page is written in order: html_begin, the caller's sections (counts,
 * html_bars, html_table), html_data_begin, the data as JSON (html_json
 * for every value that is not a literal of the caller's), html_end.
 *
 * The data is {"maps": {NAME: {key: text}}, "tables": [{"id", "columns":
 * [names], "derived": [{"name", "from": column, "map": NAME}], "rows":
 * [[text...]...]}]}: the script builds each table under the section
 * html_table wrote (textContent only), sortable by a column's heading and
 * filtered by the box above it.
 */
#ifndef ADMITD_HTML_H
#define ADMITD_HTML_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* Above this many rows, a table shows the first ones and says how to get the rest. */
#define HTML_MAX_ROWS 2000

/*
 * Writes s as HTML text or a quoted attribute value: & < > " ' as
 * references; C0 control characters other than tab, newline and carriage
 * return (which HTML does not allow) and DEL dropped.
 */
void html_escape(FILE *out, const char *s);

/*
 * Writes v as compact JSON that cannot end or confuse the <script> block
 * it sits in: ASCII only, and < > & as \u003c \u003e \u0026 (so neither
 * "</script" nor "<!--" can occur). Returns -1 when out of memory.
 */
int html_json(FILE *out, const json_t *v);

/*
 * 'sha256-BASE64' of text, as a CSP source expression, into buf (at least
 * 60 bytes). Returns -1 on failure.
 */
int html_csp_hash(const char *text, char *buf, size_t len);

/* The page's inline script and style, whose hashes its policy names. */
extern const char html_script[];
extern const char html_style[];

/* From <!DOCTYPE html> to the <h1> title (escaped) and the subtitle (escaped, may be NULL). */
int html_begin(FILE *out, const char *title, const char *subtitle);

/*
 * A heading and a list of notes, each {"source", "line" (optional),
 * "message"}: input errors, kinds that could not be listed. Nothing when
 * notes is empty.
 */
void html_notes(FILE *out, const char *title, const json_t *notes);

/*
 * A bar chart in inline SVG of counts (an object of integers), the
 * largest first, at most 25 bars and a line for the rest. Nothing when
 * counts is empty.
 */
void html_bars(FILE *out, const char *title, const json_t *counts, const char *unit);

/*
 * A table's section: its heading, a note when only shown of total rows
 * are on the page (rest: how to get them all), the filter box and the
 * empty <table> the script fills.
 */
void html_table(FILE *out, const char *id, const char *title, size_t shown, size_t total,
		const char *rest);

/* Opens the data block: the caller writes one JSON object. */
void html_data_begin(FILE *out);
/* Closes it, writes the script, ends the page. */
void html_end(FILE *out);

#endif
