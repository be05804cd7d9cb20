//! `sparsebridge bench`: conversions between COOR, CSR and CSC (every ordered pair, int32 and
//! int64 indices) against the memory-bandwidth floor of the same run, the cost of the protocol
//! hand-off at several sizes, and on CUDA the host<->device copies (pageable and pinned) and the
//! on-device conversions against the device-to-device copy rate. Every conversion is verified
//! once, outside the timing; a wrong result fails the command.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};
use sparsebridge::buffer::cuda;
use sparsebridge::{
    Buffer, ConvertOptions, Device, PredefinedFormat as F, ScalarType, SparseArray, Target, convert,
};
use sparsebridge_io::progress::Progress;

use super::measure::{
    best_of, bytes_of, hand_off, memcpy_floor, random_coo, reused, traffic, zero_copy,
};

/// The JSON schema, shown by `sparsebridge bench --help` (docs/benchmarks.md has the same).
const SCHEMA: &str = "\
JSON output (--json): one document, schema \"sparsebridge-bench/1\":
  schema        \"sparsebridge-bench/1\"
  machine       {cpu, threads}
  matrix        {nrows, ncols, nnz_requested, nnz, value_dtype, seed}
  reps          best-of count
  memcpy_floor  {bytes, gbps_1_thread, gbps_2_threads, gbps}  (bytes copied per second)
  conversions   [{from, to, index_type, device, ms, bytes_moved, gbps, x_floor,
                  zero_copy, reused_arrays, verified}]
                from/to: COOR CSR CSC; index_type: int32 int64; bytes_moved: bytes read +
                bytes written (arrays shared with the source are neither); gbps =
                bytes_moved / time; x_floor = time / (bytes_moved / floor rate), 1.0 is the
                bandwidth bound; zero_copy: no new buffer was allocated; reused_arrays: output
                arrays that are the source's memory; verified: always true (a failed check
                is an error, exit 1)
  handoff       {runs, entries: [{nnz_requested, nnz, median_us, min_us, zero_copy}],
                 flat_ratio}  (descriptor JSON + DLPack export/import of each array;
                 flat_ratio = largest median / smallest median)
  cuda          {\"skipped\": reason}, or {device, name, bytes, copies: [{direction
                (h2d, d2h, d2d), memory (pageable, pinned, device), ms, gbps}], d2d_gbps,
                conversions: [as above, device \"cuda:N\", x_floor against d2d_gbps] or
                {\"skipped\": reason}}";

/// Arguments of `sparsebridge bench`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = SCHEMA)]
pub struct BenchArgs {
    /// Rows and columns of the square matrix.
    #[arg(long, default_value = "1000000", value_parser = parse_count)]
    pub n: u64,
    /// Stored values to generate (duplicates removed, so slightly fewer are stored); 1e7 style
    /// accepted.
    #[arg(long, default_value = "1e7", value_parser = parse_count)]
    pub nnz: u64,
    /// Timed repetitions per measurement (the best is reported).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    pub reps: u32,
    /// Sizes (stored values) of the protocol hand-off measurement, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1e3,1e5,1e7,5e7",
        value_parser = parse_count
    )]
    pub handoff_sizes: Vec<u64>,
    /// Hand-offs timed per size (the median is reported).
    #[arg(long, default_value_t = 1001, value_parser = clap::value_parser!(u32).range(1..))]
    pub handoff_runs: u32,
    /// Also measure on this CUDA device (cuda:N); `cpu` skips the CUDA section. Default: cuda:0
    /// when the runtime probe finds a device, otherwise the CUDA section is skipped.
    #[arg(long, value_parser = parse_device)]
    pub device: Option<Device>,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Print one JSON document instead of the table (schema below).
    #[arg(long)]
    pub json: bool,
}

/// A count: an integer, or `1e7`-style notation for an exact integer.
fn parse_count(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if let Ok(v) = t.parse::<u64>() {
        return Ok(v);
    }
    let (m, e) = t
        .split_once(['e', 'E'])
        .ok_or_else(|| format!("{t:?} is not a count (e.g. 10000000 or 1e7)"))?;
    let m: u64 = m
        .parse()
        .map_err(|_| format!("{t:?}: the mantissa must be an integer"))?;
    let e: u32 = e
        .parse()
        .map_err(|_| format!("{t:?}: the exponent must be a small integer"))?;
    10u64
        .checked_pow(e)
        .and_then(|p| p.checked_mul(m))
        .ok_or_else(|| format!("{t:?} is too large"))
}

