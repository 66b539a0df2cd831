#!/usr/bin/env bash
# Reach benchmark: how much of a real server's code ftpspec reaches, measured
# with gcov on LightFTP 5980ea1 (the LightFTP subject of ProFuzzBench).
#
#   sudo scripts/bench/coverage.sh
#   sudo FTPSPEC_COVERAGE_SHORT=20s FTPSPEC_COVERAGE_LONG=0 scripts/bench/coverage.sh   # quick check
#
# What it does:
#  1. Outside: installs what is missing (as root: apt-get gcc libc6-dev
#     libgnutls28-dev iproute2 util-linux openssl python3-venv; pip, into the
#     venv $FTPSPEC_CACHE/coverage-venv: gcovr and boofuzz, pinned below),
#     uses $FTPSPEC_BIN (default target/release/ftpspec; `cargo build
#     --release` only if it is missing) and builds LightFTP from
#     third_party/lightftp/lightftp-5980ea1.tar.gz with `gcc --coverage`
#     (-O0 unless FTPSPEC_COVERAGE_OPT says otherwise) into a fresh work
#     directory /tmp/ftpspec-coverage.XXXXXX (never in the repository).
#  2. Re-runs itself under `unshare -n` (a private network namespace whose only
#     interface is lo, brought up there: nothing but loopback is reachable;
#     `unshare -r -n` when not root), bounded by `timeout`. There, each run
#     starts from no .gcda files, one server and one client at a time:
#       server start/stop only   no client: what merely starting costs
#       suite ftp://             ftpspec run --target ftp://ftpspec:ftpspec@127.0.0.1:PORT/
#       suite ftp:// + ftpes://  the same, then again over AUTH TLS
#                                (ftpes://..., --insecure), coverage summed
#       ftpspec fuzz SHORT|LONG  ftpspec fuzz --duration ... --target-cmd (restarts a
#                                crashed server) --jobs 1 --seed 1
#       ... then ftpes:// TLS    after the LONG fuzz run (SHORT if no LONG), counters
#                                kept: ftpspec fuzz --target ftpes://... --insecure
#                                for FTPSPEC_COVERAGE_TLS (5m; 0 skips), coverage summed
#       boofuzz SHORT|LONG       scripts/bench/boofuzz_ftp_verbs.py: every verb of
#                                RFC 959/2428/2389/3659 (+ AUTH/PBSZ/PROT), verb,
#                                delimiter and argument fuzzed after a login,
#                                restarted on a crash like --target-cmd
#     and stops the server with SIGTERM (grace FTPSPEC_COVERAGE_GRACE s),
#     checks that it wrote its .gcda files and runs gcovr on them. For the
#     suite runs a loop restarts the server after a crash (LightFTP 5980ea1
#     crashes on ABOR during a TLS download), so the rest of the suite
#     still counts.
#  3. Prints the machine (nproc, CPU model, compilers, versions), the command
#     lines used, per run its client's summary line and the server's crashes
#     (exit statuses; 139 = SIGSEGV, 142 = a crash whose gcov dump hung), and
#     one table: run, branches and lines covered (covered/total and %, gcovr's
#     JSON summary over LightFTP's four .c files), and for the -O0 build the
#     branches covered of those an FTP client can take at all here
#     (scripts/bench/reach.py with lightftp-5980ea1-reach.tsv, which says
#     which branches no client can take, and why). Exit status non-zero when
#     a step failed (an install, the build, a run, a missing .gcda file); the
#     table then shows what did run.
#
# Environment: FTPSPEC_BIN (ftpspec binary), FTPSPEC_COVERAGE_SHORT (60s),
# FTPSPEC_COVERAGE_LONG (10m; 0, off or skip skips the long runs),
# FTPSPEC_COVERAGE_TLS (5m: the fuzz run over ftpes:// added to the last
# fuzz run's counters; 0 skips it),
# FTPSPEC_COVERAGE_RUNS ("suite fuzz boofuzz": which kinds of run),
# FTPSPEC_COVERAGE_OPT (-O0; -O3 is ProFuzzBench's flag), FTPSPEC_COVERAGE_JOBS
# (ftpspec fuzz --jobs, 1), FTPSPEC_COVERAGE_SEED (1), FTPSPEC_COVERAGE_PORT
# (2200), FTPSPEC_COVERAGE_SERVER_LOG=1 (keep LightFTP's session log during
# the fuzz runs too; it prints every command, gigabytes in ten minutes),
# FTPSPEC_KEEP_WORK=1 (keep the work directory: gcovr reports per run in
# cov/, logs, findings), FTPSPEC_CACHE (~/.cache/ftpspec).
# Time: SHORT and LONG twice each (ftpspec fuzz, boofuzz) plus a couple of
# minutes (build, suite twice, gcovr); about 25 minutes with the defaults.
#
# Measurement details:
#  - LightFTP writes gcov data only when it exits through exit(); it never
#    does on a signal. So the build links one more object, compiled without
#    --coverage (it counts in no total): a constructor that installs handlers
#    calling __gcov_dump() on SIGTERM/SIGINT (then _exit) and on SIGSEGV,
#    SIGBUS, SIGFPE, SIGILL, SIGABRT (then the default action, so a crash is
#    still a crash to the fuzzer and the coverage up to it is kept). Counters
#    are updated atomically (-fprofile-update=atomic: one thread per client).
#  - gcov sums the counts of every process of a run (each restart of the
#    server merges into the same .gcda files); a process killed by SIGKILL
#    (one that ignored SIGTERM for the grace period) loses its counts: that
#    is reported.
#  - The server runs in its own session (setsid), out of reach of the
#    SIGKILL that `ftpspec fuzz` (and boofuzz_ftp_verbs.py) send to the
#    --target-cmd's process group once its grace period is over: the
#    wrapper stops it with SIGTERM on the SIGTERM they send first (a trap),
#    and the next wrapper again before it starts one, so that its counts
#    are written. As root it runs as nobody (setpriv): fuzzed paths must not
#    reach the real files.
#  - LightFTP 5980ea1 makes each client's thread joinable and never joins it:
#    every connection leaves its thread's stack (two mappings, ~24 KB) behind,
#    so after about 32,700 connections (vm.max_map_count 65530) the server
#    answers every new one with "MAXIMUM ALLOWED USERS CONNECTED" and closes
#    it, until restarted. boofuzz gets there in about two minutes (a reset
#    connection: it restarts the server); ProFuzzBench never does (one
#    connection per server process). A fuzzer that does not notice spends the
#    rest of a long run on that one reply.
#
# Differences from the published 24-hour figures on the same subject
# (AFLNet: 353 branches, 43.8%; Nyx-Net: 385 branches, 47.7%; both from
# ProFuzzBench's LightFTP setup and its cov_script):
#  - Total: theirs is about 806 branches, ProFuzzBench's gcov build: the same
#    5980ea1 source with its gcov.patch (the port from the command line, exit
#    after the first client, exit(0) on SIGUSR1), gcc -O3 -fprofile-arcs
#    -ftest-coverage (Ubuntu 20.04's gcc 9) and gcovr 4.2. Here the source is
#    unpatched, built -O0 with gcc --coverage and counted by gcovr 8.8: gcov's
#    branch count depends on the compiler and the optimisation level, so
#    compare percentages with care and absolute branch counts not at all
#    (FTPSPEC_COVERAGE_OPT=-O3 gets closer to their build; the totals of both
#    builds are printed with the table's header).
#  - Time and input: they fuzz for 24 hours from a seed corpus (ProFuzzBench's
#    in-ftp, recorded sessions) and replay every queue entry into a fresh
#    one-connection server afterwards; here the runs last minutes, start from
#    nothing but the grammar or the generator, and coverage is what the live
#    server executed during the run itself (all sessions, including those a
#    replay could not reproduce).
#  - Login: their seeds log in as ubuntu (accs=upload, AFLNet's fftp.conf);
#    here ftpspec has accs=admin (DELE, RMD, RNFR/RNTO allowed), which opens
#    more code to every client here.
#  - They ran AFLNet/Nyx-Net single-process; here ftpspec fuzz uses --jobs 1
#    and boofuzz one connection at a time.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
export FTPSPEC_CACHE="${FTPSPEC_CACHE:-$HOME/.cache/ftpspec}"
TARBALL="$REPO/third_party/lightftp/lightftp-5980ea1.tar.gz"
TARBALL_SHA256=0e5cba0222d967bf7ff85558775d62509ef5c16afcd37a2847460ea1886d90c9
VENV="$FTPSPEC_CACHE/coverage-venv"
GCOVR_VERSION=8.8
BOOFUZZ_VERSION=0.4.2
SHORT="${FTPSPEC_COVERAGE_SHORT:-60s}"
LONG="${FTPSPEC_COVERAGE_LONG:-10m}"
TLS_FUZZ="${FTPSPEC_COVERAGE_TLS:-5m}"
RUNS="${FTPSPEC_COVERAGE_RUNS:-suite fuzz boofuzz}"
OPT="${FTPSPEC_COVERAGE_OPT:--O0}"
JOBS="${FTPSPEC_COVERAGE_JOBS:-1}"
SEED="${FTPSPEC_COVERAGE_SEED:-1}"
PORT="${FTPSPEC_COVERAGE_PORT:-2200}"
GRACE="${FTPSPEC_COVERAGE_GRACE:-10}"
FTP_USER=ftpspec
FTP_PASS=ftpspec

