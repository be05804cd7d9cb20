//! Matrix Market: every kind against hand-written matrices, expansion, exact round trips through
//! NPY directories, and malformed files (each error names the file and line, and `convert`
//! leaves no output).

mod common;

use common::{EXAMPLES, dense, listing, scratch, write};
use sparsebridge::ScalarType;
use sparsebridge_io::cli::{ConvertSettings, convert};
use sparsebridge_io::{IoError, ReadOptions, WriteOptions, read};

#[test]
fn every_kind_reads_as_the_expected_matrix() {
    let dir = scratch("kinds");
    for ex in EXAMPLES {
        let p = write(dir.path(), &format!("{}.mtx", ex.name), ex.text);
        let a = read(&p, &ReadOptions::default()).unwrap().array;
        a.validate_full()
            .unwrap_or_else(|e| panic!("{}: {e}", ex.name));
        let (m, n, d) = dense(&a);
        assert_eq!((m, n), (ex.rows, ex.cols), "{}", ex.name);
        assert_eq!(d, ex.dense(), "{}", ex.name);
        let structure = a.descriptor().structure().map(|s| s.as_str());
        assert_eq!(structure, ex.structure, "{}", ex.name);
    }
}

#[test]
fn expand_mirrors_the_stored_triangle() {
    let dir = scratch("expand");
    let opts = ReadOptions {
        expand_symmetry: true,
        ..ReadOptions::default()
    };
    for ex in EXAMPLES {
        let p = write(dir.path(), &format!("{}.mtx", ex.name), ex.text);
        let a = read(&p, &opts).unwrap().array;
        a.validate_full().unwrap();
        assert_eq!(a.descriptor().structure(), None, "{}", ex.name);
        assert_eq!(dense(&a).2, ex.dense(), "{}", ex.name);
    }
}

#[test]
fn value_types_and_pattern_iso() {
    let dir = scratch("types");
    let by_name = |n: &str| EXAMPLES.iter().find(|e| e.name == n).unwrap();
    let read_type = |n: &str| {
        let ex = by_name(n);
        let p = write(dir.path(), &format!("{n}.mtx"), ex.text);
        read(&p, &ReadOptions::default())
            .unwrap()
            .array
            .descriptor()
            .value_type()
            .to_string()
    };
    assert_eq!(read_type("coordinate_real_general"), "float64");
    assert_eq!(read_type("coordinate_integer_general_duplicates"), "int64");
    assert_eq!(read_type("coordinate_complex_general"), "complex[float64]");
    assert_eq!(read_type("coordinate_pattern_general"), "iso[bint8]");
    assert_eq!(read_type("array_real_general"), "float64");
}

