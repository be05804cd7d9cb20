//! The validated [`Descriptor`], its builder, parse entry points and the strict writer.

use serde_json::{Map, Value};

use crate::error::{DescriptorError, Warning, show};
use crate::format::{Format, Level, PredefinedFormat};
use crate::structure::Structure;
use crate::table::{ArrayLengths, ArrayRole, ArraySpec, arrays_for, check_lengths, product};
use crate::types::{DataType, ScalarType};
use crate::{DEFAULT_MAX_INPUT_BYTES, wire};

/// How to read a descriptor.
///
/// The default reader accepts every §11 producer variant that is valid binsparse 0.1 (both
/// version spellings, every custom-block placement, wrapper or bare object, `"bool"`, the `COO`
/// and `DMAT` aliases, `attrs`/`attributes` ignored). Lenient mode additionally reads legacy
/// writers: no `version`, no `number_of_stored_values`, `tensor`/`level_kind` keys, and drops
/// unknown namespace keys with a warning instead of rejecting them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptions {
    lenient: bool,
    extension_types: bool,
    max_input_bytes: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self {
            lenient: false,
            extension_types: false,
            max_input_bytes: DEFAULT_MAX_INPUT_BYTES,
        }
    }
}

impl ParseOptions {
    /// The default reader with lenient mode on.
    pub fn lenient() -> Self {
        Self::default().with_lenient(true)
    }

    /// Turn lenient mode on or off.
    pub fn with_lenient(mut self, on: bool) -> Self {
        self.lenient = on;
        self
    }

    /// Allow the `float16`/`bfloat16` extension types.
    pub fn with_extension_types(mut self, on: bool) -> Self {
        self.extension_types = on;
        self
    }

    /// Cap the JSON text at `bytes` (default [`DEFAULT_MAX_INPUT_BYTES`]).
    pub fn with_max_input_bytes(mut self, bytes: usize) -> Self {
        self.max_input_bytes = bytes;
        self
    }

    /// Whether lenient mode is on.
    pub fn is_lenient(&self) -> bool {
        self.lenient
    }

    /// Whether extension types are allowed.
    pub fn extension_types(&self) -> bool {
        self.extension_types
    }

    /// The input cap in bytes.
    pub fn max_input_bytes(&self) -> usize {
        self.max_input_bytes
    }
}

/// A parsed descriptor plus what the reader changed or ignored on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// The validated descriptor.
    pub descriptor: Descriptor,
    /// Lenient-mode and compatibility warnings, in the order they arose.
    pub warnings: Vec<Warning>,
}

/// A validated binsparse 0.1 descriptor.
///
/// Invariants, checked by every constructor: the shape's rank matches the format; `data_types`
/// names exactly the format's arrays (plus `fill_value` when `fill` is set), index arrays have
/// non-iso integer types; `structure` only on square 2-D arrays (Hermitian only with complex
/// values); `number_of_stored_values` is consistent with shape and format; every exactly-known
/// array fits in memory.
///
/// ```
/// use sparsebridge_descriptor::{Descriptor, ParseOptions, PredefinedFormat};
/// let text = r#"{"binsparse": {"version": "0.1", "format": "CSR", "shape": [5, 5],
///     "number_of_stored_values": 6,
///     "data_types": {"pointers_to_1": "uint64", "indices_1": "uint64", "values": "iso[int8]"}}}"#;
/// let d = Descriptor::parse(text, &ParseOptions::default()).unwrap().descriptor;
/// assert_eq!(d.format().alias(), Some(PredefinedFormat::Csr));
/// assert_eq!(d.value_type().to_string(), "iso[int8]");
/// assert_eq!(d.array_names(), ["pointers_to_1", "indices_1", "values"]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Descriptor {
    format: Format,
    shape: Vec<u64>,
    nnz: Option<u64>,
    fill: bool,
    structure: Option<Structure>,
    data_types: Vec<(String, DataType)>,
    value_type: DataType,
    arrays: Vec<ArraySpec>,
    user_keys: Map<String, Value>,
}

/// Unvalidated parts of a descriptor, from the reader or the builder.
pub(crate) struct Parts {
    pub(crate) format: Format,
    pub(crate) shape: Vec<u64>,
    pub(crate) nnz: Option<u64>,
    pub(crate) fill: bool,
    pub(crate) structure: Option<Structure>,
    pub(crate) data_types: Vec<(String, DataType)>,
    pub(crate) user_keys: Map<String, Value>,
}

