#!/usr/bin/env bash
# `--output html` of audit and inventory, read with Python's own HTML
# parser (html_check.py): valid structure, a CSP whose hashes are the
# page's inline script and style, nothing loaded from anywhere, a hostile
# object's names, label and image shown as text and never as markup, and
# the note that cuts a table above 2,000 rows. The browser's view of the
# same pages is tests/browser/test_browser.sh.
source "$(dirname "$0")/lib.sh"
HC() { python3 "$TOP/tests/integration/html_check.py" "$@"; }

# the hostile object (tests/data/html): markup in its namespace, name, label value,
# container name and image
XSS='<script>alert(1)</script>'
IMG='"><img src=x onerror="window.__pwned=1">'
cp "$DATA/html/config.yaml" "$WORK/cfg.yaml"
cp "$DATA/html/hostile.json" "$WORK/hostile.json"

"$ADMITD" audit --config "$WORK/cfg.yaml" --output html "$WORK/hostile.json" >"$WORK/audit.html"; rc=$?
check "audit html: would-deny findings exit 1, as every format" [ "$rc" = 1 ]
"$ADMITD" inventory --config "$WORK/cfg.yaml" --output html "$WORK/hostile.json" >"$WORK/inv.html"; rc=$?
check "inventory html: exits 0" [ "$rc" = 0 ]
"$ADMITD" inventory --config "$WORK/cfg.yaml" --output json "$DATA/inventory/workloads.yaml" >"$WORK/base.json"
"$ADMITD" inventory --config "$WORK/cfg.yaml" --baseline "$WORK/base.json" --output html \
	"$WORK/hostile.json" >"$WORK/drift.html"; rc=$?
check "inventory --baseline html: failing drift exits 1" [ "$rc" = 1 ]

for page in audit inv drift; do
	f=$WORK/$page.html
	check "$page html: valid structure (one doctype, html, head, body, title; balanced)" HC "$f" structure
	check "$page html: the CSP names exactly the SHA-256 of its inline script and style" HC "$f" csp
	check "$page html: loads nothing (no URL, src, href, link, img, handler)" HC "$f" offline
	check "$page html: two scripts only, the data block holds no '<'" HC "$f" inert
done

# the hostile strings are there, as text: in the data and escaped in the markup
check "audit html: the hostile label value is in the findings, as data" HC "$WORK/audit.html" has "is \"$XSS\""
check "audit html: the hostile image is in the findings, as data" HC "$WORK/audit.html" has "$XSS"
check "audit html: the hostile namespace is a bar label, escaped" \
	grep -qF '<title>&lt;script&gt;alert(1)&lt;/script&gt;: ' "$WORK/audit.html"
check "inventory html: the hostile image and container name, as data" \
	bash -c "python3 '$TOP/tests/integration/html_check.py' '$WORK/inv.html' has '$XSS' &&
		python3 '$TOP/tests/integration/html_check.py' '$WORK/inv.html' has '$IMG'"
check "inventory html: the hostile label value, as data" HC "$WORK/inv.html" has "segment=$XSS"
check "drift html: the changes come first" \
	bash -c "grep -o 'id=\"s-[a-z]*\"' '$WORK/drift.html' | tr '\n' ' ' | grep -qx 'id=\"s-drift\" id=\"s-exposed\" id=\"s-containers\" '"
no_raw() { ! grep -qF -e '<script>alert' -e '<img' -e 'onerror="' "$1"; }
for page in audit inv drift; do
	check "$page html: no hostile markup anywhere in the page's bytes" no_raw "$WORK/$page.html"
done

# every finding is a row: the json format's count
"$ADMITD" audit --config "$WORK/cfg.yaml" --output json "$WORK/hostile.json" >"$WORK/audit.json"
want=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(len(r["violations"]) + ("exempt" in r) + len(r.get("exemptions", [])) for r in d["results"]))' "$WORK/audit.json")
check "audit html: one row per finding ($want)" [ "$(HC "$WORK/audit.html" rows findings)" = "$want" ]
check "audit html: the fix of a policy comes from its page" \
	python3 -c 'import json,re,sys; t=open(sys.argv[1]).read(); d=json.loads(re.search(r"id=\"admitd-data\">(.*?)</script>", t, re.S).group(1)); assert "remove the field" in d["maps"]["fixes"]["privileged"]' "$WORK/audit.html"

# above 2,000 rows: the summary counts all, the table the first 2,000, and says how to get the rest
python3 - "$WORK/big.json" <<'PY'
import json, sys
pods = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p-%04d" % i, "namespace": "ns-%d" % (i % 40)},
         "spec": {"containers": [{"name": "c", "image": "nginx", "securityContext": {"privileged": True}}]}}
        for i in range(2500)]
json.dump({"apiVersion": "v1", "kind": "List", "items": pods}, open(sys.argv[1], "w"))
PY
"$ADMITD" audit --output html "$WORK/big.json" >"$WORK/big.html"
check "audit html: 2,500 findings show 2,000 rows" [ "$(HC "$WORK/big.html" rows findings)" = 2000 ]
check "audit html: and say so, naming --output json" HC "$WORK/big.html" truncated findings
check "audit html: the summary counts all 2,500" grep -q '<li class="deny"><b>2500</b>would be denied' "$WORK/big.html"
check "audit html: 40 namespaces: 25 bars and a line for the rest" \
	grep -q '>and 15 more (' "$WORK/big.html"
"$ADMITD" inventory --output html "$WORK/big.json" >"$WORK/biginv.html"
check "inventory html: 2,500 containers show 2,000 rows, and say so" \
	bash -c "[ \"\$(python3 '$TOP/tests/integration/html_check.py' '$WORK/biginv.html' rows containers)\" = 2000 ] &&
		python3 '$TOP/tests/integration/html_check.py' '$WORK/biginv.html' truncated containers"
"$ADMITD" audit --output html "$DATA/audit/clean.yaml" >"$WORK/clean.html"; rc=$?
check "audit html: a clean input is a page without a note, exit 0" \
	bash -c "[ $rc = 0 ] && ! grep -q 'class=\"note\" id=\"trunc' '$WORK/clean.html' && python3 '$TOP/tests/integration/html_check.py' '$WORK/clean.html' structure"
check "audit --help names html" bash -c "'$ADMITD' audit --help | grep -q '^ *html '"
check "inventory --help names html" bash -c "'$ADMITD' inventory --help | grep -q 'html'"
