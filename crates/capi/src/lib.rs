//! sparsebridge's C ABI (issue 16): `SBSparseTensor`, a binsparse descriptor plus one DLPack
//! tensor per constituent array, and the `sb_*` functions of `include/sparsebridge.h`.
//!
//! | C function | Rust |
//! |---|---|
//! | `sb_read(path, &out)` | [`sparsebridge_io::read`], then [`tensor::export`] |
//! | `sb_write(path, x)` | [`tensor::read`], [`sparsebridge::SparseArray::validate_full`], [`sparsebridge_io::write`] (atomic) |
//! | `sb_validate(x)` | [`tensor::read`], [`sparsebridge::SparseArray::validate_full`] |
//! | `sb_convert(x, request, &out)` | a format name: [`sparsebridge::convert`]; a descriptor: [`sparsebridge::fulfil_request`] (on x's device) |
//! | `sb_from_parts(...)` | [`tensor::read_parts`], [`tensor::assemble`] with deferred ownership, committed on success |
//! | `x->deleter(x)` | the registry-checked release in [`tensor`] |
//!
//! The header is written by hand and is the contract; the Rust definitions here mirror it
//! (the unit tests check offsets and constants against the header). Every entry point runs inside
//! [`std::panic::catch_unwind`]: a panic becomes `SB_E_PANIC` with a message, never an unwind
//! into C. The raw DLPack ownership handling (deferred import, export tables) lives in the buffer
//! crate; the `unsafe` here only reads the C arguments.
//!
//! The Python extension links this crate as an rlib: `sparsebridge.to_capsule` is [`tensor::export`],
//! `sparsebridge.from_capsule` is [`tensor::take`].

use std::ffi::{CStr, c_char};
use std::os::unix::ffi::OsStrExt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use sparsebridge::buffer::dlpack::import::Ownership;
use sparsebridge::{
    Buffer, ConvertOptions, Device, PredefinedFormat, SparseArray, Target, convert, fulfil_request,
};
use sparsebridge_buffer::dlpack::DLManagedTensorVersioned;
use sparsebridge_io::{ReadOptions, WriteOptions};

#[cfg(feature = "pyo3")]
pub mod capsule;
pub mod error;
pub mod tensor;

pub use error::{
    CapiError, SB_E_ARRAY, SB_E_DESCRIPTOR, SB_E_DEVICE, SB_E_DLPACK, SB_E_INVALID_ARGUMENT,
    SB_E_IO, SB_E_NULL, SB_E_PANIC, SB_E_RELEASED, SB_E_STRUCTURE, SB_E_UNSUPPORTED, SB_E_VERSION,
    SB_OK, last_error,
};
pub use tensor::{SBDeleter, SBSparseTensor, SBVersion};

/// `SB_ABI_VERSION_MAJOR`: the layout of `SBSparseTensor`.
pub const SB_ABI_VERSION_MAJOR: u32 = 1;
/// `SB_ABI_VERSION_MINOR`: additions that keep the layout.
pub const SB_ABI_VERSION_MINOR: u32 = 0;
/// `SB_FLAG_READ_ONLY`: the consumer must not write to any array's memory.
pub const SB_FLAG_READ_ONLY: u64 = 1;

/// Test-only fault injection: makes the next guarded entry point (or deleter) panic, to check
/// that the panic is caught at the boundary.
#[cfg(test)]
pub(crate) mod fault {
    use std::cell::Cell;

    thread_local! {
        static PANIC_NEXT: Cell<bool> = const { Cell::new(false) };
    }

    pub(crate) fn panic_next() {
        PANIC_NEXT.with(|p| p.set(true));
    }

    pub(crate) fn maybe_panic(site: &str) {
        if PANIC_NEXT.with(|p| p.replace(false)) {
            panic!("injected panic in {site}");
        }
    }
}

#[cfg(not(test))]
pub(crate) mod fault {
    #[inline(always)]
    pub(crate) fn maybe_panic(_site: &str) {}
}

/// Runs an entry point's body: `SB_OK`, or the failure's code with its message recorded for
/// `sb_last_error`; a panic is caught and becomes `SB_E_PANIC`.
fn guard(site: &str, body: impl FnOnce() -> Result<(), CapiError>) -> i32 {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        fault::maybe_panic(site);
        body()
    }));
    match outcome {
        Ok(Ok(())) => SB_OK,
        Ok(Err(e)) => error::record(&e),
        Err(payload) => error::record(&CapiError::new(
            SB_E_PANIC,
            format!(
                "{site}: sparsebridge panicked (caught at the C boundary): {}",
                error::panic_message(&*payload)
            ),
        )),
    }
}

