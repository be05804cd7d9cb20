//! SparseArray construction and full validation, against the spec's examples and hand-built
//! malformed inputs (binsparse-protocol.md §6, §7, §13 rows 10 and 14).

use sparsebridge_array::{ArrayError, SparseArray};
use sparsebridge_buffer::{Buffer, Complex64, DType};
use sparsebridge_descriptor::{Descriptor, ParseOptions, PredefinedFormat};

fn desc(inner: &str) -> Descriptor {
    let text = format!(r#"{{"binsparse": {{"version": "0.1", {inner}}}}}"#);
    Descriptor::parse(&text, &ParseOptions::default())
        .expect("test descriptor parses")
        .descriptor
}

fn csr_desc(n: (u64, u64), nnz: u64, ptr: &str, idx: &str, val: &str) -> Descriptor {
    desc(&format!(
        r#""format": "CSR", "shape": [{}, {}], "number_of_stored_values": {nnz},
           "data_types": {{"pointers_to_1": "{ptr}", "indices_1": "{idx}", "values": "{val}"}}"#,
        n.0, n.1
    ))
}

#[test]
fn spec_iso_example_validates() {
    let a = SparseArray::try_new(
        csr_desc((5, 5), 6, "uint64", "uint64", "iso[int8]"),
        [
            ("pointers_to_1", Buffer::from_vec(vec![0u64, 1, 3, 3, 5, 6])),
            ("indices_1", Buffer::from_vec(vec![3u64, 1, 4, 1, 2, 3])),
            ("values", Buffer::from_vec(vec![7i8])),
        ],
    )
    .unwrap();
    a.validate_full().unwrap();
    assert!(a.is_validated());
}

#[test]
fn spec_symmetric_example_validates() {
    let d = desc(
        r#""format": "CSR", "shape": [5, 5], "number_of_stored_values": 9,
           "structure": "symmetric_lower",
           "data_types": {"pointers_to_1": "uint64", "indices_1": "uint64", "values": "int8"}"#,
    );
    let a = SparseArray::try_new(
        d,
        [
            ("pointers_to_1", Buffer::from_vec(vec![0u64, 1, 3, 5, 7, 9])),
            (
                "indices_1",
                Buffer::from_vec(vec![0u64, 0, 1, 0, 2, 1, 3, 2, 4]),
            ),
            (
                "values",
                Buffer::from_vec(vec![1i8, 2, 9, 7, 2, 2, 3, 3, 7]),
            ),
        ],
    )
    .unwrap();
    a.validate_full().unwrap();
}

#[test]
fn unsorted_csr_with_duplicate_is_rejected_with_position() {
    // binsparse 0.1.4 parses this (§13 row 14); the full tier must not.
    let d = csr_desc((2, 3), 3, "int32", "int32", "float64");
    let a = SparseArray::try_new(
        d.clone(),
        [
            ("pointers_to_1", Buffer::from_vec(vec![0i32, 3, 3])),
            ("indices_1", Buffer::from_vec(vec![2i32, 0, 1])),
            ("values", Buffer::from_vec(vec![1.0f64, 2.0, 3.0])),
        ],
    )
    .unwrap();
    match a.validate_full() {
        Err(ArrayError::Structure {
            array, position, ..
        }) => {
            assert_eq!(array, "indices_1");
            assert_eq!(position, 1);
        }
        other => panic!("expected a structure error, got {other:?}"),
    }
    let dup = SparseArray::try_new(
        d,
        [
            ("pointers_to_1", Buffer::from_vec(vec![0i32, 2, 3])),
            ("indices_1", Buffer::from_vec(vec![1i32, 1, 0])),
            ("values", Buffer::from_vec(vec![1.0f64, 2.0, 3.0])),
        ],
    )
    .unwrap();
    let err = dup.validate_full().unwrap_err();
    assert!(err.to_string().contains("duplicate"), "{err}");
}

#[test]
fn out_of_range_index_is_rejected() {
    let a = SparseArray::try_new(
        csr_desc((2, 3), 2, "int64", "int64", "float32"),
        [
            ("pointers_to_1", Buffer::from_vec(vec![0i64, 1, 2])),
            ("indices_1", Buffer::from_vec(vec![0i64, 3])),
            ("values", Buffer::from_vec(vec![1.0f32, 2.0])),
        ],
    )
    .unwrap();
    match a.validate_full() {
        Err(ArrayError::Structure {
            array,
            position: 1,
            reason,
        }) => {
            assert_eq!(array, "indices_1");
            assert!(reason.contains("out of bounds"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn negative_index_and_decreasing_pointers_are_rejected() {
    let d = csr_desc((2, 3), 2, "int32", "int32", "float64");
    let neg = SparseArray::try_new(
        d.clone(),
        [
            ("pointers_to_1", Buffer::from_vec(vec![0i32, 1, 2])),
            ("indices_1", Buffer::from_vec(vec![-1i32, 0])),
            ("values", Buffer::from_vec(vec![1.0f64, 2.0])),
        ],
    )
    .unwrap();
    assert!(matches!(
        neg.validate_full(),
        Err(ArrayError::Structure { position: 0, .. })
    ));
    let dec = SparseArray::try_new(
        d,
        [
            ("pointers_to_1", Buffer::from_vec(vec![0i32, 2, 2])),
            ("indices_1", Buffer::from_vec(vec![0i32, 1])),
            ("values", Buffer::from_vec(vec![1.0f64, 2.0])),
        ],
    )
    .unwrap();
    dec.validate_full().unwrap();
    let bad_start = SparseArray::try_new(
        csr_desc((2, 3), 2, "int32", "int32", "float64"),
        [
            ("pointers_to_1", Buffer::from_vec(vec![1i32, 0, 2])),
            ("indices_1", Buffer::from_vec(vec![0i32, 1])),
            ("values", Buffer::from_vec(vec![1.0f64, 2.0])),
        ],
    )
    .unwrap();
    assert!(matches!(
        bad_start.validate_full(),
        Err(ArrayError::Structure { .. })
    ));
}

#[test]
fn wrong_pointer_length_or_end_is_rejected_in_o1() {
    // Wrong length.
    let err = SparseArray::try_new(
        csr_desc((2, 3), 2, "int32", "int32", "float64"),
        [
            ("pointers_to_1", Buffer::from_vec(vec![0i32, 2])),
            ("indices_1", Buffer::from_vec(vec![0i32, 1])),
            ("values", Buffer::from_vec(vec![1.0f64, 2.0])),
        ],
    )
    .unwrap_err();
    assert!(matches!(err, ArrayError::Descriptor(_)), "{err}");
    // Last pointer disagrees with nnz.
    let err = SparseArray::try_new(
        csr_desc((2, 3), 2, "int32", "int32", "float64"),
        [
            ("pointers_to_1", Buffer::from_vec(vec![0i32, 1, 3])),
            ("indices_1", Buffer::from_vec(vec![0i32, 1])),
            ("values", Buffer::from_vec(vec![1.0f64, 2.0])),
        ],
    )
    .unwrap_err();
    assert!(matches!(err, ArrayError::Descriptor(_)), "{err}");
}

#[test]
fn missing_unexpected_and_mistyped_arrays_are_rejected() {
    let d = csr_desc((2, 3), 2, "int32", "int64", "float64");
    let ptr = Buffer::from_vec(vec![0i32, 1, 2]);
    let idx = Buffer::from_vec(vec![0i64, 1]);
    let val = Buffer::from_vec(vec![1.0f64, 2.0]);
    let err = SparseArray::try_new(
        d.clone(),
        [("pointers_to_1", ptr.clone()), ("indices_1", idx.clone())],
    )
    .unwrap_err();
    assert!(matches!(err, ArrayError::MissingArray { ref array } if array == "values"));
    let err = SparseArray::try_new(
        d.clone(),
        [
            ("pointers_to_1", ptr.clone()),
            ("indices_1", idx.clone()),
            ("values", val.clone()),
            ("indices_0", idx.clone()),
        ],
    )
    .unwrap_err();
    assert!(matches!(err, ArrayError::UnexpectedArray { ref array } if array == "indices_0"));
    // §13 row 10: labels swapped between pointers and indices are caught by the dtypes.
    let err = SparseArray::try_new(
        d,
        [
            ("pointers_to_1", Buffer::from_vec(vec![0i64, 1, 2])),
            ("indices_1", Buffer::from_vec(vec![0i32, 1])),
            ("values", val),
        ],
    )
    .unwrap_err();
    assert!(
        matches!(err, ArrayError::DTypeMismatch { ref array, found: DType::I64, .. } if array == "pointers_to_1"),
        "{err}"
    );
}

#[test]
fn bool_values_and_interleaved_complex_are_viewed_zero_copy() {
    let d = desc(
        r#""format": "CVEC", "shape": [4], "number_of_stored_values": 2,
           "data_types": {"indices_0": "int32", "values": "complex[float32]"}"#,
    );
    let interleaved = Buffer::from_vec(vec![1.0f32, 2.0, 3.0, 4.0]);
    let a = SparseArray::try_new(
        d,
        [
            ("indices_0", Buffer::from_vec(vec![1i32, 3])),
            ("values", interleaved.clone()),
        ],
    )
    .unwrap();
    let values = a.array("values").unwrap();
    assert_eq!(values.dtype(), DType::Complex64);
    assert_eq!(values.len(), 2);
    assert!(values.shares_memory_with(&interleaved));
    let c = values.as_slice::<Complex64>().unwrap();
    assert_eq!((c[1].re, c[1].im), (3.0, 4.0));

    let d = desc(
        r#""format": "CVEC", "shape": [4], "number_of_stored_values": 2,
           "data_types": {"indices_0": "int32", "values": "bint8"}"#,
    );
    let bools = Buffer::zeroed(DType::Bool, 2, sparsebridge_buffer::Device::Cpu).unwrap();
    let a = SparseArray::try_new(
        d,
        [
            ("indices_0", Buffer::from_vec(vec![0i32, 2])),
            ("values", bools),
        ],
    )
    .unwrap();
    assert_eq!(a.array("values").unwrap().dtype(), DType::U8);
}

#[test]
fn dcsr_rejects_empty_stored_rows_and_coo_checks_lexicographic_order() {
    let d = desc(
        r#""format": "DCSR", "shape": [4, 4], "number_of_stored_values": 2,
           "data_types": {"indices_0": "uint8", "pointers_to_1": "uint8", "indices_1": "uint8", "values": "float64"}"#,
    );
    let good = SparseArray::try_new(
        d.clone(),
        [
            ("indices_0", Buffer::from_vec(vec![1u8, 3])),
            ("pointers_to_1", Buffer::from_vec(vec![0u8, 1, 2])),
            ("indices_1", Buffer::from_vec(vec![2u8, 0])),
            ("values", Buffer::from_vec(vec![1.0f64, 2.0])),
        ],
    )
    .unwrap();
    good.validate_full().unwrap();
    let empty_row = SparseArray::try_new(
        d,
        [
            ("indices_0", Buffer::from_vec(vec![1u8, 2, 3])),
            ("pointers_to_1", Buffer::from_vec(vec![0u8, 1, 1, 2])),
            ("indices_1", Buffer::from_vec(vec![2u8, 0])),
            ("values", Buffer::from_vec(vec![1.0f64, 2.0])),
        ],
    )
    .unwrap();
    let err = empty_row.validate_full().unwrap_err();
    assert!(err.to_string().contains("empty segment"), "{err}");

    let coo = desc(
        r#""format": "COOR", "shape": [3, 3], "number_of_stored_values": 3,
           "data_types": {"indices_0": "int16", "indices_1": "int16", "values": "float64"}"#,
    );
    let sorted = SparseArray::try_new(
        coo.clone(),
        [
            ("indices_0", Buffer::from_vec(vec![0i16, 1, 1])),
            ("indices_1", Buffer::from_vec(vec![2i16, 0, 1])),
            ("values", Buffer::from_vec(vec![1.0f64, 2.0, 3.0])),
        ],
    )
    .unwrap();
    sorted.validate_full().unwrap();
    let unsorted = SparseArray::try_new(
        coo,
        [
            ("indices_0", Buffer::from_vec(vec![0i16, 1, 1])),
            ("indices_1", Buffer::from_vec(vec![2i16, 1, 0])),
            ("values", Buffer::from_vec(vec![1.0f64, 2.0, 3.0])),
        ],
    )
    .unwrap();
    assert!(matches!(
        unsorted.validate_full(),
        Err(ArrayError::Structure { position: 2, .. })
    ));
}

#[test]
fn cooc_bounds_follow_the_transpose() {
    // COOC of a 2x3 matrix: indices_0 are columns (< 3), indices_1 rows (< 2) (§13 row 3).
    let d = desc(
        r#""format": "COOC", "shape": [2, 3], "number_of_stored_values": 2,
           "data_types": {"indices_0": "int32", "indices_1": "int32", "values": "float64"}"#,
    );
    let ok = SparseArray::try_new(
        d.clone(),
        [
            ("indices_0", Buffer::from_vec(vec![0i32, 2])),
            ("indices_1", Buffer::from_vec(vec![1i32, 0])),
            ("values", Buffer::from_vec(vec![1.0f64, 2.0])),
        ],
    )
    .unwrap();
    ok.validate_full().unwrap();
    let bad = SparseArray::try_new(
        d,
        [
            ("indices_0", Buffer::from_vec(vec![0i32, 1])),
            ("indices_1", Buffer::from_vec(vec![2i32, 0])),
            ("values", Buffer::from_vec(vec![1.0f64, 2.0])),
        ],
    )
    .unwrap();
    let err = bad.validate_full().unwrap_err();
    assert!(
        matches!(err, ArrayError::Structure { ref array, .. } if array == "indices_1"),
        "{err}"
    );
}

#[test]
fn dense_formats_need_no_structure_check() {
    let d = desc(
        r#""format": "DMATC", "shape": [2, 3], "number_of_stored_values": 6,
           "data_types": {"values": "float64"}"#,
    );
    let a = SparseArray::try_new(d, [("values", Buffer::from_vec(vec![0.0f64; 6]))]).unwrap();
    a.validate_full().unwrap();
}

#[test]
fn unsorted_coo_in_range_is_rejected() {
    // The convert fuzzer's input fuzz/regressions/convert/unsorted-hostile-d5dfea6: every index in
    // range, but rows out of order. binsparse COO is sorted by (row, column), so the full tier
    // must reject it (the finding was the fuzz oracle calling this valid, not the validator).
    let d = desc(
        r#""format": "COOR", "shape": [2292, 3321], "number_of_stored_values": 2,
           "data_types": {"indices_0": "int32", "indices_1": "int32", "values": "int64"}"#,
    );
    let a = SparseArray::try_new(
        d,
        [
            ("indices_0", Buffer::from_vec(vec![509i32, 253])),
            ("indices_1", Buffer::from_vec(vec![1i32, 2047])),
            ("values", Buffer::from_vec(vec![0i64, 2])),
        ],
    )
    .unwrap();
    match a.validate_full() {
        Err(ArrayError::Structure { position, .. }) => assert_eq!(position, 1),
        other => panic!("expected a structure error at entry 1, got {other:?}"),
    }
}

fn small_csr() -> SparseArray {
    SparseArray::try_new(
        csr_desc((2, 3), 3, "int32", "int32", "float64"),
        [
            ("pointers_to_1", Buffer::from_vec(vec![0i32, 2, 3])),
            ("indices_1", Buffer::from_vec(vec![0i32, 2, 1])),
            ("values", Buffer::from_vec(vec![1.0f64, 2.0, 3.0])),
        ],
    )
    .unwrap()
}

#[test]
fn to_device_shares_on_the_same_device_and_copy_to_copies_keeping_validation() {
    use sparsebridge_buffer::Device;
    let a = small_csr();
    let same = a.to_device(Device::Cpu).unwrap();
    for ((_, x), (_, y)) in a.arrays().iter().zip(same.arrays()) {
        assert!(x.shares_memory_with(y));
    }
    // Not validated yet: a copy is not either.
    assert!(!a.copy_to(Device::Cpu).unwrap().is_validated());
    a.validate_full().unwrap();
    let c = a.copy_to(Device::Cpu).unwrap();
    assert!(c.is_validated());
    assert_eq!(c.descriptor(), a.descriptor());
    for ((n, x), (m, y)) in a.arrays().iter().zip(c.arrays()) {
        assert_eq!(n, m);
        assert!(!x.shares_memory_with(y));
        assert_eq!(x.dtype(), y.dtype());
    }
    let ints = |n: &str| c.array(n).unwrap().as_slice::<i32>().unwrap().to_vec();
    assert_eq!(ints("pointers_to_1"), [0, 2, 3]);
    assert_eq!(ints("indices_1"), [0, 2, 1]);
    assert_eq!(
        c.array("values").unwrap().as_slice::<f64>().unwrap(),
        &[1.0, 2.0, 3.0]
    );
}

#[test]
fn validate_with_records_a_pass_and_skips_the_check_afterwards() {
    let a = small_csr();
    // A failing check records nothing.
    assert_eq!(a.validate_with(|_| Ok::<_, ()>(false)), Ok(false));
    assert!(!a.is_validated());
    let mut runs = 0;
    assert_eq!(
        a.validate_with(|_| {
            runs += 1;
            Ok::<_, ()>(true)
        }),
        Ok(true)
    );
    assert!(a.is_validated());
    // Known valid: the check is not run again.
    assert_eq!(
        a.validate_with(|_| {
            runs += 1;
            Ok::<_, ()>(false)
        }),
        Ok(true)
    );
    assert_eq!(runs, 1);
}

/// The transpose is a relabelling: CSR of `A` read as CSC of `Aᵀ`. Oracle: the dense `A`, read
/// back through each format's own definition (row pointers vs column pointers).
#[test]
fn transposed_relabels_shares_buffers_and_flips_structure() {
    // A = [[1, 0, 2], [0, 0, 3]]: CSR pointers [0, 2, 3], indices [0, 2, 2].
    let a = SparseArray::try_new(
        csr_desc((2, 3), 3, "int32", "int32", "float64"),
        [
            ("pointers_to_1", Buffer::from_vec(vec![0i32, 2, 3])),
            ("indices_1", Buffer::from_vec(vec![0i32, 2, 2])),
            ("values", Buffer::from_vec(vec![1.0f64, 2.0, 3.0])),
        ],
    )
    .unwrap();
    a.validate_full().unwrap();
    let t = a.transposed().unwrap();
    assert_eq!(t.descriptor().alias(), Some(PredefinedFormat::Csc));
    assert_eq!(t.shape(), &[3, 2]);
    assert!(t.is_validated(), "the stored order is unchanged");
    for ((n1, b1), (n2, b2)) in a.arrays().iter().zip(t.arrays()) {
        assert_eq!(n1, n2);
        assert!(b1.shares_memory_with(b2), "{n1} is shared");
    }
    // As CSC of Aᵀ (3 x 2): column j of Aᵀ is row j of A, so the same arrays hold Aᵀ[0][0] = 1,
    // Aᵀ[2][0] = 2 and Aᵀ[2][1] = 3; the full check passes on the relabelled array too.
    let fresh = SparseArray::try_new(t.descriptor().clone(), t.arrays().to_vec()).unwrap();
    fresh.validate_full().unwrap();
    assert_eq!(t.transposed().unwrap().descriptor(), a.descriptor());

    let sym = desc(
        r#""format": "COOR", "shape": [2, 2], "number_of_stored_values": 2,
           "structure": "symmetric_lower",
           "data_types": {"indices_0": "uint8", "indices_1": "uint8", "values": "float32"}"#,
    );
    let s = SparseArray::try_new(
        sym,
        [
            ("indices_0", Buffer::from_vec(vec![0u8, 1])),
            ("indices_1", Buffer::from_vec(vec![0u8, 0])),
            ("values", Buffer::from_vec(vec![1.0f32, 2.0])),
        ],
    )
    .unwrap();
    let st = s.transposed().unwrap();
    assert_eq!(st.descriptor().alias(), Some(PredefinedFormat::Cooc));
    assert_eq!(
        st.descriptor().structure().map(|s| s.as_str()),
        Some("symmetric_upper")
    );
}

#[test]
fn transposed_refuses_vectors() {
    let d = desc(
        r#""format": "DVEC", "shape": [3], "number_of_stored_values": 3,
           "data_types": {"values": "int8"}"#,
    );
    let v = SparseArray::try_new(d, [("values", Buffer::from_vec(vec![1i8, 2, 3]))]).unwrap();
    assert!(matches!(v.transposed(), Err(ArrayError::Unsupported(_))));
}
