//! Fuzz DLPack import with hostile tensors: every field (version, flags, ndim, shape, strides,
//! dtype, device, data pointer, byte offset, alignment) comes from the input.
//!
//! The harness plays an honest allocator behind a dishonest producer: wherever the fields describe
//! host memory of a plausible size, that memory really exists (filled with a known pattern), so
//! any read outside it is a bug of the importer, caught by AddressSanitizer. The checks:
//! - no panic, and the producer's deleter runs exactly once (on error at once; on success when the
//!   last view drops);
//! - a tensor whose extent cannot exist in an address space is rejected;
//! - an accepted tensor's bytes equal the elements its layout names, in row-major order (an
//!   oracle written here from the DLPack definition, independent of the importer).
#![no_main]

use std::ffi::c_void;
use std::sync::atomic::{AtomicUsize, Ordering};

use dlpark::DlpackFlags;
use dlpark::ffi::{
    DLDataType, DLDataTypeCode, DLDevice, DLDeviceType, DLManagedTensor, DLManagedTensorVersioned,
    DLPackVersion, DLTensor,
};
use libfuzzer_sys::fuzz_target;
use sparsebridge_buffer::dlpack::import::{ImportOptions, import_legacy, import_versioned};

/// The most host bytes one case may describe (larger, representable extents are skipped).
const CAP: i128 = 1 << 16;

static DELETED: AtomicUsize = AtomicUsize::new(0);

/// Reads the input front to back; zeros once it runs out.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn u64(&mut self) -> u64 {
        (0..8).fold(0u64, |acc, _| (acc << 8) | u64::from(self.u8()))
    }
    /// Mostly small values, sometimes anything (negative and extreme included).
    fn dim(&mut self) -> i64 {
        match self.u8() % 8 {
            0 => self.u64() as i64,
            1 => -(i64::from(self.u8() % 4)),
            _ => i64::from(self.u8() % 9),
        }
    }
}

/// The heap block behind one tensor: the managed struct first (the deleter frees the block).
#[repr(C)]
struct Block<M> {
    managed: M,
    shape: Vec<i64>,
    strides: Vec<i64>,
    storage: Vec<u64>,
}

unsafe extern "C" fn delete_versioned(p: *mut DLManagedTensorVersioned) {
    // SAFETY: only blocks made by `run` carry this deleter, each handed over once.
    drop(unsafe { Box::from_raw(p.cast::<Block<DLManagedTensorVersioned>>()) });
    DELETED.fetch_add(1, Ordering::SeqCst);
}

unsafe extern "C" fn delete_legacy(p: *mut DLManagedTensor) {
    // SAFETY: as above.
    drop(unsafe { Box::from_raw(p.cast::<Block<DLManagedTensor>>()) });
    DELETED.fetch_add(1, Ordering::SeqCst);
}

/// Lowest and highest element offset (in elements) of a layout, and the element count.
fn reach(shape: &[i64], strides: &[i64]) -> (i128, i128, i128) {
    let mut count = 1i128;
    let (mut lo, mut hi) = (0i128, 0i128);
    for (&e, &s) in shape.iter().zip(strides) {
        count = count.saturating_mul(i128::from(e.max(0)));
        // Saturating: up to 255 listed dimensions of extreme values would overflow even i128.
        let span = i128::from(e.max(1) - 1).saturating_mul(i128::from(s));
        lo = lo.saturating_add(span.min(0));
        hi = hi.saturating_add(span.max(0));
    }
    (lo, hi, count)
}

