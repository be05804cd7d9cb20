//! The CUDA engine: the router (`crate::engine`) sends a `Device::Cuda(n)` array here, with the
//! kernels of `kernels/*.cu` compiled at run time by NVRTC (cached per device) and launched only
//! through the typed wrappers generated from the launch table ([`table::TABLE`]), which is
//! compared with each module's PTX when the module is loaded. Nothing goes through the host
//! except O(1) reads (an error position, a value named in an error, a segment count), the
//! O(log nnz) reads of the binary search for a rejected duplicate, and the explanation of a
//! failed device validation or of a source that cannot be canonicalized (bad pointers, an
//! index out of bounds: the array is copied to the host so that the error is the CPU
//! validator's or the CPU engine's, word for word).
//!
//! | conversion | kernels (kernels/README.md) |
//! |---|---|
//! | validation (`validate_full`) | `cast_<P>_u64`, `validate_ptr`, `validate_csr_<I>`; `validate_coo_<I>` |
//! | COOR → CSR, COOC → CSC | `coo_ptr_<I>` (+ `cast_u64_<P>`); `indices_1` and `values` shared |
//! | CSR → COOR, CSC → COOC | `csr_expand_<I>`; `indices_1` and `values` shared |
//! | CSR ↔ CSC, COOR ↔ COOC, and the mixed pairs | expand, LSD radix sort (`radix_hist`, scan, `radix_scatter`) carrying a permutation, `gather_<w>` of indices and values, `coo_ptr_<I>` |
//! | DMATR/DMATC, DCSR/DCSC, CVEC/DVEC sources and targets | see [`formats`]: the source becomes COOR/COOC/CSR/CSC parts on the device, the target's arrays are built from them |
//! | index and pointer width | `cast_<S>_<D>` with the first position that does not fit |
//! | canonicalization (`ConvertOptions::canonicalize`, COOR/COOC/CSR/CSC) | pointers: `cast_<P>_u64`, `validate_ptr`, `csr_expand_u64`; radix sort by minor then by major (`radix_hist`, scan, `radix_scatter`), bounds of the sorted keys by `validate_coo_<I>`, `gather_<w>`; `mark_heads_<I>`, scan; `Sum`: `heads_to_starts`, `gather_<w>`, `segsum_<V>` (no float16/bfloat16 kernel), `coo_ptr_<I>` + `cast_u64_<P>` for CSR/CSC; `Reject`: binary search on the scan |

mod formats;
pub mod table;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use sparsebridge_array::SparseArray;
use sparsebridge_buffer::cuda::{
    self, CudaDevice, DeviceBufferMut, KernelArg, KernelError, KernelSignature, ModuleSource,
};
use sparsebridge_buffer::{Buffer, DType, Device, dispatch_dtype};
use sparsebridge_descriptor::ScalarType;

use crate::assemble::{
    Kind, Parts, check_rank, extents, fill_value, finish, format_name, index_dtype, is_identity,
    resolve_dtypes, stored_parts,
};
use crate::error::{EngineError, unsupported_index};
use crate::index::check_fits;
use crate::target::{ConvertOptions, Converted, Target};
use crate::{ConvertError, DuplicatePolicy, Index};
use table::{Family, Launch, TABLE};

const COMMON: &str = include_str!("../../../../kernels/common.cuh");

/// The source of `kernels/<file>.cu`.
fn source(file: &str) -> Option<&'static str> {
    Some(match file {
        "scan" => include_str!("../../../../kernels/scan.cu"),
        "coo" => include_str!("../../../../kernels/coo.cu"),
        "sort" => include_str!("../../../../kernels/sort.cu"),
        "gather" => include_str!("../../../../kernels/gather.cu"),
        "cast" => include_str!("../../../../kernels/cast.cu"),
        "validate" => include_str!("../../../../kernels/validate.cu"),
        "canon" => include_str!("../../../../kernels/canon.cu"),
        "dense" => include_str!("../../../../kernels/dense.cu"),
        _ => return None,
    })
}

/// Threads per block: 256, or `SPARSEBRIDGE_CUDA_BLOCK` (a multiple of 32 in 32..=1024; tests
/// use small blocks to get many blocks and partial tiles from small inputs).
fn block_size() -> u32 {
    static BLOCK: OnceLock<u32> = OnceLock::new();
    *BLOCK.get_or_init(|| {
        std::env::var("SPARSEBRIDGE_CUDA_BLOCK")
            .ok()
            .and_then(|v| v.parse::<u32>().ok())
            .filter(|b| (32..=1024).contains(b) && b % 32 == 0)
            .unwrap_or(256)
    })
}

/// Loads (compiling on first use, cached per device) the module of `file`, checking every
/// launch-table row of that file against its PTX.
fn module(dev: &Arc<CudaDevice>, file: &str) -> Result<Arc<cuda::KernelModule>, KernelError> {
    let src = source(file).ok_or_else(|| KernelError::UnknownKernel {
        module: format!("{file}.cu"),
        kernel: "(no such kernel file)".to_owned(),
    })?;
    let rows: Vec<&Family> = TABLE.iter().filter(|f| f.file == file).collect();
    let names: Vec<Vec<String>> = rows
        .iter()
        .map(|f| f.suffixes.all().iter().map(|s| f.kernel_name(s)).collect())
        .collect();
    let sigs: Vec<KernelSignature<'_>> = rows
        .iter()
        .zip(&names)
        .flat_map(|(f, ns)| {
            ns.iter().map(|n| KernelSignature {
                name: n,
                params: f.params,
            })
        })
        .collect();
    let name = format!("{file}.cu");
    dev.load_module(&ModuleSource {
        name: &name,
        source: src,
        headers: &[("common.cuh", COMMON)],
        signatures: &sigs,
    })
}

