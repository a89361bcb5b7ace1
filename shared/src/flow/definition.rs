//! The flow file as written: plain serde structs mirroring the TOML, before validation.
//!
//! Almost every key is optional here, even the ones a flow needs: a missing `text` or `goto` is
//! reported by validation together with every other problem, instead of stopping at the first
//! one the way a serde error would. Only a value of the wrong type (a number where text belongs)
//! stops parsing. Unknown keys (typos such as `quick_replys`) are found by [`unknown_keys`] and
//! reported as problems too.
//!
//! See `docs/FLOWS.md` for what each key means.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::FlowProblem;

/// A whole flow file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowFile {
    /// Stable identifier (`acme-support`): where the flow is stored and how accounts refer to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A human title for operators.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The node a conversation starts at when nothing else decides.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Where a message goes when nothing matched and its node has no `fallback` (default: start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    /// The custom profile (by name) nodes speak as unless they say otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// What `{customer_name}` becomes when Twitter did not tell us the name (default `there`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_name_fallback: Option<String>,
    /// Show the typing indicator before replying (default true; nodes may override).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typing: Option<bool>,
    /// Mark the customer's message read before replying (default true; nodes may override).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark_read: Option<bool>,
    /// Several messages of a customer waiting at once get one reply, to the latest (default
    /// true); every message still walks the flow in order. Absent in flows stored before it
    /// existed, which therefore coalesce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coalesce: Option<bool>,
    /// Global keywords: they apply at every node.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<KeywordFile>,
    /// Hand-over settings.
    #[serde(default, skip_serializing_if = "HandoffFile::is_empty")]
    pub handoff: HandoffFile,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub welcome_messages: Vec<WelcomeFile>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<ProfileFile>,
    /// `[v2]`: how the flow is written out on X API v2.
    #[serde(default, skip_serializing_if = "V2File::is_empty")]
    pub v2: V2File,
    /// The nodes, by id.
    #[serde(default)]
    pub nodes: BTreeMap<String, NodeFile>,
}

/// Words or phrases that send the conversation to a node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeywordFile {
    #[serde(default)]
    pub words: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goto: Option<String>,
}

/// `[handoff]`: when a paused bot comes back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoffFile {
    /// Resume after this many minutes without agent activity (absent: never by itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_after_minutes: Option<u64>,
    /// Words with which the customer brings the bot back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resume_keywords: Vec<String>,
}

impl HandoffFile {
    fn is_empty(&self) -> bool {
        self.resume_after_minutes.is_none() && self.resume_keywords.is_empty()
    }
}

/// `[v2]`: settings for X API v2, whose messages carry text only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct V2File {
    /// End a message spoken as a custom profile with a `— <profile name>` line (default false:
    /// the profile is dropped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<bool>,
}

impl V2File {
    fn is_empty(&self) -> bool {
        self.signature.is_none()
    }
}

/// `[[welcome_messages]]`: a welcome message shows a node's content before the customer writes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WelcomeFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<bool>,
}

/// `[[profiles]]`: a custom profile (name and avatar) messages can be sent as.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// `bot` (default) or `agent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// `[nodes.<id>]`: one step of the conversation, and the message the bot sends on entering it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quick_replies: Option<Vec<QuickReplyFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buttons: Option<Vec<ButtonFile>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<KeywordFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handoff: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typing: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark_read: Option<bool>,
}

/// One quick-reply option.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickReplyFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goto: Option<String>,
    /// What Twitter hands back when the option is tapped (default: the `goto` node id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
}

/// One `web_url` button.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ButtonFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

const TOP_KEYS: &[&str] = &[
    "id",
    "name",
    "start",
    "fallback",
    "profile",
    "customer_name_fallback",
    "typing",
    "mark_read",
    "coalesce",
    "keywords",
    "handoff",
    "welcome_messages",
    "profiles",
    "v2",
    "nodes",
];
const KEYWORD_KEYS: &[&str] = &["words", "goto"];
const HANDOFF_KEYS: &[&str] = &["resume_after_minutes", "resume_keywords"];
const V2_KEYS: &[&str] = &["signature"];
const WELCOME_KEYS: &[&str] = &["name", "node", "default"];
const PROFILE_KEYS: &[&str] = &["name", "avatar", "role"];
const NODE_KEYS: &[&str] = &[
    "text",
    "quick_replies",
    "buttons",
    "media",
    "profile",
    "keywords",
    "fallback",
    "handoff",
    "typing",
    "mark_read",
];
const QUICK_REPLY_KEYS: &[&str] = &["label", "description", "goto", "metadata"];
const BUTTON_KEYS: &[&str] = &["label", "url"];

/// Every key of the parsed file that the format does not know, as problems naming where it is.
/// Values of the wrong shape are left to serde, which reports them with a line number.
pub fn unknown_keys(file: &toml::Table) -> Vec<FlowProblem> {
    let mut problems = Vec::new();
    check_table(file, TOP_KEYS, None, "", &mut problems);
    let mut each = |key: &str, keys: &'static [&'static str], node: Option<&str>| {
        let table = match node {
            Some(n) => file
                .get("nodes")
                .and_then(|v| v.as_table())
                .and_then(|t| t.get(n))
                .and_then(|v| v.as_table()),
            None => Some(file),
        };
        let Some(items) = table.and_then(|t| t.get(key)).and_then(|v| v.as_array()) else {
            return;
        };
        for (i, item) in items.iter().enumerate() {
            if let Some(t) = item.as_table() {
                check_table(t, keys, node, &format!("{key}[{i}]"), &mut problems);
            }
        }
    };
    each("keywords", KEYWORD_KEYS, None);
    each("welcome_messages", WELCOME_KEYS, None);
    each("profiles", PROFILE_KEYS, None);
    let node_ids: Vec<String> = file
        .get("nodes")
        .and_then(|v| v.as_table())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default();
    for id in &node_ids {
        each("quick_replies", QUICK_REPLY_KEYS, Some(id));
        each("buttons", BUTTON_KEYS, Some(id));
        each("keywords", KEYWORD_KEYS, Some(id));
    }
    if let Some(t) = file.get("handoff").and_then(|v| v.as_table()) {
        check_table(t, HANDOFF_KEYS, None, "handoff", &mut problems);
    }
    if let Some(t) = file.get("v2").and_then(|v| v.as_table()) {
        check_table(t, V2_KEYS, None, "v2", &mut problems);
    }
    if let Some(nodes) = file.get("nodes").and_then(|v| v.as_table()) {
        for (id, node) in nodes {
            if let Some(t) = node.as_table() {
                check_table(t, NODE_KEYS, Some(id), "", &mut problems);
            }
        }
    }
    problems
}

fn check_table(
    table: &toml::Table,
    known: &[&str],
    node: Option<&str>,
    prefix: &str,
    problems: &mut Vec<FlowProblem>,
) {
    for key in table.keys() {
        if !known.contains(&key.as_str()) {
            let field = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            problems.push(FlowProblem::new(
                node,
                field,
                format!("is not a known key (expected one of: {})", known.join(", ")),
            ));
        }
    }
}

#[cfg(test)]
mod tests;
