#!/usr/bin/env bash
# Checks the observability kit: the Prometheus rules (promtool check rules), their unit tests
# (promtool test rules), the Grafana dashboard (valid JSON), and that every metric they use is
# one the daemon exports. Prints one line per check and a
# final "N passed, M failed"; exits non-zero if any check failed. Needs promtool (Debian:
# apt-get install prometheus) and python3.
set -uo pipefail
cd "$(dirname "$0")"

passed=0
failed=0
check() {
  local name=$1; shift
  local output
  if output=$("$@" 2>&1); then
    echo "PASS  $name"
    passed=$((passed + 1))
  else
    echo "FAIL  $name"
    printf '%s\n' "$output" | sed 's/^/      /'
    failed=$((failed + 1))
  fi
}

if ! command -v promtool >/dev/null 2>&1; then
  echo "FAIL  promtool not found (apt-get install prometheus)"
  failed=$((failed + 1))
else
  check "promtool check rules prometheus/dossierd.rules.yml" promtool check rules prometheus/dossierd.rules.yml
  # promtool resolves rule_files relative to the test file's folder.
  check "promtool test rules prometheus/dossierd.rules.test.yml" promtool test rules prometheus/dossierd.rules.test.yml
fi
check "json grafana/dossierd-dashboard.json" python3 -m json.tool grafana/dossierd-dashboard.json

# Every dossierd_ metric the rules, their tests and the dashboard use is a name some Sources/ file
# registers (a quoted "dossierd_…" literal); a histogram's _bucket, _sum and _count are its own.
exported_metrics() {
  local exported name missing=()
  exported=$(grep -rhoE '"dossierd_[a-z0-9_]+"' ../Sources | tr -d '"' | sort -u)
  for name in $(grep -hoE 'dossierd_[a-z0-9_]+' prometheus/dossierd.rules.yml prometheus/dossierd.rules.test.yml \
    grafana/dossierd-dashboard.json | sort -u); do
    grep -qx -e "$name" -e "${name%_bucket}" -e "${name%_sum}" -e "${name%_count}" <<<"$exported" || missing+=("$name")
  done
  [ ${#missing[@]} -eq 0 ] || { echo "used but not exported by dossierd: ${missing[*]}"; return 1; }
}
check "metric names used by the rules and the dashboard are exported by dossierd" exported_metrics

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
