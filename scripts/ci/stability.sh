#!/usr/bin/env bash
# Run the suite against the real servers N times and check every run gives
# the same verdict for every case.
#
#   scripts/ci/stability.sh [N]        (default 10)
#
# Builds target/release/ftpspec (outside the namespace, where cargo may use the
# network), then, inside one scripts/ci/real-servers.sh namespace (the servers
# stay up for all runs), runs `ftpspec run --target URL --report json=FILE` for
# every target N times (those of FTPSPEC_TLS_TARGETS too, trusting
# FTPSPEC_TLS_CA; LightFTP one case at a time), and compares the case-id -> verdict maps with run 1.
# Prints per-server verdict counts and every case that changed; exits 1 if
# any run differs (or a run could not happen), 0 otherwise. A case listed in
# tests/expectations/nondeterministic.tsv (a known server race) is printed
# as RACY and does not count, unless one of its runs ended in `error`.
# Reports are kept in $FTPSPEC_STABILITY_OUT (default: a temporary directory,
# removed unless a run differs).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BIN="$REPO/target/release/ftpspec"

if [ "${1:-}" != --inner ]; then
    n="${1:-10}"
    case "$n" in ''|*[!0-9]*) echo "usage: $0 [N]" >&2; exit 2 ;; esac
    [ "$n" -ge 1 ] && [ "$n" -le 1000 ] || { echo "stability.sh: N must be 1..1000" >&2; exit 2; }
    (cd "$REPO" && cargo build --release --quiet --bin ftpspec)
    exec "$HERE/real-servers.sh" "$HERE/stability.sh" --inner "$n"
fi

# ---- inside the namespace (FTPSPEC_TARGETS set by real-servers.sh) ----
n="$2"
[ -n "${FTPSPEC_TARGETS:-}" ] || { echo "stability.sh --inner: FTPSPEC_TARGETS not set" >&2; exit 2; }
out="${FTPSPEC_STABILITY_OUT:-}"
keep=1
if [ -z "$out" ]; then out="$(mktemp -d /tmp/ftpspec-stability.XXXXXX)"; keep=0; fi
mkdir -p "$out"
cd "$REPO"
# Every run uses the same snapshot of the suite, even if scenarios/ is edited meanwhile.
rm -rf "$out/suite" && cp -r scenarios "$out/suite"

rc=0
start=$(date +%s)
for ((i = 1; i <= n; i++)); do
    t0=$(date +%s)
    # All targets at once (separate servers), as tests/real_servers.rs does,
    # with its jobs: LightFTP one case at a time (it goes down under four).
    pids=() names=()
    while IFS=$'\t' read -r name url; do
        case "$name" in ''|'#'*) continue ;; esac
        jobs=4; case "$name" in lightftp*) jobs=1 ;; esac
        trust=(); case "$url" in ftpes://*|ftps://*) trust=(--tls-ca "$FTPSPEC_TLS_CA") ;; esac
        timeout 900 "$BIN" run --target "$url" "${trust[@]}" --suite "$out/suite" --jobs "$jobs" --case-timeout 60s \
            --report "json=$out/$name.$i.json" >/dev/null 2>"$out/$name.$i.stderr" &
        pids+=("$!") names+=("$name")
    done < <(cat "$FTPSPEC_TARGETS" "${FTPSPEC_TLS_TARGETS:-/dev/null}")
    for k in "${!pids[@]}"; do
        code=0
        wait "${pids[$k]}" || code=$?
        # Exit 1 just means failures or errors; 2 and 3 mean no usable run.
        if [ "$code" -gt 1 ]; then
            name="${names[$k]}"
            echo "run $i $name: ftpspec exited $code: $(head -c 500 "$out/$name.$i.stderr")" >&2
            rc=1
            rm -f "$out/$name.$i.json"
        fi
    done
    echo "run $i/$n: $(( $(date +%s) - t0 )) s" >&2
done

cat "$FTPSPEC_TARGETS" "${FTPSPEC_TLS_TARGETS:-/dev/null}" >"$out/targets"
python3 - "$out" "$n" "$out/targets" "$REPO/tests/expectations/nondeterministic.tsv" <<'PY' || rc=1
import json, sys, collections
out, n, targets, racy_file = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
names = [l.split("\t")[0] for l in open(targets) if l.strip() and not l.startswith("#")]
# server<TAB>scenario<TAB>reason; server may end in * (a prefix) or be *,
# scenario may be * (every scenario of that server).
racy = []
for l in open(racy_file):
    f = l.rstrip("\n").split("\t", 2)
    if len(f) == 3 and not l.startswith("#"):
        racy.append(f)
def listed(name, cid):
    scen = cid.split("[")[0]
    for server, sc, _ in racy:
        ok = name.startswith(server[:-1]) if server.endswith("*") else server == name
        if ok and sc in (scen, "*"):
            return True
    return False
bad = False
for name in names:
    runs = {}
    for i in range(1, n + 1):
        try:
            with open(f"{out}/{name}.{i}.json") as f:
                rep = json.load(f)
        except OSError:
            print(f"{name}: run {i}: no report")
            bad = True
            continue
        runs[i] = {c["id"]: (c["verdict"], c.get("message", "")) for c in rep["cases"]}
    if not runs:
        continue
    first_i = min(runs)
    first = runs[first_i]
    counts = collections.Counter(v for v, _ in first.values())
    summary = ", ".join(f"{counts[v]} {v}" for v in sorted(counts))
    changed = collections.defaultdict(list)  # case id -> [(run, verdict, message)]
    for i, r in sorted(runs.items()):
        for cid in sorted(set(first) | set(r)):
            a, b = first.get(cid), r.get(cid)
            if (a and a[0]) != (b and b[0]):
                changed[cid].append((i, b[0] if b else "missing", b[1] if b else ""))
    # Known races are shown, not counted, unless a run ended in error.
    excused = {cid for cid, diffs in changed.items()
               if listed(name, cid) and "error" not in [v for _, v, _ in diffs]
               and first.get(cid, ("",))[0] != "error"}
    counted = {cid: d for cid, d in changed.items() if cid not in excused}
    status = "stable" if not counted else f"UNSTABLE ({len(counted)} case(s))"
    if excused:
        status += f", {len(excused)} listed race(s) changed"
    print(f"{name}: {len(first)} cases: {summary} -- {len(runs)} run(s), {status}")
    for cid, diffs in sorted(changed.items()):
        base = first.get(cid)
        tag = "RACY (nondeterministic.tsv) " if cid in excused else ""
        print(f"  {tag}{cid}: run {first_i} {base[0] if base else 'missing'}"
              + (f" ({base[1]})" if base and base[1] else ""))
        for i, v, msg in diffs:
            print(f"    run {i}: {v}" + (f" ({msg})" if msg else ""))
    bad = bad or bool(counted)
sys.exit(1 if bad else 0)
PY

echo "$n run(s) in $(( $(date +%s) - start )) s" >&2
if [ "$rc" != 0 ]; then
    echo "stability.sh: runs differ; reports kept in $out" >&2
elif [ "$keep" = 0 ]; then
    rm -rf "$out"
fi
exit "$rc"
