//! Fuzz the descriptor reader: no input may panic, and every accepted descriptor must survive
//! emit → parse unchanged (the strict form is a fixed point of the reader).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sparsebridge_descriptor::{Descriptor, ParseOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for options in [
        ParseOptions::default(),
        ParseOptions::lenient().with_extension_types(true),
    ] {
        let Ok(parsed) = Descriptor::parse(text, &options) else {
            continue;
        };
        let d = parsed.descriptor;
        let Ok(strict) = d.to_json_string() else {
            assert!(!d.nnz_known(), "only an unknown nnz may block emission");
            continue;
        };
        let strict_options = ParseOptions::default().with_extension_types(true);
        let again = Descriptor::parse(&strict, &strict_options)
            .unwrap_or_else(|e| panic!("strict output rejected: {e}\n{strict}"));
        assert!(again.warnings.is_empty(), "strict output warned: {strict}");
        assert_eq!(
            again.descriptor, d,
            "round trip changed the descriptor: {strict}"
        );
        // Exercise the table on plausible lengths: must not panic.
        let mut lengths = sparsebridge_descriptor::ArrayLengths::new();
        for spec in d.arrays() {
            lengths.insert_pointers(spec.name.clone(), d.nnz(), Some(d.nnz()));
        }
        let _ = d.check_lengths(&lengths);
    }
});
