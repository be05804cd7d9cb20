//! Reading and writing with progress bars on: the result is the same as without them, and in a
//! test (stderr is not a terminal) nothing is drawn. Covers the NPY and HDF5 paths that gained
//! bars, with arrays larger than one progress chunk (8 MiB).

use sparsebridge::{Buffer, Descriptor, PredefinedFormat, ScalarType, SparseArray};
use sparsebridge_io::{ReadOptions, WriteOptions, read, write};

fn big_csr() -> SparseArray {
    // 1 x 1_200_000 row: 1.2 M int64 indices + f64 values = 19.2 MB (> 2 chunks).
    let n: u64 = 1_200_000;
    let d = Descriptor::new(
        PredefinedFormat::Csr.into(),
        vec![1, n],
        n,
        ScalarType::Int64,
        ScalarType::Float64.into(),
    )
    .unwrap();
    SparseArray::try_new(
        d,
        [
            ("pointers_to_1", Buffer::from_vec(vec![0i64, n as i64])),
            (
                "indices_1",
                Buffer::from_vec((0..n as i64).collect::<Vec<_>>()),
            ),
            (
                "values",
                Buffer::from_vec((0..n).map(|i| i as f64 * 0.25).collect::<Vec<_>>()),
            ),
        ],
    )
    .unwrap()
}

fn round_trip(ext: &str) {
    let dir = std::env::temp_dir().join(format!("sbio-progress-{}-{ext}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let a = big_csr();
    let path = dir.join(format!("a.{ext}"));
    write(
        &a,
        &path,
        &WriteOptions {
            progress: true,
            ..WriteOptions::default()
        },
    )
    .unwrap();
    let back = read(
        &path,
        &ReadOptions {
            progress: true,
            ..ReadOptions::default()
        },
    )
    .unwrap()
    .array;
    for (name, b) in a.arrays() {
        let c = back.array(name).unwrap();
        assert_eq!(b.as_bytes().unwrap(), c.as_bytes().unwrap(), "{ext} {name}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn npy_directory_with_progress_round_trips() {
    round_trip("bsp");
}

#[cfg(feature = "hdf5")]
#[test]
fn hdf5_with_progress_round_trips() {
    round_trip("bsp.h5");
}
