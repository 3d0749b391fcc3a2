//! Orders, the catalog and the validation of an order: an invalid order is
//! rejected with an [`OrderError`] before anything is written or called, so it
//! leaves no trace in any service.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An order's id, chosen by the client: it is also the idempotency key of the
/// submission (a client that resubmits after a timeout gets the same order).
pub type OrderId = u64;

/// An order as a client submits it: one item, in a quantity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// Its id.
    pub id: OrderId,
    /// The item's name (see [`CATALOG`]).
    pub item: String,
    /// How many; must be positive.
    pub qty: i64,
}

/// What the shop sells: name, unit price in cents, initial stock.
pub const CATALOG: [(&str, i64, u64); 3] = [("widget", 1_250, 40), ("gadget", 9_999, 25), ("gizmo", 3, 60)];

/// The unit price of `item` in cents, if the shop sells it.
pub fn price_cents(item: &str) -> Option<i64> {
    CATALOG.iter().find(|(name, _, _)| *name == item).map(|(_, price, _)| *price)
}

/// Why an order is invalid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderError {
    /// The quantity is zero or negative.
    NonPositiveQuantity {
        /// The quantity given.
        qty: i64,
    },
    /// The shop does not sell the item.
    UnknownItem {
        /// The item given.
        item: String,
    },
    /// Quantity times unit price does not fit in 64-bit cents.
    TotalOverflow {
        /// The quantity given.
        qty: i64,
        /// The item's unit price in cents.
        price_cents: i64,
    },
}

impl fmt::Display for OrderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderError::NonPositiveQuantity { qty } => write!(f, "the quantity must be positive, not {qty}"),
            OrderError::UnknownItem { item } => write!(f, "the shop does not sell {item:?}"),
            OrderError::TotalOverflow { qty, price_cents } => {
                write!(f, "{qty} units at {price_cents} cents overflow the order total")
            }
        }
    }
}

impl std::error::Error for OrderError {}

/// Checks `order` and returns its total in cents.
pub fn validate(order: &Order) -> Result<i64, OrderError> {
    if order.qty <= 0 {
        return Err(OrderError::NonPositiveQuantity { qty: order.qty });
    }
    let price = price_cents(&order.item).ok_or_else(|| OrderError::UnknownItem { item: order.item.clone() })?;
    let total = order.qty.checked_mul(price).ok_or(OrderError::TotalOverflow { qty: order.qty, price_cents: price })?;
    assert!(total > 0, "a positive quantity at a positive price");
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(item: &str, qty: i64) -> Result<i64, OrderError> {
        validate(&Order { id: 1, item: item.into(), qty })
    }

    #[test]
    fn a_valid_order_has_its_total_in_cents() {
        assert_eq!(check("widget", 3), Ok(3_750));
    }

    #[test]
    fn zero_and_negative_quantities_are_rejected() {
        assert_eq!(check("widget", 0), Err(OrderError::NonPositiveQuantity { qty: 0 }));
        assert_eq!(check("widget", -2), Err(OrderError::NonPositiveQuantity { qty: -2 }));
        assert_eq!(check("widget", i64::MIN), Err(OrderError::NonPositiveQuantity { qty: i64::MIN }));
    }

    #[test]
    fn an_unknown_item_is_rejected() {
        assert_eq!(check("sprocket", 1), Err(OrderError::UnknownItem { item: "sprocket".into() }));
    }

    #[test]
    fn a_total_that_overflows_is_rejected() {
        let qty = i64::MAX / 1_000;
        assert_eq!(check("widget", qty), Err(OrderError::TotalOverflow { qty, price_cents: 1_250 }));
        assert!(check("gizmo", i64::MAX / 3).is_ok(), "the largest total that fits is accepted");
    }

    #[test]
    fn errors_read_as_sentences() {
        assert_eq!(check("widget", 0).unwrap_err().to_string(), "the quantity must be positive, not 0");
    }
}
