//! binsparse NPY directories: NumPy-compatible `.npy` files (checked against bytes NumPy writes),
//! both complex layouts, replacement of an existing directory, and malformed directories.

mod common;

use common::{EXAMPLES, dense, listing, scratch, write};
use sparsebridge::{Buffer, DType};
use sparsebridge_io::cli::{ConvertSettings, convert, validate};
use sparsebridge_io::npy::{read_npy, write_npy};
use sparsebridge_io::{ReadOptions, read};

/// `np.save(f, np.array([1, -2, 3], dtype='<i4'))`, byte for byte (NumPy 2.x, format 1.0).
fn numpy_i4() -> Vec<u8> {
    let mut v = b"\x93NUMPY\x01\x00v\x00".to_vec();
    let mut h = "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }".to_owned();
    h.push_str(&" ".repeat(128 - 10 - h.len() - 1));
    h.push('\n');
    v.extend_from_slice(h.as_bytes());
    for x in [1i32, -2, 3] {
        v.extend_from_slice(&x.to_le_bytes());
    }
    v
}

#[test]
fn npy_matches_numpy_bytes() {
    let dir = scratch("npy-bytes");
    let p = dir.path().join("a.npy");
    std::fs::write(&p, numpy_i4()).unwrap();
    let b = read_npy(&p).unwrap();
    assert_eq!(b.as_slice::<i32>().unwrap(), &[1, -2, 3]);
    let mut out = Vec::new();
    write_npy(&p, &Buffer::from_vec(vec![1i32, -2, 3]), &mut out).unwrap();
    // The writer pads the header to 64 bytes as NumPy does: the file is NumPy's, byte for byte.
    assert_eq!(out, numpy_i4());
}

#[test]
fn complex_values_read_in_both_layouts() {
    let dir = scratch("npy-complex");
    let src = write(dir.path(), "c.mtx", EXAMPLES[2].text);
    let out = dir.path().join("c.bsp");
    convert(&src, &out, &ConvertSettings::default()).unwrap();
    // Written interleaved (the spec's layout) ...
    let values = read_npy(&out.join("values.npy")).unwrap();
    assert_eq!(values.dtype(), DType::F64);
    assert_eq!(values.len(), 4);
    // ... and read back as complex; a native complex128 array reads the same.
    let native = values.reinterpret(DType::Complex128).unwrap();
    let mut bytes = Vec::new();
    write_npy(&out, &native, &mut bytes).unwrap();
    std::fs::write(out.join("values.npy"), bytes).unwrap();
    let a = read(&out, &ReadOptions::default()).unwrap().array;
    assert_eq!(dense(&a).2, EXAMPLES[2].dense());
}

#[test]
fn an_existing_directory_is_replaced() {
    let dir = scratch("npy-replace");
    let out = dir.path().join("x.bsp");
    let a = write(dir.path(), "a.mtx", EXAMPLES[0].text);
    let b = write(dir.path(), "b.mtx", EXAMPLES[4].text);
    convert(&a, &out, &ConvertSettings::default()).unwrap();
    convert(&b, &out, &ConvertSettings::default()).unwrap();
    let got = read(&out, &ReadOptions::default()).unwrap().array;
    assert_eq!(dense(&got).2, EXAMPLES[4].dense());
    assert_eq!(listing(dir.path()), ["a.mtx", "b.mtx", "x.bsp"]);
}

#[test]
fn malformed_directories() {
    let dir = scratch("npy-bad");
    let src = write(dir.path(), "a.mtx", EXAMPLES[0].text);
    let good = dir.path().join("good.bsp");
    convert(&src, &good, &ConvertSettings::default()).unwrap();
    let copy = |name: &str| {
        let d = dir.path().join(name);
        std::fs::create_dir(&d).unwrap();
        for f in [
            "binsparse.json",
            "indices_0.npy",
            "indices_1.npy",
            "values.npy",
        ] {
            std::fs::copy(good.join(f), d.join(f)).unwrap();
        }
        d
    };
    let truncated = copy("truncated.bsp");
    let v = std::fs::read(truncated.join("values.npy")).unwrap();
    std::fs::write(truncated.join("values.npy"), &v[..v.len() - 3]).unwrap();
    let missing = copy("missing.bsp");
    std::fs::remove_file(missing.join("indices_1.npy")).unwrap();
    let bad_json = copy("badjson.bsp");
    std::fs::write(bad_json.join("binsparse.json"), "{\"binsparse\": [").unwrap();
    let big_endian = copy("bigendian.bsp");
    let mut v = std::fs::read(big_endian.join("values.npy")).unwrap();
    let pos = v.windows(3).position(|w| w == b"<f8").unwrap();
    v[pos] = b'>';
    std::fs::write(big_endian.join("values.npy"), v).unwrap();
    let out_of_range = copy("range.bsp");
    let mut v = std::fs::read(out_of_range.join("indices_1.npy")).unwrap();
    let n = v.len();
    v[n - 8..].copy_from_slice(&99i64.to_le_bytes());
    std::fs::write(out_of_range.join("indices_1.npy"), v).unwrap();
    for (d, fragment) in [
        (&truncated, "data bytes"),
        (&missing, "missing array `indices_1`"),
        (&bad_json, "invalid binsparse descriptor"),
        (&big_endian, "little-endian"),
        (&out_of_range, "indices_1"),
    ] {
        let r = validate(d);
        assert_eq!(r.exit_code(), 1, "{r}");
        assert!(r.to_string().contains(fragment), "{r}");
        let out = dir.path().join("out.mtx");
        let before = listing(dir.path());
        assert!(convert(d, &out, &ConvertSettings::default()).is_err());
        assert!(!out.exists());
        assert_eq!(listing(dir.path()), before);
    }
}

#[test]
fn empty_matrices() {
    let dir = scratch("empty");
    for (name, text) in [
        (
            "zero_entries",
            "%%MatrixMarket matrix coordinate real general\n3 4 0\n",
        ),
        (
            "zero_size",
            "%%MatrixMarket matrix coordinate real general\n0 0 0\n",
        ),
        (
            "zero_array",
            "%%MatrixMarket matrix array real general\n0 5\n",
        ),
    ] {
        let p = write(dir.path(), &format!("{name}.mtx"), text);
        let a = read(&p, &ReadOptions::default()).unwrap().array;
        a.validate_full().unwrap();
        assert_eq!(a.nnz(), 0);
        for ext in ["bsp", "back.mtx"] {
            let out = dir.path().join(format!("{name}.{ext}"));
            convert(&p, &out, &ConvertSettings::default()).unwrap();
            let b = read(&out, &ReadOptions::default()).unwrap().array;
            assert_eq!(dense(&a), dense(&b), "{name}");
        }
    }
}

#[test]
fn non_ascii_dtype_is_an_error_not_a_panic() {
    // Found by the npy_read fuzzer: a descr starting with a multi-byte character was split
    // inside it (a panic in the reader).
    let dir = scratch("npy-non-ascii");
    let p = dir.path().join("a.npy");
    let mut bytes = numpy_i4();
    // Same header length: "<i4" (3 bytes) becomes U+0649 (2 bytes) + "b".
    let at = bytes.windows(3).position(|w| w == b"<i4").unwrap();
    bytes.splice(at..at + 3, "\u{649}b".bytes());
    std::fs::write(&p, &bytes).unwrap();
    let e = read_npy(&p).unwrap_err();
    assert!(e.to_string().contains("NPY dtype"), "{e}");
}
