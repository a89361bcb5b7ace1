//! Who may call an endpoint: the authentication each route needs ([`Need`], named on its line in
//! the router), the check of a request's credentials against it (bearer tokens this fake issued,
//! Basic consumer credentials, OAuth 1.0a handed to the verifier in [`super::oauth`]), and the
//! route layer that runs the check, then the queued faults, before the handler.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

use super::faults::{FaultTime, fault_reply, take_fault};
use super::oauth::{self, parse_oauth_header, unpct};
use super::reply::{Reply, bad_auth, error};
use super::request::Call;
use super::state::{Shared, SimAccount};

/// What authentication a route accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    None,
    /// OAuth 1.0a with any account's access token.
    User,
    /// OAuth 1.0a with the app owner's access token.
    Owner,
    Bearer,
    OwnerOrBearer,
    UserOrBearer,
    Basic,
    /// OAuth 1.0a with the consumer key alone (request token).
    ConsumerOnly,
    /// OAuth 1.0a with a request token (access token exchange).
    RequestToken,
}

/// How a logged request authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthSeen {
    None,
    /// OAuth 1.0a; `token` is the `oauth_token` if any; `valid` whether the signature checked.
    OAuth {
        token: Option<String>,
        valid: bool,
    },
    Bearer {
        token: String,
    },
    Basic,
    Other,
}

/// Who made the request, once authenticated (handlers take it as `Extension<Caller>`).
#[derive(Debug, Clone, Default)]
pub(crate) struct Caller {
    pub(crate) account: Option<SimAccount>,
    pub(crate) oauth: BTreeMap<String, String>,
    pub(crate) request_token: Option<String>,
}

impl Caller {
    /// The calling account's user id (empty without a user token).
    pub(crate) fn account_id(&self) -> String {
        self.account
            .as_ref()
            .map(|a| a.user_id.clone())
            .unwrap_or_default()
    }
}

/// The state of one route's guard: the fake and what the route needs.
#[derive(Clone)]
pub(crate) struct Guard {
    pub(crate) shared: Arc<Shared>,
    pub(crate) need: Need,
}

/// The route layer: authenticates against the route's [`Need`], applies a queued fault, then
/// runs the handler with the [`Caller`]. The answer carries the [`AuthSeen`] for the request log.
pub(crate) async fn guard(
    State(guard): State<Guard>,
    Extension(call): Extension<Arc<Call>>,
    mut request: Request,
    next: Next,
) -> Response {
    let (seen, admitted) = admit(&guard.shared, &call, guard.need);
    let mut response = match admitted {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(refused) => refused,
    };
    response.extensions_mut().insert(seen);
    response
}

/// Authenticates, then takes a fault queued for this path: the caller, or the answer instead.
pub(crate) fn admit(shared: &Shared, call: &Call, need: Need) -> (AuthSeen, Result<Caller, Reply>) {
    let (seen, caller) = authenticate(shared, call, need);
    let caller = match caller {
        Ok(c) => c,
        Err(r) if call.path.starts_with("/2/") => return (seen, Err(super::v2::auth_refusal(&r))),
        Err(r) => return (seen, Err(r)),
    };
    if let Some(fault) = take_fault(shared, &call.path, FaultTime::Instead) {
        let answer = if call.path.starts_with("/2/") {
            super::v2::fault_problem(&fault)
        } else {
            fault_reply(fault)
        };
        return (seen, Err(answer));
    }
    (seen, Ok(caller))
}

fn refused_credentials() -> Reply {
    error(
        403,
        220,
        "Your credentials do not allow access to this resource.",
    )
}

/// Checks the request's credentials against what `need` allows.
fn authenticate(shared: &Shared, call: &Call, need: Need) -> (AuthSeen, Result<Caller, Reply>) {
    let header = call
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if need == Need::None {
        return (AuthSeen::None, Ok(Caller::default()));
    }
    if let Some(token) = header.strip_prefix("Bearer ") {
        let seen = AuthSeen::Bearer {
            token: token.to_string(),
        };
        if !matches!(
            need,
            Need::Bearer | Need::OwnerOrBearer | Need::UserOrBearer
        ) {
            return (seen, Err(refused_credentials()));
        }
        let valid = shared.lock().bearer.as_deref() == Some(token);
        return if valid {
            (seen, Ok(Caller::default()))
        } else {
            (seen, Err(error(401, 89, "Invalid or expired token.")))
        };
    }
    if let Some(basic) = header.strip_prefix("Basic ") {
        return (AuthSeen::Basic, basic_auth(shared, basic, need));
    }
    let Some(oauth) = parse_oauth_header(&header) else {
        let seen = if header.is_empty() {
            AuthSeen::None
        } else {
            AuthSeen::Other
        };
        return (seen, Err(error(400, 215, "Bad Authentication data.")));
    };
    if matches!(need, Need::Bearer | Need::Basic) {
        let seen = AuthSeen::OAuth {
            token: oauth.get("oauth_token").cloned(),
            valid: false,
        };
        return (seen, Err(refused_credentials()));
    }
    oauth::verify(shared, call, oauth, need)
}

/// `Authorization: Basic base64(urlencode(key):urlencode(secret))` with the app's consumer
/// credentials (`POST oauth2/token`).
fn basic_auth(shared: &Shared, basic: &str, need: Need) -> Result<Caller, Reply> {
    if need != Need::Basic {
        return Err(bad_auth());
    }
    let s = shared.lock();
    let ok = B64
        .decode(basic.trim())
        .ok()
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|raw| {
            let (k, v) = raw.split_once(':')?;
            Some((unpct(k)?, unpct(v)?))
        })
        .is_some_and(|(k, v)| k == s.app.consumer_key && v == s.app.consumer_secret);
    if ok {
        Ok(Caller::default())
    } else {
        Err(error(403, 99, "Unable to verify your credentials"))
    }
}
