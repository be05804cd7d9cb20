//! The descriptor layer's typed errors and lenient-mode warnings.

use std::fmt;

/// Every way a descriptor can be rejected.
///
/// Each variant names the offending key (a dotted path such as `binsparse.data_types.values`)
/// and the offending value, rendered as compact JSON and shortened when long. The enum is
/// `#[non_exhaustive]`: match on the variants you map (the Python layer maps each one) and keep
/// a fallback arm.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DescriptorError {
    /// The JSON text is longer than the configured cap (see `ParseOptions::with_max_input_bytes`).
    #[error("descriptor: input is {size} bytes, over the {limit}-byte cap")]
    InputTooLarge {
        /// Size of the input in bytes.
        size: usize,
        /// The cap in force.
        limit: usize,
    },
    /// The text is not valid JSON.
    #[error("descriptor: malformed JSON: {message}")]
    MalformedJson {
        /// serde_json's message, with line and column.
        message: String,
    },
    /// A key holds a JSON value of the wrong kind (for example a string where an array is needed).
    #[error("`{key}`: expected {expected}, found {value}")]
    WrongType {
        /// The offending key.
        key: String,
        /// What was expected there.
        expected: &'static str,
        /// The value found.
        value: String,
    },
    /// A required key is absent.
    #[error("`{key}`: required key is missing")]
    MissingKey {
        /// The missing key.
        key: String,
    },
    /// A key that binsparse 0.1 does not define appears inside the namespace.
    #[error("`{key}`: unknown key inside the binsparse namespace (value {value})")]
    UnknownKey {
        /// The unknown key.
        key: String,
        /// Its value.
        value: String,
    },
    /// A legacy key or variant was found, but lenient mode is off.
    #[error("`{key}`: legacy form {value} is accepted only in lenient mode")]
    LenientOnly {
        /// The legacy key.
        key: String,
        /// Its value.
        value: String,
    },
    /// The `version` is not a binsparse 0.1 version string.
    #[error("`{key}`: unsupported version {value} (supported: \"0.1\", \"0.1.0\")")]
    UnsupportedVersion {
        /// Always the `version` key.
        key: String,
        /// The version found.
        value: String,
    },
    /// The `format` names no binsparse 0.1 format.
    #[error("`{key}`: unknown format {value}")]
    UnknownFormat {
        /// The key holding the name.
        key: String,
        /// The name found.
        value: String,
    },
    /// A feature from a draft or a later schema that this reader does not implement.
    #[error("`{key}`: unsupported {value}: {reason}")]
    UnsupportedFeature {
        /// The key carrying the feature.
        key: String,
        /// Its value.
        value: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// The `format` alias and the `custom` block both present, but describing different layouts.
    #[error("`{key}`: format {value} disagrees with the custom block ({custom})")]
    FormatConflict {
        /// The `format` key.
        key: String,
        /// The alias found.
        value: String,
        /// The custom layout, summarised.
        custom: String,
    },
    /// A level of a custom format is malformed (unknown `level_desc`, bad `rank`, no element leaf…).
    #[error("`{key}`: bad level {value}: {reason}")]
    BadLevel {
        /// Path of the level.
        key: String,
        /// The level (or its offending field).
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// `transpose` is not a permutation of `0..rank`.
    #[error("`{key}`: transpose {value} is not a permutation of 0..{rank}")]
    BadTranspose {
        /// The `transpose` key.
        key: String,
        /// The value found.
        value: String,
        /// The format's rank.
        rank: usize,
    },
    /// `len(shape)` differs from the rank of the format.
    #[error("`{key}`: shape {value} has rank {found}, but the format has rank {expected}")]
    RankMismatch {
        /// The `shape` key.
        key: String,
        /// The shape found.
        value: String,
        /// The format's rank.
        expected: usize,
        /// The shape's rank.
        found: usize,
    },
    /// A size (shape extent or `number_of_stored_values`) is negative, fractional or too large.
    #[error("`{key}`: bad size {value}: {reason}")]
    BadSize {
        /// The key holding the size.
        key: String,
        /// The value found.
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A derived size (a product of extents, an array length in bytes) overflows.
    #[error("`{key}`: size overflow computing {value}")]
    SizeOverflow {
        /// The key the size derives from.
        key: String,
        /// The quantity being computed.
        value: String,
    },
    /// `number_of_stored_values` is inconsistent with the shape and format.
    #[error("`{key}`: number_of_stored_values {value} is impossible here: {reason}")]
    NnzMismatch {
        /// The `number_of_stored_values` key.
        key: String,
        /// The value found.
        value: u64,
        /// Why it is impossible.
        reason: String,
    },
    /// `data_types` lacks an array the format needs, or lists one it does not have.
    #[error("`{key}`: {reason}")]
    DataTypesMismatch {
        /// `…data_types.<array>`.
        key: String,
        /// The array name.
        array: String,
        /// `"missing entry for an array the format needs"` or `"entry for an array the format does not have"`.
        reason: &'static str,
    },
    /// A type string is not in binsparse 0.1's grammar.
    #[error("`{key}`: unknown type string {value}")]
    BadTypeString {
        /// `…data_types.<array>`.
        key: String,
        /// The string found.
        value: String,
    },
    /// `float16`/`bfloat16` used without opting in to the extension.
    #[error(
        "`{key}`: type {value} is a sparsebridge extension, not binsparse 0.1; enable extension types to use it"
    )]
    ExtensionTypeDisabled {
        /// `…data_types.<array>`.
        key: String,
        /// The type string.
        value: String,
    },
    /// An index or pointer array typed iso or non-integer.
    #[error("`{key}`: index arrays need a non-iso integer type, found {value}")]
    BadIndexType {
        /// `…data_types.<array>`.
        key: String,
        /// The type string.
        value: String,
    },
    /// `fill` / `fill_value` inconsistent (or `fill_value` typed iso).
    #[error("`{key}`: bad fill {value}: {reason}")]
    BadFill {
        /// The offending key.
        key: String,
        /// The value found.
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// `structure` unknown, on a non-square or non-2-D array, or Hermitian on real values.
    #[error("`{key}`: bad structure {value}: {reason}")]
    BadStructure {
        /// The `structure` key.
        key: String,
        /// The value found.
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// `number_of_stored_values` was missing (lenient legacy input) and is needed now.
    #[error(
        "`{key}`: number_of_stored_values is unknown; derive it from the arrays with Descriptor::with_nnz"
    )]
    NnzUnknown {
        /// The `number_of_stored_values` key.
        key: String,
    },
    /// Length check: an array the format needs is absent.
    #[error("array `{array}`: missing (the format needs it)")]
    MissingArray {
        /// The array name.
        array: String,
    },
    /// Length check: an array the format does not have is present.
    #[error("array `{array}`: not part of this format")]
    UnexpectedArray {
        /// The array name.
        array: String,
    },
    /// Length check: an array has the wrong number of (logical) elements.
    #[error("array `{array}`: length {actual}, expected {expected}")]
    ArrayLength {
        /// The array name.
        array: String,
        /// The expected length.
        expected: u64,
        /// The length found.
        actual: u64,
    },
    /// Length check: a pointer array's last element is wrong, or was not supplied when needed.
    #[error("array `{array}`: last element {}, expected {expected}", actual.map_or_else(|| "not supplied".to_owned(), |v| v.to_string()))]
    PointerEnd {
        /// The pointer array.
        array: String,
        /// The expected last element.
        expected: u64,
        /// The last element found (`None` when it was not supplied).
        actual: Option<u64>,
    },
}