die() { echo "coverage.sh: $*" >&2; exit 2; }
log() { echo "coverage.sh: $*" >&2; }

secs() { # 90, 90s, 10m, 1h, 1h30m -> seconds; "" if not a duration
    local s="$1" n total=0
    [[ "$s" =~ ^[0-9]+$ ]] && { echo "$s"; return; }
    [[ "$s" =~ ^([0-9]+h)?([0-9]+m)?([0-9]+s)?$ ]] && [ -n "$s" ] || { echo ""; return; }
    while [[ "$s" =~ ^([0-9]+)([hms])(.*)$ ]]; do
        n=${BASH_REMATCH[1]}
        case ${BASH_REMATCH[2]} in h) n=$((n * 3600)) ;; m) n=$((n * 60)) ;; esac
        total=$((total + n))
        s=${BASH_REMATCH[3]}
    done
    echo "$total"
}

skipped() { case "$1" in ""|0|0s|off|skip|no|none) return 0 ;; esac; return 1; }

wants() { case " $RUNS " in *" $1 "*) return 0 ;; esac; return 1; }

# ---------------------------------------------------------------- outside --
outside() {
    local t0 work rc=0
    t0=$(date +%s)
    [ -f "$TARBALL" ] || die "missing $TARBALL"
    [ "$(sha256sum "$TARBALL" | cut -d' ' -f1)" = "$TARBALL_SHA256" ] || die "$TARBALL: sha256 differs from third_party/lightftp/README.md"
    for r in $RUNS; do
        case "$r" in suite|fuzz|boofuzz) ;; *) die "FTPSPEC_COVERAGE_RUNS: unknown run kind: $r (suite, fuzz, boofuzz)" ;; esac
    done
    [ -n "$(secs "$SHORT")" ] && ! skipped "$SHORT" || die "FTPSPEC_COVERAGE_SHORT: not a duration: $SHORT (e.g. 60s, 10m)"
    skipped "$LONG" || [ -n "$(secs "$LONG")" ] || die "FTPSPEC_COVERAGE_LONG: not a duration: $LONG (e.g. 10m; 0 to skip)"
    skipped "$TLS_FUZZ" || [ -n "$(secs "$TLS_FUZZ")" ] || die "FTPSPEC_COVERAGE_TLS: not a duration: $TLS_FUZZ (e.g. 5m; 0 to skip)"
    [[ "$PORT" =~ ^[0-9]+$ ]] && [ "$PORT" -gt 0 ] && [ "$PORT" -lt 10000 ] || die "FTPSPEC_COVERAGE_PORT must be below 10000 (passive ports are 10000-32767)"

    ensure_tools
    ensure_venv
    ensure_ftpspec
    # lib.sh's ensure_certs (it expects die and WAIT_SECS)
    WAIT_SECS=10
    # shellcheck source=../servers/lib.sh
    . "$REPO/scripts/servers/lib.sh"
    ensure_certs "$CERT_DIR"

    work="$(mktemp -d /tmp/ftpspec-coverage.XXXXXX)"
    chmod 755 "$work"   # the server (nobody) must reach its files in here
    log "work directory $work"
    build_lightftp "$work"
    setup_server_files "$work"
    describe_machine "$work"

    # Every run is bounded by its own timeout; this one bounds the whole.
    local short long total ns=(unshare -n)
    short=$(secs "$SHORT")
    long=0; skipped "$LONG" || long=$(secs "$LONG")
    total=$((2 * short + 2 * long + 2 * 600 + 1800))
    [ "$(id -u)" = 0 ] || ns=(unshare -r -n)
    FTPSPEC_COVERAGE_NETNS=1 FTPSPEC_COVERAGE_WORK="$work" \
        timeout -k 30 "$total" "${ns[@]}" "$SELF" || rc=$?
    [ "$rc" = 124 ] && log "timed out after ${total}s"
    [ -f "$work/rc" ] && [ "$(cat "$work/rc")" != 0 ] && [ "$rc" = 0 ] && rc=1

    report "$work" "$(( $(date +%s) - t0 ))"
    if [ "${FTPSPEC_KEEP_WORK:-}" = 1 ]; then log "kept $work"; else rm -rf "$work"; fi
    [ "$rc" = 0 ] || log "FAILED (exit $rc); see the messages above"
    return "$rc"
}

