//! Error messages name the file (and the line, for text formats) exactly once, and the OS or
//! parser cause once: the binary prints the cause chain without repeating what a library
//! error's message already includes.

use std::path::Path;
use std::process::Command;

/// Runs the binary, expects exit status 1, returns stderr.
fn fails(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sparsebridge"))
        .args(args)
        .output()
        .expect("run the binary");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    stderr
}

fn dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("sb-cli-errors-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn once(haystack: &str, needle: &str) {
    assert_eq!(
        haystack.matches(needle).count(),
        1,
        "{needle:?} should appear exactly once in {haystack:?}"
    );
}

#[test]
fn missing_file_names_the_path_and_the_os_error_once() {
    let missing = dir().join("missing.mtx");
    let p = missing.to_str().unwrap();
    for args in [
        vec!["info", p],
        vec!["convert", p, "/tmp/sb-never-written.bsp"],
    ] {
        let stderr = fails(&args);
        assert!(stderr.starts_with("error: "), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        once(&stderr, p);
        once(&stderr, "No such file or directory");
    }
    assert!(!Path::new("/tmp/sb-never-written.bsp").exists());
}

#[test]
fn malformed_mtx_names_path_and_line_once() {
    let f = dir().join("bad.mtx");
    std::fs::write(
        &f,
        "%%MatrixMarket matrix coordinate real general\n2 2 1\n1 x 1.0\n",
    )
    .unwrap();
    let p = f.to_str().unwrap();
    let stderr = fails(&["info", p]);
    once(&stderr, p);
    once(&stderr, &format!("{p}:3:"));
    once(&stderr, "\"x\"");
}

#[test]
fn malformed_npy_descriptor_is_reported_once() {
    let d = dir().join("bad.bsp");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("binsparse.json"), "{").unwrap();
    let stderr = fails(&["info", d.to_str().unwrap()]);
    once(&stderr, d.to_str().unwrap());
    once(&stderr, "malformed JSON");
}
