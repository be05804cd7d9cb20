//! The host engine: the conversion of arrays in host-accessible memory on the CPU kernels of
//! [`crate::cpu`]. [`canon`] canonicalizes a non-canonical source first (when asked),
//! [`matrix`] holds the 2-D core and [`nd`] the n-d COO and dense paths; all end in
//! [`crate::assemble`], as the CUDA engine does. The formats, dense/fill semantics and
//! canonicalization policy are documented once, on [`crate::engine`].

#[macro_use]
mod macros;
mod canon;
mod matrix;
mod nd;

use sparsebridge_array::SparseArray;
use sparsebridge_buffer::{Buffer, DType, Element, dispatch_dtype};

use crate::assemble::{Kind, check_rank, extents, fill_value, finish, format_name, is_identity};
use crate::error::{EngineError, unsupported_index};
use crate::target::{ConvertOptions, Converted, Target};
use crate::{Values, cpu};

/// `buffer` cast to the integer dtype `to` (shared when it already has it).
fn cast_index_buffer(
    buffer: &Buffer,
    to: DType,
    array: &'static str,
    copied: &mut bool,
) -> Result<Buffer, EngineError> {
    if buffer.dtype() == to {
        return Ok(buffer.clone());
    }
    *copied = true;
    dispatch_dtype!(buffer.dtype(), [integer] => |A| {
        let src = buffer.as_slice::<A>()?;
        dispatch_dtype!(to, [integer] => |B| {
            let out: Vec<B> = cpu::cast_indices::<A, B>(src, array)?;
            Ok(Buffer::from_vec(out))
        }, other => Err(unsupported_index(other)))
    }, other => Err(unsupported_index(other)))
}

/// A `'static` binsparse index-array name (`indices_0` …), for typed errors.
fn index_name(d: usize) -> &'static str {
    crate::cpu::index_name(d)
}

fn get(array: &SparseArray, name: &str) -> Result<Buffer, EngineError> {
    array
        .array(name)
        .cloned()
        .ok_or_else(|| EngineError::Internal(format!("missing array {name}")))
}

/// `buffer`, or an aligned copy when a foreign buffer is misaligned for `dtype`.
fn aligned_as(buffer: &Buffer, dtype: DType) -> Result<Buffer, EngineError> {
    Ok(match buffer.reinterpret(dtype) {
        Ok(v) => v,
        Err(_) => buffer.copy_to(buffer.device())?.reinterpret(dtype)?,
    })
}

/// The first element of a one-element (iso or fill) array.
fn first<T: Copy>(s: &[T], what: &str) -> Result<T, EngineError> {
    s.first()
        .copied()
        .ok_or_else(|| EngineError::Internal(format!("empty {what} array")))
}

/// A typed view of a value buffer whose elements are stored as `E`.
fn typed<T: bytemuck::Pod, E: Element>(buffer: &Buffer) -> Result<&[T], EngineError> {
    bytemuck::try_cast_slice(buffer.as_slice::<E>()?)
        .map_err(|e| EngineError::Internal(format!("value view: {e}")))
}

/// A buffer of `E` elements from typed values (same size and alignment: no copy).
fn untyped<T: bytemuck::Pod, E: Element>(v: Vec<T>) -> Result<Buffer, EngineError> {
    bytemuck::allocation::try_cast_vec::<T, E>(v)
        .map(Buffer::from_vec)
        .map_err(|(e, _)| EngineError::Internal(format!("value buffer: {e}")))
}

fn values_vec<T>(v: Values<T>) -> Vec<T> {
    match v {
        Values::Array(a) => a,
        Values::Iso(x) => vec![x],
    }
}

/// Index arrays brought to one dtype (their own when they agree, else u64).
fn common_indices(idx: &[Buffer]) -> Result<(DType, Vec<Buffer>), EngineError> {
    let same = idx.windows(2).all(|w| w[0].dtype() == w[1].dtype());
    let work = match idx.first() {
        Some(b) if same => b.dtype(),
        _ => DType::U64,
    };
    let mut scratch = false;
    let cast = idx
        .iter()
        .enumerate()
        .map(|(k, b)| cast_index_buffer(b, work, index_name(k), &mut scratch))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((work, cast))
}

/// Convert a host-accessible `array` to `target` on the CPU.
pub(crate) fn convert(
    array: &SparseArray,
    target: &Target,
    options: &ConvertOptions,
) -> Result<Converted, EngineError> {
    if !array.device().is_host_accessible() {
        return Err(EngineError::Internal(format!(
            "the host engine was given an array on {}",
            array.device()
        )));
    }
    let d = array.descriptor();
    check_rank(d, target)?;
    let src = Kind::of(d.format());
    // Canonical input first (cached when already checked).
    let mut copied = false;
    let canonical;
    let array = match (array.validate_full(), options.canonicalize, src) {
        (Ok(()), _, _) => array,
        (Err(_), Some(policy), Some(k @ (Kind::Coo { .. } | Kind::Compressed { .. }))) => {
            canonical = canon::canonicalize(array, k, policy)?;
            copied = true;
            &canonical
        }
        (Err(e), _, _) => return Err(e.into()),
    };
    if is_identity(array, target)? {
        let arrays = array
            .arrays()
            .iter()
            .filter(|(n, _)| n != "fill_value")
            .cloned()
            .collect();
        return finish(array, target, options, array.nnz(), arrays, copied);
    }
    let unsupported = || {
        EngineError::Unsupported(format!(
            "{} -> {} (the CPU engine handles the predefined formats, n-d COO and n-d dense)",
            format_name(array.descriptor().format()),
            format_name(&target.format)
        ))
    };
    let (Some(src), Some(dst)) = (src, Kind::of(&target.format)) else {
        return Err(unsupported());
    };
    if array.descriptor().structure().is_some() && src.is_dense() != dst.is_dense() {
        return Err(EngineError::Unsupported(format!(
            "{} -> {} with a declared structure (sparse <-> dense would need mirroring)",
            format_name(array.descriptor().format()),
            format_name(&target.format)
        )));
    }
    if target.format.rank() == 2 {
        matrix::convert_2d(array, src, dst, target, options, copied)
    } else {
        nd::convert_nd(array, src, dst, target, options, copied)
    }
}
