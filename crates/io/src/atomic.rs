//! Atomic output: everything is written to a temporary sibling of the target, then renamed over
//! it. A failed or interrupted write removes the temporary, so the target is either the old file
//! (or absent) or the complete new one, never a partial file.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{AtPath, IoError};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Temporaries not yet committed or removed, so that a process being interrupted (Ctrl-C) can
/// remove them before it exits: drops do not run when a signal ends the process.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    // A panic while holding the lock leaves the list itself intact.
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

fn forget(temp: &Path) {
    let mut list = pending();
    if let Some(i) = list.iter().position(|p| p == temp) {
        list.swap_remove(i);
    }
}

fn remove(temp: &Path) {
    // Best effort: nothing useful can be done with a failure to clean up.
    let _ = if temp.is_dir() {
        fs::remove_dir_all(temp)
    } else {
        fs::remove_file(temp)
    };
}

/// Removes every temporary output this process has not committed yet, and returns how many.
/// For a signal handler that is about to end the process (the `sparsebridge` CLI calls it on
/// SIGINT/SIGTERM): afterwards no partial output of this process is left on disk, and no new
/// temporary can be registered or committed (the registry stays locked until the process ends).
/// Writes still in progress fail or write into unlinked files; their targets are never replaced.
pub fn remove_pending_temporaries() -> usize {
    let guard = pending();
    let list = guard.clone();
    // Keep the registry locked for good: a writer that reaches `new` or `commit` now blocks
    // instead of starting another temporary or renaming one into place.
    std::mem::forget(guard);
    // A writer may be between registering a temporary and creating it, or adding files to a
    // directory that is being removed (so `remove_dir_all` meets a new entry): sweep until the
    // paths stay gone for two consecutive rounds, bounded so an interrupt always ends.
    let mut quiet_rounds = 0;
    for _ in 0..200 {
        let mut found = false;
        for temp in &list {
            if fs::symlink_metadata(temp).is_ok() {
                found = true;
                remove(temp);
            }
        }
        quiet_rounds = if found { 0 } else { quiet_rounds + 1 };
        if quiet_rounds >= 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    list.len()
}

/// A temporary path next to `target` that is removed on drop unless [`commit`](Self::commit)ted.
#[derive(Debug)]
pub(crate) struct TempTarget {
    temp: PathBuf,
    target: PathBuf,
    is_dir: bool,
    committed: bool,
}

impl TempTarget {
    /// A fresh temporary name in `target`'s directory (`.NAME.sbtmp.PID.N`). Nothing is created.
    pub(crate) fn new(target: &Path, is_dir: bool) -> Result<Self, IoError> {
        let temp = temp_name(target)?;
        pending().push(temp.clone());
        Ok(Self {
            temp,
            target: target.to_path_buf(),
            is_dir,
            committed: false,
        })
    }

    /// The temporary path to write to.
    pub(crate) fn path(&self) -> &Path {
        &self.temp
    }

    /// Rename the temporary over the target. A directory target that exists is replaced: it is
    /// moved aside first and removed after the rename (moved back if the rename fails).
    ///
    /// The renames happen under the registry lock, and the temporary leaves the registry under
    /// the same lock: an interrupt handler ([`remove_pending_temporaries`]) either runs first,
    /// removes the temporary and keeps the lock, so the rename never happens, or runs after, and
    /// finds nothing of this write to remove. Without that, the handler could be deleting a
    /// directory's files while it is renamed into place, leaving a partial output.
    pub(crate) fn commit(mut self) -> Result<(), IoError> {
        if !self.is_dir {
            // Flush the data before the rename makes it visible.
            if let Ok(f) = fs::File::open(&self.temp) {
                let _ = f.sync_all();
            }
        }
        let aside = if self.is_dir && self.target.exists() {
            Some(temp_name(&self.target)?)
        } else {
            None
        };
        {
            let mut list = pending();
            if let Some(a) = &aside {
                fs::rename(&self.target, a).at(&self.target)?;
            }
            if let Err(e) = fs::rename(&self.temp, &self.target) {
                if let Some(a) = &aside {
                    let _ = fs::rename(a, &self.target);
                }
                return Err(e).at(&self.target);
            }
            list.retain(|p| p != &self.temp);
            self.committed = true;
        }
        if let Some(a) = aside {
            // The old directory, now unreachable under the target's name.
            remove(&a);
        }
        Ok(())
    }
}

/// A fresh temporary sibling of `target`: `.NAME.sbtmp.PID.N`. Nothing is created or registered.
fn temp_name(target: &Path) -> Result<PathBuf, IoError> {
    let name = target.file_name().ok_or_else(|| IoError::Io {
        path: target.to_path_buf(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the output path has no file name",
        ),
    })?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".sbtmp.{}.{n}", std::process::id()));
    Ok(target.with_file_name(temp_name))
}

impl Drop for TempTarget {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        forget(&self.temp);
        remove(&self.temp);
    }
}
