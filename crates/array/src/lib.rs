//! sparsebridge array layer: [`SparseArray`], a validated binsparse descriptor plus its named
//! constituent buffers, all on one device.
//!
//! Constructors form a ladder (docs/architecture.md):
//!
//! | constructor | checks | cost |
//! |---|---|---|
//! | [`SparseArray::try_new`] | array names, dtypes (normalizing `bool`→`bint8` and interleaved complex views), one device, every length (pointer ends included) | O(1) per array |
//! | [`SparseArray::validate_full`] | pointers start at 0, are monotone and end at nnz; indices in bounds, sorted and unique, as the spec requires | O(nnz) |
//! | [`SparseArray::new_trusted`] | none; marks the array validated | for conversion outputs that are canonical by construction |
//!
//! ```
//! use sparsebridge_array::SparseArray;
//! use sparsebridge_buffer::Buffer;
//! use sparsebridge_descriptor::{Descriptor, ParseOptions};
//!
//! // The spec's ISO example: a 5x5 CSR whose six entries all hold 7.
//! let d = Descriptor::parse(r#"{"binsparse": {"version": "0.1", "format": "CSR", "shape": [5, 5],
//!     "number_of_stored_values": 6,
//!     "data_types": {"pointers_to_1": "uint64", "indices_1": "uint64", "values": "iso[int8]"}}}"#,
//!     &ParseOptions::default()).unwrap().descriptor;
//! let a = SparseArray::try_new(d, [
//!     ("pointers_to_1", Buffer::from_vec(vec![0u64, 1, 3, 3, 5, 6])),
//!     ("indices_1", Buffer::from_vec(vec![3u64, 1, 4, 1, 2, 3])),
//!     ("values", Buffer::from_vec(vec![7i8])),
//! ]).unwrap();
//! a.validate_full().unwrap();
//! assert_eq!(a.nnz(), 6);
//! ```

mod dtype;
mod error;
mod validate;

use std::sync::atomic::{AtomicBool, Ordering};

use sparsebridge_buffer::{Buffer, Device, dispatch_dtype};
use sparsebridge_descriptor::{ArrayLengths, ArrayRole, Descriptor, PredefinedFormat};

pub use dtype::{dtype_of, normalize, scalar_of};
pub use error::ArrayError;

/// A sparse (or dense) array in any binsparse format: a validated descriptor plus one buffer per
/// constituent array, in the descriptor's canonical array order, all on one device.
#[derive(Debug)]
pub struct SparseArray {
    descriptor: Descriptor,
    /// `(name, buffer)` in `descriptor.arrays()` order, dtypes canonical (see [`dtype_of`]).
    arrays: Vec<(String, Buffer)>,
    device: Device,
    /// Whether the O(nnz) check has passed (or the producer guarantees canonical data).
    validated: AtomicBool,
}

impl Clone for SparseArray {
    fn clone(&self) -> Self {
        Self {
            descriptor: self.descriptor.clone(),
            arrays: self.arrays.clone(),
            device: self.device,
            validated: AtomicBool::new(self.validated.load(Ordering::Relaxed)),
        }
    }
}

/// Reads element `index` of an integer buffer on any device as `i128` (one element is copied
/// when the buffer is not host-accessible).
fn read_integer(buffer: &Buffer, index: usize) -> Result<i128, ArrayError> {
    let one = buffer.slice(index, 1)?;
    macro_rules! read {
        ($t:ty, $v:ident) => {
            i128::from(one.to_vec::<$t>()?[0])
        };
    }
    Ok(dispatch_dtype!(one.dtype(), [integer] => read, other => {
        return Err(ArrayError::DTypeMismatch {
            array: "pointers".to_owned(),
            expected: "an integer type".to_owned(),
            found: other,
        });
    }))
}

