#!/usr/bin/env python3
"""NVRTC + ptxas check of every kernels/*.cu for sm_75, sm_80 and sm_90 (`make kernels-check`).

Compiles each file with NVRTC (the pinned 13.0.x wheels, loaded from this interpreter's site-packages),
writes the PTX to target/kernels-ptx/<file>.sm_<arch>.ptx (the emulator test loads these), assembles
it with ptxas -v and prints registers, shared memory and spill bytes per kernel. Fails on any NVRTC
or ptxas warning, any spill, or any difference between the PTX entry points and kernels/kernels.def.

Without the wheels it prints the reason and exits 0, or 1 when SPARSEBRIDGE_REQUIRE_CUDA_TOOLS=1.
"""
import ctypes
import os
import pathlib
import re
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
KERNELS = ROOT / "kernels"
OUT = ROOT / "target" / "kernels-ptx"
ARCHES = [75, 80, 90]
# Test-only kernels: planted bugs (PTX for the emulator test) and the shim self-test (kept valid CUDA).
EXTRA_SOURCES = [KERNELS / "tests" / "planted_bugs.cu", KERNELS / "tests" / "shim_selftest.cu"]


def skip(reason):
    if os.environ.get("SPARSEBRIDGE_REQUIRE_CUDA_TOOLS") == "1":
        print(f"kernels-check: FAILED: {reason} (SPARSEBRIDGE_REQUIRE_CUDA_TOOLS=1)", file=sys.stderr)
        sys.exit(1)
    print(f"kernels-check: SKIPPED: {reason}")
    sys.exit(0)


def find_cuda():
    try:
        import nvidia  # noqa: PLC0415  (namespace package of the NVIDIA wheels)
    except ImportError:
        skip(f"no NVIDIA wheels in {sys.executable}'s environment (make cuda-tools)")
    for base in nvidia.__path__:
        nv = pathlib.Path(base) / "cu13"
        if (nv / "lib" / "libnvrtc.so.13").exists() and (nv / "bin" / "ptxas").exists():
            return nv
    skip("nvidia/cu13 with libnvrtc.so.13 and ptxas not found (make cuda-tools)")
    return None


class Nvrtc:
    def __init__(self, nv):
        lib = nv / "lib"
        # libnvrtc 13.0.88 has no RPATH: preload the builtins by absolute path (gpu-without-a-gpu.md §3).
        for builtins in sorted(lib.glob("libnvrtc-builtins.so.*")):
            ctypes.CDLL(str(builtins), mode=ctypes.RTLD_GLOBAL)
        self.lib = ctypes.CDLL(str(lib / "libnvrtc.so.13"), mode=ctypes.RTLD_GLOBAL)
        major, minor = ctypes.c_int(), ctypes.c_int()
        self.lib.nvrtcVersion(ctypes.byref(major), ctypes.byref(minor))
        self.version = f"{major.value}.{minor.value}"
        self.lib.nvrtcGetErrorString.restype = ctypes.c_char_p

    def compile(self, src, name, opts):
        prog = ctypes.c_void_p()
        rc = self.lib.nvrtcCreateProgram(ctypes.byref(prog), src.encode(), name.encode(), 0, None, None)
        if rc != 0:
            raise RuntimeError(f"nvrtcCreateProgram: {self.lib.nvrtcGetErrorString(rc).decode()}")
        try:
            copts = (ctypes.c_char_p * len(opts))(*[o.encode() for o in opts])
            rc = self.lib.nvrtcCompileProgram(prog, len(opts), copts)
            size = ctypes.c_size_t()
            self.lib.nvrtcGetProgramLogSize(prog, ctypes.byref(size))
            log = ctypes.create_string_buffer(size.value)
            self.lib.nvrtcGetProgramLog(prog, log)
            log = log.value.decode(errors="replace").strip()
            if rc != 0:
                return None, log
            self.lib.nvrtcGetPTXSize(prog, ctypes.byref(size))
            ptx = ctypes.create_string_buffer(size.value)
            self.lib.nvrtcGetPTX(prog, ptx)
            return ptx.value.decode(), log
        finally:
            self.lib.nvrtcDestroyProgram(ctypes.byref(prog))


def def_names():
    names = {}
    for line in (KERNELS / "kernels.def").read_text().splitlines():
        m = re.match(r"SB_KERNEL\((\w+), (\w+)\)", line)
        if m:
            names[m.group(2)] = m.group(1)
    return names


