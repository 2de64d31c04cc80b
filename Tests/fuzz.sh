#!/usr/bin/env bash
# Fuzzes the archive reader, the receipt parser and CRL admission with libFuzzer +
# AddressSanitizer for a bounded time. Usage: Tests/fuzz.sh [seconds]   (default 60)
# Builds Tests/Fuzz (a package of its own), makes a seed corpus of valid and broken archives, a
# receipt and a CRL (plus every past finding, Tests/Fuzz/regressions/), runs the fuzzer, and
# leaves new findings in Tests/Fuzz/findings/ (crash-*, leak-*).
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
export DOSSIER_PACKAGE_IDENTITY="$(basename "$root" | tr '[:upper:]' '[:lower:]')"
work="$(mktemp -d /tmp/dossier-fuzz.XXXXXX)"
trap 'rm -rf "$work"' EXIT

swift build --package-path "$root" --product dossierctl >/dev/null
ctl="$(swift build --package-path "$root" --show-bin-path)/dossierctl"
"$root/Certs/make-dev-pki.sh" "$work/pki" 441800 430100 >/dev/null

corpus="$work/corpus"
mkdir -p "$corpus"
samples=$("$ctl" sample --out "$work/samples" --count 3 --documents 3 --document-size 2048 --seed 5)
i=0
for dossier in $samples; do
  i=$((i + 1))
  "$ctl" pack "$dossier" --to 430100 --cert "$work/pki/441800.pem" --key "$work/pki/441800.key" --out "$corpus/valid-$i.dva" >/dev/null
  head -c 3000 "$corpus/valid-$i.dva" >"$corpus/truncated-$i.dva"
  cp "$corpus/valid-$i.dva" "$corpus/flipped-$i.dva"
  printf '\x41' | dd of="$corpus/flipped-$i.dva" bs=1 seek=1700 conv=notrunc status=none
done
cp "$root"/Tests/Fuzz/regressions/* "$corpus"/ 2>/dev/null || true
openssl cms -sign -binary -nodetach -outform DER -signer "$work/pki/430100.pem" -inkey "$work/pki/430100.key" \
  -in <(printf '{"archiveId":"fuzz","digest":"00","sender":"441800","receiver":"430100","receivedAt":"2026-11-27T00:00:00Z","status":"accepted","reasons":[]}') \
  -out "$corpus/receipt.der"
"$root/Certs/make-dev-pki.sh" --crl "$corpus/crl.pem" "$work/pki" 430100 >/dev/null
openssl crl -in "$corpus/crl.pem" -outform DER -out "$corpus/crl.der"

swift build --package-path "$root/Tests/Fuzz" -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld >/dev/null
fuzzer="$(swift build --package-path "$root/Tests/Fuzz" -c debug -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld --show-bin-path)/dossier-fuzz"
mkdir -p "$root/Tests/Fuzz/findings"
DOSSIER_FUZZ_CA="$work/pki/ca.pem" "$fuzzer" "$corpus" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
  -artifact_prefix="$root/Tests/Fuzz/findings/" -print_final_stats=1 2>&1 | tail -25
