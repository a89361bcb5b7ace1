//! v2 Direct Messages (docs.x.com/x-api/direct-messages): send to a participant and read a conversation's
//! events. The stored events are v1.1's (`State::dms`), so a message sent here is also in
//! `direct_messages/events/list.json`, on the chat page and in the webhook deliveries.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::problem::{Limit, add_headers, forbidden, invalid_param, iso_time, now, take};
use crate::api::auth::Caller;
use crate::api::reply::{Reply, json_reply};
use crate::api::request::Call;
use crate::api::state::{Activity, Shared, State as Stored, now_ms_string};
use crate::api::v1::dm::echo_message_data;

/// `^[0-9]{1,19}$`: a user or media id as X's OpenAPI has it.
pub(crate) fn is_id(s: &str) -> bool {
    (1..=19).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// The JSON body of a v2 request: a `400` naming the body when it is not JSON.
pub(crate) fn json_body(call: &Call) -> Result<Value, Reply> {
    let is_json = call
        .content_type()
        .is_some_and(|c| c.starts_with("application/json"));
    match serde_json::from_slice::<Value>(&call.body) {
        Ok(v) if is_json => Ok(v),
        _ => Err(invalid_param(
            "body",
            &json!(""),
            "The request body must be a JSON object (Content-Type: application/json).",
        )),
    }
}

/// A 1:1 conversation's id: both user ids, the smaller first.
pub(crate) fn conversation_id(a: &str, b: &str) -> String {
    let (x, y) = (a.parse::<u64>().unwrap_or(0), b.parse::<u64>().unwrap_or(0));
    if x <= y {
        format!("{a}-{b}")
    } else {
        format!("{b}-{a}")
    }
}

/// The body X's OpenAPI allows: `additionalProperties: false`, `text` (minLength 1) and/or
/// `attachments` (one `{"media_id"}`). Returns `(text, media_id)`.
fn check_body(body: &Value) -> Result<(Option<String>, Option<String>), Reply> {
    let Some(obj) = body.as_object() else {
        return Err(invalid_param("body", body, "The body must be an object."));
    };
    if let Some(key) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "text" | "attachments"))
    {
        return Err(invalid_param(
            key,
            &obj[key],
            &format!("[{key}] is not one of the allowed properties [text, attachments]"),
        ));
    }
    let text = match obj.get("text") {
        None => None,
        Some(Value::String(t)) if !t.is_empty() => Some(t.clone()),
        Some(other) => {
            return Err(invalid_param(
                "text",
                other,
                "text must be a non-empty string",
            ));
        }
    };
    let media = match obj.get("attachments") {
        None => None,
        Some(Value::Array(items)) if items.len() == 1 => {
            let item = &items[0];
            let ok = item.as_object().is_some_and(|o| o.len() == 1)
                && item["media_id"].as_str().is_some_and(is_id);
            if !ok {
                return Err(invalid_param(
                    "attachments.media_id",
                    item,
                    "an attachment is {\"media_id\": \"^[0-9]{1,19}$\"} and nothing else",
                ));
            }
            item["media_id"].as_str().map(str::to_string)
        }
        Some(other) => {
            return Err(invalid_param(
                "attachments",
                other,
                "attachments must hold exactly one attachment (only one per message)",
            ));
        }
    };
    if text.is_none() && media.is_none() {
        return Err(invalid_param(
            "text",
            &json!(null),
            "text or attachments is required",
        ));
    }
    Ok((text, media))
}

/// Whether `media_id` is finalized, was uploaded by `me` and has not expired.
fn check_media(s: &Stored, media_id: &str, me: &str) -> Result<(), Reply> {
    let bad = |why: &str| Err(invalid_param("attachments.media_id", &json!(media_id), why));
    let Some(upload) = s.uploads.get(media_id).filter(|u| u.data.is_some()) else {
        return bad("the media was not uploaded (or not finalized)");
    };
    if upload.owner != me {
        return bad("the authenticated user must have uploaded the media");
    }
    if now(s) >= upload.expires_at {
        return bad("the media has expired (media is available for 24 hours after upload)");
    }
    Ok(())
}

fn send_limits(s: &Stored, me: &str) -> Vec<Limit> {
    let c = &s.v2.config;
    vec![
        Limit {
            key: format!("dm_send:user:{me}:short"),
            limit: c.dm_sends_per_user_short,
            secs: c.short_window_secs,
            header: "x-rate-limit",
        },
        Limit {
            key: format!("dm_send:user:{me}:long"),
            limit: c.dm_sends_per_user_long,
            secs: c.long_window_secs,
            header: "x-user-limit-24hour",
        },
        Limit {
            key: "dm_send:app:long".into(),
            limit: c.dm_sends_per_app_long,
            secs: c.long_window_secs,
            header: "x-app-limit-24hour",
        },
    ]
}

/// `POST /2/dm_conversations/with/:participant_id/messages`.
pub(crate) async fn send(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
    Path(participant): Path<String>,
) -> Reply {
    let me = caller.account_id();
    let mut s = shared.lock();
    let limits = send_limits(&s, &me);
    let headers = match take(&mut s, &limits) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let mut answer = send_checked(&mut s, &call, &me, &participant);
    add_headers(&mut answer, &headers);
    answer
}

