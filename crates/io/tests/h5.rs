//! binsparse HDF5: exact `.mtx` → `.bsp.h5` → `.mtx` round trips for every Matrix Market kind,
//! the spec PR #39 reference files (legacy keys, `fill: true`), and malformed files crafted with
//! the hdf5 crate (each a clear error, and `convert` leaves no output).
#![cfg(feature = "hdf5")]

mod common;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use common::{EXAMPLES, dense, listing, scratch, write};
use hdf5::types::VarLenUnicode;
use sparsebridge::SparseArray;
use sparsebridge_io::cli::{ConvertSettings, convert, validate};
use sparsebridge_io::{ReadOptions, VersionSpelling, WriteOptions, read};

fn assert_same(a: &SparseArray, b: &SparseArray, what: &str) {
    assert_eq!(
        a.descriptor().to_value().unwrap(),
        b.descriptor().to_value().unwrap(),
        "{what}"
    );
    assert_eq!(a.arrays().len(), b.arrays().len(), "{what}");
    for ((na, ba), (nb, bb)) in a.arrays().iter().zip(b.arrays()) {
        assert_eq!(na, nb, "{what}");
        assert_eq!(ba.dtype(), bb.dtype(), "{what}: {na}");
        assert_eq!(
            ba.as_bytes().unwrap(),
            bb.as_bytes().unwrap(),
            "{what}: {na}"
        );
    }
}

#[test]
fn mtx_h5_mtx_round_trips_exactly_for_every_kind() {
    let dir = scratch("rt-h5");
    for ex in EXAMPLES {
        let p = write(dir.path(), &format!("{}.mtx", ex.name), ex.text);
        let first = read(&p, &ReadOptions::default()).unwrap().array;
        let mid = dir.path().join(format!("{}.bsp.h5", ex.name));
        let back = dir.path().join(format!("{}.back.mtx", ex.name));
        convert(&p, &mid, &ConvertSettings::default()).unwrap();
        let h = read(&mid, &ReadOptions::default()).unwrap().array;
        assert_same(&first, &h, ex.name);
        convert(&mid, &back, &ConvertSettings::default()).unwrap();
        let again = read(&back, &ReadOptions::default()).unwrap().array;
        assert_eq!(dense(&again).2, ex.dense(), "{}", ex.name);
        if ex.structure != Some("symmetric_upper") {
            assert_same(&first, &again, ex.name);
        }
    }
}

