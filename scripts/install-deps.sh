#!/bin/sh
# install-deps.sh [build|serve|test|bench] - installs the Debian packages s3cgi needs for
# that purpose when any is missing (Debian 12 / Ubuntu). Needs root or sudo.
# Never starts the packaged web-server services: the project starts its own on
# loopback ports.
set -eu
what=${1:-build}
build="build-essential autoconf automake libtool pkg-config libfcgi-dev libssl-dev libexpat1-dev check attr"
serve="$build lighttpd nginx-light apache2 libapache2-mod-fcgid libapache2-mod-xsendfile spawn-fcgi fcgiwrap curl"
test="$serve awscli python3-boto3 s3cmd rclone valgrind clang libclang-rt-14-dev xxd"
bench="$serve libcurl4-openssl-dev bc valgrind"
case "$what" in
    build) pkgs=$build ;;
    serve) pkgs=$serve ;;
    test)  pkgs=$test ;;
    bench) pkgs=$bench ;;
    *) echo "usage: $0 [build|serve|test|bench]" >&2; exit 2 ;;
esac
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing="$missing $p"
done
# Node.js and npm (the AWS SDK v3 tests, s3rver in the benchmarks): Debian's packages
# only when no node/npm is installed at all (another Node.js package that bundles
# npm conflicts with Debian's npm).
if [ "$what" = test ] || [ "$what" = bench ]; then
    command -v node >/dev/null 2>&1 || missing="$missing nodejs"
    command -v npm >/dev/null 2>&1 || missing="$missing npm"
fi
[ -z "$missing" ] && exit 0
echo "install-deps: installing:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# Keep the packaged daemons from starting on install (policy-rc.d, exit 101 = forbidden).
prc=/usr/sbin/policy-rc.d
made_prc=0
if [ ! -e "$prc" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$prc" >/dev/null
    $SUDO chmod 755 "$prc"
    made_prc=1
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y --no-install-recommends $missing; then
    $SUDO apt-get update
    $SUDO apt-get install -y --no-install-recommends $missing
fi
[ "$made_prc" -eq 1 ] && $SUDO rm -f "$prc"
exit 0
