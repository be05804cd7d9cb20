//! Typed errors of the buffer layer.
//!
//! [`BufferError`] is the crate's error. Its [`BufferError::DeviceUnavailable`] kind maps to Python's
//! `DeviceError`, and [`BufferError::Dlpack`] to Python's `BufferError` (see `docs/ownership.md`).

use crate::{DType, Device};

/// Why CUDA cannot be used on this machine. Returned by the cached probe ([`crate::cuda::probe`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceUnavailable {
    /// No driver library could be loaded, or a toolkit stub was loaded instead of a driver.
    #[error("no CUDA driver found ({detail})")]
    NoDriver {
        /// What was tried, e.g. "libcuda.so.1 could not be loaded".
        detail: String,
    },
    /// The driver loaded, but reports no CUDA-capable device.
    #[error("no CUDA device found (the CUDA driver reports: {detail})")]
    NoDevice {
        /// The driver's message, or a count.
        detail: String,
    },
    /// The requested ordinal does not exist.
    #[error("CUDA device {ordinal} does not exist (the driver reports {count} device(s))")]
    NoSuchDevice {
        /// The requested ordinal.
        ordinal: u16,
        /// How many devices the driver reports.
        count: usize,
    },
    /// The driver is older than the CUDA version sparsebridge is built for.
    #[error(
        "the CUDA driver is too old: it supports CUDA {found}, sparsebridge needs {required} \
         (versions as major*1000 + minor*10)"
    )]
    DriverTooOld {
        /// `cuDriverGetVersion`, or 0 when the driver reported a system mismatch.
        found: i32,
        /// The build-time CUDA version.
        required: i32,
    },
    /// NVRTC (`libnvrtc.so.13`) could not be loaded, so kernels cannot be compiled.
    #[error("no CUDA kernel compiler found (libnvrtc.so.13 could not be loaded)")]
    NoKernelCompiler,
    /// Any other driver failure during the probe.
    #[error("CUDA driver error during {op}: {name} ({code}): {message}")]
    Driver {
        /// The driver call that failed.
        op: &'static str,
        /// The `CUresult` code.
        code: u32,
        /// The `CUresult` name, e.g. `CUDA_ERROR_NO_DEVICE`.
        name: String,
        /// The driver's error string.
        message: String,
    },
}

