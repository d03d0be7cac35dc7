#!/usr/bin/env bash
# Runs every tests/integration/test_*.sh against $ADMITD and prints
# "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
export RESULTS=$(mktemp /tmp/admitd-results.XXXXXX)
status=0
for t in "$here"/test_*.sh; do
	echo "== $(basename "$t")"
	if ! timeout 300 bash "$t"; then
		echo "FAIL $(basename "$t") exited non-zero"
		echo fail >> "$RESULTS"
	fi
done
passed=$(grep -c '^pass$' "$RESULTS" || true)
failed=$(grep -c '^fail$' "$RESULTS" || true)
rm -f "$RESULTS"
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
