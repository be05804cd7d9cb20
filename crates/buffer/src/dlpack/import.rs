//! DLPack import: every field of the producer's tensor is untrusted and checked in order
//! (version, ndim, shape, strides, byte_offset, dtype lanes, alignment, device).

use std::any::Any;
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use dlpark::ffi::{DLManagedTensor, DLManagedTensorVersioned, DLTensor};

use crate::Device;
use crate::buffer::{Buffer, Storage};
use crate::dlpack::export::RawTensor;
use crate::dlpack::{DLPACK_MAJOR, FLAG_IS_COPIED, FLAG_READ_ONLY};
use crate::dtype::DType;
use crate::error::{BufferError, DlpackError};
use crate::host::BufferMut;

/// Ownership of an imported managed tensor: calls the producer's deleter exactly once, on drop.
/// The producer's memory is never freed by sparsebridge.
pub(crate) struct ForeignTensor {
    raw: Raw,
    read_only: bool,
    /// `None`: owned outright. `Some(flag)`: a deferred import ([`import_versioned_deferred`]);
    /// the deleter runs on drop only once the flag was set by [`Ownership::commit`].
    armed: Option<Arc<AtomicBool>>,
    /// Kept alive until this tensor is released (see [`Ownership::borrowed_from`]); dropped
    /// after the deleter (if any) ran.
    keep: Option<Arc<dyn Any + Send + Sync>>,
}

impl std::fmt::Debug for ForeignTensor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForeignTensor")
            .field("raw", &self.raw)
            .field("read_only", &self.read_only)
            .field("armed", &self.armed)
            .field("keeps", &self.keep.is_some())
            .finish()
    }
}

#[derive(Debug, Clone, Copy)]
enum Raw {
    Versioned(NonNull<DLManagedTensorVersioned>),
    Legacy(NonNull<DLManagedTensor>),
}

// SAFETY: the DLPack contract lets the deleter run on any thread (deleters that touch Python take
// the GIL), and the tensor's metadata is immutable while we own it.
unsafe impl Send for ForeignTensor {}
// SAFETY: shared access only reads immutable metadata.
unsafe impl Sync for ForeignTensor {}

impl ForeignTensor {
    pub(crate) fn read_only(&self) -> bool {
        self.read_only
    }
}

impl Drop for ForeignTensor {
    fn drop(&mut self) {
        if let Some(armed) = &self.armed
            && !armed.load(Ordering::Acquire)
        {
            // A deferred import that was never committed: ownership stays with the caller.
            return;
        }
        match self.raw {
            Raw::Versioned(p) => {
                // SAFETY: we own the tensor; `deleter` sits before `flags` in every major version
                // (the header guarantees it is safe to call even on a major mismatch).
                if let Some(d) = unsafe { (*p.as_ptr()).deleter } {
                    // SAFETY: called exactly once, with the original pointer.
                    unsafe { d(p.as_ptr()) }
                }
            }
            Raw::Legacy(p) => {
                // SAFETY: we own the tensor.
                if let Some(d) = unsafe { (*p.as_ptr()).deleter } {
                    // SAFETY: called exactly once, with the original pointer.
                    unsafe { d(p.as_ptr()) }
                }
            }
        }
    }
}

/// Options for an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportOptions {
    /// `Some(true)`: always copy; `Some(false)`: never copy (error if needed); `None`: copy only
    /// for non-compact strides or a misaligned address (host data only).
    pub copy: Option<bool>,
    /// Accept 2-D C-contiguous tensors (e.g. stacked COO `(2, nnz)` indices), imported as one
    /// buffer of `rows * cols` elements in row-major order; split rows with [`Buffer::slice`].
    pub allow_2d: bool,
}

/// The result of an import.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The data, zero-copy unless `copied`.
    pub buffer: Buffer,
    /// The tensor's shape (length 1 or 2).
    pub shape: Vec<usize>,
    /// The producer set `READ_ONLY` (versioned only). Irrelevant if `copied`.
    pub read_only: bool,
    /// The producer set `IS_COPIED` (versioned only).
    pub producer_copied: bool,
    /// sparsebridge copied the data (the producer's deleter has already been called).
    pub copied: bool,
}

