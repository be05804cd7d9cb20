//! Index-width casts (for example int32 → int64, and back when every value fits).

use rayon::prelude::*;

use super::par::{serial_cutoff, zeroed};
use crate::error::{ConvertError, Result};
use crate::index::Index;

/// `src` converted element-wise to `B`. Fails with [`ConvertError::DoesNotFit`] naming `array`,
/// the first position whose value `B` cannot hold (negative into unsigned, or too large), and
/// that value.
pub fn cast_indices<A: Index, B: Index>(src: &[A], array: &'static str) -> Result<Vec<B>> {
    let mut out: Vec<B> = zeroed(src.len())?;
    let chunk = serial_cutoff();
    let bad = out
        .par_chunks_mut(chunk)
        .zip(src.par_chunks(chunk))
        .enumerate()
        .filter_map(|(k, (o, s))| {
            for (j, (d, &v)) in o.iter_mut().zip(s).enumerate() {
                match i128_to::<B>(v.to_i128()) {
                    Some(b) => *d = b,
                    None => return Some(k * chunk + j),
                }
            }
            None
        })
        .min();
    match bad {
        Some(position) => Err(ConvertError::DoesNotFit {
            array,
            position,
            value: src[position].to_i128(),
            dtype: B::DTYPE,
        }),
        None => Ok(out),
    }
}

/// `v` as `B` when it fits. Every index dtype is at most 64 bits wide, so `v` is either
/// negative (fits only signed `B`) or a `u64`.
#[inline(always)]
fn i128_to<B: Index>(v: i128) -> Option<B> {
    if v >= 0 {
        usize::try_from(v).ok().and_then(B::from_usize)
    } else {
        B::from_i64(i64::try_from(v).ok()?)
    }
}
