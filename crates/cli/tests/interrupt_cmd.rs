//! An interrupted conversion (SIGINT, as Ctrl-C sends) leaves neither the output nor any
//! temporary file behind, and exits 130; a conversion that fails leaves none either.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sparsebridge"))
}

/// A Matrix Market file large enough that converting it takes a noticeable time.
fn big_mtx(path: &Path, n: usize) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "%%MatrixMarket matrix coordinate real general").unwrap();
    writeln!(f, "{n} {n} {n}").unwrap();
    for i in 0..n {
        writeln!(f, "{} {} {}.5", i + 1, (i * 7919) % n + 1, i % 1000).unwrap();
    }
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn sigint_during_a_conversion_leaves_no_partial_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.mtx");
    big_mtx(&input, 2_000_000);
    for out_name in ["out.bsp.h5", "out.mtx", "outdir/"] {
        let out = dir.path().join(out_name.trim_end_matches('/'));
        let mut child = bin()
            .args(["convert", "--format", "CSC"])
            .arg(&input)
            .arg(dir.path().join(out_name))
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until the temporary output exists (the write has begun), then interrupt.
        let start = Instant::now();
        let mut seen_temp = false;
        while start.elapsed() < Duration::from_secs(60) {
            if entries(dir.path()).iter().any(|n| n.contains(".sbtmp.")) {
                seen_temp = true;
                break;
            }
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        // SIGINT, as a terminal's Ctrl-C sends (through kill(1): no unsafe code in tests).
        let sent = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !seen_temp && output.status.success() {
            // The conversion won the race: the complete output is there, and nothing else.
            assert!(out.exists());
            std::fs::remove_dir_all(&out)
                .or_else(|_| std::fs::remove_file(&out))
                .unwrap();
            eprintln!("{out_name}: finished before the interrupt; race not exercised");
            continue;
        }
        assert_eq!(output.status.code(), Some(130), "{out_name}: {stderr}");
        assert!(stderr.contains("interrupted"), "{stderr}");
        if out.exists() {
            // The signal came after the rename: the output is the complete one, never a part.
            let check = bin()
                .arg("validate")
                .arg(dir.path().join(out_name))
                .output()
                .unwrap();
            assert!(
                check.status.success(),
                "{out_name}: the output left is not complete and valid"
            );
            std::fs::remove_dir_all(&out)
                .or_else(|_| std::fs::remove_file(&out))
                .unwrap();
        }
        assert_eq!(
            entries(dir.path()),
            vec!["in.mtx".to_owned()],
            "{out_name}: temporaries left"
        );
    }
}

#[test]
fn a_failed_conversion_leaves_no_output_or_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.mtx");
    big_mtx(&input, 70_000);
    // 70,000 rows do not fit uint16 indices: the conversion fails after reading the input.
    let status = bin()
        .args(["convert", "--format", "CSR", "--index-type", "uint16"])
        .arg(&input)
        .arg(dir.path().join("out.bsp.h5"))
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    assert_eq!(entries(dir.path()), vec!["in.mtx".to_owned()]);
}
