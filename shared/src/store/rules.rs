//! The storage semantics the in-process stores ([`super::memory`] and the embedded store) apply
//! alike, written once: claims with a lease, status changes, attempt marks, due deferrals,
//! version checks, the newest flow, list orders. Pure functions on the records; each store only
//! reads and writes them. The DynamoDB store states the same rules as condition expressions.

use std::cmp::Reverse;

use serde::{Deserialize, Serialize};

use super::budget::Taken;
use super::{AttemptMark, ClaimOutcome, FlowRecord, StoreError};
use crate::domain::{DispatchAttempt, InboundRecord, InboundStatus};

/// A claim of `record`, whose lease runs until `lease` (if any), at `now_ms`: a pending message
/// with no live lease is leased for `lease_ms` more (and `lease` is set); otherwise nothing
/// changes and the outcome says why.
pub fn claim(
    record: &InboundRecord,
    lease: &mut Option<u64>,
    now_ms: u64,
    lease_ms: u64,
) -> ClaimOutcome {
    if record.status != InboundStatus::Pending {
        return ClaimOutcome::Done(record.status.clone());
    }
    if lease.is_some_and(|until| until > now_ms) {
        return ClaimOutcome::Busy;
    }
    *lease = Some(now_ms.saturating_add(lease_ms));
    ClaimOutcome::Claimed(record.clone())
}

/// Sets the status of `record` and drops its lease; a redrive (back to pending) is due now,
/// whatever it was put off until. Returns the status it had.
pub fn set_status(
    record: &mut InboundRecord,
    lease: &mut Option<u64>,
    status: &InboundStatus,
) -> InboundStatus {
    let before = std::mem::replace(&mut record.status, status.clone());
    if *status == InboundStatus::Pending {
        record.attempt.not_before_ms = None;
    }
    *lease = None;
    before
}

/// Writes `mark` on `record` if it is still pending (a deferral that releases the lease drops
/// it); returns whether it did.
pub fn mark(record: &mut InboundRecord, lease: &mut Option<u64>, mark: &AttemptMark) -> bool {
    if record.status != InboundStatus::Pending {
        return false;
    }
    apply_mark(&mut record.attempt, mark);
    if matches!(
        mark,
        AttemptMark::Deferred {
            release_lease: true,
            ..
        }
    ) {
        *lease = None;
    }
    true
}

/// Applies `mark` to a pending message's attempt record (the first send time is kept).
pub fn apply_mark(attempt: &mut DispatchAttempt, mark: &AttemptMark) {
    match mark {
        AttemptMark::Sending { at_ms } => {
            attempt.sending_ms.get_or_insert(*at_ms);
            attempt.slot_ms = None;
        }
        AttemptMark::Replied { reply } => attempt.reply_event_id = Some(reply.clone()),
        AttemptMark::Deferred {
            until_ms,
            reason,
            slot_ms,
            ..
        } => {
            attempt.not_before_ms = Some(*until_ms);
            attempt.defer_reason = Some(reason.clone());
            attempt.deferrals = attempt.deferrals.saturating_add(1);
            attempt.slot_ms = *slot_ms;
        }
    }
}

/// Whether `record` is pending and was put off until `now_ms` or earlier.
pub fn is_due(record: &InboundRecord, now_ms: u64) -> bool {
    record.status == InboundStatus::Pending
        && record.attempt.not_before_ms.is_some_and(|t| t <= now_ms)
}

/// Due messages in the order they are taken: the earliest due time first, then by event id.
pub fn sort_due(records: &mut [InboundRecord]) {
    records.sort_by_key(|r| (r.attempt.not_before_ms, r.message.event_id.numeric()));
}

/// What [`Inbox::pending_in_conversation`](super::Inbox::pending_in_conversation) returns of
/// one conversation's `records`: of the `limit` with the highest event ids, the pending ones,
/// oldest (lowest event id) first.
pub fn pending_of_latest(mut records: Vec<InboundRecord>, limit: usize) -> Vec<InboundRecord> {
    records.sort_by_key(|r| Reverse(r.message.event_id.numeric()));
    records.truncate(limit);
    records.retain(|r| r.status == InboundStatus::Pending);
    records.reverse();
    records
}

/// Failed messages as listed: newest (highest event id) first.
pub fn sort_failed(records: &mut [InboundRecord]) {
    records.sort_by_key(|r| Reverse(r.message.event_id.numeric()));
}

/// Unfinished messages as listed: the oldest received first, then by event id.
pub fn sort_unfinished(records: &mut [InboundRecord]) {
    records.sort_by_key(|r| (r.received_ms, r.message.event_id.numeric()));
}

/// The version a save writes when the stored one is `current` and the caller read `expected`:
/// [`StoreError::Conflict`] on `what` when they differ.
pub fn next_version(current: u64, expected: u64, what: &str) -> Result<u64, StoreError> {
    if current != expected {
        return Err(StoreError::Conflict {
            what: what.to_string(),
        });
    }
    current
        .checked_add(1)
        .ok_or_else(|| StoreError::Rejected(format!("{what}: version overflow")))
}

