"""Counts memcheck errors in a valgrind log whose stack passes through sparsebridge's native code
(the `_sparsebridge` extension). CPython, NumPy and torch have known reports of their own (e.g.
CPython's small-object allocator, conditional jumps in BLAS); those are listed by kind only.
Exits 1 if any sparsebridge error is found, or if the smoke script did not finish."""

from __future__ import annotations

import re
import sys
from collections import Counter


def main(path: str) -> int:
    text = open(path, errors="replace").read()
    blocks = re.split(r"\n==\d+== \n", text)
    ours, others = [], Counter()
    for b in blocks:
        m = re.search(r"==\d+== (Invalid (read|write|free)[^\n]*|Conditional jump[^\n]*|Use of uninitialised[^\n]*|"
                      r"Mismatched free[^\n]*|Syscall param[^\n]*|Source and destination overlap[^\n]*)", b)
        if not m:
            continue
        if "_sparsebridge" in b or "sparsebridge_" in b:
            ours.append(b.strip())
        else:
            others[m.group(1).split(" of size")[0]] += 1
    summary = re.search(r"ERROR SUMMARY: (\d+) errors", text)
    print(f"valgrind: {len(ours)} error(s) in sparsebridge code; {sum(others.values())} elsewhere "
          f"{dict(others) if others else ''}; valgrind's total: {summary.group(1) if summary else '?'}")
    for b in ours:
        print(b, "\n")
    return 1 if ours or not summary else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
