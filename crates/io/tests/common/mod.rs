//! Test helpers: Matrix Market examples with hand-written expected matrices, and a separately
//! written dense oracle (walks the arrays directly; shares no code with the crate).
#![allow(dead_code, clippy::needless_range_loop)]

use std::path::{Path, PathBuf};

use sparsebridge::buffer::{Complex64, Complex128};
use sparsebridge::{Buffer, DType, SparseArray};

/// A complex number as (re, im).
pub type C = (f64, f64);

/// One Matrix Market example: file text and the expected dense matrix (row-major).
pub struct Example {
    pub name: &'static str,
    pub text: &'static str,
    pub rows: usize,
    pub cols: usize,
    /// Nonzero entries (row, col, value) of the full logical matrix.
    pub entries: &'static [(usize, usize, C)],
    /// The structure the reader declares without `expand`.
    pub structure: Option<&'static str>,
}

impl Example {
    pub fn dense(&self) -> Vec<C> {
        let mut d = vec![(0.0, 0.0); self.rows * self.cols];
        for &(i, j, v) in self.entries {
            d[i * self.cols + j] = v;
        }
        d
    }
}

/// Every Matrix Market kind: coordinate × {real, integer, complex, pattern} ×
/// {general, symmetric, skew-symmetric, hermitian} where legal, plus array kinds.
pub const EXAMPLES: &[Example] = &[
    Example {
        name: "coordinate_real_general",
        text: "%%MatrixMarket matrix coordinate real general\n% a comment\n%\n3 4 4\n3 1 2.5\n1 4 -1e-3\n2 2 7\n1 1 1.0\n",
        rows: 3,
        cols: 4,
        entries: &[
            (0, 0, (1.0, 0.0)),
            (0, 3, (-0.001, 0.0)),
            (1, 1, (7.0, 0.0)),
            (2, 0, (2.5, 0.0)),
        ],
        structure: None,
    },
    Example {
        name: "coordinate_integer_general_duplicates",
        text: "%%MatrixMarket matrix coordinate integer general\n2 2 3\n1 1 3\n2 1 -4\n1 1 2\n",
        rows: 2,
        cols: 2,
        entries: &[(0, 0, (5.0, 0.0)), (1, 0, (-4.0, 0.0))],
        structure: None,
    },
    Example {
        name: "coordinate_complex_general",
        text: "%%MatrixMarket matrix coordinate complex general\n2 3 2\n1 3 1 -2\n2 1 0.5 0\n",
        rows: 2,
        cols: 3,
        entries: &[(0, 2, (1.0, -2.0)), (1, 0, (0.5, 0.0))],
        structure: None,
    },
    Example {
        name: "coordinate_pattern_general",
        text: "%%MatrixMarket matrix coordinate pattern general\n3 3 3\n1 2\n3 3\n2 1\n",
        rows: 3,
        cols: 3,
        entries: &[(0, 1, (1.0, 0.0)), (2, 2, (1.0, 0.0)), (1, 0, (1.0, 0.0))],
        structure: None,
    },
    Example {
        name: "coordinate_real_symmetric",
        text: "%%MatrixMarket matrix coordinate real symmetric\n3 3 3\n1 1 4\n2 1 1.5\n3 2 -2\n",
        rows: 3,
        cols: 3,
        entries: &[
            (0, 0, (4.0, 0.0)),
            (1, 0, (1.5, 0.0)),
            (0, 1, (1.5, 0.0)),
            (2, 1, (-2.0, 0.0)),
            (1, 2, (-2.0, 0.0)),
        ],
        structure: Some("symmetric_lower"),
    },
    Example {
        name: "coordinate_real_symmetric_upper",
        text: "%%MatrixMarket matrix coordinate real symmetric\n2 2 2\n1 2 5\n2 2 0.25\n",
        rows: 2,
        cols: 2,
        entries: &[(0, 1, (5.0, 0.0)), (1, 0, (5.0, 0.0)), (1, 1, (0.25, 0.0))],
        structure: Some("symmetric_upper"),
    },
    Example {
        name: "coordinate_integer_skew",
        text: "%%MatrixMarket matrix coordinate integer skew-symmetric\n3 3 2\n2 1 3\n3 1 -5\n",
        rows: 3,
        cols: 3,
        entries: &[
            (1, 0, (3.0, 0.0)),
            (0, 1, (-3.0, 0.0)),
            (2, 0, (-5.0, 0.0)),
            (0, 2, (5.0, 0.0)),
        ],
        structure: Some("skew_symmetric_lower"),
    },
    Example {
        name: "coordinate_real_skew",
        text: "%%MatrixMarket matrix coordinate real skew-symmetric\n2 2 1\n2 1 0.125\n",
        rows: 2,
        cols: 2,
        entries: &[(1, 0, (0.125, 0.0)), (0, 1, (-0.125, 0.0))],
        structure: Some("skew_symmetric_lower"),
    },
    Example {
        name: "coordinate_complex_hermitian",
        text: "%%MatrixMarket matrix coordinate complex hermitian\n2 2 2\n1 1 2 0\n2 1 1 1\n",
        rows: 2,
        cols: 2,
        entries: &[(0, 0, (2.0, 0.0)), (1, 0, (1.0, 1.0)), (0, 1, (1.0, -1.0))],
        structure: Some("hermitian_lower"),
    },
    Example {
        name: "coordinate_complex_symmetric",
        text: "%%MatrixMarket matrix coordinate complex symmetric\n2 2 1\n2 1 1 1\n",
        rows: 2,
        cols: 2,
        entries: &[(1, 0, (1.0, 1.0)), (0, 1, (1.0, 1.0))],
        structure: Some("symmetric_lower"),
    },
    Example {
        name: "coordinate_pattern_symmetric",
        text: "%%MatrixMarket matrix coordinate pattern symmetric\n3 3 2\n2 1\n3 3\n",
        rows: 3,
        cols: 3,
        entries: &[(1, 0, (1.0, 0.0)), (0, 1, (1.0, 0.0)), (2, 2, (1.0, 0.0))],
        structure: Some("symmetric_lower"),
    },
    Example {
        name: "coordinate_integer_symmetric",
        text: "%%MatrixMarket matrix coordinate integer symmetric\n2 2 2\n1 1 -7\n2 1 9\n",
        rows: 2,
        cols: 2,
        entries: &[(0, 0, (-7.0, 0.0)), (1, 0, (9.0, 0.0)), (0, 1, (9.0, 0.0))],
        structure: Some("symmetric_lower"),
    },
    Example {
        name: "array_real_general",
        text: "%%MatrixMarket matrix array real general\n2 3\n1\n2\n3\n4\n5\n6.5\n",
        rows: 2,
        cols: 3,
        entries: &[
            (0, 0, (1.0, 0.0)),
            (1, 0, (2.0, 0.0)),
            (0, 1, (3.0, 0.0)),
            (1, 1, (4.0, 0.0)),
            (0, 2, (5.0, 0.0)),
            (1, 2, (6.5, 0.0)),
        ],
        structure: None,
    },
    Example {
        name: "array_integer_general",
        text: "%%MatrixMarket matrix array integer general\n1 2\n-3\n0\n",
        rows: 1,
        cols: 2,
        entries: &[(0, 0, (-3.0, 0.0))],
        structure: None,
    },
    Example {
        name: "array_real_symmetric",
        text: "%%MatrixMarket matrix array real symmetric\n3 3\n1\n2\n3\n4\n5\n6\n",
        rows: 3,
        cols: 3,
        entries: &[
            (0, 0, (1.0, 0.0)),
            (1, 0, (2.0, 0.0)),
            (2, 0, (3.0, 0.0)),
            (0, 1, (2.0, 0.0)),
            (0, 2, (3.0, 0.0)),
            (1, 1, (4.0, 0.0)),
            (2, 1, (5.0, 0.0)),
            (1, 2, (5.0, 0.0)),
            (2, 2, (6.0, 0.0)),
        ],
        structure: None,
    },
    Example {
        name: "array_integer_skew",
        text: "%%MatrixMarket matrix array integer skew-symmetric\n3 3\n1\n2\n3\n",
        rows: 3,
        cols: 3,
        entries: &[
            (1, 0, (1.0, 0.0)),
            (0, 1, (-1.0, 0.0)),
            (2, 0, (2.0, 0.0)),
            (0, 2, (-2.0, 0.0)),
            (2, 1, (3.0, 0.0)),
            (1, 2, (-3.0, 0.0)),
        ],
        structure: None,
    },
    Example {
        name: "array_complex_hermitian",
        text: "%%MatrixMarket matrix array complex hermitian\n2 2\n1 0\n2 3\n4 0\n",
        rows: 2,
        cols: 2,
        entries: &[
            (0, 0, (1.0, 0.0)),
            (1, 0, (2.0, 3.0)),
            (0, 1, (2.0, -3.0)),
            (1, 1, (4.0, 0.0)),
        ],
        structure: None,
    },
];

