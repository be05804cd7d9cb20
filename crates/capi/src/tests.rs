//! Unit tests of the ABI from Rust: ownership (deleters counted), hostile input, caught panics.
//! The oracle for values is a dense matrix rebuilt here from the Matrix Market triples.
#![allow(clippy::undocumented_unsafe_blocks)]

use std::ffi::{CStr, CString, c_char};
use std::sync::atomic::{AtomicUsize, Ordering};

use sparsebridge_buffer::dlpack::DLManagedTensorVersioned;

use super::*;

const MTX: &str = "%%MatrixMarket matrix coordinate real general\n4 5 7\n3 2 -1.5\n1 1 2\n4 5 7.25\n1 4 3\n2 3 4.5\n4 1 -6\n3 5 1\n";

fn oracle() -> Vec<Vec<f64>> {
    let mut d = vec![vec![0.0; 5]; 4];
    for line in MTX.lines().skip(2) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (i, j): (usize, usize) = (f[0].parse().unwrap(), f[1].parse().unwrap());
        d[i - 1][j - 1] += f[2].parse::<f64>().unwrap();
    }
    d
}

fn cstr(s: &str) -> CString {
    CString::new(s).unwrap()
}

fn mtx_tensor(dir: &tempfile::TempDir) -> *mut SBSparseTensor {
    let p = dir.path().join("a.mtx");
    std::fs::write(&p, MTX).unwrap();
    let path = cstr(p.to_str().unwrap());
    let mut out = std::ptr::null_mut();
    assert_eq!(
        unsafe { sb_read(path.as_ptr(), &mut out) },
        SB_OK,
        "{}",
        last_error()
    );
    out
}

fn free(x: *mut SBSparseTensor) {
    unsafe { (*x).deleter.unwrap()(x) }
}

/// Dense reconstruction of a 2-D tensor through its DLPack arrays (CSC via a conversion).
fn dense_of(x: *const SBSparseTensor) -> Vec<Vec<f64>> {
    let mut coo = std::ptr::null_mut();
    let req = cstr("COOR");
    assert_eq!(
        unsafe { sb_convert(x, req.as_ptr(), &mut coo) },
        SB_OK,
        "{}",
        last_error()
    );
    let t = unsafe { &*coo };
    let arr = |k: usize| unsafe {
        let name = CStr::from_ptr(*t.names.add(k)).to_str().unwrap().to_owned();
        let dl = &(**t.arrays.add(k)).dl_tensor;
        (
            name,
            dl.data as *const u8,
            *dl.shape as usize,
            dl.dtype.bits,
        )
    };
    let mut rows = vec![];
    let mut cols = vec![];
    let mut vals = vec![];
    for k in 0..t.num_arrays as usize {
        let (name, data, n, bits) = arr(k);
        match name.as_str() {
            "indices_0" | "indices_1" => {
                let s: Vec<i64> = match bits {
                    64 => unsafe { std::slice::from_raw_parts(data.cast::<i64>(), n) }.to_vec(),
                    32 => unsafe { std::slice::from_raw_parts(data.cast::<i32>(), n) }
                        .iter()
                        .map(|&v| i64::from(v))
                        .collect(),
                    b => panic!("index bits {b}"),
                };
                if name == "indices_0" {
                    rows = s
                } else {
                    cols = s
                }
            }
            "values" => {
                vals = unsafe { std::slice::from_raw_parts(data.cast::<f64>(), n) }.to_vec()
            }
            other => panic!("unexpected {other}"),
        }
    }
    let mut d = vec![vec![0.0; 5]; 4];
    for k in 0..vals.len() {
        d[rows[k] as usize][cols[k] as usize] += vals[k];
    }
    free(coo);
    d
}

