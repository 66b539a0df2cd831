//! `ftpspec decode`: what the codec makes of captured bytes, strictly and leniently.

use clap::{Args, ValueEnum};
use ftpspec_harness::codec::{
    Command, Deviations, ExtAddr, ExtPassiveReply, HostPort, Leniency, PassiveReply, ReplyOptions,
    Request, decode_all,
};
use std::path::PathBuf;
use std::process::ExitCode;

/// What the input holds.
#[derive(Clone, Copy, ValueEnum)]
pub enum Kind {
    /// One or more replies (a server's control-connection output).
    Reply,
    /// One command line.
    Command,
    /// A PORT argument or the text of a 227 reply.
    Hostport,
    /// An EPRT argument or the text of a 229 reply.
    Extaddr,
}

/// Arguments of `ftpspec decode`.
#[derive(Args)]
pub struct DecodeArgs {
    /// What the input holds.
    kind: Kind,
    /// File to read; `-` for standard input.
    file: PathBuf,
    /// Refuse every deviation instead of reporting it.
    #[arg(long)]
    strict: bool,
}

fn show(deviations: Deviations) {
    for d in deviations.iter() {
        outln!("  deviation: {d}\n    \"{}\"", d.rfc().quote);
    }
}

/// Run the subcommand; exit 1 when the input does not decode.
pub fn run(args: &DecodeArgs) -> ExitCode {
    let data = if args.file.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf).map(|_| buf)
    } else {
        std::fs::read(&args.file)
    };
    let data = match data {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", args.file.display());
            return ExitCode::from(2);
        }
    };
    // A file's own last newline is not part of what it captured: after a
    // CRLF-terminated reply or command it is dropped, after an address
    // (which has no line end of its own) any CR/LF is.
    let data = match args.kind {
        Kind::Reply | Kind::Command if data.ends_with(b"\r\n\n") => data[..data.len() - 1].to_vec(),
        Kind::Hostport | Kind::Extaddr => {
            let end = data
                .iter()
                .rposition(|b| !matches!(b, b'\r' | b'\n'))
                .map_or(0, |i| i + 1);
            data[..end].to_vec()
        }
        _ => data,
    };
    let leniency = if args.strict {
        Leniency::STRICT
    } else {
        Leniency::PERMISSIVE
    };
    let ok = match args.kind {
        Kind::Reply => {
            let (replies, err) = decode_all(
                &data,
                ReplyOptions {
                    leniency,
                    ..ReplyOptions::default()
                },
            );
            for r in &replies {
                outln!(
                    "reply {} ({} line(s)): {:?}",
                    r.value.code(),
                    r.value.lines().len(),
                    r.value.text()
                );
                show(r.deviations);
            }
            if let Some(e) = &err {
                outln!("error after {} reply(ies): {e}", replies.len());
            }
            err.is_none()
        }
        Kind::Command => match Command::parse_with(&data, leniency) {
            Ok(p) => {
                outln!("command: {}", p.value);
                show(p.deviations);
                match Request::from_command(&p.value) {
                    Ok(r) => outln!("typed: {r:?}"),
                    Err(e) => outln!("typed: error: {e}"),
                }
                true
            }
            Err(e) => {
                outln!("error: {e}");
                false
            }
        },
        Kind::Hostport => match (
            HostPort::parse_with(&data, leniency),
            PassiveReply::parse_with(&data, leniency),
        ) {
            (Ok(p), _) => {
                outln!("PORT argument: {}", p.value.0);
                show(p.deviations);
                true
            }
            (_, Ok(p)) => {
                outln!("227 address: {}", (p.value.0).0);
                show(p.deviations);
                true
            }
            (Err(a), Err(b)) => {
                outln!("error: as PORT argument: {a}; as 227 text: {b}");
                false
            }
        },
        Kind::Extaddr => {
            let eprt = ExtAddr::parse_with(&data, leniency);
            let epsv = ExtPassiveReply::parse_with(&data, leniency);
            if let Ok(p) = &eprt {
                outln!(
                    "EPRT argument: protocol {} address {:?} port {}",
                    p.value.host().protocol(),
                    p.value.host(),
                    p.value.port()
                );
                show(p.deviations);
            } else if let Ok(p) = &epsv {
                outln!("229 port: {}", p.value.port());
                show(p.deviations);
            } else if let (Err(a), Err(b)) = (&eprt, &epsv) {
                outln!("error: as EPRT argument: {a}; as 229 text: {b}");
            }
            eprt.is_ok() || epsv.is_ok()
        }
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
