//! The live side of the simulator: Twitter's behaviour toward a webhook, the people on both ends
//! of a conversation, and the chat page.
//!
//! Toward the webhook it does what `docs/TWITTER-API.md` §1–§2 describe:
//! - **Signed POSTs.** Every delivery carries `x-twitter-webhooks-signature:
//!   sha256=<base64(HMAC-SHA256(consumer secret, raw body))>`, computed over the exact bytes sent.
//! - **Retries.** A delivery that does not get a 200 within 3 s is tried again after roughly 3 s,
//!   27 s and 242 s, then dropped ([`SimulatorConfig::retry_delays`], short in tests).
//! - **Echoes.** Every message the account sends through the API comes back as a
//!   `direct_message_events[]` delivery, like a customer's message does; so do the messages a
//!   person sends from the account in Twitter's own app (`source_app_id` 258901), which is how
//!   the bot learns that a human took over.
//! - The CRC is run by the API side when a webhook is registered (see
//!   [`FakeTwitter::set_crc_check`]).
//!
//! The people: one simulated **customer** who writes to the account (text, a tap on a quick
//! reply, a first message opened from the default welcome message), and a human **agent** who
//! answers as the account from Twitter's web app.
//!
//! The page (`GET /`) shows the customer's side of the conversation and a pane for the agent; it
//! follows a long-poll feed (`GET /sim/api/feed?after=<seq>`) of everything that happened.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use crate::api::{Activity, FakeTwitter};

/// Twitter's own web app: messages a person sends from twitter.com carry this `source_app_id`.
pub const TWITTER_WEB_APP_ID: &str = "258901";

/// Twitter's documented retry shape: about 3 s, 27 s and 242 s after a failed delivery.
pub const TWITTER_RETRY_DELAYS: [Duration; 3] = [
    Duration::from_secs(3),
    Duration::from_secs(27),
    Duration::from_secs(242),
];

/// How long one delivery may take before Twitter counts it as failed.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(3);

/// The header carrying the delivery's HMAC.
pub const SIGNATURE_HEADER: &str = "x-twitter-webhooks-signature";

/// How long a feed request waits for something new before answering with nothing.
const FEED_WAIT: Duration = Duration::from_secs(25);

/// How the simulator behaves.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// The URL the simulator's API is reachable at (`http://127.0.0.1:<port>`, no trailing
    /// slash): the bot's client uses it as both API and upload base URL.
    pub base_url: String,
    /// Waits between a failed delivery and its retries; after the last one the delivery is
    /// dropped, as Twitter does.
    pub retry_delays: Vec<Duration>,
    /// How long one delivery attempt may take.
    pub delivery_timeout: Duration,
    /// The account's display name (the bot's side of the conversation).
    pub account_name: String,
    /// The customer's display name.
    pub customer_name: String,
}

impl SimulatorConfig {
    /// Twitter's timings, an account called "Acme Support" and a customer called "Jordan".
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            retry_delays: TWITTER_RETRY_DELAYS.to_vec(),
            delivery_timeout: DELIVERY_TIMEOUT,
            account_name: "Acme Support".into(),
            customer_name: "Jordan Brinks".into(),
        }
    }
}

/// One thing the chat page shows.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FeedItem {
    /// Position in the feed, from 1.
    pub seq: u64,
    /// `message`, `typing` or `read`.
    pub kind: String,
    /// `customer`, `bot` (sent through an app's API) or `agent` (sent from Twitter's web app).
    pub from: String,
    /// The DM event, for messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<Value>,
    /// The custom profile the message was sent with: `{name, avatar_url}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<Value>,
}

/// Counts of webhook deliveries.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeliveryStats {
    /// Deliveries answered 200 (on any attempt).
    pub delivered: u64,
    /// Attempts that did not get a 200 (each retry counts).
    pub failed_attempts: u64,
    /// Deliveries given up after the last retry.
    pub dropped: u64,
    /// Deliveries still being tried (neither answered 200 nor given up yet).
    pub in_flight: u64,
}

struct Live {
    items: Vec<FeedItem>,
    stats: DeliveryStats,
    /// Whether the customer has written yet (the first message is sent from the welcome).
    customer_wrote: bool,
}

