//! Reply codes as an open numeric type (RFC 959 §4.2.1): any three digits are
//! kept, known or not, and classified by their first two digits.

use std::fmt;

/// A three-digit reply code, `000` to `999`. Unknown codes are never collapsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplyCode(u16);

/// The first digit of a reply code (RFC 959 §4.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReplyClass {
    /// `1yz`: the action is being initiated; expect another reply.
    PositivePreliminary,
    /// `2yz`: the action completed.
    PositiveCompletion,
    /// `3yz`: accepted, more information is needed.
    PositiveIntermediate,
    /// `4yz`: not taken, the error is temporary.
    TransientNegative,
    /// `5yz`: not taken, the error is permanent.
    PermanentNegative,
    /// A first digit RFC 959 does not define (0, 6–9).
    Undefined(u8),
}

/// The second digit of a reply code (RFC 959 §4.2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReplyFunction {
    /// `x0z`: syntax.
    Syntax,
    /// `x1z`: information.
    Information,
    /// `x2z`: connections.
    Connections,
    /// `x3z`: authentication and accounting.
    Authentication,
    /// `x4z`: unspecified.
    Unspecified,
    /// `x5z`: file system.
    FileSystem,
    /// A second digit RFC 959 does not define (6–9).
    Undefined(u8),
}

impl ReplyCode {
    /// `110` Restart marker reply.
    pub const RESTART_MARKER: ReplyCode = ReplyCode(110);
    /// `125` Data connection already open; transfer starting.
    pub const DATA_ALREADY_OPEN: ReplyCode = ReplyCode(125);
    /// `150` File status okay; about to open data connection.
    pub const FILE_STATUS_OK: ReplyCode = ReplyCode(150);
    /// `200` Command okay.
    pub const COMMAND_OK: ReplyCode = ReplyCode(200);
    /// `211` System status, or system help reply.
    pub const SYSTEM_STATUS: ReplyCode = ReplyCode(211);
    /// `213` File status.
    pub const FILE_STATUS: ReplyCode = ReplyCode(213);
    /// `215` NAME system type.
    pub const SYSTEM_TYPE: ReplyCode = ReplyCode(215);
    /// `220` Service ready for new user.
    pub const SERVICE_READY: ReplyCode = ReplyCode(220);
    /// `221` Service closing control connection.
    pub const CLOSING: ReplyCode = ReplyCode(221);
    /// `226` Closing data connection; requested file action successful.
    pub const TRANSFER_COMPLETE: ReplyCode = ReplyCode(226);
    /// `227` Entering Passive Mode (h1,h2,h3,h4,p1,p2).
    pub const ENTERING_PASSIVE: ReplyCode = ReplyCode(227);
    /// `229` Entering Extended Passive Mode (RFC 2428).
    pub const ENTERING_EXTENDED_PASSIVE: ReplyCode = ReplyCode(229);
    /// `230` User logged in, proceed.
    pub const LOGGED_IN: ReplyCode = ReplyCode(230);
    /// `250` Requested file action okay, completed.
    pub const FILE_ACTION_OK: ReplyCode = ReplyCode(250);
    /// `257` "PATHNAME" created.
    pub const PATH_CREATED: ReplyCode = ReplyCode(257);
    /// `331` User name okay, need password.
    pub const NEED_PASSWORD: ReplyCode = ReplyCode(331);
    /// `350` Requested file action pending further information.
    pub const FILE_ACTION_PENDING: ReplyCode = ReplyCode(350);
    /// `421` Service not available, closing control connection.
    pub const SERVICE_NOT_AVAILABLE: ReplyCode = ReplyCode(421);
    /// `425` Can't open data connection.
    pub const CANT_OPEN_DATA: ReplyCode = ReplyCode(425);
    /// `500` Syntax error, command unrecognized.
    pub const SYNTAX_ERROR: ReplyCode = ReplyCode(500);
    /// `501` Syntax error in parameters or arguments.
    pub const SYNTAX_ERROR_ARGS: ReplyCode = ReplyCode(501);
    /// `502` Command not implemented.
    pub const NOT_IMPLEMENTED: ReplyCode = ReplyCode(502);
    /// `503` Bad sequence of commands.
    pub const BAD_SEQUENCE: ReplyCode = ReplyCode(503);
    /// `504` Command not implemented for that parameter.
    pub const NOT_IMPLEMENTED_PARAM: ReplyCode = ReplyCode(504);
    /// `522` Network protocol not supported (RFC 2428).
    pub const PROTOCOL_NOT_SUPPORTED: ReplyCode = ReplyCode(522);
    /// `530` Not logged in.
    pub const NOT_LOGGED_IN: ReplyCode = ReplyCode(530);
    /// `550` Requested action not taken; file unavailable.
    pub const FILE_UNAVAILABLE: ReplyCode = ReplyCode(550);

