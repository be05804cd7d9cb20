//! `sparsebridge descriptor [FILE|-]`: read a JSON descriptor, validate it, print the strict form.
//!
//! Exit status: 0 when valid (warnings, if any, go to stderr); 2 when the descriptor is invalid,
//! with one line on stderr naming the key and the problem; 1 when the input cannot be read.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use sparsebridge_descriptor::{DEFAULT_MAX_INPUT_BYTES, Descriptor, DescriptorError, ParseOptions};

/// Arguments of `sparsebridge descriptor`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The descriptor file; `-` or nothing reads stdin.
    #[arg(value_name = "FILE|-")]
    input: Option<PathBuf>,
    /// Also read legacy writers (no version or nnz, `tensor`/`level_kind` keys), with warnings.
    #[arg(long)]
    lenient: bool,
    /// Allow the float16/bfloat16 extension types.
    #[arg(long)]
    extension_types: bool,
    /// Print the normalized form on one line.
    #[arg(long)]
    compact: bool,
    /// Reject input longer than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_INPUT_BYTES)]
    max_bytes: usize,
}

/// Run the subcommand.
pub fn run(args: &Args) -> ExitCode {
    let text = match read_input(args) {
        Ok(t) => t,
        Err(Input::Invalid(e)) => return invalid(&e),
        Err(Input::Io(e)) => {
            eprintln!("error: {}", super::one_line(&e));
            return ExitCode::from(1);
        }
    };
    let options = ParseOptions::default()
        .with_lenient(args.lenient)
        .with_extension_types(args.extension_types)
        .with_max_input_bytes(args.max_bytes);
    let parsed = match Descriptor::parse(&text, &options) {
        Ok(p) => p,
        Err(e) => return invalid(&e),
    };
    let out = if args.compact {
        parsed.descriptor.to_json_string()
    } else {
        parsed.descriptor.to_json_string_pretty()
    };
    let out = match out {
        Ok(o) => o,
        Err(e) => return invalid(&e),
    };
    for w in &parsed.warnings {
        eprintln!("warning: {w}");
    }
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{out}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}

/// Report an invalid descriptor: one line on stderr, exit status 2.
fn invalid(e: &DescriptorError) -> ExitCode {
    // Messages are single-line by construction; flatten defensively all the same.
    let msg = e.to_string().replace(['\n', '\r'], " ");
    eprintln!("error: {msg}");
    ExitCode::from(2)
}

enum Input {
    Invalid(DescriptorError),
    Io(anyhow::Error),
}

/// Read the file or stdin, at most `max_bytes + 1` bytes, as UTF-8.
fn read_input(args: &Args) -> Result<String, Input> {
    let limit = u64::try_from(args.max_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut bytes = Vec::new();
    match args.input.as_deref() {
        None => std::io::stdin().lock().take(limit).read_to_end(&mut bytes),
        Some(p) if p.as_os_str() == "-" => {
            std::io::stdin().lock().take(limit).read_to_end(&mut bytes)
        }
        Some(p) => std::fs::File::open(p)
            .with_context(|| format!("cannot open {}", p.display()))
            .map_err(Input::Io)?
            .take(limit)
            .read_to_end(&mut bytes),
    }
    .context("cannot read the descriptor")
    .map_err(Input::Io)?;
    if bytes.len() > args.max_bytes {
        return Err(Input::Invalid(DescriptorError::InputTooLarge {
            size: bytes.len(),
            limit: args.max_bytes,
        }));
    }
    String::from_utf8(bytes).map_err(|e| {
        Input::Invalid(DescriptorError::MalformedJson {
            message: format!("input is not UTF-8 ({e})"),
        })
    })
}
