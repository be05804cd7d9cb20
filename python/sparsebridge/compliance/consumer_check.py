"""``check_consumer``: feed a library's ``from_binsparse`` every format, dtype, lenient variant and hostile producer."""

from __future__ import annotations

import os
import pickle
import select
import signal
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .codec import decode
from .formats import Level
from .producers import Constituent, RawProducer, ReferenceArray, raw_from_reference
from .report import CHECKS, FAIL, PASS, UNSUPPORTED, Report
from .types import VALUE_TYPES


@dataclass
class ConsumerCase:
    """One producer fed to the consumer: the expected dense result, or the exception types it must raise."""

    check: str
    name: str
    make: Callable[[], object]
    expected: np.ndarray | None = None
    raises: tuple[type[BaseException], ...] = ()
    #: Also accept the correct dense result (non-canonical but unambiguous input).
    accept_result: bool = False
    #: Lenient input: a TypeError/ValueError is "unsupported" rather than a failure.
    lenient: bool = False

    @property
    def id(self) -> str:
        """``check/name``."""
        return f"{self.check}/{self.name}"


A = np.array([[1.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 0.0], [3.0, 4.0, 0.0, 5.0]])  # 3x4, empty row
SYM = np.array([[1, 2, 7, 0, 0], [2, 9, 0, 2, 0], [7, 0, 2, 0, 3], [0, 2, 0, 3, 0], [0, 0, 3, 0, 7]], dtype=np.int8)
T3 = np.zeros((2, 3, 4))
T3[0, 1, 2], T3[1, 0, 0], T3[1, 2, 3], T3[1, 2, 1] = 1.5, 2.5, 3.5, 4.5


def _ref(dense, fmt, **kw) -> Callable[[], ReferenceArray]:
    return lambda: ReferenceArray(dense, fmt, **kw)


def _raw(dense, fmt, mutate, kw=None, **rkw) -> Callable[[], RawProducer]:
    return lambda: raw_from_reference(ReferenceArray(dense, fmt, **(kw or {})), mutate, **rkw)


def _dense_of(base: str) -> np.ndarray:
    if base == "bint8":
        return A != 0
    if base.startswith("complex"):
        dt = np.complex64 if "32" in base else np.complex128
        return (A + 1j * (A[::-1] != 0) * 2).astype(dt)
    return A.astype(base)


