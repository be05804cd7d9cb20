//! Test-only CPU builds of sparsebridge's CUDA kernels.
//!
//! `build.rs` compiles every `kernels/*.cu` file as C++20 together with the CPU shim
//! (`kernels/shim/cuda_cpu_shim.h`): each CUDA thread becomes a `std::thread`, `__syncthreads` a
//! barrier, warp shuffles and votes a per-warp exchange, atomics `std::atomic_ref`. Kernels are
//! launched by name with CUDA-style geometry; every argument's size is checked against the CPU
//! signature before the launch, so a wrong argument type is an error, not memory corruption.
//!
//! The kernel ABI (names, parameters, launch geometry, multi-kernel sequences) is in
//! `kernels/README.md`. This crate is `publish = false` and only serves tests.
//!
//! ```
//! use sparsebridge_kernels_cpu::{Arg, launch};
//! let mut out = vec![0u64; 100];
//! // SAFETY: iota_u64 writes out[0..n) and `out` holds n elements.
//! unsafe { launch("iota_u64", 2, 32, 0, &[Arg::slice_mut(&mut out), Arg::U64(100)]) }.unwrap();
//! assert_eq!(out[99], 99);
//! ```

use std::ffi::{CStr, CString, c_char, c_int, c_long, c_void};

unsafe extern "C" {
    fn sbk_kernel_count() -> usize;
    fn sbk_kernel_name(i: usize) -> *const c_char;
    fn sbk_param_count(name: *const c_char) -> c_long;
    fn sbk_param_size(name: *const c_char, i: usize) -> usize;
    fn sbk_launch(
        name: *const c_char,
        grid: u32,
        block: u32,
        smem: usize,
        params: *mut *mut c_void,
        sizes: *const usize,
        nparams: usize,
    ) -> c_int;
}

/// One kernel argument, passed by value like a CUDA kernel parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// A pointer parameter (`const T*` / `T*`); NULL is allowed where the ABI says so.
    Ptr(*mut c_void),
    /// A 64-bit integer parameter (`sb_u64`).
    U64(u64),
    /// A 32-bit integer parameter (`sb_u32`).
    U32(u32),
}

impl Arg {
    /// A pointer to the first element of `s`, for a kernel that only reads it.
    pub fn slice<T>(s: &[T]) -> Self {
        Arg::Ptr(s.as_ptr().cast_mut().cast())
    }
    /// A pointer to the first element of `s`, for a kernel that writes it.
    pub fn slice_mut<T>(s: &mut [T]) -> Self {
        Arg::Ptr(s.as_mut_ptr().cast())
    }
    /// The NULL pointer.
    pub fn null() -> Self {
        Arg::Ptr(std::ptr::null_mut())
    }
    fn size(&self) -> usize {
        match self {
            Arg::Ptr(_) => size_of::<*mut c_void>(),
            Arg::U64(_) => 8,
            Arg::U32(_) => 4,
        }
    }
}

/// Why a launch was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LaunchError {
    /// The name is not in `kernels/kernels.def`.
    #[error("unknown kernel `{name}`")]
    UnknownKernel {
        /// The requested kernel name.
        name: String,
    },
    /// The name contains a NUL byte.
    #[error("kernel name `{name}` contains a NUL byte")]
    BadName {
        /// The requested kernel name.
        name: String,
    },
    /// The number of arguments differs from the kernel's parameter count.
    #[error("kernel `{name}` takes {expected} parameters, {got} arguments given")]
    ArgumentCount {
        /// The kernel.
        name: String,
        /// Its parameter count.
        expected: usize,
        /// The number of arguments given.
        got: usize,
    },
    /// An argument's size differs from the parameter's `sizeof` in the CPU build.
    #[error("kernel `{name}` parameter {index} is {expected} bytes, the argument is {got} bytes")]
    ArgumentSize {
        /// The kernel.
        name: String,
        /// The parameter index.
        index: usize,
        /// `sizeof` of the parameter in the CPU build.
        expected: usize,
        /// Size of the argument given.
        got: usize,
    },
    /// A zero grid or block, a block above 1024 threads.
    #[error("kernel `{name}`: invalid launch configuration grid={grid} block={block}")]
    BadConfig {
        /// The kernel.
        name: String,
        /// Blocks in the grid.
        grid: u32,
        /// Threads per block.
        block: u32,
    },
}

