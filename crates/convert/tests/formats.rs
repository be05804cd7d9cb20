//! Array-level conversions through every source → target pair of the ten predefined formats
//! (where the ranks agree) and n-d COO ↔ n-d dense, checked against an oracle written here from
//! the format definitions (binsparse-protocol.md §4, §5, §7), independent of the engine: arrays
//! are built from a logical cell map by plain loops, and every output is decoded back into one.
//!
//! Values are compared as the bytes of each element, so any value dtype moves through the same
//! check; stored values are never equal to the fill, so dense → sparse recovers the pattern.

use std::collections::BTreeMap;

use half::f16;
use proptest::prelude::*;
use sparsebridge_array::SparseArray;
use sparsebridge_buffer::{Buffer, Complex128, DType};
use sparsebridge_convert::engine::{ConvertOptions, EngineError, Target, convert};
use sparsebridge_convert::{ConvertError, DuplicatePolicy};
use sparsebridge_descriptor::{
    DataType, Descriptor, Format, Level, PredefinedFormat as F, ScalarType,
};

/// The value dtypes exercised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Vt {
    F64,
    F16,
    C128,
    Bint8,
    /// `iso[int32]`.
    IsoI32,
}

impl Vt {
    fn scalar(self) -> ScalarType {
        match self {
            Vt::F64 => ScalarType::Float64,
            Vt::F16 => ScalarType::Float16,
            Vt::C128 => ScalarType::ComplexFloat64,
            Vt::Bint8 => ScalarType::Bint8,
            Vt::IsoI32 => ScalarType::Int32,
        }
    }
    fn iso(self) -> bool {
        self == Vt::IsoI32
    }
    /// The bytes of the value with seed `s` (0 is the zero of the dtype).
    fn bytes(self, s: i8) -> Vec<u8> {
        match self {
            Vt::F64 => f64::from(s).to_le_bytes().to_vec(),
            Vt::F16 => f16::from_f32(f32::from(s)).to_bits().to_le_bytes().to_vec(),
            Vt::C128 => [f64::from(s), f64::from(s) / 2.0]
                .iter()
                .flat_map(|x| x.to_le_bytes())
                .collect(),
            Vt::Bint8 => vec![u8::from(s != 0)],
            Vt::IsoI32 => i32::from(s).to_le_bytes().to_vec(),
        }
    }
    /// A buffer of the values with these seeds.
    fn buffer(self, seeds: &[i8]) -> Buffer {
        match self {
            Vt::F64 => Buffer::from_vec(seeds.iter().map(|&s| f64::from(s)).collect::<Vec<_>>()),
            Vt::F16 => Buffer::from_vec(
                seeds
                    .iter()
                    .map(|&s| f16::from_f32(f32::from(s)))
                    .collect::<Vec<_>>(),
            ),
            Vt::C128 => Buffer::from_vec(
                seeds
                    .iter()
                    .map(|&s| Complex128 {
                        re: f64::from(s),
                        im: f64::from(s) / 2.0,
                    })
                    .collect::<Vec<_>>(),
            ),
            Vt::Bint8 => {
                Buffer::from_vec(seeds.iter().map(|&s| u8::from(s != 0)).collect::<Vec<_>>())
            }
            Vt::IsoI32 => Buffer::from_vec(seeds.iter().map(|&s| i32::from(s)).collect::<Vec<_>>()),
        }
    }
}

/// The seed of the iso value and of a non-zero fill (never a stored seed: those are 1..=9).
const ISO_SEED: i8 = 7;
const FILL_SEED: i8 = 11;

/// A logical array: shape, one optional seed per cell (row-major), value dtype, fill.
#[derive(Debug, Clone)]
struct Logical {
    shape: Vec<usize>,
    cells: Vec<Option<i8>>,
    vt: Vt,
    fill: bool,
}

impl Logical {
    fn fill_seed(&self) -> i8 {
        if self.fill { FILL_SEED } else { 0 }
    }
    /// The stored seed of a cell (the iso value for iso arrays).
    fn seed(&self, s: i8) -> i8 {
        if self.vt.iso() { ISO_SEED } else { s }
    }
    /// The expected decoding: stored cells (all of them for a dense format) as value bytes.
    fn expected(&self, dense: bool) -> Vec<Option<Vec<u8>>> {
        self.cells
            .iter()
            .map(|c| match c {
                Some(s) => Some(self.vt.bytes(self.seed(*s))),
                None if dense => Some(self.vt.bytes(self.fill_seed())),
                None => None,
            })
            .collect()
    }
}

/// The storage layout of a format as the test understands it, from the spec's level table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Coo,
    Compressed,
    Doubly,
    Dense,
}

/// (layout, transposed) of the formats under test.
fn layout(f: &Format) -> (Shape, bool) {
    let t = f.transpose().is_some();
    let s = match f.levels() {
        [Level::Sparse { .. }, Level::Element] => Shape::Coo,
        [
            Level::Dense { rank: 1 },
            Level::Sparse { rank: 1 },
            Level::Element,
        ] => Shape::Compressed,
        [
            Level::Sparse { rank: 1 },
            Level::Sparse { rank: 1 },
            Level::Element,
        ] => Shape::Doubly,
        l if l.iter().all(|x| !matches!(x, Level::Sparse { .. })) => Shape::Dense,
        other => panic!("layout {other:?}"),
    };
    (s, t)
}

/// Row-major strides.
fn strides(shape: &[usize]) -> Vec<usize> {
    let mut st = vec![1; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        st[d] = st[d + 1] * shape[d + 1];
    }
    st
}

fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut c = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        c[d] = i % shape[d];
        i /= shape[d];
    }
    c
}

/// An integer buffer of dtype `dt` holding `v` (the test keeps values in range).
fn ints(dt: DType, v: &[i64]) -> Buffer {
    macro_rules! b {
        ($t:ty) => {
            Buffer::from_vec(
                v.iter()
                    .map(|&x| <$t>::try_from(x).unwrap())
                    .collect::<Vec<$t>>(),
            )
        };
    }
    match dt {
        DType::U8 => b!(u8),
        DType::U16 => b!(u16),
        DType::U32 => b!(u32),
        DType::U64 => b!(u64),
        DType::I8 => b!(i8),
        DType::I16 => b!(i16),
        DType::I32 => b!(i32),
        DType::I64 => b!(i64),
        other => panic!("{other}"),
    }
}

/// An integer buffer read as i64.
fn read_ints(b: &Buffer) -> Vec<i64> {
    macro_rules! r {
        ($t:ty) => {
            b.to_vec::<$t>()
                .unwrap()
                .into_iter()
                .map(|x| i64::try_from(x).unwrap())
                .collect()
        };
    }
    match b.dtype() {
        DType::U8 => r!(u8),
        DType::U16 => r!(u16),
        DType::U32 => r!(u32),
        DType::U64 => r!(u64),
        DType::I8 => r!(i8),
        DType::I16 => r!(i16),
        DType::I32 => r!(i32),
        DType::I64 => r!(i64),
        other => panic!("{other}"),
    }
}

fn scalar_of(dt: DType) -> ScalarType {
    match dt {
        DType::U8 => ScalarType::UInt8,
        DType::U16 => ScalarType::UInt16,
        DType::U32 => ScalarType::UInt32,
        DType::U64 => ScalarType::UInt64,
        DType::I8 => ScalarType::Int8,
        DType::I16 => ScalarType::Int16,
        DType::I32 => ScalarType::Int32,
        DType::I64 => ScalarType::Int64,
        other => panic!("{other}"),
    }
}

/// Builds `format` from the logical array by plain loops over the stored order.
fn build(l: &Logical, format: &Format, idx: DType) -> SparseArray {
    let (kind, transposed) = layout(format);
    let perm: Vec<usize> = if transposed {
        vec![1, 0]
    } else {
        (0..l.shape.len()).collect()
    };
    let stored_shape: Vec<usize> = perm.iter().map(|&d| l.shape[d]).collect();
    // Entries in stored lexicographic order: (stored coordinates, seed).
    let mut entries: Vec<(Vec<usize>, i8)> = Vec::new();
    let total: usize = l.shape.iter().product();
    for i in 0..total {
        if let Some(s) = l.cells[i] {
            let c = unravel(i, &l.shape);
            entries.push((perm.iter().map(|&d| c[d]).collect(), l.seed(s)));
        }
    }
    entries.sort();
    let mut arrays: Vec<(String, Buffer)> = Vec::new();
    let seeds: Vec<i8> = entries.iter().map(|e| e.1).collect();
    let nnz;
    let values = match kind {
        Shape::Dense => {
            let mut dense = vec![l.fill_seed(); total];
            let st = strides(&stored_shape);
            for (c, s) in &entries {
                let at: usize = c.iter().zip(&st).map(|(a, b)| a * b).sum();
                dense[at] = *s;
            }
            nnz = total;
            l.vt.buffer(&dense)
        }
        _ => {
            nnz = entries.len();
            match kind {
                Shape::Coo => {
                    for d in 0..l.shape.len() {
                        let v: Vec<i64> = entries.iter().map(|e| e.0[d] as i64).collect();
                        arrays.push((format!("indices_{d}"), ints(idx, &v)));
                    }
                }
                Shape::Compressed => {
                    let mut ptr = vec![0i64; stored_shape[0] + 1];
                    for e in &entries {
                        ptr[e.0[0] + 1] += 1;
                    }
                    for k in 0..stored_shape[0] {
                        ptr[k + 1] += ptr[k];
                    }
                    let minor: Vec<i64> = entries.iter().map(|e| e.0[1] as i64).collect();
                    arrays.push(("pointers_to_1".into(), ints(idx, &ptr)));
                    arrays.push(("indices_1".into(), ints(idx, &minor)));
                }
                Shape::Doubly => {
                    let mut majors: Vec<i64> = Vec::new();
                    let mut ptr = vec![0i64];
                    for (k, e) in entries.iter().enumerate() {
                        if majors.last() != Some(&(e.0[0] as i64)) {
                            if k > 0 {
                                ptr.push(k as i64);
                            }
                            majors.push(e.0[0] as i64);
                        }
                    }
                    if !entries.is_empty() {
                        ptr.push(entries.len() as i64);
                    }
                    let minor: Vec<i64> = entries.iter().map(|e| e.0[1] as i64).collect();
                    arrays.push(("indices_0".into(), ints(idx, &majors)));
                    arrays.push(("pointers_to_1".into(), ints(idx, &ptr)));
                    arrays.push(("indices_1".into(), ints(idx, &minor)));
                }
                Shape::Dense => unreachable!(),
            }
            if l.vt.iso() {
                l.vt.buffer(&[ISO_SEED])
            } else {
                l.vt.buffer(&seeds)
            }
        }
    };
    arrays.push(("values".into(), values));
    let iso = l.vt.iso() && kind != Shape::Dense;
    let mut b = Descriptor::builder(
        format.clone(),
        l.shape.iter().map(|&e| e as u64).collect(),
        nnz as u64,
        DataType {
            scalar: l.vt.scalar(),
            iso,
        },
    )
    .index_type(scalar_of(idx))
    .extension_types(true);
    if l.fill {
        b = b.fill(DataType::new(l.vt.scalar()));
        arrays.push(("fill_value".into(), l.vt.buffer(&[FILL_SEED])));
    }
    SparseArray::try_new(b.build().unwrap(), arrays).unwrap()
}

