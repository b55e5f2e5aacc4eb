#!/bin/sh
# build.sh [configure options...] - (re)builds s3cgi in the source tree, running
# autoreconf and configure only when needed. Used by quickstart.sh and test.sh.
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] || autoreconf -fi >/dev/null
if [ ! -f Makefile ] || [ "$#" -gt 0 ]; then
    ./configure --quiet "$@"
fi
make -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
