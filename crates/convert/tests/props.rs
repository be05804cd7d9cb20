//! Property tests of the CPU core against the oracle in `common` (BTreeMap reference).
//!
//! Each case runs in a 3-thread pool (uneven partitions) and, for half of the cases, with the
//! serial cutoff lowered to 1 so that small inputs take the partitioned parallel paths.

mod common;

use std::sync::OnceLock;

use common::{Entries, FromSeed, canon, csr_first_error, dense_of, pointers_of};
use half::{bf16, f16};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use sparsebridge_convert::{
    Bint8, ConvertError, CooRef, CsrRef, DenseOrder, DuplicatePolicy, Index, Values, ValuesRef, cpu,
};

fn pool() -> &'static rayon::ThreadPool {
    static POOL: OnceLock<rayon::ThreadPool> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap_or_else(|e| panic!("test pool: {e}"))
    })
}

const ISO_SEED: i8 = 7;

/// A random 2-D COO case, in `usize` coordinates.
#[derive(Debug, Clone)]
struct Case {
    nrows: usize,
    ncols: usize,
    entries: Vec<(usize, usize)>,
    seeds: Vec<i8>,
    iso: bool,
    par: bool,
}

impl Case {
    fn run<R>(&self, f: impl FnOnce() -> R + Send) -> R
    where
        R: Send,
    {
        cpu::set_serial_cutoff(if self.par { 1 } else { 1 << 15 });
        pool().install(f)
    }
    fn rows<I: Index>(&self) -> Vec<I> {
        self.entries.iter().map(|e| ix(e.0)).collect()
    }
    fn cols<I: Index>(&self) -> Vec<I> {
        self.entries.iter().map(|e| ix(e.1)).collect()
    }
    fn vals<T: FromSeed>(&self) -> Vec<T> {
        self.seeds.iter().map(|&s| T::from_seed(s)).collect()
    }
}

fn ix<I: Index>(u: usize) -> I {
    I::from_usize(u).unwrap_or_else(|| panic!("test index {u} must fit {}", I::DTYPE))
}

fn us<I: Index>(v: I) -> usize {
    v.to_usize()
        .unwrap_or_else(|| panic!("test index {v} must be a usize"))
}

/// Dimension extents: small (many duplicates), moderate, or at the top of the index dtype.
fn dim(cap: usize) -> impl Strategy<Value = usize> {
    prop_oneof![0..=6usize, 0..=cap.min(40), cap.saturating_sub(2)..=cap]
}

fn case(dim_cap: usize, max_nnz: usize) -> impl Strategy<Value = Case> {
    (
        dim(dim_cap),
        dim(dim_cap),
        any::<bool>(),
        any::<bool>(),
        0..6u8,
    )
        .prop_flat_map(move |(m, n, iso, par, kind)| {
            let nnz = if m == 0 || n == 0 {
                0..=0usize
            } else {
                0..=max_nnz
            };
            let e = proptest::collection::vec((0..m.max(1), 0..n.max(1)), nnz);
            (e, Just((m, n, iso, par, kind))).prop_flat_map(
                |(mut entries, (m, n, iso, par, kind))| {
                    // kind 0: everything in one row; kind 1: in one column.
                    if let Some(&(r0, c0)) = entries.first() {
                        for e in &mut entries {
                            match kind {
                                0 => e.0 = r0,
                                1 => e.1 = c0,
                                _ => {}
                            }
                        }
                    }
                    let len = entries.len();
                    proptest::collection::vec(any::<i8>(), len).prop_map(move |seeds| Case {
                        nrows: m,
                        ncols: n,
                        entries: entries.clone(),
                        seeds,
                        iso,
                        par,
                    })
                },
            )
        })
}

fn dim_cap<I: Index>() -> usize {
    I::max_usize().saturating_add(1).min(70_000)
}

fn nnz_cap<P: Index>() -> usize {
    P::max_usize().min(120)
}

/// Canonical (summed) entries of a case, as CSR parts in the test's types.
fn canonical_csr<P: Index, I: Index, T: FromSeed>(
    c: &Case,
) -> (Vec<P>, Vec<I>, Vec<T>, Entries<T>) {
    let vals = c.vals::<T>();
    let exp =
        canon(&c.entries, Some(&vals), true).unwrap_or_else(|_| unreachable!("sum never fails"));
    let ptr = pointers_of(c.nrows, exp.iter().map(|e| e.0.0))
        .into_iter()
        .map(ix)
        .collect();
    let idx = exp.iter().map(|e| ix(e.0.1)).collect();
    let v = exp
        .iter()
        .map(|e| e.1.unwrap_or_else(|| T::from_seed(0)))
        .collect();
    (ptr, idx, v, exp)
}

