//! Who may do what, through the real binary with keys, over both transports and on both backends: tokens minted by
//! `ordersvc token` (HS256) and signed with the test JWKS keys (RS256, ES256), every rule of the policy as one table
//! run over HTTP and gRPC, bad tokens, the open routes, the access log, key rotation on SIGHUP, and the safe default
//! of a service without keys.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use adapters::grpc::proto::orders::v1 as pb;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tonic::{Code, Status};

use crate::grpc_client::{GrpcClient, reason, with_metadata};
use crate::helpers::TestDatabase;
use crate::parity::STATUS_NAMES;
use crate::process::{Process, ordersvc, signal, start, wait_for_exit, wait_for_line};

const ISSUER: &str = "https://issuer.test";
const AUDIENCE: &str = "ordersvc";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/auth")
        .join(name)
}

/// The key files of one service (or of the instances of one cluster), in a directory of their own.
pub(crate) struct Keys {
    directory: PathBuf,
}

impl Keys {
    pub(crate) fn new() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let directory =
            std::env::temp_dir().join(format!("ordersvc-keys-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        std::fs::write(
            directory.join("secret"),
            "a shared secret of at least 32 bytes, for the tests\n",
        )
        .unwrap();
        std::fs::copy(fixture("jwks.json"), directory.join("jwks.json")).unwrap();
        Self { directory }
    }

    pub(crate) fn env(&self) -> Vec<(String, String)> {
        let file = |name: &str| self.directory.join(name).display().to_string();
        vec![
            ("AUTH_HS256_SECRET_FILE".into(), file("secret")),
            ("AUTH_JWKS_FILE".into(), file("jwks.json")),
            ("AUTH_ISSUER".into(), ISSUER.into()),
            ("AUTH_AUDIENCE".into(), AUDIENCE.into()),
        ]
    }

    /// A token for `role` and `sub`, as `ordersvc token` prints it.
    pub(crate) fn mint(&self, role: &str, sub: &str) -> String {
        let output = Command::new(ordersvc())
            .env_clear()
            .envs(self.env())
            .args(["token", "--role", role, "--sub", sub, "--ttl", "10m"])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }
}

impl Drop for Keys {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}

/// A token signed in the test with a fixture key (`rsa-private.der`, `rsa2-private.der`, `ec-private.der`) or the
/// HS256 `secret`, with `claims` as given.
fn signed(alg: Algorithm, kid: Option<&str>, key: &str, claims: &Value) -> String {
    let key = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_der(&std::fs::read(fixture(key)).unwrap()),
        Algorithm::ES256 => EncodingKey::from_ec_der(&std::fs::read(fixture(key)).unwrap()),
        _ => EncodingKey::from_secret(key.as_bytes()).unwrap(),
    };
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &key).unwrap()
}

fn claims(role: &str, sub: &str) -> Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    json!({"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "role": role, "iat": now, "exp": now + 600})
}

/// The two transports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Http,
    Grpc,
}

/// How a call ended: `Ok` with what it returned, or the stable code it was refused with (the problem's `code`, the
/// `ErrorInfo` reason), after checking the status that goes with it.
type Answer<T> = Result<T, String>;

/// A running service with keys, and clients of both its ports.
struct Secured {
    process: Process,
    grpc: GrpcClient,
    agent: ureq::Agent,
}

impl Secured {
    fn start(database_url: &str, keys: &Keys) -> Self {
        let env = keys.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let process = start(database_url, &env);
        let grpc = GrpcClient::connect(process.grpc_port.unwrap());
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Self {
            process,
            grpc,
            agent,
        }
    }

    /// An HTTP request with `token` as its bearer token (none when `None`); status, `WWW-Authenticate`, body.
    fn http(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Option<String>, Value) {
        let reply = self.http_keyed(method, path, token, None, body);
        (reply.0, reply.1, reply.2)
    }