#[test]
fn every_predefined_matrix_format_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let x = mtx_tensor(&dir);
    assert_eq!(unsafe { (*x).flags } & SB_FLAG_READ_ONLY, SB_FLAG_READ_ONLY);
    for f in PredefinedFormat::ALL.iter().filter(|f| f.rank() == 2) {
        let mut y = std::ptr::null_mut();
        let req = cstr(f.name());
        assert_eq!(
            unsafe { sb_convert(x, req.as_ptr(), &mut y) },
            SB_OK,
            "{f:?}: {}",
            last_error()
        );
        assert_eq!(unsafe { sb_validate(y) }, SB_OK);
        let path = dir.path().join(format!("{}.bsp", f.name()));
        let p = cstr(path.to_str().unwrap());
        assert_eq!(
            unsafe { sb_write(p.as_ptr(), y) },
            SB_OK,
            "{}",
            last_error()
        );
        let mut z = std::ptr::null_mut();
        assert_eq!(
            unsafe { sb_read(p.as_ptr(), &mut z) },
            SB_OK,
            "{}",
            last_error()
        );
        let d = unsafe { CStr::from_ptr((*z).descriptor) }.to_str().unwrap();
        assert!(d.contains(&format!("\"{}\"", f.name())), "{d}");
        assert_eq!(dense_of(z), oracle(), "{f:?}");
        free(z);
        free(y);
    }
    free(x);
}

static DELETED: AtomicUsize = AtomicUsize::new(0);

#[repr(C)]
struct Caller {
    managed: DLManagedTensorVersioned,
    shape: [i64; 1],
    strides: [i64; 1],
    data: Vec<u8>,
}

unsafe extern "C" fn counted(p: *mut DLManagedTensorVersioned) {
    DELETED.fetch_add(1, Ordering::SeqCst);
    drop(unsafe { Box::from_raw(p.cast::<Caller>()) });
}

fn caller_tensor<T: Copy>(v: &[T], code: u8) -> *mut DLManagedTensorVersioned {
    use dlpark::ffi::*;
    let bytes =
        unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u8>(), std::mem::size_of_val(v)) };
    let mut b = Box::new(Caller {
        managed: DLManagedTensorVersioned {
            version: DLPackVersion { major: 1, minor: 3 },
            manager_ctx: std::ptr::null_mut(),
            deleter: Some(counted),
            flags: dlpark::DlpackFlags::empty(),
            dl_tensor: DLTensor {
                data: std::ptr::null_mut(),
                device: DLDevice {
                    device_type: DLDeviceType(1),
                    device_id: 0,
                },
                ndim: 1,
                dtype: DLDataType {
                    code: DLDataTypeCode(code),
                    bits: (8 * size_of::<T>()) as u8,
                    lanes: 1,
                },
                shape: std::ptr::null_mut(),
                strides: std::ptr::null_mut(),
                byte_offset: 0,
            },
        },
        shape: [v.len() as i64],
        strides: [1],
        data: bytes.to_vec(),
    });
    // 8-byte alignment of a Vec<u8> is not guaranteed in general; the allocator gives 16 here.
    b.managed.dl_tensor.data = b.data.as_mut_ptr().cast();
    b.managed.dl_tensor.shape = b.shape.as_mut_ptr();
    b.managed.dl_tensor.strides = b.strides.as_mut_ptr();
    Box::into_raw(b).cast()
}

const CSR: &str = r#"{"binsparse": {"version": "0.1", "format": "CSR", "shape": [2, 3], "number_of_stored_values": 3, "data_types": {"pointers_to_1": "int64", "indices_1": "int64", "values": "float64"}}}"#;

fn csr_parts(indices: &[i64]) -> [*mut DLManagedTensorVersioned; 3] {
    [
        caller_tensor(&[0i64, 2, 3], 0),
        caller_tensor(indices, 0),
        caller_tensor(&[1.0f64, 2.0, 3.0], 2),
    ]
}

fn names() -> (Vec<CString>, Vec<*const c_char>) {
    let n: Vec<CString> = ["pointers_to_1", "indices_1", "values"].map(cstr).into();
    let p = n.iter().map(|c| c.as_ptr()).collect();
    (n, p)
}

