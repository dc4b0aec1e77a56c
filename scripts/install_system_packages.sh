#!/usr/bin/env bash
# Make sure the Debian packages the tracker needs are installed; install the missing ones when we
# can (root with apt-get), otherwise stop with the exact command to run.
#
#     scripts/install_system_packages.sh PACKAGE...      e.g. chromium libmagic1
#
# Called by the Makefile before `make test` (nginx, postgresql-client, chromium, libmagic1) and `make run`/`make serve`
# (libmagic1). When every package is present it only asks dpkg, so it is quick and changes nothing.
# A browser named by TRACKER_CHROMIUM, or a chromium on the PATH, stands in for the package.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 PACKAGE..." >&2
    exit 2
fi

present() {
    # The browser tests take TRACKER_CHROMIUM, else `chromium` on the PATH (tests/browser/conftest.py).
    if [ "$1" = chromium ]; then
        if [ -n "${TRACKER_CHROMIUM:-}" ]; then [ -x "${TRACKER_CHROMIUM}" ] && return 0; fi
        command -v chromium >/dev/null 2>&1 && return 0
    fi
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

if ! command -v dpkg-query >/dev/null 2>&1; then
    # Not Debian or Ubuntu: we cannot check or install; the tests say what is missing if it is.
    echo "note: no dpkg here; make sure these are installed: $*" >&2
    exit 0
fi

missing=()
for package in "$@"; do
    present "$package" || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

install_command="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing system packages: ${missing[*]}. Install them as root, then run make again:" >&2
    echo "    apt-get update && $install_command" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when apt does not know a package yet (a fresh image has none).
needs_update=false
for package in "${missing[@]}"; do
    if ! apt-cache policy "$package" 2>/dev/null | grep -q 'Candidate: [^(]'; then
        needs_update=true
    fi
done
echo "Installing system packages: ${missing[*]}" >&2
if $needs_update; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
elif ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    # Stale lists name versions the mirror no longer has: refresh once and try again.
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
for package in "${missing[@]}"; do
    if ! present "$package"; then
        echo "Installing $package did not work; run: apt-get update && $install_command" >&2
        exit 1
    fi
done
