//! The conformance suite built into the crate (by `build.rs`, from the
//! repository's `scenarios/`): an installed `ftpspec` runs it from any
//! directory, and a report names the exact suite it ran by its digest.

use crate::catalogue::{self, CatalogueError, Row};
use crate::scenario::{Scenario, ScenarioError, load_texts};
use sha2::{Digest, Sha256};

mod files {
    include!(concat!(env!("OUT_DIR"), "/builtin_suite.rs"));
}

/// The built-in scenario files: `(path under scenarios/, text)`, sorted.
pub fn files() -> &'static [(&'static str, &'static str)] {
    files::FILES
}

/// The built-in scenarios, parsed. (They are checked by the tests, so an
/// error here means a broken build.)
pub fn scenarios() -> Result<Vec<Scenario>, Vec<ScenarioError>> {
    load_texts(
        files::FILES
            .iter()
            .map(|(path, text)| (format!("scenarios/{path}"), (*text).to_owned())),
    )
}

/// The built-in requirement catalogue, as text.
pub fn requirements_text() -> &'static str {
    files::REQUIREMENTS
}

/// The built-in requirement catalogue.
pub fn requirements() -> Result<Vec<Row>, CatalogueError> {
    catalogue::parse(files::REQUIREMENTS)
}

/// The built-in suite with `extra` scenarios added; an extra scenario with
/// the id of a built-in one replaces it.
pub fn with(extra: Vec<Scenario>) -> Result<Vec<Scenario>, Vec<ScenarioError>> {
    let mut suite = scenarios()?;
    for sc in extra {
        match suite.iter_mut().find(|s| s.id == sc.id) {
            Some(slot) => *slot = sc,
            None => suite.push(sc),
        }
    }
    Ok(suite)
}

/// A short digest of a suite: SHA-256 over every scenario's id and
/// source file, first 12 hex digits. Two runs with the same digest ran the
/// same scenarios (a baseline from another suite warns).
pub fn digest(scenarios: &[Scenario]) -> String {
    let mut ids: Vec<(&str, &str)> = scenarios
        .iter()
        .map(|s| (s.id.as_str(), s.path.as_str()))
        .collect();
    ids.sort();
    let mut h = Sha256::new();
    for (id, path) in ids {
        h.update(id.as_bytes());
        h.update([0]);
        // The text of a built-in file, or the file on disk.
        let builtin = path
            .strip_prefix("scenarios/")
            .and_then(|p| files::FILES.iter().find(|(f, _)| *f == p));
        match builtin {
            Some((_, text)) => h.update(text.as_bytes()),
            None => h.update(std::fs::read(path).unwrap_or_default()),
        }
        h.update([0]);
    }
    h.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_suite_loads() {
        let s = scenarios().unwrap();
        assert!(s.len() > 100, "{}", s.len());
        assert!(requirements().unwrap().len() > 300);
        assert_eq!(digest(&s), digest(&s));
        assert_eq!(digest(&s).len(), 12);
    }

    #[test]
    fn extra_scenarios_replace_by_id() {
        let mut one = scenarios().unwrap().remove(0);
        one.title = "replaced".into();
        let merged = with(vec![one.clone()]).unwrap();
        assert_eq!(merged.len(), scenarios().unwrap().len());
        assert!(
            merged
                .iter()
                .any(|s| s.id == one.id && s.title == "replaced")
        );
    }
}
