#!/bin/sh
# quickstart.sh --root DIR [s3cgi-serve options] - on a fresh Debian 12 / Ubuntu
# machine: installs the missing packages, builds s3cgi, and serves DIR over S3
# (lighttpd + FastCGI on 127.0.0.1:8080 unless told otherwise; see s3cgi-serve --help).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
# the data root may not exist yet on a first run
prev=""
for a in "$@"; do
    case "$prev" in --root) mkdir -p "$a" ;; esac
    case "$a" in --root=*) mkdir -p "${a#--root=}" ;; esac
    prev=$a
done
"$top/scripts/install-deps.sh" serve
"$top/scripts/build.sh"
exec "$top/s3cgi-serve" "$@"
