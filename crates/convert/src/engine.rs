//! The array-level entry point: [`convert`] a [`SparseArray`] to another format or index dtype,
//! on the device that holds it, reporting whether anything was copied.
//!
//! Supported today (CPU, host-accessible arrays): every pair among the ten predefined formats
//! whose ranks agree (1-D: `CVEC`, `DVEC`; 2-D: `COOR`, `COOC`, `CSR`, `CSC`, `DCSR`, `DCSC`,
//! `DMATR`, `DMATC`), plus n-d COO (a root `sparse(n)` level over `element`, [`Target::coo_nd`])
//! and n-d dense (only `dense` levels, [`Target::dense_nd`]) in both directions, and any level
//! format to itself (index-width changes aside). Index and pointer dtypes may be any integer
//! type (u8..u64, i8..i64; narrowing is checked and fails with a typed error naming the array
//! and position); a dense source has no index arrays, so its sparse targets default to `int64`.
//! Values move as opaque 1/2/4/8/16-byte elements (`iso` stays iso), except where they must be
//! compared or summed (dense → sparse, canonicalization), where the real dtype is used
//! ([`crate::Summable`]: integers, f16/bf16/f32/f64, complex, bint8). Other level formats
//! return [`EngineError::Unsupported`].
//!
//! Arrays on `cuda:N` are converted on that device by [`crate::cuda`], which handles `COOR`,
//! `COOC`, `CSR` and `CSC` (kernels compiled with NVRTC, never through the host); the other
//! formats return [`EngineError::Unsupported`] there (copy the array to `"cpu"` first).
//!
//! Dense semantics (the binsparse `fill`, binsparse-protocol.md §7):
//! - sparse → dense writes the fill value (the `fill_value` array when the descriptor has one,
//!   else zero) at every unstored position, and each stored value at its position; an `iso`
//!   array writes its one value at every stored position;
//! - dense → sparse stores exactly the entries that differ from the fill value (zero when there
//!   is no fill), compared as values of the dtype ([`crate::Summable::same_value`]: `-0.0`
//!   equals `0.0`, NaN equals nothing and is always stored, bint8 compares truth values);
//! - the fill value is carried to the output; a declared `structure` (symmetric, …) is kept
//!   between sparse formats, but sparse ↔ dense with a structure is unsupported (no mirroring).
//!
//! Zero-copy where the layouts allow:
//! - same format and dtypes: the buffers are shared;
//! - `COOR` → `CSR` (and `COOC` → `CSC`): only `pointers_to_1` is computed; `indices_1` and
//!   `values` are the source's buffers;
//! - `CSR` → `COOR` (and `CSC` → `COOC`): only `indices_0` is computed;
//! - `DCSR` ↔ `CSR` (and `DCSC` ↔ `CSC`): only the pointers (and `indices_0`) are computed.
//!
//! Canonical input: every binsparse format requires sorted, duplicate-free data. [`convert`]
//! runs [`SparseArray::validate_full`] first (free when the array is already known to be
//! valid). With [`ConvertOptions::canonicalize`] `None` (the default) a non-canonical source
//! fails with that typed [`ArrayError`]. With `Some(policy)`, a non-canonical COO (any rank),
//! `CSR` or `CSC` source is first canonicalized: coordinates sorted (stored order, as the
//! format defines it), then duplicates summed ([`DuplicatePolicy::Sum`], in input order, with
//! the real value dtype; an iso array with duplicates fails with
//! [`ConvertError::IsoDuplicate`]) or rejected ([`DuplicatePolicy::Reject`]:
//! [`ConvertError::Duplicate`] naming the first duplicate's logical coordinates). Out-of-bounds
//! or negative indices and invalid pointers still fail with a typed [`ConvertError`]; other
//! formats (`DCSR`, `DCSC`) are never canonicalized and fail with the validation error.
//!
//! This module only routes: the array's device picks the engine (`host` for host-accessible
//! memory, [`crate::cuda`] for `cuda:N`), and both finish in the shared `assemble` step, so
//! neither engine calls back into the router (`tests/module_graph.rs` keeps it so).

use sparsebridge_array::SparseArray;
use sparsebridge_buffer::Device;

pub use crate::error::EngineError;
pub use crate::target::{ConvertOptions, Converted, Target};

/// Convert `array` to `target`, on the device that holds it.
pub fn convert(
    array: &SparseArray,
    target: &Target,
    options: &ConvertOptions,
) -> Result<Converted, EngineError> {
    match array.device() {
        // On the device that holds the data, never through the host.
        Device::Cuda(ordinal) => crate::cuda::convert(array, target, options, ordinal),
        d if d.is_host_accessible() => crate::host::convert(array, target, options),
        d => Err(EngineError::Unsupported(format!(
            "conversions on {d} (copy to \"cpu\" or \"cuda:N\" first)"
        ))),
    }
}
