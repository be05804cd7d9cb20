//! Every producer variant of binsparse-protocol.md §11 that lives at descriptor level, plus the
//! descriptor-level regression rows of §13 (6, 7, 12, 13, 16, 19).

mod common;

use common::{err, ok, ok_lenient, reparse};
use serde_json::json;
use sparsebridge_descriptor::{
    DataType, Descriptor, DescriptorError, Format, Level, ParseOptions, PredefinedFormat,
    ScalarType, Warning,
};

const CSR_DTS: &str = r#"{"pointers_to_1": "int64", "indices_1": "int64", "values": "float64"}"#;

fn csr(extra_inner: &str) -> String {
    format!(
        r#"{{"binsparse": {{"version": "0.1", "format": "CSR", "shape": [3, 4],
            "number_of_stored_values": 5, {extra_inner} "data_types": {CSR_DTS}}}}}"#
    )
}

fn csr_custom_block() -> serde_json::Value {
    json!({"level": {"level_desc": "dense", "rank": 1,
        "level": {"level_desc": "sparse", "rank": 1, "level": {"level_desc": "element"}}}})
}

fn reference() -> Descriptor {
    Descriptor::new(
        PredefinedFormat::Csr.into(),
        vec![3, 4],
        5,
        ScalarType::Int64,
        ScalarType::Float64.into(),
    )
    .unwrap()
}

#[test]
fn both_version_spellings_read_and_write_0_1() {
    // §13 row 7.
    let a = ok(&csr("")).descriptor;
    let b = ok(&csr("").replace("\"0.1\"", "\"0.1.0\"")).descriptor;
    assert_eq!(a, b);
    assert_eq!(a, reference());
    assert_eq!(b.to_value().unwrap()["binsparse"]["version"], "0.1");
    for bad in ["0.1.5", "0.2", "1.0", "0.5", "0.1.0.0", ""] {
        let e = err(&csr("").replace("\"0.1\"", &format!("\"{bad}\"")));
        assert!(
            matches!(e, DescriptorError::UnsupportedVersion { .. }),
            "{bad}: {e}"
        );
    }
}

#[test]
fn bare_inner_object_is_accepted() {
    let text = format!(
        r#"{{"version": "0.1", "format": "CSR", "shape": [3, 4], "number_of_stored_values": 5,
            "data_types": {CSR_DTS}}}"#
    );
    let d = ok(&text).descriptor;
    assert_eq!(d, reference());
    assert!(d.to_value().unwrap().get("binsparse").is_some());
}

#[test]
fn custom_block_placements() {
    let block = csr_custom_block();
    let dts: serde_json::Value = serde_json::from_str(CSR_DTS).unwrap();
    let base = |inner: serde_json::Value| {
        let mut m = inner.as_object().unwrap().clone();
        m.insert("version".into(), json!("0.1"));
        m.insert("shape".into(), json!([3, 4]));
        m.insert("number_of_stored_values".into(), json!(5));
        m.insert("data_types".into(), dts.clone());
        json!({ "binsparse": m }).to_string()
    };
    let variants = [
        // C reference / Finch with no alias: sibling custom, no format (§13 row 13).
        ("sibling custom, no format", json!({"custom": block})),
        // Finch when an alias matches: custom plus the agreeing alias.
        ("custom + alias", json!({"format": "CSR", "custom": block})),
        // binsparse 0.1.4 alias=False.
        (
            "format \"custom\" + custom",
            json!({"format": "custom", "custom": block}),
        ),
        // sparse PR #764.
        ("format {custom}", json!({"format": {"custom": block}})),
        (
            "format {custom} + sibling",
            json!({"format": {"custom": block}, "custom": block}),
        ),
    ];
    for (what, inner) in variants {
        let p = ok(&base(inner));
        assert!(p.warnings.is_empty(), "{what}: {:?}", p.warnings);
        assert_eq!(p.descriptor, reference(), "{what}");
    }
    // Disagreement between alias and custom is an error, naming the format key.
    let e = err(&base(json!({"format": "CSC", "custom": block})));
    assert!(
        matches!(e, DescriptorError::FormatConflict { ref key, .. } if key == "binsparse.format"),
        "{e}"
    );
    let dcsr = json!({"level": {"level_desc": "sparse", "rank": 1,
        "level": {"level_desc": "sparse", "rank": 1, "level": {"level_desc": "element"}}}});
    let e = err(&base(json!({"format": {"custom": dcsr}, "custom": block})));
    assert!(matches!(e, DescriptorError::FormatConflict { .. }), "{e}");
}