// One test owns the global deleter counter (tests run in parallel).
#[test]
fn from_parts_zero_copy_ownership_and_hostile_input() {
    let (_n, np) = names();
    let d = cstr(CSR);
    // Success: zero copy, deleters exactly once, after every sharing tensor is released.
    DELETED.store(0, Ordering::SeqCst);
    let parts = csr_parts(&[0, 2, 1]);
    let inputs: Vec<usize> = parts
        .iter()
        .map(|&p| unsafe { (*p).dl_tensor.data as usize })
        .collect();
    let mut x = std::ptr::null_mut();
    assert_eq!(
        unsafe { sb_from_parts(d.as_ptr(), 3, np.as_ptr(), parts.as_ptr(), &mut x) },
        SB_OK,
        "{}",
        last_error()
    );
    let t = unsafe { &*x };
    for (k, &input) in inputs.iter().enumerate() {
        assert_eq!(
            unsafe { (**t.arrays.add(k)).dl_tensor.data as usize },
            input
        );
    }
    assert_eq!(unsafe { sb_validate(x) }, SB_OK);
    let mut same = std::ptr::null_mut();
    let req = cstr("CSR");
    assert_eq!(unsafe { sb_convert(x, req.as_ptr(), &mut same) }, SB_OK);
    let deleter = t.deleter.unwrap();
    unsafe { deleter(x) };
    assert_eq!(
        DELETED.load(Ordering::SeqCst),
        0,
        "still shared by the conversion"
    );
    // A second call through the API is detected and ignored.
    unsafe { deleter(x) };
    assert!(last_error().contains("not live"), "{}", last_error());
    free(same);
    assert_eq!(DELETED.load(Ordering::SeqCst), 3);

    // Failures leave ownership with the caller (deleters not called) and *out untouched.
    let sentinel = std::ptr::dangling_mut::<SBSparseTensor>();
    let hostile: Vec<(&str, String, i32)> = vec![
        ("malformed", "{not json".into(), SB_E_DESCRIPTOR),
        (
            "wrong dtype",
            CSR.replace("\"values\": \"float64\"", "\"values\": \"int32\""),
            SB_E_ARRAY,
        ),
        ("wrong shape", CSR.replace("[2, 3]", "[5, 3]"), SB_E_ARRAY),
        ("wrong nnz", CSR.replace(": 3,", ": 4,"), SB_E_ARRAY),
    ];
    for (what, desc, code) in hostile {
        DELETED.store(0, Ordering::SeqCst);
        let parts = csr_parts(&[0, 2, 1]);
        let desc = cstr(&desc);
        let mut out = sentinel;
        let rc = unsafe { sb_from_parts(desc.as_ptr(), 3, np.as_ptr(), parts.as_ptr(), &mut out) };
        assert_eq!(rc, code, "{what}: {}", last_error());
        assert_eq!(out, sentinel);
        assert!(!last_error().is_empty());
        assert_eq!(DELETED.load(Ordering::SeqCst), 0, "{what}");
        for p in parts {
            unsafe { counted(p) };
        }
    }
    // Non-UTF-8 descriptor.
    let bad = CString::new(vec![b'{', 0xff, b'}']).unwrap();
    let parts = csr_parts(&[0, 2, 1]);
    let mut out = sentinel;
    assert_eq!(
        unsafe { sb_from_parts(bad.as_ptr(), 3, np.as_ptr(), parts.as_ptr(), &mut out) },
        SB_E_DESCRIPTOR
    );
    // NULLs and counts.
    assert_eq!(
        unsafe { sb_from_parts(std::ptr::null(), 3, np.as_ptr(), parts.as_ptr(), &mut out) },
        SB_E_NULL
    );
    assert_eq!(
        unsafe { sb_from_parts(d.as_ptr(), -1, np.as_ptr(), parts.as_ptr(), &mut out) },
        SB_E_INVALID_ARGUMENT
    );
    assert_eq!(
        unsafe { sb_from_parts(d.as_ptr(), 3, std::ptr::null(), parts.as_ptr(), &mut out) },
        SB_E_NULL
    );
    assert_eq!(
        unsafe {
            sb_from_parts(
                d.as_ptr(),
                3,
                np.as_ptr(),
                parts.as_ptr(),
                std::ptr::null_mut(),
            )
        },
        SB_E_NULL
    );
    assert_eq!(
        unsafe { sb_from_parts(d.as_ptr(), 2, np.as_ptr(), parts.as_ptr(), &mut out) },
        SB_E_ARRAY
    );
    // A wrong DLPack major version is rejected without calling its deleter.
    unsafe { (*parts[2]).version.major = 2 };
    assert_eq!(
        unsafe { sb_from_parts(d.as_ptr(), 3, np.as_ptr(), parts.as_ptr(), &mut out) },
        SB_E_DLPACK
    );
    assert_eq!(out, sentinel);
    for p in parts {
        unsafe { counted(p) };
    }
    // Out-of-range and unsorted indices: built (O(1) checks), rejected by sb_validate/convert.
    let parts = csr_parts(&[0, 9, 1]);
    let mut x = std::ptr::null_mut();
    assert_eq!(
        unsafe { sb_from_parts(d.as_ptr(), 3, np.as_ptr(), parts.as_ptr(), &mut x) },
        SB_OK
    );
    assert_eq!(
        unsafe { sb_validate(x) },
        SB_E_STRUCTURE,
        "{}",
        last_error()
    );
    let mut y = sentinel;
    assert_eq!(
        unsafe { sb_convert(x, req.as_ptr(), &mut y) },
        SB_E_STRUCTURE
    );
    assert_eq!(y, sentinel);
    // A copy of a released tensor's header, and a NULL deleter, are detected.
    let copy = SBSparseTensor {
        ..unsafe { std::ptr::read(x) }
    };
    free(x);
    assert_eq!(unsafe { sb_validate(&copy) }, SB_E_RELEASED);
    let no_deleter = SBSparseTensor {
        deleter: None,
        ..copy
    };
    assert_eq!(unsafe { sb_validate(&no_deleter) }, SB_E_RELEASED);
    let wrong_version = SBSparseTensor {
        version: SBVersion { major: 2, minor: 0 },
        ..no_deleter
    };
    assert_eq!(unsafe { sb_validate(&wrong_version) }, SB_E_VERSION);
    assert_eq!(unsafe { sb_validate(std::ptr::null()) }, SB_E_NULL);
}

