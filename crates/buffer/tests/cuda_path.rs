//! The CUDA path: copies, pinned memory, DLPack export/import of device memory, and the
//! `__dlpack__(stream=…)` hand-off. Each `cuda_*` test runs where a device (a GPU, or the
//! emulator via `LD_LIBRARY_PATH=target/emu`) is present and otherwise prints `SKIPPED` with the
//! reason (written past the test harness's output capture); `SPARSEBRIDGE_REQUIRE_CUDA=1` turns a
//! skip into a failure. `fake_driver_runs_every_device_test` always runs them against a
//! memory-only fake driver (tests/fake_libcuda.c) in a subprocess, which also counts live
//! allocations (leaks, double frees) and stream waits.

use std::ffi::CStr;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use sparsebridge_buffer::cuda::{self, CudaDevice};
use sparsebridge_buffer::dlpack::export::{RawTensor, export, export_versioned};
use sparsebridge_buffer::dlpack::import::{ImportOptions, import_versioned};
use sparsebridge_buffer::dlpack::request::ExportRequest;
use sparsebridge_buffer::dlpack::{FLAG_IS_COPIED, FLAG_READ_ONLY};
use sparsebridge_buffer::{
    Buffer, BufferError, BufferMut, DType, Device, DeviceUnavailable, DlpackError,
};

/// Number of `cuda_*` tests in this file (the fake-driver run checks they all ran).
const CUDA_TESTS: usize = 10;

fn cuda_or_skip(test: &str) -> Option<Arc<CudaDevice>> {
    match cuda::device(0) {
        Ok(d) => Some(d),
        Err(e) => {
            if std::env::var("SPARSEBRIDGE_REQUIRE_CUDA").as_deref() == Ok("1") {
                panic!("{test}: SPARSEBRIDGE_REQUIRE_CUDA=1 but CUDA is unavailable: {e}");
            }
            // Not `eprintln!`: the harness captures that for passing tests.
            let _ = std::io::stderr().write_all(format!("SKIPPED {test}: {e}\n").as_bytes());
            None
        }
    }
}

/// A counter exported by the fake driver, if that is the loaded libcuda.
fn fake(name: &CStr) -> Option<i64> {
    // SAFETY: RTLD_NOLOAD only returns an already loaded library; dlsym looks a name up; the
    // fake's counters are `long long f(void)`.
    unsafe {
        let h = libc::dlopen(c"libcuda.so.1".as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD);
        if h.is_null() {
            return None;
        }
        let f = libc::dlsym(h, name.as_ptr());
        if f.is_null() {
            return None;
        }
        let f: unsafe extern "C" fn() -> i64 = std::mem::transmute(f);
        Some(f())
    }
}

/// Under the fake driver the counters must be reachable (else the leak checks would be vacuous).
fn expect_fake_counters() {
    if std::env::var_os("SB_IN_FAKE_DRIVER").is_some() {
        assert!(
            fake(c"sbfake_live").is_some(),
            "fake driver counters not found"
        );
    }
}

fn pattern(dtype: DType, n: usize) -> Buffer {
    let mut m = BufferMut::zeroed(dtype, n).unwrap();
    for (i, b) in m.as_bytes_mut().iter_mut().enumerate() {
        *b = if dtype == DType::Bool {
            (i % 2) as u8
        } else {
            (i * 13 + 1) as u8
        };
    }
    m.freeze()
}

#[test]
fn cuda_device_identity() {
    let Some(dev) = cuda_or_skip("cuda_device_identity") else {
        return;
    };
    let name = dev.name().unwrap();
    eprintln!("cuda_device_identity: device 0 is {name:?}");
    assert!(!name.is_empty());
    assert_eq!(dev.ordinal(), 0);
    assert!(
        Arc::ptr_eq(&dev, &cuda::device(0).unwrap()),
        "one cached device per ordinal"
    );
    let count = cuda::probe().unwrap().device_count;
    assert_eq!(
        cuda::device(u16::try_from(count).unwrap()).unwrap_err(),
        BufferError::DeviceUnavailable(DeviceUnavailable::NoSuchDevice {
            ordinal: count as u16,
            count
        })
    );
}

