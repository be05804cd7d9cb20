//! Kernel modules, typed launches and device output buffers.
//!
//! A module is compiled from CUDA C++ with NVRTC (or loaded from PTX), its `.entry` parameter
//! lists are parsed, and every [`KernelSignature`] the caller declares for it (its launch table)
//! is compared with them **before the first launch**: a count or size mismatch is a
//! [`KernelError::ParamCount`] / [`KernelError::ParamSize`] naming the kernel and the parameter.
//! `cuLaunchKernel` itself carries no argument sizes, so this check protects real GPUs too.
//! A launch then only accepts arguments whose [`ParamType`]s equal the checked signature.
//!
//! Modules are cached per device (a read lock for hits, a write lock to compile a miss).

use std::collections::HashMap;
use std::ffi::c_void;
use std::sync::{Arc, RwLock};

use cudarc::driver::{CudaFunction, CudaModule, result};

use super::nvrtc::{compile_ptx, kernel_options};
use super::ptx::{PtxParam, PtxParseError, parse_entries};
use super::{CudaDevice, DeviceAlloc, describe};
use crate::buffer::{Buffer, Storage};
use crate::dtype::{DType, Element};
use crate::error::{BufferError, DeviceUnavailable};
use crate::host::BufferMut;

/// The Rust type of one kernel parameter, as a launch table declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamType {
    /// `unsigned int` (`.u32`).
    U32,
    /// `int` (`.s32`).
    I32,
    /// `unsigned long long` (`.u64`).
    U64,
    /// `long long` (`.s64`).
    I64,
    /// `float` (`.f32`).
    F32,
    /// `double` (`.f64`).
    F64,
    /// A device pointer (`.u64` in PTX; distinct from [`ParamType::U64`] on the Rust side).
    DevicePtr,
}

impl ParamType {
    /// Size in bytes of the parameter.
    pub const fn size(self) -> usize {
        match self {
            ParamType::U32 | ParamType::I32 | ParamType::F32 => 4,
            ParamType::U64 | ParamType::I64 | ParamType::F64 | ParamType::DevicePtr => 8,
        }
    }

    /// The Rust spelling, for messages.
    pub const fn rust_name(self) -> &'static str {
        match self {
            ParamType::U32 => "u32",
            ParamType::I32 => "i32",
            ParamType::U64 => "u64",
            ParamType::I64 => "i64",
            ParamType::F32 => "f32",
            ParamType::F64 => "f64",
            ParamType::DevicePtr => "device pointer",
        }
    }
}

/// One launch argument.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KernelArg {
    /// `unsigned int`.
    U32(u32),
    /// `int`.
    I32(i32),
    /// `unsigned long long`.
    U64(u64),
    /// `long long`.
    I64(i64),
    /// `float`.
    F32(f32),
    /// `double`.
    F64(f64),
    /// A `CUdeviceptr` (from [`Buffer::cuda_ptr`] or [`DeviceBufferMut::ptr`]; 0 is NULL).
    DevicePtr(u64),
}

impl KernelArg {
    /// The parameter type this argument fills.
    pub const fn param_type(&self) -> ParamType {
        match self {
            KernelArg::U32(_) => ParamType::U32,
            KernelArg::I32(_) => ParamType::I32,
            KernelArg::U64(_) => ParamType::U64,
            KernelArg::I64(_) => ParamType::I64,
            KernelArg::F32(_) => ParamType::F32,
            KernelArg::F64(_) => ParamType::F64,
            KernelArg::DevicePtr(_) => ParamType::DevicePtr,
        }
    }

    /// The native bytes of the value in an 8-byte, 8-aligned slot.
    fn slot(&self) -> ArgSlot {
        let mut b = [0u8; 8];
        match *self {
            KernelArg::U32(v) => b[..4].copy_from_slice(&v.to_ne_bytes()),
            KernelArg::I32(v) => b[..4].copy_from_slice(&v.to_ne_bytes()),
            KernelArg::F32(v) => b[..4].copy_from_slice(&v.to_ne_bytes()),
            KernelArg::U64(v) | KernelArg::DevicePtr(v) => b = v.to_ne_bytes(),
            KernelArg::I64(v) => b = v.to_ne_bytes(),
            KernelArg::F64(v) => b = v.to_ne_bytes(),
        }
        ArgSlot(b)
    }
}