#[test]
fn legacy_tensor_and_level_kind_in_lenient_mode() {
    // Finch before 2025 (spec PR #39 reference files): `tensor` and `level_kind`.
    let text = include_str!("../../../docs/examples/legacy_finch.json");
    let e = err(text);
    assert!(
        matches!(e, DescriptorError::LenientOnly { ref key, .. } if key == "binsparse.tensor"),
        "{e}"
    );
    let p = ok_lenient(text);
    let d = &p.descriptor;
    assert_eq!(d.alias(), Some(PredefinedFormat::Dcsr));
    assert!(d.fill());
    assert_eq!(d.nnz(), 15);
    assert_eq!(p.warnings.len(), 4, "{:?}", p.warnings);
    assert_eq!(
        p.warnings[0],
        Warning::LegacyKey {
            key: "binsparse.tensor".into(),
            replacement: "custom"
        }
    );
    assert!(p.warnings[1..].iter().all(|w| matches!(
        w,
        Warning::LegacyKey {
            replacement: "level_desc",
            ..
        }
    )));
    let v = d.to_value().unwrap();
    assert_eq!(v["binsparse"]["format"], "DCSR");
    assert_eq!(v["binsparse"]["fill"], true);
    assert_eq!(reparse(d), *d);

    // The same without version and nnz: the missing version is reported first (§9 order).
    let old = text.replace(r#""version": "0.1", "number_of_stored_values": 15,"#, "");
    let e = err(&old);
    assert!(
        matches!(e, DescriptorError::MissingKey { ref key } if key == "binsparse.version"),
        "{e}"
    );
    let p = ok_lenient(&old);
    assert!(p.warnings.contains(&Warning::VersionAssumed));
    assert!(p.warnings.contains(&Warning::NnzMissing { derived: false }));
    let d = &p.descriptor;
    // nnz is unknown until the arrays say it.
    assert!(!d.nnz_known());
    assert!(matches!(
        d.to_value(),
        Err(DescriptorError::NnzUnknown { .. })
    ));
    let fixed = d.with_nnz(15).unwrap();
    assert_eq!(fixed, ok_lenient(text).descriptor);

    // Strict mode names the legacy level key too.
    let only_level_kind = json!({"binsparse": {"version": "0.1", "shape": [4], "number_of_stored_values": 2,
        "custom": {"level": {"level_kind": "sparse", "rank": 1, "level": {"level_desc": "element"}}},
        "data_types": {"indices_0": "int8", "values": "int8"}}})
    .to_string();
    assert!(
        matches!(err(&only_level_kind), DescriptorError::LenientOnly { ref key, .. } if key.ends_with("level_kind"))
    );
    assert_eq!(
        ok_lenient(&only_level_kind).descriptor.alias(),
        Some(PredefinedFormat::Cvec)
    );
}

#[test]
fn legacy_writer_without_version_nnz_or_wrapper() {
    // ivirshup/binsparse-python 2023-08: {"format", "shape", "data_types"} only.
    let text = format!(r#"{{"format": "CSR", "shape": [3, 4], "data_types": {CSR_DTS}}}"#);
    assert!(
        matches!(err(&text), DescriptorError::MissingKey { ref key } if key == "binsparse.version")
    );
    let p = ok_lenient(&text);
    assert_eq!(
        p.warnings,
        [
            Warning::VersionAssumed,
            Warning::NnzMissing { derived: false }
        ]
    );
    assert_eq!(p.descriptor.with_nnz(5).unwrap(), reference());
    // Dense: nnz derives from the shape.
    let dense = r#"{"format": "DMATC", "shape": [3, 4], "data_types": {"values": "int16"}}"#;
    let p = ok_lenient(dense);
    assert!(p.warnings.contains(&Warning::NnzMissing { derived: true }));
    assert_eq!(p.descriptor.nnz(), 12);
    assert!(p.descriptor.nnz_known());
}

#[test]
fn attrs_and_attributes_are_ignored_with_a_warning() {
    for k in ["attrs", "attributes"] {
        let p = ok(&csr(&format!(
            r#""{k}": {{"number_of_diagonal_elements": 2}},"#
        )));
        assert_eq!(
            p.warnings,
            [Warning::IgnoredKey {
                key: format!("binsparse.{k}")
            }]
        );
        assert_eq!(p.descriptor, reference());
        assert!(p.descriptor.to_json_string().unwrap().find(k).is_none());
    }
}

#[test]
fn coo_and_dmat_aliases() {
    let coo = r#"{"binsparse": {"version": "0.1", "format": "COO", "shape": [2, 3],
        "number_of_stored_values": 2,
        "data_types": {"indices_0": "uint8", "indices_1": "uint8", "values": "int32"}}}"#;
    let d = ok(coo).descriptor;
    assert_eq!(d.alias(), Some(PredefinedFormat::Coor));
    assert_eq!(d.to_value().unwrap()["binsparse"]["format"], "COOR");
    let dmat = r#"{"binsparse": {"version": "0.1", "format": "DMAT", "shape": [2, 3],
        "number_of_stored_values": 6, "data_types": {"values": "float32"}}}"#;
    let d = ok(dmat).descriptor;
    assert_eq!(d.alias(), Some(PredefinedFormat::Dmatr));
    assert_eq!(d.to_value().unwrap()["binsparse"]["format"], "DMATR");
}

