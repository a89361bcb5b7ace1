//! Users: who an account's tokens belong to, and user objects by id.

use super::{Auth, Body, Call, Endpoint, TwitterClient};
use crate::domain::UserId;
use crate::twitter::api_types::User;
use crate::twitter::errors::TwitterError;
use crate::twitter::oauth1::TokenCredentials;

/// `users/lookup` takes at most 100 ids per call.
pub const MAX_LOOKUP_IDS: usize = 100;

impl TwitterClient {
    /// `GET account/verify_credentials.json`: the user the tokens belong to (a bad token is
    /// [`TwitterError::BadCredentials`]). The cheapest check that a token still works.
    pub async fn verify_credentials(
        &self,
        account: &TokenCredentials,
    ) -> Result<User, TwitterError> {
        let call = Call {
            endpoint: Endpoint::VerifyCredentials,
            url: self.api_url(
                "1.1/account/verify_credentials.json",
                &[("include_entities", "false"), ("skip_status", "true")],
            )?,
            auth: Auth::user(account),
            body: Body::Empty,
        };
        self.json(call).await
    }

    /// `GET users/lookup.json?user_id=1,2,...`: up to 100 users (unknown or suspended ids are
    /// left out of the answer).
    pub async fn lookup_users(
        &self,
        account: &TokenCredentials,
        ids: &[UserId],
    ) -> Result<Vec<User>, TwitterError> {
        let endpoint = Endpoint::LookupUsers;
        if ids.is_empty() || ids.len() > MAX_LOOKUP_IDS {
            return Err(TwitterError::invalid(
                endpoint.name(),
                format!("give 1 to {MAX_LOOKUP_IDS} user ids (got {})", ids.len()),
            ));
        }
        let joined = ids.iter().map(UserId::as_str).collect::<Vec<_>>().join(",");
        let call = Call {
            endpoint,
            url: self.api_url(
                "1.1/users/lookup.json",
                &[("user_id", &joined), ("include_entities", "false")],
            )?,
            auth: Auth::user(account),
            body: Body::Empty,
        };
        self.json(call).await
    }
}
