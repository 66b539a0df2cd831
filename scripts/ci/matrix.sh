#!/usr/bin/env bash
# Regenerate the README's conformance matrix: run the whole suite against
# every real server scripts/ci/real-servers.sh starts (inside its private
# network namespace) and against the embedded libunftp, then print
# `ftpspec matrix` over all of them.
#
#   scripts/ci/matrix.sh [OUT_DIR]     # JSON reports kept in OUT_DIR (default: a temp dir)
#
# FTPSPEC_SERVERS (see real-servers.sh) narrows the servers.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-$(mktemp -d)}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cargo build -q --release --bin ftpspec
bin="$PWD/target/release/ftpspec"
# --jobs 1: several servers reuse a small passive port range; serial runs
# keep their verdicts reproducible.
scripts/ci/real-servers.sh bash -c '
  while IFS=$'"'"'\t'"'"' read -r name url; do
    [ -n "$name" ] || continue
    "'"$bin"'" run --target "$url" --jobs 1 --report json="'"$out"'/$name.json" --report human=/dev/null >/dev/null || true
    echo "$name" >> "'"$out"'/names"
  done < "$FTPSPEC_TARGETS"' >&2
"$bin" run --jobs 1 --report json="$out/libunftp.json" --report human=/dev/null >/dev/null || true
echo libunftp >> "$out/names"
args=()
while read -r name; do args+=("$name=$out/$name.json"); done < "$out/names"
rm -f "$out/names"
"$bin" matrix "${args[@]}"
