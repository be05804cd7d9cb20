//! A tiny front end to the `info`, `validate` and `convert` logic, for manual testing and the
//! interop tests (the real binary is `sparsebridge`, in crates/cli).
//!
//! ```text
//! cargo run -p sparsebridge-io --features hdf5 --example sbio -- convert in.mtx out.bsp.h5 --format CSR
//! ```

use clap::{Parser, Subcommand};
use sparsebridge_io::cli::{ConvertArgs, InfoArgs, ValidateArgs, convert, info, validate};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the descriptor, format, shape, nnz and arrays of a file.
    Info(InfoArgs),
    /// Run the full structural check; the exit code tells.
    Validate(ValidateArgs),
    /// Convert between .mtx, .bsp.h5 and binsparse NPY directories.
    Convert(ConvertArgs),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Info(a) => {
            let r = info(&a.file)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&r.to_json())?);
            } else {
                print!("{r}");
            }
        }
        Command::Validate(a) => {
            let r = validate(&a.file);
            if r.is_valid() {
                println!("{r}");
            } else {
                eprintln!("{r}");
            }
            std::process::exit(r.exit_code());
        }
        Command::Convert(a) => {
            let r = convert(&a.input, &a.output, &a.settings())?;
            eprintln!("{r}");
        }
    }
    Ok(())
}
