//! The formats around the CUDA engine's COOR/COOC/CSR/CSC core, on the device: dense sources
//! and targets (DMATR, DMATC, DVEC), doubly compressed ones (DCSR, DCSC), CVEC, and their
//! device validation. Each step is the CPU engine's (crate::host), kernel for kernel:
//!
//! | step | kernels |
//! |---|---|
//! | dense → u64 pointers, indices, values | `dense_count_<W>`, scan, `dense_scatter_<I>_<W>` |
//! | u64 pointers → dense (fill or zero elsewhere) | `broadcast_<W>` or memset, `csr_to_dense_<I>_<W>` |
//! | iso values → one value per entry | `broadcast_<W>` |
//! | DCSR → CSR pointers | `coo_ptr_<I>` over the stored rows, `gather_b8` of the DCSR pointers |
//! | CSR pointers → DCSR | `mark_nonempty`, scan, `compact_nonempty_<I>` |
//! | DCSR validation | `validate_coo_<I>` (rows), `validate_ptr` + `validate_coo_u64` (strict pointers), `validate_csr_<I>` |
//! | CVEC validation | `validate_coo_<I>` without rows |

use sparsebridge_buffer::{Buffer, DType, Device};
use sparsebridge_descriptor::ScalarType;

use super::table::Launch;
use super::{Gpu, suffix, to_u64, width_suffix};
use crate::error::EngineError;
use crate::{ConvertError, target::Target};

/// The `comp_bytes` of a value dtype for the dense nonzero test (kernels/README.md): the float
/// component size, so that -0.0 counts as zero as on the host; 0 (every bit) otherwise.
fn comp_bytes(scalar: ScalarType) -> u32 {
    match scalar {
        ScalarType::Float16 | ScalarType::BFloat16 => 2,
        ScalarType::Float32 | ScalarType::ComplexFloat32 => 4,
        ScalarType::Float64 | ScalarType::ComplexFloat64 => 8,
        _ => 0,
    }
}

/// `major × minor`, the length of a dense array.
fn dense_len(major: usize, minor: usize) -> Result<usize, EngineError> {
    Ok(major
        .checked_mul(minor)
        .ok_or(ConvertError::SizeOverflow { what: "dense size" })?)
}

/// The typed gap for a dense source with a fill value: the nonzero test on the device compares
/// bits with zero, while a fill needs the dtype's own equality (NaN, -0.0, bint8).
pub(super) fn dense_fill_unsupported(target: &Target, device: Device) -> EngineError {
    EngineError::Unsupported(format!(
        "a dense source with a fill_value -> {} on {device} (dropping the entries equal to the \
         fill is done on the CPU only: copy the array to \"cpu\" first)",
        crate::assemble::format_name(&target.format)
    ))
}

impl Gpu {
    /// The compressed parts `(u64 pointers, u64 indices, values)` of a dense array stored as
    /// `major` runs of `minor` values, keeping the nonzero entries in stored order.
    pub(super) fn dense_to_parts(
        &self,
        dense: &Buffer,
        scalar: ScalarType,
        major: usize,
        minor: usize,
    ) -> Result<(Buffer, Buffer, Buffer), EngineError> {
        let len = major.checked_add(1).ok_or(ConvertError::SizeOverflow {
            what: "pointers_to_1 length",
        })?;
        let (major64, minor64) = (to_u64(major), to_u64(minor));
        let comp = comp_bytes(scalar);
        let w = width_suffix(dense.dtype())?;
        let mut counts = self.alloc(DType::U64, len)?;
        counts.memset(0)?;
        // One block per row, grid-stride over the rows.
        let rows_grid = super::to_u32(major64.clamp(1, 65_535), "dense grid")?;
        if major > 0 && minor > 0 {
            self.dense_count(
                w,
                rows_grid,
                self.block,
                dense.cuda_ptr()?,
                counts.ptr(),
                major64,
                minor64,
                comp,
            )?;
        }
        self.scan(counts.ptr(), to_u64(len))?;
        let ptr = counts.freeze();
        let nnz = self.read_usize(&ptr, major)?;
        let idx = self.alloc(DType::U64, nnz)?;
        let vals = self.alloc(dense.dtype(), nnz)?;
        if nnz > 0 {
            self.dense_scatter(
                &format!("u64_{w}"),
                rows_grid,
                self.block,
                dense.cuda_ptr()?,
                ptr.cuda_ptr()?,
                idx.ptr(),
                vals.ptr(),
                major64,
                minor64,
                comp,
            )?;
        }
        Ok((ptr, idx.freeze(), vals.freeze()))
    }

