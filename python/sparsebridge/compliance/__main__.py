"""``python -m sparsebridge.compliance producer|consumer module:callable [--formats CSR,CSC] [--all-rows]``.

Prints the report as a table; exits 0 only when nothing failed (1 on failures, 2 on usage errors).
``module:callable`` may name the kit's own references: ``sparsebridge.compliance:reference_make`` and
``sparsebridge.compliance:reference_consumer``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .consumer_check import check_consumer
from .producer_check import check_producer


def load(spec: str):
    """Import ``module:attr.attr`` and return the object."""
    mod, sep, attr = spec.partition(":")
    if not sep or not mod or not attr:
        raise ValueError(f"expected module:callable, got {spec!r}")
    obj = importlib.import_module(mod)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"{spec} is not callable")
    return obj


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m sparsebridge.compliance", description=__doc__.splitlines()[0])
    p.add_argument("role", choices=("producer", "consumer"))
    p.add_argument("target", help="module:callable (make(dense, format) or from_binsparse(x))")
    p.add_argument("--formats", help="producer only: comma-separated predefined format names")
    p.add_argument("--devices", help="producer only: comma-separated devices passed to make(device=...)")
    p.add_argument("--isolate", choices=("none", "hostile", "all"), default="hostile",
                   help="consumer only: run cases in a forked child (default: hostile cases)")
    p.add_argument("--max-failures", type=int, default=40, help="failures listed in the table")
    args = p.parse_args(argv)
    try:
        fn = load(args.target)
    except (ImportError, AttributeError, ValueError, TypeError) as e:
        print(f"error: cannot load {args.target}: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    if args.role == "producer":
        fmts = args.formats.split(",") if args.formats else None
        devs = args.devices.split(",") if args.devices else None
        try:
            report = check_producer(fn, formats=fmts, devices=devs)
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    else:
        report = check_consumer(fn, isolate=args.isolate)
    report.title = f"{report.title} for {args.target}"
    print(report.render(max_failures=args.max_failures))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
