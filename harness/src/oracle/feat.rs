//! The FEAT reply (RFC 2389 §3.2): a 211 feature listing has one feature
//! per line, each line indented by exactly one space.

use super::rule::{Rule, Violation};
use crate::codec::{Features, Leniency, Reply};
use crate::verdict::Check;

/// RFC 2389 §3.2: the lines after the first are precisely defined.
pub const SYNTAX: Rule = Rule::must(
    2389,
    "3.2",
    "The syntax of other reply lines is precisely defined, and if present, MUST be exactly as specified.",
);

/// Every rule this family enforces.
pub const RULES: &[Rule] = &[SYNTAX];

/// Judge a 211 reply to FEAT (other replies are the code table's business).
pub fn listing(reply: &Reply) -> Option<Violation> {
    if reply.code().get() != 211 {
        return None;
    }
    let problem = match Features::from_reply(reply, Leniency::PERMISSIVE) {
        Ok(p) => p.deviations.iter().next().map(|d| d.describe().to_owned()),
        Err(e) => Some(e.to_string()),
    }?;
    Some(Violation::broken(
        Check::FeatFormat,
        SYNTAX,
        "211-<text>, then \" FEATURE [params]\" lines (one space first), then 211 End",
        format!("{problem}: {reply}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(b: &[u8]) -> Reply {
        Reply::parse(b).unwrap()
    }

    #[test]
    fn indentation_is_checked() {
        assert!(listing(&reply(b"211-Features:\r\n MDTM\r\n SIZE\r\n211 End\r\n")).is_none());
        assert!(listing(&reply(b"211 no features\r\n")).is_none());
        assert!(listing(&reply(b"211-Features:\r\nMDTM\r\n211 End\r\n")).is_some());
        assert!(listing(&reply(b"211-Features:\r\n  MDTM\r\n211 End\r\n")).is_some());
        assert!(listing(&reply(b"500 no\r\n")).is_none());
    }
}
