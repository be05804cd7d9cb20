//! `sparsebridge bench --json` on a tiny matrix: every conversion pair and index type is present
//! and verified, the bytes moved follow the minimum-traffic model computed here independently,
//! the zero-copy flags are the expected ones, the hand-off covers each size, and the CUDA section
//! is either skipped with a reason or (under the emulated driver or a GPU) has its full shape.
//! Nothing here asserts a timing beyond "positive".

use std::collections::BTreeSet;
use std::io::Write;
use std::process::Command;

use serde_json::Value;

fn bench(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_sparsebridge"))
        .arg("bench")
        .args(args)
        .output()
        .expect("run the binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a u64: {v}"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Bytes read + written by `from -> to` under the minimum-traffic model, from the sizes alone:
/// pointers (n + 1) x I, each index array nnz x I, values nnz x 8. COOR <-> CSR share
/// `indices_1` and `values` (neither read nor written); every other pair reads the whole source
/// and writes the whole target.
fn expected_bytes(from: &str, to: &str, n: u64, nnz: u64, isize: u64) -> u64 {
    let coo = 2 * nnz * isize + nnz * 8;
    let compressed = (n + 1) * isize + nnz * isize + nnz * 8;
    let size = |f: &str| if f == "COOR" { coo } else { compressed };
    match (from, to) {
        ("COOR", "CSR") | ("CSR", "COOR") => nnz * isize + (n + 1) * isize,
        _ => size(from) + size(to),
    }
}

/// Checks one list of conversion entries (cpu or cuda).
fn check_conversions(entries: &[Value], device: &str, n: u64, nnz: u64) {
    let mut seen = BTreeSet::new();
    for e in entries {
        let from = e["from"].as_str().unwrap();
        let to = e["to"].as_str().unwrap();
        let index = e["index_type"].as_str().unwrap();
        assert_eq!(e["device"], device, "{e}");
        assert_eq!(e["verified"], true, "{e}");
        assert!(f(&e["ms"]) > 0.0, "{e}");
        assert!(f(&e["gbps"]) > 0.0, "{e}");
        assert!(f(&e["x_floor"]) > 0.0, "{e}");
        let isize = match index {
            "int32" => 4,
            "int64" => 8,
            other => panic!("index type {other}"),
        };
        assert_eq!(
            u(&e["bytes_moved"]),
            expected_bytes(from, to, n, nnz, isize),
            "{e}"
        );
        let reused: Vec<&str> = e["reused_arrays"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let aliasing = matches!((from, to), ("COOR", "CSR") | ("CSR", "COOR"));
        if aliasing {
            assert_eq!(reused, ["indices_1", "values"], "{e}");
        } else {
            assert!(reused.is_empty(), "{e}");
        }
        // Every pair writes at least one new array (pointers, or row indices, or a transpose).
        assert_eq!(e["zero_copy"], false, "{e}");
        assert!(seen.insert((from.to_owned(), to.to_owned(), index.to_owned())));
    }
    let formats = ["COOR", "CSR", "CSC"];
    for from in formats {
        for to in formats {
            for index in ["int32", "int64"] {
                if from != to {
                    assert!(
                        seen.contains(&(from.to_owned(), to.to_owned(), index.to_owned())),
                        "{from} -> {to} {index} missing on {device}"
                    );
                }
            }
        }
    }
    assert_eq!(seen.len(), 12);
}

#[test]
fn bench_json_reports_verified_conversions_handoff_and_cuda_status() {
    let doc = bench(&[
        "--nnz",
        "20000",
        "--handoff-sizes",
        "1000,10000",
        "--reps",
        "1",
        "--json",
    ]);
    assert_eq!(doc["schema"], "sparsebridge-bench/1");
    let n = u(&doc["matrix"]["nrows"]);
    assert_eq!(n, 1_000_000);
    assert_eq!(u(&doc["matrix"]["ncols"]), n);
    assert_eq!(u(&doc["matrix"]["nnz_requested"]), 20_000);
    let nnz = u(&doc["matrix"]["nnz"]);
    // Distinct random coordinates among 1e12 cells: at most a handful of duplicates.
    assert!(nnz <= 20_000 && nnz > 19_900, "nnz {nnz}");
    assert_eq!(u(&doc["reps"]), 1);
    assert!(f(&doc["memcpy_floor"]["gbps"]) > 0.0);

    let conv = doc["conversions"].as_array().unwrap();
    assert_eq!(conv.len(), 12);
    check_conversions(conv, "cpu", n, nnz);

    let h = &doc["handoff"];
    let entries = h["entries"].as_array().unwrap();
    let sizes: Vec<u64> = entries.iter().map(|e| u(&e["nnz_requested"])).collect();
    assert_eq!(sizes, [1000, 10000]);
    for e in entries {
        assert!(f(&e["median_us"]) > 0.0, "{e}");
        assert!(f(&e["min_us"]) > 0.0 && f(&e["min_us"]) <= f(&e["median_us"]));
        assert_eq!(e["zero_copy"], true, "{e}");
        assert!(u(&e["nnz"]) <= u(&e["nnz_requested"]));
    }
    assert!(u(&h["runs"]) > 1);
    assert!(f(&h["flat_ratio"]) >= 1.0);

    let cuda = &doc["cuda"];
    let require = std::env::var("SPARSEBRIDGE_REQUIRE_CUDA").as_deref() == Ok("1");
    if let Some(reason) = cuda.get("skipped") {
        assert!(
            !require,
            "SPARSEBRIDGE_REQUIRE_CUDA=1 but skipped: {reason}"
        );
        let reason = reason.as_str().unwrap();
        assert!(!reason.is_empty());
        let _ = writeln!(std::io::stderr(), "SKIPPED bench cuda section: {reason}");
    } else {
        // A device ran; its shape is checked by the cuda test below, on a smaller matrix.
        assert!(cuda["device"].as_str().unwrap().starts_with("cuda:"));
    }
}

#[test]
fn bench_table_is_the_default_output() {
    let out = Command::new(env!("CARGO_BIN_EXE_sparsebridge"))
        .args([
            "bench",
            "--n",
            "1000",
            "--nnz",
            "2000",
            "--handoff-sizes",
            "100",
            "--handoff-runs",
            "3",
            "--reps",
            "1",
            "--device",
            "cpu",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    for needle in [
        "COOR -> CSR",
        "CSC -> COOR",
        "memory-bandwidth floor",
        "flat: largest / smallest median",
        "cuda: skipped (--device cpu)",
    ] {
        assert!(stdout.contains(needle), "{needle:?} missing:\n{stdout}");
    }
    // Progress bars go to stderr and only on a terminal: nothing in a pipe.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn bench_rejects_bad_arguments_without_panicking() {
    for args in [
        &["bench", "--nnz", "abc"][..],
        &["bench", "--reps", "0"],
        &["bench", "--device", "cuda_host"],
        &["bench", "--handoff-sizes", "1e99"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_sparsebridge"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// The CUDA section against a CUDA device: the emulated driver (`make test-emu`, numbers
/// meaningless, only the code path and JSON shape) or a GPU. Skips without one, unless
/// SPARSEBRIDGE_REQUIRE_CUDA=1. Small sizes: the emulator runs ~25 us per emulated thread.
#[test]
fn bench_cuda_section_shape() {
    let probe = Command::new(env!("CARGO_BIN_EXE_sparsebridge"))
        .args([
            "bench",
            "--n",
            "64",
            "--nnz",
            "200",
            "--handoff-sizes",
            "10",
            "--handoff-runs",
            "1",
            "--reps",
            "1",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(probe.status.success());
    let doc: Value = serde_json::from_slice(&probe.stdout).unwrap();
    let require = std::env::var("SPARSEBRIDGE_REQUIRE_CUDA").as_deref() == Ok("1");
    if let Some(reason) = doc["cuda"].get("skipped") {
        assert!(
            !require,
            "SPARSEBRIDGE_REQUIRE_CUDA=1 but skipped: {reason}"
        );
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED bench_cuda_section_shape: {reason}"
        );
        return;
    }
    let cuda = &doc["cuda"];
    let device = cuda["device"].as_str().unwrap();
    assert!(device.starts_with("cuda:"), "{cuda}");
    assert!(!cuda["name"].as_str().unwrap().is_empty());
    let nnz = u(&doc["matrix"]["nnz"]);
    assert_eq!(u(&cuda["bytes"]), nnz * 8);
    let kinds: Vec<(String, String)> = cuda["copies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert!(f(&c["ms"]) > 0.0 && f(&c["gbps"]) > 0.0, "{c}");
            (
                c["direction"].as_str().unwrap().to_owned(),
                c["memory"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want = [
        ("h2d", "pageable"),
        ("h2d", "pinned"),
        ("d2h", "pageable"),
        ("d2h", "pinned"),
        ("d2d", "device"),
    ];
    assert_eq!(kinds.len(), want.len());
    for (k, (d, m)) in kinds.iter().zip(want) {
        assert_eq!((k.0.as_str(), k.1.as_str()), (d, m));
    }
    assert!(f(&cuda["d2d_gbps"]) > 0.0);
    match cuda["conversions"].as_array() {
        Some(conv) => check_conversions(conv, device, 64, nnz),
        None => {
            let reason = &cuda["conversions"]["skipped"];
            assert!(!require, "conversions skipped under REQUIRE_CUDA: {reason}");
        }
    }
    let _ = writeln!(std::io::stderr(), "CUDA-PATH-RAN bench_cuda_section_shape");
}