#[repr(C, align(8))]
struct ArgSlot([u8; 8]);

/// A kernel's declared signature: one row of a launch table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KernelSignature<'a> {
    /// The `extern "C"` name of the kernel.
    pub name: &'a str,
    /// `(parameter name, type)` in order.
    pub params: &'a [(&'a str, ParamType)],
}

/// The source of a kernel module: one `.cu` file, the headers it includes, and the launch-table
/// rows to check against its PTX when it is loaded.
#[derive(Debug, Clone, Copy)]
pub struct ModuleSource<'a> {
    /// Cache key and program name (e.g. `"coo.cu"`).
    pub name: &'a str,
    /// CUDA C++ source.
    pub source: &'a str,
    /// `(include name, text)` handed to NVRTC (e.g. `("common.cuh", …)`).
    pub headers: &'a [(&'a str, &'a str)],
    /// Every signature that will be launched from this module.
    pub signatures: &'a [KernelSignature<'a>],
}

/// Errors of kernel compilation, loading and launches.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KernelError {
    /// CUDA or NVRTC is not usable here.
    #[error(transparent)]
    Unavailable(#[from] DeviceUnavailable),
    /// A buffer operation failed.
    #[error(transparent)]
    Buffer(#[from] BufferError),
    /// NVRTC rejected the source.
    #[error("NVRTC failed to compile {program}:\n{log}")]
    Compile {
        /// The program name.
        program: String,
        /// NVRTC's log.
        log: String,
    },
    /// An NVRTC call failed for another reason.
    #[error("NVRTC error during {op} for {program}: nvrtcResult {code}")]
    Nvrtc {
        /// The program name.
        program: String,
        /// The call.
        op: &'static str,
        /// The `nvrtcResult` code.
        code: i32,
    },
    /// The PTX could not be parsed.
    #[error("module {module}: {source}")]
    Ptx {
        /// The module.
        module: String,
        /// The parse error.
        source: PtxParseError,
    },
    /// The launch table names a kernel the PTX does not contain.
    #[error("module {module} has no kernel `{kernel}`")]
    UnknownKernel {
        /// The module.
        module: String,
        /// The kernel name.
        kernel: String,
    },
    /// The launch table and the PTX disagree on the number of parameters.
    #[error("kernel `{kernel}`: the launch table declares {table} parameter(s), the PTX has {ptx}")]
    ParamCount {
        /// The kernel.
        kernel: String,
        /// Count in the launch table.
        table: usize,
        /// Count in the PTX.
        ptx: usize,
    },
    /// The launch table and the PTX disagree on a parameter's size.
    #[error(
        "kernel `{kernel}`, parameter {index} `{param}`: the launch table says {rust_type} \
         ({table_bytes} bytes), the PTX says {ptx_bytes} bytes"
    )]
    ParamSize {
        /// The kernel.
        kernel: String,
        /// Zero-based position of the parameter.
        index: usize,
        /// Its name in the launch table.
        param: String,
        /// Its Rust type in the launch table.
        rust_type: &'static str,
        /// Size in the launch table.
        table_bytes: usize,
        /// Size in the PTX.
        ptx_bytes: usize,
    },
    /// A launch passed the wrong number of arguments.
    #[error("kernel `{kernel}`: {got} argument(s) passed, {expected} declared")]
    ArgCount {
        /// The kernel.
        kernel: String,
        /// Declared parameters.
        expected: usize,
        /// Arguments passed.
        got: usize,
    },
    /// A launch passed an argument of another type than declared.
    #[error("kernel `{kernel}`, parameter {index} `{param}`: declared {expected}, got {got}")]
    ArgType {
        /// The kernel.
        kernel: String,
        /// Zero-based position.
        index: usize,
        /// Its name.
        param: String,
        /// Declared type.
        expected: &'static str,
        /// Passed type.
        got: &'static str,
    },
    /// Invalid launch geometry (zero grid/block, block above 1024 or not a multiple of 32).
    #[error("kernel `{kernel}`: invalid launch geometry grid {grid}, block {block}: {reason}")]
    Geometry {
        /// The kernel.
        kernel: String,
        /// Blocks.
        grid: u32,
        /// Threads per block.
        block: u32,
        /// Why.
        reason: &'static str,
    },
    /// A driver call failed.
    #[error("CUDA driver error during {op} ({what}): {name} ({code}): {message}")]
    Driver {
        /// The driver call.
        op: &'static str,
        /// The module or kernel concerned.
        what: String,
        /// `CUresult` code.
        code: u32,
        /// `CUresult` name.
        name: String,
        /// The driver's message.
        message: String,
    },
}