/// Decodes any array under test into its logical cells (value bytes; `None` when unstored).
// `k` indexes several parallel arrays at once.
#[allow(clippy::needless_range_loop)]
fn decode(a: &SparseArray) -> Vec<Option<Vec<u8>>> {
    let d = a.descriptor();
    let shape: Vec<usize> = d.shape().iter().map(|&e| e as usize).collect();
    let (kind, transposed) = layout(d.format());
    let perm: Vec<usize> = if transposed {
        vec![1, 0]
    } else {
        (0..shape.len()).collect()
    };
    let stored_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let values = a.array("values").unwrap();
    let size = values.dtype().size();
    let bytes = values.as_bytes().unwrap();
    let value = |k: usize| -> Vec<u8> {
        let k = if d.value_type().iso { 0 } else { k };
        bytes[k * size..(k + 1) * size].to_vec()
    };
    let total: usize = shape.iter().product();
    let st = strides(&shape);
    let mut out: Vec<Option<Vec<u8>>> = vec![None; total];
    let mut put = |stored: &[usize], k: usize| {
        let mut flat = 0;
        for (j, &c) in stored.iter().enumerate() {
            assert!(c < stored_shape[j], "index {c} out of bounds");
            flat += c * st[perm[j]];
        }
        assert!(out[flat].is_none(), "duplicate entry at {stored:?}");
        out[flat] = Some(value(k));
    };
    let arr = |n: &str| read_ints(a.array(n).unwrap());
    match kind {
        Shape::Dense => {
            assert_eq!(values.len(), total);
            for k in 0..total {
                put(&unravel(k, &stored_shape), k);
            }
        }
        Shape::Coo => {
            let idx: Vec<Vec<i64>> = (0..shape.len())
                .map(|j| arr(&format!("indices_{j}")))
                .collect();
            let nnz = idx.first().map_or(0, Vec::len);
            for k in 0..nnz {
                let c: Vec<usize> = idx.iter().map(|v| v[k] as usize).collect();
                put(&c, k);
            }
        }
        Shape::Compressed => {
            let (ptr, minor) = (arr("pointers_to_1"), arr("indices_1"));
            assert_eq!(ptr.len(), stored_shape[0] + 1);
            for m in 0..stored_shape[0] {
                for k in ptr[m] as usize..ptr[m + 1] as usize {
                    put(&[m, minor[k] as usize], k);
                }
            }
        }
        Shape::Doubly => {
            let (majors, ptr, minor) = (arr("indices_0"), arr("pointers_to_1"), arr("indices_1"));
            for (j, &m) in majors.iter().enumerate() {
                assert!(ptr[j + 1] > ptr[j], "empty stored row");
                for k in ptr[j] as usize..ptr[j + 1] as usize {
                    put(&[m as usize, minor[k] as usize], k);
                }
            }
        }
    }
    out
}

fn coo_nd(rank: usize) -> Format {
    Format::new(vec![Level::Sparse { rank }, Level::Element], None).unwrap()
}

/// n-d dense as one `dense(rank)` level (the other spelling is `rank` `dense(1)` levels).
fn dense_one_level(rank: usize) -> Format {
    Format::new(vec![Level::Dense { rank }, Level::Element], None).unwrap()
}

/// The formats of each rank under test.
fn formats(rank: usize) -> Vec<Format> {
    match rank {
        1 => vec![F::Cvec.into(), F::Dvec.into(), dense_one_level(1)],
        2 => vec![
            F::Coor.into(),
            F::Cooc.into(),
            F::Csr.into(),
            F::Csc.into(),
            F::Dcsr.into(),
            F::Dcsc.into(),
            F::Dmatr.into(),
            F::Dmatc.into(),
            dense_one_level(2),
        ],
        r => vec![
            coo_nd(r),
            Target::dense_nd(r).unwrap().format,
            dense_one_level(r),
        ],
    }
}

const INDEX: [DType; 5] = [DType::U8, DType::I16, DType::U32, DType::I64, DType::I8];
const TARGET_INDEX: [Option<ScalarType>; 5] = [
    None,
    Some(ScalarType::UInt8),
    Some(ScalarType::Int32),
    Some(ScalarType::UInt64),
    Some(ScalarType::Int64),
];
const VTS: [Vt; 5] = [Vt::F64, Vt::F16, Vt::C128, Vt::Bint8, Vt::IsoI32];

