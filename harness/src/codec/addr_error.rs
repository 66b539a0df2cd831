//! Errors shared by the address parsers (host-port, EPRT, 229, 522).

use super::leniency::Deviation;

/// Why an address could not be parsed or built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddrError {
    /// A host-port needs exactly six numbers.
    #[error("host-port needs six comma-separated numbers, found {found}")]
    FieldCount {
        /// How many fields were found.
        found: usize,
    },
    /// A field that is not a decimal number.
    #[error("field {field} is not a decimal number")]
    NotANumber {
        /// Zero-based field index.
        field: usize,
    },
    /// A number out of its range (0–255 for host-port, 0–65535 for ports).
    #[error("field {field} is out of range")]
    OutOfRange {
        /// Zero-based field index.
        field: usize,
    },
    /// No address where one was expected (227, 229 or 522 text).
    #[error("no address found in the reply text")]
    NotFound,
    /// An opening parenthesis without its closing one.
    #[error("unbalanced parentheses around the address")]
    Unbalanced,
    /// A delimiter outside ASCII 33–126.
    #[error("delimiter {0:#04x} is outside ASCII 33-126 (RFC 2428 §2)")]
    BadDelimiter(u8),
    /// The delimiter also appears inside a field, which would make it ambiguous.
    #[error("delimiter {0:?} also appears inside a field")]
    DelimiterInField(char),
    /// Wrong number of delimiters.
    #[error("extended address needs four delimiters around three fields")]
    Shape,
    /// A network address that does not match its protocol number.
    #[error("address {address:?} is not valid for network protocol {protocol}")]
    BadAddress {
        /// The protocol number.
        protocol: u16,
        /// The address text.
        address: String,
    },
    /// A deviation that the parse's leniency does not tolerate.
    #[error("{0}")]
    Disallowed(Deviation),
}
