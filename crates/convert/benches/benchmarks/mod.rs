//! criterion groups: one module per operation family.

pub mod convert;
pub mod data;
