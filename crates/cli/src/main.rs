//! The `sparsebridge` command-line tool. One module per subcommand under `commands/`.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;

/// Exchange sparse arrays through the binsparse protocol.
#[derive(Debug, Parser)]
#[command(name = "sparsebridge", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate a binsparse descriptor and print its strict normalized form.
    Descriptor(commands::descriptor::Args),
    /// The main job: a random 1e6 x 1e6 matrix with 1e7 values handed across the protocol and
    /// converted between COO, CSR and CSC, timed against the memory-bandwidth floor.
    Demo(commands::demo::DemoArgs),
    /// Benchmark COOR/CSR/CSC conversions (int32 and int64 indices) against the memory floor,
    /// the protocol hand-off at several sizes, and the CUDA copies and conversions when a GPU
    /// is present; every result is verified. `--json` prints one JSON document.
    Bench(commands::bench::BenchArgs),
    /// Print the descriptor, format, shape, nnz, dtypes and array sizes of a file
    /// (.mtx, .bsp.h5 or a binsparse NPY directory).
    Info(sparsebridge_io::cli::InfoArgs),
    /// Run the full structural check of a file; the exit code tells the result
    /// (0 valid, 1 invalid, 2 unreadable).
    Validate(sparsebridge_io::cli::ValidateArgs),
    /// Convert between .mtx, .bsp.h5 and binsparse NPY directories, optionally to another
    /// format or index type; the output is written atomically.
    Convert(sparsebridge_io::cli::ConvertArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Ctrl-C (or SIGTERM/SIGHUP) ends the process without running destructors: remove this
    // process's uncommitted temporary outputs first, so an interrupted conversion leaves no
    // partial file behind (the target itself is only ever replaced by a complete rename).
    if let Err(e) = ctrlc::set_handler(|| {
        let removed = sparsebridge_io::remove_pending_temporaries();
        eprintln!("interrupted: removed {removed} unfinished output(s)");
        std::process::exit(130);
    }) {
        eprintln!("warning: cannot install the interrupt handler: {e}");
    }
    match cli.command {
        Command::Descriptor(args) => commands::descriptor::run(&args),
        Command::Demo(args) => report(commands::demo::run(&args)),
        Command::Bench(args) => report(commands::bench::run(&args)),
        Command::Info(args) => report(commands::files::info(&args)),
        Command::Validate(args) => commands::files::validate(&args),
        Command::Convert(args) => report(commands::files::convert(&args)),
    }
}

/// Exit 0 on success; otherwise print the error and its causes on one line (each once) and
/// exit 1.
fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", commands::one_line(&e));
            ExitCode::from(1)
        }
    }
}
