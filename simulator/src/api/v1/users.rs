//! Users (v1.1): `account/verify_credentials.json` and `users/lookup.json`.

use std::sync::Arc;

use axum::Extension;
use axum::extract::State;
use serde_json::{Value, json};

use crate::api::auth::Caller;
use crate::api::reply::{Reply, error, json_reply};
use crate::api::request::Call;
use crate::api::state::{Shared, SimAccount};

fn user_json(a: &SimAccount) -> Value {
    json!({
        "id": a.user_id.parse::<u64>().unwrap_or(0),
        "id_str": a.user_id,
        "name": format!("Fake {}", a.screen_name),
        "screen_name": a.screen_name,
        "profile_image_url_https": "https://pbs.twimg.com/profile_images/fake.jpg",
        "protected": false
    })
}

/// `GET account/verify_credentials.json`: the calling account.
pub(crate) async fn verify_credentials(
    State(shared): State<Arc<Shared>>,
    Extension(caller): Extension<Caller>,
) -> Reply {
    let a = caller
        .account
        .clone()
        .unwrap_or_else(|| shared.lock().accounts[0].clone());
    json_reply(200, user_json(&a))
}

/// `GET users/lookup.json?user_id=1,2,...` (at most 100).
pub(crate) async fn lookup(
    State(shared): State<Arc<Shared>>,
    Extension(call): Extension<Arc<Call>>,
) -> Reply {
    let Some(ids) = call.q("user_id") else {
        return error(400, 17, "No user matches for specified terms.");
    };
    let s = shared.lock();
    let wanted: Vec<&str> = ids.split(',').collect();
    if wanted.len() > 100 {
        return error(400, 18, "Too many terms specified in query.");
    }
    let found: Vec<Value> = s
        .accounts
        .iter()
        .filter(|a| wanted.contains(&a.user_id.as_str()))
        .map(user_json)
        .collect();
    if found.is_empty() {
        return error(404, 17, "No user matches for specified terms.");
    }
    json_reply(200, Value::Array(found))
}
