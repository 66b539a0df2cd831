#!/usr/bin/env bash
# Install and run Node's ftp-srv on loopback for ftpspec tests.
#
#   ftpsrv.sh install
#   ftpsrv.sh start <dir> <port> [ipv4|ipv6]   # dir may be "" -> mktemp; prints dir
#   ftpsrv.sh stop <dir>
#
# ftp-srv 4.6.3 comes from the npm registry: ftpsrv/package.json pins it and
# ftpsrv/package-lock.json every dependency; `npm ci` installs them into
# $FTPSPEC_CACHE/ftp-srv (install scripts off: only bunyan's optional
# dtrace-provider has one). Needs node >= 12 and npm. The server is
# ftpsrv_serve.js.
#
# Logins: ftpspec/ftpspec (read-write, <dir>/root) and anonymous (ftp-srv logs
# it in at USER, 230 without PASS; read-only, <dir>/anon). Both see their root as /.
# Passive ports: FTPSPEC_PASV_MIN..FTPSPEC_PASV_MAX (default port+1000..port+1019).
# TLS: FTPSPEC_TLS=explicit (AUTH TLS; clear sessions still allowed) or
# implicit (an ftps:// listener); certificates from lib.sh's ensure_certs in
# $FTPSPEC_CERT_DIR (default $FTPSPEC_CACHE/certs).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${FTPSPEC_CACHE:-$HOME/.cache/ftpspec}/ftp-srv"
VERSION=4.6.3   # keep in step with ftpsrv/package.json
WAIT_SECS="${FTPSPEC_WAIT_SECS:-10}"

die() { echo "ftpsrv.sh: $*" >&2; exit 1; }
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

installed() {
    [ -f "$CACHE/node_modules/ftp-srv/package.json" ] \
        && cmp -s "$HERE/ftpsrv/package-lock.json" "$CACHE/package-lock.json" \
        && node -e 'process.exit(require(process.argv[1]).version === process.argv[2] ? 0 : 1)' \
            "$CACHE/node_modules/ftp-srv/package.json" "$VERSION" 2>/dev/null
}

cmd_install() {
    command -v node >/dev/null || die "node is missing (apt-get install nodejs)"
    command -v npm >/dev/null || die "npm is missing (apt-get install npm)"
    installed && return 0
    mkdir -p "$CACHE"
    cp "$HERE/ftpsrv/package.json" "$HERE/ftpsrv/package-lock.json" "$CACHE/"
    (cd "$CACHE" && timeout 300 npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error) \
        || die "npm ci failed in $CACHE"
    installed || die "ftp-srv $VERSION not installed in $CACHE"
}

cmd_start() {
    local dir="${1:-}" port="${2:-}" family="${3:-ipv4}" addr
    [ -n "$port" ] || die "usage: start <dir> <port> [ipv4|ipv6]"
    case "$family" in
        ipv4) addr=127.0.0.1 ;;
        ipv6) addr=::1 ;;
        *) die "family must be ipv4 or ipv6, got: $family" ;;
    esac
    tls_mode explicit implicit
    installed || cmd_install
    local tls_args=()
    if [ -n "${FTPSPEC_TLS:-}" ]; then
        ensure_certs "$CERT_DIR"
        tls_args=(--tls "$FTPSPEC_TLS" --cert "$CERT_DIR/server.pem" --key "$CERT_DIR/server.key")
    fi
    if [ -z "$dir" ]; then dir="$(mktemp -d /tmp/ftpspec-ftpsrv.XXXXXX)"; fi
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [ -f "$dir/ftpsrv.pid" ] && kill -0 "$(cat "$dir/ftpsrv.pid")" 2>/dev/null; then
        die "already running in $dir (pid $(cat "$dir/ftpsrv.pid"))"
    fi
    mkdir -p "$dir/root" "$dir/anon/pub"
    [ -f "$dir/root/hello.txt" ] || printf 'hello from ftp-srv\r\n' >"$dir/root/hello.txt"
    [ -f "$dir/anon/pub/readme.txt" ] || printf 'anonymous readme\n' >"$dir/anon/pub/readme.txt"

    local pmin="${FTPSPEC_PASV_MIN:-$((port + 1000))}" pmax="${FTPSPEC_PASV_MAX:-$((port + 1019))}"
    : >"$dir/ftpsrv.log"
    setsid env NODE_PATH="$CACHE/node_modules" node "$HERE/ftpsrv_serve.js" \
        --root "$dir/root" --anon-root "$dir/anon" --host "$addr" --port "$port" \
        --pasv-min "$pmin" --pasv-max "$pmax" "${tls_args[@]}" \
        </dev/null >>"$dir/ftpsrv.log" 2>&1 &
    local pid=$!
    echo "$pid" >"$dir/ftpsrv.pid"
    wait_listening ftpsrv "$addr" "$port" "$pid" "$dir"
}

cmd_stop() {
    stop_server ftpsrv "$@"
}

case "${1:-}" in
    install) cmd_install ;;
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    *) echo "usage: $0 install | start <dir> <port> [ipv4|ipv6] | stop <dir>" >&2; exit 2 ;;
esac
