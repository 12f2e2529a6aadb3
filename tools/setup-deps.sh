#!/usr/bin/env bash
# Installs the Debian 12 packages wellmonitor needs to build, test and run.
# Only missing packages are installed; nothing is downloaded from elsewhere.
#   tools/setup-deps.sh [--bench]   (--bench adds python3-torch for the Python reference)
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config meson
  libtorch-dev libopenblas0-openmp
  libopencv-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-plugins-base-apps
  libcli11-dev nlohmann-json3-dev libfmt-dev
  libsystemd-dev libmicrohttpd-dev systemd prometheus
  libgtest-dev
  libmosquitto-dev mosquitto mosquitto-clients python3-paho-mqtt openssl python3-gi gir1.2-gst-rtsp-server-1.0
  libgstrtspserver-1.0-dev gstreamer1.0-x xvfb
  clang-14 libfuzzer-14-dev valgrind
  libjs-chart.js chromium python3-torch python3-pil python3-numpy
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(python3-torch python3-pil python3-numpy)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  echo "setup-deps: all ${#packages[@]} packages present"
  exit 0
fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
echo "setup-deps: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