fn parse_device(s: &str) -> Result<Device, String> {
    match s.parse::<Device>().map_err(|e| e.to_string())? {
        d @ (Device::Cpu | Device::Cuda(_)) => Ok(d),
        other => Err(format!("{other}: expected cpu or cuda:N")),
    }
}

/// The formats benchmarked, and the index types.
const FORMATS: [F; 3] = [F::Coor, F::Csr, F::Csc];
const INDEX_TYPES: [ScalarType; 2] = [ScalarType::Int32, ScalarType::Int64];

/// One measured conversion.
struct Row {
    from: F,
    to: F,
    index: ScalarType,
    device: Device,
    time: Duration,
    bytes: u64,
    floor: f64,
    zero_copy: bool,
    reused: Vec<String>,
}

impl Row {
    fn gbps(&self) -> f64 {
        self.bytes as f64 / self.time.as_secs_f64().max(1e-12) / 1e9
    }

    fn x_floor(&self) -> f64 {
        self.time.as_secs_f64() / (self.bytes as f64 / self.floor).max(1e-12)
    }

    fn to_json(&self) -> Value {
        json!({
            "from": self.from.name(),
            "to": self.to.name(),
            "index_type": self.index.to_string(),
            "device": self.device.to_string(),
            "ms": self.time.as_secs_f64() * 1e3,
            "bytes_moved": self.bytes,
            "gbps": self.gbps(),
            "x_floor": self.x_floor(),
            "zero_copy": self.zero_copy,
            "reused_arrays": self.reused,
            "verified": true,
        })
    }
}

/// One measured copy.
struct Copy {
    direction: &'static str,
    memory: &'static str,
    time: Duration,
    bytes: u64,
}

impl Copy {
    fn gbps(&self) -> f64 {
        self.bytes as f64 / self.time.as_secs_f64().max(1e-12) / 1e9
    }
}

struct Handoff {
    requested: u64,
    nnz: u64,
    median: Duration,
    min: Duration,
    zero_copy: bool,
}

enum CudaConversions {
    Ran(Vec<Row>),
    Skipped(String),
}

struct CudaReport {
    device: Device,
    name: String,
    copies: Vec<Copy>,
    d2d: f64,
    conversions: CudaConversions,
}

/// The sources of one index type: COOR, CSR and CSC of the same matrix.
struct Sources {
    index: ScalarType,
    arrays: Vec<(F, SparseArray)>,
}

impl Sources {
    fn get(&self, f: F) -> Result<&SparseArray> {
        self.arrays
            .iter()
            .find(|(g, _)| *g == f)
            .map(|(_, a)| a)
            .with_context(|| format!("no {f} source"))
    }
}

fn target(format: F, index: Option<ScalarType>) -> Target {
    Target {
        format: format.into(),
        index_type: index,
        pointer_type: None,
    }
}

/// Builds the COOR, CSR and CSC sources of `coo` (int32) with `index` indices and pointers.
fn sources(coo: &SparseArray, index: ScalarType) -> Result<Sources> {
    let opts = ConvertOptions::default();
    let coo = convert(coo, &target(F::Coor, Some(index)), &opts)?.array;
    let csr = convert(&coo, &target(F::Csr, None), &opts)?.array;
    let csc = convert(&coo, &target(F::Csc, None), &opts)?.array;
    Ok(Sources {
        index,
        arrays: vec![(F::Coor, coo), (F::Csr, csr), (F::Csc, csc)],
    })
}

/// The bytes of every array of `a` (copied to the host when it lives on a device).
fn host_bytes(b: &Buffer) -> Result<Vec<u8>> {
    let host = b.to_device(Device::Cpu)?;
    Ok(host.as_bytes()?.to_vec())
}

