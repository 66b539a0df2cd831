//! Embeds the conformance suite (`../scenarios/**/*.ftpspec` and the
//! requirement catalogue) in the crate, so that an installed `ftpspec`
//! needs no checkout: `ftpspec_harness::builtin`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "ftpspec") {
            out.push(p);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let suite = manifest.join("..").join("scenarios");
    let suite = suite.canonicalize().unwrap_or(suite);
    println!("cargo:rerun-if-changed={}", suite.display());
    let mut files = Vec::new();
    walk(&suite, &mut files);
    files.sort();
    let mut code = String::from(
        "/// The built-in scenario files: path under `scenarios/`, and text.\npub static FILES: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let rel = f.strip_prefix(&suite).unwrap_or(f);
        let rel = rel.to_string_lossy().replace('\\', "/");
        let _ = writeln!(
            code,
            "    ({rel:?}, include_str!({:?})),",
            f.display().to_string()
        );
    }
    code.push_str("];\n");
    let catalogue = suite.join("requirements.tsv");
    println!("cargo:rerun-if-changed={}", catalogue.display());
    if catalogue.exists() {
        let _ = writeln!(
            code,
            "/// The built-in requirement catalogue.\npub static REQUIREMENTS: &str = include_str!({:?});",
            catalogue.display().to_string()
        );
    } else {
        code.push_str("/// The built-in requirement catalogue (none was found at build time).\npub static REQUIREMENTS: &str = \"\";\n");
    }
    let out =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("builtin_suite.rs");
    std::fs::write(out, code).expect("OUT_DIR is writable");
}
