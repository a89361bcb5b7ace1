//! How a flow fares on X API v2, whose Direct Messages carry text and one attachment only
//! (`docs/FLOWS.md`, "Rendering on X API v2"): what `dmbot flow check --api v2` reports.
//!
//! [`check_for_v2`] renders every node the way a v2 reply is written out ([`render::plain_text`]:
//! options as a numbered list, buttons as `Label: URL` lines, the signature line) and returns:
//! - problems: the nodes whose written-out text no longer fits a Direct Message. The text is
//!   taken as the engine sends it, with `{customer_name}` filled with a name of the longest
//!   length the engine uses ([`text::MAX_NAME_CHARS`]) and cut to the limit as the engine cuts
//!   it; the options, buttons and signature come after and are never cut;
//! - degradations: every feature that works differently on v2, once per kind, with the nodes
//!   concerned (quick replies, buttons, custom profiles, welcome messages and the nodes only a
//!   non-default welcome message leads to, typing indicator, read receipts). A node has at most one media file, which v2 carries as it is, so media is not
//!   among them.
//!
//! [`reply_text`] is the same rendering for one reply plan, for the v2 send path.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

use super::{Flow, FlowProblem, Node, ReplyPlan, render, text};
use crate::twitter::limits::{CustomProfileName, LimitError, MAX_TEXT_CHARS, MessageText};

/// A feature of the flow that X API v2 cannot carry as such.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Degraded {
    QuickReplies,
    Buttons,
    CustomProfiles,
    WelcomeMessages,
    /// Nodes only a welcome message other than the default leads to.
    UnreachedNodes,
    TypingIndicator,
    ReadReceipts,
}

/// One kind of degradation, with the nodes it concerns (in id order) and what happens instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Degradation {
    pub kind: Degraded,
    pub nodes: Vec<String>,
    /// What v2 does instead, in a sentence.
    pub instead: String,
    /// Whether `nodes` is every node of the flow (shown as "every node").
    #[serde(skip)]
    every_node: bool,
}

impl fmt::Display for Degradation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.every_node {
            return write!(f, "{} (every node)", self.instead);
        }
        let s = if self.nodes.len() == 1 { "" } else { "s" };
        let names: Vec<String> = self.nodes.iter().map(|n| format!("{n:?}")).collect();
        write!(f, "{} (node{s} {})", self.instead, names.join(", "))
    }
}

/// What `flow check --api v2` found: problems refuse the flow on v2, degradations are warnings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct V2Check {
    pub problems: Vec<FlowProblem>,
    pub degradations: Vec<Degradation>,
}

/// Checks a (valid) flow for X API v2. See the module documentation.
pub fn check_for_v2(flow: &Flow) -> V2Check {
    let problems = flow.nodes().filter_map(|n| over_limit(flow, n)).collect();
    V2Check {
        problems,
        degradations: degradations(flow),
    }
}

/// The text of a reply on X API v2: the plan's text, options, buttons and signature written out.
pub fn reply_text(flow: &Flow, plan: &ReplyPlan) -> Result<MessageText, LimitError> {
    render::plain_text(
        plan.text(),
        plan.quick_reply(),
        plan.buttons(),
        signature(flow, plan.custom_profile.as_ref()),
    )
}

/// The signature line's name: the node's custom profile, when the flow signs.
fn signature<'p>(flow: &Flow, profile: Option<&'p CustomProfileName>) -> Option<&'p str> {
    profile
        .filter(|_| flow.v2_signature())
        .map(CustomProfileName::as_str)
}

/// The node's written-out text at its longest, as a problem when it does not fit.
fn over_limit(flow: &Flow, node: &Node) -> Option<FlowProblem> {
    let longest_name = "W".repeat(text::MAX_NAME_CHARS);
    let filled = text::render(
        node.text(),
        Some(&longest_name),
        &flow.customer_name_fallback,
    );
    let written = render::written_out(
        &filled,
        node.quick_reply(),
        node.buttons(),
        signature(flow, node.profile()),
    );
    let length = written.chars().count();
    let signed = if signature(flow, node.profile()).is_some() {
        " and the signature line"
    } else {
        ""
    };
    let over = length.checked_sub(MAX_TEXT_CHARS).filter(|&n| n > 0)?;
    let has_name = !text::placeholders_in(node.text().as_str()).is_empty();
    Some(FlowProblem::new(
        Some(&node.id),
        "text",
        format!(
            "is {length} characters on X API v2{}, {over} over the {MAX_TEXT_CHARS}-character \
             limit of a Direct Message: v2 writes the quick replies and buttons{signed} into \
             the text; shorten the text or the options",
            if has_name {
                " with a 50-character name"
            } else {
                ""
            },
        ),
    ))
}

