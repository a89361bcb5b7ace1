use super::lookup::is_reply_after;
use super::*;
use crate::domain::{ConversationKey, InboundRecord};
use crate::twitter::api_types::DmEvent;

fn key() -> ConversationKey {
    ConversationKey::new(UserId::parse("100").unwrap(), UserId::parse("200").unwrap())
}

fn dm(id: &str, sender: &str, recipient: &str, created: &str) -> DmEvent {
    serde_json::from_value(serde_json::json!({
        "type": "message_create",
        "id": id,
        "created_timestamp": created,
        "message_create": {
            "target": {"recipient_id": recipient},
            "sender_id": sender,
            "message_data": {"text": "hi"}
        }
    }))
    .unwrap()
}

#[test]
fn a_message_from_the_account_to_the_customer_after_the_inbound_one_is_a_reply() {
    assert!(is_reply_after(&dm("1", "100", "200", "5000"), &key(), 4000));
}

#[test]
fn messages_before_the_inbound_one_or_in_the_other_direction_are_not_replies() {
    assert!(!is_reply_after(
        &dm("1", "100", "200", "3000"),
        &key(),
        4000
    ));
    assert!(!is_reply_after(
        &dm("1", "200", "100", "5000"),
        &key(),
        4000
    ));
    assert!(!is_reply_after(
        &dm("1", "100", "300", "5000"),
        &key(),
        4000
    ));
}

#[test]
fn the_default_flow_id_comes_from_the_environment_else_default() {
    let from = |v: Option<&str>| match FlowSource::store_from_lookup(|_| v.map(String::from)) {
        FlowSource::Store { default_flow_id } => default_flow_id,
        FlowSource::Fixed(_) => unreachable!(),
    };
    assert_eq!(from(None), "default");
    assert_eq!(from(Some("  ")), "default");
    assert_eq!(from(Some("acme-support")), "acme-support");
}

#[test]
fn only_busy_outcomes_ask_for_a_retry() {
    assert!(Handled::Busy.needs_retry());
    assert!(!Handled::Silent.needs_retry());
    assert!(!Handled::Missing.needs_retry());
}

/// `dmbot serve` spawns these on a multi-threaded runtime: the futures must be `Send`.
#[allow(dead_code)]
fn dispatch_futures_are_send(d: &Dispatcher<crate::store::memory::MemoryStore>, r: &InboundRecord) {
    fn send<T: Send>(_: T) {}
    send(d.handle(r, Instant::now()));
    send(d.handle_batch(Vec::new(), Instant::now()));
}