    /// [`Secured::http`] with an `Idempotency-Key` when given; also whether the answer says `Idempotent-Replayed`.
    fn http_keyed(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Option<String>, Value, bool) {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("http://127.0.0.1:{}{path}", self.process.port))
            .header("Content-Type", "application/json");
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let mut response = match body {
            Some(body) => self.agent.run(request.body(body.to_string()).unwrap()),
            None => self.agent.run(request.body(()).unwrap()),
        }
        .unwrap();
        let challenge = response
            .headers()
            .get("www-authenticate")
            .map(|value| value.to_str().unwrap().to_owned());
        let replayed = response.headers().contains_key("idempotent-replayed");
        let text = response.body_mut().read_to_string().unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        (response.status().as_u16(), challenge, body, replayed)
    }

    /// The code of a refused HTTP answer, checking its status and, for 401, its challenge.
    fn http_answer(
        &self,
        (status, challenge, body): (u16, Option<String>, Value),
    ) -> Answer<Value> {
        if status < 300 {
            return Ok(body);
        }
        let code = body["code"].as_str().unwrap_or_default().to_owned();
        let expected = match code.as_str() {
            "unauthenticated" => 401,
            "forbidden" => 403,
            "order_not_found" => 404,
            other => panic!("unexpected refusal {other}: {body}"),
        };
        assert_eq!(status, expected, "{body}");
        assert_eq!(challenge.is_some(), status == 401, "{challenge:?}");
        Err(code)
    }

    /// The code of a refused gRPC call, checking its status code and, for UNAUTHENTICATED, its challenge.
    fn grpc_answer<T>(result: Result<tonic::Response<T>, Status>) -> Answer<T> {
        match result {
            Ok(response) => Ok(response.into_inner()),
            Err(status) => {
                let code = reason(&status);
                let expected = match code.as_str() {
                    "unauthenticated" => Code::Unauthenticated,
                    "forbidden" => Code::PermissionDenied,
                    "order_not_found" => Code::NotFound,
                    other => panic!("unexpected refusal {other}: {status:?}"),
                };
                assert_eq!(status.code(), expected, "{status:?}");
                assert_eq!(
                    status.metadata().get("www-authenticate").is_some(),
                    expected == Code::Unauthenticated
                );
                Err(code)
            }
        }
    }

    fn request<T>(message: T, token: Option<&str>) -> tonic::Request<T> {
        let bearer = token.map(|token| format!("Bearer {token}"));
        match &bearer {
            Some(bearer) => with_metadata(message, &[("authorization", bearer)]),
            None => tonic::Request::new(message),
        }
    }

    /// Places an order for `customer` at `restaurant` (under `key` when given); its id and whether it was replayed.
    fn create(
        &self,
        via: Via,
        token: Option<&str>,
        customer: &str,
        restaurant: &str,
        key: Option<&str>,
    ) -> Answer<(String, bool)> {
        match via {
            Via::Http => {
                let body = json!({
                    "customer_id": customer,
                    "restaurant_id": restaurant,
                    "order_items": [{"product_code": "p-1", "name": "Dal", "unit_price": 9.5, "quantity": 1}]
                });
                let (status, challenge, body, replayed) =
                    self.http_keyed("POST", "/orders", token, key, Some(&body));
                self.http_answer((status, challenge, body))
                    .map(|body| (body["id"].as_str().unwrap().to_owned(), replayed))
            }
            Via::Grpc => {
                let message = pb::CreateOrderRequest {
                    customer_id: customer.into(),
                    restaurant_id: restaurant.into(),
                    order_items: vec![pb::OrderItem {
                        product_code: "p-1".into(),
                        name: "Dal".into(),
                        unit_price_cents: 950,
                        quantity: 1,
                    }],
                };
                let mut request = Self::request(message, token);
                if let Some(key) = key {
                    request
                        .metadata_mut()
                        .insert("idempotency-key", key.parse().unwrap());
                }
                Self::grpc_answer(self.grpc.create(request))
                    .map(|created| (created.id, created.replayed))
            }
        }
    }

    /// The status of the order `id`, as the caller sees it.
    fn find(&self, via: Via, token: Option<&str>, id: &str) -> Answer<String> {
        match via {
            Via::Http => self
                .http_answer(self.http("GET", &format!("/orders/{id}"), token, None))
                .map(|body| body["order"]["status"].as_str().unwrap().to_owned()),
            Via::Grpc => {
                let request = Self::request(pb::GetOrderRequest { id: id.into() }, token);
                Self::grpc_answer(self.grpc.block_on(self.grpc.orders().get_order(request)))
                    .map(|found| status_name(found.order.unwrap().status))
            }
        }
    }

    /// Asks for the order `id` to have `status` (`Accepted`); the status it has afterwards.
    fn change(&self, via: Via, token: Option<&str>, id: &str, status: &str) -> Answer<String> {
        match via {
            Via::Http => self
                .http_answer(self.http(
                    "POST",
                    "/orders/status",
                    token,
                    Some(&json!({"id": id, "status": status})),
                ))
                .map(|body| body["order"]["status"].as_str().unwrap().to_owned()),
            Via::Grpc => {
                let number = STATUS_NAMES
                    .iter()
                    .position(|name| *name == status)
                    .unwrap();
                let message = pb::ChangeStatusRequest {
                    id: id.into(),
                    status: i32::try_from(number + 1).unwrap(),
                    ..Default::default()
                };
                Self::grpc_answer(self.grpc.change_status(Self::request(message, token)))
                    .map(|changed| status_name(changed.order.unwrap().status))
            }
        }
    }

    /// The ids of the first page of orders the caller lists with these filters.
    fn list(
        &self,
        via: Via,
        token: Option<&str>,
        customer: Option<&str>,
        restaurant: Option<&str>,
    ) -> Answer<Vec<String>> {
        match via {
            Via::Http => {
                let mut query = vec!["limit=100".to_owned()];
                query.extend(customer.map(|c| format!("customer_id={c}")));
                query.extend(restaurant.map(|r| format!("restaurant_id={r}")));
                self.http_answer(self.http(
                    "GET",
                    &format!("/orders?{}", query.join("&")),
                    token,
                    None,
                ))
                .map(|body| {
                    body["orders"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|order| order["id"].as_str().unwrap().to_owned())
                        .collect()
                })
            }
            Via::Grpc => {
                let message = pb::ListOrdersRequest {
                    customer_id: customer.unwrap_or_default().into(),
                    restaurant_id: restaurant.unwrap_or_default().into(),
                    limit: 100,
                    ..Default::default()
                };
                Self::grpc_answer(self.grpc.list(Self::request(message, token)))
                    .map(|page| page.orders.into_iter().map(|order| order.id).collect())
            }
        }
    }
}

