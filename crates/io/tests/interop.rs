//! Interop with the PyPI `binsparse` 0.1.4 reference package (and h5py, scipy), generated inside
//! the test: files it writes are read correctly, and files sparsebridge writes (with the `0.1.0`
//! version spelling it requires) are read correctly by it. The oracle on both sides is scipy's or
//! NumPy's dense matrix, sent as JSON.
//!
//! Python: `$SPARSEBRIDGE_PYTHON`, else the workspace `.venv`. Skipped (with the reason) when it
//! or its packages are missing, unless `SPARSEBRIDGE_REQUIRE_IO_INTEROP=1` (set by `make io-test`).
#![cfg(feature = "hdf5")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{EXAMPLES, dense, scratch, write};
use serde_json::Value;
use sparsebridge_io::cli::{ConvertSettings, convert};
use sparsebridge_io::{ReadOptions, VersionSpelling, read};

fn python() -> Option<PathBuf> {
    let candidate = std::env::var_os("SPARSEBRIDGE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"));
    let ok = Command::new(&candidate)
        .args(["-c", "import binsparse, h5py, scipy, numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(candidate);
    }
    let why = format!(
        "{} cannot import binsparse, h5py, scipy and numpy (make venv)",
        candidate.display()
    );
    assert!(
        std::env::var("SPARSEBRIDGE_REQUIRE_IO_INTEROP").as_deref() != Ok("1"),
        "SPARSEBRIDGE_REQUIRE_IO_INTEROP=1 but {why}"
    );
    eprintln!("SKIPPED: {why}");
    None
}

/// Serializes the tests of this file: a child process inherits the descriptors of HDF5 files
/// another test thread has open (HDF5 opens without `O_CLOEXEC`), and with them their `flock`,
/// which would make h5py's open fail with "unable to lock file".
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn run_python(py: &Path, script: &str, args: &[&Path]) -> Value {
    let out = Command::new(py)
        .arg("-c")
        .arg(script)
        .args(args)
        .env("HDF5_USE_FILE_LOCKING", "FALSE")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Dense (re, im) pairs from the JSON `{"shape": [m, n], "re": [...], "im": [...]}` (row-major).
fn dense_of(v: &Value) -> (usize, usize, Vec<(f64, f64)>) {
    let shape: Vec<usize> = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as usize)
        .collect();
    let re = v["re"].as_array().unwrap();
    let im = v["im"].as_array().unwrap();
    let d = re
        .iter()
        .zip(im)
        .map(|(a, b)| (a.as_f64().unwrap(), b.as_f64().unwrap()))
        .collect();
    (shape[0], shape.get(1).copied().unwrap_or(1), d)
}

const WRITE_WITH_BINSPARSE: &str = r#"
import json, sys
import numpy as np, scipy.sparse as sp
import binsparse
from binsparse.conversions.scipy import from_scipy
from binsparse.conversions.numpy import from_numpy
out = sys.argv[1]
rng = np.random.default_rng(7)
def dense(a):
    a = np.asarray(a)
    a = a.reshape(a.shape[0], -1) if a.ndim == 2 else a.reshape(-1, 1)
    return {"shape": list(a.shape), "re": np.real(a).astype(float).ravel().tolist(),
            "im": np.imag(a).astype(float).ravel().tolist()}
cases = {}
base = sp.random_array((13, 9), density=0.3, format="coo", random_state=rng)
cases["csr_f64"] = base.tocsr()
cases["csc_f64"] = base.tocsc()
cases["coo_f64"] = base.tocsr().tocoo()
cases["csr_i64"] = sp.csr_array((np.arange(1, base.nnz + 1, dtype=np.int64), (base.row, base.col)), shape=base.shape)
cases["csr_c128"] = sp.csr_array(((base.data + 1j * base.data[::-1]), (base.row, base.col)), shape=base.shape)
cases["csr_bool"] = sp.csr_array((np.ones(base.nnz, dtype=bool), (base.row, base.col)), shape=base.shape)
cases["csr_f32_i64"] = sp.csr_array(base.astype(np.float32))
cases["csr_f32_i64"].indices = cases["csr_f32_i64"].indices.astype(np.int64)
cases["csr_f32_i64"].indptr = cases["csr_f32_i64"].indptr.astype(np.int64)
result = {}
for name, m in cases.items():
    path = f"{out}/{name}.bsp.h5"
    binsparse.save_binsparse(from_scipy(m), path)
    result[name] = dense(m.toarray())
