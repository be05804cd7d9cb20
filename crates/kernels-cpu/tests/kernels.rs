//! Every kernel family under the CPU shim, at several grid and block shapes (partial blocks,
//! multi-block and multi-level scans, sizes that are not multiples of the block size), against simple
//! serial references written here, independently of the kernels.
//!
//! The `dev_*` helpers replay the multi-kernel sequences of kernels/README.md, as the Rust CUDA path
//! launches them.

use std::collections::BTreeMap;

use sparsebridge_kernels_cpu::{Arg, LaunchError, kernel_names, launch, param_sizes};

const NONE: u64 = u64::MAX;
const TILE_ITEMS: u64 = 4;

/// Launches a kernel whose pointer arguments all come from live Vecs sized for the kernel's accesses.
fn run(name: &str, grid: u32, block: u32, args: &[Arg]) {
    // SAFETY: every caller below passes pointers into Vecs that are alive for the call and sized for
    // the accesses kernels/README.md documents for `name` with these arguments.
    unsafe { launch(name, grid, block, 0, args) }.unwrap_or_else(|e| panic!("{e}"));
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

/// An index dtype: kernel suffix, size in bytes, signedness.
#[derive(Clone, Copy, Debug)]
struct Ty {
    sfx: &'static str,
    size: usize,
    signed: bool,
}
const INDEX_TYPES: [Ty; 8] = [
    Ty {
        sfx: "i8",
        size: 1,
        signed: true,
    },
    Ty {
        sfx: "i16",
        size: 2,
        signed: true,
    },
    Ty {
        sfx: "i32",
        size: 4,
        signed: true,
    },
    Ty {
        sfx: "i64",
        size: 8,
        signed: true,
    },
    Ty {
        sfx: "u8",
        size: 1,
        signed: false,
    },
    Ty {
        sfx: "u16",
        size: 2,
        signed: false,
    },
    Ty {
        sfx: "u32",
        size: 4,
        signed: false,
    },
    Ty {
        sfx: "u64",
        size: 8,
        signed: false,
    },
];
impl Ty {
    fn min(self) -> i128 {
        if self.signed {
            -(1i128 << (self.size * 8 - 1))
        } else {
            0
        }
    }
    fn max(self) -> i128 {
        if self.signed {
            (1i128 << (self.size * 8 - 1)) - 1
        } else {
            (1i128 << (self.size * 8)) - 1
        }
    }
    fn encode(self, vals: &[i128]) -> Vec<u8> {
        vals.iter()
            .flat_map(|v| v.to_le_bytes()[..self.size].to_vec())
            .collect()
    }
    fn decode(self, bytes: &[u8]) -> Vec<i128> {
        bytes
            .chunks(self.size)
            .map(|c| {
                let mut b = [0u8; 16];
                b[..self.size].copy_from_slice(c);
                let neg = self.signed && c[self.size - 1] & 0x80 != 0;
                if neg {
                    b[self.size..].fill(0xFF);
                }
                i128::from_le_bytes(b)
            })
            .collect()
    }
}

fn ceil_div(a: u64, b: u64) -> u64 {
    a.div_ceil(b)
}

fn ref_exclusive(v: &[u64]) -> Vec<u64> {
    let mut s = 0u64;
    v.iter()
        .map(|x| {
            let o = s;
            s += x;
            o
        })
        .collect()
}

/// Device sequence: exclusive scan (multi-level: tiles, scan of tile sums, add). `short` plants bug
/// (c) by launching the first level one block short.
fn dev_scan(input: &[u64], block: u32, short: bool) -> Vec<u64> {
    let mut data = input.to_vec();
    dev_scan_in_place(&mut data, block, short);
    data
}

fn dev_scan_in_place(data: &mut [u64], block: u32, short: bool) {
    let n = data.len() as u64;
    if n == 0 {
        return;
    }
    let tile = u64::from(block) * TILE_ITEMS;
    let g = ceil_div(n, tile);
    if g == 1 {
        let p = Arg::slice_mut(data);
        run(
            "scan_tiles_u64",
            1,
            block,
            &[p, p, Arg::null(), Arg::U64(n)],
        );
        return;
    }
    let mut sums = vec![0u64; g as usize];
    let p = Arg::slice_mut(data);
    let grid = if short { g - 1 } else { g };
    run(
        "scan_tiles_u64",
        grid as u32,
        block,
        &[p, p, Arg::slice_mut(&mut sums), Arg::U64(n)],
    );
    dev_scan_in_place(&mut sums, block, false);
    run(
        "scan_add_u64",
        3,
        block,
        &[
            Arg::slice_mut(data),
            Arg::slice(&sums),
            Arg::U64(n),
            Arg::U64(tile),
        ],
    );
}

#[test]
fn scan_matches_reference_across_shapes() {
    let mut rng = Rng(1);
    for &block in &[32u32, 64, 256, 1024] {
        for &n in &[1u64, 2, 127, 128, 129, 1000, 4096, 4097, 20_000] {
            if block == 1024 && n > 5000 {
                continue;
            }
            let input: Vec<u64> = (0..n).map(|_| rng.below(1 << 20)).collect();
            assert_eq!(
                dev_scan(&input, block, false),
                ref_exclusive(&input),
                "n={n} block={block}"
            );
        }
    }
}

#[test]
fn planted_grid_one_block_short_is_caught() {
    let input = vec![1u64; 1000];
    let out = dev_scan(&input, 64, true);
    assert_ne!(
        out,
        ref_exclusive(&input),
        "planted bug (c): a grid one block short must give a wrong result"
    );
}

#[test]
fn scan_add_to_narrows_with_overflow_position() {
    for ty in INDEX_TYPES {
        let n = 500u64;
        let tile = 64u64;
        // Values climb past the type maximum (64-bit: past i64::MAX, never past u64::MAX).
        let step = if ty.size == 8 {
            1u64 << 55
        } else {
            (ty.max() / 300) as u64
        };
        let local: Vec<u64> = (0..n).map(|i| (i % tile) * step).collect();
        let offsets: Vec<u64> = (0..ceil_div(n, tile)).map(|t| t * tile * step).collect();
        let mut out = vec![0u8; n as usize * ty.size];
        let mut bad = NONE;
        let name = format!("scan_add_to_{}", ty.sfx);
        let args = [
            Arg::slice(&local),
            Arg::slice(&offsets),
            Arg::slice_mut(&mut out),
            Arg::U64(n),
            Arg::U64(tile),
            Arg::Ptr((&raw mut bad).cast()),
        ];
        run(&name, 4, 64, &args);
        let full: Vec<i128> = (0..n)
            .map(|i| i128::from(local[i as usize] + offsets[(i / tile) as usize]))
            .collect();
        let expect_bad = full
            .iter()
            .position(|&v| v > ty.max())
            .map_or(NONE, |p| p as u64);
        assert_eq!(bad, expect_bad, "{name}");
        let got = ty.decode(&out);
        for (i, (&g, &f)) in got.iter().zip(&full).enumerate() {
            assert_eq!(g, if f > ty.max() { 0 } else { f }, "{name} at {i}");
        }
    }
}

fn random_sorted_rows(rng: &mut Rng, nnz: usize, nrows: u64) -> Vec<i128> {
    let mut rows: Vec<i128> = (0..nnz).map(|_| i128::from(rng.below(nrows))).collect();
    rows.sort_unstable();
    rows
}

fn ref_ptr(rows: &[i128], nrows: u64) -> Vec<u64> {
    let mut ptr = vec![0u64; nrows as usize + 1];
    for &r in rows {
        ptr[r as usize + 1] += 1;
    }
    for i in 0..nrows as usize {
        ptr[i + 1] += ptr[i];
    }
    ptr
}

#[test]
fn coo_ptr_and_csr_expand_all_index_types() {
    let mut rng = Rng(2);
    for ty in INDEX_TYPES {
        for &(nrows, nnz) in &[(1u64, 0usize), (1, 5), (7, 100), (100, 37), (120, 3000)] {
            for &(grid, block) in &[(1u32, 32u32), (2, 96), (5, 64)] {
                let rows = random_sorted_rows(&mut rng, nnz, nrows);
                let rows_b = ty.encode(&rows);
                let mut ptr = vec![7u64; nrows as usize + 1];
                let name = format!("coo_ptr_{}", ty.sfx);
                run(
                    &name,
                    grid,
                    block,
                    &[
                        Arg::slice(&rows_b),
                        Arg::slice_mut(&mut ptr),
                        Arg::U64(nnz as u64),
                        Arg::U64(nrows),
                    ],
                );
                assert_eq!(
                    ptr,
                    ref_ptr(&rows, nrows),
                    "{name} nrows={nrows} nnz={nnz} grid={grid} block={block}"
                );
                let mut back = vec![0xEEu8; nnz * ty.size];
                let name = format!("csr_expand_{}", ty.sfx);
                run(
                    &name,
                    grid,
                    block,
                    &[
                        Arg::slice(&ptr),
                        Arg::slice_mut(&mut back),
                        Arg::U64(nrows),
                        Arg::U64(nnz as u64),
                    ],
                );
                assert_eq!(ty.decode(&back), rows, "{name} nrows={nrows} nnz={nnz}");
            }
        }
    }
}

/// Device sequence: stable LSD radix sort of `keys` (type `ty`, values < 2^bits) carrying a
/// permutation. Returns (sorted keys, permutation).
fn dev_radix_sort(ty: Ty, keys: &[u8], bits: u32, block: u32) -> (Vec<u8>, Vec<u64>) {
    let n = (keys.len() / ty.size) as u64;
    let mut ka = keys.to_vec();
    let mut kb = vec![0u8; keys.len()];
    let mut pa = vec![0u64; n as usize];
    let mut pb = vec![0u64; n as usize];
    if n == 0 {
        return (ka, pa);
    }
    let g = ceil_div(n, u64::from(block) * TILE_ITEMS);
    let mut hist = vec![0u64; g as usize * 256];
    let mut first = true;
    let mut shift = 0u32;
    while shift < bits.max(1) {
        run(
            &format!("radix_hist_{}", ty.sfx),
            g as u32,
            block,
            &[
                Arg::slice(&ka),
                Arg::slice_mut(&mut hist),
                Arg::U64(n),
                Arg::U32(shift),
            ],
        );
        dev_scan_in_place(&mut hist, block, false);
        let perm_in = if first { Arg::null() } else { Arg::slice(&pa) };
        run(
            &format!("radix_scatter_{}", ty.sfx),
            g as u32,
            block,
            &[
                Arg::slice(&ka),
                perm_in,
                Arg::slice_mut(&mut kb),
                Arg::slice_mut(&mut pb),
                Arg::slice(&hist),
                Arg::U64(n),
                Arg::U32(shift),
            ],
        );
        std::mem::swap(&mut ka, &mut kb);
        std::mem::swap(&mut pa, &mut pb);
        first = false;
        shift += 8;
    }
    (ka, pa)
}

fn gather(width: usize, src: &[u8], perm: &[u64], block: u32) -> Vec<u8> {
    let n = perm.len();
    let mut dst = vec![0u8; n * width];
    run(
        &format!("gather_b{width}"),
        3,
        block,
        &[
            Arg::slice(src),
            Arg::slice(perm),
            Arg::slice_mut(&mut dst),
            Arg::U64(n as u64),
            Arg::U64((src.len() / width) as u64),
        ],
    );
    dst
}

fn bits_for(n: u64) -> u32 {
    64 - n.saturating_sub(1).leading_zeros()
}

#[test]
fn radix_sort_is_stable_for_all_index_types() {
    let mut rng = Rng(3);
    for ty in INDEX_TYPES {
        for &block in &[32u32, 64, 160] {
            for &n in &[1usize, 100, 1025, 3000] {
                let range = (ty.max() as u64).min(5000);
                let keys: Vec<i128> = (0..n).map(|_| i128::from(rng.below(range + 1))).collect();
                let (sorted, perm) =
                    dev_radix_sort(ty, &ty.encode(&keys), bits_for(range + 1), block);
                let mut expect: Vec<u64> = (0..n as u64).collect();
                expect.sort_by_key(|&i| keys[i as usize]); // stable
                assert_eq!(perm, expect, "radix {} block={block} n={n}", ty.sfx);
                let mut sk = keys.clone();
                sk.sort_unstable();
                assert_eq!(ty.decode(&sorted), sk);
            }
        }
    }
}

/// Reference CSR -> CSC: for each column, (row, value) in row order.
fn ref_transpose(
    ptr: &[u64],
    cols: &[i128],
    vals: &[u64],
    ncols: usize,
) -> (Vec<u64>, Vec<i128>, Vec<u64>) {
    let mut buckets: Vec<Vec<(i128, u64)>> = vec![Vec::new(); ncols];
    for r in 0..ptr.len() - 1 {
        for k in ptr[r] as usize..ptr[r + 1] as usize {
            buckets[cols[k] as usize].push((r as i128, vals[k]));
        }
    }
    let mut cptr = vec![0u64];
    let (mut rows, mut v) = (Vec::new(), Vec::new());
    for b in buckets {
        for (r, x) in b {
            rows.push(r);
            v.push(x);
        }
        cptr.push(rows.len() as u64);
    }
    (cptr, rows, v)
}

#[test]
fn csr_to_csc_transpose_sequence() {
    let mut rng = Rng(4);
    for ty in INDEX_TYPES {
        for &(nrows, ncols, nnz, block) in &[
            (5u64, 300u64, 900usize, 64u32),
            (300, 7, 2000, 32),
            (1, 1, 1, 32),
            (40, 40, 0, 64),
        ] {
            if i128::from(nrows.max(ncols)) > ty.max() {
                continue;
            }
            // A valid CSR: sorted unique columns per row.
            let mut entries: Vec<(u64, u64)> = (0..nnz)
                .map(|_| (rng.below(nrows), rng.below(ncols)))
                .collect();
            entries.sort_unstable();
            entries.dedup();
            let nnz = entries.len();
            let rows: Vec<i128> = entries.iter().map(|e| i128::from(e.0)).collect();
            let cols: Vec<i128> = entries.iter().map(|e| i128::from(e.1)).collect();
            let vals: Vec<u64> = (0..nnz).map(|_| rng.next()).collect();
            let ptr = ref_ptr(&rows, nrows);
            // 1. expand row pointers; 2. radix sort by column carrying the permutation;
            // 3. gather rows and values; 4. column pointers from the sorted keys' boundaries.
            let mut rows_b = vec![0u8; nnz * ty.size];
            run(
                &format!("csr_expand_{}", ty.sfx),
                2,
                block,
                &[
                    Arg::slice(&ptr),
                    Arg::slice_mut(&mut rows_b),
                    Arg::U64(nrows),
                    Arg::U64(nnz as u64),
                ],
            );
            let (sorted_cols, perm) = dev_radix_sort(ty, &ty.encode(&cols), bits_for(ncols), block);
            let csc_rows = gather(ty.size, &rows_b, &perm, block);
            let vals_b: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
            let csc_vals = gather(8, &vals_b, &perm, block);
            let mut cptr = vec![0u64; ncols as usize + 1];
            run(
                &format!("coo_ptr_{}", ty.sfx),
                2,
                block,
                &[
                    Arg::slice(&sorted_cols),
                    Arg::slice_mut(&mut cptr),
                    Arg::U64(nnz as u64),
                    Arg::U64(ncols),
                ],
            );
            let (rp, rr, rv) = ref_transpose(&ptr, &cols, &vals, ncols as usize);
            assert_eq!(cptr, rp, "{} colptr", ty.sfx);
            assert_eq!(
                ty.decode(&csc_rows),
                rr,
                "{} CSC rows (stable order)",
                ty.sfx
            );
            let got_v: Vec<u64> = csc_vals
                .chunks(8)
                .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
                .collect();
            assert_eq!(got_v, rv, "{} CSC values", ty.sfx);
        }
    }
}

/// Device sequence: canonicalize COO (sort by (row, col), sum duplicates). Returns (rows, cols,
/// starts) with values left to the caller's segsum.
fn dev_canonicalize(
    ty: Ty,
    rows: &[u8],
    cols: &[u8],
    nrows: u64,
    ncols: u64,
    block: u32,
) -> (Vec<u8>, Vec<u8>, Vec<u64>, Vec<u64>) {
    let n = rows.len() / ty.size;
    let (_, p1) = dev_radix_sort(ty, cols, bits_for(ncols), block);
    let r1 = gather(ty.size, rows, &p1, block);
    let (_, p2) = dev_radix_sort(ty, &r1, bits_for(nrows), block);
    let perm = {
        let p1b: Vec<u8> = p1.iter().flat_map(|v| v.to_le_bytes()).collect();
        let g = gather(8, &p1b, &p2, block);
        g.chunks(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
            .collect::<Vec<u64>>()
    };
    let rs = gather(ty.size, rows, &perm, block);
    let cs = gather(ty.size, cols, &perm, block);
    let mut head = vec![0u64; n + 1];
    run(
        &format!("mark_heads_{}", ty.sfx),
        2,
        block,
        &[
            Arg::slice(&rs),
            Arg::slice(&cs),
            Arg::slice_mut(&mut head),
            Arg::U64(n as u64),
        ],
    );
    let hs = dev_scan(&head, block, false);
    let m = hs[n] as usize;
    let mut starts = vec![0u64; m + 1];
    run(
        "heads_to_starts",
        2,
        block,
        &[
            Arg::slice(&head),
            Arg::slice(&hs),
            Arg::slice_mut(&mut starts),
            Arg::U64(n as u64),
        ],
    );
    let ro = gather(ty.size, &rs, &starts[..m], block);
    let co = gather(ty.size, &cs, &starts[..m], block);
    (ro, co, starts, perm)
}

#[test]
fn canonicalize_sums_duplicates() {
    let mut rng = Rng(5);
    for ty in INDEX_TYPES {
        for &(nrows, ncols, n, block) in &[
            (20u64, 30u64, 2000usize, 64u32),
            (120, 3, 500, 32),
            (1, 1, 7, 32),
        ] {
            let rows: Vec<i128> = (0..n).map(|_| i128::from(rng.below(nrows))).collect();
            let cols: Vec<i128> = (0..n).map(|_| i128::from(rng.below(ncols))).collect();
            let vals: Vec<f64> = (0..n).map(|_| rng.below(1000) as f64).collect();
            let (ro, co, starts, perm) = dev_canonicalize(
                ty,
                &ty.encode(&rows),
                &ty.encode(&cols),
                nrows,
                ncols,
                block,
            );
            let m = starts.len() - 1;
            let vb: Vec<u8> = vals.iter().flat_map(|v| v.to_le_bytes()).collect();
            let vs = gather(8, &vb, &perm, block);
            let mut out = vec![0f64; m];
            run(
                "segsum_f64",
                2,
                block,
                &[
                    Arg::slice(&vs),
                    Arg::slice(&starts),
                    Arg::slice_mut(&mut out),
                    Arg::U64(m as u64),
                ],
            );
            let mut reference: BTreeMap<(i128, i128), f64> = BTreeMap::new();
            for k in 0..n {
                *reference.entry((rows[k], cols[k])).or_default() += vals[k];
            }
            let got: Vec<((i128, i128), f64)> = ty
                .decode(&ro)
                .into_iter()
                .zip(ty.decode(&co))
                .zip(out.iter().copied())
                .collect();
            let want: Vec<((i128, i128), f64)> = reference.into_iter().collect();
            assert_eq!(got, want, "canonicalize {} n={n}", ty.sfx);
            // The canonical output validates strictly (sorted, unique).
            let mut bad = NONE;
            run(
                &format!("validate_coo_{}", ty.sfx),
                2,
                block,
                &[
                    Arg::slice(&ro),
                    Arg::slice(&co),
                    Arg::U64(m as u64),
                    Arg::U64(nrows),
                    Arg::U64(ncols),
                    Arg::U32(1),
                    Arg::Ptr((&raw mut bad).cast()),
                ],
            );
            assert_eq!(bad, NONE);
        }
    }
}

#[test]
fn segsum_value_types() {
    let starts = vec![0u64, 3, 4, 9];
    let m = 3u64;
    let seg = |k: usize| {
        starts
            .windows(2)
            .position(|w| (w[0] as usize..w[1] as usize).contains(&k))
            .unwrap()
    };
    // f32, integers with wrap-around, bint8 as logical OR, complex64 component-wise.
    let f: Vec<f32> = (0..9).map(|i| i as f32 * 0.5).collect();
    let mut fo = vec![0f32; 3];
    run(
        "segsum_f32",
        1,
        32,
        &[
            Arg::slice(&f),
            Arg::slice(&starts),
            Arg::slice_mut(&mut fo),
            Arg::U64(m),
        ],
    );
    let mut fr = [0f32; 3];
    for (k, v) in f.iter().enumerate() {
        fr[seg(k)] += v;
    }
    assert_eq!(fo, fr);
    let i: Vec<i8> = vec![100, 100, 1, -5, 120, 120, 0, 1, 2];
    let mut io = vec![0i8; 3];
    run(
        "segsum_i8",
        2,
        32,
        &[
            Arg::slice(&i),
            Arg::slice(&starts),
            Arg::slice_mut(&mut io),
            Arg::U64(m),
        ],
    );
    let mut ir = [0i8; 3];
    for (k, v) in i.iter().enumerate() {
        ir[seg(k)] = ir[seg(k)].wrapping_add(*v);
    }
    assert_eq!(io, ir);
    // Every integer value type: wrapping sums (the reference wraps by truncating an i128 sum).
    for ty in INDEX_TYPES {
        let vals: Vec<i128> = (0..9).map(|k| ty.max() - k).collect();
        let mut out = vec![0u8; 3 * ty.size];
        let name = format!("segsum_{}", ty.sfx);
        run(
            &name,
            1,
            32,
            &[
                Arg::slice(&ty.encode(&vals)),
                Arg::slice(&starts),
                Arg::slice_mut(&mut out),
                Arg::U64(m),
            ],
        );
        let mut sums = [0i128; 3];
        for (k, v) in vals.iter().enumerate() {
            sums[seg(k)] += v;
        }
        assert_eq!(out, ty.encode(&sums), "{name}");
    }
    let z: Vec<[f64; 2]> = (0..9).map(|i| [f64::from(i) * 0.25, 1.0]).collect();
    let mut zo = vec![[0f64; 2]; 3];
    run(
        "segsum_c128",
        2,
        32,
        &[
            Arg::slice(&z),
            Arg::slice(&starts),
            Arg::slice_mut(&mut zo),
            Arg::U64(m),
        ],
    );
    assert_eq!(zo, vec![[0.75, 3.0], [0.75, 1.0], [7.5, 5.0]]);
    let b: Vec<u8> = vec![0, 0, 0, 1, 0, 0, 1, 0, 0];
    let mut bo = vec![9u8; 3];
    run(
        "segsum_bint8",
        1,
        64,
        &[
            Arg::slice(&b),
            Arg::slice(&starts),
            Arg::slice_mut(&mut bo),
            Arg::U64(m),
        ],
    );
    assert_eq!(bo, vec![0, 1, 1]);
    let c: Vec<[f32; 2]> = (0..9).map(|i| [i as f32, -(i as f32)]).collect();
    let mut co = vec![[0f32; 2]; 3];
    run(
        "segsum_c64",
        1,
        32,
        &[
            Arg::slice(&c),
            Arg::slice(&starts),
            Arg::slice_mut(&mut co),
            Arg::U64(m),
        ],
    );
    assert_eq!(co, vec![[3.0, -3.0], [3.0, -3.0], [30.0, -30.0]]);
}

#[test]
fn cast_every_index_pair() {
    for s in INDEX_TYPES {
        for d in INDEX_TYPES {
            let probes: Vec<i128> = [
                0,
                1,
                -1,
                127,
                128,
                -128,
                -129,
                255,
                256,
                32767,
                32768,
                -32769,
                65535,
                65536,
                i128::from(i32::MAX),
                i128::from(i32::MAX) + 1,
                i128::from(i32::MIN),
                i128::from(u32::MAX),
                i128::from(u32::MAX) + 1,
                i128::from(i64::MAX),
                i128::from(i64::MIN),
                i128::from(u64::MAX),
            ]
            .into_iter()
            .filter(|v| (s.min()..=s.max()).contains(v))
            .collect();
            let n = probes.len();
            let input = s.encode(&probes);
            let mut out = vec![0xAAu8; n * d.size];
            let mut bad = NONE;
            let name = format!("cast_{}_{}", s.sfx, d.sfx);
            run(
                &name,
                2,
                32,
                &[
                    Arg::slice(&input),
                    Arg::slice_mut(&mut out),
                    Arg::U64(n as u64),
                    Arg::Ptr((&raw mut bad).cast()),
                ],
            );
            let fits = |v: &i128| (d.min()..=d.max()).contains(v);
            let expect_bad = probes
                .iter()
                .position(|v| !fits(v))
                .map_or(NONE, |p| p as u64);
            assert_eq!(bad, expect_bad, "{name}");
            let want: Vec<i128> = probes
                .iter()
                .map(|v| if fits(v) { *v } else { 0 })
                .collect();
            assert_eq!(d.decode(&out), want, "{name}");
        }
    }
}

/// Reference structural checks (first failing position).
fn ref_validate_ptr(ptr: &[u64], nnz: u64) -> u64 {
    let n = ptr.len() - 1;
    (0..=n)
        .find(|&i| {
            ptr[i] > nnz
                || (i == 0 && ptr[i] != 0)
                || (i == n && ptr[i] != nnz)
                || (i > 0 && ptr[i - 1] > ptr[i])
        })
        .map_or(NONE, |i| i as u64)
}

fn ref_validate_csr(ptr: &[u64], idx: &[i128], ncols: u64, strict: bool) -> u64 {
    for r in 0..ptr.len() - 1 {
        for k in ptr[r] as usize..ptr[r + 1] as usize {
            let out = idx[k] < 0 || idx[k] >= i128::from(ncols);
            let order = k > ptr[r] as usize
                && if strict {
                    idx[k - 1] >= idx[k]
                } else {
                    idx[k - 1] > idx[k]
                };
            if out || order {
                return k as u64;
            }
        }
    }
    NONE
}

#[test]
fn validation_reports_the_first_failure() {
    let mut rng = Rng(6);
    for ty in INDEX_TYPES {
        for trial in 0..8 {
            let (nrows, ncols) = (1 + rng.below(40), 1 + rng.below(100)); // fit every index type
            let mut e: Vec<(u64, u64)> = (0..rng.below(400))
                .map(|_| (rng.below(nrows), rng.below(ncols)))
                .collect();
            e.sort_unstable();
            e.dedup();
            let rows: Vec<i128> = e.iter().map(|x| i128::from(x.0)).collect();
            let mut cols: Vec<i128> = e.iter().map(|x| i128::from(x.1)).collect();
            let mut ptr = ref_ptr(&rows, nrows);
            let nnz = cols.len() as u64;
            // Corrupt something in most trials.
            match trial % 4 {
                1 if nnz > 0 => {
                    cols[rng.below(nnz) as usize] = i128::from(ncols) + i128::from(rng.below(3))
                }
                2 if nnz > 1 => {
                    let k = 1 + rng.below(nnz - 1) as usize;
                    cols[k] = cols[k - 1];
                }
                3 if nrows > 1 => ptr[1 + rng.below(nrows - 1) as usize] = nnz + 1,
                _ => {}
            }
            if ty.signed && trial == 5 && nnz > 0 {
                cols[0] = -1;
            }
            let cols = cols
                .into_iter()
                .map(|c| c.clamp(ty.min(), ty.max()))
                .collect::<Vec<_>>();
            for &(grid, block) in &[(1u32, 32u32), (3, 64)] {
                let mut bad = NONE;
                run(
                    "validate_ptr",
                    grid,
                    block,
                    &[
                        Arg::slice(&ptr),
                        Arg::U64(nrows),
                        Arg::U64(nnz),
                        Arg::Ptr((&raw mut bad).cast()),
                    ],
                );
                let ptr_bad = ref_validate_ptr(&ptr, nnz);
                assert_eq!(bad, ptr_bad, "validate_ptr trial {trial}");
                if ptr_bad != NONE {
                    continue;
                }
                let idx = ty.encode(&cols);
                for strict in [true, false] {
                    let mut bad = NONE;
                    run(
                        &format!("validate_csr_{}", ty.sfx),
                        grid,
                        block,
                        &[
                            Arg::slice(&ptr),
                            Arg::slice(&idx),
                            Arg::U64(nrows),
                            Arg::U64(ncols),
                            Arg::U64(nnz),
                            Arg::U32(u32::from(strict)),
                            Arg::Ptr((&raw mut bad).cast()),
                        ],
                    );
                    assert_eq!(
                        bad,
                        ref_validate_csr(&ptr, &cols, ncols, strict),
                        "validate_csr_{} trial {trial}",
                        ty.sfx
                    );
                    // The same structure as COO: expanded rows, lexicographic order.
                    let rws = ty.encode(&rows);
                    let mut bad = NONE;
                    run(
                        &format!("validate_coo_{}", ty.sfx),
                        grid,
                        block,
                        &[
                            Arg::slice(&rws),
                            Arg::slice(&idx),
                            Arg::U64(nnz),
                            Arg::U64(nrows),
                            Arg::U64(ncols),
                            Arg::U32(u32::from(strict)),
                            Arg::Ptr((&raw mut bad).cast()),
                        ],
                    );
                    let want = (0..nnz as usize)
                        .find(|&k| {
                            let out = cols[k] < 0 || cols[k] >= i128::from(ncols);
                            let order = k > 0 && {
                                let (a, b) = ((rows[k - 1], cols[k - 1]), (rows[k], cols[k]));
                                if strict { a >= b } else { a > b }
                            };
                            out || order
                        })
                        .map_or(NONE, |k| k as u64);
                    assert_eq!(bad, want, "validate_coo_{} trial {trial}", ty.sfx);
                }
            }
        }
    }
}

/// Element widths with the comp_bytes that makes -0.0 zero for their float types.
const WIDTHS: [(usize, u32); 6] = [(1, 0), (2, 2), (4, 4), (4, 0), (8, 8), (16, 8)];

fn is_nonzero(e: &[u8], comp: u32) -> bool {
    if comp == 0 {
        return e.iter().any(|&b| b != 0);
    }
    e.chunks(comp as usize).any(|c| {
        c.iter()
            .enumerate()
            .any(|(i, &b)| (if i + 1 == c.len() { b & 0x7F } else { b }) != 0)
    })
}

#[test]
fn dense_to_csr_and_back() {
    let mut rng = Rng(7);
    for (width, comp) in WIDTHS {
        for ty in INDEX_TYPES {
            for &(nrows, ncols, block, grid) in &[
                (9u64, 77u64, 32u32, 4u32),
                (3, 300, 64, 2),
                (1, 1, 32, 1),
                (50, 5, 96, 7),
            ] {
                if i128::from(ncols) > ty.max() {
                    continue;
                }
                let n = (nrows * ncols) as usize;
                let mut dense = vec![0u8; n * width];
                for e in dense.chunks_mut(width) {
                    match rng.below(4) {
                        0 => e.iter_mut().for_each(|b| *b = rng.next() as u8),
                        1 if comp != 0 => e[comp as usize - 1] = 0x80, // a negative zero component
                        _ => {}
                    }
                }
                let mut counts = vec![0u64; nrows as usize + 1];
                run(
                    &format!("dense_count_b{width}"),
                    grid,
                    block,
                    &[
                        Arg::slice(&dense),
                        Arg::slice_mut(&mut counts),
                        Arg::U64(nrows),
                        Arg::U64(ncols),
                        Arg::U32(comp),
                    ],
                );
                // Reference CSR.
                let (mut rp, mut rc, mut rv) = (vec![0u64], Vec::new(), Vec::new());
                for r in 0..nrows as usize {
                    for c in 0..ncols as usize {
                        let e = &dense[(r * ncols as usize + c) * width..][..width];
                        if is_nonzero(e, comp) {
                            rc.push(c as i128);
                            rv.extend_from_slice(e);
                        }
                    }
                    rp.push(rc.len() as u64);
                }
                counts[nrows as usize] = 0;
                let ptr = dev_scan(&counts, block, false);
                assert_eq!(ptr, rp, "dense_count_b{width} comp={comp}");
                let nnz = rc.len();
                let mut cols = vec![0u8; nnz * ty.size];
                let mut vals = vec![0u8; nnz * width];
                run(
                    &format!("dense_scatter_{}_b{width}", ty.sfx),
                    grid,
                    block,
                    &[
                        Arg::slice(&dense),
                        Arg::slice(&ptr),
                        Arg::slice_mut(&mut cols),
                        Arg::slice_mut(&mut vals),
                        Arg::U64(nrows),
                        Arg::U64(ncols),
                        Arg::U32(comp),
                    ],
                );
                assert_eq!(ty.decode(&cols), rc, "dense_scatter cols b{width}");
                assert_eq!(vals, rv, "dense_scatter vals b{width}");
                let mut back = vec![0u8; n * width];
                run(
                    &format!("csr_to_dense_{}_b{width}", ty.sfx),
                    grid,
                    block,
                    &[
                        Arg::slice(&ptr),
                        Arg::slice(&cols),
                        Arg::slice(&vals),
                        Arg::slice_mut(&mut back),
                        Arg::U64(nrows),
                        Arg::U64(ncols),
                        Arg::U64(nnz as u64),
                    ],
                );
                let want: Vec<u8> = dense
                    .chunks(width)
                    .flat_map(|e| {
                        if is_nonzero(e, comp) {
                            e.to_vec()
                        } else {
                            vec![0u8; width]
                        }
                    })
                    .collect();
                assert_eq!(back, want, "csr_to_dense b{width}");
            }
        }
    }
}

#[test]
fn gather_scatter_every_width() {
    let mut rng = Rng(8);
    for width in [1usize, 2, 4, 8, 16] {
        for &(n, grid, block) in &[(1usize, 1u32, 32u32), (333, 2, 64), (1000, 5, 32)] {
            let src: Vec<u8> = (0..n * width).map(|_| rng.next() as u8).collect();
            let mut perm: Vec<u64> = (0..n as u64).collect();
            for i in (1..n).rev() {
                perm.swap(i, rng.below(i as u64 + 1) as usize);
            }
            let mut g = vec![0u8; n * width];
            run(
                &format!("gather_b{width}"),
                grid,
                block,
                &[
                    Arg::slice(&src),
                    Arg::slice(&perm),
                    Arg::slice_mut(&mut g),
                    Arg::U64(n as u64),
                    Arg::U64(n as u64),
                ],
            );
            let want: Vec<u8> = perm
                .iter()
                .flat_map(|&p| src[p as usize * width..][..width].to_vec())
                .collect();
            assert_eq!(g, want, "gather_b{width}");
            let mut s = vec![0u8; n * width];
            run(
                &format!("scatter_b{width}"),
                grid,
                block,
                &[
                    Arg::slice(&g),
                    Arg::slice(&perm),
                    Arg::slice_mut(&mut s),
                    Arg::U64(n as u64),
                    Arg::U64(n as u64),
                ],
            );
            assert_eq!(s, src, "scatter_b{width} inverts gather_b{width}");
        }
    }
    // Out-of-range permutation entries are skipped, never written through.
    let src = [1u32, 2, 3];
    let perm = [2u64, 99, 0];
    let mut dst = [7u32; 3];
    run(
        "gather_b4",
        1,
        32,
        &[
            Arg::slice(&src),
            Arg::slice(&perm),
            Arg::slice_mut(&mut dst),
            Arg::U64(3),
            Arg::U64(3),
        ],
    );
    assert_eq!(dst, [3, 7, 1]);
}

#[test]
fn launch_arguments_are_checked_against_the_cpu_signature() {
    let mut out = vec![0u64; 4];
    // SAFETY: every call below is refused before the kernel runs.
    let e = unsafe {
        launch(
            "iota_u64",
            1,
            32,
            0,
            &[Arg::slice_mut(&mut out), Arg::U32(4)],
        )
    }
    .unwrap_err();
    assert_eq!(
        e,
        LaunchError::ArgumentSize {
            name: "iota_u64".into(),
            index: 1,
            expected: 8,
            got: 4
        }
    );
    // SAFETY: refused before the kernel runs.
    let e = unsafe { launch("iota_u64", 1, 32, 0, &[Arg::slice_mut(&mut out)]) }.unwrap_err();
    assert!(
        matches!(
            e,
            LaunchError::ArgumentCount {
                expected: 2,
                got: 1,
                ..
            }
        ),
        "{e}"
    );
    // SAFETY: refused before the kernel runs.
    let e = unsafe { launch("no_such_kernel", 1, 32, 0, &[]) }.unwrap_err();
    assert!(matches!(e, LaunchError::UnknownKernel { .. }));
    for (grid, block) in [(0u32, 32u32), (1, 0), (1, 2048)] {
        // SAFETY: refused before the kernel runs.
        let e = unsafe {
            launch(
                "iota_u64",
                grid,
                block,
                0,
                &[Arg::slice_mut(&mut out), Arg::U64(4)],
            )
        }
        .unwrap_err();
        assert!(matches!(e, LaunchError::BadConfig { .. }), "{e}");
    }
    assert_eq!(
        param_sizes("radix_scatter_i64"),
        Some(vec![8, 8, 8, 8, 8, 8, 4])
    );
}

#[test]
fn registry_matches_kernels_def() {
    let def = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../kernels/kernels.def"
    ))
    .unwrap();
    let listed: Vec<String> = def
        .lines()
        .filter_map(|l| {
            l.strip_prefix("SB_KERNEL(")?
                .strip_suffix(')')?
                .split(", ")
                .nth(1)
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(kernel_names(), listed);
    assert!(listed.len() > 200);
}
