//! The launch table: every kernel family this crate launches, with each parameter's Rust type,
//! written once. From it the macro generates [`TABLE`] (checked against the PTX of each module
//! when the module is loaded, before any launch) and one typed launch wrapper per family.

use sparsebridge_buffer::cuda::{KernelArg, ParamType};

/// The suffixes a family is stamped for (kernels/README.md naming).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suffixes {
    /// One kernel, no suffix.
    None,
    /// `_i8` … `_u64`.
    Index,
    /// `_b1` … `_b16`.
    Width,
    /// `_<S>_<D>` for every pair of index types.
    IndexPair,
    /// `_<I>_<W>`: every index type with every element width.
    IndexWidth,
    /// `_f32` … `_bint8`: one per summable value dtype (kernels/canon.cu `segsum_*`).
    Value,
}

/// Index-type suffixes.
pub const INDEX_SUFFIXES: [&str; 8] = ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64"];
/// Element-width suffixes.
pub const WIDTH_SUFFIXES: [&str; 5] = ["b1", "b2", "b4", "b8", "b16"];
/// Value-dtype suffixes (summing kernels; `bint8` sums are a logical OR).
pub const VALUE_SUFFIXES: [&str; 13] = [
    "f32", "f64", "c64", "c128", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "bint8",
];

impl Suffixes {
    /// Every suffix of the set (`""` for [`Suffixes::None`]).
    pub fn all(self) -> Vec<String> {
        match self {
            Suffixes::None => vec![String::new()],
            Suffixes::Index => INDEX_SUFFIXES.iter().map(|s| (*s).to_owned()).collect(),
            Suffixes::Width => WIDTH_SUFFIXES.iter().map(|s| (*s).to_owned()).collect(),
            Suffixes::Value => VALUE_SUFFIXES.iter().map(|s| (*s).to_owned()).collect(),
            Suffixes::IndexPair => INDEX_SUFFIXES
                .iter()
                .flat_map(|a| INDEX_SUFFIXES.iter().map(move |b| format!("{a}_{b}")))
                .collect(),
            Suffixes::IndexWidth => INDEX_SUFFIXES
                .iter()
                .flat_map(|i| WIDTH_SUFFIXES.iter().map(move |w| format!("{i}_{w}")))
                .collect(),
        }
    }
}

/// One launch-table row: a kernel family of one `.cu` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Family {
    /// The file under `kernels/`, without `.cu`.
    pub file: &'static str,
    /// The kernel name before its suffix.
    pub family: &'static str,
    /// The suffixes it is stamped for.
    pub suffixes: Suffixes,
    /// `(name, Rust type)` of every parameter, in order.
    pub params: &'static [(&'static str, ParamType)],
}

impl Family {
    /// The kernel name for `suffix` (`""`: no suffix).
    pub fn kernel_name(&self, suffix: &str) -> String {
        if suffix.is_empty() {
            self.family.to_owned()
        } else {
            format!("{}_{suffix}", self.family)
        }
    }
}

/// The Rust type of a table type.
macro_rules! rust_ty {
    (U32) => {
        u32
    };
    (I32) => {
        i32
    };
    (U64) => {
        u64
    };
    (I64) => {
        i64
    };
    (F32) => {
        f32
    };
    (F64) => {
        f64
    };
    (DevicePtr) => {
        u64
    };
}

