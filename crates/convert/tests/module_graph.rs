//! The module graph of `src/`: every `crate::<module>` reference (a `use` line or a path in
//! code) is an arrow from the referring file's top-level module to `<module>`. The engines sit
//! under a thin router, share the assembly step below them, and must never reach back up (a
//! back edge is how the router and the CUDA engine once grew into one knot), so every arrow must
//! be in [`ALLOWED`], and the graph of the arrows found must have no cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `(from, to)`: the arrows a module may have. `root` is `lib.rs`'s own items (plain data types
/// such as `CooRef` and `DuplicatePolicy`), which any module may use.
const ALLOWED: &[(&str, &[&str])] = &[
    ("engine", &["target", "error", "host", "cuda"]),
    (
        "cuda",
        &["assemble", "target", "error", "host", "index", "root"],
    ),
    (
        "host",
        &[
            "assemble", "target", "error", "cpu", "index", "value", "root",
        ],
    ),
    ("assemble", &["target", "error"]),
    ("target", &["error", "root"]),
    ("cpu", &["error", "index", "value", "root"]),
    ("index", &["error", "root"]),
    ("value", &["error", "root"]),
    ("error", &["root"]),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`src/host/canon.rs` → `host`).
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix(src()).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

/// The source without comments (doc links are not dependencies) and string literals.
fn code_of(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let code = match line.find("//") {
            Some(k) => &line[..k],
            None => line,
        };
        // Drop string contents: a message may spell a path.
        let mut in_str = false;
        let mut prev = ' ';
        for c in code.chars() {
            if c == '"' && prev != '\\' {
                in_str = !in_str;
            } else if !in_str {
                out.push(c);
            }
            prev = c;
        }
        out.push('\n');
    }
    out
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first path segment of every item of a `{ ... }` group (nested groups included once).
fn group_heads(s: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut at_item = true;
    for (k, c) in s.char_indices() {
        match c {
            '{' => {
                depth += 1;
                at_item = depth == 1;
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => at_item = true,
            c if c.is_whitespace() => {}
            _ if at_item && depth == 1 => {
                heads.push(ident_at(&s[k..]).to_owned());
                at_item = false;
            }
            _ => {}
        }
    }
    heads
}

/// Which module defines each name that `lib.rs` re-exports (`pub use error::{ConvertError, ..}`)
/// and the list of top-level modules.
fn lib_names() -> (BTreeSet<String>, BTreeMap<String, String>) {
    let lib = code_of(&std::fs::read_to_string(src().join("lib.rs")).unwrap());
    let mut modules = BTreeSet::new();
    let mut reexports = BTreeMap::new();
    for line in lib.lines() {
        let t = line.trim();
        for prefix in ["pub mod ", "mod "] {
            if let Some(rest) = t.strip_prefix(prefix) {
                modules.insert(ident_at(rest).to_owned());
            }
        }
        if let Some(rest) = t.strip_prefix("pub use ") {
            let module = ident_at(rest).to_owned();
            let after = &rest[module.len()..];
            let names = match after.find('{') {
                Some(k) => group_heads(&after[k..]),
                None => vec![ident_at(after.trim_start_matches("::")).to_owned()],
            };
            for n in names {
                reexports.insert(n, module.clone());
            }
        }
    }
    (modules, reexports)
}

/// The arrows of one file: the module of every `crate::` reference.
fn arrows(
    code: &str,
    modules: &BTreeSet<String>,
    reexports: &BTreeMap<String, String>,
) -> BTreeSet<String> {
    let resolve = |name: &str| -> String {
        if modules.contains(name) {
            name.to_owned()
        } else if let Some(m) = reexports.get(name) {
            m.clone()
        } else {
            "root".to_owned()
        }
    };
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(k) = rest.find("crate::") {
        let preceded = rest[..k]
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        let after = &rest[k + "crate::".len()..];
        if !preceded {
            if after.starts_with('{') {
                out.extend(group_heads(after).iter().map(|n| resolve(n)));
            } else {
                out.insert(resolve(ident_at(after)));
            }
        }
        rest = after;
    }
    out
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let (modules, reexports) = lib_names();
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let from = module_of(&f);
        if from == "lib" {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&f).unwrap());
        let to = arrows(&code, &modules, &reexports);
        graph
            .entry(from.clone())
            .or_default()
            .extend(to.into_iter().filter(|t| *t != from));
    }
    graph
}

#[test]
fn every_arrow_is_allowed() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut bad = Vec::new();
    for (from, tos) in graph() {
        let Some(ok) = allowed.get(from.as_str()) else {
            bad.push(format!("{from}: a module missing from ALLOWED"));
            continue;
        };
        for to in tos {
            if !ok.contains(&to.as_str()) {
                bad.push(format!("{from} -> {to}"));
            }
        }
    }
    assert!(bad.is_empty(), "arrows outside ALLOWED: {bad:?}");
}

#[test]
fn the_module_graph_has_no_cycle() {
    let g = graph();
    // Depth-first search with colours; a grey node reached again closes a cycle.
    fn visit<'a>(
        n: &'a str,
        g: &'a BTreeMap<String, BTreeSet<String>>,
        colour: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        match colour.get(n) {
            Some(1) => {
                let start = path.iter().position(|p| *p == n).unwrap_or(0);
                let mut cycle: Vec<String> = path[start..].iter().map(|s| s.to_string()).collect();
                cycle.push(n.to_owned());
                return Some(cycle);
            }
            Some(2) => return None,
            _ => {}
        }
        colour.insert(n, 1);
        path.push(n);
        for m in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, g, colour, path) {
                return Some(c);
            }
        }
        path.pop();
        colour.insert(n, 2);
        None
    }
    let mut colour = BTreeMap::new();
    for n in g.keys() {
        let mut path = Vec::new();
        if let Some(cycle) = visit(n, &g, &mut colour, &mut path) {
            panic!("module cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_allowed_table_itself_has_no_cycle() {
    // So that adding an arrow to ALLOWED cannot quietly permit a knot.
    let g: BTreeMap<String, BTreeSet<String>> = ALLOWED
        .iter()
        .map(|(f, ts)| {
            (
                (*f).to_owned(),
                ts.iter()
                    .filter(|t| **t != "root")
                    .map(|t| (*t).to_owned())
                    .collect(),
            )
        })
        .collect();
    let mut order: Vec<String> = Vec::new();
    let mut left = g.clone();
    while !left.is_empty() {
        let ready: Vec<String> = left
            .iter()
            .filter(|(_, ts)| ts.iter().all(|t| order.contains(t) || !g.contains_key(t)))
            .map(|(f, _)| f.clone())
            .collect();
        assert!(
            !ready.is_empty(),
            "ALLOWED has a cycle among {:?}",
            left.keys()
        );
        for r in ready {
            left.remove(&r);
            order.push(r);
        }
    }
}

#[test]
fn the_parser_sees_a_back_edge() {
    // The checker itself: a planted upward reference is found, in both spellings.
    let (modules, reexports) = lib_names();
    let code = code_of(
        "use crate::engine::{ConvertOptions, convert};\n\
         use crate::{ConvertError, cpu};\n\
         fn f() { crate::host::convert(); } // crate::cuda in a comment\n\
         const S: &str = \"crate::assemble\";\n",
    );
    let found = arrows(&code, &modules, &reexports);
    let want: BTreeSet<String> = ["engine", "error", "cpu", "host"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(found, want);
}
