//! Subcommands, one module each.

pub mod demo;
pub mod descriptor;
pub mod files;