/// Imports a versioned tensor, taking ownership.
///
/// On success the producer's deleter runs when the last view of the returned buffer drops (or
/// right away if the data was copied); on error it has already run. A NULL pointer is
/// [`DlpackError::NullTensor`].
///
/// # Safety
/// `ptr` is NULL or points to a `DLManagedTensorVersioned` that the caller owns (e.g. from a
/// not yet consumed capsule) and will not use again. Its `version` and `deleter` must be readable;
/// when the major version is 1, the whole struct must be readable, `shape` and `strides` (if not
/// NULL) must point to `ndim` readable `i64`s, and `data + byte_offset` (if not NULL) must be valid
/// for the byte size the fields describe, for as long as the deleter has not run. All field
/// *values* are checked.
pub unsafe fn import_versioned(
    ptr: *mut DLManagedTensorVersioned,
    opts: &ImportOptions,
) -> Result<Imported, BufferError> {
    let p = NonNull::new(ptr).ok_or(DlpackError::NullTensor)?;
    // SAFETY: the caller guarantees `version` is readable.
    let version = unsafe { (*p.as_ptr()).version };
    // Take ownership now: from here on, every return path calls the deleter exactly once.
    let mut owner = ForeignTensor {
        raw: Raw::Versioned(p),
        read_only: false,
        armed: None,
        keep: None,
    };
    if version.major != DLPACK_MAJOR {
        drop(owner);
        return Err(DlpackError::UnsupportedVersion {
            major: version.major,
            minor: version.minor,
        }
        .into());
    }
    // SAFETY: major version 1: the layout is known and readable (caller's guarantee).
    let (flags, tensor) = unsafe { ((*p.as_ptr()).flags.bits(), (*p.as_ptr()).dl_tensor) };
    owner.read_only = flags & FLAG_READ_ONLY != 0;
    let producer_copied = flags & FLAG_IS_COPIED != 0;
    // SAFETY: forwarded caller guarantees on shape, strides and data.
    unsafe {
        import_tensor(
            owner,
            &tensor,
            Some((version.major, version.minor)),
            producer_copied,
            opts,
        )
    }
}

/// The pending ownership of tensors imported by [`import_versioned_deferred`].
///
/// One `Ownership` may cover several imports (all-or-nothing, e.g. the constituent arrays of one
/// sparse array): until [`Ownership::commit`] the buffers only *borrow* the producer's tensors
/// and dropping them calls no deleter; after it, each deleter runs exactly once, when the last
/// view of its buffer drops. An `Ownership` dropped without `commit` leaves every tensor with
/// its producer. Never committing is a borrow: the buffers must then not outlive the tensors.
#[derive(Default)]
pub struct Ownership {
    armed: Arc<AtomicBool>,
    keep: Option<Arc<dyn Any + Send + Sync>>,
}

impl std::fmt::Debug for Ownership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ownership")
            .field("committed", &self.armed.load(Ordering::Relaxed))
            .field("keeps", &self.keep.is_some())
            .finish()
    }
}

impl Ownership {
    /// A fresh, uncommitted ownership.
    pub fn new() -> Self {
        Self::default()
    }

    /// Borrows tensors that another object owns, keeping that object alive: every buffer
    /// imported under this ownership holds `keep` until its last view drops. Used for tensors
    /// that belong to a container (e.g. a C `SBSparseTensor`) whose own release frees them:
    /// do not [`commit`](Self::commit), and let `keep`'s `Drop` release the container.
    pub fn borrowed_from(keep: Arc<dyn Any + Send + Sync>) -> Self {
        Self {
            armed: Arc::default(),
            keep: Some(keep),
        }
    }

    /// Takes ownership of every tensor imported under `self`: from now on sparsebridge calls
    /// their deleters (each once, when its buffer's last view drops).
    pub fn commit(self) {
        self.armed.store(true, Ordering::Release);
    }
}

