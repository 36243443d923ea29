#!/usr/bin/env bash
# Installs what the project needs on a Debian machine with the Swift toolchain:
# the Debian -dev packages of the C libraries it links. Safe to run again;
# it installs only what is missing. Sourced by scripts/main.sh and
# scripts/test.sh.
set -euo pipefail

# debian_packages PACKAGE...: installs those of the packages that are missing.
debian_packages() {
    local missing=() p sudo=""
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    echo "setup: installing Debian packages: ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "setup: need root or sudo to install ${missing[*]}" >&2; exit 1; }
        sudo="sudo"
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

debian_packages pkg-config libzmq3-dev libopenblas-dev libdnnl-dev libpng-dev libjpeg62-turbo-dev libcairo2-dev \
    fonts-dejavu-core

if ! command -v swift >/dev/null; then
    if [ -x /opt/swift/usr/bin/swift ]; then
        export PATH="/opt/swift/usr/bin:$PATH"
    else
        echo "setup: the Swift toolchain (swift 6.x) is not on PATH; install it from swift.org first." >&2
        exit 1
    fi
fi
