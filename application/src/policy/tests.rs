//! The policy as a table: role × relation to the order × operation → verdict.

use domain::{
    CustomerId, OperatorId, Order, OrderDraft, OrderId, OrderItemDraft, RestaurantId, StoredOrder,
    Timestamp, Version,
};

use super::*;

/// How the caller stands to the order in a row of the table.
#[derive(Debug, Clone, Copy)]
enum Relation {
    /// The order is the caller's own (its customer, or placed at its restaurant).
    Own,
    /// Another party's order.
    Other,
}

#[derive(Debug, Clone, Copy)]
enum Who {
    Anyone,
    Customer,
    Restaurant,
    Operator,
}

use OrderStatus::{Accepted, Cancelled, Delivered, Pending, Preparing, Rejected};
use Relation::{Other, Own};
use Who::{Anyone, Customer, Operator, Restaurant};

fn caller(who: Who) -> Caller {
    match who {
        Anyone => Caller::Anyone,
        Customer => Caller::Customer(CustomerId::new("c-1").unwrap()),
        Restaurant => Caller::Restaurant(RestaurantId::new("r-1").unwrap()),
        Operator => Caller::Operator(OperatorId::new("ops-1").unwrap()),
    }
}

/// An order that stands in `relation` to the callers of [`caller`], with `status`.
fn order(relation: Relation, status: OrderStatus) -> Order {
    let (customer, restaurant) = match relation {
        Own => ("c-1", "r-1"),
        Other => ("c-2", "r-2"),
    };
    let new = new_order(customer, restaurant);
    Order::restore(StoredOrder {
        id: OrderId::from_bytes([7; 16]),
        customer_id: new.customer_id,
        restaurant_id: new.restaurant_id,
        status,
        created_on: Timestamp::from_unix_micros(1),
        updated_on: Timestamp::from_unix_micros(1),
        version: Version::new(1),
        items: new.items,
    })
}

fn new_order(customer: &str, restaurant: &str) -> NewOrder {
    OrderDraft {
        customer_id: Some(customer.into()),
        restaurant_id: Some(restaurant.into()),
        items: Some(vec![OrderItemDraft {
            product_code: Some("p-1".into()),
            name: Some("Pad thai".into()),
            unit_price: Some("12.50".into()),
            quantity: Some("1".into()),
        }]),
    }
    .validate()
    .unwrap()
}

#[test]
fn who_may_place_an_order_for_whom() {
    let table = [
        (Anyone, "c-1", Ok(())),
        (Anyone, "c-2", Ok(())),
        (Customer, "c-1", Ok(())),
        (Customer, "c-2", Err(Forbidden::PlacingForAnotherCustomer)),
        (Restaurant, "c-1", Err(Forbidden::RestaurantPlacing)),
        (Operator, "c-2", Ok(())),
    ];
    for (who, customer, verdict) in table {
        assert_eq!(
            may_place(&caller(who), &new_order(customer, "r-1")),
            verdict,
            "{who:?} placing for {customer}"
        );
    }
    assert_eq!(
        may_place_orders(&caller(Restaurant)),
        Err(Forbidden::RestaurantPlacing)
    );
    for who in [Anyone, Customer, Operator] {
        assert_eq!(may_place_orders(&caller(who)), Ok(()), "{who:?}");
    }
}

#[test]
fn who_may_see_which_order() {
    let table = [
        (Anyone, Own, true),
        (Anyone, Other, true),
        (Customer, Own, true),
        (Customer, Other, false),
        (Restaurant, Own, true),
        (Restaurant, Other, false),
        (Operator, Own, true),
        (Operator, Other, true),
    ];
    for (who, relation, verdict) in table {
        assert_eq!(
            may_see(&caller(who), &order(relation, Pending)),
            verdict,
            "{who:?} seeing an order of its {relation:?}"
        );
    }
}

#[test]
fn a_customer_may_only_cancel_and_only_while_pending() {
    let customer = caller(Customer);
    let table = [
        (Pending, Cancelled, Ok(())),
        // The retry of a cancel that happened: the use case answers it as a no-op.
        (Cancelled, Cancelled, Ok(())),
        (Accepted, Cancelled, Err(Forbidden::CancellingAfterPending)),
        (Preparing, Cancelled, Err(Forbidden::CancellingAfterPending)),
        (Delivered, Cancelled, Err(Forbidden::CancellingAfterPending)),
        (Pending, Accepted, Err(Forbidden::CustomerChangingStatus)),
        (Pending, Rejected, Err(Forbidden::CustomerChangingStatus)),
        (Accepted, Accepted, Err(Forbidden::CustomerChangingStatus)),
    ];
    for (from, to, verdict) in table {
        assert_eq!(
            may_change(&customer, &order(Own, from), to),
            verdict,
            "{from} -> {to}"
        );
    }
}

#[test]
fn restaurants_operators_and_anyone_may_ask_for_any_step() {
    for who in [Anyone, Restaurant, Operator] {
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                assert_eq!(
                    may_change(&caller(who), &order(Own, from), to),
                    Ok(()),
                    "{who:?}: {from} -> {to}"
                );
            }
        }
    }
}

#[test]
fn a_listing_is_narrowed_to_the_callers_own_orders() {
    let c1 = || CustomerId::new("c-1").unwrap();
    let c2 = || CustomerId::new("c-2").unwrap();
    let r1 = || RestaurantId::new("r-1").unwrap();
    let r2 = || RestaurantId::new("r-2").unwrap();
    let filter = |customer: Option<CustomerId>, restaurant: Option<RestaurantId>| OrderFilter {
        customer_id: customer,
        restaurant_id: restaurant,
        status: Some(Pending),
    };
    let table = [
        (Customer, filter(None, None), Ok(filter(Some(c1()), None))),
        (
            Customer,
            filter(Some(c1()), Some(r2())),
            Ok(filter(Some(c1()), Some(r2()))),
        ),
        (
            Customer,
            filter(Some(c2()), None),
            Err(Forbidden::ListingAnotherCustomer),
        ),
        (Restaurant, filter(None, None), Ok(filter(None, Some(r1())))),
        (
            Restaurant,
            filter(Some(c2()), Some(r1())),
            Ok(filter(Some(c2()), Some(r1()))),
        ),
        (
            Restaurant,
            filter(None, Some(r2())),
            Err(Forbidden::ListingAnotherRestaurant),
        ),
        (
            Operator,
            filter(Some(c2()), Some(r2())),
            Ok(filter(Some(c2()), Some(r2()))),
        ),
        (Anyone, filter(None, None), Ok(filter(None, None))),
    ];
    for (who, asked, verdict) in table {
        assert_eq!(
            narrow(&caller(who), asked.clone()),
            verdict,
            "{who:?} listing {asked:?}"
        );
    }
}