#[test]
fn round_trip_through_csr_h5() {
    let dir = scratch("rt-csr");
    for ex in EXAMPLES.iter().filter(|e| e.name.starts_with("coordinate")) {
        let p = write(dir.path(), &format!("{}.mtx", ex.name), ex.text);
        let mid = dir.path().join(format!("{}.h5", ex.name));
        let settings = ConvertSettings {
            format: Some("CSR".parse().unwrap()),
            ..ConvertSettings::default()
        };
        convert(&p, &mid, &settings).unwrap();
        let back = dir.path().join(format!("{}.back.mtx", ex.name));
        convert(&mid, &back, &ConvertSettings::default()).unwrap();
        let again = read(&back, &ReadOptions::default()).unwrap().array;
        assert_eq!(dense(&again).2, ex.dense(), "{}", ex.name);
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pr39")
        .join(name)
}

#[test]
fn spec_pr39_reference_files_match_their_mtx_seeds() {
    let cases = [
        ("b1_ss_CSR.bsp.h5", "b1_ss.mtx", "CSR"),
        ("b1_ss_CSC.bsp.h5", "b1_ss.mtx", "CSC"),
        ("b1_ss_COO.bsp.h5", "b1_ss.mtx", "COOR"),
        ("b1_ss_COOC.bsp.h5", "b1_ss.mtx", "COOC"),
        ("b1_ss_DCSR.bsp.h5", "b1_ss.mtx", "DCSR"),
        ("farm_CSR.bsp.h5", "farm.mtx", "CSR"),
        ("farm_DMAT.bsp.h5", "farm.mtx", "DMATR"),
        // Named DMATR, but its descriptor says DMATC: read by content.
        ("farm_DMATR.bsp.h5", "farm.mtx", "DMATC"),
        ("bar_VEC.bsp.h5", "bar.mtx", "CVEC"),
    ];
    let dir = scratch("pr39");
    for (h5, mtx, format) in cases {
        let r = read(&fixture(h5), &ReadOptions::default()).unwrap();
        assert!(
            !r.warnings.is_empty(),
            "{h5}: legacy keys should be reported"
        );
        let a = r.array;
        a.validate_full().unwrap();
        assert_eq!(a.descriptor().alias().unwrap().name(), format, "{h5}");
        assert!(a.descriptor().fill(), "{h5}");
        let seed = read(&fixture(mtx), &ReadOptions::default()).unwrap().array;
        // The oracle knows CSR/CSC/COO/dense; DCSR goes through Matrix Market text.
        let got = if format == "DCSR" {
            let out = dir.path().join("dcsr.mtx");
            sparsebridge_io::write(&a, &out, &WriteOptions::default()).unwrap();
            read(&out, &ReadOptions::default()).unwrap().array
        } else {
            a
        };
        assert_eq!(dense(&got), dense(&seed), "{h5}");
    }
}

#[test]
fn version_spelling() {
    let dir = scratch("version");
    let p = write(dir.path(), "a.mtx", EXAMPLES[0].text);
    let a = read(&p, &ReadOptions::default()).unwrap().array;
    for (v, want) in [
        (VersionSpelling::Spec, "\"0.1\""),
        (VersionSpelling::SemVer, "\"0.1.0\""),
    ] {
        let out = dir.path().join(format!("{v:?}.bsp.h5"));
        sparsebridge_io::write(
            &a,
            &out,
            &WriteOptions {
                version: v,
                progress: false,
            },
        )
        .unwrap();
        let f = hdf5::File::open(&out).unwrap();
        let text: VarLenUnicode = f.attr("binsparse").unwrap().read_scalar().unwrap();
        let json: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
        assert_eq!(json["binsparse"]["version"].to_string(), want);
        // Both spellings read back.
        let b = read(&out, &ReadOptions::default()).unwrap().array;
        assert_eq!(dense(&a), dense(&b));
    }
}

/// Data for a crafted dataset.
enum D {
    I64(Vec<i64>),
    F64(Vec<f64>),
}

/// Writes an HDF5 file with an optional string attribute and the given datasets.
fn craft(path: &Path, header: Option<&str>, datasets: &[(&str, D)]) {
    let f = hdf5::File::create(path).unwrap();
    for (name, d) in datasets {
        match d {
            D::I64(v) => f
                .new_dataset_builder()
                .with_data(v.as_slice())
                .create(*name)
                .unwrap(),
            D::F64(v) => f
                .new_dataset_builder()
                .with_data(v.as_slice())
                .create(*name)
                .unwrap(),
        };
    }
    if let Some(h) = header {
        let s = VarLenUnicode::from_str(h).unwrap();
        f.new_attr::<VarLenUnicode>()
            .shape(())
            .create("binsparse")
            .unwrap()
            .as_writer()
            .write_scalar(&s)
            .unwrap();
    }
}

const CSR_HEADER: &str = r#"{"binsparse": {"version": "0.1", "format": "CSR", "shape": [3, 3],
  "number_of_stored_values": 3,
  "data_types": {"pointers_to_1": "int64", "indices_1": "int64", "values": "float64"}}}"#;

fn good_csr() -> Vec<(&'static str, D)> {
    vec![
        ("pointers_to_1", D::I64(vec![0, 1, 2, 3])),
        ("indices_1", D::I64(vec![0, 2, 1])),
        ("values", D::F64(vec![1.0, 2.0, 3.0])),
    ]
}

#[test]
fn crafted_good_file_reads() {
    let dir = scratch("good");
    let p = dir.path().join("good.bsp.h5");
    craft(&p, Some(CSR_HEADER), &good_csr());
    let a = read(&p, &ReadOptions::default()).unwrap().array;
    let (_, _, d) = dense(&a);
    let want = [1.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 3.0, 0.0];
    assert_eq!(d.iter().map(|c| c.0).collect::<Vec<_>>(), want);
    assert_eq!(validate(&p).exit_code(), 0);
}

