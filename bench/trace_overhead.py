#!/usr/bin/python3
"""trace_overhead.py — what libheapscope-trace.so costs a traced program.

Usage: bench/trace_overhead.py [BUILDDIR]      (run by `make bench`)

Runs each program with and without the preload, alternating so that a busy
machine weighs on both alike, and prints the medians of wall time and of
CPU time (user + system of the child and its children, from wait4), with
the number of records its traces hold (gcc's include those of cc1 and as,
which write PATH.<pid>).  A measurement, never pass or fail.
"""
import glob
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time

PYTHON = "/usr/bin/python3"


def run_once(argv, env):
    """(wall ms, cpu ms) of one run of argv."""
    t0 = time.perf_counter()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(argv, env=env, stdout=null, stderr=null)
        _, status, ru = os.wait4(proc.pid, 0)
    wall = (time.perf_counter() - t0) * 1e3
    if status != 0:
        sys.exit(f"trace_overhead: {argv} failed ({status})")
    return wall, (ru.ru_utime + ru.ru_stime) * 1e3


def records(build, trace):
    """Records in trace and in the traces of the processes it started."""
    total = 0
    for path in glob.glob(glob.escape(trace) + "*"):
        out = subprocess.run([os.path.join(build, "heapscope"), "--headless", "--procs", "1",
                              "--workload", f"trace:file={path},speed=0"],
                             capture_output=True, text=True).stdout
        m = re.search(r"^trace [^:]*: (\d+) records", out, re.M)
        total += int(m.group(1)) if m else 0
    return total


def trace_bytes(trace):
    return sum(os.path.getsize(p) for p in glob.glob(glob.escape(trace) + "*"))


def row(build, lib, tmp, name, argv, runs):
    plain_env = dict(os.environ, LC_ALL="C")
    trace = os.path.join(tmp, "t.hst")
    traced_env = dict(plain_env, HEAPSCOPE_TRACE=trace, LD_PRELOAD=lib)
    plain, traced = [], []
    for _ in range(runs):
        plain.append(run_once(argv, plain_env))
        for path in glob.glob(glob.escape(trace) + "*"):
            os.unlink(path)  # the last run's traces are the ones counted
        traced.append(run_once(argv, traced_env))
    pw, pc = (statistics.median(x[i] for x in plain) for i in (0, 1))
    tw, tc = (statistics.median(x[i] for x in traced) for i in (0, 1))
    n = records(build, trace)
    size = trace_bytes(trace)
    extra = f"{(tc - pc) * 1e6 / n:.0f}" if n >= 10000 else "-"
    print(f"| {name} | {runs} | {pw:.1f} | {tw:.1f} | {tw / pw:.2f} | {pc:.1f} | {tc:.1f} "
          f"| {tc / pc if pc else 0:.2f} | {n} | {size / n if n else 0:.1f} | {extra} |")


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    lib = os.path.join(build, "src/tracer/.libs/libheapscope-trace.so")
    with tempfile.TemporaryDirectory(prefix="hs-trace-bench.") as tmp:
        lines = os.path.join(tmp, "lines")
        r = random.Random(1)
        nums = list(range(1000000))
        r.shuffle(nums)
        with open(lines, "w") as f:
            f.write("\n".join(map(str, nums)) + "\n")
        print("libheapscope-trace.so: wall and CPU time (user + system) with and without it,"
              " medians")
        print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; "
              f"glibc {platform.libc_ver()[1]}")
        print()
        print("| program | runs | wall ms | traced | ratio | CPU ms | traced | ratio | records "
              "| bytes/record | CPU ns/record |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        row(build, lib, tmp, "python3 -c pass", [PYTHON, "-c", "pass"], 21)
        row(build, lib, tmp, "python3 json lists", [PYTHON, "-c",
            "import json; [json.loads(json.dumps(list(range(i % 1000)))) for i in range(20000)]"],
            5)
        row(build, lib, tmp, "sort 1e6 lines", ["sort", lines], 5)
        src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        row(build, lib, tmp, "gcc -O2 -c churn.c", [
            "gcc", "-O2", "-c", "-o", os.path.join(tmp, "churn.o"), "-I", build, "-I",
            os.path.join(src, "include"), "-I", os.path.join(src, "src"),
            os.path.join(src, "src/workload/churn.c")], 5)


if __name__ == "__main__":
    main()
