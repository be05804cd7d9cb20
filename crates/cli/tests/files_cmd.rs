//! `sparsebridge convert | info | validate` on a small Matrix Market file, through the binary.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sparsebridge"))
}

#[test]
fn mtx_to_h5_and_back_with_info_and_validate() {
    let dir = std::env::temp_dir().join(format!("sb-cli-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mtx = dir.join("a.mtx");
    // 2x3 with entries (1,1)=1.5, (1,3)=-2, (2,2)=4 (1-based).
    std::fs::write(
        &mtx,
        "%%MatrixMarket matrix coordinate real general\n2 3 3\n1 1 1.5\n2 2 4\n1 3 -2\n",
    )
    .unwrap();
    let h5 = dir.join("a.bsp.h5");
    let out = bin()
        .args([
            "convert",
            mtx.to_str().unwrap(),
            h5.to_str().unwrap(),
            "--format",
            "CSC",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info = bin()
        .args(["info", h5.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert!(
        info.status.success(),
        "{}",
        String::from_utf8_lossy(&info.stderr)
    );
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(text.contains("\"CSC\""), "{text}");
    assert!(text.contains("pointers_to_1"), "{text}");
    let v = bin()
        .args(["validate", h5.to_str().unwrap()])
        .status()
        .unwrap();
    assert_eq!(v.code(), Some(0));
    let back = dir.join("b.mtx");
    let out = bin()
        .args([
            "convert",
            h5.to_str().unwrap(),
            back.to_str().unwrap(),
            "--format",
            "COOR",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&back).unwrap();
    let entries: Vec<(u32, u32, f64)> = text
        .lines()
        .filter(|l| !l.starts_with('%'))
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
            )
        })
        .collect();
    assert_eq!(entries, [(1, 1, 1.5), (1, 3, -2.0), (2, 2, 4.0)], "{text}");
    // A file with an out-of-range index: validate says invalid, convert leaves no output.
    let bad = dir.join("bad.mtx");
    std::fs::write(
        &bad,
        "%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1.0\n",
    )
    .unwrap();
    let v = bin()
        .args(["validate", bad.to_str().unwrap()])
        .status()
        .unwrap();
    assert_ne!(v.code(), Some(0));
    let target = dir.join("never.bsp.h5");
    let out = bin()
        .args(["convert", bad.to_str().unwrap(), target.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!target.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
