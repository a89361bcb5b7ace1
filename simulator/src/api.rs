//! A fake Twitter API (for tests, and the API half of the simulator): an HTTP server on `127.0.0.1:<free port>` with in-memory state
//! that behaves like the v1.1 endpoints the project uses (`docs/TWITTER-API.md` §3–§6).
//!
//! What makes it useful as a test double:
//! - **It checks every request's authentication with its own code.** OAuth 1.0a signatures are
//!   verified by an implementation written in this file from RFC 5849 and Twitter's docs (its own
//!   percent-encoding, base string and parameter sorting; only HMAC-SHA1 and base64 come from the
//!   `hmac`/`sha1`/`base64` crates), never by the signer under test. A bad signature, an unknown
//!   key or token, a stale timestamp or a replayed nonce is answered `401` with code 32, as
//!   Twitter does. Bearer tokens must be ones this server issued from `POST oauth2/token`.
//! - **It checks bodies against Twitter's limits**, independently of `limits.rs`: text length,
//!   1–20 quick-reply options, label ≤ 36, descriptions on all options or none, 1–3 buttons,
//!   media ids that were uploaded, profile and welcome names, ...; a violation is a Twitter-shaped
//!   `400` (`{"errors":[{"code":214,"message":"..."}]}`).
//! - **Faults on demand**: [`FakeTwitter::fail_next`] makes the next N requests to a path answer
//!   429 with a reset time, a 5xx, any Twitter error code, or answer late (for timeouts).
//! - **A request log** ([`FakeTwitter::requests`]) and accessors for what was stored (sent DMs,
//!   uploads, webhooks, subscriptions, ...) for assertions.
//!
//! Start one per test with [`FakeTwitter::start`]; point the client's API *and* upload base URL
//! at [`FakeTwitter::base_url`]; use [`FakeTwitter::app`] for the consumer credentials and
//! [`FakeTwitter::owner`] (or [`FakeTwitter::add_account`]) for user tokens. Dropping the handle
//! stops the server.
//!
//! The server also hosts a webhook for CRC tests: [`FakeTwitter::crc_ok_url`] answers the CRC
//! correctly with the app's consumer secret, [`FakeTwitter::crc_wrong_url`] with a wrong secret.
//! Registration and `PUT webhooks/:id` only run the CRC when [`FakeTwitter::set_crc_check`] is on.

// Handlers return a ready HTTP response as their error: it is what the fake answers.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State as AxumState;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use http::{HeaderMap, Method, Response, StatusCode, Uri};
use serde_json::{Value, json};

type Reply = Response<Body>;

/// How long an OAuth timestamp may be away from the server's clock (Twitter allows a few
/// minutes; beyond that it answers code 32/135).
pub const TIMESTAMP_TOLERANCE_SECS: u64 = 300;

/// The app the fake knows: consumer credentials, its id and its Account Activity environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeApp {
    pub consumer_key: String,
    pub consumer_secret: String,
    /// Appears as `source_app_id` on messages sent through the API.
    pub app_id: String,
    /// The only environment that exists (names are case-sensitive, as on Twitter).
    pub env_name: String,
}

/// A Twitter account with access tokens for the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeAccount {
    pub user_id: String,
    pub screen_name: String,
    pub token: String,
    pub token_secret: String,
}

/// What a request to a matching path gets instead of the normal answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// `429` with code 88 and `x-rate-limit-remaining: 0`, `x-rate-limit-reset: reset_at`.
    RateLimited { reset_at: u64 },
    /// This status with Twitter's generic error body (code 131 for 5xx).
    Status(u16),
    /// A Twitter error: this status, code and message.
    Error {
        status: u16,
        code: i64,
        message: String,
    },
    /// Wait this long, then answer normally (exceed a client's timeout with it).
    Delay(Duration),
    /// Do the work (a DM is sent, a profile created), then wait this long before answering: a
    /// client that times out meanwhile does not know its request took effect.
    AnswerLate(Duration),
}

/// When a fault acts: before the request is handled, instead of handling it, or after.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FaultTime {
    Before,
    Instead,
    After,
}

impl Fault {
    fn time(&self) -> FaultTime {
        match self {
            Fault::Delay(_) => FaultTime::Before,
            Fault::AnswerLate(_) => FaultTime::After,
            _ => FaultTime::Instead,
        }
    }
}

/// How a logged request authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthSeen {
    None,
    /// OAuth 1.0a; `token` is the `oauth_token` if any; `valid` whether the signature checked.
    OAuth {
        token: Option<String>,
        valid: bool,
    },
    Bearer {
        token: String,
    },
    Basic,
    Other,
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Decoded query parameters in order.
    pub query: Vec<(String, String)>,
    pub content_type: Option<String>,
    pub auth: AuthSeen,
    pub body: Bytes,
    /// The status the fake answered.
    pub status: u16,
}

impl RecordedRequest {
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// A media upload as the fake keeps it.
#[derive(Debug, Clone)]
pub struct FakeUpload {
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
}

/// A registered webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeWebhook {
    pub id: String,
    pub env: String,
    pub url: String,
    pub valid: bool,
    pub created_at: String,
}

#[derive(Debug, Clone)]
struct RequestTokenState {
    secret: String,
    verifier: Option<String>,
    account: Option<FakeAccount>,
}

#[derive(Debug, Clone)]
struct Welcome {
    owner: String,
    name: Option<String>,
    created: String,
    message_data: Value,
}

#[derive(Debug, Clone)]
struct Rule {
    owner: String,
    created: String,
    welcome_message_id: String,
}

#[derive(Debug, Clone)]
struct Profile {
    owner: String,
    created: String,
    name: String,
    avatar_media_id: String,
}

struct FaultEntry {
    path: String,
    remaining: usize,
    fault: Fault,
}

struct State {
    app: FakeApp,
    accounts: Vec<FakeAccount>,
    request_tokens: HashMap<String, RequestTokenState>,
    bearer: Option<String>,
    bearer_issued: usize,
    nonces: HashSet<(String, String)>,
    next_id: u64,
    dms: Vec<Value>,
    typing: Vec<(String, String)>,
    reads: Vec<(String, String, String)>,
    uploads: BTreeMap<String, FakeUpload>,
    welcomes: BTreeMap<String, Welcome>,
    rules: BTreeMap<String, Rule>,
    profiles: BTreeMap<String, Profile>,
    webhooks: BTreeMap<String, FakeWebhook>,
    subscriptions: BTreeSet<String>,
    faults: Vec<FaultEntry>,
    log: Vec<RecordedRequest>,
    /// Whether requests are added to `log` (see [`FakeTwitter::keep_request_log`]).
    logging: bool,
    crc_check: bool,
    callback_confirmed: bool,
    video_polls: u32,
    processing_fails: bool,
    remaining: HashMap<String, u32>,
    window_reset: u64,
    /// Where the simulator's live side hears about what the account did (see [`Activity`]).
    activity: Option<tokio::sync::mpsc::UnboundedSender<Activity>>,
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

/// A custom profile as stored: its name and the media id of its avatar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeProfile {
    pub name: String,
    pub avatar_media_id: String,
}

struct Shared {
    state: Mutex<State>,
    http: reqwest::Client,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The running fake. Dropping it stops the server.
pub struct FakeTwitter {
    base_url: String,
    app: FakeApp,
    owner: FakeAccount,
    shared: Arc<Shared>,
    /// The server task when the fake runs its own listener ([`FakeTwitter::start`]).
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for FakeTwitter {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

fn random_string(len: usize) -> String {
    use rand::Rng;
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

fn now_secs() -> u64 {
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

fn now_ms_string() -> String {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis().to_string())
        .unwrap_or_default()
}

fn new_account(user_id: u64, screen_name: &str) -> FakeAccount {
    FakeAccount {
        user_id: user_id.to_string(),
        screen_name: screen_name.to_string(),
        token: format!("{user_id}-{}", random_string(40)),
        token_secret: random_string(45),
    }
}

impl FakeTwitter {
    /// Starts a fake with fresh random credentials, an app owner account (`@fake_owner`) and
    /// the environment `dev`.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a local port for the fake Twitter");
        let addr = listener.local_addr().expect("local address of the fake");
        let (mut fake, router) = Self::detached(format!("http://{addr}"), None);
        fake.task = Some(tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        }));
        fake
    }

    /// A fake without its own listener: the caller serves the returned router (as a fallback:
    /// it answers every path under `/1.1/`, `/oauth/`, `/oauth2/` and `/_fake/`) at `base_url`.
    /// OAuth signatures are checked against the `Host` the request came to and its full path,
    /// so the router must not be nested under a prefix. What the account does through the API
    /// is reported on `activity` when given.
    pub fn detached(
        base_url: String,
        activity: Option<tokio::sync::mpsc::UnboundedSender<Activity>>,
    ) -> (Self, Router) {
        let app = FakeApp {
            consumer_key: random_string(25),
            consumer_secret: random_string(50),
            app_id: "13090192".into(),
            env_name: "dev".into(),
        };
        let owner = new_account(4337869213, "fake_owner");
        let state = State {
            app: app.clone(),
            accounts: vec![owner.clone()],
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
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            http: reqwest::Client::new(),
        });
        let router = Router::new().fallback(handle).with_state(shared.clone());
        let fake = Self {
            base_url,
            app,
            owner,
            shared,
            task: None,
        };
        (fake, router)
    }