#[test]
fn bool_reads_as_bint8() {
    let text = r#"{"binsparse": {"version": "0.1", "format": "CVEC", "shape": [8],
        "number_of_stored_values": 3, "data_types": {"indices_0": "int64", "values": "bool"}}}"#;
    let p = ok(text);
    assert_eq!(p.descriptor.value_type(), DataType::new(ScalarType::Bint8));
    assert_eq!(
        p.warnings,
        [Warning::BoolAsBint8 {
            key: "binsparse.data_types.values".into()
        }]
    );
    assert_eq!(
        p.descriptor.to_value().unwrap()["binsparse"]["data_types"]["values"],
        "bint8"
    );
    let iso = text.replace("\"bool\"", "\"iso[bool]\"");
    assert_eq!(
        ok(&iso).descriptor.value_type(),
        DataType::iso(ScalarType::Bint8)
    );
}

#[test]
fn bsr_is_rejected() {
    // §13 row 12.
    let text = r#"{"binsparse": {"version": "0.1", "format": "BSR", "shape": [4, 4],
        "number_of_stored_values": 2,
        "data_types": {"pointers_to_1": "int32", "indices_1": "int32", "values": "float64"}}}"#;
    assert!(
        matches!(err(text), DescriptorError::UnknownFormat { ref value, .. } if value == "\"BSR\"")
    );
}

#[test]
fn one_d_csr_is_rejected_as_a_rank_mismatch() {
    // §13 row 6: shape (4,) under "CSR".
    let text = r#"{"binsparse": {"version": "0.1", "format": "CSR", "shape": [4],
        "number_of_stored_values": 2,
        "data_types": {"pointers_to_1": "int32", "indices_1": "int32", "values": "float64"}}}"#;
    assert!(matches!(
        err(text),
        DescriptorError::RankMismatch {
            expected: 2,
            found: 1,
            ..
        }
    ));
}

