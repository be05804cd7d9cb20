"""``check_producer``: does a library's ``__binsparse_descriptor__`` / ``__binsparse__`` follow the strict form?"""

from __future__ import annotations

import copy as _copy
import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from .codec import DecodeError, decode_parsed, encode, import_array, stored_entries
from .formats import MATRIX_FORMATS, PREDEFINED, VECTOR_FORMATS, Descriptor, DescriptorError, parse_descriptor
from .report import FAIL, PASS, UNSUPPORTED, Report

DEVICE_NAMES = {"cpu": (1, 0), "cuda": (2, 0)}


@dataclass
class ProducerCase:
    """One call of ``make``: the dense matrix, the format name, and extra keyword arguments for ``make``."""

    name: str
    dense: np.ndarray
    format: str
    kwargs: dict = field(default_factory=dict)
    request: bool = False
    device: object = None

    @property
    def id(self) -> str:
        """A stable id, e.g. ``CSR-2x3-float64``."""
        return f"{self.format}-{self.name}" + (f"-{self.device}" if self.device is not None else "")


def _matrices() -> list[tuple[str, np.ndarray, dict, bool]]:
    a23 = np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.0]])
    a33 = np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 0.0], [4.0, 5.0, 0.0]])  # empty row, not symmetric
    ez = np.array([[0.0, 6.0, 0.0], [7.0, 0.0, 0.0], [0.0, 0.0, 8.0]])
    ez_stored = ez != 0
    ez_stored[0, 0] = ez_stored[2, 1] = True  # explicit zeros, for a make() that accepts ``stored=``
    big = np.arange(1, 301, dtype=np.float64).reshape(20, 15)  # nnz = 300 > 255 (§13 row 11)
    out = [
        ("2x3", a23, {}, True),
        ("3x2", a23.T.copy() * 2, {}, False),
        ("3x3", a33, {}, True),
        ("0x3", np.zeros((0, 3)), {}, False),
        ("3x0", np.zeros((3, 0)), {}, False),
        ("0x0", np.zeros((0, 0)), {}, False),
        ("2x3-nnz0", np.zeros((2, 3)), {}, False),
        ("3x3-explicit-zeros", ez, {"stored": ez_stored}, False),
        ("20x15-nnz300", big, {}, False),
    ]
    for dt in ("float32", "int64", "int32", "uint8", "bool", "complex64", "complex128"):
        m = a33.astype(dt) if dt != "bool" else a33 != 0
        if dt.startswith("complex"):
            m = m + 1j * np.array([[0, 0, -1], [0, 0, 0], [2, 0, 0]], dtype=dt)
        out.append((f"3x3-{dt}", m, {}, False))
    filled = np.where(a33 == 0, 1.0, a33 + 1)
    out.append(("3x3-fill1", filled, {"fill_value": 1.0}, False))
    return out


def _vectors() -> list[tuple[str, np.ndarray, dict, bool]]:
    v = np.array([0.0, 1.0, 0.0, 2.0, 3.0])
    out = [
        ("5", v, {}, True),
        ("0", np.zeros(0), {}, False),
        ("4-nnz0", np.zeros(4), {}, False),
        ("300", np.arange(1, 301, dtype=np.float64), {}, False),
    ]
    for dt in ("float32", "int64", "uint8", "bool", "complex128"):
        out.append((f"5-{dt}", v.astype(dt) if dt != "bool" else v != 0, {}, False))
    out.append(("5-fill1", np.where(v == 0, 1.0, v + 1), {"fill_value": 1.0}, False))
    return out


def producer_cases(formats: Iterable[str] | None = None, devices: Iterable[object] | None = None
                   ) -> list[ProducerCase]:
    """Every case ``check_producer`` runs, for the pytest plugin and for filtering."""
    fmts = list(formats) if formats is not None else list(PREDEFINED)
    devs = list(devices) if devices is not None else [None]
    cases = []
    for fmt in fmts:
        if fmt not in PREDEFINED:
            raise ValueError(f"unknown format {fmt!r}; choose from {list(PREDEFINED)}")
        source = _vectors() if fmt in VECTOR_FORMATS else _matrices()
        for dev in devs:
            for name, dense, kw, req in source:
                cases.append(ProducerCase(name, dense, fmt, dict(kw), req, dev))
    return cases