    /// `http://127.0.0.1:<port>`: use it as both the API and the upload base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The `TWITTER_*` settings under which `dmbot` talks to this fake as the app owner (every
    /// URL, both credentials, the app id and the environment): what the tests and benchmarks
    /// give `dmbot serve` in credentials mode.
    pub fn owner_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("TWITTER_CONSUMER_KEY", self.app.consumer_key.clone()),
            ("TWITTER_CONSUMER_SECRET", self.app.consumer_secret.clone()),
            ("TWITTER_ACCESS_TOKEN", self.owner.token.clone()),
            (
                "TWITTER_ACCESS_TOKEN_SECRET",
                self.owner.token_secret.clone(),
            ),
            ("TWITTER_API_BASE_URL", self.base_url.clone()),
            ("TWITTER_UPLOAD_BASE_URL", self.base_url.clone()),
            ("TWITTER_APP_ID", self.app.app_id.clone()),
            ("TWITTER_ENV_NAME", self.app.env_name.clone()),
        ]
    }

    /// The app's consumer credentials, id and environment name.
    pub fn app(&self) -> &FakeApp {
        &self.app
    }

    /// The app owner's account and tokens (the one allowed to manage webhooks).
    pub fn owner(&self) -> &FakeAccount {
        &self.owner
    }

    /// Adds another account that authorised the app, with fresh tokens.
    pub fn add_account(&self, screen_name: &str) -> FakeAccount {
        let mut s = self.shared.lock();
        let user_id = 3_001_969_357 + s.accounts.len() as u64;
        let account = new_account(user_id, screen_name);
        s.accounts.push(account.clone());
        account
    }

    /// The next `count` requests whose path contains `path` get `fault` (after authentication
    /// is checked, except for [`Fault::Delay`], which comes first, and [`Fault::AnswerLate`],
    /// which comes after the request took effect). Faults queue in order.
    pub fn fail_next(&self, path: &str, count: usize, fault: Fault) {
        self.shared.lock().faults.push(FaultEntry {
            path: path.to_string(),
            remaining: count,
            fault,
        });
    }

    /// Whether every request is kept for [`Self::requests`] (on by default). A long load run
    /// turns it off: the log keeps each request's body and would grow by gigabytes.
    pub fn keep_request_log(&self, keep: bool) {
        let mut s = self.shared.lock();
        s.logging = keep;
        if !keep {
            s.log = Vec::new();
        }
    }

    /// Every request so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().log.clone()
    }

    /// The requests whose path contains `path`.
    pub fn requests_to(&self, path: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.contains(path))
            .collect()
    }

    /// Whether webhook registration and `PUT webhooks/:id` run a real CRC GET (default off).
    pub fn set_crc_check(&self, on: bool) {
        self.shared.lock().crc_check = on;
    }

    /// A webhook URL on this server that answers the CRC correctly.
    pub fn crc_ok_url(&self) -> String {
        format!("{}/_fake/webhook", self.base_url)
    }

    /// A webhook URL on this server that answers the CRC with a wrong secret.
    pub fn crc_wrong_url(&self) -> String {
        format!("{}/_fake/webhook-wrong-secret", self.base_url)
    }

    /// Whether `oauth/request_token` answers `oauth_callback_confirmed=true` (default).
    pub fn set_callback_confirmed(&self, confirmed: bool) {
        self.shared.lock().callback_confirmed = confirmed;
    }

    /// Plays the person approving the app on the authorize page: binds the request token to
    /// `account` and returns the `oauth_verifier` Twitter would put on the callback.
    pub fn approve(&self, request_token: &str, account: &FakeAccount) -> Option<String> {
        let mut s = self.shared.lock();
        let state = s.request_tokens.get_mut(request_token)?;
        let verifier = random_string(32);
        state.verifier = Some(verifier.clone());
        state.account = Some(account.clone());
        Some(verifier)
    }

    /// Invalidates the issued bearer token (as `oauth2/invalidate_token` would): requests with
    /// it get 401 code 89, and the next `oauth2/token` issues a new one.
    pub fn invalidate_bearer(&self) {
        self.shared.lock().bearer = None;
    }

    /// How many times `oauth2/token` issued a new token.
    pub fn bearer_tokens_issued(&self) -> usize {
        self.shared.lock().bearer_issued
    }

    /// STATUS polls a `dm_video` upload stays `in_progress` after FINALIZE (default 1), and
    /// whether processing then fails instead of succeeding.
    pub fn set_video_processing(&self, polls: u32, fails: bool) {
        let mut s = self.shared.lock();
        s.video_polls = polls;
        s.processing_fails = fails;
    }

    /// Every DM event sent through the API, oldest first, as the fake returned it.
    pub fn sent_messages(&self) -> Vec<Value> {
        self.shared.lock().dms.clone()
    }

    /// How many DM events were sent through the API (without copying them).
    pub fn sent_count(&self) -> usize {
        self.shared.lock().dms.len()
    }

    /// `(sender, recipient)` of each typing indicator.
    pub fn typing_indicators(&self) -> Vec<(String, String)> {
        self.shared.lock().typing.clone()
    }

    /// `(account, recipient, last_read_event_id)` of each read receipt.
    pub fn read_receipts(&self) -> Vec<(String, String, String)> {
        self.shared.lock().reads.clone()
    }

    pub fn upload(&self, media_id: &str) -> Option<FakeUpload> {
        self.shared.lock().uploads.get(media_id).cloned()
    }

    pub fn webhooks(&self) -> Vec<FakeWebhook> {
        self.shared.lock().webhooks.values().cloned().collect()
    }

    /// User ids subscribed in the environment.
    pub fn subscriptions(&self) -> Vec<String> {
        self.shared.lock().subscriptions.iter().cloned().collect()
    }

    /// Registers a valid webhook directly, without the API call and its CRC (test setup).
    pub fn add_webhook(&self, url: &str) {
        let mut s = self.shared.lock();
        let id = next_id(&mut s);
        let env = s.app.env_name.clone();
        s.webhooks.insert(
            id.clone(),
            FakeWebhook {
                id,
                env,
                url: url.to_string(),
                valid: true,
                created_at: "2026-01-01 00:00:00 +0000".into(),
            },
        );
    }

    /// Subscribes a user directly (test setup).
    pub fn add_subscription(&self, user_id: &str) {
        self.shared.lock().subscriptions.insert(user_id.to_string());
    }

    /// Ids of the stored welcome messages.
    pub fn welcome_message_ids(&self) -> Vec<String> {
        self.shared.lock().welcomes.keys().cloned().collect()
    }

    /// A message data JSON of a stored welcome message.
    pub fn welcome_message_data(&self, id: &str) -> Option<Value> {
        self.shared
            .lock()
            .welcomes
            .get(id)
            .map(|w| w.message_data.clone())
    }

    pub fn custom_profile_ids(&self) -> Vec<String> {
        self.shared.lock().profiles.keys().cloned().collect()
    }

    /// A stored custom profile.
    pub fn custom_profile(&self, id: &str) -> Option<FakeProfile> {
        self.shared.lock().profiles.get(id).map(|p| FakeProfile {
            name: p.name.clone(),
            avatar_media_id: p.avatar_media_id.clone(),
        })
    }

    /// The default welcome message: the one the newest rule points at, with its message data.
    pub fn default_welcome(&self) -> Option<(String, Value)> {
        let s = self.shared.lock();
        let rule = s.rules.values().last()?;
        let welcome = s.welcomes.get(&rule.welcome_message_id)?;
        Some((
            rule.welcome_message_id.clone(),
            welcome.message_data.clone(),
        ))
    }

    /// The message data of a welcome message by id.
    pub fn welcome(&self, id: &str) -> Option<Value> {
        self.welcome_message_data(id)
    }

    /// A fresh snowflake-like id (ids grow, as Twitter's do).
    pub fn next_event_id(&self) -> String {
        next_id(&mut self.shared.lock())
    }

    /// Stores a DM event that did not come through the API (a customer writing to the account,
    /// a person answering from Twitter's own app), so that `events/show` and `list` know it.
    pub fn record_message(&self, event: Value) {
        self.shared.lock().dms.push(event);
    }

    /// An upload's bytes and media type, once finalized (the chat page shows them).
    pub fn media_bytes(&self, media_id: &str) -> Option<(String, Vec<u8>)> {
        let s = self.shared.lock();
        let upload = s.uploads.get(media_id)?;
        Some((upload.media_type.clone(), upload.data.clone()?))
    }

    /// Every valid webhook's URL.
    pub fn webhook_urls(&self) -> Vec<String> {
        self.shared
            .lock()
            .webhooks
            .values()
            .filter(|w| w.valid)
            .map(|w| w.url.clone())
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// OAuth 1.0a, written here from RFC 5849 independently of the code under test.

/// RFC 3986 unreserved characters pass; every other byte becomes `%XX` in upper-case hex.
fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (and `+` as a space when `plus` is set, for form/query encoding).
fn unpct(s: &str, plus: bool) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// `a=1&b=2` (form or query encoding) into decoded pairs.
fn parse_pairs(s: &str) -> Option<Vec<(String, String)>> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            Some((unpct(k, true)?, unpct(v, true)?))
        })
        .collect()
}

