use super::*;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/",
            $name
        ))
    };
}

fn only_dm(body: &[u8]) -> DirectMessageEvent {
    let env = Envelope::parse(body).unwrap();
    assert_eq!(env.direct_message_events.len(), 1);
    env.direct_message_events[0].parse().unwrap()
}

#[test]
fn text_dm_parses_every_field_we_use() {
    let env = Envelope::parse(fixture!("webhook_dm_text.json")).unwrap();
    assert_eq!(env.for_user_id.as_ref().unwrap().as_str(), "4337869213");
    let dm = env.direct_message_events[0].parse().unwrap();
    assert_eq!(dm.kind, "message_create");
    assert_eq!(dm.id.as_str(), "954491830116155396");
    assert_eq!(dm.created_timestamp, 1_516_403_560_557);
    let mc = dm.message_create.unwrap();
    assert_eq!(mc.sender_id.as_str(), "3001969357");
    assert_eq!(mc.target.recipient_id.as_str(), "4337869213");
    assert_eq!(mc.source_app_id.as_deref(), Some("258901"));
    assert_eq!(mc.message_data.text, "Hello, where is my order?");
    let customer = env.user(&mc.sender_id).unwrap();
    assert_eq!(customer.screen_name.as_deref(), Some("furiouscamper"));
    assert_eq!(customer.name.as_deref(), Some("Jordan Brinks"));
    assert_eq!(env.apps.len(), 2);
    assert_eq!(
        env.apps["13090192"].parse().unwrap().name.as_deref(),
        Some("Acme Engagement")
    );
}

#[test]
fn quick_reply_metadata_is_read() {
    let dm = only_dm(fixture!("webhook_dm_quick_reply.json"));
    let qr = dm.message_create.unwrap().message_data.quick_reply_response;
    assert_eq!(qr.unwrap().metadata.as_deref(), Some("order_status"));
}

#[test]
fn welcome_message_id_is_read() {
    let dm = only_dm(fixture!("webhook_dm_from_welcome.json"));
    assert_eq!(
        dm.initiated_via.unwrap().welcome_message_id.as_deref(),
        Some("844385345234")
    );
}

#[test]
fn media_id_comes_from_id_str_not_the_rounded_number() {
    let dm = only_dm(fixture!("webhook_dm_with_media.json"));
    let attachment = dm.message_create.unwrap().message_data.attachment.unwrap();
    assert_eq!(attachment.kind, "media");
    let media = attachment.media.unwrap();
    assert_eq!(media.id_str.as_deref(), Some("954491830116155400"));
    assert_eq!(media.kind.as_deref(), Some("photo"));
    assert!(
        media
            .media_url_https
            .unwrap()
            .starts_with("https://ton.twitter.com/")
    );
}

#[test]
fn batch_keeps_every_event_in_order() {
    let env = Envelope::parse(fixture!("webhook_dm_batch.json")).unwrap();
    let ids: Vec<String> = env
        .direct_message_events
        .iter()
        .map(|e| e.parse().unwrap().id.to_string())
        .collect();
    assert_eq!(
        ids,
        [
            "954491830116155403",
            "954491830116155404",
            "954491830116155405"
        ]
    );
}

#[test]
fn typing_and_read_events_parse() {
    let env = Envelope::parse(fixture!("webhook_typing.json")).unwrap();
    let typing = env.direct_message_indicate_typing_events[0]
        .parse()
        .unwrap();
    assert_eq!(typing.sender_id.as_str(), "3001969357");
    assert_eq!(typing.created_timestamp, 1_518_127_183_443);

    let env = Envelope::parse(fixture!("webhook_mark_read.json")).unwrap();
    let read = env.direct_message_mark_read_events[0].parse().unwrap();
    assert_eq!(read.last_read_event_id.as_str(), "963085315333238788");
    assert_eq!(read.target.recipient_id.as_str(), "4337869213");
}

