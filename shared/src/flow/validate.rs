//! From a parsed [`FlowFile`] to a [`Flow`], or to the list of everything wrong with it.
//!
//! Validation keeps going after a problem so the operator sees them all at once. Twitter's
//! limits are checked by building the very types the client sends ([`crate::twitter::limits`]),
//! so a flow that validates cannot produce a message Twitter refuses for its size or shape.
//!
//! Checks, in order: the flow id; profiles (name limit, avatar file, role); flow defaults and
//! `[handoff]`; global keywords; each node (text and placeholders, quick replies, buttons,
//! media, profile, keywords, fallback); `start` and `fallback`; welcome messages (name limit,
//! node, the 9,990-character welcome text limit, no placeholders, exactly one default); then
//! reachability (every node can be reached from a root).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::definition::{ButtonFile, FlowFile, KeywordFile, NodeFile, QuickReplyFile};
use super::text::{self, Phrase};
use super::{
    Flow, FlowProblem, HandoffSettings, KeywordRoute, MediaCategory, MediaFile, Node, Profile,
    ProfileRole, WelcomeMessage,
};
use crate::twitter::limits::{
    Button, Buttons, CustomProfileName, MessageData, MessageText, QuickReply, QuickReplyOption,
    WelcomeMessageData, WelcomeMessageName,
};

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

