//! One API request as the fake reads it: method, raw path, decoded query and form parameters,
//! headers and the whole body. The request-log layer builds it once per request; the OAuth
//! check and the handlers read it (as `Extension<Arc<Call>>`).

use axum::body::Bytes;
use http::{HeaderMap, Method, request::Parts};
use serde_json::Value;

use super::reply::{Reply, error, invalid};

pub(crate) struct Call {
    pub(crate) method: Method,
    /// The path as sent (not percent-decoded): the OAuth base URL is built from it.
    pub(crate) path: String,
    /// Decoded query parameters in order.
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    /// Decoded `application/x-www-form-urlencoded` body parameters (empty for other bodies).
    pub(crate) form: Vec<(String, String)>,
}

impl Call {
    pub(crate) fn new(parts: &Parts, body: Bytes) -> Self {
        let query = parts
            .uri
            .query()
            .and_then(|q| serde_urlencoded::from_str(q).ok())
            .unwrap_or_default();
        let is_form = parts
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
        let form = if is_form {
            serde_urlencoded::from_bytes(&body).unwrap_or_default()
        } else {
            Vec::new()
        };
        Call {
            method: parts.method.clone(),
            path: parts.uri.path().to_string(),
            query,
            headers: parts.headers.clone(),
            body,
            form,
        }
    }

    /// A query parameter (the first, if repeated).
    pub(crate) fn q(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A form body parameter (the first, if repeated).
    pub(crate) fn f(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn content_type(&self) -> Option<&str> {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
    }

    /// The JSON body: `415` unless the content type says JSON, `400` when it does not parse.
    pub(crate) fn json(&self) -> Result<Value, Reply> {
        if !self
            .content_type()
            .unwrap_or("")
            .starts_with("application/json")
        {
            return Err(error(415, 214, "Content-Type must be application/json"));
        }
        serde_json::from_slice(&self.body).map_err(|_| invalid("body is not valid JSON"))
    }

    #[cfg(test)]
    pub(crate) fn for_test(method: Method, path: &str, query: Vec<(String, String)>) -> Self {
        Call {
            method,
            path: path.into(),
            query,
            headers: HeaderMap::new(),
            body: Bytes::new(),
            form: Vec::new(),
        }
    }
}
