//! Hostile DLPack tensors: each is rejected with the expected typed error, never UB, and the
//! producer's deleter runs exactly once (except for a NULL tensor, which has none).

mod common;

use common::{Data, Spec, count, legacy, versioned};
use sparsebridge_buffer::dlpack::import::{ImportOptions, import_legacy, import_versioned};
use sparsebridge_buffer::{BufferError, DType, DlpackError};

const NO_COPY: ImportOptions = ImportOptions {
    copy: Some(false),
    allow_2d: false,
};
const NO_COPY_2D: ImportOptions = ImportOptions {
    copy: Some(false),
    allow_2d: true,
};

fn reject_versioned(spec: &Spec, opts: &ImportOptions) -> DlpackError {
    let (p, c) = versioned(spec);
    // SAFETY: `p` is a freshly built tensor whose pointers are valid for the fields they describe
    // (or are never dereferenced because validation fails first), handed over once.
    let r = unsafe { import_versioned(p, opts) };
    assert_eq!(count(&c), 1, "deleter must run exactly once on rejection");
    match r {
        Err(BufferError::Dlpack(e)) => e,
        other => panic!("expected a DLPack error, got {other:?}"),
    }
}

fn reject_legacy(spec: &Spec, opts: &ImportOptions) -> DlpackError {
    let (p, c) = legacy(spec);
    // SAFETY: as in `reject_versioned`.
    let r = unsafe { import_legacy(p, opts) };
    assert_eq!(count(&c), 1, "deleter must run exactly once on rejection");
    match r {
        Err(BufferError::Dlpack(e)) => e,
        other => panic!("expected a DLPack error, got {other:?}"),
    }
}

fn base() -> Spec {
    Spec::f64s(&[1.0, 2.0, 3.0, 4.0])
}

#[test]
fn h01_major_version_2() {
    let mut s = base();
    s.version = (2, 0);
    // Garbage in every other field: a major mismatch must not read them.
    s.ndim = -7;
    s.shape = None;
    s.data = Data::Address(0xdead);
    let e = reject_versioned(&s, &NO_COPY);
    assert_eq!(e, DlpackError::UnsupportedVersion { major: 2, minor: 0 });
}

#[test]
fn h02_major_version_0() {
    let mut s = base();
    s.version = (0, 8);
    let e = reject_versioned(&s, &ImportOptions::default());
    assert_eq!(e, DlpackError::UnsupportedVersion { major: 0, minor: 8 });
}

#[test]
fn h03_ndim_0() {
    let mut s = base();
    s.ndim = 0;
    let e = reject_versioned(&s, &NO_COPY);
    assert_eq!(
        e,
        DlpackError::InvalidNdim {
            ndim: 0,
            allow_2d: false
        }
    );
}

#[test]
fn h04_ndim_negative() {
    let mut s = base();
    s.ndim = -1;
    let e = reject_versioned(&s, &NO_COPY_2D);
    assert_eq!(
        e,
        DlpackError::InvalidNdim {
            ndim: -1,
            allow_2d: true
        }
    );
}

#[test]
fn h05_ndim_3() {
    let mut s = base();
    s.ndim = 3;
    s.shape = Some(vec![1, 2, 2]);
    s.strides = Some(vec![4, 2, 1]);
    let e = reject_versioned(&s, &NO_COPY_2D);
    assert_eq!(
        e,
        DlpackError::InvalidNdim {
            ndim: 3,
            allow_2d: true
        }
    );
}

#[test]
fn h06_ndim_2_when_not_allowed() {
    let mut s = base();
    s.ndim = 2;
    s.shape = Some(vec![2, 2]);
    s.strides = Some(vec![2, 1]);
    let e = reject_versioned(&s, &NO_COPY);
    assert_eq!(
        e,
        DlpackError::InvalidNdim {
            ndim: 2,
            allow_2d: false
        }
    );
}

#[test]
fn h07_null_shape() {
    let mut s = base();
    s.shape = None;
    let e = reject_versioned(&s, &NO_COPY);
    assert_eq!(e, DlpackError::NullShape { ndim: 1 });
}

#[test]
fn h08_negative_shape() {
    let mut s = base();
    s.shape = Some(vec![-4]);
    let e = reject_versioned(&s, &NO_COPY);
    assert_eq!(e, DlpackError::NegativeShape { dim: 0, extent: -4 });
}

#[test]
fn h09_negative_second_dim() {
    let mut s = base();
    s.ndim = 2;
    s.shape = Some(vec![2, -2]);
    s.strides = Some(vec![2, 1]);
    let e = reject_versioned(&s, &NO_COPY_2D);
    assert_eq!(e, DlpackError::NegativeShape { dim: 1, extent: -2 });
}

#[test]
fn h10_strided_1d_without_copy() {
    let mut s = base();
    s.shape = Some(vec![2]);
    s.strides = Some(vec![2]);
    let e = reject_versioned(&s, &NO_COPY);
    assert_eq!(
        e,
        DlpackError::NonCompactStrides {
            shape: vec![2],
            strides: vec![2]
        }
    );
}

