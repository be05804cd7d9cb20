//! Shared by the file-reader targets: scratch paths and the checks every accepted file must pass.
#![allow(dead_code)]

use std::path::PathBuf;

use sparsebridge_array::SparseArray;

/// Separates the parts of a multi-file input (an NPY directory); seeds and the dictionary use it.
pub const SEP: &[u8] = b"\x00SBFUZZ\x00";

/// A scratch path unique to this process (tmpfs when available), removed and recreated per input.
pub fn scratch(name: &str) -> PathBuf {
    let root = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let dir = root.join(format!("sbfuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    dir.join(name)
}

/// Splits `data` on [`SEP`].
pub fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while let Some(i) = rest.windows(SEP.len()).position(|w| w == SEP) {
        parts.push(&rest[..i]);
        rest = &rest[i + SEP.len()..];
    }
    parts.push(rest);
    parts
}

/// A reader's output must be a valid array: the structural check from scratch must pass.
pub fn assert_valid(a: &SparseArray, what: &str) {
    let (d, arrays) = a.clone().into_parts();
    let fresh = SparseArray::try_new(d, arrays).unwrap_or_else(|e| {
        panic!("{what}: reader returned an array that fails construction: {e}")
    });
    fresh
        .validate_full()
        .unwrap_or_else(|e| panic!("{what}: reader returned an invalid array: {e}"));
}

/// Same descriptor and byte-identical constituents, by name.
pub fn assert_same(a: &SparseArray, b: &SparseArray, what: &str) {
    assert_eq!(a.descriptor(), b.descriptor(), "{what}: descriptor changed");
    assert_eq!(
        a.arrays().len(),
        b.arrays().len(),
        "{what}: array count changed"
    );
    for (name, buf) in a.arrays() {
        let other = b
            .array(name)
            .unwrap_or_else(|| panic!("{what}: array {name} lost"));
        assert_eq!(buf.dtype(), other.dtype(), "{what}: {name} dtype");
        assert_eq!(
            buf.as_bytes().expect("host"),
            other.as_bytes().expect("host"),
            "{what}: {name} bytes"
        );
    }
}
