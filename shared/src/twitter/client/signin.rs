//! Twitter Sign-in, the 3-legged OAuth flow that gets an account's tokens so the bot can act
//! for accounts other than the app owner (`docs/TWITTER-API.md` §6):
//!
//! 1. [`TwitterClient::request_token`] with a callback URL (registered in the app's settings)
//!    or `oob` for the PIN flow, signed with the consumer key alone; Twitter must answer
//!    `oauth_callback_confirmed=true`.
//! 2. Send the person to [`TwitterClient::authorize_url`] (or `authenticate_url`;
//!    `force_login` makes them pick the account).
//! 3. Twitter redirects to the callback with `oauth_token` (check it matches step 1) and
//!    `oauth_verifier` (the PIN flow shows the verifier as a PIN).
//! 4. [`TwitterClient::access_token`] signed with the request token: the account's tokens,
//!    `user_id` and `screen_name`. They do not expire; they end when the person revokes access.

use std::collections::HashMap;

use url::Url;

use super::{Auth, Body, Call, Endpoint, TwitterClient};
use crate::domain::UserId;
use crate::twitter::api_types::{AccessToken, Callback, RequestToken};
use crate::twitter::errors::TwitterError;
use crate::twitter::oauth1::TokenCredentials;

fn field(
    endpoint: Endpoint,
    form: &mut HashMap<String, String>,
    name: &str,
) -> Result<String, TwitterError> {
    form.remove(name)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| TwitterError::decode(endpoint.name(), format!("the answer has no {name}")))
}

impl TwitterClient {
    /// Step 1: `POST oauth/request_token` with `oauth_callback`. Refuses to continue unless
    /// Twitter confirms the callback ([`TwitterError::CallbackNotConfirmed`]).
    pub async fn request_token(&self, callback: &Callback) -> Result<RequestToken, TwitterError> {
        let endpoint = Endpoint::RequestToken;
        let call = Call {
            endpoint,
            url: self.api_url("oauth/request_token", &[])?,
            auth: Auth::Signed {
                token: None,
                extra: vec![("oauth_callback", callback.as_param())],
            },
            body: Body::Empty,
        };
        let mut form = self.form(call).await?;
        if form.get("oauth_callback_confirmed").map(String::as_str) != Some("true") {
            return Err(TwitterError::CallbackNotConfirmed);
        }
        let token = field(endpoint, &mut form, "oauth_token")?;
        let secret = field(endpoint, &mut form, "oauth_token_secret")?;
        Ok(RequestToken {
            token: TokenCredentials::new(token, secret),
        })
    }

    /// Step 2: where to send the person to approve the app (`oauth/authorize`: asks every
    /// time).
    pub fn authorize_url(
        &self,
        request: &RequestToken,
        force_login: bool,
    ) -> Result<Url, TwitterError> {
        self.sign_in_url("oauth/authorize", request, force_login)
    }

    /// Step 2, "Sign in with Twitter" flavour (`oauth/authenticate`: skips the approval page
    /// when the person already approved the app).
    pub fn authenticate_url(
        &self,
        request: &RequestToken,
        force_login: bool,
    ) -> Result<Url, TwitterError> {
        self.sign_in_url("oauth/authenticate", request, force_login)
    }

    fn sign_in_url(
        &self,
        path: &str,
        request: &RequestToken,
        force_login: bool,
    ) -> Result<Url, TwitterError> {
        let mut query = vec![("oauth_token", request.token.token())];
        if force_login {
            query.push(("force_login", "true"));
        }
        self.api_url(path, &query)
    }

    /// Step 4: `POST oauth/access_token` with `oauth_verifier`, signed with the request token.
    pub async fn access_token(
        &self,
        request: &TokenCredentials,
        verifier: &str,
    ) -> Result<AccessToken, TwitterError> {
        let endpoint = Endpoint::AccessToken;
        if verifier.trim().is_empty() {
            return Err(TwitterError::invalid(
                endpoint.name(),
                "the verifier (PIN) is empty",
            ));
        }
        let call = Call {
            endpoint,
            url: self.api_url("oauth/access_token", &[])?,
            auth: Auth::Signed {
                token: Some(request),
                extra: vec![("oauth_verifier", verifier.trim().to_string())],
            },
            body: Body::Empty,
        };
        let mut form = self.form(call).await?;
        let token = field(endpoint, &mut form, "oauth_token")?;
        let secret = field(endpoint, &mut form, "oauth_token_secret")?;
        let user_id = UserId::parse(field(endpoint, &mut form, "user_id")?)
            .map_err(|e| TwitterError::decode(endpoint.name(), e.to_string()))?;
        let screen_name = field(endpoint, &mut form, "screen_name")?;
        Ok(AccessToken {
            token: TokenCredentials::new(token, secret),
            user_id,
            screen_name,
        })
    }
}
