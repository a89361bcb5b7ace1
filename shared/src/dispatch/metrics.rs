//! What handling one message came to and cost, published as CloudWatch metrics
//! (`DispatchConfig::emf`, [`crate::telemetry::emf`]): every billable call the dispatcher counts
//! while the message is handled is also added to the message's [`Tally`] (a task-local value
//! around [`measured`]), with the 429s received and whether the spend cap paused it.
//!
//! Per message: `AnsweredDMs` (1 when a reply went out), `XCalls` and `SpendUSD` (its billable
//! calls and their price; the webhook's received delivery is counted in the store, not here),
//! `DeferredMessages`, `CoalescedMessages`, `WaitMs` (the customer's message to its reply),
//! `RateLimited` (429s), `SendingPaused`. Calls and spend per answered DM are
//! `XCalls / AnsweredDMs` and `SpendUSD / AnsweredDMs` (metric math; OPERATIONS.md).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;

use super::{DispatchError, Dispatcher, Handled, Store};
use crate::domain::{InboundRecord, now_ms};
use crate::store::prices::PriceTable;
use crate::store::usage::BillableKind;
use crate::telemetry::emf::{self, Emf};

/// The billable calls and 429s of one message's handling.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Tally {
    pub calls: BTreeMap<BillableKind, u32>,
    pub rate_limited: u32,
    pub sending_paused: bool,
}

impl Tally {
    pub fn total_calls(&self) -> u32 {
        self.calls.values().sum()
    }
}

tokio::task_local! {
    static TALLY: RefCell<Tally>;
}

/// Runs `work` with a fresh tally and returns both.
pub(super) async fn measured<T>(work: impl Future<Output = T>) -> (T, Tally) {
    let (out, cell) = TALLY
        .scope(RefCell::new(Tally::default()), async move {
            let out = work.await;
            let tally = TALLY.with(|t| t.take());
            (out, tally)
        })
        .await;
    (out, cell)
}

/// Adds `n` calls of `kind` to the current message's tally (none outside [`measured`]).
pub(super) fn add_call(kind: BillableKind, n: u32) {
    let _ = TALLY.try_with(|t| {
        *t.borrow_mut().calls.entry(kind).or_default() += n;
    });
}

/// Notes that the daily spend cap paused the current message.
pub(super) fn add_sending_paused() {
    let _ = TALLY.try_with(|t| t.borrow_mut().sending_paused = true);
}

/// Notes a 429 received while handling the current message.
pub(super) fn add_rate_limited() {
    let _ = TALLY.try_with(|t| t.borrow_mut().rate_limited += 1);
}

impl<S: Store + Clone + Send + Sync + 'static> Dispatcher<S> {
    /// Publishes what handling `record` came to and cost (when `DispatchConfig::emf` is on).
    pub(super) fn publish(
        &self,
        record: &InboundRecord,
        outcome: &Result<Handled, DispatchError>,
        tally: &Tally,
    ) {
        if self.config.emf {
            message_metrics(&self.config.prices, record, outcome, tally, now_ms()).emit();
        }
    }
}

