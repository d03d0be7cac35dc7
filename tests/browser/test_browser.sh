#!/usr/bin/env bash
# test_browser.sh: admitd's --output html pages in a real browser, Debian's
# chromium driven headless by playwright-core (install-playwright.sh, pinned,
# cached in ~/.cache/admitd): a 1,000-workload audit renders (a screenshot,
# not one colour) with one table row per finding, sorts by a column's
# heading and filters as words are typed; the hostile object
# (tests/data/html) runs nothing: no dialog, window.__pwned (set by its
# payload) stays undefined, no CSP violation, no request; controls show
# the sentinel fires without the page's policy and is blocked with it.
# Run once by `make test` (make browser), never under the sanitizers: the
# escaping is the C code's, and test_html_report.sh checks it there too.
#
#   ADMITD=build/admitd tests/browser/test_browser.sh
#
# Screenshots stay in $ARTIFACTS (default build/artifacts/browser).
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../integration/lib.sh
. "$here/../integration/lib.sh"
mkdir -p "$(dirname "$RESULTS")" && touch "$RESULTS"
results_before=$(wc -l <"$RESULTS")
ARTIFACTS=${ARTIFACTS:-$TOP/build/artifacts/browser}
rm -rf "$ARTIFACTS" && mkdir -p "$ARTIFACTS"

finish() {
	local mine
	mine=$(tail -n +"$((results_before + 1))" "$RESULTS")
	echo "browser: $(grep -c '^pass$' <<<"$mine") passed, $(grep -c '^fail$' <<<"$mine") failed"
	grep -q '^fail$' <<<"$mine" && exit 1
	exit 0
}

# ---- tools: chromium from Debian (as root, like registry.sh), playwright-core from npm ----
if [ ! -x /usr/bin/chromium ]; then
	if [ "$(id -u)" = 0 ]; then
		apt-get update -qq >/dev/null &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
	fi
fi
check "chromium is installed" [ -x /usr/bin/chromium ] || finish
NODE_PATH=$(bash "$here/install-playwright.sh" 2>"$WORK/pw-install.err") || cat "$WORK/pw-install.err"
check "playwright-core is installed" [ -d "${NODE_PATH:-/nonexistent}/playwright-core" ] || finish
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
check "Node.js 20 or later (playwright-core's floor)" [ "$node_major" -ge 20 ] || finish
export NODE_PATH

# ---- the pages ----
python3 - "$WORK/big.json" <<'PY'
import json, sys
items = [{"apiVersion": "apps/v1", "kind": "Deployment",
          "metadata": {"name": "w-%04d" % i, "namespace": "ns-%d" % (i % 10)},
          "spec": {"selector": {"matchLabels": {"app": "w"}}, "template": {
              "metadata": {"labels": {"app": "w"}},
              "spec": {"containers": [{"name": "c", "image": "nginx:1.%d" % (i % 7),
                                        "securityContext": {"privileged": True},
                                        "ports": [{"containerPort": 80, "hostPort": 8080}] if i % 50 == 0 else []}],
                       "hostNetwork": i % 5 == 0}}}} for i in range(1000)]
json.dump({"apiVersion": "v1", "kind": "List", "items": items}, open(sys.argv[1], "w"))
PY
# Pod Security baseline only: a finding or two a workload, all on the page
printf 'podSecurity: {level: baseline, action: deny}\n' >"$WORK/big.yaml"
"$ADMITD" audit --config "$WORK/big.yaml" --output html "$WORK/big.json" >"$WORK/big.html"
"$ADMITD" audit --config "$WORK/big.yaml" --output json "$WORK/big.json" >"$WORK/big.out.json"
# the json format's counts: every finding, and those of namespace ns-3
read -r want want_ns3 < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
n = lambda r: len(r["violations"]) + ("exempt" in r) + len(r.get("exemptions", []))
print(sum(n(r) for r in d["results"]), sum(n(r) for r in d["results"] if r["namespace"] == "ns-3"))' "$WORK/big.out.json")
"$ADMITD" audit --config "$DATA/html/config.yaml" --output html "$DATA/html/hostile.json" >"$WORK/hostile.html"
"$ADMITD" inventory --config "$DATA/html/config.yaml" --output html "$DATA/html/hostile.json" "$WORK/big.json" >"$WORK/inv.html"

