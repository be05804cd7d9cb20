//! The Rust mirror of `include/sparsebridge.h` keeps the header's layout and constants
//! (x86_64 / aarch64 LP64 offsets, computed by hand from the C struct).
#![allow(missing_docs)]

use std::mem::{offset_of, size_of};

use sparsebridge::*;

#[test]
fn struct_layout_matches_the_header() {
    assert_eq!(offset_of!(SBSparseTensor, version), 0);
    assert_eq!(offset_of!(SBSparseTensor, flags), 8);
    assert_eq!(offset_of!(SBSparseTensor, descriptor), 16);
    assert_eq!(offset_of!(SBSparseTensor, num_arrays), 24);
    assert_eq!(offset_of!(SBSparseTensor, names), 32);
    assert_eq!(offset_of!(SBSparseTensor, arrays), 40);
    assert_eq!(offset_of!(SBSparseTensor, manager_ctx), 48);
    assert_eq!(offset_of!(SBSparseTensor, deleter), 56);
    assert_eq!(size_of::<SBSparseTensor>(), 64);
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