fn status_name(number: i32) -> String {
    STATUS_NAMES[usize::try_from(number - 1).unwrap()].to_owned()
}

/// The callers of the table.
struct Tokens {
    alice: String,
    bob: String,
    pizzeria: String,
    diner: String,
    operator: String,
}

fn refused(code: &str) -> Answer<String> {
    Err(code.to_owned())
}

/// Every rule of the policy, run over `via`: each run makes its own orders, under its own customer and restaurant
/// ids, so the two transports' runs never see each other's.
fn the_policy_holds(service: &Secured, keys: &Keys, via: Via) {
    let scope = format!("{via:?}").to_lowercase();
    let (alice_id, bob_id) = (format!("alice-{scope}"), format!("bob-{scope}"));
    let (pizzeria_id, diner_id) = (format!("pizzeria-{scope}"), format!("diner-{scope}"));
    let tokens = Tokens {
        alice: keys.mint("customer", &alice_id),
        bob: keys.mint("customer", &bob_id),
        pizzeria: keys.mint("restaurant", &pizzeria_id),
        diner: keys.mint("restaurant", &diner_id),
        // An operator whose token a JWKS key signed, with its kid.
        operator: signed(
            Algorithm::ES256,
            Some("ec-1"),
            "ec-private.der",
            &claims("operator", "ops-1"),
        ),
    };

    // Placing: a customer for itself only, a restaurant never, an operator for anyone; no token, nothing.
    let (alices, _) = service
        .create(
            via,
            Some(tokens.alice.as_str()),
            &alice_id,
            &pizzeria_id,
            None,
        )
        .unwrap();
    let (bobs, _) = service
        .create(
            via,
            Some(tokens.operator.as_str()),
            &bob_id,
            &diner_id,
            None,
        )
        .unwrap();
    let refusals = [
        (Some(tokens.alice.as_str()), &bob_id, "forbidden"),
        (Some(tokens.pizzeria.as_str()), &alice_id, "forbidden"),
        (None, &alice_id, "unauthenticated"),
    ];
    for (token, customer, code) in refusals {
        let placed = service.create(via, token, customer, &pizzeria_id, None);
        assert_eq!(
            placed.map(|_| ()),
            Err(code.to_owned()),
            "{via:?} for {customer}"
        );
    }

    // Reading: one's own, or an order placed at one's restaurant; another's is not found.
    let table = [
        (&tokens.alice, &alices, Ok("Pending".to_owned())),
        (&tokens.bob, &alices, refused("order_not_found")),
        (&tokens.pizzeria, &alices, Ok("Pending".to_owned())),
        (&tokens.diner, &alices, refused("order_not_found")),
        (&tokens.operator, &alices, Ok("Pending".to_owned())),
        (&tokens.alice, &bobs, refused("order_not_found")),
    ];
    for (token, id, expected) in table {
        assert_eq!(
            service.find(via, Some(token.as_str()), id),
            expected,
            "{via:?} find {id}"
        );
    }
    assert_eq!(service.find(via, None, &alices), refused("unauthenticated"));

    // Listing: narrowed to the caller's own; naming someone else is forbidden.
    let mine = |token: &String, customer: Option<&str>, restaurant: Option<&str>| {
        service.list(via, Some(token.as_str()), customer, restaurant)
    };
    assert_eq!(mine(&tokens.alice, None, None), Ok(vec![alices.clone()]));
    assert_eq!(
        mine(&tokens.alice, Some(&alice_id), None),
        Ok(vec![alices.clone()])
    );
    assert_eq!(
        mine(&tokens.alice, Some(&bob_id), None),
        Err("forbidden".into())
    );
    assert_eq!(mine(&tokens.pizzeria, None, None), Ok(vec![alices.clone()]));
    assert_eq!(
        mine(&tokens.pizzeria, None, Some(&diner_id)),
        Err("forbidden".into())
    );
    assert_eq!(mine(&tokens.diner, Some(&alice_id), None), Ok(vec![]));
    let everything = mine(&tokens.operator, None, None).unwrap();
    assert!(everything.contains(&alices) && everything.contains(&bobs));
    // The refused creates wrote nothing: bob has the one order the operator placed for him.
    assert_eq!(
        mine(&tokens.operator, Some(&bob_id), None),
        Ok(vec![bobs.clone()])
    );

    // Changing: a customer may only cancel its own, while Pending; a restaurant moves its own; refusals change
    // nothing.
    let changes = [
        (&tokens.alice, &alices, "Accepted", refused("forbidden")),
        (
            &tokens.bob,
            &alices,
            "Cancelled",
            refused("order_not_found"),
        ),
        (
            &tokens.diner,
            &alices,
            "Accepted",
            refused("order_not_found"),
        ),
        (
            &tokens.pizzeria,
            &alices,
            "Accepted",
            Ok("Accepted".to_owned()),
        ),
        (&tokens.alice, &alices, "Cancelled", refused("forbidden")),
        (
            &tokens.operator,
            &alices,
            "Preparing",
            Ok("Preparing".to_owned()),
        ),
    ];
    for (token, id, status, expected) in changes {
        assert_eq!(
            service.change(via, Some(token.as_str()), id, status),
            expected,
            "{via:?} {status}"
        );
    }
    assert_eq!(
        service.find(via, Some(&tokens.alice), &alices),
        Ok("Preparing".to_owned())
    );
    let (pending, _) = service
        .create(via, Some(&tokens.alice), &alice_id, &pizzeria_id, None)
        .unwrap();
    assert_eq!(
        service.change(via, Some(&tokens.alice), &pending, "Cancelled"),
        Ok("Cancelled".to_owned())
    );
    assert_eq!(
        service.change(via, Some(&tokens.alice), &pending, "Cancelled"),
        Ok("Cancelled".to_owned()),
        "a retried cancel succeeds"
    );

    // Idempotency keys are the caller's own: one key from two callers names two requests.
    let key = format!("shared-key-{scope}");
    let (first, replayed) = service
        .create(
            via,
            Some(&tokens.alice),
            &alice_id,
            &pizzeria_id,
            Some(&key),
        )
        .unwrap();
    assert!(!replayed);
    let (again, replayed) = service
        .create(
            via,
            Some(&tokens.alice),
            &alice_id,
            &pizzeria_id,
            Some(&key),
        )
        .unwrap();
    assert_eq!((again.as_str(), replayed), (first.as_str(), true));
    let (operators, replayed) = service
        .create(
            via,
            Some(&tokens.operator),
            &alice_id,
            &pizzeria_id,
            Some(&key),
        )
        .unwrap();
    assert!(
        !replayed && operators != first,
        "another caller's key is another request"
    );
}

