#!/bin/bash -eu
# Build every cargo-fuzz target in fuzz/ and hand ClusterFuzzLite each
# binary with its seed corpus (corpora/<target>/) and the FTP dictionary.
# Runs in the builder image with $SRC and $OUT set; locally:
#   SRC=/path/to/parent OUT=/tmp/out bash .clusterfuzzlite/build.sh
cd "$SRC/ftpspec"
cargo fuzz build -O
built=fuzz/target/x86_64-unknown-linux-gnu/release
for target in $(cargo fuzz list); do
    cp "$built/$target" "$OUT/"
    if [ -d "corpora/$target" ]; then
        (cd "corpora/$target" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
    fi
    cp corpora/ftp.dict "$OUT/$target.dict"
done
