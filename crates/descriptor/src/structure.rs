//! The optional `structure` key: symmetric, Hermitian and skew-symmetric storage.

use std::fmt;
use std::str::FromStr;

/// Which triangle is stored and how the other one is implied (binsparse 0.1 `structure`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Structure {
    /// Stored `(i, j)` have `i >= j`; `A[j, i] = A[i, j]`.
    SymmetricLower,
    /// Stored `(i, j)` have `i <= j`; `A[j, i] = A[i, j]`.
    SymmetricUpper,
    /// Stored `(i, j)` have `i >= j`; `A[j, i] = conj(A[i, j])`. Complex values only.
    HermitianLower,
    /// Stored `(i, j)` have `i <= j`; `A[j, i] = conj(A[i, j])`. Complex values only.
    HermitianUpper,
    /// Stored `(i, j)` have `i >= j`; `A[j, i] = -A[i, j]`.
    SkewSymmetricLower,
    /// Stored `(i, j)` have `i <= j`; `A[j, i] = -A[i, j]`.
    SkewSymmetricUpper,
}

impl Structure {
    /// All six values.
    pub const ALL: [Structure; 6] = [
        Self::SymmetricLower,
        Self::SymmetricUpper,
        Self::HermitianLower,
        Self::HermitianUpper,
        Self::SkewSymmetricLower,
        Self::SkewSymmetricUpper,
    ];

    /// The binsparse string.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SymmetricLower => "symmetric_lower",
            Self::SymmetricUpper => "symmetric_upper",
            Self::HermitianLower => "hermitian_lower",
            Self::HermitianUpper => "hermitian_upper",
            Self::SkewSymmetricLower => "skew_symmetric_lower",
            Self::SkewSymmetricUpper => "skew_symmetric_upper",
        }
    }

    /// The lower triangle is stored (`i >= j`).
    pub const fn is_lower(self) -> bool {
        matches!(
            self,
            Self::SymmetricLower | Self::HermitianLower | Self::SkewSymmetricLower
        )
    }

    /// Hermitian (needs complex values).
    pub const fn is_hermitian(self) -> bool {
        matches!(self, Self::HermitianLower | Self::HermitianUpper)
    }

    /// Skew-symmetric.
    pub const fn is_skew(self) -> bool {
        matches!(self, Self::SkewSymmetricLower | Self::SkewSymmetricUpper)
    }

    /// The structure of the transpose: the stored triangle flips (lower ↔ upper) and the kind
    /// stays (`Aᵀ` of a symmetric, Hermitian or skew-symmetric `A` is one too).
    pub const fn transposed(self) -> Self {
        match self {
            Self::SymmetricLower => Self::SymmetricUpper,
            Self::SymmetricUpper => Self::SymmetricLower,
            Self::HermitianLower => Self::HermitianUpper,
            Self::HermitianUpper => Self::HermitianLower,
            Self::SkewSymmetricLower => Self::SkewSymmetricUpper,
            Self::SkewSymmetricUpper => Self::SkewSymmetricLower,
        }
    }
}

impl fmt::Display for Structure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not one of the six structure values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown structure {0:?}")]
pub struct ParseStructureError(pub String);

impl FromStr for Structure {
    type Err = ParseStructureError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| ParseStructureError(s.to_owned()))
    }
}