fn compact_strides(shape: &[i64]) -> Vec<i64> {
    let mut s = vec![1i64; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        s[d] = s[d + 1].saturating_mul(shape[d + 1].max(1));
    }
    s
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input(data);
    let head = inp.u8();
    let versioned = head & 1 == 0;
    let version = if head & 2 == 0 {
        (1u32, u32::from(inp.u8() % 4))
    } else {
        (u32::from(inp.u8()), u32::from(inp.u8()))
    };
    let flags = inp.u64() & 0b111;
    let ndim: i32 = match inp.u8() % 16 {
        0 => i32::from(inp.u8() as i8),
        n => i32::from(n % 4),
    };
    let listed = usize::try_from(ndim).unwrap_or(0).min(255);
    let shape_null = inp.u8() % 16 == 0;
    let strides_null = inp.u8() % 4 == 0;
    let shape: Vec<i64> = (0..listed).map(|_| inp.dim()).collect();
    let strides: Vec<i64> = (0..listed)
        .map(|_| match inp.u8() % 4 {
            0 => inp.dim(),
            _ => 0, // replaced by a compact stride below
        })
        .collect();
    let compact = compact_strides(&shape);
    let strides: Vec<i64> = strides
        .iter()
        .zip(&compact)
        .map(|(&s, &c)| if s == 0 { c } else { s })
        .collect();
    let dtype = match inp.u8() % 4 {
        0 => (inp.u8(), inp.u8(), u16::from(inp.u8())),
        _ => {
            let (code, bits) = [
                (0u8, 8u8),
                (0, 32),
                (0, 64),
                (1, 16),
                (1, 32),
                (2, 32),
                (2, 64),
                (5, 128),
                (6, 8),
            ][usize::from(inp.u8() % 9)];
            (code, bits, 1u16)
        }
    };
    let device = match inp.u8() % 8 {
        0 => (u32::from(inp.u8()), i32::from(inp.u8() as i8)),
        1 => (2, 0),  // CUDA: never dereferenced, no driver here
        2 => (3, 0),  // pinned host
        3 => (13, 0), // managed
        _ => (1, 0),
    };
    let byte_offset = match inp.u8() % 8 {
        0 => inp.u64(),
        1 => u64::from(inp.u8() % 16),
        _ => 0,
    };
    let skew = usize::from(inp.u8() % 8);
    let null_data = inp.u8() % 32 == 0;
    let opts = ImportOptions {
        copy: [None, Some(true), Some(false)][usize::from(inp.u8() % 3)],
        allow_2d: inp.u8() & 1 == 1,
    };

    // What the fields describe, computed here independently of the importer.
    let itemsize = (i128::from(dtype.1) * i128::from(dtype.2))
        .div_euclid(8)
        .max(1);
    let effective_strides = if strides_null {
        compact.clone()
    } else {
        strides.clone()
    };
    let (lo, hi, count) = reach(&shape, &effective_strides);
    let host = matches!(device.0, 1 | 3 | 13);
    let extent = if count == 0 {
        0
    } else {
        (hi - lo).saturating_add(1).saturating_mul(itemsize)
    };
    let impossible = count > 0
        && (lo.saturating_mul(itemsize) < -(isize::MAX as i128)
            || hi.saturating_add(1).saturating_mul(itemsize) > isize::MAX as i128);
    if host && !impossible && extent > CAP {
        return; // a real producer could own this much; we cannot back it
    }
    // Back the described elements with a pattern: byte k of the region is (k * 31 + 7) as u8.
    let region = if host && !impossible {
        extent as usize
    } else {
        0
    };
    let mut storage = vec![0u64; (region + skew + 16).div_ceil(8)];
    {
        let bytes: &mut [u8] = bytemuck_cast(&mut storage);
        for (k, b) in bytes[skew..skew + region].iter_mut().enumerate() {
            *b = (k as u32).wrapping_mul(31).wrapping_add(7) as u8;
        }
    }
    let base = storage.as_mut_ptr().cast::<u8>().wrapping_add(skew);
    // address = data + byte_offset is where element 0 lives: `-lo` elements into the region.
    let address = base.wrapping_add((-lo * itemsize).clamp(0, CAP) as usize);
    let data_ptr: *mut c_void = if null_data {
        std::ptr::null_mut()
    } else if host && !impossible {
        address.wrapping_sub(byte_offset as usize).cast()
    } else {
        0x1000usize as *mut c_void // never valid; must never be read
    };
    let address_usize = (data_ptr as usize).wrapping_add(byte_offset as usize);

    let expect_before = DELETED.load(Ordering::SeqCst);
    let tensor = |shape: &mut Vec<i64>, strides: &mut Vec<i64>| DLTensor {
        data: data_ptr,
        device: DLDevice {
            device_type: DLDeviceType(device.0),
            device_id: device.1,
        },
        ndim,
        dtype: DLDataType {
            code: DLDataTypeCode(dtype.0),
            bits: dtype.1,
            lanes: dtype.2,
        },
        shape: if shape_null {
            std::ptr::null_mut()
        } else {
            shape.as_mut_ptr()
        },
        strides: if strides_null {
            std::ptr::null_mut()
        } else {
            strides.as_mut_ptr()
        },
        byte_offset,
    };
    let result = if versioned {
        let mut block = Box::new(Block {
            managed: DLManagedTensorVersioned {
                version: DLPackVersion {
                    major: version.0,
                    minor: version.1,
                },
                manager_ctx: std::ptr::null_mut(),
                deleter: Some(delete_versioned),
                flags: DlpackFlags::from_bits_retain(flags),
                dl_tensor: DLTensor {
                    data: std::ptr::null_mut(),
                    device: DLDevice {
                        device_type: DLDeviceType(1),
                        device_id: 0,
                    },
                    ndim: 0,
                    dtype: DLDataType {
                        code: DLDataTypeCode(0),
                        bits: 8,
                        lanes: 1,
                    },
                    shape: std::ptr::null_mut(),
                    strides: std::ptr::null_mut(),
                    byte_offset: 0,
                },
            },
            shape,
            strides,
            storage,
        });
        let Block {
            managed,
            shape,
            strides,
            ..
        } = &mut *block;
        managed.dl_tensor = tensor(shape, strides);
        let p = Box::into_raw(block).cast::<DLManagedTensorVersioned>();
        // SAFETY: `p` is a live tensor we own; shape/strides hold `ndim` entries (or are NULL),
        // and the data it describes is backed whenever it is host memory of a possible size.
        unsafe { import_versioned(p, &opts) }
    } else {
        let mut block = Box::new(Block {
            managed: DLManagedTensor {
                dl_tensor: DLTensor {
                    data: std::ptr::null_mut(),
                    device: DLDevice {
                        device_type: DLDeviceType(1),
                        device_id: 0,
                    },
                    ndim: 0,
                    dtype: DLDataType {
                        code: DLDataTypeCode(0),
                        bits: 8,
                        lanes: 1,
                    },
                    shape: std::ptr::null_mut(),
                    strides: std::ptr::null_mut(),
                    byte_offset: 0,
                },
                manager_ctx: std::ptr::null_mut(),
                deleter: Some(delete_legacy),
            },
            shape,
            strides,
            storage,
        });
        let Block {
            managed,
            shape,
            strides,
            ..
        } = &mut *block;
        managed.dl_tensor = tensor(shape, strides);
        let p = Box::into_raw(block).cast::<DLManagedTensor>();
        // SAFETY: as above.
        unsafe { import_legacy(p, &opts) }
    };

    match result {
        Err(_) => assert_eq!(
            DELETED.load(Ordering::SeqCst),
            expect_before + 1,
            "a rejected tensor's deleter must run exactly once"
        ),
        Ok(imported) => {
            assert!(
                !impossible,
                "accepted a tensor whose extent overflows the address space"
            );
            assert!(
                !null_data || count == 0,
                "accepted NULL data for {count} elements"
            );
            if host {
                let got = imported.buffer.as_bytes().expect("host bytes");
                let size = usize::try_from(itemsize).unwrap();
                assert_eq!(got.len() as i128, count * itemsize);
                // Row-major walk of the described elements (ndim is 1 or 2 when accepted).
                let mut k = 0usize;
                let dims = shape_of(&imported.shape);
                let st = &effective_strides;
                for r in 0..dims.0 {
                    for c in 0..dims.1 {
                        let elem = if imported.shape.len() == 2 {
                            r as i128 * i128::from(st[0]) + c as i128 * i128::from(st[1])
                        } else {
                            c as i128 * i128::from(st[0])
                        };
                        // Offset of this element from the region start.
                        let at = (address_usize as i128 - base as usize as i128) + elem * itemsize;
                        for b in 0..size {
                            let want =
                                ((at + b as i128) as u32).wrapping_mul(31).wrapping_add(7) as u8;
                            assert_eq!(got[k * size + b], want, "element {k} byte {b}");
                        }
                        k += 1;
                    }
                }
            }
            drop(imported);
            assert_eq!(
                DELETED.load(Ordering::SeqCst),
                expect_before + 1,
                "an accepted tensor's deleter must run exactly once, after the last view"
            );
        }
    }
});

fn shape_of(shape: &[usize]) -> (usize, usize) {
    match shape {
        [n] => (1, *n),
        [m, n] => (*m, *n),
        _ => (0, 0),
    }
}

fn bytemuck_cast(words: &mut [u64]) -> &mut [u8] {
    // Safe view of u64 storage as bytes (no alignment or validity concerns in this direction).
    let len = words.len() * 8;
    let p = words.as_mut_ptr().cast::<u8>();
    // SAFETY: `p` points to `len` initialised bytes owned by `words`, borrowed mutably for the
    // returned lifetime; u8 has no alignment or validity requirements.
    unsafe { std::slice::from_raw_parts_mut(p, len) }
}