def _valid_cases() -> list[ConsumerCase]:
    cases: list[ConsumerCase] = []
    add = cases.append
    for fmt in ("DMATR", "DMATC", "CSR", "CSC", "DCSR", "DCSC", "COOR", "COOC"):
        add(ConsumerCase("consumer.format", fmt, _ref(A, fmt), A))
    v = np.array([0.0, 1.5, 0.0, -2.0, 0.0])
    for fmt in ("DVEC", "CVEC"):
        add(ConsumerCase("consumer.format", fmt, _ref(v, fmt), v))
    customs = {
        "COO-3d": (T3, ((Level("sparse", 3),), None)),
        "CSF-3d": (T3, ((Level("dense", 1), Level("sparse", 1), Level("sparse", 1)), None)),
        "dense-sparse2-3d": (T3, ((Level("dense", 1), Level("sparse", 2)), None)),
        "CSF-3d-transpose-201": (T3, ((Level("dense", 1), Level("sparse", 1), Level("sparse", 1)), (2, 0, 1))),
        "sparse-dense-2d": (A, ((Level("sparse", 1), Level("dense", 1)), None)),
    }
    for name, (dense, fmt) in customs.items():
        add(ConsumerCase("consumer.format", f"custom-{name}", _ref(dense, fmt), dense))

    rect = {"2x3": A[:2, :3], "3x2": A[:, :2].copy(), "0x3": np.zeros((0, 3)), "3x0": np.zeros((3, 0)),
            "0x0": np.zeros((0, 0)), "2x3-nnz0": np.zeros((2, 3))}
    for fmt in ("CSR", "CSC", "DCSR", "DCSC", "COOR", "COOC", "DMATC"):
        for name, dense in rect.items():
            add(ConsumerCase("consumer.shape", f"{fmt}-{name}", _ref(dense, fmt), dense))
        stored = (A != 0) | np.eye(3, 4, dtype=bool)  # (1,1) is an explicit zero
        add(ConsumerCase("consumer.shape", f"{fmt}-explicit-zeros", _ref(A, fmt, stored=stored), A))

    for fmt in ("CSR", "CSC", "COOR"):
        for base in VALUE_TYPES:
            d = _dense_of(base)
            add(ConsumerCase("consumer.value_dtype", f"{fmt}-{base}", _ref(d, fmt, value_type=base), d))
        iso = np.where(A != 0, 7, 0).astype(np.int8)
        add(ConsumerCase("consumer.value_dtype", f"{fmt}-iso[int8]", _ref(iso, fmt, iso=True), iso))
        isoc = np.where(A != 0, 1 - 2j, 0).astype(np.complex64)
        add(ConsumerCase("consumer.value_dtype", f"{fmt}-iso[complex[float32]]", _ref(isoc, fmt, iso=True), isoc))
    for fmt in ("CSR", "CSC", "DCSR", "DCSC", "COOR", "COOC", "CVEC"):
        dense = v if fmt == "CVEC" else A
        for idt in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"):
            add(ConsumerCase("consumer.index_dtype", f"{fmt}-{idt}", _ref(dense, fmt, index_dtype=idt), dense))
    for fmt in ("CSR", "CSC", "DCSR"):
        add(ConsumerCase("consumer.index_dtype", f"{fmt}-ptr-int32-idx-int64",
                         _ref(A, fmt, index_dtype="int64", pointer_dtype="int32"), A))
        add(ConsumerCase("consumer.index_dtype", f"{fmt}-ptr-int64-idx-int32",
                         _ref(A, fmt, index_dtype="int32", pointer_dtype="int64"), A))
    big = np.zeros((30, 20))
    big.flat[::2] = np.arange(1, 301)
    add(ConsumerCase("consumer.index_dtype", "COOR-nnz300-uint16", _ref(big, "COOR", index_dtype="uint16"), big))

    F = np.where(A == 0, 1.0, A)
    F[1, 1] = 0.0  # an explicitly stored zero under a fill of 1
    for fmt in ("CSR", "CSC", "COOR", "DCSR", "COOC"):
        add(ConsumerCase("consumer.fill", f"{fmt}-fill1", _ref(F, fmt, fill_value=1.0), F))
    Fi = np.where(A == 0, -3, A).astype(np.int32)
    add(ConsumerCase("consumer.fill", "CSR-int32-fill-3", _ref(Fi, "CSR", fill_value=-3), Fi))
    Fc = np.where(A == 0, 1j, A).astype(np.complex128)
    add(ConsumerCase("consumer.fill", "COOR-complex-fill-1j", _ref(Fc, "COOR", fill_value=1j), Fc))

    # structure: the spec's symmetric_lower CSR example (binsparse-protocol §7), plus the other five
    spec = {"binsparse": {"version": "0.1", "format": "CSR", "shape": [5, 5], "number_of_stored_values": 9,
                          "structure": "symmetric_lower",
                          "data_types": {"pointers_to_1": "uint64", "indices_1": "uint64", "values": "int8"}}}
    spec_arrays = {"pointers_to_1": np.array([0, 1, 3, 5, 7, 9], np.uint64),
                   "indices_1": np.array([0, 0, 1, 0, 2, 1, 3, 2, 4], np.uint64),
                   "values": np.array([1, 2, 9, 7, 2, 2, 3, 3, 7], np.int8)}
    add(ConsumerCase("consumer.structure", "spec-CSR-symmetric_lower", lambda: RawProducer(spec, spec_arrays), SYM))
    L = np.tril(np.arange(1, 17, dtype=np.float64).reshape(4, 4))
    L[2, 0] = L[3, 1] = 0.0
    Hc = (L + 1j * np.tril(L, -1)).astype(np.complex128)
    for fmt in ("CSR", "CSC", "COOR"):
        add(ConsumerCase("consumer.structure", f"{fmt}-symmetric_upper", _ref(L + L.T - np.diag(np.diag(L)), fmt,
                                                                               structure="symmetric_upper"),
                         L + L.T - np.diag(np.diag(L))))
        herm = Hc + np.conj(Hc.T) - np.diag(np.diag(Hc))
        add(ConsumerCase("consumer.structure", f"{fmt}-hermitian_lower", _ref(herm, fmt, structure="hermitian_lower"),
                         herm))
        sk = np.tril(L, -1) - np.tril(L, -1).T
        add(ConsumerCase("consumer.structure", f"{fmt}-skew_symmetric_lower",
                         _ref(sk, fmt, structure="skew_symmetric_lower"), sk))
    # iso: the spec example (binsparse-protocol §6)
    iso_desc = {"binsparse": {"version": "0.1", "format": "CSR", "shape": [5, 5], "number_of_stored_values": 6,
                              "data_types": {"pointers_to_1": "uint64", "indices_1": "uint64", "values": "iso[int8]"}}}
    iso_arrays = {"pointers_to_1": np.array([0, 1, 3, 3, 5, 6], np.uint64),
                  "indices_1": np.array([3, 1, 4, 1, 2, 3], np.uint64), "values": np.array([7], np.int8)}
    iso_dense = np.zeros((5, 5), np.int8)
    for (i, j) in ((0, 3), (1, 1), (1, 4), (3, 1), (3, 2), (4, 3)):
        iso_dense[i, j] = 7
    add(ConsumerCase("consumer.value_dtype", "spec-CSR-iso[int8]", lambda: RawProducer(iso_desc, iso_arrays),
                     iso_dense))
    return cases


