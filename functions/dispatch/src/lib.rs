//! λ dispatch, the part worth testing: a DynamoDB stream event in, a partial batch response
//! out.
//!
//! Lambda delivers the table's stream in batches (`{"Records":[...]}`, each record's
//! `dynamodb.NewImage` in DynamoDB's attribute-value JSON). The event-source mapping filters
//! them to new customer messages (see [`STREAM_FILTERS`]), and `FunctionResponseTypes:
//! [ReportBatchItemFailures]` lets us return the sequence numbers of the records to deliver
//! again ([`BatchResponse`], `aws_lambda_events`' type): Lambda then retries from the lowest one, and records after it that
//! were handled are skipped on redelivery (already answered).
//!
//! Why our own small event types instead of `aws_lambda_events`' DynamoDB event: that feature pulls
//! in `serde_dynamo`, and one bad record would fail the whole event's deserialization. Here
//! each record is decoded on its own ([`decode_record`]), so an undecodable one is logged and
//! skipped: a poison record never blocks its shard. The image is read through
//! [`ItemView`] by the same [`decode_inbound_item`] the store uses.

use std::collections::HashMap;
use std::time::Instant;

use dmbot_shared::dispatch::{Dispatcher, Store};
use dmbot_shared::domain::{InboundRecord, now_ms};
use dmbot_shared::store::StoreError;
use dmbot_shared::store::dynamodb::{
    ItemView, KIND_INBOUND, STREAM_FILTER_NEW_INBOUND, STREAM_FILTER_REDRIVE, decode_inbound_item,
};
use lambda_runtime::LambdaEvent;
use serde::Deserialize;
use serde_json::Value;

/// The event-source filters this function relies on (for `template.yaml`'s
/// `FilterCriteria`): new inbound messages, and messages redriven by `dmbot failures redrive`.
pub const STREAM_FILTERS: [&str; 2] = [STREAM_FILTER_NEW_INBOUND, STREAM_FILTER_REDRIVE];

/// The stream event, each record kept as raw JSON so that they decode one by one.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StreamEvent {
    #[serde(rename = "Records", default)]
    pub records: Vec<Value>,
}

#[derive(Debug, Deserialize)]
struct RawRecord {
    #[serde(rename = "eventName", default)]
    event_name: Option<String>,
    #[serde(default)]
    dynamodb: Option<RawChange>,
}

#[derive(Debug, Deserialize)]
struct RawChange {
    #[serde(rename = "NewImage", default)]
    new_image: HashMap<String, Value>,
    #[serde(rename = "SequenceNumber", default)]
    sequence_number: Option<String>,
}

/// A stream image (`{"attr": {"S": "..."}, "n": {"N": "12"}}`) as an [`ItemView`].
#[derive(Debug, Clone, Default)]
pub struct StreamImage(pub HashMap<String, Value>);

impl ItemView for StreamImage {
    fn string_attr(&self, name: &str) -> Option<&str> {
        self.0.get(name)?.get("S")?.as_str()
    }
    fn number_attr(&self, name: &str) -> Option<&str> {
        self.0.get(name)?.get("N")?.as_str()
    }
}

/// What one stream record holds for the dispatcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// An inbound message to handle; `sequence_number` identifies the record in the batch
    /// response.
    Message {
        sequence_number: Option<String>,
        record: Box<InboundRecord>,
    },
    /// Not for us (another kind of item, a removal) or undecodable: logged and skipped.
    Skip { reason: String },
}

/// Decodes one stream record.
pub fn decode_record(raw: &Value) -> Decoded {
    let parsed: RawRecord = match serde_json::from_value(raw.clone()) {
        Ok(r) => r,
        Err(e) => {
            return Decoded::Skip {
                reason: format!("not a DynamoDB stream record: {e}"),
            };
        }
    };
    if parsed.event_name.as_deref() == Some("REMOVE") {
        return Decoded::Skip {
            reason: "a removal".into(),
        };
    }
    let Some(change) = parsed.dynamodb else {
        return Decoded::Skip {
            reason: "the record has no `dynamodb` change".into(),
        };
    };
    let image = StreamImage(change.new_image);
    if image.string_attr("kind") != Some(KIND_INBOUND) {
        return Decoded::Skip {
            reason: format!(
                "item kind {:?} is not an inbound message (check the stream filter)",
                image.string_attr("kind")
            ),
        };
    }
    match decode_inbound_item(&image) {
        Ok(record) => Decoded::Message {
            sequence_number: change.sequence_number,
            record: Box::new(record),
        },
        Err(e) => Decoded::Skip {
            reason: e.to_string(),
        },
    }
}

