//! Replays every seed in `corpora/<target>/` through the fuzz bodies on
//! stable Rust, so CI exercises the corpora (and their oracles) without a
//! nightly toolchain or libFuzzer.

use ftpspec_harness::fuzz_bodies::TARGETS;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_corpus_file_passes_its_oracle() {
    let mut total = 0;
    for (name, body) in TARGETS {
        let dir = root().join("corpora").join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(
            files.len() >= 5,
            "corpora/{name} has only {} seeds",
            files.len()
        );
        for f in &files {
            let data = std::fs::read(f).unwrap();
            if let Err(panic) = std::panic::catch_unwind(|| body(&data)) {
                let msg = panic.downcast_ref::<String>().cloned().unwrap_or_default();
                panic!("{} failed its oracle: {msg}", f.display());
            }
        }
        total += files.len();
    }
    eprintln!("replayed {total} corpus files");
}

#[test]
fn every_target_has_a_fuzz_binary_and_corpus() {
    let manifest = std::fs::read_to_string(root().join("fuzz/Cargo.toml")).unwrap();
    for (name, _) in TARGETS {
        assert!(
            root()
                .join(format!("fuzz/fuzz_targets/{name}.rs"))
                .is_file(),
            "no fuzz target for {name}"
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "{name} missing from fuzz/Cargo.toml"
        );
        assert!(
            root().join("corpora").join(name).is_dir(),
            "no corpus for {name}"
        );
    }
}

/// Real servers' replies must decode under the permissive options the runner
/// uses: a capture the codec cannot read would be a codec bug.
#[test]
fn captured_replies_decode_leniently() {
    use ftpspec_harness::codec::{Leniency, Reply, ReplyOptions};
    let opts = ReplyOptions {
        leniency: Leniency::PERMISSIVE,
        ..ReplyOptions::default()
    };
    let dir = root().join("corpora/reply");
    let mut checked = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("malformed-") || name.starts_with("rfc") || name.starts_with("wild-") {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        Reply::parse_with(&data, opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        checked += 1;
    }
    assert!(checked > 0);
}

/// Every catalogue id named by a scenario or a built-in check exists.
#[test]
fn covers_name_real_catalogue_rows() {
    use ftpspec_harness::catalogue::{self, Coverage};
    let rows = catalogue::parse(
        &std::fs::read_to_string(root().join("scenarios/requirements.tsv")).unwrap(),
    )
    .unwrap();
    let scenarios = ftpspec_harness::scenario::load_dir(&root().join("scenarios")).unwrap();
    let cov = Coverage::of(&rows, &scenarios);
    assert!(cov.unknown.is_empty(), "unknown ids: {:?}", cov.unknown);
    for (id, _) in ftpspec_harness::oracle::BUILTIN_COVERS {
        assert!(
            rows.iter().any(|r| r.id == *id),
            "built-in covers unknown row {id}"
        );
    }
}
