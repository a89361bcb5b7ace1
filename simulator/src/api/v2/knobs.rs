//! The test API of the v2 side on [`TwitterApi`]: its configuration, the clock, the billable
//! counts, the subscriptions, and a customer's message stored without a delivery.

use serde_json::json;

use super::state::{V2Config, V2Usage, XaaSubscription};
use crate::api::TwitterApi;
use crate::api::state::now_ms_string;

impl TwitterApi {
    /// The limits, windows and expiry the v2 endpoints enforce.
    pub fn v2_config(&self) -> V2Config {
        self.shared.lock().v2.config.clone()
    }

    /// Replaces them (windows already open keep their start; counts carry over).
    pub fn set_v2_config(&self, config: V2Config) {
        self.shared.lock().v2.config = config;
    }

    /// Moves the fake's clock forward by `secs` for the v2 rate-limit windows and the expiry
    /// of media (OAuth timestamps are still checked against the system clock).
    pub fn advance_clock(&self, secs: u64) {
        self.shared.lock().v2.clock_offset += secs;
    }

    /// The billable v2 calls and the 429s so far (price them with [`V2Usage::cost_usd`]).
    pub fn v2_usage(&self) -> V2Usage {
        self.shared.lock().v2.usage
    }

    /// The X Activity API subscriptions, by id.
    pub fn xaa_subscriptions(&self) -> Vec<XaaSubscription> {
        self.shared.lock().v2.xaa.values().cloned().collect()
    }

    /// The Account Activity v2 subscriptions: `(webhook_id, user_id)`.
    pub fn aaa_subscriptions(&self) -> Vec<(String, String)> {
        self.shared.lock().v2.aaa.iter().cloned().collect()
    }

    /// Stores a DM `sender` wrote to `recipient` (a customer writing to the account) without
    /// delivering it: after it the account may DM `sender` through v2. Returns the event id.
    pub fn record_incoming(&self, sender: &str, recipient: &str, text: &str) -> String {
        let id = self.next_event_id();
        self.record_message(json!({
            "type": "message_create",
            "id": id,
            "created_timestamp": now_ms_string(),
            "message_create": {
                "target": {"recipient_id": recipient},
                "sender_id": sender,
                "message_data": {"text": text, "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []}},
            },
        }));
        id
    }
}
