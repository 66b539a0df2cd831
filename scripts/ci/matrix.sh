#!/usr/bin/env bash
# Regenerate the README's conformance matrix: run the whole suite against
# vsftpd, pyftpdlib (IPv4 and IPv6, inside a private network namespace, via
# real-servers.sh) and the embedded libunftp, then print `ftpspec matrix`.
#
#   scripts/ci/matrix.sh [OUT_DIR]     # JSON reports kept in OUT_DIR (default: a temp dir)
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:-$(mktemp -d)}"
mkdir -p "$out"
cargo build -q --release
bin="$PWD/target/release/ftpspec"
# --jobs 1: pyftpdlib reuses a small passive port range; serial runs keep
# its verdicts reproducible.
scripts/ci/real-servers.sh bash -c '
  while IFS=$'"'"'\t'"'"' read -r name url; do
    [ -n "$name" ] || continue
    "'"$bin"'" run --target "$url" --jobs 1 --report json="'"$out"'/$name.json" --report human=/dev/null >/dev/null || true
  done < "$FTPSPEC_TARGETS"' >&2
"$bin" run --report json="$out/libunftp.json" --report human=/dev/null >/dev/null || true
"$bin" matrix vsftpd="$out/vsftpd.json" vsftpd-ipv6="$out/vsftpd-ipv6.json" \
  pyftpdlib="$out/pyftpdlib.json" pyftpdlib-ipv6="$out/pyftpdlib-ipv6.json" libunftp="$out/libunftp.json"
