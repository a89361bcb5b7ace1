//! Deliveries to the webhook as Twitter makes them (in the format of each webhook's subscriptions,
//! see [`TwitterApi::deliveries_for`]): every POST signed over the exact bytes sent,
//! retried after roughly 3 s, 27 s and 242 s when not answered 200 in time, then dropped; and
//! the counts of what happened.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Simulator;
#[cfg(doc)]
use crate::api::TwitterApi;

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

impl Simulator {
    /// Sends `envelope` to every valid webhook, signed, retrying as Twitter does. Runs in the
    /// background; [`Simulator::delivery_stats`] counts the outcome.
    pub fn deliver(&self, envelope: Value) {
        for (url, body, signature) in self.signed_deliveries(&envelope) {
            let sim = self.clone();
            self.lock().stats.in_flight += 1;
            tokio::spawn(async move { sim.deliver_to(url, body, signature).await });
        }
    }

    /// What each valid webhook gets for `envelope` (the envelope itself for v1.1 webhooks; for
    /// v2 webhooks the formats of their subscriptions, see [`TwitterApi::deliveries_for`]),
    /// each body with its signature.
    fn signed_deliveries(&self, envelope: &Value) -> Vec<(String, Vec<u8>, String)> {
        let secret = self.inner.fake.app().consumer_secret.clone();
        self.inner
            .fake
            .deliveries_for(envelope)
            .into_iter()
            .map(|d| {
                let body = d.body.to_string().into_bytes();
                let signature = sign(&secret, &body);
                (d.url, body, signature)
            })
            .collect()
    }

    /// Delivers `envelope` to every valid webhook as [`Simulator::deliver`] does, retries
    /// included, and returns once each is answered 200 (true) or given up (false).
    pub async fn deliver_now(&self, envelope: Value) -> bool {
        let mut all = true;
        for (url, body, signature) in self.signed_deliveries(&envelope) {
            self.lock().stats.in_flight += 1;
            all &= self.clone().deliver_to(url, body, signature).await;
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

/// `sha256=<base64(HMAC-SHA256(consumer secret, body))>`.
pub fn sign(consumer_secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(consumer_secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(body);
    format!("sha256={}", B64.encode(mac.finalize().into_bytes()))
}
