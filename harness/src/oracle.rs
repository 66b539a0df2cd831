//! Built-in oracles applied to every exchange, whatever the scenario says:
//! the reply codes RFC 959 §5.4 allows for each command (extended with the
//! replies RFC 2428, RFC 2389 and RFC 3659 define for their commands).

use crate::codec::{ReplyCode, Verb};
use crate::verdict::{Finding, Verdict};

/// Catalogue rows (`scenarios/requirements.tsv`) the built-in checks
/// verify on every exchange of every case, with the check's name.
pub const BUILTIN_COVERS: &[(&str, &str)] = &[
    ("R959-4.2-three-digit-code", "built-in: reply syntax"),
    ("R959-4.2-single-line-format", "built-in: reply syntax"),
    ("R959-4.2-multiline-format", "built-in: reply syntax"),
    ("R959-4.2-multiline-pad", "built-in: reply syntax"),
    (
        "R959-4.2-1yz-at-most-one",
        "built-in: RFC 959 §5.4 code table",
    ),
    (
        "R959-5.4-connection-establishment",
        "built-in: greeting check",
    ),
    (
        "R959-3.1.1.3-store-contiguous",
        "built-in: TYPE I byte-exact",
    ),
    ("R959-4.2.1-227-format", "built-in: 227 parser"),
    ("R2428-3-epsv-229", "built-in: EPSV data setup"),
    ("R2428-3-epsv-format", "built-in: 229 parser"),
    ("R2428-3-epsv-blank-fields", "built-in: 229 parser"),
    ("R2428-3-epsv-port-field", "built-in: 229 parser"),
    ("R2389-3.2-feature-leading-space", "built-in: FEAT format"),
    ("R959-4.2-1yz", "built-in: RFC 959 §5.4 code table"),
    ("R959-4.2-2yz", "built-in: RFC 959 §5.4 code table"),
    ("R959-4.2-3yz", "built-in: RFC 959 §5.4 code table"),
    ("R959-4.2-4yz", "built-in: RFC 959 §5.4 code table"),
    ("R959-4.2-5yz", "built-in: RFC 959 §5.4 code table"),
    ("R959-4.2-no-new-codes", "built-in: RFC 959 §5.4 code table"),
    ("R959-5.4-reply-table", "built-in: RFC 959 §5.4 code table"),
    (
        "R959-6-no-1yz-first-group",
        "built-in: RFC 959 §5.4 code table",
    ),
    ("R959-4.2-no-nesting", "built-in: reply syntax"),
    ("R959-4.2-multiline-offset", "built-in: reply syntax"),
    ("R1123-4.1.2.11-correct-replies", "built-in: reply syntax"),
];

/// Replies allowed for a command: the first reply, and the replies allowed
/// after a positive preliminary (1yz) reply.
#[derive(Clone, Copy, Debug)]
pub struct Allowed {
    /// First reply.
    pub first: &'static [u16],
    /// After 1yz.
    pub after_preliminary: &'static [u16],
    /// Where the table comes from.
    pub source: &'static str,
}

const RFC959: &str = "RFC 959 §5.4";
const REST959: &str = "RFC 959 §5.4 (554: RFC 1123 §4.1.3.4)";

const fn a(
    first: &'static [u16],
    after_preliminary: &'static [u16],
    source: &'static str,
) -> Allowed {
    Allowed {
        first,
        after_preliminary,
        source,
    }
}

const STOR_AFTER: &[u16] = &[110, 226, 250, 425, 426, 451, 551, 552];
const RETR_AFTER: &[u16] = &[110, 226, 250, 425, 426, 451];
const LIST_AFTER: &[u16] = &[226, 250, 425, 426, 451];