def _set(path, value):
    def mutate(desc, arrays):
        node = desc
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = value
    return mutate


def _lenient_cases() -> list[ConsumerCase]:
    cases: list[ConsumerCase] = []

    def add(name, make, expected):
        cases.append(ConsumerCase("consumer.lenient", name, make, expected, lenient=True))

    def unwrap(desc, arrays):
        inner = desc.pop("binsparse")
        desc.clear()
        desc.update(inner)

    add("version-0.1.0", _raw(A, "CSR", _set(("binsparse", "version"), "0.1.0")), A)
    add("unwrapped-inner-object", _raw(A, "CSC", unwrap), A)

    def legacy(desc, arrays):
        unwrap(desc, arrays)
        del desc["version"], desc["number_of_stored_values"]

    add("legacy-no-version-no-nnz", _raw(A, "COOR", legacy), A)
    add("alias-COO", _raw(A, "COOR", _set(("binsparse", "format"), "COO")), A)
    add("alias-DMAT", _raw(A, "DMATR", _set(("binsparse", "format"), "DMAT")), A)
    csf = (Level("dense", 1), Level("sparse", 1), Level("sparse", 1))

    def no_format(desc, arrays):
        del desc["binsparse"]["format"]

    add("custom-without-format", _raw(T3, (csf, None), no_format), T3)

    def format_custom_alias(desc, arrays):
        desc["binsparse"]["custom"] = {"level": {"level_desc": "dense", "rank": 1, "level": {
            "level_desc": "sparse", "rank": 1, "level": {"level_desc": "element"}}}, "transpose": [1, 0]}
        desc["binsparse"]["format"] = "custom"

    add("format-custom-for-CSC", _raw(A, "CSC", format_custom_alias), A)

    def alias_plus_custom(desc, arrays):
        desc["binsparse"]["custom"] = {"level": {"level_desc": "sparse", "rank": 2, "level": {"level_desc": "element"}}}

    add("COOR-plus-custom", _raw(A, "COOR", alias_plus_custom), A)

    def format_dict_custom(desc, arrays):
        inner = desc["binsparse"]
        inner["format"] = {"custom": inner.pop("custom")}

    add("format-dict-custom-3d-COO", _raw(T3, ((Level("sparse", 3),), None), format_dict_custom), T3)

    def bool_type(desc, arrays):
        desc["binsparse"]["data_types"]["values"] = "bool"
        arrays["values"] = arrays["values"].view(np.bool_)

    B = A != 0
    add("bool-type-string", _raw(B, "CSR", bool_type), B)

    def bint8_as_bool_array(desc, arrays):
        arrays["values"] = arrays["values"].view(np.bool_)

    add("bint8-bool-array", _raw(B, "CSR", bint8_as_bool_array), B)
    C = _dense_of("complex[float64]")
    add("complex-native-dtype", _ref(C, "CSR", complex_layout="native"), C)
    F = np.where(A == 0, 2.0, A)

    def fill_first(desc, arrays):
        dt = desc["binsparse"]["data_types"]
        desc["binsparse"]["data_types"] = {"fill_value": dt.pop("fill_value"), **dt}

    add("fill_value-listed-first", _raw(F, "CSR", fill_first, {"fill_value": 2.0}), F)
    add("attributes-key", _raw(A, "CSR", _set(("binsparse", "attributes"), {"number_of_diagonal_elements": 1})), A)
    v = np.array([0.0, 1.5, 0.0, -2.0])

    def cvec_custom(desc, arrays):
        desc["binsparse"]["format"] = "custom"
        desc["binsparse"]["custom"] = {"level": {"level_desc": "sparse", "rank": 1, "level": {"level_desc": "element"}}}

    add("CVEC-as-custom-sparse1", _raw(v, "CVEC", cvec_custom), v)

    def one_d_csr(desc, arrays):
        inner = desc["binsparse"]
        inner["format"] = "CSR"
        n = arrays["indices_0"].shape[0]
        arrays["pointers_to_1"] = np.array([0, n], dtype=np.int64)
        arrays["indices_1"] = arrays.pop("indices_0")
        inner["data_types"] = {"pointers_to_1": "int64", "indices_1": inner["data_types"]["indices_0"],
                               "values": inner["data_types"]["values"]}

    add("1-D-labelled-CSR", _raw(v, "CVEC", one_d_csr), v)

    def stacked(desc, arrays):
        inner = desc["binsparse"]
        n = arrays["indices_0"].shape[0]
        arrays["indices_1"] = np.stack([arrays.pop("indices_0"), arrays["indices_1"]])
        arrays["pointers_to_1"] = np.array([0, n], dtype=np.uint64)
        inner["data_types"] = {"pointers_to_1": "uint64", "indices_1": "int64", "values": "float64"}

    add("stacked-COO-dummy-pointers", _raw(A, "COOR", stacked), A)

    def old_keys(desc, arrays):
        inner = desc["binsparse"]
        inner["custom"] = {"tensor": {"level_kind": "dense", "rank": 1, "level": {
            "level_kind": "sparse", "rank": 1, "level": {"level_kind": "element"}}}}

    add("pre-2025-tensor-level_kind", _raw(A, "CSR", old_keys), A)
    scalar = np.array(4.25)
    add("0-d-root-element", _ref(scalar, ((), None)), scalar)
    return cases


