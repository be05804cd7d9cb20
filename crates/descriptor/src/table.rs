//! The format table as data: which constituent arrays a descriptor implies, and how long each is.
//!
//! | level (at depth `d`, `P` positions entering) | arrays | lengths |
//! |---|---|---|
//! | `dense(r)` | none | positions become `P × ∏ stored_shape[d..d+r]` |
//! | `sparse(r)`, not the root | `pointers_to_d`, `indices_d … indices_(d+r-1)` | `P + 1`; indices: `pointers_to_d[last]` |
//! | `sparse(r)`, the root | `indices_0 … indices_(r-1)` | the number of stored coordinates |
//! | `element` | `values` | `P` (1 when `iso`) |
//! | `fill: true` | `fill_value` | 1 |
//!
//! Lengths count logical elements: a `complex[float32]` array of length `n` is `2n` floats in
//! the spec's interleaved layout (the array layer handles that). When `number_of_stored_values`
//! is known, the innermost sparse level's coordinate count is `nnz / ∏(dense extents below)`,
//! so most lengths are [`LengthRule::Exact`].

use std::collections::BTreeMap;

use crate::error::DescriptorError;
use crate::format::{Format, Level};

/// What a constituent array holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArrayRole {
    /// `pointers_to_<depth>`: positions of the sparse level at `depth`.
    Pointers {
        /// Number of stored dimensions above the level.
        depth: usize,
    },
    /// `indices_<dim>`: coordinates along stored dimension `dim`.
    Indices {
        /// Stored dimension (logical dimension `transpose[dim]`).
        dim: usize,
    },
    /// `values`.
    Values,
    /// `fill_value` (present when `fill` is true).
    FillValue,
}

impl ArrayRole {
    /// Pointer and index arrays need integer, non-iso types.
    pub const fn is_index(self) -> bool {
        matches!(self, Self::Pointers { .. } | Self::Indices { .. })
    }

    /// The binsparse array name for this role.
    pub fn name(self) -> String {
        match self {
            Self::Pointers { depth } => format!("pointers_to_{depth}"),
            Self::Indices { dim } => format!("indices_{dim}"),
            Self::Values => "values".to_owned(),
            Self::FillValue => "fill_value".to_owned(),
        }
    }
}

/// An array's expected length (in logical elements), as a function of shape, nnz and the
/// contents of earlier arrays. Rules only refer to arrays that come earlier in table order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LengthRule {
    /// Known from the descriptor alone.
    Exact(u64),
    /// Not fixed by the descriptor: the coordinate count of a root sparse level that is not the
    /// innermost sparse level (DCSR's `indices_0`). Later rules refer to it with `LengthOf`.
    Free,
    /// `factor × len(array) + offset`.
    LengthOf {
        /// The earlier array.
        array: String,
        /// Multiplier.
        factor: u64,
        /// Addend.
        offset: u64,
    },
    /// `factor × array[last] + offset`, where `array` is an earlier pointer array.
    PointerEnd {
        /// The earlier pointer array.
        array: String,
        /// Multiplier.
        factor: u64,
        /// Addend.
        offset: u64,
    },
}

impl LengthRule {
    /// `self × k` (positions through a dense level). `None` on overflow.
    fn times(&self, k: u64) -> Option<Self> {
        Some(match self {
            Self::Exact(n) => Self::Exact(n.checked_mul(k)?),
            Self::Free => Self::Free,
            Self::LengthOf {
                array,
                factor,
                offset,
            } => Self::LengthOf {
                array: array.clone(),
                factor: factor.checked_mul(k)?,
                offset: offset.checked_mul(k)?,
            },
            Self::PointerEnd {
                array,
                factor,
                offset,
            } => Self::PointerEnd {
                array: array.clone(),
                factor: factor.checked_mul(k)?,
                offset: offset.checked_mul(k)?,
            },
        })
    }

    /// `self + k`. `None` on overflow.
    fn plus(&self, k: u64) -> Option<Self> {
        Some(match self {
            Self::Exact(n) => Self::Exact(n.checked_add(k)?),
            Self::Free => Self::Free,
            Self::LengthOf {
                array,
                factor,
                offset,
            } => Self::LengthOf {
                array: array.clone(),
                factor: *factor,
                offset: offset.checked_add(k)?,
            },
            Self::PointerEnd {
                array,
                factor,
                offset,
            } => Self::PointerEnd {
                array: array.clone(),
                factor: *factor,
                offset: offset.checked_add(k)?,
            },
        })
    }
}

