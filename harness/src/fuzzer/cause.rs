//! What makes two hits the same finding: the check, and the server's
//! observable behaviour, not the command that happened to reach it. A
//! server that closes the connection after every 501 is one cause however
//! many commands draw a 501 from it; a reply that breaks the grammar the
//! same way (a bare LF) is one cause whatever text it echoes.

use crate::codec::Reply;
use crate::oracle::{Check, Violation};

/// Longest shape kept of a reply's text.
const SHAPE: usize = 48;

/// A reply's code and the shape of its text: the command's own verb and
/// argument (which servers echo) and every run of digits taken out, spaces
/// collapsed, cut short. `500 'XYZZ': command not understood` and `500
/// 'FOO 12': command not understood` have one shape.
pub fn reply_shape(reply: &Reply, verb: &str, sent: &[u8]) -> String {
    let mut text = reply.text().to_ascii_lowercase();
    let line = String::from_utf8_lossy(sent).to_ascii_lowercase();
    let line = line.trim_end_matches(['\r', '\n']);
    let arg = line.split_once(' ').map(|(_, a)| a.trim()).unwrap_or("");
    for echo in [line, arg, &verb.to_ascii_lowercase()] {
        if echo.len() >= 2 {
            text = text.replace(echo, "*");
        }
    }
    let mut out = String::with_capacity(SHAPE);
    let mut last = ' ';
    for c in text.chars() {
        let c = if c.is_ascii_digit() {
            '#'
        } else if c.is_whitespace() {
            ' '
        } else {
            c
        };
        if (c == '#' || c == ' ') && c == last {
            continue;
        }
        out.push(c);
        last = c;
        if out.len() >= SHAPE {
            break;
        }
    }
    format!("{} {}", reply.code(), out.trim())
}

/// The cause of a per-reply violation: the grammar deviation itself for a
/// syntax finding (whatever the reply said), otherwise the rule broken and
/// the reply's shape.
pub fn of_reply(v: &Violation, shape: &str) -> String {
    match v.check {
        Check::ReplySyntax => {
            let what = v.received.split(": ").next().unwrap_or(&v.received);
            format!("{} {what}", v.rule.citation())
        }
        _ => format!("{} {shape}", v.rule.citation()),
    }
}

/// The cause of a closed connection blamed on the command before, whose
/// reply was `code`: the server closes after such replies.
pub fn closed_after(code: Option<u16>) -> String {
    match code {
        Some(c) => format!("closed after a {c} reply"),
        None => "closed after the command before".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::ReplyCode;

    fn reply(code: u16, text: &str) -> Reply {
        Reply::new(ReplyCode::new(code).unwrap(), &[text.as_bytes()]).unwrap()
    }

    #[test]
    fn echoes_and_numbers_do_not_make_a_new_cause() {
        let a = reply_shape(
            &reply(500, "'XYZZ': command not understood"),
            "XYZZ",
            b"XYZZ\r\n",
        );
        let b = reply_shape(
            &reply(500, "'FOO 12': command not understood"),
            "FOO",
            b"FOO 12\r\n",
        );
        assert_eq!(a, b);
        let c = reply_shape(&reply(501, "Invalid Parameter 77"), "CCC", b"CCC a b\r\n");
        let d = reply_shape(&reply(501, "Invalid Parameter 3"), "OPTS", b"OPTS x\r\n");
        assert_eq!(c, d);
        assert_ne!(a, c);
    }
}
