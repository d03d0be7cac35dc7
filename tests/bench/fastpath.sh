#!/usr/bin/env bash
# fastpath.sh: the registry-backed contents policies' cost on the server's
# fast path, in instructions per review (callgrind on tests/bench/fastpath.c;
# machine load does not move them), against Debian's docker-registry on
# loopback: a pod of three images (two by tag, one by digest), each with a
# configuration and a cosign 2.x vulnerability attestation, judged with
# every fact and scan cached: the policies off, image-vulnerabilities on,
# the three configuration policies on. Figures, never pass/fail.
set -euo pipefail
ADMITD=${ADMITD:?}
FASTPATH=${FASTPATH:-$(dirname "$ADMITD")/fastpath}
here=$(cd "$(dirname "$0")" && pwd)
export RESULTS=/dev/null
# shellcheck source=../integration/lib.sh
source "$here/../integration/lib.sh"
# shellcheck source=../integration/registry.sh
source "$here/../integration/registry.sh"
trap 'registry_stop; cleanup' EXIT

echo
echo "image contents on the fast path (callgrind, every fact and scan cached, 3 images):"
if ! command -v valgrind >/dev/null || [ ! -x "$FASTPATH" ] || ! registry_install >/dev/null 2>&1; then
	echo "  skipped: valgrind, $FASTPATH or docker-registry missing"
	exit 0
fi
make_certs >/dev/null
registry_serve >/dev/null || { echo "  skipped: docker-registry did not start"; exit 0; }
CURL=(curl -sS --fail --max-time 10 --cacert "$CA")
openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/scanner.key" 2>/dev/null
openssl ec -in "$WORK/scanner.key" -pubout -out "$WORK/scanner.pub" 2>/dev/null
declare -A DIG
for n in web api worker; do
	DIG[$n]=$(make_image_config "prod/$n" v1 "$WORK/img" \
		'{"architecture":"amd64","os":"linux","config":{"User":"1000","ExposedPorts":{"8080/tcp":{}},"Env":["PATH=/usr/bin"]},"rootfs":{"type":"layers","diff_ids":[]}}')
	vuln_statement "$WORK/st-$n" "$REG/prod/$n" "${DIG[$n]#sha256:}" 1 v0.1 \
		CVE-2024-0727:MEDIUM:openssl CVE-2011-3374:LOW:apt TEMP-0841856-B18BAF:UNKNOWN:bash &&
		dsse_envelope "$WORK/st-$n" "$WORK/scanner.key" &&
		cosign_attest_v2 "prod/$n" "${DIG[$n]}" "$WORK/st-$n.dsse" >/dev/null
done
cat >"$WORK/review.json" <<JSON
{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"b",
 "kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},
 "operation":"CREATE","namespace":"shop","name":"p","userInfo":{"username":"alice"},
 "object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"shop","labels":{"app":"shop"}},
  "spec":{"securityContext":{"runAsUser":1000},"containers":[{"name":"web","image":"$REG/prod/web:v1"},
   {"name":"api","image":"$REG/prod/api:v1"},{"name":"worker","image":"$REG/prod/worker@${DIG[worker]}"}]}}}}
JSON
head="podSecurity: {level: privileged}
registries:
  - {host: \"$REG\", caFile: \"$CA\"}
policies:"
printf '%s\n  - {id: image-vulnerabilities, action: off}\n' "$head" >"$WORK/off.yaml"
printf '%s\n  - {id: image-vulnerabilities, action: deny, images: ["%s/prod"], keys: ["%s"], maxSeverity: HIGH}\n' \
	"$head" "$REG" "$WORK/scanner.pub" >"$WORK/vulns.yaml"
printf '%s\n  - {id: image-runs-as-root, action: deny, images: ["%s/prod"]}\n  - {id: image-exposed-ports, action: deny, images: ["%s/prod"]}\n  - {id: image-env-secrets, action: deny, images: ["%s/prod"]}\n' \
	"$head" "$REG" "$REG" "$REG" >"$WORK/contents.yaml"

# instructions of N2 reviews minus those of N1, per review, counted inside
# fastpath_reviews only (the registry round before is not), so that the
# first review's one-time set-up cancels out. Short runs: a tag's digest is
# cached for 30 s.
N1=40 N2=120
count() { # CONFIG N
	valgrind --tool=callgrind --toggle-collect='fastpath_reviews*' --callgrind-out-file="$WORK/cg" \
		"$FASTPATH" "$WORK/review.json" "$1" "$2" >"$WORK/fp.out" 2>/dev/null
	grep -q "^$2 of $2 reviews from the fast path, $2 allowed" "$WORK/fp.out" || { cat "$WORK/fp.out" >&2; return 1; }
	callgrind_annotate "$WORK/cg" 2>/dev/null | sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,
}
per_review() { # CONFIG
	local a b
	a=$(count "$1" $N1) && b=$(count "$1" $N2) && echo $(((b - a) / (N2 - N1)))
}
off=$(per_review "$WORK/off.yaml")
vulns=$(per_review "$WORK/vulns.yaml")
contents=$(per_review "$WORK/contents.yaml")
pct() { python3 -c "print(f'{($1 - $off) / $off * 100:+.1f} %')"; }
printf '  %-52s %8s instructions per review (target for both below: within +5 %%)\n' "policies off" "$off"
printf '  %-52s %8s (%s)\n' "image-vulnerabilities on" "$vulns" "$(pct "$vulns")"
printf '  %-52s %8s (%s)\n' "image-runs-as-root, -exposed-ports, -env-secrets on" "$contents" "$(pct "$contents")"
