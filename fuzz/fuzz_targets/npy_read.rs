//! Fuzz the NPY readers: a single `.npy` file, and a binsparse NPY directory (`binsparse.json`
//! plus constituent files, split from the input on `common::SEP`). No input may panic; an accepted
//! file or directory that passes the full structural check survives write -> read unchanged.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use sparsebridge_io::VersionSpelling;
use sparsebridge_io::npy::{read_npy, read_npy_dir, write_npy, write_npy_dir};

const NAMES: [&str; 4] = ["pointers_to_1", "indices_0", "indices_1", "values"];

fuzz_target!(|data: &[u8]| {
    let parts = common::split(data);
    if parts.len() == 1 {
        let path = common::scratch("one.npy");
        std::fs::write(&path, data).expect("scratch write");
        let Ok(buf) = read_npy(&path) else {
            return;
        };
        let mut bytes = Vec::new();
        write_npy(&path, &buf, &mut bytes).unwrap_or_else(|e| panic!("write_npy: {e}"));
        std::fs::write(&path, &bytes).expect("scratch write");
        let again = read_npy(&path).unwrap_or_else(|e| panic!("our own .npy rejected: {e}"));
        assert_eq!(buf.dtype(), again.dtype());
        assert_eq!(buf.as_bytes().unwrap(), again.as_bytes().unwrap());
        return;
    }
    let dir = common::scratch("dir");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    std::fs::write(dir.join("binsparse.json"), parts[0]).expect("scratch write");
    // Each later part is `name-index byte` + file bytes.
    for part in &parts[1..] {
        let Some((&which, body)) = part.split_first() else {
            continue;
        };
        let name = NAMES[usize::from(which) % NAMES.len()];
        std::fs::write(dir.join(format!("{name}.npy")), body).expect("scratch write");
    }
    let Ok((a, _warnings)) = read_npy_dir(&dir) else {
        return;
    };
    // binsparse readers check lengths and dtypes only (O(1) per array); the O(nnz) structural
    // check is the caller's (the CLI's `convert` and `validate` run it). It must fail with a
    // typed error, never a panic; only a valid array goes on to the round trip.
    if a.validate_full().is_err() {
        return;
    }
    let out = common::scratch("out");
    let _ = std::fs::remove_dir_all(&out);
    write_npy_dir(&a, &out, VersionSpelling::default())
        .unwrap_or_else(|e| panic!("an array read from NPY must write: {e}"));
    let (b, _) =
        read_npy_dir(&out).unwrap_or_else(|e| panic!("our own NPY directory rejected: {e}"));
    common::assert_same(&a, &b, "npy round trip");
});
