//! Snapshot regression: each case's transcript, normalised so that only
//! the server's behaviour is left, kept as a file and compared run to run.
//!
//! Normalisation replaces what varies between two runs of an unchanged
//! server: addresses and ports (in PORT, EPRT, 227, 229 and the harness's
//! notes), the scratch directory name, timestamps (MDTM, MLST facts),
//! the greeting's text (banners carry versions and host names), the
//! names STOU makes up (and UUIDs and MLST `unique` facts wherever they
//! appear), whether a transfer's preliminary reply is 125 or 150 (it
//! depends on whether the data connection was open yet), byte
//! counts of directory listings (dates and sizes inside them change) and of
//! transfers cut short by ABOR or QUIT (how much arrived is a race), and
//! timings, `ls`-style dates in STAT replies. Notes about the data
//! connection being accepted (a race with the server's replies) and about
//! removing the scratch directory (after the case) are dropped.

use crate::driver::Direction;
use crate::events::{CaseResult, Report};
use regex::Regex;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// File name extension of snapshot files.
pub const EXT: &str = "snap";

/// A snapshot file starting with this line is neither compared nor
/// rewritten: for cases whose transcript legitimately varies (e.g. whether
/// a transfer finished before ABOR arrived, which RFC 959 §4.1.3 allows
/// either way).
pub const IGNORE: &str = "# ftpspec: ignore";

struct Rules {
    scratch: Regex,
    host_port: Regex,
    ext_addr: Regex,
    sock_v4: Regex,
    sock_v6: Regex,
    ipv4: Regex,
    time: Regex,
    bytes: Regex,
    uuid: Regex,
    ls_date: Regex,
    unique_fact: Regex,
}

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("snapshot rule");
        Rules {
            scratch: re(r"ftpspec-[0-9a-f]+-\d+"),
            host_port: re(r"\b\d{1,3}(,\s*\d{1,3}){5}\b"),
            ext_addr: re(r"\|([12]?)\|([^|\s]*)\|(\d+)\|"),
            sock_v4: re(r"\b\d{1,3}(\.\d{1,3}){3}:\d+\b"),
            sock_v6: re(r"\[[0-9A-Fa-f:.]+\]:\d+"),
            ipv4: re(r"\b\d{1,3}(\.\d{1,3}){3}\b"),
            time: re(r"\b\d{14}(\.\d+)?\b"),
            bytes: re(r"\b\d+ bytes\b"),
            ls_date: re(
                r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} +(\d{1,2}:\d{2}|\d{4})\b",
            ),
            unique_fact: re(r"(?i)\bunique=[^;\s]*"),
            uuid: re(
                r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b",
            ),
        }
    })
}

/// Verbs whose data carries dates and sizes that differ between runs.
const LISTINGS: [&str; 4] = ["LIST", "NLST", "MLSD", "STAT"];

/// `text` with scratch directory names, addresses, ports and timestamps
/// replaced by placeholders.
pub fn redact(text: &str) -> String {
    let r = rules();
    let mut t = r.scratch.replace_all(text, "<scratch>").into_owned();
    t = r.host_port.replace_all(&t, "<host-port>").into_owned();
    t = r
        .ext_addr
        .replace_all(&t, |c: &regex::Captures| {
            let addr = if c[2].is_empty() { "" } else { "<addr>" };
            format!("|{}|{addr}|<port>|", &c[1])
        })
        .into_owned();
    t = r.sock_v6.replace_all(&t, "<addr>:<port>").into_owned();
    t = r.sock_v4.replace_all(&t, "<addr>:<port>").into_owned();
    t = r.ipv4.replace_all(&t, "<addr>").into_owned();
    t = r.time.replace_all(&t, "<time>").into_owned();
    t = r.uuid.replace_all(&t, "<uuid>").into_owned();
    t = r.ls_date.replace_all(&t, "<date>").into_owned();
    t = r.unique_fact.replace_all(&t, "unique=<id>").into_owned();
    t
}

/// Commands whose preliminary reply is 125 or 150 depending on whether the
/// data connection was already open: a race, not behaviour.
const TRANSFERS: [&str; 7] = ["RETR", "STOR", "STOU", "APPE", "LIST", "NLST", "MLSD"];

