//! What the v2 side adds to the fake's state: its configuration (limits, windows, expiry), the
//! X Activity API and Account Activity v2 subscriptions, the rate-limit windows, the billable
//! counts and the offset of the fake's clock. Webhooks, uploads and messages are the shared ones
//! (`State::webhooks` with an empty `env` for the webhooks created through `/2/webhooks`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The numbers the v2 endpoints enforce. The defaults are X's (its rate-limit table, the Account
/// Activity tiers, the X Activity API limits, the media docs); a test (or issue 16's compressed time) sets others with
/// [`crate::api::TwitterApi::set_v2_config`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V2Config {
    /// DM sends (`POST /2/dm_conversations/...`) per user in the short window (15).
    pub dm_sends_per_user_short: u32,
    /// DM sends per user in the long window (1,440).
    pub dm_sends_per_user_long: u32,
    /// DM sends per app in the long window (1,440).
    pub dm_sends_per_app_long: u32,
    /// DM event lookups per user in the short window (15).
    pub dm_lookups_per_user_short: u32,
    /// The short window, in seconds (15 min).
    pub short_window_secs: u64,
    /// The long window, in seconds (24 h).
    pub long_window_secs: u64,
    /// How long an upload can be attached after INITIALIZE, in seconds (24 h).
    pub media_expiry_secs: u64,
    /// Webhooks per account through `/2/webhooks` (Pay Per Use: 1).
    pub max_webhooks: usize,
    /// Unique Account Activity v2 subscriptions (Pay Per Use: 3).
    pub max_aaa_subscriptions: usize,
    /// X Activity API subscriptions (self-serve: 1,500).
    pub max_xaa_subscriptions: usize,
}

impl Default for V2Config {
    fn default() -> Self {
        Self {
            dm_sends_per_user_short: 15,
            dm_sends_per_user_long: 1_440,
            dm_sends_per_app_long: 1_440,
            dm_lookups_per_user_short: 15,
            short_window_secs: 15 * 60,
            long_window_secs: 24 * 60 * 60,
            media_expiry_secs: 24 * 60 * 60,
            max_webhooks: 1,
            max_aaa_subscriptions: 3,
            max_xaa_subscriptions: 1_500,
        }
    }
}

/// An X Activity API subscription as stored (and answered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XaaSubscription {
    pub subscription_id: String,
    pub event_type: String,
    /// `filter.user_id` (empty for events without a user filter, such as `oauth.revoke`).
    pub user_id: String,
    /// `filter.direction` when given (`inbound` or `outbound`).
    pub direction: Option<String>,
    pub tag: Option<String>,
    pub webhook_id: Option<String>,
    pub created_at: String,
}

/// What the v2 endpoints call that X bills (its Pay-Per-Use pricing page), and the 429s they answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct V2Usage {
    /// `POST /2/dm_conversations/...` answered 201.
    pub dm_create: u64,
    /// DM events returned by lookups.
    pub dm_event_read: u64,
    /// X Activity API `dm.received` events delivered (made for a webhook).
    pub xaa_dm_received: u64,
    /// Requests the v2 rate limits refused with 429.
    pub rate_limited: u64,
}

/// X's Pay-Per-Use prices in US dollars, per billable unit (docs.x.com pricing, 2026).
pub const PRICES_USD: [(Billable, f64); 3] = [
    (Billable::DmCreate, 0.015),
    (Billable::DmEventRead, 0.010),
    (Billable::XaaDmReceived, 0.010),
];

/// A kind of billable call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Billable {
    /// DM Interaction: Create, per request.
    DmCreate,
    /// DM Event: Read, per event returned.
    DmEventRead,
    /// XAA `dm.received`, per event delivered.
    XaaDmReceived,
}

impl Billable {
    pub fn price_usd(self) -> f64 {
        PRICES_USD
            .iter()
            .find(|(kind, _)| *kind == self)
            .map_or(0.0, |(_, price)| *price)
    }
}

impl V2Usage {
    /// What the counted calls cost at [`PRICES_USD`].
    pub fn cost_usd(&self) -> f64 {
        self.dm_create as f64 * Billable::DmCreate.price_usd()
            + self.dm_event_read as f64 * Billable::DmEventRead.price_usd()
            + self.xaa_dm_received as f64 * Billable::XaaDmReceived.price_usd()
    }
}

/// A fixed rate-limit window: how many calls since `start`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub(crate) start: u64,
    pub(crate) used: u32,
}

#[derive(Default)]
pub(crate) struct V2State {
    pub(crate) config: V2Config,
    /// Added to the system clock for v2 windows and media expiry (not for OAuth timestamps).
    pub(crate) clock_offset: u64,
    pub(crate) xaa: BTreeMap<String, XaaSubscription>,
    /// Account Activity v2: `(webhook_id, user_id)`.
    pub(crate) aaa: BTreeSet<(String, String)>,
    /// Rate-limit windows by key (`"dm_send:user:<id>:short"`, ...).
    pub(crate) windows: HashMap<String, Window>,
    pub(crate) usage: V2Usage,
}
