#!/usr/bin/env bash
# Checks the observability kit: the Prometheus rules (promtool check rules), their unit tests
# (promtool test rules) and the Grafana dashboard (valid JSON). Prints one line per check and a
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

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