macro_rules! launch_table {
    ($( $file:literal : $fam:ident [$sfx:ident] ( $($p:ident : $t:ident),* $(,)? ); )*) => {
        /// Every kernel family launched by the CUDA engine.
        pub static TABLE: &[Family] = &[
            $( Family {
                file: $file,
                family: stringify!($fam),
                suffixes: Suffixes::$sfx,
                params: &[$((stringify!($p), ParamType::$t)),*],
            }, )*
        ];

        /// Typed launch wrappers, one per table row: `family(suffix, grid, block, params…)`.
        pub(crate) trait Launch {
            /// Launches `family` with `suffix` on `grid` × `block` threads.
            fn launch(
                &self,
                family: &Family,
                suffix: &str,
                grid: u32,
                block: u32,
                args: &[KernelArg],
            ) -> Result<(), crate::error::EngineError>;

            $(
            #[allow(clippy::too_many_arguments, dead_code)]
            fn $fam(&self, suffix: &str, grid: u32, block: u32, $($p: rust_ty!($t)),*)
                -> Result<(), crate::error::EngineError> {
                const FAMILY: Family = Family {
                    file: $file,
                    family: stringify!($fam),
                    suffixes: Suffixes::$sfx,
                    params: &[$((stringify!($p), ParamType::$t)),*],
                };
                self.launch(&FAMILY, suffix, grid, block, &[$(KernelArg::$t($p)),*])
            }
            )*
        }
    };
}

launch_table! {
    "scan": scan_tiles_u64[None](input: DevicePtr, out: DevicePtr, tile_sums: DevicePtr, n: U64);
    "scan": scan_add_u64[None](data: DevicePtr, tile_offsets: DevicePtr, n: U64, tile: U64);
    "coo": coo_ptr[Index](rows: DevicePtr, ptr: DevicePtr, nnz: U64, nrows: U64);
    "coo": csr_expand[Index](ptr: DevicePtr, rows: DevicePtr, nrows: U64, nnz: U64);
    "sort": radix_hist[Index](keys: DevicePtr, tile_hist: DevicePtr, n: U64, shift: U32);
    "sort": radix_scatter[Index](
        keys_in: DevicePtr, perm_in: DevicePtr, keys_out: DevicePtr, perm_out: DevicePtr,
        offsets: DevicePtr, n: U64, shift: U32,
    );
    "gather": gather[Width](src: DevicePtr, perm: DevicePtr, dst: DevicePtr, n: U64, src_len: U64);
    "gather": iota_u64[None](out: DevicePtr, n: U64);
    "cast": cast[IndexPair](input: DevicePtr, out: DevicePtr, n: U64, first_bad: DevicePtr);
    "validate": validate_ptr[None](ptr: DevicePtr, nrows: U64, nnz: U64, first_bad: DevicePtr);
    "validate": validate_csr[Index](
        ptr: DevicePtr, idx: DevicePtr, nrows: U64, ncols: U64, nnz: U64, strict: U32,
        first_bad: DevicePtr,
    );
    "validate": validate_coo[Index](
        rows: DevicePtr, cols: DevicePtr, n: U64, nrows: U64, ncols: U64, strict: U32,
        first_bad: DevicePtr,
    );
    "canon": mark_heads[Index](rows: DevicePtr, cols: DevicePtr, head: DevicePtr, n: U64);
    "canon": heads_to_starts[None](head: DevicePtr, head_scan: DevicePtr, starts: DevicePtr, n: U64);
    "canon": segsum[Value](vals: DevicePtr, starts: DevicePtr, out: DevicePtr, m: U64);
    "coo": mark_nonempty[None](ptr: DevicePtr, mark: DevicePtr, n: U64);
    "coo": compact_nonempty[Index](
        ptr: DevicePtr, mark_scan: DevicePtr, ids: DevicePtr, dptr: DevicePtr, n: U64,
    );
    "gather": broadcast[Width](src: DevicePtr, dst: DevicePtr, n: U64);
    "dense": dense_count[Width](
        dense: DevicePtr, counts: DevicePtr, nrows: U64, ncols: U64, comp_bytes: U32,
    );
    "dense": dense_scatter[IndexWidth](
        dense: DevicePtr, ptr: DevicePtr, cols: DevicePtr, vals: DevicePtr, nrows: U64,
        ncols: U64, comp_bytes: U32,
    );
    "dense": csr_to_dense[IndexWidth](
        ptr: DevicePtr, cols: DevicePtr, vals: DevicePtr, dense: DevicePtr, nrows: U64,
        ncols: U64, nnz: U64,
    );
}