/// The partial batch response, `{"batchItemFailures":[{"itemIdentifier":"<sequence number>"}]}`:
/// `aws_lambda_events`' own type (feature `streams`, which adds no dependency).
pub use aws_lambda_events::streams::{
    DynamoDbBatchItemFailure, DynamoDbEventResponse as BatchResponse,
};

/// Handles a stream event before `deadline`: decodes every record, dispatches the messages
/// ([`Dispatcher::handle_batch`]: one conversation in order, conversations concurrently), and
/// reports as failures only the records that must come back and could not be put off (the
/// deferral write failed). A message put off (rate limited past the deadline, a failure that
/// may pass, busy elsewhere) is not a failure: the scheduled re-drive ([`redrive_due`]) brings
/// it back at its time. Permanent failures are recorded on the message and not reported: the
/// shard moves on.
pub async fn handle_stream_event<S: Store + Clone + Send + Sync + 'static>(
    dispatcher: &Dispatcher<S>,
    event: &StreamEvent,
    deadline: Instant,
) -> BatchResponse {
    let mut sequence_numbers = Vec::new();
    let mut records = Vec::new();
    for raw in &event.records {
        match decode_record(raw) {
            Decoded::Message {
                sequence_number,
                record,
            } => {
                sequence_numbers.push(sequence_number);
                records.push(*record);
            }
            Decoded::Skip { reason } => {
                tracing::warn!(%reason, "skipping a stream record");
            }
        }
    }
    let results = dispatcher.handle_batch(records, deadline).await;
    let mut failures = Vec::new();
    for (sequence_number, result) in sequence_numbers.into_iter().zip(results) {
        let retry = match &result {
            Ok(handled) => handled.needs_retry(),
            Err(e) => e.is_retryable(),
        };
        if !retry {
            continue;
        }
        match sequence_number {
            Some(n) => {
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = Some(n);
                failures.push(failure);
            }
            None => {
                tracing::error!("a record to retry has no sequence number; it cannot be reported")
            }
        }
    }
    let mut response = BatchResponse::default();
    response.batch_item_failures = failures;
    response
}

/// How many put-off messages one read of the deferred index takes.
const REDRIVE_BATCH: usize = 100;

/// What the function was invoked with.
#[derive(Debug, Clone)]
pub enum Invocation {
    /// A batch of the table's stream.
    Stream(StreamEvent),
    /// The schedule's tick (EventBridge): re-drive the messages whose deferral is over.
    Schedule,
    /// Anything else: logged and ignored.
    Unknown,
}

impl Invocation {
    /// Tells the stream's batch (`Records`) from the schedule's event (`detail-type`
    /// `Scheduled Event`).
    pub fn from_payload(payload: serde_json::Value) -> Self {
        if payload.get("Records").is_some() {
            return match serde_json::from_value(payload) {
                Ok(event) => Invocation::Stream(event),
                Err(e) => {
                    tracing::error!(error = %e, "a stream event of an unexpected shape");
                    Invocation::Unknown
                }
            };
        }
        if payload.get("detail-type").and_then(Value::as_str) == Some("Scheduled Event") {
            return Invocation::Schedule;
        }
        Invocation::Unknown
    }
}

/// The scheduled re-drive: every message put off until `now_ms` or earlier gets `redrive`, so
/// the stream brings it to the dispatcher (in conversation order: one conversation's messages
/// are re-driven in due order, then event order, as they were put off). Returns how many.
pub async fn redrive_due<S: Store>(store: &S, now_ms: u64) -> Result<usize, StoreError> {
    let mut total = 0;
    loop {
        let taken = store.take_due_deferred(now_ms, REDRIVE_BATCH).await?;
        total += taken.len();
        if taken.len() < REDRIVE_BATCH {
            if total > 0 {
                tracing::info!(redriven = total, "messages put off are due: re-driven");
            }
            return Ok(total);
        }
    }
}

