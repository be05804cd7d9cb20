//! The O(nnz) structural check, for every level format (predefined or custom), on the host.
//!
//! Rules (binsparse-protocol.md §4, §5, §9 step 12), level by level, outer to inner:
//! - a `dense(r)` level multiplies the number of positions by its stored extents;
//! - a `sparse(r)` level below the root has `pointers_to_d`: it starts at 0, never decreases, and
//!   ends at the length of its index arrays; when its parent is also sparse (DCSR, DCSC) no
//!   segment is empty (no repeated pointer values);
//! - within each pointer segment the `r`-tuples of indices are in bounds of the stored shape,
//!   strictly increasing in lexicographic order (sorted and duplicate-free).

use sparsebridge_buffer::{Buffer, DType};
use sparsebridge_descriptor::{ArrayRole, Level};

use crate::SparseArray;
use crate::error::ArrayError;

/// A host index array of any integer dtype, read as `i128`.
enum IndexSlice<'a> {
    U8(&'a [u8]),
    U16(&'a [u16]),
    U32(&'a [u32]),
    U64(&'a [u64]),
    I8(&'a [i8]),
    I16(&'a [i16]),
    I32(&'a [i32]),
    I64(&'a [i64]),
}

impl<'a> IndexSlice<'a> {
    fn new(array: &str, buffer: &'a Buffer) -> Result<Self, ArrayError> {
        Ok(match buffer.dtype() {
            DType::U8 => Self::U8(buffer.as_slice()?),
            DType::U16 => Self::U16(buffer.as_slice()?),
            DType::U32 => Self::U32(buffer.as_slice()?),
            DType::U64 => Self::U64(buffer.as_slice()?),
            DType::I8 => Self::I8(buffer.as_slice()?),
            DType::I16 => Self::I16(buffer.as_slice()?),
            DType::I32 => Self::I32(buffer.as_slice()?),
            DType::I64 => Self::I64(buffer.as_slice()?),
            other => {
                return Err(ArrayError::DTypeMismatch {
                    array: array.to_owned(),
                    expected: "an integer type".to_owned(),
                    found: other,
                });
            }
        })
    }

    fn len(&self) -> usize {
        match self {
            Self::U8(s) => s.len(),
            Self::U16(s) => s.len(),
            Self::U32(s) => s.len(),
            Self::U64(s) => s.len(),
            Self::I8(s) => s.len(),
            Self::I16(s) => s.len(),
            Self::I32(s) => s.len(),
            Self::I64(s) => s.len(),
        }
    }

    #[inline]
    fn get(&self, i: usize) -> i128 {
        match self {
            Self::U8(s) => i128::from(s[i]),
            Self::U16(s) => i128::from(s[i]),
            Self::U32(s) => i128::from(s[i]),
            Self::U64(s) => i128::from(s[i]),
            Self::I8(s) => i128::from(s[i]),
            Self::I16(s) => i128::from(s[i]),
            Self::I32(s) => i128::from(s[i]),
            Self::I64(s) => i128::from(s[i]),
        }
    }
}

fn structure(array: &str, position: usize, reason: String) -> ArrayError {
    ArrayError::Structure {
        array: array.to_owned(),
        position: position as u64,
        reason,
    }
}

/// Checks a pointer array over `positions` segments; returns the segment bounds' owner slice.
fn check_pointers(
    name: &str,
    ptr: &IndexSlice<'_>,
    positions: usize,
    nnz: usize,
    strict: bool,
) -> Result<(), ArrayError> {
    if ptr.len() != positions + 1 {
        return Err(structure(
            name,
            ptr.len(),
            format!("expected {} pointers, found {}", positions + 1, ptr.len()),
        ));
    }
    if ptr.get(0) != 0 {
        return Err(structure(
            name,
            0,
            format!("first pointer is {}, not 0", ptr.get(0)),
        ));
    }
    for k in 1..ptr.len() {
        let (a, b) = (ptr.get(k - 1), ptr.get(k));
        if b < a {
            return Err(structure(
                name,
                k,
                format!("pointers decrease from {a} to {b}"),
            ));
        }
        if strict && b == a {
            return Err(structure(
                name,
                k,
                format!("empty segment (repeated pointer {b}) where the parent level is sparse"),
            ));
        }
    }
    let last = ptr.get(positions);
    if last != nnz as i128 {
        return Err(structure(
            name,
            positions,
            format!("last pointer is {last}, but the level stores {nnz} coordinates"),
        ));
    }
    Ok(())
}

/// Runs the full check. The array's constituent lengths were already checked in O(1).
pub(crate) fn validate_full(a: &SparseArray) -> Result<(), ArrayError> {
    if !a.device().is_host_accessible() {
        return Err(ArrayError::Unsupported(format!(
            "full validation of arrays on {} (copy to the host first)",
            a.device()
        )));
    }
    let format = a.descriptor().format();
    let shape = a.descriptor().shape();
    let stored_shape: Vec<u64> = (0..format.rank())
        .map(|k| shape[format.logical_dim(k)])
        .collect();
    let mut positions: usize = 1;
    let mut depth = 0usize;
    let mut parent_sparse = false;
    for level in format.levels() {
        match *level {
            Level::Element => break,
            Level::Dense { rank } => {
                for &extent in &stored_shape[depth..depth + rank] {
                    let extent = usize::try_from(extent)
                        .map_err(|_| ArrayError::Unsupported("extent above usize".into()))?;
                    positions = positions
                        .checked_mul(extent)
                        .ok_or_else(|| ArrayError::Unsupported("size overflow".into()))?;
                }
                parent_sparse = false;
                depth += rank;
            }
            Level::Sparse { rank } => {
                let idx_names: Vec<String> = (depth..depth + rank)
                    .map(|d| ArrayRole::Indices { dim: d }.name())
                    .collect();
                let idx: Vec<IndexSlice<'_>> = idx_names
                    .iter()
                    .map(|n| {
                        let b = a
                            .array(n)
                            .ok_or_else(|| ArrayError::MissingArray { array: n.clone() })?;
                        IndexSlice::new(n, b)
                    })
                    .collect::<Result<_, _>>()?;
                let count = idx.first().map_or(0, IndexSlice::len);
                // Segment boundaries: one segment at the root, else from the pointers.
                let ptr_name = ArrayRole::Pointers { depth }.name();
                let ptr = if depth == 0 {
                    None
                } else {
                    let b = a.array(&ptr_name).ok_or_else(|| ArrayError::MissingArray {
                        array: ptr_name.clone(),
                    })?;
                    let p = IndexSlice::new(&ptr_name, b)?;
                    check_pointers(&ptr_name, &p, positions, count, parent_sparse)?;
                    Some(p)
                };
                let segments = if ptr.is_some() { positions } else { 1 };
                for seg in 0..segments {
                    let (start, end) = match &ptr {
                        Some(p) => (p.get(seg) as usize, p.get(seg + 1) as usize),
                        None => (0, count),
                    };
                    for k in start..end {
                        for (r, ix) in idx.iter().enumerate() {
                            let v = ix.get(k);
                            let bound = i128::from(stored_shape[depth + r]);
                            if v < 0 || v >= bound {
                                return Err(structure(
                                    &idx_names[r],
                                    k,
                                    format!("index {v} out of bounds for extent {bound}"),
                                ));
                            }
                        }
                        if k > start {
                            // Lexicographic strict increase of the r-tuple.
                            let mut order = std::cmp::Ordering::Equal;
                            for ix in &idx {
                                order = ix.get(k - 1).cmp(&ix.get(k));
                                if order != std::cmp::Ordering::Equal {
                                    break;
                                }
                            }
                            match order {
                                std::cmp::Ordering::Less => {}
                                std::cmp::Ordering::Equal => {
                                    return Err(structure(
                                        &idx_names[rank - 1],
                                        k,
                                        "duplicate coordinate".to_owned(),
                                    ));
                                }
                                std::cmp::Ordering::Greater => {
                                    return Err(structure(
                                        &idx_names[0],
                                        k,
                                        "coordinates are not sorted".to_owned(),
                                    ));
                                }
                            }
                        }
                    }
                }
                positions = count;
                parent_sparse = true;
                depth += rank;
            }
        }
    }
    Ok(())
}