const NS: &str = "binsparse";

fn key(k: &str) -> String {
    format!("{NS}.{k}")
}

fn dt_key(array: &str) -> String {
    format!("{NS}.data_types.{array}")
}

impl Descriptor {
    /// Parse JSON text (wrapped `{"binsparse": {…}, …}` or the bare inner object).
    pub fn parse(text: &str, options: &ParseOptions) -> Result<Parsed, DescriptorError> {
        if text.len() > options.max_input_bytes {
            return Err(DescriptorError::InputTooLarge {
                size: text.len(),
                limit: options.max_input_bytes,
            });
        }
        let value: Value =
            serde_json::from_str(text).map_err(|e| DescriptorError::MalformedJson {
                message: e.to_string(),
            })?;
        Self::from_value(&value, options)
    }

    /// Parse an already-decoded JSON value (e.g. the dict from `__binsparse_descriptor__`).
    pub fn from_value(value: &Value, options: &ParseOptions) -> Result<Parsed, DescriptorError> {
        wire::parse(value, options)
    }

    /// A descriptor whose pointer and index arrays all use `index_type`.
    pub fn new(
        format: Format,
        shape: Vec<u64>,
        nnz: u64,
        index_type: ScalarType,
        value_type: DataType,
    ) -> Result<Self, DescriptorError> {
        Self::builder(format, shape, nnz, value_type)
            .index_type(index_type)
            .build()
    }

    /// Start a builder; see [`DescriptorBuilder`].
    pub fn builder(
        format: impl Into<Format>,
        shape: Vec<u64>,
        nnz: u64,
        value_type: DataType,
    ) -> DescriptorBuilder {
        DescriptorBuilder {
            format: format.into(),
            shape,
            nnz,
            value_type,
            index_type: None,
            pointer_type: None,
            overrides: Vec::new(),
            fill: None,
            structure: None,
            user_keys: Map::new(),
            extension_types: false,
        }
    }

    /// Validate parts into a descriptor (shared by the reader and the builder).
    pub(crate) fn validate(parts: Parts, extension_types: bool) -> Result<Self, DescriptorError> {
        let Parts {
            format,
            shape,
            nnz,
            fill,
            structure,
            mut data_types,
            user_keys,
        } = parts;
        let shape_str = || show(&Value::from(shape.clone()));
        if shape.len() != format.rank() {
            return Err(DescriptorError::RankMismatch {
                key: key("shape"),
                value: shape_str(),
                expected: format.rank(),
                found: shape.len(),
            });
        }
        // Array set: names depend only on format and fill.
        let names = arrays_for(&format, &shape, None, false, fill)?;
        for spec in &names {
            if !data_types.iter().any(|(n, _)| *n == spec.name) {
                let reason = if spec.role == ArrayRole::FillValue {
                    "missing entry for fill_value (fill is true)"
                } else {
                    "missing entry for an array the format needs"
                };
                return Err(DescriptorError::DataTypesMismatch {
                    key: dt_key(&spec.name),
                    array: spec.name.clone(),
                    reason,
                });
            }
        }
        if let Some((extra, _)) = data_types
            .iter()
            .find(|(n, _)| !names.iter().any(|s| s.name == *n))
        {
            let reason = if extra == "fill_value" {
                "fill_value listed but fill is not true"
            } else {
                "entry for an array the format does not have"
            };
            return Err(DescriptorError::DataTypesMismatch {
                key: dt_key(extra),
                array: extra.clone(),
                reason,
            });
        }
        // Canonical order.
        data_types.sort_by_key(|(n, _)| names.iter().position(|s| s.name == *n));
        for (spec, (name, dt)) in names.iter().zip(&data_types) {
            if dt.scalar.is_extension() && !extension_types {
                return Err(DescriptorError::ExtensionTypeDisabled {
                    key: dt_key(name),
                    value: dt.to_string(),
                });
            }
            if spec.is_index() && (dt.iso || !dt.scalar.is_integer()) {
                return Err(DescriptorError::BadIndexType {
                    key: dt_key(name),
                    value: dt.to_string(),
                });
            }
            if spec.role == ArrayRole::FillValue && dt.iso {
                return Err(DescriptorError::BadFill {
                    key: dt_key(name),
                    value: dt.to_string(),
                    reason: "fill_value holds one element and cannot be iso",
                });
            }
        }
        let value_type = data_types
            .iter()
            .find(|(n, _)| n == "values")
            .map(|(_, t)| *t)
            .ok_or_else(|| DescriptorError::DataTypesMismatch {
                key: dt_key("values"),
                array: "values".to_owned(),
                reason: "missing entry for an array the format needs",
            })?;
        if let Some(s) = structure {
            let square = matches!(shape.as_slice(), [a, b] if a == b);
            if !square {
                return Err(DescriptorError::BadStructure {
                    key: key("structure"),
                    value: format!("{:?} with shape {}", s.as_str(), shape_str()),
                    reason: "only square 2-D arrays can declare a structure",
                });
            }
            if s.is_hermitian() && !value_type.scalar.is_complex() {
                return Err(DescriptorError::BadStructure {
                    key: key("structure"),
                    value: format!("{:?} with values {}", s.as_str(), value_type),
                    reason: "hermitian needs complex values",
                });
            }
        }
        if let Some(nnz) = nnz
            && let Some(total) = product(&shape)
            && nnz > total
        {
            return Err(DescriptorError::NnzMismatch {
                key: key("number_of_stored_values"),
                value: nnz,
                reason: format!("more than the {total} positions of the shape"),
            });
        }
        let arrays = arrays_for(&format, &shape, nnz, value_type.iso, fill)?;
        for (spec, (name, dt)) in arrays.iter().zip(&data_types) {
            if let crate::LengthRule::Exact(n) = spec.length {
                let fits = n
                    .checked_mul(dt.scalar.size_bytes())
                    .is_some_and(|b| b <= isize::MAX as u64);
                if !fits {
                    return Err(DescriptorError::SizeOverflow {
                        key: dt_key(name),
                        value: format!("{n} elements of {dt}"),
                    });
                }
            }
        }
        Ok(Self {
            format,
            shape,
            nnz,
            fill,
            structure,
            data_types,
            value_type,
            arrays,
            user_keys,
        })
    }