/// Imports a versioned tensor zero-copy, deferring ownership to `ownership`.
///
/// Unlike [`import_versioned`], nothing is taken on entry: on error (including a NULL pointer
/// or a major-version mismatch) the deleter has *not* run and the tensor still belongs to the
/// caller, and on success it belongs to the caller until [`Ownership::commit`]. The import
/// never copies (`opts.copy` is ignored and treated as `Some(false)`), so non-compact strides
/// and misaligned data are errors.
///
/// # Safety
/// As for [`import_versioned`]; in addition, until `ownership` is committed, the tensor must
/// stay live for as long as any view of the returned buffer exists.
pub unsafe fn import_versioned_deferred(
    ptr: *mut DLManagedTensorVersioned,
    opts: &ImportOptions,
    ownership: &Ownership,
) -> Result<Imported, BufferError> {
    let p = NonNull::new(ptr).ok_or(DlpackError::NullTensor)?;
    // SAFETY: the caller guarantees `version` is readable.
    let version = unsafe { (*p.as_ptr()).version };
    if version.major != DLPACK_MAJOR {
        return Err(DlpackError::UnsupportedVersion {
            major: version.major,
            minor: version.minor,
        }
        .into());
    }
    // SAFETY: major version 1: the layout is known and readable (caller's guarantee).
    let (flags, tensor) = unsafe { ((*p.as_ptr()).flags.bits(), (*p.as_ptr()).dl_tensor) };
    let opts = ImportOptions {
        copy: Some(false),
        ..*opts
    };
    // With `copy = Some(false)` every failure is found here, before an owner exists.
    // SAFETY: forwarded caller guarantees on shape and strides.
    let l = unsafe { validate(&tensor, Some((version.major, version.minor)), &opts) }?;
    debug_assert!(l.compact && l.aligned);
    let read_only = flags & FLAG_READ_ONLY != 0;
    let owner = ForeignTensor {
        raw: Raw::Versioned(p),
        read_only,
        armed: Some(Arc::clone(&ownership.armed)),
        keep: ownership.keep.clone(),
    };
    let storage = Storage::foreign(owner, l.address, l.bytes, l.device);
    Ok(Imported {
        buffer: Buffer::from_storage(storage, l.dtype, l.count),
        shape: l.shape,
        read_only,
        producer_copied: flags & FLAG_IS_COPIED != 0,
        copied: false,
    })
}

/// Imports a legacy tensor, taking ownership. Same contract as [`import_versioned`]; a legacy
/// tensor has no flags, so `read_only` is false.
///
/// # Safety
/// As for [`import_versioned`], for a `DLManagedTensor` (whole struct readable).
pub unsafe fn import_legacy(
    ptr: *mut DLManagedTensor,
    opts: &ImportOptions,
) -> Result<Imported, BufferError> {
    let p = NonNull::new(ptr).ok_or(DlpackError::NullTensor)?;
    // SAFETY: caller guarantees the struct is readable.
    let tensor = unsafe { (*p.as_ptr()).dl_tensor };
    let owner = ForeignTensor {
        raw: Raw::Legacy(p),
        read_only: false,
        armed: None,
        keep: None,
    };
    // SAFETY: forwarded caller guarantees.
    unsafe { import_tensor(owner, &tensor, None, false, opts) }
}

/// Imports either kind of raw tensor (e.g. from a capsule whose name told which).
///
/// # Safety
/// As for [`import_versioned`] / [`import_legacy`].
pub unsafe fn import_raw(raw: RawTensor, opts: &ImportOptions) -> Result<Imported, BufferError> {
    match raw {
        // SAFETY: forwarded caller guarantees.
        RawTensor::Versioned(p) => unsafe { import_versioned(p, opts) },
        // SAFETY: forwarded caller guarantees.
        RawTensor::Legacy(p) => unsafe { import_legacy(p, opts) },
    }
}

/// Validated layout of a tensor.
struct Layout {
    shape: Vec<usize>,
    /// Strides in elements (compact ones when NULL was given).
    strides: Vec<i64>,
    compact: bool,
    count: usize,
    dtype: DType,
    bytes: usize,
    address: usize,
    aligned: bool,
    device: Device,
}

/// Reads `n` `i64`s from a producer pointer.
///
/// # Safety
/// `p` is non-null and points to `n` readable `i64`s (caller's guarantee on the tensor).
unsafe fn read_i64s(p: *const i64, n: usize) -> Vec<i64> {
    // `read_unaligned`: the producer's array is untrusted, including its alignment.
    // SAFETY: forwarded.
    (0..n)
        .map(|i| unsafe { p.add(i).read_unaligned() })
        .collect()
}

