#!/usr/bin/env bash
# Install and run vsftpd on loopback for ftpspec tests.
#
#   vsftpd.sh install
#   vsftpd.sh start <dir> <port> [ipv4|ipv6]   # dir may be "" -> mktemp; prints dir
#   vsftpd.sh stop <dir>
#
# The Debian package is never apt-get installed (it conflicts with other FTP
# servers): it is fetched with `apt-get download` and unpacked with
# `dpkg-deb -x` into $FTPSPEC_CACHE/vsftpd, together with libwrap0 which the
# Debian binary links against.
#
# Logins: local user ftpspec/ftpspec (created if missing, lands in <dir>/root,
# write enabled) and anonymous (read-only, <dir>/anon).
# Passive ports: FTPSPEC_PASV_MIN..FTPSPEC_PASV_MAX (default port+1000..port+1019).
# TLS: FTPSPEC_TLS=explicit (AUTH TLS on <port>, plain sessions still allowed)
# or implicit (TLS from the first byte); certificates from lib.sh's
# ensure_certs in $FTPSPEC_CERT_DIR (default $FTPSPEC_CACHE/certs).
set -euo pipefail

CACHE="${FTPSPEC_CACHE:-$HOME/.cache/ftpspec}/vsftpd"
ROOTFS="$CACHE/rootfs"
BIN="$ROOTFS/usr/sbin/vsftpd"
PAM_SERVICE="ftpspec-vsftpd"
WAIT_SECS="${FTPSPEC_WAIT_SECS:-10}"

die() { echo "vsftpd.sh: $*" >&2; exit 1; }
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_user() {
    ensure_users   # lib.sh: ftpspec/ftpspec and ftpspec-anon, shared with inetutils.sh
    # Our own PAM service: plain pam_unix via common-*, no ftpusers/shells checks.
    if [ ! -f "/etc/pam.d/$PAM_SERVICE" ]; then
        cat >"/etc/pam.d/$PAM_SERVICE" <<'EOF'
# ftpspec test vsftpd: plain local-user authentication.
@include common-auth
@include common-account
@include common-session
EOF
    fi
}

