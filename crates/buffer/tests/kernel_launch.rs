//! The buffer crate's kernel layer on a CUDA device (a GPU, or the emulated driver: `make
//! test-emu`): NVRTC compile with a header handed over in memory, PTX `.entry` parsing, the
//! signature check before the first launch, typed launches and their argument checks, device
//! output buffers (uninitialised, zeroed, memset, upload), and DLPack export of kernel outputs
//! with the CUDA device tag `(2, 0)`. Without a device or NVRTC each test prints
//! `SKIPPED <name>: <reason>`; `SPARSEBRIDGE_REQUIRE_CUDA=1` fails instead. A test that ran
//! prints `CUDA-PATH-RAN <name>`.

use std::io::Write;
use std::sync::Arc;

use sparsebridge_buffer::cuda::{
    self, CudaDevice, KernelArg, KernelError, KernelSignature, ModuleSource, ParamType,
    compile_ptx, kernel_options, parse_entries,
};
use sparsebridge_buffer::dlpack::export::export_versioned;
use sparsebridge_buffer::{DType, Device};

fn say(line: &str) {
    // Not `eprintln!`: the harness captures that for passing tests.
    let _ = std::io::stderr().write_all(format!("{line}\n").as_bytes());
}

fn cuda_or_skip(test: &str) -> Option<Arc<CudaDevice>> {
    let dev = cuda::device(0).map_err(|e| e.to_string());
    let dev = dev.and_then(|d| {
        cuda::kernel_compiler()
            .map(|()| d)
            .map_err(|e| e.to_string())
    });
    match dev {
        Ok(d) => Some(d),
        Err(reason) => {
            if std::env::var("SPARSEBRIDGE_REQUIRE_CUDA").as_deref() == Ok("1") {
                panic!(
                    "{test}: SPARSEBRIDGE_REQUIRE_CUDA=1 but the CUDA path is unavailable: {reason}"
                );
            }
            say(&format!("SKIPPED {test}: {reason}"));
            None
        }
    }
}

const HEADER: &str = "#pragma once\ntypedef unsigned long long u64;\ntypedef unsigned int u32;\n";
const SOURCE: &str = r#"#include "test_common.cuh"
// y[i] = a * x[i] + bias for i < n (grid-stride); x may equal y.
extern "C" __global__ void axpb(const u64* x, u64* y, u64 a, u32 n, int bias) {
  for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (u64)gridDim.x * blockDim.x)
    y[i] = a * x[i] + (u64)(long long)bias;
}
extern "C" __global__ void noargs() {}
"#;

#[test]
fn cuda_nvrtc_compile_and_ptx_entries() {
    let Some(dev) = cuda_or_skip("cuda_nvrtc_compile_and_ptx_entries") else {
        return;
    };
    let cc = dev.context().compute_capability().unwrap();
    let ptx = compile_ptx(
        "test.cu",
        SOURCE,
        &[("test_common.cuh", HEADER)],
        &kernel_options(cc),
    )
    .unwrap();
    assert!(ptx.contains(".version"), "{ptx}");
    let mut entries = parse_entries(&ptx).unwrap();
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let sizes: Vec<(String, Vec<usize>)> = entries
        .iter()
        .map(|e| (e.name.clone(), e.params.iter().map(|p| p.size).collect()))
        .collect();
    assert_eq!(
        sizes,
        vec![
            ("axpb".to_owned(), vec![8, 8, 8, 4, 4]),
            ("noargs".to_owned(), vec![])
        ]
    );
    // Without the header NVRTC fails, and the error carries its log.
    let err = compile_ptx("test.cu", SOURCE, &[], &kernel_options(cc)).unwrap_err();
    match err {
        KernelError::Compile { program, log } => {
            assert_eq!(program, "test.cu");
            assert!(log.contains("test_common.cuh"), "{log}");
        }
        other => panic!("{other:?}"),
    }
    say("CUDA-PATH-RAN cuda_nvrtc_compile_and_ptx_entries");
}

