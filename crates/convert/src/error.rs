//! The typed errors of the conversion layer: [`ConvertError`] for the slice kernels, and
//! [`EngineError`] for the array-level engines, which wraps it and the lower layers' errors.

use sparsebridge_array::ArrayError;
use sparsebridge_buffer::{BufferError, DType};
use sparsebridge_descriptor::DescriptorError;

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, ConvertError>;

/// Why a conversion or a structural check failed.
///
/// Every variant names the offending array (by its binsparse key, such as `indices_1`) and the
/// position or value at fault, so that a caller can report it without re-scanning the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConvertError {
    /// An array does not have the length the format requires.
    #[error("array `{array}` has length {actual}, expected {expected}")]
    LengthMismatch {
        /// Binsparse key of the array.
        array: &'static str,
        /// Required length.
        expected: usize,
        /// Actual length.
        actual: usize,
    },
    /// An index is negative.
    #[error("array `{array}` holds the negative index {value} at position {position}")]
    NegativeIndex {
        /// Binsparse key of the array.
        array: &'static str,
        /// Position of the value in the array.
        position: usize,
        /// The offending value.
        value: i128,
    },
    /// An index is not below the dimension it indexes.
    #[error(
        "array `{array}` holds the index {value} at position {position}, out of bounds for dimension {bound}"
    )]
    IndexOutOfBounds {
        /// Binsparse key of the array.
        array: &'static str,
        /// Position of the value in the array.
        position: usize,
        /// The offending value.
        value: i128,
        /// The dimension (exclusive upper bound).
        bound: usize,
    },
    /// A value does not fit the target index dtype.
    #[error("array `{array}`: value {value} at position {position} does not fit {dtype}")]
    DoesNotFit {
        /// Binsparse key of the array (or a description of the computed quantity).
        array: &'static str,
        /// Position of the value (0 for a scalar such as `nnz`).
        position: usize,
        /// The offending value.
        value: i128,
        /// The target dtype, as a binsparse type string.
        dtype: &'static str,
    },
    /// Indices are not sorted (or not strictly increasing where uniqueness is required).
    #[error("array `{array}` is not sorted at position {position}")]
    NotSorted {
        /// Binsparse key of the array.
        array: &'static str,
        /// Position of the first element that breaks the order.
        position: usize,
    },
    /// A pointer array does not start at zero.
    #[error("array `{array}` starts at {value}, expected 0")]
    PointerStart {
        /// Binsparse key of the pointer array.
        array: &'static str,
        /// Its first value.
        value: i128,
    },
    /// A pointer array decreases.
    #[error("array `{array}` decreases at position {position}")]
    PointerDecreasing {
        /// Binsparse key of the pointer array.
        array: &'static str,
        /// Position `p` such that `pointers[p] < pointers[p - 1]`.
        position: usize,
    },
    /// A DCSR/DCSC pointer array repeats a value (an empty stored row).
    #[error("array `{array}` repeats a value at position {position}: DCSR/DCSC store no empty row")]
    PointerRepeated {
        /// Binsparse key of the pointer array.
        array: &'static str,
        /// Position `p` such that `pointers[p] == pointers[p - 1]`.
        position: usize,
    },
    /// A pointer array does not end at the number of stored values.
    #[error("array `{array}` ends at {actual}, expected nnz = {expected}")]
    PointerEnd {
        /// Binsparse key of the pointer array.
        array: &'static str,
        /// Number of stored values.
        expected: usize,
        /// Last pointer.
        actual: i128,
    },
    /// A coordinate is stored twice and the policy is [`DuplicatePolicy::Reject`](crate::DuplicatePolicy::Reject).
    #[error("duplicate entry at coordinates {coords:?}")]
    Duplicate {
        /// The coordinates of the first duplicate in canonical order, e.g. `[row, col]`.
        coords: Vec<usize>,
    },
    /// Duplicates cannot be summed in an iso array: the sums would differ from the shared value.
    #[error("duplicate entry at coordinates {coords:?} in an iso array cannot be summed")]
    IsoDuplicate {
        /// The coordinates of the first duplicate in canonical order.
        coords: Vec<usize>,
    },
    /// An iso value array does not hold exactly one element, or shapes of a dense layout do not match.
    #[error("invalid shape: {reason}")]
    Shape {
        /// What is wrong.
        reason: String,
    },
    /// A size computation overflowed `usize`.
    #[error("size overflow computing {what}")]
    SizeOverflow {
        /// The quantity being computed.
        what: &'static str,
    },
    /// The allocator refused an output or scratch array (sizes follow from the shape, so a
    /// huge dimension asks for a huge pointer array).
    #[error("out of memory allocating {bytes} bytes")]
    OutOfMemory {
        /// Requested bytes (saturated at `usize::MAX`).
        bytes: usize,
    },
}

/// Errors of the array-level conversion ([`crate::engine::convert`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The source array is invalid (e.g. not canonical).
    #[error(transparent)]
    Array(#[from] ArrayError),
    /// The target descriptor could not be built.
    #[error(transparent)]
    Descriptor(#[from] DescriptorError),
    /// A buffer operation failed.
    #[error(transparent)]
    Buffer(#[from] BufferError),
    /// A conversion kernel failed (e.g. an index does not fit the target dtype, a duplicate
    /// under [`DuplicatePolicy::Reject`](crate::DuplicatePolicy::Reject)).
    #[error(transparent)]
    Convert(#[from] ConvertError),
    /// A CUDA kernel could not be compiled, checked against its PTX, or launched.
    #[error(transparent)]
    Cuda(#[from] sparsebridge_buffer::cuda::KernelError),
    /// The conversion is not implemented for this source, target or device: an honest gap,
    /// which the caller may work around (another format, another device).
    #[error("unsupported conversion: {0}")]
    Unsupported(String),
    /// A state the engine's own checks rule out was reached (a kernel or bookkeeping bug, not a
    /// property of the input). Kept apart from [`EngineError::Unsupported`] so that a caller
    /// never retries or works around a bug, and so that reports can ask for a bug report.
    #[error("internal error in the conversion engine (please report): {0}")]
    Internal(String),
    /// `copy = false` was requested, but the conversion needs new memory.
    #[error("the conversion to {target} needs a copy, but copy=false was requested")]
    CopyRequired {
        /// The requested format.
        target: String,
    },
}

/// The fallback of the engine's index-dtype dispatch: an index array whose dtype is not an
/// integer type (descriptors allow only integer index types, so this names a foreign array).
#[cold]
pub(crate) fn unsupported_index(dtype: DType) -> EngineError {
    EngineError::Unsupported(format!("index dtype {dtype}"))
}
