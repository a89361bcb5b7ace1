//! `[[welcome_messages]]`: name limit, an existing node, the welcome text limit, no
//! placeholders, exactly one default.

use std::collections::BTreeMap;

use super::super::definition::FlowFile;
use super::super::text;
use super::super::{FlowProblem, Node, WelcomeMessage};
use super::{Checker, node_data};
use crate::twitter::limits::{WelcomeMessageData, WelcomeMessageName};

/// Checks every welcome message against the checked `nodes`; the valid ones are returned.
pub(super) fn check_welcome_messages(
    c: &mut Checker,
    def: &FlowFile,
    nodes: &BTreeMap<String, Node>,
) -> Vec<WelcomeMessage> {
    let mut welcome_messages = Vec::new();
    let mut welcome_names: BTreeMap<String, usize> = BTreeMap::new();
    for (i, w) in def.welcome_messages.iter().enumerate() {
        let at = format!("welcome_messages[{i}]");
        let name = match w.name.as_deref() {
            None => {
                c.problem(None, format!("{at}.name"), "is required");
                None
            }
            Some(n) => match WelcomeMessageName::new(n) {
                Ok(name) if !welcome_names.contains_key(n) => {
                    welcome_names.insert(n.to_string(), i);
                    Some(name)
                }
                Ok(_) => {
                    let first = welcome_names.get(n).copied().unwrap_or_default();
                    c.problem(
                        None,
                        format!("{at}.name"),
                        format!("{n:?} is already the name of welcome_messages[{first}]"),
                    );
                    None
                }
                Err(e) => {
                    c.problems
                        .push(FlowProblem::from_limit(None, e.within(&at)));
                    None
                }
            },
        };
        let node_field = format!("{at}.node");
        let target = c.target(None, &node_field, w.node.as_deref());
        // Placeholders are checked on the text as written, so the problem shows even when the
        // node has other problems.
        let raw_text = target
            .as_deref()
            .and_then(|t| def.nodes.get(t))
            .and_then(|n| n.text.as_deref())
            .unwrap_or_default();
        if let Some(p) = text::placeholders_in(raw_text).first() {
            c.problem(
                None,
                &node_field,
                format!(
                    "node {:?} uses {{{p}}} in its text, which a welcome message cannot fill \
                     (Twitter shows it before anyone writes)",
                    target.as_deref().unwrap_or_default()
                ),
            );
        }
        let content = target.as_deref().and_then(|t| nodes.get(t)).and_then(|n| {
            let data = node_data(n);
            match WelcomeMessageData::new(data.clone()) {
                Ok(_) => Some((data, n.media.clone())),
                Err(e) => {
                    c.problem(
                        None,
                        &node_field,
                        format!("node {:?} {}: {}", n.id, e.field, e.problem),
                    );
                    None
                }
            }
        });
        if let (Some(name), Some(node), Some((data, media))) = (name, target, content) {
            welcome_messages.push(WelcomeMessage {
                name,
                node,
                default: w.default.unwrap_or(false),
                data,
                media,
            });
        }
    }
    let defaults = def
        .welcome_messages
        .iter()
        .filter(|w| w.default == Some(true))
        .count();
    if !def.welcome_messages.is_empty() && defaults != 1 {
        c.problem(
            None,
            "welcome_messages",
            format!(
                "exactly one welcome message must have default = true (found {defaults}); \
                 flow sync makes it the account's default"
            ),
        );
    }
    welcome_messages
}