#[test]
fn panics_are_caught_at_the_boundary() {
    fault::panic_next();
    assert_eq!(unsafe { sb_validate(std::ptr::null()) }, SB_E_PANIC);
    assert!(last_error().contains("injected panic"), "{}", last_error());
    let dir = tempfile::tempdir().unwrap();
    let x = mtx_tensor(&dir);
    // A panic inside the deleter: caught and recorded; the tensor stays live, and a second
    // call releases it.
    fault::panic_next();
    free(x);
    assert!(
        last_error().contains("panic while releasing"),
        "{}",
        last_error()
    );
    assert_eq!(unsafe { sb_validate(x) }, SB_OK);
    free(x);
}

#[test]
fn read_errors_and_requests() {
    let mut out = std::ptr::null_mut();
    let missing = cstr("/nonexistent/a.mtx");
    assert_eq!(unsafe { sb_read(missing.as_ptr(), &mut out) }, SB_E_IO);
    assert!(out.is_null());
    assert_eq!(unsafe { sb_read(std::ptr::null(), &mut out) }, SB_E_NULL);
    let dir = tempfile::tempdir().unwrap();
    let x = mtx_tensor(&dir);
    let bogus = cstr("NOPE");
    assert_eq!(
        unsafe { sb_convert(x, bogus.as_ptr(), &mut out) },
        SB_E_UNSUPPORTED
    );
    // A descriptor request: CSC with int32 indices.
    let req = cstr(
        r#"{"binsparse": {"version": "0.1", "format": "CSC", "shape": [4, 5], "data_types": {"pointers_to_1": "int32", "indices_1": "int32", "values": "float64"}}}"#,
    );
    assert_eq!(
        unsafe { sb_convert(x, req.as_ptr(), &mut out) },
        SB_OK,
        "{}",
        last_error()
    );
    assert_eq!(unsafe { (**(*out).arrays).dl_tensor.dtype.bits }, 32);
    assert_eq!(dense_of(out), oracle());
    free(out);
    free(x);
}