def _accepts(make: Callable, name: str) -> bool:
    try:
        params = inspect.signature(make).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == name or p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


def _err(e: BaseException) -> str:
    return f"{type(e).__name__}: {e}"


def _arrays_equal(a: dict, b: dict) -> bool:
    if set(a) != set(b):
        return False
    for k in a:
        x, y = import_array(a[k]), import_array(b[k])
        if x.dtype != y.dtype or x.shape != y.shape or not np.array_equal(x, y):
            return False
    return True


def _same(dense: np.ndarray, got: np.ndarray) -> str | None:
    if got.shape != dense.shape:
        return f"decoded shape {got.shape} != {dense.shape}"
    if got.dtype != dense.dtype:
        return f"decoded dtype {got.dtype} != {dense.dtype} (values typed inconsistently)"
    if not np.array_equal(got, dense):
        bad = np.argwhere(got != dense)
        i = tuple(int(x) for x in bad[0])
        return f"decoded value at {i} is {got[i].item()!r}, expected {dense[i].item()!r} ({len(bad)} entries differ)"
    return None


def check_producer_case(make: Callable, case: ProducerCase, report: Report) -> None:
    """Run every producer check on one case, appending rows to ``report``."""
    cid = case.id
    kw = {}
    for k, v in case.kwargs.items():
        if k == "fill_value" and not _accepts(make, "fill_value"):
            report.add("roundtrip", cid, UNSUPPORTED, "make() takes no fill_value= keyword")
            return
        if k == "stored" and not _accepts(make, "stored"):
            continue  # the case still runs, without forcing explicit zeros
        kw[k] = v
    if case.device is not None:
        if not _accepts(make, "device"):
            report.add("roundtrip", cid, UNSUPPORTED, "make() takes no device= keyword")
            return
        kw["device"] = case.device
    dense = case.dense
    try:
        obj = make(dense.copy(), case.format, **kw)
    except TypeError as e:
        report.add("roundtrip", cid, UNSUPPORTED, f"make raised {_err(e)}")
        return
    except Exception as e:  # noqa: BLE001 - the kit reports any failure of the library under test
        report.add("errors", cid, FAIL, f"make raised {_err(e)}; unsupported combinations must raise TypeError "
                   "(issue 8)")
        return

    # errors: both methods succeed, or both fail with the same TypeError/BufferError (§13 row 15)
    outcome = []
    for call in (lambda: obj.__binsparse_descriptor__(), lambda: obj.__binsparse__()):
        try:
            outcome.append((call(), None))
        except Exception as e:  # noqa: BLE001
            outcome.append((None, e))
    (raw, de), (arrs, ae) = outcome
    if de is not None or ae is not None:
        td, ta = type(de) if de else None, type(ae) if ae else None
        if td is ta and issubclass(td, (TypeError, BufferError)):
            report.add("errors", cid, PASS)
            report.add("roundtrip", cid, UNSUPPORTED, f"both methods raise {td.__name__}: {de}")
        else:
            report.add("errors", cid, FAIL, f"__binsparse_descriptor__ -> {_err(de) if de else 'ok'}, __binsparse__ -> "
                       f"{_err(ae) if ae else 'ok'}: both must fail with the same TypeError or BufferError "
                       "(binsparse-protocol §10.2, §13 row 15)")
        return
    report.add("errors", cid, PASS)

    # wrapper, version, data_types keys: read from the raw objects
    if not isinstance(arrs, dict):
        report.add("descriptor.data_types_keys", cid, FAIL, f"__binsparse__() returned {type(arrs).__name__}, not "
                   "a dict (binsparse-protocol §10.1)")
        return
    inner = raw.get("binsparse") if isinstance(raw, dict) else None
    if not isinstance(inner, dict):
        report.add("descriptor.wrapper", cid, FAIL, "descriptor is not a dict {'binsparse': {...}} (binsparse spec "
                   "§3; binsparse-protocol §10.1, §12 rule 1)")
        inner = raw if isinstance(raw, dict) else {}
    ver = inner.get("version")
    report.add("descriptor.version", cid, PASS if ver == "0.1" else FAIL,
               "" if ver == "0.1" else f"version {ver!r}; the only 0.1 version string is '0.1' (binsparse spec §3; "
               "binsparse-protocol §12 rule 2, §13 row 7)")
    dt = inner.get("data_types")
    if isinstance(dt, dict) and set(dt) == set(arrs):
        report.add("descriptor.data_types_keys", cid, PASS)
    else:
        got = sorted(dt) if isinstance(dt, dict) else dt
        report.add("descriptor.data_types_keys", cid, FAIL, f"data_types keys {got} != __binsparse__() keys "
                   f"{sorted(arrs)} (binsparse-protocol §10.1, §12 rule 14)")

    # the object's own attributes, where it has them
    diffs = _attribute_disagreements(obj, inner, arrs)
    if diffs is not None:
        report.add("descriptor.attributes", cid, FAIL if diffs else PASS,
                   "; ".join(diffs) + (" (the descriptor must describe the object itself)" if diffs else ""))

    # dlpack
    devices, proto_err = set(), None
    for k, c in arrs.items():
        try:
            cap = c.__dlpack__(max_version=(1, 0), stream=None)
            if type(cap).__name__ != "PyCapsule":
                raise TypeError(f"returned {type(cap).__name__}, not a capsule")
            dev = tuple(c.__dlpack_device__())
            if len(dev) != 2:
                raise TypeError(f"__dlpack_device__ returned {dev!r}")
            devices.add(dev)
        except Exception as e:  # noqa: BLE001
            proto_err = proto_err or f"constituent {k!r}: {_err(e)}"
    report.add("dlpack.protocol", cid, PASS if proto_err is None else FAIL,
               "" if proto_err is None else f"{proto_err} (DLPack python_spec; binsparse-protocol §15)")
    want = case.device
    if isinstance(want, str):
        want = DEVICE_NAMES.get(want.split(":")[0], None)
    if len(devices) > 1:
        report.add("dlpack.device", cid, FAIL, f"constituents on different devices {sorted(devices)} "
                   "(binsparse-protocol §10.4, §12 rule 14)")
    elif want is not None and devices and tuple(devices)[0][0] != want[0]:
        report.add("dlpack.device", cid, FAIL, f"constituents on {sorted(devices)}, asked for {case.device!r}")
    elif devices:
        report.add("dlpack.device", cid, PASS)

    # wrapper notes, format, type strings, nnz, canonical, roundtrip: need a (lenient) parse and decode
    try:
        desc = parse_descriptor(raw, strict=False)
    except (DescriptorError, TypeError) as e:
        check = getattr(e, "check", "descriptor.format")
        report.add(check, cid, FAIL, f"{e}; later checks skipped")
        return
    wrapper_notes = [m for c, m in desc.notes if c == "descriptor.wrapper"]
    if isinstance(inner, dict) and raw.get("binsparse") is inner:
        report.add("descriptor.wrapper", cid, FAIL if wrapper_notes else PASS, "; ".join(wrapper_notes))
    def notes(check: str) -> list[str]:
        return list(dict.fromkeys(m for c, m in desc.notes if c == check))

    label = [] if desc.format == case.format else [
        f"asked for {case.format}, labelled {desc.format}; make() must return the requested format or raise "
        "TypeError (binsparse-protocol §10.2, §13 row 3)"]
    try:
        np_arrays = {k: import_array(arrs[k]) for k in desc.data_types if k in arrs}
        walked = stored_entries(desc, np_arrays, strict=False, trust_values=True)
        entries = walked[0]
        got = decode_parsed(desc, np_arrays, strict=False, entries=walked)
    except (DescriptorError, DecodeError, BufferError, RuntimeError, TypeError, ValueError) as e:
        check = getattr(e, "check", "roundtrip")
        fmt_notes = notes("descriptor.format") + label
        if check == "descriptor.format":
            fmt_notes.append(str(e))
        if fmt_notes:
            report.add("descriptor.format", cid, FAIL, "; ".join(fmt_notes))
        if check not in ("descriptor.format", "roundtrip"):
            report.add(check, cid, FAIL, f"cannot decode: {e}")
        report.add("roundtrip", cid, FAIL, f"cannot decode: {e}")
        return

    fmt_notes = notes("descriptor.format") + label
    report.add("descriptor.format", cid, FAIL if fmt_notes else PASS, "; ".join(fmt_notes))
    tn = notes("descriptor.type_strings")
    report.add("descriptor.type_strings", cid, FAIL if tn else PASS, "; ".join(tn))
    nnz = len(entries)
    if desc.nnz == nnz:
        report.add("descriptor.nnz", cid, PASS)
    else:
        report.add("descriptor.nnz", cid, FAIL, f"number_of_stored_values = {desc.nnz!r} but the arrays store {nnz} "
                   "entries (binsparse spec §3; binsparse-protocol §8)")
    cn = notes("canonical")
    report.add("canonical", cid, FAIL if cn else PASS, "; ".join(cn))
    problem = _same(dense, got)
    report.add("roundtrip", cid, PASS if problem is None else FAIL,
               "" if problem is None else f"{problem} (binsparse spec §4–§7; binsparse-protocol §13 rows 1–4)")

    # consistency
    try:
        raw2, arrs2 = obj.__binsparse_descriptor__(), obj.__binsparse__()
        same = raw2 == raw and _arrays_equal(arrs, arrs2)
        report.add("consistency", cid, PASS if same else FAIL,
                   "" if same else "a second call returned a different descriptor or arrays (binsparse-protocol §10.3)")
    except Exception as e:  # noqa: BLE001
        report.add("consistency", cid, FAIL, f"second call raised {_err(e)} (binsparse-protocol §10.3)")

    if case.request:
        _check_requests(obj, case, desc, raw, report)


