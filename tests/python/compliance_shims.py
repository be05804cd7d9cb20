"""Producers for the compliance-kit tests: a thin, correct protocol shim over scipy.sparse, and one subclass per
known peer bug (binsparse-protocol §13). Written from the spec and scipy only; nothing here uses the kit's encoder.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def type_string(dtype: np.dtype) -> str:
    """Spec type string of a values dtype (binsparse-protocol §6)."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return "bint8"
    if dtype.kind == "c":
        return f"complex[float{dtype.itemsize * 4}]"
    return dtype.name


def storage(values: np.ndarray) -> np.ndarray:
    """Spec storage of a values array: bool as uint8, complex as interleaved floats (binsparse-protocol §12)."""
    values = np.ascontiguousarray(values)
    if values.dtype == np.bool_:
        return values.view(np.uint8)
    if values.dtype.kind == "c":
        return values.view(values.real.dtype)
    return values


class ScipyShim:
    """A correct ``__binsparse__`` shim around a scipy sparse array (CSR, CSC, COOR, COOC, CVEC, DMATR, DMATC,
    DVEC; DCSR/DCSC and fill values raise TypeError: scipy has neither)."""

    FORMATS = ("CSR", "CSC", "COOR", "COOC", "CVEC", "DMATR", "DMATC", "DVEC")

    def __init__(self, dense, fmt, *, stored=None, fill_value=None):
        if fmt not in self.FORMATS:
            raise TypeError(f"scipy.sparse cannot hold {fmt}")
        if fill_value is not None:
            raise TypeError("scipy.sparse has no fill value")
        dense = np.asarray(dense)
        self.fmt, self.shape, self.dense = fmt, dense.shape, dense
        if fmt in ("DMATR", "DMATC", "DVEC"):
            self.m = dense
            return
        mask = dense != 0 if stored is None else (np.asarray(stored) | (dense != 0))
        if fmt == "CVEC":
            (idx,) = np.nonzero(mask)
            self.m = sp.coo_array((dense[idx], (idx,)), shape=dense.shape)
            return
        r, c = np.nonzero(mask)
        coo = sp.coo_array((dense[r, c], (r, c)), shape=dense.shape)  # keeps explicit zeros
        self.m = {"CSR": coo.tocsr, "CSC": coo.tocsc, "COOR": lambda: coo, "COOC": lambda: coo.tocsc().tocoo()}[fmt]()

    # -- export ------------------------------------------------------------------------------------------------
    def export(self, fmt):
        """(arrays, nnz) of this matrix in ``fmt``, converting through scipy when needed."""
        if fmt in ("DMATR", "DVEC"):
            d = self.m if isinstance(self.m, np.ndarray) else self.m.toarray()
            return {"values": storage(d.reshape(-1))}, d.size
        if fmt == "DMATC":
            d = self.m if isinstance(self.m, np.ndarray) else self.m.toarray()
            return {"values": storage(d.T.reshape(-1))}, d.size
        m = self.m if not isinstance(self.m, np.ndarray) else sp.coo_array(self.m)
        if fmt == "CVEC":
            coo = sp.coo_array(m)
            coo.sum_duplicates()
            return {"indices_0": coo.coords[0], "values": storage(coo.data)}, coo.nnz
        if fmt in ("CSR", "CSC"):
            c = m.tocsr() if fmt == "CSR" else m.tocsc()
            c.sort_indices()
            return self.compressed(c), c.nnz
        if fmt == "COOR":
            c = m.tocsr()
            c.sort_indices()
            coo = c.tocoo()
            return {"indices_0": coo.row, "indices_1": coo.col, "values": storage(coo.data)}, coo.nnz
        if fmt == "COOC":
            c = m.tocsc()
            c.sort_indices()
            coo = c.tocoo()
            return {"indices_0": coo.col, "indices_1": coo.row, "values": storage(coo.data)}, coo.nnz
        raise TypeError(f"cannot convert to {fmt}")

    def compressed(self, c):
        """CSR/CSC arrays of a canonical scipy compressed matrix."""
        return {"pointers_to_1": c.indptr, "indices_1": c.indices, "values": storage(c.data)}

    def values_dtype(self):
        """The logical values dtype."""
        return self.dense.dtype

    def descriptor_for(self, fmt, arrays, nnz):
        """The wrapped strict descriptor of ``arrays``."""
        dt = {k: v.dtype.name for k, v in arrays.items() if k != "values"}
        dt["values"] = type_string(self.values_dtype())
        return {"binsparse": {"version": "0.1", "format": fmt, "shape": list(self.shape),
                              "number_of_stored_values": int(nnz), "data_types": dt},
                "original_source": "scipy shim"}

    def __binsparse_descriptor__(self):
        arrays, nnz = self.export(self.fmt)
        return self.descriptor_for(self.fmt, arrays, nnz)

    def __binsparse__(self, *, descriptor=None):
        if descriptor is None:
            return self.export(self.fmt)[0]
        inner = descriptor.get("binsparse") if isinstance(descriptor, dict) else None
        if not isinstance(inner, dict):
            raise ValueError("descriptor has no 'binsparse' object")
        if inner.get("shape") != list(self.shape):
            raise ValueError(f"requested shape {inner.get('shape')} != {list(self.shape)}")
        fmt = inner.get("format")
        if fmt not in self.FORMATS:
            raise TypeError(f"cannot produce format {fmt!r}")
        arrays, _ = self.export(fmt)
        want = inner.get("data_types")
        if not isinstance(want, dict) or set(want) != set(arrays):
            raise ValueError(f"data_types keys {want} do not match format {fmt}")
        if want["values"] != type_string(self.values_dtype()):
            raise TypeError(f"values type {want['values']} is not {type_string(self.values_dtype())}")
        return {k: (v if k == "values" else v.astype(want[k])) for k, v in arrays.items()}