/// Checks the fields in the documented order.
///
/// # Safety
/// `shape`/`strides` readable for `ndim` entries when non-null.
unsafe fn validate(
    t: &DLTensor,
    version: Option<(u32, u32)>,
    opts: &ImportOptions,
) -> Result<Layout, DlpackError> {
    // ndim
    let max_ndim = if opts.allow_2d { 2 } else { 1 };
    if t.ndim < 1 || t.ndim > max_ndim {
        return Err(DlpackError::InvalidNdim {
            ndim: t.ndim,
            allow_2d: opts.allow_2d,
        });
    }
    // ndim is 1 or 2 here.
    let ndim = t.ndim as usize;
    // shape
    if t.shape.is_null() {
        return Err(DlpackError::NullShape { ndim: t.ndim });
    }
    // SAFETY: non-null, `ndim` entries readable (caller).
    let raw_shape = unsafe { read_i64s(t.shape, ndim) };
    let mut shape = Vec::with_capacity(ndim);
    for (dim, &extent) in raw_shape.iter().enumerate() {
        let e = usize::try_from(extent).map_err(|_| DlpackError::NegativeShape { dim, extent })?;
        shape.push(e);
    }
    let overflow = |itemsize| DlpackError::SizeOverflow {
        shape: raw_shape.clone(),
        itemsize,
    };
    let count = shape
        .iter()
        .try_fold(1usize, |acc, &e| acc.checked_mul(e))
        .filter(|&c| c <= isize::MAX as usize)
        .ok_or_else(|| overflow(0))?;
    // strides
    let mut compact_strides = vec![1i64; ndim];
    if ndim == 2 {
        // shape[1] <= count <= isize::MAX, so it fits i64.
        compact_strides[0] = shape[1] as i64;
    }
    let (strides, compact) = if t.strides.is_null() {
        if let Some((major, minor)) = version
            && (major, minor) >= (1, 2)
        {
            return Err(DlpackError::NullStrides { major, minor });
        }
        (compact_strides, true)
    } else {
        // SAFETY: non-null, `ndim` entries readable (caller).
        let s = unsafe { read_i64s(t.strides, ndim) };
        let compact = count == 0 || (0..ndim).all(|d| shape[d] == 1 || s[d] == compact_strides[d]);
        (s, compact)
    };
    if !compact && opts.copy == Some(false) {
        return Err(DlpackError::NonCompactStrides {
            shape: raw_shape,
            strides,
        });
    }
    // byte_offset
    let data = t.data as usize;
    let address = usize::try_from(t.byte_offset)
        .ok()
        .and_then(|off| data.checked_add(off))
        .ok_or(DlpackError::ByteOffsetOverflow {
            data,
            byte_offset: t.byte_offset,
        })?;
    // dtype lanes, then code/bits
    let dtype = DType::from_dlpack(t.dtype.code.0, t.dtype.bits, t.dtype.lanes)?;
    let bytes = count
        .checked_mul(dtype.size())
        .filter(|&b| b <= isize::MAX as usize)
        .ok_or_else(|| overflow(dtype.size()))?;
    if count > 0 && data == 0 {
        return Err(DlpackError::NullData { len: count });
    }
    // Every element the strides name must have an address: the lowest and highest byte
    // reached must lie inside the address space (the gather below computes them).
    if count > 0 && !compact {
        let size = dtype.size() as i128;
        let (mut lo, mut hi) = (0i128, 0i128);
        for (&e, &st) in shape.iter().zip(&strides) {
            let span = (e as i128 - 1) * i128::from(st);
            lo += span.min(0);
            hi += span.max(0);
        }
        let first = address as i128 + lo * size;
        let end = address as i128 + (hi + 1) * size;
        if first < 0 || end > isize::MAX as i128 || end - first > isize::MAX as i128 {
            return Err(DlpackError::StridesOverflow {
                shape: raw_shape,
                strides,
                itemsize: dtype.size(),
                address,
            });
        }
    }
    // alignment
    let align = dtype.align();
    let aligned = count == 0 || address.is_multiple_of(align);
    if !aligned && opts.copy == Some(false) {
        if data.is_multiple_of(align) {
            return Err(DlpackError::MisalignedByteOffset {
                byte_offset: t.byte_offset,
                dtype,
                align,
            });
        }
        return Err(DlpackError::Misaligned {
            address,
            dtype,
            align,
        });
    }
    // device
    let device = Device::from_dlpack(t.device.device_type.0, t.device.device_id)?;
    Ok(Layout {
        shape,
        strides,
        compact,
        count,
        dtype,
        bytes,
        address,
        aligned,
        device,
    })
}

