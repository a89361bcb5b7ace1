//! The one routing table of the simulator: every endpoint on one line, with its path, its
//! method, the authentication it needs ([`Need`]) and its handler. Around it, the request-log
//! layer ([`record`]) that every request passes; and for whatever no line matches, [`unrouted`].
//!
//! The `{...}` segments only shape the match: handlers read ids from the path as sent (not
//! percent-decoded), as the fake always compared them. A static path shadows a pattern for every
//! method, so a static path that a pattern also covers lists that pattern's methods too.
//!
//! A second API version (X API v2, `/2/...`) is a block of its own: a `v2` function like
//! [`v1_1`] listing the endpoints of families under `api/v2/`, merged in [`router`].

use std::sync::Arc;

use axum::extract::State;
use axum::handler::Handler;
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{MethodFilter, MethodRouter, on};
use axum::{Extension, Router};

use super::auth::Need::{
    self, Basic, Bearer, ConsumerOnly, Owner, OwnerOrBearer, RequestToken, User, UserOrBearer,
};
use super::auth::{Guard, admit, guard};
use super::reply::not_found;
use super::request::Call;
use super::request_log::record;
use super::state::Shared;
use super::v1::{activity, dm, media, profiles, users, welcome};
use super::v2;
use super::{crc, oauth_flow};

/// The whole API: every block of endpoints, the fallback, the request-log layer.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let e = Endpoints {
        shared: shared.clone(),
    };
    Router::new()
        .merge(test_webhooks(&e))
        .merge(oauth(&e))
        .merge(v1_1(&e))
        .merge(v2(&e))
        .fallback(unrouted)
        .method_not_allowed_fallback(unrouted)
        .layer(from_fn_with_state(shared.clone(), record))
        .with_state(shared)
}

/// The webhooks this server hosts for CRC tests.
fn test_webhooks(e: &Endpoints) -> Router<Arc<Shared>> {
    Router::new()
        .route("/_fake/webhook", e.get(Need::None, crc::answer_right))
        .route("/_fake/webhook", e.post(Need::None, crc::acknowledge))
        .route(
            "/_fake/webhook-wrong-secret",
            e.get(Need::None, crc::answer_wrong),
        )
        .route(
            "/_fake/webhook-wrong-secret",
            e.post(Need::None, crc::acknowledge),
        )
}

/// The OAuth flows (the same for every API version).
fn oauth(e: &Endpoints) -> Router<Arc<Shared>> {
    Router::new()
        .route("/oauth2/token", e.post(Basic, oauth_flow::bearer_token))
        .route(
            "/oauth/request_token",
            e.post(ConsumerOnly, oauth_flow::request_token),
        )
        .route(
            "/oauth/access_token",
            e.post(RequestToken, oauth_flow::access_token),
        )
        .route(
            "/oauth/authorize",
            e.get(Need::None, oauth_flow::authorize_page),
        )
        .route(
            "/oauth/authenticate",
            e.get(Need::None, oauth_flow::authorize_page),
        )
}