/// Every kind of degradation the flow has, in [`Degraded`] order.
fn degradations(flow: &Flow) -> Vec<Degradation> {
    let total = flow.nodes().count();
    let mut out = Vec::new();
    let mut add = |kind: Degraded, nodes: Vec<String>, instead: String| {
        if !nodes.is_empty() {
            let every_node = nodes.len() == total && total > 1;
            out.push(Degradation {
                kind,
                nodes,
                instead,
                every_node,
            });
        }
    };
    let nodes_where = |keep: &dyn Fn(&Node) -> bool| -> Vec<String> {
        flow.nodes()
            .filter(|n| keep(n))
            .map(|n| n.id.clone())
            .collect()
    };
    add(
        Degraded::QuickReplies,
        nodes_where(&|n| n.quick_reply.is_some()),
        "quick replies are written into the text as a numbered list; the customer types a \
         number or a label"
            .into(),
    );
    add(
        Degraded::Buttons,
        nodes_where(&|n| n.buttons.is_some()),
        "buttons are written into the text as `Label: URL` lines".into(),
    );
    add(
        Degraded::CustomProfiles,
        nodes_where(&|n| n.profile.is_some()),
        if flow.v2_signature() {
            "custom profiles cannot be shown: the message ends with a `— <profile name>` line \
             instead ([v2] signature = true)"
        } else {
            "custom profiles cannot be shown and are dropped, so the message shows the \
             account's name; `[v2] signature = true` would end it with the profile's name"
        }
        .into(),
    );
    if let Some(default) = flow.default_welcome() {
        let others: Vec<String> = flow
            .welcome_messages()
            .iter()
            .filter(|w| !w.default)
            .map(|w| format!("{:?}", w.name.as_str()))
            .collect();
        let mut instead = format!(
            "welcome messages do not exist: the default one's node {:?} is sent as the reply to \
             a customer's first message when it matches no keyword (instead of `start`)",
            default.node
        );
        if !others.is_empty() {
            instead.push_str(&format!(
                "; the other welcome messages ({}) are never shown",
                others.join(", ")
            ));
        }
        let mut nodes: Vec<String> = flow
            .welcome_messages()
            .iter()
            .map(|w| w.node.clone())
            .collect();
        nodes.sort();
        nodes.dedup();
        add(Degraded::WelcomeMessages, nodes, instead);
        add(
            Degraded::UnreachedNodes,
            unreached_on_v2(flow, &default.node),
            "some nodes are never reached: only a welcome message other than the default \
             leads there; add a keyword or an option that does"
                .into(),
        );
    }
    add(
        Degraded::TypingIndicator,
        nodes_where(&|n| n.typing),
        "no typing indicator is shown before the reply".into(),
    );
    add(
        Degraded::ReadReceipts,
        nodes_where(&|n| n.mark_read),
        "the customer's message is not marked read".into(),
    );
    out
}

/// The nodes nothing leads to on v2, where the roots are `start`, `fallback`, the greeting
/// (the default welcome message's node) and the global keywords; the other welcome messages are
/// no roots there. From a node: its options, keywords and fallback.
fn unreached_on_v2(flow: &Flow, greeting: &str) -> Vec<String> {
    let mut queue: Vec<&str> = vec![flow.start(), &flow.fallback, greeting];
    queue.extend(flow.keywords.iter().map(|k| k.goto.as_str()));
    let mut reached = BTreeSet::new();
    while let Some(id) = queue.pop() {
        let Some(node) = flow.node(id) else { continue };
        if !reached.insert(id) {
            continue;
        }
        let options = node.quick_reply.iter().flat_map(|q| q.options());
        queue.extend(
            options
                .filter_map(|o| o.metadata.as_ref())
                .filter_map(|m| flow.routes.get(m.as_str()).map(String::as_str)),
        );
        queue.extend(node.keywords.iter().map(|k| k.goto.as_str()));
        queue.extend(node.fallback.as_deref());
    }
    flow.nodes()
        .filter(|n| !reached.contains(n.id.as_str()))
        .map(|n| n.id.clone())
        .collect()
}

#[cfg(test)]
mod tests;
