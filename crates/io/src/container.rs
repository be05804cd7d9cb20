//! What the binsparse containers (HDF5, NPY directories) share: a JSON descriptor plus one
//! named 1-D array per constituent array.

use std::path::Path;

use serde_json::Value;
use sparsebridge::descriptor::{ArrayRole, ParseOptions};
use sparsebridge::{Buffer, DType, Descriptor, SparseArray};

use crate::error::{AtPath, IoError, malformed, unsupported};

/// How the `version` key is spelled in written files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VersionSpelling {
    /// `"0.1"`, as the spec, the C reference and Finch.jl write and require (the default).
    #[default]
    Spec,
    /// `"0.1.0"`: the PyPI `binsparse` 0.1.4 package parses SemVer and rejects `"0.1"`.
    SemVer,
}

impl std::str::FromStr for VersionSpelling {
    type Err = IoError;

    /// `0.1` or `0.1.0`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "0.1" => Ok(Self::Spec),
            "0.1.0" => Ok(Self::SemVer),
            other => Err(IoError::InvalidArgument {
                what: "binsparse version",
                value: other.to_owned(),
                reason: "expected 0.1 (the spec's spelling) or 0.1.0 (PyPI binsparse 0.1.4)"
                    .to_owned(),
            }),
        }
    }
}

/// The descriptor text written to a container (indented JSON, the §12 strict form).
pub(crate) fn header_text(
    path: &Path,
    array: &SparseArray,
    version: VersionSpelling,
) -> Result<String, IoError> {
    let mut value = array.descriptor().to_value().at(path)?;
    if version == VersionSpelling::SemVer
        && let Some(inner) = value.get_mut("binsparse").and_then(Value::as_object_mut)
    {
        inner.insert("version".to_owned(), Value::from("0.1.0"));
    }
    serde_json::to_string_pretty(&value).map_err(|e| malformed(path, format!("descriptor: {e}")))
}

/// A buffer in its on-disk dtype: complex values as interleaved floats (the spec's layout),
/// booleans as `uint8` (`bint8`). Zero-copy views.
pub(crate) fn storage_buffer(path: &Path, name: &str, buffer: &Buffer) -> Result<Buffer, IoError> {
    if !buffer.device().is_host_accessible() {
        return Err(unsupported(
            path,
            format!(
                "array `{name}` is on {} (copy it to the CPU first)",
                buffer.device()
            ),
        ));
    }
    let target = match buffer.dtype() {
        DType::Complex64 => DType::F32,
        DType::Complex128 => DType::F64,
        DType::Bool => DType::U8,
        other => other,
    };
    if target == buffer.dtype() {
        return Ok(buffer.clone());
    }
    buffer.reinterpret(target).at(path)
}

/// Parses a container's descriptor text leniently (every producer variant, PR #39's stale keys).
pub(crate) fn parse_header(path: &Path, text: &str) -> Result<(Descriptor, Vec<String>), IoError> {
    let parsed = Descriptor::parse(text, &ParseOptions::lenient()).at(path)?;
    let warnings = parsed.warnings.iter().map(ToString::to_string).collect();
    Ok((parsed.descriptor, warnings))
}

/// Builds the array from a parsed descriptor and a function that fetches each named array
/// (`Ok(None)` when the container has no such array). A legacy descriptor without
/// `number_of_stored_values` gets it from the arrays.
pub(crate) fn assemble(
    path: &Path,
    descriptor: Descriptor,
    mut fetch: impl FnMut(&str) -> Result<Option<Buffer>, IoError>,
) -> Result<SparseArray, IoError> {
    let mut arrays = Vec::new();
    for spec in descriptor.arrays() {
        let buffer = fetch(&spec.name)?.ok_or_else(|| {
            malformed(
                path,
                format!(
                    "missing array `{}` (the descriptor's data_types list it)",
                    spec.name
                ),
            )
        })?;
        arrays.push((spec.name.clone(), buffer));
    }
    let descriptor = if descriptor.nnz_known() {
        descriptor
    } else {
        // The innermost index array counts the stored values; else the values array.
        let counted = descriptor
            .arrays()
            .iter()
            .rev()
            .find(|s| matches!(s.role, ArrayRole::Indices { .. }))
            .or_else(|| descriptor.array("values"))
            .and_then(|s| arrays.iter().find(|(n, _)| *n == s.name))
            .map(|(_, b)| b.len() as u64)
            .unwrap_or(0);
        descriptor.with_nnz(counted).at(path)?
    };
    SparseArray::try_new(descriptor, arrays).at(path)
}