#[test]
fn dvec_with_2d_shape_is_rejected() {
    // §13 row 19 (binsparse-reference-c test/c/dvec_shape_test.c).
    let e = err(include_str!("../../../docs/examples/invalid_dvec_2d.json"));
    assert!(
        matches!(
            e,
            DescriptorError::RankMismatch {
                expected: 1,
                found: 2,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn fill_value_at_any_position_is_emitted_last() {
    let p = ok(include_str!(
        "../../../docs/examples/lenient_binsparse_py.json"
    ));
    let d = &p.descriptor;
    assert_eq!(d.alias(), Some(PredefinedFormat::Csc));
    assert!(d.fill());
    assert_eq!(d.fill_type(), Some(DataType::new(ScalarType::Float64)));
    assert_eq!(
        d.array_names(),
        ["pointers_to_1", "indices_1", "values", "fill_value"]
    );
    let text = d.to_json_string().unwrap();
    assert!(text.contains(
        r#""data_types":{"pointers_to_1":"int32","indices_1":"int32","values":"bint8","fill_value":"float64"}"#
    ), "{text}");
    assert!(text.contains(r#""fill":true"#));
}

#[test]
fn cvec_written_as_custom_sparse_1() {
    let text = r#"{"binsparse": {"version": "0.1.0", "format": "custom", "shape": [9],
        "number_of_stored_values": 2,
        "custom": {"level": {"level_desc": "sparse", "rank": 1, "level": {"level_desc": "element"}}},
        "data_types": {"indices_0": "uint32", "values": "complex[float32]"}}}"#;
    let d = ok(text).descriptor;
    assert_eq!(d.alias(), Some(PredefinedFormat::Cvec));
    assert_eq!(d.to_value().unwrap()["binsparse"]["format"], "CVEC");
}

#[test]
fn zero_d_root_element() {
    let text = r#"{"binsparse": {"version": "0.1.0", "format": "custom", "shape": [],
        "number_of_stored_values": 1, "custom": {"level": {"level_desc": "element"}},
        "data_types": {"values": "int64"}}}"#;
    let d = ok(text).descriptor;
    assert_eq!(d.rank(), 0);
    assert_eq!(d.format().levels(), [Level::Element]);
    assert_eq!(d.alias(), None);
    assert_eq!(reparse(&d), d);
    let v = d.to_value().unwrap();
    assert_eq!(v["binsparse"]["format"], "custom");
    assert_eq!(
        v["binsparse"]["custom"],
        json!({"level": {"level_desc": "element"}})
    );
}

#[test]
fn n_d_coo_from_sparse_pr() {
    let d = ok(include_str!("../../../docs/examples/coo3d_custom.json")).descriptor;
    assert_eq!(
        *d.format(),
        Format::new(vec![Level::Sparse { rank: 3 }, Level::Element], None).unwrap()
    );
    assert_eq!(
        d.array_names(),
        ["indices_0", "indices_1", "indices_2", "values"]
    );
    assert_eq!(d.value_type(), DataType::new(ScalarType::ComplexFloat64));
    assert_eq!(reparse(&d), d);
}

#[test]
fn file_name_does_not_decide_the_format() {
    // §13 row 16: spec PR #39's `*_DMATR` directories hold "DMATC" files; only content counts.
    let text = r#"{"binsparse": {"version": "0.1", "format": "DMATC", "shape": [7, 7],
        "number_of_stored_values": 49, "data_types": {"values": "float64"}}}"#;
    assert_eq!(ok(text).descriptor.alias(), Some(PredefinedFormat::Dmatc));
}

#[test]
fn identity_transpose_is_the_untransposed_alias() {
    let text = r#"{"binsparse": {"version": "0.1", "shape": [3, 4], "number_of_stored_values": 5,
        "custom": {"level": {"level_desc": "dense", "rank": 1, "level": {"level_desc": "sparse",
            "rank": 1, "level": {"level_desc": "element"}}}, "transpose": [0, 1]},
        "data_types": {"pointers_to_1": "int64", "indices_1": "int64", "values": "float64"}}}"#;
    assert_eq!(ok(text).descriptor, reference());
}

#[test]
fn draft_proposals_are_refused_with_a_reason() {
    let subformat = r#"{"binsparse": {"version": "0.1", "format": {"subformat": {"level": "dense"}},
        "shape": [3], "number_of_stored_values": 3, "data_types": {"values": "int8"}}}"#;
    assert!(matches!(
        err(subformat),
        DescriptorError::UnsupportedFeature { .. }
    ));
    let lenient = Descriptor::parse(subformat, &ParseOptions::lenient());
    assert!(matches!(
        lenient,
        Err(DescriptorError::UnsupportedFeature { .. })
    ));
}

#[test]
fn unknown_namespace_keys_strict_error_lenient_warning() {
    let text = csr(r#""frobnicate": 1,"#);
    assert!(
        matches!(err(&text), DescriptorError::UnknownKey { ref key, .. } if key == "binsparse.frobnicate")
    );
    let p = ok_lenient(&text);
    assert_eq!(
        p.warnings,
        [Warning::UnknownKeyDropped {
            key: "binsparse.frobnicate".into()
        }]
    );
}

#[test]
fn key_order_is_not_semantic() {
    let text = r#"{"binsparse": {"data_types": {"values": "float64", "indices_1": "int64",
        "pointers_to_1": "int64"}, "number_of_stored_values": 5, "shape": [3, 4],
        "format": "CSR", "version": "0.1"}}"#;
    assert_eq!(ok(text).descriptor, reference());
}