/// Whether `a` and `b` hold the same named arrays with the same dtypes and bytes.
fn same_arrays(a: &SparseArray, b: &SparseArray) -> Result<Option<String>> {
    if a.arrays().len() != b.arrays().len() {
        return Ok(Some(format!(
            "{} arrays instead of {}",
            b.arrays().len(),
            a.arrays().len()
        )));
    }
    for (name, x) in a.arrays() {
        let Some(y) = b.array(name) else {
            return Ok(Some(format!("array {name} is missing")));
        };
        if x.dtype() != y.dtype() {
            return Ok(Some(format!(
                "array {name} has dtype {} instead of {}",
                y.dtype(),
                x.dtype()
            )));
        }
        if host_bytes(x)? != host_bytes(y)? {
            return Ok(Some(format!("array {name} differs")));
        }
    }
    Ok(None)
}

/// The independent check of one conversion `src` -> `out`: the output passes the full
/// structural check (on a fresh, unvalidated host copy of its parts: conversion outputs are
/// marked canonical by construction), has the requested format, shape, nnz and index dtype, converting
/// it back to the source format reproduces the source's arrays, and it equals `oracle` (the CPU
/// result, for device runs).
fn verify(
    src: &SparseArray,
    from: F,
    out: &SparseArray,
    to: F,
    index: ScalarType,
    oracle: Option<&SparseArray>,
) -> Result<()> {
    let what = format!("{from} -> {to} ({index}) on {}", out.device());
    let fail = |why: String| anyhow::anyhow!("verification failed for {what}: {why}");
    // The full check runs on the host (arrays on a CUDA device are copied back first).
    let parts = out
        .arrays()
        .iter()
        .map(|(name, b)| Ok((name.clone(), b.to_device(Device::Cpu)?)))
        .collect::<Result<Vec<_>>>()?;
    let fresh = SparseArray::try_new(out.descriptor().clone(), parts)
        .map_err(|e| fail(format!("the output does not match its descriptor: {e}")))?;
    fresh
        .validate_full()
        .map_err(|e| fail(format!("the output fails the structural check: {e}")))?;
    if out.descriptor().alias() != Some(to) {
        return Err(fail(format!(
            "the output's format is {}",
            out.descriptor().format().summary()
        )));
    }
    if out.shape() != src.shape() || out.nnz() != src.nnz() {
        return Err(fail(format!(
            "shape {:?} nnz {} instead of {:?} nnz {}",
            out.shape(),
            out.nnz(),
            src.shape(),
            src.nnz()
        )));
    }
    let index_dtype = sparsebridge::array::dtype_of(index).context("index dtype")?;
    for (name, b) in out.arrays() {
        if name != "values" && b.dtype() != index_dtype {
            return Err(fail(format!("array {name} has dtype {}", b.dtype())));
        }
    }
    let back = convert(out, &target(from, None), &ConvertOptions::default())
        .map_err(|e| fail(format!("converting back to {from}: {e}")))?;
    if let Some(why) = same_arrays(src, &back.array)? {
        return Err(fail(format!("converting back to {from}: {why}")));
    }
    if let Some(oracle) = oracle
        && let Some(why) = same_arrays(oracle, out)?
    {
        return Err(fail(format!("differs from the CPU result: {why}")));
    }
    Ok(())
}

/// A conversion's output, kept as the oracle of the device runs.
type Output = (F, F, ScalarType, SparseArray);