/// # Safety
/// As for [`import_versioned`]; `owner` owns the tensor `t` was read from.
unsafe fn import_tensor(
    owner: ForeignTensor,
    t: &DLTensor,
    version: Option<(u32, u32)>,
    producer_copied: bool,
    opts: &ImportOptions,
) -> Result<Imported, BufferError> {
    // On error `owner` drops here, calling the deleter.
    // SAFETY: forwarded.
    let l = unsafe { validate(t, version, opts) }?;
    let read_only = owner.read_only;
    let needs_copy = !l.compact || !l.aligned;
    let copy = opts.copy == Some(true) || needs_copy;
    if !copy {
        let storage = Storage::foreign(owner, l.address, l.bytes, l.device);
        return Ok(Imported {
            buffer: Buffer::from_storage(storage, l.dtype, l.count),
            shape: l.shape,
            read_only,
            producer_copied,
            copied: false,
        });
    }
    let buffer = if l.device.is_host_accessible() {
        // SAFETY: the caller guarantees the data described by the fields is readable.
        unsafe { gather_host(&l)? }
    } else if l.compact {
        // Device data: copy bytes on the device (no alignment needed for a byte copy).
        let view = Buffer::from_storage(
            Storage::foreign(owner, l.address, l.bytes, l.device),
            l.dtype,
            l.count,
        );
        let out = view.copy_to(l.device)?;
        drop(view);
        return Ok(Imported {
            buffer: out,
            shape: l.shape,
            read_only,
            producer_copied,
            copied: true,
        });
    } else {
        return Err(DlpackError::NonCompactStrides {
            shape: l.shape.iter().map(|&e| e as i64).collect(),
            strides: l.strides,
        }
        .into());
    };
    drop(owner);
    Ok(Imported {
        buffer,
        shape: l.shape,
        read_only,
        producer_copied,
        copied: true,
    })
}

/// Copies a (possibly strided, possibly misaligned) host tensor into a fresh aligned buffer.
///
/// # Safety
/// Every element address `address + (Σ i_d·stride_d)·itemsize` must be readable.
unsafe fn gather_host(l: &Layout) -> Result<Buffer, BufferError> {
    let mut out = BufferMut::zeroed(l.dtype, l.count)?;
    let size = l.dtype.size();
    if l.count == 0 {
        return Ok(out.freeze());
    }
    let dst = out.as_bytes_mut();
    if l.compact {
        // SAFETY: `bytes` readable from `address` (caller); byte copy, so alignment is irrelevant.
        unsafe { std::ptr::copy_nonoverlapping(l.address as *const u8, dst.as_mut_ptr(), l.bytes) };
        return Ok(out.freeze());
    }
    let (rows, cols) = if l.shape.len() == 2 {
        (l.shape[0], l.shape[1])
    } else {
        (1, l.shape[0])
    };
    let (rs, cs) = if l.strides.len() == 2 {
        (l.strides[0], l.strides[1])
    } else {
        (0, l.strides[0])
    };
    let size_i = size as isize;
    let mut k = 0usize;
    for r in 0..rows {
        for c in 0..cols {
            // Offsets within the producer's tensor; wrapping math mirrors the pointer arithmetic
            // the producer's own layout implies (the caller guarantees the addresses are valid).
            let elem = (r as isize)
                .wrapping_mul(rs as isize)
                .wrapping_add((c as isize).wrapping_mul(cs as isize));
            let src = (l.address as *const u8).wrapping_offset(elem.wrapping_mul(size_i));
            // SAFETY: `src` is a readable element (caller); `dst[k*size..]` is in bounds.
            unsafe {
                std::ptr::copy_nonoverlapping(src, dst.as_mut_ptr().add(k * size), size);
            }
            k += 1;
        }
    }
    Ok(out.freeze())
}