/// API v1.1 (`docs/TWITTER-API.md`).
#[rustfmt::skip]
fn v1_1(e: &Endpoints) -> Router<Arc<Shared>> {
    Router::new()
        // Users
        .route("/1.1/account/verify_credentials.json", e.get(User, users::verify_credentials))
        .route("/1.1/users/lookup.json", e.get(UserOrBearer, users::lookup))
        // Direct messages
        .route("/1.1/direct_messages/events/new.json", e.post(User, dm::send))
        .route("/1.1/direct_messages/events/show.json", e.get(User, dm::show))
        .route("/1.1/direct_messages/events/list.json", e.get(User, dm::list))
        .route("/1.1/direct_messages/events/destroy.json", e.delete(User, dm::destroy))
        .route("/1.1/direct_messages/indicate_typing.json", e.post(User, dm::indicate_typing))
        .route("/1.1/direct_messages/mark_read.json", e.post(User, dm::mark_read))
        // Media: one URL, the `command` parameter picks INIT, APPEND, FINALIZE or STATUS.
        .route("/1.1/media/upload.json", e.any(User, media::upload))
        // Welcome messages and their rules
        .route("/1.1/direct_messages/welcome_messages/new.json", e.post(User, welcome::new))
        .route("/1.1/direct_messages/welcome_messages/update.json", e.put(User, welcome::update))
        .route("/1.1/direct_messages/welcome_messages/list.json", e.get(User, welcome::list))
        .route("/1.1/direct_messages/welcome_messages/show.json", e.get(User, welcome::show))
        .route("/1.1/direct_messages/welcome_messages/destroy.json", e.delete(User, welcome::destroy))
        .route("/1.1/direct_messages/welcome_messages/rules/new.json", e.post(User, welcome::new_rule))
        .route("/1.1/direct_messages/welcome_messages/rules/list.json", e.get(User, welcome::list_rules))
        .route("/1.1/direct_messages/welcome_messages/rules/show.json", e.get(User, welcome::show_rule))
        .route("/1.1/direct_messages/welcome_messages/rules/destroy.json", e.delete(User, welcome::destroy_rule))
        // Custom profiles
        .route("/1.1/custom_profiles/new.json", e.post(User, profiles::new))
        .route("/1.1/custom_profiles/list.json", e.get(User, profiles::list))
        .route("/1.1/custom_profiles/destroy.json", e.delete(User, profiles::destroy))
        .route("/1.1/custom_profiles/{*id_json}", e.get(User, profiles::show))
        // Account Activity: app-wide
        .route("/1.1/account_activity/all/webhooks.json", e.get(Bearer, activity::all_webhooks))
        .route("/1.1/account_activity/all/count.json", e.get(Bearer, activity::count))
        .route("/1.1/account_activity/all/subscriptions/count.json", e.get(Bearer, activity::count))
        // Account Activity: one environment (an empty id still reaches its handler, as an unknown id)
        .route("/1.1/account_activity/all/{env}/webhooks.json", e.post(Owner, activity::register_webhook))
        .route("/1.1/account_activity/all/{env}/webhooks.json", e.get(OwnerOrBearer, activity::list_webhooks))
        .route("/1.1/account_activity/all/{env}/webhooks/{*id_json}", e.put(OwnerOrBearer, activity::revalidate_webhook))
        .route("/1.1/account_activity/all/{env}/webhooks/{*id_json}", e.delete(Owner, activity::delete_webhook))
        .route("/1.1/account_activity/all/{env}/webhooks/", e.put(OwnerOrBearer, activity::revalidate_webhook))
        .route("/1.1/account_activity/all/{env}/webhooks/", e.delete(Owner, activity::delete_webhook))
        .route("/1.1/account_activity/all/{env}/subscriptions.json", e.post(User, activity::subscribe))
        .route("/1.1/account_activity/all/{env}/subscriptions.json", e.get(User, activity::is_subscribed))
        .route("/1.1/account_activity/all/{env}/subscriptions/list.json", e.get(Bearer, activity::list_subscriptions))
        .route("/1.1/account_activity/all/{env}/subscriptions/list.json", e.delete(Bearer, activity::unsubscribe))
        .route("/1.1/account_activity/all/{env}/subscriptions/{*user_json}", e.delete(Bearer, activity::unsubscribe))
        .route("/1.1/account_activity/all/{env}/subscriptions/", e.delete(Bearer, activity::unsubscribe))
}

