//! The logic of the `sparsebridge info`, `validate` and `convert` subcommands, as library
//! functions returning reports (printable with `Display`, or as JSON), plus their clap
//! argument structs. The binary only parses arguments, calls these and sets the exit code.
//!
//! | subcommand | function | exit code |
//! |---|---|---|
//! | `info FILE [--json]` | [`info`] → [`InfoReport`] | 0, or 1 with the error |
//! | `validate FILE` | [`validate`] → [`ValidateReport`] | [`ValidateReport::exit_code`]: 0 valid, 1 invalid, 2 unreadable |
//! | `convert IN OUT [--format F] [--index-type T] [--device D] [--expand] [--binsparse-version V]` | [`convert`] → [`ConvertReport`] | 0, or 1 with the error (no output file is left) |

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::{Value, json};
use sparsebridge::{ConvertOptions, Device, PredefinedFormat, ScalarType, SparseArray, Target};

use crate::error::{AtPath, IoError};
use crate::progress::Progress;
use crate::{FileFormat, ReadOptions, VersionSpelling, WriteOptions};

fn parse_format(s: &str) -> Result<PredefinedFormat, String> {
    s.trim()
        .to_ascii_uppercase()
        .parse::<PredefinedFormat>()
        .map_err(|e| e.to_string())
}

fn parse_index_type(s: &str) -> Result<ScalarType, String> {
    let t = s.trim().parse::<ScalarType>().map_err(|e| e.to_string())?;
    if t.is_integer() {
        Ok(t)
    } else {
        Err(format!(
            "{t} is not an integer type (int8..int64, uint8..uint64)"
        ))
    }
}

fn parse_device(s: &str) -> Result<Device, String> {
    let d = s.parse::<Device>().map_err(|e| e.to_string())?;
    match d {
        Device::Cpu | Device::Cuda(_) => Ok(d),
        other => Err(format!("{other}: expected cpu or cuda:N")),
    }
}

fn parse_version(s: &str) -> Result<VersionSpelling, String> {
    s.parse::<VersionSpelling>().map_err(|e| e.to_string())
}

/// Arguments of `sparsebridge info`.
#[derive(Debug, Clone, clap::Args)]
pub struct InfoArgs {
    /// The file (.mtx, .bsp.h5, or a binsparse NPY directory).
    pub file: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `sparsebridge validate`.
#[derive(Debug, Clone, clap::Args)]
pub struct ValidateArgs {
    /// The file (.mtx, .bsp.h5, or a binsparse NPY directory).
    pub file: PathBuf,
}

/// Arguments of `sparsebridge convert`.
#[derive(Debug, Clone, clap::Args)]
pub struct ConvertArgs {
    /// Input file (.mtx, .bsp.h5, or a binsparse NPY directory).
    pub input: PathBuf,
    /// Output file; the format follows the extension (.mtx, .h5/.hdf5, .bsp or a trailing / for
    /// an NPY directory).
    pub output: PathBuf,
    /// Target binsparse format (any predefined name of the input's rank); default: keep the input's.
    #[arg(long, value_parser = parse_format)]
    pub format: Option<PredefinedFormat>,
    /// Index dtype of the output (int32, int64, uint32, ...); default: keep the input's
    /// (int64 for Matrix Market).
    #[arg(long = "index-type", value_parser = parse_index_type)]
    pub index_type: Option<ScalarType>,
    /// Where the conversion runs: cpu or cuda:N.
    #[arg(long, default_value = "cpu", value_parser = parse_device)]
    pub device: Device,
    /// Matrix Market input: expand symmetric, skew-symmetric and Hermitian files to general
    /// matrices instead of declaring a binsparse `structure`.
    #[arg(long)]
    pub expand: bool,
    /// The `version` string written to binsparse files: 0.1 (the spec) or 0.1.0 (what PyPI
    /// binsparse 0.1.4 requires).
    #[arg(long = "binsparse-version", default_value = "0.1", value_parser = parse_version)]
    pub binsparse_version: VersionSpelling,
}

impl ConvertArgs {
    /// The settings these arguments ask for (progress bars on).
    pub fn settings(&self) -> ConvertSettings {
        ConvertSettings {
            format: self.format,
            index_type: self.index_type,
            device: self.device,
            expand: self.expand,
            version: self.binsparse_version,
            progress: true,
        }
    }
}

/// What [`convert`] does besides copying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvertSettings {
    /// Target format (`None`: keep the input's).
    pub format: Option<PredefinedFormat>,
    /// Target index dtype (`None`: keep the input's).
    pub index_type: Option<ScalarType>,
    /// Where the conversion runs.
    pub device: Device,
    /// Expand Matrix Market symmetric kinds.
    pub expand: bool,
    /// The `version` spelling of binsparse output.
    pub version: VersionSpelling,
    /// Progress bars on a terminal.
    pub progress: bool,
}

impl Default for ConvertSettings {
    fn default() -> Self {
        Self {
            format: None,
            index_type: None,
            device: Device::Cpu,
            expand: false,
            version: VersionSpelling::Spec,
            progress: false,
        }
    }
}