struct Inner {
    fake: FakeTwitter,
    config: SimulatorConfig,
    customer_id: String,
    http: reqwest::Client,
    live: Mutex<Live>,
    latest: watch::Sender<u64>,
    /// Set when the server shuts down: waiting feed requests answer at once.
    closing: watch::Sender<bool>,
}

/// The running simulator. Cheap to clone.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

impl Simulator {
    /// Creates the simulator and the router to serve at `config.base_url`: the API (every path
    /// the bot calls), the chat page at `/` and its endpoints under `/sim/`. Must be called
    /// inside a tokio runtime (it spawns the task that turns API activity into deliveries).
    pub fn new(config: SimulatorConfig) -> (Self, Router) {
        let (tx, rx) = mpsc::unbounded_channel();
        let (fake, api) = FakeTwitter::detached(config.base_url.clone(), Some(tx));
        let (latest, _) = watch::channel(0);
        let (closing, _) = watch::channel(false);
        let sim = Simulator {
            inner: Arc::new(Inner {
                fake,
                config,
                customer_id: "3805104374".into(),
                http: reqwest::Client::new(),
                live: Mutex::new(Live {
                    items: Vec::new(),
                    stats: DeliveryStats::default(),
                    customer_wrote: false,
                }),
                latest,
                closing,
            }),
        };
        tokio::spawn(sim.clone().follow_activity(rx));
        let router = Router::new()
            .route("/", get(page_html))
            .route("/sim/app.js", get(page_js))
            .route("/sim/style.css", get(page_css))
            .route("/sim/api/state", get(state_json))
            .route("/sim/api/feed", get(feed_json))
            .route("/sim/api/customer", post(customer_post))
            .route("/sim/api/agent", post(agent_post))
            .route("/sim/media/{id}", get(media_get))
            .with_state(sim.clone())
            .fallback_service(api);
        (sim, router)
    }

    /// The API side: credentials, stored state, request log, fault queue.
    pub fn fake(&self) -> &FakeTwitter {
        &self.inner.fake
    }

    /// The simulated customer's user id.
    pub fn customer_id(&self) -> &str {
        &self.inner.customer_id
    }

    /// Everything the page has been shown so far.
    pub fn feed(&self) -> Vec<FeedItem> {
        self.lock().items.clone()
    }

    /// Ends the waiting feed requests (long polls) now and makes new ones answer at once, so
    /// that a graceful shutdown does not wait for an open chat page.
    pub fn close_feeds(&self) {
        self.inner.closing.send_replace(true);
    }

    /// Webhook delivery counts.
    pub fn delivery_stats(&self) -> DeliveryStats {
        self.lock().stats
    }

    fn lock(&self) -> MutexGuard<'_, Live> {
        self.inner.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn account_id(&self) -> String {
        self.inner.fake.owner().user_id.clone()
    }

    /// The customer writes to the account: `text`, with the metadata of the quick-reply option
    /// they tapped (Twitter sends the option's label as the text). Their first message carries
    /// `initiated_via.welcome_message_id` of the default welcome message, as when a conversation
    /// is opened on it. Returns the event id.
    pub fn customer_sends(&self, text: &str, quick_reply_metadata: Option<&str>) -> String {
        let (id, envelope) =
            self.customer_message(&self.inner.customer_id.clone(), text, quick_reply_metadata);
        self.deliver(envelope);
        id
    }

    /// Another customer (`customer_id`) writes `text` to the account: the event is stored (so
    /// the API's DM list knows it) and shown; returns its id and the delivery to make, with
    /// [`Simulator::deliver`] (in the background) or [`Simulator::deliver_now`].
    pub fn message_from(&self, customer_id: &str, text: &str) -> (String, Value) {
        self.customer_message(customer_id, text, None)
    }