/// Times and verifies the 6 conversions of `srcs` on their device; `sync` waits for the device.
/// Each output is compared with its match in `oracle` when given, and kept in `keep` when given.
fn conversions(
    srcs: &Sources,
    reps: u32,
    floor: f64,
    sync: &dyn Fn() -> Result<()>,
    oracle: Option<&[Output]>,
    mut keep: Option<&mut Vec<Output>>,
    bar: &Progress,
) -> Result<Vec<Row>> {
    let opts = ConvertOptions::default();
    let mut rows = Vec::new();
    for from in FORMATS {
        for to in FORMATS {
            if from == to {
                continue;
            }
            let src = srcs.get(from)?;
            let device = src.device();
            bar.set_message(format!("{from}->{to} {} {device}", srcs.index));
            let (time, out) = best_of(reps as usize, || {
                let c = convert(src, &target(to, None), &opts)?;
                sync()?;
                Ok(c)
            })?;
            let expected = match oracle {
                Some(o) => Some(
                    o.iter()
                        .find(|(f, t, i, _)| *f == from && *t == to && *i == srcs.index)
                        .map(|(.., a)| a)
                        .with_context(|| format!("no cpu result for {from} -> {to}"))?,
                ),
                None => None,
            };
            verify(src, from, &out.array, to, srcs.index, expected)?;
            rows.push(Row {
                from,
                to,
                index: srcs.index,
                device,
                time,
                bytes: traffic(src, &out.array),
                floor,
                zero_copy: !out.copied,
                reused: reused(src, &out.array),
            });
            if let Some(keep) = keep.as_deref_mut() {
                keep.push((from, to, srcs.index, out.array));
            }
            bar.inc(1);
        }
    }
    Ok(rows)
}

/// Median and minimum of `runs` hand-offs of `a`; checks that each one is zero-copy.
fn handoff(a: &SparseArray, requested: u64, runs: u32) -> Result<Handoff> {
    let mut times = Vec::with_capacity(runs as usize);
    let mut all_zero_copy = true;
    for _ in 0..runs {
        let t = Instant::now();
        let received = hand_off(a)?;
        times.push(t.elapsed());
        all_zero_copy &= zero_copy(a, &received);
    }
    times.sort_unstable();
    Ok(Handoff {
        requested,
        nnz: a.nnz(),
        median: times[times.len() / 2],
        min: times[0],
        zero_copy: all_zero_copy,
    })
}

/// Which CUDA device to measure, or why not.
fn cuda_plan(requested: Option<Device>) -> Result<std::result::Result<u16, String>> {
    match requested {
        Some(Device::Cuda(n)) => {
            // Asked for explicitly: unavailability is an error, not a skip.
            cuda::device(n).with_context(|| format!("--device cuda:{n}"))?;
            Ok(Ok(n))
        }
        Some(_) => Ok(Err("--device cpu".to_owned())),
        None => Ok(match cuda::probe() {
            Err(why) => Err(format!("no CUDA device: {why}")),
            Ok(_) => match cuda::device(0) {
                Ok(_) => Ok(0),
                Err(e) => Err(format!("no usable CUDA device: {e}")),
            },
        }),
    }
}

fn on_device(a: &SparseArray, device: Device) -> Result<SparseArray> {
    let mut arrays = Vec::with_capacity(a.arrays().len());
    for (name, b) in a.arrays() {
        arrays.push((name.clone(), b.to_device(device)?));
    }
    Ok(SparseArray::try_new(a.descriptor().clone(), arrays)?)
}

/// Times one copy (best of `reps`) and checks its bytes against `expected`.
fn copy(
    direction: &'static str,
    memory: &'static str,
    reps: u32,
    expected: &[u8],
    mut f: impl FnMut() -> Result<Buffer>,
) -> Result<(Copy, Buffer)> {
    let (time, out) = best_of(reps as usize, &mut f)?;
    ensure!(
        host_bytes(&out)? == expected,
        "verification failed: the {direction} copy ({memory}) changed the bytes"
    );
    let bytes = expected.len() as u64;
    Ok((
        Copy {
            direction,
            memory,
            time,
            bytes,
        },
        out,
    ))
}