    /// A code from a number; `None` above 999.
    pub const fn new(n: u16) -> Option<ReplyCode> {
        if n <= 999 { Some(ReplyCode(n)) } else { None }
    }

    /// A code from its three ASCII digits.
    pub fn from_digits(d: &[u8]) -> Option<ReplyCode> {
        match d {
            [a, b, c] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => {
                Some(ReplyCode(
                    u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'),
                ))
            }
            _ => None,
        }
    }

    /// The number.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The three ASCII digits.
    pub fn digits(self) -> [u8; 3] {
        [
            b'0' + (self.0 / 100) as u8,
            b'0' + (self.0 / 10 % 10) as u8,
            b'0' + (self.0 % 10) as u8,
        ]
    }

    /// The class given by the first digit.
    pub fn class(self) -> ReplyClass {
        match self.0 / 100 {
            1 => ReplyClass::PositivePreliminary,
            2 => ReplyClass::PositiveCompletion,
            3 => ReplyClass::PositiveIntermediate,
            4 => ReplyClass::TransientNegative,
            5 => ReplyClass::PermanentNegative,
            d => ReplyClass::Undefined(d as u8),
        }
    }

    /// The function grouping given by the second digit.
    pub fn function(self) -> ReplyFunction {
        match self.0 / 10 % 10 {
            0 => ReplyFunction::Syntax,
            1 => ReplyFunction::Information,
            2 => ReplyFunction::Connections,
            3 => ReplyFunction::Authentication,
            4 => ReplyFunction::Unspecified,
            5 => ReplyFunction::FileSystem,
            d => ReplyFunction::Undefined(d as u8),
        }
    }

    /// The first digit.
    pub const fn first_digit(self) -> u8 {
        (self.0 / 100) as u8
    }

    /// `1yz`.
    pub fn is_preliminary(self) -> bool {
        self.class() == ReplyClass::PositivePreliminary
    }

    /// `2yz`.
    pub fn is_completion(self) -> bool {
        self.class() == ReplyClass::PositiveCompletion
    }

    /// `3yz`.
    pub fn is_intermediate(self) -> bool {
        self.class() == ReplyClass::PositiveIntermediate
    }

    /// `4yz` or `5yz`.
    pub fn is_negative(self) -> bool {
        matches!(
            self.class(),
            ReplyClass::TransientNegative | ReplyClass::PermanentNegative
        )
    }

    /// Whether the first digit is one RFC 959 defines (1–5).
    pub fn has_defined_class(self) -> bool {
        !matches!(self.class(), ReplyClass::Undefined(_))
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_functions() {
        let c = ReplyCode::from_digits(b"227").unwrap();
        assert_eq!(c.class(), ReplyClass::PositiveCompletion);
        assert_eq!(c.function(), ReplyFunction::Connections);
        assert_eq!(
            ReplyCode::new(699).unwrap().class(),
            ReplyClass::Undefined(6)
        );
        assert_eq!(ReplyCode::new(7).unwrap().to_string(), "007");
        assert_eq!(ReplyCode::new(1000), None);
        assert_eq!(ReplyCode::from_digits(b"22a"), None);
        assert_eq!(ReplyCode::new(150).unwrap().digits(), *b"150");
    }
}