impl SparseArray {
    /// Builds an array from a descriptor and its named buffers, with the O(1) checks: exactly the
    /// arrays the descriptor names, each with the dtype its `data_types` entry says (a `bool`
    /// array is accepted for `bint8`, an interleaved float array for `complex[..]`, both viewed
    /// zero-copy), all on one device, and every length as the format table says (the last
    /// element of each pointer array is read; on a GPU that is one small copy).
    pub fn try_new<N: Into<String>>(
        descriptor: Descriptor,
        arrays: impl IntoIterator<Item = (N, Buffer)>,
    ) -> Result<Self, ArrayError> {
        let mut supplied: Vec<(String, Buffer)> = Vec::new();
        for (name, buffer) in arrays {
            let name = name.into();
            if supplied.iter().any(|(n, _)| *n == name) {
                return Err(ArrayError::DuplicateArray { array: name });
            }
            if descriptor.array(&name).is_none() {
                return Err(ArrayError::UnexpectedArray { array: name });
            }
            supplied.push((name, buffer));
        }
        let mut ordered = Vec::with_capacity(supplied.len());
        let mut lengths = ArrayLengths::new();
        let mut device: Option<(String, Device)> = None;
        for spec in descriptor.arrays() {
            let pos = supplied
                .iter()
                .position(|(n, _)| *n == spec.name)
                .ok_or_else(|| ArrayError::MissingArray {
                    array: spec.name.clone(),
                })?;
            let (name, buffer) = supplied.swap_remove(pos);
            let data_type =
                descriptor
                    .data_type(&name)
                    .ok_or_else(|| ArrayError::MissingArray {
                        array: name.clone(),
                    })?;
            let buffer = normalize(&name, data_type, buffer)?;
            match &device {
                None => device = Some((name.clone(), buffer.device())),
                Some((first, dev)) if *dev != buffer.device() => {
                    return Err(ArrayError::MixedDevices {
                        array: name,
                        found: buffer.device(),
                        first_array: first.clone(),
                        expected: *dev,
                    });
                }
                Some(_) => {}
            }
            let len = buffer.len() as u64;
            if matches!(spec.role, ArrayRole::Pointers { .. }) {
                let last = if buffer.is_empty() {
                    None
                } else {
                    let v = read_integer(&buffer, buffer.len() - 1)?;
                    Some(u64::try_from(v).map_err(|_| ArrayError::NegativePointer {
                        array: name.clone(),
                        value: v,
                    })?)
                };
                lengths.insert_pointers(name.clone(), len, last);
            } else {
                lengths.insert(name.clone(), len);
            }
            ordered.push((name, buffer));
        }
        descriptor.check_lengths(&lengths)?;
        let device = device.map_or(Device::Cpu, |(_, d)| d);
        Ok(Self {
            descriptor,
            arrays: ordered,
            device,
            validated: AtomicBool::new(false),
        })
    }

    /// Builds an array without any check and marks it validated. For conversion outputs that are
    /// canonical by construction: `arrays` must be in the descriptor's array order, with
    /// canonical dtypes, on `device`. Misuse gives wrong results or typed errors later, never
    /// undefined behaviour (every buffer access is bounds-checked).
    #[doc(hidden)]
    pub fn new_trusted(
        descriptor: Descriptor,
        arrays: Vec<(String, Buffer)>,
        device: Device,
    ) -> Self {
        Self {
            descriptor,
            arrays,
            device,
            validated: AtomicBool::new(true),
        }
    }

    /// The O(nnz) structural check (pointers, bounds, sortedness, uniqueness). Passing it once
    /// is remembered, so re-exporting costs no scan.
    pub fn validate_full(&self) -> Result<(), ArrayError> {
        if self.validated.load(Ordering::Acquire) {
            return Ok(());
        }
        validate::validate_full(self)?;
        self.validated.store(true, Ordering::Release);
        Ok(())
    }

