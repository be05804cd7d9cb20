//! CUDA through cudarc (dynamic loading, CUDA 13.0): the cached probe, per-ordinal devices with one
//! stream each, device and pinned allocations, copies, and stream hand-off for `__dlpack__`.
//!
//! Every entry point goes through [`probe`] first: cudarc panics when `libcuda` is missing or a
//! symbol is absent, so nothing here touches the driver before the probe has succeeded.
//!
//! Kernels: [`compile_ptx`] (NVRTC, guarded by [`kernel_compiler`]), [`parse_entries`] (PTX
//! `.entry` parameter lists), [`CudaDevice::load_module`] (per-device cache; every
//! [`KernelSignature`] of the module's launch table is checked against the PTX before the first
//! launch), [`Kernel::launch`] (typed [`KernelArg`]s) and [`DeviceBufferMut`] outputs.

mod launch;
mod nvrtc;
mod ptx;

pub use launch::{
    DeviceBufferMut, Kernel, KernelArg, KernelError, KernelModule, KernelSignature, ModuleSource,
    ParamType, check_signature,
};
pub use nvrtc::{compile_ptx, kernel_options};
pub use ptx::{PtxEntry, PtxParam, PtxParseError, parse_entries};

use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use cudarc::driver::{CudaContext, CudaStream, DriverError, result, sys};

use crate::Device;
use crate::error::{BufferError, DeviceUnavailable};

/// The CUDA version this build targets (`cuda-13000`), as `cuDriverGetVersion` reports it.
pub const REQUIRED_DRIVER_VERSION: i32 = 13000;

/// Driver symbols the probe calls; checked before the first call so that an odd library gives a
/// typed error instead of cudarc's `Missing symbol` panic.
const PROBE_SYMBOLS: [&str; 5] = [
    "cuDriverGetVersion",
    "cuInit",
    "cuDeviceGetCount",
    "cuGetErrorName",
    "cuGetErrorString",
];

/// What the probe found on a machine where CUDA works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProbeInfo {
    /// `cuDriverGetVersion` (major*1000 + minor*10).
    pub driver_version: i32,
    /// Number of CUDA devices.
    pub device_count: usize,
}

/// Code, name and message of a driver error (only call with errors from a loaded driver).
pub(crate) fn describe(err: &DriverError) -> (u32, String, String) {
    let code = err.0 as u32;
    let name = err
        .error_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|_| format!("CUresult {code}"));
    let message = err
        .error_string()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "unknown error".to_owned());
    (code, name, message)
}

fn probe_driver_error(op: &'static str, err: &DriverError) -> DeviceUnavailable {
    let (code, name, message) = describe(err);
    DeviceUnavailable::Driver {
        op,
        code,
        name,
        message,
    }
}

fn run_probe() -> Result<ProbeInfo, DeviceUnavailable> {
    // SAFETY: `is_culib_present` only attempts `dlopen` of the driver's library names.
    if !unsafe { sys::is_culib_present() } {
        return Err(DeviceUnavailable::NoDriver {
            detail: "libcuda.so.1 could not be loaded".to_owned(),
        });
    }
    // SAFETY: the library is present (checked above), so `culib` returns it without panicking.
    let lib = unsafe { sys::culib() };
    for name in PROBE_SYMBOLS {
        let mut sym = name.as_bytes().to_vec();
        sym.push(0);
        // SAFETY: only looks the symbol up; it is not called through this handle.
        let found = unsafe { lib.get::<*const c_void>(sym.as_slice()) }.is_ok();
        if !found {
            return Err(DeviceUnavailable::NoDriver {
                detail: format!("the loaded libcuda lacks {name}"),
            });
        }
    }
    let mut version: i32 = 0;
    // SAFETY: the symbol exists; `version` is a valid out-pointer.
    let rc = unsafe { sys::cuDriverGetVersion(&mut version) };
    if let Err(e) = rc.result() {
        return Err(probe_driver_error("cuDriverGetVersion", &e));
    }
    if version < REQUIRED_DRIVER_VERSION {
        return Err(DeviceUnavailable::DriverTooOld {
            found: version,
            required: REQUIRED_DRIVER_VERSION,
        });
    }
    if let Err(e) = result::init() {
        let (code, name, message) = describe(&e);
        return Err(match code {
            100 => DeviceUnavailable::NoDevice { detail: message },
            34 => DeviceUnavailable::NoDriver {
                detail: "a CUDA toolkit stub library was loaded instead of a driver".to_owned(),
            },
            803 | 804 => DeviceUnavailable::DriverTooOld {
                found: version,
                required: REQUIRED_DRIVER_VERSION,
            },
            _ => DeviceUnavailable::Driver {
                op: "cuInit",
                code,
                name,
                message,
            },
        });
    }
    let count =
        result::device::get_count().map_err(|e| probe_driver_error("cuDeviceGetCount", &e))?;
    let device_count = usize::try_from(count).unwrap_or(0);
    if device_count == 0 {
        return Err(DeviceUnavailable::NoDevice {
            detail: "the driver reports 0 devices".to_owned(),
        });
    }
    Ok(ProbeInfo {
        driver_version: version,
        device_count,
    })
}

