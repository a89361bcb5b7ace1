//! From a parsed [`FlowFile`] to a [`Flow`], or to the list of everything wrong with it.
//!
//! Validation keeps going after a problem so the operator sees them all at once. Twitter's
//! limits are checked by building the very types the client sends ([`crate::twitter::limits`]),
//! so a flow that validates cannot produce a message Twitter refuses for its size or shape.
//!
//! Checks, in order: the flow id; profiles (name limit, avatar file, role); flow defaults and
//! `[handoff]`; global keywords; each node (text and placeholders, quick replies, buttons,
//! media, profile, keywords, fallback); `[v2]`; `start` and `fallback`; welcome messages (name limit,
//! node, the 9,990-character welcome text limit, no placeholders, exactly one default); then
//! reachability (every node can be reached from a root).
//!
//! One file per section: `checker.rs` (the problem collector, targets, keyword rules),
//! `profiles.rs`, `settings.rs` (defaults and hand-over), `nodes.rs`, `welcome.rs`,
//! `reachability.rs`, and `media.rs` (reading a media file next to the flow).

mod checker;
mod media;
mod nodes;
mod profiles;
mod reachability;
mod settings;
mod welcome;

use std::collections::{BTreeMap, BTreeSet};

use super::definition::FlowFile;
use super::{Flow, FlowProblem, MediaFile, Node};
use crate::twitter::limits::MessageData;
use checker::Checker;

pub(super) use media::media_from_disk;

/// Longest flow id: it is part of storage keys (`FLOW#<id>`).
const MAX_FLOW_ID_CHARS: usize = 64;
/// Longest node id: it is the default quick-reply metadata and is stored in conversations.
const MAX_NODE_ID_CHARS: usize = 100;
/// Longest idle time before a hand-over ends by itself: one year.
const MAX_RESUME_AFTER_MINUTES: u64 = 366 * 24 * 60;
/// What `{customer_name}` becomes when the name is unknown, unless the flow says otherwise.
const DEFAULT_CUSTOMER_NAME: &str = "there";

fn is_identifier(s: &str, max: usize, allow_upper: bool) -> bool {
    !s.is_empty()
        && s.chars().count() <= max
        && s.bytes().all(|b| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || b == b'-'
                || b == b'_'
                || (allow_upper && b.is_ascii_uppercase())
        })
}

/// Validates a parsed flow. `resolve` turns a media path into a [`MediaFile`] (reading the disk,
/// or looking it up in a stored flow) or explains why it cannot.
pub(super) fn validate(
    def: FlowFile,
    resolve: &mut dyn FnMut(&str) -> Result<MediaFile, String>,
) -> Result<Flow, Vec<FlowProblem>> {
    let mut c = Checker {
        problems: Vec::new(),
        resolve,
        media: BTreeMap::new(),
        node_ids: def.nodes.keys().cloned().collect::<BTreeSet<String>>(),
    };

    // The flow id.
    let id = check_id(&mut c, def.id.as_deref());

    // Profiles.
    let profiles = profiles::check_profiles(&mut c, &def.profiles);
    let declared_profile = |c: &mut Checker, node: Option<&str>, field: &str, name: &str| {
        profiles::declared(c, &def.profiles, node, field, name)
    };
    let default_profile = def
        .profile
        .as_deref()
        .and_then(|n| declared_profile(&mut c, None, "profile", n));
    // Defaults and hand-over settings.
    let (customer_name_fallback, typing, mark_read) = settings::check_defaults(&mut c, &def);
    let handoff = settings::check_handoff(&mut c, &def.handoff);

    // Global keywords.
    let keywords = c.keywords(None, &def.keywords, "keywords");
    // Nodes.
    let (nodes, routes) = nodes::check_nodes(
        &mut c,
        &def,
        default_profile.as_ref(),
        &declared_profile,
        (typing, mark_read),
    );

    let v2_signature = settings::check_v2(&mut c, &def);

    // Start and fallback.
    let start = c
        .target(None, "start", def.start.as_deref())
        .unwrap_or_default();
    let fallback = match def.fallback.as_deref() {
        None => start.clone(),
        Some(f) => c.target(None, "fallback", Some(f)).unwrap_or_default(),
    };
    // Welcome messages.
    let welcome_messages = welcome::check_welcome_messages(&mut c, &def, &nodes);

    // Reachability.
    reachability::check_reachability(&mut c, &def, &start, &fallback);

    if !c.problems.is_empty() {
        return Err(c.problems);
    }
    let media: BTreeMap<String, MediaFile> = c
        .media
        .into_iter()
        .filter_map(|(k, v)| v.ok().map(|m| (k, m)))
        .collect();
    let content_hash = super::content_hash(&def, &media);
    Ok(Flow {
        id,
        content_hash,
        definition: def,
        media,
        nodes,
        start,
        fallback,
        keywords,
        routes: routes.into_iter().map(|(m, (node, _))| (m, node)).collect(),
        welcome_messages,
        profiles,
        handoff,
        customer_name_fallback,
        v2_signature,
        base_dir: None,
        synced: Default::default(),
    })
}

/// The flow id: a storage-safe identifier.
fn check_id(c: &mut Checker, id: Option<&str>) -> String {
    match id {
        None => {
            c.problem(
                None,
                "id",
                "is required: a stable name such as \"acme-support\"",
            );
            String::new()
        }
        Some(id) if !is_identifier(id, MAX_FLOW_ID_CHARS, false) => {
            c.problem(
                None,
                "id",
                format!(
                    "{id:?} must be 1 to {MAX_FLOW_ID_CHARS} lower-case letters, digits, '-' or \
                     '_' (it is part of storage keys)"
                ),
            );
            String::new()
        }
        Some(id) => id.to_string(),
    }
}

/// A node's message content without media.
pub(super) fn node_data(n: &Node) -> MessageData {
    let mut data = MessageData::new(n.text.clone());
    data.quick_reply = n.quick_reply.clone();
    data.buttons = n.buttons.clone();
    data
}