    fn customer_message(
        &self,
        customer_id: &str,
        text: &str,
        quick_reply_metadata: Option<&str>,
    ) -> (String, Value) {
        let id = self.inner.fake.next_event_id();
        let mut message_data = json!({"text": text, "entities": empty_entities()});
        if let Some(metadata) = quick_reply_metadata {
            message_data["quick_reply_response"] = json!({"type": "options", "metadata": metadata});
        }
        let mut event = json!({
            "type": "message_create",
            "id": id,
            "created_timestamp": now_ms().to_string(),
            "message_create": {
                "target": {"recipient_id": self.account_id()},
                "sender_id": customer_id,
                "message_data": message_data,
            }
        });
        if customer_id == self.inner.customer_id {
            let first = !std::mem::replace(&mut self.lock().customer_wrote, true);
            if first && let Some((welcome_id, _)) = self.inner.fake.default_welcome() {
                event["initiated_via"] = json!({"welcome_message_id": welcome_id});
            }
        }
        self.inner.fake.record_message(event.clone());
        self.push(FeedItem::message("customer", event.clone(), None));
        (id, self.envelope_for(event))
    }

    /// A person answers as the account from Twitter's web app (`source_app_id` 258901): the
    /// bot sees a message from the account that it did not send, i.e. a hand-over.
    pub fn agent_sends(&self, text: &str) -> String {
        let id = self.inner.fake.next_event_id();
        let event = json!({
            "type": "message_create",
            "id": id,
            "created_timestamp": now_ms().to_string(),
            "message_create": {
                "target": {"recipient_id": self.inner.customer_id},
                "sender_id": self.account_id(),
                "source_app_id": TWITTER_WEB_APP_ID,
                "message_data": {"text": text, "entities": empty_entities()},
            }
        });
        self.inner.fake.record_message(event.clone());
        self.push(FeedItem::message("agent", event.clone(), None));
        self.deliver(self.envelope_for(event));
        id
    }

    fn push(&self, mut item: FeedItem) {
        let seq = {
            let mut live = self.lock();
            item.seq = live.items.len() as u64 + 1;
            let seq = item.seq;
            live.items.push(item);
            seq
        };
        self.inner.latest.send_replace(seq);
    }

    /// Turns what the account did through the API into page items and webhook echoes.
    async fn follow_activity(self, mut rx: mpsc::UnboundedReceiver<Activity>) {
        while let Some(activity) = rx.recv().await {
            match activity {
                Activity::MessageSent(event) => {
                    let profile = event
                        .pointer("/message_create/custom_profile_id")
                        .and_then(Value::as_str)
                        .and_then(|id| self.inner.fake.custom_profile(id))
                        .map(|p| {
                            json!({"name": p.name, "avatar_url": format!("/sim/media/{}", p.avatar_media_id)})
                        });
                    self.push(FeedItem::message("bot", event.clone(), profile));
                    self.deliver(self.envelope_for(event));
                }
                Activity::Typing { .. } => self.push(FeedItem::signal("typing")),
                Activity::MarkRead { .. } => self.push(FeedItem::signal("read")),
            }
        }
    }

    /// The Account Activity delivery of one DM event for the account, with the users and apps
    /// maps Twitter adds.
    fn envelope_for(&self, event: Value) -> Value {
        let owner = self.inner.fake.owner();
        let app = self.inner.fake.app();
        let mut users = serde_json::Map::new();
        users.insert(
            owner.user_id.clone(),
            user_json(
                &owner.user_id,
                &self.inner.config.account_name,
                &owner.screen_name,
            ),
        );
        users.insert(
            self.inner.customer_id.clone(),
            user_json(
                &self.inner.customer_id,
                &self.inner.config.customer_name,
                "sim_customer",
            ),
        );
        let mut apps = serde_json::Map::new();
        if let Some(source) = event
            .pointer("/message_create/source_app_id")
            .and_then(Value::as_str)
        {
            let (name, url) = if source == TWITTER_WEB_APP_ID {
                ("Twitter Web App", "https://mobile.twitter.com")
            } else if source == app.app_id {
                ("dmbot", "https://github.com/")
            } else {
                ("Another app", "https://example.com")
            };
            apps.insert(
                source.to_string(),
                json!({"id": source, "name": name, "url": url}),
            );
        }
        json!({
            "for_user_id": owner.user_id,
            "direct_message_events": [event],
            "users": users,
            "apps": apps,
        })
    }

    /// Sends `envelope` to every valid webhook, signed, retrying as Twitter does. Runs in the
    /// background; [`Simulator::delivery_stats`] counts the outcome.
    pub fn deliver(&self, envelope: Value) {
        let body = envelope.to_string().into_bytes();
        let signature = sign(&self.inner.fake.app().consumer_secret, &body);
        for url in self.inner.fake.webhook_urls() {
            let sim = self.clone();
            let body = body.clone();
            let signature = signature.clone();
            self.lock().stats.in_flight += 1;
            tokio::spawn(async move { sim.deliver_to(url, body, signature).await });
        }
    }