fn cuda_section(
    ordinal: u16,
    all: &[Sources],
    cpu_outputs: &[Output],
    reps: u32,
    progress: bool,
) -> Result<CudaReport> {
    let dev = cuda::device(ordinal)?;
    let device = Device::Cuda(ordinal);
    let sync = || -> Result<()> { Ok(dev.synchronize()?) };
    let bar = Progress::count(progress, 5 + 12, "cuda");
    // The copies move the values of the int64 COOR matrix (nnz x 8 bytes).
    let host = all
        .last()
        .context("no sources")?
        .get(F::Coor)?
        .array("values")
        .context("no values")?
        .clone();
    let expected = host.as_bytes()?.to_vec();
    let pinned = host.copy_to(Device::CudaHost)?;
    let mut copies = Vec::new();
    let (c, on_dev) = copy("h2d", "pageable", reps, &expected, || {
        Ok(host.copy_to(device)?)
    })?;
    copies.push(c);
    bar.inc(1);
    let (c, _) = copy("h2d", "pinned", reps, &expected, || {
        Ok(pinned.copy_to(device)?)
    })?;
    copies.push(c);
    bar.inc(1);
    let (c, _) = copy("d2h", "pageable", reps, &expected, || {
        Ok(on_dev.copy_to(Device::Cpu)?)
    })?;
    copies.push(c);
    bar.inc(1);
    let (c, _) = copy("d2h", "pinned", reps, &expected, || {
        Ok(on_dev.copy_to(Device::CudaHost)?)
    })?;
    copies.push(c);
    bar.inc(1);
    let (c, _) = copy("d2d", "device", reps, &expected, || {
        let b = on_dev.copy_to(device)?;
        sync()?;
        Ok(b)
    })?;
    let d2d = c.bytes as f64 / c.time.as_secs_f64().max(1e-12);
    copies.push(c);
    bar.inc(1);
    let conversions = match cuda::kernel_compiler() {
        Err(why) => CudaConversions::Skipped(format!("no CUDA kernel compiler: {why}")),
        Ok(()) => {
            let mut rows = Vec::new();
            for s in all {
                let srcs = Sources {
                    index: s.index,
                    arrays: s
                        .arrays
                        .iter()
                        .map(|(f, a)| Ok((*f, on_device(a, device)?)))
                        .collect::<Result<_>>()?,
                };
                rows.extend(conversions(
                    &srcs,
                    reps,
                    d2d,
                    &sync,
                    Some(cpu_outputs),
                    None,
                    &bar,
                )?);
            }
            CudaConversions::Ran(rows)
        }
    };
    bar.finish();
    Ok(CudaReport {
        device,
        name: dev.name()?,
        copies,
        d2d,
        conversions,
    })
}

/// Everything one run measured.
struct Report {
    cpu: String,
    threads: usize,
    n: u64,
    nnz_requested: u64,
    nnz: u64,
    seed: u64,
    reps: u32,
    floor_bytes: usize,
    floor: (f64, f64),
    rows: Vec<Row>,
    handoff_runs: u32,
    handoffs: Vec<Handoff>,
    cuda: std::result::Result<CudaReport, String>,
}

impl Report {
    fn flat_ratio(&self) -> f64 {
        let us = |h: &Handoff| h.median.as_secs_f64();
        let max = self.handoffs.iter().map(us).fold(0.0, f64::max);
        let min = self.handoffs.iter().map(us).fold(f64::MAX, f64::min);
        if self.handoffs.is_empty() {
            1.0
        } else {
            max / min.max(1e-12)
        }
    }

    fn to_json(&self) -> Value {
        let cuda = match &self.cuda {
            Err(why) => json!({ "skipped": why }),
            Ok(c) => json!({
                "device": c.device.to_string(),
                "name": c.name,
                "bytes": c.copies.first().map_or(0, |x| x.bytes),
                "copies": c.copies.iter().map(|x| json!({
                    "direction": x.direction,
                    "memory": x.memory,
                    "ms": x.time.as_secs_f64() * 1e3,
                    "gbps": x.gbps(),
                })).collect::<Vec<_>>(),
                "d2d_gbps": c.d2d / 1e9,
                "conversions": match &c.conversions {
                    CudaConversions::Ran(rows) => Value::from(rows.iter().map(Row::to_json).collect::<Vec<_>>()),
                    CudaConversions::Skipped(why) => json!({ "skipped": why }),
                },
            }),
        };
        json!({
            "schema": "sparsebridge-bench/1",
            "machine": { "cpu": self.cpu, "threads": self.threads },
            "matrix": {
                "nrows": self.n,
                "ncols": self.n,
                "nnz_requested": self.nnz_requested,
                "nnz": self.nnz,
                "value_dtype": "float64",
                "seed": self.seed,
            },
            "reps": self.reps,
            "memcpy_floor": {
                "bytes": self.floor_bytes,
                "gbps_1_thread": self.floor.0 / 1e9,
                "gbps_2_threads": self.floor.1 / 1e9,
                "gbps": self.floor.0.max(self.floor.1) / 1e9,
            },
            "conversions": self.rows.iter().map(Row::to_json).collect::<Vec<_>>(),
            "handoff": {
                "runs": self.handoff_runs,
                "entries": self.handoffs.iter().map(|h| json!({
                    "nnz_requested": h.requested,
                    "nnz": h.nnz,
                    "median_us": h.median.as_secs_f64() * 1e6,
                    "min_us": h.min.as_secs_f64() * 1e6,
                    "zero_copy": h.zero_copy,
                })).collect::<Vec<_>>(),
                "flat_ratio": self.flat_ratio(),
            },
            "cuda": cuda,
        })
    }