/// Any integer buffer as usize.
fn idx(b: &Buffer) -> Vec<usize> {
    macro_rules! c {
        ($t:ty) => {
            b.as_slice::<$t>()
                .unwrap()
                .iter()
                .map(|&v| usize::try_from(v).unwrap())
                .collect()
        };
    }
    match b.dtype() {
        DType::I8 => c!(i8),
        DType::I16 => c!(i16),
        DType::I32 => c!(i32),
        DType::I64 => c!(i64),
        DType::U8 => c!(u8),
        DType::U16 => c!(u16),
        DType::U32 => c!(u32),
        DType::U64 => c!(u64),
        other => panic!("index dtype {other}"),
    }
}

/// Any value buffer as complex pairs.
fn vals(b: &Buffer) -> Vec<C> {
    match b.dtype() {
        DType::F64 => b
            .as_slice::<f64>()
            .unwrap()
            .iter()
            .map(|&v| (v, 0.0))
            .collect(),
        DType::F32 => b
            .as_slice::<f32>()
            .unwrap()
            .iter()
            .map(|&v| (f64::from(v), 0.0))
            .collect(),
        DType::I64 => b
            .as_slice::<i64>()
            .unwrap()
            .iter()
            .map(|&v| (v as f64, 0.0))
            .collect(),
        DType::I32 => b
            .as_slice::<i32>()
            .unwrap()
            .iter()
            .map(|&v| (f64::from(v), 0.0))
            .collect(),
        DType::U8 => b
            .as_slice::<u8>()
            .unwrap()
            .iter()
            .map(|&v| (f64::from(v), 0.0))
            .collect(),
        DType::Complex128 => b
            .as_slice::<Complex128>()
            .unwrap()
            .iter()
            .map(|v| (v.re, v.im))
            .collect(),
        DType::Complex64 => b
            .as_slice::<Complex64>()
            .unwrap()
            .iter()
            .map(|v| (f64::from(v.re), f64::from(v.im)))
            .collect(),
        other => panic!("value dtype {other}"),
    }
}