/// kernels/gather.cu (the emulator runs only the CPU builds of kernels/*.cu, so launches use a
/// real project kernel): `gather_b8(src, perm, dst, n, src_len)`.
const GATHER_SRC: &str = include_str!("../../../kernels/gather.cu");
const COMMON: &str = include_str!("../../../kernels/common.cuh");
const GATHER_B8: KernelSignature<'static> = KernelSignature {
    name: "gather_b8",
    params: &[
        ("src", ParamType::DevicePtr),
        ("perm", ParamType::DevicePtr),
        ("dst", ParamType::DevicePtr),
        ("n", ParamType::U64),
        ("src_len", ParamType::U64),
    ],
};

fn gather_source<'a>(sigs: &'a [KernelSignature<'a>]) -> ModuleSource<'a> {
    ModuleSource {
        name: "kernel_launch.gather.cu",
        source: GATHER_SRC,
        headers: &[("common.cuh", COMMON)],
        signatures: sigs,
    }
}

#[test]
fn cuda_typed_launch_and_argument_checks() {
    let Some(dev) = cuda_or_skip("cuda_typed_launch_and_argument_checks") else {
        return;
    };
    let sigs = [GATHER_B8];
    let m = dev.load_module(&gather_source(&sigs)).unwrap();
    // Cached per device: the same module comes back.
    assert!(Arc::ptr_eq(
        &m,
        &dev.load_module(&gather_source(&sigs)).unwrap()
    ));
    let k = m.kernel(&GATHER_B8).unwrap();
    // n = 1000 with 3 blocks of 64 threads: a grid-stride loop with a partial last pass; some
    // permutation entries are out of range and must be skipped (dst keeps its memset value).
    let src: Vec<u64> = (0..700u64).map(|i| i * 7 + 3).collect();
    let perm: Vec<u64> = (0..1000u64).map(|i| (i * 389) % 750).collect();
    let s = dev.upload(&src).unwrap();
    let p = dev.upload(&perm).unwrap();
    let mut d = dev.alloc_uninit(DType::U64, 1000).unwrap();
    d.memset(0xFF).unwrap();
    let args = [
        KernelArg::DevicePtr(s.ptr()),
        KernelArg::DevicePtr(p.ptr()),
        KernelArg::DevicePtr(d.ptr()),
        KernelArg::U64(1000),
        KernelArg::U64(700),
    ];
    let before = cuda::emulator_launch_count();
    k.launch(3, 64, &args).unwrap();
    if let Some(before) = before {
        // Under the emulator the launch went through its cuLaunchKernel.
        assert!(cuda::emulator_launch_count().unwrap() > before);
    }
    let expect: Vec<u64> = perm
        .iter()
        .map(|&j| if j < 700 { src[j as usize] } else { u64::MAX })
        .collect();
    assert_eq!(d.to_vec::<u64>().unwrap(), expect);

    // Argument checks happen before the driver is called.
    assert_eq!(
        k.launch(1, 64, &args[..4]).unwrap_err(),
        KernelError::ArgCount {
            kernel: "gather_b8".into(),
            expected: 5,
            got: 4
        }
    );
    let mut wrong = args;
    wrong[1] = KernelArg::U64(p.ptr());
    assert_eq!(
        k.launch(1, 64, &wrong).unwrap_err(),
        KernelError::ArgType {
            kernel: "gather_b8".into(),
            index: 1,
            param: "perm".into(),
            expected: "device pointer",
            got: "u64"
        }
    );
    for (grid, block) in [(0, 64), (1, 0), (1, 48), (1, 2048)] {
        assert!(
            matches!(
                k.launch(grid, block, &args),
                Err(KernelError::Geometry { .. })
            ),
            "{grid} x {block}"
        );
    }

    // A signature whose `n` is 32-bit where the PTX is 64-bit is refused, by kernel and name.
    let planted = KernelSignature {
        name: "gather_b8",
        params: &[
            ("src", ParamType::DevicePtr),
            ("perm", ParamType::DevicePtr),
            ("dst", ParamType::DevicePtr),
            ("n", ParamType::U32),
            ("src_len", ParamType::U64),
        ],
    };
    let expected = KernelError::ParamSize {
        kernel: "gather_b8".into(),
        index: 3,
        param: "n".into(),
        rust_type: "u32",
        table_bytes: 4,
        ptx_bytes: 8,
    };
    assert_eq!(m.kernel(&planted).unwrap_err(), expected);
    // ... also when it comes with the module: checked at load, cached or fresh.
    let planted_sigs = [planted];
    assert_eq!(
        dev.load_module(&gather_source(&planted_sigs)).unwrap_err(),
        expected
    );
    let fresh = ModuleSource {
        name: "kernel_launch.fresh.cu",
        ..gather_source(&planted_sigs)
    };
    assert_eq!(dev.load_module(&fresh).unwrap_err(), expected);
    let unknown = [KernelSignature {
        name: "missing",
        params: &[],
    }];
    assert!(matches!(
        dev.load_module(&gather_source(&unknown)),
        Err(KernelError::UnknownKernel { .. })
    ));
    // Nothing ran for the refused launches: d is unchanged.
    assert_eq!(d.to_vec::<u64>().unwrap(), expect);
    say("CUDA-PATH-RAN cuda_typed_launch_and_argument_checks");
}

#[test]
fn cuda_device_outputs_memset_and_dlpack_tag() {
    let Some(dev) = cuda_or_skip("cuda_device_outputs_memset_and_dlpack_tag") else {
        return;
    };
    let z = dev.alloc_zeroed(DType::F64, 333).unwrap();
    assert_eq!(z.to_vec::<f64>().unwrap(), vec![0.0; 333]);
    let mut m = dev.alloc_uninit(DType::U32, 17).unwrap();
    m.memset(0xAB).unwrap();
    assert_eq!(m.to_vec::<u32>().unwrap(), vec![0xABAB_ABAB; 17]);
    assert!(m.to_vec::<u64>().is_err());
    let empty = dev.alloc_uninit(DType::U8, 0).unwrap();
    assert!(empty.is_empty());
    assert_eq!(empty.freeze().to_vec::<u8>().unwrap(), Vec::<u8>::new());

    // A kernel output frozen into a Buffer: on cuda:0, readable by copy, exported tagged (2, 0).
    let ptr = m.ptr();
    let b = m.freeze();
    assert_eq!(
        (b.device(), b.dtype(), b.len()),
        (Device::Cuda(0), DType::U32, 17)
    );
    assert_eq!(b.cuda_ptr().unwrap(), ptr);
    assert!(
        b.as_bytes().is_err(),
        "device memory is not host-accessible"
    );
    assert_eq!(
        b.copy_to(Device::Cpu).unwrap().as_slice::<u32>().unwrap(),
        &[0xABAB_ABAB; 17]
    );
    let t = export_versioned(b.clone()).unwrap();
    let tensor = t.tensor();
    assert_eq!(
        (tensor.device.device_type.0, tensor.device.device_id),
        (2, 0)
    );
    assert_eq!(tensor.data as u64, ptr);
    drop(t);
    let up = dev.upload(&[1i16, -2, 3]).unwrap().freeze();
    assert_eq!(up.to_vec::<i16>().unwrap(), vec![1, -2, 3]);
    say("CUDA-PATH-RAN cuda_device_outputs_memset_and_dlpack_tag");
}

/// Runs everywhere: NVRTC needs no device. Without NVRTC the compile is a typed error, never a
/// panic (cudarc panics when a library is missing; `kernel_compiler` guards it).
#[test]
fn nvrtc_compiles_without_a_device_or_reports_no_compiler() {
    let options = kernel_options((7, 5));
    assert_eq!(options[0], "--gpu-architecture=compute_75");
    assert_eq!(kernel_options((8, 6))[0], "--gpu-architecture=compute_80");
    assert_eq!(kernel_options((12, 0))[0], "--gpu-architecture=compute_90");
    let got = compile_ptx("test.cu", SOURCE, &[("test_common.cuh", HEADER)], &options);
    match cuda::kernel_compiler() {
        Ok(()) => {
            let ptx = got.unwrap();
            let names: Vec<String> = parse_entries(&ptx)
                .unwrap()
                .into_iter()
                .map(|e| e.name)
                .collect();
            assert!(names.contains(&"axpb".to_owned()), "{names:?}");
        }
        Err(e) => {
            assert_eq!(got.unwrap_err(), KernelError::Unavailable(e));
            say(
                "SKIPPED nvrtc_compiles_without_a_device_or_reports_no_compiler (compile half): no NVRTC",
            );
        }
    }
}
