//! sparsebridge: exchange sparse arrays between libraries through the `__binsparse__` protocol.
//!
//! This facade re-exports the layers (see docs/architecture.md) and adds the protocol
//! operations:
//!
//! | operation | function |
//! |---|---|
//! | answer `__binsparse__(descriptor=...)` on the array's own device | [`fulfil_request`] |
//! | convert to a format / index dtype | [`convert`] |
//! | the O(nnz) structural check | [`SparseArray::validate_full`] |
//!
//! ```
//! use sparsebridge::{Buffer, ConvertOptions, PredefinedFormat, SparseArray, Target, convert};
//! use sparsebridge::descriptor::{Descriptor, ScalarType};
//!
//! // A 2x3 COO matrix [[1, 0, 2], [0, 0, 3]] with int32 indices.
//! let d = Descriptor::new(PredefinedFormat::Coor.into(), vec![2, 3], 3, ScalarType::Int32,
//!                         ScalarType::Float64.into()).unwrap();
//! let coo = SparseArray::try_new(d, [
//!     ("indices_0", Buffer::from_vec(vec![0i32, 0, 1])),
//!     ("indices_1", Buffer::from_vec(vec![0i32, 2, 2])),
//!     ("values", Buffer::from_vec(vec![1.0f64, 2.0, 3.0])),
//! ]).unwrap();
//! let csc = convert(&coo, &Target::format(PredefinedFormat::Csc), &ConvertOptions::default()).unwrap();
//! assert_eq!(csc.array.array("pointers_to_1").unwrap().as_slice::<i32>().unwrap(), &[0, 1, 1, 3]);
//! assert_eq!(csc.array.array("indices_1").unwrap().as_slice::<i32>().unwrap(), &[0, 0, 1]);
//! ```

pub use sparsebridge_array as array;
pub use sparsebridge_buffer as buffer;
pub use sparsebridge_convert as convert_core;
pub use sparsebridge_descriptor as descriptor;

pub use sparsebridge_array::{ArrayError, SparseArray};
pub use sparsebridge_buffer::{Buffer, BufferError, BufferMut, DType, Device, DeviceUnavailable};
pub use sparsebridge_convert::engine::{ConvertOptions, Converted, EngineError, Target, convert};
pub use sparsebridge_descriptor::{Descriptor, DescriptorError, PredefinedFormat, ScalarType};

/// Every error sparsebridge returns, by layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A malformed or unsupported descriptor.
    #[error(transparent)]
    Descriptor(#[from] DescriptorError),
    /// Memory, device or DLPack failure.
    #[error(transparent)]
    Buffer(#[from] BufferError),
    /// Arrays that do not match their descriptor, or invalid structure.
    #[error(transparent)]
    Array(#[from] ArrayError),
    /// A conversion failure (unsupported target, copy refused, index overflow).
    #[error(transparent)]
    Convert(#[from] EngineError),
    /// The request asks for something the producer cannot provide (the protocol's `TypeError`).
    #[error("unsupported request: {0}")]
    UnsupportedRequest(String),
    /// The requested descriptor cannot describe this array (another shape, fill or structure):
    /// an invalid request (the protocol's `ValueError`).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

/// Answers `__binsparse__(descriptor=requested)`: the array in the requested format and index
/// dtypes, converted on the array's own device. The requested format may be any predefined
/// format of the array's rank, or a level format the engine converts to (n-d COO, n-d dense;
/// see `sparsebridge_convert::engine`); others fail with [`Error::Convert`] holding
/// `EngineError::Unsupported`. The requested descriptor's shape must equal the array's (else
/// [`Error::InvalidRequest`]), and its value type the array's (the protocol converts layouts,
/// not values; an iso array requested in a dense format is the plain type; else
/// [`Error::UnsupportedRequest`]). A requested `number_of_stored_values` must be the count the
/// array has in the requested format (else [`Error::UnsupportedRequest`]). `copy = Some(false)`
/// refuses any conversion that needs new memory.
pub fn fulfil_request(
    array: &SparseArray,
    requested: &Descriptor,
    copy: Option<bool>,
) -> Result<Converted, Error> {
    let have = array.descriptor();
    if requested.shape() != have.shape() {
        return Err(Error::InvalidRequest(format!(
            "requested shape {:?} differs from the array's shape {:?}",
            requested.shape(),
            have.shape()
        )));
    }
    // The protocol converts layouts, not values: the same scalar type, iso exactly when the
    // array is iso and the requested format stores indices (a dense layout expands iso values).
    let want_iso = have.value_type().iso && requested.format().is_sparse();
    if requested.value_type().scalar != have.value_type().scalar
        || requested.value_type().iso != want_iso
    {
        return Err(Error::UnsupportedRequest(format!(
            "requested value type {} differs from the array's {} (value conversion is not part of the protocol)",
            requested.value_type(),
            have.value_type()
        )));
    }
    if requested.fill() != have.fill() || requested.structure() != have.structure() {
        return Err(Error::InvalidRequest(
            "requested fill/structure differ from the array's".to_owned(),
        ));
    }
    // Per-array index types: the engine takes one pointer type and one index type.
    let mut index_type = None;
    let mut pointer_type = None;
    for spec in requested.arrays() {
        let Some(t) = requested.data_type(&spec.name) else {
            continue;
        };
        let slot = match spec.role {
            descriptor::ArrayRole::Pointers { .. } => &mut pointer_type,
            descriptor::ArrayRole::Indices { .. } => &mut index_type,
            _ => continue,
        };
        match slot {
            None => *slot = Some(t.scalar),
            Some(prev) if *prev != t.scalar => {
                return Err(Error::UnsupportedRequest(format!(
                    "index arrays of one role with different dtypes ({prev} and {})",
                    t.scalar
                )));
            }
            Some(_) => {}
        }
    }
    let target = Target {
        format: requested.format().clone(),
        index_type,
        pointer_type,
    };
    let options = ConvertOptions {
        copy,
        ..ConvertOptions::default()
    };
    let out = convert(array, &target, &options)?;
    // The stored count depends on the layout (a dense format stores every element), so a
    // requested number_of_stored_values is checked against the result.
    if requested.nnz_known() && requested.nnz() != out.array.nnz() {
        return Err(Error::UnsupportedRequest(format!(
            "requested number_of_stored_values {} differs from the {} the array has in that format",
            requested.nnz(),
            out.array.nnz()
        )));
    }
    Ok(out)
}