/// A violation found while importing or exporting a DLPack tensor, or a bad `__dlpack__` request.
///
/// Every variant names the offending field and value. Python maps these to `BufferError`,
/// except [`DlpackError::InvalidStream`] and [`DlpackError::InvalidMaxVersion`] (bad arguments:
/// `ValueError`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DlpackError {
    /// The managed-tensor pointer was NULL.
    #[error("DLPack: the managed tensor pointer is NULL")]
    NullTensor,
    /// The versioned tensor's major version is not 1. The deleter was called; nothing else was read.
    #[error("DLPack: unsupported version {major}.{minor} (this build reads major version 1)")]
    UnsupportedVersion {
        /// `version.major`.
        major: u32,
        /// `version.minor`.
        minor: u32,
    },
    /// `ndim` is not one the caller accepts.
    #[error("DLPack: ndim = {ndim} is not supported (expected 1{})", if *.allow_2d { " or 2" } else { "" })]
    InvalidNdim {
        /// The tensor's `ndim`.
        ndim: i32,
        /// Whether 2-D C-contiguous tensors were accepted.
        allow_2d: bool,
    },
    /// `shape` is NULL although `ndim > 0`.
    #[error("DLPack: shape is NULL with ndim = {ndim}")]
    NullShape {
        /// The tensor's `ndim`.
        ndim: i32,
    },
    /// A shape entry is negative.
    #[error("DLPack: shape[{dim}] = {extent} is negative")]
    NegativeShape {
        /// The dimension.
        dim: usize,
        /// Its extent.
        extent: i64,
    },
    /// `strides` is NULL in a tensor of DLPack 1.2 or later, where it is mandatory.
    #[error("DLPack: strides is NULL in a version {major}.{minor} tensor (mandatory from 1.2)")]
    NullStrides {
        /// `version.major`.
        major: u32,
        /// `version.minor`.
        minor: u32,
    },
    /// The strides do not describe a compact (C-contiguous) tensor, and no copy was allowed.
    #[error("DLPack: strides {strides:?} for shape {shape:?} are not compact (C-contiguous)")]
    NonCompactStrides {
        /// The shape.
        shape: Vec<i64>,
        /// The strides, in elements.
        strides: Vec<i64>,
    },
    /// The strides reach elements outside the address space (before address 0 or past its end),
    /// so no producer can own the memory they describe.
    #[error(
        "DLPack: strides {strides:?} for shape {shape:?} ({itemsize}-byte elements from address {address:#x}) reach outside the address space"
    )]
    StridesOverflow {
        /// The shape.
        shape: Vec<i64>,
        /// The strides, in elements.
        strides: Vec<i64>,
        /// The element size in bytes.
        itemsize: usize,
        /// `data + byte_offset`.
        address: usize,
    },
    /// The element count or byte size overflows.
    #[error("DLPack: the size of shape {shape:?} with {itemsize}-byte elements overflows")]
    SizeOverflow {
        /// The shape.
        shape: Vec<i64>,
        /// The element size in bytes (0 before the dtype is known).
        itemsize: usize,
    },
    /// `data + byte_offset` overflows the address space.
    #[error("DLPack: data pointer {data:#x} + byte_offset {byte_offset} overflows")]
    ByteOffsetOverflow {
        /// The data pointer.
        data: usize,
        /// The byte offset.
        byte_offset: u64,
    },
    /// `lanes != 1` (vector types are not supported).
    #[error("DLPack: dtype lanes = {lanes} (only 1 is supported)")]
    Lanes {
        /// The lanes.
        lanes: u16,
    },
    /// The (code, bits) pair is not a supported element type.
    #[error("DLPack: unsupported dtype (code {code}, bits {bits}, lanes {lanes})")]
    UnsupportedDType {
        /// DLPack type code.
        code: u8,
        /// Bits per element.
        bits: u8,
        /// Lanes.
        lanes: u16,
    },
    /// `data` is NULL although the tensor has elements.
    #[error("DLPack: data is NULL for a tensor of {len} element(s)")]
    NullData {
        /// The element count.
        len: usize,
    },
    /// `byte_offset` is not a multiple of the element alignment.
    #[error("DLPack: byte_offset {byte_offset} is not a multiple of the {dtype} alignment {align}")]
    MisalignedByteOffset {
        /// The byte offset.
        byte_offset: u64,
        /// The dtype.
        dtype: DType,
        /// Its required alignment.
        align: usize,
    },
    /// `data + byte_offset` is not aligned for the element type, and no copy was allowed.
    #[error("DLPack: address {address:#x} is not aligned to {align} bytes for {dtype}")]
    Misaligned {
        /// `data + byte_offset`.
        address: usize,
        /// The dtype.
        dtype: DType,
        /// Its required alignment.
        align: usize,
    },
    /// The (device_type, device_id) pair is not supported.
    #[error("DLPack: unsupported device (device_type {device_type}, device_id {device_id})")]
    UnsupportedDevice {
        /// DLPack device type code.
        device_type: u32,
        /// Device id.
        device_id: i32,
    },
    /// A copy is needed but the caller passed `copy=False`.
    #[error("DLPack: a copy is required ({reason}) but copy=False was requested")]
    CopyRequired {
        /// Why a copy is needed.
        reason: String,
    },
    /// `stream` is not a valid value for the device (0 is ambiguous; CPU needs `None`).
    #[error("DLPack: invalid stream {stream} for device {device}: {reason}")]
    InvalidStream {
        /// The stream value.
        stream: i64,
        /// The exported data's device.
        device: String,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// `max_version` is malformed.
    #[error("DLPack: invalid max_version ({major}, {minor})")]
    InvalidMaxVersion {
        /// Major.
        major: i64,
        /// Minor.
        minor: i64,
    },
    /// Read-only third-party data requested by a legacy consumer with `copy=False`: the legacy ABI
    /// cannot carry the READ_ONLY flag.
    #[error(
        "DLPack: the legacy DLPack ABI cannot represent read-only data imported from another \
         library; request max_version >= (1, 0), or allow a copy"
    )]
    ReadOnlyToLegacy,
}