// The Rust mirror of `include/sparsebridge.h` keeps the header's layout and constants (LP64
// offsets computed by hand from the C struct). In the unit tests because the library's name
// (`sparsebridge`) collides with the facade's in an integration test.

#[test]
fn struct_layout_matches_the_header() {
    assert_eq!(std::mem::offset_of!(SBSparseTensor, version), 0);
    assert_eq!(std::mem::offset_of!(SBSparseTensor, flags), 8);
    assert_eq!(std::mem::offset_of!(SBSparseTensor, descriptor), 16);
    assert_eq!(std::mem::offset_of!(SBSparseTensor, num_arrays), 24);
    assert_eq!(std::mem::offset_of!(SBSparseTensor, names), 32);
    assert_eq!(std::mem::offset_of!(SBSparseTensor, arrays), 40);
    assert_eq!(std::mem::offset_of!(SBSparseTensor, manager_ctx), 48);
    assert_eq!(std::mem::offset_of!(SBSparseTensor, deleter), 56);
    assert_eq!(std::mem::size_of::<SBSparseTensor>(), 64);
}

#[test]
fn constants_match_the_header() {
    let header = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/include/sparsebridge.h"
    ))
    .unwrap();
    let define = |name: &str| -> i64 {
        let line = header
            .lines()
            .find(|l| l.starts_with(&format!("#define {name} ")))
            .unwrap_or_else(|| panic!("{name} not in the header"));
        let v = line.split_whitespace().nth(2).unwrap();
        v.trim_matches(|c| c == '(' || c == ')')
            .trim_end_matches('u')
            .parse()
            .unwrap()
    };
    assert_eq!(
        define("SB_ABI_VERSION_MAJOR"),
        i64::from(SB_ABI_VERSION_MAJOR)
    );
    assert_eq!(
        define("SB_ABI_VERSION_MINOR"),
        i64::from(SB_ABI_VERSION_MINOR)
    );
    assert_eq!(define("SB_FLAG_READ_ONLY") as u64, SB_FLAG_READ_ONLY);
    for (name, code) in [
        ("SB_OK", SB_OK),
        ("SB_E_NULL", SB_E_NULL),
        ("SB_E_VERSION", SB_E_VERSION),
        ("SB_E_DESCRIPTOR", SB_E_DESCRIPTOR),
        ("SB_E_ARRAY", SB_E_ARRAY),
        ("SB_E_STRUCTURE", SB_E_STRUCTURE),
        ("SB_E_DLPACK", SB_E_DLPACK),
        ("SB_E_IO", SB_E_IO),
        ("SB_E_UNSUPPORTED", SB_E_UNSUPPORTED),
        ("SB_E_DEVICE", SB_E_DEVICE),
        ("SB_E_RELEASED", SB_E_RELEASED),
        ("SB_E_INVALID_ARGUMENT", SB_E_INVALID_ARGUMENT),
        ("SB_E_PANIC", SB_E_PANIC),
    ] {
        assert_eq!(define(name), i64::from(code), "{name}");
    }
    assert_eq!(sb_abi_version_major(), SB_ABI_VERSION_MAJOR);
}
