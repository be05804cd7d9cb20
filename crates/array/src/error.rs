//! Typed errors of the array layer.

use sparsebridge_buffer::{BufferError, DType, Device};
use sparsebridge_descriptor::DescriptorError;

/// Why a [`crate::SparseArray`] could not be built or failed validation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArrayError {
    /// The descriptor itself, or the array lengths it implies, are wrong.
    #[error(transparent)]
    Descriptor(#[from] DescriptorError),
    /// A buffer operation failed (device unavailable, copy, view).
    #[error(transparent)]
    Buffer(#[from] BufferError),
    /// The descriptor names an array that was not supplied.
    #[error("missing constituent array `{array}` required by the descriptor")]
    MissingArray {
        /// The array name.
        array: String,
    },
    /// An array was supplied that the descriptor does not name.
    #[error("unexpected constituent array `{array}`: the descriptor's data_types do not list it")]
    UnexpectedArray {
        /// The array name.
        array: String,
    },
    /// An array was supplied twice.
    #[error("constituent array `{array}` supplied twice")]
    DuplicateArray {
        /// The array name.
        array: String,
    },
    /// An array's dtype does not match its `data_types` entry.
    #[error("array `{array}` has dtype {found}, but data_types says `{expected}`")]
    DTypeMismatch {
        /// The array name.
        array: String,
        /// The binsparse type string.
        expected: String,
        /// The buffer's dtype.
        found: DType,
    },
    /// An interleaved complex array has an odd number of floats.
    #[error("array `{array}` holds interleaved complex values but has an odd length {len}")]
    InterleavedOddLength {
        /// The array name.
        array: String,
        /// Its length in floats.
        len: u64,
    },
    /// The constituent arrays live on different devices.
    #[error(
        "array `{array}` is on {found}, but `{first_array}` is on {expected}: all constituent arrays must share one device"
    )]
    MixedDevices {
        /// The offending array.
        array: String,
        /// Its device.
        found: Device,
        /// The first array's name.
        first_array: String,
        /// The first array's device.
        expected: Device,
    },
    /// A pointer array holds a negative last element.
    #[error("array `{array}` ends with the negative value {value}")]
    NegativePointer {
        /// The array name.
        array: String,
        /// The value found.
        value: i128,
    },
    /// The O(nnz) structural check failed: pointers, bounds, order or uniqueness.
    #[error("invalid structure in `{array}` at position {position}: {reason}")]
    Structure {
        /// The array in which the first violation was found.
        array: String,
        /// The element position of the first violation.
        position: u64,
        /// What rule it breaks.
        reason: String,
    },
    /// The operation is not supported for this layout or device.
    #[error("unsupported: {0}")]
    Unsupported(String),
}
