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
//!   the bot learns that a human took over. Messages sent through v2 come back the same way.
//! - **Formats.** A v1.1 webhook gets the Account Activity envelope; a `/2/webhooks` one gets,
//!   per matching subscription, that envelope (Account Activity v2) or one X Activity API event
//!   per POST (`dm.received`, `dm.sent`), each signed over its own bytes
//!   ([`TwitterApi::deliveries_for`]).
//! - The CRC is run by the API side when a webhook is registered (see
//!   [`TwitterApi::set_crc_check`]).
//!
//! The people: one simulated **customer** who writes to the account (text, a tap on a quick
//! reply, a first message opened from the default welcome message), and a human **agent** who
//! answers as the account from Twitter's web app.
//!
//! The page (`GET /`) shows the customer's side of the conversation and a pane for the agent; it
//! follows a long-poll feed (`GET /sim/api/feed?after=<seq>`) of everything that happened.
//!
//! Files: `delivery` (signed POSTs and Twitter's retries), `people` (the customer and the
//! agent, and the delivery envelope), `page` (the chat page and its endpoints).

mod delivery;
mod page;
mod people;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use crate::api::{Activity, TwitterApi};

pub use delivery::{DELIVERY_TIMEOUT, DeliveryStats, SIGNATURE_HEADER, TWITTER_RETRY_DELAYS, sign};
pub use page::sniffed_media_type;

/// Twitter's own web app: messages a person sends from twitter.com carry this `source_app_id`.
pub const TWITTER_WEB_APP_ID: &str = "258901";

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

struct Live {
    items: Vec<FeedItem>,
    stats: DeliveryStats,
    /// Whether the customer has written yet (the first message is sent from the welcome).
    customer_wrote: bool,
}

struct Inner {
    fake: TwitterApi,
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
        let (fake, api) = TwitterApi::detached(config.base_url.clone(), Some(tx));
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
        let router = page::router(sim.clone(), api);
        (sim, router)
    }

    /// The API side: credentials, stored state, request log, fault queue.
    pub fn api(&self) -> &TwitterApi {
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