fn driver(op: &'static str, what: &str, e: &cudarc::driver::DriverError) -> KernelError {
    let (code, name, message) = describe(e);
    KernelError::Driver {
        op,
        what: what.to_owned(),
        code,
        name,
        message,
    }
}

/// Compares a launch-table row with a PTX parameter list.
pub fn check_signature(sig: &KernelSignature<'_>, ptx: &[PtxParam]) -> Result<(), KernelError> {
    if sig.params.len() != ptx.len() {
        return Err(KernelError::ParamCount {
            kernel: sig.name.to_owned(),
            table: sig.params.len(),
            ptx: ptx.len(),
        });
    }
    for (index, ((param, ty), p)) in sig.params.iter().zip(ptx).enumerate() {
        if ty.size() != p.size {
            return Err(KernelError::ParamSize {
                kernel: sig.name.to_owned(),
                index,
                param: (*param).to_owned(),
                rust_type: ty.rust_name(),
                table_bytes: ty.size(),
                ptx_bytes: p.size,
            });
        }
    }
    Ok(())
}

/// A loaded kernel module on one device, with its PTX parameter lists.
#[derive(Debug)]
pub struct KernelModule {
    name: String,
    dev: Arc<CudaDevice>,
    module: Arc<CudaModule>,
    entries: HashMap<String, Vec<PtxParam>>,
    kernels: RwLock<HashMap<String, Arc<Kernel>>>,
}

impl KernelModule {
    /// The module's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The PTX parameter list of `kernel`, if the module has it.
    pub fn ptx_params(&self, kernel: &str) -> Option<&[PtxParam]> {
        self.entries.get(kernel).map(Vec::as_slice)
    }

    /// Checks `sig` against this module's PTX (count and sizes).
    pub fn check(&self, sig: &KernelSignature<'_>) -> Result<(), KernelError> {
        let ptx = self
            .ptx_params(sig.name)
            .ok_or_else(|| KernelError::UnknownKernel {
                module: self.name.clone(),
                kernel: sig.name.to_owned(),
            })?;
        check_signature(sig, ptx)
    }

    /// The kernel for `sig`, checked against the PTX first (cached by name).
    pub fn kernel(self: &Arc<Self>, sig: &KernelSignature<'_>) -> Result<Arc<Kernel>, KernelError> {
        {
            // A poisoned lock only means a panic elsewhere; the map itself stays valid.
            let map = self.kernels.read().unwrap_or_else(|p| p.into_inner());
            if let Some(k) = map.get(sig.name).filter(|k| k.matches(sig)) {
                return Ok(k.clone());
            }
        }
        self.check(sig)?;
        self.dev.bind().map_err(KernelError::Buffer)?;
        let func = self
            .module
            .load_function(sig.name)
            .map_err(|e| driver("cuModuleGetFunction", sig.name, &e))?;
        let kernel = Arc::new(Kernel {
            name: sig.name.to_owned(),
            params: sig
                .params
                .iter()
                .map(|(n, t)| ((*n).to_owned(), *t))
                .collect(),
            func,
            dev: self.dev.clone(),
        });
        let mut map = self.kernels.write().unwrap_or_else(|p| p.into_inner());
        map.insert(sig.name.to_owned(), kernel.clone());
        Ok(kernel)
    }
}

/// A kernel whose signature was checked against its PTX; launch it with [`Kernel::launch`].
#[derive(Debug)]
pub struct Kernel {
    name: String,
    params: Vec<(String, ParamType)>,
    func: CudaFunction,
    dev: Arc<CudaDevice>,
}

