//! parse → emit → parse round trips: every predefined format, n-d custom formats, and random
//! valid descriptors (proptest).

mod common;

use common::reparse;
use proptest::prelude::*;
use serde_json::json;
use sparsebridge_descriptor::{
    DataType, Descriptor, Format, Level, ParseOptions, PredefinedFormat, ScalarType, Structure,
};

#[test]
fn every_predefined_format_round_trips() {
    for alias in PredefinedFormat::ALL {
        let shape: Vec<u64> = if alias.rank() == 1 {
            vec![5]
        } else {
            vec![4, 4]
        };
        let dense = matches!(
            alias,
            PredefinedFormat::Dvec | PredefinedFormat::Dmatr | PredefinedFormat::Dmatc
        );
        let nnz = if dense { shape.iter().product() } else { 3 };
        for value in [
            DataType::new(ScalarType::Float64),
            DataType::iso(ScalarType::ComplexFloat32),
            DataType::new(ScalarType::Bint8),
        ] {
            let mut b = Descriptor::builder(alias, shape.clone(), nnz, value)
                .index_type(ScalarType::Int32)
                .pointer_type(ScalarType::UInt64)
                .user_key("original_source", json!("sparsebridge, version 0.1.0"));
            if alias.rank() == 2 {
                b = b.structure(Structure::HermitianUpper);
            }
            if !value.iso {
                b = b.fill(ScalarType::Float64.into());
            }
            let built = b.build();
            // Hermitian needs complex values; the builder must say so.
            if alias.rank() == 2 && !value.scalar.is_complex() {
                assert!(built.is_err(), "{alias} {value}");
                continue;
            }
            let d = built.unwrap_or_else(|e| panic!("{alias} {value}: {e}"));
            let again = reparse(&d);
            assert_eq!(again, d, "{alias} {value}");
            let v = d.to_value().unwrap();
            assert_eq!(v["binsparse"]["format"], alias.name());
            // Strict key order inside the namespace (§12.3).
            let keys: Vec<&str> = v["binsparse"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let order = [
                "version",
                "format",
                "shape",
                "number_of_stored_values",
                "fill",
                "structure",
                "custom",
                "data_types",
            ];
            let pos: Vec<usize> = keys
                .iter()
                .map(|k| order.iter().position(|o| o == k).unwrap())
                .collect();
            assert!(pos.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        }
    }
}

#[test]
fn n_d_custom_formats_round_trip() {
    // (levels, transpose, shape, nnz)
    type Case = (Vec<Level>, Option<Vec<usize>>, Vec<u64>, u64);
    let cases: Vec<Case> = vec![
        // 3-D CSF-like: sparse(1) → sparse(1) → sparse(1).
        (
            vec![
                Level::Sparse { rank: 1 },
                Level::Sparse { rank: 1 },
                Level::Sparse { rank: 1 },
                Level::Element,
            ],
            None,
            vec![3, 4, 5],
            6,
        ),
        // Batched CSR: dense(1) → dense(1) → sparse(1), transposed.
        (
            vec![
                Level::Dense { rank: 1 },
                Level::Dense { rank: 1 },
                Level::Sparse { rank: 1 },
                Level::Element,
            ],
            Some(vec![1, 2, 0]),
            vec![2, 3, 4],
            5,
        ),
        // 4-D COO with a dense trailing block: stored shape [3, 2, 2, 2], so the dense block
        // below the sparse level is logical dimension 0 (extent 2) and nnz is a multiple of 2.
        (
            vec![
                Level::Sparse { rank: 3 },
                Level::Dense { rank: 1 },
                Level::Element,
            ],
            Some(vec![3, 2, 1, 0]),
            vec![2, 2, 2, 3],
            8,
        ),
        // 5-D dense.
        (
            vec![
                Level::Dense { rank: 2 },
                Level::Dense { rank: 3 },
                Level::Element,
            ],
            None,
            vec![1, 2, 3, 1, 2],
            12,
        ),
        // 0-d.
        (vec![Level::Element], None, vec![], 1),
    ];
    for (levels, transpose, shape, nnz) in cases {
        let f = Format::new(levels, transpose).unwrap();
        assert_eq!(f.alias(), None, "{}", f.summary());
        let d =
            Descriptor::new(f, shape, nnz, ScalarType::Int16, ScalarType::Float32.into()).unwrap();
        assert_eq!(reparse(&d), d);
        assert_eq!(d.to_value().unwrap()["binsparse"]["format"], "custom");
    }
}

/// A random valid descriptor: a level chain, a transpose, a shape, an nnz consistent with them,
/// random types, fill, structure and user keys.
fn arb_descriptor() -> impl Strategy<Value = Descriptor> {
    let level = prop_oneof![
        (1usize..=2).prop_map(|rank| Level::Dense { rank }),
        (1usize..=3).prop_map(|rank| Level::Sparse { rank }),
    ];
    prop::collection::vec(level, 0..4)
        .prop_flat_map(|mut levels| {
            levels.push(Level::Element);
            let rank: usize = levels.iter().map(|l| l.rank()).sum();
            let perm = Just((0..rank).collect::<Vec<_>>()).prop_shuffle();
            let shape = prop::collection::vec(0u64..5, rank);
            (Just(levels), perm, shape, 0u64..=1000)
        })
        .prop_flat_map(|(levels, perm, shape, frac)| {
            let index = prop::sample::select(
                ScalarType::ALL
                    .into_iter()
                    .filter(|t| t.is_integer())
                    .collect::<Vec<_>>(),
            );
            let value = (
                prop::sample::select(
                    ScalarType::ALL
                        .into_iter()
                        .filter(|t| !t.is_extension())
                        .collect::<Vec<_>>(),
                ),
                any::<bool>(),
            );
            let user = prop::collection::vec(("[a-z_]{1,8}", any::<i32>()), 0..3);
            (
                Just((levels, perm, shape, frac)),
                index.clone(),
                index,
                value,
                any::<bool>(),
                prop::option::of(prop::sample::select(Structure::ALL.to_vec())),
                user,
            )
        })
        .prop_filter_map(
            "inconsistent draw",
            |((levels, perm, shape, frac), idx, ptr, (vs, iso), fill, structure, user)| {
                let format = Format::new(levels.clone(), Some(perm.clone())).ok()?;
                // nnz: every position for all-dense formats; otherwise a multiple of the dense
                // block below the innermost sparse level, at most the number of positions.
                let stored: Vec<u64> = perm.iter().map(|&k| shape[k]).collect();
                let total: u64 = shape.iter().product();
                let nnz = match levels
                    .iter()
                    .rposition(|l| matches!(l, Level::Sparse { .. }))
                {
                    None => total,
                    Some(i) => {
                        let above: usize = levels[..=i].iter().map(|l| l.rank()).sum();
                        let block: u64 = stored[above..].iter().product();
                        // A zero-extent block below forces nnz = 0.
                        total
                            .checked_div(block)
                            .map_or(0, |blocks| blocks * frac / 1000 * block)
                    }
                };
                let mut b =
                    Descriptor::builder(format, shape.clone(), nnz, DataType { scalar: vs, iso })
                        .index_type(idx)
                        .pointer_type(ptr);
                if fill {
                    b = b.fill(DataType::new(vs));
                }
                if let Some(s) = structure {
                    let square = shape.len() == 2 && shape[0] == shape[1];
                    if !square || (s.is_hermitian() && !vs.is_complex()) {
                        return None;
                    }
                    b = b.structure(s);
                }
                for (k, v) in user {
                    b = b.user_key(k, json!(v));
                }
                Some(b.build().expect("a consistent draw must build"))
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_descriptors_round_trip(d in arb_descriptor()) {
        let text = d.to_json_string().unwrap();
        let again = Descriptor::parse(&text, &ParseOptions::default()).unwrap();
        prop_assert!(again.warnings.is_empty());
        prop_assert_eq!(&again.descriptor, &d);
        // The strict form is a fixed point.
        prop_assert_eq!(&again.descriptor.to_json_string().unwrap(), &text);
        // The alias is used exactly when one matches.
        let format_name = again.descriptor.to_value().unwrap()["binsparse"]["format"].clone();
        match d.format().alias() {
            Some(a) => prop_assert_eq!(format_name, json!(a.name())),
            None => prop_assert_eq!(format_name, json!("custom")),
        }
        // Lenient mode reads strict output identically.
        let lenient = Descriptor::parse(&text, &ParseOptions::lenient()).unwrap();
        prop_assert_eq!(&lenient.descriptor, &d);
    }
}

#[test]
fn user_key_numbers_round_trip_exactly() {
    // Fuzzer find: a 58-digit integer in a user key parses as f64; the strict output must
    // re-parse to the same value (needs serde_json's correctly rounded float parsing).
    let text = r#"{"binsparse": {"version": "0.1", "format": "DVEC", "shape": [2],
        "number_of_stored_values": 2, "data_types": {"values": "float64"}},
        "big": [3333333333333333333333333333333333333333333333333333333335],
        "huge": 3333333333333333333333333333333333333333333333333333333333333333333333335,
        "small": 0.1, "tiny": 5e-324}"#;
    let d = common::ok(text).descriptor;
    assert_eq!(reparse(&d), d);
}
