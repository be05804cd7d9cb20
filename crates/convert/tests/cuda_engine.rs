//! The Rust CUDA path of `convert()`, end to end: arrays copied to `cuda:0`, converted there by
//! NVRTC-compiled kernels launched through the launch table, copied back and compared with the
//! CPU engine's result on the same host array (the oracle): descriptor, every array's bytes, the
//! `copied` flag, and errors word for word.
//!
//! Each `cuda_*` test needs a CUDA device (a GPU, or the emulated driver: `LD_LIBRARY_PATH` with
//! `target/emu` and NVRTC's lib directory; `make test-emu`). Without one it prints
//! `SKIPPED <name>: <reason>`; with `SPARSEBRIDGE_REQUIRE_CUDA=1` it fails instead. A test that
//! ran on a device prints `CUDA-PATH-RAN <name>` (counted by `make test-emu`).

use std::io::Write;

use sparsebridge_array::SparseArray;
use sparsebridge_buffer::cuda::{self, KernelError, ParamType};
use sparsebridge_buffer::dlpack::export::export_versioned;
use sparsebridge_buffer::{Buffer, BufferMut, DType, Device};
use sparsebridge_convert::cuda::table::{Family, Suffixes, TABLE};
use sparsebridge_convert::cuda::{check_family, verify_table};
use sparsebridge_convert::engine::{ConvertOptions, Converted, EngineError, Target, convert};
use sparsebridge_convert::{ConvertError, DuplicatePolicy};
use sparsebridge_descriptor::{DataType, Descriptor, PredefinedFormat as F, ScalarType};

fn say(line: &str) {
    // Not `eprintln!`: the harness captures that for passing tests.
    let _ = std::io::stderr().write_all(format!("{line}\n").as_bytes());
}

/// Whether the CUDA path can run here (device and NVRTC); prints SKIPPED or fails under
/// SPARSEBRIDGE_REQUIRE_CUDA=1.
fn cuda_or_skip(test: &str) -> bool {
    let why = match cuda::device(0) {
        Ok(_) => match cuda::kernel_compiler() {
            Ok(()) => None,
            Err(e) => Some(e.to_string()),
        },
        Err(e) => Some(e.to_string()),
    };
    match why {
        None => true,
        Some(reason) => {
            if std::env::var("SPARSEBRIDGE_REQUIRE_CUDA").as_deref() == Ok("1") {
                panic!(
                    "{test}: SPARSEBRIDGE_REQUIRE_CUDA=1 but the CUDA path is unavailable: {reason}"
                );
            }
            say(&format!("SKIPPED {test}: {reason}"));
            false
        }
    }
}

fn ran(test: &str) {
    say(&format!("CUDA-PATH-RAN {test}"));
}

/// xorshift64*: deterministic test data without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A host buffer of integer dtype `dt` holding `v` (values must fit).
fn ints(dt: DType, v: &[i64]) -> Buffer {
    let mut m = BufferMut::zeroed(dt, v.len()).unwrap();
    let w = dt.size();
    for (chunk, x) in m.as_bytes_mut().chunks_mut(w).zip(v) {
        chunk.copy_from_slice(&x.to_le_bytes()[..w]);
    }
    m.freeze()
}

/// A host buffer of `n` pseudo-random elements of `dt` (bool/bint8: 0 or 1).
fn values(dt: DType, n: usize, rng: &mut Rng) -> Buffer {
    let mut m = BufferMut::zeroed(dt, n).unwrap();
    for b in m.as_bytes_mut() {
        *b = rng.next() as u8;
        if dt == DType::U8 {
            *b &= 1;
        }
    }
    m.freeze()
}

/// A canonical host array of `format` (2-D) from sorted unique row-major coordinates, written
/// from the format definitions (binsparse-protocol.md §4), independently of the engine.
#[allow(clippy::too_many_arguments)]
fn build(
    format: F,
    shape: (usize, usize),
    coords: &[(usize, usize)],
    idx: ScalarType,
    ptr: ScalarType,
    val: DataType,
    rng: &mut Rng,
) -> SparseArray {
    let col_major = matches!(format, F::Csc | F::Cooc);
    let mut c: Vec<(usize, usize)> = coords
        .iter()
        .map(|&(i, j)| if col_major { (j, i) } else { (i, j) })
        .collect();
    c.sort_unstable();
    let major = if col_major { shape.1 } else { shape.0 };
    let nnz = c.len();
    let idt = sparsebridge_array::dtype_of(idx).unwrap();
    let pdt = sparsebridge_array::dtype_of(ptr).unwrap();
    let vdt = sparsebridge_array::dtype_of(val.scalar).unwrap();
    let d = Descriptor::builder(
        format,
        vec![shape.0 as u64, shape.1 as u64],
        nnz as u64,
        val,
    )
    .index_type(idx)
    .pointer_type(ptr)
    .extension_types(val.scalar.is_extension())
    .build()
    .unwrap();
    let inner: Vec<i64> = c.iter().map(|&(_, b)| b as i64).collect();
    let vals = values(vdt, if val.iso { 1 } else { nnz }, rng);
    let outer = if matches!(format, F::Csr | F::Csc) {
        let mut p = vec![0i64; major + 1];
        for &(a, _) in &c {
            p[a + 1] += 1;
        }
        for k in 0..major {
            p[k + 1] += p[k];
        }
        ("pointers_to_1", ints(pdt, &p))
    } else {
        let o: Vec<i64> = c.iter().map(|&(a, _)| a as i64).collect();
        ("indices_0", ints(idt, &o))
    };
    SparseArray::try_new(
        d,
        [outer, ("indices_1", ints(idt, &inner)), ("values", vals)],
    )
    .unwrap()
}