fn check_out(out: *mut *mut SBSparseTensor) -> Result<(), CapiError> {
    if out.is_null() {
        return Err(CapiError::new(SB_E_NULL, "out is NULL"));
    }
    Ok(())
}

/// Stores a new tensor in `*out` (the last step of a successful call).
///
/// # Safety
/// `out` is non-null and writable.
unsafe fn store(out: *mut *mut SBSparseTensor, array: SparseArray) -> Result<(), CapiError> {
    let p = tensor::export(array)?;
    // SAFETY: non-null and writable (caller).
    unsafe { out.write(p) };
    Ok(())
}

/// # Safety
/// `path` is NULL or NUL-terminated.
unsafe fn path<'a>(p: *const c_char) -> Result<&'a Path, CapiError> {
    if p.is_null() {
        return Err(CapiError::new(SB_E_NULL, "path is NULL"));
    }
    // SAFETY: non-null, NUL-terminated (caller). Paths are bytes on Unix: no UTF-8 needed.
    let bytes = unsafe { CStr::from_ptr(p) }.to_bytes();
    if bytes.is_empty() {
        return Err(CapiError::new(SB_E_INVALID_ARGUMENT, "path is empty"));
    }
    Ok(Path::new(std::ffi::OsStr::from_bytes(bytes)))
}

/// The array on the CPU (a copy for device data; the same array otherwise).
fn on_cpu(array: &SparseArray) -> Result<SparseArray, CapiError> {
    if array.device().is_host_accessible() {
        return Ok(array.clone());
    }
    let arrays = array
        .arrays()
        .iter()
        .map(|(n, b)| b.copy_to(Device::Cpu).map(|b| (n.clone(), b)))
        .collect::<Result<Vec<(String, Buffer)>, _>>()?;
    Ok(SparseArray::try_new(array.descriptor().clone(), arrays)?)
}

/// Fulfils a conversion request (a predefined format name, or a descriptor JSON) on the
/// array's device, as `SparseArray.asformat` / `__binsparse__(descriptor=...)` do in Python.
pub fn convert_request(array: &SparseArray, request: &str) -> Result<SparseArray, CapiError> {
    array.validate_full()?;
    if request.trim_start().starts_with('{') {
        let requested = tensor::parse_request(request)?;
        let out = fulfil_request(array, &requested, None)?;
        // The stored count depends on the layout (a dense format stores every element).
        if requested.nnz_known() && requested.nnz() != out.array.nnz() {
            return Err(CapiError::new(
                SB_E_UNSUPPORTED,
                format!(
                    "requested number_of_stored_values {} differs from the {} the array has in that format",
                    requested.nnz(),
                    out.array.nnz()
                ),
            ));
        }
        return Ok(out.array);
    }
    let format: PredefinedFormat = request.trim().parse().map_err(|_| {
        CapiError::new(
            SB_E_UNSUPPORTED,
            format!(
                "request {request:?} is neither a predefined format name ({}) nor a descriptor JSON",
                PredefinedFormat::ALL.map(PredefinedFormat::name).join(", ")
            ),
        )
    })?;
    let out = convert(array, &Target::format(format), &ConvertOptions::default())?;
    Ok(out.array)
}

/// `SB_ABI_VERSION_MAJOR` of the library actually loaded.
#[unsafe(no_mangle)]
pub extern "C" fn sb_abi_version_major() -> u32 {
    SB_ABI_VERSION_MAJOR
}

/// `SB_ABI_VERSION_MINOR` of the library actually loaded.
#[unsafe(no_mangle)]
pub extern "C" fn sb_abi_version_minor() -> u32 {
    SB_ABI_VERSION_MINOR
}

/// The library version (`"0.1.0"`), a static string.
#[unsafe(no_mangle)]
pub extern "C" fn sb_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The message of the last failure on this thread (`""` if none): valid until the next failing
/// call on this thread.
#[unsafe(no_mangle)]
pub extern "C" fn sb_last_error() -> *const c_char {
    catch_unwind(error::last_error_ptr).unwrap_or(c"".as_ptr())
}

