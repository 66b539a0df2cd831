//! The scripted server's in-memory file system. Paths are absolute,
//! normalised, "/"-separated.

use std::collections::{BTreeSet, HashMap};

pub(super) struct MemFs {
    pub(super) files: HashMap<String, Vec<u8>>,
    pub(super) dirs: BTreeSet<String>,
    pub(super) unique: u64,
    /// Whether any session has sent MKD (`Fault::TlsNoHandshakeAfterMkd`).
    pub(super) mkd_seen: bool,
}

impl MemFs {
    pub(super) fn new() -> MemFs {
        MemFs {
            files: HashMap::new(),
            dirs: BTreeSet::from(["/".to_string()]),
            unique: 0,
            mkd_seen: false,
        }
    }

    pub(super) fn exists(&self, p: &str) -> bool {
        self.dirs.contains(p) || self.files.contains_key(p)
    }

    pub(super) fn mkdir_all(&mut self, p: &str) {
        let mut cur = String::from("/");
        for c in p.split('/').filter(|c| !c.is_empty()) {
            cur = join(&cur, c);
            if !self.files.contains_key(&cur) {
                self.dirs.insert(cur.clone());
            }
        }
    }

    /// Entries directly in `dir`: (name, size or `None` for a directory), sorted.
    pub(super) fn children(&self, dir: &str) -> Vec<(String, Option<usize>)> {
        let mut v: Vec<(String, Option<usize>)> = self
            .dirs
            .iter()
            .filter(|d| d.as_str() != "/" && parent(d) == dir)
            .map(|d| (basename(d).to_string(), None))
            .chain(
                self.files
                    .iter()
                    .filter(|(f, _)| parent(f) == dir)
                    .map(|(f, data)| (basename(f).to_string(), Some(data.len()))),
            )
            .collect();
        v.sort();
        v
    }

    pub(super) fn has_children(&self, dir: &str) -> bool {
        let prefix = if dir == "/" {
            "/".to_string()
        } else {
            format!("{dir}/")
        };
        self.files.keys().any(|f| f.starts_with(&prefix))
            || self.dirs.iter().any(|d| d != dir && d.starts_with(&prefix))
    }

    /// Rename a file or a directory (with everything below it).
    pub(super) fn rename(&mut self, from: &str, to: &str) -> bool {
        if from == "/" || to == "/" || from == to || !self.exists(from) {
            return false;
        }
        if !self.dirs.contains(&parent(to)) {
            return false;
        }
        if let Some(data) = self.files.get(from).cloned() {
            if self.dirs.contains(to) {
                return false;
            }
            self.files.remove(from);
            self.files.insert(to.to_string(), data);
            return true;
        }
        // A directory: the target must not exist nor lie inside the source.
        let prefix = format!("{from}/");
        if self.exists(to) || to.starts_with(&prefix) {
            return false;
        }
        let moved = |p: &str| format!("{to}{}", &p[from.len()..]);
        let dirs: Vec<String> = self
            .dirs
            .iter()
            .filter(|d| d.as_str() == from || d.starts_with(&prefix))
            .cloned()
            .collect();
        for d in dirs {
            self.dirs.remove(&d);
            self.dirs.insert(moved(&d));
        }
        let files: Vec<String> = self
            .files
            .keys()
            .filter(|f| f.starts_with(&prefix))
            .cloned()
            .collect();
        for f in files {
            if let Some(data) = self.files.remove(&f) {
                self.files.insert(moved(&f), data);
            }
        }
        true
    }
}

/// Resolve `arg` (absolute or relative to `cwd`), handling `.` and `..`.
pub(super) fn resolve(cwd: &str, arg: &str) -> String {
    let mut parts: Vec<&str> = if arg.starts_with('/') {
        Vec::new()
    } else {
        cwd.split('/').filter(|c| !c.is_empty()).collect()
    };
    for c in arg.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("/{}", parts.join("/"))
}

pub(super) fn parent(p: &str) -> String {
    match p.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => p[..i].to_string(),
    }
}

pub(super) fn basename(p: &str) -> &str {
    match p.rfind('/') {
        Some(i) => &p[i + 1..],
        None => p,
    }
}

pub(super) fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// RFC 959 appendix II: a `"` inside a quoted path name is doubled.
pub(super) fn quote(p: &str) -> String {
    format!("\"{}\"", p.replace('"', "\"\""))
}

pub(super) fn to_crlf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 16);
    for &b in data {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

pub(super) fn from_crlf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'\r' && data.get(i + 1) == Some(&b'\n') {
            i += 1;
            continue;
        }
        out.push(data[i]);
        i += 1;
    }
    out
}