/// The same array with every buffer copied to `cuda:0` (not validated).
fn to_device(a: &SparseArray) -> SparseArray {
    let arrays: Vec<(String, Buffer)> = a
        .arrays()
        .iter()
        .map(|(n, b)| (n.clone(), b.copy_to(Device::Cuda(0)).unwrap()))
        .collect();
    let d = SparseArray::try_new(a.descriptor().clone(), arrays).unwrap();
    assert_eq!(d.device(), Device::Cuda(0));
    d
}

fn host_bytes(a: &SparseArray) -> Vec<(String, DType, Vec<u8>)> {
    a.arrays()
        .iter()
        .map(|(n, b)| {
            let h = b.copy_to(Device::Cpu).unwrap();
            (n.clone(), b.dtype(), h.as_bytes().unwrap().to_vec())
        })
        .collect()
}

/// Converts `host` on the CPU and a device copy on `cuda:0`; asserts equal outcomes.
fn check(
    host: &SparseArray,
    target: &Target,
    options: &ConvertOptions,
    what: &str,
) -> Option<Converted> {
    let dev = to_device(host);
    let cpu = convert(host, target, options);
    let gpu = convert(&dev, target, options);
    match (cpu, gpu) {
        (Ok(c), Ok(g)) => {
            assert_eq!(g.array.device(), Device::Cuda(0), "{what}");
            for (n, b) in g.array.arrays() {
                assert_eq!(b.device(), Device::Cuda(0), "{what}: {n} left the device");
            }
            assert_eq!(
                c.array.descriptor(),
                g.array.descriptor(),
                "{what}: descriptor"
            );
            assert_eq!(host_bytes(&c.array), host_bytes(&g.array), "{what}: arrays");
            assert_eq!(c.copied, g.copied, "{what}: copied flag");
            Some(g)
        }
        (Err(c), Err(g)) => {
            assert_eq!(c.to_string(), g.to_string(), "{what}: errors differ");
            None
        }
        (c, g) => panic!("{what}: CPU gave {c:?}, CUDA gave {g:?}"),
    }
}

fn random_coords(shape: (usize, usize), density_pct: u64, rng: &mut Rng) -> Vec<(usize, usize)> {
    let mut v = Vec::new();
    for i in 0..shape.0 {
        for j in 0..shape.1 {
            if rng.below(100) < density_pct {
                v.push((i, j));
            }
        }
    }
    v
}

const FORMATS: [F; 4] = [F::Coor, F::Cooc, F::Csr, F::Csc];
/// The 8 predefined matrix formats.
const MATRIX_FORMATS: [F; 8] = [
    F::Dmatr,
    F::Dmatc,
    F::Csr,
    F::Csc,
    F::Dcsr,
    F::Dcsc,
    F::Coor,
    F::Cooc,
];

/// A host array of any matrix format: COOR/COOC/CSR/CSC from [`build`], the others converted
/// from its CSR or CSC by the CPU engine (the oracle of this file), so that the device's
/// source side (DCSR pointers, dense entries) is compared with the host's.
#[allow(clippy::too_many_arguments)]
fn build_any(
    format: F,
    shape: (usize, usize),
    coords: &[(usize, usize)],
    idx: ScalarType,
    ptr: ScalarType,
    val: DataType,
    rng: &mut Rng,
) -> SparseArray {
    if FORMATS.contains(&format) {
        return build(format, shape, coords, idx, ptr, val, rng);
    }
    let base = if matches!(format, F::Dmatc | F::Dcsc) {
        F::Csc
    } else {
        F::Csr
    };
    let a = build(base, shape, coords, idx, ptr, val, rng);
    convert(&a, &Target::format(format), &ConvertOptions::default())
        .unwrap()
        .array
}

#[test]
fn cuda_table_matches_ptx() {
    if !cuda_or_skip("cuda_table_matches_ptx") {
        return;
    }
    let kernels = verify_table(0).unwrap();
    assert_eq!(
        kernels,
        TABLE.iter().map(|f| f.suffixes.all().len()).sum::<usize>()
    );
    assert!(kernels > 100, "{kernels}");
    say(&format!(
        "cuda_table_matches_ptx: {kernels} kernels of {} families checked on {:?}",
        TABLE.len(),
        cuda::device(0).unwrap().name().unwrap()
    ));
    ran("cuda_table_matches_ptx");
}