#[test]
fn cuda_host_device_round_trip_every_dtype() {
    let Some(_dev) = cuda_or_skip("cuda_host_device_round_trip_every_dtype") else {
        return;
    };
    for dt in DType::ALL {
        let h = pattern(dt, 1001);
        let d = h.to_device(Device::Cuda(0)).unwrap();
        assert_eq!(
            (d.device(), d.dtype(), d.len()),
            (Device::Cuda(0), dt, 1001)
        );
        assert_eq!(
            d.as_bytes().unwrap_err(),
            BufferError::NotHostAccessible {
                device: Device::Cuda(0)
            }
        );
        let back = d.to_device(Device::Cpu).unwrap();
        assert_eq!(back.as_bytes().unwrap(), h.as_bytes().unwrap(), "{dt}");
        // A slice of device memory copies just its window.
        let s = d.slice(10, 5).unwrap().copy_to(Device::Cpu).unwrap();
        assert_eq!(
            s.as_bytes().unwrap(),
            h.slice(10, 5).unwrap().as_bytes().unwrap()
        );
    }
}

#[test]
fn cuda_pinned_and_device_to_device() {
    let Some(_dev) = cuda_or_skip("cuda_pinned_and_device_to_device") else {
        return;
    };
    let h = Buffer::from_vec((0..4096u32).collect::<Vec<_>>());
    let pinned = h.to_device(Device::CudaHost).unwrap();
    assert_eq!(pinned.device(), Device::CudaHost);
    assert_eq!(
        pinned.as_slice::<u32>().unwrap(),
        h.as_slice::<u32>().unwrap()
    );
    let d = pinned.to_device(Device::Cuda(0)).unwrap();
    let d2 = d.copy_to(Device::Cuda(0)).unwrap();
    assert_ne!(d2.cuda_ptr().unwrap(), d.cuda_ptr().unwrap());
    drop(d);
    let p2 = d2.to_device(Device::CudaHost).unwrap();
    assert_eq!(
        p2.to_vec::<u32>().unwrap(),
        (0..4096u32).collect::<Vec<_>>()
    );
    assert_eq!(
        d2.to_vec::<u32>().unwrap(),
        (0..4096u32).collect::<Vec<_>>()
    );
}

#[test]
fn cuda_zeroed_is_zero() {
    let Some(_dev) = cuda_or_skip("cuda_zeroed_is_zero") else {
        return;
    };
    let d = Buffer::zeroed(DType::F64, 333, Device::Cuda(0)).unwrap();
    assert_eq!(d.to_vec::<f64>().unwrap(), vec![0.0; 333]);
    let e = Buffer::zeroed(DType::F64, 0, Device::Cuda(0)).unwrap();
    assert!(e.to_vec::<f64>().unwrap().is_empty());
}

#[test]
fn cuda_export_import_zero_copy() {
    let Some(_dev) = cuda_or_skip("cuda_export_import_zero_copy") else {
        return;
    };
    let d = Buffer::from_vec(vec![1.5f32, 2.5, 3.5])
        .to_device(Device::Cuda(0))
        .unwrap();
    let t = export_versioned(d.clone()).unwrap();
    let tensor = t.tensor();
    assert_eq!(
        (tensor.device.device_type.0, tensor.device.device_id),
        (2, 0)
    );
    assert_eq!(tensor.data as u64, d.cuda_ptr().unwrap());
    assert_eq!(t.flags(), FLAG_READ_ONLY);
    let RawTensor::Versioned(raw) = t.into_raw() else {
        panic!("versioned")
    };
    // SAFETY: our own export, handed over once.
    let imp = unsafe { import_versioned(raw, &ImportOptions::default()) }.unwrap();
    assert_eq!(imp.buffer.device(), Device::Cuda(0));
    assert_eq!(imp.buffer.cuda_ptr().unwrap(), d.cuda_ptr().unwrap());
    assert_eq!(imp.buffer.to_vec::<f32>().unwrap(), vec![1.5, 2.5, 3.5]);
    // copy=True on device data copies on the device.
    let opts = ImportOptions {
        copy: Some(true),
        allow_2d: false,
    };
    let RawTensor::Versioned(raw) = export_versioned(d.clone()).unwrap().into_raw() else {
        panic!()
    };
    // SAFETY: our own export, handed over once.
    let c = unsafe { import_versioned(raw, &opts) }.unwrap();
    assert!(c.copied);
    assert_ne!(c.buffer.cuda_ptr().unwrap(), d.cuda_ptr().unwrap());
    assert_eq!(c.buffer.to_vec::<f32>().unwrap(), vec![1.5, 2.5, 3.5]);
}