/// Tokens an attacker would try, over `via`: each is `unauthenticated`.
fn bad_tokens_are_refused(service: &Secured, keys: &Keys, via: Via) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let good = keys.mint("operator", "ops");
    let with = |member: &str, value: Value| {
        let mut claims = claims("operator", "ops");
        claims[member] = value;
        claims
    };
    let secret = "a shared secret of at least 32 bytes, for the tests";
    let segment = |value: &Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
    };
    let bad = [
        ("truncated", good[..good.len() - 10].to_owned()),
        ("two segments", good.rsplit_once('.').unwrap().0.to_owned()),
        ("four segments", format!("{good}.e30")),
        ("not base64", "%%%.&&&.***".to_owned()),
        ("huge", "A".repeat(9000)),
        (
            "forged",
            signed(
                Algorithm::HS256,
                None,
                "another secret, also at least 32 bytes",
                &claims("operator", "ops"),
            ),
        ),
        (
            "expired",
            signed(
                Algorithm::HS256,
                None,
                secret,
                &with("exp", json!(now - 600)),
            ),
        ),
        (
            "another issuer",
            signed(
                Algorithm::HS256,
                None,
                secret,
                &with("iss", json!("https://evil.test")),
            ),
        ),
        (
            "another audience",
            signed(
                Algorithm::HS256,
                None,
                secret,
                &with("aud", json!("billing")),
            ),
        ),
        (
            "alg none",
            format!(
                "{}.{}.",
                segment(&json!({"alg": "none"})),
                segment(&claims("operator", "ops"))
            ),
        ),
        (
            "wrong alg",
            signed(
                Algorithm::RS256,
                None,
                "rsa-private.der",
                &claims("operator", "ops"),
            ),
        ),
        (
            "unknown kid",
            signed(
                Algorithm::RS256,
                Some("rsa-9"),
                "rsa-private.der",
                &claims("operator", "ops"),
            ),
        ),
    ];
    let id = "00000000-0000-7000-8000-000000000000";
    for (case, token) in bad {
        assert_eq!(
            service.find(via, Some(&token), id),
            refused("unauthenticated"),
            "{via:?} {case}"
        );
    }
    assert_eq!(
        service.find(via, Some(&good), id),
        refused("order_not_found")
    );
}