/// The fields of `Authorization: OAuth k="v", ...`, decoded.
fn parse_oauth_header(h: &str) -> Option<BTreeMap<String, String>> {
    let rest = h.strip_prefix("OAuth ")?;
    let mut out = BTreeMap::new();
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (k, v) = part.split_once('=')?;
        let v = v.strip_prefix('"')?.strip_suffix('"')?;
        if out
            .insert(unpct(k.trim(), false)?, unpct(v, false)?)
            .is_some()
        {
            return None;
        }
    }
    Some(out)
}

fn hmac_sha1_b64(key: &str, msg: &str) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(msg.as_bytes());
    B64.encode(mac.finalize().into_bytes())
}

fn hmac_sha256_b64(key: &str, msg: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(msg);
    B64.encode(mac.finalize().into_bytes())
}

/// The signature RFC 5849 §3.4 gives for this request.
fn expected_signature(
    method: &str,
    base_url: &str,
    params: &[(String, String)],
    consumer_secret: &str,
    token_secret: &str,
) -> String {
    let mut encoded: Vec<(String, String)> = params.iter().map(|(k, v)| (pct(k), pct(v))).collect();
    encoded.sort();
    let normalized = encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let base = format!("{method}&{}&{}", pct(base_url), pct(&normalized));
    hmac_sha1_b64(
        &format!("{}&{}", pct(consumer_secret), pct(token_secret)),
        &base,
    )
}

// ---------------------------------------------------------------------------------------------
// Responses

fn reply(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", content_type)
        .body(Body::from(body))
        .expect("a valid response")
}

fn json_reply(status: u16, v: Value) -> Reply {
    reply(
        status,
        "application/json;charset=utf-8",
        v.to_string().into_bytes(),
    )
}

fn error(status: u16, code: i64, message: &str) -> Reply {
    json_reply(status, json!({"errors":[{"code":code,"message":message}]}))
}

fn no_content() -> Reply {
    reply(204, "text/plain", Vec::new())
}

fn not_found() -> Reply {
    error(404, 34, "Sorry, that page does not exist.")
}

fn bad_auth() -> Reply {
    error(401, 32, "Could not authenticate you.")
}

fn invalid(message: &str) -> Reply {
    error(400, 214, message)
}

// ---------------------------------------------------------------------------------------------
// Independent limit checks (docs/TWITTER-API.md §3, §4)

fn chars(v: &Value) -> Option<usize> {
    v.as_str().map(|s| s.chars().count())
}

fn is_digits(v: Option<&Value>) -> bool {
    v.and_then(Value::as_str)
        .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether `id` is a media upload that was finalized (and so can be attached).
fn is_uploaded(s: &State, id: &str) -> bool {
    s.uploads.get(id).is_some_and(|u| u.data.is_some())
}

fn check_message_data(md: &Value, max_text: usize, s: &State) -> Result<(), String> {
    let obj = md.as_object().ok_or("message_data must be an object")?;
    for key in obj.keys() {
        if !matches!(key.as_str(), "text" | "quick_reply" | "ctas" | "attachment") {
            return Err(format!("message_data.{key} is not a known field"));
        }
    }
    let text = obj
        .get("text")
        .ok_or("message_data.text: Field is required")?;
    let n = chars(text).ok_or("message_data.text must be a string")?;
    if text.as_str().is_some_and(|t| t.trim().is_empty()) {
        return Err("message_data.text must not be empty".into());
    }
    if n > max_text {
        return Err(format!(
            "message_data.text: exceeds {max_text} characters ({n})"
        ));
    }
    if let Some(qr) = obj.get("quick_reply") {
        if qr.get("type").and_then(Value::as_str) != Some("options") {
            return Err("quick_reply.type must be options".into());
        }
        let options = qr
            .get("options")
            .and_then(Value::as_array)
            .ok_or("quick_reply.options must be an array")?;
        if options.is_empty() || options.len() > 20 {
            return Err(format!(
                "quick_reply.options must have 1 to 20 options ({})",
                options.len()
            ));
        }
        let described = options
            .iter()
            .filter(|o| o.get("description").is_some())
            .count();
        if described != 0 && described != options.len() {
            return Err("quick_reply.options: description on all options or none".into());
        }
        for (i, o) in options.iter().enumerate() {
            let label = o.get("label").and_then(Value::as_str).unwrap_or("");
            if label.trim().is_empty() || label.chars().count() > 36 {
                return Err(format!(
                    "quick_reply.options[{i}].label must be 1 to 36 characters"
                ));
            }
            let lower = label.to_lowercase();
            if lower.contains("://") || lower.contains("www.") {
                return Err(format!(
                    "quick_reply.options[{i}].label must not contain a URL"
                ));
            }
            if o.get("description").and_then(chars).is_some_and(|n| n > 72) {
                return Err(format!("quick_reply.options[{i}].description exceeds 72"));
            }
            if o.get("metadata").and_then(chars).is_some_and(|n| n > 1000) {
                return Err(format!("quick_reply.options[{i}].metadata exceeds 1000"));
            }
        }
    }
    if let Some(ctas) = obj.get("ctas") {
        let ctas = ctas.as_array().ok_or("ctas must be an array")?;
        if ctas.is_empty() || ctas.len() > 3 {
            return Err(format!("ctas must have 1 to 3 buttons ({})", ctas.len()));
        }
        for (i, c) in ctas.iter().enumerate() {
            if c.get("type").and_then(Value::as_str) != Some("web_url") {
                return Err(format!("ctas[{i}].type must be web_url"));
            }
            let label = c.get("label").and_then(Value::as_str).unwrap_or("");
            if label.trim().is_empty() || label.chars().count() > 36 {
                return Err(format!("ctas[{i}].label must be 1 to 36 characters"));
            }
            let url = c.get("url").and_then(Value::as_str).unwrap_or("");
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(format!("ctas[{i}].url must be an http(s) URL"));
            }
        }
    }
    if let Some(att) = obj.get("attachment") {
        if att.get("type").and_then(Value::as_str) != Some("media") {
            return Err("attachment.type must be media".into());
        }
        let id = att.pointer("/media/id");
        if !is_digits(id) {
            return Err("attachment.media.id must be a media id".into());
        }
        let id = id.and_then(Value::as_str).unwrap_or("");
        if !is_uploaded(s, id) {
            return Err(format!("attachment.media.id {id} is not an uploaded media"));
        }
    }
    Ok(())
}

