//! DLPack export of a [`Buffer`] as a 1-D tensor.

use std::ptr::NonNull;

use dlpark::DlpackFlags;
use dlpark::ffi::{
    DLDataType, DLDataTypeCode, DLDevice, DLDeviceType, DLManagedTensor, DLManagedTensorVersioned,
    DLPackVersion, DLTensor,
};

use crate::Device;
use crate::buffer::Buffer;
use crate::cuda;
use crate::dlpack::request::{Abi, ExportRequest, StreamSync};
use crate::dlpack::{DLPACK_MAJOR, FLAG_IS_COPIED, FLAG_READ_ONLY};
use crate::error::{BufferError, DlpackError};

/// A versioned tensor and everything it points to, in one heap block. `managed` is the first
/// field of a `repr(C)` struct, so the pointer handed out is also the pointer to the whole box.
#[repr(C)]
struct VersionedBox {
    managed: DLManagedTensorVersioned,
    shape: [i64; 1],
    strides: [i64; 1],
    buffer: Buffer,
}

/// The legacy counterpart of [`VersionedBox`].
#[repr(C)]
struct LegacyBox {
    managed: DLManagedTensor,
    shape: [i64; 1],
    strides: [i64; 1],
    buffer: Buffer,
}

unsafe extern "C" fn delete_versioned(p: *mut DLManagedTensorVersioned) {
    if p.is_null() {
        return;
    }
    // SAFETY: every tensor carrying this deleter was made by `Box::into_raw` of a `VersionedBox`
    // whose first field is the managed tensor (repr(C)), and the DLPack contract calls the deleter
    // once. Dropping the `Buffer` inside never panics.
    drop(unsafe { Box::from_raw(p.cast::<VersionedBox>()) });
}

unsafe extern "C" fn delete_legacy(p: *mut DLManagedTensor) {
    if p.is_null() {
        return;
    }
    // SAFETY: as in `delete_versioned`, for `LegacyBox`.
    drop(unsafe { Box::from_raw(p.cast::<LegacyBox>()) });
}

/// An exported tensor that is not handed over yet. Dropping it calls its deleter; hand it to a
/// consumer (a capsule) with [`ExportedTensor::into_raw`].
#[derive(Debug)]
pub struct ExportedTensor {
    raw: RawTensor,
}

/// A raw managed tensor whose deleter the receiver must call exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawTensor {
    /// For a `"dltensor_versioned"` capsule.
    Versioned(*mut DLManagedTensorVersioned),
    /// For a `"dltensor"` capsule.
    Legacy(*mut DLManagedTensor),
}

// SAFETY: the tensor owns a `Buffer` (Send + Sync) and plain metadata; its deleter may run on any
// thread.
unsafe impl Send for ExportedTensor {}

impl ExportedTensor {
    /// Gives up ownership: the receiver must call the deleter exactly once.
    pub fn into_raw(self) -> RawTensor {
        let raw = self.raw;
        std::mem::forget(self);
        raw
    }

    /// Imports this tensor back (the consumer side of a hand-off inside one process, as a
    /// protocol consumer would after receiving the capsule). Safe: the tensor is one we exported,
    /// valid, and owned exactly once.
    pub fn import(
        self,
        opts: &crate::dlpack::import::ImportOptions,
    ) -> Result<crate::dlpack::import::Imported, BufferError> {
        let raw = self.into_raw();
        // SAFETY: `raw` comes from our own exporter, is fully initialised and live, and
        // `into_raw` handed its single ownership to this call, which calls the deleter once.
        unsafe { crate::dlpack::import::import_raw(raw, opts) }
    }

    /// The managed tensor, still owned by `self` (for tables of pointers handed to a consumer
    /// that borrows them while `self` lives; the consumer must not call the deleter). `None` for
    /// a legacy tensor.
    pub fn as_versioned_ptr(&self) -> Option<*mut DLManagedTensorVersioned> {
        match self.raw {
            RawTensor::Versioned(p) => Some(p),
            RawTensor::Legacy(_) => None,
        }
    }

    /// Whether this is a versioned tensor.
    pub fn is_versioned(&self) -> bool {
        matches!(self.raw, RawTensor::Versioned(_))
    }

    /// The DLPack version (versioned only).
    pub fn version(&self) -> Option<(u32, u32)> {
        match self.raw {
            // SAFETY: we own the live tensor.
            RawTensor::Versioned(p) => unsafe { Some(((*p).version.major, (*p).version.minor)) },
            RawTensor::Legacy(_) => None,
        }
    }

    /// The flags (0 for legacy).
    pub fn flags(&self) -> u64 {
        match self.raw {
            // SAFETY: we own the live tensor.
            RawTensor::Versioned(p) => unsafe { (*p).flags.bits() },
            RawTensor::Legacy(_) => 0,
        }
    }

    /// The tensor description.
    pub fn tensor(&self) -> &DLTensor {
        match self.raw {
            // SAFETY: we own the live tensor for the borrow of `self`.
            RawTensor::Versioned(p) => unsafe { &(*p).dl_tensor },
            // SAFETY: as above.
            RawTensor::Legacy(p) => unsafe { &(*p).dl_tensor },
        }
    }
}

impl Drop for ExportedTensor {
    fn drop(&mut self) {
        match self.raw {
            // SAFETY: not handed out (into_raw forgets self), so we call the deleter once.
            RawTensor::Versioned(p) => unsafe { delete_versioned(p) },
            // SAFETY: as above.
            RawTensor::Legacy(p) => unsafe { delete_legacy(p) },
        }
    }
}

