#!/usr/bin/env bash
# Prints the closing line of `make test` from the counts each suite left
# in build/test-results (one "pass"/"fail" line per test).
set -u
f=${1:-build/test-results}
passed=$(grep -c '^pass$' "$f" 2>/dev/null || true)
failed=$(grep -c '^fail$' "$f" 2>/dev/null || true)
echo "${passed:-0} passed, ${failed:-0} failed"
[ "${failed:-0}" -eq 0 ] && [ "${passed:-0}" -gt 0 ]