/// Issue 5, planted bug (b), Rust half: a launch-table row whose parameter is 32-bit where the
/// PTX says 64-bit is refused before any launch, naming the kernel and the parameter.
#[test]
fn cuda_planted_bug_b_32_bit_table_entry() {
    if !cuda_or_skip("cuda_planted_bug_b_32_bit_table_entry") {
        return;
    }
    let planted = Family {
        file: "coo",
        family: "coo_ptr",
        suffixes: Suffixes::Index,
        params: &[
            ("rows", ParamType::DevicePtr),
            ("ptr", ParamType::DevicePtr),
            ("nnz", ParamType::U32), // the PTX (and kernels/README.md) say u64
            ("nrows", ParamType::U64),
        ],
    };
    let err = check_family(0, &planted).unwrap_err();
    assert_eq!(
        err,
        KernelError::ParamSize {
            kernel: "coo_ptr_i8".into(),
            index: 2,
            param: "nnz".into(),
            rust_type: "u32",
            table_bytes: 4,
            ptx_bytes: 8,
        }
    );
    assert!(err.to_string().contains("coo_ptr_i8"), "{err}");
    // A missing parameter and an unknown kernel are refused too.
    let short = Family {
        params: &planted.params[..3],
        ..planted
    };
    assert!(matches!(
        check_family(0, &short).unwrap_err(),
        KernelError::ParamCount {
            table: 3,
            ptx: 4,
            ..
        }
    ));
    let unknown = Family {
        family: "no_such_kernel",
        ..planted
    };
    assert!(matches!(
        check_family(0, &unknown).unwrap_err(),
        KernelError::UnknownKernel { .. }
    ));
    // The shipped row passes.
    let shipped = TABLE.iter().find(|f| f.family == "coo_ptr").unwrap();
    check_family(0, shipped).unwrap();
    ran("cuda_planted_bug_b_32_bit_table_entry");
}

/// Every pair of COOR, COOC, CSR, CSC on random inputs (empty, 0×n, n×0, 1×1, partial tiles,
/// several radix passes), several index/pointer/value dtypes and iso values, plus index-width
/// targets that fit and that do not.
#[test]
fn cuda_conversions_match_cpu_engine() {
    if !cuda_or_skip("cuda_conversions_match_cpu_engine") {
        return;
    }
    let mut rng = Rng(0x5EED_CAFE_F00D_0001);
    let shapes: [((usize, usize), u64); 10] = [
        ((0, 0), 0),
        ((0, 5), 0),
        ((4, 0), 0),
        ((1, 1), 100),
        ((1, 1), 0),
        ((3, 300), 30),
        ((260, 2), 50),
        ((23, 29), 45),
        // All values in one row / one column, indices up to the limit of u8 / i8.
        ((1, 256), 100),
        ((128, 1), 100),
    ];
    let dtypes = [
        (ScalarType::Int32, ScalarType::Int32),
        (ScalarType::UInt64, ScalarType::UInt64),
        (ScalarType::UInt16, ScalarType::Int64),
        (ScalarType::Int8, ScalarType::Int16),
        (ScalarType::UInt8, ScalarType::UInt32),
    ];
    let vals = [
        DataType::new(ScalarType::Float64),
        DataType::new(ScalarType::Float32),
        DataType::new(ScalarType::ComplexFloat64),
        DataType::new(ScalarType::Bint8),
        DataType::new(ScalarType::Int16),
        DataType::iso(ScalarType::Float64),
        DataType::new(ScalarType::Float16),
        DataType::new(ScalarType::ComplexFloat32),
        DataType::iso(ScalarType::Int8),
    ];
    let launches_before = cuda::emulator_launch_count();
    let mut count = 0usize;
    let mut v = 0usize;
    let mut combo = 0usize;
    for &(shape, density) in &shapes {
        let coords = random_coords(shape, density, &mut rng);
        for &(idx, ptr) in &dtypes {
            // The source's indices and pointers must fit their dtypes.
            let max = |t: ScalarType| {
                let dt = sparsebridge_array::dtype_of(t).unwrap();
                let bits = 8 * dt.size() as u32 - u32::from(t.is_signed_integer());
                (1u128 << bits) - 1
            };
            let extent = shape.0.max(shape.1) as u128;
            if extent > max(idx) + 1 || coords.len() as u128 > max(ptr) {
                continue;
            }
            combo += 1;
            for (si, src) in MATRIX_FORMATS.into_iter().enumerate() {
                let val = vals[v % vals.len()];
                v += 1;
                let host = build_any(src, shape, &coords, idx, ptr, val, &mut rng);
                // Half of the 64 ordered pairs per (shape, dtypes), the other half on the next:
                // every pair meets every dtype pair on half of the shapes (the emulator's time).
                let mut targets: Vec<Target> = MATRIX_FORMATS
                    .iter()
                    .enumerate()
                    .filter(|(di, _)| (si + di + combo).is_multiple_of(2))
                    .map(|(_, &f)| Target::format(f))
                    .collect();
                let dst = MATRIX_FORMATS[v % MATRIX_FORMATS.len()];
                targets.push(if v.is_multiple_of(2) {
                    Target {
                        format: dst.into(),
                        index_type: Some(ScalarType::Int64),
                        pointer_type: None,
                    }
                } else {
                    Target {
                        format: dst.into(),
                        index_type: Some(ScalarType::UInt8),
                        pointer_type: Some(ScalarType::UInt16),
                    }
                });
                for t in &targets {
                    let what = format!(
                        "{src} {shape:?} nnz={} {idx}/{ptr} {val} -> {t:?}",
                        coords.len()
                    );
                    check(&host, t, &ConvertOptions::default(), &what);
                    count += 1;
                }
            }
        }
    }
    say(&format!(
        "cuda_conversions_match_cpu_engine: {count} conversions on device equal the CPU engine's"
    ));
    if let (Some(a), Some(b)) = (launches_before, cuda::emulator_launch_count()) {
        // Every conversion validates its (fresh, unvalidated) device source: one launch or more.
        assert!(b - a >= count as u64, "{a} -> {b}");
        say(&format!(
            "cuda_conversions_match_cpu_engine: {} kernel launches through the emulated driver",
            b - a
        ));
    }
    ran("cuda_conversions_match_cpu_engine");
}

