"""Ratios from the CUDA section of `sparsebridge bench --json` (schema sparsebridge-bench/1).

`make gpu-check` runs the bench on the real device and pipes its JSON here. Printed, per run:
- pinned / pageable host-to-device (and device-to-host) bandwidth;
- each on-device conversion against the device-to-device copy rate of the same run
  (x_floor: time over the time a D2D copy of the bytes it moved takes; 1.0 is the bound);
- int64 / int32 time of the same conversion (the cost of wide indices).

Figures printed from a machine whose `cuda.name` is the emulated driver are no GPU figures;
they are marked so, and must never be recorded in docs/benchmarks.md.

usage: sparsebridge bench --json | python scripts/gpu-bench-summary.py [--require-gpu]
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def ratios(doc: dict[str, Any]) -> dict[str, Any]:
    """The ratios of one bench document (raises ValueError when it has no usable CUDA section)."""
    if doc.get("schema") != "sparsebridge-bench/1":
        raise ValueError(f"unknown schema {doc.get('schema')!r}")
    cuda = doc.get("cuda") or {}
    if "skipped" in cuda:
        raise ValueError(f"the CUDA section was skipped: {cuda['skipped']}")
    rate = {(c["direction"], c["memory"]): c["gbps"] for c in cuda["copies"]}
    out: dict[str, Any] = {
        "device": cuda["device"],
        "name": cuda["name"],
        "emulated": "emulated" in cuda["name"].lower(),
        "d2d_gbps": cuda["d2d_gbps"],
        "pinned_over_pageable": {
            d: rate[(d, "pinned")] / rate[(d, "pageable")]
            for d in ("h2d", "d2h")
            if (d, "pinned") in rate and rate.get((d, "pageable"))
        },
        "conversions": [],
        "int64_over_int32": {},
    }
    conv = cuda.get("conversions")
    if isinstance(conv, dict):
        out["conversions_skipped"] = conv.get("skipped", "no conversions")
        return out
    times: dict[tuple[str, str], dict[str, float]] = {}
    for c in conv:
        out["conversions"].append(
            {"from": c["from"], "to": c["to"], "index_type": c["index_type"], "ms": c["ms"], "x_d2d": c["x_floor"]}
        )
        times.setdefault((c["from"], c["to"]), {})[c["index_type"]] = c["ms"]
    for (f, t), by in times.items():
        if "int32" in by and "int64" in by and by["int32"] > 0:
            out["int64_over_int32"][f"{f}->{t}"] = by["int64"] / by["int32"]
    return out


def render(r: dict[str, Any]) -> str:
    lines = [f"device {r['device']} ({r['name']}){'  [EMULATED DRIVER: not GPU figures]' if r['emulated'] else ''}"]
    lines.append(f"D2D copy: {r['d2d_gbps']:.3g} GB/s")
    for d, x in r["pinned_over_pageable"].items():
        lines.append(f"{d}: pinned / pageable bandwidth = {x:.3g}x")
    if "conversions_skipped" in r:
        lines.append(f"conversions skipped: {r['conversions_skipped']}")
    else:
        lines.append("| conversion | index | ms | x D2D floor | int64 / int32 |")
        lines.append("|---|---|---:|---:|---:|")
        for c in r["conversions"]:
            w = r["int64_over_int32"].get(f"{c['from']}->{c['to']}")
            lines.append(
                f"| {c['from']} -> {c['to']} | {c['index_type']} | {c['ms']:.3g} | {c['x_d2d']:.3g} | "
                f"{'' if w is None or c['index_type'] != 'int64' else f'{w:.3g}'} |"
            )
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--require-gpu", action="store_true", help="fail on an emulated or skipped CUDA section")
    args = ap.parse_args()
    try:
        r = ratios(json.load(sys.stdin))
    except (ValueError, KeyError) as e:
        print(f"gpu-bench-summary: {e}", file=sys.stderr)
        return 1
    print(render(r))
    if args.require_gpu and (r["emulated"] or "conversions_skipped" in r):
        print("gpu-bench-summary: --require-gpu, but these are no real-GPU conversion figures", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
