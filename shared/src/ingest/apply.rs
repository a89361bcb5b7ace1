//! Step 5 of a POST: the plan's writes, one at a time in order, stopping at the first store
//! failure (the writes are idempotent, so Twitter's redelivery finishes the batch); then, off
//! the durability path, the count of what X bills for the delivery ([`count_billed_delivery`]).

use std::time::Duration;

use super::plan::{Action, IngestSummary, Plan};
use crate::domain::{AccountEcho, AccountId, InboundRecord};
use crate::store::usage::{BillableKind, Usage, UsageDay};
use crate::store::{Conversations, Inbox, Outbox, PutOutcome, Revocations, StoreError};

/// The longest the count of a billed delivery may hold the answer: a DynamoDB `UpdateItem`
/// takes a few milliseconds; a store slower than this loses the count, never the 200.
pub const COUNT_TIMEOUT: Duration = Duration::from_millis(500);

/// Counts one delivery X bills (`kind`, for `account`, on the UTC day of `now_ms`) for
/// `dmbot usage`, after its message was stored. Best effort: a failed or slow count is a
/// warning in the log and never changes the answer.
///
/// **Once per new event.** The caller counts only a delivery that stored a new message
/// ([`IngestSummary::stored`] > 0): a redelivery of the same event (a retry after a lost 200, a
/// replay) finds its message stored and is not counted again. X documents a price per event
/// and a 24-hour UTC de-duplication, not a charge per repeated delivery (`docs/X-API-V2.md` §7).
pub async fn count_billed_delivery<S: Usage>(
    store: &S,
    account: &AccountId,
    kind: BillableKind,
    now_ms: u64,
) {
    let day = UsageDay::from_ms(now_ms);
    match tokio::time::timeout(
        COUNT_TIMEOUT,
        crate::store::usage::record_billable(store, account, &day, kind, 1),
    )
    .await
    {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(
            error = %e,
            kind = %kind,
            "could not count a billed delivery for `dmbot usage`; the delivery is stored"
        ),
        Err(_) => tracing::warn!(
            kind = %kind,
            timeout_ms = COUNT_TIMEOUT.as_millis() as u64,
            "counting a billed delivery took too long and was given up; the delivery is stored"
        ),
    }
}

/// Step 5: runs the plan's writes in order, stopping at the first store failure.
pub async fn apply_plan<S>(store: &S, plan: Plan, now_ms: u64) -> Result<IngestSummary, StoreError>
where
    S: Inbox + Outbox + Conversations + Revocations,
{
    let mut summary = plan.summary;
    for action in plan.actions {
        match action {
            Action::StoreInbound(message) => {
                let record = InboundRecord::pending(message, now_ms);
                match store.put_inbound(&record).await? {
                    PutOutcome::Inserted => summary.stored += 1,
                    PutOutcome::Duplicate => summary.duplicates += 1,
                }
            }
            Action::BotEcho(echo) => {
                store.record_echo(&echo, now_ms).await?;
                summary.bot_echoes += 1;
            }
            Action::AccountWrote(activity) => {
                let ours = store
                    .is_sent_by_bot(&activity.conversation, &activity.event_id)
                    .await?;
                let echo = AccountEcho {
                    event_id: activity.event_id.clone(),
                    conversation: activity.conversation.clone(),
                    created_ms: activity.created_ms,
                    from_our_app: ours,
                };
                store.record_echo(&echo, now_ms).await?;
                if ours {
                    summary.bot_echoes += 1;
                } else {
                    store.record_agent_activity(&activity).await?;
                    summary.agent_messages += 1;
                    tracing::info!(
                        conversation = %activity.conversation,
                        event = %activity.event_id,
                        "a person wrote from the account: hand-over signal recorded"
                    );
                }
            }
            Action::ForgetAccount(account) => {
                store.revoke_account(&account, now_ms).await?;
                summary.accounts_forgotten += 1;
                tracing::info!(account = %account, "access revoked: tokens removed, data removal queued");
            }
        }
    }
    Ok(summary)
}