#[test]
fn revoke_parses_without_for_user_id() {
    let env = Envelope::parse(fixture!("webhook_revoke.json")).unwrap();
    assert!(env.for_user_id.is_none());
    let revoke = env.user_event.unwrap().parse().unwrap().revoke.unwrap();
    assert_eq!(revoke.source.user_id.as_str(), "3001969357");
    assert_eq!(revoke.target.unwrap().app_id.as_deref(), Some("13090192"));
}

#[test]
fn unknown_event_arrays_are_accepted_and_ignored() {
    let env = Envelope::parse(fixture!("webhook_favorite.json")).unwrap();
    assert!(env.direct_message_events.is_empty());
    assert!(env.user_event.is_none());
    let env = Envelope::parse(
        br#"{"for_user_id":"1","some_future_events":[{"x":1}],"follow_events":[]}"#,
    )
    .unwrap();
    assert!(env.direct_message_events.is_empty());
}

#[test]
fn one_malformed_event_does_not_prevent_parsing_the_others() {
    let body = br#"{"for_user_id":"1","direct_message_events":[
        {"type":"message_create","id":"not-a-number","created_timestamp":"1"},
        {"type":"message_create","id":"5","created_timestamp":"1","message_create":{
          "target":{"recipient_id":"1"},"sender_id":"2","message_data":{"text":"hi"}}}
    ]}"#;
    let env = Envelope::parse(body).unwrap();
    assert_eq!(env.direct_message_events.len(), 2);
    let err = env.direct_message_events[0].parse().unwrap_err();
    assert!(err.to_string().contains("event id"), "{err}");
    assert_eq!(
        env.direct_message_events[1].parse().unwrap().id.as_str(),
        "5"
    );
}

#[test]
fn when_body_is_not_json_should_say_not_json() {
    assert!(matches!(
        Envelope::parse(b"{\"for_user_id\":"),
        Err(EnvelopeError::NotJson { .. })
    ));
    assert!(matches!(
        Envelope::parse(b"hello"),
        Err(EnvelopeError::NotJson { .. })
    ));
}

#[test]
fn when_an_event_array_is_not_an_array_should_say_wrong_shape_and_where() {
    let err = Envelope::parse(br#"{"for_user_id":"1","direct_message_events":{}}"#).unwrap_err();
    let EnvelopeError::WrongShape { detail } = &err else {
        panic!("{err:?}");
    };
    assert!(detail.contains("sequence"), "{detail}");
    assert!(
        matches!(
            Envelope::parse(b"[1,2]"),
            Err(EnvelopeError::WrongShape { .. })
        ),
        "a JSON array is not an envelope"
    );
}

#[test]
fn when_for_user_id_is_not_a_snowflake_should_say_wrong_shape() {
    let err = Envelope::parse(br#"{"for_user_id":"abc"}"#).unwrap_err();
    assert!(
        matches!(&err, EnvelopeError::WrongShape { detail } if detail.contains("user id")),
        "{err:?}"
    );
}

#[test]
fn when_dms_come_without_for_user_id_should_refuse() {
    let err = Envelope::parse(br#"{"direct_message_events":[{}]}"#).unwrap_err();
    assert_eq!(err, EnvelopeError::MissingForUserId);
}

#[test]
fn debug_output_of_events_does_not_show_their_content() {
    let env = Envelope::parse(fixture!("webhook_dm_text.json")).unwrap();
    let shown = format!("{env:?}");
    assert!(!shown.contains("where is my order"), "{shown}");
}

#[test]
fn a_parsed_event_serializes_back_to_the_wire_form() {
    let dm = only_dm(fixture!("webhook_dm_quick_reply.json"));
    let json = serde_json::to_value(&dm).unwrap();
    assert_eq!(json["created_timestamp"], "1516403560557");
    assert_eq!(json["type"], "message_create");
    let again: DirectMessageEvent = serde_json::from_value(json).unwrap();
    assert_eq!(again, dm);
}
