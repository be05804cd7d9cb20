//! Array-level conversions among COOR, COOC, CSR and CSC, checked against a dense decoding
//! written here from the format definitions (binsparse-protocol.md §4), independent of the engine.

use proptest::prelude::*;
use sparsebridge_array::SparseArray;
use sparsebridge_buffer::Buffer;
use sparsebridge_convert::engine::{ConvertOptions, EngineError, Target, convert};
use sparsebridge_descriptor::{Descriptor, PredefinedFormat as F, ScalarType};

/// Dense row-major decoding of a 2-D array with i64 indices read generically.
// `k` indexes several parallel arrays (indices and values) at once.
#[allow(clippy::needless_range_loop)]
fn dense(a: &SparseArray) -> Vec<Option<i64>> {
    let shape = a.shape();
    let (m, n) = (shape[0] as usize, shape[1] as usize);
    let ints = |name: &str| -> Vec<i64> {
        let b = a.array(name).unwrap();
        match b.dtype() {
            sparsebridge_buffer::DType::I32 => b
                .to_vec::<i32>()
                .unwrap()
                .into_iter()
                .map(i64::from)
                .collect(),
            sparsebridge_buffer::DType::I64 => b.to_vec::<i64>().unwrap(),
            sparsebridge_buffer::DType::U16 => b
                .to_vec::<u16>()
                .unwrap()
                .into_iter()
                .map(i64::from)
                .collect(),
            sparsebridge_buffer::DType::U32 => b
                .to_vec::<u32>()
                .unwrap()
                .into_iter()
                .map(i64::from)
                .collect(),
            sparsebridge_buffer::DType::U64 => b
                .to_vec::<u64>()
                .unwrap()
                .into_iter()
                .map(|v| v as i64)
                .collect(),
            sparsebridge_buffer::DType::I8 => b
                .to_vec::<i8>()
                .unwrap()
                .into_iter()
                .map(i64::from)
                .collect(),
            other => panic!("dtype {other}"),
        }
    };
    let vals = ints("values");
    let mut out = vec![None; m * n];
    let mut put = |i: usize, j: usize, k: usize| {
        assert!(out[i * n + j].is_none(), "duplicate entry ({i}, {j})");
        out[i * n + j] = Some(if vals.len() == 1 && a.descriptor().value_type().iso {
            vals[0]
        } else {
            vals[k]
        });
    };
    match a.descriptor().alias().unwrap() {
        F::Csr | F::Csc => {
            let csc = a.descriptor().alias() == Some(F::Csc);
            let (ptr, idx) = (ints("pointers_to_1"), ints("indices_1"));
            for major in 0..ptr.len() - 1 {
                for k in ptr[major] as usize..ptr[major + 1] as usize {
                    let minor = idx[k] as usize;
                    if csc {
                        put(minor, major, k)
                    } else {
                        put(major, minor, k)
                    }
                }
            }
        }
        F::Coor | F::Cooc => {
            let cooc = a.descriptor().alias() == Some(F::Cooc);
            let (i0, i1) = (ints("indices_0"), ints("indices_1"));
            for k in 0..i0.len() {
                if cooc {
                    put(i1[k] as usize, i0[k] as usize, k)
                } else {
                    put(i0[k] as usize, i1[k] as usize, k)
                }
            }
        }
        other => panic!("{other}"),
    }
    out
}

/// Builds a canonical array of `format` from a dense pattern, independently of the engine.
fn build(format: F, m: usize, n: usize, cells: &[Option<i64>], idx: ScalarType) -> SparseArray {
    let col_major = matches!(format, F::Csc | F::Cooc);
    let (major, minor) = if col_major { (n, m) } else { (m, n) };
    let mut ptr = vec![0i64];
    let (mut outer, mut inner, mut vals) = (Vec::new(), Vec::new(), Vec::new());
    for a in 0..major {
        for b in 0..minor {
            let (i, j) = if col_major { (b, a) } else { (a, b) };
            if let Some(v) = cells[i * n + j] {
                outer.push(a as i64);
                inner.push(b as i64);
                vals.push(v);
            }
        }
        ptr.push(inner.len() as i64);
    }
    let nnz = vals.len() as u64;
    let d = Descriptor::new(
        format.into(),
        vec![m as u64, n as u64],
        nnz,
        idx,
        ScalarType::Int64.into(),
    )
    .unwrap();
    let ib = |v: Vec<i64>| match idx {
        ScalarType::Int32 => Buffer::from_vec(v.into_iter().map(|x| x as i32).collect::<Vec<_>>()),
        ScalarType::UInt16 => Buffer::from_vec(v.into_iter().map(|x| x as u16).collect::<Vec<_>>()),
        _ => Buffer::from_vec(v),
    };
    let first = if matches!(format, F::Csr | F::Csc) {
        ("pointers_to_1", ib(ptr))
    } else {
        ("indices_0", ib(outer))
    };
    SparseArray::try_new(
        d,
        [
            first,
            ("indices_1", ib(inner)),
            ("values", Buffer::from_vec(vals)),
        ],
    )
    .unwrap()
}

