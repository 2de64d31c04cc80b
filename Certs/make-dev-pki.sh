#!/usr/bin/env bash
# Makes a throwaway development PKI for dossierd: one CA and, per authority code, an ECDSA P-256
# key and certificate usable for TLS server, TLS client and CMS signing. Never use it in production
# (see Certs/README.md).
#
#   make-dev-pki.sh [--days N] [--expired] [--rsa] [--sm2] <out-dir> <code>...
#   make-dev-pki.sh --crl FILE [--this-update YYYYMMDDHHMMSSZ] [--next-update YYYYMMDDHHMMSSZ]
#                   [--compromised-at YYYYMMDDHHMMSSZ] <out-dir> [<name>...]
#   make-dev-pki.sh --tsa NAME <out-dir>
#
# Reuses <out-dir>/ca.pem and ca.key when they exist, so more authorities (or an expired
# certificate, with --expired, written as <code>-expired.pem/.key; an RSA 3072 one with --rsa,
# written as <code>-rsa.pem/.key) can be issued by the same CA. --crl writes a CRL of that CA
# to FILE revoking the certificates <out-dir>/<name>.pem (none: an empty CRL), valid from
# --this-update (default now) to --next-update (default in 30 days); with --compromised-at the
# entries say keyCompromise with that invalidityDate (the revocationDate stays now). --tsa writes a time-stamping
# authority's key and certificate (extendedKeyUsage critical timeStamping, no authority code) of
# that CA as <out-dir>/NAME.pem/.key, for dossier-mock-tsa.
# --sm2 also makes an SM2 CA (<out-dir>/sm2-ca.pem, sm2-ca.key, reused like ca.pem) and, per
# code, an SM2 signing key and certificate <code>-sm2.key/.pem (SM2-with-SM3, signed and
# checked with the GM/T 0009 ID 1234567812345678) beside the EC TLS one: OpenSSL 3.0 has no
# TLS with SM2, so [tls] keeps the EC certificate and [signing] takes the SM2 one.
set -euo pipefail

days=825
suffix=""
rsa=""
crl=""
sm2=""
this_update=""
next_update=""
compromised_at=""
tsa=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --days) days="$2"; shift 2 ;;
    --expired) days=-1; suffix="-expired"; shift ;;
    --rsa) rsa=1; suffix="-rsa"; shift ;;
    --sm2) sm2=1; shift ;;
    --crl) crl="$2"; shift 2 ;;
    --this-update) this_update="$2"; shift 2 ;;
    --next-update) next_update="$2"; shift 2 ;;
    --compromised-at) compromised_at="$2"; shift 2 ;;
    --tsa) tsa="$2"; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    --) shift; break ;;
    -*) echo "make-dev-pki.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
if [[ $# -lt 2 && ( ( -z "$crl" && -z "$tsa" ) || $# -lt 1 ) ]]; then
  echo "usage: make-dev-pki.sh [--days N] [--expired] [--rsa] [--sm2] <out-dir> <code>..." >&2
  echo "       make-dev-pki.sh --crl FILE [--this-update T] [--next-update T] <out-dir> [<name>...]" >&2
  echo "       make-dev-pki.sh --tsa NAME <out-dir>" >&2
  exit 2
fi
out="$1"; shift
command -v openssl >/dev/null || { echo "make-dev-pki.sh: the openssl command is missing (apt-get install openssl)" >&2; exit 2; }

if [[ -n "$crl" ]]; then
  db=$(mktemp -d)
  trap 'rm -rf "$db"' EXIT
  touch "$db/index.txt"
  echo 01 >"$db/crlnumber"
  cat >"$db/ca.cnf" <<CNF
[ca]
default_ca = dev
[dev]
database = $db/index.txt
crlnumber = $db/crlnumber
default_md = sha256
default_crl_days = 30
CNF
  compromise=()
  [[ -n "$compromised_at" ]] && compromise=(-crl_compromise "$compromised_at")
  for name in "$@"; do
    openssl ca -batch -config "$db/ca.cnf" -cert "$out/ca.pem" -keyfile "$out/ca.key" -revoke "$out/$name.pem" "${compromise[@]}" 2>/dev/null
  done
  times=()
  [[ -n "$this_update" ]] && times+=(-crl_lastupdate "$this_update")
  [[ -n "$next_update" ]] && times+=(-crl_nextupdate "$next_update")
  openssl ca -batch -gencrl -config "$db/ca.cnf" -cert "$out/ca.pem" -keyfile "$out/ca.key" "${times[@]}" -out "$crl" 2>/dev/null
  chmod 0644 "$crl"
  echo "$crl"
  exit 0
fi

if [[ -n "$tsa" ]]; then
  [[ -f "$out/ca.pem" && -f "$out/ca.key" ]] || { echo "make-dev-pki.sh: --tsa needs the CA in $out" >&2; exit 2; }
  ext=$(mktemp)
  trap 'rm -f "$ext" "$out/$tsa.csr"' EXIT
  printf '%s\n' 'basicConstraints=critical,CA:FALSE' 'keyUsage=critical,digitalSignature,nonRepudiation' \
    'extendedKeyUsage=critical,timeStamping' 'subjectKeyIdentifier=hash' 'authorityKeyIdentifier=keyid' >"$ext"
  umask 077
  openssl ecparam -name prime256v1 -genkey -noout -out "$out/$tsa.key"
  openssl req -new -sha256 -key "$out/$tsa.key" -subj "/O=dossierd development PKI/CN=dossierd test TSA" -out "$out/$tsa.csr"
  openssl x509 -req -sha256 -in "$out/$tsa.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" -CAcreateserial \
    -days "$days" -extfile "$ext" -out "$out/$tsa.pem" 2>/dev/null
  chmod 0644 "$out/$tsa.pem"
  echo "$out/$tsa.pem"
  exit 0
fi

authority_name() {
  case "$1" in
    441800) echo "Qingyuan Vehicle Administration Office" ;;
    440100) echo "Guangzhou Vehicle Administration Office" ;;
    430100) echo "Changsha Vehicle Administration Office" ;;
    110000) echo "Beijing Vehicle Administration Office" ;;
    310000) echo "Shanghai Vehicle Administration Office" ;;
    100000) echo "Traffic Management Bureau, directory operator" ;;
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

