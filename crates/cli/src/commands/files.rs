//! `sparsebridge info | validate | convert`: file subcommands over `sparsebridge-io`.

use std::process::ExitCode;

use sparsebridge_io::cli::{ConvertArgs, InfoArgs, ValidateArgs};

/// `sparsebridge info FILE [--json]`.
pub fn info(args: &InfoArgs) -> anyhow::Result<()> {
    let report = sparsebridge_io::cli::info(&args.file)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        print!("{report}");
    }
    Ok(())
}

/// `sparsebridge validate FILE`: the exit code tells (0 valid, 1 invalid, 2 unreadable).
pub fn validate(args: &ValidateArgs) -> ExitCode {
    let report = sparsebridge_io::cli::validate(&args.file);
    if report.is_valid() {
        println!("{report}");
    } else {
        eprintln!("{report}");
    }
    ExitCode::from(u8::try_from(report.exit_code()).unwrap_or(2))
}

/// `sparsebridge convert IN OUT [--format F] [--index-type T] [--device D] [--expand]`.
pub fn convert(args: &ConvertArgs) -> anyhow::Result<()> {
    let report = sparsebridge_io::cli::convert(&args.input, &args.output, &args.settings())?;
    eprintln!("{report}");
    Ok(())
}
