//! Who is calling, from a bearer token (a JWT), for every transport alike: HTTP's `Authorization` header and gRPC's
//! `authorization` metadata carry the same token and get the same verdict.
//!
//! A token is accepted only when all of this holds: it is a JWS of three parts; its key is known (a `kid` names a
//! key of the JWKS file; without a `kid`, the HS256 secret); its algorithm is that key's (`none`, or another
//! algorithm than the key's, is refused, so a public key can never be used as an HMAC secret); the signature
//! verifies; `exp` is present and not past, `nbf` and `iat` are not in the future, each with at most
//! [`LEEWAY_SECS`]; `iss` and `aud` are the configured ones; `role` is `customer`, `restaurant` or `operator` and
//! `sub` is a valid id of that role. Anything else is `unauthenticated`, with the RFC 6750 challenge a client reads.
//!
//! The keys are re-read by [`Authenticator::reload`] (on SIGHUP), without a request ever seeing no keys: a reload
//! that fails keeps the keys in use.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use application::{Caller, Role};
use domain::{CustomerId, OperatorId, RestaurantId};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// How far a token's times may be off the service's clock: `exp` a little past, `nbf` and `iat` a little ahead.
pub const LEEWAY_SECS: u64 = 60;

/// The shortest HS256 secret accepted: 256 bits, as RFC 7518 asks of an HS256 key.
pub const MIN_SECRET_BYTES: usize = 32;

/// The longest token read; a longer one is refused before any decoding. Real tokens are well under 2 KiB.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The realm of the service's challenges.
const REALM: &str = "ordersvc";

/// Where the keys come from, and what every token must say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSettings {
    /// A file holding the HS256 shared secret (its bytes, one trailing newline removed).
    pub hs256_secret_file: Option<PathBuf>,
    /// A file holding a JWKS of RS256 and ES256 public keys, chosen by a token's `kid`.
    pub jwks_file: Option<PathBuf>,
    /// The `iss` every token must have.
    pub issuer: String,
    /// The `aud` every token must have (or include).
    pub audience: String,
}

/// The keys could not be read; the message names the file and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{file}: {problem}")]
pub struct KeyError {
    file: String,
    problem: String,
}

impl KeyError {
    fn new(file: &Path, problem: impl Into<String>) -> Self {
        Self {
            file: file.display().to_string(),
            problem: problem.into(),
        }
    }
}

/// What the `WWW-Authenticate: Bearer` challenge of a refusal says (RFC 6750 §3): no `error` attribute when there
/// were no credentials, `invalid_request` for credentials that are not one bearer token, `invalid_token` for a
/// token that is not valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    /// No credentials at all.
    TokenRequired,
    /// Credentials that are not one bearer token.
    InvalidRequest,
    /// A bearer token that is not valid.
    InvalidToken,
}

impl Challenge {
    const fn error(self) -> Option<&'static str> {
        match self {
            Self::TokenRequired => None,
            Self::InvalidRequest => Some("invalid_request"),
            Self::InvalidToken => Some("invalid_token"),
        }
    }

    /// The challenge as a header (or metadata) value, with `detail` as its `error_description`.
    pub fn header(self, detail: &str) -> String {
        match self.error() {
            None => format!("Bearer realm=\"{REALM}\""),
            Some(error) => format!(
                "Bearer realm=\"{REALM}\", error=\"{error}\", error_description=\"{}\"",
                detail.replace(['"', '\\'], "'")
            ),
        }
    }
}

/// Why a request is not authenticated: what a client reads in the problem's `detail`, and its challenge.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{detail}")]
pub struct Unauthenticated {
    challenge: Challenge,
    detail: String,
}

impl Unauthenticated {
    fn missing() -> Self {
        Self {
            challenge: Challenge::TokenRequired,
            detail: "a bearer token is required: send `Authorization: Bearer <token>`".into(),
        }
    }

    fn malformed(detail: &str) -> Self {
        Self {
            challenge: Challenge::InvalidRequest,
            detail: detail.into(),
        }
    }

    fn invalid(detail: impl Into<String>) -> Self {
        Self {
            challenge: Challenge::InvalidToken,
            detail: detail.into(),
        }
    }

    /// What the challenge says.
    pub const fn challenge(&self) -> Challenge {
        self.challenge
    }

    /// The challenge as a header (or metadata) value.
    pub fn challenge_header(&self) -> String {
        self.challenge.header(&self.detail)
    }
}

