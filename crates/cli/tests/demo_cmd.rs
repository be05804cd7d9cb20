//! `sparsebridge demo` on a small matrix: it runs end to end and its round-trip check holds.

use std::process::Command;

#[test]
fn demo_runs_small_and_checks_its_round_trip() {
    let out = Command::new(env!("CARGO_BIN_EXE_sparsebridge"))
        .args(["demo", "--n", "2000", "--nnz", "20000", "--repeat", "1"])
        .output()
        .expect("run the binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "COOR -> CSR",
        "CSR -> CSC",
        "CSR -> COOR",
        "CSC -> CSR",
        "COOR -> COOC",
    ] {
        assert!(stdout.contains(line), "missing row {line}:\n{stdout}");
    }
    assert!(
        stdout.contains("reproduces the CSR arrays: true"),
        "{stdout}"
    );
    assert!(stdout.contains("zero-copy: true"), "{stdout}");
}