/// The message data as Twitter echoes it back: with `entities` and an expanded attachment.
fn echo_message_data(md: &Value, s: &State) -> Value {
    let mut out = md.clone();
    if let Some(obj) = out.as_object_mut() {
        obj.insert(
            "entities".into(),
            json!({"hashtags":[],"symbols":[],"user_mentions":[],"urls":[]}),
        );
        if let Some(id) = md.pointer("/attachment/media/id").and_then(Value::as_str) {
            let kind = match s.uploads.get(id).map(|u| u.category.as_str()) {
                Some("dm_video") => "video",
                Some("dm_gif") => "animated_gif",
                _ => "photo",
            };
            obj.insert(
                "attachment".into(),
                json!({"type":"media","media":{"id_str":id,"media_url_https":format!("https://ton.twitter.com/i/ton/data/dm/{id}.jpg"),"type":kind}}),
            );
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The request handler

/// What authentication a route accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    None,
    /// OAuth 1.0a with any account's access token.
    User,
    /// OAuth 1.0a with the app owner's access token.
    Owner,
    Bearer,
    OwnerOrBearer,
    UserOrBearer,
    Basic,
    /// OAuth 1.0a with the consumer key alone (request token).
    ConsumerOnly,
    /// OAuth 1.0a with a request token (access token exchange).
    RequestToken,
}

/// Who made the request, once authenticated.
#[derive(Debug, Clone, Default)]
struct Caller {
    account: Option<FakeAccount>,
    oauth: BTreeMap<String, String>,
    request_token: Option<String>,
}

struct Req {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
    form: Vec<(String, String)>,
}

impl Req {
    fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn f(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Result<Value, Reply> {
        let ct = self
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !ct.starts_with("application/json") {
            return Err(error(415, 214, "Content-Type must be application/json"));
        }
        serde_json::from_slice(&self.body).map_err(|_| invalid("body is not valid JSON"))
    }
}

async fn handle(
    AxumState(shared): AxumState<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let path = uri.path().to_string();
    let query = uri.query().and_then(parse_pairs).unwrap_or_default();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let form = if content_type
        .as_deref()
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
    {
        std::str::from_utf8(&body)
            .ok()
            .and_then(parse_pairs)
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let req = Req {
        method,
        path,
        query,
        headers,
        body,
        form,
    };

    // A delay fault comes first, so that it also delays authentication failures.
    let delay = take_fault(&shared, &req.path, FaultTime::Before);
    if let Some(Fault::Delay(d)) = delay {
        tokio::time::sleep(d).await;
    }

    let (auth_seen, response) = route(&shared, &req).await;
    let status = response.status().as_u16();
    let response = with_rate_headers(&shared, &req.path, response);
    {
        let mut s = shared.lock();
        if s.logging {
            s.log.push(RecordedRequest {
                method: req.method.to_string(),
                path: req.path.clone(),
                query: req.query.clone(),
                content_type: content_type.clone(),
                auth: auth_seen,
                body: req.body.clone(),
                status,
            });
        }
    }
    if let Some(Fault::AnswerLate(d)) = take_fault(&shared, &req.path, FaultTime::After) {
        tokio::time::sleep(d).await;
    }
    response
}

fn take_fault(shared: &Shared, path: &str, time: FaultTime) -> Option<Fault> {
    let mut s = shared.lock();
    let entry = s
        .faults
        .iter_mut()
        .find(|f| f.remaining > 0 && path.contains(&f.path) && f.fault.time() == time)?;
    entry.remaining -= 1;
    let fault = entry.fault.clone();
    s.faults.retain(|f| f.remaining > 0);
    Some(fault)
}

fn fault_reply(fault: Fault) -> Reply {
    match fault {
        Fault::RateLimited { reset_at } => {
            let mut r = error(429, 88, "Rate limit exceeded");
            let h = r.headers_mut();
            h.insert("x-rate-limit-limit", "15".parse().expect("header"));
            h.insert("x-rate-limit-remaining", "0".parse().expect("header"));
            h.insert(
                "x-rate-limit-reset",
                reset_at.to_string().parse().expect("header"),
            );
            r
        }
        Fault::Status(status) if status >= 500 => error(status, 131, "Internal error"),
        Fault::Status(status) => json_reply(
            status,
            json!({"errors":[{"message":"Fault injected by the test"}]}),
        ),
        Fault::Error {
            status,
            code,
            message,
        } => error(status, code, &message),
        Fault::Delay(_) | Fault::AnswerLate(_) => error(500, 131, "Internal error"),
    }
}

/// Adds `x-rate-limit-*` headers (unless a fault already set them): 15 per window for webhook
/// management, 1,000 for the rest.
fn with_rate_headers(shared: &Shared, path: &str, mut response: Reply) -> Reply {
    if response.headers().contains_key("x-rate-limit-reset") {
        return response;
    }
    let limit: u32 = if path.contains("/webhooks") || path.contains("/welcome_messages/list") {
        15
    } else {
        1000
    };
    let (remaining, reset) = {
        let mut s = shared.lock();
        let reset = s.window_reset;
        let r = s.remaining.entry(path.to_string()).or_insert(limit);
        *r = r.saturating_sub(1);
        (*r, reset)
    };
    let h = response.headers_mut();
    h.insert("x-rate-limit-limit", limit.into());
    h.insert("x-rate-limit-remaining", remaining.into());
    h.insert("x-rate-limit-reset", reset.into());
    response
}

/// Checks the request's credentials against what `need` allows.
fn authenticate(shared: &Shared, req: &Req, need: Need) -> (AuthSeen, Result<Caller, Reply>) {
    let header = req
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if need == Need::None {
        return (AuthSeen::None, Ok(Caller::default()));
    }
    if let Some(token) = header.strip_prefix("Bearer ") {
        let seen = AuthSeen::Bearer {
            token: token.to_string(),
        };
        if !matches!(
            need,
            Need::Bearer | Need::OwnerOrBearer | Need::UserOrBearer
        ) {
            return (
                seen,
                Err(error(
                    403,
                    220,
                    "Your credentials do not allow access to this resource.",
                )),
            );
        }
        let valid = shared.lock().bearer.as_deref() == Some(token);
        return if valid {
            (seen, Ok(Caller::default()))
        } else {
            (seen, Err(error(401, 89, "Invalid or expired token.")))
        };
    }
    if let Some(basic) = header.strip_prefix("Basic ") {
        if need != Need::Basic {
            return (AuthSeen::Basic, Err(bad_auth()));
        }
        let s = shared.lock();
        let ok = B64
            .decode(basic.trim())
            .ok()
            .and_then(|raw| String::from_utf8(raw).ok())
            .and_then(|raw| {
                let (k, v) = raw.split_once(':')?;
                Some((unpct(k, false)?, unpct(v, false)?))
            })
            .is_some_and(|(k, v)| k == s.app.consumer_key && v == s.app.consumer_secret);
        return if ok {
            (AuthSeen::Basic, Ok(Caller::default()))
        } else {
            (
                AuthSeen::Basic,
                Err(error(403, 99, "Unable to verify your credentials")),
            )
        };
    }
    let Some(oauth) = parse_oauth_header(&header) else {
        let seen = if header.is_empty() {
            AuthSeen::None
        } else {
            AuthSeen::Other
        };
        return (seen, Err(error(400, 215, "Bad Authentication data.")));
    };
    if matches!(need, Need::Bearer | Need::Basic) {
        let seen = AuthSeen::OAuth {
            token: oauth.get("oauth_token").cloned(),
            valid: false,
        };
        return (
            seen,
            Err(error(
                403,
                220,
                "Your credentials do not allow access to this resource.",
            )),
        );
    }
    let token = oauth.get("oauth_token").cloned();
    let fail = |token: Option<String>| {
        (
            AuthSeen::OAuth {
                token,
                valid: false,
            },
            Err(bad_auth()),
        )
    };

    let mut s = shared.lock();
    // Protocol fields.
    if oauth.get("oauth_signature_method").map(String::as_str) != Some("HMAC-SHA1")
        || oauth.get("oauth_version").is_some_and(|v| v != "1.0")
        || oauth.get("oauth_consumer_key") != Some(&s.app.consumer_key)
    {
        return fail(token);
    }
    let (Some(nonce), Some(timestamp)) = (oauth.get("oauth_nonce"), oauth.get("oauth_timestamp"))
    else {
        return fail(token);
    };
    let Ok(ts) = timestamp.parse::<u64>() else {
        return fail(token);
    };
    if ts.abs_diff(now_secs()) > TIMESTAMP_TOLERANCE_SECS {
        return fail(token);
    }

    // Which token, and its secret.
    let mut caller = Caller::default();
    let token_secret = match (need, &token) {
        (Need::ConsumerOnly, None) => String::new(),
        (Need::RequestToken, Some(t)) => match s.request_tokens.get(t) {
            Some(rt) => {
                caller.request_token = Some(t.clone());
                rt.secret.clone()
            }
            None => {
                return (
                    AuthSeen::OAuth {
                        token,
                        valid: false,
                    },
                    Err(error(401, 89, "Invalid or expired token.")),
                );
            }
        },
        (Need::User | Need::Owner | Need::OwnerOrBearer | Need::UserOrBearer, Some(t)) => {
            match s.accounts.iter().find(|a| &a.token == t) {
                Some(a) => {
                    caller.account = Some(a.clone());
                    a.token_secret.clone()
                }
                None => {
                    return (
                        AuthSeen::OAuth {
                            token,
                            valid: false,
                        },
                        Err(error(401, 89, "Invalid or expired token.")),
                    );
                }
            }
        }
        _ => return fail(token),
    };

    // The signature, over query + form-body + oauth_* parameters (never the JSON or multipart
    // body), with the URL the request was sent to.
    let Some(host) = req.headers.get("host").and_then(|h| h.to_str().ok()) else {
        return fail(token);
    };
    let base_url = format!("http://{}{}", host.to_ascii_lowercase(), req.path);
    let mut params: Vec<(String, String)> = oauth
        .iter()
        .filter(|(k, _)| k.as_str() != "oauth_signature" && k.as_str() != "realm")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    params.extend(req.query.iter().cloned());
    params.extend(req.form.iter().cloned());
    let expected = expected_signature(
        req.method.as_str(),
        &base_url,
        &params,
        &s.app.consumer_secret,
        &token_secret,
    );
    if oauth.get("oauth_signature") != Some(&expected) {
        return fail(token);
    }
    if !s.nonces.insert((nonce.clone(), timestamp.clone())) {
        return fail(token);
    }
    let owner_id = s.accounts[0].user_id.clone();
    drop(s);
    if need == Need::Owner && caller.account.as_ref().map(|a| &a.user_id) != Some(&owner_id) {
        return (
            AuthSeen::OAuth { token, valid: true },
            Err(error(403, 200, "Forbidden.")),
        );
    }
    caller.oauth = oauth;
    (AuthSeen::OAuth { token, valid: true }, Ok(caller))
}

/// Finds the route, authenticates, applies queued faults, handles.
async fn route(shared: &Arc<Shared>, req: &Req) -> (AuthSeen, Reply) {
    let path = req.path.as_str();
    let m = &req.method;
    let need = match (m.as_str(), path) {
        (_, p) if p.starts_with("/_fake/") => Need::None,
        ("POST", "/oauth2/token") => Need::Basic,
        ("POST", "/oauth/request_token") => Need::ConsumerOnly,
        ("POST", "/oauth/access_token") => Need::RequestToken,
        ("GET", "/oauth/authorize" | "/oauth/authenticate") => Need::None,
        ("GET", "/1.1/account_activity/all/webhooks.json") => Need::Bearer,
        ("GET", "/1.1/account_activity/all/subscriptions/count.json") => Need::Bearer,
        ("GET", "/1.1/account_activity/all/count.json") => Need::Bearer,
        (_, p) if p.starts_with("/1.1/account_activity/all/") => {
            let rest = activity_rest(p).map(|(_, r)| r).unwrap_or_default();
            match (m.as_str(), rest.as_str()) {
                ("POST", "webhooks.json") => Need::Owner,
                ("GET", "webhooks.json") => Need::OwnerOrBearer,
                ("PUT", r) if r.starts_with("webhooks/") => Need::OwnerOrBearer,
                ("DELETE", r) if r.starts_with("webhooks/") => Need::Owner,
                ("POST" | "GET", "subscriptions.json") => Need::User,
                ("GET", "subscriptions/list.json") => Need::Bearer,
                ("DELETE", r) if r.starts_with("subscriptions/") => Need::Bearer,
                _ => Need::User,
            }
        }
        ("GET", "/1.1/users/lookup.json") => Need::UserOrBearer,
        _ => Need::User,
    };
    let (seen, caller) = authenticate(shared, req, need);
    let caller = match caller {
        Ok(c) => c,
        Err(r) => return (seen, r),
    };
    if let Some(fault) = take_fault(shared, path, FaultTime::Instead) {
        return (seen, fault_reply(fault));
    }
    let response = dispatch(shared, req, &caller).await;
    (seen, response)
}

/// `/1.1/account_activity/all/<env>/<rest>` → `(env, rest)`.
fn activity_rest(path: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix("/1.1/account_activity/all/")?;
    let (env, rest) = rest.split_once('/')?;
    Some((env.to_string(), rest.to_string()))
}

async fn dispatch(shared: &Arc<Shared>, req: &Req, caller: &Caller) -> Reply {
    let path = req.path.as_str();
    match (req.method.as_str(), path) {
        ("GET", "/_fake/webhook") => crc_answer(shared, req, true),
        ("GET", "/_fake/webhook-wrong-secret") => crc_answer(shared, req, false),
        ("POST", "/_fake/webhook" | "/_fake/webhook-wrong-secret") => {
            reply(200, "text/plain", Vec::new())
        }
        ("POST", "/oauth2/token") => bearer_token(shared, req),
        ("POST", "/oauth/request_token") => request_token(shared, caller),
        ("POST", "/oauth/access_token") => access_token(shared, req, caller),
        ("GET", "/oauth/authorize" | "/oauth/authenticate") => reply(
            200,
            "text/html",
            b"<html><body>Authorize app?</body></html>".to_vec(),
        ),
        ("GET", "/1.1/account/verify_credentials.json") => {
            let a = caller
                .account
                .clone()
                .unwrap_or_else(|| shared.lock().accounts[0].clone());
            json_reply(200, user_json(&a))
        }
        ("GET", "/1.1/users/lookup.json") => users_lookup(shared, req),
        ("POST", "/1.1/direct_messages/events/new.json") => send_dm(shared, req, caller),
        ("GET", "/1.1/direct_messages/events/show.json") => show_dm(shared, req, caller),
        ("GET", "/1.1/direct_messages/events/list.json") => list_dms(shared, req, caller),
        ("DELETE", "/1.1/direct_messages/events/destroy.json") => destroy_dm(shared, req, caller),
        ("POST", "/1.1/direct_messages/indicate_typing.json") => {
            let Some(r) = req.f("recipient_id").filter(|r| is_digits(Some(&json!(r)))) else {
                return invalid("recipient_id is required");
            };
            let me = account_id(caller);
            let mut s = shared.lock();
            s.typing.push((me.clone(), r.to_string()));
            if let Some(tx) = &s.activity {
                let _ = tx.send(Activity::Typing {
                    sender: me,
                    recipient: r.to_string(),
                });
            }
            no_content()
        }
        ("POST", "/1.1/direct_messages/mark_read.json") => {
            let (Some(r), Some(last)) = (req.f("recipient_id"), req.f("last_read_event_id")) else {
                return invalid("recipient_id and last_read_event_id are required");
            };
            let me = account_id(caller);
            let mut s = shared.lock();
            s.reads.push((me.clone(), r.to_string(), last.to_string()));
            if let Some(tx) = &s.activity {
                let _ = tx.send(Activity::MarkRead {
                    sender: me,
                    recipient: r.to_string(),
                    last_read_event_id: last.to_string(),
                });
            }
            no_content()
        }
        (_, "/1.1/media/upload.json") => media(shared, req),
        (_, p) if p.starts_with("/1.1/direct_messages/welcome_messages/") => {
            welcome(shared, req, caller)
        }
        (_, p) if p.starts_with("/1.1/custom_profiles/") => profiles(shared, req, caller),
        ("GET", "/1.1/account_activity/all/webhooks.json") => {
            let s = shared.lock();
            let hooks: Vec<Value> = s.webhooks.values().map(webhook_json).collect();
            json_reply(
                200,
                json!({"environments":[{"environment_name":s.app.env_name,"webhooks":hooks}]}),
            )
        }
        (
            "GET",
            "/1.1/account_activity/all/subscriptions/count.json"
            | "/1.1/account_activity/all/count.json",
        ) => {
            let n = shared.lock().subscriptions.len().to_string();
            json_reply(
                200,
                json!({"account_name":"my-account","subscriptions_count_all":n,"subscriptions_count_direct_messages":n}),
            )
        }
        (_, p) if p.starts_with("/1.1/account_activity/all/") => {
            activity(shared, req, caller).await
        }
        _ => not_found(),
    }
}

fn account_id(caller: &Caller) -> String {
    caller
        .account
        .as_ref()
        .map(|a| a.user_id.clone())
        .unwrap_or_default()
}

fn user_json(a: &FakeAccount) -> Value {
    json!({
        "id": a.user_id.parse::<u64>().unwrap_or(0),
        "id_str": a.user_id,
        "name": format!("Fake {}", a.screen_name),
        "screen_name": a.screen_name,
        "profile_image_url_https": "https://pbs.twimg.com/profile_images/fake.jpg",
        "protected": false
    })
}

fn crc_answer(shared: &Shared, req: &Req, correct: bool) -> Reply {
    let Some(token) = req.q("crc_token") else {
        return reply(400, "text/plain", b"missing crc_token".to_vec());
    };
    let secret = if correct {
        shared.lock().app.consumer_secret.clone()
    } else {
        "not-the-consumer-secret".to_string()
    };
    json_reply(
        200,
        json!({"response_token": format!("sha256={}", hmac_sha256_b64(&secret, token.as_bytes()))}),
    )
}

fn bearer_token(shared: &Shared, req: &Req) -> Reply {
    if req.f("grant_type") != Some("client_credentials") {
        return error(403, 99, "Unable to verify your credentials");
    }
    let mut s = shared.lock();
    let token = match &s.bearer {
        Some(t) => t.clone(),
        None => {
            let t = format!("AAAAAAAAAAAAAAAAAAAAA{}", random_string(60));
            s.bearer = Some(t.clone());
            s.bearer_issued += 1;
            t
        }
    };
    json_reply(200, json!({"token_type":"bearer","access_token":token}))
}

fn request_token(shared: &Shared, caller: &Caller) -> Reply {
    let Some(callback) = caller.oauth.get("oauth_callback") else {
        return error(401, 32, "Could not authenticate you.");
    };
    if callback != "oob" && !callback.starts_with("http") {
        return reply(
            401,
            "text/plain",
            b"Callback URL not approved for this client application.".to_vec(),
        );
    }
    let mut s = shared.lock();
    let token = random_string(27);
    let secret = random_string(32);
    s.request_tokens.insert(
        token.clone(),
        RequestTokenState {
            secret: secret.clone(),
            verifier: None,
            account: None,
        },
    );
    let body = format!(
        "oauth_token={token}&oauth_token_secret={secret}&oauth_callback_confirmed={}",
        s.callback_confirmed
    );
    reply(200, "text/html; charset=utf-8", body.into_bytes())
}

fn access_token(shared: &Shared, req: &Req, caller: &Caller) -> Reply {
    let verifier = caller
        .oauth
        .get("oauth_verifier")
        .map(String::as_str)
        .or_else(|| req.f("oauth_verifier"))
        .or_else(|| req.q("oauth_verifier"));
    let mut s = shared.lock();
    let Some(token) = caller.request_token.as_ref() else {
        return bad_auth();
    };
    let Some(state) = s.request_tokens.get(token).cloned() else {
        return bad_auth();
    };
    let (Some(expected), Some(account)) = (state.verifier, state.account) else {
        return reply(401, "text/plain", b"Request token not authorized.".to_vec());
    };
    if verifier != Some(expected.as_str()) {
        return reply(
            401,
            "text/plain",
            b"Error processing your OAuth request: Invalid oauth_verifier parameter".to_vec(),
        );
    }
    s.request_tokens.remove(token);
    let body = format!(
        "oauth_token={}&oauth_token_secret={}&user_id={}&screen_name={}",
        pct(&account.token),
        pct(&account.token_secret),
        account.user_id,
        pct(&account.screen_name)
    );
    reply(200, "text/html; charset=utf-8", body.into_bytes())
}

fn users_lookup(shared: &Shared, req: &Req) -> Reply {
    let Some(ids) = req.q("user_id") else {
        return error(400, 17, "No user matches for specified terms.");
    };
    let s = shared.lock();
    let wanted: Vec<&str> = ids.split(',').collect();
    if wanted.len() > 100 {
        return error(400, 18, "Too many terms specified in query.");
    }
    let found: Vec<Value> = s
        .accounts
        .iter()
        .filter(|a| wanted.contains(&a.user_id.as_str()))
        .map(user_json)
        .collect();
    if found.is_empty() {
        return error(404, 17, "No user matches for specified terms.");
    }
    json_reply(200, Value::Array(found))
}

fn next_id(s: &mut State) -> String {
    s.next_id += 4_194_304;
    s.next_id.to_string()
}

fn send_dm(shared: &Shared, req: &Req, caller: &Caller) -> Reply {
    let body = match req.json() {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut s = shared.lock();
    let event = &body["event"];
    if event["type"] != "message_create" {
        return invalid("event.type must be message_create");
    }
    let mc = &event["message_create"];
    if !is_digits(mc.pointer("/target/recipient_id")) {
        return invalid("event.message_create.target.recipient_id: must be a user id");
    }
    if let Some(p) = mc.get("custom_profile_id") {
        let known = p.as_str().is_some_and(|id| s.profiles.contains_key(id));
        if !known {
            return invalid("event.message_create.custom_profile_id: unknown custom profile");
        }
    }
    if let Err(e) = check_message_data(&mc["message_data"], 10_000, &s) {
        return invalid(&format!("event.message_create.{e}"));
    }
    let id = next_id(&mut s);
    let mut create = json!({
        "target": mc["target"],
        "sender_id": account_id(caller),
        "source_app_id": s.app.app_id,
        "message_data": echo_message_data(&mc["message_data"], &s),
    });
    if let Some(p) = mc.get("custom_profile_id") {
        create["custom_profile_id"] = p.clone();
    }
    let event = json!({
        "type": "message_create",
        "id": id,
        "created_timestamp": now_ms_string(),
        "message_create": create,
    });
    s.dms.push(event.clone());
    if let Some(tx) = &s.activity {
        let _ = tx.send(Activity::MessageSent(event.clone()));
    }
    json_reply(200, json!({ "event": event }))
}

fn involves(event: &Value, user: &str) -> bool {
    event
        .pointer("/message_create/sender_id")
        .and_then(Value::as_str)
        == Some(user)
        || event
            .pointer("/message_create/target/recipient_id")
            .and_then(Value::as_str)
            == Some(user)
}

fn show_dm(shared: &Shared, req: &Req, caller: &Caller) -> Reply {
    let me = account_id(caller);
    let s = shared.lock();
    match s
        .dms
        .iter()
        .find(|e| e["id"].as_str() == req.q("id") && involves(e, &me))
    {
        Some(e) => json_reply(200, json!({ "event": e })),
        None => not_found(),
    }
}

/// Pages: `cursor` is the offset into the newest-first list, as a string.
fn page<T: Clone>(
    items: &[T],
    req: &Req,
    default: usize,
) -> Result<(Vec<T>, Option<String>), Reply> {
    let count = match req.q("count") {
        Some(c) => match c.parse::<usize>() {
            Ok(n) if (1..=50).contains(&n) => n,
            _ => return Err(invalid("count must be 1 to 50")),
        },
        None => default,
    };
    let start = match req.q("cursor") {
        Some(c) => c
            .parse::<usize>()
            .map_err(|_| invalid("cursor is invalid"))?,
        None => 0,
    };
    // A cursor near usize::MAX must not overflow: past the end is simply an empty page.
    let end = start.saturating_add(count).min(items.len());
    let slice = items
        .get(start.min(items.len())..end)
        .unwrap_or_default()
        .to_vec();
    let next = (end < items.len()).then(|| end.to_string());
    Ok((slice, next))
}

/// One page of a list call, answered as Twitter does: `{"<key>": [...], "next_cursor": "..."}`
/// (no `next_cursor` on the last page), 20 items unless `count` says otherwise.
fn paged_reply(items: &[Value], req: &Req, key: &str) -> Reply {
    match page(items, req, 20) {
        Ok((items, next)) => {
            let mut v = json!({ key: items });
            if let Some(n) = next {
                v["next_cursor"] = json!(n);
            }
            json_reply(200, v)
        }
        Err(r) => r,
    }
}

fn list_dms(shared: &Shared, req: &Req, caller: &Caller) -> Reply {
    let me = account_id(caller);
    let s = shared.lock();
    let events: Vec<Value> = s
        .dms
        .iter()
        .rev()
        .filter(|e| involves(e, &me))
        .cloned()
        .collect();
    paged_reply(&events, req, "events")
}

fn destroy_dm(shared: &Shared, req: &Req, caller: &Caller) -> Reply {
    let me = account_id(caller);
    let mut s = shared.lock();
    let before = s.dms.len();
    s.dms
        .retain(|e| !(e["id"].as_str() == req.q("id") && involves(e, &me)));
    if s.dms.len() == before {
        return not_found();
    }
    no_content()
}

/// Splits a `multipart/form-data` body into `(name, bytes)` parts (RFC 7578).
fn parse_multipart(content_type: &str, body: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))?
        .trim_matches('"');
    let delimiter = format!("--{boundary}").into_bytes();
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|p| p + from)
    };
    let mut parts = Vec::new();
    let mut pos = find(body, &delimiter, 0)? + delimiter.len();
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            return Some(parts);
        }
        pos += 2; // CRLF after the delimiter
        let headers_end = find(body, b"\r\n\r\n", pos)?;
        let headers = std::str::from_utf8(&body[pos..headers_end]).ok()?;
        let name = headers
            .split("\r\n")
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))?
            .split(';')
            .map(str::trim)
            .find_map(|p| p.strip_prefix("name="))?
            .trim_matches('"')
            .to_string();
        let content_start = headers_end + 4;
        let mut closing = b"\r\n".to_vec();
        closing.extend_from_slice(&delimiter);
        let content_end = find(body, &closing, content_start)?;
        parts.push((name, body[content_start..content_end].to_vec()));
        pos = content_end + closing.len();
    }
}

