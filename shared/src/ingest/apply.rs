//! Step 5 of a POST: the plan's writes, one at a time in order, stopping at the first store
//! failure (the writes are idempotent, so Twitter's redelivery finishes the batch).

use super::plan::{Action, IngestSummary, Plan};
use crate::domain::{AccountEcho, InboundRecord};
use crate::store::{Conversations, Inbox, Outbox, PutOutcome, Revocations, StoreError};

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
