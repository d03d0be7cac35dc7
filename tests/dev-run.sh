#!/usr/bin/env bash
# `make run`: a development certificate (made once), then admitd in the
# foreground on https://localhost:8443 with the built-in configuration.
set -euo pipefail
admitd=$1
top=$(cd "$(dirname "$0")/.." && pwd)
certs=$top/dev-certs
if [ ! -s "$certs/tls.crt" ] || [ ! -s "$certs/tls.key" ]; then
	echo "generating a development certificate in dev-certs/ (ECDSA P-256, localhost, 127.0.0.1)"
	"$top/tests/gen-cert.sh" "$certs"
fi
cat <<MSG

admitd is starting on https://localhost:8443 (Pod Security restricted at deny, kube-system exempt).
In another terminal, send a sample review (a pod with a privileged init container):

  curl -sS --cacert $certs/ca.crt -H 'Content-Type: application/json' \\
    --data-binary @$top/tests/data/review-pod-privileged.json https://localhost:8443/validate

Stop with Ctrl-C.

MSG
exec "$admitd" serve --listen 127.0.0.1:8443 --cert "$certs/tls.crt" --key "$certs/tls.key"