fn check_values<T: FromSeed>(
    got: &Values<T>,
    exp: &[Option<T>],
    iso: bool,
) -> Result<(), TestCaseError> {
    match got {
        Values::Iso(v) => {
            prop_assert!(iso, "iso output from an array input");
            prop_assert_eq!(*v, T::from_seed(ISO_SEED));
        }
        Values::Array(a) => {
            prop_assert!(!iso, "array output from an iso input");
            let e: Vec<T> = exp
                .iter()
                .map(|v| v.unwrap_or_else(|| T::from_seed(0)))
                .collect();
            prop_assert_eq!(a, &e);
        }
    }
    Ok(())
}

fn check_coo_to_csr<P: Index, I: Index, T: FromSeed>(
    c: &Case,
    policy: DuplicatePolicy,
) -> Result<(), TestCaseError> {
    let (rows, cols, vals) = (c.rows::<I>(), c.cols::<I>(), c.vals::<T>());
    let values = if c.iso {
        ValuesRef::Iso(T::from_seed(ISO_SEED))
    } else {
        ValuesRef::Array(&vals)
    };
    let coo = CooRef {
        nrows: c.nrows,
        ncols: c.ncols,
        rows: &rows,
        cols: &cols,
        values,
    };
    let got = c.run(|| cpu::coo_to_csr::<P, I, T>(&coo, policy));
    // COOR and COOC canonicalization take a comparison sort when the sorted dimension is far
    // larger than nnz (extents near 70,000 here), else the counting sort: both must agree with
    // the oracle, on success and on the first duplicate.
    let coor = c.run(|| cpu::coo_sort_by_row(&coo, policy));
    let cooc = c.run(|| cpu::coo_sort_by_col(&coo, policy));
    let exp = canon(
        &c.entries,
        (!c.iso).then_some(&vals[..]),
        policy == DuplicatePolicy::Sum,
    );
    match (got, exp) {
        (Ok(csr), Ok(exp)) => {
            let ptr: Vec<usize> = csr.pointers.iter().map(|&p| us(p)).collect();
            prop_assert_eq!(ptr, pointers_of(c.nrows, exp.iter().map(|e| e.0.0)));
            let idx: Vec<usize> = csr.indices.iter().map(|&i| us(i)).collect();
            prop_assert_eq!(idx, exp.iter().map(|e| e.0.1).collect::<Vec<_>>());
            let ev: Vec<Option<T>> = exp.iter().map(|e| e.1).collect();
            check_values(&csr.values, &ev, c.iso)?;
            // Same result through COOR and COOC canonicalization.
            let coor = coor.map_err(|e| TestCaseError::fail(e.to_string()))?;
            let got_r: Vec<(usize, usize)> = coor
                .rows
                .iter()
                .zip(&coor.cols)
                .map(|(&r, &c)| (us(r), us(c)))
                .collect();
            prop_assert_eq!(got_r, exp.iter().map(|e| e.0).collect::<Vec<_>>());
            check_values(&coor.values, &ev, c.iso)?;
            let cooc = cooc.map_err(|e| TestCaseError::fail(e.to_string()))?;
            let mut by_col: Vec<((usize, usize), Option<T>)> = exp.clone();
            by_col.sort_by_key(|e| (e.0.1, e.0.0));
            let got_c: Vec<(usize, usize)> = cooc
                .rows
                .iter()
                .zip(&cooc.cols)
                .map(|(&r, &c)| (us(r), us(c)))
                .collect();
            prop_assert_eq!(got_c, by_col.iter().map(|e| e.0).collect::<Vec<_>>());
            let bv: Vec<Option<T>> = by_col.iter().map(|e| e.1).collect();
            check_values(&cooc.values, &bv, c.iso)?;
        }
        (Err(ConvertError::Duplicate { coords }), Err(d)) if policy == DuplicatePolicy::Reject => {
            prop_assert_eq!(&coords, &vec![d.0, d.1]);
            let r = coor.err().map(|e| e.to_string());
            prop_assert_eq!(r, Some(ConvertError::Duplicate { coords }.to_string()));
            prop_assert!(
                matches!(cooc, Err(ConvertError::Duplicate { .. })),
                "COOC: {:?}",
                cooc.map(|_| ())
            );
        }
        (Err(ConvertError::IsoDuplicate { coords }), Err(d)) if c.iso => {
            prop_assert_eq!(&coords, &vec![d.0, d.1]);
            let r = coor.err().map(|e| e.to_string());
            prop_assert_eq!(r, Some(ConvertError::IsoDuplicate { coords }.to_string()));
            prop_assert!(
                matches!(cooc, Err(ConvertError::IsoDuplicate { .. })),
                "COOC: {:?}",
                cooc.map(|_| ())
            );
        }
        (got, exp) => prop_assert!(
            false,
            "got {:?}, oracle {:?}",
            got.map(|_| ()),
            exp.map(|_| ())
        ),
    }
    Ok(())
}