/// Zero-copy and copy semantics on the device: sorted COOR → CSR shares `indices_1` and
/// `values`; CSR (m, n) ↔ CSC (n, m) is not this engine's concern (shape changes), but the same
/// format shares everything; copy=false refuses, copy=true returns fresh device buffers.
#[test]
fn cuda_zero_copy_and_copy_options() {
    if !cuda_or_skip("cuda_zero_copy_and_copy_options") {
        return;
    }
    let mut rng = Rng(7);
    let coords = random_coords((9, 11), 40, &mut rng);
    let host = build(
        F::Coor,
        (9, 11),
        &coords,
        ScalarType::Int64,
        ScalarType::Int64,
        DataType::new(ScalarType::Float64),
        &mut rng,
    );
    let dev = to_device(&host);
    let out = check(
        &host,
        &Target::format(F::Csr),
        &ConvertOptions::default(),
        "coor->csr",
    )
    .unwrap();
    let _ = out;
    let g = convert(&dev, &Target::format(F::Csr), &ConvertOptions::default()).unwrap();
    assert!(g.copied);
    for name in ["indices_1", "values"] {
        assert!(
            g.array
                .array(name)
                .unwrap()
                .shares_memory_with(dev.array(name).unwrap()),
            "{name} must be shared"
        );
    }
    // The computed pointers are a kernel output on the device, exported with the CUDA tag.
    let ptr = g.array.array("pointers_to_1").unwrap();
    let t = export_versioned(ptr.clone()).unwrap();
    let tensor = t.tensor();
    assert_eq!(
        (tensor.device.device_type.0, tensor.device.device_id),
        (2, 0)
    );
    assert_eq!(tensor.data as u64, ptr.cuda_ptr().unwrap());
    drop(t);
    // A dense source with a fill value is refused, typed, without touching the host.
    let dense = convert(&dev, &Target::format(F::Dmatr), &ConvertOptions::default()).unwrap();
    let mut arrays = dense.array.arrays().to_vec();
    arrays.push((
        "fill_value".to_owned(),
        Buffer::from_vec(vec![0.0f64])
            .copy_to(Device::Cuda(0))
            .unwrap(),
    ));
    let desc = dense.array.descriptor();
    let filled = Descriptor::builder(
        F::Dmatr,
        desc.shape().to_vec(),
        desc.nnz(),
        desc.value_type(),
    )
    .fill(DataType::new(ScalarType::Float64))
    .build()
    .unwrap();
    let filled = SparseArray::try_new(filled, arrays).unwrap();
    match convert(&filled, &Target::format(F::Csr), &ConvertOptions::default()) {
        Err(EngineError::Unsupported(m)) => assert!(m.contains("fill_value"), "{m}"),
        other => panic!("dense with fill on cuda: {other:?}"),
    }
    let same = convert(&dev, &Target::format(F::Coor), &ConvertOptions::default()).unwrap();
    assert!(!same.copied);
    let refuse = ConvertOptions {
        copy: Some(false),
        ..ConvertOptions::default()
    };
    assert!(matches!(
        convert(&dev, &Target::format(F::Csr), &refuse),
        Err(EngineError::CopyRequired { .. })
    ));
    check(&host, &Target::format(F::Csr), &refuse, "copy=false");
    let force = ConvertOptions {
        copy: Some(true),
        ..ConvertOptions::default()
    };
    let fresh = check(&host, &Target::format(F::Coor), &force, "copy=true").unwrap();
    assert!(fresh.copied);
    let fresh = convert(&dev, &Target::format(F::Coor), &force).unwrap();
    for (n, b) in fresh.array.arrays() {
        assert!(
            !b.shares_memory_with(dev.array(n).unwrap()),
            "{n} must be fresh"
        );
        assert_eq!(b.device(), Device::Cuda(0));
    }
    ran("cuda_zero_copy_and_copy_options");
}