_ATTR_FORMATS = {"csr": "CSR", "csc": "CSC", "coo": "COO"}


def _attribute_disagreements(obj, inner: dict, arrs: dict) -> list[str] | None:
    """Where the descriptor contradicts ``obj``'s own ``shape``, ``nnz``, ``dtype``, ``fill_value`` and
    ``format`` attributes (those it has); ``None`` when it has none of them."""
    out: list[str] = []
    seen = False
    shape = getattr(obj, "shape", None)
    if isinstance(shape, tuple) or type(shape).__name__ == "Size":
        seen = True
        if list(inner.get("shape", [])) != [int(s) for s in shape]:
            out.append(f"shape {inner.get('shape')!r} but the object's shape is {tuple(int(s) for s in shape)}")
    nnz = getattr(obj, "nnz", None)
    if isinstance(nnz, (int, np.integer)):
        seen = True
        got = inner.get("number_of_stored_values")
        if got != int(nnz):
            out.append(f"number_of_stored_values {got!r} but the object's nnz is {int(nnz)}")
    try:
        dtype = np.dtype(getattr(obj, "dtype"))
    except (TypeError, AttributeError):
        dtype = None
    if dtype is not None:
        seen = True
        want = {"bool": "bint8", "complex64": "complex[float32]", "complex128": "complex[float64]"}.get(
            dtype.name, dtype.name)
        vt = inner.get("data_types", {}).get("values") if isinstance(inner.get("data_types"), dict) else None
        if isinstance(vt, str) and vt.startswith("iso[") and vt.endswith("]"):
            vt = vt[4:-1]
        if vt != want:
            out.append(f"values type {vt!r} but the object's dtype is {dtype.name}")
    if hasattr(obj, "fill_value"):
        seen = True
        try:
            fill = np.asarray(obj.fill_value).reshape(-1)[:1]
        except Exception:  # noqa: BLE001
            fill = None
        has_fill = bool(inner.get("fill", False))
        if fill is not None and fill.size and fill[0] != 0 and not has_fill:
            out.append(f"no fill in the descriptor but the object's fill_value is {fill[0]!r}")
        elif has_fill and fill is not None and "fill_value" in arrs:
            try:
                theirs = import_array(arrs["fill_value"]).reshape(-1)[:1]
                if theirs.tolist() != fill.tolist():
                    out.append(f"fill_value array {theirs.tolist()} but the object's fill_value is {fill.tolist()}")
            except Exception as e:  # noqa: BLE001
                out.append(f"fill_value array unreadable: {_err(e)}")
    fmt = getattr(obj, "format", None)
    if isinstance(fmt, str) and fmt in _ATTR_FORMATS:
        seen = True
        got = inner.get("format")
        got = {"COOR": "COO"}.get(got, got) if isinstance(got, str) else got
        if got != _ATTR_FORMATS[fmt]:
            out.append(f"format {inner.get('format')!r} but the object is {fmt}")
    return out if seen else None