def _hostile_cases() -> list[ConsumerCase]:
    cases: list[ConsumerCase] = []
    V = (ValueError,)

    def add(name, mutate, raises=V, fmt="CSR", dense=A, check="consumer.hostile", accept=False, kw=None):
        cases.append(ConsumerCase(check, name, lambda: raw_from_reference(ReferenceArray(dense, fmt, **(kw or {})),
                                                                          mutate, request=None), None, raises,
                                  accept_result=accept))

    def arr(key, fn):
        def mutate(desc, arrays):
            arrays[key] = fn(arrays[key])
        return mutate

    add("values-too-short", arr("values", lambda a: a[:-1]))
    add("pointers-too-long", arr("pointers_to_1", lambda a: np.append(a, a[-1])))
    add("CSC-2x3-pointers-of-CSR", arr("pointers_to_1", lambda a: a[:3]), fmt="CSC", dense=A[:2, :3])
    add("index-out-of-range", arr("indices_1", lambda a: np.where(a == a.max(), A.shape[1], a)))
    add("index-negative", arr("indices_1", lambda a: np.where(a == a.max(), -1, a)))
    add("pointers-not-starting-at-0", arr("pointers_to_1", lambda a: a + 1))
    add("pointers-decreasing", arr("pointers_to_1", lambda a: np.array([0, 3, 2, 5], a.dtype)))
    add("pointers-end-not-nnz", arr("pointers_to_1", lambda a: np.append(a[:-1], a[-1] - 1)))
    add("COOR-index-out-of-range", arr("indices_0", lambda a: a + 3), fmt="COOR")

    def unsorted_dup(desc, arrays):  # §13 row 14: an unsorted CSR row with a duplicate
        arrays["indices_1"] = np.array([2, 0, 0, 0, 3], arrays["indices_1"].dtype)

    add("unsorted-with-duplicate", unsorted_dup)

    def unsorted(desc, arrays):  # row 0 stores columns [2, 0]: unambiguous but not canonical
        arrays["indices_1"] = np.array([2, 0, 0, 1, 3], arrays["indices_1"].dtype)
        arrays["values"] = np.array([2.0, 1.0, 3.0, 4.0, 5.0])

    add("unsorted-unique", unsorted, accept=True)

    def drop_values(desc, arrays):
        del arrays["values"]

    add("array-missing-for-data_types-key", drop_values)

    def extra_key(desc, arrays):
        del desc["binsparse"]["data_types"]["values"]

    add("data_types-missing-values", extra_key)
    add("index-float64", lambda d, a: (a.__setitem__("indices_1", a["indices_1"].astype(np.float64)),
                                       d["binsparse"]["data_types"].__setitem__("indices_1", "float64")))
    add("values-type-mismatch", _set(("binsparse", "data_types", "values"), "int16"))
    add("nnz-wrong", _set(("binsparse", "number_of_stored_values"), 99))
    add("version-2.0", _set(("binsparse", "version"), "2.0"), raises=(ValueError, TypeError))
    add("unknown-type-string-float16", lambda d, a: (a.__setitem__("values", a["values"].astype(np.float16)),
                                                     d["binsparse"]["data_types"].__setitem__("values", "float16")),
        raises=(ValueError, TypeError))

    def bsr(desc, arrays):  # §13 row 12
        desc["binsparse"]["format"] = "BSR"
        arrays["values"] = arrays["values"].reshape(-1, 1, 1)

    add("BSR", bsr, raises=(TypeError, ValueError))
    dv = np.array([1.0, 2.0, 3.0])
    add("DVEC-shape-3x1", _set(("binsparse", "shape"), [3, 1]), fmt="DVEC", dense=dv)  # §13 row 19
    add("structure-on-non-square", _set(("binsparse", "structure"), "symmetric_lower"))
    S = np.tril(np.ones((3, 3)))
    add("hermitian-real-values", _set(("binsparse", "structure"), "hermitian_lower"), dense=S)
    add("symmetric_lower-entry-above-diagonal", _set(("binsparse", "structure"), "symmetric_lower"),
        dense=np.triu(np.ones((3, 3))))
    add("transpose-not-permutation", lambda d, a: d["binsparse"].update(
        format="custom", custom={"level": {"level_desc": "dense", "rank": 1, "level": {
            "level_desc": "sparse", "rank": 1, "level": {"level_desc": "element"}}}, "transpose": [0, 0]}))
    add("shape-negative", _set(("binsparse", "shape"), [-3, 4]))

    # exceptions raised by the producer must propagate with their type (binsparse-protocol §10.2)
    def raising(name, raises, **kw):
        cases.append(ConsumerCase("consumer.errors", name,
                                  lambda: raw_from_reference(ReferenceArray(A, "CSR"), request=None, **kw),
                                  None, raises))

    raising("__binsparse__-BufferError", (BufferError,), arrays_error=BufferError("planted export failure"))
    raising("__binsparse__-TypeError", (TypeError,), arrays_error=TypeError("planted unsupported format"))
    raising("__binsparse_descriptor__-BufferError", (BufferError,),
            descriptor_error=BufferError("planted export failure"))

    def dl_fail(desc, arrays):
        arrays["indices_1"] = Constituent(arrays["indices_1"], fail=BufferError("planted __dlpack__ failure"))

    cases.append(ConsumerCase("consumer.errors", "__dlpack__-BufferError",
                              lambda: raw_from_reference(ReferenceArray(A, "CSR"), dl_fail, request=None), None,
                              (BufferError,)))
    return cases


