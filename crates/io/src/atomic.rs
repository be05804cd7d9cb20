//! Atomic output: everything is written to a temporary sibling of the target, then renamed over
//! it. A failed or interrupted write removes the temporary, so the target is either the old file
//! (or absent) or the complete new one, never a partial file.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{AtPath, IoError};

static COUNTER: AtomicU64 = AtomicU64::new(0);

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
        let temp = target.with_file_name(temp_name);
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
    /// moved aside first and removed after the rename.
    pub(crate) fn commit(mut self) -> Result<(), IoError> {
        if self.is_dir {
            if self.target.exists() {
                let aside = TempTarget::new(&self.target, true)?;
                fs::rename(&self.target, aside.path()).at(&self.target)?;
                fs::rename(&self.temp, &self.target).at(&self.target)?;
                // `aside` drops here and removes the old directory.
                drop(aside);
            } else {
                fs::rename(&self.temp, &self.target).at(&self.target)?;
            }
        } else {
            // Flush the data before the rename makes it visible.
            if let Ok(f) = fs::File::open(&self.temp) {
                let _ = f.sync_all();
            }
            fs::rename(&self.temp, &self.target).at(&self.target)?;
        }
        self.committed = true;
        Ok(())
    }
}

impl Drop for TempTarget {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        // Best effort: nothing useful can be done with a failure to clean up.
        let _ = if self.temp.is_dir() {
            fs::remove_dir_all(&self.temp)
        } else {
            fs::remove_file(&self.temp)
        };
    }
}