#[test]
fn cuda_stream_handoff() {
    let Some(dev) = cuda_or_skip("cuda_stream_handoff") else {
        return;
    };
    expect_fake_counters();
    let consumer = dev.context().new_stream().unwrap();
    let handle = consumer.cu_stream() as i64;
    let d = Buffer::from_vec((0..256i64).collect::<Vec<_>>())
        .to_device(Device::Cuda(0))
        .unwrap();
    // Queue more work on our stream (a device copy), then hand the copy to the consumer stream.
    let d2 = d.copy_to(Device::Cuda(0)).unwrap();
    let waits = fake(c"sbfake_waits");
    let req = ExportRequest::parse(Some(handle), Some((1, 3)), None, None).unwrap();
    let t = export(d2, &req).unwrap();
    if let Some(before) = waits {
        assert_eq!(
            fake(c"sbfake_waits"),
            Some(before + 1),
            "one cuStreamWaitEvent"
        );
        assert_eq!(
            fake(c"sbfake_last_wait_stream"),
            Some(handle),
            "on the consumer's stream"
        );
    }
    // The consumer reads on its own stream.
    let mut out = vec![0i64; 256];
    // SAFETY: the exported tensor keeps 256 i64 of device memory alive until it drops.
    unsafe {
        cudarc::driver::result::memcpy_dtoh_async(
            &mut out,
            t.tensor().data as u64,
            consumer.cu_stream(),
        )
        .unwrap();
    }
    consumer.synchronize().unwrap();
    assert_eq!(out, (0..256i64).collect::<Vec<_>>());
    drop(t);
    // stream=-1: no synchronisation at all; stream=0: rejected.
    let waits = fake(c"sbfake_waits");
    let req = ExportRequest::parse(Some(-1), Some((1, 3)), None, None).unwrap();
    drop(export(d.clone(), &req).unwrap());
    assert_eq!(fake(c"sbfake_waits"), waits);
    let req = ExportRequest::parse(Some(0), Some((1, 3)), None, None).unwrap();
    assert!(matches!(
        export(d.clone(), &req),
        Err(BufferError::Dlpack(DlpackError::InvalidStream {
            stream: 0,
            ..
        }))
    ));
    // stream=None on CUDA data means the legacy default stream (handle 1).
    let req = ExportRequest::parse(None, Some((1, 3)), None, None).unwrap();
    drop(export(d, &req).unwrap());
    if waits.is_some() {
        assert_eq!(fake(c"sbfake_last_wait_stream"), Some(1));
    }
}

#[test]
fn cuda_export_to_other_devices_copies() {
    let Some(_dev) = cuda_or_skip("cuda_export_to_other_devices_copies") else {
        return;
    };
    let d = Buffer::from_vec(vec![7u16, 8, 9])
        .to_device(Device::Cuda(0))
        .unwrap();
    // CUDA data to a CPU consumer (dl_device=(1, 0)): a host copy with IS_COPIED.
    let req = ExportRequest::parse(None, Some((1, 3)), Some((1, 0)), None).unwrap();
    let t = export(d.clone(), &req).unwrap();
    assert_eq!(t.flags(), FLAG_IS_COPIED);
    assert_eq!(
        (t.tensor().device.device_type.0, t.tensor().device.device_id),
        (1, 0)
    );
    let RawTensor::Versioned(raw) = t.into_raw() else {
        panic!()
    };
    // SAFETY: our own export, handed over once.
    let imp = unsafe { import_versioned(raw, &ImportOptions::default()) }.unwrap();
    assert_eq!(imp.buffer.as_slice::<u16>().unwrap(), &[7, 8, 9]);
    let req = ExportRequest::parse(None, Some((1, 3)), Some((1, 0)), Some(false)).unwrap();
    assert!(matches!(
        export(d, &req),
        Err(BufferError::Dlpack(DlpackError::CopyRequired { .. }))
    ));
    // Host data to a CUDA consumer: a device copy.
    let req = ExportRequest::parse(Some(2), Some((1, 3)), Some((2, 0)), None).unwrap();
    let t = export(Buffer::from_vec(vec![1u8, 2]), &req).unwrap();
    assert_eq!(t.flags(), FLAG_IS_COPIED);
    assert_eq!(t.tensor().device.device_type.0, 2);
    // Pinned data may be handed to a CPU consumer without a copy.
    let p = Buffer::from_vec(vec![5u8])
        .to_device(Device::CudaHost)
        .unwrap();
    let req = ExportRequest::parse(None, Some((1, 3)), Some((1, 0)), Some(false)).unwrap();
    let t = export(p.clone(), &req).unwrap();
    assert_eq!(t.tensor().data as usize, p.address());
    assert_eq!(t.tensor().device.device_type.0, 1);
}

