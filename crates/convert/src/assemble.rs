//! The tail that both engines (host and CUDA) finish with: the target's dtypes resolved from
//! the request, the identity test, the copy policy, and the output descriptor built from the
//! new buffers. Kept below both engines so that neither reaches back into the router.

use sparsebridge_array::{SparseArray, dtype_of};
use sparsebridge_buffer::{Buffer, DType};
use sparsebridge_descriptor::{ArrayRole, DataType, Descriptor, Format, Level, ScalarType};

use crate::error::EngineError;
use crate::target::{ConvertOptions, Converted, Target};

/// The layout families both engines handle, read from a level format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A root `sparse(rank)` level: n-d COO (`CVEC`, `COOR`, `COOC` at ranks 1 and 2).
    Coo { rank: usize, col_major: bool },
    /// Only dense levels: `DVEC`, `DMATR`, `DMATC`, n-d dense (row-major).
    Dense { rank: usize, col_major: bool },
    /// `dense(1) → sparse(1)`: `CSR`, `CSC`.
    Compressed { col_major: bool },
    /// `sparse(1) → sparse(1)`: `DCSR`, `DCSC`.
    Doubly { col_major: bool },
}

impl Kind {
    pub(crate) fn of(f: &Format) -> Option<Self> {
        let col_major = match f.transpose() {
            None => false,
            Some([1, 0]) => true,
            Some(_) => return None,
        };
        Some(match f.levels() {
            [Level::Sparse { rank }, Level::Element] => Kind::Coo {
                rank: *rank,
                col_major,
            },
            [
                Level::Dense { rank: 1 },
                Level::Sparse { rank: 1 },
                Level::Element,
            ] => Kind::Compressed { col_major },
            [
                Level::Sparse { rank: 1 },
                Level::Sparse { rank: 1 },
                Level::Element,
            ] => Kind::Doubly { col_major },
            levels if !levels.iter().any(|l| matches!(l, Level::Sparse { .. })) => Kind::Dense {
                rank: f.rank(),
                col_major,
            },
            _ => return None,
        })
    }

    pub(crate) fn is_dense(self) -> bool {
        matches!(self, Kind::Dense { .. })
    }

    /// `(compressed, column-major)` of the core parts a target of this kind is built from: COO
    /// from coordinates, every other kind from compressed parts.
    pub(crate) fn core_layout(self) -> (bool, bool) {
        match self {
            Kind::Coo { col_major, .. } => (false, col_major),
            Kind::Compressed { col_major }
            | Kind::Doubly { col_major }
            | Kind::Dense { col_major, .. } => (true, col_major),
        }
    }
}

/// The `fill_value` array when present (it must have the values' dtype).
pub(crate) fn fill_value(array: &SparseArray) -> Result<Option<Buffer>, EngineError> {
    let Some(fv) = array.array("fill_value") else {
        return Ok(None);
    };
    let values = array
        .array("values")
        .ok_or_else(|| EngineError::Internal("missing array values".into()))?;
    if fv.dtype() != values.dtype() {
        return Err(EngineError::Unsupported(format!(
            "fill_value of dtype {} with values of dtype {} (sparse <-> dense needs one dtype)",
            fv.dtype(),
            values.dtype()
        )));
    }
    Ok(Some(fv.clone()))
}

/// The stored parts of a 2-D source, in its major orientation: what both engines take apart
/// before their COOR/COOC/CSR/CSC core.
pub(crate) struct Parts {
    /// Extents of the (major, minor) dimensions.
    pub(crate) major: usize,
    pub(crate) minor: usize,
    /// `pointers_to_1` (compressed) or `indices_0` (coordinate).
    pub(crate) outer: Buffer,
    /// `indices_1`.
    pub(crate) inner: Buffer,
    /// `values` (one element when `iso`).
    pub(crate) values: Buffer,
    /// Whether the values are iso.
    pub(crate) iso: bool,
}

/// The shape as `usize` extents.
pub(crate) fn extents(d: &Descriptor) -> Result<Vec<usize>, EngineError> {
    d.shape()
        .iter()
        .map(|&v| {
            usize::try_from(v)
                .map_err(|_| EngineError::Unsupported(format!("extent {v} above usize")))
        })
        .collect()
}

/// The typed gap of a target whose rank is not the array's.
pub(crate) fn check_rank(d: &Descriptor, target: &Target) -> Result<(), EngineError> {
    if d.rank() == target.format.rank() {
        return Ok(());
    }
    Err(EngineError::Unsupported(format!(
        "{} -> {}: the target has rank {}, the array {}",
        format_name(d.format()),
        format_name(&target.format),
        target.format.rank(),
        d.rank()
    )))
}

