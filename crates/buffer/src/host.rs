//! Owned, 64-byte aligned host memory and the writable [`BufferMut`].

use std::ptr::NonNull;

use crate::Device;
use crate::buffer::{Buffer, Storage};
use crate::dtype::{DType, Element};
use crate::error::BufferError;

/// Alignment of owned host allocations (a cache line; enough for every element type and SIMD).
pub const HOST_ALIGN: usize = 64;

/// A zero-initialised host allocation of `bytes` bytes, aligned to [`HOST_ALIGN`].
///
/// Allocated with `calloc(bytes + 64)` and aligned up inside: large `calloc`s are served by fresh
/// `mmap` pages that the OS zeroes lazily, whereas `alloc_zeroed` with a 64-byte alignment writes
/// every page up front.
#[derive(Debug)]
pub(crate) struct HostAlloc {
    /// What `calloc` returned (freed on drop).
    raw: NonNull<u8>,
    /// `raw` aligned up to `HOST_ALIGN`.
    aligned: NonNull<u8>,
    bytes: usize,
}

// SAFETY: `HostAlloc` uniquely owns its heap block; moving it between threads or sharing `&` is
// fine because it exposes no interior mutability (writes need `&mut`).
unsafe impl Send for HostAlloc {}
// SAFETY: see `Send`.
unsafe impl Sync for HostAlloc {}

impl HostAlloc {
    /// Allocates `bytes` zeroed bytes.
    pub(crate) fn zeroed(bytes: usize) -> Result<Self, BufferError> {
        let oom = BufferError::OutOfMemory {
            bytes,
            device: Device::Cpu,
        };
        let total = bytes.checked_add(HOST_ALIGN).ok_or(oom.clone())?;
        if total > isize::MAX as usize {
            return Err(oom);
        }
        // SAFETY: calloc with a non-zero size; a NULL result is handled below.
        let raw = unsafe { libc::calloc(total, 1) }.cast::<u8>();
        let raw = NonNull::new(raw).ok_or(oom)?;
        let pad = raw.as_ptr().align_offset(HOST_ALIGN);
        // `pad < HOST_ALIGN` because calloc returns at least 1-byte-aligned memory, and the block
        // holds `bytes + HOST_ALIGN` bytes, so `[pad, pad + bytes)` stays inside it.
        debug_assert!(pad < HOST_ALIGN);
        // SAFETY: `pad < HOST_ALIGN <= total`, so the result stays in the allocation and non-null.
        let aligned = unsafe { NonNull::new_unchecked(raw.as_ptr().add(pad)) };
        crate::hugepage::advise(aligned.as_ptr(), bytes);
        Ok(HostAlloc {
            raw,
            aligned,
            bytes,
        })
    }

    /// The aligned start.
    pub(crate) fn ptr(&self) -> *mut u8 {
        self.aligned.as_ptr()
    }

    /// Usable size in bytes.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Drop for HostAlloc {
    fn drop(&mut self) {
        // SAFETY: `raw` came from `calloc` and is freed exactly once, here.
        unsafe { libc::free(self.raw.as_ptr().cast()) }
    }
}

/// A uniquely owned, writable, zero-initialised host buffer: the output of conversions.
/// Write it (possibly in parallel through disjoint `chunks_mut`), then [`BufferMut::freeze`] it.
#[derive(Debug)]
pub struct BufferMut {
    alloc: HostAlloc,
    dtype: DType,
    len: usize,
}

impl BufferMut {
    /// `len` zeroed elements of `dtype` (zero is a valid value of every dtype, including bool).
    pub fn zeroed(dtype: DType, len: usize) -> Result<Self, BufferError> {
        let bytes = len
            .checked_mul(dtype.size())
            .ok_or(BufferError::SizeOverflow { len, dtype })?;
        Ok(BufferMut {
            alloc: HostAlloc::zeroed(bytes)?,
            dtype,
            len,
        })
    }

    /// A copy of `data` in a fresh 64-byte aligned allocation.
    pub fn from_slice<T: Element>(data: &[T]) -> Result<Self, BufferError> {
        let mut out = BufferMut::zeroed(T::DTYPE, data.len())?;
        out.as_mut_slice::<T>()?.copy_from_slice(data);
        Ok(out)
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the buffer has no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Size in bytes.
    pub fn nbytes(&self) -> usize {
        self.alloc.bytes()
    }

    /// The raw bytes, writable.
    pub fn as_bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: the allocation holds `bytes` initialised (zeroed) bytes, is uniquely borrowed
        // through `&mut self`, and `bytes <= isize::MAX`.
        unsafe { std::slice::from_raw_parts_mut(self.alloc.ptr(), self.alloc.bytes()) }
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: as in `as_bytes_mut`, shared borrow.
        unsafe { std::slice::from_raw_parts(self.alloc.ptr(), self.alloc.bytes()) }
    }

    /// A typed writable view. `T::DTYPE` must equal the dtype (use `u8` for `Bool` buffers only
    /// through writes of 0 or 1: [`BufferMut::freeze`] does not re-validate).
    pub fn as_mut_slice<T: Element>(&mut self) -> Result<&mut [T], BufferError> {
        self.check::<T>()?;
        let len = self.len;
        // SAFETY: dtype matches (or Bool viewed as u8), the pointer is 64-byte aligned, the
        // allocation holds len * size_of::<T>() initialised bytes, and any bit pattern is a valid
        // T (Element: Pod). The borrow is unique through `&mut self`.
        Ok(unsafe { std::slice::from_raw_parts_mut(self.alloc.ptr().cast::<T>(), len) })
    }

    /// A typed view.
    pub fn as_slice<T: Element>(&self) -> Result<&[T], BufferError> {
        self.check::<T>()?;
        // SAFETY: as in `as_mut_slice`, shared borrow.
        Ok(unsafe { std::slice::from_raw_parts(self.alloc.ptr().cast::<T>(), self.len) })
    }

    fn check<T: Element>(&self) -> Result<(), BufferError> {
        let ok = T::DTYPE == self.dtype || (self.dtype == DType::Bool && T::DTYPE == DType::U8);
        if ok {
            Ok(())
        } else {
            Err(BufferError::DTypeMismatch {
                expected: T::DTYPE,
                found: self.dtype,
            })
        }
    }

    /// Freezes into an immutable, shareable [`Buffer`] without copying.
    ///
    /// For a `Bool` buffer the caller must have written only 0 and 1 (it was zeroed).
    pub fn freeze(self) -> Buffer {
        let ptr = self.alloc.ptr() as usize;
        Buffer::from_storage(Storage::host(self.alloc, ptr), self.dtype, self.len)
    }
}