/// The table for `verb`, or `None` when no RFC lists replies for it.
pub fn allowed(verb: &Verb) -> Option<Allowed> {
    // RFC 959 §5.4, "Command-Reply Sequences", transcribed.
    Some(match verb.as_str() {
        "USER" => a(&[230, 530, 500, 501, 421, 331, 332], &[], RFC959),
        "PASS" => a(&[230, 202, 530, 500, 501, 503, 421, 332], &[], RFC959),
        "ACCT" => a(&[230, 202, 530, 500, 501, 503, 421], &[], RFC959),
        "CWD" => a(&[250, 500, 501, 502, 421, 530, 550], &[], RFC959),
        // 250 added: §4.1.1, "The reply codes shall be identical to the
        // reply codes of CWD", which §5.4's CDUP row contradicts.
        "CDUP" => a(
            &[200, 250, 500, 501, 502, 421, 530, 550],
            &[],
            "RFC 959 §5.4 (250: §4.1.1)",
        ),
        "SMNT" => a(&[202, 250, 500, 501, 502, 421, 530, 550], &[], RFC959),
        "REIN" => a(&[120, 220, 421, 500, 502], &[220], RFC959),
        "QUIT" => a(&[221, 500], &[], RFC959),
        // 504 added: RFC 2577 §3, "If a server receives a PORT command
        // containing a TCP port number less than 1024, the suggested
        // response is 504".
        "PORT" => a(
            &[200, 500, 501, 504, 421, 530],
            &[],
            "RFC 959 §5.4 (504: RFC 2577 §3)",
        ),
        "PASV" => a(&[227, 500, 501, 502, 421, 530], &[], RFC959),
        "MODE" | "TYPE" | "STRU" => a(&[200, 500, 501, 504, 421, 530], &[], RFC959),
        "ALLO" => a(&[200, 202, 500, 501, 504, 421, 530], &[], RFC959),
        "REST" => a(&[500, 501, 502, 421, 530, 350], &[], RFC959),
        // 554 on STOR, RETR, APPE: RFC 1123 §4.1.3.4, "554 Requested
        // action not taken: invalid REST parameter."
        "STOR" | "STOU" => a(
            &[125, 150, 532, 450, 452, 553, 554, 500, 501, 421, 530],
            STOR_AFTER,
            REST959,
        ),
        "RETR" => a(
            &[125, 150, 450, 550, 554, 500, 501, 421, 530],
            RETR_AFTER,
            REST959,
        ),
        "LIST" | "NLST" => a(
            &[125, 150, 450, 500, 501, 502, 421, 530],
            LIST_AFTER,
            RFC959,
        ),
        "APPE" => a(
            &[
                125, 150, 532, 450, 550, 452, 553, 554, 500, 501, 502, 421, 530,
            ],
            STOR_AFTER,
            REST959,
        ),
        "RNFR" => a(&[450, 550, 500, 501, 502, 421, 530, 350], &[], RFC959),
        "RNTO" => a(&[250, 532, 553, 500, 501, 502, 503, 421, 530], &[], RFC959),
        "DELE" => a(&[250, 450, 550, 500, 501, 502, 421, 530], &[], RFC959),
        "MKD" => a(&[257, 500, 501, 502, 421, 530, 550], &[], RFC959),
        "RMD" => a(&[250, 500, 501, 502, 421, 530, 550], &[], RFC959),
        "PWD" => a(&[257, 500, 501, 502, 421, 550], &[], RFC959),
        "ABOR" => a(&[225, 226, 500, 501, 502, 421], &[], RFC959),
        "SYST" => a(&[215, 500, 501, 502, 421], &[], RFC959),
        "STAT" => a(&[211, 212, 213, 450, 500, 501, 502, 421, 530], &[], RFC959),
        "HELP" => a(&[211, 214, 500, 501, 502, 421], &[], RFC959),
        "SITE" => a(&[200, 202, 500, 501, 530], &[], RFC959),
        "NOOP" => a(&[200, 500, 421], &[], RFC959),
        // RFC 2428 §2 and §3: 522 for an unsupported protocol; 200 for EPSV ALL.
        "EPRT" => a(
            &[200, 500, 501, 504, 522, 421, 530],
            &[],
            "RFC 2428 §2 (504: RFC 2577 §3)",
        ),
        "EPSV" => a(&[229, 200, 500, 501, 522, 421, 530], &[], "RFC 2428 §3"),
        // RFC 2389 §3.1 / §4: FEAT 211 (or 500/502 where unimplemented), OPTS 200/451/501.
        // 501: RFC 2389 §3.2, FEAT with parameters "will result in a 501 reply".
        "FEAT" => a(&[211, 500, 501, 502], &[], "RFC 2389 §3"),
        "OPTS" => a(&[200, 451, 500, 501, 502], &[], "RFC 2389 §4"),
        // RFC 3659 §3.3, §4.3, §7.2.
        "MDTM" | "SIZE" => a(
            &[213, 550, 500, 501, 502, 504, 421, 530],
            &[],
            "RFC 3659 §3-4",
        ),
        "MLST" => a(
            &[250, 500, 501, 502, 504, 421, 530, 550],
            &[],
            "RFC 3659 §7",
        ),
        "MLSD" => a(
            &[125, 150, 450, 500, 501, 502, 504, 421, 530, 550],
            LIST_AFTER,
            "RFC 3659 §7",
        ),
        _ => return None,
    })
}

fn list(codes: &[u16]) -> String {
    codes
        .iter()
        .map(|c| format!("{c:03}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Check the reply code to `verb` (first reply, or the reply after a 1yz).
/// A code outside the table fails; one of a class the table allows warns.
pub fn check_code(verb: &Verb, code: ReplyCode, after_preliminary: bool) -> Option<Finding> {
    let table = allowed(verb)?;
    let set = if after_preliminary {
        table.after_preliminary
    } else {
        table.first
    };
    if set.is_empty() || set.contains(&code.get()) {
        return None;
    }
    let stage = if after_preliminary {
        "after its preliminary reply"
    } else {
        "as its reply"
    };
    let plausible = set.iter().any(|c| c / 100 == u16::from(code.first_digit()));
    Some(Finding {
        verdict: if plausible {
            Verdict::Warn
        } else {
            Verdict::Fail
        },
        check: "reply-code".into(),
        rfc: Some(format!("{} MUST", table.source)),
        required: format!(
            "\"Each command is listed with its possible replies\": {verb} {stage} may only get the codes listed{}",
            if plausible {
                " (this one is of a listed class, so it is plausible)"
            } else {
                ""
            }
        ),
        acceptable: list(set),
        received: code.to_string(),
        line: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(n: u16) -> ReplyCode {
        ReplyCode::new(n).unwrap()
    }

    #[test]
    fn table_decisions() {
        assert!(check_code(&Verb::PASV, code(227), false).is_none());
        // 200 is of 227's class: plausible, so a warning; the `data open`
        // step that needs a 227 still fails the case.
        assert_eq!(
            check_code(&Verb::PASV, code(200), false).unwrap().verdict,
            Verdict::Warn
        );
        assert_eq!(
            check_code(&Verb::PASV, code(150), false).unwrap().verdict,
            Verdict::Fail
        );
        assert_eq!(
            check_code(&Verb::MKD, code(250), false).unwrap().verdict,
            Verdict::Warn
        );
        assert_eq!(
            check_code(&Verb::MKD, code(226), false).unwrap().verdict,
            Verdict::Warn
        );
        assert_eq!(
            check_code(&Verb::RETR, code(226), false).unwrap().verdict,
            Verdict::Fail
        );
        assert!(check_code(&Verb::RETR, code(226), true).is_none());
        assert!(check_code(&Verb::RMD, code(250), false).is_none());
        assert!(check_code(&Verb::new("XYZZ"), code(999), false).is_none());
    }
}
