//! What the simulator remembers: accounts and tokens, stored messages, uploads, welcome
//! messages, profiles, webhooks and subscriptions, the fault queue and the request log; plus the
//! ids and clocks every endpoint family uses.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;

use super::faults::FaultEntry;
use super::request_log::RecordedRequest;

/// The app the fake knows: consumer credentials, its id and its Account Activity environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimApp {
    pub consumer_key: String,
    pub consumer_secret: String,
    /// Appears as `source_app_id` on messages sent through the API.
    pub app_id: String,
    /// The only environment that exists (names are case-sensitive, as on Twitter).
    pub env_name: String,
}

/// A Twitter account with access tokens for the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimAccount {
    pub user_id: String,
    pub screen_name: String,
    pub token: String,
    pub token_secret: String,
}

/// A media upload as the fake keeps it.
#[derive(Debug, Clone)]
pub struct SimUpload {
    pub media_id: String,
    pub total_bytes: u64,
    pub media_type: String,
    pub category: String,
    pub shared: bool,
    pub segments: BTreeMap<u32, Vec<u8>>,
    /// The reassembled bytes, after FINALIZE.
    pub data: Option<Vec<u8>>,
    /// STATUS polls still answered `in_progress` (videos).
    pub polls_left: u32,
    pub status_polls: u32,
    /// The user id of the account that uploaded it (only it may attach it to a v2 DM).
    pub owner: String,
    /// When it can no longer be attached (Unix seconds, on the fake's clock).
    pub expires_at: u64,
}

/// A registered webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimWebhook {
    pub id: String,
    pub env: String,
    pub url: String,
    pub valid: bool,
    pub created_at: String,
}

/// A custom profile as stored: its name and the media id of its avatar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimProfile {
    pub name: String,
    pub avatar_media_id: String,
}

/// Something an API caller did that Twitter would make visible elsewhere: the live side
/// ([`crate::live`]) echoes sent messages to the webhook and shows all of it on the chat page.
#[derive(Debug, Clone)]
pub enum Activity {
    /// A DM event created through `POST direct_messages/events/new.json`, as the API returned it.
    MessageSent(Value),
    /// `POST direct_messages/indicate_typing.json`: `(sender, recipient)`.
    Typing { sender: String, recipient: String },
    /// `POST direct_messages/mark_read.json`.
    MarkRead {
        sender: String,
        recipient: String,
        last_read_event_id: String,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct RequestTokenState {
    pub(crate) secret: String,
    pub(crate) verifier: Option<String>,
    pub(crate) account: Option<SimAccount>,
}

#[derive(Debug, Clone)]
pub(crate) struct Welcome {
    pub(crate) owner: String,
    pub(crate) name: Option<String>,
    pub(crate) created: String,
    pub(crate) message_data: Value,
}

#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub(crate) owner: String,
    pub(crate) created: String,
    pub(crate) welcome_message_id: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Profile {
    pub(crate) owner: String,
    pub(crate) created: String,
    pub(crate) name: String,
    pub(crate) avatar_media_id: String,
}

pub(crate) struct State {
    pub(crate) app: SimApp,
    pub(crate) accounts: Vec<SimAccount>,
    pub(crate) request_tokens: HashMap<String, RequestTokenState>,
    pub(crate) bearer: Option<String>,
    pub(crate) bearer_issued: usize,
    pub(crate) nonces: HashSet<(String, String)>,
    pub(crate) next_id: u64,
    pub(crate) dms: Vec<Value>,
    pub(crate) typing: Vec<(String, String)>,
    pub(crate) reads: Vec<(String, String, String)>,
    pub(crate) uploads: BTreeMap<String, SimUpload>,
    pub(crate) welcomes: BTreeMap<String, Welcome>,
    pub(crate) rules: BTreeMap<String, Rule>,
    pub(crate) profiles: BTreeMap<String, Profile>,
    pub(crate) webhooks: BTreeMap<String, SimWebhook>,
    pub(crate) subscriptions: BTreeSet<String>,
    pub(crate) faults: Vec<FaultEntry>,
    pub(crate) log: Vec<RecordedRequest>,
    /// Whether requests are added to `log` (see [`super::TwitterApi::keep_request_log`]).
    pub(crate) logging: bool,
    pub(crate) crc_check: bool,
    pub(crate) callback_confirmed: bool,
    pub(crate) video_polls: u32,
    pub(crate) processing_fails: bool,
    pub(crate) remaining: HashMap<String, u32>,
    pub(crate) window_reset: u64,
    /// Where the simulator's live side hears about what the account did (see [`Activity`]).
    pub(crate) activity: Option<tokio::sync::mpsc::UnboundedSender<Activity>>,
    /// The X API v2 side: its configuration, subscriptions, windows and counts.
    pub(crate) v2: super::v2::V2State,
}

impl State {
    /// A fresh state: `owner` is the only account, nothing is stored yet.
    pub(crate) fn new(
        app: SimApp,
        owner: SimAccount,
        activity: Option<tokio::sync::mpsc::UnboundedSender<Activity>>,
    ) -> Self {
        State {
            app,
            accounts: vec![owner],
            request_tokens: HashMap::new(),
            bearer: None,
            bearer_issued: 0,
            nonces: HashSet::new(),
            // Snowflake-shaped ids from the clock (ms since Twitter's epoch, shifted by 22 bits),
            // so ids keep growing across restarts of a simulator that shares a store file.
            next_id: now_ms_u64().saturating_sub(TWITTER_EPOCH_MS) << 22,
            dms: Vec::new(),
            typing: Vec::new(),
            reads: Vec::new(),
            uploads: BTreeMap::new(),
            welcomes: BTreeMap::new(),
            rules: BTreeMap::new(),
            profiles: BTreeMap::new(),
            webhooks: BTreeMap::new(),
            subscriptions: BTreeSet::new(),
            faults: Vec::new(),
            log: Vec::new(),
            logging: true,
            crc_check: false,
            callback_confirmed: true,
            video_polls: 1,
            processing_fails: false,
            remaining: HashMap::new(),
            window_reset: now_secs() + 900,
            activity,
            v2: Default::default(),
        }
    }

    /// The next snowflake-like id (ids grow, as Twitter's do).
    pub(crate) fn fresh_id(&mut self) -> String {
        self.next_id += 4_194_304;
        self.next_id.to_string()
    }

    /// Whether `id` is a media upload that was finalized (and so can be attached).
    pub(crate) fn is_uploaded(&self, id: &str) -> bool {
        self.uploads.get(id).is_some_and(|u| u.data.is_some())
    }
}

/// The state behind one lock, and the HTTP client the fake uses for CRC checks.
pub(crate) struct Shared {
    pub(crate) state: Mutex<State>,
    pub(crate) http: reqwest::Client,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub(crate) fn random_string(len: usize) -> String {
    use rand::Rng;
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Twitter's snowflake epoch (2010-11-04), in ms since the Unix epoch.
const TWITTER_EPOCH_MS: u64 = 1_288_834_974_657;

fn now_ms_u64() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub(crate) fn now_ms_string() -> String {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis().to_string())
        .unwrap_or_default()
}

/// An account with fresh random tokens.
pub(crate) fn new_account(user_id: u64, screen_name: &str) -> SimAccount {
    SimAccount {
        user_id: user_id.to_string(),
        screen_name: screen_name.to_string(),
        token: format!("{user_id}-{}", random_string(40)),
        token_secret: random_string(45),
    }
}
