//! HOST (RFC 7151) and LANG (RFC 2640 §4) for the scripted server, and
//! the pathname faults of RFC 2640.

use super::session::{Flow, Session};
use super::*;
use std::net::IpAddr;

impl Session {
    /// RFC 7151 §3: before login only; an address literal must be the
    /// server's own (in brackets for IPv6); no port; names: `localhost`
    /// and `ftp.example.test` are this server's, others unknown.
    pub(super) async fn host(&mut self, arg: &str) -> io::Result<Flow> {
        if self.logged_in && self.fault != Fault::HostAfterLogin {
            return self.ok("503 HOST comes before the login").await;
        }
        let arg = arg.trim();
        let (host, port) = match arg.strip_prefix('[') {
            Some(rest) => match rest.split_once(']') {
                Some((h, p)) => (h, p),
                None => return self.ok("501 Bad IPv6 literal").await,
            },
            None => match arg.rsplit_once(':') {
                // A bare IPv6 address (more than one colon) is malformed.
                Some(_) if arg.matches(':').count() > 1 => {
                    return self.ok("501 IPv6 literals go in brackets").await;
                }
                Some((h, _)) => (h, &arg[h.len()..]),
                None => (arg, ""),
            },
        };
        if !port.is_empty() || host.is_empty() {
            return self.ok("501 No port, please").await;
        }
        let ok = match host.parse::<IpAddr>() {
            Ok(ip) => ip == self.local.ip() || self.fault == Fault::HostAnyLiteral,
            Err(_)
                if host.starts_with('-')
                    || !host
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c)) =>
            {
                return self.ok("501 Not a host name").await;
            }
            Err(_) => {
                host.eq_ignore_ascii_case("localhost")
                    || host.eq_ignore_ascii_case("ftp.example.test")
            }
        };
        if !ok {
            return self.ok("504 Unknown virtual host").await;
        }
        // RFC 7151 §3: HOST resets the authentication state.
        self.user = None;
        self.ok("220 Host accepted").await
    }

    /// RFC 2640 §4.2: en-US (the default) and fr.
    pub(super) async fn language(&mut self, arg: &str) -> io::Result<Flow> {
        let tag = arg.trim();
        if tag.is_empty() {
            self.lang = "en-US";
            return self.ok("200 en-US").await;
        }
        let well_formed = tag
            .split('-')
            .all(|p| !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphabetic()));
        if !well_formed {
            return self.ok("501 Bad language tag").await;
        }
        let lower = tag.to_ascii_lowercase();
        self.lang = match lower.as_str() {
            "en" | "en-us" => "en-US",
            "fr" => "fr",
            _ if self.fault == Fault::LangAnyTag => "en-US",
            _ => return self.ok("504 Language not supported").await,
        };
        self.ok(&format!("200 {}", self.lang)).await
    }

    /// A pathname as the RFC 2640 faults store it.
    pub(super) fn stored_name(&self, arg: &str) -> String {
        let mut name = arg.to_owned();
        if self.fault == Fault::TrimPathSpaces {
            name = name.trim_start().to_owned();
        }
        if self.fault == Fault::MangleNonAscii {
            name = name
                .chars()
                .map(|c| if u32::from(c) > 0x7f { '?' } else { c })
                .collect();
        }
        name
    }
}
