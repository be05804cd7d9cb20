//! Every input the fuzzers found (fuzz/regressions/<target>/) is read again here, in the normal
//! test run: each must give a typed result (a valid array, or an error), never a panic or an
//! abort. The findings and their fixes are listed in docs/reliability.md.

use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions")
        .join(target);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[cfg(feature = "hdf5")]
#[test]
fn h5_findings_are_typed_errors() {
    let files = inputs("h5_read");
    assert!(
        !files.is_empty(),
        "the committed h5_read findings are missing"
    );
    for f in files {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("x.bsp.h5");
        std::fs::copy(&f, &path).unwrap();
        match sparsebridge_io::h5::read_h5(&path) {
            Ok((a, _)) => {
                let _ = a.validate_full();
            }
            Err(e) => assert!(!e.to_string().is_empty(), "{}", f.display()),
        }
    }
}

#[test]
fn mtx_findings_read_back_or_fail_cleanly() {
    for f in inputs("mtx_read") {
        let bytes = std::fs::read(&f).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("x.mtx");
        // The fuzz input's first byte selects reader options; the rest is the file.
        std::fs::write(&path, bytes.get(1..).unwrap_or_default()).unwrap();
        let options = sparsebridge_io::ReadOptions {
            expand_symmetry: bytes.first().is_some_and(|b| b & 1 == 1),
            ..Default::default()
        };
        if let Ok(a) = sparsebridge_io::mtx::read_mtx(&path, &options) {
            a.validate_full().unwrap();
            let out = tmp.path().join("y.mtx");
            sparsebridge_io::mtx::write_mtx(&a, &out, false).unwrap();
            let b = sparsebridge_io::mtx::read_mtx(&out, &options).unwrap();
            assert_eq!(a.shape(), b.shape());
            assert_eq!(a.nnz(), b.nnz());
        }
    }
}
