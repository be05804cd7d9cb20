//! Inputs above the serial cutoff (default settings), in 2- and 4-thread pools, against the
//! oracle: the partitioned parallel paths at realistic partition sizes.

mod common;

use anyhow::Result;
use common::{canon, pointers_of};
use sparsebridge_convert::{ConvertError, CooRef, CsrRef, DuplicatePolicy, ValuesRef, cpu};

/// splitmix64: a tiny deterministic generator for test data.
fn rng(seed: &mut u64) -> u64 {
    *seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *seed;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pool(n: usize) -> Result<rayon::ThreadPool> {
    Ok(rayon::ThreadPoolBuilder::new().num_threads(n).build()?)
}

#[test]
fn large_random_against_oracle() -> Result<()> {
    let (m, n, nnz) = (3000usize, 2000usize, 150_000usize);
    let mut s = 42u64;
    // Skewed rows (a heavy row 7) so partitions are unbalanced by row count.
    let entries: Vec<(usize, usize)> = (0..nnz)
        .map(|k| {
            let r = if k % 10 == 0 {
                7
            } else {
                (rng(&mut s) % m as u64) as usize
            };
            (r, (rng(&mut s) % n as u64) as usize)
        })
        .collect();
    let vals: Vec<f64> = (0..nnz).map(|k| (k % 17) as f64).collect();
    let rows: Vec<i32> = entries.iter().map(|e| e.0 as i32).collect();
    let cols: Vec<i32> = entries.iter().map(|e| e.1 as i32).collect();
    let exp = canon(&entries, Some(&vals), true).map_err(|d| anyhow::anyhow!("dup {d:?}"))?;
    let eptr = pointers_of(m, exp.iter().map(|e| e.0.0));
    for threads in [2, 4] {
        let p = pool(threads)?;
        let coo = CooRef {
            nrows: m,
            ncols: n,
            rows: &rows,
            cols: &cols,
            values: ValuesRef::Array(&vals),
        };
        let csr = p.install(|| cpu::coo_to_csr::<i64, i32, f64>(&coo, DuplicatePolicy::Sum))?;
        assert_eq!(
            csr.pointers.iter().map(|&x| x as usize).collect::<Vec<_>>(),
            eptr
        );
        assert_eq!(
            csr.indices.iter().map(|&x| x as usize).collect::<Vec<_>>(),
            exp.iter().map(|e| e.0.1).collect::<Vec<_>>()
        );
        assert_eq!(
            csr.values.as_array().map(<[f64]>::to_vec),
            Some(exp.iter().map(|e| e.1.unwrap_or(0.0)).collect())
        );
        let err = p.install(|| cpu::coo_to_csr::<i64, i32, f64>(&coo, DuplicatePolicy::Reject));
        let first_dup = canon(&entries, Some(&vals), false)
            .err()
            .map(|d| vec![d.0, d.1]);
        assert_eq!(
            err.err(),
            first_dup.map(|coords| ConvertError::Duplicate { coords })
        );
        p.install(|| cpu::validate_csr(&csr.as_ref()))?;

        // Sorted COO → CSR pointers, and the first descent of a broken copy.
        let srows: Vec<i64> = exp.iter().map(|e| e.0.0 as i64).collect();
        let ptr = p.install(|| cpu::coo_sorted_to_csr_pointers::<u32, i64>(m, &srows))?;
        assert_eq!(ptr.iter().map(|&x| x as usize).collect::<Vec<_>>(), eptr);
        let mut broken = srows.clone();
        let at = broken.len() * 2 / 3;
        broken[at] -= 1;
        broken[at + 5] -= 2;
        let first = (1..broken.len()).find(|&k| broken[k] < broken[k - 1]);
        let err = p
            .install(|| cpu::coo_sorted_to_csr_pointers::<u32, i64>(m, &broken))
            .err();
        assert_eq!(
            err,
            first.map(|position| ConvertError::NotSorted {
                array: "indices_0",
                position
            })
        );

        // CSR → CSC and back; CSR → COO rows.
        let t = p.install(|| cpu::csr_transpose(&csr.as_ref()))?;
        let mut by_col = exp.clone();
        by_col.sort_by_key(|e| (e.0.1, e.0.0));
        assert_eq!(
            t.indices.iter().map(|&x| x as usize).collect::<Vec<_>>(),
            by_col.iter().map(|e| e.0.0).collect::<Vec<_>>()
        );
        assert_eq!(
            t.values.as_array().map(<[f64]>::to_vec),
            Some(by_col.iter().map(|e| e.1.unwrap_or(0.0)).collect())
        );
        let back = p.install(|| cpu::csr_transpose(&t.as_ref()))?;
        assert_eq!(back, csr);
        let r = p.install(|| cpu::csr_to_coo_rows::<i64, u16>(m, &csr.pointers))?;
        assert_eq!(
            r.iter().map(|&x| usize::from(x)).collect::<Vec<_>>(),
            exp.iter().map(|e| e.0.0).collect::<Vec<_>>()
        );
        let wide = p.install(|| cpu::cast_indices::<i32, u64>(&csr.indices, "indices_1"))?;
        assert_eq!(
            wide.iter().map(|&x| x as usize).collect::<Vec<_>>(),
            exp.iter().map(|e| e.0.1).collect::<Vec<_>>()
        );
        // A column out of bounds is reported at its input position.
        let mut bad = cols.clone();
        bad[nnz - 3] = n as i32;
        let coo = CooRef {
            nrows: m,
            ncols: n,
            rows: &rows,
            cols: &bad,
            values: ValuesRef::Array(&vals),
        };
        let err = p
            .install(|| cpu::coo_to_csr::<i64, i32, f64>(&coo, DuplicatePolicy::Sum))
            .err();
        assert_eq!(
            err,
            Some(ConvertError::IndexOutOfBounds {
                array: "indices_1",
                position: nnz - 3,
                value: n as i128,
                bound: n
            })
        );
    }
    Ok(())
}

#[test]
fn spec_examples() -> Result<()> {
    // binsparse spec CSR example shape: 3×4 with pointers [0, 2, 2, 4].
    let ptr = [0u64, 2, 2, 4];
    let idx = [1u64, 3, 0, 2];
    let csr = CsrRef {
        nrows: 3,
        ncols: 4,
        pointers: &ptr,
        indices: &idx,
        values: ValuesRef::Iso(1i8),
    };
    cpu::validate_csr(&csr)?;
    let (ids, dptr) = cpu::csr_to_dcsr::<u64, u64>(3, &ptr)?;
    assert_eq!((ids, dptr), (vec![0u64, 2], vec![0u64, 2, 4]));
    let dense = cpu::csr_to_dense(&csr, sparsebridge_convert::DenseOrder::RowMajor)?;
    assert_eq!(dense, vec![0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0]);
    // Repeated DCSR pointer (an empty stored row) is rejected with its position.
    let err = cpu::validate_dcsr(
        3,
        4,
        &[0u64, 1, 2],
        &[0u64, 2, 2, 4],
        &idx,
        ValuesRef::Iso(1i8),
    )
    .err();
    assert_eq!(
        err,
        Some(ConvertError::PointerRepeated {
            array: "pointers_to_1",
            position: 2
        })
    );
    // int64 → int8 narrowing fails naming the value.
    let err = cpu::cast_indices::<i64, i8>(&[1, 2, 300], "pointers_to_1").err();
    assert_eq!(
        err,
        Some(ConvertError::DoesNotFit {
            array: "pointers_to_1",
            position: 2,
            value: 300,
            dtype: "int8"
        })
    );
    Ok(())
}

/// A shape far larger than memory with a few entries, as a Matrix Market header may declare
/// (a fuzzer found `33239272031 x 0`): canonicalizing the COO must not allocate per row, and a
/// conversion that truly needs per-row pointers fails with a typed error instead of aborting.
#[test]
fn hypersparse_shapes_canonicalize_without_per_row_memory() -> Result<()> {
    let huge = 33_239_272_031usize;
    let rows: Vec<i64> = vec![huge as i64 - 1, 5, huge as i64 - 1, 5, 0];
    let cols: Vec<i64> = vec![3, 1, 3, 0, 2];
    let vals = [1.5f64, 2.0, 0.25, -1.0, 4.0];
    let coo = CooRef {
        nrows: huge,
        ncols: 4,
        rows: &rows,
        cols: &cols,
        values: ValuesRef::Array(&vals),
    };
    let entries: Vec<(usize, usize)> = rows
        .iter()
        .zip(&cols)
        .map(|(&r, &c)| (r as usize, c as usize))
        .collect();
    let exp = canon(&entries, Some(&vals[..]), true).map_err(|d| anyhow::anyhow!("{d:?}"))?;
    let coor = cpu::coo_sort_by_row(&coo, DuplicatePolicy::Sum)?;
    let got: Vec<((usize, usize), Option<f64>)> = coor
        .rows
        .iter()
        .zip(&coor.cols)
        .zip(coor.values.as_array().unwrap_or(&[]))
        .map(|((&r, &c), &v)| ((r as usize, c as usize), Some(v)))
        .collect();
    assert_eq!(got, exp);
    // The same entries with the dimensions swapped, sorted by column.
    let t = CooRef {
        nrows: 4,
        ncols: huge,
        rows: &cols,
        cols: &rows,
        values: ValuesRef::Array(&vals),
    };
    let cooc = cpu::coo_sort_by_col(&t, DuplicatePolicy::Sum)?;
    assert_eq!(cooc.cols, coor.rows);
    assert_eq!(cooc.rows, coor.cols);
    // Rejecting duplicates names the first one in canonical order.
    match cpu::coo_sort_by_row(&coo, DuplicatePolicy::Reject) {
        Err(ConvertError::Duplicate { coords }) => assert_eq!(coords, vec![huge - 1, 3]),
        other => panic!("expected a duplicate, got {:?}", other.map(|_| ())),
    }
    // An out-of-bounds row is still reported, first.
    let bad_rows: Vec<i64> = vec![0, huge as i64];
    let bad = CooRef {
        nrows: huge,
        ncols: 4,
        rows: &bad_rows,
        cols: &cols[..2],
        values: ValuesRef::Array(&vals[..2]),
    };
    assert!(matches!(
        cpu::coo_sort_by_row(&bad, DuplicatePolicy::Sum),
        Err(ConvertError::IndexOutOfBounds {
            array: "indices_0",
            position: 1,
            ..
        })
    ));
    // CSR needs nrows + 1 pointers: more memory than any machine has, as a typed error.
    match cpu::coo_sorted_to_csr_pointers::<u64, i64>(usize::MAX / 2, &[]) {
        Err(ConvertError::OutOfMemory { bytes }) => assert_eq!(bytes, usize::MAX),
        other => panic!("expected out of memory, got {:?}", other.map(|_| ())),
    }
    Ok(())
}
