//! Formats: the ten predefined names and the level-based (custom) model they are aliases of.

use std::fmt;
use std::str::FromStr;

use crate::MAX_RANK;

/// A predefined binsparse 0.1 format name. `COO` and `DMAT` parse as [`Coor`](Self::Coor)
/// and [`Dmatr`](Self::Dmatr); only the canonical names are ever emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PredefinedFormat {
    /// Dense vector.
    Dvec,
    /// Dense row-major matrix (`DMAT` is an alias).
    Dmatr,
    /// Dense column-major matrix.
    Dmatc,
    /// Compressed (sparse) vector.
    Cvec,
    /// Compressed sparse row.
    Csr,
    /// Compressed sparse column.
    Csc,
    /// Doubly compressed sparse row.
    Dcsr,
    /// Doubly compressed sparse column.
    Dcsc,
    /// Coordinate, row-major order (`COO` is an alias).
    Coor,
    /// Coordinate, column-major order.
    Cooc,
}

impl PredefinedFormat {
    /// All ten formats.
    pub const ALL: [PredefinedFormat; 10] = [
        Self::Dvec,
        Self::Dmatr,
        Self::Dmatc,
        Self::Cvec,
        Self::Csr,
        Self::Csc,
        Self::Dcsr,
        Self::Dcsc,
        Self::Coor,
        Self::Cooc,
    ];

    /// The canonical name (`"COOR"`, never `"COO"`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Dvec => "DVEC",
            Self::Dmatr => "DMATR",
            Self::Dmatc => "DMATC",
            Self::Cvec => "CVEC",
            Self::Csr => "CSR",
            Self::Csc => "CSC",
            Self::Dcsr => "DCSR",
            Self::Dcsc => "DCSC",
            Self::Coor => "COOR",
            Self::Cooc => "COOC",
        }
    }

    /// The format whose arrays, read with the shape reversed, store the transpose: a matrix in
    /// `self` is its transpose in the result, with the same arrays under the same names (CSR ↔
    /// CSC, DCSR ↔ DCSC, COOR ↔ COOC, DMATR ↔ DMATC). `None` for vectors.
    pub const fn transposed(self) -> Option<Self> {
        Some(match self {
            Self::Dmatr => Self::Dmatc,
            Self::Dmatc => Self::Dmatr,
            Self::Csr => Self::Csc,
            Self::Csc => Self::Csr,
            Self::Dcsr => Self::Dcsc,
            Self::Dcsc => Self::Dcsr,
            Self::Coor => Self::Cooc,
            Self::Cooc => Self::Coor,
            Self::Dvec | Self::Cvec => return None,
        })
    }

    /// Number of dimensions (1 for vectors, 2 for matrices).
    pub const fn rank(self) -> usize {
        match self {
            Self::Dvec | Self::Cvec => 1,
            _ => 2,
        }
    }
}

impl fmt::Display for PredefinedFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A string that names no predefined format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown binsparse format {0:?}")]
pub struct ParseFormatError(pub String);

impl FromStr for PredefinedFormat {
    type Err = ParseFormatError;

    /// Exact, case-sensitive names, plus the aliases `COO` and `DMAT`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "COO" => Ok(Self::Coor),
            "DMAT" => Ok(Self::Dmatr),
            _ => Self::ALL
                .into_iter()
                .find(|f| f.name() == s)
                .ok_or_else(|| ParseFormatError(s.to_owned())),
        }
    }
}

/// One level of a level-based format, outermost first. A chain always ends in one `Element`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// The leaf: owns `values`, one element per position.
    Element,
    /// `rank` dense dimensions; stores no arrays.
    Dense {
        /// Dimensions covered (≥ 1).
        rank: usize,
    },
    /// `rank` sparse dimensions; stores `pointers_to_d` (except at the root) and `indices_d…`.
    Sparse {
        /// Dimensions covered (≥ 1).
        rank: usize,
    },
}

impl Level {
    /// Dimensions this level covers (0 for `Element`).
    pub const fn rank(self) -> usize {
        match self {
            Self::Element => 0,
            Self::Dense { rank } | Self::Sparse { rank } => rank,
        }
    }

    /// The `level_desc` string.
    pub const fn desc(self) -> &'static str {
        match self {
            Self::Element => "element",
            Self::Dense { .. } => "dense",
            Self::Sparse { .. } => "sparse",
        }
    }
}

/// Why a level chain or transpose is invalid (see [`Format::new`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    /// The chain does not end in exactly one `Element` leaf.
    #[error("a level chain must end in exactly one element level")]
    BadChain,
    /// A dense or sparse level has rank 0.
    #[error("dense and sparse levels need rank >= 1")]
    ZeroRank,
    /// The total rank is above [`MAX_RANK`].
    #[error("total rank above the cap of {MAX_RANK}")]
    RankTooLarge,
    /// `transpose` is not a permutation of `0..rank`.
    #[error("transpose is not a permutation of 0..rank")]
    BadTranspose,
}