def _check_requests(obj, case: ProducerCase, desc: Descriptor, raw: dict, report: Report) -> None:
    cid = case.id
    dense = case.dense
    ptr_dt = next((desc.data_types[k] for k in desc.pointer_names), None)
    idx_dt = next((desc.data_types[k] for k in desc.index_names), None)
    targets = VECTOR_FORMATS if dense.ndim == 1 else MATRIX_FORMATS
    supported_any = False
    for target in targets:
        req, _ = encode(dense, target, index_dtype=idx_dt or ptr_dt or "int64", pointer_dtype=ptr_dt or idx_dt,
                        value_type=desc.value_type.base, fill_value=case.kwargs.get("fill_value"))
        rid = f"{cid}->{target}"
        try:
            got = obj.__binsparse__(descriptor=_copy.deepcopy(req))
        except TypeError as e:
            report.add("request", rid, UNSUPPORTED, f"TypeError: {e}")
            continue
        except Exception as e:  # noqa: BLE001
            report.add("request", rid, FAIL, f"raised {_err(e)}; an unsupported request must raise TypeError "
                       "(binsparse-protocol §10.2)")
            continue
        supported_any = True
        if not isinstance(got, dict) or set(got) != set(req["binsparse"]["data_types"]):
            keys = sorted(got) if isinstance(got, dict) else type(got).__name__
            report.add("request", rid, FAIL, f"returned keys {keys} != requested data_types keys "
                       f"{sorted(req['binsparse']['data_types'])} (binsparse-protocol §10.1)")
            continue
        try:
            rdesc = parse_descriptor(req)
            out = decode_parsed(rdesc, {k: import_array(v) for k, v in got.items()}, strict=False)
            bad = [m for c, m in rdesc.notes if c == "canonical" or (c == "descriptor.type_strings" and "values" in m)]
            problem = "; ".join(bad) or _same(dense, out)
        except Exception as e:  # noqa: BLE001
            problem = f"cannot decode the returned arrays: {_err(e)}"
        report.add("request", rid, PASS if not problem else FAIL,
                   "" if not problem else f"{problem} (binsparse-protocol §10.2)")

    inner = raw["binsparse"] if isinstance(raw.get("binsparse"), dict) else raw
    bad_shape = _copy.deepcopy(inner)
    bad_shape["shape"] = [s + 1 for s in bad_shape.get("shape", [])]
    no_values = _copy.deepcopy(inner)
    no_values.get("data_types", {}).pop("values", None)
    for label, bad in (("shape differs from the array's", bad_shape), ("data_types lacks 'values'", no_values)):
        rid = f"{cid}: {label}"
        try:
            obj.__binsparse__(descriptor={"binsparse": bad})
        except ValueError:
            report.add("request.invalid", rid, PASS)
            continue
        except TypeError as e:
            if not supported_any:
                report.add("request.invalid", rid, UNSUPPORTED, f"requests not implemented (TypeError: {e})")
            else:
                report.add("request.invalid", rid, FAIL, f"invalid request ({label}) raised TypeError, not "
                           "ValueError (binsparse-protocol §10.2)")
            continue
        except Exception as e:  # noqa: BLE001
            report.add("request.invalid", rid, FAIL, f"invalid request ({label}) raised {_err(e)}, not ValueError "
                       "(binsparse-protocol §10.2)")
            continue
        report.add("request.invalid", rid, FAIL, f"invalid request ({label}) was accepted; it must raise ValueError "
                   "(binsparse-protocol §10.2)")


def check_producer(make: Callable, *, formats: Iterable[str] | None = None, devices: Iterable[object] | None = None
                   ) -> Report:
    """Check a library's producer side. ``make(dense, format)`` returns its sparse array or raises TypeError.

    ``make`` may also accept keywords: ``fill_value=`` (a non-zero fill; else fill cases are unsupported),
    ``stored=`` (a boolean mask of entries to store, so explicit zeros are exercised) and ``device=`` (one of
    ``devices``, e.g. ``"cpu"`` or ``"cuda:0"``; the constituents must then report that device type).
    """
    report = Report("check_producer report")
    for case in producer_cases(formats, devices):
        check_producer_case(make, case, report)
    return report
