//! Reply codes (RFC 959 §5.4): the codes the table allows for each command
//! (extended with the replies RFC 2228, RFC 4217, RFC 2428, RFC 2389, RFC
//! 3659, RFC 2640 and RFC 7151 define for their commands), and the greeting
//! on a new connection.

use super::rule::{Rule, Violation};
use crate::codec::{Reply, ReplyCode, Verb};
use crate::verdict::Check;

/// RFC 959 §5.4: the table is binding.
pub const TABLE: Rule = Rule::must(
    959,
    "5.4",
    "These must be strictly adhered to; a server may substitute text in the replies, but the meaning and action implied by the code numbers and by the specific command reply sequence cannot be altered.",
);

/// RFC 1123 §4.1.2.11: another code of the right class is allowed, if not advised.
pub const DEFINED_CODES: Rule = Rule::should(
    1123,
    "4.1.2.11",
    "A Server-FTP SHOULD use the reply codes defined in RFC-959 whenever they apply.",
);

/// Every rule this family enforces.
pub const RULES: &[Rule] = &[TABLE, DEFINED_CODES];

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
const REST959: &str = "RFC 959 §5.4 (554: RFC 1123 §4.1.3.4)";

/// How a session is secured, for the replies RFC 2228 and RFC 4217 add
/// to the data commands: none in a session in clear.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionSecurity {
    /// AUTH was accepted (the control connection is in TLS).
    pub secured: bool,
    /// PROT P is in force: data connections negotiate TLS.
    pub protected_data: bool,
}

/// What a data command may also answer in a secured session: 534 and 535
/// (RFC 2228 §8.2, "Data channel commands") and 521 or 522 refusing the
/// PROT setting (RFC 4217 §10.2, §11.4) as its first reply; and, where
/// the data connection negotiates TLS, 522 after the 1yz, when the server
/// "will close the data port immediately and follow the '150' command
/// with a '522' reply" (§10.2).
pub fn secured_additions(
    verb: &Verb,
    after_preliminary: bool,
    s: SessionSecurity,
) -> &'static [u16] {
    let data = ["STOR", "STOU", "RETR", "LIST", "NLST", "APPE", "MLSD"];
    if !data.contains(&verb.as_str()) || !s.secured {
        &[]
    } else if !after_preliminary {
        &[534, 535, 521, 522]
    } else if s.protected_data {
        &[522]
    } else {
        &[]
    }
}

const SEC2228: &str = "RFC 2228 §8.2 (500, 501, 502, 533, 421: \"any security command\")";

