//! `dmbot auth invite | invites | revoke-invite` through the real binary, on the embedded store
//! of `--data-dir`; and the printed link through the sign-in handler, against the simulator.

mod ops_support;

use dmbot_shared::ingest::Request;
use dmbot_shared::invite::InviteToken;
use dmbot_shared::signin::{SigninConfig, SigninDeps, handle_request};
use dmbot_shared::store::embedded::EmbeddedStore;
use dmbot_shared::store::invites::Invites;
use dmbot_tests::moto::Moto;
use dmbot_tests::simulator::client;
use ops_support::Env;

const START: &str = "https://bot.example.com/auth/start";

fn open(env: &Env) -> EmbeddedStore {
    EmbeddedStore::open(env.data_dir().join("dmbot.redb")).expect("open the data file")
}

/// The token in an invite link.
fn token_of(link: &str) -> InviteToken {
    let url = url::Url::parse(link).expect("the link is a URL");
    let (_, token) = url
        .query_pairs()
        .find(|(k, _)| k == "invite")
        .expect("an invite parameter");
    InviteToken::parse(&token).expect("a well-formed token")
}

fn start_request(link: &str) -> Request {
    let url = url::Url::parse(link).expect("url");
    let path_and_query = format!("{}?{}", url.path(), url.query().unwrap_or(""));
    http::Request::get(path_and_query)
        .body(bytes::Bytes::new())
        .expect("a request")
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invite_is_stored_as_a_hash_listed_and_its_link_starts_a_sign_in() {
    let env = Env::start().await;
    let created = env
        .json_local(&[
            "auth",
            "invite",
            "--start-url",
            START,
            "--note",
            "Acme Outdoor",
            "--ttl",
            "2d",
        ])
        .await;
    let link = created["link"].as_str().expect("a link").to_string();
    assert!(link.starts_with(&format!("{START}?invite=")), "{link}");
    let token = token_of(&link);
    assert_eq!(created["id"], token.id().as_str());
    assert_eq!(created["note"], "Acme Outdoor");
    let ttl = created["expires_ms"].as_u64().expect("expiry")
        - created["created_ms"].as_u64().expect("creation");
    assert_eq!(ttl, 2 * 24 * 3600 * 1000);

    // Only the hash is on disk.
    let bytes = std::fs::read(env.data_dir().join("dmbot.redb")).expect("the data file");
    let on_disk = String::from_utf8_lossy(&bytes);
    assert!(!on_disk.contains(token.expose()), "the token is not stored");
    assert!(on_disk.contains(token.id().as_str()));

    let listed = env.json_local(&["auth", "invites"]).await;
    assert_eq!(listed["invites"][0]["id"], token.id().as_str());
    assert_eq!(listed["invites"].as_array().map(Vec::len), Some(1));

    // The link, opened in a browser: the sign-in starts (a redirect to Twitter).
    let store = open(&env);
    let deps = SigninDeps {
        store,
        client: client(&env.fake),
        config: SigninConfig {
            callback_url: url::Url::parse("https://bot.example.com/auth/callback").expect("url"),
            env_name: dmbot_shared::twitter::api_types::EnvName::new("env").expect("env"),
            sealer: Default::default(),
            api: Default::default(),
        },
    };
    let now = dmbot_shared::domain::now_ms();
    let r = handle_request(&deps, &start_request(&link), now).await;
    assert_eq!(r.status(), 302, "{}", r.body());
    drop(deps);

    // Revoked by a prefix of its id: the link no longer starts anything.
    let id = token.id();
    let short = id.short();
    let revoked = env.json_local(&["auth", "revoke-invite", short]).await;
    assert_eq!(revoked["revoked"], true);
    let listed = env.json_local(&["auth", "invites"]).await;
    assert_eq!(listed["invites"].as_array().map(Vec::len), Some(0));
    let store = open(&env);
    assert!(
        store
            .get_invite(&token.id(), now)
            .await
            .expect("read")
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_link_is_derived_from_the_callback_url_and_revocable_by_link() {
    let mut env = Env::start().await;
    env.extra.push((
        "SIGNIN_CALLBACK_URL".into(),
        "https://abc.execute-api.eu-west-1.amazonaws.com/auth/callback".into(),
    ));
    let created = env.json_local(&["auth", "invite"]).await;
    let link = created["link"].as_str().expect("a link");
    assert!(
        link.starts_with("https://abc.execute-api.eu-west-1.amazonaws.com/auth/start?invite="),
        "{link}"
    );
    let revoked = env.json_local(&["auth", "revoke-invite", link]).await;
    assert_eq!(revoked["revoked"], true);
    assert_eq!(revoked["id"], created["id"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn invites_work_on_dynamodb_too() {
    let moto = Moto::shared().await;
    let store = moto.fresh_table().await;
    let mut env = Env::start().await;
    env.use_moto(moto);
    env.extra
        .push(("TABLE_NAME".into(), store.table_name().to_string()));
    let created = env
        .json(&["auth", "invite", "--start-url", START, "--ttl", "30m"])
        .await;
    let token = token_of(created["link"].as_str().expect("link"));
    let listed = env.json(&["auth", "invites"]).await;
    assert_eq!(listed["invites"][0]["id"], token.id().as_str());
    assert!(
        store
            .get_invite(&token.id(), dmbot_shared::domain::now_ms())
            .await
            .expect("read")
            .is_some()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_invite_options_are_refused_with_what_to_do() {
    let env = Env::start().await;
    let dir = env.data_dir();
    let dir = dir.to_str().expect("utf-8");
    for (args, says) in [
        (vec!["auth", "invite"], "--start-url"),
        (
            vec!["auth", "invite", "--start-url", START, "--ttl", "90d"],
            "30 days",
        ),
        (
            vec![
                "auth",
                "invite",
                "--start-url",
                "https://x.example/elsewhere",
            ],
            "/auth/start",
        ),
        (vec!["auth", "revoke-invite", "abc"], "dmbot auth invites"),
        (vec!["auth", "revoke-invite", "0123456789ab"], "no invite"),
    ] {
        let mut all = args.clone();
        all.extend(["--data-dir", dir]);
        let run = env.run(&all).await;
        assert!(!run.ok, "{args:?} succeeded");
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
    }
}
