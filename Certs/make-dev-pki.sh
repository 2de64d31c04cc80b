#!/usr/bin/env bash
# Makes a throwaway development PKI for dossierd: one CA and, per authority code, an ECDSA P-256
# key and certificate usable for TLS server, TLS client and CMS signing. Never use it in production
# (see Certs/README.md).
#
#   make-dev-pki.sh [--days N] [--expired] <out-dir> <code>...
#
# Reuses <out-dir>/ca.pem and ca.key when they exist, so more authorities (or an expired
# certificate, with --expired, written as <code>-expired.pem/.key) can be issued by the same CA.
set -euo pipefail

days=825
suffix=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --days) days="$2"; shift 2 ;;
    --expired) days=-1; suffix="-expired"; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    --) shift; break ;;
    -*) echo "make-dev-pki.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
if [[ $# -lt 2 ]]; then
  echo "usage: make-dev-pki.sh [--days N] [--expired] <out-dir> <code>..." >&2
  exit 2
fi
out="$1"; shift
command -v openssl >/dev/null || { echo "make-dev-pki.sh: the openssl command is missing (apt-get install openssl)" >&2; exit 2; }

authority_name() {
  case "$1" in
    441800) echo "Qingyuan Vehicle Administration Office" ;;
    440100) echo "Guangzhou Vehicle Administration Office" ;;
    430100) echo "Changsha Vehicle Administration Office" ;;
    110000) echo "Beijing Vehicle Administration Office" ;;
    310000) echo "Shanghai Vehicle Administration Office" ;;
    *) echo "Vehicle Administration Office $1" ;;
  esac
}

mkdir -p "$out"
umask 077
if [[ ! -f "$out/ca.pem" || ! -f "$out/ca.key" ]]; then
  openssl ecparam -name prime256v1 -genkey -noout -out "$out/ca.key"
  openssl req -new -x509 -sha256 -key "$out/ca.key" -days 3650 -utf8 \
    -subj "/O=dossierd development PKI/CN=dossierd development CA $(od -An -N4 -tx4 /dev/urandom | tr -d ' ')" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$out/ca.pem"
fi

ext=$(mktemp)
trap 'rm -f "$ext" "$out"/*.csr' EXIT
for code in "$@"; do
  if [[ ! "$code" =~ ^[0-9]{6}$ ]]; then
    echo "make-dev-pki.sh: $code is not a 6-digit division code" >&2
    exit 2
  fi
  name=$(authority_name "$code")
  cat >"$ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,nonRepudiation,keyAgreement
extendedKeyUsage=serverAuth,clientAuth,emailProtection
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
  openssl ecparam -name prime256v1 -genkey -noout -out "$out/$code$suffix.key"
  openssl req -new -sha256 -key "$out/$code$suffix.key" -utf8 \
    -subj "/C=CN/O=dossierd development PKI/CN=$name/serialNumber=$code" -out "$out/$code$suffix.csr"
  openssl x509 -req -sha256 -in "$out/$code$suffix.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" \
    -CAcreateserial -days "$days" -extfile "$ext" -out "$out/$code$suffix.pem" 2>/dev/null
  chmod 0644 "$out/$code$suffix.pem"
  echo "$out/$code$suffix.pem"
done
chmod 0644 "$out/ca.pem"
