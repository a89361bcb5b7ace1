//! The dispatch lanes of `dmbot serve`: the embedded store plays the DynamoDB stream and the
//! lanes feed its messages to the one [`Dispatcher`] (the Lambda function's); they are not a
//! second dispatcher.
//!
//! New inbound messages arrive as notifications from [`EmbeddedStore::subscribe_inbound`];
//! what was pending at start (or missed by a lagging subscriber) comes from
//! [`EmbeddedStore::pending_inbound`]. Like the stream's shards, messages are spread over
//! [`LANES`] lanes by conversation: a conversation always goes to the same lane, a lane hands
//! one batch at a time to the same [`Dispatcher`] the Lambda function uses, and the lanes run
//! concurrently. So one conversation's messages are answered in order while many conversations
//! are answered at once.
//!
//! A message that cannot be finished now is put off by the dispatcher (a rate limit until its
//! reset, a failure that may pass with a growing backoff: the time is written on the message)
//! and this lane tries it again at that time; a message the dispatcher could not even put off
//! is tried again after [`RETRY_AFTER`]. Until then the later messages of its conversation wait
//! behind it (other conversations of the lane go on). Messages put off before a restart come
//! back at their time too: the pending scan at start routes them, and the dispatcher puts a
//! message that is not due yet off again, to the same time.
//! On shutdown each lane finishes the batch in hand; anything not yet handled stays pending in
//! the store file and is picked up at the next start.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dmbot_shared::dispatch::{DispatchError, Dispatcher, Handled};
use dmbot_shared::domain::{ConversationKey, InboundRecord, now_ms};
use dmbot_shared::store::embedded::EmbeddedStore;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{mpsc, watch};

/// How long one batch may take (what a Lambda invocation's deadline is in AWS).
pub const BATCH_BUDGET: Duration = Duration::from_secs(30);

/// The pause before a message that could not be finished, nor put off, is tried again.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);

/// How many lanes (batches in flight at once).
pub const LANES: usize = 16;

/// The most messages one lane takes into one batch.
const MAX_BATCH: usize = 16;

/// What a lane is told. (Not boxed: each message is moved once, straight into a batch.)
#[allow(clippy::large_enum_variant)]
enum LaneMsg {
    /// A message to answer.
    New(InboundRecord),
    /// The retry pause of this conversation is over.
    Retry(ConversationKey),
}

/// Runs until `stop` turns true, then returns once every lane has finished its batch in hand.
pub async fn run(
    dispatcher: Arc<Dispatcher<EmbeddedStore>>,
    store: EmbeddedStore,
    mut stop: watch::Receiver<bool>,
) {
    let mut notes = store.subscribe_inbound();
    let hasher = std::hash::RandomState::new();
    let mut lanes = Vec::with_capacity(LANES);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..LANES {
        let (tx, rx) = mpsc::unbounded_channel();
        workers.spawn(lane(dispatcher.clone(), rx, tx.clone(), stop.clone()));
        lanes.push(tx);
    }
    let route = |record: InboundRecord| {
        let lane = (hasher.hash_one(&record.message.conversation) as usize) % LANES;
        // A lane only goes away at shutdown; the message then stays pending in the store.
        let _ = lanes[lane].send(LaneMsg::New(record));
    };

    // The only dispatcher on this file: leases in it are a dead process's.
    match store.release_leases().await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            released = n,
            "the last run ended while dispatching; its messages are taken over"
        ),
        Err(e) => tracing::error!(error = %e, "could not release the last run's leases"),
    }
    let pending_at_start = pending(&store).await;
    if !pending_at_start.is_empty() {
        tracing::info!(
            count = pending_at_start.len(),
            "dispatching messages left pending by the last run"
        );
    }
    pending_at_start.into_iter().for_each(route);
    loop {
        if *stop.borrow() {
            break;
        }
        tokio::select! {
            biased;
            _ = stop.changed() => break,
            note = notes.recv() => match note {
                Ok(record) => route(record),
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "dispatch fell behind; reading pending messages from the store");
                    pending(&store).await.into_iter().for_each(route);
                }
                Err(RecvError::Closed) => break,
            },
        }
    }
    drop(lanes);
    while workers.join_next().await.is_some() {}
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

/// One lane: takes what has queued up (at most [`MAX_BATCH`] messages), dispatches it as one
/// batch, repeats. Conversations waiting for a retry keep their later messages here.
async fn lane(
    dispatcher: Arc<Dispatcher<EmbeddedStore>>,
    mut inbox: mpsc::UnboundedReceiver<LaneMsg>,
    me: mpsc::UnboundedSender<LaneMsg>,
    mut stop: watch::Receiver<bool>,
) {
    let mut waiting: HashMap<ConversationKey, Vec<InboundRecord>> = HashMap::new();
    loop {
        let first = tokio::select! {
            biased;
            _ = stop.changed() => break,
            msg = inbox.recv() => match msg {
                Some(msg) => msg,
                None => break,
            },
        };
        let mut batch = Vec::new();
        take(first, &mut batch, &mut waiting);
        while batch.len() < MAX_BATCH {
            match inbox.try_recv() {
                Ok(msg) => take(msg, &mut batch, &mut waiting),
                Err(_) => break,
            }
        }
        if batch.is_empty() {
            continue;
        }
        for (record, wait) in handle(&dispatcher, batch).await {
            match waiting.entry(record.message.conversation.clone()) {
                Entry::Occupied(mut held) => held.get_mut().push(record),
                Entry::Vacant(slot) => {
                    let conversation = slot.key().clone();
                    slot.insert(vec![record]);
                    let me = me.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(wait).await;
                        let _ = me.send(LaneMsg::Retry(conversation));
                    });
                }
            }
        }
        if *stop.borrow() {
            break;
        }
    }
}

