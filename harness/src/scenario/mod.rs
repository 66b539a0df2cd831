//! Scenario files: scripted client sessions in a small line-oriented
//! language (specified in `scenarios/README.md`). Parsing is sans-IO.
//!
//! | file | holds |
//! |------|-------|
//! | `model.rs` | [`Scenario`], its metadata and [`Step`]s |
//! | `parse.rs` | [`parse`], with `file:line` errors ([`ScenarioError`]) |
//! | `pattern.rs` | [`Pattern`]: reply-text matching with `*` elision and `{=name}` captures |
//! | `render.rs` | [`render`]: a scenario back to text (used for fuzz findings) |
//! | `escape.rs` | quoted strings with `\r \n \t \\ \" \xNN` escapes |

mod escape;
mod model;
mod parse;
mod pattern;
mod render;

pub use escape::{EscapeError, unquote};
pub use model::*;
pub use parse::{ScenarioError, load_dir, load_texts, parse, parse_all};
pub use pattern::{Captures, Pattern, PatternError};
pub use render::{quote, render, without_lines};