/// One invocation: a stream batch (answered with the records to deliver again), the
/// schedule's tick (answered with how many messages were re-driven), or anything else (logged,
/// answered `null`).
pub async fn handle<S: Store + Clone + Send + Sync + 'static>(
    dispatcher: &Dispatcher<S>,
    event: LambdaEvent<Value>,
) -> Result<Value, lambda_runtime::Error> {
    let deadline = deadline_from_epoch_ms(event.context.deadline, now_ms());
    match Invocation::from_payload(event.payload) {
        Invocation::Stream(batch) => {
            let response = handle_stream_event(dispatcher, &batch, deadline).await;
            Ok(serde_json::to_value(response)?)
        }
        Invocation::Schedule => {
            let redriven = redrive_due(dispatcher.store(), now_ms()).await?;
            Ok(serde_json::json!({ "redriven": redriven }))
        }
        Invocation::Unknown => {
            tracing::warn!("an invocation that is neither the stream nor the schedule");
            Ok(Value::Null)
        }
    }
}

/// The deadline of an invocation as an [`Instant`], from Lambda's epoch-milliseconds deadline.
pub fn deadline_from_epoch_ms(deadline_ms: u64, now_ms: u64) -> Instant {
    Instant::now() + std::time::Duration::from_millis(deadline_ms.saturating_sub(now_ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedules_tick_and_the_streams_batch_are_told_apart() {
        let tick = serde_json::json!({
            "version": "0", "id": "53dc4d37", "detail-type": "Scheduled Event",
            "source": "aws.events", "time": "2026-11-28T22:30:00Z", "detail": {}
        });
        assert!(matches!(
            Invocation::from_payload(tick),
            Invocation::Schedule
        ));
        let batch = serde_json::json!({"Records": []});
        assert!(matches!(
            Invocation::from_payload(batch),
            Invocation::Stream(_)
        ));
        let other = serde_json::json!({"hello": 1});
        assert!(matches!(
            Invocation::from_payload(other),
            Invocation::Unknown
        ));
    }

    fn sample() -> Value {
        serde_json::from_str(include_str!(
            "../../../tests/fixtures/dispatch_stream_event.json"
        ))
        .unwrap()
    }

    #[test]
    fn the_sample_stream_event_decodes_into_an_inbound_message_with_its_sequence_number() {
        let event: StreamEvent = serde_json::from_value(sample()).unwrap();
        let decoded = decode_record(&event.records[0]);
        match decoded {
            Decoded::Message {
                sequence_number,
                record,
            } => {
                assert_eq!(
                    sequence_number.as_deref(),
                    Some("4421584500000000017450439091")
                );
                assert_eq!(record.message.text, "Hello");
                assert_eq!(record.message.conversation.customer.as_str(), "3001969357");
            }
            Decoded::Skip { reason } => panic!("skipped: {reason}"),
        }
    }

    #[test]
    fn an_undecodable_image_is_skipped_not_failed() {
        let mut raw = sample()["Records"][0].clone();
        raw["dynamodb"]["NewImage"]["message"] = serde_json::json!({"S": "{not json"});
        assert!(matches!(decode_record(&raw), Decoded::Skip { .. }));
        assert!(matches!(
            decode_record(&serde_json::json!("garbage")),
            Decoded::Skip { .. }
        ));
    }

    #[test]
    fn other_item_kinds_are_skipped() {
        let mut raw = sample()["Records"][0].clone();
        raw["dynamodb"]["NewImage"]["kind"] = serde_json::json!({"S": "conversation"});
        assert!(matches!(decode_record(&raw), Decoded::Skip { .. }));
    }

    #[test]
    fn the_batch_response_has_lambdas_field_names() {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = Some("12".into());
        let mut r = BatchResponse::default();
        r.batch_item_failures = vec![failure];
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({"batchItemFailures":[{"itemIdentifier":"12"}]})
        );
    }
}