timeout 240 node "$here/browser.js" "$ARTIFACTS" "$WORK/big.html" "$WORK/hostile.html" "$WORK/inv.html" ns-3 \
	>"$WORK/seen.json" 2>"$WORK/browser.err"
cp "$WORK/seen.json" "$ARTIFACTS/seen.json"
check "the browser ran every step" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
if "error" in d: sys.exit(d["error"])' "$WORK/seen.json" || { tail -20 "$WORK/browser.err"; }
echo "     $(python3 -c 'import json,sys; print("browser:", json.load(open(sys.argv[1])).get("version"))' "$WORK/seen.json" 2>/dev/null)"
S() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$WORK/seen.json" "$1" 2>/dev/null; }

clean='(not d[P]["seen"]["dialogs"], not d[P]["seen"]["csp"], not d[P]["seen"]["violations"], not d[P]["seen"]["errors"], not d[P]["seen"]["requests"])'
check "1,000 workloads: renders with no dialog, CSP report, script error or request" \
	[ "$(S "${clean//P/\"big\"}")" = "(True, True, True, True, True)" ]
check "1,000 workloads: the screenshot is not blank (more than one colour)" [ "$(S 'd["big"]["colours"] > 5')" = True ]
check "1,000 workloads: the bar charts are drawn" [ "$(S 'd["big"]["svgBars"] > 0')" = True ]
check "1,000 workloads: one table row per finding ($want)" [ "$(S 'd["big"]["rows"]')" = "$want" ]
check "1,000 workloads: the columns, the fix last" \
	[ "$(S '",".join(d["big"]["headings"])')" = "Namespace,Workload,Container,Policy,Action,Message,Fix" ]
check "sorting: a heading's click sorts its column, a second click reverses it" \
	[ "$(S '(d["big"]["sortedAsc"], d["big"]["sortedDesc"], d["big"]["sortedNs"], d["big"]["rowsAfterSort"])')" = "(True, True, True, $want)" ]
check "filtering: typing ns-3 leaves its $want_ns3 rows visible, and says so" \
	[ "$(S '(d["big"]["filtered"], d["big"]["filteredText"])')" = "($want_ns3, '$want_ns3 of $want rows')" ]
check "filtering: a word in no row hides all, clearing shows all" \
	[ "$(S '(d["big"]["filteredNone"], d["big"]["unfiltered"])')" = "(0, $want)" ]
check "hostile object: runs nothing (no dialog, no CSP report, no error, no request)" \
	[ "$(S "${clean//P/\"hostile\"}")" = "(True, True, True, True, True)" ]
check "hostile object: window.__pwned stays undefined" [ "$(S 'd["hostile"]["seen"]["pwned"]')" = undefined ]
check "hostile object: no <img> in the DOM, the two scripts only" [ "$(S '(d["hostile"]["imgs"], d["hostile"]["scripts"])')" = "(0, 2)" ]
check "hostile object: its markup is shown as text in the table" [ "$(S 'd["hostile"]["shownAsText"]')" = True ]
check "control: the payload injected raw, without the page's policy, sets the sentinel" \
	[ "$(S 'd["controlNoCsp"]["seen"]["pwned"]')" = 1 ]
check "control: injected raw under the page's policy, it is blocked and reported" \
	[ "$(S '(d["controlCsp"]["seen"]["pwned"], len(d["controlCsp"]["seen"]["violations"]) > 0)')" = "('undefined', True)" ]
check "inventory: renders clean, a row per container, the exposed workloads" \
	[ "$(S "(${clean//P/\"inv\"}, d[\"inv\"][\"rows\"], d[\"inv\"][\"exposed\"], d[\"inv\"][\"colours\"] > 5)")" = "((True, True, True, True, True), 1003, 20, True)" ]
check "the screenshots are saved" [ -s "$ARTIFACTS/audit-1000.png" ] && [ -s "$ARTIFACTS/hostile.png" ]
finish
