#!/bin/sh
# Install the Debian packages the test suite needs (PostgreSQL, chromium), when they are missing and we may (root with apt-get).
# Without root, the tests that need them are skipped with a message saying what to install.
set -u
need=""
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need="$need postgresql"
[ -x /usr/bin/chromium ] || need="$need chromium"  # the console browser tests (Playwright drives it)
[ -z "$need" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages:$need"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
else
    echo "note: missing Debian packages:$need (install them to run every test)" >&2
fi
