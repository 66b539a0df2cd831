//! The installed binary needs no checkout: `cargo install` it into a
//! temporary root and run it from another directory, suite and catalogue
//! coming from inside the binary.

use std::path::Path;
use std::process::Command;

#[test]
fn the_installed_binary_runs_from_anywhere() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let install = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    // --debug and the workspace's own target directory: the artifacts the
    // tests were just built from, so this takes seconds, offline.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "install",
            "--quiet",
            "--offline",
            "--debug",
            "--locked",
            "--path",
        ])
        .arg(root)
        .arg("--root")
        .arg(install.path())
        .env("CARGO_TARGET_DIR", root.join("target"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo install: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = install.path().join("bin").join("ftpspec");
    let run = |args: &[&str]| {
        let o = Command::new(&bin)
            .args(args)
            .current_dir(elsewhere.path())
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&["list"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("basic.noop"), "{out}");
    let (code, out, err) = run(&["coverage", "--gaps"]);
    assert!(matches!(code, Some(0)), "{out}{err}");
    let (code, out, err) = run(&["run", "--only", "basic.noop", "--only", "basic.syst"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("2 cases"), "{out}");
    let (code, _, err) = run(&["show", "basic.noop"]);
    assert_eq!(code, Some(0), "{err}");
}