fn secured_service_on(database_url: &str) {
    let keys = Keys::new();
    let service = Secured::start(database_url, &keys);
    for via in [Via::Http, Via::Grpc] {
        the_policy_holds(&service, &keys, via);
        bad_tokens_are_refused(&service, &keys, via);
    }

    // The probes, metrics, the API documents, and gRPC health and reflection take no token.
    for path in ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs"] {
        assert_eq!(service.http("GET", path, None, None).0, 200, "{path}");
    }
    assert!(service.grpc.health("").is_ok());
    assert!(
        reflected_services(&service.grpc).contains(&"orders.v1.OrderService".to_owned()),
        "reflection answers without a token"
    );
    let (status, challenge, _) = service.http("GET", "/orders", None, None);
    assert_eq!(
        (status, challenge.as_deref()),
        (401, Some("Bearer realm=\"ordersvc\""))
    );
    let (_, challenge, _) = service.http("GET", "/orders", Some("not.a.token"), None);
    assert!(challenge.unwrap().contains("error=\"invalid_token\""));

    // The access log names the caller, never the token.
    let token = keys.mint("customer", "logged-customer");
    service.list(Via::Http, Some(&token), None, None).unwrap();
    service.list(Via::Grpc, Some(&token), None, None).unwrap();
    let http_line = wait_for_line(
        &service.process.logs,
        "caller=customer:logged-customer",
        Duration::from_secs(5),
    );
    let grpc_line = wait_for_line(
        &service.process.logs,
        "caller=customer:logged-customer",
        Duration::from_secs(5),
    );
    for line in [http_line, grpc_line] {
        assert!(!line.contains(&token[..20]), "{line}");
    }
}

/// The services gRPC reflection (v1) lists, asked without a token.
fn reflected_services(grpc: &GrpcClient) -> Vec<String> {
    use tonic::codegen::tokio_stream;
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut client = ServerReflectionClient::new(grpc.channel());
    grpc.block_on(async move {
        let mut stream = client
            .server_reflection_info(tokio_stream::iter([request]))
            .await
            .unwrap()
            .into_inner();
        match stream
            .message()
            .await
            .unwrap()
            .and_then(|answer| answer.message_response)
        {
            Some(MessageResponse::ListServicesResponse(list)) => list
                .service
                .into_iter()
                .map(|service| service.name)
                .collect(),
            other => panic!("{other:?}"),
        }
    })
}

#[test]
fn a_secured_service_enforces_the_policy_on_sqlite() {
    secured_service_on(TestDatabase::sqlite().url());
}