/// The keys in use: the HS256 secret and the JWKS keys by `kid`, each with the one algorithm it verifies.
#[derive(Default)]
struct Keys {
    hs256: Option<DecodingKey>,
    by_kid: HashMap<String, (DecodingKey, Algorithm)>,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut kids: Vec<&String> = self.by_kid.keys().collect();
        kids.sort_unstable();
        f.debug_struct("Keys")
            .field("hs256", &self.hs256.is_some())
            .field("kids", &kids)
            .finish()
    }
}

/// What a token's payload must hold beyond the claims [`Validation`] checks.
#[derive(Deserialize)]
struct Claims {
    sub: Option<String>,
    role: Option<String>,
    iat: Option<u64>,
}

/// Tells who a request is from, or that it is from anyone when authentication is off.
#[derive(Debug)]
pub struct Authenticator {
    verifier: Option<Verifier>,
}

#[derive(Debug)]
struct Verifier {
    settings: AuthSettings,
    keys: RwLock<Arc<Keys>>,
    validations: Validations,
}

/// What a token is checked against, for each algorithm a key may verify: built once, not per request.
#[derive(Debug)]
struct Validations {
    hs256: Validation,
    rs256: Validation,
    es256: Validation,
}

impl Validations {
    fn new(settings: &AuthSettings) -> Self {
        let validation = |algorithm| {
            let mut validation = Validation::new(algorithm);
            validation.leeway = LEEWAY_SECS;
            validation.validate_nbf = true;
            validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
            validation.set_issuer(&[&settings.issuer]);
            validation.set_audience(&[&settings.audience]);
            validation
        };
        Self {
            hs256: validation(Algorithm::HS256),
            rs256: validation(Algorithm::RS256),
            es256: validation(Algorithm::ES256),
        }
    }

    /// The validation of `algorithm`, one of the three [`load`] pins keys to.
    const fn of(&self, algorithm: Algorithm) -> &Validation {
        match algorithm {
            Algorithm::HS256 => &self.hs256,
            Algorithm::RS256 => &self.rs256,
            _ => &self.es256,
        }
    }
}

impl Authenticator {
    /// No authentication: every request is [`Caller::Anyone`], and tokens are not looked at.
    pub const fn off() -> Self {
        Self { verifier: None }
    }

    /// Authentication with the keys `settings` names, read now.
    ///
    /// # Errors
    /// [`KeyError`] when no key file is named, or one cannot be read or holds no usable key.
    pub fn new(settings: AuthSettings) -> Result<Self, KeyError> {
        let keys = load(&settings)?;
        Ok(Self {
            verifier: Some(Verifier {
                validations: Validations::new(&settings),
                settings,
                keys: RwLock::new(Arc::new(keys)),
            }),
        })
    }

    /// Whether tokens are required.
    pub const fn is_on(&self) -> bool {
        self.verifier.is_some()
    }

    /// Reads the key files again and uses their keys from the next request on; a request under way finishes with
    /// the keys it started with. Returns what is in use now, for the log.
    ///
    /// # Errors
    /// [`KeyError`] when a file cannot be read or is not valid: the keys in use stay.
    pub fn reload(&self) -> Result<String, KeyError> {
        let Some(verifier) = &self.verifier else {
            return Ok("authentication is off".into());
        };
        let keys = Arc::new(load(&verifier.settings)?);
        let summary = format!("{keys:?}");
        *verifier
            .keys
            .write()
            .unwrap_or_else(PoisonError::into_inner) = keys;
        Ok(summary)
    }

    /// What is in use now, for the log: whether an HS256 secret is, and the JWKS keys' ids.
    pub fn describe(&self) -> String {
        self.verifier.as_ref().map_or_else(
            || "authentication is off".into(),
            |verifier| format!("{:?}", verifier.current()),
        )
    }

    /// The caller a request's credentials name: `authorization` holds every value of its `Authorization` header
    /// (metadata), in the order received.
    ///
    /// # Errors
    /// [`Unauthenticated`] when authentication is on and the values are not exactly one valid bearer token.
    pub fn authenticate<'a>(
        &self,
        authorization: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<Caller, Unauthenticated> {
        let Some(verifier) = &self.verifier else {
            return Ok(Caller::Anyone);
        };
        let mut values = authorization.into_iter();
        let value = match (values.next(), values.next()) {
            (None, _) => return Err(Unauthenticated::missing()),
            (Some(value), None) => value,
            (Some(_), Some(_)) => {
                return Err(Unauthenticated::malformed(
                    "send one Authorization header, not several",
                ));
            }
        };
        verifier.verify(bearer_token(value)?)
    }
}

