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
//!
//! Files: `problems.rs` (what is wrong with a flow), `media.rs` (its files and their Twitter
//! ids), `parts.rs` (validated nodes, profiles, welcome messages, hand-over settings),
//! `stored.rs` (the stored JSON form and the content hash), `definition.rs`, `validate/`,
//! `engine/`, `text.rs`; for X API v2's text-only messages `render.rs` (a reply written out),
//! `choice.rs` (a typed answer to a numbered list) and `surface.rs` (`flow check --api v2`).

pub mod choice;
pub mod definition;
pub mod engine;
mod media;
mod parts;
mod problems;
pub mod render;
mod stored;
pub mod surface;
#[cfg(feature = "client")]
pub mod sync;
pub mod text;
mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::twitter::limits::{CustomProfileId, CustomProfileName, MediaId};

pub use definition::FlowFile;
pub use engine::{
    EngineInput, Outcome, ReplyPlan, ResumeCause, SilentReason, Step, Via, resume, step,
};
pub use media::{MEDIA_ID_USABLE_MS, MediaCategory, MediaFile, SyncedIds, SyncedMedia};
pub(crate) use parts::{HandoffSettings, KeywordRoute};
pub use parts::{Node, Profile, ProfileRole, WelcomeMessage};
pub use problems::{FlowErrors, FlowProblem};
use stored::content_hash;
pub(crate) use stored::hex;
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
    /// `[v2] signature`: sign messages spoken as a custom profile on X API v2.
    v2_signature: bool,
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

    /// Whether the flow signs its messages on X API v2 (`[v2] signature = true`): a node that
    /// speaks as a custom profile ends with a `— <profile name>` line there, since v2 messages
    /// cannot carry the profile itself.
    pub fn v2_signature(&self) -> bool {
        self.v2_signature
    }

    /// Whether several messages of a customer waiting at once get one reply, to the latest
    /// (`coalesce`, default true): the engine still walks every message in order. `false`:
    /// each message is answered.
    pub fn coalesce(&self) -> bool {
        self.definition.coalesce.unwrap_or(true)
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

#[cfg(test)]
mod tests;
