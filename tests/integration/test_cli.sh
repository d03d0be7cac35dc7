#!/usr/bin/env bash
# admitd serve refuses what it cannot honour, with a clear error and exit 2
# (or 1 for a failure at start), instead of starting on something else:
# bad numbers, ports past 65535, an address another admitd holds, a thread
# it cannot create.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
make_certs
CERTS=(--cert "$WORK/certs/tls.crt" --key "$WORK/certs/tls.key")

# every command `admitd help` lists answers --help and -h: a usage line on stdout, exit 0
cmds=$("$ADMITD" help | sed -n 's/^  \([a-z-]*\)  .*/\1/p')
check "admitd help lists the commands ($(echo $cmds))" grep -qx check-config <<<"$cmds"
for c in $cmds; do
	for flag in --help -h; do
		timeout 10 "$ADMITD" "$c" "$flag" >"$WORK/out" 2>/dev/null
		rc=$?
		check "admitd $c $flag exits 0 ($rc)" [ "$rc" -eq 0 ]
		check "  and prints a line starting with usage: on stdout" grep -q '^usage:' "$WORK/out"
	done
done

# refused FLAGS... -- TEXT: exit 2 with TEXT on stderr, without serving
refused() {
	local args=() want
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	want=$2
	timeout 10 "$ADMITD" serve "${CERTS[@]}" "${args[@]}" >"$WORK/out" 2>&1
	[ $? -eq 2 ] && grep -qF -- "$want" "$WORK/out"
}
check "--shutdown-grace-ms -1 is refused (not 4294967295)" \
	refused --shutdown-grace-ms -1 -- '--shutdown-grace-ms: "-1" is not a whole number'
check "--shutdown-grace-ms abc is refused (not 0)" \
	refused --shutdown-grace-ms abc -- '"abc" is not a whole number from 0 to 3600000'
check "--shutdown-delay-ms 12x is refused" refused --shutdown-delay-ms 12x -- '--shutdown-delay-ms: "12x"'
check "--threads 2.5 is refused" refused --threads 2.5 -- '--threads: "2.5"'
check "--listen 127.0.0.1:99999 is refused (it would bind another port)" \
	refused --listen 127.0.0.1:99999 -- 'the port "99999" is not a whole number from 1 to 65535'
check "--metrics-listen 127.0.0.1:65536 is refused" \
	refused --listen 127.0.0.1:18443 --metrics-listen 127.0.0.1:65536 -- '--metrics-listen: "127.0.0.1:65536"'
printf 'server: {listen: "127.0.0.1:70000"}\n' >"$WORK/port.yaml"
"$ADMITD" check-config "$WORK/port.yaml" >"$WORK/out" 2>&1
check "server.listen with port 70000 is a configuration error with its line" \
	grep -qF 'port.yaml:1:18: invalid value for key "server.listen"' "$WORK/out"

# network-policy-coverage needs NetworkPolicies, which only audit reads: say so
printf 'policies:\n  - id: network-policy-coverage\n    action: deny\n' >"$WORK/npc.yaml"
"$ADMITD" check-config "$WORK/npc.yaml" >"$WORK/out" 2>&1
rc=$?
check "check-config accepts network-policy-coverage at deny (exit $rc)" [ "$rc" -eq 0 ]
check "  and warns that only admitd audit runs it" \
	grep -qF 'warning: policy "network-policy-coverage" is at deny, but only `admitd audit` runs it' "$WORK/out"
start_server --config "$WORK/npc.yaml"
check "admitd serve warns about it at start" grep -qF 'only `admitd audit` runs it' "$SERVER_LOG"
stop_server
"$ADMITD" policies >"$WORK/out"
check "admitd policies marks it as audit-only" grep -qE '^network-policy-coverage +- +off +audit ' "$WORK/out"
check "  and the webhook's modules as both" grep -qE '^privileged +baseline +podSecurity +both ' "$WORK/out"

# a second admitd on the same address must not start and share the port
start_server
timeout 10 "$ADMITD" serve "${CERTS[@]}" --listen "127.0.0.1:$PORT" --dry-run >"$WORK/second" 2>&1
rc=$?
check "a second admitd on the same address exits 1" [ "$rc" -eq 1 ]
check "  saying the address is in use" grep -qF "cannot listen on 127.0.0.1:$PORT: address in use" "$WORK/second"
denied=0
for _ in $(seq 1 12); do
	post "$DATA/review-pod-privileged.json"
	[ "$(json_get "$BODY" '["response"]["allowed"]')" = false ] && denied=$((denied + 1))
done
check "  and every one of 12 privileged reviews is denied by the first ($denied)" [ "$denied" -eq 12 ]
stop_server

# thread stacks past a small address-space limit: pthread_create fails; admitd says so and exits.
# AddressSanitizer reserves terabytes of shadow memory and cannot start under
# such a limit: this check runs in the plain build only (make test runs both).
if ldd "$ADMITD" | grep -q libasan; then
	echo "skip pthread_create failure under RLIMIT_AS (sanitizer build)"
	exit 0
fi
(
	ulimit -v 400000
	timeout 20 "$ADMITD" serve "${CERTS[@]}" --listen "127.0.0.1:$(free_port)" --threads 200
) >"$WORK/threads" 2>&1
rc=$?
check "a thread that cannot be created ends the start with exit 1, not a crash ($rc)" [ "$rc" -eq 1 ]
check "  and names it" grep -q 'cannot start server thread [0-9]* of 200' "$WORK/threads"