fn media(shared: &Shared, req: &Req) -> Reply {
    const MB5: usize = 5 * 1024 * 1024;
    let command = req.q("command").or_else(|| req.f("command")).unwrap_or("");
    let media_id = req
        .q("media_id")
        .or_else(|| req.f("media_id"))
        .unwrap_or("")
        .to_string();
    let mut s = shared.lock();
    match (req.method.as_str(), command) {
        ("POST", "INIT") => {
            let total: u64 = match req.f("total_bytes").and_then(|t| t.parse().ok()) {
                Some(t) if t > 0 => t,
                _ => return error(400, 38, "total_bytes parameter is missing."),
            };
            let media_type = req.f("media_type").unwrap_or("");
            if !media_type.contains('/') {
                return error(400, 38, "media_type parameter is missing.");
            }
            let category = req.f("media_category").unwrap_or("");
            let max: u64 = match category {
                "dm_image" => 5 * 1024 * 1024,
                "dm_gif" => 15 * 1024 * 1024,
                "dm_video" => 512 * 1024 * 1024,
                _ => return error(400, 323, "media_category is invalid for Direct Messages."),
            };
            if total > max {
                return error(
                    400,
                    324,
                    "File size exceeds the limit for this media_category.",
                );
            }
            let id = next_id(&mut s);
            s.uploads.insert(
                id.clone(),
                FakeUpload {
                    media_id: id.clone(),
                    total_bytes: total,
                    media_type: media_type.to_string(),
                    category: category.to_string(),
                    shared: req.f("shared") == Some("true"),
                    segments: BTreeMap::new(),
                    data: None,
                    polls_left: 0,
                    status_polls: 0,
                },
            );
            json_reply(
                202,
                json!({"media_id": id.parse::<u64>().unwrap_or(0), "media_id_string": id, "expires_after_secs": 86400}),
            )
        }
        ("POST", "APPEND") => {
            let ct = req
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let Some(parts) = parse_multipart(ct, &req.body) else {
                return error(
                    400,
                    38,
                    "APPEND must be multipart/form-data with a media part.",
                );
            };
            let Some((_, data)) = parts.into_iter().find(|(n, _)| n == "media") else {
                return error(400, 38, "media parameter is missing.");
            };
            if data.len() > MB5 {
                return error(400, 324, "A segment may be at most 5 MB.");
            }
            let Some(index) = req.q("segment_index").and_then(|i| i.parse::<u32>().ok()) else {
                return error(400, 38, "segment_index parameter is missing.");
            };
            let Some(upload) = s.uploads.get_mut(&media_id) else {
                return error(400, 324, "The media_id is invalid.");
            };
            if upload.data.is_some() || index > 999 {
                return error(400, 324, "The media_id is not accepting segments.");
            }
            upload.segments.insert(index, data);
            no_content()
        }
        ("POST", "FINALIZE") => {
            let (video_polls, fails) = (s.video_polls, s.processing_fails);
            let Some(upload) = s.uploads.get_mut(&media_id) else {
                return error(400, 324, "The media_id is invalid.");
            };
            let contiguous = upload
                .segments
                .keys()
                .copied()
                .eq(0..upload.segments.len() as u32);
            if !contiguous {
                return error(400, 324, "Segments are missing.");
            }
            let data: Vec<u8> = upload.segments.values().flatten().copied().collect();
            if data.len() as u64 != upload.total_bytes {
                return error(
                    400,
                    324,
                    &format!(
                        "File size {} does not match total_bytes {}.",
                        data.len(),
                        upload.total_bytes
                    ),
                );
            }
            upload.data = Some(data);
            let mut v = json!({"media_id_string": media_id, "size": upload.total_bytes, "expires_after_secs": 86400});
            if upload.category == "dm_video" {
                upload.polls_left = video_polls;
                let state = if video_polls == 0 && fails {
                    "failed"
                } else if video_polls == 0 {
                    "succeeded"
                } else {
                    "pending"
                };
                v["processing_info"] = json!({"state": state, "check_after_secs": 1});
            }
            json_reply(201, v)
        }
        ("GET", "STATUS") => {
            let fails = s.processing_fails;
            let Some(upload) = s.uploads.get_mut(&media_id) else {
                return error(400, 324, "The media_id is invalid.");
            };
            upload.status_polls += 1;
            let info = if upload.polls_left > 1 {
                upload.polls_left -= 1;
                json!({"state":"in_progress","check_after_secs":1,"progress_percent":50})
            } else if fails {
                json!({"state":"failed","progress_percent":100,"error":{"code":1,"name":"InvalidMedia","message":"Unsupported video format"}})
            } else {
                upload.polls_left = 0;
                json!({"state":"succeeded","progress_percent":100})
            };
            json_reply(
                200,
                json!({"media_id_string": media_id, "expires_after_secs": 86400, "processing_info": info}),
            )
        }
        _ => error(400, 38, "command parameter is missing or invalid."),
    }
}

