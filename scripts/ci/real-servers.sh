#!/usr/bin/env bash
# Run a command next to real FTP servers, inside a private network namespace.
#
#   scripts/ci/real-servers.sh <command...>
#
# e.g. (build first, outside: cargo cannot reach the network in the namespace)
#   cargo test --no-run --test real_servers
#   scripts/ci/real-servers.sh cargo test --offline --test real_servers -- --nocapture
#   FTPSPEC_UPDATE_EXPECTATIONS=1 scripts/ci/real-servers.sh cargo test --offline --test real_servers -- --nocapture
#
# 1. Outside: makes sure ip/ss (iproute2), unshare/runuser (util-linux),
#    python3-venv, openssl, and for the servers that need them gcc, make,
#    libgnutls28-dev (LightFTP) and nodejs/npm (ftp-srv) are there (apt-get),
#    installs the servers with scripts/servers/<server>.sh install
#    (idempotent; cached in $FTPSPEC_CACHE) and makes the TLS certificates
#    (lib.sh's ensure_certs, in $FTPSPEC_CERT_DIR, default $FTPSPEC_CACHE/certs).
# 2. Re-executes itself under `unshare -n` (a fresh network namespace whose only
#    interface is lo, brought up here), so PORT/EPRT can never reach anything
#    but loopback. Needs root.
# 3. Starts, all at once, each with a throwaway root (the LIST below):
#      plain                                    passive
#      vsftpd             127.0.0.1:2121        3100-3149
#      vsftpd-ipv6        [::1]:2122            3200-3249
#      pyftpdlib          127.0.0.1:2221        3300-3349
#      pyftpdlib-ipv6     [::1]:2222            3400-3449
#      inetutils          127.0.0.1:2521        kernel's ephemeral ports (no option)
#      inetutils-ipv6     [::1]:2522            kernel's ephemeral ports
#      ftpsrv             127.0.0.1:2321        3500-3549
#      ftpsrv-ipv6        [::1]:2322            3550-3599
#      lightftp           127.0.0.1:2421        10000-10999 (LightFTP is IPv4 only; see below)
#      TLS (explicit = AUTH TLS; implicit = TLS from the first byte)
#      vsftpd-tls                 127.0.0.1:2131  3650-3699
#      vsftpd-tls-ipv6            [::1]:2132      3700-3749
#      vsftpd-tls-implicit        127.0.0.1:2133  3750-3799
#      vsftpd-tls-implicit-ipv6   [::1]:2134      3800-3849
#      pyftpdlib-tls              127.0.0.1:2231  3850-3899   (no implicit TLS)
#      pyftpdlib-tls-ipv6         [::1]:2232      3900-3949
#      ftpsrv-tls                 127.0.0.1:2331  3950-3999
#      ftpsrv-tls-ipv6            [::1]:2332      4000-4049
#      ftpsrv-tls-implicit        127.0.0.1:2333  4050-4099
#      ftpsrv-tls-implicit-ipv6   [::1]:2334      4100-4149
#      lightftp-tls               127.0.0.1:2431  11000-11999 (no implicit TLS)
#    (inetutils ftpd has no TLS at all.) The plain servers go to a targets file
#    of `name<TAB>url` lines (login ftpspec/ftpspec, e.g.
#    `vsftpd<TAB>ftp://ftpspec:ftpspec@127.0.0.1:2121/`), exported as
#    FTPSPEC_TARGETS; the TLS ones to a second file of the same shape, exported
#    as FTPSPEC_TLS_TARGETS, with `ftpes://...` URLs for explicit and
#    `ftps://...` for implicit TLS; FTPSPEC_TLS_CA is the CA certificate
#    (ca.pem) that signed the servers' certificate (for localhost, 127.0.0.1, ::1).
# 4. Runs the command there (bounded by FTPSPEC_CI_TIMEOUT seconds, default
#    1800), stops the servers and exits with the command's status (124 on timeout).
#
# FTPSPEC_SERVERS="vsftpd lightftp-tls ..." starts only the targets whose
# server (vsftpd, pyftpdlib, inetutils, ftpsrv, lightftp) or whose target name
# is in the list (default: all), e.g. FTPSPEC_SERVERS=lightftp for both
# lightftp and lightftp-tls; only what they need is installed.
# FTPSPEC_KEEP_WORK=1 keeps the work directory (server logs) for inspection;
# FTPSPEC_SERVERS_DIR=<dir> uses another copy of scripts/servers.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SERVERS="${FTPSPEC_SERVERS_DIR:-$REPO/scripts/servers}"   # override to try patched server scripts
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
export FTPSPEC_CACHE="${FTPSPEC_CACHE:-$HOME/.cache/ftpspec}"
CMD_TIMEOUT="${FTPSPEC_CI_TIMEOUT:-1800}"
ALL_SERVERS="vsftpd pyftpdlib inetutils ftpsrv lightftp"
SELECTED="${FTPSPEC_SERVERS:-$ALL_SERVERS}"