fn dl_tensor(buffer: &Buffer, device: Device) -> DLTensor {
    let (code, bits, lanes) = buffer.dtype().to_dlpack();
    let (device_type, device_id) = device.to_dlpack();
    let data = if buffer.is_empty() {
        std::ptr::null_mut()
    } else {
        buffer.address() as *mut std::ffi::c_void
    };
    DLTensor {
        data,
        device: DLDevice {
            device_type: DLDeviceType(device_type),
            device_id,
        },
        ndim: 1,
        dtype: DLDataType {
            code: DLDataTypeCode(code),
            bits,
            lanes,
        },
        shape: std::ptr::null_mut(),
        strides: std::ptr::null_mut(),
        byte_offset: 0,
    }
}

/// Exports `buffer` as a 1-D tensor according to `req`.
///
/// Policy (docs/ownership.md):
/// - the exported data lives on `req.dl_device` (default: the buffer's device); a different
///   device, or `copy=Some(true)`, makes a copy and sets `IS_COPIED`; `copy=Some(false)` then
///   fails with [`DlpackError::CopyRequired`]. Pinned memory may be tagged `cpu` without a copy;
/// - `READ_ONLY` is set unless the consumer receives a copy or the only reference to memory
///   sparsebridge may hand out (`buffer` unique and not read-only foreign data);
/// - legacy consumers get no flags: sparsebridge-owned memory is exported anyway (documented:
///   do not mutate); read-only third-party imports are copied, or rejected with
///   [`DlpackError::ReadOnlyToLegacy`] under `copy=Some(false)`;
/// - CUDA data: an event is recorded on sparsebridge's stream and the consumer's stream waits on
///   it (`stream=-1`: nothing); host data needs `stream=None`.
pub fn export(buffer: Buffer, req: &ExportRequest) -> Result<ExportedTensor, BufferError> {
    let own = buffer.device();
    let target = req.dl_device.unwrap_or(own);
    let retag = own == Device::CudaHost && target == Device::Cpu;
    let device_copy = target != own && !retag;
    if matches!(target, Device::CudaManaged) && own != Device::CudaManaged {
        return Err(DlpackError::UnsupportedDevice {
            device_type: target.to_dlpack().0,
            device_id: target.to_dlpack().1,
        }
        .into());
    }
    let legacy_read_only = req.abi == Abi::Legacy && buffer.is_foreign_read_only();
    let copy = req.copy == Some(true) || device_copy || legacy_read_only;
    if copy && req.copy == Some(false) {
        if legacy_read_only && !device_copy {
            return Err(DlpackError::ReadOnlyToLegacy.into());
        }
        return Err(DlpackError::CopyRequired {
            reason: format!("the data is on {own}, {target} was requested"),
        }
        .into());
    }
    // Validate the stream before any copy work.
    let sync = req.stream.for_device(target)?;
    let buffer = if copy {
        buffer.copy_to(target)?
    } else {
        buffer
    };
    if let (StreamSync::Wait(consumer), Device::Cuda(n)) = (sync, target) {
        cuda::device(n)?.make_stream_wait(consumer)?;
    }
    let read_only = !copy && (!buffer.is_unique() || buffer.is_foreign_read_only());
    let mut flags = 0;
    if read_only {
        flags |= FLAG_READ_ONLY;
    }
    if copy {
        flags |= FLAG_IS_COPIED;
    }
    let tensor = dl_tensor(&buffer, target);
    let len = i64::try_from(buffer.len()).map_err(|_| BufferError::SizeOverflow {
        len: buffer.len(),
        dtype: buffer.dtype(),
    })?;
    let raw = match req.abi {
        Abi::Versioned { minor } => {
            let b = Box::new(VersionedBox {
                managed: DLManagedTensorVersioned {
                    version: DLPackVersion {
                        major: DLPACK_MAJOR,
                        minor,
                    },
                    manager_ctx: std::ptr::null_mut(),
                    deleter: Some(delete_versioned),
                    flags: DlpackFlags::from_bits_retain(flags),
                    dl_tensor: tensor,
                },
                shape: [len],
                strides: [1],
                buffer,
            });
            let p = Box::into_raw(b);
            // SAFETY: `p` is a fresh, valid box; the shape/strides pointers point into the same
            // heap block, which lives until the deleter frees it.
            unsafe {
                (*p).managed.dl_tensor.shape = (&raw mut (*p).shape).cast();
                (*p).managed.dl_tensor.strides = (&raw mut (*p).strides).cast();
                (*p).managed.manager_ctx = p.cast();
            }
            RawTensor::Versioned(p.cast())
        }
        Abi::Legacy => {
            let b = Box::new(LegacyBox {
                managed: DLManagedTensor {
                    dl_tensor: tensor,
                    manager_ctx: std::ptr::null_mut(),
                    deleter: Some(delete_legacy),
                },
                shape: [len],
                strides: [1],
                buffer,
            });
            let p = Box::into_raw(b);
            // SAFETY: as above.
            unsafe {
                (*p).managed.dl_tensor.shape = (&raw mut (*p).shape).cast();
                (*p).managed.dl_tensor.strides = (&raw mut (*p).strides).cast();
                (*p).managed.manager_ctx = p.cast();
            }
            RawTensor::Legacy(p.cast())
        }
    };
    debug_assert!(match raw {
        RawTensor::Versioned(p) => NonNull::new(p).is_some(),
        RawTensor::Legacy(p) => NonNull::new(p).is_some(),
    });
    Ok(ExportedTensor { raw })
}

/// `export(buffer, &ExportRequest::default())`: versioned 1.3, own device, no copy unless needed.
pub fn export_versioned(buffer: Buffer) -> Result<ExportedTensor, BufferError> {
    export(buffer, &ExportRequest::default())
}

/// `export(buffer, &ExportRequest::legacy())`.
pub fn export_legacy(buffer: Buffer) -> Result<ExportedTensor, BufferError> {
    export(buffer, &ExportRequest::legacy())
}