apt_install() { # packages...
    if [ "$(id -u)" != 0 ]; then
        die "missing: $*; install them (as root: apt-get install $*), or run this script as root"
    fi
    command -v apt-get >/dev/null || die "missing $*, and no apt-get to install them"
    log "installing $* (apt-get)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2; then
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2 \
            || die "apt-get install $* failed"
    fi
    INSTALLED+=("apt: $*")
}

INSTALLED=()
ensure_tools() {
    local pkgs=()
    command -v gcc >/dev/null || pkgs+=(gcc)
    [ -f /usr/include/stdio.h ] || pkgs+=(libc6-dev)
    [ -f /usr/include/gnutls/gnutls.h ] || pkgs+=(libgnutls28-dev)
    command -v gcov >/dev/null || pkgs+=(gcc)
    command -v ip >/dev/null && command -v ss >/dev/null || pkgs+=(iproute2)
    command -v unshare >/dev/null && command -v setpriv >/dev/null || pkgs+=(util-linux)
    command -v openssl >/dev/null || pkgs+=(openssl)
    command -v python3 >/dev/null || pkgs+=(python3)
    if [ ! -x "$VENV/bin/python" ] && ! { command -v python3 >/dev/null && python3 -c 'import venv, ensurepip' 2>/dev/null; }; then
        pkgs+=(python3-venv)
    fi
    if [ ${#pkgs[@]} -gt 0 ]; then
        mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)
        apt_install "${pkgs[@]}"
    fi
    printf '#include <gnutls/gnutls.h>\nint main(void){return 0;}\n' | gcc -x c - -o /dev/null -lgnutls 2>/dev/null \
        || die "cannot link against GnuTLS (apt-get install libgnutls28-dev)"
}

ensure_venv() { # gcovr and boofuzz from PyPI, pinned, in their own venv
    if "$VENV/bin/python" - "$GCOVR_VERSION" "$BOOFUZZ_VERSION" 2>/dev/null <<'PY'; then return 0; fi
import sys
from importlib.metadata import version
sys.exit(0 if (version("gcovr"), version("boofuzz")) == (sys.argv[1], sys.argv[2]) else 1)
PY
    log "installing gcovr==$GCOVR_VERSION boofuzz==$BOOFUZZ_VERSION (pip, into $VENV)"
    if [ ! -x "$VENV/bin/pip" ]; then
        python3 -m venv "$VENV" || die "python3 -m venv $VENV failed (apt-get install python3-venv)"
    fi
    "$VENV/bin/pip" install -q "gcovr==$GCOVR_VERSION" "boofuzz==$BOOFUZZ_VERSION" >&2 \
        || die "pip install gcovr==$GCOVR_VERSION boofuzz==$BOOFUZZ_VERSION into $VENV failed (network? PyPI?)"
    INSTALLED+=("pip ($VENV): gcovr==$GCOVR_VERSION boofuzz==$BOOFUZZ_VERSION")
}

ensure_ftpspec() {
    BIN="${FTPSPEC_BIN:-target/release/ftpspec}"
    case "$BIN" in /*) ;; *) BIN="$REPO/$BIN" ;; esac
    if [ ! -x "$BIN" ]; then
        [ -z "${FTPSPEC_BIN:-}" ] || die "FTPSPEC_BIN=$FTPSPEC_BIN: no such executable"
        command -v cargo >/dev/null || die "no $BIN and no cargo to build it"
        log "no $BIN: cargo build --release --bin ftpspec"
        (cd "$REPO" && cargo build --release --bin ftpspec) || die "cargo build --release failed"
    fi
    export FTPSPEC_COVERAGE_BIN="$BIN"
}

# The gcov flush hook (see the header): compiled without --coverage.
GCOV_HOOK='#include <signal.h>
#include <unistd.h>

extern void __gcov_dump(void);

static void on_stop(int sig)
{
    (void)sig;
    __gcov_dump();
    _exit(0);
}

static void on_crash(int sig)
{
    /* A crash inside malloc (heap corruption) leaves its lock taken, and the
       dump allocates: if it hangs, SIGALRM ends the process (status 142). */
    alarm(10);
    __gcov_dump();
    signal(sig, SIG_DFL);
    raise(sig);
}

__attribute__((constructor)) static void install_gcov_hook(void)
{
    static const int crash[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
    struct sigaction sa;
    unsigned i;

    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    sa.sa_handler = on_crash;
    for (i = 0; i < sizeof crash / sizeof crash[0]; i++)
        sigaction(crash[i], &sa, NULL);
}
'

build_lightftp() { # work
    local work="$1" src="$1/lightftp" obj f flags
    mkdir -p "$src" "$work/hook"
    tar -xzf "$TARBALL" -C "$src" --strip-components=1
    obj="$src/Source/Release"
    # Source/Release/subdir.mk's flags, with -O3 replaced and coverage added.
    flags=(-std=c99 "$OPT" -g --coverage -fprofile-update=atomic -Wall -Wextra -fmessage-length=0
        -Wno-unused-parameter -Wno-unused-result -fno-ident)
    printf '%s' "$GCOV_HOOK" >"$work/hook/gcov_hook.c"
    {
        echo "cd $obj"
        for f in cfgparse ftpserv main x_malloc; do echo "gcc ${flags[*]} -c -o $f.o ../$f.c"; done
        echo "gcc -O2 -Wall -c -o $work/hook/gcov_hook.o $work/hook/gcov_hook.c"
        echo "gcc --coverage -o fftp cfgparse.o ftpserv.o main.o x_malloc.o $work/hook/gcov_hook.o -lpthread -lgnutls"
    } >"$work/build.sh"
    if ! bash -e "$work/build.sh" >"$work/build.log" 2>&1; then
        tail -30 "$work/build.log" >&2
        die "LightFTP build failed; commands in $work/build.sh (kept)"
    fi
    # The totals of ProFuzzBench's build (-O3) too, for the header: gcov notes only.
    mkdir -p "$work/o3"
    tar -xzf "$TARBALL" -C "$work/o3" --strip-components=1
    (
        cd "$work/o3/Source/Release"
        for f in cfgparse ftpserv main x_malloc; do
            gcc -fprofile-arcs -ftest-coverage -std=c99 -O3 -Wall -Wextra -c -fmessage-length=0 \
                -Wno-unused-parameter -Wno-unused-result -fno-ident -o "$f.o" "../$f.c"
        done
    ) >"$work/build-o3.log" 2>&1 || { tail -20 "$work/build-o3.log" >&2; die "the -O3 notes build failed"; }
    log "built $obj/fftp ($OPT --coverage)"
}

setup_server_files() { # work: ftp roots, TLS files, fftp.conf, the start and stop scripts
    local work="$1" priv="" pmin=10000 pmax=32767
    mkdir -p "$work/ftp/root/sub" "$work/ftp/anon/pub" "$work/tls" "$work/logs" "$work/cov"
    printf 'hello from lightftp\r\n' >"$work/ftp/root/hello.txt"
    printf 'anonymous readme\n' >"$work/ftp/anon/pub/readme.txt"
    cp "$CERT_DIR/ca.pem" "$CERT_DIR/server.pem" "$CERT_DIR/server.key" "$work/tls/"
    # Passive ports 10000-32767: below the kernel's ephemeral ports (32768-),
    # and many, since LightFTP binds them without SO_REUSEADDR (TIME_WAIT).
    cat >"$work/fftp.conf" <<EOF
# generated by scripts/bench/coverage.sh (LightFTP 5980ea1 format)
[ftpconfig]
port=$PORT
maxusers=64
interface=127.0.0.1
external_ip=127.0.0.1
local_mask=255.255.255.0
minport=$pmin
maxport=$pmax
CATrustFile=$work/tls/ca.pem
ServerCertificate=$work/tls/server.pem
Keyfile=$work/tls/server.key
KeyfilePassword=

[anonymous]
pswd=*
accs=readonly
root=$work/ftp/anon

[$FTP_USER]
pswd=$FTP_PASS
accs=admin
root=$work/ftp/root
EOF
    if [ "$(id -u)" = 0 ]; then
        chown -R nobody:nogroup "$work/ftp" "$work/tls" "$work/lightftp/Source/Release"
        priv="setpriv --reuid=nobody --regid=nogroup --clear-groups --no-new-privs"
    fi
    # fftp-stop.sh: SIGTERM the server of the pid file (it writes its .gcda
    # files and exits), SIGKILL after the grace period (its counts are lost:
    # noted in killed.log). The pid file holds the pid and its start time:
    # pids are reused quickly here (a thread per connection, pid_max 32768),
    # and a signal must never reach another process.
    cat >"$work/fftp-stop.sh" <<EOF
#!/bin/sh
# generated by scripts/bench/coverage.sh
pidf="$work/fftp.pid"
[ -f "\$pidf" ] || exit 0
read -r pid start <"\$pidf" || true
alive() { # that very process (same start time), not a zombie
    [ -n "\$pid" ] && [ -n "\$start" ] || return 1
    s=\$(cat /proc/\$pid/stat 2>/dev/null) || return 1
    set -- \${s##*) }
    case "\$1" in Z|X|x) return 1 ;; esac
    [ "\${20}" = "\$start" ]
}
if alive; then
    echo "\$(date +%T.%N | cut -c1-12) \${FTPSPEC_COVERAGE_RUN:-?}: pid \$pid SIGTERM" >>"$work/servers.log"
    kill -TERM "\$pid" 2>/dev/null
    i=0
    while alive && [ \$i -lt $((GRACE * 10)) ]; do sleep 0.1; i=\$((i + 1)); done
    if alive; then
        echo "\$(date +%T) \${FTPSPEC_COVERAGE_RUN:-?}: pid \$pid ignored SIGTERM for ${GRACE}s: killed, its counts are lost" >>"$work/killed.log"
        for t in /proc/\$pid/task/*; do
            echo "task \${t##*/}: \$(cut -d' ' -f3 \$t/stat 2>/dev/null) wchan=\$(cat \$t/wchan 2>/dev/null) \$(tr '\\n' ' ' <\$t/stack 2>/dev/null | cut -c1-300)"
        done >"$work/logs/killed-\$pid.tasks" 2>&1
        if command -v gdb >/dev/null && alive; then
            timeout -k 5 60 gdb -p "\$pid" -batch -ex 'thread apply all bt' >"$work/logs/killed-\$pid.gdb" 2>&1
        fi
        alive && kill -KILL "\$pid" 2>/dev/null
    fi
fi
rm -f "\$pidf"
EOF
    # fftp-run.sh: the --target-cmd. Stops a previous server (one the fuzzer
    # gave up on), starts LightFTP in a session of its own and waits for it,
    # so that its exit (a crash) is the command's exit; an exit other than
    # the one SIGTERM causes (status 0) goes to exits.log. Stopped with
    # SIGTERM (a restart), it stops the server before it goes: the fuzzer
    # waits until the port is closed before it starts the next one, and an
    # old server still listening would be taken for the new one.
    cat >"$work/fftp-run.sh" <<EOF
#!/bin/sh
# generated by scripts/bench/coverage.sh
trap '"$work/fftp-stop.sh"; exit 143' TERM
"$work/fftp-stop.sh"
cd "$work/ftp"
ulimit -c 0
setsid $priv "$work/lightftp/Source/Release/fftp" "$work/fftp.conf" </dev/null >>"\${FTPSPEC_COVERAGE_FFTP_LOG:-/dev/null}" 2>&1 &
pid=\$!
# the pid and its start time (field 22 of /proc/PID/stat; fftp-stop.sh checks it)
echo "\$pid \$(cut -d' ' -f22 /proc/\$pid/stat)" >"$work/fftp.pid"
echo "\$(date +%T.%N | cut -c1-12) \${FTPSPEC_COVERAGE_RUN:-?}: pid \$pid started" >>"$work/servers.log"
wait "\$pid"
st=\$?
echo "\$(date +%T.%N | cut -c1-12) \${FTPSPEC_COVERAGE_RUN:-?}: pid \$pid exit status \$st" >>"$work/servers.log"
[ "\$st" = 0 ] || echo "\$(date +%T) pid \$pid exit status \$st\$([ "\$st" -gt 128 ] && echo " (signal \$((st - 128)))")" >>"$work/exits.log"
exit "\$st"
EOF
    chmod 755 "$work/fftp-stop.sh" "$work/fftp-run.sh"
}

describe_machine() { # work
    local work="$1"
    {
        echo "machine: $(nproc) CPUs (nproc), $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, Linux $(uname -r)"
        echo "compiler: $(gcc --version | head -1); $(gcov --version | head -1)"
        echo "gcovr: $("$VENV/bin/gcovr" --version | head -1 | sed 's/^gcovr //'); boofuzz: $BOOFUZZ_VERSION; $("$VENV/bin/python" --version)"
        echo "ftpspec: $FTPSPEC_COVERAGE_BIN ($("$FTPSPEC_COVERAGE_BIN" --version), built $(date -r "$FTPSPEC_COVERAGE_BIN" '+%F %T'))"
        echo "repository: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" status --porcelain 2>/dev/null | grep -q . && echo ' (with uncommitted changes)')"
        echo "subject: LightFTP 5980ea1 ($(basename "$TARBALL")), gcc $OPT --coverage; totals: $(totals "$work/lightftp/Source") here, $(totals "$work/o3/Source") with ProFuzzBench's -O3 build"
    } >"$work/machine.txt"
}