def make_scipy(dense, fmt, *, stored=None):
    """``make`` for check_producer."""
    return ScipyShim(dense, fmt, stored=stored)


# -- one class per known peer bug (binsparse-protocol §13) ---------------------------------------------------------


class CsrBuffersAsCsc(ScipyShim):
    """Rows 1–2, producer side: the CSR buffers are exported under the name CSC (the [0,1] transpose bug)."""

    def export(self, fmt):
        if fmt == "CSC":
            c = sp.csr_array(self.m)
            c.sort_indices()
            return self.compressed(c), c.nnz
        return super().export(fmt)


class CoocLabelledCoor(ScipyShim):
    """Row 3: COOC arrays (indices_0 = columns) labelled COOR."""

    def __binsparse_descriptor__(self):
        d = super().__binsparse_descriptor__()
        if self.fmt == "COOC":
            d["binsparse"]["format"] = "COOR"
        return d


class FillLost(ScipyShim):
    """Row 4: accepts a fill value but exports without it (pydata/sparse PR)."""

    def __init__(self, dense, fmt, *, stored=None, fill_value=None):
        dense = np.asarray(dense)
        if fill_value is not None:
            stored = None
            dense = np.where(dense == fill_value, 0, dense).astype(dense.dtype)
        super().__init__(dense, fmt, stored=stored)


class NonCanonical(ScipyShim):
    """Row 5: CSR/CSC with each row's entries in reverse column order, still labelled CSR/CSC."""

    def compressed(self, c):
        idx, data = c.indices.copy(), c.data.copy()
        for i in range(len(c.indptr) - 1):
            lo, hi = c.indptr[i], c.indptr[i + 1]
            idx[lo:hi], data[lo:hi] = idx[lo:hi][::-1], data[lo:hi][::-1]
        return {"pointers_to_1": c.indptr, "indices_1": idx, "values": storage(data)}


class OneDLabelledCsr(ScipyShim):
    """Row 6: a 1-D sparse array exported as "CSR" with shape [n] and pointers_to_1 = [0, nnz]."""

    def export(self, fmt):
        if fmt == "CVEC":
            arrays, nnz = super().export(fmt)
            ind = arrays.pop("indices_0")
            return {"pointers_to_1": np.array([0, nnz], dtype=ind.dtype), "indices_1": ind,
                    "values": arrays["values"]}, nnz
        return super().export(fmt)

    def __binsparse_descriptor__(self):
        d = super().__binsparse_descriptor__()
        if self.fmt == "CVEC":
            d["binsparse"]["format"] = "CSR"
        return d


