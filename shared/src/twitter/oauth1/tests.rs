use std::sync::Arc;

use url::Url;

use super::verify::{AuthorizationHeader, HeaderError, verify};
use super::*;
const CONSUMER_KEY: &str = "xvz1evFS4wEEPTGEFPHBog";
const CONSUMER_SECRET: &str = "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw";
const TOKEN: &str = "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb";
const TOKEN_SECRET: &str = "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE";
const NONCE: &str = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg";
const TIMESTAMP: u64 = 1318622958;

fn example_signer() -> Signer {
    Signer::with_sources(
        ConsumerCredentials::new(CONSUMER_KEY, CONSUMER_SECRET),
        Arc::new(|| TIMESTAMP),
        Arc::new(|| NONCE.to_string()),
    )
}

fn example_header(host: &str) -> String {
    let url = Url::parse(&format!(
        "https://{host}/1.1/statuses/update.json?include_entities=true"
    ))
    .unwrap();
    let form = vec![(
        "status".to_string(),
        "Hello Ladies + Gentlemen, a signed OAuth request!".to_string(),
    )];
    example_signer().authorization(
        &SignatureRequest {
            method: "POST",
            url: &url,
            form: &form,
            extra_oauth: &[],
        },
        Some(&TokenCredentials::new(TOKEN, TOKEN_SECRET)),
    )
}

fn signature_of(header: &str) -> String {
    AuthorizationHeader::parse(header)
        .unwrap()
        .get("oauth_signature")
        .unwrap()
        .to_string()
}

#[test]
fn twitters_worked_example_signs_to_the_documented_signature() {
    assert_eq!(
        signature_of(&example_header("api.twitter.com")),
        "hCtSmYh+iHYCEqBWrE7C7hYmtUk="
    );
}

#[test]
fn twitters_worked_example_on_api_x_com_signs_to_its_own_signature() {
    assert_eq!(
        signature_of(&example_header("api.x.com")),
        "Ls93hJiZbQ3akF3HF3x1Bz8/zU4="
    );
}

#[test]
fn the_example_header_has_every_field_percent_encoded_and_sorted() {
    let header = example_header("api.twitter.com");
    assert_eq!(
        header,
        format!(
            "OAuth oauth_consumer_key=\"{CONSUMER_KEY}\", oauth_nonce=\"{NONCE}\", \
             oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\", \
             oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"{TIMESTAMP}\", \
             oauth_token=\"{TOKEN}\", oauth_version=\"1.0\""
        )
    );
}

