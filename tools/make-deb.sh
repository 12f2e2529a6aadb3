#!/usr/bin/env bash
# Builds the Debian package and checks what is in it:
#   tools/make-deb.sh [BUILD_DIR]     (default build-deb)
# configures a build for /usr (no tests, no benchmarks), builds it, runs
# `cpack -G DEB`, and checks the package's file list (dpkg-deb -c) and its
# dependencies (dpkg-deb -f) against what a plant needs. Prints the package's
# path last. With ccache set up, a tree already built elsewhere rebuilds fast.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-deb}
jobs=${JOBS:-$(nproc)}
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DWELLMONITOR_TESTS=OFF -DWELLMONITOR_BENCH=OFF "${launcher[@]}" >/dev/null
cmake --build "$build" -j "$jobs"
rm -f "$build"/wellmonitor_*.deb
(cd "$build" && cpack -G DEB >/dev/null)
deb=$(ls "$build"/wellmonitor_*.deb)

listing=$(dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|')
plugindir=$(pkg-config --variable=pluginsdir gstreamer-1.0)
missing=0
for path in /usr/bin/wellmonitor-run /usr/bin/wellmonitor-trainer /usr/bin/wellmonitor-replay \
            "$plugindir/libgstwellmonitor.so" /usr/share/wellmonitor/default.wmm \
            /usr/share/wellmonitor/casting-table.wells.txt /usr/share/wellmonitor/pipelines/rtsp.sh \
            /usr/lib/systemd/system/wellmonitor@.service /etc/wellmonitor/example.conf \
            /usr/share/wellmonitor/mosquitto/wellmonitor-bridge.conf \
            /usr/share/wellmonitor/prometheus/wellmonitor-alerts.yml /usr/share/doc/wellmonitor/service.md; do
  if ! grep -qxF "$path" <<<"$listing"; then
    echo "make-deb: $deb lacks $path" >&2
    missing=1
  fi
done
depends=$(dpkg-deb -f "$deb" Depends)
for package in libgstreamer1.0-0 libtorch libmicrohttpd libsystemd0 libmosquitto gstreamer1.0-plugins-good; do
  if ! grep -q "$package" <<<"$depends"; then
    echo "make-deb: $deb does not depend on $package (Depends: $depends)" >&2
    missing=1
  fi
done
if ! dpkg-deb -I "$deb" conffiles | grep -qx /etc/wellmonitor/example.conf; then
  echo "make-deb: /etc/wellmonitor/example.conf is not a conffile" >&2
  missing=1
fi
# the unit as installed: the program's path and the config's
unit=$(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/lib/systemd/system/wellmonitor@.service)
grep -q '^ExecStart=/usr/bin/wellmonitor-run --config /etc/wellmonitor/%i.conf$' <<<"$unit" || {
  echo "make-deb: the unit does not run /usr/bin/wellmonitor-run --config /etc/wellmonitor/%i.conf" >&2
  missing=1
}
((missing == 0)) || exit 1
echo "make-deb: $(wc -l <<<"$listing") entries, Depends: $depends"
echo "$deb"
