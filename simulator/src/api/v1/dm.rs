//! Direct messages (v1.1, `docs/TWITTER-API.md` §3): send, show, list and delete DM events, the
//! typing indicator and read receipts. What the account does is also reported to the live side
//! as an [`Activity`].

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use serde_json::{Value, json};

use crate::api::auth::Caller;
use crate::api::limits::{check_message_data, is_digits};
use crate::api::reply::{Reply, invalid, json_reply, no_content, not_found, paged_reply};
use crate::api::request::Call;
use crate::api::state::{Activity, Shared, State as Stored, now_ms_string};

/// `POST direct_messages/events/new.json`.
pub(crate) async fn send(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let body = match call.json() {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut s = shared.lock();
    let event = &body["event"];
    if event["type"] != "message_create" {
        return invalid("event.type must be message_create");
    }
    let mc = &event["message_create"];
    if !is_digits(mc.pointer("/target/recipient_id")) {
        return invalid("event.message_create.target.recipient_id: must be a user id");
    }
    if let Some(p) = mc.get("custom_profile_id") {
        let known = p.as_str().is_some_and(|id| s.profiles.contains_key(id));
        if !known {
            return invalid("event.message_create.custom_profile_id: unknown custom profile");
        }
    }
    if let Err(e) = check_message_data(&mc["message_data"], 10_000, &s) {
        return invalid(&format!("event.message_create.{e}"));
    }
    let id = s.fresh_id();
    let mut create = json!({
        "target": mc["target"],
        "sender_id": caller.account_id(),
        "source_app_id": s.app.app_id,
        "message_data": echo_message_data(&mc["message_data"], &s),
    });
    if let Some(p) = mc.get("custom_profile_id") {
        create["custom_profile_id"] = p.clone();
    }
    let event = json!({
        "type": "message_create",
        "id": id,
        "created_timestamp": now_ms_string(),
        "message_create": create,
    });
    s.dms.push(event.clone());
    if let Some(tx) = &s.activity {
        let _ = tx.send(Activity::MessageSent(event.clone()));
    }
    json_reply(200, json!({ "event": event }))
}

/// The message data as Twitter echoes it back: with `entities` and an expanded attachment.
pub(crate) fn echo_message_data(md: &Value, s: &Stored) -> Value {
    let mut out = md.clone();
    if let Some(obj) = out.as_object_mut() {
        obj.insert(
            "entities".into(),
            json!({"hashtags":[],"symbols":[],"user_mentions":[],"urls":[]}),
        );
        if let Some(id) = md.pointer("/attachment/media/id").and_then(Value::as_str) {
            let kind = match s.uploads.get(id).map(|u| u.category.as_str()) {
                Some("dm_video") => "video",
                Some("dm_gif") => "animated_gif",
                _ => "photo",
            };
            obj.insert(
                "attachment".into(),
                json!({"type":"media","media":{"id_str":id,"media_url_https":format!("https://ton.twitter.com/i/ton/data/dm/{id}.jpg"),"type":kind}}),
            );
        }
    }
    out
}

/// Whether `user` sent or received `event`.
fn involves(event: &Value, user: &str) -> bool {
    event
        .pointer("/message_create/sender_id")
        .and_then(Value::as_str)
        == Some(user)
        || event
            .pointer("/message_create/target/recipient_id")
            .and_then(Value::as_str)
            == Some(user)
}

/// `GET direct_messages/events/show.json?id=`.
pub(crate) async fn show(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let me = caller.account_id();
    let s = shared.lock();
    match s
        .dms
        .iter()
        .find(|e| e["id"].as_str() == call.q("id") && involves(e, &me))
    {
        Some(e) => json_reply(200, json!({ "event": e })),
        None => not_found(),
    }
}

/// `GET direct_messages/events/list.json`: the caller's events, newest first, paged.
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let me = caller.account_id();
    let s = shared.lock();
    let events: Vec<Value> = s
        .dms
        .iter()
        .rev()
        .filter(|e| involves(e, &me))
        .cloned()
        .collect();
    paged_reply(&events, &call, "events")
}

/// `DELETE direct_messages/events/destroy.json?id=`.
pub(crate) async fn destroy(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let me = caller.account_id();
    let mut s = shared.lock();
    let before = s.dms.len();
    s.dms
        .retain(|e| !(e["id"].as_str() == call.q("id") && involves(e, &me)));
    if s.dms.len() == before {
        return not_found();
    }
    no_content()
}

/// `POST direct_messages/indicate_typing.json` (form: `recipient_id`).
pub(crate) async fn indicate_typing(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let Some(r) = call
        .f("recipient_id")
        .filter(|r| is_digits(Some(&json!(r))))
    else {
        return invalid("recipient_id is required");
    };
    let me = caller.account_id();
    let mut s = shared.lock();
    s.typing.push((me.clone(), r.to_string()));
    if let Some(tx) = &s.activity {
        let _ = tx.send(Activity::Typing {
            sender: me,
            recipient: r.to_string(),
        });
    }
    no_content()
}

/// `POST direct_messages/mark_read.json` (form: `recipient_id`, `last_read_event_id`).
pub(crate) async fn mark_read(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let (Some(r), Some(last)) = (call.f("recipient_id"), call.f("last_read_event_id")) else {
        return invalid("recipient_id and last_read_event_id are required");
    };
    let me = caller.account_id();
    let mut s = shared.lock();
    s.reads.push((me.clone(), r.to_string(), last.to_string()));
    if let Some(tx) = &s.activity {
        let _ = tx.send(Activity::MarkRead {
            sender: me,
            recipient: r.to_string(),
            last_read_event_id: last.to_string(),
        });
    }
    no_content()
}