/// The one cached CUDA probe of this process (gpu-without-a-gpu.md §2). Never panics.
pub fn probe() -> Result<ProbeInfo, DeviceUnavailable> {
    static PROBE: OnceLock<Result<ProbeInfo, DeviceUnavailable>> = OnceLock::new();
    PROBE.get_or_init(run_probe).clone()
}

/// Whether CUDA is usable (the probe succeeded).
pub fn is_available() -> bool {
    probe().is_ok()
}

/// Kernels launched so far when the loaded driver is sparsebridge's emulator
/// (`sbemu_launch_count`, kernels/emu), `None` on a real driver or without CUDA. Tests use it to
/// prove that work ran through the emulated driver.
pub fn emulator_launch_count() -> Option<u64> {
    probe().ok()?;
    // SAFETY: the probe succeeded, so the driver library is loaded and `culib` does not panic.
    let lib = unsafe { sys::culib() };
    // SAFETY: only looks the symbol up; the emulator defines it as
    // `unsigned long long sbemu_launch_count(void)`, which matches the type below.
    let f = unsafe { lib.get::<unsafe extern "C" fn() -> u64>(b"sbemu_launch_count\0") }.ok()?;
    // SAFETY: a plain counter read with no arguments.
    Some(unsafe { f() })
}

/// Whether NVRTC can be loaded (cached). Callers compiling kernels check this after [`probe`].
pub fn kernel_compiler() -> Result<(), DeviceUnavailable> {
    static NVRTC: OnceLock<bool> = OnceLock::new();
    // SAFETY: `is_culib_present` only attempts `dlopen` of NVRTC's library names.
    let present = *NVRTC.get_or_init(|| unsafe { cudarc::nvrtc::sys::is_culib_present() });
    if present {
        Ok(())
    } else {
        Err(DeviceUnavailable::NoKernelCompiler)
    }
}

/// A CUDA device in use: its primary context and sparsebridge's stream on it. Obtained with
/// [`device`]; one per ordinal per process.
#[derive(Debug)]
pub struct CudaDevice {
    ordinal: u16,
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    /// Kernel modules loaded on this device, by name.
    modules: RwLock<HashMap<String, Arc<KernelModule>>>,
}

/// The cached [`CudaDevice`] for `ordinal` (probes first; typed error if CUDA is unusable).
pub fn device(ordinal: u16) -> Result<Arc<CudaDevice>, BufferError> {
    static DEVICES: OnceLock<Mutex<HashMap<u16, Arc<CudaDevice>>>> = OnceLock::new();
    let info = probe()?;
    if usize::from(ordinal) >= info.device_count {
        return Err(DeviceUnavailable::NoSuchDevice {
            ordinal,
            count: info.device_count,
        }
        .into());
    }
    let map = DEVICES.get_or_init(|| Mutex::new(HashMap::new()));
    // A poisoned lock only means another thread panicked while inserting; the map is still valid.
    let mut map = map.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(d) = map.get(&ordinal) {
        return Ok(d.clone());
    }
    let ctx = CudaContext::new(usize::from(ordinal))
        .map_err(|e| BufferError::cuda("cuDevicePrimaryCtxRetain", e))?;
    let stream = ctx
        .new_stream()
        .map_err(|e| BufferError::cuda("cuStreamCreate", e))?;
    let dev = Arc::new(CudaDevice {
        ordinal,
        ctx,
        stream,
        modules: RwLock::new(HashMap::new()),
    });
    map.insert(ordinal, dev.clone());
    Ok(dev)
}

