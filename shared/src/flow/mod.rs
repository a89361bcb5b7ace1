//! Operator-written bot flows: the definition (a TOML file), its validation, and the engine.
//!
//! A flow is data. An operator writes a TOML file (see `docs/FLOWS.md` and
//! `flows/support.toml`) describing *nodes*: the message the bot sends on entering a node (text,
//! quick replies, buttons, one media file, the custom profile to speak as) and where the
//! customer's answer leads (quick-reply metadata, keywords, a fallback). [`Flow::load`] reads and
//! validates it, reporting every problem at once ([`FlowErrors`]), with Twitter's limits checked
//! by the same types the API client sends ([`crate::twitter::limits`]). A [`Flow`] that exists is
//! valid: every route leads to a node, every node is reachable, every message fits Twitter.
//!
//! [`engine::step`] is the pure function the dispatcher calls for each inbound message:
//! (flow, conversation state, inbound message) → (reply plan or silence, new state).
//!
//! A flow is stored as JSON ([`Flow`] implements `Serialize`/`Deserialize`) together with the
//! Twitter ids `dmbot flow sync` created for it ([`SyncedIds`]). Deserializing re-runs the
//! validation, so a stored flow is as trustworthy as one read from its file.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::twitter::limits::{
    Buttons, CustomProfileId, CustomProfileName, LimitError, MediaId, MessageData, MessageText,
    QuickReply, WelcomeMessageData, WelcomeMessageName,
};

pub mod choice;
pub mod definition;
pub mod engine;
pub mod render;
pub mod text;
mod validate;

pub use definition::FlowFile;
pub use engine::{
    EngineInput, Outcome, ReplyPlan, ResumeCause, SilentReason, Step, Via, resume, step,
};

use text::Phrase;

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

    fn from_limit(node: Option<&str>, e: LimitError) -> Self {
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
    fn one(problem: FlowProblem) -> Self {
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

/// Twitter's upload category for a media file: the same type the API client uploads with.
pub use crate::twitter::api_types::MediaCategory;

/// A media file a flow sends (a node's attachment or a profile's avatar).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MediaFile {
    /// The path as the flow file wrote it, relative to the flow file. It is also the key of the
    /// file's synced media id; [`Flow::media_path`] resolves it on disk.
    pub path: String,
    pub category: MediaCategory,
    /// SHA-256 of the content, lower-case hex: a changed file gets a new upload.
    pub sha256: String,
    pub bytes: u64,
}

impl MediaFile {
    /// The MIME type for the upload `INIT` call's `media_type`.
    pub fn media_type(&self) -> &'static str {
        let ext = Path::new(&self.path)
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        match ext.as_str() {
            "png" => "image/png",
            "jpg" | "jpeg" => "image/jpeg",
            "webp" => "image/webp",
            "gif" => "image/gif",
            _ => "video/mp4",
        }
    }
}

/// How long a media id is used after its upload. Twitter says a media id must be attached within
/// 24 hours of upload; we stop an hour early so a send never races the expiry.
pub const MEDIA_ID_USABLE_MS: u64 = 23 * 3600 * 1000;

/// A media id `flow sync` (or the dispatcher) got for a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncedMedia {
    pub media_id: String,
    pub uploaded_ms: u64,
    /// The content hash that was uploaded: if the file changed since, the id is not reused.
    pub sha256: String,
}

/// The Twitter ids created for a flow. Empty locally; the engine never needs them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncedIds {
    /// Welcome message id by welcome message name.
    #[serde(default)]
    pub welcome_messages: BTreeMap<String, String>,
    /// Custom profile id by profile name.
    #[serde(default)]
    pub custom_profiles: BTreeMap<String, String>,
    /// Uploaded media by file path (as written in the flow).
    #[serde(default)]
    pub media: BTreeMap<String, SyncedMedia>,
}

/// Whether a custom profile is the bot's voice or a person's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileRole {
    Bot,
    /// For people answering from the account; the engine never speaks as them on its own.
    Agent,
}

/// A custom profile: the name and avatar shown on messages instead of the account's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: CustomProfileName,
    pub avatar: MediaFile,
    pub role: ProfileRole,
}

/// A welcome message: shows its node's content when someone opens a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WelcomeMessage {
    pub name: WelcomeMessageName,
    /// The node the conversation is at once the customer answers the welcome message.
    pub node: String,
    /// The one `flow sync` makes the account's default (a welcome message rule).
    pub default: bool,
    /// Text, quick replies and buttons, within the welcome message limits; no media id yet.
    data: MessageData,
    pub media: Option<MediaFile>,
}