    fn table(&self) -> String {
        let mut s = String::new();
        // Writing to a String cannot fail.
        let _ = self.write_table(&mut s);
        s
    }

    fn write_table(&self, s: &mut String) -> std::fmt::Result {
        writeln!(
            s,
            "sparsebridge bench: {0}x{0} random float64 matrix, {1} generated values ({2} stored), best of {3}",
            self.n, self.nnz_requested, self.nnz, self.reps
        )?;
        writeln!(s, "cpu: {}; threads: {}", self.cpu, self.threads)?;
        writeln!(
            s,
            "memory-bandwidth floor (memcpy of {} MB): 1 thread {:.1} GB/s, 2 threads {:.1} GB/s",
            self.floor_bytes >> 20,
            self.floor.0 / 1e9,
            self.floor.1 / 1e9
        )?;
        writeln!(s)?;
        write_rows(s, &self.rows)?;
        writeln!(s)?;
        writeln!(
            s,
            "protocol hand-off (descriptor JSON + DLPack export/import of each array), median of {} runs",
            self.handoff_runs
        )?;
        writeln!(
            s,
            "{:>14} {:>12} {:>12} {:>10}",
            "stored values", "median us", "min us", "zero-copy"
        )?;
        for h in &self.handoffs {
            writeln!(
                s,
                "{:>14} {:>12.2} {:>12.2} {:>10}",
                h.nnz,
                h.median.as_secs_f64() * 1e6,
                h.min.as_secs_f64() * 1e6,
                yes(h.zero_copy)
            )?;
        }
        writeln!(
            s,
            "flat: largest / smallest median = {:.2}",
            self.flat_ratio()
        )?;
        writeln!(s)?;
        match &self.cuda {
            Err(why) => writeln!(s, "cuda: skipped ({why})")?,
            Ok(c) => {
                writeln!(
                    s,
                    "cuda: {} ({}); copies of {:.1} MB, best of {}, destination allocation included",
                    c.device,
                    c.name,
                    c.copies.first().map_or(0, |x| x.bytes) as f64 / 1e6,
                    self.reps
                )?;
                writeln!(
                    s,
                    "{:<6} {:<10} {:>10} {:>10}",
                    "copy", "memory", "ms", "GB/s"
                )?;
                for x in &c.copies {
                    writeln!(
                        s,
                        "{:<6} {:<10} {:>10.3} {:>10.2}",
                        x.direction,
                        x.memory,
                        x.time.as_secs_f64() * 1e3,
                        x.gbps()
                    )?;
                }
                writeln!(s)?;
                match &c.conversions {
                    CudaConversions::Ran(rows) => write_rows(s, rows)?,
                    CudaConversions::Skipped(why) => {
                        writeln!(s, "conversions on {}: skipped ({why})", c.device)?;
                    }
                }
            }
        }
        writeln!(s)?;
        writeln!(
            s,
            "'x floor' = time / ((bytes read + written) / floor rate), where the floor rate is the\n\
             best memcpy (cpu) or device-to-device copy (cuda) of this run; 1.0 is the bandwidth\n\
             bound. Every conversion was verified outside the timing: full structural check and\n\
             round trip to the source format{}.",
            if self.cuda.is_ok() {
                ", and on the device equality with the cpu result"
            } else {
                ""
            }
        )
    }
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn write_rows(s: &mut String, rows: &[Row]) -> std::fmt::Result {
    writeln!(
        s,
        "{:<14} {:<6} {:<8} {:>10} {:>10} {:>8} {:>8} {:<17} verified",
        "conversion", "index", "device", "ms", "MB moved", "GB/s", "x floor", "reused"
    )?;
    for r in rows {
        let reused = if r.reused.is_empty() {
            "-".to_owned()
        } else {
            r.reused.join(",")
        };
        writeln!(
            s,
            "{:<14} {:<6} {:<8} {:>10.2} {:>10.1} {:>8.2} {:>8.2} {:<17} yes",
            format!("{} -> {}", r.from, r.to),
            r.index.to_string(),
            r.device.to_string(),
            r.time.as_secs_f64() * 1e3,
            r.bytes as f64 / 1e6,
            r.gbps(),
            r.x_floor(),
            reused,
        )?;
    }
    Ok(())
}

/// The CPU model name (Linux), or the architecture.
fn cpu_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned())
}

