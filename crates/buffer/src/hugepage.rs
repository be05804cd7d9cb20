//! Large host allocations backed by transparent huge pages where the OS allows it.
//!
//! Conversions write fresh outputs of tens to hundreds of megabytes. With 4 KiB pages, the first
//! write to each page takes a page fault (≈ 0.3–1 µs plus zeroing), which made the streaming
//! conversions fault-bound rather than bandwidth-bound, and the scattering ones TLB-bound. Linux
//! kernels configured with `transparent_hugepage=madvise` (a common default) back a region with
//! 2 MiB pages only when it is advised with `MADV_HUGEPAGE`. [`zeroed_vec`] and the owned
//! [`crate::BufferMut`] allocations give that advice for every whole 2 MiB-aligned stretch of an
//! allocation of at least [`HUGE_PAGE_MIN_BYTES`]. The advice never changes contents; where it is
//! refused (other kernels, `never`, non-Linux) the allocation behaves as before.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::{BufferError, Device};

/// The 2 MiB huge-page size of x86-64 and aarch64 (4 KiB base pages).
const HUGE_PAGE: usize = 2 << 20;

/// Allocations of at least this many bytes are advised (smaller ones hold at most one huge page).
pub const HUGE_PAGE_MIN_BYTES: usize = 4 << 20;

/// Whether the advice is given (default true). Benchmarks switch it off to measure its effect.
static ENABLED: AtomicBool = AtomicBool::new(true);

/// Turns the huge-page advice for new allocations on or off (default on). Results never depend
/// on it, only the time the first write to fresh memory takes.
pub fn set_huge_pages(enabled: bool) {
    ENABLED.store(enabled, Ordering::Relaxed);
}

/// Whether new large allocations are advised to use huge pages.
pub fn huge_pages() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// A zeroed `Vec` of `n` elements. Large ones are advised to use transparent huge pages before
/// they are first written (see the module docs). Zeroed pages come lazily from the OS, so untouched
/// memory costs nothing.
///
/// Sizes come from untrusted input (a file's header, a descriptor's shape), so the allocation is
/// fallible: a request the allocator refuses, or one whose byte size overflows, is
/// [`BufferError::OutOfMemory`] rather than an abort or a panic.
pub fn try_zeroed_vec<T: bytemuck::Zeroable>(n: usize) -> Result<Vec<T>, BufferError> {
    let bytes = n.saturating_mul(std::mem::size_of::<T>());
    let v: Vec<T> =
        bytemuck::allocation::try_zeroed_vec(n).map_err(|()| BufferError::OutOfMemory {
            bytes,
            device: Device::Cpu,
        })?;
    advise(v.as_ptr().cast(), std::mem::size_of_val(v.as_slice()));
    Ok(v)
}

/// Advises the whole huge pages inside `[start, start + bytes)`, when enabled and large enough.
pub(crate) fn advise(start: *const u8, bytes: usize) {
    if bytes < HUGE_PAGE_MIN_BYTES || !huge_pages() {
        return;
    }
    advise_range(start as usize, bytes);
}

#[cfg(target_os = "linux")]
fn advise_range(start: usize, bytes: usize) {
    let Some(end) = start.checked_add(bytes) else {
        return;
    };
    let lo = start.next_multiple_of(HUGE_PAGE);
    let hi = end - end % HUGE_PAGE;
    if hi <= lo {
        return;
    }
    // SAFETY: `[lo, hi)` lies inside an allocation the caller owns (it is within
    // `[start, start + bytes)`), and `lo` is page-aligned. `MADV_HUGEPAGE` only changes how the
    // kernel backs future faults in the range; it never changes or frees its contents, so no Rust
    // reference to the memory is affected. A failure (e.g. EINVAL when THP is unavailable) is
    // harmless and ignored.
    unsafe {
        libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_range(_start: usize, _bytes: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zeroed_vec_is_zeroed_and_writable_at_every_size() {
        for n in [0usize, 1, 1000, (HUGE_PAGE_MIN_BYTES / 8) + 12345] {
            let mut v: Vec<u64> = try_zeroed_vec(n).unwrap();
            assert_eq!(v.len(), n);
            assert!(v.iter().all(|&x| x == 0));
            for (i, x) in v.iter_mut().enumerate() {
                *x = i as u64;
            }
            assert!(v.iter().enumerate().all(|(i, &x)| x == i as u64));
        }
    }

    #[test]
    fn an_impossible_size_is_a_typed_error_not_an_abort() {
        // More bytes than any address space: refused before the allocator is asked.
        let e = try_zeroed_vec::<u64>(usize::MAX / 4).unwrap_err();
        assert!(
            matches!(e, BufferError::OutOfMemory { bytes, device: Device::Cpu } if bytes == usize::MAX),
            "{e}"
        );
    }
}
