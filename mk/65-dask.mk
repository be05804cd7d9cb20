# Beyond one process (issue 15; docs/python.md "Beyond one process"): sparsebridge.dask's
# serializers, dask arrays over binsparse HDF5, pickle-5 and sparsebridge.read/write. Their tests
# (tests/python/test_dask.py, test_pickle.py, test_files.py) run in py-test; dask and distributed
# come from requirements/dask.txt. Not in TEST_STEPS (timings belong to benchmarks):
#   bench-serialize  serialize + deserialize and a worker-to-worker transfer of a 1e7-nnz scipy
#                    CSR, against distributed's own path and plain pickle (benches/python/serialize.py)
SERIALIZE_NNZ ?= 1e7
SERIALIZE_REPS ?= 5

.PHONY: bench-serialize

## bench-serialize: release extension, then benches/python/serialize.py (prints a markdown table).
bench-serialize: PY_PROFILE = --release
bench-serialize: py-build
	$(VPY) benches/python/serialize.py --nnz $(SERIALIZE_NNZ) --reps $(SERIALIZE_REPS)