dm = rng.standard_normal((4, 5))
binsparse.save_binsparse(from_numpy(dm), f"{out}/dense_f64.bsp.h5")
result["dense_f64"] = dense(dm)
dv = np.arange(6, dtype=np.int32)
binsparse.save_binsparse(from_numpy(dv), f"{out}/dvec_i32.bsp.h5")
result["dvec_i32"] = dense(dv)
print(json.dumps(result))
"#;

#[test]
fn files_written_by_pypi_binsparse_read_correctly() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(py) = python() else { return };
    let dir = scratch("from-py");
    let expected = run_python(&py, WRITE_WITH_BINSPARSE, &[dir.path()]);
    let cases = expected.as_object().unwrap();
    assert_eq!(cases.len(), 9);
    for (name, want) in cases {
        let p = dir.path().join(format!("{name}.bsp.h5"));
        let a = read(&p, &ReadOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .array;
        a.validate_full().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(dense(&a), dense_of(want), "{name}");
        // And through every sparse format sparsebridge converts to.
        if a.descriptor().format().is_sparse() {
            for f in ["CSR", "CSC", "COOC"] {
                let out = dir.path().join(format!("{name}-{f}.bsp"));
                let settings = ConvertSettings {
                    format: Some(f.parse().unwrap()),
                    ..ConvertSettings::default()
                };
                convert(&p, &out, &settings).unwrap();
                let b = read(&out, &ReadOptions::default()).unwrap().array;
                assert_eq!(dense(&b), dense_of(want), "{name} as {f}");
            }
        }
    }
}

const READ_WITH_BINSPARSE: &str = r#"
import json, sys
import numpy as np
import binsparse
from binsparse.conversions.scipy import to_scipy
from binsparse.conversions.numpy import to_numpy
result = {}
for path in sys.argv[1:]:
    t = binsparse.load_binsparse(path)
    if t.format in ("DMATR", "DMATC", "DVEC"):
        a = np.asarray(to_numpy(t))
    else:
        a = to_scipy(t).toarray()
    a = a.reshape(a.shape[0], -1) if a.ndim == 2 else a.reshape(-1, 1)
    result[path] = {"shape": list(a.shape), "re": np.real(a).astype(float).ravel().tolist(),
                    "im": np.imag(a).astype(float).ravel().tolist(), "format": t.format}
print(json.dumps(result))
"#;

#[test]
fn files_written_by_sparsebridge_read_correctly_by_pypi_binsparse() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Some(py) = python() else { return };
    let dir = scratch("to-py");
    let mut written: Vec<(PathBuf, &common::Example, &str)> = Vec::new();
    for ex in EXAMPLES {
        let src = write(dir.path(), &format!("{}.mtx", ex.name), ex.text);
        // PyPI binsparse ignores `structure`, so hand it the expanded matrix.
        let formats: &[&str] = if ex.name.starts_with("array") {
            &["DMATC"]
        } else {
            &["CSR", "CSC", "COOR"]
        };
        for f in formats {
            let out = dir.path().join(format!("{}-{f}.bsp.h5", ex.name));
            let settings = ConvertSettings {
                format: if *f == "DMATC" {
                    None
                } else {
                    Some(f.parse().unwrap())
                },
                expand: true,
                version: VersionSpelling::SemVer,
                ..ConvertSettings::default()
            };
            convert(&src, &out, &settings).unwrap();
            written.push((out, ex, f));
        }
    }
    let paths: Vec<&Path> = written.iter().map(|(p, _, _)| p.as_path()).collect();
    let got = run_python(&py, READ_WITH_BINSPARSE, &paths);
    for (p, ex, f) in &written {
        let v = &got[p.to_string_lossy().as_ref()];
        assert_eq!(v["format"], *f, "{}", ex.name);
        let (m, n, d) = dense_of(v);
        assert_eq!((m, n), (ex.rows, ex.cols), "{} as {f}", ex.name);
        assert_eq!(d, ex.dense(), "{} as {f}", ex.name);
    }
}
