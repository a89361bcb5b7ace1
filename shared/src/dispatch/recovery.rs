//! Deciding, from our own store, whether a reply an earlier attempt may have sent went out
//! (`docs/DISPATCH.md`, "Exactly one reply").
//!
//! An attempt writes `sending_ms` on the inbound message before it calls Twitter. A later attempt
//! that finds the mark looks at the conversation's receipts ([`Receipt`]): Twitter echoes every
//! message the account sends to the webhook, which records it in the conversation, and the
//! dispatcher records its own sends with the inbound message they answer.

use crate::domain::EventId;
use crate::store::Receipt;

/// How far Twitter's clock (an echo's `created_timestamp`) may be behind ours (`sending_ms`):
/// a message Twitter created more than this before the first attempt began cannot be its reply.
pub const CLOCK_SKEW_MS: u64 = 5_000;

/// What the receipts say about the reply to one inbound message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Our reply to it is on Twitter (recorded against it, or an echo through our app that no
    /// other message claims): do not send; adopt it.
    Ours(EventId),
    /// A person wrote from the account in the conversation after the attempt began: the bot
    /// stays quiet, and the message stays the person's (never recorded as the bot's).
    Person(EventId),
    /// No receipt decides it (yet).
    Undecided,
}

/// The verdict for inbound message `event`, whose first send attempt began at `sending_ms`,
/// from `receipts` (the conversation's receipts with ids after `event`, lowest first).
///
/// Why this cannot adopt another message's reply: the messages of a conversation are handled
/// one at a time in event-id order, and a message is finished only after its reply was recorded
/// against it. So a receipt after `event` that no message claims (`in_reply_to` absent) and
/// that Twitter created after this attempt began was sent while this message was the one in
/// hand: it is this message's reply (or a person's message).
pub fn decide(receipts: &[Receipt], event: &EventId, sending_ms: u64) -> Verdict {
    if let Some(r) = receipts
        .iter()
        .find(|r| r.in_reply_to.as_ref() == Some(event))
    {
        return Verdict::Ours(r.event_id.clone());
    }
    let since = sending_ms.saturating_sub(CLOCK_SKEW_MS);
    let unclaimed = receipts.iter().find(|r| {
        r.in_reply_to.is_none()
            && !r.is_recorded_send()
            && r.echo_created_ms.is_some_and(|created| created >= since)
    });
    match unclaimed {
        Some(r) if r.echo_from_our_app => Verdict::Ours(r.event_id.clone()),
        Some(r) => Verdict::Person(r.event_id.clone()),
        None => Verdict::Undecided,
    }
}

/// Whether a message found on Twitter's own list (the look-up after the receipts could not
/// decide) is claimed by another inbound message in our receipts.
pub fn claimed_elsewhere(receipts: &[Receipt], id: &EventId, event: &EventId) -> bool {
    receipts
        .iter()
        .any(|r| &r.event_id == id && r.is_recorded_send() && r.in_reply_to.as_ref() != Some(event))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> EventId {
        EventId::parse(n.to_string()).unwrap()
    }

    fn echo(n: u64, created_ms: u64, ours: bool) -> Receipt {
        Receipt {
            echo_created_ms: Some(created_ms),
            echo_from_our_app: ours,
            ..Receipt::new(id(n))
        }
    }

    fn sent(n: u64, reply_to: u64) -> Receipt {
        let mut r = Receipt::new(id(n));
        r.apply_sent(&id(reply_to), 1);
        r
    }

    #[test]
    fn a_receipt_recorded_against_the_message_decides_it() {
        assert_eq!(
            decide(&[sent(20, 10)], &id(10), 1_000),
            Verdict::Ours(id(20))
        );
    }

    #[test]
    fn an_unclaimed_echo_through_our_app_after_the_attempt_began_is_the_reply() {
        let receipts = [sent(15, 9), echo(20, 100_000, true)];
        assert_eq!(decide(&receipts, &id(10), 99_000), Verdict::Ours(id(20)));
    }

    #[test]
    fn an_echo_recorded_for_another_message_is_not_the_reply() {
        let mut other = echo(20, 100_000, true);
        other.apply_sent(&id(9), 1);
        assert_eq!(decide(&[other], &id(10), 99_000), Verdict::Undecided);
    }

    #[test]
    fn an_echo_from_before_the_attempt_began_is_not_the_reply() {
        let receipts = [echo(20, 100_000, true)];
        assert_eq!(
            decide(&receipts, &id(10), 100_000 + CLOCK_SKEW_MS + 1),
            Verdict::Undecided
        );
    }

    #[test]
    fn a_persons_message_after_the_attempt_keeps_the_bot_quiet_and_stays_theirs() {
        let receipts = [echo(20, 100_000, false)];
        assert_eq!(decide(&receipts, &id(10), 99_000), Verdict::Person(id(20)));
    }

    #[test]
    fn no_receipt_decides_nothing() {
        assert_eq!(decide(&[], &id(10), 1), Verdict::Undecided);
    }

    #[test]
    fn a_found_message_recorded_for_another_inbound_message_is_claimed_elsewhere() {
        let receipts = [sent(20, 9)];
        assert!(claimed_elsewhere(&receipts, &id(20), &id(10)));
        assert!(!claimed_elsewhere(&receipts, &id(20), &id(9)));
        assert!(!claimed_elsewhere(&receipts, &id(21), &id(10)));
    }
}
