//! Run-time compilation of CUDA C++ to PTX with NVRTC (through cudarc's dynamically loaded
//! bindings). Guarded by [`super::kernel_compiler`]: without `libnvrtc.so.13` every call returns
//! [`DeviceUnavailable::NoKernelCompiler`] instead of panicking.

use std::ffi::{CString, c_char};

use cudarc::nvrtc::{result as nvrtc, sys as nvrtc_sys};

use super::KernelError;
use super::kernel_compiler;
use crate::error::DeviceUnavailable;

fn cstring(program: &str, what: &str, text: &str) -> Result<CString, KernelError> {
    CString::new(text).map_err(|_| KernelError::Compile {
        program: program.to_owned(),
        log: format!("{what} contains a NUL byte"),
    })
}

fn nvrtc_err(program: &str, op: &'static str, e: nvrtc::NvrtcError) -> KernelError {
    KernelError::Nvrtc {
        program: program.to_owned(),
        op,
        code: e.0 as i32,
    }
}

fn chars_to_string(v: &[c_char]) -> String {
    let bytes: Vec<u8> = v
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Compiles `source` (named `program` in diagnostics) to PTX with `options`, handing each
/// `(include name, text)` of `headers` to NVRTC so that `#include "name"` needs no file system.
/// A compile failure returns [`KernelError::Compile`] with NVRTC's full log.
pub fn compile_ptx(
    program: &str,
    source: &str,
    headers: &[(&str, &str)],
    options: &[String],
) -> Result<String, KernelError> {
    kernel_compiler().map_err(|e: DeviceUnavailable| KernelError::Unavailable(e))?;
    let src = cstring(program, "the source", source)?;
    let name = cstring(program, "the program name", program)?;
    let header_texts = headers
        .iter()
        .map(|(n, t)| cstring(program, n, t))
        .collect::<Result<Vec<_>, _>>()?;
    let header_names = headers
        .iter()
        .map(|(n, _)| cstring(program, "a header name", n))
        .collect::<Result<Vec<_>, _>>()?;
    let text_ptrs: Vec<*const c_char> = header_texts.iter().map(|c| c.as_ptr()).collect();
    let name_ptrs: Vec<*const c_char> = header_names.iter().map(|c| c.as_ptr()).collect();
    let count = i32::try_from(headers.len()).map_err(|_| KernelError::Compile {
        program: program.to_owned(),
        log: "too many headers".to_owned(),
    })?;
    let mut prog: nvrtc_sys::nvrtcProgram = std::ptr::null_mut();
    // SAFETY: NVRTC is loaded (checked above); every pointer is a NUL-terminated string kept alive
    // (`src`, `name`, `header_*`) until the program is destroyed below; the arrays hold `count`
    // entries.
    unsafe {
        nvrtc_sys::nvrtcCreateProgram(
            &mut prog,
            src.as_ptr(),
            name.as_ptr(),
            count,
            text_ptrs.as_ptr(),
            name_ptrs.as_ptr(),
        )
    }
    .result()
    .map_err(|e| nvrtc_err(program, "nvrtcCreateProgram", e))?;
    let compiled = (|| {
        // SAFETY: `prog` was created above and is destroyed only after this closure.
        let rc = unsafe { nvrtc::compile_program(prog, options) };
        if let Err(e) = rc {
            // SAFETY: as above.
            let log = unsafe { nvrtc::get_program_log(prog) }
                .map(|l| chars_to_string(&l))
                .unwrap_or_default();
            return Err(match e.0 {
                nvrtc_sys::nvrtcResult::NVRTC_ERROR_COMPILATION => KernelError::Compile {
                    program: program.to_owned(),
                    log,
                },
                _ => nvrtc_err(program, "nvrtcCompileProgram", e),
            });
        }
        // SAFETY: as above; the program compiled.
        let ptx =
            unsafe { nvrtc::get_ptx(prog) }.map_err(|e| nvrtc_err(program, "nvrtcGetPTX", e))?;
        Ok(chars_to_string(&ptx))
    })();
    // SAFETY: `prog` is destroyed exactly once, after its last use.
    let _ = unsafe { nvrtc::destroy_program(prog) };
    compiled
}

/// The NVRTC options of kernels/README.md for a device of compute capability `(major, minor)`:
/// the highest of `compute_75/80/90` the device can run (the driver JIT-compiles PTX for newer
/// devices), C++17, device code by default.
pub fn kernel_options(capability: (i32, i32)) -> Vec<String> {
    let cc = capability.0 * 10 + capability.1;
    let arch = if cc >= 90 {
        90
    } else if cc >= 80 {
        80
    } else {
        75
    };
    vec![
        format!("--gpu-architecture=compute_{arch}"),
        "--std=c++17".to_owned(),
        "--device-as-default-execution-space".to_owned(),
    ]
}
