//! n-d COO, CVEC ↔ DVEC and index casts against simple references.

mod common;

use std::collections::BTreeMap;

use common::FromSeed;
use proptest::prelude::*;
use sparsebridge_convert::{ConvertError, DuplicatePolicy, Index, Values, ValuesRef, cpu};

fn us<I: Index>(v: I) -> usize {
    v.to_usize()
        .unwrap_or_else(|| panic!("test index {v} must be a usize"))
}

/// (shape, coordinates, seeds, par): rank 0..=4, small extents, or one huge extent
/// (`huge` = the index dtype's max) that forces the comparison-sort fallback.
fn nd_case(huge: usize) -> impl Strategy<Value = (Vec<usize>, Vec<Vec<usize>>, Vec<i8>, bool)> {
    (
        proptest::collection::vec(prop_oneof![4 => 0..=5usize, 1 => Just(huge)], 0..=4),
        0..=60usize,
        any::<bool>(),
    )
        .prop_flat_map(|(shape, nnz, par)| {
            let nnz = if shape.contains(&0) { 0 } else { nnz };
            let coord: Vec<BoxedStrategy<usize>> = shape
                .iter()
                .map(|&e| {
                    if e > 5 {
                        prop_oneof![Just(e - 1), Just(e - 2), 0..3usize].boxed()
                    } else {
                        (0..e).boxed()
                    }
                })
                .collect();
            (
                Just(shape),
                proptest::collection::vec(coord, nnz),
                proptest::collection::vec(any::<i8>(), nnz),
                Just(par),
            )
        })
}

fn check_nd<I: Index, T: FromSeed>(
    shape: &[usize],
    coords: &[Vec<usize>],
    seeds: &[i8],
    par: bool,
    policy: DuplicatePolicy,
) -> Result<(), TestCaseError> {
    cpu::set_serial_cutoff(if par { 1 } else { 1 << 15 });
    let rank = shape.len();
    let arrays: Vec<Vec<I>> = (0..rank)
        .map(|d| {
            coords
                .iter()
                .map(|c| I::from_usize(c[d]).unwrap_or_else(|| panic!("fits")))
                .collect()
        })
        .collect();
    let refs: Vec<&[I]> = arrays.iter().map(Vec::as_slice).collect();
    let vals: Vec<T> = seeds.iter().map(|&s| T::from_seed(s)).collect();
    let coo = cpu::CooNdRef {
        shape,
        indices: &refs,
        values: ValuesRef::Array(&vals),
    };
    // Oracle: BTreeMap over coordinate vectors.
    let mut map: BTreeMap<Vec<usize>, (usize, T)> = BTreeMap::new();
    for (c, &v) in coords.iter().zip(&vals) {
        map.entry(c.clone())
            .and_modify(|e| {
                e.0 += 1;
                e.1.sum_assign(v);
            })
            .or_insert((1, v));
    }
    let dup = map.iter().find(|(_, e)| e.0 > 1).map(|(k, _)| k.clone());
    let got = cpu::coo_nd_canonicalize(&coo, policy);
    match (got, dup) {
        (Err(ConvertError::Duplicate { coords }), Some(d)) if policy == DuplicatePolicy::Reject => {
            prop_assert_eq!(coords, d);
        }
        (Ok(out), d) if policy == DuplicatePolicy::Sum || d.is_none() => {
            let got: Vec<Vec<usize>> = (0..out
                .indices
                .first()
                .map_or(usize::from(!map.is_empty() && rank == 0), Vec::len))
                .map(|k| (0..rank).map(|d| us(out.indices[d][k])).collect())
                .collect();
            if rank > 0 {
                prop_assert_eq!(got, map.keys().cloned().collect::<Vec<_>>());
            }
            let ev: Vec<T> = map.values().map(|e| e.1).collect();
            prop_assert_eq!(&out.values, &Values::Array(ev));
            cpu::validate_coo_nd(
                &out.shape,
                &out.indices.iter().map(Vec::as_slice).collect::<Vec<_>>(),
                out.values.as_ref(),
            )
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        (got, d) => prop_assert!(false, "got {:?}, oracle duplicate {:?}", got.map(|_| ()), d),
    }
    // Dense round trip when small.
    if shape.iter().all(|&e| e <= 5) {
        let mut dense = vec![T::from_seed(0); shape.iter().product()];
        for (c, e) in &map {
            let mut at = 0usize;
            for d in 0..rank {
                at = at * shape[d] + c[d];
            }
            dense[at] = e.1;
        }
        let canon = cpu::coo_nd_canonicalize(&coo, DuplicatePolicy::Sum)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let crefs: Vec<&[I]> = canon.indices.iter().map(Vec::as_slice).collect();
        let d2 = cpu::coo_nd_to_dense(&cpu::CooNdRef {
            shape,
            indices: &crefs,
            values: canon.values.as_ref(),
        })
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&d2, &dense);
        let back = cpu::dense_to_coo_nd::<I, T>(shape, &dense)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let nz: Vec<T> = map.values().map(|e| e.1).filter(|v| !v.is_zero()).collect();
        prop_assert_eq!(back.values, Values::Array(nz));
    }
    Ok(())
}

