//! Host export → import round trips for every dtype and both ABIs; device/dtype tables against
//! binsparse-protocol.md §15; views; `BufferMut`; export policy (flags, copy, legacy, streams).

mod common;

use common::{Data, Spec, count, versioned};
use sparsebridge_buffer::dlpack::export::{RawTensor, export, export_legacy, export_versioned};
use sparsebridge_buffer::dlpack::import::{
    ImportOptions, Imported, import_legacy, import_raw, import_versioned,
};
use sparsebridge_buffer::dlpack::request::{Abi, ExportRequest, StreamRequest, StreamSync};
use sparsebridge_buffer::dlpack::{FLAG_IS_COPIED, FLAG_READ_ONLY};
use sparsebridge_buffer::{
    Buffer, BufferError, BufferMut, Complex64, Complex128, DType, Device, DlpackError, HOST_ALIGN,
};

/// binsparse-protocol.md §15 "Data type codes", written out independently of the crate.
const SPEC_DTYPES: [(DType, u8, u8, usize); 15] = [
    (DType::Bool, 6, 8, 1),
    (DType::U8, 1, 8, 1),
    (DType::U16, 1, 16, 2),
    (DType::U32, 1, 32, 4),
    (DType::U64, 1, 64, 8),
    (DType::I8, 0, 8, 1),
    (DType::I16, 0, 16, 2),
    (DType::I32, 0, 32, 4),
    (DType::I64, 0, 64, 8),
    (DType::F16, 2, 16, 2),
    (DType::BF16, 4, 16, 2),
    (DType::F32, 2, 32, 4),
    (DType::F64, 2, 64, 8),
    (DType::Complex64, 5, 64, 8),
    (DType::Complex128, 5, 128, 16),
];

fn import(raw: RawTensor, opts: &ImportOptions) -> Result<Imported, BufferError> {
    // SAFETY: `raw` comes from our exporter and is handed over exactly once.
    unsafe { import_raw(raw, opts) }
}

/// A host buffer of `n` elements whose bytes are a fixed pattern (bool: 0/1).
fn pattern(dtype: DType, n: usize) -> Buffer {
    let mut m = BufferMut::zeroed(dtype, n).unwrap();
    for (i, b) in m.as_bytes_mut().iter_mut().enumerate() {
        *b = if dtype == DType::Bool {
            (i % 3 == 0) as u8
        } else {
            (i * 7 + 3) as u8
        };
    }
    m.freeze()
}

#[test]
fn dtype_table_matches_spec() {
    for (dt, code, bits, size) in SPEC_DTYPES {
        assert_eq!(dt.to_dlpack(), (code, bits, 1), "{dt}");
        assert_eq!(dt.size(), size, "{dt}");
        assert_eq!(DType::from_dlpack(code, bits, 1).unwrap(), dt);
        assert_eq!(dt.name().parse::<DType>().unwrap(), dt);
    }
    assert_eq!(DType::ALL.len(), SPEC_DTYPES.len());
}

#[test]
fn device_table_matches_spec() {
    let table = [
        (Device::Cpu, (1, 0), "cpu"),
        (Device::Cuda(0), (2, 0), "cuda:0"),
        (Device::Cuda(3), (2, 3), "cuda:3"),
        (Device::CudaHost, (3, 0), "cuda_host"),
        (Device::CudaManaged, (13, 0), "cuda_managed"),
    ];
    for (d, pair, name) in table {
        assert_eq!(d.to_dlpack(), pair);
        assert_eq!(Device::from_dlpack(pair.0, pair.1).unwrap(), d);
        assert_eq!(d.to_string(), name);
        assert_eq!(name.parse::<Device>().unwrap(), d);
    }
    assert_eq!("cuda".parse::<Device>().unwrap(), Device::Cuda(0));
    assert_eq!(" CUDA:2 ".parse::<Device>().unwrap(), Device::Cuda(2));
    for bad in [
        "",
        "gpu",
        "cuda:",
        "cuda:-1",
        "cuda:1x",
        "cuda:70000",
        "cuda:+1",
        "cpu:0",
    ] {
        assert!(
            matches!(
                bad.parse::<Device>(),
                Err(BufferError::InvalidDevice { .. })
            ),
            "{bad:?} parsed"
        );
    }
    for (t, id) in [(4, 0), (10, 0), (0, 0), (2, -1)] {
        assert!(Device::from_dlpack(t, id).is_err());
    }
}