#[test]
fn h11_ndim2_fortran_order_without_copy() {
    let mut s = base();
    s.ndim = 2;
    s.shape = Some(vec![2, 2]);
    s.strides = Some(vec![1, 2]);
    let e = reject_versioned(&s, &NO_COPY_2D);
    assert_eq!(
        e,
        DlpackError::NonCompactStrides {
            shape: vec![2, 2],
            strides: vec![1, 2]
        }
    );
}

#[test]
fn h12_null_strides_in_dlpack_1_2() {
    let mut s = base();
    s.version = (1, 2);
    s.strides = None;
    let e = reject_versioned(&s, &NO_COPY);
    assert_eq!(e, DlpackError::NullStrides { major: 1, minor: 2 });
}

#[test]
fn h13_shape_product_overflows() {
    let mut s = base();
    s.ndim = 2;
    s.shape = Some(vec![i64::MAX, 4]);
    s.strides = Some(vec![4, 1]);
    let e = reject_versioned(&s, &NO_COPY_2D);
    assert_eq!(
        e,
        DlpackError::SizeOverflow {
            shape: vec![i64::MAX, 4],
            itemsize: 0
        }
    );
}

#[test]
fn h14_shape_times_itemsize_overflows() {
    let mut s = base();
    let n = (isize::MAX / 4) as i64;
    s.shape = Some(vec![n]);
    let e = reject_versioned(&s, &NO_COPY);
    assert_eq!(
        e,
        DlpackError::SizeOverflow {
            shape: vec![n],
            itemsize: 8
        }
    );
}

#[test]
fn h15_byte_offset_overflows_address_space() {
    let mut s = base();
    s.data = Data::Address(usize::MAX - 7);
    s.byte_offset = 64;
    let e = reject_versioned(&s, &NO_COPY);
    assert_eq!(
        e,
        DlpackError::ByteOffsetOverflow {
            data: usize::MAX - 7,
            byte_offset: 64
        }
    );
}

#[test]
fn h16_lanes_4() {
    let mut s = base();
    s.dtype = (2, 32, 4);
    let e = reject_versioned(&s, &NO_COPY);
    assert_eq!(e, DlpackError::Lanes { lanes: 4 });
}

#[test]
fn h17_lanes_0() {
    let mut s = base();
    s.dtype = (2, 64, 0);
    let e = reject_versioned(&s, &NO_COPY);
    assert_eq!(e, DlpackError::Lanes { lanes: 0 });
}

#[test]
fn h18_float8_unsupported() {
    let mut s = base();
    s.dtype = (8, 8, 1);
    let e = reject_versioned(&s, &NO_COPY);
    assert_eq!(
        e,
        DlpackError::UnsupportedDType {
            code: 8,
            bits: 8,
            lanes: 1
        }
    );
}

#[test]
fn h19_int24_unsupported() {
    let mut s = base();
    s.dtype = (0, 24, 1);
    let e = reject_versioned(&s, &NO_COPY);
    assert_eq!(
        e,
        DlpackError::UnsupportedDType {
            code: 0,
            bits: 24,
            lanes: 1
        }
    );
}

#[test]
fn h20_opaque_handle_unsupported() {
    let mut s = base();
    s.dtype = (3, 64, 1);
    let e = reject_versioned(&s, &NO_COPY);
    assert_eq!(
        e,
        DlpackError::UnsupportedDType {
            code: 3,
            bits: 64,
            lanes: 1
        }
    );
}

#[test]
fn h21_null_data_with_elements() {
    let mut s = base();
    s.data = Data::Null;
    let e = reject_versioned(&s, &ImportOptions::default());
    assert_eq!(e, DlpackError::NullData { len: 4 });
}

#[test]
fn h22_misaligned_pointer() {
    let mut s = base();
    if let Data::Bytes { skew, .. } = &mut s.data {
        *skew = 1;
    }
    let e = reject_versioned(&s, &NO_COPY);
    assert!(
        matches!(e, DlpackError::Misaligned { dtype: DType::F64, align: 8, address } if address % 8 == 1),
        "{e:?}"
    );
}

#[test]
fn h23_misaligned_byte_offset() {
    let mut s = Spec::host((0, 32, 1), vec![0u8; 20]);
    s.shape = Some(vec![4]);
    s.byte_offset = 3;
    let e = reject_versioned(&s, &NO_COPY);
    assert_eq!(
        e,
        DlpackError::MisalignedByteOffset {
            byte_offset: 3,
            dtype: DType::I32,
            align: 4
        }
    );
}

#[test]
fn h24_opencl_device() {
    let mut s = base();
    s.device = (4, 0);
    let e = reject_versioned(&s, &NO_COPY);
    assert_eq!(
        e,
        DlpackError::UnsupportedDevice {
            device_type: 4,
            device_id: 0
        }
    );
}

#[test]
fn h25_unknown_device_code() {
    let mut s = base();
    s.device = (99, 0);
    let e = reject_versioned(&s, &NO_COPY);
    assert_eq!(
        e,
        DlpackError::UnsupportedDevice {
            device_type: 99,
            device_id: 0
        }
    );
}

