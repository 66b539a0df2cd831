#!/usr/bin/env bash
# Install and run pyftpdlib on loopback for ftpspec tests.
#
#   pyftpdlib.sh install
#   pyftpdlib.sh start <dir> <port> [ipv4|ipv6]   # dir may be "" -> mktemp; prints dir
#   pyftpdlib.sh stop <dir>
#
# pyftpdlib comes from PyPI into a venv at $FTPSPEC_CACHE/venv (override the
# version with FTPSPEC_PYFTPDLIB_VERSION, the interpreter with FTPSPEC_PYTHON),
# with pyOpenSSL (FTPSPEC_PYOPENSSL_VERSION) for its TLS_FTPHandler.
# Logins: ftpspec/ftpspec (perm elradfmwMT on <dir>/root), anonymous
# (read-only, <dir>/anon). Passive ports: FTPSPEC_PASV_MIN..FTPSPEC_PASV_MAX
# (default port+1000..port+1019).
# TLS: FTPSPEC_TLS=explicit (AUTH TLS; clear sessions still allowed). pyftpdlib
# has no implicit TLS. Certificates: lib.sh's ensure_certs in $FTPSPEC_CERT_DIR.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${FTPSPEC_CACHE:-$HOME/.cache/ftpspec}/venv"
PY="$VENV/bin/python"
VERSION="${FTPSPEC_PYFTPDLIB_VERSION:-2.2.0}"
PYOPENSSL_VERSION="${FTPSPEC_PYOPENSSL_VERSION:-25.3.0}"
WAIT_SECS="${FTPSPEC_WAIT_SECS:-10}"

die() { echo "pyftpdlib.sh: $*" >&2; exit 1; }
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

installed() {
    [ -x "$PY" ] && "$PY" -c '
import sys, pyftpdlib, OpenSSL
sys.exit(pyftpdlib.__ver__ != sys.argv[1] or OpenSSL.__version__ != sys.argv[2])
' "$VERSION" "$PYOPENSSL_VERSION" 2>/dev/null
}

cmd_install() {
    installed && return 0
    local base="${FTPSPEC_PYTHON:-python3}"
    [ -x "$PY" ] || "$base" -m venv "$VENV"
    "$PY" -m pip install --quiet --disable-pip-version-check "pyftpdlib==$VERSION" \
        "pyopenssl==$PYOPENSSL_VERSION"
    installed || die "pyftpdlib $VERSION / pyOpenSSL $PYOPENSSL_VERSION not importable from $VENV"
}

cmd_start() {
    local dir="${1:-}" port="${2:-}" family="${3:-ipv4}" addr
    [ -n "$port" ] || die "usage: start <dir> <port> [ipv4|ipv6]"
    case "$family" in
        ipv4) addr=127.0.0.1 ;;
        ipv6) addr=::1 ;;
        *) die "family must be ipv4 or ipv6, got: $family" ;;
    esac
    tls_mode explicit
    installed || cmd_install
    local tls_args=()
    if [ -n "${FTPSPEC_TLS:-}" ]; then
        ensure_certs "$CERT_DIR"
        tls_args=(--tls "$FTPSPEC_TLS" --certfile "$CERT_DIR/server.pem" --keyfile "$CERT_DIR/server.key")
    fi
    if [ -z "$dir" ]; then dir="$(mktemp -d /tmp/ftpspec-pyftpdlib.XXXXXX)"; fi
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [ -f "$dir/pyftpdlib.pid" ] && kill -0 "$(cat "$dir/pyftpdlib.pid")" 2>/dev/null; then
        die "already running in $dir (pid $(cat "$dir/pyftpdlib.pid"))"
    fi
    mkdir -p "$dir/root" "$dir/anon/pub"
    [ -f "$dir/root/hello.txt" ] || printf 'hello from pyftpdlib\r\n' >"$dir/root/hello.txt"
    [ -f "$dir/anon/pub/readme.txt" ] || printf 'anonymous readme\n' >"$dir/anon/pub/readme.txt"

    local pmin="${FTPSPEC_PASV_MIN:-$((port + 1000))}" pmax="${FTPSPEC_PASV_MAX:-$((port + 1019))}"
    : >"$dir/pyftpdlib.log"
    setsid "$PY" "$HERE/pyftpd_serve.py" --root "$dir/root" --anon-root "$dir/anon" \
        --host "$addr" --port "$port" --pasv-min "$pmin" --pasv-max "$pmax" "${tls_args[@]}" \
        </dev/null >>"$dir/pyftpdlib.log" 2>&1 &
    local pid=$!
    echo "$pid" >"$dir/pyftpdlib.pid"
    wait_listening pyftpdlib "$addr" "$port" "$pid" "$dir"
}

cmd_stop() {
    stop_server pyftpdlib "$@"
}

case "${1:-}" in
    install) cmd_install ;;
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    *) echo "usage: $0 install | start <dir> <port> [ipv4|ipv6] | stop <dir>" >&2; exit 2 ;;
esac
