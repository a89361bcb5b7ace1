//! In-process dispatch for `dmbot serve`: the embedded store plays the DynamoDB stream.
//!
//! New inbound messages arrive as notifications from [`EmbeddedStore::subscribe_inbound`];
//! what was pending at start (or missed by a lagging subscriber) comes from
//! [`EmbeddedStore::pending_inbound`]. Each batch goes to the same [`Dispatcher`] the Lambda
//! function uses. A message that cannot be finished now (a retryable failure, or another
//! dispatcher's live lease) is tried again after [`RETRY_AFTER`], as the stream would redeliver
//! it. On shutdown the batch in hand is finished; anything not yet handled stays pending in the
//! store file and is picked up at the next start.

use std::sync::Arc;
use std::time::{Duration, Instant};

use dmbot_shared::dispatch::Dispatcher;
use dmbot_shared::domain::InboundRecord;
use dmbot_shared::store::embedded::EmbeddedStore;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{mpsc, watch};

/// How long one batch may take (what a Lambda invocation's deadline is in AWS).
pub const BATCH_BUDGET: Duration = Duration::from_secs(30);

/// The pause before a message that could not be finished is tried again.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);

/// The most notifications taken into one batch.
const MAX_BATCH: usize = 16;

/// Runs until `stop` turns true, then returns after finishing the batch in hand.
pub async fn run(
    dispatcher: Arc<Dispatcher<EmbeddedStore>>,
    store: EmbeddedStore,
    mut stop: watch::Receiver<bool>,
) {
    let mut notes = store.subscribe_inbound();
    let (retry_tx, mut retry_rx) = mpsc::unbounded_channel::<InboundRecord>();
    let mut batch = pending(&store).await;
    if !batch.is_empty() {
        tracing::info!(
            count = batch.len(),
            "dispatching messages left pending by the last run"
        );
    }
    loop {
        if !batch.is_empty() {
            handle(&dispatcher, std::mem::take(&mut batch), &retry_tx).await;
        }
        if *stop.borrow() {
            break;
        }
        batch = tokio::select! {
            biased;
            _ = stop.changed() => break,
            note = notes.recv() => match note {
                Ok(record) => {
                    let mut batch = vec![record];
                    while batch.len() < MAX_BATCH {
                        match notes.try_recv() {
                            Ok(record) => batch.push(record),
                            Err(_) => break,
                        }
                    }
                    batch
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "dispatch fell behind; reading pending messages from the store");
                    pending(&store).await
                }
                Err(RecvError::Closed) => break,
            },
            Some(record) = retry_rx.recv() => vec![record],
        };
    }
    tracing::info!("dispatch stopped");
}

async fn pending(store: &EmbeddedStore) -> Vec<InboundRecord> {
    match store.pending_inbound().await {
        Ok(records) => records,
        Err(e) => {
            tracing::error!(error = %e, "could not list pending inbound messages");
            Vec::new()
        }
    }
}

async fn handle(
    dispatcher: &Dispatcher<EmbeddedStore>,
    batch: Vec<InboundRecord>,
    retry: &mpsc::UnboundedSender<InboundRecord>,
) {
    let deadline = Instant::now() + BATCH_BUDGET;
    let results = dispatcher.handle_batch(batch.clone(), deadline).await;
    for (record, result) in batch.into_iter().zip(results) {
        let again = match &result {
            Ok(handled) => {
                tracing::debug!(event = %record.message.event_id, ?handled, "dispatched");
                handled.needs_retry()
            }
            Err(e) if e.is_retryable() => {
                tracing::warn!(event = %record.message.event_id, error = %e, "dispatch will be retried");
                true
            }
            Err(e) => {
                tracing::error!(event = %record.message.event_id, error = %e, "dispatch failed for good (see dmbot failures)");
                false
            }
        };
        if again {
            let retry = retry.clone();
            tokio::spawn(async move {
                tokio::time::sleep(RETRY_AFTER).await;
                let _ = retry.send(record);
            });
        }
    }
}