    /// The storage format.
    pub fn format(&self) -> &Format {
        &self.format
    }

    /// The predefined name of the format, if it has one.
    pub fn alias(&self) -> Option<PredefinedFormat> {
        self.format.alias()
    }

    /// The logical shape.
    pub fn shape(&self) -> &[u64] {
        &self.shape
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    /// `number_of_stored_values`. Returns 0 when it is unknown (see [`nnz_known`](Self::nnz_known)).
    pub fn nnz(&self) -> u64 {
        self.nnz.unwrap_or(0)
    }

    /// False only for lenient legacy input without `number_of_stored_values` on a sparse format;
    /// derive it from the arrays and call [`with_nnz`](Self::with_nnz).
    pub fn nnz_known(&self) -> bool {
        self.nnz.is_some()
    }

    /// The same descriptor with `number_of_stored_values` set, revalidated.
    pub fn with_nnz(&self, nnz: u64) -> Result<Self, DescriptorError> {
        let parts = Parts {
            format: self.format.clone(),
            shape: self.shape.clone(),
            nnz: Some(nnz),
            fill: self.fill,
            structure: self.structure,
            data_types: self.data_types.clone(),
            user_keys: self.user_keys.clone(),
        };
        // Extension types were admitted when this descriptor was built.
        Self::validate(parts, true)
    }

    /// Whether `fill` is true (a one-element `fill_value` array exists).
    pub fn fill(&self) -> bool {
        self.fill
    }

    /// The declared structure, if any.
    pub fn structure(&self) -> Option<Structure> {
        self.structure
    }

    /// `data_types` in canonical array order (level order, `values`, `fill_value`).
    pub fn data_types(&self) -> &[(String, DataType)] {
        &self.data_types
    }

    /// The type of array `name`.
    pub fn data_type(&self, name: &str) -> Option<DataType> {
        self.data_types
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| *t)
    }

    /// The type of `values`.
    pub fn value_type(&self) -> DataType {
        self.value_type
    }

    /// The type of `fill_value`, when `fill` is true.
    pub fn fill_type(&self) -> Option<DataType> {
        self.data_type("fill_value")
    }