/// The full logical matrix (row-major), structure applied. Independent of the crate's code.
pub fn dense(a: &SparseArray) -> (usize, usize, Vec<C>) {
    let d = a.descriptor();
    let shape = d.shape();
    let (m, n) = (
        shape[0] as usize,
        if shape.len() > 1 {
            shape[1] as usize
        } else {
            1
        },
    );
    let v = vals(a.array("values").unwrap());
    let value = |k: usize| if d.value_type().iso { v[0] } else { v[k] };
    let mut out = vec![(0.0, 0.0); m * n];
    let format = d.alias().unwrap().name();
    let mut put = |i: usize, j: usize, x: C| {
        out[i * n + j] = x;
        if let Some(s) = d.structure()
            && i != j
        {
            let s = s.as_str();
            let mirror = if s.starts_with("skew") {
                (-x.0, -x.1)
            } else if s.starts_with("hermitian") {
                (x.0, -x.1)
            } else {
                x
            };
            out[j * n + i] = mirror;
        }
    };
    match format {
        "COOR" | "COOC" | "CVEC" => {
            let i0 = idx(a.array("indices_0").unwrap());
            let i1 = a
                .array("indices_1")
                .map(idx)
                .unwrap_or_else(|| vec![0; i0.len()]);
            let (r, c) = if format == "COOC" { (i1, i0) } else { (i0, i1) };
            for k in 0..r.len() {
                put(r[k], c[k], value(k));
            }
        }
        "CSR" | "CSC" => {
            let p = idx(a.array("pointers_to_1").unwrap());
            let ix = idx(a.array("indices_1").unwrap());
            for major in 0..p.len() - 1 {
                for k in p[major]..p[major + 1] {
                    if format == "CSR" {
                        put(major, ix[k], value(k));
                    } else {
                        put(ix[k], major, value(k));
                    }
                }
            }
        }
        "DMATC" => {
            for j in 0..n {
                for i in 0..m {
                    put(i, j, value(i + j * m));
                }
            }
        }
        "DMATR" | "DVEC" => {
            for i in 0..m {
                for j in 0..n {
                    put(i, j, value(i * n + j));
                }
            }
        }
        other => panic!("oracle does not know {other}"),
    }
    (m, n, out)
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("sbio-{name}-"))
        .tempdir()
        .unwrap()
}

/// Writes `text` to `dir/name`.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// The names in `dir`, sorted (to check that no temporary or partial output is left).
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}
