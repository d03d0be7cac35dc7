#!/usr/bin/env bash
# gen-cert.sh DIR [CN]: a throwaway CA and an ECDSA P-256 serving certificate
# for localhost and 127.0.0.1 (ca.crt, tls.crt, tls.key in DIR).
set -euo pipefail
dir=$1
cn=${2:-localhost}
mkdir -p "$dir"
cd "$dir"
openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
openssl req -x509 -new -key ca.key -sha256 -days 30 -subj "/CN=admitd-dev-ca" -out ca.crt 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out tls.key.tmp 2>/dev/null
openssl req -new -key tls.key.tmp -subj "/CN=$cn" -out tls.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > ext.cnf
openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -sha256 \
	-extfile ext.cnf -out tls.crt.tmp 2>/dev/null
chmod 600 tls.key.tmp
mv tls.key.tmp tls.key
mv tls.crt.tmp tls.crt
rm -f tls.csr ext.cnf ca.srl
