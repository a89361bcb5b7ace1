//! Step 4 of a POST: what each event of a verified delivery means for the subscribed account
//! ([`plan_delivery`]), decided from the delivery alone, as a [`Plan`] of store writes.

use serde::{Deserialize, Serialize};

use crate::domain::{
    AccountEcho, AccountId, AgentActivity, ConversationKey, InboundMedia, InboundMessage,
};
use crate::store::usage::BillableKind;
use crate::twitter::envelope::{DirectMessageEvent, Envelope, MessageData, truncate};

/// Counts of what one delivery contained and what became of it: the body of the 200 answer and
/// the fields of the log line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestSummary {
    /// Customer messages stored for the dispatcher.
    pub stored: u32,
    /// Customer messages already stored by an earlier delivery (a retry): nothing written.
    pub duplicates: u32,
    /// The bot's own replies coming back: ignored.
    pub bot_echoes: u32,
    /// Messages a person wrote from the account: recorded as a hand-over signal.
    pub agent_messages: u32,
    /// Direct Message events that are not messages for this account (other `type`s, or neither
    /// sender nor recipient is the account).
    pub ignored: u32,
    /// Events that could not be parsed: logged and skipped.
    pub malformed: u32,
    /// Typing indicators: acknowledged, nothing stored.
    pub typing: u32,
    /// Read receipts: acknowledged, nothing stored.
    pub read_receipts: u32,
    /// `user_event.revoke`s processed: the revoking user's record and tokens are gone and the
    /// removal of the rest of their data is queued (done asynchronously, see
    /// [`crate::forget`]).
    pub accounts_forgotten: u32,
}

/// One thing to do with the store, decided from the delivery alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A customer wrote to the account: store it for the dispatcher.
    StoreInbound(InboundMessage),
    /// The account itself wrote, not through our app as far as the delivery says: the bot's
    /// reply (if the outbox knows the id) or a person answering (a hand-over). Its echo is
    /// recorded as a receipt either way.
    AccountWrote(AgentActivity),
    /// The echo of a message the bot sent through our app (`source_app_id`): recorded as the
    /// send's receipt in its conversation (`docs/DISPATCH.md`).
    BotEcho(AccountEcho),
    /// A user revoked our app's access: delete their tokens now, queue the removal of the rest.
    ForgetAccount(AccountId),
}

impl Action {
    /// Sort key: messages by event id (snowflakes grow with time), account removals last.
    fn order(&self) -> (u8, u128) {
        match self {
            Action::StoreInbound(m) => (0, m.event_id.numeric()),
            Action::AccountWrote(a) => (0, a.event_id.numeric()),
            Action::BotEcho(e) => (0, e.event_id.numeric()),
            Action::ForgetAccount(_) => (1, 0),
        }
    }
}

/// A classified delivery: the writes to make and the counts of what needs none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The subscribed account, when the delivery names one.
    pub account: Option<AccountId>,
    /// In the order they must run.
    pub actions: Vec<Action>,
    pub summary: IngestSummary,
    /// What X bills for this delivery when it brings a new customer message: an X Activity API
    /// `dm.received` event ([`BillableKind::DmReceivedDelivery`], `docs/X-API-V2.md` §7).
    /// `None` for Account Activity deliveries, which are not priced per delivery.
    pub billed_as: Option<BillableKind>,
}