/// Device validation rejects exactly what the CPU validator rejects, with the same error.
#[test]
fn cuda_validation_matches_cpu() {
    if !cuda_or_skip("cuda_validation_matches_cpu") {
        return;
    }
    let d = |format: F, nnz: u64| {
        Descriptor::builder(format, vec![4, 5], nnz, DataType::new(ScalarType::Float64))
            .index_type(ScalarType::Int32)
            .build()
            .unwrap()
    };
    let vals = |n: usize| Buffer::from_vec((0..n).map(|k| k as f64).collect::<Vec<_>>());
    let coo = |r: Vec<i32>, c: Vec<i32>| {
        let n = r.len();
        SparseArray::try_new(
            d(F::Coor, n as u64),
            [
                ("indices_0", Buffer::from_vec(r)),
                ("indices_1", Buffer::from_vec(c)),
                ("values", vals(n)),
            ],
        )
        .unwrap()
    };
    let csr = |p: Vec<i32>, c: Vec<i32>| {
        let n = c.len();
        SparseArray::try_new(
            d(F::Csr, n as u64),
            [
                ("pointers_to_1", Buffer::from_vec(p)),
                ("indices_1", Buffer::from_vec(c)),
                ("values", vals(n)),
            ],
        )
        .unwrap()
    };
    // indices_0 and indices_1 of different dtypes (data_types lists each array).
    let mixed = |r: Vec<u8>, c: Vec<i64>| {
        let n = r.len();
        let d = Descriptor::builder(
            F::Coor,
            vec![4, 5],
            n as u64,
            DataType::new(ScalarType::Float64),
        )
        .index_type(ScalarType::Int64)
        .array_type("indices_0", DataType::new(ScalarType::UInt8))
        .build()
        .unwrap();
        SparseArray::try_new(
            d,
            [
                ("indices_0", Buffer::from_vec(r)),
                ("indices_1", Buffer::from_vec(c)),
                ("values", vals(n)),
            ],
        )
        .unwrap()
    };
    let cases = [
        ("mixed dtypes unsorted", mixed(vec![1, 0], vec![0, 0])),
        (
            "mixed dtypes negative column",
            mixed(vec![0, 1], vec![0, -1]),
        ),
        ("valid mixed dtypes", mixed(vec![0, 3, 3], vec![4, 0, 2])),
        ("unsorted rows", coo(vec![0, 2, 1], vec![0, 0, 0])),
        ("duplicate", coo(vec![0, 1, 1], vec![3, 2, 2])),
        ("column out of bounds", coo(vec![0, 1], vec![1, 5])),
        ("negative row", coo(vec![-1, 1], vec![1, 2])),
        ("valid coo", coo(vec![0, 0, 3], vec![1, 4, 0])),
        ("pointers decrease", csr(vec![0, 2, 1, 3, 3], vec![0, 1, 2])),
        ("first pointer", csr(vec![1, 1, 2, 3, 3], vec![0, 1, 2])),
        ("unsorted in row", csr(vec![0, 2, 2, 3, 3], vec![3, 1, 0])),
        ("duplicate in row", csr(vec![0, 0, 2, 3, 3], vec![2, 2, 0])),
        ("index out of bounds", csr(vec![0, 1, 1, 2, 2], vec![0, 7])),
        ("negative index", csr(vec![0, 1, 1, 2, 2], vec![0, -3])),
        ("valid csr", csr(vec![0, 1, 1, 2, 3], vec![0, 4, 2])),
    ];
    for (what, a) in &cases {
        if what.starts_with("valid mixed") {
            // The same format: the CPU engine's identity keeps each index array's dtype.
            check(
                a,
                &Target::format(F::Coor),
                &ConvertOptions::default(),
                what,
            )
            .unwrap();
        }
        for t in [F::Csr, F::Csc] {
            let out = check(a, &Target::format(t), &ConvertOptions::default(), what);
            assert_eq!(out.is_some(), what.starts_with("valid"), "{what}");
        }
    }
    // DCSR and CVEC sources: the device validation and the CPU validator agree, with the CPU
    // validator's error word for word.
    let dcsr = |ids: Vec<i32>, p: Vec<i32>, c: Vec<i32>| {
        let n = c.len();
        SparseArray::try_new(
            d(F::Dcsr, n as u64),
            [
                ("indices_0", Buffer::from_vec(ids)),
                ("pointers_to_1", Buffer::from_vec(p)),
                ("indices_1", Buffer::from_vec(c)),
                ("values", vals(n)),
            ],
        )
        .unwrap()
    };
    let cvec = |i: Vec<i64>| {
        let n = i.len();
        let d = Descriptor::builder(
            F::Cvec,
            vec![6],
            n as u64,
            DataType::new(ScalarType::Float64),
        )
        .index_type(ScalarType::Int64)
        .build()
        .unwrap();
        SparseArray::try_new(d, [("indices_0", Buffer::from_vec(i)), ("values", vals(n))]).unwrap()
    };
    let more = [
        ("valid dcsr", dcsr(vec![0, 3], vec![0, 2, 3], vec![1, 4, 0])),
        (
            "dcsr empty segment",
            dcsr(vec![0, 2, 3], vec![0, 2, 2, 3], vec![1, 4, 0]),
        ),
        (
            "dcsr rows unsorted",
            dcsr(vec![3, 0], vec![0, 2, 3], vec![1, 4, 0]),
        ),
        (
            "dcsr row out of bounds",
            dcsr(vec![0, 4], vec![0, 2, 3], vec![1, 4, 0]),
        ),
        (
            "dcsr negative pointer",
            dcsr(vec![0, 3], vec![0, -1, 3], vec![1, 4, 0]),
        ),
        (
            "dcsr unsorted in row",
            dcsr(vec![0, 3], vec![0, 2, 3], vec![4, 1, 0]),
        ),
        (
            "dcsr column out of bounds",
            dcsr(vec![0, 3], vec![0, 2, 3], vec![1, 5, 0]),
        ),
        ("valid cvec", cvec(vec![0, 2, 5])),
        ("cvec unsorted", cvec(vec![2, 0, 5])),
        ("cvec duplicate", cvec(vec![0, 2, 2])),
        ("cvec out of bounds", cvec(vec![0, 6])),
    ];
    for (what, a) in &more {
        let targets = if what.contains("cvec") {
            vec![F::Dvec]
        } else {
            vec![F::Csr, F::Dmatc, F::Dcsc]
        };
        for t in targets {
            let out = check(a, &Target::format(t), &ConvertOptions::default(), what);
            assert_eq!(out.is_some(), what.starts_with("valid"), "{what} -> {t}");
        }
    }
    ran("cuda_validation_matches_cpu");
}

