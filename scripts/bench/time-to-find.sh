#!/usr/bin/env bash
# Time to find: how long `ftpspec fuzz` and boofuzz each take to hit a
# planted fault, one fault class at a time, in a private network namespace.
#
#   sudo scripts/bench/time-to-find.sh [SECONDS]
#
# SECONDS (default 300) bounds each run: one fuzzer against one server with
# one fault. Environment:
#   FTPSPEC_BIN          the ftpspec binary (default target/release/ftpspec;
#                        not built here: build it first)
#   FTPSPEC_TTF_SEEDS    N: run seeds 1..N for each fault and tool and print
#                        the median (default 1)
#   FTPSPEC_TTF_FAULTS   which faults (default: all four, below)
#   FTPSPEC_TTF_TOOLS    "ftpspec boofuzz" (default), or one of them
#   FTPSPEC_TTF_TIMEOUT  reply timeout in seconds for both fuzzers, i.e. how
#                        long without a reply is a hang (default 5, ftpspec's
#                        own default)
#   FTPSPEC_TTF_KEEP=1   keep the work directory (per run: the fuzzer's
#                        output, findings, server log) and print where
#   FTPSPEC_CACHE        boofuzz goes into a venv at $FTPSPEC_CACHE/boofuzz-venv
#                        (default ~/.cache/ftpspec), installed from PyPI the
#                        first time (needs root and network access, outside
#                        the namespace)
# Needs root (unshare -n). One server and one fuzzer at a time (ftpspec
# --jobs 1; boofuzz is single-threaded).
#
# What is planted (tests/support/buggy_ftpd.py, one bug per server, `--bugs
# NAME`, which also turns on the server's "full" profile: MKD/CWD/RNFR/REST/
# MODE... that answer like a real server, so each fault is reachable by a
# client that speaks FTP; scripts/bench/ttf_probe.py proves it before the
# runs, and proves that the same commands get normal replies without the bug):
#   token-arg         MODE whose argument contains "%s%s" anywhere -> crash
#   long-after-state  RETR with an argument > 300 bytes while a REST offset is
#                     pending (a `REST <digits>` answered 350, any commands in
#                     between except RETR/STOR/STOU/APPE) -> crash
#   chain3            RNFR <non-empty> after a successful `CWD x` into a
#                     directory a successful `MKD x` made earlier in the same
#                     session (anything in between) -> crash
#   stall-arg         CWD whose argument contains "~" then a digit (CWD ~1,
#                     CWD PROGRA~1) -> that session never replies again; the
#                     server keeps serving other sessions
# (exact definitions: buggy_ftpd.py's docstring). A crash is the process
# exiting; both fuzzers restart it through the same shell command.
#
# How time is measured, per run:
#   ftpspec  `ftpspec fuzz --target ftp://ftpspec:ftpspec@127.0.0.1:PORT/
#            --target-cmd '<start the server>' --duration SECONDSs --seed S
#            --timeout Ts --findings DIR`. The time is the "after N sessions
#            (S s)" of the first finding file of the right kind: crash-*.ftpspec
#            for the crash faults, hang-*.ftpspec for stall-arg, counted only
#            if the server's log shows the planted bug fired (so a finding of
#            that oracle for another reason is not counted). That is the
#            fuzzer's own clock from its start to the session that hit the
#            fault (before minimisation). The run is stopped as soon as that
#            file appears.
#   boofuzz  scripts/bench/boofuzz_ttf.py: login, then verb/delimiter/
#            argument of each of 47 verbs fuzzed (s_string, s_delim,
#            s_string), one test case per connection; its process monitor
#            starts the server and ends the run at the first crash (process
#            exited) or hang (no reply to the fuzzed request in T s on an
#            open connection), again counted only if the server log shows
#            the planted bug fired. Time from the server first listening.
#            boofuzz is deterministic: the seed shuffles the order of the
#            verbs it walks (see boofuzz_ttf.py).
#   The table gives the median over the seeds, a run that did not find the
#   fault counting as infinitely long ("not found (>SECONDSs)" when the
#   median is one of those), and how many seeds found it.
#
# Caveats: wall-clock times on a shared machine (another build running makes
# everything slower: the same ftpspec session count has been seen at 3.7 s
# and 5.4 s; the per-run lines also give ftpspec's session count, which does
# not vary); startup differs slightly (ftpspec's clock starts before it
# starts the server, boofuzz's once the server listens); a hang needs at
# least T s to be noticed by either, and one hit by a session started before
# the end is counted even when it is noticed after SECONDS (so a time a
# little above SECONDS can show). Findings of other kinds (ftpspec reports
# every oracle) are listed in the per-run line when the fault was not found,
# and otherwise ignored. boofuzz walks every mutation of one request before
# the next (about 4,000 per verb; at ~400 test cases/s here, about six verbs
# a minute), so a short run only reaches the first few verbs of its shuffled
# order (token-arg: found in ~9 s when MODE comes first, e.g. seed 4); and
# with its one-request-after-login graph it can never reach long-after-state
# or chain3 (they need a state change first), nor stall-arg ("~" + digit is
# in none of its string mutations): expect "not found" in most of its cells.
# The server is Python, one thread per connection: fast to restart (~0.1 s),
# which favours whichever fuzzer crashes it more often.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
SECS="${1:-300}"
NSEEDS="${FTPSPEC_TTF_SEEDS:-1}"
FAULTS="${FTPSPEC_TTF_FAULTS:-token-arg long-after-state chain3 stall-arg}"
TOOLS="${FTPSPEC_TTF_TOOLS:-ftpspec boofuzz}"
TIMEOUT="${FTPSPEC_TTF_TIMEOUT:-5}"
BIN="${FTPSPEC_BIN:-$REPO/target/release/ftpspec}"
export FTPSPEC_CACHE="${FTPSPEC_CACHE:-$HOME/.cache/ftpspec}"
VENV="$FTPSPEC_CACHE/boofuzz-venv"
SERVER="$REPO/tests/support/buggy_ftpd.py"