/// Adds what `msg` brings to `batch`: a new message, unless its conversation waits for a retry
/// (it then waits too), or every message of a conversation whose retry is due.
fn take(
    msg: LaneMsg,
    batch: &mut Vec<InboundRecord>,
    waiting: &mut HashMap<ConversationKey, Vec<InboundRecord>>,
) {
    match msg {
        LaneMsg::New(record) => match waiting.get_mut(&record.message.conversation) {
            Some(held) => held.push(record),
            None => batch.push(record),
        },
        LaneMsg::Retry(conversation) => {
            batch.extend(waiting.remove(&conversation).unwrap_or_default());
        }
    }
}

/// Dispatches `batch` and returns the messages to try again later, each with how long to
/// wait (in input order: a conversation's first one decides when its messages come back).
async fn handle(
    dispatcher: &Dispatcher<EmbeddedStore>,
    batch: Vec<InboundRecord>,
) -> Vec<(InboundRecord, Duration)> {
    let deadline = Instant::now() + BATCH_BUDGET;
    let results = dispatcher.handle_batch(batch.clone(), deadline).await;
    let mut again = Vec::new();
    for (record, result) in batch.into_iter().zip(results) {
        if let Some(wait) = retry_after(&result, now_ms()) {
            again.push((record, wait));
        }
    }
    again
}

/// When a message whose dispatch came to `result` (at `now_ms`) is tried again; None: never
/// (it is done, or failed for good).
fn retry_after(result: &Result<Handled, DispatchError>, now_ms: u64) -> Option<Duration> {
    match result {
        Ok(Handled::Deferred { until_ms, reason }) => {
            tracing::info!(until_ms, %reason, "put off");
            Some(Duration::from_millis(until_ms.saturating_sub(now_ms)))
        }
        Ok(handled) if handled.needs_retry() => Some(RETRY_AFTER),
        Ok(handled) => {
            tracing::debug!(?handled, "dispatched");
            None
        }
        Err(e) if e.is_retryable() => {
            tracing::warn!(error = %e, "dispatch will be retried");
            Some(RETRY_AFTER)
        }
        Err(e) => {
            tracing::error!(error = %e, "dispatch failed for good (see dmbot failures)");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(customer: &str, event: &str) -> InboundRecord {
        serde_json::from_value(serde_json::json!({
            "message": {
                "conversation": {"account": "1", "customer": customer},
                "event_id": event,
                "created_ms": 1,
                "text": "hi",
            },
            "received_ms": 1,
            "status": {"status": "pending"},
        }))
        .expect("a valid record")
    }

    #[test]
    fn a_conversation_waiting_for_a_retry_holds_its_new_messages_until_the_retry() {
        let mut waiting = HashMap::new();
        let mut batch = Vec::new();
        let held = record("2", "10");
        waiting.insert(held.message.conversation.clone(), vec![held.clone()]);

        take(LaneMsg::New(record("2", "11")), &mut batch, &mut waiting);
        take(LaneMsg::New(record("3", "12")), &mut batch, &mut waiting);
        assert_eq!(
            batch,
            vec![record("3", "12")],
            "only the free conversation goes"
        );

        take(
            LaneMsg::Retry(held.message.conversation.clone()),
            &mut batch,
            &mut waiting,
        );
        assert_eq!(
            batch,
            vec![record("3", "12"), record("2", "10"), record("2", "11")]
        );
        assert!(waiting.is_empty());
    }

    #[test]
    fn a_message_put_off_comes_back_at_its_time_and_others_after_the_short_pause() {
        let deferred = Ok(Handled::Deferred {
            until_ms: 1_000 + 20 * 60 * 1000,
            reason: "rate limited".into(),
        });
        assert_eq!(
            retry_after(&deferred, 1_000),
            Some(Duration::from_secs(20 * 60))
        );
        assert_eq!(retry_after(&Ok(Handled::Busy), 1_000), Some(RETRY_AFTER));
        assert_eq!(retry_after(&Ok(Handled::Silent), 1_000), None);
        let permanent = Err(DispatchError::Permanent {
            conversation: "1/2".into(),
            event: "3".into(),
            reason: "blocked".into(),
        });
        assert_eq!(retry_after(&permanent, 1_000), None);
    }

    #[test]
    fn a_retry_of_a_conversation_nobody_waits_for_adds_nothing() {
        let mut waiting = HashMap::new();
        let mut batch = Vec::new();
        let key = record("2", "10").message.conversation;
        take(LaneMsg::Retry(key), &mut batch, &mut waiting);
        assert!(batch.is_empty());
    }
}
