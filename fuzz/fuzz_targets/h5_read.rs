//! Fuzz the binsparse HDF5 reader (over the system libhdf5): no input may panic; an accepted
//! file that passes the full structural check survives write -> read unchanged.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use sparsebridge_io::VersionSpelling;
use sparsebridge_io::h5::{read_h5, write_h5};

fuzz_target!(|data: &[u8]| {
    let path = common::scratch("in.bsp.h5");
    std::fs::write(&path, data).expect("scratch write");
    let Ok((a, _warnings)) = read_h5(&path) else {
        return;
    };
    // binsparse readers check lengths and dtypes only (O(1) per array); the O(nnz) structural
    // check is the caller's (the CLI's `convert` and `validate` run it). It must fail with a
    // typed error, never a panic; only a valid array goes on to the round trip.
    if a.validate_full().is_err() {
        return;
    }
    let out = common::scratch("out.bsp.h5");
    write_h5(&a, &out, VersionSpelling::default())
        .unwrap_or_else(|e| panic!("an array read from HDF5 must write: {e}"));
    let (b, _) = read_h5(&out).unwrap_or_else(|e| panic!("our own HDF5 file rejected: {e}"));
    common::assert_same(&a, &b, "h5 round trip");
});
