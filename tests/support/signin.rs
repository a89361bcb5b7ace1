//! Sign-in wired to the simulator, as the sign-in tests (of the shared handlers and of the
//! Lambda function) need it.

use dmbot_shared::signin::{SigninConfig, SigninDeps};
use dmbot_shared::store::memory::MemoryStore;
use dmbot_shared::twitter::api_types::{EnvName, WebhookUrl};

use crate::simulator::{TwitterApi, client, tokens};

/// Sign-in's dependencies: an in-memory store, a client of `fake` (whose webhook is registered,
/// since subscribing needs one) and the callback `https://bot.example.com/auth/callback`.
pub async fn signin_deps(fake: &TwitterApi) -> SigninDeps<MemoryStore> {
    let client = client(fake);
    let env = EnvName::new(fake.app().env_name.clone()).expect("env name");
    client
        .register_webhook(
            &tokens(fake.owner()),
            &env,
            &WebhookUrl::new_allowing_http(&fake.crc_ok_url()).expect("url"),
        )
        .await
        .expect("register the webhook");
    SigninDeps {
        store: MemoryStore::new(),
        client,
        config: SigninConfig {
            callback_url: url::Url::parse("https://bot.example.com/auth/callback").expect("url"),
            env_name: env,
            sealer: Default::default(),
            api: Default::default(),
        },
    }
}