/// Vectors (CVEC <-> DVEC, a CVEC's index dtype) and sparse sources with a fill value going to
/// dense targets, on the device, against the CPU engine.
#[test]
fn cuda_vectors_and_fill_match_cpu_engine() {
    if !cuda_or_skip("cuda_vectors_and_fill_match_cpu_engine") {
        return;
    }
    let mut rng = Rng(0x5EED_CAFE_F00D_0003);
    let vals = [
        DataType::new(ScalarType::Float64),
        DataType::new(ScalarType::Float32),
        DataType::new(ScalarType::Int64),
        DataType::new(ScalarType::ComplexFloat64),
        DataType::new(ScalarType::Bint8),
        DataType::iso(ScalarType::Float32),
    ];
    let mut count = 0usize;
    for (n, density) in [(0usize, 0u64), (1, 100), (7, 40), (300, 25), (1000, 3)] {
        let idx: Vec<i64> = (0..n as i64).filter(|_| rng.below(100) < density).collect();
        for (k, &val) in vals.iter().enumerate() {
            let it = if k % 2 == 0 {
                ScalarType::Int32
            } else {
                ScalarType::UInt64
            };
            let dt = sparsebridge_array::dtype_of(it).unwrap();
            let vdt = sparsebridge_array::dtype_of(val.scalar).unwrap();
            let desc = Descriptor::builder(F::Cvec, vec![n as u64], idx.len() as u64, val)
                .index_type(it)
                .build()
                .unwrap();
            let nv = if val.iso { 1 } else { idx.len() };
            let cvec = SparseArray::try_new(
                desc,
                [
                    ("indices_0", ints(dt, &idx)),
                    ("values", values(vdt, nv, &mut rng)),
                ],
            )
            .unwrap();
            let what = format!("CVEC n={n} nnz={} {it} {val}", idx.len());
            let dense = check(
                &cvec,
                &Target::format(F::Dvec),
                &ConvertOptions::default(),
                &what,
            )
            .unwrap();
            let dense = dense.array.copy_to(Device::Cpu).unwrap();
            for t in [
                Target::format(F::Cvec),
                Target {
                    format: F::Cvec.into(),
                    index_type: Some(ScalarType::UInt16),
                    pointer_type: None,
                },
                Target {
                    format: F::Cvec.into(),
                    index_type: Some(ScalarType::Int8),
                    pointer_type: None,
                },
            ] {
                check(
                    &dense,
                    &t,
                    &ConvertOptions::default(),
                    &format!("{what} dense -> {t:?}"),
                );
                check(
                    &cvec,
                    &t,
                    &ConvertOptions::default(),
                    &format!("{what} -> {t:?}"),
                );
                count += 2;
            }
        }
    }
    // A fill value: unstored positions of a dense target hold it (2-D and 1-D).
    let coords = random_coords((9, 13), 30, &mut rng);
    for val in [
        DataType::new(ScalarType::Float64),
        DataType::iso(ScalarType::Int16),
        DataType::new(ScalarType::ComplexFloat32),
    ] {
        for src in [F::Csr, F::Cooc] {
            let a = build(
                src,
                (9, 13),
                &coords,
                ScalarType::Int32,
                ScalarType::Int64,
                val,
                &mut rng,
            );
            let vdt = sparsebridge_array::dtype_of(val.scalar).unwrap();
            let mut arrays = a.arrays().to_vec();
            arrays.push(("fill_value".to_owned(), values(vdt, 1, &mut rng)));
            let d = a.descriptor();
            let mut b = Descriptor::builder(src, d.shape().to_vec(), d.nnz(), val)
                .fill(DataType::new(val.scalar));
            for (name, buf) in &arrays {
                if name != "values" && name != "fill_value" {
                    b = b.array_type(
                        name.clone(),
                        DataType::new(sparsebridge_array::scalar_of(buf.dtype()).unwrap()),
                    );
                }
            }
            let filled = SparseArray::try_new(b.build().unwrap(), arrays).unwrap();
            for t in [F::Dmatr, F::Dmatc] {
                let what = format!("{src} {val} with fill -> {t}");
                check(
                    &filled,
                    &Target::format(t),
                    &ConvertOptions::default(),
                    &what,
                )
                .unwrap();
                count += 1;
            }
        }
    }
    say(&format!(
        "cuda_vectors_and_fill_match_cpu_engine: {count} conversions on device equal the CPU engine's"
    ));
    ran("cuda_vectors_and_fill_match_cpu_engine");
}

/// A host buffer of `n` pseudo-random elements of `scalar` for the canonicalization test:
/// floats (and complex parts) are small multiples of 1/8, so that sums are exact and never NaN;
/// integers are random bytes (sums wrap); bint8 is 0 or 1.
fn sum_values(scalar: ScalarType, n: usize, rng: &mut Rng) -> Buffer {
    let mut f = || (rng.below(2001) as f64 - 1000.0) / 8.0;
    match scalar {
        ScalarType::Float64 => Buffer::from_vec((0..n).map(|_| f()).collect::<Vec<f64>>()),
        ScalarType::Float32 => Buffer::from_vec((0..n).map(|_| f() as f32).collect::<Vec<f32>>()),
        ScalarType::ComplexFloat64 => {
            let parts: Vec<f64> = (0..2 * n).map(|_| f()).collect();
            let mut m = BufferMut::zeroed(DType::Complex128, n).unwrap();
            for (chunk, x) in m.as_bytes_mut().chunks_mut(8).zip(&parts) {
                chunk.copy_from_slice(&x.to_le_bytes());
            }
            m.freeze()
        }
        other => {
            let dt = sparsebridge_array::dtype_of(other).unwrap();
            values(dt, n, rng)
        }
    }
}

