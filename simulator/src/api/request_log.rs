//! The layer every API request passes first and last: it reads the whole body once (as axum's
//! `Bytes` extractor does, same limit and refusal), builds the [`Call`] the routes read, applies
//! delay faults before and late-answer faults after, adds the rate headers, and keeps the
//! request log ([`super::TwitterApi::requests`]).

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::auth::AuthSeen;
use super::faults::{Fault, FaultTime, take_fault, with_rate_headers};
use super::request::Call;
use super::state::Shared;

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Decoded query parameters in order.
    pub query: Vec<(String, String)>,
    pub content_type: Option<String>,
    pub auth: AuthSeen,
    pub body: Bytes,
    /// The status the fake answered.
    pub status: u16,
}

impl RecordedRequest {
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// The outer layer of the API router (see the module docs).
pub(crate) async fn record(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    // The body through axum's own `Bytes` extractor: the same size limit and the same refusal
    // as when the handler took `Bytes` itself.
    let mut reading = Request::new(body);
    *reading.headers_mut() = parts.headers.clone();
    *reading.extensions_mut() = parts.extensions.clone();
    let body = match Bytes::from_request(reading, &()).await {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    let call = Arc::new(Call::new(&parts, body.clone()));

    // A delay fault comes first, so that it also delays authentication failures.
    if let Some(Fault::Delay(d)) = take_fault(&shared, &call.path, FaultTime::Before) {
        tokio::time::sleep(d).await;
    }

    parts.extensions.insert(call.clone());
    let mut response = next.run(Request::from_parts(parts, Body::from(body))).await;
    let auth = response
        .extensions_mut()
        .remove::<AuthSeen>()
        .unwrap_or(AuthSeen::None);
    let status = response.status().as_u16();
    let response = with_rate_headers(&shared, &call.path, response);
    {
        let mut s = shared.lock();
        if s.logging {
            s.log.push(RecordedRequest {
                method: call.method.to_string(),
                path: call.path.clone(),
                query: call.query.clone(),
                content_type: call.content_type().map(str::to_string),
                auth,
                body: call.body.clone(),
                status,
            });
        }
    }
    if let Some(Fault::AnswerLate(d)) = take_fault(&shared, &call.path, FaultTime::After) {
        tokio::time::sleep(d).await;
    }
    response
}
