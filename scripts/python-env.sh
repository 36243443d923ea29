#!/usr/bin/env bash
# python_env DIR PACKAGE...: a Python virtual environment at DIR with the
# packages installed (only the tests' Jupyter clients and JupyterLab use
# Python). Installs python3-venv from Debian when venv is missing. Sourced.

python_env() {
    local dir=$1
    shift
    if ! python3 -c "import venv, ensurepip" 2>/dev/null; then
        echo "setup: installing Debian packages: python3-venv"
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
    fi
    [ -x "$dir/bin/python" ] || python3 -m venv "$dir"
    # Reinstall only when the package list changed.
    local wanted="$*"
    if [ "$(cat "$dir/.packages" 2>/dev/null)" != "$wanted" ]; then
        "$dir/bin/pip" install -q --disable-pip-version-check "$@"
        echo "$wanted" > "$dir/.packages"
    fi
}