# name                      server     family tls      port pasv-min ("-": no range)
LIST='
vsftpd                      vsftpd     ipv4   -        2121 3100
vsftpd-ipv6                 vsftpd     ipv6   -        2122 3200
pyftpdlib                   pyftpdlib  ipv4   -        2221 3300
pyftpdlib-ipv6              pyftpdlib  ipv6   -        2222 3400
inetutils                   inetutils  ipv4   -        2521 -
inetutils-ipv6              inetutils  ipv6   -        2522 -
ftpsrv                      ftpsrv     ipv4   -        2321 3500
ftpsrv-ipv6                 ftpsrv     ipv6   -        2322 3550
lightftp                    lightftp   ipv4   -        2421 10000
vsftpd-tls                  vsftpd     ipv4   explicit 2131 3650
vsftpd-tls-ipv6             vsftpd     ipv6   explicit 2132 3700
vsftpd-tls-implicit         vsftpd     ipv4   implicit 2133 3750
vsftpd-tls-implicit-ipv6    vsftpd     ipv6   implicit 2134 3800
pyftpdlib-tls               pyftpdlib  ipv4   explicit 2231 3850
pyftpdlib-tls-ipv6          pyftpdlib  ipv6   explicit 2232 3900
ftpsrv-tls                  ftpsrv     ipv4   explicit 2331 3950
ftpsrv-tls-ipv6             ftpsrv     ipv6   explicit 2332 4000
ftpsrv-tls-implicit         ftpsrv     ipv4   implicit 2333 4050
ftpsrv-tls-implicit-ipv6    ftpsrv     ipv6   implicit 2334 4100
lightftp-tls                lightftp   ipv4   explicit 2431 11000
'

selected() { # name server -- true if FTPSPEC_SERVERS selects this target
    case " $SELECTED " in *" $1 "*|*" $2 "*) return 0 ;; esac
    return 1
}

selected_servers() { # the servers with at least one selected target
    local name server rest out=" "
    while read -r name server rest; do
        [ -n "$name" ] || continue
        selected "$name" "$server" && case "$out" in *" $server "*) ;; *) out+="$server " ;; esac
    done <<<"$LIST"
    echo "$out"
}

die() { echo "real-servers.sh: $*" >&2; exit 2; }
log() { echo "real-servers.sh: $*" >&2; }

[ $# -gt 0 ] || die "usage: $0 <command...>   (e.g. cargo test --offline --test real_servers)"
[ "$(id -u)" = 0 ] || die "must run as root (vsftpd setup, unshare -n)"
for s in $SELECTED; do
    grep -qE "^$s |^[^ ]+ +$s " <<<"$LIST" || die "FTPSPEC_SERVERS: unknown server or target: $s"
done
SERVERS_USED="$(selected_servers)"
uses() { case "$SERVERS_USED" in *" $1 "*) return 0 ;; esac; return 1; }
# lib.sh: ensure_certs and CERT_DIR (it expects die and WAIT_SECS).
WAIT_SECS="${FTPSPEC_WAIT_SECS:-10}"
# shellcheck source=../servers/lib.sh
. "$SERVERS/lib.sh"

