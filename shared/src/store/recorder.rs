//! [`Recorder`]: the CRC and webhook functions' health trace for `dmbot webhook status` and the
//! watchdog's silence check. At most one write per [`HEALTH_RECORD_INTERVAL_MS`] per process,
//! each in a spawned task after the answer is computed, so a record never delays or fails the
//! request it describes: a failed write is a warning in the log, nothing more.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::health::{HEALTH_RECORD_INTERVAL_MS, Health, Throttle};

/// Records CRC answers and deliveries into a [`Health`] store, throttled and off the request
/// path. Clones share the throttle.
#[derive(Clone)]
pub struct Recorder<H> {
    store: H,
    throttle: Arc<Throttle>,
    delay: Duration,
}

impl<H: Health + Clone + 'static> Recorder<H> {
    pub fn new(store: H) -> Self {
        Self {
            store,
            throttle: Arc::new(Throttle::new()),
            delay: Duration::ZERO,
        }
    }

    /// Waits `delay` before each write. On a one-thread runtime (the CRC function) a task that
    /// started at once would share the thread with the answer still being posted.
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// A CRC was answered at `at_ms` in `latency_us`: recorded unless one was recorded in the
    /// last interval.
    /// Returns the write's task when there is one (callers need not wait for it).
    pub fn crc_answered(&self, at_ms: u64, latency_us: u64) -> Option<JoinHandle<()>> {
        if !self
            .throttle
            .should_record(at_ms, HEALTH_RECORD_INTERVAL_MS)
        {
            return None;
        }
        let (store, delay) = (self.store.clone(), self.delay);
        Some(tokio::spawn(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if let Err(e) = store.record_crc(at_ms, latency_us).await {
                tracing::warn!(error = %e, "could not record the CRC answer for `dmbot webhook status`");
            }
        }))
    }

    /// A delivery was accepted at `at_ms`: recorded unless one was recorded in the last
    /// interval.
    /// Returns the write's task when there is one (callers need not wait for it).
    pub fn delivery_received(&self, at_ms: u64) -> Option<JoinHandle<()>> {
        if !self
            .throttle
            .should_record(at_ms, HEALTH_RECORD_INTERVAL_MS)
        {
            return None;
        }
        let (store, delay) = (self.store.clone(), self.delay);
        Some(tokio::spawn(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if let Err(e) = store.record_delivery(at_ms).await {
                tracing::warn!(error = %e, "could not record the delivery time for `dmbot webhook status`");
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::MemoryStore;

    #[tokio::test]
    async fn one_record_per_interval_of_each_kind_reaches_the_store() {
        let store = MemoryStore::new();
        let recorder = Recorder::new(store.clone());
        recorder.delivery_received(1_000).unwrap().await.unwrap();
        assert!(recorder.delivery_received(2_000).is_none(), "throttled");
        let health = store.get_health().await.unwrap();
        assert_eq!(health.last_delivery_ms, Some(1_000));
        let later = 1_000 + HEALTH_RECORD_INTERVAL_MS;
        recorder.delivery_received(later).unwrap().await.unwrap();
        assert_eq!(
            store.get_health().await.unwrap().last_delivery_ms,
            Some(later)
        );
        let crc = Recorder::new(store.clone()).with_delay(Duration::from_millis(1));
        crc.crc_answered(5_000, 42).unwrap().await.unwrap();
        let health = store.get_health().await.unwrap();
        assert_eq!(health.last_crc_ms, Some(5_000));
        assert_eq!(health.last_crc_latency_us, Some(42));
    }
}
