//! The dispatch role on its recovery paths (`docs/DISPATCH.md`): a message put off by a rate
//! limit and re-driven by the schedule, and an interrupted attempt decided from the echo receipt
//! the webhook role recorded. Part of `tests/iam/` (one process: the unused-grant check needs
//! every path).

use std::sync::Arc;
use std::time::{Duration, Instant};

use dmbot_dispatch::redrive_due;
use dmbot_shared::dispatch::{DispatchConfig, Dispatcher, FlowSource, Handled};
use dmbot_shared::domain::{AccountEcho, ConversationKey, EventId, UserId, now_ms};
use dmbot_shared::flow::Flow;
use dmbot_shared::store::{AttemptMark, Inbox, Outbox};
use dmbot_shared::twitter::limits::{DirectMessage, MessageData};
use dmbot_shared::twitter::oauth1::TokenCredentials;
use dmbot_tests::iam::IamMoto;
use dmbot_tests::simulator::{Fault, TwitterApi, client};

use crate::support::{DISPATCH, FLOW, WEBHOOK, denials, inbound};

const SEND: &str = "direct_messages/events/new.json";

fn owner_dispatcher(
    fake: &TwitterApi,
    store: dmbot_shared::store::dynamodb::DynamoStore,
    dir: &std::path::Path,
) -> Dispatcher<dmbot_shared::store::dynamodb::DynamoStore> {
    std::fs::write(dir.join("chart.png"), b"\x89PNG\r\n\x1a\nchart").unwrap();
    let flow = Flow::from_toml_str(FLOW, dir).unwrap_or_else(|e| panic!("{e}"));
    let owner = fake.owner();
    let config = DispatchConfig::new(
        TokenCredentials::new(&owner.token, &owner.token_secret),
        FlowSource::Fixed(Arc::new(flow)),
    );
    Dispatcher::new(store, client(fake), config)
}

/// H1: a rate limit resetting in 20 minutes puts the message off (its mark and a `DEFERRED`
/// entry); the schedule's re-drive after the reset takes the entry and re-drives the message.
pub async fn the_dispatch_role_puts_off_a_rate_limited_message_and_redrives_it() {
    let moto = IamMoto::shared().await;
    let admin = moto.admin_store().await;
    let fake = TwitterApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    let account = UserId::parse(&fake.owner().user_id).unwrap();
    let conversation = ConversationKey::new(account, UserId::parse("3301000011").unwrap());
    let mut record = inbound(&conversation, "1600000000000000011");
    record.received_ms = now_ms();
    admin.put_inbound(&record).await.unwrap();
    let reset = now_ms() / 1000 + 20 * 60;
    fake.fail_next(SEND, 1, Fault::RateLimited { reset_at: reset });

    let store = moto.store_as(DISPATCH).await;
    let dispatcher = owner_dispatcher(&fake, store.clone(), dir.path());
    let handled = dispatcher
        .handle(&record, Instant::now() + Duration::from_secs(3))
        .await
        .unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
    assert!(matches!(handled, Handled::Deferred { .. }), "{handled:?}");
    let after_reset = (reset + 60) * 1000;
    let redriven = redrive_due(&store, after_reset)
        .await
        .unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
    assert_eq!(redriven, 1, "{}", denials(moto));
}

/// An attempt that began sending and died: the webhook role recorded the echo of its reply, and
/// the dispatch role decides from that receipt (a Query of the conversation's `OUT#` items)
/// without sending again.
pub async fn the_dispatch_role_decides_an_interrupted_attempt_from_the_echo_receipt() {
    let moto = IamMoto::shared().await;
    let admin = moto.admin_store().await;
    let fake = TwitterApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    let customer = UserId::parse("3301000012").unwrap();
    let account = UserId::parse(&fake.owner().user_id).unwrap();
    let conversation = ConversationKey::new(account, customer.clone());
    let sending_ms = now_ms() - 1_000;
    let mut record = inbound(&conversation, "1600000000000000012");
    record.received_ms = sending_ms - 1_000;
    admin.put_inbound(&record).await.unwrap();
    admin
        .mark_inbound(
            &conversation,
            &record.message.event_id,
            &AttemptMark::Sending { at_ms: sending_ms },
        )
        .await
        .unwrap();
    record.attempt.sending_ms = Some(sending_ms);

    // The reply went out, and its echo reached the webhook.
    let owner = fake.owner();
    let dm = DirectMessage::new(customer, MessageData::text("Menu").unwrap());
    let reply: EventId = client(&fake)
        .send_direct_message(
            &TokenCredentials::new(&owner.token, &owner.token_secret),
            &dm,
        )
        .await
        .unwrap()
        .id;
    let echo = AccountEcho {
        event_id: reply.clone(),
        conversation: conversation.clone(),
        created_ms: now_ms(),
        from_our_app: true,
    };
    moto.store_as(WEBHOOK)
        .await
        .record_echo(&echo, now_ms())
        .await
        .unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));

    let dispatcher = owner_dispatcher(&fake, moto.store_as(DISPATCH).await, dir.path());
    let handled = dispatcher
        .handle(&record, Instant::now() + Duration::from_secs(20))
        .await
        .unwrap_or_else(|e| panic!("{e}; {}", denials(moto)));
    assert_eq!(
        handled,
        Handled::Replied {
            reply_event_id: reply,
            recovered: true
        }
    );
    assert_eq!(fake.sent_messages().len(), 1, "nothing sent again");
}