    /// The constituent arrays with their roles and length rules, in canonical order.
    pub fn arrays(&self) -> &[ArraySpec] {
        &self.arrays
    }

    /// The spec of array `name`.
    pub fn array(&self, name: &str) -> Option<&ArraySpec> {
        self.arrays.iter().find(|s| s.name == name)
    }

    /// The array names in canonical order.
    pub fn array_names(&self) -> Vec<&str> {
        self.arrays.iter().map(|s| s.name.as_str()).collect()
    }

    /// Check actual array lengths (and pointer ends) against this descriptor's table.
    pub fn check_lengths(&self, actual: &ArrayLengths) -> Result<(), DescriptorError> {
        if self.nnz.is_none() {
            return Err(DescriptorError::NnzUnknown {
                key: key("number_of_stored_values"),
            });
        }
        check_lengths(&self.arrays, actual)
    }

    /// Keys outside the `"binsparse"` namespace, in their original order.
    pub fn user_keys(&self) -> &Map<String, Value> {
        &self.user_keys
    }

    /// Set a user key (kept outside the namespace, after existing keys). `"binsparse"` is refused.
    pub fn set_user_key(
        &mut self,
        name: impl Into<String>,
        value: Value,
    ) -> Result<Option<Value>, DescriptorError> {
        let name = name.into();
        if name == NS {
            return Err(DescriptorError::WrongType {
                key: name,
                expected: "a user key other than the namespace",
                value: show(&value),
            });
        }
        Ok(self.user_keys.insert(name, value))
    }

    /// Remove a user key.
    pub fn remove_user_key(&mut self, name: &str) -> Option<Value> {
        self.user_keys.shift_remove(name)
    }

    /// The strict §12 form: `{"binsparse": {version, format, shape, number_of_stored_values,
    /// [fill], [structure], [custom], data_types}, <user keys>}`. Fails only when nnz is unknown.
    pub fn to_value(&self) -> Result<Value, DescriptorError> {
        let nnz = self.nnz.ok_or_else(|| DescriptorError::NnzUnknown {
            key: key("number_of_stored_values"),
        })?;
        let mut inner = Map::new();
        inner.insert("version".into(), "0.1".into());
        let alias = self.alias();
        inner.insert(
            "format".into(),
            alias.map_or("custom", PredefinedFormat::name).into(),
        );
        inner.insert("shape".into(), self.shape.clone().into());
        inner.insert("number_of_stored_values".into(), nnz.into());
        if self.fill {
            inner.insert("fill".into(), true.into());
        }
        if let Some(s) = self.structure {
            inner.insert("structure".into(), s.as_str().into());
        }
        if alias.is_none() {
            inner.insert("custom".into(), custom_value(&self.format));
        }
        let dts: Map<String, Value> = self
            .data_types
            .iter()
            .map(|(n, t)| (n.clone(), Value::String(t.to_string())))
            .collect();
        inner.insert("data_types".into(), Value::Object(dts));
        let mut outer = Map::new();
        outer.insert(NS.into(), Value::Object(inner));
        for (k, v) in &self.user_keys {
            outer.insert(k.clone(), v.clone());
        }
        Ok(Value::Object(outer))
    }

    /// [`to_value`](Self::to_value) as compact JSON text.
    pub fn to_json_string(&self) -> Result<String, DescriptorError> {
        Ok(self.to_value()?.to_string())
    }

    /// [`to_value`](Self::to_value) as indented JSON text.
    pub fn to_json_string_pretty(&self) -> Result<String, DescriptorError> {
        let v = self.to_value()?;
        // Serialising a `Value` to a String cannot fail (no I/O, string keys only).
        Ok(serde_json::to_string_pretty(&v).unwrap_or_else(|_| v.to_string()))
    }
}

impl std::str::FromStr for Descriptor {
    type Err = DescriptorError;

    /// Parse with default options, dropping warnings.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::parse(s, &ParseOptions::default())?.descriptor)
    }
}

/// The `custom` block for a level chain: `{"level": {...}, ["transpose": [...]]}`.
fn custom_value(format: &Format) -> Value {
    let mut level = Map::new();
    level.insert("level_desc".into(), "element".into());
    let mut node = Value::Object(level);
    for l in format.levels().iter().rev() {
        if *l == Level::Element {
            continue;
        }
        let mut m = Map::new();
        m.insert("level_desc".into(), l.desc().into());
        m.insert("rank".into(), l.rank().into());
        m.insert("level".into(), node);
        node = Value::Object(m);
    }
    let mut custom = Map::new();
    custom.insert("level".into(), node);
    if let Some(t) = format.transpose() {
        custom.insert("transpose".into(), t.to_vec().into());
    }
    Value::Object(custom)
}

