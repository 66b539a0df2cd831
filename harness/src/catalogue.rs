//! The requirement catalogue (`scenarios/requirements.tsv`): one row per
//! server-side requirement of the RFCs, and which scenarios cover it.
//!
//! Format: tab-separated, header `id group rfc section level testable quote`;
//! `testable` is `yes` or `no: <reason>`.

use crate::scenario::Scenario;
use std::collections::BTreeMap;

/// One requirement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Unique id, e.g. `R959-5.4-RETR`.
    pub id: String,
    /// Group for the conformance matrix, e.g. `data-connections`.
    pub group: String,
    /// RFC number.
    pub rfc: u16,
    /// Section.
    pub section: String,
    /// MUST, SHOULD, MAY, MUST-NOT or SHOULD-NOT.
    pub level: String,
    /// `None` if black-box testable, else why not.
    pub untestable: Option<String>,
    /// The requirement, quoted.
    pub quote: String,
}

impl Row {
    /// Whether the level is a MUST or SHOULD (positive or negative).
    pub fn is_must_or_should(&self) -> bool {
        matches!(
            self.level.as_str(),
            "MUST" | "SHOULD" | "MUST-NOT" | "SHOULD-NOT"
        )
    }
}

/// Why the catalogue could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("requirements.tsv:{line}: {message}")]
pub struct CatalogueError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parse the catalogue text.
pub fn parse(text: &str) -> Result<Vec<Row>, CatalogueError> {
    let mut rows: Vec<Row> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let err = |m: String| CatalogueError {
            line: i + 1,
            message: m,
        };
        if i == 0 || line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let [id, group, rfc, section, level, testable, quote] = f[..] else {
            return Err(err(format!(
                "expected 7 tab-separated fields, found {}",
                f.len()
            )));
        };
        let rfc = rfc
            .trim()
            .parse()
            .map_err(|_| err(format!("bad RFC number {rfc:?}")))?;
        if !["MUST", "SHOULD", "MAY", "MUST-NOT", "SHOULD-NOT"].contains(&level.trim()) {
            return Err(err(format!("bad level {level:?}")));
        }
        let untestable = match testable.trim() {
            "yes" => None,
            t => Some(
                t.strip_prefix("no:")
                    .map(str::trim)
                    .ok_or_else(|| {
                        err(format!(
                            "testable must be `yes` or `no: reason`, found {t:?}"
                        ))
                    })?
                    .to_owned(),
            ),
        };
        if rows.iter().any(|r| r.id == id) {
            return Err(err(format!("duplicate id {id}")));
        }
        rows.push(Row {
            id: id.trim().to_owned(),
            group: group.trim().to_owned(),
            rfc,
            section: section.trim().to_owned(),
            level: level.trim().to_owned(),
            untestable,
            quote: quote.trim().to_owned(),
        });
    }
    Ok(rows)
}

/// Which scenarios cover which rows.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// Row id → scenario ids covering it.
    pub covered_by: BTreeMap<String, Vec<String>>,
    /// `covers:` ids that name no row: (scenario id, unknown id).
    pub unknown: Vec<(String, String)>,
}

impl Coverage {
    /// Compute coverage.
    pub fn of(rows: &[Row], scenarios: &[Scenario]) -> Coverage {
        let mut c = Coverage::default();
        for r in rows {
            c.covered_by.insert(r.id.clone(), Vec::new());
        }
        #[cfg(feature = "engine")]
        for (id, check) in crate::oracle::BUILTIN_COVERS {
            if let Some(v) = c.covered_by.get_mut(*id) {
                v.push((*check).to_owned());
            }
        }
        for s in scenarios {
            for id in &s.covers {
                match c.covered_by.get_mut(id) {
                    Some(v) => v.push(s.id.clone()),
                    None => c.unknown.push((s.id.clone(), id.clone())),
                }
            }
        }
        c
    }

    /// Testable MUST/SHOULD rows no scenario covers.
    pub fn gaps<'a>(&self, rows: &'a [Row]) -> Vec<&'a Row> {
        rows.iter()
            .filter(|r| r.is_must_or_should() && r.untestable.is_none())
            .filter(|r| self.covered_by.get(&r.id).is_none_or(|v| v.is_empty()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rows_and_reports_errors() {
        let text = "id\tgroup\trfc\tsection\tlevel\ttestable\tquote\nR959-5.4-NOOP\tinformational\t959\t5.4\tMUST\tyes\tNOOP 200\nR959-4.1-x\tlogin\t959\t4.1\tSHOULD\tno: user side\tq\n";
        let rows = parse(text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].untestable.as_deref(), Some("user side"));
        assert!(
            parse("h\nR\tx\n")
                .unwrap_err()
                .message
                .contains("7 tab-separated")
        );
        assert!(
            parse("h\na\tb\t959\t1\tOFTEN\tyes\tq\n")
                .unwrap_err()
                .message
                .contains("bad level")
        );
        assert!(
            parse("h\na\tb\t959\t1\tMUST\tmaybe\tq\n")
                .unwrap_err()
                .message
                .contains("testable")
        );
    }
}