/// Whether `flow` may be stored when the newest stored version of its id is `newest`: only a
/// greater version ([`StoreError::Conflict`] otherwise).
pub fn check_new_flow(newest: Option<u64>, flow: &FlowRecord) -> Result<(), StoreError> {
    if newest.is_some_and(|v| v >= flow.version) {
        return Err(StoreError::Conflict {
            what: format!("flow {} version {}", flow.flow_id, flow.version),
        });
    }
    Ok(())
}

/// Whether a time `at` replaces the stored `current` (the latest one is kept).
pub fn is_later(current: Option<u64>, at: u64) -> bool {
    current.is_none_or(|c| c < at)
}

// ---------------------------------------------------------------------------------------------
// Send budgets (see `store::budget`): the arithmetic of a window, on its stored state.
// ---------------------------------------------------------------------------------------------

/// The state of one budget window as the in-process stores keep it (DynamoDB keeps the same
/// two numbers as the attributes `used` and `blocked_until_ms`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetWindow {
    /// Slots taken (or, after `observe`, at least what X says was used).
    pub used: u64,
    /// No take before this (ms), set by `observe` when X's reset lies in this window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_until_ms: Option<u64>,
}

/// The start of the window of `length_ms` containing `now_ms` (windows aligned to the epoch).
pub fn window_start(now_ms: u64, length_ms: u64) -> u64 {
    now_ms - now_ms % length_ms.max(1)
}

/// Until when a take at `now_ms` from `window` (ending at `end_ms`) is refused, or `None` when
/// it would be granted: the window's end when `limit` slots are used, the end of its block
/// while it is blocked.
pub fn refused_until(window: &BudgetWindow, limit: u32, now_ms: u64, end_ms: u64) -> Option<u64> {
    if window.used >= u64::from(limit) {
        return Some(end_ms);
    }
    blocked_at(window, now_ms)
}

/// The end of the block on `window` when it lies past `now_ms` (`SendBudget::blocked_until`).
pub fn blocked_at(window: &BudgetWindow, now_ms: u64) -> Option<u64> {
    window.blocked_until_ms.filter(|&until| until > now_ms)
}

/// A take from `window` (which starts at `start_ms` and is `length_ms` long) at `now_ms`.
pub fn take(
    window: &mut BudgetWindow,
    limit: u32,
    now_ms: u64,
    start_ms: u64,
    length_ms: u64,
) -> Taken {
    let end_ms = start_ms.saturating_add(length_ms);
    if let Some(reset_at_ms) = refused_until(window, limit, now_ms, end_ms) {
        return Taken::Spent { reset_at_ms };
    }
    window.used += 1;
    Taken::Granted {
        used: window.used,
        window_start_ms: start_ms,
        window_end_ms: end_ms,
    }
}

/// What [`SendBudget::observe`](super::budget::SendBudget::observe) changes: the count of the
/// current window is raised to `floor` (never lowered), and `block_next`, when set, blocks the
/// window starting at `.0` until `.1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObservePlan {
    pub start_ms: u64,
    pub floor: u64,
    pub block_next: Option<(u64, u64)>,
}

/// The plan of an observation of X's headers in a window of `length_ms` at `now_ms` (see
/// `store::budget`): X's reset matters only when none remain and it lies past our window's
/// end; it is capped at the next window's end.
pub fn observe_plan(
    length_ms: u64,
    limit: u32,
    remaining: u32,
    reset_at_ms: Option<u64>,
    now_ms: u64,
) -> ObservePlan {
    let start_ms = window_start(now_ms, length_ms);
    let end_ms = start_ms.saturating_add(length_ms.max(1));
    let next_end = end_ms.saturating_add(length_ms.max(1));
    ObservePlan {
        start_ms,
        floor: u64::from(limit.saturating_sub(remaining)),
        block_next: reset_at_ms
            .filter(|&reset| remaining == 0 && reset > end_ms)
            .map(|reset| (end_ms, reset.min(next_end))),
    }
}

