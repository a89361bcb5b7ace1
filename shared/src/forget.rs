//! Removing revoked accounts' data, off the request path.
//!
//! On `user_event.revoke` the webhook deletes the account's record (its tokens) and queues a
//! pending removal in the same atomic write ([`Revocations::revoke_account`]), then answers 200.
//! [`run_pending`] does the rest: for each pending account, oldest first, it calls
//! [`Revocations::forget_step`] until the store says nothing is left (the step then removes the
//! pending entry), or until the deadline. Whatever stops it (the deadline, a store failure, a
//! crash), the pending entries stay and the next run continues from what is left: each step only
//! sees the data that has not been removed yet, so nothing is rescanned.
//!
//! In AWS the watchdog runs it after its webhook check on every schedule tick; `dmbot serve`
//! runs it in the background (ARCHITECTURE.md, "Revocation").

use std::time::Instant;

use serde::Serialize;

use crate::store::{Revocations, StoreError};

/// How many entries one step removes at most (four DynamoDB batch writes).
pub const STEP_ENTRIES: usize = 100;

/// How many pending accounts one run looks at.
pub const ACCOUNTS_PER_RUN: usize = 25;

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ForgetReport {
    /// Accounts whose data is now completely removed.
    pub accounts_done: u32,
    /// Accounts still pending when the run stopped at its deadline.
    pub accounts_left: u32,
    /// Entries removed.
    pub removed: u64,
}

/// Works through the pending removals until none is left or `deadline` passes. A store failure
/// stops the run (the removals stay pending for the next one).
pub async fn run_pending<S: Revocations>(
    store: &S,
    deadline: Instant,
) -> Result<ForgetReport, StoreError> {
    let mut report = ForgetReport::default();
    let pending = store.pending_forgets(ACCOUNTS_PER_RUN).await?;
    for (index, entry) in pending.iter().enumerate() {
        loop {
            if Instant::now() >= deadline {
                report.accounts_left = u32::try_from(pending.len() - index).unwrap_or(u32::MAX);
                tracing::info!(
                    ?report,
                    "data removal paused at the deadline; the next run continues"
                );
                return Ok(report);
            }
            let step = store.forget_step(&entry.account, STEP_ENTRIES).await?;
            report.removed += step.removed;
            if step.done {
                report.accounts_done += 1;
                tracing::info!(account = %entry.account, requested_ms = entry.requested_ms, "revoked account's data removed");
                break;
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::domain::UserId;
    use crate::domain::{ConversationKey, EventId, InboundMessage, InboundRecord, InboundStatus};
    use crate::store::Inbox;
    use crate::store::memory::MemoryStore;

    fn message(account: &str, event: &str) -> InboundRecord {
        InboundRecord {
            message: InboundMessage {
                event_id: EventId::parse(event).unwrap(),
                conversation: ConversationKey::new(
                    UserId::parse(account).unwrap(),
                    UserId::parse("20").unwrap(),
                ),
                created_ms: 1,
                text: "hi".into(),
                quick_reply_metadata: None,
                welcome_message_id: None,
                media: None,
                customer_screen_name: None,
                customer_name: None,
            },
            status: InboundStatus::Pending,
            received_ms: 1,
            attempt: Default::default(),
        }
    }

    #[tokio::test]
    async fn a_run_removes_every_pending_account_and_empties_the_queue() {
        let store = MemoryStore::new();
        for (account, event) in [("10", "1"), ("11", "2"), ("12", "3")] {
            store.put_inbound(&message(account, event)).await.unwrap();
        }
        store
            .revoke_account(&UserId::parse("10").unwrap(), 5)
            .await
            .unwrap();
        store
            .revoke_account(&UserId::parse("11").unwrap(), 6)
            .await
            .unwrap();

        let far = Instant::now() + Duration::from_secs(60);
        let report = run_pending(&store, far).await.unwrap();
        assert_eq!(
            report,
            ForgetReport {
                accounts_done: 2,
                accounts_left: 0,
                removed: 2
            }
        );
        assert!(store.pending_forgets(10).await.unwrap().is_empty());
        let left = store.all_inbound();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].message.conversation.account.as_str(), "12");
        assert_eq!(
            run_pending(&store, far).await.unwrap(),
            ForgetReport::default()
        );
    }

    #[tokio::test]
    async fn a_run_past_its_deadline_leaves_the_queue_for_the_next_one() {
        let store = MemoryStore::new();
        store.put_inbound(&message("10", "1")).await.unwrap();
        store
            .revoke_account(&UserId::parse("10").unwrap(), 5)
            .await
            .unwrap();
        let report = run_pending(&store, Instant::now()).await.unwrap();
        assert_eq!(report.accounts_left, 1);
        assert_eq!(store.pending_forgets(10).await.unwrap().len(), 1);
        assert_eq!(store.all_inbound().len(), 1);
    }

    #[tokio::test]
    async fn a_store_failure_keeps_the_removal_pending() {
        let store = MemoryStore::new();
        store
            .revoke_account(&UserId::parse("10").unwrap(), 5)
            .await
            .unwrap();
        store.set_failing(true);
        let far = Instant::now() + Duration::from_secs(60);
        assert!(run_pending(&store, far).await.is_err());
        store.set_failing(false);
        assert_eq!(store.pending_forgets(10).await.unwrap().len(), 1);
    }
}