/// Checks a launch-table row (every suffix) against the PTX of its module on device `ordinal`,
/// compiling the module if needed. The shipped table passes; a row whose parameter is 32-bit
/// where the PTX is 64-bit fails with [`KernelError::ParamSize`] naming the kernel and the
/// parameter (issue 5, planted bug b).
pub fn check_family(ordinal: u16, family: &Family) -> Result<(), KernelError> {
    let dev = cuda::device(ordinal)?;
    let m = module(&dev, family.file)?;
    for s in family.suffixes.all() {
        let name = family.kernel_name(&s);
        m.check(&KernelSignature {
            name: &name,
            params: family.params,
        })?;
    }
    Ok(())
}

/// Loads every module of the launch table on device `ordinal` (each load checks its rows).
pub fn verify_table(ordinal: u16) -> Result<usize, KernelError> {
    let dev = cuda::device(ordinal)?;
    let mut files: Vec<&str> = TABLE.iter().map(|f| f.file).collect();
    files.sort_unstable();
    files.dedup();
    for f in &files {
        module(&dev, f)?;
    }
    Ok(TABLE.iter().map(|f| f.suffixes.all().len()).sum())
}

/// The engine's device context: one device, a block size, typed launches.
struct Gpu {
    dev: Arc<CudaDevice>,
    block: u32,
    /// Modules already loaded (and checked) during this conversion, by file.
    modules: RefCell<HashMap<&'static str, Arc<cuda::KernelModule>>>,
}

impl Launch for Gpu {
    fn launch(
        &self,
        family: &Family,
        suffix: &str,
        grid: u32,
        block: u32,
        args: &[KernelArg],
    ) -> Result<(), EngineError> {
        let cached = self.modules.borrow().get(family.file).cloned();
        let m = match cached {
            Some(m) => m,
            None => {
                let m = module(&self.dev, family.file)?;
                self.modules.borrow_mut().insert(family.file, m.clone());
                m
            }
        };
        let name = family.kernel_name(suffix);
        let k = m.kernel(&KernelSignature {
            name: &name,
            params: family.params,
        })?;
        k.launch(grid, block, args)?;
        Ok(())
    }
}

/// The kernel-name suffix of an index dtype: its Rust type name (`i32`, `u64`, ...).
fn suffix(dt: DType) -> Result<&'static str, EngineError> {
    macro_rules! rust_name {
        ($t:ty, $v:ident) => {
            stringify!($t)
        };
    }
    Ok(dispatch_dtype!(dt, [integer] => rust_name, other => {
        return Err(EngineError::Internal(format!("index dtype {other}")));
    }))
}

fn width_suffix(dt: DType) -> Result<&'static str, EngineError> {
    Ok(match dt.size() {
        1 => "b1",
        2 => "b2",
        4 => "b4",
        8 => "b8",
        16 => "b16",
        _ => return Err(EngineError::Internal(format!("value dtype {dt}"))),
    })
}

/// `check_fits` for a dtype known at run time.
fn fits(dt: DType, max: usize, what: &'static str) -> Result<(), EngineError> {
    dispatch_dtype!(dt, [integer] => |T| { Ok(check_fits::<T>(max, what)?) }, other => Err(unsupported_index(other)))
}

/// Element `k` of an integer buffer on any device, widened (one element is copied).
fn read_i128(b: &Buffer, k: usize) -> Result<i128, EngineError> {
    let one = b.slice(k, 1)?;
    dispatch_dtype!(one.dtype(), [integer] => |T| { Ok(one.to_vec::<T>()?[0].to_i128()) }, other => Err(unsupported_index(other)))
}

fn dtype_name(dt: DType) -> Result<&'static str, EngineError> {
    dispatch_dtype!(dt, [integer] => |T| { Ok(<T as Index>::DTYPE) }, other => Err(unsupported_index(other)))
}

fn to_u32(v: u64, what: &str) -> Result<u32, EngineError> {
    u32::try_from(v).map_err(|_| EngineError::Unsupported(format!("{what} {v} above u32 blocks")))
}

fn to_u64(v: usize) -> u64 {
    // usize is at most 64 bits on every supported target.
    v as u64
}

impl Gpu {
    fn new(ordinal: u16) -> Result<Self, EngineError> {
        Ok(Gpu {
            dev: cuda::device(ordinal)?,
            block: block_size(),
            modules: RefCell::new(HashMap::new()),
        })
    }

    fn tile(&self) -> u64 {
        u64::from(self.block) * 4
    }

    /// Blocks for a grid-stride kernel over `n` items (at least 1, at most 65535).
    fn grid(&self, n: u64) -> u32 {
        let g = n.div_ceil(u64::from(self.block)).clamp(1, 65_535);
        // Clamped to 65535 above.
        g as u32
    }

    /// `G(n)` of kernels/README.md: exact-grid tiles.
    fn tiles(&self, n: u64) -> u64 {
        n.div_ceil(self.tile())
    }

    fn alloc(&self, dtype: DType, len: usize) -> Result<DeviceBufferMut, EngineError> {
        Ok(self.dev.alloc_uninit(dtype, len)?)
    }

    /// A `first_bad` cell set to "none" (all ones).
    fn bad_cell(&self) -> Result<DeviceBufferMut, EngineError> {
        let mut b = self.alloc(DType::U64, 1)?;
        b.memset(0xFF)?;
        Ok(b)
    }

    fn read_bad(&self, cell: &DeviceBufferMut) -> Result<Option<usize>, EngineError> {
        let v = cell.to_vec::<u64>()?[0];
        Ok(if v == u64::MAX {
            None
        } else {
            Some(usize::try_from(v).unwrap_or(usize::MAX))
        })
    }

    /// Exclusive scan of `n` u64 at `x`, in place (kernels/README.md sequence).
    fn scan(&self, x: u64, n: u64) -> Result<(), EngineError> {
        if n == 0 {
            return Ok(());
        }
        let g = self.tiles(n);
        let gu = to_u32(g, "scan grid")?;
        if g == 1 {
            return self.scan_tiles_u64("", 1, self.block, x, x, 0, n);
        }
        let len = usize::try_from(g).map_err(|_| EngineError::Unsupported("scan size".into()))?;
        let sums = self.alloc(DType::U64, len)?;
        self.scan_tiles_u64("", gu, self.block, x, x, sums.ptr(), n)?;
        self.scan(sums.ptr(), g)?;
        self.scan_add_u64("", self.grid(n), self.block, x, sums.ptr(), n, self.tile())
    }