impl WelcomeMessage {
    /// The `message_data` for `welcome_messages/new.json`, with the media id once uploaded.
    /// It cannot fail for a validated flow; the `Result` keeps the limits type honest.
    pub fn message_data(&self, media: Option<MediaId>) -> Result<WelcomeMessageData, LimitError> {
        let mut data = self.data.clone();
        data.media = media;
        WelcomeMessageData::new(data)
    }
}

/// A keyword rule, compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeywordRoute {
    pub(crate) phrase: Phrase,
    pub(crate) goto: String,
}

/// A validated node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    id: String,
    /// The text template (may hold placeholders).
    text: MessageText,
    quick_reply: Option<QuickReply>,
    buttons: Option<Buttons>,
    media: Option<MediaFile>,
    profile: Option<CustomProfileName>,
    keywords: Vec<KeywordRoute>,
    fallback: Option<String>,
    handoff: bool,
    typing: bool,
    mark_read: bool,
}

impl Node {
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The text as written, placeholders unfilled.
    pub fn text(&self) -> &MessageText {
        &self.text
    }
    pub fn quick_reply(&self) -> Option<&QuickReply> {
        self.quick_reply.as_ref()
    }
    pub fn buttons(&self) -> Option<&Buttons> {
        self.buttons.as_ref()
    }
    pub fn media(&self) -> Option<&MediaFile> {
        self.media.as_ref()
    }
    /// The custom profile the node speaks as (its own or the flow's default).
    pub fn profile(&self) -> Option<&CustomProfileName> {
        self.profile.as_ref()
    }
    /// Whether entering the node hands the conversation over to a person.
    pub fn is_handoff(&self) -> bool {
        self.handoff
    }
    /// Where unmatched messages go from here (the flow's `fallback` when `None`).
    pub fn fallback(&self) -> Option<&str> {
        self.fallback.as_deref()
    }
}

/// `[handoff]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HandoffSettings {
    pub(crate) resume_after_ms: Option<u64>,
    pub(crate) resume_keywords: Vec<Phrase>,
}

/// A validated flow. See the module documentation.
#[derive(Debug, Clone)]
pub struct Flow {
    id: String,
    content_hash: String,
    definition: FlowFile,
    media: BTreeMap<String, MediaFile>,
    nodes: BTreeMap<String, Node>,
    start: String,
    fallback: String,
    keywords: Vec<KeywordRoute>,
    /// Quick-reply metadata → node, across the whole flow.
    routes: BTreeMap<String, String>,
    welcome_messages: Vec<WelcomeMessage>,
    profiles: Vec<Profile>,
    handoff: HandoffSettings,
    customer_name_fallback: String,
    base_dir: Option<PathBuf>,
    /// The Twitter ids created for this flow (empty until `flow sync`).
    pub synced: SyncedIds,
}

impl Flow {
    /// Reads and validates a flow file. Media and avatar paths are relative to its directory.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, FlowErrors> {
        let path = path.as_ref();
        let source = std::fs::read_to_string(path).map_err(|e| {
            FlowErrors::one(FlowProblem::new(
                None,
                "",
                format!("cannot read the flow file {}: {e}", path.display()),
            ))
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_toml_str(&source, base)
    }

    /// Parses and validates a flow from TOML text; media paths are resolved against `base_dir`
    /// and read (to hash them and check their size).
    pub fn from_toml_str(source: &str, base_dir: impl AsRef<Path>) -> Result<Self, FlowErrors> {
        let base_dir = base_dir.as_ref();
        let table: toml::Table = toml::from_str(source).map_err(|e| {
            FlowErrors::one(FlowProblem::new(
                None,
                "",
                format!("the file is not valid TOML: {e}"),
            ))
        })?;
        let mut problems = definition::unknown_keys(&table);
        let file: FlowFile = match toml::from_str(source) {
            Ok(f) => f,
            Err(e) => {
                problems.push(FlowProblem::new(
                    None,
                    "",
                    format!("a value has the wrong type: {e}"),
                ));
                return Err(FlowErrors { problems });
            }
        };
        let mut resolve = |p: &str| validate::media_from_disk(base_dir, p);
        match validate::validate(file, &mut resolve) {
            Ok(mut flow) if problems.is_empty() => {
                flow.base_dir = Some(base_dir.to_path_buf());
                Ok(flow)
            }
            Ok(_) => Err(FlowErrors { problems }),
            Err(more) => {
                problems.extend(more);
                Err(FlowErrors { problems })
            }
        }
    }

    /// The stable identifier from the file (`id = "acme-support"`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The optional human title.
    pub fn name(&self) -> Option<&str> {
        self.definition.name.as_deref()
    }

    /// SHA-256 (hex) of the flow's content: its definition and the hashes of its media files.
    /// Formatting and comments do not count; synced ids do not count.
    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }

    /// The definition as parsed from the file.
    pub fn definition(&self) -> &FlowFile {
        &self.definition
    }

    /// The node new conversations start at.
    pub fn start(&self) -> &str {
        &self.start
    }

    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.get(id)
    }

    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values()
    }

    pub fn welcome_messages(&self) -> &[WelcomeMessage] {
        &self.welcome_messages
    }

    /// The welcome message marked `default = true`, if the flow has welcome messages.
    pub fn default_welcome(&self) -> Option<&WelcomeMessage> {
        self.welcome_messages.iter().find(|w| w.default)
    }

    /// The welcome message Twitter knows by `id` (from the synced ids).
    pub fn welcome_by_twitter_id(&self, id: &str) -> Option<&WelcomeMessage> {
        let (name, _) = self
            .synced
            .welcome_messages
            .iter()
            .find(|(_, synced)| synced.as_str() == id)?;
        self.welcome_messages
            .iter()
            .find(|w| w.name.as_str() == name)
    }

    pub fn profiles(&self) -> &[Profile] {
        &self.profiles
    }

    /// Every media file the flow uses (node attachments and avatars), once each.
    pub fn media_files(&self) -> impl Iterator<Item = &MediaFile> {
        self.media.values()
    }

    /// Where a media file is on disk, when the flow was loaded from a file.
    pub fn media_path(&self, file: &MediaFile) -> Option<PathBuf> {
        self.base_dir.as_ref().map(|b| b.join(&file.path))
    }

    /// The synced custom profile id for a profile name, if any.
    pub fn custom_profile_id(&self, name: &CustomProfileName) -> Option<CustomProfileId> {
        self.synced
            .custom_profiles
            .get(name.as_str())
            .and_then(|id| CustomProfileId::new(id.clone()).ok())
    }

    /// A synced media id for the file that is still usable at `now_ms` (same content, uploaded
    /// less than [`MEDIA_ID_USABLE_MS`] ago).
    pub fn media_id(&self, file: &MediaFile, now_ms: u64) -> Option<MediaId> {
        let synced = self.synced.media.get(&file.path)?;
        let fresh = now_ms.saturating_sub(synced.uploaded_ms) < MEDIA_ID_USABLE_MS;
        if synced.sha256 != file.sha256 || !fresh {
            return None;
        }
        MediaId::new(synced.media_id.clone()).ok()
    }
}

/// The content hash input: everything that defines the flow's behaviour and its messages.
fn content_hash(definition: &FlowFile, media: &BTreeMap<String, MediaFile>) -> String {
    #[derive(Serialize)]
    struct HashInput<'a> {
        definition: &'a FlowFile,
        media: &'a BTreeMap<String, MediaFile>,
    }
    let bytes = serde_json::to_vec(&HashInput { definition, media }).unwrap_or_default();
    hex(&Sha256::digest(&bytes))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Version of the stored JSON document.
const STORED_FORMAT: u32 = 1;

/// The stored form: the definition, the media it was validated with, and the synced ids.
#[derive(Serialize)]
struct StoredFlowRef<'a> {
    format: u32,
    flow_id: &'a str,
    content_hash: &'a str,
    definition: &'a FlowFile,
    media: &'a BTreeMap<String, MediaFile>,
    synced: &'a SyncedIds,
}

#[derive(Deserialize)]
struct StoredFlow {
    format: u32,
    definition: FlowFile,
    #[serde(default)]
    media: BTreeMap<String, MediaFile>,
    #[serde(default)]
    synced: SyncedIds,
}

impl Serialize for Flow {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        StoredFlowRef {
            format: STORED_FORMAT,
            flow_id: &self.id,
            content_hash: &self.content_hash,
            definition: &self.definition,
            media: &self.media,
            synced: &self.synced,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Flow {
    /// Re-validates the stored definition; media files are taken from the stored list (their
    /// hashes and sizes), not from disk.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let stored = StoredFlow::deserialize(d)?;
        if stored.format != STORED_FORMAT {
            return Err(D::Error::custom(format!(
                "stored flow format {} is not supported (expected {STORED_FORMAT}); \
                 sync the flow again with this version",
                stored.format
            )));
        }
        let media = stored.media;
        let mut resolve = |p: &str| {
            media.get(p).cloned().ok_or_else(|| {
                "is not in the stored flow's media list; sync the flow again".to_string()
            })
        };
        let mut flow = validate::validate(stored.definition, &mut resolve)
            .map_err(|problems| D::Error::custom(FlowErrors { problems }))?;
        flow.synced = stored.synced;
        Ok(flow)
    }
}

#[cfg(test)]
mod tests;