/// Builds a [`Descriptor`] for a producer. Pointer and index types come from
/// [`index_type`](Self::index_type) / [`pointer_type`](Self::pointer_type) unless set per array.
///
/// ```
/// use sparsebridge_descriptor::{DataType, Descriptor, PredefinedFormat, ScalarType};
/// let d = Descriptor::builder(PredefinedFormat::Csr, vec![3, 4], 5, ScalarType::Float64.into())
///     .index_type(ScalarType::Int64)
///     .pointer_type(ScalarType::Int32)
///     .build()
///     .unwrap();
/// assert_eq!(d.data_type("pointers_to_1"), Some(DataType::new(ScalarType::Int32)));
/// ```
#[derive(Debug, Clone)]
pub struct DescriptorBuilder {
    format: Format,
    shape: Vec<u64>,
    nnz: u64,
    value_type: DataType,
    index_type: Option<ScalarType>,
    pointer_type: Option<ScalarType>,
    overrides: Vec<(String, DataType)>,
    fill: Option<DataType>,
    structure: Option<Structure>,
    user_keys: Map<String, Value>,
    extension_types: bool,
}

impl DescriptorBuilder {
    /// Type of every pointer and index array (unless overridden).
    pub fn index_type(mut self, t: ScalarType) -> Self {
        self.index_type = Some(t);
        self
    }

    /// Type of every pointer array (overrides [`index_type`](Self::index_type) for pointers).
    pub fn pointer_type(mut self, t: ScalarType) -> Self {
        self.pointer_type = Some(t);
        self
    }

    /// Type of one named array.
    pub fn array_type(mut self, name: impl Into<String>, t: DataType) -> Self {
        self.overrides.push((name.into(), t));
        self
    }

    /// Set `fill: true` with a `fill_value` of type `t`.
    pub fn fill(mut self, t: DataType) -> Self {
        self.fill = Some(t);
        self
    }

    /// Declare a structure.
    pub fn structure(mut self, s: Structure) -> Self {
        self.structure = Some(s);
        self
    }

    /// Add a user key outside the namespace (`"binsparse"` is ignored).
    pub fn user_key(mut self, name: impl Into<String>, value: Value) -> Self {
        let name = name.into();
        if name != NS {
            self.user_keys.insert(name, value);
        }
        self
    }

    /// Allow the `float16`/`bfloat16` extension types.
    pub fn extension_types(mut self, on: bool) -> Self {
        self.extension_types = on;
        self
    }

    /// Validate and build.
    pub fn build(self) -> Result<Descriptor, DescriptorError> {
        let fill = self.fill.is_some();
        let specs = if self.shape.len() == self.format.rank() {
            arrays_for(&self.format, &self.shape, None, false, fill)?
        } else {
            Vec::new() // validate() reports the rank mismatch
        };
        let mut data_types = Vec::with_capacity(specs.len());
        for spec in &specs {
            let over = self
                .overrides
                .iter()
                .rev()
                .find(|(n, _)| *n == spec.name)
                .map(|(_, t)| *t);
            let t = match (over, spec.role) {
                (Some(t), _) => Some(t),
                (None, ArrayRole::Pointers { .. }) => {
                    self.pointer_type.or(self.index_type).map(DataType::new)
                }
                (None, ArrayRole::Indices { .. }) => self.index_type.map(DataType::new),
                (None, ArrayRole::Values) => Some(self.value_type),
                (None, ArrayRole::FillValue) => self.fill,
            };
            if let Some(t) = t {
                data_types.push((spec.name.clone(), t));
            }
        }
        for (name, t) in &self.overrides {
            if !specs.iter().any(|s| s.name == *name) {
                data_types.push((name.clone(), *t));
            }
        }
        Descriptor::validate(
            Parts {
                format: self.format,
                shape: self.shape,
                nnz: Some(self.nnz),
                fill,
                structure: self.structure,
                data_types,
                user_keys: self.user_keys,
            },
            self.extension_types,
        )
    }
}