fn logical_strategy() -> impl Strategy<Value = Logical> {
    let shape = prop_oneof![
        proptest::collection::vec(0usize..=6, 1),
        proptest::collection::vec(0usize..=5, 2),
        proptest::collection::vec(0usize..=5, 2),
        proptest::collection::vec(0usize..=3, 3),
        proptest::collection::vec(0usize..=2, 4),
    ];
    (shape, 0usize..5, any::<bool>(), 0u8..4).prop_flat_map(|(shape, vt, fill, density)| {
        let total: usize = shape.iter().product();
        let vt = VTS[vt];
        // Density: empty, sparse, half, full (all in one row/column happen at small shapes).
        let cell = match density {
            0 => Just(None).boxed(),
            1 => prop_oneof![4 => Just(None), 1 => (1i8..=9).prop_map(Some)].boxed(),
            2 => prop_oneof![1 => Just(None), 1 => (1i8..=9).prop_map(Some)].boxed(),
            _ => (1i8..=9).prop_map(Some).boxed(),
        };
        proptest::collection::vec(cell, total).prop_map(move |cells| Logical {
            shape: shape.clone(),
            cells,
            vt,
            // bint8 has only one non-zero value, so a non-zero fill would equal stored values.
            fill: fill && vt != Vt::Bint8,
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2500))]
    #[test]
    fn every_pair_matches_the_oracle(
        l in logical_strategy(),
        s in 0usize..9, t in 0usize..9, si in 0usize..5, ti in 0usize..5, wide_ptr in any::<bool>(),
    ) {
        let fs = formats(l.shape.len());
        let (src_f, dst_f) = (&fs[s % fs.len()], &fs[t % fs.len()]);
        let src = build(&l, src_f, INDEX[si]);
        prop_assert_eq!(decode(&src), l.expected(layout(src_f).0 == Shape::Dense), "the oracle's own build");
        let target = Target {
            format: dst_f.clone(),
            index_type: TARGET_INDEX[ti],
            pointer_type: wide_ptr.then_some(ScalarType::Int64),
        };
        let out = convert(&src, &target, &ConvertOptions::default())
            .unwrap_or_else(|e| panic!("{src_f:?} -> {dst_f:?}: {e}"));
        prop_assert_eq!(out.array.descriptor().format(), dst_f);
        let dense_target = layout(dst_f).0 == Shape::Dense;
        prop_assert_eq!(decode(&out.array), l.expected(dense_target));
        // Index dtypes as requested (pointers: the pointer type, else the index type).
        for (name, b) in out.array.arrays() {
            let want = if name.starts_with("pointers") {
                target.pointer_type.or(target.index_type)
            } else if name.starts_with("indices") {
                target.index_type
            } else {
                None
            };
            if let Some(w) = want {
                prop_assert_eq!(scalar_of(b.dtype()), w, "{}", name);
            }
        }
        // Fill carried, nnz right, and the output canonical from scratch.
        prop_assert_eq!(out.array.descriptor().fill(), l.fill);
        let stored = l.cells.iter().filter(|c| c.is_some()).count();
        let want_nnz = if dense_target { l.cells.len() } else { stored };
        prop_assert_eq!(out.array.nnz(), want_nnz as u64);
        let (d, arrays) = out.array.clone().into_parts();
        SparseArray::try_new(d, arrays).unwrap().validate_full().unwrap();
        if src_f == dst_f && TARGET_INDEX[ti].is_none() && !wide_ptr {
            prop_assert!(!out.copied, "same format and dtypes must share");
        }
    }
}

/// A 2-D array with one entry at column 300, in `format`, with int32 indices.
fn wide(format: F) -> SparseArray {
    let mut cells = vec![None; 301];
    cells[300] = Some(3);
    let l = Logical {
        shape: vec![1, 301],
        cells,
        vt: Vt::F64,
        fill: false,
    };
    build(&l, &format.into(), DType::I32)
}

#[test]
fn narrowing_that_does_not_fit_names_the_array() {
    for src in [F::Coor, F::Csr, F::Dcsc, F::Dmatr, F::Dmatc] {
        for dst in [F::Csr, F::Coor, F::Dcsr, F::Cooc] {
            let err = convert(
                &wide(src),
                &Target::format(dst).with_index_type(ScalarType::UInt8),
                &ConvertOptions::default(),
            )
            .unwrap_err();
            // The array named is the one whose value does not fit (in the source or the
            // intermediate layout, depending on the path): some index array holding column 300.
            match err {
                EngineError::Convert(ConvertError::DoesNotFit {
                    array,
                    value,
                    dtype,
                    ..
                }) => {
                    assert!(array.starts_with("indices_"), "{src} -> {dst}: {array}");
                    assert_eq!((value, dtype), (300, "uint8"), "{src} -> {dst}");
                }
                other => panic!("{src} -> {dst}: {other}"),
            }
            // uint16 holds it.
            let ok = convert(
                &wide(src),
                &Target::format(dst).with_index_type(ScalarType::UInt16),
                &ConvertOptions::default(),
            )
            .unwrap();
            assert_eq!(decode(&ok.array)[300], Some(3f64.to_le_bytes().to_vec()));
        }
    }
}

#[test]
fn zero_copy_paths_share_buffers() {
    let mut cells = vec![None; 12];
    for (i, s) in [(0, 1), (2, 2), (5, 3), (11, 4)] {
        cells[i] = Some(s);
    }
    let l = Logical {
        shape: vec![3, 4],
        cells,
        vt: Vt::F64,
        fill: false,
    };
    let shares = |a: &SparseArray, b: &SparseArray, name: &str| {
        a.array(name)
            .unwrap()
            .shares_memory_with(b.array(name).unwrap())
    };
    let opts = ConvertOptions::default();
    for (src, dst) in [
        (F::Coor, F::Csr),
        (F::Csr, F::Coor),
        (F::Dcsr, F::Csr),
        (F::Csr, F::Dcsr),
        (F::Cooc, F::Csc),
        (F::Dcsc, F::Csc),
    ] {
        let a = build(&l, &src.into(), DType::I32);
        let out = convert(&a, &Target::format(dst), &opts).unwrap();
        assert!(shares(&a, &out.array, "indices_1"), "{src} -> {dst}");
        assert!(shares(&a, &out.array, "values"), "{src} -> {dst}");
    }
    for f in [F::Dmatr, F::Dcsc, F::Cvec, F::Dvec] {
        let l1 = if f.rank() == 1 {
            Logical {
                shape: vec![12],
                ..l.clone()
            }
        } else {
            l.clone()
        };
        let a = build(&l1, &f.into(), DType::U8);
        let out = convert(
            &a,
            &Target::format(f),
            &ConvertOptions {
                copy: Some(false),
                ..ConvertOptions::default()
            },
        )
        .unwrap();
        assert!(!out.copied && shares(&a, &out.array, "values"), "{f}");
    }
    // A dense target needs new memory: copy=false refuses it.
    let a = build(&l, &F::Csr.into(), DType::I32);
    let err = convert(
        &a,
        &Target::format(F::Dmatr),
        &ConvertOptions {
            copy: Some(false),
            ..ConvertOptions::default()
        },
    )
    .unwrap_err();
    assert!(matches!(err, EngineError::CopyRequired { .. }), "{err}");
}

#[test]
fn dense_drops_entries_equal_to_the_fill() {
    // DVEC [2, 0, 2, -0.0, 5] with fill 2: the stored entries are 0 (index 1), -0.0 (3), 5 (4).
    let d = Descriptor::builder(F::Dvec, vec![5], 5, ScalarType::Float64.into())
        .fill(ScalarType::Float64.into())
        .build()
        .unwrap();
    let a = SparseArray::try_new(
        d,
        [
            (
                "values",
                Buffer::from_vec(vec![2.0f64, 0.0, 2.0, -0.0, 5.0]),
            ),
            ("fill_value", Buffer::from_vec(vec![2.0f64])),
        ],
    )
    .unwrap();
    let out = convert(&a, &Target::format(F::Cvec), &ConvertOptions::default()).unwrap();
    assert_eq!(
        read_ints(out.array.array("indices_0").unwrap()),
        vec![1, 3, 4]
    );
    assert_eq!(out.array.array("indices_0").unwrap().dtype(), DType::I64);
    assert_eq!(
        out.array.array("values").unwrap().to_vec::<f64>().unwrap(),
        vec![0.0, -0.0, 5.0]
    );
    // Without a fill, zeros (and -0.0) are dropped.
    let d = Descriptor::builder(F::Dvec, vec![5], 5, ScalarType::Float64.into())
        .build()
        .unwrap();
    let a = SparseArray::try_new(
        d,
        [(
            "values",
            Buffer::from_vec(vec![2.0f64, 0.0, f64::NAN, -0.0, 5.0]),
        )],
    )
    .unwrap();
    let out = convert(&a, &Target::format(F::Cvec), &ConvertOptions::default()).unwrap();
    assert_eq!(
        read_ints(out.array.array("indices_0").unwrap()),
        vec![0, 2, 4]
    );
    // And back: the fill (zero) at unstored positions; NaN kept.
    let back = convert(
        &out.array,
        &Target::format(F::Dvec),
        &ConvertOptions::default(),
    )
    .unwrap();
    let v = back.array.array("values").unwrap().to_vec::<f64>().unwrap();
    assert_eq!((v[0], v[1], v[3], v[4]), (2.0, 0.0, 0.0, 5.0));
    assert!(v[2].is_nan());
}

#[test]
fn structure_refuses_sparse_to_dense() {
    let d = Descriptor::builder(F::Csr, vec![2, 2], 1, ScalarType::Float64.into())
        .index_type(ScalarType::Int32)
        .structure("symmetric_lower".parse().unwrap())
        .build()
        .unwrap();
    let a = SparseArray::try_new(
        d,
        [
            ("pointers_to_1", Buffer::from_vec(vec![0i32, 0, 1])),
            ("indices_1", Buffer::from_vec(vec![0i32])),
            ("values", Buffer::from_vec(vec![1.0f64])),
        ],
    )
    .unwrap();
    let err = convert(&a, &Target::format(F::Dmatr), &ConvertOptions::default()).unwrap_err();
    assert!(matches!(err, EngineError::Unsupported(_)), "{err}");
    // Sparse to sparse keeps it.
    let ok = convert(&a, &Target::format(F::Dcsc), &ConvertOptions::default()).unwrap();
    assert!(ok.array.descriptor().structure().is_some());
}

#[test]
fn ranks_must_agree() {
    let l = Logical {
        shape: vec![4],
        cells: vec![Some(1), None, None, Some(2)],
        vt: Vt::F64,
        fill: false,
    };
    let a = build(&l, &F::Cvec.into(), DType::I32);
    let err = convert(&a, &Target::format(F::Csr), &ConvertOptions::default()).unwrap_err();
    assert!(matches!(err, EngineError::Unsupported(_)), "{err}");
}

// ---- Canonicalization -------------------------------------------------------------------

/// A non-canonical source: logical coordinates with seeds, in input order (duplicates allowed).
#[derive(Debug, Clone)]
struct Raw {
    shape: Vec<usize>,
    entries: Vec<(Vec<usize>, i8)>,
    vt: Vt,
}

/// Builds an unsorted COO (stored order of `format`) or CSR/CSC (grouped by major, unsorted
/// and duplicated within each group) from `raw`, bypassing validation (try_new is O(1)).
/// Every index array has dtype `idx`, except the last one of `format` (`indices_{rank-1}`,
/// or `pointers_to_1` of CSR/CSC), which has dtype `idx2`.
fn build_raw(raw: &Raw, format: &Format, idx: DType, idx2: DType) -> SparseArray {
    let (kind, transposed) = layout(format);
    let perm: Vec<usize> = if transposed {
        vec![1, 0]
    } else {
        (0..raw.shape.len()).collect()
    };
    let stored: Vec<(Vec<usize>, i8)> = raw
        .entries
        .iter()
        .map(|(c, s)| (perm.iter().map(|&d| c[d]).collect(), *s))
        .collect();
    let mut arrays: Vec<(String, Buffer)> = Vec::new();
    let ordered: Vec<(Vec<usize>, i8)> = match kind {
        Shape::Coo => {
            let rank = raw.shape.len();
            for d in 0..rank {
                let v: Vec<i64> = stored.iter().map(|e| e.0[d] as i64).collect();
                let dt = if d + 1 == rank { idx2 } else { idx };
                arrays.push((format!("indices_{d}"), ints(dt, &v)));
            }
            stored
        }
        Shape::Compressed => {
            // Stable grouping by major keeps the input order within each row.
            let mut grouped = stored;
            grouped.sort_by_key(|e| e.0[0]);
            let major = raw.shape[perm[0]];
            let mut ptr = vec![0i64; major + 1];
            for e in &grouped {
                ptr[e.0[0] + 1] += 1;
            }
            for k in 0..major {
                ptr[k + 1] += ptr[k];
            }
            let minor: Vec<i64> = grouped.iter().map(|e| e.0[1] as i64).collect();
            arrays.push(("pointers_to_1".into(), ints(idx2, &ptr)));
            arrays.push(("indices_1".into(), ints(idx, &minor)));
            grouped
        }
        other => panic!("{other:?}"),
    };
    let seeds: Vec<i8> = ordered.iter().map(|e| e.1).collect();
    let values = if raw.vt.iso() {
        raw.vt.buffer(&[ISO_SEED])
    } else {
        raw.vt.buffer(&seeds)
    };
    arrays.push(("values".into(), values));
    let mut b = Descriptor::builder(
        format.clone(),
        raw.shape.iter().map(|&e| e as u64).collect(),
        ordered.len() as u64,
        DataType {
            scalar: raw.vt.scalar(),
            iso: raw.vt.iso(),
        },
    )
    .index_type(scalar_of(idx))
    .extension_types(true);
    for (n, a) in &arrays {
        if n != "values" {
            b = b.array_type(n.clone(), DataType::new(scalar_of(a.dtype())));
        }
    }
    SparseArray::try_new(b.build().unwrap(), arrays).unwrap()
}

/// The oracle: `BTreeMap` accumulation keyed by stored-order coordinates (the canonical order),
/// summing seeds per the dtype (bint8: OR; iso: any duplicate is an error). Returns the logical
/// cells, or the logical coordinates of the first duplicate in canonical order.
fn accumulate(raw: &Raw, transposed: bool, sum: bool) -> Result<Vec<Option<Vec<u8>>>, Vec<usize>> {
    let key = |c: &Vec<usize>| -> Vec<usize> {
        if transposed {
            vec![c[1], c[0]]
        } else {
            c.clone()
        }
    };
    let mut map: BTreeMap<Vec<usize>, (Vec<usize>, usize, i64)> = BTreeMap::new();
    for (c, s) in &raw.entries {
        let slot = map.entry(key(c)).or_insert((c.clone(), 0, 0));
        slot.1 += 1;
        slot.2 += i64::from(*s);
    }
    if let Some((_, (c, _, _))) = map.iter().find(|(_, v)| v.1 > 1)
        && (!sum || raw.vt.iso())
    {
        return Err(c.clone());
    }
    let st = strides(&raw.shape);
    let mut out = vec![None; raw.shape.iter().product()];
    for (c, _, total) in map.values() {
        let flat: usize = c.iter().zip(&st).map(|(a, b)| a * b).sum();
        let seed = if raw.vt.iso() {
            ISO_SEED
        } else {
            // Seeds are 1..=9 and few: sums stay exact in every dtype (bint8 stays true).
            i8::try_from(*total).unwrap()
        };
        out[flat] = Some(raw.vt.bytes(seed));
    }
    Ok(out)
}

fn raw_strategy() -> impl Strategy<Value = Raw> {
    let shape = prop_oneof![
        proptest::collection::vec(1usize..=5, 2),
        proptest::collection::vec(1usize..=3, 3),
        proptest::collection::vec(1usize..=6, 1),
    ];
    (shape, 0usize..5, 0usize..10).prop_flat_map(|(shape, vt, nnz)| {
        // A descriptor cannot claim more stored values than positions, duplicates included.
        let nnz = nnz.min(shape.iter().product());
        let coord: Vec<BoxedStrategy<usize>> = shape.iter().map(|&e| (0..e).boxed()).collect();
        (
            Just(shape),
            Just(VTS[vt]),
            proptest::collection::vec((coord, 1i8..=9), nnz),
        )
            .prop_map(|(shape, vt, entries)| Raw { shape, entries, vt })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]
    #[test]
    fn canonicalization_matches_btreemap_accumulation(
        raw in raw_strategy(), f in 0usize..4, t in 0usize..10, si in 0usize..4, si2 in 0usize..5,
        sum in any::<bool>(), par in any::<bool>(),
    ) {
        // Results never depend on the cutoff; 1 sends tiny inputs down the parallel paths.
        sparsebridge_convert::cpu::set_serial_cutoff(if par { 1 } else { 1 << 15 });
        let rank = raw.shape.len();
        let srcs: Vec<Format> = match rank {
            2 => vec![F::Coor.into(), F::Cooc.into(), F::Csr.into(), F::Csc.into()],
            r => vec![coo_nd(r)],
        };
        let src_f = &srcs[f % srcs.len()];
        let a = build_raw(&raw, src_f, INDEX[si], INDEX[si2]);
        let fs = formats(rank);
        // One draw in ten converts to the source's own format (canonicalization alone).
        let dst_f = if t == 9 { src_f } else { &fs[t % fs.len()] };
        let policy = if sum { DuplicatePolicy::Sum } else { DuplicatePolicy::Reject };
        let options = ConvertOptions { canonicalize: Some(policy), ..ConvertOptions::default() };
        let got = convert(&a, &Target::format(dst_f.clone()), &options);
        // bint8 sums are OR: the oracle's byte is `total != 0`, which Vt::bytes gives.
        match (accumulate(&raw, layout(src_f).1, sum), got) {
            (Ok(cells), Ok(out)) => {
                let dense = layout(dst_f).0 == Shape::Dense;
                let want: Vec<Option<Vec<u8>>> = if dense {
                    cells.into_iter().map(|c| c.or_else(|| Some(raw.vt.bytes(0)))).collect()
                } else {
                    cells
                };
                prop_assert_eq!(decode(&out.array), want);
                if dst_f == src_f {
                    // Canonicalization keeps each index array's own dtype.
                    for (n, b) in out.array.arrays() {
                        if n != "values" {
                            prop_assert_eq!(b.dtype(), a.array(n).unwrap().dtype(), "{}", n);
                        }
                    }
                }
                let (d, arrays) = out.array.clone().into_parts();
                SparseArray::try_new(d, arrays).unwrap().validate_full().unwrap();
            }
            (Err(coords), Err(EngineError::Convert(ConvertError::Duplicate { coords: got })))
                if !sum => prop_assert_eq!(got, coords),
            (Err(coords), Err(EngineError::Convert(ConvertError::IsoDuplicate { coords: got })))
                if raw.vt.iso() => prop_assert_eq!(got, coords),
            (want, got) => prop_assert!(false, "expected {:?}, got {:?}", want, got.map(|o| decode(&o.array))),
        }
        // Without a policy, a non-canonical source is the array's typed validation error.
        let strict = convert(&a, &Target::format(dst_f.clone()), &ConvertOptions::default());
        let canonical = a.validate_full().is_ok();
        prop_assert_eq!(strict.is_ok(), canonical);
        if let Err(e) = strict {
            prop_assert!(matches!(e, EngineError::Array(_)), "{}", e);
        }
    }
}

#[test]
fn canonicalization_rejects_out_of_bounds_indices() {
    let raw = Raw {
        shape: vec![3, 3],
        entries: vec![(vec![2, 1], 1), (vec![0, 1], 2)],
        vt: Vt::F64,
    };
    let a = build_raw(&raw, &F::Coor.into(), DType::I32, DType::I32);
    // Make column 1 of the second entry out of bounds: rebuild with a bad indices_1.
    let (d, mut arrays) = a.into_parts();
    for (n, b) in &mut arrays {
        if n == "indices_1" {
            *b = Buffer::from_vec(vec![1i32, 7]);
        }
    }
    let a = SparseArray::try_new(d, arrays).unwrap();
    let options = ConvertOptions {
        canonicalize: Some(DuplicatePolicy::Sum),
        ..ConvertOptions::default()
    };
    let err = convert(&a, &Target::format(F::Csr), &options).unwrap_err();
    match err {
        EngineError::Convert(ConvertError::IndexOutOfBounds {
            array,
            position,
            value,
            bound,
        }) => assert_eq!((array, position, value, bound), ("indices_1", 1, 7, 3)),
        other => panic!("{other}"),
    }
}

#[test]
fn canonicalization_sums_in_the_real_dtype() {
    // f16: 0.5 + 0.25 at (0, 1); complex: componentwise; unsorted rows.
    let d = Descriptor::builder(F::Coor, vec![2, 2], 3, ScalarType::Float16.into())
        .index_type(ScalarType::Int64)
        .extension_types(true)
        .build()
        .unwrap();
    let a = SparseArray::try_new(
        d,
        [
            ("indices_0", Buffer::from_vec(vec![1i64, 0, 0])),
            ("indices_1", Buffer::from_vec(vec![0i64, 1, 1])),
            (
                "values",
                Buffer::from_vec(vec![
                    f16::from_f32(3.0),
                    f16::from_f32(0.5),
                    f16::from_f32(0.25),
                ]),
            ),
        ],
    )
    .unwrap();
    let options = ConvertOptions {
        canonicalize: Some(DuplicatePolicy::Sum),
        ..ConvertOptions::default()
    };
    let out = convert(&a, &Target::format(F::Dmatr), &options).unwrap();
    let v: Vec<f32> = out
        .array
        .array("values")
        .unwrap()
        .to_vec::<f16>()
        .unwrap()
        .into_iter()
        .map(f16::to_f32)
        .collect();
    assert_eq!(v, vec![0.0, 0.75, 3.0, 0.0]);
}

/// A larger shuffled input (several radix buckets, parallel parts) in every 2-D source format,
/// with f64 values whose sums depend on their order (`1e16 + 1 - 1e16` is 0, `1e16 - 1e16 + 1`
/// is 1): canonicalization must sum each duplicate group in input order, like the `BTreeMap`
/// oracle here, bit for bit. Reject names the first duplicate in logical coordinates; an iso
/// source with duplicates is the typed iso error.
#[test]
fn canonicalization_sums_in_input_order_at_scale() {
    let (m, n, nnz) = (3000usize, 70usize, 120_000usize);
    let pool = [1e16, 1.0, -1e16, 0.5, 3.0, -2.25];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    let entries: Vec<((usize, usize), f64)> = (0..nnz)
        .map(|_| ((next() % m, next() % n), pool[next() % pool.len()]))
        .collect();
    let sources: [(F, bool, bool); 4] = [
        (F::Coor, false, false),
        (F::Cooc, true, false),
        (F::Csr, false, true),
        (F::Csc, true, true),
    ];
    for (fmt, transposed, compressed) in sources {
        // Stored order: (major, minor) = (row, col), or (col, row) for the column formats.
        let stored: Vec<((usize, usize), f64)> = entries
            .iter()
            .map(|&((r, c), v)| (if transposed { (c, r) } else { (r, c) }, v))
            .collect();
        let major = if transposed { n } else { m };
        let mut oracle: BTreeMap<(usize, usize), f64> = BTreeMap::new();
        for &(k, v) in &stored {
            *oracle.entry(k).or_insert(-0.0) += v;
        }
        let first_dup = {
            let mut count: BTreeMap<(usize, usize), usize> = BTreeMap::new();
            for &(k, _) in &stored {
                *count.entry(k).or_default() += 1;
            }
            let (a, b) = *count.iter().find(|(_, c)| **c > 1).unwrap().0;
            if transposed { vec![b, a] } else { vec![a, b] }
        };
        let build = |iso: bool| -> SparseArray {
            let mut arrays: Vec<(String, Buffer)> = Vec::new();
            let ordered: Vec<((usize, usize), f64)> = if compressed {
                let mut g = stored.clone();
                g.sort_by_key(|e| e.0.0); // stable: input order within each major
                let mut ptr = vec![0i64; major + 1];
                for e in &g {
                    ptr[e.0.0 + 1] += 1;
                }
                for k in 0..major {
                    ptr[k + 1] += ptr[k];
                }
                arrays.push(("pointers_to_1".into(), Buffer::from_vec(ptr)));
                let minor: Vec<i32> = g.iter().map(|e| e.0.1 as i32).collect();
                arrays.push(("indices_1".into(), Buffer::from_vec(minor)));
                g
            } else {
                let a: Vec<i32> = stored.iter().map(|e| e.0.0 as i32).collect();
                let b: Vec<i32> = stored.iter().map(|e| e.0.1 as i32).collect();
                arrays.push(("indices_0".into(), Buffer::from_vec(a)));
                arrays.push(("indices_1".into(), Buffer::from_vec(b)));
                stored.clone()
            };
            let values: Vec<f64> = if iso {
                vec![2.0]
            } else {
                ordered.iter().map(|e| e.1).collect()
            };
            arrays.push(("values".into(), Buffer::from_vec(values)));
            let mut b = Descriptor::builder(
                fmt,
                vec![m as u64, n as u64],
                nnz as u64,
                DataType {
                    scalar: ScalarType::Float64,
                    iso,
                },
            )
            .index_type(ScalarType::Int32);
            if compressed {
                b = b.array_type("pointers_to_1", DataType::new(ScalarType::Int64));
            }
            SparseArray::try_new(b.build().unwrap(), arrays).unwrap()
        };
        for cutoff in [1usize << 15, 1] {
            sparsebridge_convert::cpu::set_serial_cutoff(cutoff);
            let a = build(false);
            let opts = |p| ConvertOptions {
                canonicalize: Some(p),
                ..ConvertOptions::default()
            };
            let out = convert(&a, &Target::format(fmt), &opts(DuplicatePolicy::Sum)).unwrap();
            let arr = |name: &str| read_ints(out.array.array(name).unwrap());
            let keys: Vec<(usize, usize)> = if compressed {
                let (ptr, minor) = (arr("pointers_to_1"), arr("indices_1"));
                assert_eq!(
                    out.array.array("pointers_to_1").unwrap().dtype(),
                    DType::I64
                );
                (0..major)
                    .flat_map(|r| (ptr[r]..ptr[r + 1]).map(move |k| (r, k as usize)))
                    .map(|(r, k)| (r, minor[k] as usize))
                    .collect()
            } else {
                let (a, b) = (arr("indices_0"), arr("indices_1"));
                a.iter()
                    .zip(&b)
                    .map(|(&x, &y)| (x as usize, y as usize))
                    .collect()
            };
            assert_eq!(out.array.array("indices_1").unwrap().dtype(), DType::I32);
            let vals = out.array.array("values").unwrap().to_vec::<f64>().unwrap();
            let want_keys: Vec<(usize, usize)> = oracle.keys().copied().collect();
            let want_vals: Vec<u64> = oracle.values().map(|v| v.to_bits()).collect();
            assert_eq!(keys, want_keys, "{fmt:?} cutoff {cutoff}");
            let got_vals: Vec<u64> = vals.iter().map(|v| v.to_bits()).collect();
            assert_eq!(got_vals, want_vals, "{fmt:?} cutoff {cutoff}");

            let err =
                convert(&a, &Target::format(fmt), &opts(DuplicatePolicy::Reject)).unwrap_err();
            match err {
                EngineError::Convert(ConvertError::Duplicate { coords }) => {
                    assert_eq!(coords, first_dup, "{fmt:?}");
                }
                other => panic!("{fmt:?}: {other}"),
            }
            let err = convert(
                &build(true),
                &Target::format(fmt),
                &opts(DuplicatePolicy::Sum),
            )
            .unwrap_err();
            match err {
                EngineError::Convert(ConvertError::IsoDuplicate { coords }) => {
                    assert_eq!(coords, first_dup, "{fmt:?}");
                }
                other => panic!("{fmt:?}: {other}"),
            }
        }
    }
    sparsebridge_convert::cpu::set_serial_cutoff(1 << 15);
}