apt_updated=0
apt_install() { # packages...
    command -v apt-get >/dev/null || die "missing $*, and no apt-get to install them"
    # Refresh the lists first on CI or when they were never fetched (fresh machine);
    # otherwise only when the install fails.
    if [ "$apt_updated" = 0 ] && { [ -n "${CI:-}" ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v '^lock$\|^partial$')" ]; }; then
        apt-get update -qq && apt_updated=1
    fi
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; then
        [ "$apt_updated" = 1 ] && die "apt-get install $* failed"
        apt-get update -qq && apt_updated=1
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
    fi
}

ensure_tools() {
    local pkgs=()
    command -v ip >/dev/null && command -v ss >/dev/null || pkgs+=(iproute2)
    command -v unshare >/dev/null && command -v runuser >/dev/null || pkgs+=(util-linux)
    command -v python3 >/dev/null || pkgs+=(python3)
    # pyftpdlib.sh makes a venv; Debian's python3 needs python3-venv for ensurepip.
    # Only needed until the venv exists.
    if [ ! -x "$FTPSPEC_CACHE/venv/bin/python" ] \
        && ! { command -v python3 >/dev/null && python3 -c 'import venv, ensurepip' 2>/dev/null; }; then
        pkgs+=(python3-venv)
    fi
    # vsftpd.sh needs useradd/usermod/chpasswd (passwd) and dpkg-deb (dpkg);
    # both are on every Debian, so just check.
    command -v useradd >/dev/null && command -v chpasswd >/dev/null || pkgs+=(passwd)
    command -v openssl >/dev/null || pkgs+=(openssl)
    if uses lightftp && [ ! -x "$FTPSPEC_CACHE/lightftp/d28c5e0/fftp" ]; then
        command -v gcc >/dev/null || pkgs+=(gcc libc6-dev)
        command -v make >/dev/null || pkgs+=(make)
        [ -f /usr/include/gnutls/gnutls.h ] || pkgs+=(libgnutls28-dev)
    fi
    if uses ftpsrv && ! { command -v node >/dev/null && command -v npm >/dev/null; }; then
        pkgs+=(nodejs npm)
    fi
    if [ ${#pkgs[@]} -gt 0 ]; then
        log "installing ${pkgs[*]}"
        apt_install "${pkgs[@]}"
    fi
}

if [ "${FTPSPEC_REAL_SERVERS_NETNS:-}" != 1 ]; then
    # ---- outside: tools, server installs, then into a private namespace ----
    ensure_tools
    if [ -n "${CI:-}" ] && [ "$apt_updated" = 0 ] \
        && { { uses vsftpd && [ ! -x "$FTPSPEC_CACHE/vsftpd/rootfs/usr/sbin/vsftpd" ]; } \
            || { uses inetutils && [ ! -x "$FTPSPEC_CACHE/inetutils/rootfs/usr/sbin/ftpd" ]; }; }; then
        apt-get update -qq && apt_updated=1
    fi
    # vsftpd.sh and inetutils.sh themselves retry `apt-get download` once after
    # `apt-get update`.
    if uses vsftpd; then
        "$SERVERS/vsftpd.sh" install >/dev/null 2>&1 || "$SERVERS/vsftpd.sh" install
    fi
    if uses inetutils; then
        "$SERVERS/inetutils.sh" install >/dev/null 2>&1 || "$SERVERS/inetutils.sh" install
    fi
    uses pyftpdlib && "$SERVERS/pyftpdlib.sh" install
    uses ftpsrv && "$SERVERS/ftpsrv.sh" install
    uses lightftp && "$SERVERS/lightftp.sh" install
    ensure_certs "$CERT_DIR"
    FTPSPEC_REAL_SERVERS_NETNS=1 exec unshare -n "$SELF" "$@"
    die "unshare -n failed"
fi

# ---- inside the private network namespace ----
# Refuse to go on if this is not a namespace of our own (anything but lo).
others="$(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -vx lo || true)"
[ -z "$others" ] || die "not in a private network namespace (interfaces: $others)"
ip link set lo up
# ::1 on lo: a fresh namespace normally has it at once; enable IPv6 if off.
if [ "$(cat /proc/sys/net/ipv6/conf/lo/disable_ipv6 2>/dev/null || echo 1)" != 0 ]; then
    sysctl -qw net.ipv6.conf.lo.disable_ipv6=0 2>/dev/null || true
fi
for ((i = 0; i < 50; i++)); do
    ip -6 addr show dev lo 2>/dev/null | grep -q 'inet6 ::1/128' && break
    sleep 0.1
done
ip -6 addr show dev lo | grep -q 'inet6 ::1/128' || die "::1 did not come up on lo"

work="$(mktemp -d /tmp/ftpspec-ci.XXXXXX)"
chmod 755 "$work"   # vsftpd's local user must be able to traverse into it
started=()
cleanup() {
    local d
    # In parallel: each stop takes a couple of seconds.
    for d in "${started[@]}"; do "$SERVERS/${d%%:*}.sh" stop "${d#*:}" >/dev/null 2>&1 & done
    wait
    if [ "${FTPSPEC_KEEP_WORK:-}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
cpid=
on_signal() { # forward to the command (timeout passes it on), then clean up
    [ -n "$cpid" ] && kill -"$1" "$cpid" 2>/dev/null && wait "$cpid" 2>/dev/null
    exit "$2"
}
trap cleanup EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM

targets="$work/targets.tsv"
tls_targets="$work/tls-targets.tsv"
: >"$targets"
: >"$tls_targets"
ensure_certs "$CERT_DIR"   # made outside already; this only checks them
# Start every selected server at once (each start waits until its server
# listens, up to FTPSPEC_WAIT_SECS), then check them in LIST order.
names=() pids=()
while read -r name server family tls port pmin; do
    [ -n "$name" ] && selected "$name" "$server" || continue
    dir="$work/$name"
    mkdir -p "$dir"
    started+=("$server:$dir")
    [ "$tls" = - ] && tls=
    if [ "$pmin" = - ]; then pmax=-; else pmax=$((pmin + 49)); fi
    # LightFTP binds its passive port without SO_REUSEADDR, so a port whose
    # last data connection is in TIME_WAIT (60 s) cannot be bound again:
    # with 50 ports a suite run exhausts them (451 to PASV). 1000 do not.
    [ "$server" = lightftp ] && [ "$pmin" != - ] && pmax=$((pmin + 999))
    (
        [ "$pmin" = - ] || export FTPSPEC_PASV_MIN="$pmin" FTPSPEC_PASV_MAX="$pmax"
        FTPSPEC_TLS="$tls" exec "$SERVERS/$server.sh" start "$dir" "$port" "$family"
    ) >/dev/null 2>"$work/$name.start.log" &
    names+=("$name") pids+=("$!")
done <<<"$LIST"
failed=()
for k in "${!pids[@]}"; do
    wait "${pids[$k]}" || failed+=("${names[$k]}")
done
for name in "${failed[@]}"; do
    log "$name did not start:"
    cat "$work/$name.start.log" >&2
done
[ ${#failed[@]} = 0 ] || die "servers did not start: ${failed[*]}"
while read -r name server family tls port pmin; do
    [ -n "$name" ] && selected "$name" "$server" || continue
    host=127.0.0.1; [ "$family" = ipv6 ] && host='[::1]'
    case "$tls" in
        -) printf '%s\tftp://ftpspec:ftpspec@%s:%s/\n' "$name" "$host" "$port" >>"$targets" ;;
        explicit) printf '%s\tftpes://ftpspec:ftpspec@%s:%s/\n' "$name" "$host" "$port" >>"$tls_targets" ;;
        implicit) printf '%s\tftps://ftpspec:ftpspec@%s:%s/\n' "$name" "$host" "$port" >>"$tls_targets" ;;
    esac
done <<<"$LIST"
log "started: $(cut -f1 "$targets" "$tls_targets" | tr '\n' ' ')"
export FTPSPEC_TARGETS="$targets"
export FTPSPEC_TLS_TARGETS="$tls_targets"
export FTPSPEC_TLS_CA="$CERT_DIR/ca.pem"

rc=0
timeout -k 10 "$CMD_TIMEOUT" "$@" &
cpid=$!
wait "$cpid" || rc=$?
cpid=
[ "$rc" = 124 ] && log "command timed out after ${CMD_TIMEOUT}s: $*"
exit "$rc"