/// First position whose value does not fit `B`, by `TryFrom` (the reference).
fn check_cast<A: Index, B: Index + TryFrom<i128>>(
    src: &[A],
    par: bool,
) -> Result<(), TestCaseError> {
    cpu::set_serial_cutoff(if par { 1 } else { 1 << 15 });
    let exp: Result<Vec<B>, usize> = src
        .iter()
        .enumerate()
        .map(|(k, a)| B::try_from(a.to_i128()).map_err(|_| k))
        .collect();
    match (cpu::cast_indices::<A, B>(src, "indices_1"), exp) {
        (Ok(v), Ok(e)) => prop_assert_eq!(v, e),
        (
            Err(ConvertError::DoesNotFit {
                array: "indices_1",
                position,
                value,
                dtype,
            }),
            Err(k),
        ) => {
            prop_assert_eq!(position, k);
            prop_assert_eq!(value, src[k].to_i128());
            prop_assert_eq!(dtype, B::DTYPE);
        }
        (g, e) => prop_assert!(false, "got {:?}, reference {:?}", g, e),
    }
    Ok(())
}

fn check_vec<I: Index, T: FromSeed>(
    n: usize,
    idx: &[usize],
    seeds: &[i8],
    par: bool,
) -> Result<(), TestCaseError> {
    cpu::set_serial_cutoff(if par { 1 } else { 1 << 15 });
    let mut map: BTreeMap<usize, T> = BTreeMap::new();
    for (&i, &s) in idx.iter().zip(seeds) {
        map.insert(i, T::from_seed(s));
    }
    let ind: Vec<I> = map
        .keys()
        .map(|&i| I::from_usize(i).unwrap_or_else(|| panic!("fits")))
        .collect();
    let vals: Vec<T> = map.values().copied().collect();
    let dense = cpu::cvec_to_dvec(n, &ind, ValuesRef::Array(&vals))
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut exp = vec![T::from_seed(0); n];
    for (&i, &v) in &map {
        exp[i] = v;
    }
    prop_assert_eq!(&dense, &exp);
    let (ci, cv) =
        cpu::dvec_to_cvec::<I, T>(&dense).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let nz: Vec<(usize, T)> = map.into_iter().filter(|(_, v)| !v.is_zero()).collect();
    prop_assert_eq!(
        ci.iter().map(|&i| us(i)).collect::<Vec<_>>(),
        nz.iter().map(|e| e.0).collect::<Vec<_>>()
    );
    prop_assert_eq!(cv, nz.iter().map(|e| e.1).collect::<Vec<_>>());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
    #[test]
    fn nd_i64_f64_sum((shape, coords, seeds, par) in nd_case(i64::MAX as usize)) {
        check_nd::<i64, f64>(&shape, &coords, &seeds, par, DuplicatePolicy::Sum)?;
    }
    #[test]
    fn nd_u8_i32_reject((shape, coords, seeds, par) in nd_case(255)) {
        check_nd::<u8, i32>(&shape, &coords, &seeds, par, DuplicatePolicy::Reject)?;
    }
    #[test]
    fn nd_u64_c128_sum((shape, coords, seeds, par) in nd_case(u64::MAX as usize)) {
        check_nd::<u64, [f64; 2]>(&shape, &coords, &seeds, par, DuplicatePolicy::Sum)?;
    }
    #[test]
    fn cast_i64_to_i32(v in proptest::collection::vec(prop_oneof![any::<i64>(), -5i64..5, Just(i64::from(i32::MAX)), Just(i64::from(i32::MAX) + 1)], 0..80), par in any::<bool>()) {
        check_cast::<i64, i32>(&v, par)?;
    }
    #[test]
    fn cast_i32_to_i64(v in proptest::collection::vec(any::<i32>(), 0..80), par in any::<bool>()) {
        check_cast::<i32, i64>(&v, par)?;
    }
    #[test]
    fn cast_u64_to_i64(v in proptest::collection::vec(prop_oneof![any::<u64>(), Just(i64::MAX as u64), 0u64..9], 0..80), par in any::<bool>()) {
        check_cast::<u64, i64>(&v, par)?;
    }
    #[test]
    fn cast_i8_to_u8(v in proptest::collection::vec(any::<i8>(), 0..80), par in any::<bool>()) {
        check_cast::<i8, u8>(&v, par)?;
    }
    #[test]
    fn cast_u16_to_i16(v in proptest::collection::vec(any::<u16>(), 0..80), par in any::<bool>()) {
        check_cast::<u16, i16>(&v, par)?;
    }
    #[test]
    fn cvec_dvec_u8_f64(n in 0usize..=256, raw in proptest::collection::vec((any::<u8>(), any::<i8>()), 0..60), par in any::<bool>()) {
        let idx: Vec<usize> = raw.iter().filter(|e| usize::from(e.0) < n).map(|e| usize::from(e.0)).collect();
        let seeds: Vec<i8> = raw.iter().filter(|e| usize::from(e.0) < n).map(|e| e.1).collect();
        check_vec::<u8, f64>(n, &idx, &seeds, par)?;
    }
    #[test]
    fn cvec_dvec_i16_bint8(n in 0usize..=300, raw in proptest::collection::vec((0usize..300, any::<i8>()), 0..60), par in any::<bool>()) {
        let idx: Vec<usize> = raw.iter().filter(|e| e.0 < n).map(|e| e.0).collect();
        let seeds: Vec<i8> = raw.iter().filter(|e| e.0 < n).map(|e| e.1).collect();
        check_vec::<i16, sparsebridge_convert::Bint8>(n, &idx, &seeds, par)?;
    }
}
