//! Each `[nodes.<id>]`: text and placeholders, quick replies, buttons, media, profile,
//! keywords and fallback.

use std::collections::BTreeMap;

use super::super::definition::{ButtonFile, FlowFile, NodeFile, QuickReplyFile};
use super::super::text;
use super::super::{FlowProblem, Node};
use super::{Checker, MAX_NODE_ID_CHARS, is_identifier};
use crate::twitter::limits::{
    Button, Buttons, CustomProfileName, MessageText, QuickReply, QuickReplyOption,
};

/// The quick-reply routes: metadata → (node it routes to, where it was declared).
type Routes = BTreeMap<String, (String, String)>;

/// Checks every node; the valid ones are returned with the quick-reply routes they declare.
pub(super) fn check_nodes(
    c: &mut Checker,
    def: &FlowFile,
    default_profile: Option<&CustomProfileName>,
    declared_profile: &ProfileCheck,
    (typing, mark_read): (bool, bool),
) -> (BTreeMap<String, Node>, Routes) {
    let mut nodes = BTreeMap::new();
    // metadata → (node it routes to, where it was declared)
    let mut routes: BTreeMap<String, (String, String)> = BTreeMap::new();
    if def.nodes.is_empty() {
        c.problem(None, "nodes", "needs at least one [nodes.<id>] table");
    }
    for (node_id, n) in &def.nodes {
        let node = Some(node_id.as_str());
        if !is_identifier(node_id, MAX_NODE_ID_CHARS, true) {
            c.problem(
                node,
                "",
                format!("the node id must be 1 to {MAX_NODE_ID_CHARS} letters, digits, '-' or '_'"),
            );
        }
        let built = check_node(
            c,
            node_id,
            n,
            &mut routes,
            default_profile,
            &declared_profile,
            (typing, mark_read),
        );
        if let Some(built) = built {
            nodes.insert(node_id.clone(), built);
        }
    }
    (nodes, routes)
}

pub(super) type ProfileCheck<'a> =
    dyn Fn(&mut Checker, Option<&str>, &str, &str) -> Option<CustomProfileName> + 'a;

fn check_node(
    c: &mut Checker,
    node_id: &str,
    n: &NodeFile,
    routes: &mut BTreeMap<String, (String, String)>,
    default_profile: Option<&CustomProfileName>,
    declared_profile: &ProfileCheck,
    (typing, mark_read): (bool, bool),
) -> Option<Node> {
    let node = Some(node_id);
    let problems_before = c.problems.len();

    let text = match n.text.as_deref() {
        None => {
            c.problem(node, "text", "is required: the message the bot sends here");
            None
        }
        Some(t) => {
            for p in text::placeholders_in(t) {
                if !text::PLACEHOLDERS.contains(&p) {
                    c.problem(
                        node,
                        "text",
                        format!(
                            "uses unknown placeholder {{{p}}} (known: {})",
                            text::PLACEHOLDERS
                                .iter()
                                .map(|k| format!("{{{k}}}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    );
                }
            }
            MessageText::new(t)
                .map_err(|e| c.problems.push(FlowProblem::from_limit(node, e)))
                .ok()
        }
    };

    let quick_reply = n
        .quick_replies
        .as_ref()
        .and_then(|options| check_quick_replies(c, node_id, options, routes));
    let buttons = n
        .buttons
        .as_ref()
        .and_then(|buttons| check_buttons(c, node_id, buttons));
    let media = n.media.as_deref().and_then(|p| c.media(node, "media", p));
    let profile = match n.profile.as_deref() {
        Some(p) => declared_profile(c, node, "profile", p),
        None => default_profile.cloned(),
    };
    let keywords = c.keywords(node, &n.keywords, "keywords");
    let fallback = n
        .fallback
        .as_deref()
        .and_then(|f| c.target(node, "fallback", Some(f)));

    if c.problems.len() != problems_before {
        return None;
    }
    Some(Node {
        id: node_id.to_string(),
        text: text?,
        quick_reply,
        buttons,
        media,
        profile,
        keywords,
        fallback,
        handoff: n.handoff.unwrap_or(false),
        typing: n.typing.unwrap_or(typing),
        mark_read: n.mark_read.unwrap_or(mark_read),
    })
}

fn check_quick_replies(
    c: &mut Checker,
    node_id: &str,
    options: &[QuickReplyFile],
    routes: &mut BTreeMap<String, (String, String)>,
) -> Option<QuickReply> {
    let node = Some(node_id);
    let mut built = Vec::new();
    let mut all_ok = true;
    for (i, o) in options.iter().enumerate() {
        let at = format!("quick_replies[{i}]");
        let goto = c.target(node, &format!("{at}.goto"), o.goto.as_deref());
        let metadata = o.metadata.clone().or_else(|| goto.clone());
        let option = match o.label.as_deref() {
            None => {
                c.problem(node, format!("{at}.label"), "is required");
                None
            }
            Some(label) => {
                match QuickReplyOption::new(label, o.description.clone(), metadata.clone()) {
                    Ok(opt) => Some(opt),
                    Err(e) => {
                        c.problems
                            .push(FlowProblem::from_limit(node, e.within(&at)));
                        None
                    }
                }
            }
        };
        if let (Some(goto), Some(metadata)) = (&goto, &metadata) {
            let here = format!("node {node_id:?}, {at}");
            match routes.get(metadata) {
                Some((other, first)) if other != goto => {
                    c.problem(
                        node,
                        format!("{at}.metadata"),
                        format!(
                            "{metadata:?} already routes to node {other:?} ({first}); the same \
                             metadata must always lead to the same node"
                        ),
                    );
                }
                Some(_) => {}
                None => {
                    routes.insert(metadata.clone(), (goto.clone(), here));
                }
            }
        }
        match option {
            Some(opt) if goto.is_some() => built.push(opt),
            _ => {
                all_ok = false;
                // A stand-in so the list-level rules (1 to 20 options, descriptions on all or
                // none) are still checked, by the limits type itself.
                if let Ok(stand_in) = QuickReplyOption::new(
                    "x",
                    o.description.as_ref().map(|_| "x".to_string()),
                    None,
                ) {
                    built.push(stand_in);
                }
            }
        }
    }
    match QuickReply::new(built) {
        Ok(q) if all_ok => Some(q),
        Ok(_) => None,
        Err(e) => {
            c.problem(node, "quick_replies", e.problem);
            None
        }
    }
}

fn check_buttons(c: &mut Checker, node_id: &str, buttons: &[ButtonFile]) -> Option<Buttons> {
    let node = Some(node_id);
    let mut built = Vec::new();
    let mut all_ok = true;
    for (i, b) in buttons.iter().enumerate() {
        let at = format!("buttons[{i}]");
        let (Some(label), Some(url)) = (b.label.as_deref(), b.url.as_deref()) else {
            if b.label.is_none() {
                c.problem(node, format!("{at}.label"), "is required");
            }
            if b.url.is_none() {
                c.problem(node, format!("{at}.url"), "is required");
            }
            all_ok = false;
            built.push(Button::new("x", "https://x.example").ok());
            continue;
        };
        match Button::new(label, url) {
            Ok(button) => built.push(Some(button)),
            Err(e) => {
                c.problems
                    .push(FlowProblem::from_limit(node, e.within(&at)));
                all_ok = false;
                built.push(Button::new("x", "https://x.example").ok());
            }
        }
    }
    match Buttons::new(built.into_iter().flatten().collect()) {
        Ok(b) if all_ok => Some(b),
        Ok(_) => None,
        Err(e) => {
            c.problem(node, "buttons", e.problem);
            None
        }
    }
}
