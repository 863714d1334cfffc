//! Transport parity: one table of scenarios ([`scenarios`]) covering the order contract, successes and every error,
//! each run over HTTP and over gRPC against the same service. Each result is normalised into a transport-neutral
//! [`Outcome`] and the two outcomes are compared field by field; each scenario also states what the contract says
//! it gives, so both transports being wrong the same way fails too.
//!
//! A scenario is transport-neutral data ([`Action`]); each transport ([`over_http`], [`over_grpc`]) states it in its
//! own terms, and only inputs both can state with the same meaning are used: gRPC cannot tell an empty string from a
//! field not sent, nor a limit of 0 from no limit, so no scenario sends either, and it cannot leave out an item's
//! numbers, so every scenario sends them.

mod outcome;
mod over_grpc;
mod over_http;
mod scenarios;
mod unicode;

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub(crate) use outcome::STATUS_NAMES;
use outcome::{ItemView, OrderView, Outcome, Page, contract};

use crate::helpers::{TestApp, TestDatabase, on_both_backends};

/// Where a scenario's text says `{scope}`, each run puts its own scope (the scenario's index and the transport), so
/// that no run sees another's orders or idempotency keys; normalising puts the placeholder back.
const SCOPE: &str = "{scope}";

/// An order as a scenario sends it: `None` is a field not sent (an omitted member over HTTP, an empty string over
/// gRPC). Texts may hold [`SCOPE`].
#[derive(Debug, Clone)]
struct NewOrder {
    customer_id: Option<String>,
    restaurant_id: Option<String>,
    /// Always sent: over gRPC a repeated field cannot be absent, only empty.
    items: Vec<NewItem>,
}

/// One item as a scenario sends it. The numbers are always sent: proto3 cannot tell 0 from a number not sent (and 0
/// is a price the contract allows), so an absent number means different things over the two transports.
#[derive(Debug, Clone)]
struct NewItem {
    product_code: Option<String>,
    name: Option<String>,
    /// HTTP writes it as a JSON number with two decimals (999 is `9.99`).
    unit_price_cents: i64,
    quantity: i64,
}

