//! Every sentence ftpspec quotes is in its RFC, word for word: the rules of
//! the built-in checks (`harness/src/oracle/`), the requirement catalogue
//! (`scenarios/requirements.tsv`) and every scenario's `ref:` lines. The
//! RFC texts are in `rfc/` (RFCs may be copied in full; see `rfc/README.md`).
//!
//! Matching ignores what the RFC layout adds: page footers and headers,
//! line breaks and runs of spaces, and the `\` that continues a line in a
//! format example. A quote may join passages with `...` (or `…`): each
//! must then be there, word for word.

use ftpspec_harness::catalogue;
use ftpspec_harness::oracle;
use ftpspec_harness::scenario::load_dir;
use std::collections::BTreeMap;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Collapse whitespace, and join words an RFC broke with a hyphen at a line end.
fn squash(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    // A lone `\` continues a format example over two lines.
    for word in text.split_whitespace().filter(|w| *w != "\\") {
        // "server-" + "PI" and "server-PI" both become "server-PI".
        if !out.is_empty() && !out.ends_with('-') {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// The running text of an RFC: no page footers or headers, no form feeds,
/// no line-continuation backslashes.
fn running_text(raw: &str, rfc: u16) -> String {
    let mut lines = Vec::new();
    let mut after_footer = false;
    let mut after_header = false;
    for line in raw.lines() {
        let line = line.trim_start_matches('\u{c}').trim_end();
        if line.contains("[Page ") && line.ends_with(']') {
            after_footer = true;
            continue;
        }
        if after_footer {
            if line.is_empty() {
                continue;
            }
            let header = line.starts_with("RFC") && line.len() > 60;
            after_footer = false;
            if header {
                after_header = true;
                continue;
            }
        }
        if after_header {
            after_header = false;
            // RFC 959 repeats its title under every page header.
            if rfc == 959 && line == "File Transfer Protocol" {
                continue;
            }
        }
        lines.push(line);
    }
    squash(&lines.join("\n"))
}

fn rfcs() -> BTreeMap<u16, String> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(root().join("rfc")).unwrap() {
        let path = entry.unwrap().path();
        let Some(n) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("rfc"))
            .and_then(|n| n.strip_suffix(".txt"))
            .and_then(|n| n.parse::<u16>().ok())
        else {
            continue;
        };
        let raw = std::fs::read_to_string(&path).unwrap();
        out.insert(n, running_text(&raw, n));
    }
    out
}

/// Whether `quote` is in `text`. A quote may join passages from several
/// places with `...` (RFC 1123's summary table entry, then the sentence it
/// summarises): each passage must then be there, word for word.
fn quoted_in(quote: &str, text: &str) -> bool {
    quote
        .split('…')
        .flat_map(|p| p.split("..."))
        .map(squash)
        .filter(|f| !f.is_empty())
        .all(|f| text.contains(&f))
}

/// `(where, rfc, quote)` that are not in their RFC.
fn missing(quotes: Vec<(String, u16, String)>) -> Vec<String> {
    let rfcs = rfcs();
    quotes
        .into_iter()
        .filter_map(|(at, rfc, quote)| match rfcs.get(&rfc) {
            None => Some(format!("{at}: RFC {rfc} is not in rfc/")),
            Some(text) if !quoted_in(&quote, text) => Some(format!("{at}: RFC {rfc}: {quote}")),
            Some(_) => None,
        })
        .collect()
}

#[test]
fn normalisation() {
    let raw = "   first line of a sentence that goes\n   on.\n\nX & Y                Standards Track                     [Page 2]\n\u{c}\nRFC 2389             Feature negotiation mechanism           August 1998\n\n   after the break, server-\n   PI.  \\\n   cont\n";
    let t = running_text(raw, 2389);
    assert!(
        quoted_in("first line of a sentence that goes on.", &t),
        "{t}"
    );
    assert!(quoted_in("goes on. after the break", &t), "{t}");
    assert!(quoted_in("server-PI.", &t), "{t}");
    assert!(quoted_in("PI. cont", &t), "{t}");
    assert!(quoted_in("first ... after the break", &t), "{t}");
    assert!(!quoted_in("first ... not there", &t), "{t}");
    assert!(!t.contains("Page") && !t.contains("August"), "{t}");
}

#[test]
fn built_in_check_rules_are_verbatim() {
    let quotes = oracle::rules()
        .into_iter()
        .map(|r| (r.citation(), r.rfc, r.quote.to_owned()))
        .collect();
    let bad = missing(quotes);
    assert!(bad.is_empty(), "not found verbatim:\n{}", bad.join("\n"));
}

/// The sentence each tolerated deviation of the codec departs from (shown
/// in warnings) is quoted word for word too.
#[test]
fn codec_deviation_quotes_are_verbatim() {
    let quotes = ftpspec_harness::codec::Deviation::ALL
        .iter()
        .map(|d| {
            let r = d.rfc();
            (d.name().to_owned(), r.rfc, r.quote.to_owned())
        })
        .collect();
    let bad = missing(quotes);
    assert!(bad.is_empty(), "not found verbatim:\n{}", bad.join("\n"));
}

#[test]
fn catalogue_rows_are_verbatim() {
    let text = std::fs::read_to_string(root().join("scenarios/requirements.tsv")).unwrap();
    let rows = catalogue::parse(&text).unwrap();
    let quotes = rows.into_iter().map(|r| (r.id, r.rfc, r.quote)).collect();
    let bad = missing(quotes);
    assert!(
        bad.is_empty(),
        "{} rows not found verbatim:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn scenario_refs_are_verbatim() {
    let scenarios = load_dir(&root().join("scenarios")).unwrap();
    let quotes = scenarios
        .iter()
        .flat_map(|s| {
            s.refs
                .iter()
                .map(|r| (s.path.clone(), r.rfc, r.quote.clone()))
        })
        .collect();
    let bad = missing(quotes);
    assert!(
        bad.is_empty(),
        "{} refs not found verbatim:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// RFCs that give force only to capitalised keywords: RFC 1123 §1.3.2, and
/// those that cite BCP 14 (RFC 2389 §2, 2428 §1, 3659 §2, 4217 §2, 2640 §1,
/// 7151 §2). RFC 959, 2228 and 2577 use their own plain words.
const KEYWORD_RFCS: [u16; 7] = [1123, 2389, 2428, 3659, 4217, 2640, 7151];

/// The capitalised keywords of each level.
fn keywords(level: &str) -> &'static [&'static str] {
    match level {
        "MUST" | "MUST-NOT" => &["MUST", "SHALL", "REQUIRED"],
        "SHOULD" | "SHOULD-NOT" => &["SHOULD", "RECOMMENDED"],
        _ => &["MAY", "OPTIONAL"],
    }
}

/// RFC 1123 §4.1.5's summary table gives each feature a level by column:
/// its entries ("Support commands: ... USER") carry no keyword of their own.
fn is_1123_summary_entry(quote: &str) -> bool {
    quote.starts_with("Support ")
}

/// Whether a quote carries a capitalised keyword of `level`.
fn has_keyword(level: &str, quote: &str) -> bool {
    keywords(level).iter().any(|k| {
        quote
            .split(|c: char| !c.is_ascii_alphabetic())
            .any(|w| w == *k)
    })
}

/// `(where, rfc, level, quote)` whose level the quote's own keywords do not bear out.
fn level_mismatches(rows: Vec<(String, u16, String, String)>) -> Vec<String> {
    rows.into_iter()
        .filter(|(_, rfc, level, quote)| {
            KEYWORD_RFCS.contains(rfc)
                // A permission in plain words is a permission all the same,
                // and a MAY gives no finding either way.
                && level != "MAY"
                && !(*rfc == 1123 && is_1123_summary_entry(quote))
                && !has_keyword(level, quote)
                // Plain words ("must", "will") with no capitalised keyword
                // are weighed as a SHOULD: such a row is rightly a SHOULD.
                && (!level.starts_with("SHOULD") || has_keyword("MUST", quote))
        })
        .map(|(at, rfc, level, quote)| format!("{at}: RFC {rfc} {level}: {quote}"))
        .collect()
}

/// In the RFCs that use capitalised keywords, a MUST row or ref quotes a
/// MUST (or SHALL, REQUIRED), a SHOULD one a SHOULD (or RECOMMENDED), a MAY
/// one a MAY (or OPTIONAL): a lower-case "must" has no keyword force there
/// (RFC 3659 §2: "capitalized imperative words like MUST, SHOULD"), and
/// ftpspec weighs such a sentence as a SHOULD (scenarios/README.md).
#[test]
fn levels_follow_each_rfcs_keyword_rule() {
    let text = std::fs::read_to_string(root().join("scenarios/requirements.tsv")).unwrap();
    let mut rows: Vec<(String, u16, String, String)> = catalogue::parse(&text)
        .unwrap()
        .into_iter()
        .filter(|r| r.untestable.is_none())
        .map(|r| (r.id, r.rfc, r.level, r.quote))
        .collect();
    for s in load_dir(&root().join("scenarios")).unwrap() {
        for r in &s.refs {
            rows.push((s.path.clone(), r.rfc, r.level.to_string(), r.quote.clone()));
        }
    }
    for r in oracle::rules() {
        rows.push((r.citation(), r.rfc, r.level.to_string(), r.quote.to_owned()));
    }
    let bad = level_mismatches(rows);
    assert!(
        bad.is_empty(),
        "{} levels not borne out by the quote's keywords:\n{}",
        bad.len(),
        bad.join("\n")
    );
}