fn welcome_json(id: &str, w: &Welcome, name_inside: bool) -> Value {
    let mut v = json!({"id": id, "created_timestamp": w.created, "message_data": w.message_data});
    if name_inside && let Some(n) = &w.name {
        v["name"] = json!(n);
    }
    v
}

fn welcome_envelope(id: &str, w: &Welcome) -> Value {
    let mut v = json!({"welcome_message": welcome_json(id, w, false)});
    if let Some(n) = &w.name {
        v["name"] = json!(n);
    }
    v
}

fn rule_json(id: &str, r: &Rule) -> Value {
    json!({"id": id, "created_timestamp": r.created, "welcome_message_id": r.welcome_message_id})
}

fn welcome(shared: &Shared, req: &Req, caller: &Caller) -> Reply {
    let me = account_id(caller);
    let rest = req
        .path
        .strip_prefix("/1.1/direct_messages/welcome_messages/")
        .unwrap_or("");
    let id = req.q("id").unwrap_or("").to_string();
    match (req.method.as_str(), rest) {
        ("POST", "new.json") => {
            let body = match req.json() {
                Ok(b) => b,
                Err(r) => return r,
            };
            let wm = &body["welcome_message"];
            let name = wm.get("name").and_then(Value::as_str).map(str::to_string);
            if name.as_ref().is_some_and(|n| n.chars().count() > 100) {
                return invalid("welcome_message.name exceeds 100 characters");
            }
            let mut s = shared.lock();
            if let Err(e) = check_message_data(&wm["message_data"], 9_990, &s) {
                return invalid(&format!("welcome_message.{e}"));
            }
            let id = next_id(&mut s);
            let w = Welcome {
                owner: me,
                name,
                created: now_ms_string(),
                message_data: echo_message_data(&wm["message_data"], &s),
            };
            let v = welcome_envelope(&id, &w);
            s.welcomes.insert(id, w);
            json_reply(200, v)
        }
        ("PUT", "update.json") => {
            let body = match req.json() {
                Ok(b) => b,
                Err(r) => return r,
            };
            let mut s = shared.lock();
            if let Err(e) = check_message_data(&body["message_data"], 9_990, &s) {
                return invalid(&e);
            }
            let data = echo_message_data(&body["message_data"], &s);
            match s.welcomes.get_mut(&id).filter(|w| w.owner == me) {
                Some(w) => {
                    w.message_data = data;
                    let v = welcome_envelope(&id, w);
                    json_reply(200, v)
                }
                None => not_found(),
            }
        }
        ("GET", "list.json") => {
            let s = shared.lock();
            let all: Vec<Value> = s
                .welcomes
                .iter()
                .rev()
                .filter(|(_, w)| w.owner == me)
                .map(|(id, w)| welcome_json(id, w, true))
                .collect();
            paged_reply(&all, req, "welcome_messages")
        }
        ("GET", "show.json") => {
            let s = shared.lock();
            match s.welcomes.get(&id).filter(|w| w.owner == me) {
                Some(w) => json_reply(200, welcome_envelope(&id, w)),
                None => not_found(),
            }
        }
        ("DELETE", "destroy.json") => {
            let mut s = shared.lock();
            if s.welcomes.get(&id).is_some_and(|w| w.owner == me) {
                s.welcomes.remove(&id);
                s.rules.retain(|_, r| r.welcome_message_id != id);
                no_content()
            } else {
                not_found()
            }
        }
        ("POST", "rules/new.json") => {
            let body = match req.json() {
                Ok(b) => b,
                Err(r) => return r,
            };
            let wid = body
                .pointer("/welcome_message_rule/welcome_message_id")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let mut s = shared.lock();
            if s.welcomes.get(&wid).is_none_or(|w| w.owner != me) {
                return not_found();
            }
            let id = next_id(&mut s);
            let r = Rule {
                owner: me,
                created: now_ms_string(),
                welcome_message_id: wid,
            };
            let v = json!({"welcome_message_rule": rule_json(&id, &r)});
            s.rules.insert(id, r);
            json_reply(200, v)
        }
        ("GET", "rules/list.json") => {
            let s = shared.lock();
            let all: Vec<Value> = s
                .rules
                .iter()
                .rev()
                .filter(|(_, r)| r.owner == me)
                .map(|(id, r)| rule_json(id, r))
                .collect();
            paged_reply(&all, req, "welcome_message_rules")
        }
        ("GET", "rules/show.json") => {
            let s = shared.lock();
            match s.rules.get(&id).filter(|r| r.owner == me) {
                Some(r) => json_reply(200, json!({"welcome_message_rule": rule_json(&id, r)})),
                None => not_found(),
            }
        }
        ("DELETE", "rules/destroy.json") => {
            let mut s = shared.lock();
            if s.rules.get(&id).is_some_and(|r| r.owner == me) {
                s.rules.remove(&id);
                no_content()
            } else {
                not_found()
            }
        }
        _ => not_found(),
    }
}

