//! Subcommands, one module each, plus the measurement helpers they share.

pub mod bench;
pub mod demo;
pub mod descriptor;
pub mod files;
pub mod measure;

/// An error and its causes on one line, `outer: cause: root`, each message once.
///
/// Library errors (e.g. `sparsebridge_io::IoError`) already include their source in their own
/// message *and* expose it through `source()`; printing the chain with `{:#}` would repeat the
/// source (`a.mtx: No such file: No such file`). A cause whose text the line already holds is
/// left out.
pub fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line.replace(['\n', '\r'], " ")
}