/// The file name in a reply to STOU (`150 FILE: name`, `150 name.`): its
/// last word, if long enough not to be mistaken for ordinary text.
fn stou_name(reply: &str) -> Option<String> {
    let word = reply.get(4..)?.split_whitespace().last()?;
    let word = word
        .trim_end_matches(['.', '"', ')'])
        .trim_start_matches(['"', '(']);
    (word.len() >= 4 && !word.starts_with('<')).then(|| word.to_owned())
}

/// The case's transcript with everything that varies between runs replaced.
pub fn normalise(case: &CaseResult) -> String {
    let r = rules();
    let mut out = format!("# {}\n# verdict: {}\n", case.id, case.verdict);
    let mut last_verb = String::new();
    let mut in_greeting = false;
    let mut unique: Vec<String> = Vec::new();
    for e in &case.transcript {
        let text = e.text.strip_suffix("\\r\\n").unwrap_or(&e.text);
        // Harness housekeeping, not the case's behaviour: when the server
        // accepts a data connection relative to its replies is a race, and
        // removing the scratch directory happens after the case.
        if e.dir == Direction::Note
            && (text.starts_with("data: server connected from") || text.starts_with("cleanup:"))
        {
            continue;
        }
        let mut t = redact(text);
        for name in &unique {
            t = t.replace(name.as_str(), "<unique name>");
        }
        match e.dir {
            Direction::Client => {
                last_verb = t
                    .split(' ')
                    .next()
                    .unwrap_or("")
                    .to_ascii_uppercase()
                    .replace("\\R\\N", "");
            }
            // STOU's replies name the file the server made up; later
            // commands use that name too.
            Direction::Server if last_verb == "STOU" && t.len() > 3 => {
                unique.extend(stou_name(&t));
                let code = t.get(..3).unwrap_or("").to_owned();
                t = match code.as_str() {
                    "125" | "150" => "1yz <preliminary, unique name>".to_owned(),
                    _ => format!("{code} <unique name>"),
                };
            }
            Direction::Server
                if TRANSFERS.contains(&last_verb.as_str())
                    && (t.starts_with("125 ") || t.starts_with("150 ")) =>
            {
                t = "1yz <preliminary>".to_owned();
            }
            // The greeting (and its continuation lines) names the product
            // and version; only its code is behaviour.
            Direction::Server if last_verb.is_empty() && (t.starts_with("220") || in_greeting) => {
                in_greeting = t.starts_with("220-") || (in_greeting && !t.starts_with("220 "));
                if !t.starts_with("220") {
                    continue;
                }
                t = format!("{} <banner>", t.get(..4).unwrap_or("220").trim_end());
            }
            // Listings carry dates and sizes; how much of an aborted
            // transfer arrived is a race.
            Direction::Data
                if LISTINGS.contains(&last_verb.as_str())
                    || ["ABOR", "QUIT"].contains(&last_verb.as_str()) =>
            {
                t = r.bytes.replace_all(&t, "<n> bytes").into_owned();
            }
            _ => {}
        }
        out.push_str(e.dir.arrow());
        out.push(' ');
        out.push_str(&t);
        out.push('\n');
    }
    out
}

/// The snapshot file name for a case id: `transfer.x[pasv-ipv4]` becomes
/// `transfer.x.pasv-ipv4.snap` (no brackets for shells to trip over).
pub fn file_name(id: &str) -> String {
    let base: String = id
        .replace('[', ".")
        .chars()
        .filter(|&c| c != ']')
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{base}.{EXT}")
}

/// A case whose transcript differs from its snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Changed {
    /// The case.
    pub id: String,
    /// The snapshot file.
    pub path: PathBuf,
    /// A unified diff, stored snapshot first.
    pub diff: String,
}

/// The outcome of checking a run against a snapshot directory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SnapshotCheck {
    /// Cases whose transcript matches.
    pub unchanged: usize,
    /// Cases whose transcript changed.
    pub changed: Vec<Changed>,
    /// Cases with no snapshot yet.
    pub new: Vec<String>,
    /// Files written (with `accept`).
    pub written: usize,
    /// Cases whose snapshot file starts with [`IGNORE`]: not compared.
    pub ignored: usize,
}

impl SnapshotCheck {
    /// Whether the gate passes: nothing changed (new cases do not fail it).
    pub fn ok(&self) -> bool {
        self.changed.is_empty()
    }
}

