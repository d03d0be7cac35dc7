#!/usr/bin/env bash
# Audit figures for `make bench`: objects/s and peak RSS of `admitd audit`
# at 10,000 and 100,000 pods, as multi-document YAML and as a kubectl List
# in JSON, beside how fast the same input can merely be read
# (audit_parse_rate: libyaml's events alone, and events made into jansson
# values), and the peak RSS of every output format. Figures, not a test.
set -euo pipefail
ADMITD=${ADMITD:?}
AUDIT_PARSE_RATE=${AUDIT_PARSE_RATE:?}
PEAK_RSS=${PEAK_RSS:?}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/admitd-bench-audit.XXXXXX)
trap 'rm -rf "$work"' EXIT
SIZES=${BENCH_AUDIT_SIZES:-10000 100000}

# run CMD...: "seconds peak-RSS-KiB" of one run, its output thrown away
run() { "$PEAK_RSS" "$@"; }

echo
echo "admitd audit (pods as kubectl shows them, every tenth privileged)"
printf '%-26s %7s %10s %7s %7s %7s %9s %9s\n' "input" "MB" "objects/s" "MB/s" "events" "values" "audit/ev" "audit/val"
declare -A rss inv
for n in $SIZES; do
	python3 "$here/make_manifests.py" "$work" "$n"
	for ext in yaml json; do
		f=$work/pods-$n.$ext
		mb=$(python3 -c "import os; print(os.path.getsize('$f') / 1e6)")
		ev=$("$AUDIT_PARSE_RATE" events "$f" | cut -d' ' -f1)
		va=$("$AUDIT_PARSE_RATE" values "$f" | cut -d' ' -f1)
		read -r secs kib < <(run "$ADMITD" audit --output json "$f")
		rss[$n-$ext-json]=$kib
		printf '%-26s %7.1f %10.0f %7.1f %7.1f %7.1f %9.2f %9.2f\n' "$n pods, $ext" "$mb" \
			"$(python3 -c "print($n / $secs)")" "$(python3 -c "print($mb / $secs)")" "$ev" "$va" \
			"$(python3 -c "print($mb / $secs / $ev)")" "$(python3 -c "print($mb / $secs / $va)")"
	done
	for fmt in table policyreport openreports sarif junit; do
		read -r secs kib < <(run "$ADMITD" audit --output $fmt "$work/pods-$n.yaml")
		rss[$n-yaml-$fmt]=$kib
	done
	# admitd inventory reads the same way (issue 18: the same targets as audit)
	read -r secs kib < <(run "$ADMITD" inventory --output json "$work/pods-$n.yaml")
	inv[$n]="$(python3 -c "print(round($n / $secs))") $kib"
	rm -f "$work/pods-$n.json"
done
echo "  (events: libyaml's events alone, MB/s; values: the events made into jansson values,"
echo "   one object at a time, MB/s; audit/ev, audit/val: audit's rate over each, target >= 0.50)"
echo
printf '%-34s' "peak RSS KiB, yaml input"
for fmt in json table policyreport openreports sarif junit; do printf ' %12s' "$fmt"; done
echo
for n in $SIZES; do
	printf '%-34s' "$n pods"
	for fmt in json table policyreport openreports sarif junit; do printf ' %12s' "${rss[$n-yaml-$fmt]}"; done
	echo
done
set -- $SIZES
if [ $# -ge 2 ]; then
	printf '%-34s' "ratio ($2 / $1), target <= 2.00"
	for fmt in json table policyreport openreports sarif junit; do
		printf ' %12.2f' "$(python3 -c "print(${rss[$2-yaml-$fmt]} / ${rss[$1-yaml-$fmt]})")"
	done
	echo
	printf '%-34s %12s KiB (json input %s KiB), target <= 102400\n' "peak RSS at $2 pods, yaml" \
		"${rss[$2-yaml-json]}" "${rss[$2-json-json]}"
fi
echo
echo "admitd inventory --output json (the same yaml input)"
for n in $SIZES; do
	printf '%-34s %10s objects/s, peak RSS %s KiB\n' "$n pods" ${inv[$n]}
done
set -- $SIZES
if [ $# -ge 2 ]; then
	printf '%-34s %10.2f   target <= 2.00\n' "RSS ratio ($2 / $1)" \
		"$(python3 -c "print(${inv[$2]#* } / ${inv[$1]#* })")"
fi