fn profile_json(id: &str, p: &Profile) -> Value {
    json!({
        "id": id,
        "created_timestamp": p.created,
        "name": p.name,
        "avatar": {"media": {"url": format!("https://pbs.twimg.com/media/{}.jpg", p.avatar_media_id)}}
    })
}

fn profiles(shared: &Shared, req: &Req, caller: &Caller) -> Reply {
    let me = account_id(caller);
    let rest = req.path.strip_prefix("/1.1/custom_profiles/").unwrap_or("");
    match (req.method.as_str(), rest) {
        ("POST", "new.json") => {
            let body = match req.json() {
                Ok(b) => b,
                Err(r) => return r,
            };
            let cp = &body["custom_profile"];
            let name = cp.get("name").and_then(Value::as_str).unwrap_or("");
            if name.trim().is_empty() || name.chars().count() > 48 {
                return invalid("custom_profile.name must be 1 to 48 characters");
            }
            let media = cp.pointer("/avatar/media/id");
            if !is_digits(media) {
                return invalid("custom_profile.avatar.media.id is required");
            }
            let media = media.and_then(Value::as_str).unwrap_or("").to_string();
            let mut s = shared.lock();
            if !is_uploaded(&s, &media) {
                return error(400, 324, "The media id is not an uploaded media.");
            }
            let id = next_id(&mut s);
            let p = Profile {
                owner: me,
                created: now_ms_string(),
                name: name.to_string(),
                avatar_media_id: media,
            };
            let v = json!({"custom_profile": profile_json(&id, &p)});
            s.profiles.insert(id, p);
            json_reply(200, v)
        }
        ("GET", "list.json") => {
            let s = shared.lock();
            let all: Vec<Value> = s
                .profiles
                .iter()
                .rev()
                .filter(|(_, p)| p.owner == me)
                .map(|(id, p)| profile_json(id, p))
                .collect();
            paged_reply(&all, req, "custom_profiles")
        }
        ("DELETE", "destroy.json") => {
            let id = req.q("id").unwrap_or("").to_string();
            let mut s = shared.lock();
            if s.profiles.get(&id).is_some_and(|p| p.owner == me) {
                s.profiles.remove(&id);
                no_content()
            } else {
                not_found()
            }
        }
        ("GET", r) => {
            let id = r.strip_suffix(".json").unwrap_or("");
            let s = shared.lock();
            match s.profiles.get(id).filter(|p| p.owner == me) {
                Some(p) => json_reply(200, json!({"custom_profile": profile_json(id, p)})),
                None => not_found(),
            }
        }
        _ => not_found(),
    }
}