gmt_id=distid:1234567812345678
if [[ -n "$sm2" && ( ! -f "$out/sm2-ca.pem" || ! -f "$out/sm2-ca.key" ) ]]; then
  openssl genpkey -algorithm SM2 -out "$out/sm2-ca.key"
  openssl req -new -x509 -sm3 -sigopt "$gmt_id" -key "$out/sm2-ca.key" -days 3650 -utf8 \
    -subj "/O=dossierd development PKI/CN=dossierd development SM2 CA $(od -An -N4 -tx4 /dev/urandom | tr -d ' ')" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$out/sm2-ca.pem"
fi

ext=$(mktemp)
trap 'rm -f "$ext" "$out"/*.csr' EXIT
for code in "$@"; do
  if [[ ! "$code" =~ ^[0-9]{6}$ ]]; then
    echo "make-dev-pki.sh: $code is not a 6-digit division code" >&2
    exit 2
  fi
  name=$(authority_name "$code")
  # keyEncipherment on RSA keys lets a client try static RSA, so the server's refusal is what a test sees.
  usage=keyAgreement
  [[ -n "$rsa" ]] && usage=keyEncipherment
  cat >"$ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,nonRepudiation,$usage
extendedKeyUsage=serverAuth,clientAuth,emailProtection
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
  if [[ -n "$rsa" ]]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$out/$code$suffix.key" 2>/dev/null
  else
    openssl ecparam -name prime256v1 -genkey -noout -out "$out/$code$suffix.key"
  fi
  openssl req -new -sha256 -key "$out/$code$suffix.key" -utf8 \
    -subj "/C=CN/O=dossierd development PKI/CN=$name/serialNumber=$code" -out "$out/$code$suffix.csr"
  openssl x509 -req -sha256 -in "$out/$code$suffix.csr" -CA "$out/ca.pem" -CAkey "$out/ca.key" \
    -CAcreateserial -days "$days" -extfile "$ext" -out "$out/$code$suffix.pem" 2>/dev/null
  chmod 0644 "$out/$code$suffix.pem"
  echo "$out/$code$suffix.pem"
  if [[ -n "$sm2" ]]; then
    cat >"$ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,nonRepudiation
extendedKeyUsage=emailProtection
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
    openssl genpkey -algorithm SM2 -out "$out/$code$suffix-sm2.key"
    openssl req -new -sm3 -sigopt "$gmt_id" -key "$out/$code$suffix-sm2.key" -utf8 \
      -subj "/C=CN/O=dossierd development PKI/CN=$name/serialNumber=$code" -out "$out/$code$suffix-sm2.csr"
    openssl x509 -req -sm3 -sigopt "$gmt_id" -vfyopt "$gmt_id" -in "$out/$code$suffix-sm2.csr" \
      -CA "$out/sm2-ca.pem" -CAkey "$out/sm2-ca.key" -CAcreateserial -days "$days" -extfile "$ext" \
      -out "$out/$code$suffix-sm2.pem" 2>/dev/null
    chmod 0644 "$out/$code$suffix-sm2.pem"
    echo "$out/$code$suffix-sm2.pem"
  fi
done
chmod 0644 "$out/ca.pem"
[[ -n "$sm2" ]] && chmod 0644 "$out/sm2-ca.pem"
exit 0
