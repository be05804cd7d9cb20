"""memcheck smoke (`make valgrind-smoke`): every path where sparsebridge's native code touches
memory it did not allocate, or hands memory to others: DLPack import (zero-copy and copying),
export to NumPy and torch, conversions, canonicalisation, deleters, rejected imports."""

import gc

import numpy as np
import scipy.sparse as sp

import sparsebridge as sb

rng = np.random.default_rng(0)
m = sp.random_array((50, 40), density=0.1, format="csr", rng=rng)
dense = m.toarray()
for fmt in ["COOR", "COOC", "CSR", "CSC", "DCSR", "DCSC", "DMATR", "DMATC"]:
    a = sb.asarray(m).asformat(fmt, index_dtype="int64" if fmt.startswith("D") else None)
    cons = {k: np.from_dlpack(v) for k, v in a.__binsparse__().items()}
    assert np.array_equal(a.todense(), dense), fmt
    back = sb.from_binsparse(a)
    assert np.array_equal(sb.to_scipy(back).toarray(), dense), fmt
    del a, cons, back
# Non-canonical input, canonicalised by the engine.
coo = sp.coo_array((np.ones(6), (np.array([3, 1, 3, 0, 1, 3]), np.array([2, 0, 2, 1, 0, 2]))), shape=(4, 3))
assert np.array_equal(sb.asarray(coo).todense(), coo.toarray())
# Copies, device moves on the host, strided (copying) DLPack import.
a = sb.asarray(m, copy=True)
strided = sb.from_binsparse(
    type("P", (), {
        "__binsparse_descriptor__": lambda self: {"binsparse": {"version": "0.1", "format": "DVEC", "shape": [5],
                                                                "number_of_stored_values": 5,
                                                                "data_types": {"values": "float64"}}},
        "__binsparse__": lambda self, descriptor=None: {"values": np.arange(10.0)[::2]},
    })()
)
assert np.array_equal(strided.todense(), np.arange(10.0)[::2])
# A rejected import: out-of-range index.
bad = sp.csr_array((np.ones(1), np.array([7]), np.array([0, 1])), shape=(1, 3), copy=False)
try:
    sb.from_binsparse(type("Q", (), {
        "__binsparse_descriptor__": lambda self: sb.asarray(sp.csr_array((1, 3))).__binsparse_descriptor__() | {
            "binsparse": {**sb.asarray(sp.csr_array((1, 3))).__binsparse_descriptor__()["binsparse"],
                          "number_of_stored_values": 1}},
        "__binsparse__": lambda self, descriptor=None: {"pointers_to_1": bad.indptr.astype(np.int32),
                                                        "indices_1": bad.indices.astype(np.int32),
                                                        "values": bad.data},
    })())
    raise SystemExit("out-of-range index accepted")
except sb.errors.BinsparseError:
    pass
try:
    import torch

    t = sb.to_torch(sb.asarray(m))
    assert np.array_equal(t.to_dense().numpy(), dense)
    assert np.array_equal(sb.asarray(t).todense(), dense)
    del t
except ImportError:
    pass
del a, strided
gc.collect()
print("valgrind smoke: ok")