def consumer_cases() -> list[ConsumerCase]:
    """Every case ``check_consumer`` runs (valid, lenient, hostile), for the pytest plugin and for filtering."""
    return _valid_cases() + _lenient_cases() + _hostile_cases()


def default_to_dense(x: object) -> np.ndarray:
    """A consumer's result as a dense NumPy array: ``toarray()``, ``todense()``, the protocol itself, or asarray."""
    if hasattr(x, "toarray"):
        return np.asarray(x.toarray())
    if hasattr(x, "todense"):
        return np.asarray(x.todense())
    if hasattr(x, "__binsparse__"):
        return decode(x.__binsparse_descriptor__(), x.__binsparse__())
    return np.asarray(x)


def _names(types: tuple[type[BaseException], ...]) -> str:
    return " or ".join(t.__name__ for t in types)


def run_consumer_case(from_binsparse: Callable, case: ConsumerCase,
                      to_dense: Callable[[object], np.ndarray] = default_to_dense) -> tuple[str, str]:
    """Run one case in this process; returns (status, reason)."""
    producer = case.make()
    try:
        result = from_binsparse(producer)
    except Exception as e:  # noqa: BLE001 - any exception type is judged below
        err = f"{type(e).__name__}: {e}"
        if case.raises:
            if isinstance(e, case.raises):
                return PASS, ""
            if isinstance(e, TypeError):  # the draft's "unsupported" answer, given before validating
                return UNSUPPORTED, f"raised {err} (unsupported) instead of validating; expected {_names(case.raises)}"
            return FAIL, f"raised {err}; expected {_names(case.raises)}"
        if isinstance(e, TypeError):
            return UNSUPPORTED, f"TypeError: {e}"
        if case.lenient and isinstance(e, ValueError):
            return UNSUPPORTED, f"ValueError on a lenient variant: {e}"
        return FAIL, f"raised {err} on valid input"
    if case.raises and not case.accept_result:
        return FAIL, f"returned a {type(result).__name__}; expected {_names(case.raises)}"
    try:
        got = to_dense(result)
    except Exception as e:  # noqa: BLE001
        return FAIL, f"result could not be densified: {type(e).__name__}: {e}"
    exp = case.expected
    if exp is None:  # accept_result: the producer's own data, read leniently
        exp = decode(producer.__binsparse_descriptor__(), producer.__binsparse__(), strict=False)
    if got.shape != exp.shape:
        return FAIL, f"result shape {got.shape}, expected {exp.shape}"
    if got.dtype != exp.dtype:
        return FAIL, f"result dtype {got.dtype}, expected {exp.dtype}"
    if not np.array_equal(got, exp):
        bad = np.argwhere(got != exp)
        i = tuple(int(x) for x in bad[0])
        return FAIL, f"result[{i}] = {got[i].item()!r}, expected {exp[i].item()!r} ({len(bad)} entries differ)"
    return PASS, ""


