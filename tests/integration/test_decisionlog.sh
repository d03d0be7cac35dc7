#!/usr/bin/env bash
# The decision log is one whole JSON line per decision, whatever its size,
# when it goes to a pipe (stderr under a container runtime): a write over
# PIPE_BUF (4 KiB) is not atomic, and a slow reader makes the kernel split
# it, so lines from two threads used to interleave. Here two server threads
# write decision lines of about 70 KB each to a pipe drained slowly.
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
make_certs

# a pod with 60 privileged containers: one decision line of ~70 KB
python3 - "$WORK/big.json" <<'PY'
import json, sys
cs = [{"name": "container-with-a-rather-long-name-%02d" % i, "image": "registry.corp.example/app:1",
       "securityContext": {"privileged": True}} for i in range(60)]
rv = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
    "uid": "u-big", "kind": {"group": "", "version": "v1", "kind": "Pod"}, "operation": "CREATE",
    "namespace": "team-a", "name": "big", "userInfo": {"username": "alice"},
    "object": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "big"},
               "spec": {"containers": cs}}}}
json.dump(rv, open(sys.argv[1], "w"))
PY

# the reader takes 4 KiB every millisecond: the pipe fills, writers block mid-line
cat > "$WORK/slow.py" <<'PY'
import os, sys, time
out = open(sys.argv[1], "wb")
while True:
    b = os.read(0, 4096)
    if not b:
        break
    out.write(b)
    time.sleep(0.001)
out.close()
PY
PORT=$(free_port)
BASE=https://127.0.0.1:$PORT
"$ADMITD" serve --listen "127.0.0.1:$PORT" --cert "$WORK/certs/tls.crt" --key "$WORK/certs/tls.key" \
	--threads 2 --decision-log - 2> >(python3 "$WORK/slow.py" "$WORK/stderr.log") >/dev/null &
SERVER_PID=$!
for _ in $(seq 1 100); do
	curl -s -o /dev/null --max-time 1 --cacert "$WORK/certs/ca.crt" "$BASE/readyz" && break
	sleep 0.1
done
if command -v h2load >/dev/null; then
	timeout 120 h2load --h1 -n 300 -c 8 -t 2 -d "$WORK/big.json" -H 'content-type: application/json' \
		"$BASE/validate" >"$WORK/h2load.out" 2>&1
else
	for _ in $(seq 1 150); do post "$WORK/big.json" & post "$WORK/big.json"; wait; done
fi
stop_server
for _ in $(seq 1 100); do pgrep -f "$WORK/slow.py" >/dev/null || break; sleep 0.1; done

python3 - "$WORK/stderr.log" >"$WORK/verdict" <<'PY'
import json, re, sys
data = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
lines = data.split("\n")
if lines and lines[-1] == "":
    lines.pop()
decisions = broken = logs = 0
biggest = 0
for l in lines:
    if re.match(r"^\d{4}-\d\d-\d\dT[0-9:.]+Z admitd (info|warn): ", l) and "{" not in l[:40]:
        logs += 1
        continue
    try:
        d = json.loads(l)
        assert d["uid"] == "u-big" and len(d["violations"]) >= 60
        decisions += 1
        biggest = max(biggest, len(l))
    except Exception:
        broken += 1
print(decisions, broken, logs, biggest)
PY
read -r decisions broken logs biggest <"$WORK/verdict"
echo "     decision log on a slow pipe: $decisions whole lines of up to $biggest bytes, $broken broken, $logs log lines"
check "decision lines over 4 KiB were written ($biggest bytes)" [ "${biggest:-0}" -gt 8192 ]
check "every decision line reached the pipe ($decisions of 300)" [ "${decisions:-0}" -ge 300 ]
check "no line is broken or interleaved ($broken)" [ "${broken:-1}" -eq 0 ]