die() { echo "time-to-find: $*" >&2; exit 2; }
uses() { case " $TOOLS " in *" $1 "*) return 0 ;; esac; return 1; }

[[ "$SECS" =~ ^[1-9][0-9]*$ ]] || die "SECONDS must be a positive whole number, not '$SECS'"
[[ "$NSEEDS" =~ ^[1-9][0-9]*$ ]] || die "FTPSPEC_TTF_SEEDS must be a positive whole number (the number of seeds)"
[[ "$TIMEOUT" =~ ^[1-9][0-9]*$ ]] || die "FTPSPEC_TTF_TIMEOUT must be a positive whole number of seconds"
for f in $FAULTS; do
    case "$f" in token-arg | long-after-state | chain3 | stall-arg) ;; *) die "unknown fault '$f'" ;; esac
done
for t in $TOOLS; do
    case "$t" in ftpspec | boofuzz) ;; *) die "unknown tool '$t' in FTPSPEC_TTF_TOOLS" ;; esac
done

if [ "${FTPSPEC_TTF_INSIDE:-}" != 1 ]; then
    # ---- outside: check, install boofuzz, then into a private namespace ----
    for c in python3 timeout unshare ip; do
        command -v "$c" >/dev/null || die "$c not found (python3; coreutils; util-linux; iproute2)"
    done
    if uses ftpspec && [ ! -x "$BIN" ]; then
        die "no ftpspec binary at $BIN: build it (cargo build --release --bin ftpspec) or set FTPSPEC_BIN"
    fi
    if uses boofuzz && ! { [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import boofuzz' 2>/dev/null; }; then
        if [ "$(id -u)" != 0 ]; then
            die "boofuzz is not installed in $VENV, and installing it here needs root. As root, run this script again; or: python3 -m venv '$VENV' && '$VENV/bin/pip' install boofuzz; or FTPSPEC_TTF_TOOLS=ftpspec"
        fi
        echo "installing boofuzz from PyPI into $VENV" >&2
        { python3 -m venv "$VENV" && timeout 600 "$VENV/bin/pip" install -q boofuzz \
            && "$VENV/bin/python" -c 'import boofuzz'; } \
            || die "could not install boofuzz into $VENV (python3-venv missing? no network?)"
    fi
    [ "$(id -u)" = 0 ] || die "must run as root (unshare -n for a private network namespace)"
    ntools=$(wc -w <<<"$TOOLS"); nfaults=$(wc -w <<<"$FAULTS")
    total=$(( nfaults * NSEEDS * ntools * (SECS + 75) + 8 * nfaults + 60 ))
    echo "time-to-find: ${SECS}s per run, faults: $FAULTS; tools: $TOOLS; seeds 1..$NSEEDS; at most ${total}s in all" >&2
    rc=0
    FTPSPEC_TTF_INSIDE=1 timeout --foreground -k 10 "$total" unshare -n "$SELF" "$SECS" || rc=$?
    [ "$rc" = 124 ] && echo "time-to-find: stopped after ${total}s" >&2
    exit "$rc"
fi

# ---- inside the private network namespace ----
others="$(ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -vx lo || true)"
[ -z "$others" ] || die "not in a private network namespace (interfaces: $others)"
ip link set lo up

# The real interpreter, not a shim (pyenv's cost ~0.1 s at each restart).
PY="$(python3 -c 'import sys; print(sys.executable)')"
work="$(mktemp -d "${TMPDIR:-/tmp}/ftpspec-ttf.XXXXXX")"
CUR=""  # the running fuzzer's `timeout` wrapper, if any
cleanup() {
    # timeout passes the TERM on to the fuzzer.
    if [ -n "$CUR" ]; then kill -TERM "$CUR" 2>/dev/null || true; wait "$CUR" 2>/dev/null || true; fi
    kill_server_in "$work"
    if [ "${FTPSPEC_TTF_KEEP:-}" = 1 ]; then echo "work directory kept: $work" >&2; else rm -rf "$work"; fi
}
# Kill the servers whose pid files are under $1 (each start of the server
# writes its pid, then execs python): only a live buggy_ftpd.py.
kill_server_in() {
    local f p
    for f in "$1"/*server.pid "$1"/*/server.pid; do
        [ -f "$f" ] || continue
        p="$(cat "$f" 2>/dev/null || true)"
        [[ "$p" =~ ^[0-9]+$ ]] || continue
        if tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -q buggy_ftpd.py; then
            kill -9 "$p" 2>/dev/null || true
        fi
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

next_port=21000
port() { next_port=$((next_port + 1)); echo "$next_port"; }
wait_listen() { # port
    "$PY" - "$1" <<'PY'
import socket, sys, time
t = time.time() + 10
while time.time() < t:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.02)
sys.exit(1)
PY
}
# The shell command that starts the server with one bug (both fuzzers run it,
# again after each crash).
server_cmd() { # dir port bugs...
    local d="$1" p="$2"
    shift 2
    printf "echo \$\$ >'%s/server.pid'; exec '%s' '%s' %s --bugs %s 2>>'%s/server.log'" "$d" "$PY" "$SERVER" "$p" "$*" "$d"
}

kind_of() { case "$1" in stall-arg) echo hang ;; *) echo crash ;; esac; }

