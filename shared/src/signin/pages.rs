//! The pages the public sees: what happened in general terms and what to do, never internal
//! details (those go to the logs). Every page is HTML, never cached.

use crate::ingest::edge;

/// A sign-in response: an `http` response whose headers (`Location`, `Set-Cookie`,
/// `Cache-Control`) travel with it.
pub type SigninResponse = edge::Response;

const HTML: &str = "text/html; charset=utf-8";

/// A small HTML page with `title` and `message` (escaped), not to be cached.
pub fn page(status: u16, title: &str, message: &str) -> SigninResponse {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\"><h1>{t}</h1>\
         <p>{m}</p></body></html>",
        t = escape(title),
        m = escape(message)
    );
    edge::text(status, HTML, body).with_header("cache-control", "no-store".into())
}

/// Adds a header to a response (appended: a response may set several cookies).
pub trait WithHeader {
    fn with_header(self, name: &'static str, value: String) -> Self;
}

impl WithHeader for SigninResponse {
    fn with_header(mut self, name: &'static str, value: String) -> Self {
        // Our own header values are ASCII; one that is not is dropped rather than panicking.
        if let Ok(v) = http::HeaderValue::from_str(&value) {
            self.headers_mut().append(name, v);
        }
        self
    }
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub fn invalid_invite() -> SigninResponse {
    page(
        403,
        "This sign-in link is not valid",
        "Sign-in needs an invite link, and each link connects one account until it expires. \
         Ask the person who invited you for a new link.",
    )
}

pub fn unavailable() -> SigninResponse {
    page(
        503,
        "Sign-in is unavailable",
        "Something went wrong on our side. Please try again in a moment with your invite link.",
    )
}

pub fn twitter_failed() -> SigninResponse {
    page(
        502,
        "Twitter did not complete the sign-in",
        "Please try again in a moment with your invite link.",
    )
}

pub fn expired() -> SigninResponse {
    page(
        400,
        "This sign-in has expired or was already used",
        "A sign-in must be finished within 10 minutes. Open your invite link again to start over.",
    )
}

pub fn other_browser() -> SigninResponse {
    page(
        403,
        "This sign-in did not start in this browser",
        "For your safety the sign-in was stopped. Open your invite link in this browser to start over.",
    )
}

pub fn cancelled() -> SigninResponse {
    page(
        200,
        "Sign-in cancelled",
        "You did not connect your account. Your invite link still works until it expires.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::HeaderText;

    #[test]
    fn pages_escape_what_they_show() {
        let page = page(400, "<b>", "@a&b \"c\" <script>");
        assert!(!page.body().contains("<script>"));
        assert!(page.body().contains("&lt;script&gt;"));
        assert!(page.body().contains("&amp;b"));
        assert_eq!(page.header("cache-control"), Some("no-store"));
        assert!(
            page.header("content-type")
                .is_some_and(|t| t.starts_with("text/html"))
        );
    }
}