/// Applies the parts of an [`ObservePlan`] to a window: its count raised to `floor`, its block
/// extended to `until`.
pub fn raise(window: &mut BudgetWindow, floor: u64, until: Option<u64>) {
    window.used = window.used.max(floor);
    if let Some(until) = until {
        window.blocked_until_ms = Some(window.blocked_until_ms.unwrap_or(0).max(until));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ConversationKey, EventId, InboundMessage, UserId};

    fn pending() -> InboundRecord {
        let id = |s: &str| UserId::parse(s).expect("digits");
        let conversation = ConversationKey::new(id("10"), id("20"));
        let event = EventId::parse("1").expect("digits");
        InboundRecord::pending(InboundMessage::text(event, conversation, 1, "hi"), 2)
    }

    #[test]
    fn a_claim_takes_a_free_or_expired_lease_and_refuses_a_live_one() {
        let record = pending();
        let mut lease = None;
        assert!(matches!(
            claim(&record, &mut lease, 100, 50),
            ClaimOutcome::Claimed(_)
        ));
        assert_eq!(lease, Some(150));
        assert_eq!(claim(&record, &mut lease, 149, 50), ClaimOutcome::Busy);
        assert_eq!(lease, Some(150), "a refused claim changes nothing");
        assert!(matches!(
            claim(&record, &mut lease, 150, 50),
            ClaimOutcome::Claimed(_)
        ));
        assert_eq!(lease, Some(200));
    }

    #[test]
    fn a_finished_message_is_not_claimed() {
        let mut record = pending();
        let failed = InboundStatus::Failed {
            reason: "x".into(),
            at_ms: 3,
        };
        set_status(&mut record, &mut None, &failed);
        let mut lease = None;
        assert_eq!(
            claim(&record, &mut lease, 100, 50),
            ClaimOutcome::Done(failed)
        );
        assert_eq!(lease, None);
    }

    #[test]
    fn a_redrive_clears_the_due_time_and_the_lease() {
        let mut record = pending();
        let mut lease = Some(500);
        let deferred = AttemptMark::Deferred {
            until_ms: 900,
            reason: "rate limit".into(),
            release_lease: false,
            slot_ms: None,
        };
        assert!(mark(&mut record, &mut lease, &deferred));
        assert_eq!(lease, Some(500), "the lease is kept unless released");
        assert!(is_due(&record, 900) && !is_due(&record, 899));
        set_status(&mut record, &mut lease, &InboundStatus::Pending);
        assert_eq!((record.attempt.not_before_ms, lease), (None, None));
    }

    #[test]
    fn a_save_needs_the_stored_version_and_a_flow_a_greater_one() {
        assert_eq!(next_version(3, 3, "c").expect("matches"), 4);
        assert!(matches!(
            next_version(3, 2, "c"),
            Err(StoreError::Conflict { .. })
        ));
        assert!(matches!(
            next_version(u64::MAX, u64::MAX, "c"),
            Err(StoreError::Rejected(_))
        ));
        let flow = |version| FlowRecord {
            flow_id: "f".into(),
            version,
            document: "{}".into(),
            stored_ms: 0,
        };
        assert!(check_new_flow(None, &flow(1)).is_ok());
        assert!(check_new_flow(Some(1), &flow(2)).is_ok());
        assert!(check_new_flow(Some(2), &flow(2)).is_err());
        assert!(is_later(None, 1) && is_later(Some(1), 2) && !is_later(Some(2), 2));
    }

    #[test]
    fn budget_windows_align_to_the_epoch_and_grant_up_to_the_limit() {
        assert_eq!(window_start(1_234, 1_000), 1_000);
        assert_eq!(window_start(999, 1_000), 0);
        assert_eq!(
            window_start(5, 0),
            5,
            "a zero length does not divide by zero"
        );
        let mut w = BudgetWindow::default();
        let granted = |used| Taken::Granted {
            used,
            window_start_ms: 1_000,
            window_end_ms: 2_000,
        };
        assert_eq!(take(&mut w, 2, 1_100, 1_000, 1_000), granted(1));
        assert_eq!(take(&mut w, 2, 1_200, 1_000, 1_000), granted(2));
        let spent = Taken::Spent { reset_at_ms: 2_000 };
        assert_eq!(take(&mut w, 2, 1_300, 1_000, 1_000), spent);
        assert_eq!(w.used, 2, "a refused take counts nothing");
        let mut empty = BudgetWindow::default();
        assert_eq!(take(&mut empty, 0, 1_100, 1_000, 1_000), spent);
    }

    #[test]
    fn an_observation_raises_the_count_and_blocks_the_next_window_until_xs_reset() {
        // X says 3 of 15 remain: the count becomes at least 12, never lower.
        let plan = observe_plan(1_000, 15, 3, Some(1_900), 1_100);
        assert_eq!(
            (plan.start_ms, plan.floor, plan.block_next),
            (1_000, 12, None)
        );
        let mut w = BudgetWindow {
            used: 14,
            blocked_until_ms: None,
        };
        raise(&mut w, plan.floor, None);
        assert_eq!(w.used, 14);
        // None remain and X resets in the next window: that one is blocked until the reset.
        let plan = observe_plan(1_000, 15, 0, Some(2_500), 1_100);
        assert_eq!((plan.floor, plan.block_next), (15, Some((2_000, 2_500))));
        let mut next = BudgetWindow::default();
        raise(&mut next, 0, Some(2_500));
        raise(&mut next, 0, Some(2_100));
        assert_eq!(
            next.blocked_until_ms,
            Some(2_500),
            "a block is never shortened"
        );
        assert_eq!(refused_until(&next, 15, 2_400, 3_000), Some(2_500));
        assert_eq!(refused_until(&next, 15, 2_500, 3_000), None);
        // A reset within our window, or far away, or with slots left, blocks no other window.
        assert_eq!(
            observe_plan(1_000, 15, 0, Some(1_900), 1_100).block_next,
            None
        );
        assert_eq!(
            observe_plan(1_000, 15, 1, Some(2_500), 1_100).block_next,
            None
        );
        assert_eq!(
            observe_plan(1_000, 15, 0, Some(99_000), 1_100).block_next,
            Some((2_000, 3_000)),
            "capped at the next window's end"
        );
    }
}
