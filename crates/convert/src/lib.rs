//! sparsebridge conversion layer: every binsparse format to every other (see docs/architecture.md).
//!
//! This crate's CPU core ([`cpu`]) works on plain slices, generic over the index dtype
//! ([`Index`]: `u8`..`u64`, `i8`..`i64`, with pointers and indices typed separately) and over the
//! value dtype ([`Value`]; [`Summable`] where duplicates are summed or zeros dropped). An iso
//! array (one value shared by every stored index) is [`Values::Iso`] and stays iso.
//!
//! | operation | function | algorithm |
//! |---|---|---|
//! | sorted COO → CSR | [`cpu::coo_sorted_to_csr_pointers`] | parallel row-boundary detection; `indices_1`/`values` are reused |
//! | any COO → CSR (unsorted, duplicates) | [`cpu::coo_to_csr`] | counting sort (histogram → scan → stable scatter), then per-row canonicalization by [`DuplicatePolicy`] |
//! | CSR → CSC, COOR ↔ COOC | [`cpu::csr_transpose`], [`cpu::coo_sort_by_col`] | histogram → scan → stable scatter: output sorted by construction |
//! | CSR → COO | [`cpu::csr_to_coo_rows`] | parallel row expansion; `indices_1`/`values` are reused |
//! | DCSR ↔ CSR | [`cpu::dcsr_to_csr_pointers`], [`cpu::csr_to_dcsr`] | scatter / compaction of the pointers |
//! | CVEC ↔ DVEC | [`cpu::cvec_to_dvec`], [`cpu::dvec_to_cvec`] | scatter / filter |
//! | dense ↔ CSR / COO | [`cpu::dense_to_csr`], [`cpu::csr_to_dense`] (and `_fill` variants) | two-pass count + fill (dense → sparse drops zeros, or the entries equal to the fill value) |
//! | n-d COO canonicalization, n-d COO ↔ dense | [`cpu::coo_nd_canonicalize`], [`cpu::coo_nd_to_dense`], [`cpu::dense_to_coo_nd`] (and `_fill` variants) | LSD counting sort, one pass per dimension |
//! | index width | [`cpu::cast_indices`] | parallel checked cast |
//! | structure checks | [`cpu::validate_csr`], [`cpu::validate_coo`], … | O(nnz), parallel, first failing position |
//!
//! [`engine::convert`] wires these into the array-level conversion between every pair of
//! binsparse formats it supports (see its module docs for the dense/fill and canonicalization
//! policies).
//!
//! ```
//! use sparsebridge_convert::{cpu, CooRef, DuplicatePolicy, ValuesRef};
//! // 2×3, unsorted with a duplicate at (0, 2).
//! let coo = CooRef { nrows: 2, ncols: 3, rows: &[1i32, 0, 0], cols: &[0i32, 2, 2],
//!                    values: ValuesRef::Array(&[1.0f64, 2.0, 3.0]) };
//! let csr = cpu::coo_to_csr::<i64, _, _>(&coo, DuplicatePolicy::Sum)?;
//! assert_eq!(csr.pointers, vec![0i64, 1, 2]);
//! assert_eq!(csr.indices, vec![2i32, 0]);
//! assert_eq!(csr.values.as_array(), Some(&[5.0, 1.0][..]));
//! # Ok::<(), sparsebridge_convert::ConvertError>(())
//! ```

mod assemble;
pub mod cpu;
pub mod cuda;
pub mod engine;
mod error;
mod host;
mod index;
mod target;
mod value;

pub use error::{ConvertError, Result};
pub use index::Index;
pub use value::{Bint8, Summable, Value};

/// What to do with a coordinate stored more than once when canonicalizing.
///
/// binsparse requires unique coordinates, so a canonical output never holds duplicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DuplicatePolicy {
    /// Fail with [`ConvertError::Duplicate`] naming the first duplicate in canonical order.
    #[default]
    Reject,
    /// Combine duplicates with [`Summable::sum_assign`], in input order (the first stored value
    /// is the accumulator). An iso array with duplicates fails with [`ConvertError::IsoDuplicate`].
    Sum,
}

/// Memory order of a dense matrix (`DMATR` / `DMATC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenseOrder {
    /// Row-major (`DMATR`): element `(i, j)` at `i * ncols + j`.
    RowMajor,
    /// Column-major (`DMATC`): element `(i, j)` at `j * nrows + i`.
    ColMajor,
}

/// Borrowed stored values: an array with one value per stored index, or one iso value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValuesRef<'a, T> {
    /// One value per stored index (binsparse `values` of length nnz).
    Array(&'a [T]),
    /// binsparse `iso[T]`: one value shared by every stored index.
    Iso(T),
}

