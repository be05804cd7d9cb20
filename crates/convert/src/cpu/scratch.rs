//! One reused temporary for the scattering conversions.
//!
//! The radix sort (`radix.rs`) needs a temporary as large as its input: 16 bytes per entry for
//! int32 indices and float64 values, 160 MB at 1e7 entries. Fresh pages cost a kernel fault and
//! a kernel zero-fill each (about 15 % of all cycles of the scattering conversions at 1e7,
//! measured with perf), so the last temporary is kept for the next conversion, as the issue's
//! "reuse of output allocations" asks and as CuPy's and PyTorch's memory pools do.
//!
//! Bounds: one temporary at most, of at most [`scratch_limit`] bytes (256 MiB unless
//! `SPARSEBRIDGE_SCRATCH_LIMIT` (bytes) or [`set_scratch_limit`] says otherwise; 0 disables
//! the reuse). [`release_scratch`] frees it. Outputs are never pooled: they belong to the caller.

use std::any::Any;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::par::zeroed;
use crate::error::Result;

const DEFAULT_LIMIT: usize = 256 << 20;
/// `usize::MAX` until first read from the environment.
static LIMIT: AtomicUsize = AtomicUsize::new(usize::MAX);
static SLOT: Mutex<Option<Box<dyn Any + Send>>> = Mutex::new(None);

/// The largest temporary kept between conversions, in bytes.
pub fn scratch_limit() -> usize {
    match LIMIT.load(Ordering::Relaxed) {
        usize::MAX => {
            let v = std::env::var("SPARSEBRIDGE_SCRATCH_LIMIT")
                .ok()
                .and_then(|s| s.trim().parse::<usize>().ok())
                .unwrap_or(DEFAULT_LIMIT)
                .min(usize::MAX - 1);
            LIMIT.store(v, Ordering::Relaxed);
            v
        }
        v => v,
    }
}

/// Sets the largest temporary kept between conversions (bytes; 0 disables the reuse and frees
/// the one kept).
pub fn set_scratch_limit(bytes: usize) {
    LIMIT.store(bytes.min(usize::MAX - 1), Ordering::Relaxed);
    if bytes == 0 {
        release_scratch();
    }
}

/// Frees the temporary kept between conversions, if any.
pub fn release_scratch() {
    drop(slot().take());
}

fn slot() -> std::sync::MutexGuard<'static, Option<Box<dyn Any + Send>>> {
    // A poisoned lock only means a panic elsewhere while holding it: the slot is still a
    // valid Option, so recover it rather than propagate.
    SLOT.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A vector of `n` elements whose contents are unspecified (but initialized): the kept
/// temporary when it has the same element type and room, else a fresh zeroed one.
pub(crate) fn take<T: bytemuck::Zeroable + Copy + Send + 'static>(n: usize) -> Result<Vec<T>> {
    let kept = slot().take();
    if let Some(b) = kept
        && let Ok(v) = b.downcast::<Vec<T>>()
    {
        let mut v = *v;
        if v.len() >= n {
            v.truncate(n);
            return Ok(v);
        }
        if v.capacity() >= n {
            v.resize(n, T::zeroed());
            return Ok(v);
        }
    }
    zeroed(n)
}

/// Hands a temporary back for the next conversion (dropped when larger than the limit).
pub(crate) fn give<T: Send + 'static>(v: Vec<T>) {
    let bytes = v.capacity().saturating_mul(std::mem::size_of::<T>());
    if bytes == 0 || bytes > scratch_limit() {
        return;
    }
    *slot() = Some(Box::new(v));
}

#[cfg(test)]
mod tests {
    use super::*;

    // One test: the slot and the limit are process-wide.
    #[test]
    fn kept_then_reused_then_bounded() {
        set_scratch_limit(1 << 20);
        let v: Vec<u64> = take(1000).unwrap();
        assert_eq!(v.len(), 1000);
        let p = v.as_ptr();
        give(v);
        // Same type, smaller: the kept allocation, truncated.
        let w: Vec<u64> = take(10).unwrap();
        assert_eq!((w.as_ptr(), w.len()), (p, 10));
        give(w);
        // Same type, larger than the kept length but within its capacity: resized in place.
        let w: Vec<u64> = take(1000).unwrap();
        assert_eq!((w.as_ptr(), w.len()), (p, 1000));
        give(w);
        // Another type: a fresh vector (the kept one is dropped).
        let x: Vec<u32> = take(5).unwrap();
        assert_eq!(x, vec![0u32; 5]);
        give(x);
        // Over the limit: not kept.
        give(vec![0u8; (1 << 20) + 1]);
        let y: Vec<u8> = take(4).unwrap();
        assert_eq!(y, vec![0u8; 4]);
        // Limit 0 frees and disables.
        give(vec![1u16; 8]);
        set_scratch_limit(0);
        assert!(slot().is_none());
        give(vec![1u16; 8]);
        assert!(slot().is_none());
        set_scratch_limit(DEFAULT_LIMIT);
    }
}