#[test]
fn a_secured_service_enforces_the_policy_on_postgres() {
    if let Some(database) = TestDatabase::postgres() {
        secured_service_on(database.url());
    }
}

#[test]
fn sighup_rotates_the_jwks_without_a_restart_on_sqlite() {
    keys_rotate_on_sighup(TestDatabase::sqlite().url());
}

#[test]
fn sighup_rotates_the_jwks_without_a_restart_on_postgres() {
    if let Some(database) = TestDatabase::postgres() {
        keys_rotate_on_sighup(database.url());
    }
}

fn keys_rotate_on_sighup(database_url: &str) {
    let keys = Keys::new();
    let service = Secured::start(database_url, &keys);
    let old = signed(
        Algorithm::RS256,
        Some("rsa-1"),
        "rsa-private.der",
        &claims("operator", "ops"),
    );
    let new = signed(
        Algorithm::RS256,
        Some("rsa-2"),
        "rsa2-private.der",
        &claims("operator", "ops"),
    );
    for via in [Via::Http, Via::Grpc] {
        assert_eq!(service.list(via, Some(&old), None, None), Ok(vec![]));
        assert_eq!(
            service.list(via, Some(&new), None, None),
            Err("unauthenticated".into())
        );
    }
    std::fs::copy(
        fixture("jwks-rotated.json"),
        keys.directory.join("jwks.json"),
    )
    .unwrap();
    signal(&service.process.child, "HUP");
    wait_for_line(
        &service.process.logs,
        "keys reloaded",
        Duration::from_secs(5),
    );
    for via in [Via::Http, Via::Grpc] {
        assert_eq!(
            service.list(via, Some(&new), None, None),
            Ok(vec![]),
            "{via:?}"
        );
        assert_eq!(
            service.list(via, Some(&old), None, None),
            Err("unauthenticated".into()),
            "{via:?}"
        );
    }
    // A file that cannot be read keeps the keys in use.
    std::fs::write(keys.directory.join("jwks.json"), "{").unwrap();
    signal(&service.process.child, "HUP");
    wait_for_line(
        &service.process.logs,
        "keys not reloaded",
        Duration::from_secs(5),
    );
    assert_eq!(service.list(Via::Http, Some(&new), None, None), Ok(vec![]));
}

/// Runs the binary with `env` and no keys until it serves or exits: its exit code (`None` when it served) and the
/// lines it wrote until then.
fn first_lines(env: &[(&str, &str)]) -> (Option<i32>, Vec<String>) {
    let database = TestDatabase::sqlite();
    let mut child = Command::new(ordersvc())
        .env_clear()
        .env("DATABASE_URL", database.url())
        .env("RUST_LOG", "info")
        .envs(env.iter().copied())
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut lines = Vec::new();
    for line in std::io::BufRead::lines(stderr).map_while(Result::ok) {
        let serving = line.contains("listening on ");
        lines.push(line);
        if serving {
            let _ = child.kill();
            let _ = child.wait();
            return (None, lines);
        }
    }
    (wait_for_exit(&mut child).code(), lines)
}

#[test]
fn without_keys_a_listener_other_hosts_reach_refuses_to_start() {
    for env in [
        &[("HTTP_ADDR", "0.0.0.0:0"), ("GRPC_ADDR", "off")][..],
        &[("HTTP_ADDR", "127.0.0.1:0"), ("GRPC_ADDR", "0.0.0.0:0")],
    ] {
        let (code, said) = first_lines(env);
        assert_eq!(code, Some(2), "{said:?}");
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(
            said[0].contains("AUTH_HS256_SECRET_FILE") && said[0].contains("INSECURE_NO_AUTH"),
            "{said:?}"
        );
    }
}

#[test]
fn without_keys_loopback_and_insecure_no_auth_serve_with_a_warning() {
    for env in [
        &[("HTTP_ADDR", "127.0.0.1:0"), ("GRPC_ADDR", "[::1]:0")][..],
        &[
            ("HTTP_ADDR", "0.0.0.0:0"),
            ("GRPC_ADDR", "0.0.0.0:0"),
            ("INSECURE_NO_AUTH", "true"),
        ],
    ] {
        let (code, said) = first_lines(env);
        assert_eq!(code, None, "{said:?}");
        assert!(
            said.iter()
                .any(|line| line.contains("WARN") && line.contains("authentication is off")),
            "{said:?}"
        );
    }
}
