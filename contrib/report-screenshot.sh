#!/usr/bin/env bash
# Renders a `dossierctl report --format html` file to PNG with headless Chromium, e.g. to attach
# to a monthly mail or to check the charts without a desktop.
#
#   bash contrib/report-screenshot.sh REPORT.html OUT.png [WIDTH,HEIGHT]     # default 1000,1600
#
# Needs Chromium's headless shell (Debian 12: apt-get install chromium-headless-shell, about
# 1.5 minutes) or chromium. The page is self-contained, so nothing is fetched.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,9p' "$0" >&2; exit 2; }
html=$(realpath "$1")
out=$(realpath -m "$2")
size=${3:-1000,1600}
[ -f "$html" ] || { echo "report-screenshot.sh: no file $1" >&2; exit 2; }
browser=$(command -v chromium-headless-shell || command -v chromium || true)
[ -n "$browser" ] || { echo "report-screenshot.sh: no chromium-headless-shell or chromium (apt-get install chromium-headless-shell)" >&2; exit 2; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
# --no-sandbox: Chromium's sandbox cannot start as root (CI, containers).
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
  --window-size="$size" --screenshot="$out" "file://$html" >/dev/null 2>&1
[ -s "$out" ] || { echo "report-screenshot.sh: $browser wrote no $out" >&2; exit 1; }
echo "$out"
