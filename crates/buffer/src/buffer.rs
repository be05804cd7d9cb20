//! The immutable, shared [`Buffer`] and the memory that backs it.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use crate::Device;
use crate::cuda::{self, DeviceAlloc, PinnedAlloc};
use crate::dlpack::import::ForeignTensor;
use crate::dtype::{DType, Element};
use crate::error::BufferError;
use crate::host::{BufferMut, HostAlloc};

/// Who frees the memory behind a [`Storage`].
pub(crate) enum Owner {
    /// 64-byte aligned host memory from `calloc`.
    Host(#[allow(dead_code)] HostAlloc),
    /// A `Vec<T>` adopted without copying (`Buffer::from_vec`).
    Vec(#[allow(dead_code)] Box<dyn Any + Send + Sync>),
    /// CUDA device memory allocated here.
    Cuda(#[allow(dead_code)] DeviceAlloc),
    /// Pinned host memory allocated here.
    Pinned(#[allow(dead_code)] PinnedAlloc),
    /// An imported DLPack tensor: its deleter runs when this is dropped, exactly once.
    Foreign(ForeignTensor),
}

/// A region of memory with its owner. Shared by all views through an `Arc`.
pub(crate) struct Storage {
    /// Start address (host pointer or `CUdeviceptr`); may be 0 when `bytes == 0`.
    addr: usize,
    /// Size in bytes.
    bytes: usize,
    device: Device,
    owner: Owner,
}

impl Storage {
    pub(crate) fn host(alloc: HostAlloc, addr: usize) -> Self {
        Storage {
            addr,
            bytes: alloc.bytes(),
            device: Device::Cpu,
            owner: Owner::Host(alloc),
        }
    }

    pub(crate) fn foreign(
        foreign: ForeignTensor,
        addr: usize,
        bytes: usize,
        device: Device,
    ) -> Self {
        Storage {
            addr,
            bytes,
            device,
            owner: Owner::Foreign(foreign),
        }
    }

    pub(crate) fn cuda(alloc: DeviceAlloc) -> Self {
        Storage {
            addr: alloc.ptr as usize,
            bytes: alloc.bytes,
            device: alloc.dev.location(),
            owner: Owner::Cuda(alloc),
        }
    }

    fn pinned(alloc: PinnedAlloc) -> Self {
        Storage {
            addr: alloc.ptr as usize,
            bytes: alloc.bytes,
            device: Device::CudaHost,
            owner: Owner::Pinned(alloc),
        }
    }
}

/// An immutable, cheaply clonable (`Arc`) typed region of memory on one [`Device`].
///
/// Views made by [`Buffer::slice`] and [`Buffer::reinterpret`] share ownership: the memory is
/// freed (or the DLPack producer's deleter called) when the last view drops.
#[derive(Clone)]
pub struct Buffer {
    storage: Arc<Storage>,
    /// Offset of this view in bytes from `storage.addr`.
    offset: usize,
    len: usize,
    dtype: DType,
}

impl fmt::Debug for Buffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.storage.owner {
            Owner::Host(_) => "host",
            Owner::Vec(_) => "vec",
            Owner::Cuda(_) => "cuda",
            Owner::Pinned(_) => "pinned",
            Owner::Foreign(_) => "foreign",
        };
        f.debug_struct("Buffer")
            .field("dtype", &self.dtype)
            .field("len", &self.len)
            .field("device", &self.storage.device)
            .field("owner", &kind)
            .field("offset", &self.offset)
            .finish()
    }
}

impl Buffer {
    pub(crate) fn from_storage(storage: Storage, dtype: DType, len: usize) -> Self {
        // Invariant of every caller: the view covers exactly the storage's checked byte size.
        debug_assert_eq!(len.checked_mul(dtype.size()), Some(storage.bytes));
        Buffer {
            storage: Arc::new(storage),
            offset: 0,
            len,
            dtype,
        }
    }

    /// Adopts a `Vec` without copying (the buffer is aligned as `T`, not to 64 bytes).
    pub fn from_vec<T: Element>(v: Vec<T>) -> Self {
        let len = v.len();
        let addr = v.as_ptr() as usize;
        // size_of_val of an existing slice cannot overflow.
        let bytes = std::mem::size_of_val(v.as_slice());
        let storage = Storage {
            addr,
            bytes,
            device: Device::Cpu,
            owner: Owner::Vec(Box::new(v)),
        };
        Buffer::from_storage(storage, T::DTYPE, len)
    }

    /// Copies `data` into a new 64-byte aligned host buffer.
    pub fn from_slice<T: Element>(data: &[T]) -> Result<Self, BufferError> {
        Ok(BufferMut::from_slice(data)?.freeze())
    }

    /// `len` zeroed elements on `device` (`Cpu`, `Cuda(n)` or `CudaHost`).
    pub fn zeroed(dtype: DType, len: usize, device: Device) -> Result<Self, BufferError> {
        let host = BufferMut::zeroed(dtype, len)?.freeze();
        match device {
            Device::Cpu => Ok(host),
            _ => host.copy_to(device),
        }
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Size of this view in bytes.
    pub fn nbytes(&self) -> usize {
        // Checked at construction: every view lies inside its storage.
        self.len * self.dtype.size()
    }

    /// Where the memory lives.
    pub fn device(&self) -> Device {
        self.storage.device
    }

    /// Address of this view's first element: a host pointer, or a `CUdeviceptr` for
    /// `Device::Cuda` (pass it as a `u64` kernel argument). May be 0 for an empty buffer.
    pub fn address(&self) -> usize {
        self.storage.addr.wrapping_add(self.offset)
    }

    /// The device pointer for kernel launches; error unless the buffer is on `Device::Cuda`.
    pub fn cuda_ptr(&self) -> Result<u64, BufferError> {
        match self.device() {
            Device::Cuda(_) => Ok(self.address() as u64),
            device => Err(BufferError::UnsupportedTarget {
                device,
                op: "cuda_ptr",
            }),
        }
    }

    /// Whether this buffer is imported read-only third-party data (a DLPack READ_ONLY tensor).
    pub fn is_foreign_read_only(&self) -> bool {
        matches!(&self.storage.owner, Owner::Foreign(f) if f.read_only())
    }

    /// Whether this buffer was imported through DLPack (the producer still owns the memory).
    pub fn is_foreign(&self) -> bool {
        matches!(self.storage.owner, Owner::Foreign(_))
    }

    /// Whether no other view shares this buffer's memory.
    pub fn is_unique(&self) -> bool {
        Arc::strong_count(&self.storage) == 1 && Arc::weak_count(&self.storage) == 0
    }

    /// Whether two buffers share the same underlying memory (are views of one allocation).
    pub fn shares_memory_with(&self, other: &Buffer) -> bool {
        Arc::ptr_eq(&self.storage, &other.storage)
    }

    /// A zero-copy sub-view of `len` elements starting at element `offset`.
    pub fn slice(&self, offset: usize, len: usize) -> Result<Buffer, BufferError> {
        let oob = BufferError::OutOfBounds {
            offset,
            len,
            buffer_len: self.len,
        };
        let end = offset.checked_add(len).ok_or(oob.clone())?;
        if end > self.len {
            return Err(oob);
        }
        Ok(Buffer {
            storage: self.storage.clone(),
            // offset * size <= len * size, which fits (checked when the view was made).
            offset: self.offset + offset * self.dtype.size(),
            len,
            dtype: self.dtype,
        })
    }

    /// A zero-copy view as another dtype of the same total size (e.g. bool → u8,
    /// complex128 → 2×len f64, u64 → i64). Reinterpreting *into* `Bool` is refused unless the
    /// source is `Bool` (arbitrary bytes are not valid booleans).
    pub fn reinterpret(&self, dtype: DType) -> Result<Buffer, BufferError> {
        let err = |reason| BufferError::Reinterpret {
            from: self.dtype,
            to: dtype,
            len: self.len,
            reason,
        };
        if dtype == DType::Bool && self.dtype != DType::Bool {
            return Err(err("only bool data may be viewed as bool"));
        }
        let bytes = self.nbytes();
        if !bytes.is_multiple_of(dtype.size()) {
            return Err(err(
                "the byte size is not a multiple of the target element size",
            ));
        }
        if self.len > 0 && !self.address().is_multiple_of(dtype.align()) {
            return Err(err("the address is not aligned for the target dtype"));
        }
        Ok(Buffer {
            storage: self.storage.clone(),
            offset: self.offset,
            len: bytes / dtype.size(),
            dtype,
        })
    }

    /// The bytes of this view; error unless host-accessible.
    pub fn as_bytes(&self) -> Result<&[u8], BufferError> {
        if !self.device().is_host_accessible() {
            return Err(BufferError::NotHostAccessible {
                device: self.device(),
            });
        }
        if self.len == 0 {
            return Ok(&[]);
        }
        // SAFETY: the view lies inside the storage (checked at construction and in `slice`),
        // the memory is host-accessible, non-null for a non-empty view (checked on import,
        // guaranteed by our allocators), immutable while any `Buffer` exists, and kept alive by
        // `self.storage` for the returned borrow.
        Ok(unsafe { std::slice::from_raw_parts(self.address() as *const u8, self.nbytes()) })
    }

    /// A typed view of host-accessible memory. `T::DTYPE` must equal the dtype.
    pub fn as_slice<T: Element>(&self) -> Result<&[T], BufferError> {
        if T::DTYPE != self.dtype {
            return Err(BufferError::DTypeMismatch {
                expected: T::DTYPE,
                found: self.dtype,
            });
        }
        let bytes = self.as_bytes()?;
        if bytes.is_empty() {
            return Ok(&[]);
        }
        // Alignment holds for our allocations and was checked (or fixed by a copy) on import.
        bytemuck::try_cast_slice(bytes).map_err(|_| BufferError::Reinterpret {
            from: self.dtype,
            to: T::DTYPE,
            len: self.len,
            reason: "the address is not aligned for the element type",
        })
    }

    /// Copies the elements into a `Vec`, from any device.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>, BufferError> {
        if T::DTYPE != self.dtype {
            return Err(BufferError::DTypeMismatch {
                expected: T::DTYPE,
                found: self.dtype,
            });
        }
        if self.device().is_host_accessible() {
            return Ok(self.as_slice::<T>()?.to_vec());
        }
        let host = self.copy_to(Device::Cpu)?;
        Ok(host.as_slice::<T>()?.to_vec())
    }

    /// This buffer on `device`: a clone when it is already there, otherwise a copy.
    pub fn to_device(&self, device: Device) -> Result<Buffer, BufferError> {
        if device == self.device() {
            Ok(self.clone())
        } else {
            self.copy_to(device)
        }
    }

    /// A fresh copy on `device` (`Cpu`, `Cuda(n)` or `CudaHost`), even on the same device.
    ///
    /// Host→device and device→host copies complete before returning; a device→device copy on
    /// the same ordinal is queued on sparsebridge's stream of that device.
    pub fn copy_to(&self, device: Device) -> Result<Buffer, BufferError> {
        let bytes = self.nbytes();
        let src = self.device();
        match device {
            Device::Cpu => {
                let mut out = BufferMut::zeroed(self.dtype, self.len)?;
                match src {
                    Device::Cuda(n) => {
                        let dev = cuda::device(n)?;
                        // SAFETY: our address range is device memory of ordinal n, alive for
                        // `bytes` bytes while `self` lives.
                        unsafe { dev.dtoh(out.as_bytes_mut(), self.address() as u64)? };
                    }
                    _ => out.as_bytes_mut().copy_from_slice(self.as_bytes()?),
                }
                Ok(out.freeze())
            }
            Device::Cuda(n) => {
                let dev = cuda::device(n)?;
                let alloc = dev.alloc(bytes)?;
                match src {
                    Device::Cuda(m) if m == n => {
                        // SAFETY: both ranges are device memory of this context; `alloc` syncs the
                        // stream before freeing, and `self` is kept alive by the caller until the
                        // copy is ordered (storage drops also sync our stream for owned memory).
                        unsafe { dev.dtod(alloc.ptr, self.address() as u64, bytes)? };
                        if self.is_foreign() {
                            // The producer may free its memory as soon as our view drops.
                            dev.synchronize()?;
                        }
                    }
                    Device::Cuda(_) => {
                        let staged = self.copy_to(Device::Cpu)?;
                        // SAFETY: `alloc` is valid for `bytes` bytes on this device.
                        unsafe { dev.htod(alloc.ptr, staged.as_bytes()?)? };
                    }
                    _ => {
                        // SAFETY: `alloc` is valid for `bytes` bytes on this device.
                        unsafe { dev.htod(alloc.ptr, self.as_bytes()?)? };
                    }
                }
                Ok(Buffer::from_storage(
                    Storage::cuda(alloc),
                    self.dtype,
                    self.len,
                ))
            }
            Device::CudaHost => {
                let dev = cuda::device(0)?;
                let alloc = dev.alloc_pinned(bytes)?;
                // SAFETY: fresh pinned allocation of at least `bytes` bytes, uniquely owned here.
                let dst = unsafe { std::slice::from_raw_parts_mut(alloc.ptr, bytes) };
                match src {
                    Device::Cuda(n) => {
                        let sdev = cuda::device(n)?;
                        // SAFETY: our range is device memory of ordinal n.
                        unsafe { sdev.dtoh(dst, self.address() as u64)? };
                    }
                    _ => dst.copy_from_slice(self.as_bytes()?),
                }
                Ok(Buffer::from_storage(
                    Storage::pinned(alloc),
                    self.dtype,
                    self.len,
                ))
            }
            Device::CudaManaged => Err(BufferError::UnsupportedTarget {
                device,
                op: "copy_to",
            }),
        }
    }
}