/// One constituent array, as `info` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrayInfo {
    /// The binsparse name (`pointers_to_1`, `indices_1`, `values`, ...).
    pub name: String,
    /// The binsparse type string (`int64`, `iso[bint8]`, `complex[float64]`, ...).
    pub data_type: String,
    /// The in-memory dtype.
    pub dtype: String,
    /// Number of elements.
    pub len: u64,
    /// Size in bytes.
    pub bytes: u64,
}

/// What `sparsebridge info` prints.
#[derive(Debug, Clone)]
pub struct InfoReport {
    /// The file.
    pub path: PathBuf,
    /// How it was read.
    pub file_format: FileFormat,
    /// The descriptor, in the strict form sparsebridge writes.
    pub descriptor: Value,
    /// The binsparse format name (or a level summary for custom formats).
    pub format: String,
    /// The logical shape.
    pub shape: Vec<u64>,
    /// `number_of_stored_values`.
    pub nnz: u64,
    /// The declared structure, if any.
    pub structure: Option<String>,
    /// The arrays.
    pub arrays: Vec<ArrayInfo>,
    /// What the lenient descriptor reader changed or ignored.
    pub warnings: Vec<String>,
}

impl InfoReport {
    /// The report as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "path": self.path.to_string_lossy(),
            "file_format": self.file_format.name(),
            "format": self.format,
            "shape": self.shape,
            "number_of_stored_values": self.nnz,
            "structure": self.structure,
            "arrays": self.arrays.iter().map(|a| json!({
                "name": a.name, "data_type": a.data_type, "dtype": a.dtype, "len": a.len, "bytes": a.bytes,
            })).collect::<Vec<_>>(),
            "descriptor": self.descriptor,
            "warnings": self.warnings,
        })
    }
}

impl fmt::Display for InfoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shape: Vec<String> = self.shape.iter().map(u64::to_string).collect();
        writeln!(
            f,
            "file:      {} ({})",
            self.path.display(),
            self.file_format
        )?;
        writeln!(f, "format:    {}", self.format)?;
        writeln!(f, "shape:     {}", shape.join(" x "))?;
        writeln!(f, "nnz:       {}", self.nnz)?;
        if let Some(s) = &self.structure {
            writeln!(f, "structure: {s}")?;
        }
        writeln!(f, "arrays:")?;
        writeln!(
            f,
            "  {:<15} {:<20} {:<11} {:>12} {:>14}",
            "name", "data_type", "dtype", "length", "bytes"
        )?;
        for a in &self.arrays {
            writeln!(
                f,
                "  {:<15} {:<20} {:<11} {:>12} {:>14}",
                a.name, a.data_type, a.dtype, a.len, a.bytes
            )?;
        }
        for w in &self.warnings {
            writeln!(f, "warning:   {w}")?;
        }
        writeln!(f, "descriptor:")?;
        let text = serde_json::to_string_pretty(&self.descriptor)
            .unwrap_or_else(|_| self.descriptor.to_string());
        for line in text.lines() {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}

fn describe(path: &Path, read: &crate::ReadResult) -> Result<InfoReport, IoError> {
    let a = &read.array;
    let d = a.descriptor();
    let arrays = a
        .arrays()
        .iter()
        .map(|(name, b)| ArrayInfo {
            name: name.clone(),
            data_type: d
                .data_type(name)
                .map_or_else(String::new, |t| t.to_string()),
            dtype: b.dtype().name().to_owned(),
            len: b.len() as u64,
            bytes: b.nbytes() as u64,
        })
        .collect();
    Ok(InfoReport {
        path: path.to_path_buf(),
        file_format: read.format,
        descriptor: d.to_value().at(path)?,
        format: d
            .alias()
            .map_or_else(|| d.format().summary(), |f| f.name().to_owned()),
        shape: d.shape().to_vec(),
        nnz: d.nnz(),
        structure: d.structure().map(|s| s.as_str().to_owned()),
        arrays,
        warnings: read.warnings.clone(),
    })
}

/// `sparsebridge info FILE`: the descriptor, format, shape, nnz, and each array's type and size.
pub fn info(path: &Path) -> Result<InfoReport, IoError> {
    let read = crate::read(path, &ReadOptions::default())?;
    describe(path, &read)
}

/// What `sparsebridge validate` found.
#[derive(Debug)]
pub struct ValidateReport {
    /// The file.
    pub path: PathBuf,
    /// The summary of a valid file, or why it is not.
    pub outcome: Result<InfoReport, IoError>,
}

impl ValidateReport {
    /// Whether the file is valid.
    pub fn is_valid(&self) -> bool {
        self.outcome.is_ok()
    }

    /// 0 valid; 1 invalid content (malformed file, bad descriptor, bad structure); 2 the file
    /// could not be opened or its format not recognised.
    pub fn exit_code(&self) -> i32 {
        match &self.outcome {
            Ok(_) => 0,
            Err(e)
                if e.is_os_error()
                    || matches!(
                        e,
                        IoError::UnknownFormat { .. } | IoError::Hdf5Disabled { .. }
                    ) =>
            {
                2
            }
            Err(_) => 1,
        }
    }
}