    /// Runs `check`, an O(nnz) structural check made elsewhere (on the device that holds the
    /// data), unless the array is already known to be valid, and remembers a pass (`Ok(true)`)
    /// as [`SparseArray::validate_full`] does. `Ok(false)`: invalid, nothing is recorded.
    pub fn validate_with<E>(
        &self,
        check: impl FnOnce(&Self) -> Result<bool, E>,
    ) -> Result<bool, E> {
        if self.is_validated() {
            return Ok(true);
        }
        let valid = check(self)?;
        if valid {
            self.validated.store(true, Ordering::Release);
        }
        Ok(valid)
    }

    /// Whether the structure is known to be canonical (checked or produced canonical).
    pub fn is_validated(&self) -> bool {
        self.validated.load(Ordering::Acquire)
    }

    /// The descriptor.
    pub fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    /// The device holding every constituent array.
    pub fn device(&self) -> Device {
        self.device
    }

    /// The logical shape.
    pub fn shape(&self) -> &[u64] {
        self.descriptor.shape()
    }

    /// The number of stored values.
    pub fn nnz(&self) -> u64 {
        self.descriptor.nnz()
    }

    /// A constituent array by binsparse name.
    pub fn array(&self, name: &str) -> Option<&Buffer> {
        self.arrays.iter().find(|(n, _)| n == name).map(|(_, b)| b)
    }

    /// Every constituent array, in the descriptor's canonical order.
    pub fn arrays(&self) -> &[(String, Buffer)] {
        &self.arrays
    }

    /// The array on `device`: itself (shared buffers) when it is already there, else a copy of
    /// every buffer ([`SparseArray::copy_to`]).
    pub fn to_device(&self, device: Device) -> Result<SparseArray, ArrayError> {
        if device == self.device {
            return Ok(self.clone());
        }
        self.copy_to(device)
    }

    /// A fresh copy of every buffer on `device`, even the array's own. The structure is
    /// unchanged (same descriptor, same lengths, copied bytes), so no check is run again and a
    /// validated array stays validated.
    pub fn copy_to(&self, device: Device) -> Result<SparseArray, ArrayError> {
        let arrays = self
            .arrays
            .iter()
            .map(|(n, b)| b.copy_to(device).map(|b| (n.clone(), b)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            descriptor: self.descriptor.clone(),
            arrays,
            device,
            validated: AtomicBool::new(self.is_validated()),
        })
    }

    /// The transpose of a 2-D array in a predefined format, as a pure relabelling: CSR of `A` is
    /// CSC of `Aᵀ` (likewise DCSR ↔ DCSC, COOR ↔ COOC, DMATR ↔ DMATC). The shape is reversed,
    /// every buffer is shared (nothing is moved or allocated), a `structure` flips its triangle
    /// and a validated array stays validated (the stored order is unchanged).
    pub fn transposed(&self) -> Result<SparseArray, ArrayError> {
        let d = &self.descriptor;
        let format = d
            .alias()
            .and_then(PredefinedFormat::transposed)
            .ok_or_else(|| {
                ArrayError::Unsupported(format!(
                    "transposing a {} array (only 2-D predefined formats are relabelled)",
                    d.format().summary()
                ))
            })?;
        let shape: Vec<u64> = d.shape().iter().rev().copied().collect();
        let mut b =
            Descriptor::builder(format, shape, d.nnz(), d.value_type()).extension_types(true);
        for (name, t) in d.data_types() {
            b = match d.array(name).map(|s| s.role) {
                Some(ArrayRole::FillValue) => b.fill(*t),
                _ => b.array_type(name.clone(), *t),
            };
        }
        if let Some(s) = d.structure() {
            b = b.structure(s.transposed());
        }
        for (k, v) in d.user_keys() {
            b = b.user_key(k.clone(), v.clone());
        }
        Ok(Self {
            descriptor: b.build()?,
            arrays: self.arrays.clone(),
            device: self.device,
            validated: AtomicBool::new(self.is_validated()),
        })
    }

    /// Splits into descriptor and arrays.
    pub fn into_parts(self) -> (Descriptor, Vec<(String, Buffer)>) {
        (self.descriptor, self.arrays)
    }
}
