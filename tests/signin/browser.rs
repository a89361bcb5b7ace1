//! L9: only the browser that started a sign-in can finish or cancel it; generic public pages.

use super::*;

#[tokio::test]
async fn a_callback_from_another_browser_leaves_the_sign_in_to_its_owner() {
    let (fake, deps) = setup().await;
    let account = fake.add_account("victim");
    let (token, cookie) = start(&deps).await;
    let verifier = fake.approve(&token, &account).expect("approve");
    let (_, attacker_cookie) = start(&deps).await;
    for forged in [None, Some(attacker_cookie.as_str())] {
        let r = callback(&deps, &token, &verifier, forged, NOW + 1000).await;
        assert_eq!(r.status(), 403, "{}", r.body());
    }
    let r = callback(&deps, &token, &verifier, Some(&cookie), NOW + 2000).await;
    assert_eq!(r.status(), 200, "{}", r.body());
    assert!(stored(&deps, &account).await);
}

#[tokio::test]
async fn a_cancel_without_the_cookie_does_not_cancel_the_sign_in() {
    let (fake, deps) = setup().await;
    let account = fake.add_account("victim");
    let (token, cookie) = start(&deps).await;
    let (_, attacker_cookie) = start(&deps).await;
    for forged in [None, Some(attacker_cookie.as_str())] {
        let r = handle_request(
            &deps,
            &get("/auth/callback", &format!("denied={token}"), forged),
            NOW + 1000,
        )
        .await;
        assert_eq!(r.status(), 200);
    }
    let verifier = fake.approve(&token, &account).expect("approve");
    let r = callback(&deps, &token, &verifier, Some(&cookie), NOW + 2000).await;
    assert_eq!(r.status(), 200, "{}", r.body());
}

#[tokio::test]
async fn public_pages_do_not_show_twitters_errors_or_operator_hints() {
    let (fake, deps) = setup().await;
    let message = "Could not authenticate you (internal detail).";
    let fault = || Fault::Error {
        status: 401,
        code: 32,
        message: message.into(),
    };
    let private = [
        message,
        "internal detail",
        "consumer",
        "TWITTER_",
        "dmbot ",
        "--account",
    ];
    let check = |r: &SigninResponse| {
        for word in private {
            assert!(!r.body().contains(word), "{word:?} in {}", r.body());
        }
    };

    fake.fail_next("/oauth/request_token", 1, fault());
    let link = invite(&deps).await;
    let r = start_page(&deps, &format!("invite={}", link.expose())).await;
    assert_eq!(r.status(), 502);
    check(&r);

    let account = fake.add_account("someone");
    let (token, cookie) = start_with(&deps, &link).await;
    let verifier = fake.approve(&token, &account).expect("approve");
    fake.fail_next("/oauth/access_token", 1, fault());
    let r = callback(&deps, &token, &verifier, Some(&cookie), NOW + 1000).await;
    assert_eq!(r.status(), 502);
    check(&r);

    let (token, cookie) = start_with(&deps, &link).await;
    let verifier = fake.approve(&token, &account).expect("approve");
    fake.fail_next(
        "/subscriptions",
        1,
        Fault::Error {
            status: 403,
            code: 200,
            message: message.into(),
        },
    );
    let r = callback(&deps, &token, &verifier, Some(&cookie), NOW + 1000).await;
    assert_eq!(r.status(), 502, "{}", r.body());
    assert!(r.body().contains("@someone is connected"));
    check(&r);
}