#[test]
fn every_dtype_round_trips_through_both_abis() {
    for (dt, code, bits, _) in SPEC_DTYPES {
        for versioned_abi in [true, false] {
            let b = pattern(dt, 37);
            let expected = b.as_bytes().unwrap().to_vec();
            let t = if versioned_abi {
                export_versioned(b.clone()).unwrap()
            } else {
                export_legacy(b.clone()).unwrap()
            };
            assert_eq!(t.is_versioned(), versioned_abi);
            let tensor = t.tensor();
            assert_eq!(tensor.ndim, 1);
            // SAFETY: shape and strides point to one i64 each while `t` lives.
            unsafe {
                assert_eq!(*tensor.shape, 37);
                assert_eq!(*tensor.strides, 1);
            }
            assert_eq!(
                (tensor.dtype.code.0, tensor.dtype.bits, tensor.dtype.lanes),
                (code, bits, 1)
            );
            assert_eq!(
                (tensor.device.device_type.0, tensor.device.device_id),
                (1, 0)
            );
            assert_eq!(tensor.data as usize, b.address(), "zero-copy export");
            if versioned_abi {
                assert_eq!(t.version(), Some((1, 3)));
                assert_eq!(t.flags(), FLAG_READ_ONLY, "shared buffer exports read-only");
            } else {
                assert_eq!(t.flags(), 0);
            }
            let back = import(t.into_raw(), &ImportOptions::default()).unwrap();
            assert!(!back.copied);
            assert_eq!(back.read_only, versioned_abi);
            assert_eq!(back.shape, vec![37]);
            assert_eq!(back.buffer.dtype(), dt);
            assert_eq!(back.buffer.address(), b.address(), "zero-copy import");
            assert_eq!(back.buffer.as_bytes().unwrap(), expected.as_slice());
        }
    }
}