#[test]
fn malformed_h5_files_give_clear_errors_and_leave_no_output() {
    let dir = scratch("bad-h5");
    let mut short = good_csr();
    short[1] = ("indices_1", D::I64(vec![0, 2]));
    let mut out_of_range = good_csr();
    out_of_range[1] = ("indices_1", D::I64(vec![0, 7, 1]));
    let mut unsorted_ptr = good_csr();
    unsorted_ptr[0] = ("pointers_to_1", D::I64(vec![0, 2, 1, 3]));
    let missing: Vec<(&str, D)> = good_csr()
        .into_iter()
        .filter(|(n, _)| *n != "values")
        .collect();
    type Case<'a> = (&'a str, Option<&'a str>, Vec<(&'a str, D)>, &'a str);
    let cases: Vec<Case<'_>> = vec![
        ("no_attribute", None, good_csr(), "no `binsparse` attribute"),
        (
            "bad_json",
            Some("{\"binsparse\": {"),
            good_csr(),
            "invalid binsparse descriptor",
        ),
        (
            "missing_shape",
            Some(
                r#"{"binsparse": {"version": "0.1", "format": "CSR", "number_of_stored_values": 3, "data_types": {"pointers_to_1": "int64", "indices_1": "int64", "values": "float64"}}}"#,
            ),
            good_csr(),
            "shape",
        ),
        (
            "unknown_format",
            Some(
                r#"{"binsparse": {"version": "0.1", "format": "BSR", "shape": [3, 3], "number_of_stored_values": 3, "data_types": {"values": "float64"}}}"#,
            ),
            good_csr(),
            "BSR",
        ),
        ("wrong_length", Some(CSR_HEADER), short, "indices_1"),
        (
            "missing_dataset",
            Some(CSR_HEADER),
            missing,
            "missing array `values`",
        ),
        (
            "index_out_of_range",
            Some(CSR_HEADER),
            out_of_range,
            "indices_1",
        ),
        (
            "pointers_not_monotone",
            Some(CSR_HEADER),
            unsorted_ptr,
            "pointers_to_1",
        ),
    ];
    for (name, header, datasets, fragment) in cases {
        let p = dir.path().join(format!("{name}.bsp.h5"));
        craft(&p, header, &datasets);
        let r = validate(&p);
        assert_eq!(r.exit_code(), 1, "{name}: {r}");
        let msg = r.to_string();
        assert!(msg.contains(&format!("{name}.bsp.h5")), "{name}: {msg}");
        assert!(msg.contains(fragment), "{name}: {msg}");
        for out in [
            format!("{name}.out.mtx"),
            format!("{name}.out.h5"),
            format!("{name}.out.bsp"),
        ] {
            let before = listing(dir.path());
            let out = dir.path().join(out);
            let err = convert(&p, &out, &ConvertSettings::default()).unwrap_err();
            assert!(
                err.to_string().contains(&format!("{name}.bsp.h5")),
                "{name}: {err}"
            );
            assert!(!out.exists(), "{name}: output left behind");
            assert_eq!(
                listing(dir.path()),
                before,
                "{name}: temporary files left behind"
            );
        }
    }
}

#[test]
fn a_missing_file_is_an_os_error() {
    let dir = scratch("missing-h5");
    let r = validate(&dir.path().join("nope.bsp.h5"));
    assert_eq!(r.exit_code(), 2, "{r}");
}

#[test]
fn truncated_and_non_hdf5_files() {
    let dir = scratch("trunc");
    let p = write(dir.path(), "a.mtx", EXAMPLES[0].text);
    let good = dir.path().join("good.bsp.h5");
    convert(&p, &good, &ConvertSettings::default()).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let cut = dir.path().join("cut.bsp.h5");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let text = write(dir.path(), "text.h5", "not an hdf5 file\n");
    for bad in [cut, text] {
        let r = validate(&bad);
        assert_ne!(r.exit_code(), 0, "{r}");
        assert!(
            r.to_string()
                .contains(&*bad.file_name().unwrap().to_string_lossy()),
            "{r}"
        );
        let out = dir.path().join("out.mtx");
        let before = listing(dir.path());
        assert!(convert(&bad, &out, &ConvertSettings::default()).is_err());
        assert!(!out.exists());
        assert_eq!(listing(dir.path()), before);
    }
}
