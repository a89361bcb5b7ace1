//! The storage semantics the in-process stores ([`super::memory`] and the embedded store) apply
//! alike, written once: claims with a lease, status changes, attempt marks, due deferrals,
//! version checks, the newest flow, list orders. Pure functions on the records; each store only
//! reads and writes them. The DynamoDB store states the same rules as condition expressions.

use std::cmp::Reverse;

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
        }
        AttemptMark::Replied { reply } => attempt.reply_event_id = Some(reply.clone()),
        AttemptMark::Deferred {
            until_ms, reason, ..
        } => {
            attempt.not_before_ms = Some(*until_ms);
            attempt.defer_reason = Some(reason.clone());
            attempt.deferrals = attempt.deferrals.saturating_add(1);
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
}
