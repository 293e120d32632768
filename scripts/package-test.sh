#!/usr/bin/env bash
# Builds the Debian package from its own Release build (build/package: no sanitizers, no fault
# points, no tests), checks its contents, installs it with dpkg -i, runs the installed binary
# (--version; migrate and serve on a temporary SQLite database; GET /healthz), checks the
# systemd unit with `systemd-analyze verify` where systemd is present, and removes (purges) the
# package again, also when a step fails. Needs root (CI runs as root) and no rihla package
# installed by someone else.
# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
LOG_TAG=package-test
cd "$RIHLA_ROOT"

is_root || die "dpkg -i needs root"
if dpkg-query -W -f='${Status}' rihla 2>/dev/null | grep -q "installed"; then
  die "a rihla package is already installed; remove it first (dpkg -P rihla)"
fi

build=build/package
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DRIHLA_BUILD_TESTS=OFF -DRIHLA_SANITIZE=OFF \
  -DRIHLA_FAULT_POINTS=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target rihla
version=$(sed -n 's/^project(rihla VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
deb="$build/rihla_${version}_amd64.deb"
rm -f "$deb"
(cd "$build" && cpack -G DEB >/dev/null)
[[ -f $deb ]] || die "cpack made no $deb: $(ls "$build"/*.deb 2>/dev/null)"
log "built $deb"

# Contents: the binary, the unit, the environment file as a conffile.
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/rihla ./usr/lib/systemd/system/rihla.service ./etc/rihla/rihla.env; do
  grep -q " $f\$" <<<"$contents" || die "$deb lacks $f"
done
[[ $(dpkg-deb -f "$deb" Package Architecture Version | tr '\n' ' ') == "Package: rihla Architecture: amd64 Version: $version " ]] ||
  die "unexpected control fields: $(dpkg-deb -f "$deb" Package Architecture Version)"
dpkg-deb -I "$deb" conffiles | grep -qx /etc/rihla/rihla.env || die "/etc/rihla/rihla.env is not a conffile"

work=$(mktemp -d /tmp/rihla-package.XXXXXX)
server_pid=""
cleanup() {
  [[ -z $server_pid ]] || stop_pid "installed rihla" "$server_pid" TERM 10
  dpkg -P rihla >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

dpkg -i "$deb" >/dev/null
got=$(/usr/bin/rihla --version)
[[ $got == "rihla $version (commit $commit)" ]] || die "rihla --version printed '$got'"
log "installed: $got"

export RIHLA_DATABASE_URL="sqlite:$work/rihla.db"
/usr/bin/rihla migrate
port=$(pick_port "")
setsid /usr/bin/rihla serve --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server_pid=$!
wait_for 30 "installed rihla" "$server_pid" curl -fsS "http://127.0.0.1:$port/healthz" || {
  show_log "$work/serve.log"
  die "the installed rihla did not answer /healthz"
}
[[ $(curl -fsS "http://127.0.0.1:$port/healthz") == '{"status":"ok"}' ]] || die "unexpected /healthz body"
stop_pid "installed rihla" "$server_pid" TERM 10
server_pid=""
log "installed binary migrated and served /healthz"

if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify /usr/lib/systemd/system/rihla.service
  log "systemd-analyze verify: rihla.service is valid"
else
  log "systemd-analyze not present: unit not verified"
fi

dpkg -P rihla >/dev/null
[[ ! -e /usr/bin/rihla && ! -e /etc/rihla/rihla.env ]] || die "dpkg -P left files behind"
log "package installed, run and purged"
