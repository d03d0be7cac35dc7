#!/usr/bin/env bash
# Server-wide dry-run, warn and audit actions, exemptions, and the
# decision log, through the real server.
source "$(dirname "$0")/lib.sh"
LOG=$WORK/decisions.log
start_server --dry-run --decision-log "$LOG" || exit 1

post "$DATA/review-pod-privileged.json"
check "dry-run: a violating pod is allowed" [ "$(json_get "$BODY" '["response"]["allowed"]')" = true ]
check "dry-run: the would-be denial is a warning" \
	grep -qF '[privileged] container \"setup\" must not set securityContext.privileged=true (dry-run: would deny)' <<<"$BODY"
check "dry-run: recorded in auditAnnotations would-deny" \
	grep -qF '[privileged] container "setup"' <<<"$(json_get "$BODY" '["response"]["auditAnnotations"]["would-deny"]')"
check "dry-run: no status on an allowed answer" bash -c "! grep -q '\"status\"' <<<'$BODY'"

line=$(grep '"uid":"2f1c5a9e-0d7b-4c1e-9a3e-5b6f7c8d9e01"' "$LOG" | tail -1)
for field in time uid operation kind namespace name user allowed mode violations; do
	check "decision log has $field" python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert '$field' in d" "$line"
done
check "decision log: mode dry-run, allowed true" python3 -c "import json,sys; d=json.loads(sys.argv[1]); assert d['mode']=='dry-run' and d['allowed'] is True and d['user']=='alice' and d['kind']=='Pod' and d['operation']=='CREATE'" "$line"
check "decision log: violation policy, action, message" python3 -c "import json,sys; v=json.loads(sys.argv[1])['violations']; assert any(x['policy']=='privileged' and x['action']=='deny' and 'setup' in x['message'] for x in v)" "$line"
stop_server

# warn and audit actions, exemptions, in enforce mode
cat > "$WORK/actions.yaml" <<YAML
podSecurity: {level: privileged}
exemptions: {namespaces: ["kube-*"]}
policies:
  - id: privileged
    action: warn
    exemptions: {users: [ci-bot]}
YAML
: > "$LOG"
start_server --config "$WORK/actions.yaml" --decision-log "$LOG" || exit 1
post "$DATA/review-pod-privileged.json"
check "warn: allowed" [ "$(json_get "$BODY" '["response"]["allowed"]')" = true ]
check "warn: response.warnings carries the violation" \
	grep -qF '[privileged] container \"setup\" must not set securityContext.privileged=true' <<<"$(json_get "$BODY" '["response"]["warnings"]')"
sed 's/"username": "alice"/"username": "ci-bot"/' "$DATA/review-pod-privileged.json" > "$WORK/cibot.json"
post "$WORK/cibot.json"
check "per-policy user exemption: no warning" bash -c "! grep -q warnings <<<'$BODY'"
check "exemption says why in an audit annotation" grep -q 'privileged: user \\"ci-bot\\" is exempt' <<<"$BODY"
sed 's/"namespace": "default"/"namespace": "kube-public"/' "$DATA/review-pod-privileged.json" > "$WORK/kubens.json"
post "$WORK/kubens.json"
check "global namespace glob exemption" grep -q 'namespace \\"kube-public\\" is exempt' <<<"$BODY"
stop_server

printf 'podSecurity: {level: privileged}\npolicies:\n  - {id: privileged, action: audit}\n' > "$WORK/audit.yaml"
start_server --config "$WORK/audit.yaml" --decision-log off || exit 1
post "$DATA/review-pod-privileged.json"
check "audit: allowed" [ "$(json_get "$BODY" '["response"]["allowed"]')" = true ]
check "audit: recorded under auditAnnotations[privileged]" \
	grep -q 'must not set' <<<"$(json_get "$BODY" '["response"]["auditAnnotations"]["privileged"]')"
check "audit: no warning" bash -c "! grep -q warnings <<<'$BODY'"
stop_server
