//! The sans-IO FTP codec: bytes in, values out, and back. No sockets, no
//! async runtime, no clocks; the session driver feeds it.
//!
//! | file | holds |
//! |------|-------|
//! | `leniency.rs` | [`Deviation`], [`Leniency`], [`Parsed`]: strict by default, each tolerance named |
//! | `verb.rs` | [`Verb`], the open set of command codes |
//! | `command.rs` | [`Command`] (verb + [`Arg`]) and [`RawCommand`] for malformed bytes |
//! | `request.rs` | [`Request`], every verb with its argument typed |
//! | `reply_code.rs` | [`ReplyCode`], an open numeric type with class helpers |
//! | `reply.rs` | [`Reply`], single and multi-line (RFC 959 §4.2), and its line grammar |
//! | `decoder.rs` | [`ReplyDecoder`], decoding a reply stream (and one-shot [`Reply::parse`]) |
//! | `hostport.rs` | [`HostPort`] for PORT and [`PassiveReply`] for 227 |
//! | `extaddr.rs` | [`ExtAddr`] for EPRT |
//! | `extpassive.rs` | [`ExtPassiveReply`] for 229 |
//! | `protocols522.rs` | [`parse_522_protocols`]: a 522's protocol list |
//! | `features.rs` | [`Features`], the FEAT reply (RFC 2389) |
//! | `timeval.rs` | [`TimeVal`], RFC 3659 time values (MDTM, MLSx) |

mod addr_error;
mod command;
mod decoder;
mod extaddr;
mod extpassive;
mod features;
mod hostport;
mod leniency;
mod line;
mod protocols522;
mod reply;
mod reply_code;
mod request;
mod timeval;
mod verb;

pub use addr_error::AddrError;
pub use command::{Arg, ArgError, Command, CommandError, RawCommand};
pub use decoder::{ReplyDecoder, decode_all};
pub use extaddr::{ExtAddr, ExtHost, NetProtocol};
pub use extpassive::ExtPassiveReply;
pub use features::{FeatError, Feature, Features};
pub use hostport::{HostPort, PassiveReply};
pub use leniency::{Deviation, Deviations, Leniency, Parsed, RfcRef};
pub use line::escape_bytes;
pub use protocols522::parse_522_protocols;
pub use reply::{Reply, ReplyBuildError, ReplyError, ReplyLimits, ReplyOptions};
pub use reply_code::{ReplyClass, ReplyCode, ReplyFunction};
pub use request::{
    EpsvArg, FormCode, ModeCode, ProtLevel, Request, RequestError, StructureCode, TypeCode,
};
pub use timeval::TimeVal;
pub use verb::{Arity, Verb};
