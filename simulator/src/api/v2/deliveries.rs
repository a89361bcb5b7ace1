//! What each webhook gets for one Account Activity envelope (a DM event for the account): a
//! v1.1 webhook gets the envelope itself (as before v2); a v2 webhook gets the envelope (with
//! `for_user_id` set) for each Account Activity v2 subscription of a user in the event, and one
//! X Activity API event per matching XAA subscription: `dm.received` when the subscribed user
//! is the recipient, `dm.sent` when the sender (`filter.direction` narrows them further).
//! `dm.received` events are counted as billable ([`super::V2Usage::xaa_dm_received`]).

use serde_json::{Map, Value, json};

use crate::api::TwitterApi;
use crate::api::state::State;

/// One POST to make: the webhook URL and the JSON body (sign its exact bytes).
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub url: String,
    pub body: Value,
}

impl TwitterApi {
    /// The deliveries Twitter/X makes for `envelope` (an Account Activity delivery, as the
    /// simulator builds it): to every valid webhook, in the format of its subscriptions.
    pub fn deliveries_for(&self, envelope: &Value) -> Vec<Delivery> {
        let mut s = self.shared.lock();
        let mut out = Vec::new();
        let hooks: Vec<(String, String, String)> = s
            .webhooks
            .values()
            .filter(|w| w.valid)
            .map(|w| (w.id.clone(), w.env.clone(), w.url.clone()))
            .collect();
        for (id, env, url) in hooks {
            if !env.is_empty() {
                out.push(Delivery {
                    url,
                    body: envelope.clone(),
                });
                continue;
            }
            for body in for_v2_webhook(&mut s, &id, envelope) {
                out.push(Delivery {
                    url: url.clone(),
                    body,
                });
            }
        }
        out
    }
}

/// The bodies the v2 webhook `hook` gets for `envelope`.
fn for_v2_webhook(s: &mut State, hook: &str, envelope: &Value) -> Vec<Value> {
    let event = envelope.pointer("/direct_message_events/0");
    let mc = event.map(|e| &e["message_create"]);
    let sender = mc.and_then(|m| m["sender_id"].as_str()).unwrap_or("");
    let recipient = mc
        .and_then(|m| m.pointer("/target/recipient_id"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let for_user = envelope["for_user_id"].as_str().unwrap_or("");
    let mut bodies = Vec::new();
    for (_, user) in s.v2.aaa.iter().filter(|(h, _)| h == hook) {
        let concerned = if event.is_some() {
            user == sender || user == recipient
        } else {
            user == for_user
        };
        if concerned {
            let mut body = envelope.clone();
            body["for_user_id"] = json!(user);
            bodies.push(body);
        }
    }
    let Some(event) = event else {
        return bodies;
    };
    let subs: Vec<_> =
        s.v2.xaa
            .values()
            .filter(|sub| sub.webhook_id.as_deref() == Some(hook))
            .cloned()
            .collect();
    for sub in subs {
        let wanted = match sub.event_type.as_str() {
            "dm.received" => {
                sub.user_id == recipient && sub.direction.as_deref() != Some("outbound")
            }
            "dm.sent" => sub.user_id == sender && sub.direction.as_deref() != Some("inbound"),
            _ => false,
        };
        if !wanted {
            continue;
        }
        if sub.event_type == "dm.received" {
            s.v2.usage.xaa_dm_received += 1;
        }
        let mut data = json!({
            "event_uuid": s.fresh_id(),
            "filter": {"user_id": sub.user_id},
            "event_type": sub.event_type,
            "payload": {
                "direct_message_events": [event],
                "users": xaa_users(&envelope["users"], &[sender, recipient]),
            },
        });
        if let Some(tag) = &sub.tag {
            data["tag"] = json!(tag);
        }
        bodies.push(json!({ "data": data }));
    }
    bodies
}

/// The users of the event as XAA has them: v2 user objects under `.data`.
fn xaa_users(v1_users: &Value, ids: &[&str]) -> Value {
    let mut out = Map::new();
    for id in ids.iter().filter(|id| !id.is_empty()) {
        let u = &v1_users[*id];
        let name = u["name"].as_str().unwrap_or(id);
        let username = u["screen_name"].as_str().unwrap_or(id);
        out.insert(
            id.to_string(),
            json!({"data": {"id": id, "name": name, "username": username, "protected": false, "verified": false}}),
        );
    }
    Value::Object(out)
}