/// Owned stored values: an array with one value per stored index, or one iso value.
#[derive(Debug, Clone, PartialEq)]
pub enum Values<T> {
    /// One value per stored index.
    Array(Vec<T>),
    /// One value shared by every stored index.
    Iso(T),
}

impl<T: Copy> ValuesRef<'_, T> {
    /// The value array, or `None` for iso.
    pub fn as_array(&self) -> Option<&[T]> {
        match self {
            Self::Array(a) => Some(a),
            Self::Iso(_) => None,
        }
    }

    /// Checks that an array holds `nnz` values.
    pub(crate) fn check_len(&self, nnz: usize) -> Result<()> {
        match self {
            Self::Array(a) if a.len() != nnz => Err(ConvertError::LengthMismatch {
                array: "values",
                expected: nnz,
                actual: a.len(),
            }),
            _ => Ok(()),
        }
    }

    /// The value at `k` (the iso value for iso).
    #[inline]
    pub(crate) fn get(&self, k: usize) -> T {
        match self {
            Self::Array(a) => a[k],
            Self::Iso(v) => *v,
        }
    }
}

impl<T: Copy> Values<T> {
    /// The value array, or `None` for iso.
    pub fn as_array(&self) -> Option<&[T]> {
        match self {
            Self::Array(a) => Some(a),
            Self::Iso(_) => None,
        }
    }

    /// A borrowed view.
    pub fn as_ref(&self) -> ValuesRef<'_, T> {
        match self {
            Self::Array(a) => ValuesRef::Array(a),
            Self::Iso(v) => ValuesRef::Iso(*v),
        }
    }
}

/// A borrowed 2-D COO matrix (`COOR` when sorted by row, `COOC` by column).
#[derive(Debug, Clone, Copy)]
pub struct CooRef<'a, I, T> {
    /// Number of rows.
    pub nrows: usize,
    /// Number of columns.
    pub ncols: usize,
    /// Row of each stored value (`indices_0`).
    pub rows: &'a [I],
    /// Column of each stored value (`indices_1`).
    pub cols: &'a [I],
    /// Stored values.
    pub values: ValuesRef<'a, T>,
}

impl<I, T: Copy> CooRef<'_, I, T> {
    /// nnz, once `cols` and the values (unless iso) have as many elements as `rows`; else
    /// [`ConvertError::LengthMismatch`] naming the first array that differs.
    pub(crate) fn checked_nnz(&self) -> Result<usize> {
        let nnz = self.rows.len();
        if self.cols.len() != nnz {
            return Err(ConvertError::LengthMismatch {
                array: "indices_1",
                expected: nnz,
                actual: self.cols.len(),
            });
        }
        self.values.check_len(nnz)?;
        Ok(nnz)
    }
}

/// An owned 2-D COO matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Coo<I, T> {
    /// Number of rows.
    pub nrows: usize,
    /// Number of columns.
    pub ncols: usize,
    /// Row of each stored value.
    pub rows: Vec<I>,
    /// Column of each stored value.
    pub cols: Vec<I>,
    /// Stored values.
    pub values: Values<T>,
}

/// A borrowed compressed matrix. As CSR: `pointers` indexes rows and `indices` are columns. The
/// same parts read as the CSC of the transposed shape (a relabel, no copy).
#[derive(Debug, Clone, Copy)]
pub struct CsrRef<'a, P, I, T> {
    /// Number of rows (the compressed dimension).
    pub nrows: usize,
    /// Number of columns.
    pub ncols: usize,
    /// `pointers_to_1`, length `nrows + 1`.
    pub pointers: &'a [P],
    /// `indices_1`, length nnz.
    pub indices: &'a [I],
    /// Stored values.
    pub values: ValuesRef<'a, T>,
}

/// An owned compressed matrix (see [`CsrRef`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Csr<P, I, T> {
    /// Number of rows (the compressed dimension).
    pub nrows: usize,
    /// Number of columns.
    pub ncols: usize,
    /// `pointers_to_1`, length `nrows + 1`.
    pub pointers: Vec<P>,
    /// `indices_1`, length nnz.
    pub indices: Vec<I>,
    /// Stored values.
    pub values: Values<T>,
}

impl<P: Copy, I: Copy, T: Copy> Csr<P, I, T> {
    /// A borrowed view.
    pub fn as_ref(&self) -> CsrRef<'_, P, I, T> {
        CsrRef {
            nrows: self.nrows,
            ncols: self.ncols,
            pointers: &self.pointers,
            indices: &self.indices,
            values: self.values.as_ref(),
        }
    }
}

impl<I: Copy, T: Copy> Coo<I, T> {
    /// A borrowed view.
    pub fn as_ref(&self) -> CooRef<'_, I, T> {
        CooRef {
            nrows: self.nrows,
            ncols: self.ncols,
            rows: &self.rows,
            cols: &self.cols,
            values: self.values.as_ref(),
        }
    }
}
