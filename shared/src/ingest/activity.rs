//! Step 4 for an X Activity API (XAA) delivery: one event, planned like the Account Activity
//! envelope it maps to (`twitter::xaa`), so both products give the same writes for the same
//! messages. `dm.received` and `dm.sent` carry v1.1-shaped DM events for the filtered account:
//! they go through [`plan_delivery`], which tells a customer's message from the account's own
//! (the bot's echo when the outbox knows the id, else a person answering). `dm.read` and
//! `dm.indicate_typing` are counted, `oauth.revoke` forgets the account, and any other event
//! type is acknowledged and ignored. A `dm.received` plan says X bills the delivery
//! ([`Plan::billed_as`]): the handler counts it once its message is stored as new.

use super::plan::{Action, Plan, plan_delivery};
use crate::store::usage::BillableKind;
use crate::twitter::envelope::{EnvelopeError, truncate};
use crate::twitter::xaa::{ActivityEvent, ActivityKind};

/// The plan for one XAA event. An error only when a DM event's payload is not the documented
/// shape (a 400, as for a malformed envelope).
pub fn plan_activity(
    event: &ActivityEvent<'_>,
    app_id: Option<&str>,
) -> Result<Plan, EnvelopeError> {
    if let Some(envelope) = event.dm_envelope() {
        let mut plan = plan_delivery(&envelope?, app_id);
        if event.kind() == ActivityKind::DmReceived {
            plan.billed_as = Some(BillableKind::DmReceivedDelivery);
        }
        return Ok(plan);
    }
    let mut plan = Plan {
        account: event.filter.user_id.clone(),
        ..Plan::default()
    };
    match event.kind() {
        ActivityKind::DmRead => plan.summary.read_receipts += 1,
        ActivityKind::DmTyping => plan.summary.typing += 1,
        ActivityKind::OauthRevoke => match event.revoked_user() {
            Some(Ok(user)) => plan.actions.push(Action::ForgetAccount(user)),
            Some(Err(error)) => {
                plan.summary.malformed += 1;
                tracing::warn!(error = %error, "skipping an oauth.revoke event without a user_id");
            }
            None => {}
        },
        ActivityKind::DmReceived | ActivityKind::DmSent => {} // planned above
        ActivityKind::Other => {
            plan.summary.ignored += 1;
            tracing::debug!(
                event_type = %truncate(event.event_type.clone(), 60),
                "ignoring an X Activity API event dmbot does not act on"
            );
        }
    }
    Ok(plan)
}
