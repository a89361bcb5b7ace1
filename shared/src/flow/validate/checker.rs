//! The problem collector every check writes to, with the checks several sections share:
//! media paths, node targets and keyword rules.

use std::collections::{BTreeMap, BTreeSet};

use super::super::definition::KeywordFile;
use super::super::text::{self, Phrase};
use super::super::{FlowProblem, KeywordRoute, MediaFile};

/// Collects problems and remembers resolved media.
pub(super) struct Checker<'r> {
    pub(super) problems: Vec<FlowProblem>,
    pub(super) resolve: &'r mut dyn FnMut(&str) -> Result<MediaFile, String>,
    pub(super) media: BTreeMap<String, Result<MediaFile, String>>,
    pub(super) node_ids: BTreeSet<String>,
}

impl Checker<'_> {
    pub(super) fn problem(
        &mut self,
        node: Option<&str>,
        field: impl Into<String>,
        text: impl Into<String>,
    ) {
        self.problems.push(FlowProblem::new(node, field, text));
    }

    pub(super) fn media(
        &mut self,
        node: Option<&str>,
        field: &str,
        path: &str,
    ) -> Option<MediaFile> {
        if !self.media.contains_key(path) {
            let resolved = (self.resolve)(path);
            self.media.insert(path.to_string(), resolved);
        }
        match self.media.get(path) {
            Some(Ok(m)) => Some(m.clone()),
            Some(Err(e)) => {
                let e = e.clone();
                self.problem(node, field, e);
                None
            }
            None => None,
        }
    }

    /// Checks that `target` names a node; problems are reported at `field`.
    pub(super) fn target(
        &mut self,
        node: Option<&str>,
        field: &str,
        target: Option<&str>,
    ) -> Option<String> {
        match target {
            None => {
                self.problem(node, field, "is required: the id of the node to go to");
                None
            }
            Some(t) if self.node_ids.contains(t) => Some(t.to_string()),
            Some(t) => {
                self.problem(
                    node,
                    field,
                    format!("routes to unknown node {t:?} (no [nodes.{t}] in the file)"),
                );
                None
            }
        }
    }

    /// Compiles keyword rules of one scope (the whole flow, or one node).
    pub(super) fn keywords(
        &mut self,
        node: Option<&str>,
        rules: &[KeywordFile],
        field: &str,
    ) -> Vec<KeywordRoute> {
        let mut compiled = Vec::new();
        // folded words → (goto, where), to refuse a phrase that leads to two places.
        let mut seen: BTreeMap<Vec<String>, (String, String)> = BTreeMap::new();
        for (i, rule) in rules.iter().enumerate() {
            let at = format!("{field}[{i}]");
            let goto = self.target(node, &format!("{at}.goto"), rule.goto.as_deref());
            if rule.words.is_empty() {
                self.problem(node, format!("{at}.words"), "needs at least one word");
            }
            for (j, written) in rule.words.iter().enumerate() {
                let word_at = format!("{at}.words[{j}]");
                let Some(phrase) = Phrase::new(written) else {
                    self.problem(
                        node,
                        word_at,
                        format!("{written:?} has no letters or digits, so it can never match"),
                    );
                    continue;
                };
                let Some(goto) = &goto else { continue };
                let key = text::words(written);
                match seen.get(&key) {
                    Some((other, first)) if other != goto => {
                        let problem = format!(
                            "{written:?} already leads to node {other:?} ({first}); a keyword \
                             must lead to one node"
                        );
                        self.problem(node, word_at, problem);
                    }
                    Some(_) => {}
                    None => {
                        seen.insert(key, (goto.clone(), word_at));
                        compiled.push(KeywordRoute {
                            phrase,
                            goto: goto.clone(),
                        });
                    }
                }
            }
        }
        compiled
    }
}
