//! Fuzz the Matrix Market reader: no input may panic; every accepted file gives a valid array
//! that survives write -> read as the same matrix. The writer may store the other triangle of a
//! symmetric, skew-symmetric or Hermitian matrix (Matrix Market files hold the lower one), so
//! the comparison is of the matrices: each stored entry mapped to the lower triangle with the
//! structure's rule (transpose; negate for skew; conjugate for Hermitian).
#![no_main]

#[path = "common.rs"]
mod common;

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use sparsebridge_array::SparseArray;
use sparsebridge_buffer::DType;
use sparsebridge_descriptor::Structure;
use sparsebridge_io::ReadOptions;
use sparsebridge_io::mtx::{read_mtx, write_mtx};

fuzz_target!(|data: &[u8]| {
    let (flag, body) = data.split_first().map_or((0, data), |(f, b)| (*f, b));
    let path = common::scratch("in.mtx");
    std::fs::write(&path, body).expect("scratch write");
    let options = ReadOptions {
        expand_symmetry: flag & 1 == 1,
        ..ReadOptions::default()
    };
    let Ok(a) = read_mtx(&path, &options) else {
        return;
    };
    common::assert_valid(&a, "mtx");
    let out = common::scratch("out.mtx");
    write_mtx(&a, &out, false)
        .unwrap_or_else(|e| panic!("an array read from .mtx must write: {e}"));
    let b =
        read_mtx(&out, &options).unwrap_or_else(|e| panic!("our own .mtx output rejected: {e}"));
    if a.array("indices_0").is_none() {
        // An `array` file: dense values, written back as they are.
        common::assert_same(&a, &b, "mtx round trip");
        return;
    }
    assert_eq!(a.shape(), b.shape(), "mtx round trip: shape");
    assert_eq!(
        a.descriptor().value_type(),
        b.descriptor().value_type(),
        "mtx round trip: value type"
    );
    assert_eq!(
        lower_entries(&a),
        lower_entries(&b),
        "mtx round trip: another matrix"
    );
});

/// A value as the Matrix Market reader stores it (f64, i64, complex128 or iso bint8), with
/// NaN compared equal to NaN.
#[derive(Debug, Clone, Copy)]
enum V {
    F(f64),
    I(i64),
    C(f64, f64),
    Pattern,
}

impl PartialEq for V {
    fn eq(&self, o: &V) -> bool {
        let f = |a: f64, b: f64| a == b || (a.is_nan() && b.is_nan());
        match (*self, *o) {
            (V::F(a), V::F(b)) => f(a, b),
            (V::I(a), V::I(b)) => a == b,
            (V::C(a, b), V::C(c, d)) => f(a, c) && f(b, d),
            (V::Pattern, V::Pattern) => true,
            _ => false,
        }
    }
}

impl V {
    fn negate(self) -> V {
        match self {
            V::F(x) => V::F(-x),
            V::I(x) => V::I(x.wrapping_neg()),
            V::C(r, i) => V::C(-r, -i),
            V::Pattern => V::Pattern,
        }
    }
    fn conj(self) -> V {
        match self {
            V::C(r, i) => V::C(r, -i),
            v => v,
        }
    }
}

/// Stored entries keyed in the lower triangle (for a structured matrix), in storage order per key.
fn lower_entries(a: &SparseArray) -> BTreeMap<(i64, i64), Vec<V>> {
    let idx = |name: &str| {
        a.array(name)
            .expect(name)
            .to_vec::<i64>()
            .expect("int64 indices")
    };
    let rows = idx("indices_0");
    // A 1-D (vector) file has one index array.
    let cols = if a.array("indices_1").is_some() {
        idx("indices_1")
    } else {
        vec![0; rows.len()]
    };
    let values = a.array("values").expect("values");
    let iso = a.descriptor().value_type().iso;
    let vals: Vec<V> = match values.dtype() {
        DType::F64 => values
            .to_vec::<f64>()
            .unwrap()
            .into_iter()
            .map(V::F)
            .collect(),
        DType::I64 => values
            .to_vec::<i64>()
            .unwrap()
            .into_iter()
            .map(V::I)
            .collect(),
        DType::Complex128 => values
            .reinterpret(DType::F64)
            .and_then(|b| b.to_vec::<f64>())
            .unwrap()
            .chunks(2)
            .map(|c| V::C(c[0], c[1]))
            .collect(),
        _ => vec![V::Pattern; values.len()],
    };
    let structure = a.descriptor().structure();
    let mut out: BTreeMap<(i64, i64), Vec<V>> = BTreeMap::new();
    for k in 0..rows.len() {
        let v = if iso { vals[0] } else { vals[k] };
        let (i, j) = (rows[k], cols[k]);
        let (key, v) = if i < j && structure.is_some() {
            let v = match structure {
                Some(Structure::SkewSymmetricLower | Structure::SkewSymmetricUpper) => v.negate(),
                Some(Structure::HermitianLower | Structure::HermitianUpper) => v.conj(),
                _ => v,
            };
            ((j, i), v)
        } else {
            ((i, j), v)
        };
        out.entry(key).or_default().push(v);
    }
    out
}