/// A validated storage format: a level chain (outer → inner, ending in `Element`) plus an
/// optional `transpose`. An identity `transpose` is normalised away, so two formats are equal
/// exactly when they store the same layout.
///
/// ```
/// use sparsebridge_descriptor::{Format, Level, PredefinedFormat};
/// let csc = Format::new(
///     vec![Level::Dense { rank: 1 }, Level::Sparse { rank: 1 }, Level::Element],
///     Some(vec![1, 0]),
/// )
/// .unwrap();
/// assert_eq!(csc.alias(), Some(PredefinedFormat::Csc));
/// assert_eq!(Format::from(PredefinedFormat::Csc), csc);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Format {
    levels: Vec<Level>,
    transpose: Option<Vec<usize>>,
}

impl Format {
    /// Validate a level chain and transpose. An identity transpose is stored as `None`.
    pub fn new(levels: Vec<Level>, transpose: Option<Vec<usize>>) -> Result<Self, FormatError> {
        let Some((last, inner)) = levels.split_last() else {
            return Err(FormatError::BadChain);
        };
        if *last != Level::Element || inner.contains(&Level::Element) {
            return Err(FormatError::BadChain);
        }
        let mut rank = 0usize;
        for level in inner {
            if level.rank() == 0 {
                return Err(FormatError::ZeroRank);
            }
            rank = rank.saturating_add(level.rank());
        }
        if rank > MAX_RANK {
            return Err(FormatError::RankTooLarge);
        }
        let transpose = match transpose {
            None => None,
            Some(t) => {
                if !is_permutation(&t, rank) {
                    return Err(FormatError::BadTranspose);
                }
                if t.iter().enumerate().all(|(i, &v)| i == v) {
                    None
                } else {
                    Some(t)
                }
            }
        };
        Ok(Self { levels, transpose })
    }

    /// The levels, outermost first; the last is always [`Level::Element`].
    pub fn levels(&self) -> &[Level] {
        &self.levels
    }

    /// The (non-identity) transpose, if any: stored dimension `k` is logical dimension
    /// `transpose[k]`.
    pub fn transpose(&self) -> Option<&[usize]> {
        self.transpose.as_deref()
    }

    /// Number of dimensions (sum of level ranks).
    pub fn rank(&self) -> usize {
        self.levels.iter().map(|l| l.rank()).sum()
    }

    /// The logical dimension held by stored dimension `k`.
    pub fn logical_dim(&self, stored: usize) -> usize {
        match &self.transpose {
            Some(t) => t.get(stored).copied().unwrap_or(stored),
            None => stored,
        }
    }

    /// The predefined name for this layout, if there is one.
    pub fn alias(&self) -> Option<PredefinedFormat> {
        PredefinedFormat::ALL
            .into_iter()
            .find(|p| Format::from(*p) == *self)
    }

    /// Whether any level is sparse.
    pub fn is_sparse(&self) -> bool {
        self.levels
            .iter()
            .any(|l| matches!(l, Level::Sparse { .. }))
    }

    /// A compact rendering of the level chain, e.g. `dense(1)→sparse(1)→element T[1,0]`.
    pub fn summary(&self) -> String {
        let mut s = self
            .levels
            .iter()
            .map(|l| match l {
                Level::Element => "element".to_owned(),
                other => format!("{}({})", other.desc(), other.rank()),
            })
            .collect::<Vec<_>>()
            .join("→");
        if let Some(t) = &self.transpose {
            s.push_str(&format!(" T{t:?}"));
        }
        s
    }
}

impl From<PredefinedFormat> for Format {
    fn from(p: PredefinedFormat) -> Self {
        use Level::{Dense, Element, Sparse};
        use PredefinedFormat as P;
        let d1 = Dense { rank: 1 };
        let s1 = Sparse { rank: 1 };
        let (levels, transposed) = match p {
            P::Dvec => (vec![d1, Element], false),
            P::Dmatr => (vec![d1, d1, Element], false),
            P::Dmatc => (vec![d1, d1, Element], true),
            P::Cvec => (vec![s1, Element], false),
            P::Csr => (vec![d1, s1, Element], false),
            P::Csc => (vec![d1, s1, Element], true),
            P::Dcsr => (vec![s1, s1, Element], false),
            P::Dcsc => (vec![s1, s1, Element], true),
            P::Coor => (vec![Sparse { rank: 2 }, Element], false),
            P::Cooc => (vec![Sparse { rank: 2 }, Element], true),
        };
        Self {
            levels,
            transpose: transposed.then(|| vec![1, 0]),
        }
    }
}

/// `t` holds each of `0..n` exactly once.
fn is_permutation(t: &[usize], n: usize) -> bool {
    if t.len() != n {
        return false;
    }
    let mut seen = vec![false; n];
    for &v in t {
        match seen.get_mut(v) {
            Some(slot) if !*slot => *slot = true,
            _ => return false,
        }
    }
    true
}