fn check_sorted_pointers<P: Index, I: Index>(c: &Case) -> Result<(), TestCaseError> {
    // As generated (maybe unsorted): error at the first descent, else the oracle's pointers.
    let rows = c.rows::<I>();
    let got = c.run(|| cpu::coo_sorted_to_csr_pointers::<P, I>(c.nrows, &rows));
    let descent = c
        .entries
        .windows(2)
        .position(|w| w[1].0 < w[0].0)
        .map(|k| k + 1);
    match (got, descent) {
        (
            Err(ConvertError::NotSorted {
                array: "indices_0",
                position,
            }),
            Some(k),
        ) => prop_assert_eq!(position, k),
        (Ok(ptr), None) => {
            let ptr: Vec<usize> = ptr.iter().map(|&p| us(p)).collect();
            prop_assert_eq!(ptr, pointers_of(c.nrows, c.entries.iter().map(|e| e.0)));
        }
        (got, d) => prop_assert!(false, "got {:?}, first descent {:?}", got, d),
    }
    // Sorted by row (duplicates kept): the oracle's pointers.
    let mut sorted = c.entries.clone();
    sorted.sort_by_key(|e| e.0);
    let rows: Vec<I> = sorted.iter().map(|e| ix(e.0)).collect();
    let ptr = c
        .run(|| cpu::coo_sorted_to_csr_pointers::<P, I>(c.nrows, &rows))
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let ptr: Vec<usize> = ptr.iter().map(|&p| us(p)).collect();
    prop_assert_eq!(ptr, pointers_of(c.nrows, sorted.iter().map(|e| e.0)));
    Ok(())
}

fn check_compressed<P: Index, I: Index, T: FromSeed>(c: &Case) -> Result<(), TestCaseError> {
    let (ptr, idx, vals, exp) = canonical_csr::<P, I, T>(c);
    let values = if c.iso {
        ValuesRef::Iso(T::from_seed(ISO_SEED))
    } else {
        ValuesRef::Array(&vals)
    };
    let csr = CsrRef {
        nrows: c.nrows,
        ncols: c.ncols,
        pointers: &ptr,
        indices: &idx,
        values,
    };
    let fail = |e: ConvertError| TestCaseError::fail(e.to_string());
    c.run(|| cpu::validate_csr(&csr)).map_err(fail)?;
    // CSR → CSC against the oracle sorted by (col, row).
    let t = c.run(|| cpu::csr_transpose(&csr)).map_err(fail)?;
    let mut by_col = exp.clone();
    by_col.sort_by_key(|e| (e.0.1, e.0.0));
    let tp: Vec<usize> = t.pointers.iter().map(|&p| us(p)).collect();
    prop_assert_eq!(tp, pointers_of(c.ncols, by_col.iter().map(|e| e.0.1)));
    let ti: Vec<usize> = t.indices.iter().map(|&i| us(i)).collect();
    prop_assert_eq!(ti, by_col.iter().map(|e| e.0.0).collect::<Vec<_>>());
    let expected_values: Vec<Option<T>> = by_col
        .iter()
        .map(|e| if c.iso { None } else { e.1 })
        .collect();
    check_values(&t.values, &expected_values, c.iso)?;
    // Transposing back gives the input.
    let back = c.run(|| cpu::csr_transpose(&t.as_ref())).map_err(fail)?;
    prop_assert_eq!(&back.pointers, &ptr);
    prop_assert_eq!(&back.indices, &idx);
    // CSR → COO rows.
    let rows = c
        .run(|| cpu::csr_to_coo_rows::<P, I>(c.nrows, &ptr))
        .map_err(fail)?;
    let rows: Vec<usize> = rows.iter().map(|&r| us(r)).collect();
    prop_assert_eq!(rows, exp.iter().map(|e| e.0.0).collect::<Vec<_>>());
    // CSR ↔ DCSR.
    let (ids, dptr) = c
        .run(|| cpu::csr_to_dcsr::<P, I>(c.nrows, &ptr))
        .map_err(fail)?;
    let mut nonempty: Vec<usize> = exp.iter().map(|e| e.0.0).collect();
    nonempty.dedup();
    prop_assert_eq!(
        ids.iter().map(|&r| us(r)).collect::<Vec<_>>(),
        nonempty.clone()
    );
    let optr = pointers_of(c.nrows, exp.iter().map(|e| e.0.0));
    let mut edptr: Vec<usize> = nonempty.iter().map(|&r| optr[r]).collect();
    edptr.push(exp.len());
    prop_assert_eq!(dptr.iter().map(|&p| us(p)).collect::<Vec<_>>(), edptr);
    cpu::validate_dcsr(c.nrows, c.ncols, &ids, &dptr, &idx, values).map_err(fail)?;
    let p2 = c
        .run(|| cpu::dcsr_to_csr_pointers::<P, I>(c.nrows, &ids, &dptr, idx.len()))
        .map_err(fail)?;
    prop_assert_eq!(&p2, &ptr);
    Ok(())
}

