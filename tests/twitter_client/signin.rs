//! Sign-in (request token, verifier, access token) and user look-ups.

use crate::support::*;

#[tokio::test]
async fn sign_in_exchanges_a_request_token_and_verifier_for_the_accounts_tokens() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let person = fake.add_account("new_business");
    let request = client
        .request_token(&Callback::Url(
            url::Url::parse("https://bot.example/auth/callback").unwrap(),
        ))
        .await
        .unwrap();
    let authorize = client.authorize_url(&request, true).unwrap();
    assert_eq!(authorize.path(), "/oauth/authorize");
    assert!(
        authorize
            .query()
            .unwrap()
            .contains(&format!("oauth_token={}", request.token.token()))
    );
    assert!(authorize.query().unwrap().contains("force_login=true"));
    let authenticate = client.authenticate_url(&request, false).unwrap();
    assert_eq!(authenticate.path(), "/oauth/authenticate");
    assert!(!authenticate.as_str().contains("force_login"));

    let verifier = fake.approve(request.token.token(), &person).unwrap();
    let access = client
        .access_token(&request.token, &verifier)
        .await
        .unwrap();
    assert_eq!(access.token, tokens(&person));
    assert_eq!(access.user_id.as_str(), person.user_id);
    assert_eq!(access.screen_name, "new_business");

    let me = client.verify_credentials(&access.token).await.unwrap();
    assert_eq!(me.screen_name, "new_business");
    assert_all_authenticated(&fake);
}

#[tokio::test]
async fn the_pin_flow_uses_oob_and_a_wrong_verifier_is_refused() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let request = client.request_token(&Callback::OutOfBand).await.unwrap();
    let header_had_oob = fake.requests_to("request_token")[0].status == 200;
    assert!(header_had_oob);
    fake.approve(request.token.token(), fake.owner()).unwrap();
    let err = client
        .access_token(&request.token, "not-the-pin")
        .await
        .unwrap_err();
    assert!(
        matches!(err, TwitterError::BadCredentials { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_unconfirmed_callback_stops_the_sign_in() {
    let fake = TwitterApi::start().await;
    fake.set_callback_confirmed(false);
    let err = client(&fake)
        .request_token(&Callback::OutOfBand)
        .await
        .unwrap_err();
    assert_eq!(err, TwitterError::CallbackNotConfirmed);
}

#[tokio::test]
async fn users_can_be_looked_up_by_id() {
    let fake = TwitterApi::start().await;
    let client = client(&fake);
    let other = fake.add_account("someone");
    let users = client
        .lookup_users(
            &tokens(fake.owner()),
            &[
                UserId::parse(&fake.owner().user_id).unwrap(),
                UserId::parse(&other.user_id).unwrap(),
                UserId::parse("1").unwrap(),
            ],
        )
        .await
        .unwrap();
    let mut names: Vec<_> = users.iter().map(|u| u.screen_name.as_str()).collect();
    names.sort();
    assert_eq!(names, vec!["fake_owner", "someone"]);
    assert_eq!(
        fake.requests_to("users/lookup")[0]
            .query_value("user_id")
            .map(|v| v.split(',').count()),
        Some(3)
    );
}