# ---- preflight: each fault is reachable, and only with its bug ----
for f in $FAULTS; do
    for mode in fired silent; do
        d="$work/probe-$f-$mode"; mkdir -p "$d"; p="$(port)"
        if [ "$mode" = fired ]; then bugs="$f"; else bugs="none --full"; fi
        sh -c "$(server_cmd "$d" "$p" $bugs)" &
        disown
        wait_listen "$p" || die "buggy_ftpd.py did not start"
        timeout 30 "$PY" "$HERE/ttf_probe.py" "$p" "$f" "$mode" >"$d/out" 2>&1 \
            || { cat "$d/out" >&2; die "preflight failed: $f is not reachable as documented"; }
        kill_server_in "$d"
    done
done
echo "preflight: each planted fault fires on its documented trigger, and only with its bug" >&2

results="$work/results.tsv"
: >"$results"

# One ftpspec run; appends "fault ftpspec seed secs|NA note" to $results.
run_ftpspec() { # fault seed
    local f="$1" s="$2" p d kind secs="" note="" file pid rc=0
    p="$(port)"; d="$work/$f-s$s-ftpspec"; mkdir -p "$d/findings"; kind="$(kind_of "$f")"
    local cmd=("$BIN" fuzz --target "ftp://ftpspec:ftpspec@127.0.0.1:$p/"
        --target-cmd "$(server_cmd "$d" "$p" "$f")" --duration "${SECS}s" --seed "$s"
        --timeout "${TIMEOUT}s" --findings "$d/findings")
    printf '%q ' "${cmd[@]}" >"$d/command"
    timeout -k 5 $((SECS + 60)) "${cmd[@]}" >"$d/stdout" 2>"$d/stderr" &
    pid=$!; CUR=$pid
    # Stop at the first finding file of the right kind once the server log
    # shows the bug fired.
    found() {
        local x
        for x in "$d/findings/$kind"-*.ftpspec; do
            [ -f "$x" ] || continue
            grep -q "$f fired" "$d/server.log" 2>/dev/null || continue
            secs="$(sed -n '1s/^# Found by `ftpspec fuzz` after \([0-9]*\) sessions (\([0-9.]*\)s).*/\2/p' "$x")"
            [ -n "$secs" ] || continue
            note="$(basename "$x" .ftpspec), $(sed -n '1s/^# Found by `ftpspec fuzz` after \([0-9]*\) sessions.*/\1/p' "$x") sessions"
            return 0
        done
        return 1
    }
    while kill -0 "$pid" 2>/dev/null; do
        if found; then kill -TERM "$pid" 2>/dev/null || true; break; fi
        sleep 0.5
    done
    wait "$pid" || rc=$?
    CUR=""
    kill_server_in "$d"
    if [ -z "$secs" ] && ! found; then
        secs=NA
        local other; other="$(cd "$d/findings" && ls 2>/dev/null | sed 's/\.ftpspec$//' | tr '\n' ' ')"
        note="exit $rc; $(grep -o '^[0-9]* sessions in [0-9.]*s' "$d/stdout" | head -1)${other:+; other findings: $other}"
        grep -q "$f fired" "$d/server.log" 2>/dev/null && note="$note; the bug fired but no $kind finding"
    fi
    printf '%s\tftpspec\t%s\t%s\t%s\n' "$f" "$s" "$secs" "$note" >>"$results"
}