cmd_install() {
    [ "$(id -u)" = 0 ] || die "must run as root (creates a user, binds as root)"
    if [ ! -x "$BIN" ]; then
        mkdir -p "$CACHE/debs" "$ROOTFS"
        # apt-get download writes into the cwd; _apt cannot write to /root-owned
        # dirs which only yields a harmless warning.
        local pkg
        for pkg in vsftpd libwrap0; do
            if ! ls "$CACHE/debs/${pkg}"_*.deb >/dev/null 2>&1; then
                # Retry once after refreshing the package lists (fresh machines).
                (cd "$CACHE/debs" && apt-get download "$pkg") \
                    || { apt-get update && (cd "$CACHE/debs" && apt-get download "$pkg"); }
            fi
        done
        for deb in "$CACHE"/debs/*.deb; do dpkg-deb -x "$deb" "$ROOTFS"; done
        [ -x "$BIN" ] || die "vsftpd binary missing after unpack: $BIN"
    fi
    ensure_user
    # Like start-up errors, `vsftpd -v` writes to fd 0.
    LD_LIBRARY_PATH="$(libpath)" "$BIN" -v 0>&2 || true
}

libpath() {
    echo "$ROOTFS/lib/x86_64-linux-gnu:$ROOTFS/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
}

cmd_start() {
    local dir="${1:-}" port="${2:-}" family="${3:-ipv4}"
    [ -n "$port" ] || die "usage: start <dir> <port> [ipv4|ipv6]"
    tls_mode explicit implicit
    [ -x "$BIN" ] && [ -f "/etc/pam.d/$PAM_SERVICE" ] && users_ok || cmd_install
    if [ -z "$dir" ]; then dir="$(mktemp -d /tmp/ftpspec-vsftpd.XXXXXX)" && chmod 755 "$dir"; fi
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [ -f "$dir/vsftpd.pid" ] && kill -0 "$(cat "$dir/vsftpd.pid")" 2>/dev/null; then
        die "already running in $dir (pid $(cat "$dir/vsftpd.pid"))"
    fi

    local addr listen_lines
    case "$family" in
        ipv4) addr=127.0.0.1; listen_lines="listen=YES
listen_ipv6=NO
listen_address=127.0.0.1" ;;
        ipv6) addr=::1; listen_lines="listen=NO
listen_ipv6=YES
listen_address6=::1" ;;
        *) die "family must be ipv4 or ipv6, got: $family" ;;
    esac
    local pmin="${FTPSPEC_PASV_MIN:-$((port + 1000))}" pmax="${FTPSPEC_PASV_MAX:-$((port + 1019))}"

    # TLS: both clear and TLS sessions are allowed on one server (no force_*),
    # anonymous may use TLS too; data connections must resume the control
    # connection's TLS session (require_ssl_reuse=YES, vsftpd's default).
    local tls_lines="ssl_enable=NO"
    if [ -n "${FTPSPEC_TLS:-}" ]; then
        ensure_certs "$CERT_DIR"
        tls_lines="ssl_enable=YES
rsa_cert_file=$CERT_DIR/server.pem
rsa_private_key_file=$CERT_DIR/server.key
implicit_ssl=$([ "$FTPSPEC_TLS" = implicit ] && echo YES || echo NO)
allow_anon_ssl=YES
force_local_logins_ssl=NO
force_local_data_ssl=NO
force_anon_logins_ssl=NO
force_anon_data_ssl=NO
require_ssl_reuse=YES
ssl_request_cert=NO"
    fi

    # Layout: root/ (ftpspec's writable login dir), anon/ (anonymous, read-only),
    # empty/ (secure_chroot_dir: must exist, root-owned, not writable by others).
    mkdir -p "$dir/root" "$dir/anon/pub" "$dir/empty"
    chown root:root "$dir/empty" "$dir/anon" && chmod 755 "$dir/empty" "$dir/anon"
    [ -f "$dir/root/hello.txt" ] || printf 'hello from vsftpd\r\n' >"$dir/root/hello.txt"
    [ -f "$dir/anon/pub/readme.txt" ] || printf 'anonymous readme\n' >"$dir/anon/pub/readme.txt"
    chown -R "$FTP_USER" "$dir/root"
    # vsftpd enters local_root as the logged-in user, so every ancestor of
    # <dir>/root must be searchable by it: otherwise each login dies with a bare
    # "500 OOPS: " right after "230 Login successful." (mktemp -d makes 0700 dirs).
    chmod o+x "$dir"
    if ! runuser -u "$FTP_USER" -- test -w "$dir/root"; then
        die "user $FTP_USER cannot reach $dir/root: make its parent directories o+x"
    fi

    cat >"$dir/vsftpd.conf" <<EOF
$listen_lines
listen_port=$port
background=NO
seccomp_sandbox=NO
secure_chroot_dir=$dir/empty
pam_service_name=$PAM_SERVICE
nopriv_user=nobody
tcp_wrappers=NO
# local user (chrooted into local_root, so PWD replies are "/..." not /tmp paths)
local_enable=YES
write_enable=YES
local_root=$dir/root
local_umask=022
chroot_local_user=YES
allow_writeable_chroot=YES
# anonymous (always chrooted into anon_root, which must not be writable)
anonymous_enable=YES
anon_root=$dir/anon
ftp_username=$ANON_USER
no_anon_password=NO
anon_upload_enable=NO
anon_mkdir_write_enable=NO
# data connections
pasv_enable=YES
pasv_min_port=$pmin
pasv_max_port=$pmax
port_enable=YES
connect_from_port_20=NO
# misc
dirmessage_enable=NO
use_localtime=NO
xferlog_enable=YES
vsftpd_log_file=$dir/vsftpd-xfer.log
log_ftp_protocol=YES
idle_session_timeout=120
data_connection_timeout=60
max_clients=50
# TLS (FTPSPEC_TLS=${FTPSPEC_TLS:-})
$tls_lines
EOF

    # vsftpd reports start-up failures ("500 OOPS: ...") on fd 0 (its control
    # connection fd), not on stderr: so fd 0 must be the log file, opened for writing.
    : >"$dir/vsftpd.log"
    setsid env LD_LIBRARY_PATH="$(libpath)" "$BIN" "$dir/vsftpd.conf" \
        0>>"$dir/vsftpd.log" 1>>"$dir/vsftpd.log" 2>&1 &
    local pid=$!
    echo "$pid" >"$dir/vsftpd.pid"

    wait_listening vsftpd "$addr" "$port" "$pid" "$dir"
}

cmd_stop() {
    stop_server vsftpd "$@"
}

case "${1:-}" in
    install) cmd_install ;;
    start) shift; cmd_start "$@" ;;
    stop) shift; cmd_stop "$@" ;;
    *) echo "usage: $0 install | start <dir> <port> [ipv4|ipv6] | stop <dir>" >&2; exit 2 ;;
esac