/// X API v2 (`api/v2/`): what a self-serve business can buy.
#[rustfmt::skip]
fn v2(e: &Endpoints) -> Router<Arc<Shared>> {
    use v2::{account_activity as aaa, activity as xaa, dm as dm2, media as media2, webhooks};
    let aaa_all = "/2/account_activity/webhooks/{webhook_id}/subscriptions/all";
    Router::new()
        // Direct messages
        .route("/2/dm_conversations/with/{participant_id}/messages", e.post(User, dm2::send))
        .route("/2/dm_conversations/with/{participant_id}/dm_events", e.get(User, dm2::lookup))
        // Media
        .route("/2/media/upload", e.get(User, media2::status))
        .route("/2/media/upload/initialize", e.post(User, media2::initialize))
        .route("/2/media/upload/{id}/append", e.post(User, media2::append))
        .route("/2/media/upload/{id}/finalize", e.post(User, media2::finalize))
        // Webhooks
        .route("/2/webhooks", e.post(UserOrBearer, webhooks::create))
        .route("/2/webhooks", e.get(Bearer, webhooks::list))
        .route("/2/webhooks/{webhook_id}", e.put(UserOrBearer, webhooks::validate))
        .route("/2/webhooks/{webhook_id}", e.delete(UserOrBearer, webhooks::delete))
        // X Activity API subscriptions
        .route("/2/activity/subscriptions", e.post(UserOrBearer, xaa::create))
        .route("/2/activity/subscriptions", e.get(Bearer, xaa::list))
        .route("/2/activity/subscriptions/{subscription_id}", e.delete(Bearer, xaa::delete))
        // Account Activity v2 subscriptions
        .route(aaa_all, e.post(User, aaa::subscribe))
        .route(aaa_all, e.get(User, aaa::is_subscribed))
        .route(&format!("{aaa_all}/list"), e.get(Bearer, aaa::list))
        .route("/2/account_activity/webhooks/{webhook_id}/subscriptions/{user_id}/all", e.delete(Bearer, aaa::unsubscribe))
}

/// Builds the method routers of the table: each handler behind the guard of its [`Need`].
struct Endpoints {
    shared: Arc<Shared>,
}

type Endpoint = MethodRouter<Arc<Shared>>;

impl Endpoints {
    fn on<H: Handler<T, Arc<Shared>>, T: 'static>(
        &self,
        method: MethodFilter,
        need: Need,
        handler: H,
    ) -> Endpoint {
        on(method, handler).route_layer(from_fn_with_state(self.guard(need), guard))
    }

    fn guard(&self, need: Need) -> Guard {
        Guard {
            shared: self.shared.clone(),
            need,
        }
    }

    /// `GET` only: a `HEAD` is answered as an unrouted request (axum would run the GET handler).
    fn get<H: Handler<T, Arc<Shared>>, T: 'static>(&self, need: Need, handler: H) -> Endpoint {
        self.on(MethodFilter::GET, need, handler).head(unrouted)
    }

    fn post<H: Handler<T, Arc<Shared>>, T: 'static>(&self, need: Need, handler: H) -> Endpoint {
        self.on(MethodFilter::POST, need, handler)
    }

    fn put<H: Handler<T, Arc<Shared>>, T: 'static>(&self, need: Need, handler: H) -> Endpoint {
        self.on(MethodFilter::PUT, need, handler)
    }

    fn delete<H: Handler<T, Arc<Shared>>, T: 'static>(&self, need: Need, handler: H) -> Endpoint {
        self.on(MethodFilter::DELETE, need, handler)
    }

    /// Every method (the handler tells them apart).
    fn any<H: Handler<T, Arc<Shared>>, T: 'static>(&self, need: Need, handler: H) -> Endpoint {
        MethodRouter::new()
            .fallback(handler)
            .layer(from_fn_with_state(self.guard(need), guard))
    }
}

/// What a request no line matches gets (any other path, or another method on a listed path):
/// no authentication under `/_fake/`, a user's elsewhere; then `404` code 34, or `403` for an
/// environment other than the app's under `account_activity/all/<env>/`.
async fn unrouted(
    State(shared): State<Arc<Shared>>,
    Extension(call): Extension<Arc<Call>>,
) -> Response {
    let need = if call.path.starts_with("/_fake/") {
        Need::None
    } else {
        User
    };
    let (seen, admitted) = admit(&shared, &call, need);
    let mut response = match admitted {
        Ok(_) => activity::wrong_environment(&shared, &call.path).unwrap_or_else(not_found),
        Err(refused) => refused,
    };
    response.extensions_mut().insert(seen);
    response
}
