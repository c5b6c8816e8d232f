#!/bin/sh
# Install the Debian packages the test suite needs when they are missing and we may (root with apt-get):
# PostgreSQL, chromium, and FFmpeg's development packages (to build `vpdq`, Meta's reference vPDQ, which
# the video tests compare our hashes with). Without root, the tests that need them are skipped with a
# message saying what to install.
#
# Usage: sh scripts/system-deps.sh [VENV_PYTHON]   — with a Python, also builds vpdq into it when missing.
set -u
need=""
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need="$need postgresql"
[ -x /usr/bin/chromium ] || need="$need chromium"  # the console browser tests (Playwright drives it)
# vpdq's build: pkg-config finds FFmpeg's libraries (its CMake also needs a C++ compiler, as pdqhash does)
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
for lib in libavcodec libavformat libavutil libswscale libavdevice libavfilter libswresample; do
    pkg-config --exists "$lib" 2>/dev/null || need="$need $lib-dev"
done
command -v c++ >/dev/null 2>&1 || need="$need g++"
if [ -n "$need" ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing Debian packages:$need"
        apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
    else
        echo "note: missing Debian packages:$need (install them to run every test)" >&2
    fi
fi
py="${1:-}"
if [ -n "$py" ] && [ -x "$py" ] && ! "$py" -c "import vpdq" >/dev/null 2>&1; then
    if pkg-config --exists libavcodec libavformat libavutil libswscale 2>/dev/null; then
        spec=$(grep -o '"vpdq==[^"]*"' pyproject.toml | tr -d '"')
        echo "building $spec (reference vPDQ) against the system's FFmpeg"
        "$py" -m pip install --quiet "$spec" || echo "note: $spec did not build; the reference video tests will be skipped" >&2
    else
        echo "note: FFmpeg development packages missing: the reference vPDQ tests will be skipped" >&2
    fi
fi
exit 0