#[test]
fn typed_values_survive_round_trip() {
    let c = vec![
        Complex128 { re: 1.5, im: -2.0 },
        Complex128 { re: 0.0, im: 3.25 },
    ];
    let b = Buffer::from_vec(c.clone());
    let back = import(
        export_versioned(b).unwrap().into_raw(),
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(back.buffer.as_slice::<Complex128>().unwrap(), c.as_slice());
    // complex128 → f64 view of twice the length, in (re, im) order.
    let f = back.buffer.reinterpret(DType::F64).unwrap();
    assert_eq!(f.as_slice::<f64>().unwrap(), &[1.5, -2.0, 0.0, 3.25]);

    let h = vec![half::f16::from_f32(0.5), half::f16::from_f32(-8.0)];
    let back = import(
        export_legacy(Buffer::from_vec(h.clone()))
            .unwrap()
            .into_raw(),
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(back.buffer.as_slice::<half::f16>().unwrap(), h.as_slice());
    let bf = vec![half::bf16::from_f32(1.0), half::bf16::from_f32(2.0)];
    let back = import(
        export_versioned(Buffer::from_vec(bf.clone()))
            .unwrap()
            .into_raw(),
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(back.buffer.as_slice::<half::bf16>().unwrap(), bf.as_slice());
    let c64 = vec![Complex64 { re: 1.0, im: 2.0 }];
    let back = import(
        export_versioned(Buffer::from_vec(c64.clone()))
            .unwrap()
            .into_raw(),
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(back.buffer.as_slice::<Complex64>().unwrap(), c64.as_slice());
}

#[test]
fn empty_buffer_round_trips() {
    let b = Buffer::from_vec(Vec::<i64>::new());
    let t = export_versioned(b).unwrap();
    assert!(t.tensor().data.is_null(), "zero-size exports use NULL data");
    let back = import(t.into_raw(), &ImportOptions::default()).unwrap();
    assert_eq!(back.buffer.len(), 0);
    assert_eq!(back.buffer.as_slice::<i64>().unwrap(), &[] as &[i64]);
}

#[test]
fn stacked_coo_indices_import_zero_copy_and_split() {
    // (2, nnz) C-contiguous int64, as PyData sparse / CuPy stack COO coordinates.
    let rows: Vec<i64> = vec![0, 0, 1, 4, 4];
    let cols: Vec<i64> = vec![2, 3, 0, 1, 4];
    let bytes: Vec<u8> = rows
        .iter()
        .chain(&cols)
        .flat_map(|v| v.to_ne_bytes())
        .collect();
    let mut s = Spec::host((0, 64, 1), bytes);
    s.ndim = 2;
    s.shape = Some(vec![2, 5]);
    s.strides = Some(vec![5, 1]);
    let (p, c) = versioned(&s);
    let opts = ImportOptions {
        copy: Some(false),
        allow_2d: true,
    };
    // SAFETY: freshly built valid tensor, handed over once.
    let imp = unsafe { import_versioned(p, &opts) }.unwrap();
    assert_eq!(imp.shape, vec![2, 5]);
    assert!(!imp.copied);
    let r = imp.buffer.slice(0, 5).unwrap();
    let k = imp.buffer.slice(5, 5).unwrap();
    assert!(r.shares_memory_with(&k));
    drop(imp);
    assert_eq!(r.as_slice::<i64>().unwrap(), rows.as_slice());
    assert_eq!(k.as_slice::<i64>().unwrap(), cols.as_slice());
    assert_eq!(count(&c), 0);
    drop(r);
    assert_eq!(count(&c), 0);
    drop(k);
    assert_eq!(count(&c), 1);
}

#[test]
fn legacy_null_strides_are_compact() {
    let mut s = Spec::f64s(&[1.0, 2.0]);
    s.strides = None;
    let (p, c) = common::legacy(&s);
    // SAFETY: valid tensor, handed over once.
    let imp = unsafe { import_legacy(p, &ImportOptions::default()) }.unwrap();
    assert_eq!(imp.buffer.as_slice::<f64>().unwrap(), &[1.0, 2.0]);
    drop(imp);
    assert_eq!(count(&c), 1);
    // Versioned 1.1 may also omit strides.
    let mut s = Spec::f64s(&[5.0]);
    s.version = (1, 1);
    s.strides = None;
    let (p, _c) = versioned(&s);
    // SAFETY: valid tensor, handed over once.
    let imp = unsafe { import_versioned(p, &ImportOptions::default()) }.unwrap();
    assert_eq!(imp.buffer.as_slice::<f64>().unwrap(), &[5.0]);
}

#[test]
fn non_compact_and_misaligned_host_data_are_copied_when_allowed() {
    // 1-D stride 2 over [0, 1, 2, 3, 4, 5] → [0, 2, 4].
    let vals: Vec<f64> = (0..6).map(f64::from).collect();
    let mut s = Spec::f64s(&vals);
    s.shape = Some(vec![3]);
    s.strides = Some(vec![2]);
    let (p, c) = versioned(&s);
    // SAFETY: the strided elements lie inside the storage.
    let imp = unsafe { import_versioned(p, &ImportOptions::default()) }.unwrap();
    assert!(imp.copied);
    assert_eq!(count(&c), 1, "producer released right after the copy");
    assert_eq!(imp.buffer.as_slice::<f64>().unwrap(), &[0.0, 2.0, 4.0]);
    assert_eq!(imp.buffer.address() % HOST_ALIGN, 0);

    // 2-D Fortran order: element (r, c) at r + 2c for shape (2, 3) → row-major copy.
    let mut s = Spec::f64s(&vals);
    s.ndim = 2;
    s.shape = Some(vec![2, 3]);
    s.strides = Some(vec![1, 2]);
    let (p, _c) = versioned(&s);
    let opts = ImportOptions {
        copy: None,
        allow_2d: true,
    };
    // SAFETY: all six elements lie inside the storage.
    let imp = unsafe { import_versioned(p, &opts) }.unwrap();
    let expected: Vec<f64> = (0..2)
        .flat_map(|r| (0..3).map(move |c| f64::from(r + 2 * c)))
        .collect();
    assert_eq!(imp.buffer.as_slice::<f64>().unwrap(), expected.as_slice());

    // Negative stride: reversed view starting at the last element.
    let mut s = Spec::f64s(&vals);
    s.strides = Some(vec![-1]);
    s.byte_offset = 5 * 8;
    let (p, _c) = versioned(&s);
    // SAFETY: elements 5, 4, …, 0 lie inside the storage.
    let imp = unsafe { import_versioned(p, &ImportOptions::default()) }.unwrap();
    assert_eq!(
        imp.buffer.as_slice::<f64>().unwrap(),
        &[5.0, 4.0, 3.0, 2.0, 1.0, 0.0]
    );

    // Misaligned f64 data (skew 3) → aligned copy.
    let mut s = Spec::f64s(&[1.25, -7.5]);
    if let Data::Bytes { skew, .. } = &mut s.data {
        *skew = 3;
    }
    let (p, _c) = versioned(&s);
    // SAFETY: the skewed bytes lie inside the storage.
    let imp = unsafe { import_versioned(p, &ImportOptions::default()) }.unwrap();
    assert!(imp.copied);
    assert_eq!(imp.buffer.as_slice::<f64>().unwrap(), &[1.25, -7.5]);

    // copy=True on compact data: a copy, producer released at once.
    let (p, c) = versioned(&Spec::f64s(&[9.0]));
    let opts = ImportOptions {
        copy: Some(true),
        allow_2d: false,
    };
    // SAFETY: valid tensor.
    let imp = unsafe { import_versioned(p, &opts) }.unwrap();
    assert!(imp.copied);
    assert_eq!(count(&c), 1);
    assert_eq!(imp.buffer.as_slice::<f64>().unwrap(), &[9.0]);
}

#[test]
fn cuda_tensor_imports_without_touching_the_driver() {
    let mut s = Spec::f64s(&[]);
    s.shape = Some(vec![4]);
    s.device = (2, 1);
    s.data = Data::Address(0x7f00_0000_0000);
    let (p, c) = versioned(&s);
    // SAFETY: the address is never dereferenced (device memory).
    let imp = unsafe { import_versioned(p, &ImportOptions::default()) }.unwrap();
    assert_eq!(imp.buffer.device(), Device::Cuda(1));
    assert_eq!(imp.buffer.cuda_ptr().unwrap(), 0x7f00_0000_0000);
    assert_eq!(
        imp.buffer.as_slice::<f64>().unwrap_err(),
        BufferError::NotHostAccessible {
            device: Device::Cuda(1)
        }
    );
    let half = imp.buffer.slice(2, 2).unwrap();
    assert_eq!(half.cuda_ptr().unwrap(), 0x7f00_0000_0000 + 16);
    drop(imp);
    drop(half);
    assert_eq!(
        count(&c),
        1,
        "the deleter runs; the producer's memory is never freed by us"
    );
}

#[test]
fn export_flags_follow_sharing_and_copies() {
    // Unique owned buffer: the consumer may write.
    let t = export_versioned(Buffer::from_vec(vec![1u32, 2])).unwrap();
    assert_eq!(t.flags(), 0);
    // Shared: READ_ONLY.
    let b = Buffer::from_vec(vec![1u32, 2]);
    let t = export_versioned(b.clone()).unwrap();
    assert_eq!(t.flags(), FLAG_READ_ONLY);
    // copy=True: IS_COPIED, a different address, same values.
    let req = ExportRequest::parse(None, Some((1, 0)), None, Some(true)).unwrap();
    let t = export(b.clone(), &req).unwrap();
    assert_eq!(t.flags(), FLAG_IS_COPIED);
    assert_eq!(t.version(), Some((1, 0)));
    assert_ne!(t.tensor().data as usize, b.address());
    let back = import(t.into_raw(), &ImportOptions::default()).unwrap();
    assert_eq!(back.buffer.as_slice::<u32>().unwrap(), &[1, 2]);
    assert!(back.producer_copied);
    // A slice exports its own window.
    let t = export_versioned(b.slice(1, 1).unwrap()).unwrap();
    assert_eq!(t.tensor().data as usize, b.address() + 4);
}

#[test]
fn legacy_policy_for_read_only_data() {
    // Owned, shared memory goes to a legacy consumer without flags and without a copy.
    let b = Buffer::from_vec(vec![3i16, 4]);
    let t = export_legacy(b.clone()).unwrap();
    assert_eq!(t.tensor().data as usize, b.address());
    drop(t);
    // Read-only third-party data: copied for a legacy consumer, or refused under copy=False.
    let mut s = Spec::f64s(&[1.0, 2.0]);
    s.flags = FLAG_READ_ONLY;
    let (p, c) = versioned(&s);
    // SAFETY: valid tensor, handed over once.
    let imp = unsafe { import_versioned(p, &ImportOptions::default()) }.unwrap();
    assert!(imp.read_only && imp.buffer.is_foreign_read_only());
    let t = export(imp.buffer.clone(), &ExportRequest::legacy()).unwrap();
    assert_ne!(t.tensor().data as usize, imp.buffer.address(), "copied");
    let back = import(t.into_raw(), &ImportOptions::default()).unwrap();
    assert_eq!(back.buffer.as_slice::<f64>().unwrap(), &[1.0, 2.0]);
    let no_copy = ExportRequest {
        copy: Some(false),
        ..ExportRequest::legacy()
    };
    assert_eq!(
        export(imp.buffer.clone(), &no_copy).unwrap_err(),
        BufferError::Dlpack(DlpackError::ReadOnlyToLegacy)
    );
    // Versioned consumers get it zero-copy with READ_ONLY, even when unique.
    let t = export_versioned(imp.buffer).unwrap();
    assert_eq!(t.flags(), FLAG_READ_ONLY);
    drop(t);
    assert_eq!(count(&c), 1);
}

#[test]
fn request_parsing() {
    let p = |mv| ExportRequest::parse(None, mv, None, None).unwrap().abi;
    assert_eq!(p(None), Abi::Legacy);
    assert_eq!(p(Some((0, 8))), Abi::Legacy);
    assert_eq!(p(Some((1, 0))), Abi::Versioned { minor: 0 });
    assert_eq!(p(Some((1, 9))), Abi::Versioned { minor: 3 });
    assert_eq!(p(Some((2, 0))), Abi::Versioned { minor: 3 });
    assert!(matches!(
        ExportRequest::parse(None, Some((-1, 0)), None, None),
        Err(DlpackError::InvalidMaxVersion { .. })
    ));
    let r = ExportRequest::parse(None, None, Some((2, 1)), Some(false)).unwrap();
    assert_eq!(r.dl_device, Some(Device::Cuda(1)));
    assert!(matches!(
        ExportRequest::parse(None, None, Some((10, 0)), None),
        Err(DlpackError::UnsupportedDevice {
            device_type: 10,
            ..
        })
    ));
    assert!(matches!(
        ExportRequest::parse(None, None, Some((1 << 40, 0)), None),
        Err(DlpackError::UnsupportedDevice { .. })
    ));
}

#[test]
fn stream_values_per_protocol() {
    let cuda = Device::Cuda(0);
    let v = |s| StreamRequest::Value(s).for_device(cuda);
    assert_eq!(
        StreamRequest::None.for_device(cuda),
        Ok(StreamSync::Wait(1))
    );
    assert_eq!(v(1), Ok(StreamSync::Wait(1)));
    assert_eq!(v(2), Ok(StreamSync::Wait(2)));
    assert_eq!(v(0x5555_0000), Ok(StreamSync::Wait(0x5555_0000)));
    assert_eq!(v(-1), Ok(StreamSync::NoSync));
    assert!(matches!(
        v(0),
        Err(DlpackError::InvalidStream { stream: 0, .. })
    ));
    assert!(matches!(
        v(-2),
        Err(DlpackError::InvalidStream { stream: -2, .. })
    ));
    assert_eq!(
        StreamRequest::None.for_device(Device::Cpu),
        Ok(StreamSync::Host)
    );
    assert!(matches!(
        StreamRequest::Value(1).for_device(Device::Cpu),
        Err(DlpackError::InvalidStream { .. })
    ));
    // Host data with a stream: refused at export.
    let req = ExportRequest::parse(Some(1), Some((1, 3)), None, None).unwrap();
    assert!(matches!(
        export(Buffer::from_vec(vec![1u8]), &req),
        Err(BufferError::Dlpack(DlpackError::InvalidStream {
            stream: 1,
            ..
        }))
    ));
}

#[test]
fn cross_device_without_copy_is_refused() {
    let req = ExportRequest::parse(None, Some((1, 3)), Some((2, 0)), Some(false)).unwrap();
    let e = export(Buffer::from_vec(vec![1u8]), &req).unwrap_err();
    assert!(
        matches!(e, BufferError::Dlpack(DlpackError::CopyRequired { .. })),
        "{e:?}"
    );
    let req = ExportRequest::parse(None, Some((1, 3)), Some((13, 0)), None).unwrap();
    let e = export(Buffer::from_vec(vec![1u8]), &req).unwrap_err();
    assert!(matches!(
        e,
        BufferError::Dlpack(DlpackError::UnsupportedDevice {
            device_type: 13,
            ..
        })
    ));
}

#[test]
fn views_slice_and_reinterpret() {
    let b = Buffer::from_vec((0u32..10).collect::<Vec<_>>());
    let s = b.slice(3, 4).unwrap();
    assert_eq!(s.as_slice::<u32>().unwrap(), &[3, 4, 5, 6]);
    assert_eq!(s.slice(1, 2).unwrap().as_slice::<u32>().unwrap(), &[4, 5]);
    assert!(matches!(
        b.slice(8, 3),
        Err(BufferError::OutOfBounds { .. })
    ));
    assert!(matches!(
        b.slice(usize::MAX, 2),
        Err(BufferError::OutOfBounds { .. })
    ));
    assert!(b.slice(10, 0).unwrap().is_empty());
    // u32 → u8: 4 bytes each, native order.
    let bytes = s.reinterpret(DType::U8).unwrap();
    assert_eq!(bytes.len(), 16);
    assert_eq!(&bytes.as_slice::<u8>().unwrap()[..4], &3u32.to_ne_bytes());
    // u8 at odd offset → u32 is misaligned; 3 bytes → u16 has a remainder; u8 → bool refused.
    let odd = bytes.slice(1, 4).unwrap();
    assert!(matches!(
        odd.reinterpret(DType::U32),
        Err(BufferError::Reinterpret { .. })
    ));
    assert!(matches!(
        bytes.slice(0, 3).unwrap().reinterpret(DType::U16),
        Err(BufferError::Reinterpret { .. })
    ));
    assert!(matches!(
        bytes.reinterpret(DType::Bool),
        Err(BufferError::Reinterpret { .. })
    ));
    // bool → u8 works.
    let mut m = BufferMut::zeroed(DType::Bool, 3).unwrap();
    m.as_mut_slice::<u8>().unwrap()[1] = 1;
    let flags = m.freeze().reinterpret(DType::U8).unwrap();
    assert_eq!(flags.as_slice::<u8>().unwrap(), &[0, 1, 0]);
    // Typed access checks the dtype.
    assert_eq!(
        b.as_slice::<i32>().unwrap_err(),
        BufferError::DTypeMismatch {
            expected: DType::I32,
            found: DType::U32
        }
    );
    assert_eq!(b.to_vec::<u32>().unwrap(), (0u32..10).collect::<Vec<_>>());
}

#[test]
fn buffer_mut_is_zeroed_aligned_and_freezes_in_place() {
    for dt in DType::ALL {
        let m = BufferMut::zeroed(dt, 1000).unwrap();
        assert!(m.as_bytes().iter().all(|&b| b == 0), "{dt}");
        assert_eq!(m.nbytes(), 1000 * dt.size());
    }
    let mut m = BufferMut::zeroed(DType::I64, 5).unwrap();
    m.as_mut_slice::<i64>()
        .unwrap()
        .copy_from_slice(&[5, 4, 3, 2, 1]);
    let addr = m.as_bytes().as_ptr() as usize;
    assert_eq!(addr % HOST_ALIGN, 0);
    let b = m.freeze();
    assert_eq!(b.address(), addr, "freeze does not copy");
    assert_eq!(b.as_slice::<i64>().unwrap(), &[5, 4, 3, 2, 1]);
    assert!(matches!(
        BufferMut::zeroed(DType::F64, usize::MAX / 4),
        Err(BufferError::SizeOverflow { .. })
    ));
    assert!(matches!(
        BufferMut::zeroed(DType::I32, 0).unwrap().as_slice::<f32>(),
        Err(BufferError::DTypeMismatch { .. })
    ));
    // Zero-length allocations are still aligned and non-null.
    let z = BufferMut::zeroed(DType::U8, 0).unwrap();
    assert_eq!(z.as_bytes().as_ptr() as usize % HOST_ALIGN, 0);
}

#[test]
fn from_vec_does_not_copy() {
    let v = vec![1.0f32, 2.0, 3.0];
    let addr = v.as_ptr() as usize;
    let b = Buffer::from_vec(v);
    assert_eq!(b.address(), addr);
    assert_eq!(b.device(), Device::Cpu);
    assert_eq!(b.to_device(Device::Cpu).unwrap().address(), addr);
    let c = b.copy_to(Device::Cpu).unwrap();
    assert_ne!(c.address(), addr);
    assert_eq!(c.as_slice::<f32>().unwrap(), &[1.0, 2.0, 3.0]);
}

#[test]
fn safe_reimport_of_our_own_export_is_zero_copy() {
    use sparsebridge_buffer::dlpack::export::export_versioned;
    use sparsebridge_buffer::dlpack::import::ImportOptions;
    let b = Buffer::from_vec(vec![3i32, 1, 4, 1, 5]);
    let back = export_versioned(b.clone())
        .unwrap()
        .import(&ImportOptions::default())
        .unwrap();
    assert!(!back.copied);
    assert_eq!(back.buffer.address(), b.address());
    assert_eq!(back.buffer.as_slice::<i32>().unwrap(), &[3, 1, 4, 1, 5]);
    drop(b);
    // The imported buffer keeps the exported one alive.
    assert_eq!(back.buffer.to_vec::<i32>().unwrap(), vec![3, 1, 4, 1, 5]);
}