class Version010(ScipyShim):
    """Row 7: writes version "0.1.0" (PyPI binsparse 0.1.4), which Finch rejects."""

    def descriptor_for(self, fmt, arrays, nnz):
        d = super().descriptor_for(fmt, arrays, nnz)
        d["binsparse"]["version"] = "0.1.0"
        return d


class BoolTypeString(ScipyShim):
    """Row 8 / §11: booleans labelled "bool" and exported as a bool array."""

    def descriptor_for(self, fmt, arrays, nnz):
        d = super().descriptor_for(fmt, arrays, nnz)
        if self.values_dtype() == np.bool_:
            d["binsparse"]["data_types"]["values"] = "bool"
        return d

    def export(self, fmt):
        arrays, nnz = super().export(fmt)
        if self.values_dtype() == np.bool_:
            arrays["values"] = arrays["values"].view(np.bool_)
        return arrays, nnz


class ComplexMislabelled(ScipyShim):
    """Complex typed inconsistently: a complex-dtype values array labelled with its real float type."""

    def descriptor_for(self, fmt, arrays, nnz):
        d = super().descriptor_for(fmt, arrays, nnz)
        if self.values_dtype().kind == "c":
            d["binsparse"]["data_types"]["values"] = f"float{np.dtype(self.values_dtype()).itemsize * 4}"
        return d

    def export(self, fmt):
        arrays, nnz = super().export(fmt)
        if self.values_dtype().kind == "c":
            arrays["values"] = arrays["values"].view(self.values_dtype())
        return arrays, nnz


class SwappedIndexLabels(ScipyShim):
    """Row 10: int64 pointers and int32 indices, with their dtype labels swapped in data_types."""

    def compressed(self, c):
        return {"pointers_to_1": c.indptr.astype(np.int64), "indices_1": c.indices.astype(np.int32),
                "values": storage(c.data)}

    def descriptor_for(self, fmt, arrays, nnz):
        d = super().descriptor_for(fmt, arrays, nnz)
        dt = d["binsparse"]["data_types"]
        if "pointers_to_1" in dt:
            dt["pointers_to_1"], dt["indices_1"] = dt["indices_1"], dt["pointers_to_1"]
        return d


class Uint8Pointers(ScipyShim):
    """Row 11: pointers typed uint8 (chosen from the shape, not from nnz), so they overflow for nnz = 300."""

    def compressed(self, c):
        arrays = super().compressed(c)
        if len(c.indptr) < 256:
            arrays["pointers_to_1"] = c.indptr.astype(np.uint8)
        return arrays


class BsrExport(ScipyShim):
    """Row 12: a block array exported as "BSR" with a 3-D values array."""

    def export(self, fmt):
        if fmt == "CSR":
            b = sp.bsr_array(self.m, blocksize=(1, 1))
            return {"pointers_to_1": b.indptr, "indices_1": b.indices, "values": b.data}, b.nnz
        return super().export(fmt)

    def __binsparse_descriptor__(self):
        d = super().__binsparse_descriptor__()
        if self.fmt == "CSR":
            d["binsparse"]["format"] = "BSR"
        return d


class DokLike:
    """Row 15: a DOK array: __binsparse__ raises TypeError but __binsparse_descriptor__ NotImplementedError."""

    def __binsparse_descriptor__(self):
        raise NotImplementedError("DOK has no binsparse descriptor")

    def __binsparse__(self, *, descriptor=None):
        raise TypeError("DOK cannot be exported")


def make_dok_for_dcsr(dense, fmt, *, stored=None):
    """scipy shim, except that DCSR/DCSC give a DOK-like object instead of raising TypeError."""
    if fmt in ("DCSR", "DCSC"):
        return DokLike()
    return ScipyShim(dense, fmt, stored=stored)


class ExtraArrayKey(ScipyShim):
    """data_types keys not matching returned keys: __binsparse__() also returns an undeclared "nnz" array."""

    def __binsparse__(self, *, descriptor=None):
        arrays = super().__binsparse__(descriptor=descriptor)
        if descriptor is None:
            arrays = dict(arrays, nnz=np.array([self.__binsparse_descriptor__()["binsparse"]
                                                ["number_of_stored_values"]], dtype=np.int64))
        return arrays