/// Compare every case of `report` with its snapshot in `dir`; with
/// `accept`, write new and changed snapshots.
pub fn check(dir: &Path, report: &Report, accept: bool) -> std::io::Result<SnapshotCheck> {
    let mut out = SnapshotCheck::default();
    if accept {
        std::fs::create_dir_all(dir)?;
    }
    for case in &report.cases {
        let path = dir.join(file_name(&case.id));
        let now = normalise(case);
        let stored = match std::fs::read_to_string(&path) {
            Ok(s) => Some(s),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        match stored {
            Some(s) if s.starts_with(IGNORE) => {
                out.ignored += 1;
                continue;
            }
            Some(s) if s == now => {
                out.unchanged += 1;
                continue;
            }
            Some(s) => out.changed.push(Changed {
                id: case.id.clone(),
                path: path.clone(),
                diff: similar::TextDiff::from_lines(&s, &now)
                    .unified_diff()
                    .context_radius(3)
                    .header("stored", "this run")
                    .to_string(),
            }),
            None => out.new.push(case.id.clone()),
        }
        if accept {
            std::fs::write(&path, &now)?;
            out.written += 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::Entry;

    /// Entries as [`normalise`] prints them, in a case with only a transcript.
    fn normalise_entries(id: &str, entries: Vec<Entry>) -> String {
        let case = CaseResult {
            id: id.into(),
            scenario: String::new(),
            title: String::new(),
            mode: None,
            verdict: crate::verdict::Verdict::Pass,
            refs: Vec::new(),
            covers: Vec::new(),
            message: String::new(),
            findings: Vec::new(),
            transcript: entries,
            notes: Vec::new(),
            duration_ms: 0,
        };
        normalise(&case)
    }

    fn e(dir: Direction, text: &str) -> Entry {
        Entry {
            ms: 7,
            dir,
            text: text.into(),
        }
    }

    #[test]
    fn varying_parts_are_redacted() {
        use Direction::*;
        let got = normalise_entries(
            "x",
            vec![
                e(Note, "connecting to [::1]:36621"),
                e(Server, "220-vsFTPd 3.0.3 on host\\r\\n"),
                e(Server, " welcome\\r\\n"),
                e(Server, "220 ready\\r\\n"),
                e(Client, "MKD ftpspec-228cd448c-12\\r\\n"),
                e(Client, "PORT 127,0,0,1,172,135\\r\\n"),
                e(Server, "227 Entering Passive Mode (127,0,0,1,209,90)\\r\\n"),
                e(Client, "EPRT |2|::1|36309|\\r\\n"),
                e(
                    Server,
                    "229 Entering Extended Passive Mode (|||61510|)\\r\\n",
                ),
                e(Note, "data: server connected from 127.0.0.1:53060"),
                e(Note, "data: connecting to 127.0.0.1:53594"),
                e(Server, "213 20261123201533\\r\\n"),
                e(Server, "211-drwxr-xr-x 2 0 0 4096 Nov  3 23:38 d\\r\\n"),
                e(Server, "211 -rw-r--r-- 1 0 0 12 Jan 10  2025 f\\r\\n"),
                e(Note, "cleanup: could not remove ftpspec-1-2: 550"),
                e(Client, "STOU\\r\\n"),
                e(Server, "150 FILE: ftpd.dwjcd1pe\\r\\n"),
                e(Server, "226 Transfer complete.\\r\\n"),
                e(Client, "RETR ftpd.dwjcd1pe\\r\\n"),
                e(Server, "125 Data connection already open.\\r\\n"),
                e(Client, "MLST 314a33c5-898e-44b7-98db-5438d7f656a1\\r\\n"),
                e(
                    Server,
                    "250- modify=20261123201533;unique=fe00ga2cc4c; x\\r\\n",
                ),
                e(Client, "LIST\\r\\n"),
                e(Data, "data< 312 bytes received"),
                e(Client, "RETR f\\r\\n"),
                e(Data, "data< 65536 bytes received"),
            ],
        );
        insta::assert_snapshot!(got);
    }

    #[test]
    fn file_names_avoid_brackets() {
        assert_eq!(
            file_name("transfer.stor-retr[eprt-ipv6]"),
            "transfer.stor-retr.eprt-ipv6.snap"
        );
        assert_eq!(file_name("a/b c"), "a_b_c.snap");
    }
}
