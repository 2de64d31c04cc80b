#!/usr/bin/env bash
# Installs the package built by build-deb.sh with dpkg -i, checks what it installed, runs the
# installed binaries, then purges it and checks it is gone. Root only (it changes the system);
# CI runs it as root on Debian 12.
#
#   bash contrib/debian/test-deb.sh [PACKAGE.deb]     # default: the one build-deb.sh builds
#
# The packaged /etc/dossierd/dossierd.toml names certificates an office installs itself, so
# `dossierd --check-config` runs on a test config with a throwaway PKI (Certs/make-dev-pki.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "test-deb.sh: must run as root (dpkg -i)" >&2; exit 2; }
deb=${1:-$(bash "$root/contrib/debian/build-deb.sh" | tail -n 1)}
[ -f "$deb" ] || { echo "test-deb.sh: no package $deb" >&2; exit 2; }
work=$(mktemp -d)
installed=""
cleanup() {
  [ -n "$installed" ] && dpkg --purge dossierd >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
step() { echo "test-deb: $*"; }

dpkg-deb --info "$deb" >/dev/null
step "dpkg -i $(basename "$deb")"
dpkg -i "$deb" >/dev/null
installed=1

for path in /usr/bin/dossierd /usr/bin/dossierctl /lib/systemd/system/dossierd.service \
  /usr/lib/sysusers.d/dossierd.conf /usr/lib/tmpfiles.d/dossierd.conf /etc/dossierd/dossierd.toml \
  /usr/share/man/man8/dossierd.8.gz /usr/share/man/man8/dossierctl.8.gz; do
  [ -e "$path" ] || { echo "test-deb.sh: $path not installed" >&2; exit 1; }
done
dpkg-query -W -f='${Conffiles}\n' dossierd | grep -q '/etc/dossierd/dossierd.toml' \
  || { echo "test-deb.sh: /etc/dossierd/dossierd.toml is not a conffile" >&2; exit 1; }
grep -q '^ExecStart=/usr/bin/dossierd ' /lib/systemd/system/dossierd.service \
  || { echo "test-deb.sh: the unit does not start /usr/bin/dossierd" >&2; exit 1; }
getent passwd dossierd >/dev/null || { echo "test-deb.sh: postinst made no dossierd user" >&2; exit 1; }
[ -d /var/lib/dossierd ] || { echo "test-deb.sh: postinst made no /var/lib/dossierd" >&2; exit 1; }
zcat /usr/share/man/man8/dossierctl.8.gz | grep -q 'dossierctl report' \
  || { echo "test-deb.sh: dossierctl(8) lacks the report subcommand" >&2; exit 1; }
step "installed files, conffile, user and state directory present"

bash "$root/Certs/make-dev-pki.sh" "$work/pki" 441800 430100 >/dev/null
cat > "$work/dossierd.toml" <<CONFIG
[authority]
code = "441800"
[tls]
certificate = "$work/pki/441800.pem"
key = "$work/pki/441800.key"
trust = ["$work/pki/ca.pem"]
[state]
directory = "$work/state"
[admin]
socket = "$work/admin.sock"
[[peers]]
code = "430100"
url = "https://127.0.0.1:8443"
CONFIG
step "$(/usr/bin/dossierd --config "$work/dossierd.toml" --check-config)"
/usr/bin/dossierctl --help | grep -q 'report' || { echo "test-deb.sh: dossierctl --help lacks report" >&2; exit 1; }
step "/usr/bin/dossierctl --help ok"

dpkg --purge dossierd >/dev/null
installed=""
for path in /usr/bin/dossierd /usr/bin/dossierctl /etc/dossierd/dossierd.toml /lib/systemd/system/dossierd.service; do
  [ ! -e "$path" ] || { echo "test-deb.sh: $path left after purge" >&2; exit 1; }
done
step "dpkg --purge removed it (the state directory /var/lib/dossierd is kept by design)"
