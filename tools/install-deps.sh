#!/usr/bin/env bash
# Installs what the build and the tests need: Debian packages (OpenBLAS OpenMP build, LLVM
# OpenMP runtime, libpng, libjpeg-turbo, libdeflate, pkg-config; Open MPI and its mpirun for
# data-parallel training; Chromium, its driver and python3-venv
# for the browser test of `stylegan serve`), then Selenium into the git-ignored venv
# .venv-browser. Each step is skipped when already done, so a second run takes a moment.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libopenblas-openmp-dev libomp-dev libpng-dev libjpeg62-turbo-dev libdeflate-dev pkg-config
          libopenmpi-dev openmpi-bin chromium chromium-driver python3-venv)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all packages present"
else
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "install-deps: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Selenium (PyPI) for tools/browser_test.py, in .venv-browser.
venv=.venv-browser
if "$venv/bin/python" -c "import selenium" 2>/dev/null; then
    echo "install-deps: selenium present in $venv"
else
    echo "install-deps: installing selenium into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check selenium
fi