INFO_FN = re.compile(r"Compiling entry function '(\w+)'|Function properties for (\w+)")
STACK = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
USED = re.compile(r"Used (\d+) registers")
SMEM = re.compile(r"(\d+) bytes smem")


def ptxas(nv, ptx_path, arch):
    cmd = [str(nv / "bin" / "ptxas"), f"-arch=sm_{arch}", "-v", "--warn-on-spills", "-o", os.devnull, str(ptx_path)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    text = p.stdout + p.stderr
    rows, cur = {}, None
    for line in text.splitlines():
        m = INFO_FN.search(line)
        if m:
            cur = m.group(1) or m.group(2)
            rows.setdefault(cur, {"regs": 0, "smem": 0, "spill": 0, "stack": 0})
            continue
        m = STACK.search(line)
        if m and cur:
            rows[cur]["stack"] = int(m.group(1))
            rows[cur]["spill"] = int(m.group(2)) + int(m.group(3))
        m = USED.search(line)
        if m and cur:
            rows[cur]["regs"] = int(m.group(1))
            m = SMEM.search(line)
            rows[cur]["smem"] = int(m.group(1)) if m else 0
    warnings = [l for l in text.splitlines() if "warning" in l.lower() or "error" in l.lower()]
    return p.returncode, rows, warnings, text


def main():
    nv = find_cuda()
    nvrtc = Nvrtc(nv)
    OUT.mkdir(parents=True, exist_ok=True)
    expected = def_names()
    sources = sorted(KERNELS.glob("*.cu")) + [p for p in EXTRA_SOURCES if p.exists()]
    failures, seen = [], {}
    t0 = time.time()
    print(f"kernels-check: NVRTC {nvrtc.version}, ptxas from {nv}")
    print(f"{'arch':<6} {'kernel':<28} {'regs':>4} {'smem':>6} {'stack':>5} {'spill':>5}")
    for src_path in sources:
        test_only = src_path.parent != KERNELS
        src = src_path.read_text()
        for arch in ARCHES:
            opts = [f"--gpu-architecture=compute_{arch}", "--std=c++17", f"--include-path={KERNELS}",
                    "--device-as-default-execution-space"]
            ptx, log = nvrtc.compile(src, src_path.name, opts)
            if ptx is None:
                failures.append(f"{src_path.name} sm_{arch}: NVRTC error:\n{log}")
                continue
            if log:
                failures.append(f"{src_path.name} sm_{arch}: NVRTC warnings:\n{log}")
            ptx_path = OUT / f"{src_path.stem}.sm_{arch}.ptx"
            ptx_path.write_text(ptx)
            entries = re.findall(r"\.entry\s+(\w+)\s*\(", ptx)
            rc, rows, warnings, text = ptxas(nv, ptx_path, arch)
            if rc != 0:
                failures.append(f"{src_path.name} sm_{arch}: ptxas failed:\n{text}")
            failures += [f"{src_path.name} sm_{arch}: ptxas: {w}" for w in warnings]
            for e in entries:
                r = rows.get(e)
                if r is None:
                    failures.append(f"{src_path.name} sm_{arch}: no ptxas report for {e}")
                    continue
                print(f"sm_{arch:<3} {e:<28} {r['regs']:>4} {r['smem']:>6} {r['stack']:>5} {r['spill']:>5}")
                if r["spill"] > 0:
                    failures.append(f"{e} sm_{arch}: {r['spill']} spill bytes")
                if not test_only:
                    seen[e] = src_path.stem
    if not failures:
        for name, stem in expected.items():
            if seen.get(name) != stem:
                failures.append(f"kernels.def lists {stem}:{name}, the PTX has it in {seen.get(name)}")
        for name in seen:
            if name not in expected:
                failures.append(f"{name} is in the PTX but not in kernels.def (scripts/kernels-gen-def.py)")
    dt = time.time() - t0
    if failures:
        print("\n".join(failures), file=sys.stderr)
        print(f"kernels-check: FAILED ({len(failures)} problems, {dt:.1f} s)", file=sys.stderr)
        return 1
    print(f"kernels-check: OK: {len(sources)} files x {len(ARCHES)} arches, {len(seen)} kernels, "
          f"no warnings, no spills ({dt:.1f} s); PTX in {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