impl Verifier {
    fn current(&self) -> Arc<Keys> {
        Arc::clone(&self.keys.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn verify(&self, token: &str) -> Result<Caller, Unauthenticated> {
        let header = jsonwebtoken::decode_header(token).map_err(|error| match error.kind() {
            // `none` and every algorithm the library does not know fail here, as JSON that is not a header.
            ErrorKind::Json(error) if error.is_data() => Unauthenticated::invalid(
                "the token's header names no algorithm the service accepts (HS256, RS256, ES256)",
            ),
            kind => refusal(kind),
        })?;
        let keys = self.current();
        let (key, algorithm) = match &header.kid {
            Some(kid) => keys
                .by_kid
                .get(kid)
                .map(|(key, algorithm)| (key, *algorithm))
                .ok_or_else(|| {
                    Unauthenticated::invalid("no key of the service has the token's kid")
                })?,
            None => keys
                .hs256
                .as_ref()
                .map(|key| (key, Algorithm::HS256))
                .ok_or_else(|| {
                    Unauthenticated::invalid("the token names no key: a kid is required")
                })?,
        };
        let claims = jsonwebtoken::decode::<Claims>(token, key, self.validations.of(algorithm))
            .map_err(|error| refusal(error.kind()))?
            .claims;
        if claims
            .iat
            .is_some_and(|iat| iat > now_secs().saturating_add(LEEWAY_SECS))
        {
            return Err(Unauthenticated::invalid(
                "the token was issued in the future (iat)",
            ));
        }
        caller_of(&claims)
    }
}

/// The token of an `Authorization` value: the `Bearer` scheme (any case), one space, a token of the RFC 6750
/// characters.
fn bearer_token(value: &[u8]) -> Result<&str, Unauthenticated> {
    let value = std::str::from_utf8(value)
        .map_err(|_| Unauthenticated::malformed("the Authorization header is not ASCII"))?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Unauthenticated::malformed(
            "the Authorization header must use the Bearer scheme: `Authorization: Bearer <token>`",
        ));
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Unauthenticated::invalid(format!(
            "the token is longer than {MAX_TOKEN_BYTES} bytes"
        )));
    }
    let is_token_char = |c: char| c.is_ascii_alphanumeric() || "-._~+/=".contains(c);
    if token.is_empty() || !token.chars().all(is_token_char) {
        return Err(Unauthenticated::malformed(
            "the Authorization header must be `Bearer` and one token, with one space between",
        ));
    }
    Ok(token)
}

/// The refusal for a token the JWT library refused: what was wrong, in words a client can act on.
fn refusal(kind: &ErrorKind) -> Unauthenticated {
    Unauthenticated::invalid(match kind {
        ErrorKind::ExpiredSignature => "the token has expired".to_owned(),
        ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)".to_owned(),
        ErrorKind::InvalidIssuer => "the token is from another issuer (iss)".to_owned(),
        ErrorKind::InvalidAudience => "the token is for another audience (aud)".to_owned(),
        ErrorKind::InvalidSignature => "the token's signature does not verify".to_owned(),
        ErrorKind::InvalidAlgorithm | ErrorKind::UnsupportedAlgorithm | ErrorKind::MissingAlgorithm => {
            "the token's algorithm is not its key's".to_owned()
        }
        ErrorKind::MissingRequiredClaim(claim) => format!("the token lacks a valid {claim} claim"),
        ErrorKind::InvalidClaimFormat(claim) => format!("the token's {claim} claim is malformed"),
        ErrorKind::Json(error) if error.is_data() => {
            "the token's claims are malformed: sub and role must be strings, exp, nbf and iat numbers".to_owned()
        }
        _ => "the token is not a JWT: three base64url parts of JSON, with an algorithm the service accepts"
            .to_owned(),
    })
}

/// The caller the verified claims name.
fn caller_of(claims: &Claims) -> Result<Caller, Unauthenticated> {
    let role = claims
        .role
        .as_deref()
        .and_then(Role::parse)
        .ok_or_else(|| {
            Unauthenticated::invalid(
                "the token's role claim must be customer, restaurant or operator",
            )
        })?;
    let bad_sub = |_| Unauthenticated::invalid(format!("the token's sub is not a valid {role} id"));
    let sub = claims
        .sub
        .as_deref()
        .ok_or_else(|| Unauthenticated::invalid("the token lacks a valid sub claim"))?;
    Ok(match role {
        Role::Customer => Caller::Customer(CustomerId::new(sub).map_err(bad_sub)?),
        Role::Restaurant => Caller::Restaurant(RestaurantId::new(sub).map_err(bad_sub)?),
        Role::Operator => Caller::Operator(OperatorId::new(sub).map_err(bad_sub)?),
    })
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs())
}