/// The buffer layer's error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BufferError {
    /// CUDA is not usable here (no driver, no device, old driver, no compiler).
    #[error(transparent)]
    DeviceUnavailable(#[from] DeviceUnavailable),
    /// A DLPack import or export failed.
    #[error(transparent)]
    Dlpack(#[from] DlpackError),
    /// A CUDA driver call failed after the probe succeeded.
    #[error("CUDA driver error during {op}: {name} ({code}): {message}")]
    Cuda {
        /// The operation.
        op: &'static str,
        /// The `CUresult` code.
        code: u32,
        /// The `CUresult` name.
        name: String,
        /// The driver's message.
        message: String,
    },
    /// The buffer's memory cannot be read from the host.
    #[error("buffer on device {device} is not host-accessible; copy it to \"cpu\" first")]
    NotHostAccessible {
        /// The buffer's device.
        device: Device,
    },
    /// A typed access asked for another element type.
    #[error("dtype mismatch: the buffer holds {found}, {expected} was requested")]
    DTypeMismatch {
        /// The requested dtype.
        expected: DType,
        /// The buffer's dtype.
        found: DType,
    },
    /// A sub-view exceeds the buffer.
    #[error(
        "slice [{offset}, {offset}+{len}) is out of bounds for a buffer of {buffer_len} elements"
    )]
    OutOfBounds {
        /// Offset in elements.
        offset: usize,
        /// Length in elements.
        len: usize,
        /// The buffer's length.
        buffer_len: usize,
    },
    /// A reinterpretation is not possible (size, alignment, or a bool target).
    #[error("cannot reinterpret {len} x {from} as {to}: {reason}")]
    Reinterpret {
        /// Source dtype.
        from: DType,
        /// Target dtype.
        to: DType,
        /// Source length.
        len: usize,
        /// Why.
        reason: &'static str,
    },
    /// A size computation overflowed.
    #[error("size overflow: {len} elements of {dtype}")]
    SizeOverflow {
        /// Elements.
        len: usize,
        /// Dtype.
        dtype: DType,
    },
    /// An allocation failed.
    #[error("out of memory allocating {bytes} bytes on {device}")]
    OutOfMemory {
        /// Requested bytes.
        bytes: usize,
        /// Where.
        device: Device,
    },
    /// A device string did not parse.
    #[error(
        "invalid device {input:?}: expected \"cpu\", \"cuda\", \"cuda:N\", \"cuda_host\" or \"cuda_managed\""
    )]
    InvalidDevice {
        /// The input.
        input: String,
    },
    /// A dtype string did not parse.
    #[error("invalid dtype {input:?}")]
    InvalidDType {
        /// The input.
        input: String,
    },
    /// Memory cannot be allocated or copied to this device kind.
    #[error("unsupported target device {device} for {op}")]
    UnsupportedTarget {
        /// The device.
        device: Device,
        /// The operation.
        op: &'static str,
    },
}

impl BufferError {
    /// Builds a [`BufferError::Cuda`] from a cudarc driver error.
    pub(crate) fn cuda(op: &'static str, err: cudarc::driver::DriverError) -> Self {
        let (code, name, message) = crate::cuda::describe(&err);
        BufferError::Cuda {
            op,
            code,
            name,
            message,
        }
    }
}