/// One constituent array of a descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ArraySpec {
    /// The binsparse array name (`pointers_to_1`, `indices_0`, `values`, `fill_value`).
    pub name: String,
    /// What it holds.
    pub role: ArrayRole,
    /// Its expected length in logical elements.
    pub length: LengthRule,
    /// For a pointer array whose last element is fixed by nnz: that value.
    pub pointer_end: Option<u64>,
}

impl ArraySpec {
    /// Pointer or index array (integer, non-iso type).
    pub const fn is_index(&self) -> bool {
        self.role.is_index()
    }
}

/// The constituent arrays of `format`, in canonical order (level order, then `values`, then
/// `fill_value`), with their length rules. `nnz = None` means unknown (lenient legacy input).
pub(crate) fn arrays_for(
    format: &Format,
    shape: &[u64],
    nnz: Option<u64>,
    value_iso: bool,
    fill: bool,
) -> Result<Vec<ArraySpec>, DescriptorError> {
    let nnz_key = || "binsparse.number_of_stored_values".to_owned();
    let overflow = |what: &str| DescriptorError::SizeOverflow {
        key: "binsparse.shape".to_owned(),
        value: what.to_owned(),
    };
    let stored: Vec<u64> = (0..shape.len())
        .map(|k| shape.get(format.logical_dim(k)).copied().unwrap_or(0))
        .collect();
    let levels = format.levels();
    let mut specs = Vec::new();
    let mut depth = 0usize;
    let mut positions = LengthRule::Exact(1);
    for (i, level) in levels.iter().enumerate() {
        match *level {
            Level::Dense { rank } => {
                let extent = product(stored.get(depth..depth + rank).unwrap_or(&[]))
                    .ok_or_else(|| overflow("the positions of a dense level"))?;
                positions = positions
                    .times(extent)
                    .ok_or_else(|| overflow("the positions of a dense level"))?;
                depth += rank;
            }
            Level::Sparse { rank } => {
                let rest = levels.get(i + 1..).unwrap_or(&[]);
                let innermost = !rest.iter().any(|l| matches!(l, Level::Sparse { .. }));
                // Coordinates stored at this level, when nnz fixes them.
                let mut exact_out = None;
                if let (true, Some(nnz)) = (innermost, nnz) {
                    let below_dims = stored.get(depth + rank..).unwrap_or(&[]);
                    let below = product(below_dims)
                        .ok_or_else(|| overflow("the positions below a sparse level"))?;
                    if below == 0 {
                        if nnz != 0 {
                            return Err(DescriptorError::NnzMismatch {
                                key: nnz_key(),
                                value: nnz,
                                reason: "a dense extent below the sparse level is 0".to_owned(),
                            });
                        }
                    } else if nnz % below != 0 {
                        return Err(DescriptorError::NnzMismatch {
                            key: nnz_key(),
                            value: nnz,
                            reason: format!(
                                "not a multiple of {below}, the dense block below the innermost sparse level"
                            ),
                        });
                    } else {
                        exact_out = Some(nnz / below);
                    }
                }
                let out = if i == 0 {
                    match exact_out {
                        Some(n) => LengthRule::Exact(n),
                        None => LengthRule::LengthOf {
                            array: ArrayRole::Indices { dim: depth }.name(),
                            factor: 1,
                            offset: 0,
                        },
                    }
                } else {
                    let role = ArrayRole::Pointers { depth };
                    let name = role.name();
                    specs.push(ArraySpec {
                        name: name.clone(),
                        role,
                        length: positions
                            .plus(1)
                            .ok_or_else(|| overflow("a pointer array length"))?,
                        pointer_end: exact_out,
                    });
                    match exact_out {
                        Some(n) => LengthRule::Exact(n),
                        None => LengthRule::PointerEnd {
                            array: name,
                            factor: 1,
                            offset: 0,
                        },
                    }
                };
                for k in 0..rank {
                    let role = ArrayRole::Indices { dim: depth + k };
                    let free_anchor = k == 0 && i == 0 && exact_out.is_none();
                    specs.push(ArraySpec {
                        name: role.name(),
                        role,
                        length: if free_anchor {
                            LengthRule::Free
                        } else {
                            out.clone()
                        },
                        pointer_end: None,
                    });
                }
                positions = out;
                depth += rank;
            }
            Level::Element => {
                if let (LengthRule::Exact(p), Some(nnz)) = (&positions, nnz)
                    && *p != nnz
                {
                    return Err(DescriptorError::NnzMismatch {
                        key: nnz_key(),
                        value: nnz,
                        reason: format!("the format stores exactly {p} values for this shape"),
                    });
                }
                specs.push(ArraySpec {
                    name: "values".to_owned(),
                    role: ArrayRole::Values,
                    length: if value_iso {
                        LengthRule::Exact(1)
                    } else {
                        positions.clone()
                    },
                    pointer_end: None,
                });
            }
        }
    }
    if fill {
        specs.push(ArraySpec {
            name: "fill_value".to_owned(),
            role: ArrayRole::FillValue,
            length: LengthRule::Exact(1),
            pointer_end: None,
        });
    }
    Ok(specs)
}

