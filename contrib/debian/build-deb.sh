#!/usr/bin/env bash
# Builds dossierd_<version>_amd64.deb with dpkg-deb: release binaries dossierd and dossierctl in
# /usr/bin, the systemd unit, sysusers.d and tmpfiles.d snippets, /etc/dossierd/dossierd.toml as
# a conffile, man pages dossierd(8) and dossierctl(8) generated from the argument parsers
# (--experimental-dump-help → manpage.py), and maintainer scripts that run systemd-sysusers and
# systemd-tmpfiles when present.
#
#   bash contrib/debian/build-deb.sh [OUTPUT_DIR]     # default: .build/debian
#
# Builds the two release products with the Swift runtime linked statically
# (--static-swift-stdlib: the package needs no Swift toolchain) unless .build/release already
# holds both and is newer than every source (DOSSIERD_DEB_SKIP_BUILD=1 uses whatever is there).
# About 10 minutes on 2 cores from nothing. Needs swift, dpkg-deb, python3, gzip. Prints the
# path of the package.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=${1:-$root/.build/debian}

version=$(sed -n 's/.*softwareAgent = "dossierd\/\([^"]*\)".*/\1/p' Sources/DossierArchive/ArchivePacker.swift)
[ -n "$version" ] || { echo "build-deb.sh: no version in Sources/DossierArchive/ArchivePacker.swift" >&2; exit 2; }
arch=$(dpkg --print-architecture)

release=$root/.build/release
stale() {
  [ -x "$release/dossierd" ] && [ -x "$release/dossierctl" ] || return 0
  [ -n "$(find Sources Package.swift Package.resolved -newer "$release/dossierd" -print -quit)" ]
}
if [ "${DOSSIERD_DEB_SKIP_BUILD:-}" != 1 ] && stale; then
  swift build -c release --static-swift-stdlib --product dossierd
  swift build -c release --static-swift-stdlib --product dossierctl
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg=$stage/dossierd_${version}_${arch}
install -d "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/lib/systemd/system" "$pkg/usr/lib/sysusers.d" "$pkg/usr/lib/tmpfiles.d" \
  "$pkg/etc/dossierd" "$pkg/usr/share/man/man8" "$pkg/usr/share/doc/dossierd"

install -m 0755 -s "$release/dossierd" "$release/dossierctl" "$pkg/usr/bin/"
# The unit as shipped names /usr/local/bin (a manual install); the package installs to /usr/bin.
sed 's#/usr/local/bin/#/usr/bin/#g' systemd/dossierd.service > "$pkg/lib/systemd/system/dossierd.service"
chmod 0644 "$pkg/lib/systemd/system/dossierd.service"
install -m 0644 systemd/dossierd.sysusers "$pkg/usr/lib/sysusers.d/dossierd.conf"
install -m 0644 systemd/dossierd.tmpfiles "$pkg/usr/lib/tmpfiles.d/dossierd.conf"
install -m 0644 Config/dossierd.toml "$pkg/etc/dossierd/dossierd.toml"
install -m 0644 README.md docs/operations.md "$pkg/usr/share/doc/dossierd/"
gzip -9n "$pkg/usr/share/doc/dossierd/operations.md"

date=$(date -u +%Y-%m-%d)
for tool in dossierd dossierctl; do
  "$release/$tool" --experimental-dump-help | python3 contrib/debian/manpage.py 8 "$version" "$date" > "$pkg/usr/share/man/man8/$tool.8"
  gzip -9n "$pkg/usr/share/man/man8/$tool.8"
done

echo /etc/dossierd/dossierd.toml > "$pkg/DEBIAN/conffiles"
# What the binaries link (ldd) besides libc: the Swift runtime is inside them.
depends="libc6 (>= 2.36), libcurl4 (>= 7.88), libssl3 (>= 3.0), libstdc++6, libgcc-s1"
size=$(du -sk "$pkg" | cut -f1)
cat > "$pkg/DEBIAN/control" <<CONTROL
Package: dossierd
Version: $version
Architecture: $arch
Maintainer: dossierd maintainers <dossierd@localhost>
Installed-Size: $size
Depends: $depends
Section: net
Priority: optional
Description: vehicle registration archive exchange daemon
 dossierd moves signed vehicle registration archives between vehicle
 administration offices over mutual TLS, with a journaled outbox, signed
 receipts and an operator tool (dossierctl).
CONTROL
install -m 0755 contrib/debian/postinst contrib/debian/prerm contrib/debian/postrm "$pkg/DEBIAN/"

mkdir -p "$out"
dpkg-deb --root-owner-group --build "$pkg" "$out/dossierd_${version}_${arch}.deb" >/dev/null
echo "$out/dossierd_${version}_${arch}.deb"
