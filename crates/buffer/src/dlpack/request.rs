//! Parsing of `__dlpack__(stream, max_version, dl_device, copy)` arguments.

use crate::Device;
use crate::dlpack::{DLPACK_MAJOR, DLPACK_MINOR};
use crate::error::DlpackError;

/// The ABI of an exported tensor, chosen by `max_version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Abi {
    /// `DLManagedTensor` in a `"dltensor"` capsule (`max_version` absent or major 0).
    Legacy,
    /// `DLManagedTensorVersioned` in a `"dltensor_versioned"` capsule, written as version
    /// `(1, minor)`.
    Versioned {
        /// The minor version written: `min(consumer's minor, 3)` when the consumer asked for
        /// major 1, else 3.
        minor: u32,
    },
}

/// The consumer's `stream` argument (binsparse-protocol.md §15), validated against the device of
/// the exported data by [`StreamRequest::for_device`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamRequest {
    /// `stream=None`.
    None,
    /// An explicit integer.
    Value(i64),
}

/// What the producer must do for the consumer's stream, once the device is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamSync {
    /// Host data: nothing (the producer synchronises before returning).
    Host,
    /// CUDA data: make this raw `CUstream` wait on our stream (1 = legacy default,
    /// 2 = per-thread default, > 2 a handle).
    Wait(u64),
    /// `stream=-1`: do not synchronise.
    NoSync,
}

impl StreamRequest {
    /// Validates the stream for data on `device`: host data needs `None`; CUDA data takes `None`
    /// (legacy default), 1, 2, a handle > 2, or -1; 0 and other negatives are rejected.
    pub fn for_device(self, device: Device) -> Result<StreamSync, DlpackError> {
        let invalid = |stream, reason| DlpackError::InvalidStream {
            stream,
            device: device.to_string(),
            reason,
        };
        match (device, self) {
            (Device::Cuda(_) | Device::CudaManaged, StreamRequest::None) => Ok(StreamSync::Wait(1)),
            (Device::Cuda(_) | Device::CudaManaged, StreamRequest::Value(s)) => match s {
                -1 => Ok(StreamSync::NoSync),
                0 => Err(invalid(
                    0,
                    "0 is disallowed (ambiguous); use 1 for the legacy default stream",
                )),
                s if s > 0 => Ok(StreamSync::Wait(s as u64)),
                s => Err(invalid(
                    s,
                    "negative stream values other than -1 are not allowed",
                )),
            },
            (_, StreamRequest::None) => Ok(StreamSync::Host),
            (_, StreamRequest::Value(s)) => Err(invalid(s, "host data requires stream=None")),
        }
    }
}

/// A parsed `__dlpack__` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportRequest {
    /// The ABI to produce.
    pub abi: Abi,
    /// The consumer's stream.
    pub stream: StreamRequest,
    /// The target device (`None`: the buffer's own device).
    pub dl_device: Option<Device>,
    /// `copy`: `Some(true)` always copy, `Some(false)` never copy, `None` copy only if needed.
    pub copy: Option<bool>,
}

impl Default for ExportRequest {
    /// A modern consumer: versioned 1.3, no stream, own device, copy only if needed.
    fn default() -> Self {
        ExportRequest {
            abi: Abi::Versioned {
                minor: DLPACK_MINOR,
            },
            stream: StreamRequest::None,
            dl_device: None,
            copy: None,
        }
    }
}

impl ExportRequest {
    /// A legacy consumer (no `max_version`).
    pub fn legacy() -> Self {
        ExportRequest {
            abi: Abi::Legacy,
            ..ExportRequest::default()
        }
    }

    /// Parses the Python arguments. `stream` is checked against the device at export time.
    ///
    /// `max_version`: `None` or major 0 → legacy; major ≥ 1 → versioned. `dl_device`: a DLPack
    /// `(device_type, device_id)` pair; an unsupported one is a [`DlpackError::UnsupportedDevice`].
    pub fn parse(
        stream: Option<i64>,
        max_version: Option<(i64, i64)>,
        dl_device: Option<(i64, i64)>,
        copy: Option<bool>,
    ) -> Result<Self, DlpackError> {
        let abi = match max_version {
            None => Abi::Legacy,
            Some((major, minor)) if major < 0 || minor < 0 => {
                return Err(DlpackError::InvalidMaxVersion { major, minor });
            }
            Some((0, _)) => Abi::Legacy,
            Some((major, minor)) => {
                let minor = if major == i64::from(DLPACK_MAJOR) {
                    u32::try_from(minor).unwrap_or(u32::MAX).min(DLPACK_MINOR)
                } else {
                    DLPACK_MINOR
                };
                Abi::Versioned { minor }
            }
        };
        let dl_device = match dl_device {
            None => None,
            Some((t, id)) => {
                let unsupported = DlpackError::UnsupportedDevice {
                    device_type: u32::try_from(t).unwrap_or(u32::MAX),
                    device_id: i32::try_from(id).unwrap_or(i32::MIN),
                };
                let t = u32::try_from(t).map_err(|_| unsupported.clone())?;
                let id = i32::try_from(id).map_err(|_| unsupported)?;
                Some(Device::from_dlpack(t, id)?)
            }
        };
        let stream = match stream {
            None => StreamRequest::None,
            Some(s) => StreamRequest::Value(s),
        };
        Ok(ExportRequest {
            abi,
            stream,
            dl_device,
            copy,
        })
    }
}
