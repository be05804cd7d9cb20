//! Fuzz conversions: an arbitrary small 2-D COO array (unsorted, duplicated, out-of-range or
//! extreme indices included) goes through two requested formats in a row, each with a requested
//! index type. Checks:
//! - an array with an out-of-range index never passes validation;
//! - every conversion of a valid array succeeds, and its output validates from scratch;
//! - every output holds the same matrix as the input: an oracle written here (a BTreeMap of
//!   summed entries, decoded from each format's definition) independently of the engine.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use sparsebridge_array::SparseArray;
use sparsebridge_buffer::{Buffer, DType};
use sparsebridge_convert::engine::{ConvertOptions, Target, convert};
use sparsebridge_descriptor::{Descriptor, PredefinedFormat as F, ScalarType};

const FORMATS: [F; 8] = [
    F::Coor,
    F::Cooc,
    F::Csr,
    F::Csc,
    F::Dcsr,
    F::Dcsc,
    F::Dmatr,
    F::Dmatc,
];
/// Dimensions stay small: dense targets allocate rows * cols, and the engine allocates
/// O(dimension) pointer arrays infallibly (see docs/reliability.md).
const MAX_DIM: u64 = 1 << 12;
const MAX_DENSE: u64 = 1 << 14;

type Matrix = BTreeMap<(u64, u64), i64>;

fn ints(b: &Buffer) -> Vec<i128> {
    match b.dtype() {
        DType::I8 => b
            .to_vec::<i8>()
            .unwrap()
            .into_iter()
            .map(i128::from)
            .collect(),
        DType::I16 => b
            .to_vec::<i16>()
            .unwrap()
            .into_iter()
            .map(i128::from)
            .collect(),
        DType::I32 => b
            .to_vec::<i32>()
            .unwrap()
            .into_iter()
            .map(i128::from)
            .collect(),
        DType::I64 => b
            .to_vec::<i64>()
            .unwrap()
            .into_iter()
            .map(i128::from)
            .collect(),
        DType::U8 => b
            .to_vec::<u8>()
            .unwrap()
            .into_iter()
            .map(i128::from)
            .collect(),
        DType::U16 => b
            .to_vec::<u16>()
            .unwrap()
            .into_iter()
            .map(i128::from)
            .collect(),
        DType::U32 => b
            .to_vec::<u32>()
            .unwrap()
            .into_iter()
            .map(i128::from)
            .collect(),
        DType::U64 => b
            .to_vec::<u64>()
            .unwrap()
            .into_iter()
            .map(i128::from)
            .collect(),
        other => panic!("index dtype {other}"),
    }
}

/// Decodes any of the eight 2-D formats into summed entries (explicit zeros dropped).
fn decode(a: &SparseArray) -> Matrix {
    let (m, n) = (a.shape()[0], a.shape()[1]);
    let get = |name: &str| ints(a.array(name).unwrap_or_else(|| panic!("missing {name}")));
    let vals = get("values");
    let iso = a.descriptor().value_type().iso;
    let val = |k: usize| -> i64 { if iso { vals[0] as i64 } else { vals[k] as i64 } };
    let mut out = Matrix::new();
    let mut put = |i: i128, j: i128, v: i64| {
        assert!(
            i >= 0 && (i as u64) < m && j >= 0 && (j as u64) < n,
            "output index ({i}, {j}) outside {m}x{n}"
        );
        *out.entry((i as u64, j as u64)).or_insert(0) += v;
    };
    let format = a.descriptor().alias().expect("a predefined format");
    match format {
        F::Coor | F::Cooc => {
            let (i0, i1) = (get("indices_0"), get("indices_1"));
            for k in 0..i0.len() {
                let (i, j) = if format == F::Coor {
                    (i0[k], i1[k])
                } else {
                    (i1[k], i0[k])
                };
                put(i, j, val(k));
            }
        }
        F::Csr | F::Csc => {
            let (p, idx) = (get("pointers_to_1"), get("indices_1"));
            for major in 0..p.len() - 1 {
                for k in p[major] as usize..p[major + 1] as usize {
                    let (i, j) = if format == F::Csr {
                        (major as i128, idx[k])
                    } else {
                        (idx[k], major as i128)
                    };
                    put(i, j, val(k));
                }
            }
        }
        F::Dcsr | F::Dcsc => {
            let (i0, p, idx) = (get("indices_0"), get("pointers_to_1"), get("indices_1"));
            for (slot, &major) in i0.iter().enumerate() {
                for k in p[slot] as usize..p[slot + 1] as usize {
                    let (i, j) = if format == F::Dcsr {
                        (major, idx[k])
                    } else {
                        (idx[k], major)
                    };
                    put(i, j, val(k));
                }
            }
        }
        F::Dmatr | F::Dmatc => {
            assert_eq!(vals.len() as u64, m * n, "dense values length");
            for i in 0..m {
                for j in 0..n {
                    let k = if format == F::Dmatr {
                        i * n + j
                    } else {
                        j * m + i
                    };
                    put(i as i128, j as i128, val(k as usize));
                }
            }
        }
        other => panic!("unexpected format {other}"),
    }
    out.retain(|_, v| *v != 0);
    out
}

struct Input<'a>(&'a [u8]);
impl Input<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn u16(&mut self) -> u16 {
        u16::from(self.u8()) << 8 | u16::from(self.u8())
    }
}

