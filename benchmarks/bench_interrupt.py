"""How fast `jitopt solve` ends after Ctrl-C or SIGTERM, and what it leaves behind.

    python benchmarks/bench_interrupt.py              # the default cases, 3 runs each
    python benchmarks/bench_interrupt.py --runs 5

Each run starts `jitopt solve INSTANCE -o TMP --time-limit 120 [OPTIONS]` as a user would, sends
the signal after DELAY seconds and measures the time from the signal to the end of the process
(the plan then written, checked by the solver's own verification, and the summary printed). It
prints the exit codes and the range of those times per case.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES = [  # instance, options, delay (s), signal; the moment each stands for
    ("small", ["--no-heuristic"], 0.3, "SIGINT"),  # start-up (imports)
    ("medium", ["--scenarios", "150"], 4.0, "SIGINT"),  # building / handing to HiGHS
    ("small", ["--no-heuristic"], 6.0, "SIGINT"),  # HiGHS alone, in its sub-MIPs now and then
    ("small", ["--no-heuristic"], 6.0, "SIGTERM"),
    ("small", ["--heuristic"], 6.0, "SIGINT"),
    ("medium", [], 40.0, "SIGINT"),  # the heuristic with its expected-value start
    ("large", [], 15.0, "SIGINT"),  # the heuristic on 100 x 8 x 26
    ("large", [], 15.0, "SIGTERM"),
    ("large", ["--no-heuristic"], 15.0, "SIGINT"),  # HiGHS alone in its root cut rounds
]


def once(instance: str, options: list[str], delay: float, signame: str) -> tuple[int, float]:
    jitopt = shutil.which("jitopt") or str(Path(sys.executable).parent / "jitopt")
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.Popen(
            [jitopt, "solve", str(ROOT / "instances" / instance), "-o", f"{tmp}/out",
             "--time-limit", "120", "-q", *options],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(delay)
        sent = time.perf_counter()
        proc.send_signal(getattr(signal, signame))
        code = proc.wait(timeout=300)
        return code, time.perf_counter() - sent


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    print("| instance | options | signal after | signal | exit codes | seconds to exit (min-max) |")
    print("|---|---|---|---|---|---|")
    for instance, options, delay, signame in CASES:
        results = [once(instance, options, delay, signame) for _ in range(args.runs)]
        codes = ", ".join(str(c) for c, _ in results)
        times = [t for _, t in results]
        print(
            f"| {instance} | {' '.join(options) or '(defaults)'} | {delay:g} s | {signame} "
            f"| {codes} | {min(times):.2f}-{max(times):.2f} |",
            flush=True,
        )
    print(f"load average after: {os.getloadavg()}", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