/// Reads a media file next to the flow: category from the extension, size within Twitter's
/// limit for it, SHA-256 of the content. Errors are the problem text for the field.
pub(super) fn media_from_disk(base_dir: &Path, path: &str) -> Result<MediaFile, String> {
    let category = MediaCategory::from_path(path).ok_or_else(|| {
        format!(
            "{path:?} has an extension Twitter does not take in Direct Messages; use .png, .jpg, \
             .jpeg or .webp (dm_image), .gif (dm_gif) or .mp4 (dm_video)"
        )
    })?;
    let full = base_dir.join(path);
    let meta = std::fs::metadata(&full).map_err(|e| {
        format!(
            "file {} cannot be read ({e}); paths are relative to the flow file",
            full.display()
        )
    })?;
    if !meta.is_file() {
        return Err(format!("{} is not a file", full.display()));
    }
    let bytes = meta.len();
    if bytes == 0 {
        return Err(format!("{} is empty", full.display()));
    }
    if bytes > category.max_bytes() {
        return Err(format!(
            "{} is {bytes} bytes; Twitter takes at most {} bytes for {}",
            full.display(),
            category.max_bytes(),
            category.as_str()
        ));
    }
    let mut file = std::fs::File::open(&full)
        .map_err(|e| format!("file {} cannot be opened ({e})", full.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| format!("file {} cannot be read ({e})", full.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(MediaFile {
        path: path.to_string(),
        category,
        sha256: super::hex(&hasher.finalize()),
        bytes,
    })
}

/// Collects problems and remembers resolved media.
struct Checker<'r> {
    problems: Vec<FlowProblem>,
    resolve: &'r mut dyn FnMut(&str) -> Result<MediaFile, String>,
    media: BTreeMap<String, Result<MediaFile, String>>,
    node_ids: BTreeSet<String>,
}

impl Checker<'_> {
    fn problem(&mut self, node: Option<&str>, field: impl Into<String>, text: impl Into<String>) {
        self.problems.push(FlowProblem::new(node, field, text));
    }

    fn media(&mut self, node: Option<&str>, field: &str, path: &str) -> Option<MediaFile> {
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
    fn target(&mut self, node: Option<&str>, field: &str, target: Option<&str>) -> Option<String> {
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
    fn keywords(
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
        node_ids: def.nodes.keys().cloned().collect(),
    };

    // The flow id.
    let id = match def.id.as_deref() {
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
    };

    // Profiles.
    let mut profiles: Vec<Profile> = Vec::new();
    let mut profile_names: BTreeMap<String, usize> = BTreeMap::new();
    for (i, p) in def.profiles.iter().enumerate() {
        let at = format!("profiles[{i}]");
        let name = match p.name.as_deref() {
            None => {
                c.problem(None, format!("{at}.name"), "is required");
                None
            }
            Some(n) => match CustomProfileName::new(n) {
                Ok(name) => {
                    if let Some(first) = profile_names.get(n) {
                        c.problem(
                            None,
                            format!("{at}.name"),
                            format!("{n:?} is already the name of profiles[{first}]"),
                        );
                        None
                    } else {
                        profile_names.insert(n.to_string(), i);
                        Some(name)
                    }
                }
                Err(e) => {
                    c.problems
                        .push(FlowProblem::from_limit(None, e.within(&at)));
                    None
                }
            },
        };
        let avatar = match p.avatar.as_deref() {
            None => {
                c.problem(
                    None,
                    format!("{at}.avatar"),
                    "is required: Twitter needs an avatar image for a custom profile",
                );
                None
            }
            Some(path) => c.media(None, &format!("{at}.avatar"), path).and_then(|m| {
                if m.category == MediaCategory::DmImage {
                    Some(m)
                } else {
                    c.problem(
                        None,
                        format!("{at}.avatar"),
                        format!("{path:?} must be an image (.png, .jpg, .jpeg or .webp)"),
                    );
                    None
                }
            }),
        };
        let role = match p.role.as_deref() {
            None | Some("bot") => Some(ProfileRole::Bot),
            Some("agent") => Some(ProfileRole::Agent),
            Some(other) => {
                c.problem(
                    None,
                    format!("{at}.role"),
                    format!("{other:?} must be \"bot\" or \"agent\""),
                );
                None
            }
        };
        if let (Some(name), Some(avatar), Some(role)) = (name, avatar, role) {
            profiles.push(Profile { name, avatar, role });
        }
    }
    let declared_profile = |c: &mut Checker, node: Option<&str>, field: &str, name: &str| {
        if def.profiles.iter().any(|p| p.name.as_deref() == Some(name)) {
            CustomProfileName::new(name).ok()
        } else {
            c.problem(
                node,
                field,
                format!("names profile {name:?}, which is not in [[profiles]]"),
            );
            None
        }
    };
    let default_profile = def
        .profile
        .as_deref()
        .and_then(|n| declared_profile(&mut c, None, "profile", n));

    // Defaults.
    let customer_name_fallback = def
        .customer_name_fallback
        .clone()
        .unwrap_or_else(|| DEFAULT_CUSTOMER_NAME.to_string());
    if customer_name_fallback.trim().is_empty()
        || customer_name_fallback.chars().count() > text::MAX_NAME_CHARS
    {
        c.problem(
            None,
            "customer_name_fallback",
            format!("must be 1 to {} characters", text::MAX_NAME_CHARS),
        );
    }
    let typing = def.typing.unwrap_or(true);
    let mark_read = def.mark_read.unwrap_or(true);

    // Hand-over settings.
    let resume_after_ms = match def.handoff.resume_after_minutes {
        None => None,
        Some(0) => {
            c.problem(
                None,
                "handoff.resume_after_minutes",
                "must be at least 1 (leave it out to never resume by idle time)",
            );
            None
        }
        Some(m) if m > MAX_RESUME_AFTER_MINUTES => {
            c.problem(
                None,
                "handoff.resume_after_minutes",
                format!("must be at most {MAX_RESUME_AFTER_MINUTES} (one year)"),
            );
            None
        }
        Some(m) => Some(m * 60_000),
    };
    let mut resume_keywords = Vec::new();
    for (i, k) in def.handoff.resume_keywords.iter().enumerate() {
        match Phrase::new(k) {
            Some(p) => resume_keywords.push(p),
            None => c.problem(
                None,
                format!("handoff.resume_keywords[{i}]"),
                format!("{k:?} has no letters or digits, so it can never match"),
            ),
        }
    }

    // Global keywords.
    let keywords = c.keywords(None, &def.keywords, "keywords");

    // Nodes.
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
            &mut c,
            node_id,
            n,
            &mut routes,
            default_profile.as_ref(),
            &declared_profile,
            (typing, mark_read),
        );
        if let Some(built) = built {
            nodes.insert(node_id.clone(), built);
        }
    }

    // Start and fallback.
    let start = c
        .target(None, "start", def.start.as_deref())
        .unwrap_or_default();
    let fallback = match def.fallback.as_deref() {
        None => start.clone(),
        Some(f) => c.target(None, "fallback", Some(f)).unwrap_or_default(),
    };

    // Welcome messages.
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

    // Reachability.
    let mut roots: Vec<&str> = vec![start.as_str(), fallback.as_str()];
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
        handoff: HandoffSettings {
            resume_after_ms,
            resume_keywords,
        },
        customer_name_fallback,
        base_dir: None,
        synced: Default::default(),
    })
}

/// A node's message content without media.
pub(super) fn node_data(n: &Node) -> MessageData {
    let mut data = MessageData::new(n.text.clone());
    data.quick_reply = n.quick_reply.clone();
    data.buttons = n.buttons.clone();
    data
}

type ProfileCheck<'a> =
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