totals() { # Source dir -> "B branches, L lines" from the gcov notes alone
    "$VENV/bin/gcovr" --root "$1" --object-directory "$1/Release" --json-summary 2>/dev/null \
        | python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["branch_total"], "branches,", d["line_total"], "lines")'
}

report() { # work elapsed
    local work="$1" elapsed="$2"
    echo
    echo "== LightFTP 5980ea1 reach (gcov): branches and lines covered"
    [ -f "$work/machine.txt" ] && cat "$work/machine.txt"
    if [ ${#INSTALLED[@]} -gt 0 ]; then printf 'installed: %s\n' "${INSTALLED[@]}"; fi
    echo
    echo "commands (inside \`unshare -n\`; the work directory was $work):"
    [ -f "$work/commands.txt" ] && sed 's/^/  /' "$work/commands.txt"
    echo
    if [ -f "$work/details.txt" ]; then
        echo "runs:"
        sed 's/^/  /' "$work/details.txt"
        echo
    fi
    printf '%-36s %-22s %-22s %s\n' run branches "of reachable branches" lines
    if [ -f "$work/results.tsv" ]; then
        awk -F'\t' '{
            if ($2 == "FAILED") { printf "%-36s %s\n", $1, "FAILED: " $3; next }
            printf "%-36s %-22s %-22s %s\n", $1,
                sprintf("%d/%d (%.1f%%)", $2, $3, $3 ? 100 * $2 / $3 : 0),
                ($7 > 0 ? sprintf("%d/%d (%.1f%%)", $6, $7, 100 * $6 / $7) : "-"),
                sprintf("%d/%d (%.1f%%)", $4, $5, $5 ? 100 * $4 / $5 : 0) }' "$work/results.tsv"
        echo
        echo "\"of reachable branches\": of those an FTP client can take at all in this set-up;"
        echo "scripts/bench/lightftp-5980ea1-reach.tsv says which cannot and why (start-up, config,"
        echo "dead code, allocation failures, file types found nowhere here). What a run left:"
        echo "python3 scripts/bench/reach.py gaps <work>/cov/<run>.full.json <work>/lightftp/Source"
        echo "(with FTPSPEC_KEEP_WORK=1)."
    fi
    [ -s "$work/killed.log" ] && { echo; echo "warning: server processes killed with SIGKILL (their counts are missing):"; sed 's/^/  /' "$work/killed.log"; }
    echo
    echo "total time: $((elapsed / 60)) min $((elapsed % 60)) s"
}

# ----------------------------------------------------------------- inside --
inside() {
    local others
    work="$FTPSPEC_COVERAGE_WORK"
    others="$(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -vx lo || true)"
    [ -z "$others" ] || die "not in a private network namespace (interfaces: $others)"
    ip link set lo up
    ip -4 addr show dev lo | grep -q 'inet 127.0.0.1' || die "127.0.0.1 did not come up on lo"

    BIN="$FTPSPEC_COVERAGE_BIN"
    OBJ="$work/lightftp/Source/Release"
    URL="ftp://$FTP_USER:$FTP_PASS@127.0.0.1:$PORT/"
    FAILED=0
    : >"$work/results.tsv"
    : >"$work/commands.txt"
    : >"$work/details.txt"
    trap '"$work/fftp-stop.sh"; echo "$FAILED" >"$work/rc"' EXIT

    local short long
    short=$(secs "$SHORT")
    long=0; skipped "$LONG" || long=$(secs "$LONG")

    run_baseline
    if wants suite; then run_suite; fi
    if wants fuzz; then
        run_fuzz "$SHORT" "$short"
        [ "$long" = 0 ] || run_fuzz "$LONG" "$long"
        # Over TLS, on top of the last run's counters.
        skipped "$TLS_FUZZ" || run_fuzz "$TLS_FUZZ" "$(secs "$TLS_FUZZ")" tls "$([ "$long" = 0 ] && echo "$SHORT" || echo "$LONG")"
    fi
    if wants boofuzz; then
        run_boofuzz "$SHORT" "$short"
        [ "$long" = 0 ] || run_boofuzz "$LONG" "$long"
    fi
    echo "$FAILED" >"$work/rc"
    [ "$FAILED" = 0 ]
}

cmdline() { # record a command line: label, argv...
    local label="$1"; shift
    printf '%s: %s\n' "$label" "$(printf '%q ' "$@")" >>"$work/commands.txt"
}

fresh() { rm -f "$OBJ"/*.gcda; : >"$work/exits.log"; }

start_server() { # log file: fftp-run.sh in a restart loop (a crash does not end
    # the run; it is in exits.log), in the background; wait until it listens
    local logf="$1" i pid
    rm -f "$work/stop"
    (
        while :; do
            FTPSPEC_COVERAGE_FFTP_LOG="$logf" "$work/fftp-run.sh" || true
            [ -f "$work/stop" ] && break
            sleep 0.1
        done
    ) &
    SUPERVISOR=$!
    for ((i = 0; i < 100; i++)); do
        if [ -f "$work/fftp.pid" ]; then
            read -r pid _ <"$work/fftp.pid" || true
            ss -Hltnp "sport = :$PORT" 2>/dev/null | grep -q "pid=$pid," && return 0
        fi
        sleep 0.1
    done
    log "LightFTP did not listen on 127.0.0.1:$PORT within 10 s; its log ($logf):"
    cat "$logf" >&2 || true
    return 1
}

stop_server() { # the loop of start_server if any, and the server
    if [ -n "${SUPERVISOR:-}" ]; then
        touch "$work/stop"
        while kill -0 "$SUPERVISOR" 2>/dev/null; do
            "$work/fftp-stop.sh"
            sleep 0.1
        done
        wait "$SUPERVISOR" 2>/dev/null || true
        SUPERVISOR=
    fi
    "$work/fftp-stop.sh"
}

exits() { # what exits.log holds for this run, then empty it
    if [ -s "$work/exits.log" ]; then
        printf 'server exits: %s' "$(sed 's/^[^ ]* pid [0-9]* //' "$work/exits.log" | sort | uniq -c | awk '{c = $1; $1 = ""; printf "%s%dx%s", (n++ ? ", " : ""), c, $0}')"
    else
        printf 'no server crash'
    fi
    : >"$work/exits.log"
}

measure() { # label slug: gcovr over the .gcda files of this run -> results.tsv
    local label="$1" slug="$2" n
    n=$(find "$OBJ" -maxdepth 1 -name '*.gcda' | wc -l)
    if [ "$n" -lt 4 ]; then
        fail "$label" "$n of 4 .gcda files written: LightFTP did not write its coverage data (no clean exit?)"
        return 1
    fi
    if ! "$VENV/bin/gcovr" --root "$work/lightftp/Source" --object-directory "$OBJ" \
        --json-summary "$work/cov/$slug.json" --json "$work/cov/$slug.full.json" \
        --txt "$work/cov/$slug.txt" >"$work/cov/$slug.log" 2>&1; then
        cat "$work/cov/$slug.log" >&2
        fail "$label" "gcovr failed"
        return 1
    fi
    # Of the branches a client can reach at all (reach.py; only for the
    # -O0 build its table describes).
    local reach="-	-"
    if [ "$OPT" = -O0 ]; then
        reach=$(python3 "$HERE/reach.py" summary "$work/cov/$slug.full.json") || {
            fail "$label" "reach.py: scripts/bench/lightftp-5980ea1-reach.tsv does not fit this run (see above)"
            return 1
        }
    fi
    python3 - "$work/cov/$slug.json" "$label" "$reach" >>"$work/results.tsv" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("\t".join([sys.argv[2]] + [str(d[k]) for k in ("branch_covered", "branch_total", "line_covered", "line_total")] + [sys.argv[3]]))
PY
    log "$(tail -1 "$work/results.tsv" | awk -F'\t' '{printf "%s: branches %d/%d, lines %d/%d", $1, $2, $3, $4, $5}')"
}

fail() { # label reason
    printf '%s\tFAILED\t%s\n' "$1" "$2" >>"$work/results.tsv"
    log "$1: FAILED: $2"
    FAILED=1
}

run_baseline() {
    local label="server start/stop only"
    fresh
    log "$label"
    export FTPSPEC_COVERAGE_RUN="$label"
    cmdline "$label" "$work/fftp-run.sh"
    if start_server "$work/logs/baseline.log"; then
        sleep 1
        stop_server
        measure "$label" baseline || true
    else
        stop_server
        fail "$label" "LightFTP did not start"
    fi
}

run_suite() {
    local rc t0 label
    fresh
    # plain FTP, then (coverage summed) explicit TLS
    for part in ftp ftpes; do
        if [ "$part" = ftp ]; then
            label="suite ftp://"
            set -- "$BIN" run --target "$URL" --color never --report "json=$work/logs/suite-ftp.json"
        else
            label="suite ftp:// + ftpes://"
            set -- "$BIN" run --target "ftpes://$FTP_USER:$FTP_PASS@127.0.0.1:$PORT/" --insecure --color never \
                --report "json=$work/logs/suite-ftpes.json"
        fi
        log "$label"
        export FTPSPEC_COVERAGE_RUN="$label"
        : >"$work/exits.log"
        cmdline "$label" timeout -k 10 900 "$@"
        start_server "$work/logs/suite-$part.fftp.log" || { stop_server; fail "$label" "LightFTP did not start"; return; }
        t0=$(date +%s)
        rc=0
        timeout -k 10 900 "$@" >"$work/logs/suite-$part.out" 2>&1 || rc=$?
        stop_server
        printf '%s: exit %s (1 = some cases failed), %s s; %s; %s\n' "$label" "$rc" "$(($(date +%s) - t0))" \
            "$(grep -E 'cases: ' "$work/logs/suite-$part.out" | tail -1 | sed 's/; wrote .*//')" "$(exits)" >>"$work/details.txt"
        if [ "$rc" -gt 1 ]; then
            tail -20 "$work/logs/suite-$part.out" >&2
            fail "$label" "ftpspec run exited $rc"
            return
        fi
        measure "$label" "suite-$part" || return
    done
}

server_log() { # slug -> where fftp-run.sh sends LightFTP's output during a fuzz run
    if [ "${FTPSPEC_COVERAGE_SERVER_LOG:-}" = 1 ]; then echo "$work/logs/$1.fftp.log"; else echo /dev/null; fi
}

run_fuzz() { # duration seconds [tls after: over ftpes://, counters kept from the run of that duration]
    local dur="$1" s="$2" label="ftpspec fuzz $1" slug="fuzz-$1" rc=0 t0 target="$URL" insecure=()
    if [ "${3:-}" = tls ]; then
        label="ftpspec fuzz $4, then ftpes:// $1"
        slug="fuzz-$4-tls-$1"
        target="ftpes://$FTP_USER:$FTP_PASS@127.0.0.1:$PORT/"
        insecure=(--insecure)
        : >"$work/exits.log"
    else
        fresh
    fi
    log "$label"
    export FTPSPEC_COVERAGE_RUN="$label"
    set -- "$BIN" fuzz --target "$target" "${insecure[@]}" --duration "${s}s" --jobs "$JOBS" --seed "$SEED" \
        --target-cmd "$work/fftp-run.sh" --findings "$work/findings-$slug"
    cmdline "$label" timeout -k 10 $((s + 600)) "$@"
    t0=$(date +%s)
    FTPSPEC_COVERAGE_FFTP_LOG="$(server_log "$slug")" timeout -k 10 $((s + 600)) "$@" \
        >"$work/logs/$slug.out" 2>"$work/logs/$slug.err" || rc=$?
    stop_server
    printf '%s: exit %s (1 = findings), %s s; %s; %s findings; %s\n' "$label" "$rc" "$(($(date +%s) - t0))" \
        "$(grep -m1 'sessions in' "$work/logs/$slug.out" || echo 'no summary line')" \
        "$(grep -c '^FINDING' "$work/logs/$slug.out" || true)" "$(exits)" >>"$work/details.txt"
    if [ "$rc" -gt 1 ]; then
        tail -20 "$work/logs/$slug.out" "$work/logs/$slug.err" >&2
        fail "$label" "ftpspec fuzz exited $rc"
        return
    fi
    measure "$label" "$slug" || true
}

run_boofuzz() { # duration seconds
    local dur="$1" s="$2" label="boofuzz $1" slug="boofuzz-$1" rc=0 t0
    fresh
    log "$label"
    export FTPSPEC_COVERAGE_RUN="$label"
    set -- "$VENV/bin/python" "$HERE/boofuzz_ftp_verbs.py" --port "$PORT" --user "$FTP_USER" --password "$FTP_PASS" \
        --duration "$s" --target-cmd "$work/fftp-run.sh" --db "$work/logs/$slug.db"
    cmdline "$label" timeout -k 10 $((s + 300)) "$@"
    t0=$(date +%s)
    FTPSPEC_COVERAGE_FFTP_LOG="$(server_log "$slug")" timeout -k 10 $((s + 300)) "$@" \
        >"$work/logs/$slug.out" 2>"$work/logs/$slug.err" || rc=$?
    stop_server
    printf '%s: exit %s, %s s; %s; %s\n' "$label" "$rc" "$(($(date +%s) - t0))" \
        "$(grep -m1 '^boofuzz:' "$work/logs/$slug.out" || echo 'no summary line')" "$(exits)" >>"$work/details.txt"
    if [ "$rc" != 0 ]; then
        tail -20 "$work/logs/$slug.out" "$work/logs/$slug.err" >&2
        fail "$label" "boofuzz exited $rc"
        return
    fi
    measure "$label" "$slug" || true
}

if [ "${FTPSPEC_COVERAGE_NETNS:-}" = 1 ]; then
    VENV="$VENV"
    inside
else
    outside
fi
