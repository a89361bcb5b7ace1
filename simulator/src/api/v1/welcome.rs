//! Welcome messages and their rules (v1.1 `direct_messages/welcome_messages/...`,
//! `docs/TWITTER-API.md` §3): create, update, list, show, delete; each account sees only its own.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use serde_json::{Value, json};

use super::dm::echo_message_data;
use crate::api::auth::Caller;
use crate::api::limits::check_message_data;
use crate::api::reply::{Reply, invalid, json_reply, no_content, not_found, paged_reply};
use crate::api::request::Call;
use crate::api::state::{Rule, Shared, Welcome, now_ms_string};

fn welcome_json(id: &str, w: &Welcome, name_inside: bool) -> Value {
    let mut v = json!({"id": id, "created_timestamp": w.created, "message_data": w.message_data});
    if name_inside && let Some(n) = &w.name {
        v["name"] = json!(n);
    }
    v
}

fn welcome_envelope(id: &str, w: &Welcome) -> Value {
    let mut v = json!({"welcome_message": welcome_json(id, w, false)});
    if let Some(n) = &w.name {
        v["name"] = json!(n);
    }
    v
}

fn rule_json(id: &str, r: &Rule) -> Value {
    json!({"id": id, "created_timestamp": r.created, "welcome_message_id": r.welcome_message_id})
}

fn id_param(call: &Call) -> String {
    call.q("id").unwrap_or("").to_string()
}

/// `POST welcome_messages/new.json`.
pub(crate) async fn new(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let body = match call.json() {
        Ok(b) => b,
        Err(r) => return r,
    };
    let wm = &body["welcome_message"];
    let name = wm.get("name").and_then(Value::as_str).map(str::to_string);
    if name.as_ref().is_some_and(|n| n.chars().count() > 100) {
        return invalid("welcome_message.name exceeds 100 characters");
    }
    let mut s = shared.lock();
    if let Err(e) = check_message_data(&wm["message_data"], 9_990, &s) {
        return invalid(&format!("welcome_message.{e}"));
    }
    let id = s.fresh_id();
    let w = Welcome {
        owner: caller.account_id(),
        name,
        created: now_ms_string(),
        message_data: echo_message_data(&wm["message_data"], &s),
    };
    let v = welcome_envelope(&id, &w);
    s.welcomes.insert(id, w);
    json_reply(200, v)
}

/// `PUT welcome_messages/update.json?id=`.
pub(crate) async fn update(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let (me, id) = (caller.account_id(), id_param(&call));
    let body = match call.json() {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut s = shared.lock();
    if let Err(e) = check_message_data(&body["message_data"], 9_990, &s) {
        return invalid(&e);
    }
    let data = echo_message_data(&body["message_data"], &s);
    match s.welcomes.get_mut(&id).filter(|w| w.owner == me) {
        Some(w) => {
            w.message_data = data;
            let v = welcome_envelope(&id, w);
            json_reply(200, v)
        }
        None => not_found(),
    }
}

/// `GET welcome_messages/list.json`: newest first, paged.
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let me = caller.account_id();
    let s = shared.lock();
    let all: Vec<Value> = s
        .welcomes
        .iter()
        .rev()
        .filter(|(_, w)| w.owner == me)
        .map(|(id, w)| welcome_json(id, w, true))
        .collect();
    paged_reply(&all, &call, "welcome_messages")
}

/// `GET welcome_messages/show.json?id=`.
pub(crate) async fn show(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let (me, id) = (caller.account_id(), id_param(&call));
    let s = shared.lock();
    match s.welcomes.get(&id).filter(|w| w.owner == me) {
        Some(w) => json_reply(200, welcome_envelope(&id, w)),
        None => not_found(),
    }
}

/// `DELETE welcome_messages/destroy.json?id=`: also deletes the rules pointing at it.
pub(crate) async fn destroy(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let (me, id) = (caller.account_id(), id_param(&call));
    let mut s = shared.lock();
    if s.welcomes.get(&id).is_some_and(|w| w.owner == me) {
        s.welcomes.remove(&id);
        s.rules.retain(|_, r| r.welcome_message_id != id);
        no_content()
    } else {
        not_found()
    }
}

/// `POST welcome_messages/rules/new.json`: makes a welcome message the default.
pub(crate) async fn new_rule(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let me = caller.account_id();
    let body = match call.json() {
        Ok(b) => b,
        Err(r) => return r,
    };
    let wid = body
        .pointer("/welcome_message_rule/welcome_message_id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut s = shared.lock();
    if s.welcomes.get(&wid).is_none_or(|w| w.owner != me) {
        return not_found();
    }
    let id = s.fresh_id();
    let r = Rule {
        owner: me,
        created: now_ms_string(),
        welcome_message_id: wid,
    };
    let v = json!({"welcome_message_rule": rule_json(&id, &r)});
    s.rules.insert(id, r);
    json_reply(200, v)
}

/// `GET welcome_messages/rules/list.json`: newest first, paged.
pub(crate) async fn list_rules(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let me = caller.account_id();
    let s = shared.lock();
    let all: Vec<Value> = s
        .rules
        .iter()
        .rev()
        .filter(|(_, r)| r.owner == me)
        .map(|(id, r)| rule_json(id, r))
        .collect();
    paged_reply(&all, &call, "welcome_message_rules")
}

/// `GET welcome_messages/rules/show.json?id=`.
pub(crate) async fn show_rule(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let (me, id) = (caller.account_id(), id_param(&call));
    let s = shared.lock();
    match s.rules.get(&id).filter(|r| r.owner == me) {
        Some(r) => json_reply(200, json!({"welcome_message_rule": rule_json(&id, r)})),
        None => not_found(),
    }
}

/// `DELETE welcome_messages/rules/destroy.json?id=`.
pub(crate) async fn destroy_rule(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let (me, id) = (caller.account_id(), id_param(&call));
    let mut s = shared.lock();
    if s.rules.get(&id).is_some_and(|r| r.owner == me) {
        s.rules.remove(&id);
        no_content()
    } else {
        not_found()
    }
}