    /// Delivers `envelope` to every valid webhook as [`Simulator::deliver`] does, retries
    /// included, and returns once each is answered 200 (true) or given up (false).
    pub async fn deliver_now(&self, envelope: Value) -> bool {
        let body = envelope.to_string().into_bytes();
        let signature = sign(&self.inner.fake.app().consumer_secret, &body);
        let mut all = true;
        for url in self.inner.fake.webhook_urls() {
            self.lock().stats.in_flight += 1;
            all &= self
                .clone()
                .deliver_to(url, body.clone(), signature.clone())
                .await;
        }
        all
    }

    /// One delivery with Twitter's retries; whether it was answered 200.
    async fn deliver_to(self, url: String, body: Vec<u8>, signature: String) -> bool {
        let delivered = self.try_deliver(url, body, signature).await;
        self.lock().stats.in_flight -= 1;
        delivered
    }

    async fn try_deliver(&self, url: String, body: Vec<u8>, signature: String) -> bool {
        let delays = self.inner.config.retry_delays.clone();
        for attempt in 0..=delays.len() {
            let result = self
                .inner
                .http
                .post(&url)
                .header(SIGNATURE_HEADER, &signature)
                .header("content-type", "application/json")
                .timeout(self.inner.config.delivery_timeout)
                .body(body.clone())
                .send()
                .await;
            let status = result.as_ref().map(|r| r.status().as_u16()).ok();
            if status == Some(200) {
                self.lock().stats.delivered += 1;
                return true;
            }
            self.lock().stats.failed_attempts += 1;
            tracing::warn!(
                attempt,
                ?status,
                "simulator: webhook delivery not acknowledged"
            );
            match delays.get(attempt) {
                Some(wait) => tokio::time::sleep(*wait).await,
                None => break,
            }
        }
        self.lock().stats.dropped += 1;
        tracing::warn!("simulator: webhook delivery dropped after the last retry");
        false
    }
}

impl FeedItem {
    fn message(from: &str, event: Value, profile: Option<Value>) -> Self {
        Self {
            seq: 0,
            kind: "message".into(),
            from: from.into(),
            event: Some(event),
            profile,
        }
    }

    fn signal(kind: &str) -> Self {
        Self {
            seq: 0,
            kind: kind.into(),
            from: "bot".into(),
            event: None,
            profile: None,
        }
    }
}

fn empty_entities() -> Value {
    json!({"hashtags": [], "symbols": [], "user_mentions": [], "urls": []})
}

fn user_json(id: &str, name: &str, screen_name: &str) -> Value {
    json!({
        "id": id,
        "created_timestamp": "1422556069340",
        "name": name,
        "screen_name": screen_name,
        "protected": false,
        "verified": false,
        "profile_image_url_https": "https://pbs.twimg.com/profile_images/default_normal.png",
    })
}