/// Names of every kernel of the CPU build, in `kernels.def` order.
pub fn kernel_names() -> Vec<String> {
    // SAFETY: sbk_kernel_count/sbk_kernel_name read the immutable registry; names are static,
    // NUL-terminated strings.
    unsafe {
        (0..sbk_kernel_count())
            .filter_map(|i| {
                let p = sbk_kernel_name(i);
                (!p.is_null()).then(|| CStr::from_ptr(p).to_string_lossy().into_owned())
            })
            .collect()
    }
}

/// `sizeof` of each parameter of kernel `name` in the CPU build, or `None` when unknown.
pub fn param_sizes(name: &str) -> Option<Vec<usize>> {
    let c = CString::new(name).ok()?;
    // SAFETY: `c` is a valid NUL-terminated string; the functions only read the registry.
    unsafe {
        let n = usize::try_from(sbk_param_count(c.as_ptr())).ok()?;
        Some((0..n).map(|i| sbk_param_size(c.as_ptr(), i)).collect())
    }
}

/// Launches kernel `name` on `grid` blocks of `block` threads with `smem` bytes of dynamic shared
/// memory; returns once every thread has finished. Launches are serialized process-wide.
///
/// # Errors
/// [`LaunchError`] when the kernel is unknown, the argument count or an argument size differs from
/// the CPU signature, or the geometry is invalid.
///
/// # Safety
/// Every pointer argument must be valid for all reads and writes the kernel performs with these
/// arguments (kernels/README.md gives each kernel's accesses), and nothing else may access that
/// memory during the launch.
pub unsafe fn launch(
    name: &str,
    grid: u32,
    block: u32,
    smem: usize,
    args: &[Arg],
) -> Result<(), LaunchError> {
    let c = CString::new(name).map_err(|_| LaunchError::BadName {
        name: name.to_owned(),
    })?;
    let mut values: Vec<[u8; 8]> = args
        .iter()
        .map(|a| match *a {
            Arg::Ptr(p) => (p as usize as u64).to_ne_bytes(),
            Arg::U64(v) => v.to_ne_bytes(),
            Arg::U32(v) => {
                let mut b = [0u8; 8];
                b[..4].copy_from_slice(&v.to_ne_bytes());
                b
            }
        })
        .collect();
    let sizes: Vec<usize> = args.iter().map(Arg::size).collect();
    let mut params: Vec<*mut c_void> = values.iter_mut().map(|v| v.as_mut_ptr().cast()).collect();
    // SAFETY: `params[i]` points at an 8-byte buffer holding argument i in native byte order (the
    // low bytes for a u32), alive for the call; the registry checks count and sizes before it reads
    // them; the caller guarantees the pointer arguments (see # Safety).
    let rc = unsafe {
        sbk_launch(
            c.as_ptr(),
            grid,
            block,
            smem,
            params.as_mut_ptr(),
            sizes.as_ptr(),
            args.len(),
        )
    };
    match rc {
        0 => Ok(()),
        1 => Err(LaunchError::BadConfig {
            name: name.to_owned(),
            grid,
            block,
        }),
        -1 => Err(LaunchError::UnknownKernel {
            name: name.to_owned(),
        }),
        -2 => Err(LaunchError::ArgumentCount {
            name: name.to_owned(),
            expected: param_sizes(name).map_or(0, |s| s.len()),
            got: args.len(),
        }),
        r => {
            let index = usize::try_from(-(r + 100)).unwrap_or(usize::MAX);
            Err(LaunchError::ArgumentSize {
                name: name.to_owned(),
                index,
                expected: param_sizes(name)
                    .and_then(|s| s.get(index).copied())
                    .unwrap_or(0),
                got: sizes.get(index).copied().unwrap_or(0),
            })
        }
    }
}
