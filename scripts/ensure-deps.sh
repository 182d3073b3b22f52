#!/usr/bin/env bash
# Installs what Dealcast needs from Debian/Ubuntu packages when it is missing:
# GSL (libgsl-dev) and pkg-config, which SwiftPM uses to find GSL. Uses sudo only when not root.
# With --bench (make bench), also python3 with numpy and PyYAML, which bench/numpy_reference.py needs:
# pip first, then Debian's python3-numpy and python3-yaml where pip may not install (an
# externally managed Python).
set -euo pipefail

if [[ ${1:-} == --bench ]] && ! python3 -c 'import numpy, yaml' >/dev/null 2>&1; then
  echo "make bench needs numpy and PyYAML for python3; installing them…" >&2
  if ! { command -v python3 >/dev/null 2>&1 && python3 -m pip install --quiet numpy pyyaml >&2; }; then
    command -v apt-get >/dev/null 2>&1 || { echo "Install python3 with numpy and PyYAML (pip install numpy pyyaml), or run make bench BENCH_ARGS=--skip-numpy." >&2; exit 1; }
    sudo_py=""
    [[ $(id -u) -eq 0 ]] || sudo_py="sudo"
    echo "pip could not install them; installing python3-numpy and python3-yaml with apt-get…" >&2
    $sudo_py apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_py apt-get install -y -qq python3 python3-numpy python3-yaml >/dev/null
  fi
fi

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
