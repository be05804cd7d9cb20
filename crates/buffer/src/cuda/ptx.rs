//! A parser for the `.entry` parameter lists of PTX text (what NVRTC emits), used to check a
//! launch table against the compiled kernels before the first launch.
//!
//! Sizes: `.b8/.u8/.s8` 1, `.b16/.u16/.s16/.f16/.bf16` 2, `.b32/.u32/.s32/.f32` 4,
//! `.b64/.u64/.s64/.f64` 8, and `name[N]` multiplies by `N` (`.align A .b8 x[N]` is `N` bytes).
//! Pointer attributes after the type (`.ptr .global .align 8`) describe the pointee and are
//! skipped.

/// One parameter of a PTX `.entry`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PtxParam {
    /// Size in bytes.
    pub size: usize,
    /// Alignment in bytes (`.align A` before the type, else the element size).
    pub align: usize,
}

/// A kernel entry point of a PTX module and its parameter list, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PtxEntry {
    /// The entry's (unmangled, `extern "C"`) name.
    pub name: String,
    /// The parameters, in order.
    pub params: Vec<PtxParam>,
}

/// Why PTX text could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("PTX: cannot parse entry `{entry}`: {reason}")]
pub struct PtxParseError {
    /// The entry being parsed (empty when its name could not be read).
    pub entry: String,
    /// What is wrong, naming the offending token.
    pub reason: String,
}

fn element_size(ty: &str) -> Option<usize> {
    Some(match ty {
        ".b8" | ".u8" | ".s8" => 1,
        ".b16" | ".u16" | ".s16" | ".f16" | ".bf16" => 2,
        ".b32" | ".u32" | ".s32" | ".f32" => 4,
        ".b64" | ".u64" | ".s64" | ".f64" => 8,
        _ => return None,
    })
}

fn parse_param(entry: &str, index: usize, decl: &str) -> Result<PtxParam, PtxParseError> {
    let err = |reason: String| PtxParseError {
        entry: entry.to_owned(),
        reason: format!("parameter {index} (`{decl}`): {reason}"),
    };
    let mut tokens = decl.split_whitespace();
    if tokens.next() != Some(".param") {
        return Err(err("does not start with `.param`".to_owned()));
    }
    let mut align: Option<usize> = None;
    let mut size: Option<usize> = None;
    let mut name: Option<&str> = None;
    while let Some(tok) = tokens.next() {
        if size.is_none() {
            if tok == ".align" {
                let a = tokens
                    .next()
                    .and_then(|a| a.parse::<usize>().ok())
                    .ok_or_else(|| err("`.align` without a number".to_owned()))?;
                align = Some(a);
                continue;
            }
            size = Some(element_size(tok).ok_or_else(|| err(format!("unknown type `{tok}`")))?);
            continue;
        }
        if tok == ".align" {
            // Pointee alignment of a `.ptr` attribute: skip its number.
            let _ = tokens.next();
            continue;
        }
        if tok.starts_with('.') {
            continue; // `.ptr`, `.global`, `.const`, ...
        }
        name = Some(tok);
    }
    let elem = size.ok_or_else(|| err("no type".to_owned()))?;
    let name = name.ok_or_else(|| err("no name".to_owned()))?;
    let count = match (name.find('['), name.ends_with(']')) {
        (Some(open), true) => name[open + 1..name.len() - 1]
            .parse::<usize>()
            .map_err(|_| err(format!("bad array extent in `{name}`")))?,
        (None, false) => 1,
        _ => return Err(err(format!("bad name `{name}`"))),
    };
    let size = elem
        .checked_mul(count)
        .ok_or_else(|| err("size overflows".to_owned()))?;
    Ok(PtxParam {
        size,
        align: align.unwrap_or(elem),
    })
}

/// Every `.entry` of `ptx` with its parameter sizes, in the order they appear.
pub fn parse_entries(ptx: &str) -> Result<Vec<PtxEntry>, PtxParseError> {
    let mut out = Vec::new();
    let mut rest = ptx;
    while let Some(pos) = rest.find(".entry") {
        let before_ok = pos == 0 || rest[..pos].ends_with(char::is_whitespace);
        let after = &rest[pos + ".entry".len()..];
        if !before_ok || !after.starts_with(char::is_whitespace) {
            rest = after;
            continue;
        }
        let open = after.find('(').ok_or_else(|| PtxParseError {
            entry: String::new(),
            reason: "`.entry` without a parameter list".to_owned(),
        })?;
        let name = after[..open].trim().to_owned();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(PtxParseError {
                entry: name,
                reason: "bad entry name".to_owned(),
            });
        }
        let body = &after[open + 1..];
        let close = body.find(')').ok_or_else(|| PtxParseError {
            entry: name.clone(),
            reason: "unterminated parameter list".to_owned(),
        })?;
        let list = body[..close].trim();
        let params = if list.is_empty() {
            Vec::new()
        } else {
            list.split(',')
                .enumerate()
                .map(|(i, decl)| parse_param(&name, i, decl.trim()))
                .collect::<Result<Vec<_>, _>>()?
        };
        out.push(PtxEntry { name, params });
        rest = &body[close + 1..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_scalars_arrays_and_pointer_attributes() {
        let ptx = "\n.visible .entry k1(\n\t.param .u64 k1_param_0,\n\t.param .u32 k1_param_1,\n\
                   \t.param .align 8 .b8 k1_param_2[16],\n\t.param .u64 .ptr .global .align 4 k1_param_3,\n\
                   \t.param .f64 k1_param_4, .param .s16 k1_param_5\n)\n{\n ret;\n}\n\
                   .visible .entry k2()\n{\n}\n// not at a boundary: x.entry(\n";
        let e = parse_entries(ptx).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].name, "k1");
        let sizes: Vec<(usize, usize)> = e[0].params.iter().map(|p| (p.size, p.align)).collect();
        assert_eq!(sizes, vec![(8, 8), (4, 4), (16, 8), (8, 8), (8, 8), (2, 2)]);
        assert_eq!(e[1].name, "k2");
        assert!(e[1].params.is_empty());
    }

    #[test]
    fn rejects_unknown_types_and_unterminated_lists() {
        let e = parse_entries(".entry k(\n .param .v4 x\n)").unwrap_err();
        assert_eq!(e.entry, "k");
        assert!(e.reason.contains("unknown type `.v4`"), "{e}");
        let e = parse_entries(".entry k(\n .param .u32 x\n").unwrap_err();
        assert!(e.reason.contains("unterminated"), "{e}");
        let e = parse_entries(".entry k(.param .u32 x[3)").unwrap_err();
        assert!(e.reason.contains("bad name"), "{e}");
    }
}