    /// `input` cast to `to` on the device (shared when the dtype already matches).
    fn cast_buffer(
        &self,
        input: &Buffer,
        to: DType,
        array: &'static str,
        copied: &mut bool,
    ) -> Result<Buffer, EngineError> {
        if input.dtype() == to {
            return Ok(input.clone());
        }
        *copied = true;
        let n = input.len();
        let out = self.alloc(to, n)?;
        if n > 0 {
            let bad = self.bad_cell()?;
            let sfx = format!("{}_{}", suffix(input.dtype())?, suffix(to)?);
            let n64 = to_u64(n);
            self.cast(
                &sfx,
                self.grid(n64),
                self.block,
                input.cuda_ptr()?,
                out.ptr(),
                n64,
                bad.ptr(),
            )?;
            if let Some(position) = self.read_bad(&bad)? {
                return Err(ConvertError::DoesNotFit {
                    array,
                    position,
                    value: read_i128(input, position)?,
                    dtype: dtype_name(to)?,
                }
                .into());
            }
        }
        Ok(out.freeze())
    }

    /// Pointers (any integer dtype, validated: non-negative) as u64 device memory.
    fn pointers_u64(&self, ptr: &Buffer) -> Result<Buffer, EngineError> {
        match ptr.dtype() {
            DType::U64 => Ok(ptr.clone()),
            // Validated pointers are non-negative: the bytes are the same.
            DType::I64 => Ok(ptr.reinterpret(DType::U64)?),
            _ => {
                let mut c = false;
                self.cast_buffer(ptr, DType::U64, "pointers_to_1", &mut c)
            }
        }
    }

    /// u64 pointers narrowed to `to` (the caller checked that nnz fits `to`).
    fn pointers_from_u64(&self, ptr: DeviceBufferMut, to: DType) -> Result<Buffer, EngineError> {
        let ptr = ptr.freeze();
        if to == DType::U64 {
            return Ok(ptr);
        }
        let mut c = false;
        self.cast_buffer(&ptr, to, "pointers_to_1", &mut c)
    }

    /// Sorted major indices (dtype of `majors`) → u64 pointers over `extent` segments.
    fn compress(&self, majors: &Buffer, extent: usize) -> Result<DeviceBufferMut, EngineError> {
        let len = extent.checked_add(1).ok_or(ConvertError::SizeOverflow {
            what: "pointers_to_1 length",
        })?;
        let ptr = self.alloc(DType::U64, len)?;
        let nnz = to_u64(majors.len());
        self.coo_ptr(
            suffix(majors.dtype())?,
            self.grid(nnz + 1),
            self.block,
            majors.cuda_ptr()?,
            ptr.ptr(),
            nnz,
            to_u64(extent),
        )?;
        Ok(ptr)
    }

    /// u64 pointers over `extent` segments → `nnz` major indices of dtype `to`.
    fn expand(
        &self,
        ptr64: &Buffer,
        extent: usize,
        nnz: usize,
        to: DType,
    ) -> Result<Buffer, EngineError> {
        let rows = self.alloc(to, nnz)?;
        let lanes = to_u64(extent).saturating_mul(32);
        self.csr_expand(
            suffix(to)?,
            self.grid(lanes),
            self.block,
            ptr64.cuda_ptr()?,
            rows.ptr(),
            to_u64(extent),
            to_u64(nnz),
        )?;
        Ok(rows.freeze())
    }

    /// Stable LSD radix sort of `keys` (values < `bound`), carrying a permutation: returns the
    /// sorted keys and `perm` with sorted[i] = keys[perm[i]].
    fn radix_sort(&self, keys: &Buffer, bound: usize) -> Result<(Buffer, Buffer), EngineError> {
        let n = keys.len();
        let n64 = to_u64(n);
        let bits = usize::BITS - bound.saturating_sub(1).leading_zeros();
        let passes = bits.div_ceil(8);
        if passes == 0 || n <= 1 {
            let perm = self.alloc(DType::U64, n)?;
            self.iota_u64("", self.grid(n64), self.block, perm.ptr(), n64)?;
            return Ok((keys.clone(), perm.freeze()));
        }
        let g = self.tiles(n64);
        let gu = to_u32(g, "radix grid")?;
        let hist_len = usize::try_from(g.saturating_mul(256))
            .map_err(|_| EngineError::Unsupported("radix histogram size".into()))?;
        let hist = self.alloc(DType::U64, hist_len)?;
        let sfx = suffix(keys.dtype())?;
        let bufs = [
            (self.alloc(keys.dtype(), n)?, self.alloc(DType::U64, n)?),
            (self.alloc(keys.dtype(), n)?, self.alloc(DType::U64, n)?),
        ];
        let (mut cur_keys, mut cur_perm) = (keys.cuda_ptr()?, 0u64);
        let mut last = 0usize;
        for pass in 0..passes {
            let shift = pass * 8;
            let out = &bufs[pass as usize % 2];
            self.radix_hist(sfx, gu, self.block, cur_keys, hist.ptr(), n64, shift)?;
            self.scan(hist.ptr(), to_u64(hist_len))?;
            self.radix_scatter(
                sfx,
                gu,
                self.block,
                cur_keys,
                cur_perm,
                out.0.ptr(),
                out.1.ptr(),
                hist.ptr(),
                n64,
                shift,
            )?;
            cur_keys = out.0.ptr();
            cur_perm = out.1.ptr();
            last = pass as usize % 2;
        }
        let [a, b] = bufs;
        let (k, p) = if last == 0 { a } else { b };
        Ok((k.freeze(), p.freeze()))
    }

    /// `src` (elements of `src.dtype()`) gathered by `perm`.
    fn gather_by(&self, src: &Buffer, perm: &Buffer) -> Result<Buffer, EngineError> {
        let n = perm.len();
        let out = self.alloc(src.dtype(), n)?;
        let n64 = to_u64(n);
        self.gather(
            width_suffix(src.dtype())?,
            self.grid(n64),
            self.block,
            src.cuda_ptr()?,
            perm.cuda_ptr()?,
            out.ptr(),
            n64,
            to_u64(src.len()),
        )?;
        Ok(out.freeze())
    }

