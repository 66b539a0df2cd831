#!/usr/bin/env bash
# Regenerate the README's conformance matrix: run the whole suite against
# every real server scripts/ci/real-servers.sh starts, in clear and over TLS (inside its private
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
# FTPSPEC_TLS_TARGETS are the same servers over TLS, trusting FTPSPEC_TLS_CA.
scripts/ci/real-servers.sh bash -c '
  run_list() {
    while IFS=$'"'"'\t'"'"' read -r name url; do
      [ -n "$name" ] || continue
      "'"$bin"'" run --target "$url" "$@" --jobs 1 --report json="'"$out"'/$name.json" --report human=/dev/null >/dev/null || true
      echo "$name" >> "'"$out"'/names"
    done
  }
  run_list < "$FTPSPEC_TARGETS"
  if [ -n "${FTPSPEC_TLS_TARGETS:-}" ] && [ -s "$FTPSPEC_TLS_TARGETS" ]; then
    run_list --tls-ca "$FTPSPEC_TLS_CA" < "$FTPSPEC_TLS_TARGETS"
  fi' >&2
"$bin" run --jobs 1 --report json="$out/libunftp.json" --report human=/dev/null >/dev/null || true
echo libunftp >> "$out/names"
args=()
while read -r name; do args+=("$name=$out/$name.json"); done < "$out/names"
rm -f "$out/names"
"$bin" matrix "${args[@]}"