impl DescriptorError {
    /// The key (or array name) this error is about, for callers that map errors to fields.
    pub fn key(&self) -> &str {
        match self {
            Self::InputTooLarge { .. } | Self::MalformedJson { .. } => "",
            Self::WrongType { key, .. }
            | Self::MissingKey { key }
            | Self::UnknownKey { key, .. }
            | Self::LenientOnly { key, .. }
            | Self::UnsupportedVersion { key, .. }
            | Self::UnknownFormat { key, .. }
            | Self::UnsupportedFeature { key, .. }
            | Self::FormatConflict { key, .. }
            | Self::BadLevel { key, .. }
            | Self::BadTranspose { key, .. }
            | Self::RankMismatch { key, .. }
            | Self::BadSize { key, .. }
            | Self::SizeOverflow { key, .. }
            | Self::NnzMismatch { key, .. }
            | Self::DataTypesMismatch { key, .. }
            | Self::BadTypeString { key, .. }
            | Self::ExtensionTypeDisabled { key, .. }
            | Self::BadIndexType { key, .. }
            | Self::BadFill { key, .. }
            | Self::BadStructure { key, .. }
            | Self::NnzUnknown { key } => key,
            Self::MissingArray { array }
            | Self::UnexpectedArray { array }
            | Self::ArrayLength { array, .. }
            | Self::PointerEnd { array, .. } => array,
        }
    }
}

