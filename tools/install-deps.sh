#!/usr/bin/env bash
# Installs the Debian packages the build needs (OpenBLAS OpenMP build, LLVM OpenMP
# runtime, libpng, libjpeg-turbo, pkg-config). Skips apt entirely when all are present.
set -euo pipefail

packages=(libopenblas-openmp-dev libomp-dev libpng-dev libjpeg62-turbo-dev pkg-config)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all packages present"
    exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