/// Decides what each event of a delivery means for the account `for_user_id = A`
/// (docs/TWITTER-API.md §2, "Who wrote a message"):
///
/// - `sender != A`, `recipient == A`: a customer wrote: [`Action::StoreInbound`], with the
///   customer's names from `users`;
/// - `sender == A` through our own app (`source_app_id` equals `app_id`): the bot's reply
///   coming back: [`Action::BotEcho`], its receipt;
/// - `sender == A` otherwise: [`Action::AccountWrote`]; the outbox decides between a bot reply
///   and a person;
/// - anything else (not a `message_create`, a note to self, not about A): ignored.
///
/// Typing and read events are counted only. `user_event.revoke` gives
/// [`Action::ForgetAccount`]. Malformed events are counted, logged and skipped. Actions are
/// ordered by event id so that, within a conversation, the inbox and the hand-over signal are
/// written in the order Twitter created the messages (an agent's message just before a customer's
/// is recorded before the customer's is queued).
pub fn plan_delivery(envelope: &Envelope<'_>, app_id: Option<&str>) -> Plan {
    let mut plan = Plan {
        account: envelope.for_user_id.clone(),
        ..Plan::default()
    };
    if let Some(account) = &envelope.for_user_id {
        for (index, item) in envelope.direct_message_events.iter().enumerate() {
            match item.parse() {
                Ok(event) => classify_message(envelope, account, app_id, event, &mut plan),
                Err(error) => {
                    plan.summary.malformed += 1;
                    tracing::warn!(
                        index,
                        error = %truncate(error.to_string(), 200),
                        "skipping a malformed direct_message_events item"
                    );
                }
            }
        }
    }
    for item in &envelope.direct_message_indicate_typing_events {
        plan.summary.typing += 1;
        if let Ok(typing) = item.parse() {
            tracing::debug!(sender = %typing.sender_id, "typing indicator acknowledged");
        }
    }
    for item in &envelope.direct_message_mark_read_events {
        plan.summary.read_receipts += 1;
        if let Ok(read) = item.parse() {
            tracing::debug!(
                sender = %read.sender_id,
                last_read = %read.last_read_event_id,
                "read receipt acknowledged"
            );
        }
    }
    if let Some(item) = &envelope.user_event {
        match item.parse() {
            Ok(user_event) => {
                if let Some(revoke) = user_event.revoke {
                    plan.actions
                        .push(Action::ForgetAccount(revoke.source.user_id));
                }
            }
            Err(error) => {
                plan.summary.malformed += 1;
                tracing::warn!(
                    error = %truncate(error.to_string(), 200),
                    "skipping a malformed user_event"
                );
            }
        }
    }
    plan.actions.sort_by_key(Action::order);
    plan
}

fn classify_message(
    envelope: &Envelope<'_>,
    account: &AccountId,
    app_id: Option<&str>,
    event: DirectMessageEvent,
    plan: &mut Plan,
) {
    if event.kind != DirectMessageEvent::MESSAGE_CREATE {
        plan.summary.ignored += 1;
        tracing::debug!(kind = %truncate(event.kind, 40), event = %event.id, "ignoring a direct message event that is not a message");
        return;
    }
    let Some(created) = event.message_create else {
        plan.summary.malformed += 1;
        tracing::warn!(event = %event.id, "skipping a message_create event without message_create");
        return;
    };
    let sender = created.sender_id;
    let recipient = created.target.recipient_id;
    if &sender != account {
        if &recipient != account {
            plan.summary.ignored += 1;
            tracing::warn!(event = %event.id, "ignoring a message neither sent nor received by the subscribed account");
            return;
        }
        let customer = envelope.user(&sender);
        let message = InboundMessage {
            event_id: event.id,
            conversation: ConversationKey::new(account.clone(), sender),
            created_ms: event.created_timestamp,
            media: media_of(&created.message_data),
            text: created.message_data.text,
            quick_reply_metadata: created
                .message_data
                .quick_reply_response
                .and_then(|q| q.metadata),
            welcome_message_id: event.initiated_via.and_then(|i| i.welcome_message_id),
            customer_screen_name: customer.as_ref().and_then(|u| u.screen_name.clone()),
            customer_name: customer.and_then(|u| u.name),
        };
        plan.actions.push(Action::StoreInbound(message));
        return;
    }
    if &recipient == account {
        plan.summary.ignored += 1;
        tracing::debug!(event = %event.id, "ignoring a message from the account to itself");
        return;
    }
    if app_id.is_some() && created.source_app_id.as_deref() == app_id {
        plan.actions.push(Action::BotEcho(AccountEcho {
            event_id: event.id,
            conversation: ConversationKey::new(account.clone(), recipient),
            created_ms: event.created_timestamp,
            from_our_app: true,
        }));
        return;
    }
    plan.actions.push(Action::AccountWrote(AgentActivity {
        event_id: event.id,
        conversation: ConversationKey::new(account.clone(), recipient),
        created_ms: event.created_timestamp,
    }));
}

/// The media of a message, when it has a usable one. A media attachment without an id or a URL
/// is logged and dropped: the text still reaches the bot.
fn media_of(data: &MessageData) -> Option<InboundMedia> {
    let attachment = data.attachment.as_ref()?;
    if attachment.kind != "media" {
        return None;
    }
    let media = attachment.media.as_ref();
    let id = media.and_then(|m| m.id_str.clone());
    let url = media.and_then(|m| m.media_url_https.clone().or_else(|| m.media_url.clone()));
    match (id, url) {
        (Some(id), Some(url)) => Some(InboundMedia {
            id,
            url,
            kind: media
                .and_then(|m| m.kind.clone())
                .unwrap_or_else(|| "photo".to_string()),
        }),
        _ => {
            tracing::warn!("dropping a media attachment without id_str or media URL");
            None
        }
    }
}
