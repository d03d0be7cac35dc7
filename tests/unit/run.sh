#!/usr/bin/env bash
# run.sh BIN...: runs cmocka test binaries, records one pass/fail line per
# test in $RESULTS, and fails if any test failed, crashed or a sanitizer
# reported anything.
set -u
: "${RESULTS:=/dev/null}"
status=0
for bin in "$@"; do
	echo "== $bin"
	out=$(mktemp)
	"$bin" >"$out" 2>&1
	rc=$?
	cat "$out"
	passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\.$/\1/p' "$out")
	failed=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:$/\1/p' "$out")
	for _ in $(seq 1 "${passed:-0}"); do echo pass >>"$RESULTS"; done
	for _ in $(seq 1 "${failed:-0}"); do echo fail >>"$RESULTS"; done
	if [ "$rc" -ne 0 ]; then
		status=1
		# a crash or a sanitizer report after the tests: count it too
		if [ "${failed:-0}" -eq 0 ]; then
			echo "FAIL $bin exited $rc"
			echo fail >>"$RESULTS"
		fi
	fi
	rm -f "$out"
done
exit $status