impl Kernel {
    /// The kernel's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn matches(&self, sig: &KernelSignature<'_>) -> bool {
        self.params.len() == sig.params.len()
            && self
                .params
                .iter()
                .zip(sig.params)
                .all(|((a, t), (b, u))| a == b && t == u)
    }

    /// Queues the kernel on the device's stream with a 1-D `grid` × `block` and no dynamic
    /// shared memory. The arguments must match the checked signature in count and type.
    ///
    /// Launching is memory-safe on the host side as far as the kernels honour the ABI of
    /// kernels/README.md (outputs never written out of bounds for the sizes passed) and the
    /// pointers are live device memory of this device: owned buffers synchronize the stream
    /// before they are freed, so a buffer may be dropped right after the launch.
    pub fn launch(&self, grid: u32, block: u32, args: &[KernelArg]) -> Result<(), KernelError> {
        let geometry = |reason| KernelError::Geometry {
            kernel: self.name.clone(),
            grid,
            block,
            reason,
        };
        if grid == 0 || block == 0 {
            return Err(geometry("grid and block must be non-zero"));
        }
        if block > 1024 || !block.is_multiple_of(32) {
            return Err(geometry("block must be a multiple of 32, at most 1024"));
        }
        if args.len() != self.params.len() {
            return Err(KernelError::ArgCount {
                kernel: self.name.clone(),
                expected: self.params.len(),
                got: args.len(),
            });
        }
        for (index, (arg, (param, ty))) in args.iter().zip(&self.params).enumerate() {
            if arg.param_type() != *ty {
                return Err(KernelError::ArgType {
                    kernel: self.name.clone(),
                    index,
                    param: param.clone(),
                    expected: ty.rust_name(),
                    got: arg.param_type().rust_name(),
                });
            }
        }
        let mut slots: Vec<ArgSlot> = args.iter().map(KernelArg::slot).collect();
        let mut ptrs: Vec<*mut c_void> = slots
            .iter_mut()
            .map(|s| s.0.as_mut_ptr().cast::<c_void>())
            .collect();
        self.dev.bind().map_err(KernelError::Buffer)?;
        // SAFETY: `func` belongs to this device's context (bound above); `ptrs` holds exactly one
        // pointer per parameter, each to an 8-aligned slot holding the value in the size the
        // PTX declares (checked against the signature when the kernel was created, and the
        // arguments against the signature above); `slots` outlives the call, and the driver
        // copies the values before returning. Memory the kernel touches: see the doc comment.
        unsafe {
            result::launch_kernel(
                self.func.cu_function(),
                (grid, 1, 1),
                (block, 1, 1),
                0,
                self.dev.stream().cu_stream(),
                &mut ptrs,
            )
        }
        .map_err(|e| driver("cuLaunchKernel", &self.name, &e))
    }
}

/// Uniquely owned, writable device memory (kernel outputs and scratch); [`DeviceBufferMut::freeze`]
/// turns it into a [`Buffer`] on `Device::Cuda(n)` without a copy.
#[derive(Debug)]
pub struct DeviceBufferMut {
    alloc: DeviceAlloc,
    dtype: DType,
    len: usize,
}

impl DeviceBufferMut {
    /// The device pointer (0 for an empty buffer).
    pub fn ptr(&self) -> u64 {
        self.alloc.ptr
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

    /// Sets every byte to `byte` (queued on the device's stream).
    pub fn memset(&mut self, byte: u8) -> Result<(), BufferError> {
        self.alloc
            .dev
            .memset(self.alloc.ptr, byte, self.alloc.bytes)
    }

    /// The elements copied to the host (waits for queued work).
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>, BufferError> {
        if T::DTYPE != self.dtype {
            return Err(BufferError::DTypeMismatch {
                expected: T::DTYPE,
                found: self.dtype,
            });
        }
        let mut host = BufferMut::zeroed(self.dtype, self.len)?;
        // SAFETY: `alloc` is device memory of this device, valid for `host`'s byte size.
        unsafe { self.alloc.dev.dtoh(host.as_bytes_mut(), self.alloc.ptr)? };
        Ok(host.freeze().as_slice::<T>()?.to_vec())
    }

    /// An immutable [`Buffer`] over the same memory (no copy).
    pub fn freeze(self) -> Buffer {
        Buffer::from_storage(Storage::cuda(self.alloc), self.dtype, self.len)
    }
}

impl CudaDevice {
    /// `len` elements of `dtype` of uninitialised device memory (0xCD under the emulator).
    pub fn alloc_uninit(
        self: &Arc<Self>,
        dtype: DType,
        len: usize,
    ) -> Result<DeviceBufferMut, BufferError> {
        let bytes = len
            .checked_mul(dtype.size())
            .ok_or(BufferError::SizeOverflow { len, dtype })?;
        Ok(DeviceBufferMut {
            alloc: self.alloc(bytes)?,
            dtype,
            len,
        })
    }

