//! `scripts/bench/reach.py`, the reach benchmark's "of reachable" figure:
//! on a synthetic gcovr report built from its own table, the count it
//! gives, and the self-check that refuses a table the run contradicts.

use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

const TABLE: &str = "scripts/bench/lightftp-5980ea1-reach.tsv";

/// (file, line, branch) -> class, from the table.
fn table() -> BTreeMap<(String, u64, u64), String> {
    let text = std::fs::read_to_string(TABLE).unwrap();
    let mut out = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 5, "{TABLE}: {line}");
        for b in cols[2].split(',') {
            out.insert(
                (
                    cols[0].to_owned(),
                    cols[1].parse().unwrap(),
                    b.parse().unwrap(),
                ),
                cols[3].to_owned(),
            );
        }
    }
    out
}

/// A gcovr --json report holding every branch of the table with the
/// counts `count` gives, plus `extra` branches of a line of its own, of
/// which `extra_covered` covered.
fn report(count: impl Fn(&str, u64, u64) -> u64, extra: u64, extra_covered: u64) -> Value {
    let mut files: BTreeMap<String, BTreeMap<u64, Vec<Value>>> = BTreeMap::new();
    for (file, line, branch) in table().keys() {
        files
            .entry(file.clone())
            .or_default()
            .entry(*line)
            .or_default()
            .push(json!({"branchno": branch, "count": count(file, *line, *branch)}));
    }
    let own: Vec<Value> = (0..extra)
        .map(|b| json!({"branchno": b, "count": u64::from(b < extra_covered)}))
        .collect();
    files
        .entry("ftpserv.c".into())
        .or_default()
        .insert(99_999, own);
    json!({
        "gcovr/format_version": "0.11",
        "files": files.into_iter().map(|(file, lines)| json!({
            "file": file,
            "lines": lines.into_iter().map(|(n, branches)| json!({
                "line_number": n, "count": 1, "branches": branches,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// The report with only the first table branch of `class` covered, and
/// that branch as `file:line branch n`.
fn one_covered(class: &str) -> (Value, String) {
    let t = table();
    let (f, l, b) = t.iter().find(|(_, c)| *c == class).unwrap().0.clone();
    let r = report(|ff, ll, bb| u64::from((ff, ll, bb) == (&f, l, b)), 10, 7);
    (r, format!("{f}:{l} branch {b}"))
}

fn run(dir: &Path, r: &Value) -> Output {
    let path = dir.join("run.full.json");
    std::fs::write(&path, r.to_string()).unwrap();
    Command::new("python3")
        .args(["scripts/bench/reach.py", "summary"])
        .arg(&path)
        .output()
        .expect("python3 scripts/bench/reach.py (python3 is a test prerequisite: .ci/run)")
}

#[cfg_attr(
    ftpspec_no_python3,
    ignore = "python3 does not run here: needed for scripts/bench/reach.py (build.rs)"
)]
#[test]
fn reach_counts_only_what_a_client_can_take_and_refuses_a_contradicted_table() {
    let dir = tempfile::tempdir().unwrap();
    let t = table();
    let reachable_rows = t.values().filter(|c| *c == "reachable").count() as u64;
    assert!(reachable_rows > 0 && t.len() as u64 > reachable_rows);

    // Nothing of the table covered, 10 own branches of which 7 covered:
    // reachable = the table's `reachable` rows + the 10 own.
    let out = run(dir.path(), &report(|_, _, _| 0, 10, 7));
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("7\t{}", reachable_rows + 10)
    );

    // A `reachable` row covered counts as covered.
    let out = run(dir.path(), &one_covered("reachable").0);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("8\t{}", reachable_rows + 10)
    );

    // A start-up branch covered (a restart took it) is in neither count.
    let out = run(dir.path(), &one_covered("startup").0);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("7\t{}", reachable_rows + 10)
    );

    // A `dead` branch covered: the table is wrong, and the script says where.
    let (dead, place) = one_covered("dead");
    let out = run(dir.path(), &dead);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&place) && err.contains("the table is wrong"),
        "{err}"
    );

    // A report without the table's branches (another build): refused.
    let out = run(
        dir.path(),
        &json!({"files": [{"file": "ftpserv.c", "lines": []}]}),
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not in the report"));
}
