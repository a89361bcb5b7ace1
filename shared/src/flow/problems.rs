//! What is wrong with a flow: every problem, where it is and what.

use std::fmt;

use serde::Serialize;

use crate::twitter::limits::LimitError;
/// One thing wrong with a flow file: where (`node`, when it is inside a node, and the `field`
/// path within it, as written in the file) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowProblem {
    /// The node id, for problems inside `[nodes.<id>]`.
    pub node: Option<String>,
    /// The key path, e.g. `quick_replies[2].label` or `welcome_messages[0].name`. Empty when
    /// the problem is about the node (or the file) as a whole.
    pub field: String,
    pub problem: String,
}

impl FlowProblem {
    pub fn new(node: Option<&str>, field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            node: node.map(str::to_string),
            field: field.into(),
            problem: problem.into(),
        }
    }

    pub(super) fn from_limit(node: Option<&str>, e: LimitError) -> Self {
        Self::new(node, e.field, e.problem)
    }
}

impl fmt::Display for FlowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.node, self.field.is_empty()) {
            (Some(n), true) => write!(f, "node {n:?}: {}", self.problem),
            (Some(n), false) => write!(f, "node {n:?}, {}: {}", self.field, self.problem),
            (None, true) => f.write_str(&self.problem),
            (None, false) => write!(f, "{}: {}", self.field, self.problem),
        }
    }
}

/// Every problem found in a flow, so the operator can fix them all in one go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct FlowErrors {
    pub problems: Vec<FlowProblem>,
}

impl FlowErrors {
    pub(super) fn one(problem: FlowProblem) -> Self {
        Self {
            problems: vec![problem],
        }
    }
}

impl fmt::Display for FlowErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "the flow has {n} problem{}; fix them and load it again:",
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}
