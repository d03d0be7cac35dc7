#!/usr/bin/env bash
# gen-certs.sh: admitd's serving certificate without cert-manager.
#
#   manifests/gen-certs.sh [--out DIR] [--namespace NS] [--service NAME]
#                          [--secret NAME] [--webhook NAME] [--days N]
#                          [--new-ca] [--drop-old-ca] [--apply]
#
# Makes (once) a CA, then at every run a new serving certificate signed by
# it: ECDSA P-256, SANs NAME.NS.svc and NAME.NS.svc.cluster.local, valid
# --days days (365). The CA is kept in DIR and reused, so a renewal leaves
# the webhook's caBundle unchanged and no request fails while pods pick up
# the new files (admitd reloads them by itself).
#
# DIR (default: certs/ beside this script, i.e. manifests/certs/) gets:
#   ca.key ca.crt       the CA (10 years); keep ca.key private
#   ca-old.crt          after --new-ca: the previous CA, trusted until --drop-old-ca
#   tls.key tls.crt     the serving certificate
#   ca-bundle.pem       the CAs the API server trusts: ca.crt (+ ca-old.crt)
#   secret.yaml         the Secret (kubernetes.io/tls) with tls.crt, tls.key, ca.crt
#   kustomization.yaml  a kustomize Component: the Secret, and the caBundle
#                       patched into the ValidatingWebhookConfiguration
#                       (manifests/kustomization.yaml uses it)
#   helm-values.yaml    the same for chart/admitd (tls.existingSecret, tls.caBundle)
#   .gitignore          keeps the keys out of git
#
# --new-ca      replace the CA; the old one stays in ca-bundle.pem until
#               --drop-old-ca, so both are trusted while pods switch over
# --drop-old-ca trust only the current CA again
# --apply       also put it on the cluster: patch the caBundle into the live
#               ValidatingWebhookConfiguration first, then apply the Secret
#               (kubectl, or $KUBECTL)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=$here/certs
ns=admitd
svc=admitd
secret=admitd-tls
webhook=admitd
days=365
ca_days=3650
new_ca=0
drop_old=0
apply=0
kubectl=${KUBECTL:-kubectl}

usage() {
	sed -n '3,6p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--out) out=${2:?}; shift ;;
	--namespace) ns=${2:?}; shift ;;
	--service) svc=${2:?}; shift ;;
	--secret) secret=${2:?}; shift ;;
	--webhook) webhook=${2:?}; shift ;;
	--days) days=${2:?}; shift ;;
	--new-ca) new_ca=1 ;;
	--drop-old-ca) drop_old=1 ;;
	--apply) apply=1 ;;
	-h | --help) usage ;;
	*) echo "gen-certs.sh: unknown argument \"$1\"" >&2; usage ;;
	esac
	shift
done
case $days in '' | *[!0-9]*) echo "gen-certs.sh: --days wants a number" >&2; exit 2 ;; esac

mkdir -p "$out"
cd "$out"
umask 077
printf '# written by gen-certs.sh: private keys, never commit them\n*\n' > .gitignore
tmp=$(mktemp -d "$out/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# ---- the CA ----
if [ "$new_ca" = 1 ] && [ -s ca.crt ]; then
	cp ca.crt "$tmp/ca-old.crt"
	rm -f ca.key ca.crt
fi
if [ ! -s ca.key ] || [ ! -s ca.crt ]; then
	openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/ca.key"
	openssl req -x509 -new -key "$tmp/ca.key" -sha256 -days "$ca_days" \
		-subj "/CN=admitd-ca ($ns)" \
		-addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-out "$tmp/ca.crt" 2>/dev/null
	mv "$tmp/ca.key" ca.key
	mv "$tmp/ca.crt" ca.crt
	echo "gen-certs.sh: new CA in $out/ca.crt" >&2
fi
[ -s "$tmp/ca-old.crt" ] && mv "$tmp/ca-old.crt" ca-old.crt
[ "$drop_old" = 1 ] && rm -f ca-old.crt

# ---- the serving certificate ----
dns1=$svc.$ns.svc
dns2=$svc.$ns.svc.cluster.local
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/tls.key"
openssl req -new -key "$tmp/tls.key" -subj "/CN=$dns1" -out "$tmp/tls.csr" 2>/dev/null
cat > "$tmp/ext.cnf" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:$dns1,DNS:$dns2
EOF
openssl x509 -req -in "$tmp/tls.csr" -CA ca.crt -CAkey ca.key -set_serial "0x$(openssl rand -hex 16)" \
	-days "$days" -sha256 -extfile "$tmp/ext.cnf" -out "$tmp/tls.crt" 2>/dev/null
openssl verify -CAfile ca.crt "$tmp/tls.crt" >/dev/null
mv "$tmp/tls.key" tls.key
mv "$tmp/tls.crt" tls.crt
cat ca.crt > ca-bundle.pem
[ -s ca-old.crt ] && cat ca-old.crt >> ca-bundle.pem

# ---- manifests ----
b64() { base64 < "$1" | tr -d '\n'; }
bundle=$(b64 ca-bundle.pem)
cat > secret.yaml <<EOF
# written by gen-certs.sh: admitd's serving certificate (private key inside)
apiVersion: v1
kind: Secret
metadata:
  name: $secret
  namespace: $ns
  labels:
    app.kubernetes.io/name: admitd
type: kubernetes.io/tls
data:
  tls.crt: $(b64 tls.crt)
  tls.key: $(b64 tls.key)
  ca.crt: $(b64 ca.crt)
EOF
cat > kustomization.yaml <<EOF
# written by gen-certs.sh: the serving certificate's Secret, and the CA that
# the API server must trust in the webhook's caBundle
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
  - secret.yaml
patches:
  - target:
      group: admissionregistration.k8s.io
      kind: ValidatingWebhookConfiguration
      name: $webhook
    patch: |-
      - op: add
        path: /webhooks/0/clientConfig/caBundle
        value: $bundle
EOF
cat > helm-values.yaml <<EOF
# written by gen-certs.sh: for chart/admitd, with the Secret from secret.yaml
tls:
  existingSecret: $secret
  caBundle: $bundle
EOF
chmod 600 ca.key tls.key secret.yaml
chmod 644 ca.crt tls.crt ca-bundle.pem kustomization.yaml helm-values.yaml .gitignore
[ -e ca-old.crt ] && chmod 644 ca-old.crt
echo "gen-certs.sh: serving certificate for $dns1 in $out (valid $days days)" >&2

# ---- the cluster ----
if [ "$apply" = 1 ]; then
	# caBundle first: with --new-ca the bundle holds both CAs, so the API
	# server trusts the pods before and after they load the new Secret
	if "$kubectl" get validatingwebhookconfiguration "$webhook" >/dev/null 2>&1; then
		"$kubectl" patch validatingwebhookconfiguration "$webhook" --type=json \
			-p "[{\"op\":\"add\",\"path\":\"/webhooks/0/clientConfig/caBundle\",\"value\":\"$bundle\"}]"
	else
		echo "gen-certs.sh: no ValidatingWebhookConfiguration $webhook yet; installing sets its caBundle from $out" >&2
	fi
	"$kubectl" apply -f secret.yaml
fi
