//! Tokens as an attacker would send them, and keys as an operator would rotate them.

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::*;

const SECRET: &[u8] = b"a shared secret of at least 32 bytes, for tests";
const ISSUER: &str = "https://issuer.test";
const AUDIENCE: &str = "ordersvc";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/auth")
        .join(name)
}

/// A directory of its own for one test's key files.
fn scratch(name: &str) -> PathBuf {
    let directory = std::env::temp_dir().join(format!(
        "ordersvc-auth-{name}-{}-{}",
        std::process::id(),
        now_secs()
    ));
    std::fs::create_dir_all(&directory).unwrap();
    directory
}

fn settings(directory: &Path) -> AuthSettings {
    let secret = directory.join("secret");
    std::fs::write(&secret, [SECRET, b"\n"].concat()).unwrap();
    let jwks = directory.join("jwks.json");
    std::fs::copy(fixture("jwks.json"), &jwks).unwrap();
    AuthSettings {
        hs256_secret_file: Some(secret),
        jwks_file: Some(jwks),
        issuer: ISSUER.into(),
        audience: AUDIENCE.into(),
    }
}

fn authenticator(name: &str) -> Authenticator {
    Authenticator::new(settings(&scratch(name))).unwrap()
}

/// Claims that pass, for `role` and `sub`; tests change one member at a time.
fn claims(role: &str, sub: &str) -> Value {
    let now = now_secs();
    json!({"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "role": role, "iat": now, "exp": now + 300})
}

fn signed(alg: Algorithm, kid: Option<&str>, claims: &Value) -> String {
    let key = match alg {
        Algorithm::HS256 => EncodingKey::from_secret(SECRET).unwrap(),
        Algorithm::RS256 => {
            EncodingKey::from_rsa_der(&std::fs::read(fixture("rsa-private.der")).unwrap())
        }
        Algorithm::ES256 => {
            EncodingKey::from_ec_der(&std::fs::read(fixture("ec-private.der")).unwrap())
        }
        other => panic!("no test key for {other:?}"),
    };
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

fn hs256(claims: &Value) -> String {
    signed(Algorithm::HS256, None, claims)
}

fn bearer(token: &str) -> Vec<u8> {
    format!("Bearer {token}").into_bytes()
}

fn verdict(authenticator: &Authenticator, header: &[u8]) -> Result<Caller, Unauthenticated> {
    authenticator.authenticate([header])
}

/// A token of `header` and `payload` JSON and a signature of garbage.
fn unsigned(header: &Value, payload: &Value) -> String {
    let part = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
    format!("{}.{}.", part(header), part(payload))
}

#[test]
fn a_valid_token_names_its_caller_whichever_key_signed_it() {
    let auth = authenticator("valid");
    let customer = hs256(&claims("customer", "customer-42"));
    assert_eq!(
        verdict(&auth, &bearer(&customer)),
        Ok(Caller::Customer(CustomerId::new("customer-42").unwrap()))
    );
    let restaurant = signed(
        Algorithm::RS256,
        Some("rsa-1"),
        &claims("restaurant", "r-7"),
    );
    assert_eq!(
        verdict(&auth, &bearer(&restaurant)),
        Ok(Caller::Restaurant(RestaurantId::new("r-7").unwrap()))
    );
    let operator = signed(
        Algorithm::ES256,
        Some("ec-1"),
        &claims("operator", "ops@example.com"),
    );
    assert_eq!(
        verdict(&auth, &bearer(&operator)),
        Ok(Caller::Operator(
            OperatorId::new("ops@example.com").unwrap()
        ))
    );
    // The scheme's name is case-insensitive (RFC 9110 §11.1).
    assert!(verdict(&auth, format!("bearer {customer}").as_bytes()).is_ok());
}

#[test]
fn every_bad_token_is_refused_with_a_reason() {
    let auth = authenticator("bad");
    let now = now_secs();
    let with = |member: &str, value: Value| {
        let mut claims = claims("customer", "c-1");
        claims[member] = value;
        claims
    };
    let without = |member: &str| {
        let mut claims = claims("customer", "c-1");
        claims.as_object_mut().unwrap().remove(member);
        claims
    };
    let good = hs256(&claims("customer", "c-1"));
    let forged = {
        let key = EncodingKey::from_secret(b"another secret, also 32 bytes long at least").unwrap();
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims("customer", "c-1"),
            &key,
        )
        .unwrap()
    };
    // HS256 "signed" with the RSA key's public JWK as the secret: the classic algorithm confusion.
    let confused = {
        let jwks = std::fs::read(fixture("jwks.json")).unwrap();
        let key = EncodingKey::from_secret(&jwks).unwrap();
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("rsa-1".into());
        jsonwebtoken::encode(&header, &claims("customer", "c-1"), &key).unwrap()
    };
    let table: Vec<(&str, String, &str)> = vec![
        // Cut inside the signature: its base64url may still decode (then it does not verify) or not.
        (
            "truncated",
            good[..good.len() - 8].to_owned(),
            "signature does not verify|not a JWT",
        ),
        (
            "two segments",
            good.rsplit_once('.').unwrap().0.to_owned(),
            "not a JWT",
        ),
        ("four segments", format!("{good}.e30"), "not a JWT"),
        ("not base64url JSON", "abc.def.ghi".into(), "not a JWT"),
        (
            "huge",
            format!("{good}{}", "A".repeat(MAX_TOKEN_BYTES)),
            "longer than",
        ),
        ("forged", forged, "signature does not verify"),
        (
            "expired",
            hs256(&with("exp", json!(now - 2 * LEEWAY_SECS))),
            "expired",
        ),
        (
            "not yet valid",
            hs256(&with("nbf", json!(now + 2 * LEEWAY_SECS))),
            "not valid yet",
        ),
        (
            "issued in the future",
            hs256(&with("iat", json!(now + 2 * LEEWAY_SECS))),
            "issued in the future",
        ),
        (
            "another issuer",
            hs256(&with("iss", json!("https://evil.test"))),
            "another issuer",
        ),
        (
            "another audience",
            hs256(&with("aud", json!("billing"))),
            "another audience",
        ),
        ("no exp", hs256(&without("exp")), "lacks a valid exp claim"),
        ("no sub", hs256(&without("sub")), "lacks a valid sub claim"),
        ("no role", hs256(&without("role")), "role claim must be"),
        (
            "unknown role",
            hs256(&with("role", json!("admin"))),
            "role claim must be",
        ),
        (
            "sub not an id",
            hs256(&with("sub", json!("c\u{200b}1"))),
            "not a valid customer id",
        ),
        (
            "exp not a number",
            hs256(&with("exp", json!("tomorrow"))),
            "lacks a valid exp claim",
        ),
        (
            "alg none",
            unsigned(
                &json!({"alg": "none", "typ": "JWT"}),
                &claims("operator", "o"),
            ),
            "no algorithm the service accepts",
        ),
        (
            "RS256 without a kid",
            signed(Algorithm::RS256, None, &claims("customer", "c-1")),
            "algorithm is not its key's",
        ),
        (
            "ES256 under the RSA key's kid",
            signed(Algorithm::ES256, Some("rsa-1"), &claims("customer", "c-1")),
            "algorithm is not its key's",
        ),
        (
            "HS256 under an RSA kid",
            confused,
            "algorithm is not its key's",
        ),
        (
            "unknown kid",
            signed(Algorithm::RS256, Some("rsa-9"), &claims("customer", "c-1")),
            "no key of the service has the token's kid",
        ),
    ];
    for (case, token, reason) in table {
        let refused = verdict(&auth, &bearer(&token)).expect_err(case);
        let said = refused.to_string();
        assert!(
            reason.split('|').any(|reason| said.contains(reason)),
            "{case}: {said}"
        );
        assert_eq!(refused.challenge(), Challenge::InvalidToken, "{case}");
        assert!(
            refused
                .challenge_header()
                .starts_with("Bearer realm=\"ordersvc\", error=\"invalid_token\""),
            "{case}"
        );
    }
    // Within the leeway, a token just past its exp still passes: clocks differ a little.
    assert!(verdict(&auth, &bearer(&hs256(&with("exp", json!(now - 5))))).is_ok());
}

#[test]
fn credentials_that_are_not_one_bearer_token_are_malformed_and_none_are_missing() {
    let auth = authenticator("malformed");
    let good = hs256(&claims("customer", "c-1"));
    for (case, values) in [
        ("basic", vec![b"Basic YWxhZGRpbjpvcGVuc2VzYW1l".to_vec()]),
        ("no token", vec![b"Bearer".to_vec()]),
        ("two spaces", vec![format!("Bearer  {good}").into_bytes()]),
        ("not a token character", vec![b"Bearer a\"b.c.d".to_vec()]),
        ("not UTF-8", vec![b"Bearer \xff".to_vec()]),
        ("twice", vec![bearer(&good), bearer(&good)]),
    ] {
        let refused = auth
            .authenticate(values.iter().map(Vec::as_slice))
            .expect_err(case);
        assert_eq!(
            refused.challenge(),
            Challenge::InvalidRequest,
            "{case}: {refused}"
        );
    }
    let missing = auth.authenticate(std::iter::empty()).unwrap_err();
    assert_eq!(missing.challenge_header(), "Bearer realm=\"ordersvc\"");
}

#[test]
fn with_authentication_off_everyone_is_anyone_and_tokens_are_not_read() {
    let off = Authenticator::off();
    assert!(!off.is_on());
    assert_eq!(off.authenticate(std::iter::empty()), Ok(Caller::Anyone));
    assert_eq!(
        off.authenticate([b"Bearer garbage".as_slice()]),
        Ok(Caller::Anyone)
    );
}

#[test]
fn a_reload_uses_the_rotated_keys_and_a_broken_file_keeps_the_old_ones() {
    let directory = scratch("rotation");
    let settings = settings(&directory);
    let auth = Authenticator::new(settings.clone()).unwrap();
    let old = signed(Algorithm::RS256, Some("rsa-1"), &claims("customer", "c-1"));
    let new = {
        let key = EncodingKey::from_rsa_der(&std::fs::read(fixture("rsa2-private.der")).unwrap());
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some("rsa-2".into());
        jsonwebtoken::encode(&header, &claims("customer", "c-1"), &key).unwrap()
    };
    assert!(verdict(&auth, &bearer(&old)).is_ok());
    assert!(verdict(&auth, &bearer(&new)).is_err());

    let jwks = settings.jwks_file.as_deref().unwrap();
    std::fs::copy(fixture("jwks-rotated.json"), jwks).unwrap();
    let summary = auth.reload().unwrap();
    assert!(
        summary.contains("rsa-2") && !summary.contains("rsa-1"),
        "{summary}"
    );
    assert!(verdict(&auth, &bearer(&new)).is_ok());
    assert!(verdict(&auth, &bearer(&old)).is_err());

    std::fs::write(jwks, b"{\"keys\": [").unwrap();
    let error = auth.reload().unwrap_err();
    assert!(error.to_string().contains("not a JWKS"), "{error}");
    assert!(
        verdict(&auth, &bearer(&new)).is_ok(),
        "the keys in use stay"
    );
}

#[test]
fn key_files_that_cannot_serve_are_refused_with_the_reason() {
    let directory = scratch("files");
    let write = |name: &str, bytes: &[u8]| {
        let path = directory.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let short = write("short", &[b'k'; MIN_SECRET_BYTES - 1]);
    assert!(
        read_hs256_secret(&short)
            .unwrap_err()
            .to_string()
            .contains("at least 32")
    );
    let exact = write(
        "exact",
        &[[b'k'; MIN_SECRET_BYTES].as_slice(), b"\n"].concat(),
    );
    assert_eq!(read_hs256_secret(&exact).unwrap().len(), MIN_SECRET_BYTES);
    assert!(read_hs256_secret(&directory.join("absent")).is_err());

    let load_jwks = |json: &Value| {
        read_jwks(&write("jwks.json", json.to_string().as_bytes())).map(|keys| keys.len())
    };
    let rsa = serde_json::from_slice::<Value>(&std::fs::read(fixture("jwks.json")).unwrap())
        .unwrap()["keys"][0]
        .clone();
    let mut no_kid = rsa.clone();
    no_kid.as_object_mut().unwrap().remove("kid");
    let mut wrong_alg = rsa.clone();
    wrong_alg["alg"] = json!("RS512");
    let mut encryption = rsa.clone();
    encryption["use"] = json!("enc");
    for (case, jwks, problem) in [
        ("empty", json!({"keys": []}), "no keys"),
        ("no kid", json!({"keys": [no_kid]}), "no kid"),
        (
            "an HMAC key",
            json!({"keys": [{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}]}),
            "only RSA",
        ),
        ("another alg", json!({"keys": [wrong_alg]}), "alg must be"),
        (
            "an encryption key",
            json!({"keys": [encryption]}),
            "use is not sig",
        ),
        (
            "one kid twice",
            json!({"keys": [rsa.clone(), rsa.clone()]}),
            "two keys",
        ),
    ] {
        let error = load_jwks(&jwks).expect_err(case);
        assert!(error.to_string().contains(problem), "{case}: {error}");
    }
    assert_eq!(load_jwks(&json!({"keys": [rsa]})), Ok(1));
}

#[test]
fn a_minted_token_is_accepted_as_its_caller() {
    let directory = scratch("mint");
    let settings = settings(&directory);
    let auth = Authenticator::new(settings.clone()).unwrap();
    let token = mint(
        SECRET,
        &settings,
        Role::Customer,
        " customer-42 ",
        Duration::from_secs(60),
    )
    .unwrap();
    assert_eq!(
        verdict(&auth, &bearer(&token)),
        Ok(Caller::Customer(CustomerId::new("customer-42").unwrap()))
    );
    assert!(
        mint(
            SECRET,
            &settings,
            Role::Operator,
            "",
            Duration::from_secs(60)
        )
        .is_err()
    );
}