# One boofuzz run; appends to $results.
run_boofuzz() { # fault seed
    local f="$1" s="$2" p d kind secs=NA note="" line pid rc=0
    p="$(port)"; d="$work/$f-s$s-boofuzz"; mkdir -p "$d"; kind="$(kind_of "$f")"
    local cmd=("$VENV/bin/python" "$HERE/boofuzz_ttf.py" --port "$p" --cmd "$(server_cmd "$d" "$p" "$f")"
        --seconds "$SECS" --seed "$s" --timeout "$TIMEOUT" --db "$d/boofuzz.db")
    printf '%q ' "${cmd[@]}" >"$d/command"
    (cd "$d" && exec timeout -k 5 $((SECS + 30)) "${cmd[@]}") >"$d/stdout" 2>"$d/stderr" &
    pid=$!; CUR=$pid
    wait "$pid" || rc=$?
    CUR=""
    kill_server_in "$d"
    # boofuzz's own sqlite log of every test case: ~1 MB/s, of no use here.
    [ "${FTPSPEC_TTF_KEEP:-}" = 1 ] || rm -f "$d/boofuzz.db"
    line="$(grep '^RESULT ' "$d/stdout" | tail -1 || true)"
    # RESULT found|none SECS KIND cases=N node=VERB element=NAME
    read -r _ status t k rest <<<"${line:-RESULT error 0 - (no result, exit $rc)}"
    if [ "$status" = found ] && [ "$k" = "$kind" ] && grep -q "$f fired" "$d/server.log" 2>/dev/null; then
        secs="$t"; note="$k, $rest"
    elif [ "$status" = found ]; then
        note="a $k that is not the planted fault ($rest)"
    else
        note="$status, $rest"
    fi
    printf '%s\tboofuzz\t%s\t%s\t%s\n' "$f" "$s" "$secs" "$note" >>"$results"
}

start=$(date +%s)
for f in $FAULTS; do
    for ((s = 1; s <= NSEEDS; s++)); do
        for t in $TOOLS; do
            "run_$t" "$f" "$s"
            tail -1 "$results" | awk -F'\t' -v secs="$SECS" '{
                printf "  %-17s seed %-3s %-8s %s (%s)\n", $1, $3, $2, ($4 == "NA" ? "not found (>" secs "s)" : $4 "s"), $5 }'
        done
    done
done
echo "wall time: $(( $(date +%s) - start ))s" >&2

"$PY" - "$results" "$SECS" "$NSEEDS" "$FAULTS" "$TOOLS" <<'PY'
import sys
path, secs, nseeds, faults, tools = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split(), sys.argv[5].split()
runs = {}
for line in open(path):
    f, tool, seed, t, note = line.rstrip("\n").split("\t")
    runs.setdefault((f, tool), []).append(float("inf") if t == "NA" else float(t))

def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2

def cell(xs):
    if not xs:
        return "-"
    m = median(xs)
    found = sum(x != float("inf") for x in xs)
    text = f"not found (>{secs}s)" if m == float("inf") else f"{m:.1f}"
    return text if nseeds == 1 else f"{text} [{found}/{len(xs)}]"

print(f"\ntime to find, seconds ({'median of ' + str(nseeds) + ' seeds, [found/runs]' if nseeds > 1 else 'one seed'}; {secs}s per run)")
print(f"{'fault':<18}" + "".join(f"{t:<24}" for t in tools))
for f in faults:
    print(f"{f:<18}" + "".join(f"{cell(runs.get((f, t), [])):<24}" for t in tools))
PY