fn webhook_json(w: &FakeWebhook) -> Value {
    json!({"id": w.id, "url": w.url, "valid": w.valid, "created_at": w.created_at})
}

/// Runs Twitter's CRC against `url`: a GET with a fresh `crc_token`, expecting 200 and
/// `{"response_token":"sha256=<base64 HMAC-SHA256(consumer secret, token)>"}`.
async fn run_crc(shared: &Shared, url: &str) -> Result<(), String> {
    let token = random_string(24);
    let secret = shared.lock().app.consumer_secret.clone();
    let expected = format!("sha256={}", hmac_sha256_b64(&secret, token.as_bytes()));
    let separator = if url.contains('?') { '&' } else { '?' };
    let response = shared
        .http
        .get(format!("{url}{separator}crc_token={token}"))
        .timeout(Duration::from_secs(3))
        .send()
        .await
        .map_err(|_| "Webhook URL does not meet the requirements. Please ensure the URL is reachable and answers within 3 seconds.".to_string())?;
    if response.status().as_u16() != 200 {
        return Err(format!(
            "Webhook URL does not meet the requirements. Received HTTP {} on the CRC GET request.",
            response.status().as_u16()
        ));
    }
    let body: Value = response.json().await.map_err(|_| {
        "Webhook URL does not meet the requirements. Invalid CRC token or json response format."
            .to_string()
    })?;
    if body["response_token"].as_str() != Some(expected.as_str()) {
        return Err(
            "Webhook URL does not meet the requirements. Invalid CRC token or json response format."
                .into(),
        );
    }
    Ok(())
}

async fn activity(shared: &Arc<Shared>, req: &Req, caller: &Caller) -> Reply {
    let Some((env, rest)) = activity_rest(&req.path) else {
        return not_found();
    };
    let (env_name, crc_check) = {
        let s = shared.lock();
        (s.app.env_name.clone(), s.crc_check)
    };
    if env != env_name {
        return error(403, 200, "Forbidden.");
    }
    match (req.method.as_str(), rest.as_str()) {
        ("POST", "webhooks.json") => {
            let Some(url) = req.q("url").map(str::to_string) else {
                return error(400, 214, "url parameter is missing.");
            };
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return error(
                    400,
                    214,
                    "Webhook URL does not meet the requirements. Please use HTTPS.",
                );
            }
            if shared.lock().webhooks.values().any(|w| w.env == env) {
                return error(400, 214, "Too many resources already created.");
            }
            if crc_check && let Err(message) = run_crc(shared, &url).await {
                return error(400, 214, &message);
            }
            let mut s = shared.lock();
            let id = next_id(&mut s);
            let hook = FakeWebhook {
                id: id.clone(),
                env,
                url,
                valid: true,
                created_at: "2026-01-01 00:00:00 +0000".into(),
            };
            let v = webhook_json(&hook);
            s.webhooks.insert(id, hook);
            json_reply(200, v)
        }
        ("GET", "webhooks.json") => {
            let s = shared.lock();
            let hooks: Vec<Value> = s
                .webhooks
                .values()
                .filter(|w| w.env == env)
                .map(webhook_json)
                .collect();
            json_reply(200, Value::Array(hooks))
        }
        ("PUT", r) if r.starts_with("webhooks/") => {
            let id = r
                .trim_start_matches("webhooks/")
                .trim_end_matches(".json")
                .to_string();
            let Some(url) = shared.lock().webhooks.get(&id).map(|w| w.url.clone()) else {
                return not_found();
            };
            let result = if crc_check {
                run_crc(shared, &url).await
            } else {
                Ok(())
            };
            let mut s = shared.lock();
            if let Some(w) = s.webhooks.get_mut(&id) {
                w.valid = result.is_ok();
            }
            match result {
                Ok(()) => no_content(),
                Err(message) => error(400, 214, &message),
            }
        }
        ("DELETE", r) if r.starts_with("webhooks/") => {
            let id = r
                .trim_start_matches("webhooks/")
                .trim_end_matches(".json")
                .to_string();
            let mut s = shared.lock();
            if s.webhooks.remove(&id).is_none() {
                return not_found();
            }
            s.subscriptions.clear();
            no_content()
        }
        ("POST", "subscriptions.json") => {
            let me = account_id(caller);
            let mut s = shared.lock();
            if !s.webhooks.values().any(|w| w.env == env) {
                return error(400, 170, "No webhook registered for this environment.");
            }
            if !s.subscriptions.contains(&me) && s.subscriptions.len() >= 15 {
                return error(403, 355, "Subscription limit reached.");
            }
            s.subscriptions.insert(me);
            no_content()
        }
        ("GET", "subscriptions.json") => {
            let me = account_id(caller);
            if shared.lock().subscriptions.contains(&me) {
                no_content()
            } else {
                not_found()
            }
        }
        ("GET", "subscriptions/list.json") => {
            let s = shared.lock();
            let subs: Vec<Value> = s
                .subscriptions
                .iter()
                .map(|u| json!({"user_id": u}))
                .collect();
            json_reply(
                200,
                json!({"environment": env, "application_id": s.app.app_id, "subscriptions": subs}),
            )
        }
        ("DELETE", r) if r.starts_with("subscriptions/") => {
            let user = r
                .trim_start_matches("subscriptions/")
                .trim_end_matches(".json")
                .to_string();
            if shared.lock().subscriptions.remove(&user) {
                no_content()
            } else {
                not_found()
            }
        }
        _ => not_found(),
    }
}

// ---------------------------------------------------------------------------------------------
// Webhook watchdog support: lets a test play Twitter disabling a webhook after a failed
// periodic CRC.
// ---------------------------------------------------------------------------------------------

impl FakeTwitter {
    /// Sets a registered webhook's `valid` flag, as Twitter does after its periodic CRC.
    /// Returns false when no webhook has this id.
    pub fn set_webhook_valid(&self, id: &str, valid: bool) -> bool {
        match self.shared.lock().webhooks.get_mut(id) {
            Some(w) => {
                w.valid = valid;
                true
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_signature_reproduces_twitters_worked_example() {
        let params: Vec<(String, String)> = [
            ("include_entities", "true"),
            (
                "status",
                "Hello Ladies + Gentlemen, a signed OAuth request!",
            ),
            ("oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"),
            ("oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "1318622958"),
            (
                "oauth_token",
                "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
            ),
            ("oauth_version", "1.0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            expected_signature(
                "POST",
                "https://api.twitter.com/1.1/statuses/update.json",
                &params,
                "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
                "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE"
            ),
            "hCtSmYh+iHYCEqBWrE7C7hYmtUk="
        );
    }

    #[test]
    fn a_cursor_at_the_end_of_the_number_range_gives_an_empty_page_not_a_panic() {
        let items = vec![1, 2, 3];
        let req = Req {
            method: Method::GET,
            path: "/1.1/direct_messages/events/list.json".into(),
            query: vec![("cursor".into(), usize::MAX.to_string())],
            headers: HeaderMap::new(),
            body: Bytes::new(),
            form: Vec::new(),
        };
        let (page, next) = page(&items, &req, 20).unwrap();
        assert!(page.is_empty());
        assert_eq!(next, None);
    }

    #[test]
    fn multipart_bodies_split_into_named_parts_even_with_binary_data() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"media\"; filename=\"m\"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\r\n\x01--X\r\n--XyZ--\r\n";
        let parts = parse_multipart("multipart/form-data; boundary=XyZ", body).unwrap();
        assert_eq!(
            parts,
            vec![("media".to_string(), b"\x00\r\n\x01--X".to_vec())]
        );
    }
}
