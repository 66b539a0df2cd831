#!/usr/bin/env python3
"""How much of what a client *can* reach in LightFTP 5980ea1 a run reached.

Reads a run's branch-level gcovr report (`gcovr --json`, which
coverage.sh writes as cov/<run>.full.json) and lightftp-5980ea1-reach.tsv
(which branches no FTP client can take in the benchmark's set-up, and
why).

    reach.py summary RUN.json          covered-reachable <TAB> reachable
    reach.py gaps RUN.json [SOURCE]    uncovered branches by class, then each
                                       reachable one left (with its source
                                       line when SOURCE, LightFTP's Source/
                                       directory, is given)

Exits 2 when the table does not fit the report: a listed branch that does
not exist (another build, another commit), or one the run covered (the
table calls it unreachable, so the table is wrong). Start-up branches are
the exception: a restart of the server can take them (a bind failing on
the previous instance's port), so they only stay out of both counts.
"""

import json
import os
import signal
import sys

TABLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lightftp-5980ea1-reach.tsv")
UNREACHABLE = ("startup", "config", "tree", "resource", "dead", "network")
CLASSES = UNREACHABLE + ("reachable",)


def die(msg):
    print(f"reach.py: {msg}", file=sys.stderr)
    sys.exit(2)


def load_table():
    table = {}
    with open(TABLE, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.rstrip("\n").split("\t")
            if len(cols) != 5 or cols[3] not in CLASSES:
                die(f"{TABLE}:{n}: want file, line, branches, class ({', '.join(CLASSES)}), reason")
            file, ln, branches, cls, reason = cols
            for b in branches.split(","):
                table[(file, int(ln), int(b))] = (cls, reason)
    return table


def load_run(path):
    """(file, line, branch) -> count, for every branch gcov knows."""
    try:
        with open(path, encoding="utf-8") as f:
            report = json.load(f)
    except (OSError, ValueError) as e:
        die(f"{path}: not a gcovr --json report ({e})")
    counts = {}
    for f in report.get("files", []):
        name = os.path.basename(f["file"])
        for line in f["lines"]:
            for b in line.get("branches", []):
                counts[(name, line["line_number"], b["branchno"])] = b["count"]
    return counts


def check(table, counts):
    missing = [k for k in table if k not in counts]
    if missing:
        f, ln, b = missing[0]
        die(f"{len(missing)} branches of the table are not in the report (first: {f}:{ln} branch {b}): "
            "not LightFTP 5980ea1 built -O0?")
    # Start-up code runs again whenever the benchmark restarts the server
    # (a bind may then fail on the previous instance's port): covering it
    # says nothing about clients, and it is left out of both counts.
    covered = [(k, table[k][0]) for k in table
               if table[k][0] in UNREACHABLE and table[k][0] != "startup" and counts[k] > 0]
    if covered:
        (f, ln, b), cls = covered[0]
        die(f"{len(covered)} branches listed as unreachable were covered (first: {f}:{ln} branch {b}, "
            f"listed as {cls}): the table is wrong there")


def summary(table, counts):
    """Covered and total, over the branches a client can reach."""
    reachable = [k for k in counts if table.get(k, ("reachable",))[0] not in UNREACHABLE]
    return sum(1 for k in reachable if counts[k] > 0), len(reachable)


def gaps(table, counts, source):
    covered, reachable = summary(table, counts)
    everything = sum(1 for c in counts.values() if c > 0)
    print(f"branches: {everything}/{len(counts)} covered; a client can reach {reachable} "
          f"({100 * reachable / len(counts):.1f}%), of which {covered} covered ({100 * covered / reachable:.1f}%)")
    restarts = sum(1 for k, v in table.items() if v[0] == "startup" and counts[k] > 0)
    if restarts:
        print(f"start-up branches covered by the server's restarts (in neither count): {restarts}")
    by_class = {}
    left = []
    for k, c in sorted(counts.items()):
        if c > 0:
            continue
        cls = table.get(k, ("reachable", ""))[0]
        by_class[cls] = by_class.get(cls, 0) + 1
        if cls == "reachable":
            left.append(k)
    print("uncovered, by class:")
    for cls in CLASSES:
        print(f"  {cls:<10} {by_class.get(cls, 0)}")
    print("reachable and not covered:")
    lines = {}
    for f, ln, b in left:
        lines.setdefault((f, ln), []).append(b)
    for (f, ln), bs in lines.items():
        how = next((table[(f, ln, b)][1] for b in bs if (f, ln, b) in table), "")
        text = ""
        if source:
            try:
                with open(os.path.join(source, f), encoding="utf-8", errors="replace") as src:
                    text = src.read().split("\n")[ln - 1].strip()
            except (OSError, IndexError):
                pass
        print(f"  {f}:{ln} branch {','.join(map(str, bs))}: {text}" + (f"\n      ({how})" if how else ""))


def main(argv):
    if len(argv) < 3 or argv[1] not in ("summary", "gaps"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    table = load_table()
    counts = load_run(argv[2])
    check(table, counts)
    if argv[1] == "summary":
        print("%d\t%d" % summary(table, counts))
    else:
        gaps(table, counts, argv[3] if len(argv) > 3 else None)
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends the output quietly
    sys.exit(main(sys.argv))