    /// The dense `major × minor` (row-major over the parts' orientation) of compressed parts
    /// with u64 pointers: `fill` (zero when none) at every unstored position.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn parts_to_dense(
        &self,
        ptr64: &Buffer,
        indices: &Buffer,
        values: &Buffer,
        iso: bool,
        fill: Option<&Buffer>,
        major: usize,
        minor: usize,
    ) -> Result<Buffer, EngineError> {
        let len = dense_len(major, minor)?;
        let dt = values.dtype();
        let w = width_suffix(dt)?;
        let mut dense = self.alloc(dt, len)?;
        match fill {
            Some(f) => self.broadcast(
                w,
                self.grid(to_u64(len)),
                self.block,
                f.cuda_ptr()?,
                dense.ptr(),
                to_u64(len),
            )?,
            None => dense.memset(0)?,
        }
        let nnz = indices.len();
        let values = if iso {
            self.broadcast_buffer(values, nnz)?
        } else {
            values.clone()
        };
        if nnz > 0 && major > 0 {
            self.csr_to_dense(
                &format!("{}_{w}", suffix(indices.dtype())?),
                self.grid(to_u64(major).saturating_mul(32)),
                self.block,
                ptr64.cuda_ptr()?,
                indices.cuda_ptr()?,
                values.cuda_ptr()?,
                dense.ptr(),
                to_u64(major),
                to_u64(minor),
                to_u64(nnz),
            )?;
        }
        Ok(dense.freeze())
    }

    /// `n` copies of the first element of `value`.
    pub(super) fn broadcast_buffer(&self, value: &Buffer, n: usize) -> Result<Buffer, EngineError> {
        let out = self.alloc(value.dtype(), n)?;
        if n > 0 {
            self.broadcast(
                width_suffix(value.dtype())?,
                self.grid(to_u64(n)),
                self.block,
                value.cuda_ptr()?,
                out.ptr(),
                to_u64(n),
            )?;
        }
        Ok(out.freeze())
    }

    /// The CSR pointers (u64, `major + 1`) of a validated DCSR: the pointer of row r is the
    /// DCSR pointer of the first stored row at or after r.
    pub(super) fn doubly_to_pointers(
        &self,
        ids: &Buffer,
        dptr: &Buffer,
        major: usize,
    ) -> Result<Buffer, EngineError> {
        let first_at_or_after = self.compress(ids, major)?.freeze();
        let dptr64 = self.pointers_u64(dptr)?;
        self.gather_by(&dptr64, &first_at_or_after)
    }

    /// The DCSR arrays `(indices_0 of dtype index_t, u64 pointers_to_1)` of CSR pointers
    /// (any dtype, validated) over `major` rows: the non-empty rows and their pointers.
    pub(super) fn pointers_to_doubly(
        &self,
        ptr: &Buffer,
        major: usize,
        index_t: DType,
    ) -> Result<(Buffer, Buffer), EngineError> {
        let ptr64 = self.pointers_u64(ptr)?;
        let len = major.checked_add(1).ok_or(ConvertError::SizeOverflow {
            what: "pointers_to_1 length",
        })?;
        let n64 = to_u64(major);
        let mark = self.alloc(DType::U64, len)?;
        self.mark_nonempty(
            "",
            self.grid(n64 + 1),
            self.block,
            ptr64.cuda_ptr()?,
            mark.ptr(),
            n64,
        )?;
        self.scan(mark.ptr(), n64 + 1)?;
        let mark = mark.freeze();
        let m = self.read_usize(&mark, major)?;
        let ids = self.alloc(index_t, m)?;
        let dptr = self.alloc(DType::U64, m + 1)?;
        self.compact_nonempty(
            suffix(index_t)?,
            self.grid(n64 + 1),
            self.block,
            ptr64.cuda_ptr()?,
            mark.cuda_ptr()?,
            ids.ptr(),
            dptr.ptr(),
            n64,
        )?;
        Ok((ids.freeze(), dptr.freeze()))
    }

    /// Whether `idx` strictly increases within `[0, extent)` (a CVEC's indices, a DCSR's rows,
    /// or a DCSR's first `m` pointers against nnz).
    pub(super) fn strictly_increasing(
        &self,
        idx: &Buffer,
        extent: usize,
    ) -> Result<bool, EngineError> {
        let n = to_u64(idx.len());
        if n == 0 {
            return Ok(true);
        }
        let bad = self.bad_cell()?;
        self.validate_coo(
            suffix(idx.dtype())?,
            self.grid(n),
            self.block,
            0,
            idx.cuda_ptr()?,
            n,
            0,
            to_u64(extent),
            1,
            bad.ptr(),
        )?;
        Ok(self.read_bad(&bad)?.is_none())
    }

    /// The device validation of a DCSR (DCSC: `extents` in stored order): stored rows strictly
    /// increasing in bounds, pointers from 0 to nnz with no empty segment, and each segment's
    /// indices strictly increasing in bounds, as the CPU validator requires.
    pub(super) fn validate_doubly(
        &self,
        ids: &Buffer,
        dptr: &Buffer,
        inner: &Buffer,
        (major, minor): (usize, usize),
    ) -> Result<bool, EngineError> {
        let m = ids.len();
        if dptr.len() != m + 1 || !self.strictly_increasing(ids, major)? {
            return Ok(false);
        }
        let dptr64 = if dptr.dtype() == DType::U64 {
            dptr.clone()
        } else {
            let mut scratch = false;
            // A negative pointer fails the cast: invalid.
            match self.cast_buffer(dptr, DType::U64, "pointers_to_1", &mut scratch) {
                Ok(p) => p,
                Err(EngineError::Convert(_)) => return Ok(false),
                Err(e) => return Err(e),
            }
        };
        let nnz = inner.len();
        // Strictly increasing below nnz over the first m pointers, with ptr[m] = nnz from
        // validate_compressed's pointer check: no segment is empty.
        if !self.strictly_increasing(&dptr64.slice(0, m)?, nnz)? {
            return Ok(false);
        }
        let bad = self.bad_cell()?;
        self.validate_compressed(&dptr64, inner, to_u64(m), to_u64(minor), to_u64(nnz), &bad)
    }
}