/// Reads every key file `settings` names.
fn load(settings: &AuthSettings) -> Result<Keys, KeyError> {
    let mut keys = Keys::default();
    if let Some(file) = &settings.hs256_secret_file {
        let secret = read_hs256_secret(file)?;
        keys.hs256 = Some(
            DecodingKey::from_secret(&secret)
                .map_err(|error| KeyError::new(file, error.to_string()))?,
        );
    }
    if let Some(file) = &settings.jwks_file {
        keys.by_kid = read_jwks(file)?;
    }
    Ok(keys)
}

/// The HS256 secret in `file`: its bytes, one trailing newline removed, at least [`MIN_SECRET_BYTES`] of them.
///
/// # Errors
/// [`KeyError`] when the file cannot be read or the secret is too short.
pub fn read_hs256_secret(file: &Path) -> Result<Vec<u8>, KeyError> {
    let mut secret = std::fs::read(file).map_err(|error| KeyError::new(file, error.to_string()))?;
    if secret.last() == Some(&b'\n') {
        secret.pop();
    }
    if secret.len() < MIN_SECRET_BYTES {
        return Err(KeyError::new(
            file,
            format!(
                "the secret is {} bytes; an HS256 secret needs at least {MIN_SECRET_BYTES}",
                secret.len()
            ),
        ));
    }
    Ok(secret)
}

/// The keys of the JWKS in `file`, by `kid`, each with its algorithm: RS256 for an RSA key, ES256 for a P-256 one,
/// or the key's `alg` when it names one of those.
fn read_jwks(file: &Path) -> Result<HashMap<String, (DecodingKey, Algorithm)>, KeyError> {
    let text = std::fs::read(file).map_err(|error| KeyError::new(file, error.to_string()))?;
    let set: JwkSet = serde_json::from_slice(&text)
        .map_err(|error| KeyError::new(file, format!("not a JWKS: {error}")))?;
    if set.keys.is_empty() {
        return Err(KeyError::new(file, "the JWKS has no keys"));
    }
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        let kid = jwk
            .common
            .key_id
            .clone()
            .ok_or_else(|| KeyError::new(file, "a key has no kid"))?;
        let algorithm = algorithm_of(jwk)
            .map_err(|problem| KeyError::new(file, format!("key {kid:?}: {problem}")))?;
        let key = DecodingKey::from_jwk(jwk)
            .map_err(|error| KeyError::new(file, format!("key {kid:?}: {error}")))?;
        if keys.insert(kid.clone(), (key, algorithm)).is_some() {
            return Err(KeyError::new(
                file,
                format!("two keys have the kid {kid:?}"),
            ));
        }
    }
    Ok(keys)
}

/// The one algorithm `jwk` verifies.
fn algorithm_of(jwk: &Jwk) -> Result<Algorithm, &'static str> {
    if matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
    ) {
        return Err("its use is not sig");
    }
    let by_type = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(params) if params.curve == EllipticCurve::P256 => {
            Algorithm::ES256
        }
        _ => return Err("only RSA (RS256) and P-256 (ES256) keys are accepted"),
    };
    match jwk.common.key_algorithm {
        None => Ok(by_type),
        Some(KeyAlgorithm::RS256) if by_type == Algorithm::RS256 => Ok(by_type),
        Some(KeyAlgorithm::ES256) if by_type == Algorithm::ES256 => Ok(by_type),
        Some(_) => Err("its alg must be RS256 for an RSA key or ES256 for a P-256 key"),
    }
}

/// The claims of a token [`mint`] makes.
#[derive(Serialize)]
struct MintedClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    sub: &'a str,
    role: &'a str,
    iat: u64,
    exp: u64,
}

/// An HS256 token for `role` and `sub`, valid for `ttl` from now, signed with `secret` for `issuer` and `audience`:
/// what `ordersvc token` prints.
///
/// # Errors
/// Why, when the JWT library refuses the secret or `sub` is not a valid id of `role`.
pub fn mint(
    secret: &[u8],
    settings: &AuthSettings,
    role: Role,
    sub: &str,
    ttl: Duration,
) -> Result<String, String> {
    // The id as the service reads it (trimmed, NFC), so the token names exactly the caller it will be.
    let caller = caller_of(&Claims {
        sub: Some(sub.to_owned()),
        role: Some(role.as_str().to_owned()),
        iat: None,
    })
    .map_err(|refused| refused.to_string())?;
    let iat = now_secs();
    let claims = MintedClaims {
        iss: &settings.issuer,
        aud: &settings.audience,
        sub: caller.subject(),
        role: role.as_str(),
        iat,
        exp: iat.saturating_add(ttl.as_secs()),
    };
    let key = EncodingKey::from_secret(secret).map_err(|error| error.to_string())?;
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key)
        .map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests;
