"""Compliance reports: one row per (check, case), with pass / fail / unsupported."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

PASS, FAIL, UNSUPPORTED = "pass", "fail", "unsupported"

#: Every check the kit runs, with the rule it enforces and its spec reference.
CHECKS: dict[str, str] = {
    # producer checks (issue 8, check_producer)
    "errors": "__binsparse_descriptor__ and __binsparse__ fail together with the same TypeError/BufferError "
    "(binsparse-protocol §10.2, §13 row 15)",
    "descriptor.wrapper": "descriptor is {'binsparse': {...}} with only spec keys inside (binsparse spec §3; "
    "binsparse-protocol §2, §12 rule 1)",
    "descriptor.version": "version is '0.1' (binsparse spec §3; binsparse-protocol §12 rule 2, §13 row 7)",
    "descriptor.format": "format is the requested binsparse 0.1 name and matches the arrays' keys, ranks and "
    "lengths (binsparse spec §4–§5; binsparse-protocol §12 rule 4, §13 rows 1, 3, 6, 12)",
    "descriptor.data_types_keys": "data_types keys equal the keys __binsparse__() returns (binsparse-protocol "
    "§10.1, §12 rule 14)",
    "descriptor.type_strings": "each type string is a spec type matching its array's DLPack dtype (binsparse spec "
    "§4; binsparse-protocol §6, §12 rules 7–9, §13 rows 8, 10)",
    "descriptor.nnz": "number_of_stored_values equals the stored entries in the arrays (binsparse spec §3; "
    "binsparse-protocol §8)",
    "canonical": "pointers start at 0, never decrease and end at nnz; indices in range, sorted, unique "
    "(binsparse spec §4; binsparse-protocol §4, §12 rule 6, §13 rows 5, 11, 14)",
    "descriptor.attributes": "the descriptor agrees with the object's own shape, nnz, dtype, fill_value and format "
    "attributes (a consumer that adapts the library would otherwise read two different arrays)",
    "dlpack.protocol": "every constituent has __dlpack__(max_version=, stream=) and __dlpack_device__ "
    "(DLPack python_spec; binsparse-protocol §15)",
    "dlpack.device": "all constituents report the same __dlpack_device__ (binsparse-protocol §10.4, §12 rule 14)",
    "roundtrip": "decoding the arrays gives the dense matrix back (binsparse spec §4–§7; binsparse-protocol §4–§8, "
    "§13 rows 1–4)",
    "request": "__binsparse__(descriptor=...) returns the requested form correctly or raises TypeError "
    "(binsparse-protocol §10.1–§10.2)",
    "request.invalid": "an invalid descriptor request raises ValueError (binsparse-protocol §10.2)",
    "consistency": "calling both methods twice gives equal descriptors and arrays (binsparse-protocol §10.3)",
    # consumer checks (issue 8, check_consumer)
    "consumer.format": "every predefined and custom format is read correctly (binsparse spec §4–§5)",
    "consumer.shape": "rectangular, empty, nnz-0 and explicit-zero inputs are read correctly (binsparse spec §4)",
    "consumer.value_dtype": "every value type is read correctly: ints, floats, bint8, complex, iso "
    "(binsparse spec §4; binsparse-protocol §6)",
    "consumer.index_dtype": "every index and pointer dtype is read correctly (binsparse-protocol §4, §13 row 10)",
    "consumer.fill": "fill_value is honoured (binsparse spec §3; binsparse-protocol §7, §13 row 4)",
    "consumer.structure": "symmetric/hermitian/skew structures are mirrored (binsparse-protocol §7)",
    "consumer.lenient": "variants real producers emit are read, or refused with TypeError/ValueError "
    "(binsparse-protocol §11)",
    "consumer.hostile": "malformed producers raise the documented exception and never crash "
    "(binsparse-protocol §9, §10.2, §13 rows 12, 14, 19)",
    "consumer.errors": "exceptions raised by __binsparse__/__binsparse_descriptor__/__dlpack__ propagate with "
    "their type (binsparse-protocol §10.2)",
}


@dataclass(frozen=True)
class Row:
    """One check on one case. ``reason`` names the rule and cites the spec; it is empty for passes."""

    check: str
    case: str
    status: str
    reason: str = ""


@dataclass
class Report:
    """The result of a compliance run: ``rows``, ``ok`` (no failure) and ``failures``."""

    title: str = "sparsebridge compliance report"
    rows: list[Row] = field(default_factory=list)

    def add(self, check: str, case: str, status: str, reason: str = "") -> None:
        """Append a row; ``check`` must be a key of :data:`CHECKS`."""
        if check not in CHECKS:
            raise KeyError(f"unknown check {check!r}")
        if status not in (PASS, FAIL, UNSUPPORTED):
            raise ValueError(f"unknown status {status!r}")
        self.rows.append(Row(check, case, status, reason))

    @property
    def ok(self) -> bool:
        """True when no row failed."""
        return not self.failures

    @property
    def failures(self) -> list[Row]:
        """The failed rows."""
        return [r for r in self.rows if r.status == FAIL]

    @property
    def unsupported(self) -> list[Row]:
        """The rows the implementation declared unsupported (TypeError)."""
        return [r for r in self.rows if r.status == UNSUPPORTED]

    def failed_checks(self) -> set[str]:
        """Names of the checks with at least one failure."""
        return {r.check for r in self.failures}

    def passed_checks(self) -> set[str]:
        """Names of the checks with at least one pass."""
        return {r.check for r in self.rows if r.status == PASS}

    def summary(self) -> dict[str, Counter]:
        """Per check, a Counter of statuses."""
        out: dict[str, Counter] = {}
        for r in self.rows:
            out.setdefault(r.check, Counter())[r.status] += 1
        return out

    def render(self, *, max_failures: int = 40, width: int = 110) -> str:
        """A plain-text table: one line per check (counts), then the failures with case and reason."""
        lines = [self.title, ""]
        hdr = f"{'check':<28} {'pass':>6} {'fail':>6} {'unsup':>6}  rule"
        lines += [hdr, "-" * min(width, len(hdr) + 50)]
        for check in CHECKS:
            c = self.summary().get(check)
            if c is None:
                continue
            rule = CHECKS[check]
            rule = rule if len(rule) <= width - 52 else rule[: width - 55] + "..."
            lines.append(f"{check:<28} {c[PASS]:>6} {c[FAIL]:>6} {c[UNSUPPORTED]:>6}  {rule}")
        total = Counter(r.status for r in self.rows)
        lines.append("-" * min(width, len(hdr) + 50))
        lines.append(f"{'total':<28} {total[PASS]:>6} {total[FAIL]:>6} {total[UNSUPPORTED]:>6}")
        lines.append("")
        fails = self.failures
        if fails:
            groups: dict[tuple[str, str], list[str]] = {}
            for r in fails:
                groups.setdefault((r.check, r.reason), []).append(r.case)
            lines.append(f"FAILURES ({len(fails)} rows, {len(groups)} distinct):")
            for (check, reason), cases in list(groups.items())[:max_failures]:
                where = ", ".join(cases[:4]) + (f" and {len(cases) - 4} more cases" if len(cases) > 4 else "")
                lines.append(f"  [{check}] {where}: {reason}")
            if len(groups) > max_failures:
                lines.append(f"  ... {len(groups) - max_failures} more distinct failures")
        lines.append("RESULT: " + ("OK" if self.ok else "FAILED"))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()