    /// `len` zeroed elements of `dtype` in device memory (a device memset, no host copy).
    pub fn alloc_zeroed(
        self: &Arc<Self>,
        dtype: DType,
        len: usize,
    ) -> Result<DeviceBufferMut, BufferError> {
        let mut b = self.alloc_uninit(dtype, len)?;
        b.memset(0)?;
        Ok(b)
    }

    /// A copy of host elements in new device memory (waits for the copy).
    pub fn upload<T: Element>(
        self: &Arc<Self>,
        data: &[T],
    ) -> Result<DeviceBufferMut, BufferError> {
        let b = self.alloc_uninit(T::DTYPE, data.len())?;
        // SAFETY: `b` is fresh device memory of exactly `size_of_val(data)` bytes.
        unsafe { self.htod(b.ptr(), bytemuck::cast_slice(data))? };
        Ok(b)
    }

    fn memset(&self, ptr: u64, byte: u8, bytes: usize) -> Result<(), BufferError> {
        if bytes == 0 {
            return Ok(());
        }
        self.bind()?;
        // SAFETY: callers pass a live allocation of this context of at least `bytes` bytes.
        unsafe { result::memset_d8_async(ptr, byte, bytes, self.stream.cu_stream()) }
            .map_err(|e| BufferError::cuda("cuMemsetD8Async", e))
    }

    /// The module `src`, compiled with NVRTC for this device on first use and cached (per
    /// device, by `src.name`). Every signature of `src.signatures` is checked against the PTX
    /// before the module is returned, on a cache hit too.
    pub fn load_module(
        self: &Arc<Self>,
        src: &ModuleSource<'_>,
    ) -> Result<Arc<KernelModule>, KernelError> {
        let hit = |m: &Arc<KernelModule>| -> Result<Arc<KernelModule>, KernelError> {
            // A cached module is checked against the caller's signatures too (hash lookups).
            for sig in src.signatures {
                m.check(sig)?;
            }
            Ok(m.clone())
        };
        {
            let map = self.modules.read().unwrap_or_else(|p| p.into_inner());
            if let Some(m) = map.get(src.name) {
                return hit(m);
            }
        }
        let mut map = self.modules.write().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = map.get(src.name) {
            return hit(m);
        }
        let cc = self
            .ctx
            .compute_capability()
            .map_err(|e| driver("cuDeviceGetAttribute", src.name, &e))?;
        let ptx = compile_ptx(src.name, src.source, src.headers, &kernel_options(cc))?;
        let module = self.load_ptx(src.name, &ptx)?;
        for sig in src.signatures {
            module.check(sig)?;
        }
        map.insert(src.name.to_owned(), module.clone());
        Ok(module)
    }

    /// Loads PTX text as a module (not cached); its parameter lists are parsed first.
    pub fn load_ptx(
        self: &Arc<Self>,
        name: &str,
        ptx: &str,
    ) -> Result<Arc<KernelModule>, KernelError> {
        if ptx.contains('\0') {
            return Err(KernelError::Ptx {
                module: name.to_owned(),
                source: PtxParseError {
                    entry: String::new(),
                    reason: "the PTX text contains a NUL byte".to_owned(),
                },
            });
        }
        let entries = parse_entries(ptx).map_err(|source| KernelError::Ptx {
            module: name.to_owned(),
            source,
        })?;
        self.bind()?;
        let module = self
            .ctx
            .load_module(cudarc::nvrtc::Ptx::from_src(ptx))
            .map_err(|e| driver("cuModuleLoadData", name, &e))?;
        Ok(Arc::new(KernelModule {
            name: name.to_owned(),
            dev: self.clone(),
            module,
            entries: entries.into_iter().map(|e| (e.name, e.params)).collect(),
            kernels: RwLock::new(HashMap::new()),
        }))
    }
}
