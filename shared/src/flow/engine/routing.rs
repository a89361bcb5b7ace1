//! Choosing the node that answers (quick-reply metadata, keywords, fallback) and planning its
//! reply.

use super::super::text;
use super::super::{Flow, KeywordRoute, Node};
use super::{ReplyPlan, ResumeCause, Via};

/// The metadata of the option of `node` the typed `text` picks (a number of the list or a
/// label), as if it had been tapped.
pub(super) fn typed_choice<'n>(node: &'n Node, text: &str) -> Option<&'n str> {
    let options = node.quick_reply()?.options();
    let labels: Vec<&str> = options.iter().map(|o| o.label.as_str()).collect();
    let picked = super::super::choice::pick(text, &labels)?;
    options[picked].metadata.as_ref().map(|m| m.as_str())
}

/// The node that answers and why. `greet`: a new conversation on a surface without welcome
/// messages, which gets the default welcome message's node when nothing matched.
pub(super) fn route<'f>(
    flow: &'f Flow,
    current: Option<&'f Node>,
    metadata: Option<&str>,
    text_words: &[String],
    greet: bool,
) -> (&'f str, Via) {
    if let Some(target) = metadata.and_then(|m| flow.routes.get(m)) {
        return (target, Via::QuickReply);
    }
    if let Some(target) = current.and_then(|n| best_keyword(&n.keywords, text_words)) {
        return (target, Via::NodeKeyword);
    }
    if let Some(target) = best_keyword(&flow.keywords, text_words) {
        return (target, Via::GlobalKeyword);
    }
    match current {
        Some(n) => (
            n.fallback.as_deref().unwrap_or(&flow.fallback),
            Via::Fallback,
        ),
        None => match flow.default_welcome().filter(|_| greet) {
            Some(welcome) => (&welcome.node, Via::Greeting),
            None => (flow.start(), Via::Start),
        },
    }
}

/// The matching keyword with the most words; the first in the file among equals.
pub(super) fn best_keyword<'k>(
    keywords: &'k [KeywordRoute],
    text_words: &[String],
) -> Option<&'k str> {
    let mut best: Option<&KeywordRoute> = None;
    for k in keywords {
        if k.phrase.occurs_in(text_words) && best.is_none_or(|b| k.phrase.len() > b.phrase.len()) {
            best = Some(k);
        }
    }
    best.map(|k| k.goto.as_str())
}

pub(super) fn plan(
    flow: &Flow,
    node: &Node,
    via: Via,
    resumed: Option<ResumeCause>,
    customer_name: Option<&str>,
) -> ReplyPlan {
    let mut data = super::super::validate::node_data(node);
    data.text = text::render(&node.text, customer_name, &flow.customer_name_fallback);
    ReplyPlan {
        node: node.id.clone(),
        via,
        resumed,
        data,
        media: node.media.clone(),
        custom_profile: node.profile.clone(),
        typing: node.typing,
        mark_read: node.mark_read,
    }
}
