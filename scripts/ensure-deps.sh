#!/usr/bin/env bash
# Installs what Dealcast needs from Debian/Ubuntu packages when it is missing:
# GSL (libgsl-dev) and pkg-config, which SwiftPM uses to find GSL. Uses sudo only when not root.
set -euo pipefail

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if ! { command -v pkg-config >/dev/null 2>&1 && pkg-config --exists gsl; }; then
  missing+=(libgsl-dev)
fi
((${#missing[@]})) || exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "Dealcast needs ${missing[*]} (GSL and pkg-config); install them with your package manager." >&2
  exit 1
fi
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "Installing ${missing[*]} needs root or sudo." >&2; exit 1; }
  sudo="sudo"
fi
echo "Installing ${missing[*]} with apt-get…" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
