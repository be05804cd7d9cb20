//! The CUDA probe without a usable GPU: no libcuda, a stub "driver present, no device"
//! (gpu-without-a-gpu.md §5), a too-old driver, and a toolkit stub. The probe is cached per
//! process, so each case re-runs this test binary as a subprocess with its own LD_LIBRARY_PATH.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use sparsebridge_buffer::dlpack::export::export;
use sparsebridge_buffer::dlpack::request::ExportRequest;
use sparsebridge_buffer::{Buffer, BufferError, DType, Device, DeviceUnavailable, cuda};

/// The stub of gpu-without-a-gpu.md §5, with the driver version and `cuInit` result as knobs.
fn stub_source(version: i32, init_rc: i32) -> String {
    format!(
        r#"typedef int CUresult;
CUresult cuInit(unsigned f) {{ (void)f; return {init_rc}; }}
CUresult cuDriverGetVersion(int* v) {{ *v = {version}; return 0; }}
CUresult cuDeviceGetCount(int* n) {{ *n = 0; return 3; }}
CUresult cuGetErrorString(CUresult e, const char** s) {{ *s = e == 100 ? "no CUDA-capable device is detected" : e == 34 ? "CUDA driver is a stub library" : "?"; return 0; }}
CUresult cuGetErrorName(CUresult e, const char** s) {{ *s = e == 100 ? "CUDA_ERROR_NO_DEVICE" : e == 34 ? "CUDA_ERROR_STUB_LIBRARY" : "?"; return 0; }}
"#
    )
}

fn scratch_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sb-buffer-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create scratch dir");
    d
}

/// Builds `libcuda.so.1` from the stub into a fresh directory; `None` (with the reason printed)
/// if no C compiler is available and SPARSEBRIDGE_REQUIRE_CUDA_TOOLS is not set.
fn build_stub(name: &str, version: i32, init_rc: i32) -> Option<PathBuf> {
    let dir = scratch_dir(name);
    let src = dir.join("stub.c");
    std::fs::write(&src, stub_source(version, init_rc)).expect("write stub.c");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let out = Command::new(&cc)
        .args(["-shared", "-fPIC", "-o"])
        .arg(dir.join("libcuda.so.1"))
        .arg(&src)
        .output();
    match out {
        Ok(o) if o.status.success() => Some(dir),
        other => {
            let why = format!("cannot build the stub libcuda with {cc}: {other:?}");
            if std::env::var("SPARSEBRIDGE_REQUIRE_CUDA_TOOLS").as_deref() == Ok("1") {
                panic!("{why}");
            }
            let _ = std::io::stderr().write_all(format!("SKIPPED: {why}\n").as_bytes());
            None
        }
    }
}

/// Runs `probe_child` in a subprocess with `LD_LIBRARY_PATH=dir` and returns its output.
fn run_child(dir: &Path, expect: &str) -> String {
    let exe = std::env::current_exe().expect("current_exe");
    let out = Command::new(exe)
        .args([
            "--exact",
            "probe_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("LD_LIBRARY_PATH", dir)
        .env("SB_PROBE_EXPECT", expect)
        .output()
        .expect("spawn test binary");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "child failed:\n{text}");
    text
}

/// The subprocess body: checks that every CUDA entry point returns the expected typed error.
#[test]
#[ignore = "run as a subprocess by the other tests in this file"]
fn probe_child() {
    let expect = std::env::var("SB_PROBE_EXPECT").expect("SB_PROBE_EXPECT");
    let err = cuda::probe().expect_err("the probe must fail here");
    println!("SB_PROBE: {err}");
    if expect == "no_driver" {
        if matches!(
            err,
            DeviceUnavailable::NoDevice { .. } | DeviceUnavailable::DriverTooOld { .. }
        ) {
            println!("SB_SKIP: a libcuda is installed system-wide");
            return;
        }
        assert_eq!(
            err.to_string(),
            "no CUDA driver found (libcuda.so.1 could not be loaded)"
        );
    }
    let ok = match expect.as_str() {
        "no_driver" => matches!(err, DeviceUnavailable::NoDriver { .. }),
        "no_device" => {
            matches!(&err, DeviceUnavailable::NoDevice { detail } if detail.contains("no CUDA-capable device"))
        }
        "too_old" => matches!(
            err,
            DeviceUnavailable::DriverTooOld {
                found: 12080,
                required: 13000
            }
        ),
        "toolkit_stub" => {
            matches!(&err, DeviceUnavailable::NoDriver { detail } if detail.contains("stub"))
        }
        other => panic!("unknown expectation {other}"),
    };
    assert!(ok, "expected {expect}, got {err:?}");
    // Every CUDA entry point gives the same typed error; host work still works.
    let want = BufferError::DeviceUnavailable(err.clone());
    assert_eq!(cuda::device(0).unwrap_err(), want);
    assert!(!cuda::is_available());
    assert_eq!(
        Buffer::zeroed(DType::F32, 4, Device::Cuda(0)).unwrap_err(),
        want
    );
    assert_eq!(
        Buffer::zeroed(DType::F32, 4, Device::CudaHost).unwrap_err(),
        want
    );
    let host = Buffer::from_vec(vec![1.0f32, 2.0]);
    assert_eq!(host.to_device(Device::Cuda(0)).unwrap_err(), want);
    let req = ExportRequest::parse(None, Some((1, 3)), Some((2, 0)), None).unwrap();
    assert_eq!(export(host.clone(), &req).unwrap_err(), want);
    assert_eq!(host.to_vec::<f32>().unwrap(), vec![1.0, 2.0]);
    println!("SB_OK");
}

fn check(dir: &Path, expect: &str) {
    let out = run_child(dir, expect);
    if out.contains("SB_SKIP") {
        let _ = std::io::stderr().write_all(format!("SKIPPED {expect}: {out}\n").as_bytes());
        return;
    }
    assert!(out.contains("SB_OK"), "child did not finish:\n{out}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn no_libcuda_gives_no_driver() {
    let dir = scratch_dir("empty");
    check(&dir, "no_driver");
}

#[test]
fn stub_libcuda_gives_no_device() {
    if let Some(dir) = build_stub("stub", 13000, 100) {
        check(&dir, "no_device");
    }
}

#[test]
fn old_driver_gives_driver_too_old() {
    if let Some(dir) = build_stub("old", 12080, 100) {
        check(&dir, "too_old");
    }
}

#[test]
fn toolkit_stub_gives_no_driver() {
    if let Some(dir) = build_stub("tkstub", 13000, 34) {
        check(&dir, "toolkit_stub");
    }
}