/// The metrics of one message, as of `now_ms`.
fn message_metrics(
    prices: &PriceTable,
    record: &InboundRecord,
    outcome: &Result<Handled, DispatchError>,
    tally: &Tally,
    now_ms: u64,
) -> Emf {
    let mut emf = Emf::new(emf::DISPATCH_FUNCTION);
    let spend: f64 = tally
        .calls
        .iter()
        .map(|(kind, n)| prices.price_usd(*kind) * f64::from(*n))
        .sum();
    let flag = |on: bool| if on { 1.0 } else { 0.0 };
    let answered = matches!(
        outcome,
        Ok(Handled::Replied {
            recovered: false,
            ..
        })
    );
    emf.count(emf::X_CALLS, f64::from(tally.total_calls()))
        .usd(emf::SPEND_USD, spend)
        .count(emf::RATE_LIMITED, f64::from(tally.rate_limited))
        .count(emf::SENDING_PAUSED, flag(tally.sending_paused))
        .count(emf::ANSWERED_DMS, flag(answered))
        .count(
            emf::DEFERRED_MESSAGES,
            flag(matches!(outcome, Ok(Handled::Deferred { .. }))),
        )
        .count(
            emf::COALESCED_MESSAGES,
            flag(matches!(outcome, Ok(Handled::Coalesced { .. }))),
        );
    if answered {
        let waited = now_ms.saturating_sub(record.message.created_ms);
        emf.millis(emf::WAIT_MS, waited as f64);
    }
    emf
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ConversationKey, EventId, InboundMessage, UserId};

    fn record(created_ms: u64) -> InboundRecord {
        let conversation =
            ConversationKey::new(UserId::parse("100").unwrap(), UserId::parse("200").unwrap());
        let message: InboundMessage = serde_json::from_value(serde_json::json!({
            "event_id": "1600000000000000001",
            "conversation": conversation,
            "created_ms": created_ms,
            "text": "hello",
        }))
        .unwrap();
        InboundRecord::pending(message, created_ms)
    }

    fn line(outcome: Result<Handled, DispatchError>, tally: &Tally) -> serde_json::Value {
        let emf = message_metrics(&PriceTable::list(), &record(1_000), &outcome, tally, 4_000);
        serde_json::from_str(&emf.to_line(4_000)).unwrap()
    }

    #[test]
    fn an_answered_dm_publishes_its_calls_spend_and_wait() {
        let mut tally = Tally::default();
        tally.calls.insert(BillableKind::DmSend, 1);
        let replied = Handled::Replied {
            reply_event_id: EventId::parse("1600000000000000002").unwrap(),
            recovered: false,
        };
        let m = line(Ok(replied), &tally);
        assert_eq!(m[emf::ANSWERED_DMS], 1.0);
        assert_eq!(m[emf::X_CALLS], 1.0);
        assert!(
            (m[emf::SPEND_USD].as_f64().unwrap() - 0.015).abs() < 1e-12,
            "{m}"
        );
        assert_eq!(m[emf::WAIT_MS], 3000.0);
        assert_eq!(m[emf::DEFERRED_MESSAGES], 0.0);
    }

    #[test]
    fn a_deferred_or_coalesced_message_is_not_an_answered_one() {
        let tally = Tally {
            rate_limited: 1,
            ..Tally::default()
        };
        let deferred = Handled::Deferred {
            until_ms: 9,
            reason: "budget".into(),
        };
        let m = line(Ok(deferred), &tally);
        assert_eq!(m[emf::ANSWERED_DMS], 0.0);
        assert_eq!(m[emf::DEFERRED_MESSAGES], 1.0);
        assert_eq!(m[emf::RATE_LIMITED], 1.0);
        assert!(m.get(emf::WAIT_MS).is_none());
        let coalesced = Handled::Coalesced {
            into: EventId::parse("1600000000000000003").unwrap(),
        };
        let m = line(Ok(coalesced), &Tally::default());
        assert_eq!(m[emf::COALESCED_MESSAGES], 1.0);
        assert_eq!(m[emf::ANSWERED_DMS], 0.0);
    }

    #[tokio::test]
    async fn calls_are_counted_per_measured_future_even_when_interleaved() {
        let one = measured(async {
            add_call(BillableKind::DmSend, 1);
            tokio::task::yield_now().await;
            add_call(BillableKind::DmEventRead, 3);
        });
        let two = measured(async {
            tokio::task::yield_now().await;
            add_call(BillableKind::DmSend, 1);
            add_rate_limited();
        });
        let (((), a), ((), b)) = futures::join!(one, two);
        assert_eq!(a.total_calls(), 4);
        assert_eq!(a.rate_limited, 0);
        assert_eq!(b.total_calls(), 1);
        assert_eq!(b.rate_limited, 1);
        add_call(BillableKind::DmSend, 1); // outside: ignored, no panic
    }
}
