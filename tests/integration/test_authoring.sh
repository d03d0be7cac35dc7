#!/usr/bin/env bash
# Policy authoring: admitd test, check-config, policies --markdown, and
# configuration reload under load with zero failed requests.
source "$(dirname "$0")/lib.sh"

out=$("$ADMITD" test "$TOP/tests/policy-suites/default.yaml" "$TOP"/docs/examples/*.test.yaml); rc=$?
check "shipped suites pass (default config and every docs example)" [ "$rc" = 0 ]
check "suites end with N passed, 0 failed" grep -qE '^[1-9][0-9]* passed, 0 failed$' <<<"$out"
out=$("$ADMITD" test "$DATA/suites/failing.yaml"); rc=$?
check "a failing suite exits 1" [ "$rc" = 1 ]
check "FAIL line says expected vs got" grep -q 'FAIL .*wrongly expects.*expected allow, got deny' <<<"$out"
check "FAIL line names the missing policy" grep -q 'FAIL .*policy host-ports not among the violations' <<<"$out"
check "FAIL line names the missing message" grep -q 'FAIL .*no message contains "no such text"' <<<"$out"
check "failing suite counts" grep -q '^0 passed, 3 failed$' <<<"$out"
out=$("$ADMITD" test "$DATA/suites/bad-config.yaml"); rc=$?
check "a suite whose config is broken fails with the config error" grep -q 'bad-config.conf.yaml:5:5: unknown key "registires" in policies\[0\]' <<<"$out"
check "... and exits non-zero" [ "$rc" != 0 ]

# a suite is held to its schema: what it misspells must not pass silently
suite() { printf 'config: default\ncases:\n  - name: c\n    object: {kind: Pod, spec: {containers: []}}\n    expect: allow\n%b' "$1" > "$WORK/s.yaml"; }
suite '    polices: [privileged]\n'
out=$("$ADMITD" test "$WORK/s.yaml"); rc=$?
check "suite: a misspelled key (polices) is an error with file:line:col, exit 2" \
	bash -c '[ "$1" = 2 ] && grep -qF "s.yaml:6:5: unknown key \"polices\" in cases[0]" <<<"$2"' _ "$rc" "$out"
suite '    mesages: [x]\n'
out=$("$ADMITD" test "$WORK/s.yaml"); rc=$?
check "suite: mesages too" grep -qF 'unknown key "mesages" in cases[0]' <<<"$out"
suite '    operation: CRAETE\n'
out=$("$ADMITD" test "$WORK/s.yaml"); rc=$?
check "suite: an unknown operation is an error naming the choices" \
	grep -qF 's.yaml:6:16: invalid value "CRAETE" for key "cases[0].operation" (expected CREATE, UPDATE, DELETE or CONNECT)' <<<"$out"
cp "$TOP/tests/policy-suites/objects/privileged-init.json" "$WORK/p.json"
suite '  - name: both\n    file: p.json\n    object: {kind: Pod}\n    expect: deny\n'
out=$("$ADMITD" test "$WORK/s.yaml"); rc=$?
check "suite: file and object together are an error with the case's line" \
	grep -qF 's.yaml:6: cases[1] (both): `file` and `object` both given' <<<"$out"
printf 'kind: Pod\nmetadata: {name: a}\n---\nkind: Pod\nmetadata: {name: b}\n' > "$WORK/two.yaml"
printf 'config: default\ncases:\n  - name: two\n    file: two.yaml\n    expect: allow\n' > "$WORK/s.yaml"
out=$("$ADMITD" test "$WORK/s.yaml"); rc=$?
check "suite: a file: with two documents fails the case instead of judging the first" \
	bash -c '[ "$1" = 1 ] && grep -qF "two.yaml: 2 YAML documents; a case judges exactly one" <<<"$2"' _ "$rc" "$out"

"$ADMITD" check-config "$TOP/docs/examples/custom-rules.yaml" >/dev/null; rc=$?
check "check-config: valid file exits 0" [ "$rc" = 0 ]
printf 'mode: enforced\npolicies:\n  - id: nope\n  - id: privileged\n    actoin: deny\n' > "$WORK/bad.yaml"
out=$("$ADMITD" check-config "$WORK/bad.yaml" 2>&1); rc=$?
check "check-config: invalid file exits 2" [ "$rc" = 2 ]
check "check-config: reports the bad enum with file:line:col" grep -q "bad.yaml:1:7: invalid value \"enforced\" for key \"mode\"" <<<"$out"
"$ADMITD" check-config /nonexistent.yaml 2>/dev/null; rc=$?
check "check-config: missing file exits 2" [ "$rc" = 2 ]

"$ADMITD" policies --markdown > "$WORK/policies.md"
check "docs/policies.md is what admitd policies --markdown writes" diff -u "$TOP/docs/policies.md" "$WORK/policies.md"
for f in configuration server security; do
	python3 "$TOP/tests/splice-docs.py" "$TOP/docs/$f.md" "$ADMITD" > "$WORK/$f.md"
	check "docs/$f.md's key tables are what admitd config --markdown writes" diff -u "$TOP/docs/$f.md" "$WORK/$f.md"
done
check "every registered policy is documented" \
	[ "$("$ADMITD" policies | tail -n +2 | wc -l)" = "$(grep -c '^## ' "$TOP/docs/policies.md")" ]

# reload under load: swap the file (as a ConfigMap update does) while requests run
make_certs
printf 'podSecurity: {level: privileged}\npolicies:\n  - {id: privileged, action: warn}\n' > "$WORK/cfg.yaml"
start_server --config "$WORK/cfg.yaml" --decision-log off || exit 1
review_loop "$WORK/loop.out" 400
answered_more "$WORK/loop.out" 5
printf 'podSecurity: {level: privileged}\npolicies:\n  - {id: privileged, action: deny}\n' > "$WORK/next.yaml"
mv "$WORK/next.yaml" "$WORK/cfg.yaml"
for _ in $(seq 1 50); do grep -q 'configuration reloaded' "$SERVER_LOG" && break; sleep 0.1; done
answered_more "$WORK/loop.out" 5
printf 'podSecurity: {level: privileged}\npolicies:\n  - {id: privileged, action: dney}\n' > "$WORK/next.yaml"
mv "$WORK/next.yaml" "$WORK/cfg.yaml"
for _ in $(seq 1 50); do grep -q 'configuration reload refused' "$SERVER_LOG" && break; sleep 0.1; done
answered_more "$WORK/loop.out" 5
touch "$WORK/stop"; wait $LOOP
total=$(wc -l < "$WORK/loop.out")
check "reload under load: requests ran ($total)" [ "$total" -ge 15 ]
check "reload under load: zero failed requests" [ "$(grep -vc '^200 ' "$WORK/loop.out")" = 0 ]
seq=$(awk '{print $2}' "$WORK/loop.out" | uniq | tr '\n' ' ')
check "verdicts change once, warn (allow) -> deny, and stay after the broken swap [$seq]" [ "$seq" = "allow deny " ]
check "file change picked up without SIGHUP" grep -q 'configuration reloaded' "$SERVER_LOG"
check "broken file refused with its error" grep -q 'invalid value "dney"' "$SERVER_LOG"
stop_server

# /readyz and a metric report the last reload's result
printf 'podSecurity: {level: baseline}\n' > "$WORK/r.yaml"
PORT=$(free_port); BASE=https://127.0.0.1:$PORT
"$ADMITD" serve --config "$WORK/r.yaml" --listen 127.0.0.1:$PORT --cert "$WORK/certs/tls.crt" \
	--key "$WORK/certs/tls.key" --threads 1 --decision-log off >>"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 50); do curl -s -o /dev/null --cacert "$WORK/certs/ca.crt" "$BASE/healthz" && break; sleep 0.1; done
check "readyz: no reload yet" grep -q '"lastReload":"none"' <<<"$(curl -s --cacert "$WORK/certs/ca.crt" "$BASE/readyz")"
printf 'podSecurity: {level: baseline, action: nope}\n' > "$WORK/r2.yaml"; mv "$WORK/r2.yaml" "$WORK/r.yaml"
kill -HUP "$SERVER_PID"
for _ in $(seq 1 30); do grep -q 'reload refused' "$SERVER_LOG" && break; sleep 0.1; done
check "readyz: last reload failure" grep -q '"lastReload":"failure"' <<<"$(curl -s --cacert "$WORK/certs/ca.crt" "$BASE/readyz")"
check "metric: admitd_config_last_reload_success 0" grep -q '^admitd_config_last_reload_success 0$' <<<"$(curl -s --cacert "$WORK/certs/ca.crt" "$BASE/metrics")"
printf 'podSecurity: {level: restricted}\n' > "$WORK/r2.yaml"; mv "$WORK/r2.yaml" "$WORK/r.yaml"
kill -HUP "$SERVER_PID"
for _ in $(seq 1 30); do grep -q 'reloaded.*SIGHUP' "$SERVER_LOG" && break; sleep 0.1; done
check "readyz: last reload success" grep -q '"lastReload":"success"' <<<"$(curl -s --cacert "$WORK/certs/ca.crt" "$BASE/readyz")"
check "metric: admitd_config_last_reload_success 1" grep -q '^admitd_config_last_reload_success 1$' <<<"$(curl -s --cacert "$WORK/certs/ca.crt" "$BASE/metrics")"
stop_server