    /// The O(nnz) structural check of a source of layout `kind` and extents `ext` (logical
    /// order), on the device. `Ok(false)`: invalid (explained by the caller). Dense arrays have
    /// no structure beyond their length, checked when the array was built.
    fn validate_kind(
        &self,
        a: &SparseArray,
        kind: Kind,
        ext: &[usize],
    ) -> Result<bool, EngineError> {
        let stored = |col_major: bool| {
            if col_major {
                (ext[1], ext[0])
            } else {
                (ext[0], ext[1])
            }
        };
        match kind {
            Kind::Dense { .. } => Ok(true),
            Kind::Coo { rank: 1, .. } => self.strictly_increasing(&get(a, "indices_0")?, ext[0]),
            Kind::Coo { col_major, .. } => self.validate(a, false, stored(col_major)),
            Kind::Compressed { col_major } => self.validate(a, true, stored(col_major)),
            Kind::Doubly { col_major } => self.validate_doubly(
                &get(a, "indices_0")?,
                &get(a, "pointers_to_1")?,
                &get(a, "indices_1")?,
                stored(col_major),
            ),
        }
    }

    /// The COO/CSR structural check on the device. `Ok(false)`: invalid.
    fn validate(
        &self,
        a: &SparseArray,
        compressed: bool,
        extents: (usize, usize),
    ) -> Result<bool, EngineError> {
        let get = |n: &str| {
            a.array(n)
                .cloned()
                .ok_or_else(|| EngineError::Internal(format!("missing array {n}")))
        };
        let inner = get("indices_1")?;
        let nnz = to_u64(inner.len());
        let (major, minor) = (to_u64(extents.0), to_u64(extents.1));
        let bad = self.bad_cell()?;
        if compressed {
            let ptr = get("pointers_to_1")?;
            if ptr.dtype() != DType::U64 {
                // A negative pointer fails the cast: invalid.
                let cell = self.bad_cell()?;
                let out = self.alloc(DType::U64, ptr.len())?;
                let n = to_u64(ptr.len());
                let sfx = format!("{}_u64", suffix(ptr.dtype())?);
                self.cast(
                    &sfx,
                    self.grid(n),
                    self.block,
                    ptr.cuda_ptr()?,
                    out.ptr(),
                    n,
                    cell.ptr(),
                )?;
                if self.read_bad(&cell)?.is_some() {
                    return Ok(false);
                }
                return self.validate_compressed(&out.freeze(), &inner, major, minor, nnz, &bad);
            }
            self.validate_compressed(&ptr, &inner, major, minor, nnz, &bad)
        } else {
            let mut outer = get("indices_0")?;
            let mut inner = inner;
            if outer.dtype() != inner.dtype() {
                // Widen both to one type: u64 when both are unsigned, else i64. A value that
                // does not fit (a u64 above i64::MAX) is out of bounds anyway: invalid.
                let unsigned =
                    |d: DType| matches!(d, DType::U8 | DType::U16 | DType::U32 | DType::U64);
                let wide = if unsigned(outer.dtype()) && unsigned(inner.dtype()) {
                    DType::U64
                } else {
                    DType::I64
                };
                let mut c = false;
                match (
                    self.cast_buffer(&outer, wide, "indices_0", &mut c),
                    self.cast_buffer(&inner, wide, "indices_1", &mut c),
                ) {
                    (Ok(o), Ok(i)) => (outer, inner) = (o, i),
                    (Err(EngineError::Convert(_)), _) | (_, Err(EngineError::Convert(_))) => {
                        return Ok(false);
                    }
                    (Err(e), _) | (_, Err(e)) => return Err(e),
                }
            }
            self.validate_coo(
                suffix(inner.dtype())?,
                self.grid(nnz),
                self.block,
                outer.cuda_ptr()?,
                inner.cuda_ptr()?,
                nnz,
                major,
                minor,
                1,
                bad.ptr(),
            )?;
            Ok(self.read_bad(&bad)?.is_none())
        }
    }

    fn validate_compressed(
        &self,
        ptr64: &Buffer,
        inner: &Buffer,
        major: u64,
        minor: u64,
        nnz: u64,
        bad: &DeviceBufferMut,
    ) -> Result<bool, EngineError> {
        self.validate_ptr(
            "",
            self.grid(major + 1),
            self.block,
            ptr64.cuda_ptr()?,
            major,
            nnz,
            bad.ptr(),
        )?;
        if self.read_bad(bad)?.is_some() {
            return Ok(false);
        }
        self.validate_csr(
            suffix(inner.dtype())?,
            self.grid(major.saturating_mul(32)),
            self.block,
            ptr64.cuda_ptr()?,
            inner.cuda_ptr()?,
            major,
            minor,
            nnz,
            1,
            bad.ptr(),
        )?;
        Ok(self.read_bad(bad)?.is_none())
    }
}

/// The array with every buffer copied to the host (for explaining an error only).
fn host_copy(array: &SparseArray) -> Result<SparseArray, EngineError> {
    Ok(array.copy_to(Device::Cpu)?)
}

/// The invalid array's exact error: copy it to the host and run the CPU validator.
fn explain_invalid(array: &SparseArray) -> EngineError {
    match host_copy(array).and_then(|h| Ok(h.validate_full()?)) {
        Err(e) => e,
        Ok(()) => EngineError::Internal(
            "the device validation failed but the host validation passed".into(),
        ),
    }
}

/// The CPU engine's error for a source that the device canonicalization refused for a reason
/// other than order or duplicates (bad pointers, an index out of bounds): the array is copied
/// to the host and converted there, so that the error is the CPU engine's, word for word.
fn explain_not_canonicalizable(
    array: &SparseArray,
    target: &Target,
    options: &ConvertOptions,
) -> EngineError {
    match host_copy(array).and_then(|h| crate::host::convert(&h, target, options)) {
        Err(e) => e,
        Ok(_) => EngineError::Internal(
            "the device canonicalization found invalid pointers or indices but the CPU engine \
             accepted the array"
                .into(),
        ),
    }
}