#[test]
fn the_example_base_string_matches_twitters_documentation() {
    let url = Url::parse("https://api.twitter.com/1.1/statuses/update.json?include_entities=true")
        .unwrap();
    let params: Vec<(String, String)> = [
        (
            "status",
            "Hello Ladies + Gentlemen, a signed OAuth request!",
        ),
        ("oauth_consumer_key", CONSUMER_KEY),
        ("oauth_nonce", NONCE),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_timestamp", "1318622958"),
        ("oauth_token", TOKEN),
        ("oauth_version", "1.0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(
        signature_base_string("POST", &url, &params),
        "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521"
    );
}

#[test]
fn the_bearer_basic_header_matches_twitters_example() {
    let consumer =
        ConsumerCredentials::new(CONSUMER_KEY, "L8qq9PZyRg6ieKGEKhZolGC0vJWLw8iEJ88DRdyOg");
    assert_eq!(
        bearer_credentials_header(&consumer),
        "Basic eHZ6MWV2RlM0d0VFUFRHRUZQSEJvZzpMOHFxOVBaeVJnNmllS0dFS2hab2xHQzB2SldMdzhpRUo4OERSZHlPZw=="
    );
}

#[test]
fn percent_encoding_keeps_only_unreserved_characters() {
    assert_eq!(percent_encode("AZaz09-._~"), "AZaz09-._~");
    assert_eq!(
        percent_encode(" !*'();:@&=+$,/?#[]"),
        "%20%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D"
    );
    assert_eq!(percent_encode("%"), "%25");
}

#[test]
fn percent_encoding_encodes_each_utf8_byte_in_upper_case_hex() {
    assert_eq!(percent_encode("é"), "%C3%A9");
    assert_eq!(percent_encode("☃"), "%E2%98%83");
    assert_eq!(percent_encode("😀"), "%F0%9F%98%80");
}

#[test]
fn unicode_and_reserved_values_are_encoded_once_in_the_pairs_and_again_in_the_base_string() {
    let url = Url::parse("https://api.twitter.com/1.1/x.json").unwrap();
    let params = vec![("text".to_string(), "café & ☃=1".to_string())];
    let base = signature_base_string("post", &url, &params);
    // pct("café & ☃=1") = caf%C3%A9%20%26%20%E2%98%83%3D1, then encoded again.
    assert_eq!(
        base,
        "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fx.json&text%3Dcaf%25C3%25A9%2520%2526%2520%25E2%2598%2583%253D1"
    );
}

#[test]
fn repeated_keys_are_all_signed_and_sorted_by_value() {
    let url = Url::parse("https://api.twitter.com/1.1/x.json?a=2&b=1&a=1").unwrap();
    let form = vec![("a".to_string(), "0".to_string())];
    let base = signature_base_string("GET", &url, &form);
    assert!(base.ends_with("&a%3D0%26a%3D1%26a%3D2%26b%3D1"), "{base}");
}

#[test]
fn sorting_happens_on_encoded_names() {
    // "a b" encodes to "a%20b", which sorts before "a-b" ('%' < '-').
    let url = Url::parse("https://h.example/p").unwrap();
    let params = vec![
        ("a-b".to_string(), "1".to_string()),
        ("a b".to_string(), "2".to_string()),
    ];
    let base = signature_base_string("GET", &url, &params);
    assert!(base.ends_with("&a%2520b%3D2%26a-b%3D1"), "{base}");
}

#[test]
fn query_and_form_parameters_are_both_signed_and_a_plus_in_the_query_is_a_space() {
    let url = Url::parse("https://api.twitter.com/1.1/x.json?q=a+b&z=%2B").unwrap();
    let form = vec![("f".to_string(), "c d".to_string())];
    let base = signature_base_string("POST", &url, &form);
    assert!(
        base.ends_with("&f%3Dc%2520d%26q%3Da%2520b%26z%3D%252B"),
        "{base}"
    );
}

#[test]
fn the_base_url_keeps_a_non_default_port_and_drops_the_default_one() {
    let with_port = Url::parse("http://127.0.0.1:8080/1.1/x.json?y=1").unwrap();
    assert!(
        signature_base_string("GET", &with_port, &[])
            .starts_with("GET&http%3A%2F%2F127.0.0.1%3A8080%2F1.1%2Fx.json&")
    );
    let default_port = Url::parse("HTTPS://API.Twitter.com:443/1.1/x.json").unwrap();
    assert!(
        signature_base_string("GET", &default_port, &[])
            .starts_with("GET&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fx.json&")
    );
}

#[test]
fn without_a_token_there_is_no_oauth_token_and_the_key_ends_with_an_ampersand() {
    let url = Url::parse("https://api.twitter.com/oauth/request_token").unwrap();
    let header = example_signer().authorization(
        &SignatureRequest {
            method: "POST",
            url: &url,
            form: &[],
            extra_oauth: &[("oauth_callback", "oob".to_string())],
        },
        None,
    );
    let parsed = AuthorizationHeader::parse(&header).unwrap();
    assert_eq!(parsed.token(), None);
    assert_eq!(parsed.get("oauth_callback"), Some("oob"));
    assert!(verify(&parsed, "POST", &url, &[], CONSUMER_SECRET, None));
    assert!(verify(
        &parsed,
        "POST",
        &url,
        &[],
        CONSUMER_SECRET,
        Some("")
    ));
}

#[test]
fn verify_accepts_what_the_signer_produced_and_refuses_any_change() {
    let header = example_header("api.twitter.com");
    let parsed = AuthorizationHeader::parse(&header).unwrap();
    let url = Url::parse("https://api.twitter.com/1.1/statuses/update.json?include_entities=true")
        .unwrap();
    let form = vec![(
        "status".to_string(),
        "Hello Ladies + Gentlemen, a signed OAuth request!".to_string(),
    )];
    assert!(verify(
        &parsed,
        "POST",
        &url,
        &form,
        CONSUMER_SECRET,
        Some(TOKEN_SECRET)
    ));
    assert!(!verify(
        &parsed,
        "GET",
        &url,
        &form,
        CONSUMER_SECRET,
        Some(TOKEN_SECRET)
    ));
    assert!(!verify(
        &parsed,
        "POST",
        &url,
        &[],
        CONSUMER_SECRET,
        Some(TOKEN_SECRET)
    ));
    assert!(!verify(
        &parsed,
        "POST",
        &url,
        &form,
        "wrong",
        Some(TOKEN_SECRET)
    ));
    assert!(!verify(
        &parsed,
        "POST",
        &url,
        &form,
        CONSUMER_SECRET,
        Some("wrong")
    ));
    let other = Url::parse("https://api.twitter.com/1.1/statuses/update.json").unwrap();
    assert!(!verify(
        &parsed,
        "POST",
        &other,
        &form,
        CONSUMER_SECRET,
        Some(TOKEN_SECRET)
    ));
}

#[test]
fn header_parsing_refuses_malformed_headers() {
    assert_eq!(
        AuthorizationHeader::parse("Bearer x"),
        Err(HeaderError::NotOAuth)
    );
    assert!(matches!(
        AuthorizationHeader::parse("OAuth oauth_consumer_key=unquoted"),
        Err(HeaderError::Malformed(_))
    ));
    assert_eq!(
        AuthorizationHeader::parse("OAuth oauth_consumer_key=\"k\""),
        Err(HeaderError::Missing("oauth_signature"))
    );
    assert!(matches!(
        AuthorizationHeader::parse("OAuth a=\"1\", a=\"2\""),
        Err(HeaderError::Repeated(_))
    ));
}

#[test]
fn debug_output_never_shows_secrets() {
    let c = ConsumerCredentials::new("consumer-key-1234", "consumer-secret-5678");
    let t = TokenCredentials::new("token-abcd", "token-secret-efgh");
    let printed = format!("{c:?} {t:?} {:?}", Signer::new(c.clone()));
    assert!(!printed.contains("secret-5678"), "{printed}");
    assert!(!printed.contains("secret-efgh"), "{printed}");
    assert!(!printed.contains("consumer-key-1234"), "{printed}");
    assert!(printed.contains("<redacted>"));
}

#[test]
fn random_nonces_differ() {
    let n = RandomNonce;
    assert_ne!(n.nonce(), n.nonce());
    assert_eq!(n.nonce().len(), 32);
}