/// Runs the benchmark and prints the table (or the JSON document).
pub fn run(args: &BenchArgs) -> Result<()> {
    // Decide the CUDA plan first: an explicit --device cuda:N that cannot run fails early.
    let plan = cuda_plan(args.device)?;
    let progress = true;

    let gen_bar = Progress::spinner(
        progress,
        format!("generating a {0}x{0} matrix, {1} values", args.n, args.nnz),
    );
    let coo32 = random_coo(args.n, args.nnz, args.seed)?;
    gen_bar.set_message("building the COOR, CSR and CSC sources");
    let all = INDEX_TYPES
        .iter()
        .map(|&t| sources(&coo32, t))
        .collect::<Result<Vec<_>>>()?;
    gen_bar.set_message("measuring the memcpy floor");
    let largest = all
        .iter()
        .flat_map(|s| s.arrays.iter().map(|(_, a)| bytes_of(a)))
        .max()
        .unwrap_or(0);
    let floor_bytes = usize::try_from(largest)?.clamp(64 << 20, 1 << 30);
    let floor = memcpy_floor(floor_bytes);
    let floor_rate = floor.0.max(floor.1);
    ensure!(floor_rate > 0.0, "the memcpy floor could not be measured");
    gen_bar.finish();

    let bar = Progress::count(progress, (all.len() * 6) as u64, "cpu");
    let mut rows = Vec::new();
    // The CPU outputs are kept only as the oracle of a CUDA run.
    let mut cpu_outputs = plan.is_ok().then(Vec::new);
    let no_sync = || Ok(());
    for s in &all {
        rows.extend(conversions(
            s,
            args.reps,
            floor_rate,
            &no_sync,
            None,
            cpu_outputs.as_mut(),
            &bar,
        )?);
    }
    bar.finish();

    let bar = Progress::count(progress, args.handoff_sizes.len() as u64, "hand-off");
    let mut handoffs = Vec::new();
    for &size in &args.handoff_sizes {
        bar.set_message(format!("hand-off {size}"));
        let a = if size == args.nnz {
            coo32.clone()
        } else {
            random_coo(args.n, size, args.seed ^ size)?
        };
        let h = handoff(&a, size, args.handoff_runs)?;
        if !h.zero_copy {
            bail!(
                "verification failed: the hand-off of {} values copied an array",
                h.nnz
            );
        }
        handoffs.push(h);
        bar.inc(1);
    }
    bar.finish();

    let cuda = match plan {
        Err(why) => Err(why),
        Ok(ordinal) => Ok(cuda_section(
            ordinal,
            &all,
            cpu_outputs.as_deref().unwrap_or_default(),
            args.reps,
            progress,
        )?),
    };

    let report = Report {
        cpu: cpu_name(),
        threads: rayon::current_num_threads(),
        n: args.n,
        nnz_requested: args.nnz,
        nnz: coo32.nnz(),
        seed: args.seed,
        reps: args.reps,
        floor_bytes,
        floor,
        rows,
        handoff_runs: args.handoff_runs,
        handoffs,
        cuda,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report.to_json())?);
    } else {
        print!("{}", report.table());
    }
    Ok(())
}