/// The `segsum_<V>` suffix of a value dtype (kernels/canon.cu).
fn value_suffix(scalar: ScalarType) -> Result<&'static str, EngineError> {
    Ok(match scalar {
        ScalarType::Float32 => "f32",
        ScalarType::Float64 => "f64",
        ScalarType::ComplexFloat32 => "c64",
        ScalarType::ComplexFloat64 => "c128",
        ScalarType::Int8 => "i8",
        ScalarType::Int16 => "i16",
        ScalarType::Int32 => "i32",
        ScalarType::Int64 => "i64",
        ScalarType::UInt8 => "u8",
        ScalarType::UInt16 => "u16",
        ScalarType::UInt32 => "u32",
        ScalarType::UInt64 => "u64",
        ScalarType::Bint8 => "bint8",
        other => {
            return Err(EngineError::Unsupported(format!(
                "summing duplicate {other} values on cuda (no segsum kernel for {other}: copy \
                 the array to \"cpu\" first)"
            )));
        }
    })
}

impl Gpu {
    /// Whether every one of the sorted `keys` lies in `[0, extent)` (a radix sort permutes its
    /// keys whatever their range, so an out-of-range key is still there to be found; in range,
    /// the keys are non-decreasing and only the bounds can fail).
    fn sorted_in_bounds(&self, keys: &Buffer, extent: usize) -> Result<bool, EngineError> {
        let n = to_u64(keys.len());
        if n == 0 {
            return Ok(true);
        }
        let bad = self.bad_cell()?;
        self.validate_coo(
            suffix(keys.dtype())?,
            self.grid(n),
            self.block,
            0,
            keys.cuda_ptr()?,
            n,
            0,
            to_u64(extent),
            0,
            bad.ptr(),
        )?;
        Ok(self.read_bad(&bad)?.is_none())
    }

    /// Element `k` of an in-bounds (non-negative) index buffer, as usize.
    fn read_usize(&self, b: &Buffer, k: usize) -> Result<usize, EngineError> {
        let v = read_i128(b, k)?;
        usize::try_from(v).map_err(|_| EngineError::Internal(format!("index {v} above usize")))
    }
}

