//! Reachability: every node can be reached from a root (start, fallback, a welcome message,
//! a global keyword).

use std::collections::{BTreeSet, VecDeque};

use super::super::definition::FlowFile;
use super::Checker;

/// Reports every node no root leads to.
pub(super) fn check_reachability(c: &mut Checker, def: &FlowFile, start: &str, fallback: &str) {
    let mut roots: Vec<&str> = vec![start, fallback];
    roots.extend(
        def.welcome_messages
            .iter()
            .filter_map(|w| w.node.as_deref()),
    );
    roots.extend(def.keywords.iter().filter_map(|k| k.goto.as_deref()));
    let mut reached: BTreeSet<&str> = BTreeSet::new();
    let mut queue: VecDeque<&str> = roots.into_iter().collect();
    while let Some(id) = queue.pop_front() {
        let Some(n) = def.nodes.get(id) else { continue };
        if !reached.insert(id) {
            continue;
        }
        let next = n
            .quick_replies
            .iter()
            .flatten()
            .filter_map(|q| q.goto.as_deref())
            .chain(n.keywords.iter().filter_map(|k| k.goto.as_deref()))
            .chain(n.fallback.as_deref());
        queue.extend(next);
    }
    for id in def.nodes.keys() {
        if !reached.contains(id.as_str()) && !start.is_empty() {
            c.problem(
                Some(id),
                "",
                "is never reached: no start, fallback, welcome message, keyword or quick reply \
                 leads here",
            );
        }
    }
}