#[test]
fn cuda_foreign_device_memory_is_released_by_its_producer_only() {
    let Some(_dev) = cuda_or_skip("cuda_foreign_device_memory_is_released_by_its_producer_only")
    else {
        return;
    };
    let live = fake(c"sbfake_live");
    {
        let d = Buffer::from_vec(vec![1.0f64; 64])
            .to_device(Device::Cuda(0))
            .unwrap();
        let RawTensor::Versioned(raw) = export_versioned(d).unwrap().into_raw() else {
            panic!()
        };
        // SAFETY: our own export, handed over once.
        let imp = unsafe { import_versioned(raw, &ImportOptions::default()) }.unwrap();
        assert!(imp.buffer.is_foreign());
        let views: Vec<Buffer> = (0..4).map(|i| imp.buffer.slice(i, 1).unwrap()).collect();
        drop(imp);
        assert_eq!(views[3].to_vec::<f64>().unwrap(), vec![1.0]);
    }
    // The fake aborts on a double free; the live count returns to where it was.
    assert_eq!(fake(c"sbfake_live"), live);
}

#[test]
fn cuda_no_leaks() {
    let Some(_dev) = cuda_or_skip("cuda_no_leaks") else {
        return;
    };
    expect_fake_counters();
    let live = fake(c"sbfake_live");
    for dt in [DType::U8, DType::Complex128] {
        let h = pattern(dt, 100);
        let d = h.to_device(Device::Cuda(0)).unwrap();
        let p = d.to_device(Device::CudaHost).unwrap();
        let t = export_versioned(d.slice(1, 50).unwrap()).unwrap();
        drop((d, p));
        drop(t);
    }
    assert_eq!(fake(c"sbfake_live"), live);
}

#[test]
fn cuda_kernel_pointer_access() {
    let Some(dev) = cuda_or_skip("cuda_kernel_pointer_access") else {
        return;
    };
    let d = Buffer::from_vec(vec![3i32; 10])
        .to_device(Device::Cuda(0))
        .unwrap();
    let base = d.cuda_ptr().unwrap();
    assert_eq!(d.slice(4, 2).unwrap().cuda_ptr().unwrap(), base + 16);
    assert_ne!(dev.stream_handle(), 0);
    assert!(Buffer::from_vec(vec![1u8]).cuda_ptr().is_err());
}

fn fake_dir() -> Option<PathBuf> {
    let dir = std::env::temp_dir().join(format!("sb-buffer-{}-fake", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).ok()?;
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fake_libcuda.c");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_owned());
    let out = Command::new(&cc)
        .args(["-shared", "-fPIC", "-o"])
        .arg(dir.join("libcuda.so.1"))
        .arg(src)
        .arg("-lpthread")
        .output();
    match out {
        Ok(o) if o.status.success() => Some(dir),
        other => {
            let why = format!("cannot build the fake libcuda with {cc}: {other:?}");
            if std::env::var("SPARSEBRIDGE_REQUIRE_CUDA_TOOLS").as_deref() == Ok("1") {
                panic!("{why}");
            }
            let _ = std::io::stderr().write_all(
                format!("SKIPPED fake_driver_runs_every_device_test: {why}\n").as_bytes(),
            );
            None
        }
    }
}

#[test]
fn fake_driver_runs_every_device_test() {
    if std::env::var_os("SB_IN_FAKE_DRIVER").is_some() {
        return; // the subprocess itself
    }
    let Some(dir) = fake_dir() else { return };
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["cuda_", "--test-threads=1", "--nocapture"])
        .env("LD_LIBRARY_PATH", &dir)
        .env("SPARSEBRIDGE_REQUIRE_CUDA", "1")
        .env("SB_IN_FAKE_DRIVER", "1")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "CUDA path under the fake driver failed:\n{text}"
    );
    assert!(
        text.contains("sparsebridge buffer fake driver"),
        "fake driver not loaded:\n{text}"
    );
    assert!(
        text.contains(&format!("test result: ok. {CUDA_TESTS} passed")),
        "expected {CUDA_TESTS} CUDA tests to run:\n{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