/// A canonical copy, on the device, of a COOR/COOC/CSR/CSC array that failed the device
/// validation: the CPU engine's `canonicalize` (crate::host) with the same result, array for
/// array, or the same duplicate error. `Ok(None)`: the array has bad pointers or an index out
/// of bounds (not an ordering problem); the caller returns the CPU engine's error.
///
/// Entries are sorted by (major, minor) in stored order with two stable radix sorts (by minor,
/// then by major, composing the permutations); `mark_heads` and a scan of the n + 1 heads give
/// the segment count m (one O(1) read). m == n: no duplicates. Otherwise `Reject` (and iso
/// arrays under `Sum`) fail at the first duplicate in canonical order, found by a binary
/// search of O(1) reads on the scan (scan[k] == k up to it); `Sum` gathers the coordinates at
/// the segment starts (`heads_to_starts`) and sums each segment in input order (`segsum_<V>`).
/// Only O(log n) scalars cross to the host.
fn canonicalize(
    gpu: &Gpu,
    array: &SparseArray,
    compressed: bool,
    col_major: bool,
    extents: (usize, usize),
    policy: DuplicatePolicy,
) -> Result<Option<SparseArray>, EngineError> {
    let d = array.descriptor();
    let get = |name: &str| -> Result<Buffer, EngineError> {
        array
            .array(name)
            .cloned()
            .ok_or_else(|| EngineError::Internal(format!("missing array {name}")))
    };
    let (major, minor) = extents;
    let inner = get("indices_1")?;
    let values = get("values")?;
    let iso = d.value_type().iso;
    let n = inner.len();
    let n64 = to_u64(n);
    // Every entry's major index (u64 when expanded from the pointers), and the pointers' dtype.
    let (majors, ptr_dtype) = if compressed {
        let ptr = get("pointers_to_1")?;
        let mut scratch = false;
        // A negative pointer fails the cast: invalid.
        let ptr64 = match gpu.cast_buffer(&ptr, DType::U64, "pointers_to_1", &mut scratch) {
            Ok(p) => p,
            Err(EngineError::Convert(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let bad = gpu.bad_cell()?;
        gpu.validate_ptr(
            "",
            gpu.grid(to_u64(major) + 1),
            gpu.block,
            ptr64.cuda_ptr()?,
            to_u64(major),
            n64,
            bad.ptr(),
        )?;
        if gpu.read_bad(&bad)?.is_some() {
            return Ok(None);
        }
        (gpu.expand(&ptr64, major, n, DType::U64)?, Some(ptr.dtype()))
    } else {
        (get("indices_0")?, None)
    };
    // Stable LSD over (major, minor): by minor, then by major.
    let (by_minor, p1) = gpu.radix_sort(&inner, minor)?;
    if !gpu.sorted_in_bounds(&by_minor, minor)? {
        return Ok(None);
    }
    let majors1 = gpu.gather_by(&majors, &p1)?;
    let (sorted_major, p2) = gpu.radix_sort(&majors1, major)?;
    if !compressed && !gpu.sorted_in_bounds(&sorted_major, major)? {
        return Ok(None);
    }
    let sorted_minor = gpu.gather_by(&by_minor, &p2)?;
    let sorted_values = if iso {
        values.clone()
    } else {
        let perm = gpu.gather_by(&p1, &p2)?;
        gpu.gather_by(&values, &perm)?
    };
    // Segment heads over one index dtype (in bounds, so u64 holds both).
    let (hr, hc) = if sorted_major.dtype() == sorted_minor.dtype() {
        (sorted_major.clone(), sorted_minor.clone())
    } else {
        let mut scratch = false;
        (
            gpu.cast_buffer(&sorted_major, DType::U64, "indices_0", &mut scratch)?,
            gpu.cast_buffer(&sorted_minor, DType::U64, "indices_1", &mut scratch)?,
        )
    };
    let heads = |out: &DeviceBufferMut| -> Result<(), EngineError> {
        gpu.mark_heads(
            suffix(hr.dtype())?,
            gpu.grid(n64 + 1),
            gpu.block,
            hr.cuda_ptr()?,
            hc.cuda_ptr()?,
            out.ptr(),
            n64,
        )
    };
    let head = gpu.alloc(DType::U64, n + 1)?;
    heads(&head)?;
    let scan = gpu.alloc(DType::U64, n + 1)?;
    heads(&scan)?;
    gpu.scan(scan.ptr(), n64 + 1)?;
    let scan = scan.freeze();
    let m = gpu.read_usize(&scan, n)?;
    let (out_major, out_minor, out_values) = if m == n {
        (sorted_major, sorted_minor, sorted_values)
    } else if policy == DuplicatePolicy::Reject || iso {
        // The first k >= 1 with scan[k] < k; the duplicate is entry k - 1.
        let (mut lo, mut hi) = (1usize, n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if gpu.read_usize(&scan, mid)? < mid {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let at = lo - 1;
        let mut coords = vec![
            gpu.read_usize(&sorted_major, at)?,
            gpu.read_usize(&sorted_minor, at)?,
        ];
        if col_major {
            coords.reverse();
        }
        return Err(if policy == DuplicatePolicy::Reject {
            ConvertError::Duplicate { coords }
        } else {
            ConvertError::IsoDuplicate { coords }
        }
        .into());
    } else {
        let sfx = value_suffix(d.value_type().scalar)?;
        let m64 = to_u64(m);
        let starts = gpu.alloc(DType::U64, m + 1)?;
        gpu.heads_to_starts(
            "",
            gpu.grid(n64 + 1),
            gpu.block,
            head.ptr(),
            scan.cuda_ptr()?,
            starts.ptr(),
            n64,
        )?;
        let starts = starts.freeze();
        let firsts = starts.slice(0, m)?;
        let summed = gpu.alloc(values.dtype(), m)?;
        gpu.segsum(
            sfx,
            gpu.grid(m64),
            gpu.block,
            sorted_values.cuda_ptr()?,
            starts.cuda_ptr()?,
            summed.ptr(),
            m64,
        )?;
        (
            gpu.gather_by(&sorted_major, &firsts)?,
            gpu.gather_by(&sorted_minor, &firsts)?,
            summed.freeze(),
        )
    };
    let outer = match ptr_dtype {
        // Fewer entries than the source's pointers held: they fit.
        Some(pt) => {
            let ptr = gpu.compress(&out_major, major)?;
            ("pointers_to_1", gpu.pointers_from_u64(ptr, pt)?)
        }
        None => ("indices_0", out_major),
    };
    let mut arrays: Vec<(String, Buffer)> = vec![
        (outer.0.to_owned(), outer.1),
        ("indices_1".to_owned(), out_minor),
        ("values".to_owned(), out_values),
    ];
    if let Some(fv) = array.array("fill_value") {
        arrays.push(("fill_value".to_owned(), fv.clone()));
    }
    let desc = d.with_nnz(to_u64(out_minor_len(&arrays)))?;
    arrays.sort_by_key(|(n, _)| desc.array_names().iter().position(|m| m == n));
    Ok(Some(SparseArray::new_trusted(desc, arrays, array.device())))
}

/// The number of stored values of canonical parts: the length of `indices_1`.
fn out_minor_len(arrays: &[(String, Buffer)]) -> usize {
    arrays
        .iter()
        .find(|(n, _)| n == "indices_1")
        .map_or(0, |(_, b)| b.len())
}

/// The conversion of an array on `Device::Cuda(ordinal)`, on that device: the source's own
/// validation, canonicalization when asked, then [`matrix`] or [`vector`].
pub(crate) fn convert(
    array: &SparseArray,
    target: &Target,
    options: &ConvertOptions,
    ordinal: u16,
) -> Result<Converted, EngineError> {
    let d = array.descriptor();
    let gap = |why: &str| {
        EngineError::Unsupported(format!(
            "{} -> {} on {} ({why}: copy the array to \"cpu\" first)",
            format_name(d.format()),
            format_name(&target.format),
            array.device()
        ))
    };
    check_rank(d, target)?;
    let (Some(src), Some(dst)) = (Kind::of(d.format()), Kind::of(&target.format)) else {
        return Err(gap(
            "the CUDA engine handles the predefined formats; other level formats convert on \
             the CPU",
        ));
    };
    if d.rank() > 2 {
        return Err(gap("n-d formats convert on the CPU"));
    }
    let gpu = Gpu::new(ordinal)?;
    let ext = extents(d)?;
    let stored = |col_major: bool| {
        if col_major {
            (ext[1], ext[0])
        } else {
            (ext[0], ext.get(1).copied().unwrap_or(0))
        }
    };
    // Canonical input first: a non-canonical source is canonicalized on the device when asked.
    let mut copied = false;
    let canonical;
    // A pass is recorded on the array, so that a validated array is never checked again.
    let valid = array.validate_with(|a| gpu.validate_kind(a, src, &ext))?;
    let array = if valid {
        array
    } else {
        let Some(policy) = options.canonicalize else {
            return Err(explain_invalid(array));
        };
        match src {
            Kind::Coo { rank: 2, col_major } | Kind::Compressed { col_major } => {
                let compressed = matches!(src, Kind::Compressed { .. });
                match canonicalize(
                    &gpu,
                    array,
                    compressed,
                    col_major,
                    stored(col_major),
                    policy,
                )? {
                    Some(c) => {
                        canonical = c;
                        copied = true;
                        &canonical
                    }
                    None => return Err(explain_not_canonicalizable(array, target, options)),
                }
            }
            Kind::Coo { .. } => return Err(gap("canonicalizing a CVEC is done on the CPU only")),
            // The host engine canonicalizes only COO and CSR/CSC: the rest is its error.
            _ => return Err(explain_invalid(array)),
        }
    };
    if is_identity(array, target)? {
        // The CPU engine's identity: every array kept, in its own dtype (a COO whose
        // indices_0 and indices_1 differ in dtype stays so).
        let arrays = array
            .arrays()
            .iter()
            .filter(|(n, _)| n != "fill_value")
            .cloned()
            .collect();
        return finish(array, target, options, array.nnz(), arrays, copied);
    }
    if d.structure().is_some() && src.is_dense() != dst.is_dense() {
        return Err(EngineError::Unsupported(format!(
            "{} -> {} with a declared structure (sparse <-> dense would need mirroring)",
            format_name(d.format()),
            format_name(&target.format)
        )));
    }
    if d.rank() == 2 {
        matrix(&gpu, array, (src, dst), &ext, target, options, copied)
    } else {
        vector(&gpu, array, (src, dst), ext[0], target, options, copied)
    }
}

fn get(array: &SparseArray, name: &str) -> Result<Buffer, EngineError> {
    array
        .array(name)
        .cloned()
        .ok_or_else(|| EngineError::Internal(format!("missing array {name}")))
}

/// A 2-D conversion, as the host's `convert_2d`: the source as compressed or coordinate parts in
/// its own orientation (DCSR/DCSC pointers filled in, dense entries gathered), the
/// COOR/COOC/CSR/CSC core, then the target's own arrays (DCSR/DCSC compaction, dense scatter).
fn matrix(
    gpu: &Gpu,
    array: &SparseArray,
    (src, dst): (Kind, Kind),
    ext: &[usize],
    target: &Target,
    options: &ConvertOptions,
    mut copied: bool,
) -> Result<Converted, EngineError> {
    let d = array.descriptor();
    let (rows, cols) = (ext[0], ext[1]);
    let orient = |col_major: bool| {
        if col_major {
            (cols, rows)
        } else {
            (rows, cols)
        }
    };
    let fill = if src.is_dense() || dst.is_dense() {
        fill_value(array)?
    } else {
        None
    };
    let values = get(array, "values")?;
    let iso = d.value_type().iso;

    // 1. The source as parts in its own orientation, and its default (pointer, index) dtypes.
    let (s_comp, s_col, defaults, p) = match src {
        Kind::Coo { col_major, .. } | Kind::Compressed { col_major } => {
            let compressed = matches!(src, Kind::Compressed { .. });
            let (c, defaults, p) = stored_parts(array, compressed, orient(col_major))?;
            (c, col_major, defaults, p)
        }
        Kind::Doubly { col_major } => {
            let (major, minor) = orient(col_major);
            let dptr = get(array, "pointers_to_1")?;
            let inner = get(array, "indices_1")?;
            copied = true;
            let outer = gpu.doubly_to_pointers(&get(array, "indices_0")?, &dptr, major)?;
            let defaults = (dptr.dtype(), inner.dtype());
            let p = Parts {
                major,
                minor,
                outer,
                inner,
                values,
                iso,
            };
            (true, col_major, defaults, p)
        }
        Kind::Dense { col_major, .. } => {
            if iso {
                return Err(EngineError::Unsupported("an iso dense source".into()));
            }
            if fill.is_some() {
                return Err(formats::dense_fill_unsupported(target, array.device()));
            }
            let (major, minor) = orient(col_major);
            copied = true;
            let (outer, inner, values) =
                gpu.dense_to_parts(&values, d.value_type().scalar, major, minor)?;
            let p = Parts {
                major,
                minor,
                outer,
                inner,
                values,
                iso: false,
            };
            (true, col_major, (DType::I64, DType::I64), p)
        }
    };

    // 2. The COOR/COOC/CSR/CSC core, in the target's orientation and dtypes. A dense target
    //    only needs compressed parts, in u64.
    let (d_comp, d_col) = dst.core_layout();
    let (pointer_t, index_t) = if dst.is_dense() {
        (DType::U64, DType::U64)
    } else {
        resolve_dtypes(target, defaults)?
    };
    let (outer, inner, values) = if s_col == d_col {
        same_orientation(gpu, &p, s_comp, d_comp, pointer_t, index_t, &mut copied)?
    } else {
        transposed(gpu, &p, s_comp, d_comp, pointer_t, index_t, &mut copied)?
    };

    // 3. The target's arrays.
    let (dmajor, dminor) = orient(d_col);
    let nnz = to_u64(inner.len());
    let named = |v: Vec<(&str, Buffer)>| -> Vec<(String, Buffer)> {
        v.into_iter().map(|(n, b)| (n.to_owned(), b)).collect()
    };
    let (nnz, arrays) = match dst {
        Kind::Coo { .. } => (
            nnz,
            named(vec![
                ("indices_0", outer),
                ("indices_1", inner),
                ("values", values),
            ]),
        ),
        Kind::Compressed { .. } => (
            nnz,
            named(vec![
                ("pointers_to_1", outer),
                ("indices_1", inner),
                ("values", values),
            ]),
        ),
        Kind::Doubly { .. } => {
            copied = true;
            if dmajor > 0 {
                fits(index_t, dmajor - 1, "indices_0")?;
            }
            let (ids, dptr64) = gpu.pointers_to_doubly(&outer, dmajor, index_t)?;
            let mut scratch = false;
            let dptr = gpu.cast_buffer(&dptr64, pointer_t, "pointers_to_1", &mut scratch)?;
            (
                nnz,
                named(vec![
                    ("indices_0", ids),
                    ("pointers_to_1", dptr),
                    ("indices_1", inner),
                    ("values", values),
                ]),
            )
        }
        Kind::Dense { .. } => {
            copied = true;
            let dense =
                gpu.parts_to_dense(&outer, &inner, &values, iso, fill.as_ref(), dmajor, dminor)?;
            (to_u64(dense.len()), named(vec![("values", dense)]))
        }
    };
    finish(array, target, options, nnz, arrays, copied)
}

/// A rank-1 conversion (CVEC <-> DVEC, or a CVEC's index dtype), as the host's n-d path at
/// rank 1: a vector is a one-row matrix for the dense kernels.
fn vector(
    gpu: &Gpu,
    array: &SparseArray,
    (src, dst): (Kind, Kind),
    n: usize,
    target: &Target,
    options: &ConvertOptions,
    mut copied: bool,
) -> Result<Converted, EngineError> {
    let d = array.descriptor();
    let fill = if src.is_dense() != dst.is_dense() {
        fill_value(array)?
    } else {
        None
    };
    let values = get(array, "values")?;
    let iso = d.value_type().iso;
    let index_t = target.index_type.map(index_dtype).transpose()?;
    let (nnz, arrays) = match (src, dst) {
        (Kind::Coo { .. }, Kind::Coo { .. }) => {
            let idx = get(array, "indices_0")?;
            let idx = match index_t {
                Some(t) => gpu.cast_buffer(&idx, t, "indices_0", &mut copied)?,
                None => idx,
            };
            (
                d.nnz(),
                vec![("indices_0".to_owned(), idx), ("values".to_owned(), values)],
            )
        }
        (Kind::Dense { .. }, Kind::Dense { .. }) => (d.nnz(), vec![("values".to_owned(), values)]),
        (Kind::Coo { .. }, Kind::Dense { .. }) => {
            copied = true;
            let idx = get(array, "indices_0")?;
            let ptr = gpu.dev.upload(&[0u64, to_u64(idx.len())])?.freeze();
            let dense = gpu.parts_to_dense(&ptr, &idx, &values, iso, fill.as_ref(), 1, n)?;
            (to_u64(n), vec![("values".to_owned(), dense)])
        }
        (Kind::Dense { .. }, Kind::Coo { .. }) => {
            if iso {
                return Err(EngineError::Unsupported("an iso dense source".into()));
            }
            if fill.is_some() {
                return Err(formats::dense_fill_unsupported(target, array.device()));
            }
            copied = true;
            let (_, idx, vals) = gpu.dense_to_parts(&values, d.value_type().scalar, 1, n)?;
            let t = index_t.unwrap_or(DType::I64);
            let idx = gpu.cast_buffer(&idx, t, "indices_0", &mut copied)?;
            let nnz = to_u64(vals.len());
            (
                nnz,
                vec![("indices_0".to_owned(), idx), ("values".to_owned(), vals)],
            )
        }
        _ => {
            return Err(EngineError::Internal(format!(
                "{} -> {} reached the vector path",
                format_name(d.format()),
                format_name(&target.format)
            )));
        }
    };
    finish(array, target, options, nnz, arrays, copied)
}

/// Same major orientation: compress, expand, or cast.
fn same_orientation(
    gpu: &Gpu,
    p: &Parts,
    s_comp: bool,
    d_comp: bool,
    pointer_t: DType,
    index_t: DType,
    copied: &mut bool,
) -> Result<(Buffer, Buffer, Buffer), EngineError> {
    let inner = gpu.cast_buffer(&p.inner, index_t, "indices_1", copied)?;
    let nnz = p.inner.len();
    let outer = match (s_comp, d_comp) {
        (true, true) => gpu.cast_buffer(&p.outer, pointer_t, "pointers_to_1", copied)?,
        (false, false) => gpu.cast_buffer(&p.outer, index_t, "indices_0", copied)?,
        (false, true) => {
            *copied = true;
            fits(pointer_t, nnz, "pointers_to_1")?;
            let ptr = gpu.compress(&p.outer, p.major)?;
            gpu.pointers_from_u64(ptr, pointer_t)?
        }
        (true, false) => {
            *copied = true;
            if nnz > 0 {
                fits(index_t, p.major - 1, "indices_0")?;
            }
            let ptr64 = gpu.pointers_u64(&p.outer)?;
            gpu.expand(&ptr64, p.major, nnz, index_t)?
        }
    };
    Ok((outer, inner, p.values.clone()))
}

/// Opposite orientation: major indices, a stable radix sort by minor index carrying a
/// permutation, gathers, then pointers when the target is compressed.
fn transposed(
    gpu: &Gpu,
    p: &Parts,
    s_comp: bool,
    d_comp: bool,
    pointer_t: DType,
    index_t: DType,
    copied: &mut bool,
) -> Result<(Buffer, Buffer, Buffer), EngineError> {
    *copied = true;
    let mut scratch = false;
    let inner = gpu.cast_buffer(&p.inner, index_t, "indices_1", &mut scratch)?;
    let nnz = inner.len();
    // The source's major indices, in the target index dtype (the CPU engine's check order).
    // Source pointers are read as u64 (they only feed the expansion); the target's pointers must
    // hold nnz only when the target is compressed (the CPU engine's checks, in its order).
    let majors = if s_comp {
        let ptr = gpu.cast_buffer(&p.outer, DType::U64, "pointers_to_1", &mut scratch)?;
        if d_comp {
            fits(pointer_t, nnz, "pointers_to_1")?;
        }
        if nnz > 0 {
            fits(index_t, p.major - 1, "indices_1 (row numbers)")?;
        }
        let ptr64 = gpu.pointers_u64(&ptr)?;
        gpu.expand(&ptr64, p.major, nnz, index_t)?
    } else {
        let m = gpu.cast_buffer(&p.outer, index_t, "indices_0", &mut scratch)?;
        if d_comp {
            fits(pointer_t, nnz, "pointers_to_1")?;
        }
        if nnz > 0 {
            fits(index_t, p.major - 1, "indices_1 (row numbers)")?;
        }
        m
    };
    if !d_comp && nnz > 0 {
        fits(index_t, p.minor - 1, "indices_0")?;
    }
    let (sorted_minor, perm) = gpu.radix_sort(&inner, p.minor)?;
    let new_inner = gpu.gather_by(&majors, &perm)?;
    let values = if p.iso {
        p.values.clone()
    } else {
        gpu.gather_by(&p.values, &perm)?
    };
    let outer = if d_comp {
        let ptr = gpu.compress(&sorted_minor, p.minor)?;
        gpu.pointers_from_u64(ptr, pointer_t)?
    } else {
        sorted_minor
    };
    Ok((outer, new_inner, values))
}
