//! binsparse 0.1 descriptors as validated Rust types.
//!
//! | concept | type |
//! |---|---|
//! | a whole descriptor (validated) | [`Descriptor`], built by [`Descriptor::parse`], [`Descriptor::from_value`] or [`DescriptorBuilder`] |
//! | reader settings (lenient mode, extension types, input cap) | [`ParseOptions`] |
//! | what the reader changed or ignored | [`Warning`], returned in [`Parsed`] |
//! | element types and type strings | [`ScalarType`], [`DataType`] (`iso[complex[float32]]`) |
//! | predefined formats and the level model | [`PredefinedFormat`], [`Format`], [`Level`] |
//! | symmetry | [`Structure`] |
//! | the format table: arrays, roles, lengths | [`ArraySpec`], [`ArrayRole`], [`LengthRule`], [`ArrayLengths`] |
//! | every rejection | [`DescriptorError`] |
//!
//! The reader is lenient about what producers emit (binsparse-protocol.md §11); the writer
//! ([`Descriptor::to_value`]) emits only the strict form (§12). The descriptor layer holds no
//! memory: it knows array names, types and lengths, never array contents (except the last
//! element of a pointer array, which a caller passes to [`Descriptor::check_lengths`]).
//!
//! ```
//! use sparsebridge_descriptor::{Descriptor, ParseOptions};
//! // A legacy Finch-style custom block without `format`, version "0.1.0".
//! let text = r#"{"binsparse": {"version": "0.1.0", "shape": [3, 4], "number_of_stored_values": 2,
//!   "custom": {"level": {"level_desc": "dense", "rank": 1,
//!                        "level": {"level_desc": "sparse", "rank": 1,
//!                                  "level": {"level_desc": "element"}}}},
//!   "data_types": {"values": "float64", "indices_1": "int32", "pointers_to_1": "int64"}}}"#;
//! let parsed = Descriptor::parse(text, &ParseOptions::default()).unwrap();
//! let strict = parsed.descriptor.to_json_string().unwrap();
//! assert!(strict.starts_with(r#"{"binsparse":{"version":"0.1","format":"CSR","shape":[3,4]"#));
//! assert!(strict.ends_with(r#""data_types":{"pointers_to_1":"int64","indices_1":"int32","values":"float64"}}}"#));
//! ```

mod descriptor;
mod error;
mod format;
mod structure;
mod table;
mod types;
mod wire;

pub use descriptor::{Descriptor, DescriptorBuilder, ParseOptions, Parsed};
pub use error::{DescriptorError, Warning};
pub use format::{Format, FormatError, Level, ParseFormatError, PredefinedFormat};
pub use structure::{ParseStructureError, Structure};
pub use table::{ArrayLengths, ArrayRole, ArraySpec, LengthRule};
pub use types::{DataType, ParseTypeError, ScalarType};

/// Default cap on descriptor JSON text: 1 MiB (real descriptors are well under 1 KiB).
pub const DEFAULT_MAX_INPUT_BYTES: usize = 1 << 20;

/// Most dimensions a descriptor may have (NumPy's limit).
pub const MAX_RANK: usize = 64;

/// The binsparse version this crate reads and writes.
pub const BINSPARSE_VERSION: &str = "0.1";
