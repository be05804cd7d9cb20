//! The spec's example descriptors (binsparse-protocol.md §2, §6, §7), the §5 equivalence table
//! in both directions, and the format table checked against the §4 table written out by hand.

mod common;

use common::{err, ok, reparse};
use serde_json::json;
use sparsebridge_descriptor::{
    ArrayLengths, ArrayRole, DataType, Descriptor, DescriptorError, Format, LengthRule, Level,
    ParseOptions, PredefinedFormat, ScalarType, Structure,
};

#[test]
fn csc_with_user_attributes() {
    let p = ok(include_str!("../../../docs/examples/csc.json"));
    assert!(p.warnings.is_empty());
    let d = p.descriptor;
    assert_eq!(d.alias(), Some(PredefinedFormat::Csc));
    assert_eq!(d.shape(), &[10, 12]);
    assert_eq!(d.nnz(), 20);
    assert_eq!(d.value_type(), DataType::new(ScalarType::Float32));
    assert_eq!(d.array_names(), ["pointers_to_1", "indices_1", "values"]);
    let keys: Vec<_> = d.user_keys().keys().map(String::as_str).collect();
    assert_eq!(keys, ["original_source", "author"]);
    // Strict output: namespace first, user keys after it in their original order.
    let v = d.to_value().unwrap();
    assert_eq!(
        v,
        json!({"binsparse": {"version": "0.1", "format": "CSC", "shape": [10, 12],
            "number_of_stored_values": 20,
            "data_types": {"pointers_to_1": "uint64", "indices_1": "uint64", "values": "float32"}},
            "original_source": "https://url/of/original/file.mtx", "author": "John Doe"})
    );
    let text = d.to_json_string().unwrap();
    let order: Vec<usize> = ["\"binsparse\"", "\"original_source\"", "\"author\""]
        .iter()
        .map(|k| text.find(k).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    // CSC pointers run over columns: 12 + 1.
    let mut lens = ArrayLengths::new();
    lens.insert_pointers("pointers_to_1", 13, Some(20))
        .insert("indices_1", 20)
        .insert("values", 20);
    d.check_lengths(&lens).unwrap();
}

#[test]
fn iso_csr_example_and_its_arrays() {
    let d = ok(include_str!("../../../docs/examples/csr_iso.json")).descriptor;
    assert_eq!(d.value_type(), DataType::iso(ScalarType::Int8));
    assert!(d.user_keys().is_empty());
    // pointers_to_1=[0,1,3,3,5,6], indices_1=[3,1,4,1,2,3], values=[7]
    let pointers = [0u64, 1, 3, 3, 5, 6];
    let mut lens = ArrayLengths::new();
    lens.insert_pointers(
        "pointers_to_1",
        pointers.len() as u64,
        pointers.last().copied(),
    )
    .insert("indices_1", 6)
    .insert("values", 1);
    d.check_lengths(&lens).unwrap();
    // A non-iso length for values is wrong here.
    lens.insert("values", 6);
    assert!(matches!(
        d.check_lengths(&lens),
        Err(DescriptorError::ArrayLength { ref array, expected: 1, actual: 6 }) if array == "values"
    ));
}

#[test]
fn symmetric_lower_example() {
    let d = ok(include_str!(
        "../../../docs/examples/csr_symmetric_lower.json"
    ))
    .descriptor;
    assert_eq!(d.structure(), Some(Structure::SymmetricLower));
    assert_eq!(d.nnz(), 9);
    let mut lens = ArrayLengths::new();
    lens.insert_pointers("pointers_to_1", 6, Some(9))
        .insert("indices_1", 9)
        .insert("values", 9);
    d.check_lengths(&lens).unwrap();
    assert_eq!(reparse(&d), d);
    let v = d.to_value().unwrap();
    assert_eq!(v["binsparse"]["structure"], "symmetric_lower");
}

/// The §5 equivalence table, written out as the spec writes the custom blocks.
fn equivalence_snippets() -> Vec<(&'static str, serde_json::Value)> {
    let el = json!({"level_desc": "element"});
    let dense =
        |child: serde_json::Value| json!({"level_desc": "dense", "rank": 1, "level": child});
    let sparse = |r: u64, child: serde_json::Value| json!({"level_desc": "sparse", "rank": r, "level": child});
    vec![
        ("DVEC", json!({"level": dense(el.clone())})),
        ("DMATR", json!({"level": dense(dense(el.clone()))})),
        (
            "DMATC",
            json!({"level": dense(dense(el.clone())), "transpose": [1, 0]}),
        ),
        ("CVEC", json!({"level": sparse(1, el.clone())})),
        ("CSR", json!({"level": dense(sparse(1, el.clone()))})),
        (
            "CSC",
            json!({"level": dense(sparse(1, el.clone())), "transpose": [1, 0]}),
        ),
        ("DCSR", json!({"level": sparse(1, sparse(1, el.clone()))})),
        (
            "DCSC",
            json!({"level": sparse(1, sparse(1, el.clone())), "transpose": [1, 0]}),
        ),
        ("COOR", json!({"level": sparse(2, el.clone())})),
        (
            "COOC",
            json!({"level": sparse(2, el.clone()), "transpose": [1, 0]}),
        ),
    ]
}

/// Arrays and lengths of §4, written independently of the crate: (name, length) for a format,
/// shape, nnz and (DCSR/DCSC) the number of non-empty rows/columns `r`.
fn spec_table(name: &str, shape: &[u64], nnz: u64, r: u64) -> Vec<(&'static str, u64)> {
    let (m, n) = (shape[0], shape.get(1).copied().unwrap_or(0));
    match name {
        "DVEC" => vec![("values", m)],
        "DMATR" | "DMATC" => vec![("values", m * n)],
        "CVEC" => vec![("indices_0", nnz), ("values", nnz)],
        "CSR" => vec![
            ("pointers_to_1", m + 1),
            ("indices_1", nnz),
            ("values", nnz),
        ],
        "CSC" => vec![
            ("pointers_to_1", n + 1),
            ("indices_1", nnz),
            ("values", nnz),
        ],
        "DCSR" | "DCSC" => vec![
            ("indices_0", r),
            ("pointers_to_1", r + 1),
            ("indices_1", nnz),
            ("values", nnz),
        ],
        "COOR" | "COOC" => vec![("indices_0", nnz), ("indices_1", nnz), ("values", nnz)],
        _ => unreachable!(),
    }
}

#[test]
fn equivalence_table_both_directions() {
    for (name, custom) in equivalence_snippets() {
        let alias: PredefinedFormat = name.parse().unwrap();
        let rank = alias.rank();
        let shape: Vec<u64> = if rank == 1 { vec![6] } else { vec![3, 5] };
        let nnz = if name.starts_with('D') && !name.starts_with("DC") {
            shape.iter().product()
        } else {
            4
        };
        let names: Vec<&str> = spec_table(name, &shape, nnz, 2)
            .iter()
            .map(|e| e.0)
            .collect();
        let dts: serde_json::Map<String, serde_json::Value> = names
            .iter()
            .map(|n| {
                (
                    n.to_string(),
                    json!(if *n == "values" { "float64" } else { "int32" }),
                )
            })
            .collect();
        // custom → alias: the sibling-custom placement (C reference) with no `format`.
        let text = json!({"binsparse": {"version": "0.1", "shape": shape,
            "number_of_stored_values": nnz, "custom": custom, "data_types": dts}})
        .to_string();
        let from_custom = ok(&text).descriptor;
        assert_eq!(from_custom.alias(), Some(alias), "{name}");
        assert_eq!(from_custom.array_names(), names, "{name}");
        // Emitted under its predefined name, with no custom block.
        let v = from_custom.to_value().unwrap();
        assert_eq!(v["binsparse"]["format"], name);
        assert!(v["binsparse"].get("custom").is_none());
        // alias → custom: the predefined name gives the same format.
        let text = json!({"binsparse": {"version": "0.1", "format": name, "shape": shape,
            "number_of_stored_values": nnz, "data_types": dts}})
        .to_string();
        let from_alias = ok(&text).descriptor;
        assert_eq!(from_alias, from_custom, "{name}");
        assert_eq!(Format::from(alias), *from_custom.format());
        assert_eq!(from_alias.format().rank(), rank);
    }
}

#[test]
fn format_table_matches_section_4() {
    for alias in PredefinedFormat::ALL {
        let name = alias.name();
        let shape: Vec<u64> = if alias.rank() == 1 {
            vec![7]
        } else {
            vec![4, 9]
        };
        let dense = matches!(name, "DVEC" | "DMATR" | "DMATC");
        let nnz = if dense { shape.iter().product() } else { 5 };
        let r = 3;
        let d = Descriptor::new(
            alias.into(),
            shape.clone(),
            nnz,
            ScalarType::UInt32,
            ScalarType::Float32.into(),
        )
        .unwrap();
        let expected = spec_table(name, &shape, nnz, r);
        assert_eq!(
            d.array_names(),
            expected.iter().map(|e| e.0).collect::<Vec<_>>(),
            "{name}"
        );
        let mut lens = ArrayLengths::new();
        for (n, len) in &expected {
            if n.starts_with("pointers") {
                lens.insert_pointers(*n, *len, Some(nnz));
            } else {
                lens.insert(*n, *len);
            }
        }
        d.check_lengths(&lens)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // Each length off by one is rejected, naming that array.
        for (n, len) in &expected {
            let mut bad = lens.clone();
            if n.starts_with("pointers") {
                bad.insert_pointers(*n, len + 1, Some(nnz));
            } else {
                bad.insert(*n, len + 1);
            }
            let e = d.check_lengths(&bad).unwrap_err();
            // For DCSR, growing indices_0 shifts the expectation onto pointers_to_1.
            let named = e.key();
            assert!(
                named == *n || (*n == "indices_0" && named == "pointers_to_1"),
                "{name}/{n}: {e}"
            );
        }
        // Index flags: everything but values.
        for spec in d.arrays() {
            assert_eq!(spec.is_index(), spec.name != "values", "{name}");
        }
    }
}

#[test]
fn pointer_end_and_missing_or_extra_arrays() {
    let d = Descriptor::new(
        PredefinedFormat::Csr.into(),
        vec![3, 4],
        5,
        ScalarType::Int64,
        ScalarType::Float64.into(),
    )
    .unwrap();
    let spec = d.array("pointers_to_1").unwrap();
    assert_eq!(spec.role, ArrayRole::Pointers { depth: 1 });
    assert_eq!(spec.length, LengthRule::Exact(4));
    assert_eq!(spec.pointer_end, Some(5));
    let mut lens = ArrayLengths::new();
    lens.insert_pointers("pointers_to_1", 4, Some(4))
        .insert("indices_1", 5)
        .insert("values", 5);
    assert!(matches!(
        d.check_lengths(&lens),
        Err(DescriptorError::PointerEnd {
            expected: 5,
            actual: Some(4),
            ..
        })
    ));
    lens.insert("pointers_to_1", 4); // last element not supplied
    assert!(matches!(
        d.check_lengths(&lens),
        Err(DescriptorError::PointerEnd { actual: None, .. })
    ));
    let mut lens = ArrayLengths::new();
    lens.insert("indices_1", 5).insert("values", 5);
    assert!(matches!(
        d.check_lengths(&lens),
        Err(DescriptorError::MissingArray { ref array }) if array == "pointers_to_1"
    ));
    let mut lens = ArrayLengths::new();
    lens.insert_pointers("pointers_to_1", 4, Some(5))
        .insert("indices_1", 5)
        .insert("values", 5)
        .insert("indices_0", 5);
    assert!(matches!(
        d.check_lengths(&lens),
        Err(DescriptorError::UnexpectedArray { ref array }) if array == "indices_0"
    ));
}

#[test]
fn dcsr_lengths_follow_pointer_contents() {
    // 5×6 DCSR with 3 non-empty rows and 7 entries.
    let d = Descriptor::new(
        PredefinedFormat::Dcsr.into(),
        vec![5, 6],
        7,
        ScalarType::UInt16,
        ScalarType::Int8.into(),
    )
    .unwrap();
    assert_eq!(d.array("indices_0").unwrap().length, LengthRule::Free);
    let mut lens = ArrayLengths::new();
    lens.insert("indices_0", 3)
        .insert_pointers("pointers_to_1", 4, Some(7))
        .insert("indices_1", 7)
        .insert("values", 7);
    d.check_lengths(&lens).unwrap();
    lens.insert_pointers("pointers_to_1", 3, Some(7));
    assert!(matches!(
        d.check_lengths(&lens),
        Err(DescriptorError::ArrayLength {
            expected: 4,
            actual: 3,
            ..
        })
    ));
}

#[test]
fn three_level_custom_lengths() {
    // dense(1) → sparse(1) → sparse(1) → element over a 2×3×4 tensor, transposed [2,0,1]:
    // stored shape = [4, 2, 3]. Independent reckoning: pointers_to_1 has 4+1 entries;
    // indices_1 has pointers_to_1[last] entries; pointers_to_2 has that + 1; indices_2 and
    // values have nnz.
    let f = Format::new(
        vec![
            Level::Dense { rank: 1 },
            Level::Sparse { rank: 1 },
            Level::Sparse { rank: 1 },
            Level::Element,
        ],
        Some(vec![2, 0, 1]),
    )
    .unwrap();
    assert_eq!(f.alias(), None);
    let d = Descriptor::new(
        f,
        vec![2, 3, 4],
        6,
        ScalarType::Int32,
        ScalarType::Float64.into(),
    )
    .unwrap();
    assert_eq!(
        d.array_names(),
        [
            "pointers_to_1",
            "indices_1",
            "pointers_to_2",
            "indices_2",
            "values"
        ]
    );
    let mut lens = ArrayLengths::new();
    lens.insert_pointers("pointers_to_1", 5, Some(4))
        .insert("indices_1", 4)
        .insert_pointers("pointers_to_2", 5, Some(6))
        .insert("indices_2", 6)
        .insert("values", 6);
    d.check_lengths(&lens).unwrap();
    lens.insert("indices_1", 3);
    assert!(d.check_lengths(&lens).is_err());
    let v = d.to_value().unwrap();
    assert_eq!(v["binsparse"]["format"], "custom");
    assert_eq!(v["binsparse"]["custom"]["transpose"], json!([2, 0, 1]));
    assert_eq!(reparse(&d), d);
}

#[test]
fn dense_block_below_sparse_level() {
    // sparse(1) → dense(1) → element over 4×3: a "block-row" vector; nnz is a multiple of 3.
    let f = Format::new(
        vec![
            Level::Sparse { rank: 1 },
            Level::Dense { rank: 1 },
            Level::Element,
        ],
        None,
    )
    .unwrap();
    let d = Descriptor::new(
        f.clone(),
        vec![4, 3],
        6,
        ScalarType::Int64,
        ScalarType::Float64.into(),
    )
    .unwrap();
    assert_eq!(d.array("indices_0").unwrap().length, LengthRule::Exact(2));
    assert!(matches!(
        Descriptor::new(
            f,
            vec![4, 3],
            7,
            ScalarType::Int64,
            ScalarType::Float64.into()
        ),
        Err(DescriptorError::NnzMismatch { value: 7, .. })
    ));
}

#[test]
fn extension_types_are_opt_in() {
    let text = r#"{"binsparse": {"version": "0.1", "format": "DVEC", "shape": [3],
        "number_of_stored_values": 3, "data_types": {"values": "bfloat16"}}}"#;
    assert!(matches!(
        err(text),
        DescriptorError::ExtensionTypeDisabled { .. }
    ));
    let opts = ParseOptions::default().with_extension_types(true);
    let d = Descriptor::parse(text, &opts).unwrap().descriptor;
    assert_eq!(d.value_type(), DataType::new(ScalarType::BFloat16));
    let built = Descriptor::builder(
        PredefinedFormat::Dvec,
        vec![3],
        3,
        ScalarType::Float16.into(),
    )
    .build();
    assert!(matches!(
        built,
        Err(DescriptorError::ExtensionTypeDisabled { .. })
    ));
}

#[test]
fn type_strings_round_trip() {
    for s in ScalarType::ALL {
        for iso in [false, true] {
            let t = DataType { scalar: s, iso };
            let text = t.to_string();
            assert_eq!(text.parse::<DataType>().unwrap(), t);
        }
    }
    assert_eq!(
        "iso[complex[float32]]".parse::<DataType>().unwrap(),
        DataType::iso(ScalarType::ComplexFloat32)
    );
    assert_eq!(ScalarType::ComplexFloat32.size_bytes(), 8);
    assert_eq!(
        ScalarType::ComplexFloat64.complex_component(),
        Some(ScalarType::Float64)
    );
    assert!("iso[iso[int8]]".parse::<DataType>().is_err());
    assert!("bool".parse::<ScalarType>().is_err());
}
