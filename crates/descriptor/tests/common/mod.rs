//! Helpers shared by the integration tests (included with `mod common;`).
#![allow(dead_code)]

use sparsebridge_descriptor::{Descriptor, DescriptorError, ParseOptions, Parsed};

/// Parse with default options, panicking with the error on failure.
pub fn ok(text: &str) -> Parsed {
    Descriptor::parse(text, &ParseOptions::default())
        .unwrap_or_else(|e| panic!("expected success, got `{e}` for {text}"))
}

/// Parse in lenient mode, panicking with the error on failure.
pub fn ok_lenient(text: &str) -> Parsed {
    Descriptor::parse(text, &ParseOptions::lenient())
        .unwrap_or_else(|e| panic!("expected lenient success, got `{e}` for {text}"))
}

/// Parse with default options, panicking on success.
pub fn err(text: &str) -> DescriptorError {
    match Descriptor::parse(text, &ParseOptions::default()) {
        Ok(p) => panic!("expected an error, parsed {:?} from {text}", p.descriptor),
        Err(e) => e,
    }
}

/// Emit strictly and parse again (no warnings allowed); returns the re-parsed descriptor.
pub fn reparse(d: &Descriptor) -> Descriptor {
    let text = d.to_json_string().expect("emit");
    let again = Descriptor::parse(&text, &ParseOptions::default().with_extension_types(true))
        .unwrap_or_else(|e| panic!("strict output rejected: {e}: {text}"));
    assert!(again.warnings.is_empty(), "strict output warned: {text}");
    again.descriptor
}