fn check_dense<P: Index, I: Index, T: FromSeed>(c: &Case) -> Result<(), TestCaseError> {
    let (ptr, idx, vals, exp) = canonical_csr::<P, I, T>(c);
    let iso = T::from_seed(ISO_SEED);
    let values = if c.iso {
        ValuesRef::Iso(iso)
    } else {
        ValuesRef::Array(&vals)
    };
    let csr = CsrRef {
        nrows: c.nrows,
        ncols: c.ncols,
        pointers: &ptr,
        indices: &idx,
        values,
    };
    let exp: Vec<((usize, usize), Option<T>)> = exp
        .into_iter()
        .map(|(k, v)| (k, if c.iso { None } else { v }))
        .collect();
    let dense = dense_of(c.nrows, c.ncols, &exp, iso);
    let fail = |e: ConvertError| TestCaseError::fail(e.to_string());
    prop_assert_eq!(
        &c.run(|| cpu::csr_to_dense(&csr, DenseOrder::RowMajor))
            .map_err(fail)?,
        &dense
    );
    let mut colmajor = vec![T::from_seed(0); dense.len()];
    for r in 0..c.nrows {
        for k in 0..c.ncols {
            colmajor[k * c.nrows + r] = dense[r * c.ncols + k];
        }
    }
    prop_assert_eq!(
        &c.run(|| cpu::csr_to_dense(&csr, DenseOrder::ColMajor))
            .map_err(fail)?,
        &colmajor
    );
    let (rows, cols) = (c.rows::<I>(), c.cols::<I>());
    let _ = (rows, cols);
    // Dense → sparse drops zeros.
    let nz: Vec<((usize, usize), T)> = exp
        .iter()
        .map(|&(k, v)| (k, v.unwrap_or(iso)))
        .filter(|(_, v)| !v.is_zero())
        .collect();
    for (data, order) in [
        (&dense, DenseOrder::RowMajor),
        (&colmajor, DenseOrder::ColMajor),
    ] {
        let s = c
            .run(|| cpu::dense_to_csr::<P, I, T>(c.nrows, c.ncols, data, order))
            .map_err(fail)?;
        prop_assert_eq!(
            s.pointers.iter().map(|&p| us(p)).collect::<Vec<_>>(),
            pointers_of(c.nrows, nz.iter().map(|e| e.0.0))
        );
        prop_assert_eq!(
            s.indices.iter().map(|&i| us(i)).collect::<Vec<_>>(),
            nz.iter().map(|e| e.0.1).collect::<Vec<_>>()
        );
        prop_assert_eq!(
            s.values.as_array().map(<[T]>::to_vec),
            Some(nz.iter().map(|e| e.1).collect::<Vec<_>>())
        );
        let coo = c
            .run(|| cpu::dense_to_coo::<I, T>(c.nrows, c.ncols, data, order))
            .map_err(fail)?;
        prop_assert_eq!(
            coo.rows.iter().map(|&i| us(i)).collect::<Vec<_>>(),
            nz.iter().map(|e| e.0.0).collect::<Vec<_>>()
        );
        let back = cpu::coo_to_dense(&coo.as_ref(), order).map_err(fail)?;
        let nz_dense: Vec<T> = data
            .iter()
            .map(|v| if v.is_zero() { T::from_seed(0) } else { *v })
            .collect();
        prop_assert_eq!(back, nz_dense);
    }
    Ok(())
}