#[test]
fn index_type_option_and_narrowing() {
    let dir = scratch("itype");
    let p = write(dir.path(), "a.mtx", EXAMPLES[0].text);
    let a = read(
        &p,
        &ReadOptions {
            index_type: Some(ScalarType::Int32),
            ..ReadOptions::default()
        },
    )
    .unwrap()
    .array;
    assert_eq!(
        a.array("indices_0").unwrap().as_slice::<i32>().unwrap(),
        &[0, 0, 1, 2]
    );
    assert_eq!(
        a.array("indices_1").unwrap().as_slice::<i32>().unwrap(),
        &[0, 3, 1, 0]
    );
    // 300 columns do not fit int8.
    let big = write(
        dir.path(),
        "big.mtx",
        "%%MatrixMarket matrix coordinate real general\n1 300 1\n1 300 1\n",
    );
    let err = read(
        &big,
        &ReadOptions {
            index_type: Some(ScalarType::Int8),
            ..ReadOptions::default()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("big.mtx"), "{err}");
}

#[test]
fn vector_coordinate_form_reads_as_cvec() {
    // The form Finch.jl and the spec PR #39 reference files use: `length entries`.
    let dir = scratch("vec");
    let p = write(
        dir.path(),
        "v.mtx",
        "%%MatrixMarket matrix coordinate integer general\n9 3\n6 16\n3 13\n9 19\n",
    );
    let a = read(&p, &ReadOptions::default()).unwrap().array;
    assert_eq!(a.descriptor().alias().unwrap().name(), "CVEC");
    assert_eq!(
        a.array("indices_0").unwrap().as_slice::<i64>().unwrap(),
        &[2, 5, 8]
    );
    assert_eq!(
        a.array("values").unwrap().as_slice::<i64>().unwrap(),
        &[13, 16, 19]
    );
    // And back.
    let out = dir.path().join("v2.mtx");
    sparsebridge_io::write(&a, &out, &WriteOptions::default()).unwrap();
    let b = read(&out, &ReadOptions::default()).unwrap().array;
    assert_eq!(dense(&a), dense(&b));
}

#[test]
fn hypersparse_shapes_read_without_per_row_memory() {
    // The fuzzer's out-of-memory input: a vector of length 33,239,272,031 with no entries made
    // the canonicalizing sort allocate one counter per row (265 GB). Shapes come from the file,
    // so reading costs O(nnz), whatever they declare.
    let dir = scratch("hyper");
    let p = write(
        dir.path(),
        "empty.mtx",
        "%%MatrixMarket matrix coordinate real general\n 33239272031 0\n",
    );
    let a = read(&p, &ReadOptions::default()).unwrap().array;
    assert_eq!(a.shape(), &[33_239_272_031]);
    assert_eq!(a.array("indices_0").unwrap().len(), 0);
    // A 1e12 x 1e12 matrix with unsorted, duplicated entries: sorted and summed as scipy would.
    let p = write(
        dir.path(),
        "m.mtx",
        "%%MatrixMarket matrix coordinate real general\n\
         1000000000000 1000000000000 4\n\
         1000000000000 7 1.5\n3 1000000000000 2\n1000000000000 7 0.25\n1 1 -1\n",
    );
    let a = read(&p, &ReadOptions::default()).unwrap().array;
    a.validate_full().unwrap();
    let ix = |n: &str| a.array(n).unwrap().as_slice::<i64>().unwrap().to_vec();
    assert_eq!(ix("indices_0"), [0, 2, 999_999_999_999]);
    assert_eq!(ix("indices_1"), [0, 999_999_999_999, 6]);
    assert_eq!(
        a.array("values").unwrap().as_slice::<f64>().unwrap(),
        &[-1.0, 2.0, 1.75]
    );
}

/// Parsed content of two reads: descriptor and every array, byte for byte.
fn assert_same(a: &sparsebridge::SparseArray, b: &sparsebridge::SparseArray, what: &str) {
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
fn mtx_npy_dir_mtx_round_trips_exactly() {
    let dir = scratch("rt-npy");
    for ex in EXAMPLES {
        let p = write(dir.path(), &format!("{}.mtx", ex.name), ex.text);
        let first = read(&p, &ReadOptions::default()).unwrap().array;
        let mid = dir.path().join(format!("{}.bsp", ex.name));
        let back = dir.path().join(format!("{}.back.mtx", ex.name));
        convert(&p, &mid, &ConvertSettings::default()).unwrap();
        convert(&mid, &back, &ConvertSettings::default()).unwrap();
        let again = read(&back, &ReadOptions::default()).unwrap().array;
        assert_eq!(dense(&again).2, ex.dense(), "{}", ex.name);
        if ex.structure != Some("symmetric_upper") {
            assert_same(&first, &again, ex.name);
        }
    }
}

#[test]
fn convert_changes_format_and_index_type() {
    let dir = scratch("conv");
    for ex in EXAMPLES.iter().filter(|e| e.name.starts_with("coordinate")) {
        let p = write(dir.path(), &format!("{}.mtx", ex.name), ex.text);
        for f in ["CSR", "CSC", "COOC", "COOR"] {
            let out = dir.path().join(format!("{}-{f}.bsp", ex.name));
            let settings = ConvertSettings {
                format: Some(f.parse().unwrap()),
                index_type: Some(ScalarType::UInt32),
                ..ConvertSettings::default()
            };
            let r = convert(&p, &out, &settings).unwrap();
            assert_eq!(r.to, f);
            let a = read(&out, &ReadOptions::default()).unwrap().array;
            assert_eq!(a.descriptor().alias().unwrap().name(), f);
            a.validate_full().unwrap();
            assert_eq!(dense(&a).2, ex.dense(), "{} as {f}", ex.name);
            for (name, b) in a.arrays() {
                if name.starts_with("indices") || name.starts_with("pointers") {
                    assert_eq!(b.dtype(), sparsebridge::DType::U32, "{name}");
                }
            }
        }
    }
}

/// `(file text, expected line, a fragment of the message)`.
const MALFORMED: &[(&str, &str, u64, &str)] = &[
    ("empty", "", 0, "empty file"),
    (
        "wrong_banner",
        "%%MatrixMarkt matrix coordinate real general\n1 1 1\n1 1 1\n",
        1,
        "%%MatrixMarket",
    ),
    (
        "unknown_field",
        "%%MatrixMarket matrix coordinate float general\n1 1 1\n1 1 1\n",
        1,
        "unknown field",
    ),
    (
        "pattern_array",
        "%%MatrixMarket matrix array pattern general\n1 1\n",
        1,
        "pattern",
    ),
    (
        "bad_size",
        "%%MatrixMarket matrix coordinate real general\n% c\n3 x 1\n1 1 1\n",
        3,
        "size line",
    ),
    (
        "truncated",
        "%%MatrixMarket matrix coordinate real general\n3 3 3\n1 1 1\n2 2 2\n",
        5,
        "declares 3 entries, found 2",
    ),
    (
        "truncated_array",
        "%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n",
        6,
        "expected 4 values, found 3",
    ),
    // A size line that promises far more values than the file holds fails at the end of the
    // file, without first allocating for what it promised (fuzz finding oom-452fd12: `7 47758074`).
    (
        "array_size_line_lies",
        "%%MatrixMarket matrix array real general\n1000000 1000000\n1\n",
        4,
        "expected 1000000000000 values, found 1",
    ),
    (
        "symmetric_array_size_line_lies",
        "%%MatrixMarket matrix array integer symmetric\n4000000 4000000\n1\n",
        4,
        "expected 8000002000000 values, found 1",
    ),
    (
        "row_out_of_range",
        "%%MatrixMarket matrix coordinate real general\n3 3 2\n1 1 1\n4 1 1\n",
        4,
        "row index 4 out of range 1..=3",
    ),
    (
        "col_zero",
        "%%MatrixMarket matrix coordinate real general\n3 3 1\n1 0 1\n",
        3,
        "column index 0 out of range",
    ),
    (
        "extra_entries",
        "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1\n2 2 2\n",
        4,
        "more entries",
    ),
    (
        "bad_value",
        "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 abc\n",
        3,
        "bad real value",
    ),
    (
        "missing_value",
        "%%MatrixMarket matrix coordinate complex general\n2 2 1\n1 1 1\n",
        3,
        "imaginary",
    ),
    (
        "extra_field",
        "%%MatrixMarket matrix coordinate pattern general\n2 2 1\n1 1 5\n",
        3,
        "extra field",
    ),
    (
        "integer_float",
        "%%MatrixMarket matrix coordinate integer general\n2 2 1\n1 1 1.5\n",
        3,
        "bad integer",
    ),
    (
        "both_triangles",
        "%%MatrixMarket matrix coordinate real symmetric\n2 2 2\n2 1 1\n1 2 1\n",
        4,
        "one triangle",
    ),
    (
        "skew_diagonal",
        "%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n1 1 3\n",
        3,
        "diagonal",
    ),
    (
        "symmetric_not_square",
        "%%MatrixMarket matrix coordinate real symmetric\n2 3 0\n",
        2,
        "square",
    ),
];

#[test]
fn malformed_files_name_the_line_and_leave_no_output() {
    let dir = scratch("bad");
    for &(name, text, line, fragment) in MALFORMED {
        let p = write(dir.path(), &format!("{name}.mtx"), text);
        let err = read(&p, &ReadOptions::default()).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains(&format!("{name}.mtx")), "{name}: {msg}");
        assert!(msg.contains(fragment), "{name}: {msg}");
        match &err {
            IoError::Parse { line: l, .. } => assert_eq!(*l, line, "{name}: {msg}"),
            other if line == 0 => {
                assert!(matches!(other, IoError::Parse { .. }), "{name}: {other:?}")
            }
            other => panic!("{name}: expected a parse error, got {other:?}"),
        }
        for out in [format!("{name}.out.mtx"), format!("{name}.out.bsp")] {
            let before = listing(dir.path());
            let out = dir.path().join(out);
            assert!(
                convert(&p, &out, &ConvertSettings::default()).is_err(),
                "{name}"
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
fn missing_file_and_unknown_extension() {
    let dir = scratch("missing");
    let err = read(&dir.path().join("nope.mtx"), &ReadOptions::default()).unwrap_err();
    assert!(err.is_os_error(), "{err:?}");
    let err = read(&dir.path().join("x.txt"), &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, IoError::UnknownFormat { .. }), "{err:?}");
    let v = sparsebridge_io::cli::validate(&dir.path().join("nope.mtx"));
    assert_eq!(v.exit_code(), 2);
}

#[test]
fn a_failed_write_keeps_the_old_output() {
    // A non-zero fill value cannot be written to Matrix Market: the old file must survive.
    let dir = scratch("keep");
    let p = write(dir.path(), "a.mtx", EXAMPLES[0].text);
    let out = write(dir.path(), "out.mtx", "old contents");
    let d = sparsebridge::Descriptor::builder(
        sparsebridge::PredefinedFormat::Coor,
        vec![2, 2],
        1,
        ScalarType::Float64.into(),
    )
    .index_type(ScalarType::Int64)
    .fill(ScalarType::Float64.into())
    .build()
    .unwrap();
    let a = sparsebridge::SparseArray::try_new(
        d,
        [
            ("indices_0", sparsebridge::Buffer::from_vec(vec![0i64])),
            ("indices_1", sparsebridge::Buffer::from_vec(vec![1i64])),
            ("values", sparsebridge::Buffer::from_vec(vec![2.0f64])),
            ("fill_value", sparsebridge::Buffer::from_vec(vec![1.0f64])),
        ],
    )
    .unwrap();
    let before = listing(dir.path());
    let err = sparsebridge_io::write(&a, &out, &WriteOptions::default()).unwrap_err();
    assert!(err.to_string().contains("fill_value"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "old contents");
    assert_eq!(listing(dir.path()), before);
    let _ = p;
}

#[test]
fn validate_reports_exit_codes() {
    let dir = scratch("validate");
    let good = write(dir.path(), "good.mtx", EXAMPLES[0].text);
    let r = sparsebridge_io::cli::validate(&good);
    assert_eq!(r.exit_code(), 0, "{r}");
    let bad = write(dir.path(), "bad.mtx", MALFORMED[7].1);
    let r = sparsebridge_io::cli::validate(&bad);
    assert_eq!(r.exit_code(), 1);
    assert!(r.to_string().contains("bad.mtx:4:"), "{r}");
}

#[test]
fn info_lists_arrays() {
    let dir = scratch("info");
    let p = write(dir.path(), "s.mtx", EXAMPLES[4].text);
    let r = sparsebridge_io::cli::info(&p).unwrap();
    assert_eq!(r.format, "COOR");
    assert_eq!(r.shape, vec![3, 3]);
    assert_eq!(r.nnz, 3);
    assert_eq!(r.structure.as_deref(), Some("symmetric_lower"));
    let names: Vec<&str> = r.arrays.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["indices_0", "indices_1", "values"]);
    assert_eq!(r.arrays[2].bytes, 24);
    let j = r.to_json();
    assert_eq!(j["descriptor"]["binsparse"]["structure"], "symmetric_lower");
}

#[test]
fn float32_values_are_written_exactly() {
    let dir = scratch("f32");
    let vals = [0.1f32, -3.4e38, 1.0e-45, 7.0];
    let d = sparsebridge::Descriptor::builder(
        sparsebridge::PredefinedFormat::Coor,
        vec![4, 4],
        4,
        ScalarType::Float32.into(),
    )
    .index_type(ScalarType::Int32)
    .build()
    .unwrap();
    let a = sparsebridge::SparseArray::try_new(
        d,
        [
            (
                "indices_0",
                sparsebridge::Buffer::from_vec(vec![0i32, 1, 2, 3]),
            ),
            (
                "indices_1",
                sparsebridge::Buffer::from_vec(vec![3i32, 2, 1, 0]),
            ),
            ("values", sparsebridge::Buffer::from_vec(vals.to_vec())),
        ],
    )
    .unwrap();
    let out = dir.path().join("f.mtx");
    sparsebridge_io::write(&a, &out, &WriteOptions::default()).unwrap();
    let b = read(&out, &ReadOptions::default()).unwrap().array;
    let want: Vec<f64> = vals.iter().map(|&v| f64::from(v)).collect();
    assert_eq!(
        b.array("values").unwrap().as_slice::<f64>().unwrap(),
        want.as_slice()
    );
}
