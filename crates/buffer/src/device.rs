//! Where a buffer's memory lives.

use std::fmt;
use std::str::FromStr;

use crate::error::{BufferError, DlpackError};

/// DLPack device code for host memory (`kDLCPU`).
pub const DL_CPU: u32 = 1;
/// DLPack device code for CUDA device memory (`kDLCUDA`).
pub const DL_CUDA: u32 = 2;
/// DLPack device code for pinned host memory (`kDLCUDAHost`).
pub const DL_CUDA_HOST: u32 = 3;
/// DLPack device code for CUDA managed memory (`kDLCUDAManaged`).
pub const DL_CUDA_MANAGED: u32 = 13;

/// A memory location. A location is not a handle: `Cuda(0)` names ordinal 0 whether or not a
/// driver is present. Only owned memory is allocated on `Cpu`, `Cuda` and `CudaHost`;
/// `CudaManaged` appears on imported buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Device {
    /// Host memory (DLPack `kDLCPU`, id 0). Printed as `cpu`.
    Cpu,
    /// CUDA device memory on the given ordinal (DLPack `kDLCUDA`, id = ordinal). Printed `cuda:N`.
    Cuda(u16),
    /// Pinned (page-locked) host memory (DLPack `kDLCUDAHost`, id 0). Printed `cuda_host`.
    CudaHost,
    /// CUDA managed (unified) memory (DLPack `kDLCUDAManaged`, id 0). Printed `cuda_managed`.
    CudaManaged,
}

impl Device {
    /// The DLPack `(device_type, device_id)` pair.
    pub fn to_dlpack(self) -> (u32, i32) {
        match self {
            Device::Cpu => (DL_CPU, 0),
            Device::Cuda(n) => (DL_CUDA, i32::from(n)),
            Device::CudaHost => (DL_CUDA_HOST, 0),
            Device::CudaManaged => (DL_CUDA_MANAGED, 0),
        }
    }

    /// Parses a DLPack `(device_type, device_id)` pair. Host-like kinds accept any id (producers
    /// disagree on it); CUDA ids must fit an ordinal.
    pub fn from_dlpack(device_type: u32, device_id: i32) -> Result<Self, DlpackError> {
        let unsupported = DlpackError::UnsupportedDevice {
            device_type,
            device_id,
        };
        if device_id < 0 {
            return Err(unsupported);
        }
        match device_type {
            DL_CPU => Ok(Device::Cpu),
            DL_CUDA => u16::try_from(device_id)
                .map(Device::Cuda)
                .map_err(|_| unsupported),
            DL_CUDA_HOST => Ok(Device::CudaHost),
            DL_CUDA_MANAGED => Ok(Device::CudaManaged),
            _ => Err(unsupported),
        }
    }

    /// Whether the host may dereference this memory (CPU, pinned and managed memory).
    pub fn is_host_accessible(self) -> bool {
        !matches!(self, Device::Cuda(_))
    }

    /// Whether using this memory involves the CUDA driver.
    pub fn is_cuda(self) -> bool {
        !matches!(self, Device::Cpu)
    }

    /// The CUDA ordinal whose context owns this memory (`Cuda(n)` → n; pinned/managed → 0).
    pub fn cuda_ordinal(self) -> Option<u16> {
        match self {
            Device::Cpu => None,
            Device::Cuda(n) => Some(n),
            Device::CudaHost | Device::CudaManaged => Some(0),
        }
    }
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(n) => write!(f, "cuda:{n}"),
            Device::CudaHost => f.write_str("cuda_host"),
            Device::CudaManaged => f.write_str("cuda_managed"),
        }
    }
}

impl FromStr for Device {
    type Err = BufferError;

    /// Parses `cpu`, `cuda` (= `cuda:0`), `cuda:N`, `cuda_host`, `cuda_managed` (ASCII
    /// case-insensitive, surrounding whitespace ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || BufferError::InvalidDevice {
            input: s.to_owned(),
        };
        let t = s.trim().to_ascii_lowercase();
        match t.as_str() {
            "cpu" => Ok(Device::Cpu),
            "cuda" => Ok(Device::Cuda(0)),
            "cuda_host" => Ok(Device::CudaHost),
            "cuda_managed" => Ok(Device::CudaManaged),
            _ => {
                let n = t.strip_prefix("cuda:").ok_or_else(err)?;
                if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err());
                }
                n.parse::<u16>().map(Device::Cuda).map_err(|_| err())
            }
        }
    }
}
