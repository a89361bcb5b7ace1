//! The stack's background work: the dispatch lanes ([`super::lanes`]), the hourly sweep of
//! expired data and the removal of revoked accounts' data. All stop when `stop` turns true.

use std::sync::Arc;
use std::time::Duration;

use dmbot_shared::dispatch::Dispatcher;
use dmbot_shared::forget;
use dmbot_shared::store::embedded::EmbeddedStore;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{lanes, now_ms};

/// How often `serve` removes expired data from its store (and once at start).
const SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// How often `serve` removes the data of revoked accounts (and once at start), as the
/// watchdog does in AWS: the webhook only deletes the tokens and queues the rest.
const FORGET_EVERY: Duration = Duration::from_secs(5);

/// The running background tasks.
pub(crate) struct Workers {
    lanes: JoinHandle<()>,
    sweep: JoinHandle<()>,
    forget: JoinHandle<()>,
}

/// Starts the lanes, the sweep and the revoked-data removal.
pub(crate) fn spawn_workers(
    dispatcher: Arc<Dispatcher<EmbeddedStore>>,
    store: &EmbeddedStore,
    stop: &watch::Receiver<bool>,
) -> Workers {
    Workers {
        sweep: tokio::spawn(sweep(store.clone(), stop.clone())),
        forget: tokio::spawn(forget_revoked(store.clone(), stop.clone())),
        lanes: tokio::spawn(lanes::run(dispatcher, store.clone(), stop.clone())),
    }
}

impl Workers {
    /// Waits for every task to finish (after `stop` turned true): the lanes finish the batch
    /// in hand.
    pub async fn join(self) {
        for (task, what) in [
            (self.lanes, "the dispatch task"),
            (self.sweep, "the sweep task"),
            (self.forget, "the revoked-data removal task"),
        ] {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "{what} failed");
            }
        }
    }
}

/// Removes what has expired (old messages and markers, media ids, abandoned sign-ins; see
/// [`EmbeddedStore::sweep_expired`]) at start and then every [`SWEEP_EVERY`], until `stop`.
async fn sweep(store: EmbeddedStore, mut stop: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(SWEEP_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        match store.sweep_expired(now_ms()).await {
            Ok(0) => tracing::debug!("sweep: nothing has expired"),
            Ok(removed) => tracing::info!(
                removed,
                "sweep: removed expired messages, sent markers, media ids and sign-ins"
            ),
            Err(e) => tracing::warn!(
                error = %e,
                "sweep: removing expired data failed; it is tried again within the hour"
            ),
        }
    }
}

/// Runs [`forget::run_pending`] at start and then every [`FORGET_EVERY`], until `stop`.
async fn forget_revoked(store: EmbeddedStore, mut stop: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(FORGET_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        let deadline = std::time::Instant::now() + FORGET_EVERY;
        match forget::run_pending(&store, deadline).await {
            Ok(report) if report == forget::ForgetReport::default() => {}
            Ok(report) => tracing::info!(?report, "removed revoked accounts' data"),
            Err(e) => tracing::warn!(
                error = %e,
                "removing revoked accounts' data failed; it is tried again shortly"
            ),
        }
    }
}
