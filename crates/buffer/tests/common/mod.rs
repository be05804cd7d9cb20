//! Hand-built DLPack tensors (including hostile ones) with deleter counters.
#![allow(dead_code)]

use std::ffi::c_void;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dlpark::DlpackFlags;
use dlpark::ffi::{
    DLDataType, DLDataTypeCode, DLDevice, DLDeviceType, DLManagedTensor, DLManagedTensorVersioned,
    DLPackVersion, DLTensor,
};

/// Where the fake tensor's data pointer points.
#[derive(Debug, Clone)]
pub enum Data {
    /// The start of owned storage holding these bytes (8-byte aligned), plus a byte skew.
    Bytes { bytes: Vec<u8>, skew: usize },
    /// NULL.
    Null,
    /// A raw address that is never dereferenced (device memory, or invalid on purpose).
    Address(usize),
}

/// Every field of a tensor, as a producer might (mis)fill it.
#[derive(Debug, Clone)]
pub struct Spec {
    pub version: (u32, u32),
    pub flags: u64,
    pub ndim: i32,
    /// `None`: NULL shape pointer.
    pub shape: Option<Vec<i64>>,
    /// `None`: NULL strides pointer.
    pub strides: Option<Vec<i64>>,
    pub data: Data,
    pub byte_offset: u64,
    /// (code, bits, lanes)
    pub dtype: (u8, u8, u16),
    /// (device_type, device_id)
    pub device: (u32, i32),
}

impl Spec {
    /// A valid 1-D host tensor of the given dtype holding `bytes`.
    pub fn host(dtype: (u8, u8, u16), bytes: Vec<u8>) -> Self {
        let itemsize = (usize::from(dtype.1) / 8).max(1);
        let n = (bytes.len() / itemsize) as i64;
        Spec {
            version: (1, 3),
            flags: 0,
            ndim: 1,
            shape: Some(vec![n]),
            strides: Some(vec![1]),
            data: Data::Bytes { bytes, skew: 0 },
            byte_offset: 0,
            dtype,
            device: (1, 0),
        }
    }

    /// A valid 1-D host f64 tensor.
    pub fn f64s(values: &[f64]) -> Self {
        Spec::host(
            (2, 64, 1),
            values.iter().flat_map(|v| v.to_ne_bytes()).collect(),
        )
    }
}

/// The heap block behind a fake tensor; the managed struct comes first.
#[repr(C)]
struct FakeVersioned {
    managed: DLManagedTensorVersioned,
    shape: Vec<i64>,
    strides: Vec<i64>,
    storage: Vec<u64>,
    counter: Arc<AtomicUsize>,
}

#[repr(C)]
struct FakeLegacy {
    managed: DLManagedTensor,
    shape: Vec<i64>,
    strides: Vec<i64>,
    storage: Vec<u64>,
    counter: Arc<AtomicUsize>,
}

unsafe extern "C" fn delete_fake_versioned(p: *mut DLManagedTensorVersioned) {
    // SAFETY: only tensors made by `versioned` carry this deleter.
    let b = unsafe { Box::from_raw(p.cast::<FakeVersioned>()) };
    b.counter.fetch_add(1, Ordering::SeqCst);
}

unsafe extern "C" fn delete_fake_legacy(p: *mut DLManagedTensor) {
    // SAFETY: only tensors made by `legacy` carry this deleter.
    let b = unsafe { Box::from_raw(p.cast::<FakeLegacy>()) };
    b.counter.fetch_add(1, Ordering::SeqCst);
}

fn parts(spec: &Spec) -> (Vec<i64>, Vec<i64>, Vec<u64>) {
    let shape = spec.shape.clone().unwrap_or_default();
    let strides = spec.strides.clone().unwrap_or_default();
    let storage = match &spec.data {
        Data::Bytes { bytes, skew } => {
            let mut words = vec![0u64; (bytes.len() + skew).div_ceil(8) + 1];
            let dst: &mut [u8] = bytemuck::cast_slice_mut(&mut words);
            dst[*skew..skew + bytes.len()].copy_from_slice(bytes);
            words
        }
        _ => Vec::new(),
    };
    (shape, strides, storage)
}

fn tensor(spec: &Spec, shape: &mut [i64], strides: &mut [i64], storage: &mut [u64]) -> DLTensor {
    let data = match &spec.data {
        Data::Bytes { skew, .. } => storage
            .as_mut_ptr()
            .cast::<u8>()
            .wrapping_add(*skew)
            .cast::<c_void>(),
        Data::Null => std::ptr::null_mut(),
        Data::Address(a) => *a as *mut c_void,
    };
    DLTensor {
        data,
        device: DLDevice {
            device_type: DLDeviceType(spec.device.0),
            device_id: spec.device.1,
        },
        ndim: spec.ndim,
        dtype: DLDataType {
            code: DLDataTypeCode(spec.dtype.0),
            bits: spec.dtype.1,
            lanes: spec.dtype.2,
        },
        shape: if spec.shape.is_some() {
            shape.as_mut_ptr()
        } else {
            std::ptr::null_mut()
        },
        strides: if spec.strides.is_some() {
            strides.as_mut_ptr()
        } else {
            std::ptr::null_mut()
        },
        byte_offset: spec.byte_offset,
    }
}

/// A versioned managed tensor built from `spec`, and its deleter counter.
pub fn versioned(spec: &Spec) -> (*mut DLManagedTensorVersioned, Arc<AtomicUsize>) {
    let counter = Arc::new(AtomicUsize::new(0));
    let (shape, strides, storage) = parts(spec);
    let mut b = Box::new(FakeVersioned {
        managed: DLManagedTensorVersioned {
            version: DLPackVersion {
                major: spec.version.0,
                minor: spec.version.1,
            },
            manager_ctx: std::ptr::null_mut(),
            deleter: Some(delete_fake_versioned),
            flags: DlpackFlags::from_bits_retain(spec.flags),
            dl_tensor: tensor(spec, &mut [], &mut [], &mut []),
        },
        shape,
        strides,
        storage,
        counter: counter.clone(),
    });
    let FakeVersioned {
        managed,
        shape,
        strides,
        storage,
        ..
    } = &mut *b;
    managed.dl_tensor = tensor(spec, shape, strides, storage);
    (Box::into_raw(b).cast(), counter)
}

/// A legacy managed tensor built from `spec` (version and flags ignored).
pub fn legacy(spec: &Spec) -> (*mut DLManagedTensor, Arc<AtomicUsize>) {
    let counter = Arc::new(AtomicUsize::new(0));
    let (shape, strides, storage) = parts(spec);
    let mut b = Box::new(FakeLegacy {
        managed: DLManagedTensor {
            dl_tensor: tensor(spec, &mut [], &mut [], &mut []),
            manager_ctx: std::ptr::null_mut(),
            deleter: Some(delete_fake_legacy),
        },
        shape,
        strides,
        storage,
        counter: counter.clone(),
    });
    let FakeLegacy {
        managed,
        shape,
        strides,
        storage,
        ..
    } = &mut *b;
    managed.dl_tensor = tensor(spec, shape, strides, storage);
    (Box::into_raw(b).cast(), counter)
}

/// Reads the deleter counter.
pub fn count(c: &AtomicUsize) -> usize {
    c.load(Ordering::SeqCst)
}