/// Reads a `.bsp.h5`/`.h5`, `.mtx` file or a binsparse NPY directory.
///
/// # Safety
/// `path` is NULL or NUL-terminated; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sb_read(path: *const c_char, out: *mut *mut SBSparseTensor) -> i32 {
    guard("sb_read", || {
        check_out(out)?;
        // SAFETY: forwarded.
        let path = unsafe { self::path(path) }?;
        let read = sparsebridge_io::read(path, &ReadOptions::default())?;
        // SAFETY: checked non-null; writable (caller).
        unsafe { store(out, read.array) }
    })
}

/// Writes `x` to `path` (format from the extension, as `sb_read`), atomically.
///
/// # Safety
/// `path` is NULL or NUL-terminated; `x` is NULL or a live tensor following the ABI.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sb_write(path: *const c_char, x: *const SBSparseTensor) -> i32 {
    guard("sb_write", || {
        // SAFETY: forwarded.
        let path = unsafe { self::path(path) }?;
        // SAFETY: forwarded.
        let input = unsafe { tensor::read(x) }?;
        input.array().validate_full()?;
        let array = on_cpu(input.array())?;
        sparsebridge_io::write(&array, path, &WriteOptions::default())?;
        Ok(())
    })
}

/// The full O(nnz) structural check.
///
/// # Safety
/// `x` is NULL or a live tensor following the ABI.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sb_validate(x: *const SBSparseTensor) -> i32 {
    guard("sb_validate", || {
        // SAFETY: forwarded.
        let input = unsafe { tensor::read(x) }?;
        input.array().validate_full()?;
        Ok(())
    })
}

/// Converts `x` to `request` (a predefined format name or a descriptor JSON) on x's device.
///
/// # Safety
/// `x` is NULL or a live tensor following the ABI; `request` NULL or NUL-terminated; `out` NULL
/// or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sb_convert(
    x: *const SBSparseTensor,
    request: *const c_char,
    out: *mut *mut SBSparseTensor,
) -> i32 {
    guard("sb_convert", || {
        check_out(out)?;
        if request.is_null() {
            return Err(CapiError::new(SB_E_NULL, "request is NULL"));
        }
        // SAFETY: non-null, NUL-terminated (caller).
        let request = unsafe { CStr::from_ptr(request) }
            .to_str()
            .map_err(|e| CapiError::new(SB_E_DESCRIPTOR, format!("request is not UTF-8: {e}")))?;
        // SAFETY: forwarded.
        let input = unsafe { tensor::read(x) }?;
        let mut result = convert_request(input.array(), request)?;
        if input.is_foreign() {
            // The result may share memory with the caller's arrays; it must outlive them.
            result = tensor::detach_foreign(result)?;
        }
        drop(input);
        // SAFETY: checked non-null; writable (caller).
        unsafe { store(out, result) }
    })
}

/// Builds a tensor over the caller's DLPack tensors, zero-copy. On success it owns them (their
/// deleters run, once each, when the last tensor sharing them is released); on failure they
/// stay with the caller, untouched.
///
/// # Safety
/// `descriptor` NULL or NUL-terminated; `names`/`arrays` NULL or `num_arrays` readable pointers,
/// each name NULL or NUL-terminated and each tensor NULL or a live `DLManagedTensorVersioned`
/// owned by the caller; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sb_from_parts(
    descriptor: *const std::ffi::c_char,
    num_arrays: i32,
    names: *const *const c_char,
    arrays: *const *mut DLManagedTensorVersioned,
    out: *mut *mut SBSparseTensor,
) -> i32 {
    guard("sb_from_parts", || {
        check_out(out)?;
        // SAFETY: forwarded.
        let parts = unsafe { tensor::read_parts(descriptor, num_arrays, names, arrays) }?;
        let ownership = Ownership::new();
        // SAFETY: the caller's tensors are live; uncommitted on every error path below.
        let array = unsafe { tensor::assemble(&parts, &ownership) }?;
        let p = tensor::export(array)?;
        // Everything that can fail has; from here the tensors are ours.
        ownership.commit();
        // SAFETY: checked non-null; writable (caller).
        unsafe { out.write(p) };
        Ok(())
    })
}

#[cfg(test)]
mod tests;