fn send_checked(s: &mut Stored, call: &Call, me: &str, participant: &str) -> Reply {
    if !is_id(participant) {
        return invalid_param("participant_id", &json!(participant), "must be a user id");
    }
    let (text, media) = match json_body(call).and_then(|b| check_body(&b)) {
        Ok(found) => found,
        Err(r) => return r,
    };
    if let Some(id) = &media
        && let Err(r) = check_media(s, id, me)
    {
        return r;
    }
    let wrote_first = s.dms.iter().any(|e| {
        e.pointer("/message_create/sender_id")
            .and_then(Value::as_str)
            == Some(participant)
            && e.pointer("/message_create/target/recipient_id")
                .and_then(Value::as_str)
                == Some(me)
    });
    if !wrote_first {
        return forbidden("You are not allowed to DM this user: they have not written to you.");
    }
    let mut md = json!({"text": text.unwrap_or_default()});
    if let Some(id) = &media {
        md["attachment"] = json!({"type": "media", "media": {"id": id}});
    }
    let id = s.fresh_id();
    let event = json!({
        "type": "message_create",
        "id": id,
        "created_timestamp": now_ms_string(),
        "message_create": {
            "target": {"recipient_id": participant},
            "sender_id": me,
            "source_app_id": s.app.app_id,
            "message_data": echo_message_data(&md, s),
        },
    });
    s.dms.push(event.clone());
    s.v2.usage.dm_create += 1;
    if let Some(tx) = &s.activity {
        let _ = tx.send(Activity::MessageSent(event));
    }
    json_reply(
        201,
        json!({"data": {"dm_conversation_id": conversation_id(me, participant), "dm_event_id": id}}),
    )
}

const FIELDS: [&str; 9] = [
    "attachments",
    "created_at",
    "dm_conversation_id",
    "entities",
    "event_type",
    "id",
    "participant_ids",
    "referenced_tweets",
    "sender_id",
];

/// A stored v1.1 event as a v2 DM event with the requested fields (`id`, `event_type` and
/// `text` always).
pub(crate) fn v2_event(event: &Value, fields: &[String], s: &Stored) -> Value {
    let mc = &event["message_create"];
    let sender = mc["sender_id"].as_str().unwrap_or("");
    let recipient = mc
        .pointer("/target/recipient_id")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut v = json!({
        "id": event["id"],
        "event_type": "MessageCreate",
        "text": mc.pointer("/message_data/text").cloned().unwrap_or(json!("")),
    });
    let wants = |f: &str| fields.iter().any(|x| x == f);
    if wants("sender_id") {
        v["sender_id"] = json!(sender);
    }
    if wants("created_at") {
        let ms = event["created_timestamp"]
            .as_str()
            .and_then(|t| t.parse().ok());
        v["created_at"] = json!(iso_time(ms.unwrap_or(0)));
    }
    if wants("dm_conversation_id") {
        v["dm_conversation_id"] = json!(conversation_id(sender, recipient));
    }
    let media = mc
        .pointer("/message_data/attachment/media/id_str")
        .and_then(Value::as_str);
    if wants("attachments")
        && let Some(id) = media
    {
        let key = super::media::media_key(s.uploads.get(id).map_or("", |u| &u.category), id);
        v["attachments"] = json!({"media_keys": [key]});
    }
    v
}

/// `GET /2/dm_conversations/with/:participant_id/dm_events`: newest first, `max_results`
/// (1–100, default 100) per page, `pagination_token`, `dm_event.fields`.
pub(crate) async fn lookup(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
    Path(participant): Path<String>,
) -> Reply {
    let me = caller.account_id();
    let mut s = shared.lock();
    let limit = Limit {
        key: format!("dm_lookup:user:{me}:short"),
        limit: s.v2.config.dm_lookups_per_user_short,
        secs: s.v2.config.short_window_secs,
        header: "x-rate-limit",
    };
    let headers = match take(&mut s, &[limit]) {
        Ok(h) => h,
        Err(r) => return r,
    };
    let mut answer = lookup_checked(&mut s, &call, &me, &participant);
    add_headers(&mut answer, &headers);
    answer
}

fn lookup_checked(s: &mut Stored, call: &Call, me: &str, participant: &str) -> Reply {
    if !is_id(participant) {
        return invalid_param("participant_id", &json!(participant), "must be a user id");
    }
    let fields: Vec<String> = call
        .q("dm_event.fields")
        .map(|f| f.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    if let Some(bad) = fields.iter().find(|f| !FIELDS.contains(&f.as_str())) {
        return invalid_param(
            "dm_event.fields",
            &json!(bad),
            "is not one of the allowed fields",
        );
    }
    let max = match call.q("max_results").map(str::parse::<usize>) {
        None => 100,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => {
            return invalid_param(
                "max_results",
                &json!(call.q("max_results")),
                "must be 1 to 100",
            );
        }
    };
    let start = match call.q("pagination_token").map(str::parse::<usize>) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            let token = json!(call.q("pagination_token"));
            return invalid_param("pagination_token", &token, "is not a valid token");
        }
    };
    let between = |e: &&Value| {
        let mc = &e["message_create"];
        let (a, b) = (
            mc["sender_id"].as_str(),
            mc.pointer("/target/recipient_id").and_then(Value::as_str),
        );
        (a == Some(me) && b == Some(participant)) || (a == Some(participant) && b == Some(me))
    };
    let all: Vec<&Value> = s.dms.iter().rev().filter(between).collect();
    let end = start.saturating_add(max).min(all.len());
    let page: Vec<Value> = all
        .get(start.min(all.len())..end)
        .unwrap_or_default()
        .iter()
        .map(|e| v2_event(e, &fields, s))
        .collect();
    let mut meta = json!({"result_count": page.len()});
    if end < all.len() {
        meta["next_token"] = json!(end.to_string());
    }
    s.v2.usage.dm_event_read += page.len() as u64;
    if page.is_empty() {
        return json_reply(200, json!({"meta": meta}));
    }
    json_reply(200, json!({"data": page, "meta": meta}))
}
