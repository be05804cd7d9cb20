//! Runs the `sparsebridge descriptor` binary on files and stdin.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sparsebridge"))
}

fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/examples")
        .join(name)
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write");
    child.wait_with_output().expect("wait")
}

fn stdout_json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).expect("stdout is JSON")
}

#[test]
fn file_prints_strict_form_and_exits_0() {
    let o = bin()
        .arg("descriptor")
        .arg(example("csc.json"))
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.stderr.is_empty());
    let v = stdout_json(&o);
    assert_eq!(
        v,
        serde_json::json!({"binsparse": {"version": "0.1", "format": "CSC", "shape": [10, 12],
            "number_of_stored_values": 20,
            "data_types": {"pointers_to_1": "uint64", "indices_1": "uint64", "values": "float32"}},
            "original_source": "https://url/of/original/file.mtx", "author": "John Doe"})
    );
}

#[test]
fn stdin_dash_and_no_argument_read_stdin() {
    let input = std::fs::read(example("csr_iso.json")).unwrap();
    for args in [&["descriptor", "-"][..], &["descriptor"][..]] {
        let o = run_stdin(args, &input);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        let v = stdout_json(&o);
        assert_eq!(v["binsparse"]["format"], "CSR");
        assert_eq!(v["binsparse"]["data_types"]["values"], "iso[int8]");
    }
}

#[test]
fn compact_output_is_one_line_and_a_fixed_point() {
    let o = bin()
        .args(["descriptor", "--compact"])
        .arg(example("lenient_binsparse_py.json"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8(o.stdout).unwrap();
    assert_eq!(out.lines().count(), 1);
    assert!(out.contains(r#""format":"CSC""#), "{out}");
    // Warnings (bool → bint8, attrs ignored) go to stderr.
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.lines().all(|l| l.starts_with("warning: ")), "{err}");
    assert!(err.contains("bint8") && err.contains("attrs"), "{err}");
    // Feeding the output back gives the same output and no warnings.
    let again = run_stdin(&["descriptor", "--compact"], out.as_bytes());
    assert_eq!(String::from_utf8(again.stdout).unwrap(), out);
    assert!(again.stderr.is_empty());
}

#[test]
fn invalid_input_exits_2_with_one_line_naming_the_key() {
    let o = bin()
        .arg("descriptor")
        .arg(example("invalid_dvec_2d.json"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        err.contains("binsparse.shape") && err.contains("[3,1]"),
        "{err}"
    );

    for (input, needle) in [
        (&b"{"[..], "malformed JSON"),
        (&b"\xff\xfe"[..], "not UTF-8"),
        (
            br#"{"binsparse": {"version": "0.1", "format": "CSR", "shape": [3, 4], "number_of_stored_values": 5,
               "data_types": {"pointers_to_1": "uint64", "indices_1": "float32", "values": "float64"}}}"#,
            "binsparse.data_types.indices_1",
        ),
        (
            br#"{"binsparse": {"version": "0.2", "format": "CSR"}}"#,
            "\"0.2\"",
        ),
    ] {
        let o = run_stdin(&["descriptor"], input);
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8(o.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(needle), "{needle}: {err}");
    }
}

#[test]
fn lenient_flag_reads_legacy_writers() {
    let path = example("legacy_finch.json");
    let strict = bin().arg("descriptor").arg(&path).output().unwrap();
    assert_eq!(strict.status.code(), Some(2));
    assert!(
        String::from_utf8(strict.stderr)
            .unwrap()
            .contains("lenient")
    );
    let o = bin()
        .args(["descriptor", "--lenient"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout_json(&o)["binsparse"]["format"], "DCSR");
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(err.lines().count(), 4, "{err}");
    // Without nnz and the arrays, a sparse descriptor cannot be normalized: exit 2, one line.
    let o = run_stdin(
        &["descriptor", "--lenient"],
        br#"{"format": "CSR", "shape": [2, 3], "data_types": {"pointers_to_1": "int8", "indices_1": "int8", "values": "int8"}}"#,
    );
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8(o.stderr).unwrap();
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(errors[0].contains("number_of_stored_values"), "{err}");
    // A legacy dense descriptor derives nnz from the shape.
    let o = run_stdin(
        &["descriptor", "--lenient", "--compact"],
        br#"{"format": "DMAT", "shape": [2, 3], "data_types": {"values": "int8"}}"#,
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        String::from_utf8(o.stdout).unwrap().trim(),
        r#"{"binsparse":{"version":"0.1","format":"DMATR","shape":[2,3],"number_of_stored_values":6,"data_types":{"values":"int8"}}}"#
    );
}

#[test]
fn oversized_input_and_missing_file() {
    let o = run_stdin(&["descriptor", "--max-bytes", "10"], &[b' '; 100]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8(o.stderr).unwrap().contains("cap"));
    let o = bin()
        .args(["descriptor", "/nonexistent/descriptor.json"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8(o.stderr).unwrap().contains("cannot open"));
}

#[test]
fn every_example_but_the_invalid_ones_is_accepted() {
    for entry in std::fs::read_dir(example("")).unwrap() {
        let path = entry.unwrap().path();
        // docs/examples also holds the C ABI example; only the descriptors are JSON.
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let o = bin()
            .args(["descriptor", "--lenient"])
            .arg(&path)
            .output()
            .unwrap();
        let expected = if name.starts_with("invalid_") { 2 } else { 0 };
        assert_eq!(
            o.status.code(),
            Some(expected),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
