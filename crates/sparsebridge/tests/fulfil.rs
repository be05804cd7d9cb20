//! `fulfil_request` answers requests for every format the engine produces, predefined or
//! custom, checked against hand-written expected arrays.

use sparsebridge::descriptor::ParseOptions;
use sparsebridge::{Buffer, Descriptor, Error, PredefinedFormat, ScalarType, SparseArray};
use sparsebridge::{EngineError, fulfil_request};

fn parse(json: &str) -> Descriptor {
    Descriptor::parse(json, &ParseOptions::default().with_extension_types(true))
        .unwrap()
        .descriptor
}

/// [[1, 0, 2], [0, 0, 0], [0, 3, 0]] as COOR with int32 indices.
fn coo() -> SparseArray {
    let d = Descriptor::new(
        PredefinedFormat::Coor.into(),
        vec![3, 3],
        3,
        ScalarType::Int32,
        ScalarType::Float64.into(),
    )
    .unwrap();
    SparseArray::try_new(
        d,
        [
            ("indices_0", Buffer::from_vec(vec![0i32, 0, 2])),
            ("indices_1", Buffer::from_vec(vec![0i32, 2, 1])),
            ("values", Buffer::from_vec(vec![1.0f64, 2.0, 3.0])),
        ],
    )
    .unwrap()
}

#[test]
fn dcsr_and_dense_requests() {
    let a = coo();
    let dcsr = parse(
        r#"{"binsparse": {"version": "0.1", "format": "DCSR", "shape": [3, 3],
            "number_of_stored_values": 3,
            "data_types": {"indices_0": "uint8", "pointers_to_1": "uint16",
                           "indices_1": "uint8", "values": "float64"}}}"#,
    );
    let out = fulfil_request(&a, &dcsr, None).unwrap();
    let arr = |n: &str| out.array.array(n).unwrap().clone();
    assert_eq!(arr("indices_0").to_vec::<u8>().unwrap(), vec![0, 2]);
    assert_eq!(arr("pointers_to_1").to_vec::<u16>().unwrap(), vec![0, 2, 3]);
    assert_eq!(arr("indices_1").to_vec::<u8>().unwrap(), vec![0, 2, 1]);

    let dmatc = parse(
        r#"{"binsparse": {"version": "0.1", "format": "DMATC", "shape": [3, 3],
            "number_of_stored_values": 9, "data_types": {"values": "float64"}}}"#,
    );
    let out = fulfil_request(&a, &dmatc, None).unwrap();
    assert_eq!(
        out.array.array("values").unwrap().to_vec::<f64>().unwrap(),
        vec![1.0, 0.0, 0.0, 0.0, 0.0, 3.0, 2.0, 0.0, 0.0]
    );
    assert_eq!(out.array.nnz(), 9);
}

#[test]
fn custom_requests_convert_or_fail_typed() {
    // A 2x2x2 custom dense array to n-d COO (a custom request with no predefined alias).
    let d = parse(
        r#"{"binsparse": {"version": "0.1", "format": "custom", "shape": [2, 2, 2],
            "number_of_stored_values": 8, "data_types": {"values": "int64"},
            "custom": {"level": {"level_desc": "dense", "rank": 3,
                                 "level": {"level_desc": "element"}}}}}"#,
    );
    let dense = SparseArray::try_new(
        d,
        [("values", Buffer::from_vec(vec![0i64, 5, 0, 0, 0, 0, 7, 0]))],
    )
    .unwrap();
    let want = parse(
        r#"{"binsparse": {"version": "0.1", "format": "custom", "shape": [2, 2, 2],
            "number_of_stored_values": 2,
            "data_types": {"indices_0": "int32", "indices_1": "int32", "indices_2": "int32",
                           "values": "int64"},
            "custom": {"level": {"level_desc": "sparse", "rank": 3,
                                 "level": {"level_desc": "element"}}}}}"#,
    );
    let out = fulfil_request(&dense, &want, None).unwrap();
    let ix = |n: &str| out.array.array(n).unwrap().to_vec::<i32>().unwrap();
    assert_eq!(
        (ix("indices_0"), ix("indices_1"), ix("indices_2")),
        (vec![0, 1], vec![0, 1], vec![1, 0])
    );
    assert_eq!(
        out.array.array("values").unwrap().to_vec::<i64>().unwrap(),
        vec![5, 7]
    );

    // A level format the engine has no conversion for (CSF-like) is a typed error.
    let csf = parse(
        r#"{"binsparse": {"version": "0.1", "format": "custom", "shape": [2, 2, 2],
            "number_of_stored_values": 2,
            "data_types": {"indices_0": "int32", "pointers_to_1": "int32", "indices_1": "int32",
                           "pointers_to_2": "int32", "indices_2": "int32", "values": "int64"},
            "custom": {"level": {"level_desc": "sparse", "rank": 1, "level":
                       {"level_desc": "sparse", "rank": 1, "level":
                       {"level_desc": "sparse", "rank": 1, "level": {"level_desc": "element"}}}}}}}"#,
    );
    let err = fulfil_request(&dense, &csf, None).unwrap_err();
    assert!(
        matches!(err, Error::Convert(EngineError::Unsupported(_))),
        "{err}"
    );
}
