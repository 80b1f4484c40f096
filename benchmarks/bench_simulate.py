"""`jitopt simulate` speed and memory (SPEC §8.1: 10,000 scenarios x 50 items x 52 periods in
under 10 s on 2 cores, in bounded memory), timed as a user runs it: the whole command in a fresh
process (start-up, reading the instance and the plan, simulating, writing the files).

    python benchmarks/bench_simulate.py                     # 3 runs each of 10k, and one of 100k
    python benchmarks/bench_simulate.py --runs 5 --big 0

The instance: `jitopt generate --items 50 --periods 52 --suppliers 8 --regions 3 --disruptions
--spot-buys --seed 1` (regional and supplier disruption risk, spot buys for every item, MOQs,
capacities, pipeline). The plans: the `jic:cover=1` policy (about a third of the item-scenarios
run short somewhere, so the spot-buy recourse is exercised) and `jit`. Peak memory is the child's
``ru_maxrss`` (its own, measured at exit).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def jitopt(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "jitopt.cli", *args], check=True)


CHILD = """
import atexit, resource, sys
atexit.register(lambda: print("peak", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                              file=sys.stderr))
from jitopt.cli import main
main(sys.argv[1:], prog_name="jitopt")
"""


def timed(*args: str) -> tuple[float, float]:
    """(seconds, peak MiB) of one `jitopt` command in a fresh child process."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args], check=True, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    peak = int(done.stderr.split("peak")[-1].split()[0])
    return seconds, peak / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scenarios", type=int, default=10_000)
    parser.add_argument("--big", type=int, default=100_000, help="one run this size (0: none)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"cores {os.cpu_count()}, load {load:.2f}, python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        inst = Path(tmp) / "bench50"
        jitopt(
            "generate",
            str(inst),
            "--items",
            "50",
            "--periods",
            "52",
            "--suppliers",
            "8",
            "--regions",
            "3",
            "--disruptions",
            "--spot-buys",
            "--seed",
            "1",
        )
        for policy in ("jic:cover=1", "jit"):
            plan = Path(tmp) / policy.replace(":", "-").replace("=", "")
            jitopt("plan", str(inst), "--policy", policy, "-o", str(plan), "-q")
            runs = [
                timed(
                    "simulate",
                    str(inst),
                    "--plan",
                    str(plan),
                    "--scenarios",
                    str(args.scenarios),
                    "-o",
                    str(plan / f"sim{k}"),
                    "-q",
                )
                for k in range(args.runs)
            ]
            seconds = sorted(s for s, _ in runs)
            print(
                f"{policy:12s} {args.scenarios:,} scenarios: {seconds[0]:.2f}-{seconds[-1]:.2f} s "
                f"over {len(runs)} runs, peak {min(m for _, m in runs):,.0f}-"
                f"{max(m for _, m in runs):,.0f} MiB"
            )
            if args.big and policy == "jic:cover=1":
                s, m = timed(
                    "simulate",
                    str(inst),
                    "--plan",
                    str(plan),
                    "--scenarios",
                    str(args.big),
                    "-o",
                    str(plan / "big"),
                    "-q",
                )
                print(f"{policy:12s} {args.big:,} scenarios: {s:.2f} s, peak {m:,.0f} MiB")


if __name__ == "__main__":
    main()
