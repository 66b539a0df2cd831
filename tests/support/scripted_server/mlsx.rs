//! RFC 3659 §7: MLST, MLSD and OPTS MLST, with the facts `type`, `size`
//! and `modify`, all selected until OPTS MLST says otherwise.

use super::fs::basename;
use super::session::{Flow, Session};
use std::io;

/// The facts this server knows, in the order it lists them.
pub(super) const FACTS: [&str; 3] = ["type", "size", "modify"];

impl Session {
    /// The FEAT line: every fact, an asterisk on the selected ones (§7.8).
    pub(super) fn mlst_feature(&self) -> String {
        let mut line = String::from(" MLST ");
        for (fact, on) in FACTS.iter().zip(self.mlst_facts) {
            line.push_str(fact);
            if on {
                line.push('*');
            }
            line.push(';');
        }
        line
    }

    /// `OPTS MLST fact;fact;`: select the known ones, ignore the others,
    /// and say which are selected now (§7.9).
    pub(super) async fn opts_mlst(&mut self, list: &str) -> io::Result<Flow> {
        let asked: Vec<String> = list
            .split(';')
            .map(|f| f.trim().to_ascii_lowercase())
            .filter(|f| !f.is_empty())
            .collect();
        let mut reply = String::from("200 MLST OPTS");
        let mut sep = ' ';
        for (i, fact) in FACTS.iter().enumerate() {
            self.mlst_facts[i] = asked.iter().any(|a| a == fact);
            if self.mlst_facts[i] {
                reply.push(sep);
                reply.push_str(fact);
                reply.push(';');
                sep = '\0';
            }
        }
        self.ok(&reply.replace('\0', "")).await
    }

    /// The selected facts of one entry and a space: `type=file;size=5; `.
    fn facts(&self, size: Option<usize>) -> String {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let mut out = String::new();
        if self.mlst_facts[0] {
            out.push_str(if size.is_some() {
                "type=file;"
            } else {
                "type=dir;"
            });
        }
        if let (true, Some(n)) = (self.mlst_facts[1], size) {
            out.push_str(&format!("size={n};"));
        }
        if self.mlst_facts[2] {
            let tv = ftpspec_harness::codec::TimeVal::from_unix(now);
            out.push_str(&format!("modify={tv};"));
        }
        out.push(' ');
        out
    }

    /// The size of a file, `None` for a directory, or nothing if `p` is neither.
    fn entry(&self, p: &str) -> Option<Option<usize>> {
        let fs = self.fs();
        if fs.dirs.contains(p) {
            Some(None)
        } else {
            fs.files.get(p).map(|d| Some(d.len()))
        }
    }

    /// MLST: the one entry on the control connection (§7.2).
    pub(super) async fn mlst(&mut self, arg: &str) -> io::Result<Flow> {
        let p = self.path(arg);
        let Some(size) = self.entry(&p) else {
            return self.ok("550 No such file or directory").await;
        };
        let line = format!(" {}{p}", self.facts(size));
        self.multiline(250, &format!("Listing {p}"), &[&line], "End")
            .await
    }

    /// MLSD: the entries of a directory on the data connection; 501 for a
    /// file (§7.2.1).
    pub(super) async fn mlsd(&mut self, arg: &str) -> io::Result<Flow> {
        let p = self.path(arg);
        match self.entry(&p) {
            None => return self.ok("550 No such directory").await,
            Some(Some(_)) => return self.ok("501 Not a directory").await,
            Some(None) => {}
        }
        let Some(setup) = self.data.take() else {
            return self.no_data_connection().await;
        };
        let children = self.fs().children(&p);
        let mut out = String::new();
        for (name, size) in children {
            out.push_str(&self.facts(size));
            out.push_str(basename(&name));
            out.push_str("\r\n");
        }
        self.preliminary("150 Here comes the listing").await?;
        self.send_data(setup, &super::lines::latin1(&out), "226 Listing sent")
            .await
    }
}