/// Perturbs one pointer or index of a canonical CSR and compares `validate_csr` with the
/// oracle's serial check.
fn check_validate<P: Index, I: Index>(
    c: &Case,
    target: u8,
    at: usize,
    value: i64,
) -> Result<(), TestCaseError> {
    let (ptr, idx, _, _) = canonical_csr::<P, I, f64>(c);
    let mut p128: Vec<i128> = ptr.iter().map(|&p| p.to_i128()).collect();
    let mut i128s: Vec<i128> = idx.iter().map(|&i| i.to_i128()).collect();
    let (mut ptr, mut idx) = (ptr, idx);
    if target.is_multiple_of(2) && !idx.is_empty() {
        let k = at % idx.len();
        if let Some(v) = I::from_i64(value) {
            idx[k] = v;
            i128s[k] = i128::from(value);
        }
    } else {
        let k = at % ptr.len();
        if let Some(v) = P::from_i64(value) {
            ptr[k] = v;
            p128[k] = i128::from(value);
        }
    }
    let csr = CsrRef {
        nrows: c.nrows,
        ncols: c.ncols,
        pointers: &ptr,
        indices: &idx,
        values: ValuesRef::<f64>::Iso(1.0),
    };
    let got = c.run(|| cpu::validate_csr(&csr));
    let exp = csr_first_error(c.nrows, c.ncols, &p128, &i128s);
    let got_s = match got {
        Ok(()) => None,
        Err(ConvertError::PointerStart { .. }) => Some("start".to_string()),
        Err(ConvertError::PointerEnd { .. }) => Some("end".to_string()),
        Err(ConvertError::PointerDecreasing { position, .. }) => {
            Some(format!("decreasing {position}"))
        }
        Err(
            ConvertError::IndexOutOfBounds { position, .. }
            | ConvertError::NegativeIndex { position, .. },
        ) => Some(format!("bounds {position}")),
        Err(ConvertError::NotSorted { position, .. }) => Some(format!("sorted {position}")),
        Err(e) => Some(format!("unexpected {e}")),
    };
    prop_assert_eq!(got_s, exp);
    Ok(())
}

macro_rules! combo {
    ($name:ident, $p:ty, $i:ty, $t:ty) => {
        mod $name {
            use super::*;
            proptest! {
                #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]
                #[test]
                fn coo_to_csr_sum(c in case(dim_cap::<$i>(), nnz_cap::<$p>())) {
                    check_coo_to_csr::<$p, $i, $t>(&c, DuplicatePolicy::Sum)?;
                }
                #[test]
                fn coo_to_csr_reject(c in case(dim_cap::<$i>(), nnz_cap::<$p>())) {
                    check_coo_to_csr::<$p, $i, $t>(&c, DuplicatePolicy::Reject)?;
                }
                #[test]
                fn sorted_coo_to_csr_pointers(c in case(dim_cap::<$i>(), nnz_cap::<$p>())) {
                    check_sorted_pointers::<$p, $i>(&c)?;
                }
                #[test]
                fn transpose_expand_dcsr(c in case(dim_cap::<$i>(), nnz_cap::<$p>())) {
                    check_compressed::<$p, $i, $t>(&c)?;
                }
                #[test]
                fn dense_round_trips(c in case(dim_cap::<$i>().min(60), nnz_cap::<$p>())) {
                    check_dense::<$p, $i, $t>(&c)?;
                }
                #[test]
                fn validate_matches_oracle(
                    c in case(dim_cap::<$i>(), nnz_cap::<$p>()),
                    target in any::<u8>(), at in any::<usize>(), value in -3i64..300,
                ) {
                    check_validate::<$p, $i>(&c, target, at, value)?;
                }
            }
        }
    };
}

// Every index dtype appears as `I`; pointers vary independently; several value dtypes.
combo!(p_i64_i_i32_f64, i64, i32, f64);
combo!(p_u64_i_u64_i32, u64, u64, i32);
combo!(p_i32_i_i16_c128, i32, i16, [f64; 2]);
combo!(p_u16_i_u8_f16, u16, u8, f16);
combo!(p_i8_i_i8_bf16, i8, i8, bf16);
combo!(p_u32_i_u16_bint8, u32, u16, Bint8);
combo!(p_u8_i_u32_c64, u8, u32, [f32; 2]);
combo!(p_i16_i_i64_u8, i16, i64, u8);
combo!(p_u64_i_i32_f32, u64, i32, f32);