impl fmt::Display for ValidateReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Ok(r) => {
                let shape: Vec<String> = r.shape.iter().map(u64::to_string).collect();
                write!(
                    f,
                    "{}: valid {} {} with {} stored values",
                    self.path.display(),
                    r.format,
                    shape.join("x"),
                    r.nnz
                )
            }
            Err(e) => write!(f, "invalid: {e}"),
        }
    }
}

/// `sparsebridge validate FILE`: reads the file and runs the full O(nnz) structural check
/// (pointers, bounds, sorted and unique indices).
pub fn validate(path: &Path) -> ValidateReport {
    let outcome = (|| {
        let read = crate::read(path, &ReadOptions::default())?;
        read.array.validate_full().at(path)?;
        describe(path, &read)
    })();
    ValidateReport {
        path: path.to_path_buf(),
        outcome,
    }
}

/// What `sparsebridge convert` did.
#[derive(Debug, Clone)]
pub struct ConvertReport {
    /// Input file and how it was read.
    pub input: PathBuf,
    /// Input file format.
    pub input_format: FileFormat,
    /// Output file.
    pub output: PathBuf,
    /// Output file format.
    pub output_format: FileFormat,
    /// The input's binsparse format.
    pub from: String,
    /// The output's binsparse format.
    pub to: String,
    /// The shape.
    pub shape: Vec<u64>,
    /// Stored values.
    pub nnz: u64,
    /// Where the conversion ran.
    pub device: Device,
    /// Seconds spent reading, converting (with the structural check) and writing.
    pub seconds: [f64; 3],
}

impl fmt::Display for ConvertReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shape: Vec<String> = self.shape.iter().map(u64::to_string).collect();
        write!(
            f,
            "{} ({}, {}) -> {} ({}, {}): {} with {} stored values on {}; read {:.3} s, convert {:.3} s, write {:.3} s",
            self.input.display(),
            self.input_format,
            self.from,
            self.output.display(),
            self.output_format,
            self.to,
            shape.join("x"),
            self.nnz,
            self.device,
            self.seconds[0],
            self.seconds[1],
            self.seconds[2],
        )
    }
}

fn format_name(a: &SparseArray) -> String {
    let d = a.descriptor();
    d.alias()
        .map_or_else(|| d.format().summary(), |f| f.name().to_owned())
}

/// `sparsebridge convert IN OUT`: reads `input`, checks its structure, converts it (format,
/// index dtype) on `settings.device`, and writes `output` atomically (never a partial file).
pub fn convert(
    input: &Path,
    output: &Path,
    settings: &ConvertSettings,
) -> Result<ConvertReport, IoError> {
    let output_format = FileFormat::detect(output)?;
    let t0 = Instant::now();
    let read = crate::read(
        input,
        &ReadOptions {
            expand_symmetry: settings.expand,
            index_type: settings.index_type,
            progress: settings.progress,
        },
    )?;
    let t1 = Instant::now();
    let from = format_name(&read.array);
    if settings.expand
        && read.format != FileFormat::MatrixMarket
        && let Some(s) = read.array.descriptor().structure()
    {
        return Err(IoError::Unsupported {
            path: input.to_path_buf(),
            message: format!(
                "--expand of a binsparse file with structure {s} (it applies to Matrix Market input)"
            ),
        });
    }
    let checking = Progress::spinner(settings.progress, "checking the structure");
    read.array.validate_full().at(input)?;
    checking.finish();
    let needs_engine = settings.format.is_some()
        || (settings.index_type.is_some() && read.format != FileFormat::MatrixMarket)
        || settings.device != Device::Cpu;
    let array = if needs_engine {
        // A custom source keeps its own level format unless a predefined one is requested.
        let format = settings
            .format
            .map_or_else(|| read.array.descriptor().format().clone(), Into::into);
        let converting = Progress::spinner(
            settings.progress,
            format!(
                "converting {from} -> {} on {}",
                format.summary(),
                settings.device
            ),
        );
        let on_device = read.array.to_device(settings.device).at(input)?;
        let target = Target {
            format,
            index_type: settings.index_type,
            pointer_type: None,
        };
        let converted =
            sparsebridge::convert(&on_device, &target, &ConvertOptions::default()).at(input)?;
        let host = converted.array.to_device(Device::Cpu).at(input)?;
        converting.finish();
        host
    } else {
        read.array
    };
    let t2 = Instant::now();
    crate::write_as(
        &array,
        output,
        output_format,
        &WriteOptions {
            version: settings.version,
            progress: settings.progress,
        },
    )?;
    let t3 = Instant::now();
    Ok(ConvertReport {
        input: input.to_path_buf(),
        input_format: read.format,
        output: output.to_path_buf(),
        output_format,
        from,
        to: format_name(&array),
        shape: array.shape().to_vec(),
        nnz: array.nnz(),
        device: settings.device,
        seconds: [
            (t1 - t0).as_secs_f64(),
            (t2 - t1).as_secs_f64(),
            (t3 - t2).as_secs_f64(),
        ],
    })
}
