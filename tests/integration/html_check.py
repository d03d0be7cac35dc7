#!/usr/bin/env python3
"""html_check.py PAGE CHECK [ARG]: checks on an `--output html` page, with
only the standard library. Exit 0 when the check holds, else 1 with why.

  structure        one doctype, html, head, body; every element closed in order
  csp              the CSP meta comes first in head, forbids everything but
                   the page's own inline script and style, and its hashes are
                   the SHA-256 of exactly the inline script and style there are
  offline          no element that loads anything (img, link, iframe, object,
                   embed, src/href/srcset/action attributes), no on* handler,
                   no http: or https: anywhere
  inert            the only scripts are the data block and the hashed code;
                   the data block holds no '<' and parses as JSON
  rows TABLE       prints the number of rows of TABLE in the data
  truncated TABLE  the page notes that TABLE is cut and names --output json
  has TEXT         the data holds TEXT verbatim as a value (shown as text)
"""
import base64, hashlib, html.parser, json, re, sys

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr", "rect", "path", "circle", "line"}


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.elements = [], [], []
        self.scripts, self.styles, self.decl = [], [], []
        self.cur = None

    def handle_decl(self, decl):
        self.decl.append(decl)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), list(self.stack)))
        if tag in ("script", "style"):
            self.cur = [tag, dict(attrs), ""]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), list(self.stack)))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append("</%s> closes %s" % (tag, self.stack[-1:] or "nothing"))
            return
        self.stack.pop()
        if self.cur is not None and tag == self.cur[0]:
            (self.scripts if tag == "script" else self.styles).append((self.cur[1], self.cur[2]))
            self.cur = None

    def handle_data(self, data):
        if self.cur is not None:
            self.cur[2] += data


def load(path):
    text = open(path, encoding="utf-8").read()
    p = Page()
    p.feed(text)
    p.close()
    return text, p


def sha(text):
    return "'sha256-%s'" % base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def data_of(p):
    blocks = [t for a, t in p.scripts if a.get("type") == "application/json"]
    return json.loads(blocks[0])


def fail(why):
    print(why)
    sys.exit(1)


def main():
    path, check = sys.argv[1], sys.argv[2]
    text, p = load(path)
    if check == "structure":
        tags = [e[0] for e in p.elements]
        if not text.startswith("<!DOCTYPE html>") or p.decl != ["DOCTYPE html"]:
            fail("no single <!DOCTYPE html> first")
        for t in ("html", "head", "body"):
            if tags.count(t) != 1:
                fail("%d <%s>" % (tags.count(t), t))
        if [e[2] for e in p.elements if e[0] == "title" and "svg" not in e[2]] != [["html", "head"]]:
            fail("not one <title> in head")
        if p.errors or p.stack:
            fail("unbalanced: %s, open at the end: %s" % (p.errors[:3], p.stack))
        heads = [e for e in p.elements if e[0] == "h1"]
        if len(heads) != 1 or heads[0][2] != ["html", "body"]:
            fail("h1 not once in body")
    elif check == "csp":
        metas = [e for e in p.elements if e[0] == "meta"]
        csp = [a for t, a, _ in metas if a.get("http-equiv", "").lower() == "content-security-policy"]
        if len(csp) != 1:
            fail("%d CSP metas" % len(csp))
        head = [(t, a) for t, a, st in p.elements if st[-1:] == ["head"]]
        if [t for t, a in head][:2] != ["meta", "meta"] or "charset" not in head[0][1] or \
                head[1][1].get("http-equiv", "").lower() != "content-security-policy":
            fail("the CSP is not right after the charset, before what it governs: %s"
                 % [t for t, a in head])
        pol = {}
        for d in csp[0]["content"].split(";"):
            w = d.split()
            if w:
                pol[w[0]] = w[1:]
        if pol.get("default-src") != ["'none'"]:
            fail("default-src is %s" % pol.get("default-src"))
        for d, src in pol.items():
            for s in src:
                if s in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*") or \
                        re.match(r"^(https?:|//|'strict-dynamic')", s):
                    fail("%s allows %s" % (d, s))
        code = [t for a, t in p.scripts if a.get("type") != "application/json"]
        if sorted(pol.get("script-src", [])) != sorted({sha(t) for t in code}):
            fail("script-src %s, scripts hash to %s" % (pol.get("script-src"), [sha(t) for t in code]))
        if sorted(pol.get("style-src", [])) != sorted({sha(t) for a, t in p.styles}):
            fail("style-src %s, styles hash to %s" % (pol.get("style-src"), [sha(t) for a, t in p.styles]))
        if set(pol) - {"default-src", "script-src", "style-src", "img-src", "base-uri", "form-action"}:
            fail("unexpected directives %s" % sorted(pol))
    elif check == "offline":
        for tag, attrs, _ in p.elements:
            if tag in ("img", "link", "iframe", "object", "embed", "frame", "audio", "video",
                       "source", "base", "form", "image", "use"):
                fail("a <%s> element" % tag)
            for k, v in attrs.items():
                if k.startswith("on"):
                    fail("<%s %s=...>: an inline handler" % (tag, k))
                if k in ("src", "href", "srcset", "action", "xlink:href", "style", "formaction",
                         "background", "poster", "data"):
                    fail("<%s %s=%r>" % (tag, k, v))
        if re.search(r"https?:", text, re.I) or "//" in re.sub(r"<script>.*?</script>", "", text, flags=re.S):
            fail("a URL or a protocol-relative reference in the page")
    elif check == "inert":
        if len(p.scripts) != 2 or p.scripts[0][0] != {"type": "application/json", "id": "admitd-data"} \
                or p.scripts[1][0] != {}:
            fail("scripts: %s" % [a for a, t in p.scripts])
        block = p.scripts[0][1]
        if "<" in block:
            fail("'<' in the data block")
        json.loads(block)
        if len([e for e in p.elements if e[0] == "script"]) != 2:
            fail("more script elements than the two")
    elif check == "rows":
        t = [t for t in data_of(p)["tables"] if t["id"] == sys.argv[3]]
        print(len(t[0]["rows"]) if t else -1)
    elif check == "truncated":
        notes = [e for e in p.elements if e[1].get("id") == "trunc-" + sys.argv[3]]
        if not notes or not re.search(r'id="trunc-%s">This page shows the first 2000 of \d+ rows\. [^<]*--output json'
                                      % re.escape(sys.argv[3]), text):
            fail("no truncation note for %s" % sys.argv[3])
    elif check == "has":
        want = sys.argv[3]
        vals = [v for t in data_of(p)["tables"] for r in t["rows"] for v in r]
        if not any(want in v for v in vals if isinstance(v, str)):
            fail("%r not in the data" % want)
    else:
        fail("unknown check " + check)


main()
