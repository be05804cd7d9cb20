//! The CPU core: multi-threaded (rayon), memory-bound conversions on plain slices.
//!
//! Conventions shared by every function here:
//! - inputs are borrowed, outputs are allocated once (zeroed by the allocator, so untouched
//!   pages cost nothing) and returned owned;
//! - where a layout allows reuse, only the missing array is computed (for example
//!   [`coo_sorted_to_csr_pointers`] returns `pointers_to_1`, and the caller keeps `indices_1`
//!   and `values`);
//! - format changes use counting sorts (histogram → two-pass chunked scan → stable scatter),
//!   never a comparison sort over all entries;
//! - scattering conversions (shuffled COO → CSR, CSR → CSC) use a cache-blocked stable
//!   counting sort (radix partitioning into L2-sized key buckets, then a counting sort per
//!   bucket); threads write disjoint slices, so no `unsafe` is needed (this crate has none);
//! - errors name the offending array and the first failing position;
//! - the radix sort's temporary is kept for the next conversion, within a bound
//!   ([`set_scratch_limit`], [`release_scratch`]).

mod cast;
mod compressed;
mod coo;
mod dense;
mod nd;
mod par;
mod radix;
mod scratch;
mod validate;

pub use cast::cast_indices;
pub use compressed::{
    csr_to_coo_rows, csr_to_dcsr, csr_transpose, cvec_to_dvec, dcsr_to_csr_pointers, dvec_to_cvec,
};
pub(crate) use coo::{
    check_bounds, coo_sort_by_comparison, coo_to_csr_prechecked, csr_canonicalize_prechecked,
    is_hypersparse,
};
pub use coo::{
    coo_sort_by_col, coo_sort_by_row, coo_sorted_to_csr_pointers, coo_to_csr, csr_canonicalize,
};
pub use dense::{
    coo_to_dense, csr_to_dense, csr_to_dense_fill, dense_to_coo, dense_to_csr, dense_to_csr_fill,
};
pub(crate) use nd::index_name;
pub use nd::{
    CooNd, CooNdRef, coo_nd_canonicalize, coo_nd_to_dense, coo_nd_to_dense_fill, dense_to_coo_nd,
    dense_to_coo_nd_fill,
};
pub use par::{exclusive_scan, set_serial_cutoff};
pub use scratch::{release_scratch, scratch_limit, set_scratch_limit};
pub use validate::{
    validate_coo, validate_coo_nd, validate_csr, validate_cvec, validate_dcsr, validate_pointers,
};