impl CudaDevice {
    /// The ordinal.
    pub fn ordinal(&self) -> u16 {
        self.ordinal
    }

    /// The [`Device`] tag of memory allocated here.
    pub fn location(&self) -> Device {
        Device::Cuda(self.ordinal)
    }

    /// The cudarc context (for module loading and launches in the convert crate).
    pub fn context(&self) -> &Arc<CudaContext> {
        &self.ctx
    }

    /// sparsebridge's stream on this device: all copies and kernels are ordered on it.
    pub fn stream(&self) -> &Arc<CudaStream> {
        &self.stream
    }

    /// The stream as an integer, the value to pass as `__dlpack__(stream=…)` to a producer whose
    /// data we will use on our stream.
    pub fn stream_handle(&self) -> u64 {
        self.stream.cu_stream() as u64
    }

    /// The device name (the emulator calls itself "sparsebridge emulated device").
    pub fn name(&self) -> Result<String, BufferError> {
        self.ctx
            .name()
            .map_err(|e| BufferError::cuda("cuDeviceGetName", e))
    }

    /// Blocks until all work on our stream is done.
    pub fn synchronize(&self) -> Result<(), BufferError> {
        self.stream
            .synchronize()
            .map_err(|e| BufferError::cuda("cuStreamSynchronize", e))
    }

    fn bind(&self) -> Result<(), BufferError> {
        self.ctx
            .bind_to_thread()
            .map_err(|e| BufferError::cuda("cuCtxSetCurrent", e))
    }

    /// Makes `consumer` (a raw `CUstream`; 1 = legacy default, 2 = per-thread default) wait for
    /// all work queued so far on our stream: records an event on our stream and enqueues
    /// `cuStreamWaitEvent(consumer, event)`. The host does not block.
    pub fn make_stream_wait(&self, consumer: u64) -> Result<(), BufferError> {
        let event = self
            .ctx
            .new_event(None)
            .map_err(|e| BufferError::cuda("cuEventCreate", e))?;
        event
            .record(&self.stream)
            .map_err(|e| BufferError::cuda("cuEventRecord", e))?;
        // SAFETY: `event` is alive; `consumer` is a stream handle the consumer promised valid for
        // this context (or the legacy/per-thread sentinel). Destroying the event after the wait is
        // enqueued is allowed: the driver releases it once the wait completes.
        unsafe {
            result::stream::wait_event(
                consumer as sys::CUstream,
                event.cu_event(),
                sys::CUevent_wait_flags::CU_EVENT_WAIT_DEFAULT,
            )
        }
        .map_err(|e| BufferError::cuda("cuStreamWaitEvent", e))
    }

    /// Allocates `bytes` of device memory (not initialised).
    pub(crate) fn alloc(self: &Arc<Self>, bytes: usize) -> Result<DeviceAlloc, BufferError> {
        if bytes == 0 {
            return Ok(DeviceAlloc {
                dev: self.clone(),
                ptr: 0,
                bytes,
            });
        }
        self.bind()?;
        // SAFETY: a plain allocation; the memory is uninitialised and is only read after a copy
        // into it (or a memset) on our stream.
        let ptr = unsafe { result::malloc_sync(bytes) }.map_err(|e| match describe(&e).0 {
            2 => BufferError::OutOfMemory {
                bytes,
                device: self.location(),
            },
            _ => BufferError::cuda("cuMemAlloc", e),
        })?;
        Ok(DeviceAlloc {
            dev: self.clone(),
            ptr,
            bytes,
        })
    }