/// Something the reader accepted but changed or dropped; returned next to the descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// No `version` (legacy writer): binsparse 0.1 assumed. Lenient mode only.
    VersionAssumed,
    /// No `number_of_stored_values` (legacy writer). For dense formats it was derived from the
    /// shape; otherwise the descriptor's nnz is unknown until `Descriptor::with_nnz`.
    NnzMissing {
        /// Whether the value could be derived from the shape.
        derived: bool,
    },
    /// A legacy key was read as its current name (`tensor` → `custom`, `level_kind` → `level_desc`).
    LegacyKey {
        /// The legacy key's path.
        key: String,
        /// The key it stands for.
        replacement: &'static str,
    },
    /// The type string `"bool"` was read as `bint8`.
    BoolAsBint8 {
        /// `…data_types.<array>`.
        key: String,
    },
    /// A key that carries no meaning in binsparse 0.1 (`attrs`, `attributes`) was ignored.
    IgnoredKey {
        /// The key's path.
        key: String,
    },
    /// An unknown key inside the namespace was dropped (lenient mode only; strict mode rejects it).
    UnknownKeyDropped {
        /// The key's path.
        key: String,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::VersionAssumed => write!(f, "`binsparse.version`: missing; assumed \"0.1\""),
            Self::NnzMissing { derived: true } => write!(
                f,
                "`binsparse.number_of_stored_values`: missing; derived from the shape"
            ),
            Self::NnzMissing { derived: false } => write!(
                f,
                "`binsparse.number_of_stored_values`: missing; must be derived from the arrays"
            ),
            Self::LegacyKey { key, replacement } => {
                write!(f, "`{key}`: legacy key read as `{replacement}`")
            }
            Self::BoolAsBint8 { key } => write!(f, "`{key}`: type \"bool\" read as \"bint8\""),
            Self::IgnoredKey { key } => write!(f, "`{key}`: ignored (not part of binsparse 0.1)"),
            Self::UnknownKeyDropped { key } => write!(f, "`{key}`: unknown key dropped"),
        }
    }
}

/// Longest rendering of an offending value kept in an error message.
const MAX_VALUE_CHARS: usize = 80;

/// Render a JSON value compactly for an error message, shortened to [`MAX_VALUE_CHARS`].
pub(crate) fn show(value: &serde_json::Value) -> String {
    shorten(value.to_string())
}

/// Shorten a rendered value to [`MAX_VALUE_CHARS`] characters (on a char boundary).
pub(crate) fn shorten(mut s: String) -> String {
    if let Some((idx, _)) = s.char_indices().nth(MAX_VALUE_CHARS) {
        s.truncate(idx);
        s.push('…');
    }
    s
}