/// A (usually) non-canonical host array of `format` with the logical `(row, col)` entries in
/// the given order: COO keeps that order; CSR/CSC group the entries by their major index (a
/// stable sort by major only), so minors inside a row stay unsorted and duplicated. Indices
/// may be out of bounds (given as i64). `outer_t`, when given, is the COO `indices_0` dtype.
#[allow(clippy::too_many_arguments)]
fn build_raw(
    format: F,
    shape: (usize, usize),
    entries: &[(i64, i64)],
    idx: ScalarType,
    ptr: ScalarType,
    outer_t: Option<ScalarType>,
    val: DataType,
    rng: &mut Rng,
) -> SparseArray {
    let col_major = matches!(format, F::Csc | F::Cooc);
    let mut c: Vec<(i64, i64)> = entries
        .iter()
        .map(|&(i, j)| if col_major { (j, i) } else { (i, j) })
        .collect();
    let compressed = matches!(format, F::Csr | F::Csc);
    if compressed {
        c.sort_by_key(|&(a, _)| a);
    }
    let major = if col_major { shape.1 } else { shape.0 };
    let nnz = c.len();
    let idt = sparsebridge_array::dtype_of(idx).unwrap();
    let pdt = sparsebridge_array::dtype_of(ptr).unwrap();
    let mut b = Descriptor::builder(
        format,
        vec![shape.0 as u64, shape.1 as u64],
        nnz as u64,
        val,
    )
    .index_type(idx)
    .pointer_type(ptr)
    .extension_types(val.scalar.is_extension());
    if let Some(t) = outer_t {
        b = b.array_type("indices_0", DataType::new(t));
    }
    let d = b.build().unwrap();
    let inner: Vec<i64> = c.iter().map(|&(_, b)| b).collect();
    let vals = sum_values(val.scalar, if val.iso { 1 } else { nnz }, rng);
    let outer = if compressed {
        let mut p = vec![0i64; major + 1];
        for &(a, _) in &c {
            p[a as usize + 1] += 1;
        }
        for k in 0..major {
            p[k + 1] += p[k];
        }
        ("pointers_to_1", ints(pdt, &p))
    } else {
        let o: Vec<i64> = c.iter().map(|&(a, _)| a).collect();
        let odt = outer_t.map_or(idt, |t| sparsebridge_array::dtype_of(t).unwrap());
        ("indices_0", ints(odt, &o))
    };
    SparseArray::try_new(
        d,
        [outer, ("indices_1", ints(idt, &inner)), ("values", vals)],
    )
    .unwrap()
}

