//! AFLNet-style state feedback. A session's state path is the sequence of
//! reply codes it drew; a transition is (previous code, command, code). A
//! session that produces a transition never seen before joins the corpus,
//! and sessions that found more are chosen more often for mutation.

use super::session::Session;
use std::collections::HashSet;

/// A state transition: the code before, the command, the code it drew.
pub type Transition = (u16, String, u16);

/// Everything seen so far.
#[derive(Debug, Default)]
pub struct TransitionSet {
    transitions: HashSet<Transition>,
    codes: HashSet<u16>,
}

impl TransitionSet {
    /// Add a session's path; returns how many transitions were new.
    pub fn add(&mut self, path: &[(String, u16)]) -> usize {
        // 230: every path starts logged in.
        let mut prev = 230;
        let mut new = 0;
        for (verb, code) in path {
            self.codes.insert(*code);
            if self.transitions.insert((prev, verb.clone(), *code)) {
                new += 1;
            }
            prev = *code;
        }
        new
    }

    /// Distinct transitions seen.
    pub fn transitions(&self) -> usize {
        self.transitions.len()
    }

    /// Distinct reply codes seen.
    pub fn codes(&self) -> usize {
        self.codes.len()
    }
}

/// A corpus entry.
#[derive(Clone, Debug)]
pub struct CorpusEntry {
    /// The session.
    pub session: Session,
    /// New transitions it found: its weight when choosing what to mutate.
    pub energy: usize,
    /// Commands it drew a new transition with: favoured in generation.
    pub verbs: Vec<String>,
}

/// Interesting sessions, bounded.
#[derive(Debug, Default)]
pub struct Corpus {
    entries: Vec<CorpusEntry>,
}

/// Most entries kept; the weakest goes when full.
const MAX_ENTRIES: usize = 1024;

impl Corpus {
    /// Keep `session`.
    pub fn add(&mut self, session: Session, energy: usize, verbs: Vec<String>) {
        if self.entries.len() >= MAX_ENTRIES {
            if let Some((i, _)) = self
                .entries
                .iter()
                .enumerate()
                .min_by_key(|(_, e)| e.energy)
            {
                self.entries.swap_remove(i);
            }
        }
        self.entries.push(CorpusEntry {
            session,
            energy,
            verbs,
        });
    }

    /// Entries kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is kept yet.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Pick an entry, weighted by energy, from a random number.
    pub fn pick(&self, r: u64) -> Option<&CorpusEntry> {
        let total: u64 = self.entries.iter().map(|e| 1 + e.energy as u64).sum();
        if total == 0 {
            return None;
        }
        let mut x = r % total;
        for e in &self.entries {
            let w = 1 + e.energy as u64;
            if x < w {
                return Some(e);
            }
            x -= w;
        }
        self.entries.last()
    }

    /// Verbs of the most recent productive entries.
    pub fn favoured(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .entries
            .iter()
            .rev()
            .take(16)
            .flat_map(|e| e.verbs.iter().cloned())
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// The commands that drew the transitions new to `coverage` along `path`
/// (computed before adding it).
pub fn new_verbs(coverage: &TransitionSet, path: &[(String, u16)]) -> Vec<String> {
    let mut prev = 230;
    let mut out = Vec::new();
    for (verb, code) in path {
        if !coverage.transitions.contains(&(prev, verb.clone(), *code)) && !out.contains(verb) {
            out.push(verb.clone());
        }
        prev = *code;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_count_once() {
        let mut c = TransitionSet::default();
        let p = vec![("MKD".to_owned(), 257), ("MKD".to_owned(), 550)];
        assert_eq!(new_verbs(&c, &p), ["MKD"]);
        assert_eq!(c.add(&p), 2);
        assert_eq!(c.add(&p), 0);
        assert!(new_verbs(&c, &p).is_empty());
        assert_eq!(c.transitions(), 2);
    }
}