    /// Allocates `bytes` of pinned host memory (not initialised).
    pub(crate) fn alloc_pinned(self: &Arc<Self>, bytes: usize) -> Result<PinnedAlloc, BufferError> {
        self.bind()?;
        // SAFETY: a plain allocation of at least one byte (the driver rejects 0); flags 0 gives
        // ordinary cached page-locked memory the host may read.
        let ptr = unsafe { result::malloc_host(bytes.max(1), 0) }
            .map_err(|e| BufferError::cuda("cuMemHostAlloc", e))?;
        if ptr.is_null() {
            return Err(BufferError::OutOfMemory {
                bytes,
                device: Device::CudaHost,
            });
        }
        Ok(PinnedAlloc {
            dev: self.clone(),
            ptr: ptr.cast(),
            bytes,
        })
    }

    /// Copies host bytes to device memory on our stream and waits for completion.
    ///
    /// # Safety
    /// `dst` must be device memory of this context valid for `src.len()` bytes.
    pub(crate) unsafe fn htod(&self, dst: u64, src: &[u8]) -> Result<(), BufferError> {
        if src.is_empty() {
            return Ok(());
        }
        self.bind()?;
        // SAFETY: caller guarantees `dst`; `src` stays borrowed until the synchronize below.
        unsafe { result::memcpy_htod_async(dst, src, self.stream.cu_stream()) }
            .map_err(|e| BufferError::cuda("cuMemcpyHtoDAsync", e))?;
        self.synchronize()
    }

    /// Copies device bytes to host memory on our stream and waits for completion.
    ///
    /// # Safety
    /// `src` must be device memory of this context valid for `dst.len()` bytes.
    pub(crate) unsafe fn dtoh(&self, dst: &mut [u8], src: u64) -> Result<(), BufferError> {
        if dst.is_empty() {
            return Ok(());
        }
        self.bind()?;
        // SAFETY: caller guarantees `src`; `dst` stays borrowed until the synchronize below.
        unsafe { result::memcpy_dtoh_async(dst, src, self.stream.cu_stream()) }
            .map_err(|e| BufferError::cuda("cuMemcpyDtoHAsync", e))?;
        self.synchronize()
    }

    /// Copies device to device on our stream (asynchronous: ordered before later work on it).
    ///
    /// # Safety
    /// `dst` and `src` must be device memory of this context valid for `bytes` bytes, and stay
    /// allocated until the copy completes (our allocations sync the stream before freeing).
    pub(crate) unsafe fn dtod(&self, dst: u64, src: u64, bytes: usize) -> Result<(), BufferError> {
        if bytes == 0 {
            return Ok(());
        }
        self.bind()?;
        // SAFETY: guaranteed by the caller.
        unsafe { result::memcpy_dtod_async(dst, src, bytes, self.stream.cu_stream()) }
            .map_err(|e| BufferError::cuda("cuMemcpyDtoDAsync", e))
    }
}

/// Owned CUDA device memory; freed (after syncing our stream) on drop.
#[derive(Debug)]
pub(crate) struct DeviceAlloc {
    pub(crate) dev: Arc<CudaDevice>,
    pub(crate) ptr: u64,
    pub(crate) bytes: usize,
}

impl Drop for DeviceAlloc {
    fn drop(&mut self) {
        if self.ptr == 0 {
            return;
        }
        // Errors cannot be returned from drop; the memory is leaked rather than freed twice.
        if self.dev.bind().is_err() || self.dev.synchronize().is_err() {
            return;
        }
        // SAFETY: `ptr` came from `cuMemAlloc` in this context and is freed exactly once; pending
        // work on our stream finished above.
        let _ = unsafe { result::free_sync(self.ptr) };
    }
}

/// Owned pinned host memory; freed on drop.
#[derive(Debug)]
pub(crate) struct PinnedAlloc {
    pub(crate) dev: Arc<CudaDevice>,
    pub(crate) ptr: *mut u8,
    pub(crate) bytes: usize,
}

// SAFETY: the allocation is uniquely owned and page-locked host memory, usable from any thread;
// no interior mutability is exposed.
unsafe impl Send for PinnedAlloc {}
// SAFETY: see `Send`.
unsafe impl Sync for PinnedAlloc {}

impl Drop for PinnedAlloc {
    fn drop(&mut self) {
        if self.dev.bind().is_err() || self.dev.synchronize().is_err() {
            return;
        }
        // SAFETY: `ptr` came from `cuMemHostAlloc` and is freed exactly once.
        let _ = unsafe { result::free_host(self.ptr.cast()) };
    }
}
