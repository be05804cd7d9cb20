//! n-d COO and n-d dense conversions of the host engine (any rank but 2; rank 1 is CVEC and
//! DVEC).

use sparsebridge_array::SparseArray;
use sparsebridge_buffer::{Buffer, Complex64, Complex128, DType, Element, dispatch_dtype};
use sparsebridge_descriptor::ScalarType;

use super::{
    Kind, aligned_as, cast_index_buffer, common_indices, extents, fill_value, first, get,
    index_name, typed, untyped, values_vec,
};
use crate::assemble::{finish, format_name, index_dtype};
use crate::error::{EngineError, unsupported_index};
use crate::target::{ConvertOptions, Converted, Target};
use crate::{Bint8, ValuesRef, cpu};

/// A conversion between n-d COO and n-d dense of any rank but 2 (rank 1: CVEC and DVEC).
pub(super) fn convert_nd(
    array: &SparseArray,
    src: Kind,
    dst: Kind,
    target: &Target,
    options: &ConvertOptions,
    mut copied: bool,
) -> Result<Converted, EngineError> {
    let d = array.descriptor();
    let shape = extents(d)?;
    let fill = if src.is_dense() != dst.is_dense() {
        fill_value(array)?
    } else {
        None
    };
    let values = get(array, "values")?;
    let iso = d.value_type().iso;
    let index_t = target.index_type.map(index_dtype).transpose()?;
    let (nnz, arrays) = match (src, dst) {
        (Kind::Coo { rank, .. }, Kind::Coo { .. }) => {
            let mut arrays = Vec::with_capacity(rank + 1);
            for k in 0..rank {
                let b = get(array, index_name(k))?;
                let b = match index_t {
                    Some(t) => cast_index_buffer(&b, t, index_name(k), &mut copied)?,
                    None => b,
                };
                arrays.push((index_name(k).to_owned(), b));
            }
            arrays.push(("values".to_owned(), values));
            (d.nnz(), arrays)
        }
        (Kind::Dense { .. }, Kind::Dense { .. }) => (d.nnz(), vec![("values".to_owned(), values)]),
        (Kind::Coo { rank, .. }, Kind::Dense { .. }) => {
            copied = true;
            let idx = (0..rank)
                .map(|k| get(array, index_name(k)))
                .collect::<Result<Vec<_>, _>>()?;
            let (work, idx) = common_indices(&idx)?;
            let dt = values.dtype();
            let dense = dispatch_dtype!(work, [integer] => |I| {
                let slices = idx
                    .iter()
                    .map(|b| b.as_slice::<I>())
                    .collect::<Result<Vec<_>, _>>()?;
                with_carrier!(dt.size(), V, {
                    let view = aligned_as(&values, <V as Element>::DTYPE)?;
                    let vals = view.as_slice::<V>()?;
                    let values = if iso {
                        ValuesRef::Iso(first(vals, "iso values")?)
                    } else {
                        ValuesRef::Array(vals)
                    };
                    let f = match &fill {
                        Some(b) => Some(first(
                            aligned_as(b, <V as Element>::DTYPE)?.as_slice::<V>()?,
                            "fill_value",
                        )?),
                        None => None,
                    };
                    let out = cpu::coo_nd_to_dense_fill::<I, V>(
                        &cpu::CooNdRef {
                            shape: &shape,
                            indices: &slices,
                            values,
                        },
                        f,
                    )?;
                    Buffer::from_vec(out).reinterpret(dt)?
                })
            }, other => return Err(unsupported_index(other)));
            (dense.len() as u64, vec![("values".to_owned(), dense)])
        }
        (Kind::Dense { .. }, Kind::Coo { rank, .. }) => {
            if iso {
                return Err(EngineError::Unsupported("an iso dense source".into()));
            }
            copied = true;
            let (indices, values) = with_value!(d.value_type().scalar, T, E, {
                let view = aligned_as(&values, <E as Element>::DTYPE)?;
                let data = typed::<T, E>(&view)?;
                let f = match &fill {
                    Some(b) => Some(first(
                        typed::<T, E>(&aligned_as(b, <E as Element>::DTYPE)?)?,
                        "fill_value",
                    )?),
                    None => None,
                };
                let coo = cpu::dense_to_coo_nd_fill::<u64, T>(&shape, data, f)?;
                (coo.indices, untyped::<T, E>(values_vec(coo.values))?)
            });
            let t = index_t.unwrap_or(DType::I64);
            let mut arrays = Vec::with_capacity(rank + 1);
            for (k, ix) in indices.into_iter().enumerate() {
                let b = cast_index_buffer(&Buffer::from_vec(ix), t, index_name(k), &mut copied)?;
                arrays.push((index_name(k).to_owned(), b));
            }
            let nnz = values.len() as u64;
            arrays.push(("values".to_owned(), values));
            (nnz, arrays)
        }
        _ => {
            return Err(EngineError::Internal(format!(
                "{} -> {} reached the n-d path (compressed layouts are 2-D)",
                format_name(d.format()),
                format_name(&target.format)
            )));
        }
    };
    finish(array, target, options, nnz, arrays, copied)
}
