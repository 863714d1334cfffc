//! Who is calling: the identity a transport established (from a verified token), as the use cases see it. How it was
//! established is the transport's business; what it may do is the [policy](crate::policy)'s.

use std::fmt;

use domain::{CustomerId, KeyOwner, OperatorId, RestaurantId};

/// The party a request acts for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Caller {
    /// Callers are not told apart: authentication is off, because every listener is on a loopback address or the
    /// operator said the service runs behind an authenticating gateway. Trusted like an operator.
    Anyone,
    /// A customer, who places, reads and cancels their own orders.
    Customer(CustomerId),
    /// A restaurant, which reads the orders placed at it and moves them through their lifecycle.
    Restaurant(RestaurantId),
    /// A member of staff, who may do everything.
    Operator(OperatorId),
}

/// The roles a credential can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// See [`Caller::Customer`].
    Customer,
    /// See [`Caller::Restaurant`].
    Restaurant,
    /// See [`Caller::Operator`].
    Operator,
}

impl Role {
    /// Every role, in the order documents list them.
    pub const ALL: [Self; 3] = [Self::Customer, Self::Restaurant, Self::Operator];

    /// The role's name in credentials and logs: `customer`, `restaurant` or `operator`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Restaurant => "restaurant",
            Self::Operator => "operator",
        }
    }

    /// The role named `name` (exactly, as credentials spell it).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Caller {
    /// The caller's role; `None` for [`Caller::Anyone`].
    pub const fn role(&self) -> Option<Role> {
        match self {
            Self::Anyone => None,
            Self::Customer(_) => Some(Role::Customer),
            Self::Restaurant(_) => Some(Role::Restaurant),
            Self::Operator(_) => Some(Role::Operator),
        }
    }

    /// The caller's id within its role (the credential's subject); empty for [`Caller::Anyone`].
    pub fn subject(&self) -> &str {
        match self {
            Self::Anyone => "",
            Self::Customer(id) => id.as_str(),
            Self::Restaurant(id) => id.as_str(),
            Self::Operator(id) => id.as_str(),
        }
    }

    /// Whose idempotency keys this caller's are: one name per role and subject, so no two callers share keys. The
    /// role is part of the name because a customer and a restaurant may have the same id.
    pub(crate) fn key_owner(&self) -> KeyOwner {
        match self.role() {
            None => KeyOwner::anyone(),
            Some(role) => KeyOwner::named(format!("{role}:{}", self.subject())),
        }
    }
}

/// `role:subject` (`customer:customer-42`), or `anyone`: how logs name the caller.
impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.role() {
            None => f.write_str("anyone"),
            Some(role) => write!(f, "{role}:{}", self.subject()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_named_as_credentials_spell_them() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        for unknown in ["", "Customer", "admin", "customer "] {
            assert_eq!(Role::parse(unknown), None, "{unknown:?}");
        }
    }

    #[test]
    fn a_customer_and_a_restaurant_with_one_id_own_different_keys() {
        let customer = Caller::Customer(CustomerId::new("same").unwrap());
        let restaurant = Caller::Restaurant(RestaurantId::new("same").unwrap());
        assert_ne!(customer.key_owner(), restaurant.key_owner());
        assert_eq!(customer.key_owner().as_str(), "customer:same");
        assert_eq!(Caller::Anyone.key_owner(), KeyOwner::anyone());
    }

    #[test]
    fn logs_name_the_role_and_subject() {
        assert_eq!(
            Caller::Operator(OperatorId::new("ops-1").unwrap()).to_string(),
            "operator:ops-1"
        );
        assert_eq!(Caller::Anyone.to_string(), "anyone");
    }
}