/// Which order an action names.
#[derive(Debug, Clone)]
enum IdRef {
    /// The `n`th order the scenario's setup created.
    Setup(usize),
    /// A well-formed UUID no order has, fresh for each run.
    Unknown,
    /// This text.
    Literal(&'static str),
}

/// A status as an action sends it.
#[derive(Debug, Clone, Copy)]
enum StatusValue {
    /// A status of the contract, by its HTTP name (`Accepted`).
    Named(&'static str),
    /// No status of the contract: `name` over HTTP, the enum number `number` (one the enum does not define) over
    /// gRPC, which the service passes on as its decimal text.
    Undefined { name: &'static str, number: i32 },
}

/// A listing's parameters; `None` is a parameter not sent. `limit` is never 0, which gRPC reads as "the default".
#[derive(Debug, Clone, Default)]
struct Listing {
    customer_id: Option<String>,
    restaurant_id: Option<String>,
    status: Option<StatusValue>,
    limit: Option<u32>,
    cursor: Option<&'static str>,
}

/// One call of the order contract.
#[derive(Debug, Clone)]
enum Action {
    /// Place `order`, idempotently under `key` (which may hold [`SCOPE`]) when given.
    Create {
        order: NewOrder,
        key: Option<&'static str>,
    },
    Get {
        id: IdRef,
    },
    /// `expected_version` is HTTP's `If-Match: "<n>"`.
    ChangeStatus {
        id: Option<IdRef>,
        status: Option<StatusValue>,
        expected_version: Option<u64>,
    },
    List(Listing),
}

/// A transport: states an action in its own terms, checks the status or code it answered with against the
/// contract, and reads the answer into an [`Outcome`] (ids still raw).
trait Transport {
    const NAME: &'static str;

    fn perform(&self, action: &Action, run: &Run) -> Performed;
}

/// What [`Transport::perform`] gives: the outcome, and the id of the order a create made (or replayed).
struct Performed {
    outcome: Outcome,
    created: Option<String>,
}

/// One run of a scenario over one transport: its scope, and the ids its setup created.
struct Run {
    scope: String,
    unknown: String,
    setup_ids: Vec<String>,
}

impl Run {
    fn new(index: usize, transport: &str) -> Self {
        Self {
            scope: format!("s{index}-{transport}"),
            unknown: fresh_uuid(),
            setup_ids: Vec::new(),
        }
    }

    /// `text` with this run's scope.
    fn scoped(&self, text: &str) -> String {
        text.replace(SCOPE, &self.scope)
    }

    /// A field's text as sent in this run (scoped); `None` when not sent. Never empty: gRPC could not send it.
    fn field(&self, text: Option<&str>) -> Option<String> {
        assert_ne!(
            text,
            Some(""),
            "an empty string means \"not sent\" over gRPC only"
        );
        text.map(|text| self.scoped(text))
    }

    /// The id `id` names in this run.
    fn id(&self, id: &IdRef) -> String {
        match id {
            IdRef::Setup(n) => self.setup_ids[*n].clone(),
            IdRef::Unknown => self.unknown.clone(),
            IdRef::Literal(text) => (*text).to_owned(),
        }
    }

    /// The ids of this run with their roles; the setup's first, so that a replayed create names the setup's order.
    fn roles(&self, created: Option<&str>) -> Vec<(String, String)> {
        let setup = self
            .setup_ids
            .iter()
            .enumerate()
            .map(|(n, id)| (id.clone(), format!("setup#{n}")));
        let others = [
            (Some(self.unknown.as_str()), "unknown"),
            (created, "created"),
        ]
        .into_iter()
        .filter_map(|(id, role)| Some((id?.to_owned(), role.to_owned())));
        setup.chain(others).collect()
    }

    /// `outcome` with ids replaced by roles and this run's scope by [`SCOPE`].
    fn normalise(&self, mut outcome: Outcome, created: Option<&str>) -> Outcome {
        let roles = self.roles(created);
        let order = |mut order: OrderView| {
            order.id = roles
                .iter()
                .find(|(id, _)| *id == order.id)
                .map_or_else(|| format!("foreign {}", order.id), |(_, role)| role.clone());
            order.customer_id = order.customer_id.replace(&self.scope, SCOPE);
            order.restaurant_id = order.restaurant_id.replace(&self.scope, SCOPE);
            order
        };
        outcome.order = outcome.order.map(order);
        if let Some(page) = &mut outcome.page {
            page.orders = page.orders.drain(..).map(order).collect();
        }
        for (id, role) in &roles {
            outcome.detail = outcome.detail.replace(id.as_str(), &format!("<{role}>"));
        }
        outcome.detail = outcome.detail.replace(&self.scope, SCOPE);
        outcome
    }
}

/// A well-formed UUID (v7 layout) that no order has.
fn fresh_uuid() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    const LOW_48: u128 = 0xffff_ffff_ffff;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let counter = u128::from(COUNTER.fetch_add(1, Ordering::Relaxed));
    let low = (nanos ^ counter) & LOW_48;
    format!("00000000-0000-7000-8000-{low:012x}")
}

/// What a scenario must give, on both transports.
enum Expect {
    /// Success, with what `check` asserts of the outcome.
    Ok(fn(&Outcome)),
    /// This code, with these field paths in this order (none but for `validation_failed`).
    Refused(&'static str, &'static [&'static str]),
}

impl Expect {
    fn check(&self, outcome: &Outcome, name: &str) {
        assert!(!outcome.retry, "{name}: no scenario is worth retrying");
        match self {
            Self::Ok(check) => {
                assert_eq!(outcome.code, "ok", "{name}: {outcome:?}");
                check(outcome);
            }
            Self::Refused(code, paths) => {
                assert_eq!(outcome.code, *code, "{name}: {outcome:?}");
                let got: Vec<&str> = outcome.fields.iter().map(|(f, _)| f.as_str()).collect();
                assert_eq!(got, *paths, "{name}: {outcome:?}");
                assert!(outcome.order.is_none() && outcome.page.is_none(), "{name}");
            }
        }
    }
}

/// One row of the table: setup steps (each must succeed), then the action under test, over one transport.
struct Scenario {
    name: &'static str,
    setup: Vec<Action>,
    action: Action,
    expect: Expect,
}

/// A row of a table: `setup`, then `action`, expecting `expect`.
fn scenario(name: &'static str, setup: Vec<Action>, action: Action, expect: Expect) -> Scenario {
    Scenario {
        name,
        setup,
        action,
        expect,
    }
}

/// `scenario` over both transports: the two outcomes must agree and be the one it expects; returns it.
fn run_over_both(
    http: &over_http::Http<'_>,
    grpc: &over_grpc::Grpc,
    scenario: &Scenario,
    index: usize,
) -> Outcome {
    let over_http = run_over(http, scenario, index);
    let over_grpc = run_over(grpc, scenario, index);
    assert_eq!(
        over_http, over_grpc,
        "{}: HTTP (left) and gRPC (right) disagree",
        scenario.name
    );
    scenario.expect.check(&over_http, scenario.name);
    over_http
}

/// `scenario` over `transport`, on fresh state: its setup, then its action, normalised.
fn run_over<T: Transport>(transport: &T, scenario: &Scenario, index: usize) -> Outcome {
    let mut run = Run::new(index, T::NAME);
    for step in &scenario.setup {
        let done = transport.perform(step, &run);
        assert_eq!(
            done.outcome.code,
            "ok",
            "{}: setup step {step:?} over {} failed: {:?}",
            scenario.name,
            T::NAME,
            done.outcome
        );
        run.setup_ids.extend(done.created);
    }
    let done = transport.perform(&scenario.action, &run);
    run.normalise(done.outcome, done.created.as_deref())
}

fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)")
}

/// Every scenario gives the same outcome over HTTP and over gRPC, and the one the contract says. All scenarios run;
/// the failures are listed together at the end.
fn every_scenario_has_one_outcome_over_both_transports(app: &TestApp, _database: &TestDatabase) {
    let http = over_http::Http(app);
    let grpc = over_grpc::Grpc(app.grpc());
    let scenarios = scenarios::all();
    let mut failed = Vec::new();
    for (index, scenario) in scenarios.iter().enumerate() {
        let result = catch_unwind(AssertUnwindSafe(|| {
            run_over_both(&http, &grpc, scenario, index);
        }));
        if let Err(panic) = result {
            failed.push(format!("{}: {}", scenario.name, panic_message(&*panic)));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} scenarios failed:\n{}",
        failed.len(),
        scenarios.len(),
        failed.join("\n")
    );
}

on_both_backends!(every_scenario_has_one_outcome_over_both_transports);