/// `sha256=<base64(HMAC-SHA256(consumer secret, body))>`.
pub fn sign(consumer_secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(consumer_secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(body);
    format!("sha256={}", B64.encode(mac.finalize().into_bytes()))
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// The page and its endpoints

const PAGE_HTML: &str = include_str!("../page/index.html");
const PAGE_JS: &str = include_str!("../page/app.js");
const PAGE_CSS: &str = include_str!("../page/style.css");

async fn page_html() -> Response {
    ([("content-type", "text/html; charset=utf-8")], PAGE_HTML).into_response()
}

async fn page_js() -> Response {
    (
        [("content-type", "application/javascript; charset=utf-8")],
        PAGE_JS,
    )
        .into_response()
}

async fn page_css() -> Response {
    ([("content-type", "text/css; charset=utf-8")], PAGE_CSS).into_response()
}

/// Who is talking and the default welcome message.
async fn state_json(State(sim): State<Simulator>) -> Response {
    let fake = sim.fake();
    let welcome = fake
        .default_welcome()
        .map(|(id, data)| json!({"id": id, "message_data": data}));
    axum::Json(json!({
        "account": {"id": fake.owner().user_id, "name": sim.inner.config.account_name, "screen_name": fake.owner().screen_name},
        "customer": {"id": sim.inner.customer_id, "name": sim.inner.config.customer_name},
        "welcome": welcome,
        "deliveries": sim.delivery_stats(),
    }))
    .into_response()
}

#[derive(Deserialize)]
struct FeedQuery {
    #[serde(default)]
    after: u64,
}

/// Long poll: the items after `after`, waiting up to 25 s for one to exist.
async fn feed_json(State(sim): State<Simulator>, Query(q): Query<FeedQuery>) -> Response {
    let mut latest = sim.inner.latest.subscribe();
    let mut closing = sim.inner.closing.subscribe();
    tokio::select! {
        _ = tokio::time::timeout(FEED_WAIT, latest.wait_for(|seq| *seq > q.after)) => {}
        _ = closing.wait_for(|closed| *closed) => {}
    }
    let items: Vec<FeedItem> = sim.feed().into_iter().filter(|i| i.seq > q.after).collect();
    axum::Json(json!({"items": items})).into_response()
}

#[derive(Deserialize)]
struct CustomerMessage {
    text: String,
    #[serde(default)]
    quick_reply_metadata: Option<String>,
}

async fn customer_post(
    State(sim): State<Simulator>,
    axum::Json(m): axum::Json<CustomerMessage>,
) -> Response {
    if m.text.trim().is_empty() {
        return (http::StatusCode::BAD_REQUEST, "empty message").into_response();
    }
    let id = sim.customer_sends(&m.text, m.quick_reply_metadata.as_deref());
    axum::Json(json!({"id": id})).into_response()
}

#[derive(Deserialize)]
struct AgentMessage {
    text: String,
}

async fn agent_post(
    State(sim): State<Simulator>,
    axum::Json(m): axum::Json<AgentMessage>,
) -> Response {
    if m.text.trim().is_empty() {
        return (http::StatusCode::BAD_REQUEST, "empty message").into_response();
    }
    let id = sim.agent_sends(&m.text);
    axum::Json(json!({"id": id})).into_response()
}

/// An uploaded attachment, for the chat page. Served as the type its bytes show, never the type
/// the uploader declared: a declared "image" that is really HTML or SVG would otherwise run
/// script on the page's origin. Bytes of no known media type are offered as a download only.
async fn media_get(State(sim): State<Simulator>, Path(id): Path<String>) -> Response {
    match sim.fake().media_bytes(&id) {
        Some((_declared, bytes)) => media_response(bytes),
        None => (http::StatusCode::NOT_FOUND, "no such media").into_response(),
    }
}

fn media_response(bytes: Vec<u8>) -> Response {
    match sniffed_media_type(&bytes) {
        Some(media_type) => ([("content-type", media_type)], bytes).into_response(),
        None => (
            [
                ("content-type", "application/octet-stream"),
                ("content-disposition", "attachment"),
            ],
            bytes,
        )
            .into_response(),
    }
}

/// The media type of `bytes` from their signature: the image and video formats Twitter takes for
/// DMs (PNG, JPEG, GIF, WebP, MP4). `None` for anything else.
pub fn sniffed_media_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.len() >= 8 && &bytes[4..8] == b"ftyp" {
        Some("video/mp4")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn served_type(bytes: &[u8]) -> (String, Option<String>) {
        let response = media_response(bytes.to_vec());
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        (
            header("content-type").unwrap_or_default(),
            header("content-disposition"),
        )
    }

    #[test]
    fn media_is_served_as_its_bytes_show_not_as_the_uploader_declared() {
        let png = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../flows/media/size-chart.png"
        ))
        .expect("the example flow's image");
        assert_eq!(served_type(&png), ("image/png".into(), None));
        assert_eq!(served_type(b"GIF89a...."), ("image/gif".into(), None));
        assert_eq!(
            served_type(&[0xFF, 0xD8, 0xFF, 0xE0]),
            ("image/jpeg".into(), None)
        );
        // HTML or SVG uploaded as an "image" would run script on the chat page's origin.
        for hostile in [
            &b"<html><script>alert(1)</script>"[..],
            b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
            b"",
        ] {
            assert_eq!(
                served_type(hostile),
                ("application/octet-stream".into(), Some("attachment".into()))
            );
        }
    }
}