/// The table for `verb`, or `None` when no RFC lists replies for it.
pub fn allowed(verb: &Verb) -> Option<Allowed> {
    // RFC 959 §5.4, "Command-Reply Sequences", transcribed.
    Some(match verb.as_str() {
        // 232, 336: RFC 2228 §8.2, "Security-Enhanced login commands".
        "USER" => a(
            &[230, 530, 500, 501, 421, 331, 332, 232, 336],
            &[],
            "RFC 959 §5.4 (232, 336: RFC 2228 §8.2)",
        ),
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
        // RFC 2228 §8.2, "Security Association Setup" and "Data protection
        // negotiation commands", each with the codes "any security command
        // can return"; CCC from its §3 text (200, 500, 533, 534).
        "AUTH" => a(
            &[234, 334, 502, 504, 534, 431, 500, 501, 421, 533],
            &[],
            SEC2228,
        ),
        "ADAT" => a(&[235, 335, 503, 501, 535, 500, 421, 502, 533], &[], SEC2228),
        "PBSZ" => a(&[200, 503, 500, 501, 421, 530, 502, 533], &[], SEC2228),
        "PROT" => a(
            &[200, 504, 536, 503, 534, 431, 500, 501, 421, 530, 502, 533],
            &[],
            SEC2228,
        ),
        // RFC 2640 §4.2: lang-response = lang-ok ("200") / error-response
        // (500, 501, 502, 504).
        "LANG" => a(&[200, 500, 501, 502, 504, 421], &[], "RFC 2640 §4.2"),
        // RFC 7151 §2.2 and §3: host-ok ("220") or an error (421, 500,
        // 501, 502, 503, 504 named in the text).
        "HOST" => a(
            &[220, 421, 500, 501, 502, 503, 504],
            &[],
            "RFC 7151 §2.2, §3",
        ),
        "CCC" => a(
            &[200, 500, 533, 534, 501, 502, 421],
            &[],
            "RFC 2228 §3 and §8.2",
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

/// Judge the code of a reply to `verb` (its first reply, or the reply
/// after a 1yz). A code outside the table whose class the table allows at
/// that point is a warning: RFC 1123 §4.1.2.11 lets a server "use a
/// different reply code when needed, as long as the general rules of
/// Section 4.2 are followed". A code of a class the table does not allow
/// there changes the meaning of the reply, which §5.4 forbids.
pub fn reply_code(verb: &Verb, code: ReplyCode, after_preliminary: bool) -> Option<Violation> {
    reply_code_in(verb, code, after_preliminary, SessionSecurity::default())
}

/// [`reply_code`] in a session secured as `security` says, where the data
/// commands may also give [`secured_additions`].
pub fn reply_code_in(
    verb: &Verb,
    code: ReplyCode,
    after_preliminary: bool,
    security: SessionSecurity,
) -> Option<Violation> {
    let table = allowed(verb)?;
    let base = if after_preliminary {
        table.after_preliminary
    } else {
        table.first
    };
    let extra = secured_additions(verb, after_preliminary, security);
    let set: Vec<u16> = base.iter().chain(extra).copied().collect();
    if base.is_empty() || set.contains(&code.get()) {
        return None;
    }
    let source = if extra.is_empty() {
        table.source.to_owned()
    } else {
        format!(
            "{}; in a secured session also {} (RFC 2228 §8.2, RFC 4217 §10.2)",
            table.source,
            list(extra)
        )
    };
    let stage = if after_preliminary {
        "after its preliminary reply"
    } else {
        "as its reply"
    };
    // RFC 959 §6's state diagram for "APPE, LIST, NLST, REIN, RETR, STOR,
    // and STOU" leads from the 1yz to failure on "4,5", where §5.4's rows
    // list no 5yz after it for RETR, LIST and NLST: the RFC contradicts
    // itself, so a 5yz there is another code of an allowed class (a
    // warning), not a changed meaning.
    let diagram = after_preliminary
        && code.first_digit() == 5
        && [
            "APPE", "LIST", "NLST", "REIN", "RETR", "STOR", "STOU", "MLSD",
        ]
        .contains(&verb.as_str());
    let plausible = diagram || set.iter().any(|c| c / 100 == u16::from(code.first_digit()));
    let rule = if plausible { DEFINED_CODES } else { TABLE };
    Some(Violation::broken(
        Check::ReplyCode,
        rule,
        format!("{verb} {stage}: {} ({source})", list(base)),
        code.to_string(),
    ))
}

/// The greeting on a new connection: RFC 959 §5.4, "Connection
/// Establishment: 120 220, 220, 421". `replies` are what came before the
/// first command: one reply, or a 120 and the one after it.
pub fn greeting(replies: &[&Reply]) -> Option<Violation> {
    let codes: Vec<u16> = replies.iter().map(|r| r.code().get()).collect();
    let ok = matches!(codes.as_slice(), [220] | [421] | [120, 220] | [120, 421]);
    (!ok).then(|| {
        Violation::broken(
            Check::Greeting,
            TABLE,
            "220, or 120 then 220, or 421 (RFC 959 §5.4, Connection Establishment)",
            replies
                .iter()
                .map(|r| r.to_string())
                .collect::<Vec<_>>()
                .join(" then "),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Verdict;

    fn code(n: u16) -> ReplyCode {
        ReplyCode::new(n).unwrap()
    }

    #[test]
    fn table_decisions() {
        assert!(reply_code(&Verb::PASV, code(227), false).is_none());
        // 200 is of 227's class: plausible, so a warning; the `data open`
        // step that needs a 227 still fails the case.
        assert_eq!(
            reply_code(&Verb::PASV, code(200), false).unwrap().verdict(),
            Verdict::Warn
        );
        assert_eq!(
            reply_code(&Verb::PASV, code(150), false).unwrap().verdict(),
            Verdict::Fail
        );
        assert_eq!(
            reply_code(&Verb::MKD, code(250), false).unwrap().verdict(),
            Verdict::Warn
        );
        assert_eq!(
            reply_code(&Verb::MKD, code(226), false).unwrap().verdict(),
            Verdict::Warn
        );
        assert_eq!(
            reply_code(&Verb::RETR, code(226), false).unwrap().verdict(),
            Verdict::Fail
        );
        assert!(reply_code(&Verb::RETR, code(226), true).is_none());
        assert!(reply_code(&Verb::RMD, code(250), false).is_none());
        assert!(reply_code(&Verb::new("XYZZ"), code(999), false).is_none());
    }
}