/// Checked product of extents (`1` for none).
pub(crate) fn product(dims: &[u64]) -> Option<u64> {
    dims.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d))
}

/// Actual constituent-array facts to check against a descriptor's table (see
/// `Descriptor::check_lengths`): each array's length in logical elements and, for pointer arrays,
/// its last element.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArrayLengths {
    entries: BTreeMap<String, (u64, Option<u64>)>,
}

impl ArrayLengths {
    /// No arrays yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Record an array's length (logical elements).
    pub fn insert(&mut self, name: impl Into<String>, len: u64) -> &mut Self {
        self.entries.insert(name.into(), (len, None));
        self
    }

    /// Record a pointer array's length and last element (`None` if it is empty).
    pub fn insert_pointers(
        &mut self,
        name: impl Into<String>,
        len: u64,
        last: Option<u64>,
    ) -> &mut Self {
        self.entries.insert(name.into(), (len, last));
        self
    }

    /// The recorded length of `name`.
    pub fn len_of(&self, name: &str) -> Option<u64> {
        self.entries.get(name).map(|e| e.0)
    }

    /// The recorded last element of `name`.
    pub fn last_of(&self, name: &str) -> Option<u64> {
        self.entries.get(name).and_then(|e| e.1)
    }

    /// Recorded array names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }
}

/// Check `actual` against `specs`: same array set, each length as its rule says, and each fixed
/// pointer end. Rules referring to a pointer's last element need it recorded.
pub(crate) fn check_lengths(
    specs: &[ArraySpec],
    actual: &ArrayLengths,
) -> Result<(), DescriptorError> {
    if let Some(extra) = actual.names().find(|n| !specs.iter().any(|s| s.name == *n)) {
        return Err(DescriptorError::UnexpectedArray {
            array: extra.to_owned(),
        });
    }
    for spec in specs {
        let len = actual
            .len_of(&spec.name)
            .ok_or_else(|| DescriptorError::MissingArray {
                array: spec.name.clone(),
            })?;
        let expected = match &spec.length {
            LengthRule::Exact(n) => Some(*n),
            LengthRule::Free => None,
            LengthRule::LengthOf {
                array,
                factor,
                offset,
            } => {
                let base = actual
                    .len_of(array)
                    .ok_or_else(|| DescriptorError::MissingArray {
                        array: array.clone(),
                    })?;
                Some(affine(base, *factor, *offset, &spec.name)?)
            }
            LengthRule::PointerEnd {
                array,
                factor,
                offset,
            } => {
                let base = actual.last_of(array).ok_or(DescriptorError::PointerEnd {
                    array: array.clone(),
                    expected: 0,
                    actual: None,
                })?;
                Some(affine(base, *factor, *offset, &spec.name)?)
            }
        };
        if let Some(expected) = expected
            && expected != len
        {
            return Err(DescriptorError::ArrayLength {
                array: spec.name.clone(),
                expected,
                actual: len,
            });
        }
        if let Some(end) = spec.pointer_end {
            let last = actual.last_of(&spec.name);
            if last != Some(end) {
                return Err(DescriptorError::PointerEnd {
                    array: spec.name.clone(),
                    expected: end,
                    actual: last,
                });
            }
        }
    }
    Ok(())
}

/// `base × factor + offset`, as an array-length error on overflow (no real array is that long).
fn affine(base: u64, factor: u64, offset: u64, array: &str) -> Result<u64, DescriptorError> {
    base.checked_mul(factor)
        .and_then(|v| v.checked_add(offset))
        .ok_or_else(|| DescriptorError::SizeOverflow {
            key: array.to_owned(),
            value: format!("{base} × {factor} + {offset}"),
        })
}
