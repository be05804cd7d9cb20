//! What a conversion is asked for ([`Target`], [`ConvertOptions`]) and what it returns
//! ([`Converted`]): the vocabulary every layer of the engine shares, so it sits below them all.

use sparsebridge_array::SparseArray;
use sparsebridge_descriptor::{Format, Level, PredefinedFormat, ScalarType};

use crate::DuplicatePolicy;
use crate::error::EngineError;

/// What to convert to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The storage format: a predefined one (`PredefinedFormat::Csr.into()`, or
    /// [`Target::format`]) or a level format such as n-d COO ([`Target::coo_nd`]) or n-d dense
    /// ([`Target::dense_nd`]).
    pub format: Format,
    /// The dtype of every index array (`None`: keep the source's; `int64` from a dense source).
    pub index_type: Option<ScalarType>,
    /// The dtype of every pointer array (`None`: the index type, else the source's).
    pub pointer_type: Option<ScalarType>,
}

impl Target {
    /// `format` (a [`PredefinedFormat`] or a [`Format`]), keeping the source's index dtypes.
    pub fn format(format: impl Into<Format>) -> Self {
        Self {
            format: format.into(),
            index_type: None,
            pointer_type: None,
        }
    }

    /// n-d COO: one root `sparse` level of rank `rank` over `element` (arrays `indices_0` …
    /// `indices_{rank-1}`, `values`). Rank 1 is `CVEC`, rank 2 is `COOR`.
    pub fn coo_nd(rank: usize) -> Result<Self, EngineError> {
        Format::new(vec![Level::Sparse { rank }, Level::Element], None)
            .map(Self::format)
            .map_err(|e| EngineError::Unsupported(format!("n-d COO of rank {rank}: {e}")))
    }

    /// n-d dense, row-major: `rank` `dense(1)` levels over `element` (one `values` array).
    /// Rank 1 is `DVEC`, rank 2 is `DMATR`.
    pub fn dense_nd(rank: usize) -> Result<Self, EngineError> {
        let mut levels = vec![Level::Dense { rank: 1 }; rank];
        levels.push(Level::Element);
        Format::new(levels, None)
            .map(Self::format)
            .map_err(|e| EngineError::Unsupported(format!("n-d dense of rank {rank}: {e}")))
    }

    /// The same target with every index array of dtype `t`.
    pub fn with_index_type(mut self, t: ScalarType) -> Self {
        self.index_type = Some(t);
        self
    }

    /// The same target with every pointer array of dtype `t`.
    pub fn with_pointer_type(mut self, t: ScalarType) -> Self {
        self.pointer_type = Some(t);
        self
    }
}

impl From<PredefinedFormat> for Target {
    fn from(f: PredefinedFormat) -> Self {
        Self::format(f)
    }
}

/// Options of [`crate::engine::convert`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConvertOptions {
    /// `Some(false)`: fail with [`EngineError::CopyRequired`] rather than allocate.
    /// `Some(true)`: always return fresh buffers. `None`: share buffers where possible.
    pub copy: Option<bool>,
    /// `None`: the source must be canonical (else its typed validation error). `Some(policy)`:
    /// a non-canonical COO, CSR or CSC source is sorted and its duplicates summed or rejected
    /// first (see the [`crate::engine`] docs).
    pub canonicalize: Option<DuplicatePolicy>,
}

/// The result of [`crate::engine::convert`].
#[derive(Debug, Clone)]
pub struct Converted {
    /// The converted array (validated: canonical by construction).
    pub array: SparseArray,
    /// Whether any new buffer was allocated.
    pub copied: bool,
}