fn index_buffer(v: &[i64], t: ScalarType) -> Buffer {
    match t {
        ScalarType::Int32 => Buffer::from_vec(v.iter().map(|&x| x as i32).collect::<Vec<_>>()),
        ScalarType::UInt32 => Buffer::from_vec(v.iter().map(|&x| x as u32).collect::<Vec<_>>()),
        ScalarType::UInt16 => Buffer::from_vec(v.iter().map(|&x| x as u16).collect::<Vec<_>>()),
        _ => Buffer::from_vec(v.to_vec()),
    }
}

const INDEX_TYPES: [ScalarType; 4] = [
    ScalarType::Int32,
    ScalarType::Int64,
    ScalarType::UInt32,
    ScalarType::UInt16,
];

fuzz_target!(|data: &[u8]| {
    let mut inp = Input(data);
    let m = u64::from(inp.u16()) % (MAX_DIM + 1);
    let n = u64::from(inp.u16()) % (MAX_DIM + 1);
    let idx_type = INDEX_TYPES[usize::from(inp.u8() % 4)];
    let nnz = usize::from(inp.u8() % 64);
    let hostile = inp.u8() % 8 == 0;
    let mut rows = Vec::with_capacity(nnz);
    let mut cols = Vec::with_capacity(nnz);
    let mut vals = Vec::with_capacity(nnz);
    for _ in 0..nnz {
        let (r, c) = (i64::from(inp.u16()), i64::from(inp.u16()));
        if hostile {
            // Raw values: may be out of range (or negative once narrowed).
            rows.push(r - 3);
            cols.push(c - 3);
        } else {
            rows.push(if m == 0 { 0 } else { r % m as i64 });
            cols.push(if n == 0 { 0 } else { c % n as i64 });
        }
        vals.push(i64::from(inp.u8() as i8));
    }
    if !hostile {
        // binsparse COO is canonical (sorted, unique): the valid input is the canonical one.
        let mut e: Vec<(i64, i64, i64)> = (0..rows.len())
            .map(|k| (rows[k], cols[k], vals[k]))
            .collect();
        e.sort_by_key(|t| (t.0, t.1));
        e.dedup_by_key(|t| (t.0, t.1));
        rows = e.iter().map(|t| t.0).collect();
        cols = e.iter().map(|t| t.1).collect();
        vals = e.iter().map(|t| t.2).collect();
    }
    let nnz = rows.len();
    let steps = [
        (
            FORMATS[usize::from(inp.u8() % 8)],
            INDEX_TYPES[usize::from(inp.u8() % 4)],
        ),
        (
            FORMATS[usize::from(inp.u8() % 8)],
            INDEX_TYPES[usize::from(inp.u8() % 4)],
        ),
    ];
    let in_range = |v: &[i64], d: u64, t: ScalarType| {
        let max = match t {
            ScalarType::Int32 => i32::MAX as i64,
            ScalarType::UInt32 => u32::MAX as i64,
            ScalarType::UInt16 => u16::MAX as i64,
            _ => i64::MAX,
        };
        v.iter().all(|&x| x >= 0 && x <= max && (x as u64) < d)
    };
    // Valid means in range and canonical: binsparse COO is sorted by (row, column) with no
    // duplicates, so validation must reject an unsorted or repeated hostile input too.
    let canonical = (1..rows.len()).all(|k| (rows[k - 1], cols[k - 1]) < (rows[k], cols[k]));
    let valid_input = in_range(&rows, m, idx_type) && in_range(&cols, n, idx_type) && canonical;
    let Ok(d) = Descriptor::new(
        F::Coor.into(),
        vec![m, n],
        nnz as u64,
        idx_type,
        ScalarType::Int64.into(),
    ) else {
        return;
    };
    let built = SparseArray::try_new(
        d,
        [
            ("indices_0", index_buffer(&rows, idx_type)),
            ("indices_1", index_buffer(&cols, idx_type)),
            ("values", Buffer::from_vec(vals.clone())),
        ],
    );
    let src = match built {
        Ok(a) if a.validate_full().is_ok() => a,
        Ok(_) | Err(_) => {
            assert!(!valid_input, "a valid COO array was rejected");
            return;
        }
    };
    assert!(valid_input, "validation accepted an out-of-range index");
    let mut want = Matrix::new();
    for k in 0..nnz {
        *want.entry((rows[k] as u64, cols[k] as u64)).or_insert(0) += vals[k];
    }
    want.retain(|_, v| *v != 0);
    assert_eq!(decode(&src), want, "oracle self-check");

    let mut current = src;
    for (format, index_type) in steps {
        let dense = matches!(format, F::Dmatr | F::Dmatc);
        if dense && m * n > MAX_DENSE {
            continue;
        }
        let target = Target {
            format: format.into(),
            index_type: Some(index_type),
            pointer_type: None,
        };
        let fits = |d: u64| match index_type {
            ScalarType::UInt16 => d <= u64::from(u16::MAX) && (nnz as u64) <= u64::from(u16::MAX),
            _ => true,
        };
        let out = match convert(&current, &target, &ConvertOptions::default()) {
            Ok(out) => out,
            // Indices of the requested type that cannot hold the dimensions: an honest refusal.
            Err(_) if !(fits(m) && fits(n)) => return,
            Err(e) => panic!(
                "{:?} -> {format} ({index_type}) failed: {e}",
                current.descriptor().alias()
            ),
        };
        let a = out.array;
        assert_eq!(a.descriptor().alias(), Some(format));
        let (d, arrays) = a.clone().into_parts();
        SparseArray::try_new(d, arrays)
            .and_then(|fresh| fresh.validate_full().map(|()| fresh))
            .unwrap_or_else(|e| panic!("output {format} does not validate: {e}"));
        assert_eq!(decode(&a), want, "{format} holds another matrix");
        current = a;
    }
});
