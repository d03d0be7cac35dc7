#!/usr/bin/env bash
# Runs every tests/integration/test_*.sh against $ADMITD and prints
# "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
# this run's own counts, also appended to the caller's $RESULTS
mine=$(mktemp /tmp/admitd-results.XXXXXX)
outer=${RESULTS:-}
export RESULTS=$mine
for t in "$here"/test_*.sh; do
	echo "== $(basename "$t")"
	if ! timeout 300 bash "$t"; then
		echo "FAIL $(basename "$t") exited non-zero"
		echo fail >> "$RESULTS"
	fi
done
passed=$(grep -c '^pass$' "$mine" || true)
failed=$(grep -c '^fail$' "$mine" || true)
[ -n "$outer" ] && cat "$mine" >> "$outer"
rm -f "$mine"
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
