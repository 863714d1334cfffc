//! Validation errors that name every failing field at once.

use std::fmt;

use thiserror::Error;

/// One field that broke a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Where the field is, in the wire contract's names: `customer_id`, `order_items[1].quantity`.
    pub field: String,
    /// What is wrong, as a lowercase phrase: `must not be empty`.
    pub message: String,
}

/// Every rule an input broke. Never empty when returned as an error.
#[derive(Debug, Clone, PartialEq, Eq, Default, Error)]
pub struct ValidationErrors(Vec<FieldError>);

impl ValidationErrors {
    /// Records that `field` is wrong because of `message`.
    pub fn add(&mut self, field: impl Into<String>, message: impl fmt::Display) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.to_string(),
        });
    }

    /// Keeps the value of `result`, or records its error against `field`.
    pub fn check<T, E: fmt::Display>(
        &mut self,
        field: impl Into<String>,
        result: Result<T, E>,
    ) -> Option<T> {
        result.map_err(|error| self.add(field, error)).ok()
    }

    /// Whether no rule was broken.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The broken rules, in the order they were found.
    pub fn fields(&self) -> &[FieldError] {
        &self.0
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid input: ")?;
        for (i, error) in self.0.iter().enumerate() {
            let separator = if i == 0 { "" } else { "; " };
            write!(f, "{separator}{} {}", error.field, error.message)?;
        }
        Ok(())
    }
}