def _run_isolated(from_binsparse, case, to_dense, timeout: float) -> tuple[str, str]:
    """Run a case in a forked child, so that a crashing consumer is reported instead of killing the kit."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        try:
            out = run_consumer_case(from_binsparse, case, to_dense)
        except BaseException as e:  # noqa: BLE001
            out = (FAIL, f"the kit's comparison raised {type(e).__name__}: {e}")
        try:
            os.write(w, pickle.dumps(out))
        finally:
            os._exit(0)
    os.close(w)
    data = b""
    ready, _, _ = select.select([r], [], [], timeout)
    if ready:
        while chunk := os.read(r, 65536):
            data += chunk
    else:
        os.kill(pid, signal.SIGKILL)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if data:
        return pickle.loads(data)
    if os.WIFSIGNALED(status):
        return FAIL, f"the consumer crashed the process (signal {os.WTERMSIG(status)}); it must raise instead"
    return FAIL, f"the consumer ended the process (status {status}) or hung past {timeout}s"


def check_consumer(from_binsparse: Callable, *, to_dense: Callable[[object], np.ndarray] = default_to_dense,
                   isolate: str = "hostile", timeout: float = 60.0) -> Report:
    """Check a library's ``from_binsparse``: correct matrices, documented exceptions, no crash.

    ``isolate``: ``"hostile"`` (default) runs malformed-producer cases in a forked child process where ``os.fork``
    exists, ``"all"`` runs every case so, ``"none"`` runs all in-process.
    """
    report = Report("check_consumer report")
    can_fork = hasattr(os, "fork")
    for case in consumer_cases():
        iso = can_fork and (isolate == "all" or (isolate == "hostile" and bool(case.raises)))
        if iso:
            status, reason = _run_isolated(from_binsparse, case, to_dense, timeout)
        else:
            status, reason = run_consumer_case(from_binsparse, case, to_dense)
        if status == FAIL:
            reason = f"{reason}; rule: {CHECKS[case.check]}"
        report.add(case.check, case.name, status, reason)
    return report


def reference_consumer(x: object) -> np.ndarray:
    """A correct consumer built on the kit's decoder: strict reading plus the lenient variants of §11."""
    desc = x.__binsparse_descriptor__()
    return decode(desc, x.__binsparse__(), strict=False, canonical=True)