const FORMATS: [F; 4] = [F::Coor, F::Cooc, F::Csr, F::Csc];

fn cells_strategy() -> impl Strategy<Value = (usize, usize, Vec<Option<i64>>)> {
    (0usize..7, 0usize..7).prop_flat_map(|(m, n)| {
        let cell = prop_oneof![3 => Just(None), 1 => (-50i64..50).prop_map(Some)];
        (Just(m), Just(n), proptest::collection::vec(cell, m * n))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn every_pair_preserves_the_matrix((m, n, cells) in cells_strategy(), s in 0usize..4, t in 0usize..4, wide in any::<bool>()) {
        let src = build(FORMATS[s], m, n, &cells, ScalarType::Int32);
        let target = Target { format: FORMATS[t].into(), index_type: wide.then_some(ScalarType::Int64), pointer_type: None };
        let out = convert(&src, &target, &ConvertOptions::default()).unwrap();
        prop_assert_eq!(out.array.descriptor().alias(), Some(FORMATS[t]));
        prop_assert_eq!(dense(&out.array), cells.clone());
        // The output is canonical: re-validating from scratch succeeds.
        let (d, arrays) = out.array.clone().into_parts();
        SparseArray::try_new(d, arrays).unwrap().validate_full().unwrap();
        if s == t && !wide {
            prop_assert!(!out.copied);
        }
    }
}

#[test]
fn sorted_coo_to_csr_reuses_indices_and_values() {
    let cells = [Some(1), None, Some(2), None, Some(3), Some(4)];
    let coo = build(F::Coor, 2, 3, &cells, ScalarType::Int32);
    let csr = convert(&coo, &Target::format(F::Csr), &ConvertOptions::default()).unwrap();
    assert!(csr.copied, "the pointers are new");
    for name in ["indices_1", "values"] {
        assert!(
            csr.array
                .array(name)
                .unwrap()
                .shares_memory_with(coo.array(name).unwrap()),
            "{name}"
        );
    }
    let back = convert(
        &csr.array,
        &Target::format(F::Coor),
        &ConvertOptions::default(),
    )
    .unwrap();
    assert!(
        back.array
            .array("values")
            .unwrap()
            .shares_memory_with(coo.array("values").unwrap())
    );
    assert_eq!(dense(&back.array), cells.to_vec());
}

#[test]
fn copy_false_refuses_a_conversion_that_allocates() {
    let cells = [Some(1), None, Some(2), Some(5)];
    let csr = build(F::Csr, 2, 2, &cells, ScalarType::Int64);
    let err = convert(
        &csr,
        &Target::format(F::Csc),
        &ConvertOptions {
            copy: Some(false),
            ..ConvertOptions::default()
        },
    )
    .unwrap_err();
    assert!(matches!(err, EngineError::CopyRequired { .. }), "{err}");
    let same = convert(
        &csr,
        &Target::format(F::Csr),
        &ConvertOptions {
            copy: Some(false),
            ..ConvertOptions::default()
        },
    )
    .unwrap();
    assert!(!same.copied);
    let forced = convert(
        &csr,
        &Target::format(F::Csr),
        &ConvertOptions {
            copy: Some(true),
            ..ConvertOptions::default()
        },
    )
    .unwrap();
    assert!(forced.copied);
    assert!(
        !forced
            .array
            .array("values")
            .unwrap()
            .shares_memory_with(csr.array("values").unwrap())
    );
}

#[test]
fn narrowing_that_does_not_fit_is_a_typed_error() {
    // Column 300 does not fit in int8.
    let mut cells = vec![None; 301];
    cells[300] = Some(1);
    let csr = build(F::Csr, 1, 301, &cells, ScalarType::Int32);
    let err = convert(
        &csr,
        &Target {
            format: F::Csr.into(),
            index_type: Some(ScalarType::Int8),
            pointer_type: None,
        },
        &ConvertOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, EngineError::Convert(_)), "{err}");
    // It fits in uint16.
    let ok = convert(
        &csr,
        &Target {
            format: F::Csc.into(),
            index_type: Some(ScalarType::UInt16),
            pointer_type: None,
        },
        &ConvertOptions::default(),
    )
    .unwrap();
    assert_eq!(dense(&ok.array), cells);
}

#[test]
fn non_canonical_source_is_rejected_before_converting() {
    let d = Descriptor::new(
        F::Csr.into(),
        vec![1, 3],
        2,
        ScalarType::Int32,
        ScalarType::Int64.into(),
    )
    .unwrap();
    let a = SparseArray::try_new(
        d,
        [
            ("pointers_to_1", Buffer::from_vec(vec![0i32, 2])),
            ("indices_1", Buffer::from_vec(vec![2i32, 0])),
            ("values", Buffer::from_vec(vec![1i64, 2])),
        ],
    )
    .unwrap();
    let err = convert(&a, &Target::format(F::Csc), &ConvertOptions::default()).unwrap_err();
    assert!(matches!(err, EngineError::Array(_)), "{err}");
}
