//! Pending sign-ins keep their secrets out of `Debug`. (Their store semantics are in the
//! contract suite, `tests/store_contract/signin.rs`, on every store.)

use super::*;

fn pending(token: &str, expires_ms: u64) -> PendingSignin {
    PendingSignin {
        request_token: token.to_string(),
        request_token_secret: "request-secret".to_string(),
        state: "state-value".to_string(),
        expires_ms,
        invite: Some(InviteToken::generate().id()),
    }
}

#[test]
fn pending_sign_ins_never_show_their_secret_in_debug_output() {
    let shown = format!("{:?}", pending("tok", 1));
    assert!(!shown.contains("request-secret"));
    assert!(!shown.contains("state-value"));
}