#[test]
fn h26_negative_cuda_ordinal() {
    let mut s = base();
    s.device = (2, -1);
    s.data = Data::Address(0x10000);
    let e = reject_versioned(&s, &NO_COPY);
    assert_eq!(
        e,
        DlpackError::UnsupportedDevice {
            device_type: 2,
            device_id: -1
        }
    );
}

#[test]
fn h27_cuda_ordinal_too_large() {
    let mut s = base();
    s.device = (2, 1 << 20);
    s.data = Data::Address(0x10000);
    let e = reject_versioned(&s, &NO_COPY);
    assert_eq!(
        e,
        DlpackError::UnsupportedDevice {
            device_type: 2,
            device_id: 1 << 20
        }
    );
}

#[test]
fn h28_null_tensor_pointer() {
    // SAFETY: NULL is allowed by the contract.
    let r = unsafe { import_versioned(std::ptr::null_mut(), &NO_COPY) };
    assert_eq!(r.unwrap_err(), BufferError::Dlpack(DlpackError::NullTensor));
    // SAFETY: as above.
    let r = unsafe { import_legacy(std::ptr::null_mut(), &NO_COPY) };
    assert_eq!(r.unwrap_err(), BufferError::Dlpack(DlpackError::NullTensor));
}

#[test]
fn h29_legacy_non_compact_2d() {
    let mut s = base();
    s.ndim = 2;
    s.shape = Some(vec![2, 2]);
    s.strides = Some(vec![1, 2]);
    let e = reject_legacy(&s, &NO_COPY_2D);
    assert!(matches!(e, DlpackError::NonCompactStrides { .. }), "{e:?}");
}

#[test]
fn h30_legacy_bool_with_1_bit() {
    let mut s = base();
    s.dtype = (6, 1, 1);
    let e = reject_legacy(&s, &NO_COPY);
    assert_eq!(
        e,
        DlpackError::UnsupportedDType {
            code: 6,
            bits: 1,
            lanes: 1
        }
    );
}

#[test]
fn h31_non_compact_cuda_cannot_be_copied() {
    // Device memory is never dereferenced by the host: a strided CUDA tensor is rejected even when
    // a copy is allowed (no strided device copy), before any driver call.
    let mut s = base();
    s.shape = Some(vec![2]);
    s.strides = Some(vec![2]);
    s.device = (2, 0);
    s.data = Data::Address(0x7000_0000);
    let e = reject_versioned(&s, &ImportOptions::default());
    assert!(matches!(e, DlpackError::NonCompactStrides { .. }), "{e:?}");
}

#[test]
fn h35_strides_reaching_outside_the_address_space_are_rejected() {
    // Found by the dlpack_import fuzzer: two elements 2^62 elements apart cannot both exist, and
    // a copying import used to compute (wrapped) addresses from them and read there.
    for strides in [vec![1i64 << 62], vec![-(1i64 << 62)], vec![i64::MAX]] {
        let mut s = base();
        s.shape = Some(vec![2]);
        s.strides = Some(strides.clone());
        s.data = Data::Address(0x1000);
        let e = reject_versioned(&s, &ImportOptions::default());
        assert!(
            matches!(e, DlpackError::StridesOverflow { itemsize: 8, .. }),
            "{strides:?}: {e:?}"
        );
    }
    // A negative stride that would reach below address 0.
    let mut s = base();
    s.shape = Some(vec![3]);
    s.strides = Some(vec![-1024]);
    s.data = Data::Address(0x1000);
    let e = reject_versioned(&s, &ImportOptions::default());
    assert!(matches!(e, DlpackError::StridesOverflow { .. }), "{e:?}");
}

#[test]
fn h32_order_version_before_everything() {
    // Both the version and the dtype are wrong: the version wins.
    let mut s = base();
    s.version = (3, 1);
    s.dtype = (2, 32, 4);
    let e = reject_versioned(&s, &NO_COPY);
    assert_eq!(e, DlpackError::UnsupportedVersion { major: 3, minor: 1 });
}

#[test]
fn h33_order_shape_before_dtype() {
    let mut s = base();
    s.shape = Some(vec![-1]);
    s.dtype = (8, 8, 1);
    let e = reject_versioned(&s, &NO_COPY);
    assert_eq!(e, DlpackError::NegativeShape { dim: 0, extent: -1 });
}

#[test]
fn h34_order_lanes_before_device() {
    let mut s = base();
    s.dtype = (2, 64, 2);
    s.device = (4, 0);
    let e = reject_versioned(&s, &NO_COPY);
    assert_eq!(e, DlpackError::Lanes { lanes: 2 });
}

#[test]
fn error_messages_name_the_field_and_value() {
    let msg = DlpackError::NegativeShape { dim: 1, extent: -3 }.to_string();
    assert!(msg.contains("shape[1]") && msg.contains("-3"), "{msg}");
    let msg = DlpackError::UnsupportedVersion { major: 2, minor: 0 }.to_string();
    assert!(msg.contains("2.0"), "{msg}");
}