/// On-device canonicalization (`ConvertOptions::canonicalize`) against the CPU engine (itself
/// tested against a BTreeMap oracle in tests/engine.rs): random unsorted sources with and
/// without duplicates, COOR/COOC/CSR/CSC, several index, pointer and value dtypes (integer,
/// float, complex, bint8, iso), to each of the four formats under `Sum` and `Reject`: the
/// same arrays byte for byte, or the same error. Plus sources that are not an ordering problem
/// (an index out of bounds, a negative index, bad pointers): the CPU engine's error.
#[test]
fn cuda_canonicalize_matches_cpu_engine() {
    if !cuda_or_skip("cuda_canonicalize_matches_cpu_engine") {
        return;
    }
    let mut rng = Rng(0xC0FF_EE15_CA70_0001);
    let shapes: [(usize, usize); 7] = [
        (1, 1),
        (3, 300),
        (17, 5),
        (40, 40),
        (2, 9),
        (300, 3),
        (6, 0),
    ];
    // (indices_1, pointers, COO indices_0 when it differs)
    let dtypes = [
        (ScalarType::Int32, ScalarType::Int64, None),
        (ScalarType::UInt16, ScalarType::UInt8, None),
        (
            ScalarType::Int64,
            ScalarType::Int32,
            Some(ScalarType::UInt16),
        ),
        (
            ScalarType::UInt64,
            ScalarType::UInt16,
            Some(ScalarType::Int32),
        ),
    ];
    let vals = [
        DataType::new(ScalarType::Float64),
        DataType::new(ScalarType::Int16),
        DataType::new(ScalarType::Float32),
        DataType::new(ScalarType::Bint8),
        DataType::iso(ScalarType::Float64),
        DataType::new(ScalarType::UInt8),
        DataType::new(ScalarType::ComplexFloat64),
        DataType::new(ScalarType::Int64),
    ];
    let policies = [DuplicatePolicy::Sum, DuplicatePolicy::Reject];
    let (mut conversions, mut summed, mut rejected, mut iso_dup) = (0usize, 0usize, 0usize, 0usize);
    // Cases 40.. are larger (several tiles of the sort, scan and head kernels, 2-pass radix).
    for case in 0..44usize {
        let big = case >= 40;
        let shape = if big {
            (40, 300)
        } else {
            shapes[case % shapes.len()]
        };
        let (idx, ptr, outer_t) = if big {
            dtypes[(case % 2) * 2]
        } else {
            dtypes[(case / 2) % dtypes.len()]
        };
        let val = vals[case % vals.len()];
        let src = FORMATS[(case / 3) % 4];
        let cells = (shape.0 * shape.1) as u64;
        let mut entries: Vec<(i64, i64)> = Vec::new();
        if cells > 0 {
            // The descriptor allows at most one stored value per position of the shape.
            let n = (rng.below(if big { 700 } else { 48 }) + 1).min(cells) as usize;
            let pool: Vec<(i64, i64)> = (0..rng.below(if big { 200 } else { 12 }) + 1)
                .map(|_| {
                    let k = rng.below(cells) as usize;
                    ((k / shape.1) as i64, (k % shape.1) as i64)
                })
                .collect();
            let unique = case % 4 == 1;
            for _ in 0..n {
                let e = if unique || rng.below(3) == 0 {
                    let k = rng.below(cells) as usize;
                    ((k / shape.1) as i64, (k % shape.1) as i64)
                } else {
                    pool[rng.below(pool.len() as u64) as usize]
                };
                if !(unique && entries.contains(&e)) {
                    entries.push(e);
                }
            }
        }
        // u8 pointers hold at most 255 entries; u8/i8-free index dtypes hold every extent here.
        let host = build_raw(
            src,
            shape,
            &entries,
            idx,
            ptr,
            outer_t.filter(|_| matches!(src, F::Coor | F::Cooc)),
            val,
            &mut rng,
        );
        for policy in policies {
            let options = ConvertOptions {
                canonicalize: Some(policy),
                ..ConvertOptions::default()
            };
            for dst in FORMATS {
                let what = format!(
                    "case {case}: {src} {shape:?} nnz={} {idx}/{ptr}/{outer_t:?} {val} \
                     {policy:?} -> {dst}",
                    entries.len()
                );
                let out = check(&host, &Target::format(dst), &options, &what);
                conversions += 1;
                match out {
                    Some(c) => {
                        assert!(c.copied || host.validate_full().is_ok(), "{what}");
                        if c.array.nnz() < host.nnz() {
                            summed += 1;
                        }
                    }
                    None => {
                        let e = convert(&host, &Target::format(dst), &options).unwrap_err();
                        match e {
                            EngineError::Convert(ConvertError::Duplicate { .. }) => rejected += 1,
                            EngineError::Convert(ConvertError::IsoDuplicate { .. }) => iso_dup += 1,
                            other => panic!("{what}: unexpected error {other}"),
                        }
                    }
                }
            }
        }
    }
    // Not ordering problems: the CPU engine's error, word for word.
    let bad_cases = [
        (F::Coor, vec![(2, 1), (0, 5), (0, 1), (0, 1)]),
        (F::Cooc, vec![(2, 1), (-1, 3), (0, 1), (0, 1)]),
        (F::Csr, vec![(3, 1), (0, 7), (0, 1), (0, 1)]),
        (F::Csc, vec![(3, 1), (-2, 0), (0, 1), (0, 1)]),
    ];
    for (src, entries) in &bad_cases {
        let shape = (4, 5);
        let valid: Vec<(i64, i64)> = entries
            .iter()
            .map(|&(i, j)| (i.clamp(0, 3), j.clamp(0, 4)))
            .collect();
        // Bounds errors in indices; for the compressed formats also a bad pointer array.
        let mut arrays = vec![build_raw(
            *src,
            shape,
            entries,
            ScalarType::Int32,
            ScalarType::Int64,
            None,
            DataType::new(ScalarType::Float64),
            &mut rng,
        )];
        if matches!(src, F::Csr | F::Csc) {
            let good = build_raw(
                *src,
                shape,
                &valid,
                ScalarType::Int32,
                ScalarType::Int64,
                None,
                DataType::new(ScalarType::Float64),
                &mut rng,
            );
            let mut named: Vec<(String, Buffer)> = good.arrays().to_vec();
            let major = if *src == F::Csr { 4 } else { 5 };
            let mut p = vec![0i64; major + 1];
            p[1] = 3;
            p[2] = 1; // decreasing
            for slot in p.iter_mut().skip(3) {
                *slot = 4;
            }
            named[0].1 = ints(DType::I64, &p);
            arrays.push(SparseArray::try_new(good.descriptor().clone(), named).unwrap());
        }
        for a in &arrays {
            for policy in policies {
                let options = ConvertOptions {
                    canonicalize: Some(policy),
                    ..ConvertOptions::default()
                };
                let what = format!("invalid {src} {policy:?}");
                assert!(
                    check(a, &Target::format(F::Csr), &options, &what).is_none(),
                    "{what}"
                );
                conversions += 1;
            }
        }
    }
    // float16 has no segsum kernel: summing its duplicates is Unsupported on the device;
    // rejecting them, or sorting without duplicates, is the CPU engine's result.
    let f16 = DataType::new(ScalarType::Float16);
    for (entries, dup) in [
        (vec![(1, 2), (0, 1), (1, 2)], true),
        (vec![(1, 2), (0, 1)], false),
    ] {
        let host = build_raw(
            F::Coor,
            (3, 4),
            &entries,
            ScalarType::Int32,
            ScalarType::Int64,
            None,
            f16,
            &mut rng,
        );
        for policy in policies {
            let options = ConvertOptions {
                canonicalize: Some(policy),
                ..ConvertOptions::default()
            };
            let what = format!("float16 duplicates={dup} {policy:?}");
            if dup && policy == DuplicatePolicy::Sum {
                let got = convert(&to_device(&host), &Target::format(F::Csr), &options);
                assert!(
                    matches!(&got, Err(EngineError::Unsupported(m)) if m.contains("float16")),
                    "{what}: {got:?}"
                );
                assert!(convert(&host, &Target::format(F::Csr), &options).is_ok());
            } else {
                check(&host, &Target::format(F::Csr), &options, &what);
                conversions += 1;
            }
        }
    }
    say(&format!(
        "cuda_canonicalize_matches_cpu_engine: {conversions} canonicalizing conversions on device \
         equal the CPU engine's ({summed} summed duplicates, {rejected} rejected, {iso_dup} iso \
         duplicates)"
    ));
    assert!(summed > 0 && rejected > 0 && iso_dup > 0);
    ran("cuda_canonicalize_matches_cpu_engine");
}