/// The parts of a COO or compressed 2-D source in its own orientation (`(major, minor)`
/// extents), with whether they are compressed and their default (pointer, index) dtypes.
pub(crate) fn stored_parts(
    array: &SparseArray,
    compressed: bool,
    (major, minor): (usize, usize),
) -> Result<(bool, (DType, DType), Parts), EngineError> {
    let get = |name: &str| {
        array
            .array(name)
            .cloned()
            .ok_or_else(|| EngineError::Internal(format!("missing array {name}")))
    };
    let outer = get(if compressed {
        "pointers_to_1"
    } else {
        "indices_0"
    })?;
    let inner = get("indices_1")?;
    let defaults = if compressed {
        (outer.dtype(), inner.dtype())
    } else {
        (inner.dtype(), inner.dtype())
    };
    let p = Parts {
        major,
        minor,
        outer,
        inner,
        values: get("values")?,
        iso: array.descriptor().value_type().iso,
    };
    Ok((compressed, defaults, p))
}

/// The name of a format for messages: its predefined alias, else its level summary.
pub(crate) fn format_name(f: &Format) -> String {
    f.alias()
        .map_or_else(|| f.summary(), |p| p.name().to_owned())
}

/// The canonical dtype of an index scalar type.
pub(crate) fn index_dtype(t: ScalarType) -> Result<DType, EngineError> {
    match dtype_of(t) {
        Some(d) if t.is_integer() => Ok(d),
        _ => Err(EngineError::Unsupported(format!(
            "index type {t} (index arrays need an integer type)"
        ))),
    }
}

/// Whether `target` is the array's own format with its own index dtypes.
pub(crate) fn is_identity(array: &SparseArray, target: &Target) -> Result<bool, EngineError> {
    let d = array.descriptor();
    if *d.format() != target.format {
        return Ok(false);
    }
    let want_index = target.index_type.map(index_dtype).transpose()?;
    let want_pointer = target
        .pointer_type
        .or(target.index_type)
        .map(index_dtype)
        .transpose()?;
    for spec in d.arrays() {
        let want = match spec.role {
            ArrayRole::Pointers { .. } => want_pointer,
            ArrayRole::Indices { .. } => want_index,
            _ => None,
        };
        if let (Some(w), Some(b)) = (want, array.array(&spec.name))
            && b.dtype() != w
        {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The target's pointer and index dtypes: the requested ones, else `(pointer, index)` defaults.
pub(crate) fn resolve_dtypes(
    target: &Target,
    (src_pointer, src_index): (DType, DType),
) -> Result<(DType, DType), EngineError> {
    let index_t = match target.index_type {
        Some(t) => index_dtype(t)?,
        None => src_index,
    };
    let pointer_t = match (target.pointer_type, target.index_type) {
        (Some(t), _) => index_dtype(t)?,
        (None, Some(_)) => index_t,
        (None, None) => src_pointer,
    };
    Ok((pointer_t, index_t))
}

/// The shared tail of the CPU and CUDA engines: applies the copy policy to the new named
/// arrays, builds the target descriptor (per-array index dtypes from the buffers; fill,
/// structure and user keys carried over; `iso` dropped for a dense target) and assembles the
/// output on the source's device.
pub(crate) fn finish(
    array: &SparseArray,
    target: &Target,
    options: &ConvertOptions,
    nnz: u64,
    arrays: Vec<(String, Buffer)>,
    mut copied: bool,
) -> Result<Converted, EngineError> {
    let d = array.descriptor();
    if options.copy == Some(false) && copied {
        return Err(EngineError::CopyRequired {
            target: format_name(&target.format),
        });
    }
    let force_copy = options.copy == Some(true);
    let fresh = |b: Buffer| -> Result<Buffer, EngineError> {
        Ok(
            if force_copy && array.arrays().iter().any(|(_, s)| s.shares_memory_with(&b)) {
                b.copy_to(b.device())?
            } else {
                b
            },
        )
    };
    let mut arrays = arrays
        .into_iter()
        .map(|(n, b)| Ok((n, fresh(b)?)))
        .collect::<Result<Vec<_>, EngineError>>()?;
    copied |= force_copy;

    let mut value_type = d.value_type();
    if !target.format.is_sparse() {
        value_type.iso = false;
    }
    let mut builder =
        Descriptor::builder(target.format.clone(), d.shape().to_vec(), nnz, value_type);
    for (name, b) in &arrays {
        if name != "values" {
            builder = builder.array_type(name.clone(), DataType::new(scalar_for(b.dtype())?));
        }
    }
    if let Some(fill) = d.fill_type() {
        builder = builder.fill(fill);
    }
    if let Some(s) = d.structure() {
        builder = builder.structure(s);
    }
    if d.value_type().scalar.is_extension() {
        builder = builder.extension_types(true);
    }
    for (k, v) in d.user_keys() {
        builder = builder.user_key(k.clone(), v.clone());
    }
    let desc = builder.build()?;
    if let Some(fv) = array.array("fill_value") {
        arrays.push(("fill_value".to_owned(), fv.clone()));
    }
    // Order as the descriptor lists its arrays.
    arrays.sort_by_key(|(n, _)| desc.array_names().iter().position(|m| m == n));
    let device = array.device();
    Ok(Converted {
        array: SparseArray::new_trusted(desc, arrays, device),
        copied,
    })
}

fn scalar_for(dt: DType) -> Result<ScalarType, EngineError> {
    sparsebridge_array::scalar_of(dt)
        .ok_or_else(|| EngineError::Internal(format!("index dtype {dt} has no binsparse type")))
}
