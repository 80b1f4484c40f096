"""Benchmark of the risk model (issue 3): 30 items x 6 suppliers in 3 regions x 26 periods x 20
sampled disruption scenarios, with MOQs, capacities, order costs and spot buys.

    python benchmarks/bench_risk.py                      # heuristic auto (on at this size)
    python benchmarks/bench_risk.py --heuristic off      # HiGHS alone, for comparison
    python benchmarks/bench_risk.py --seed 0 1 2 --json risk.jsonl

Any option of bench_core.py can be added or overridden (later options win).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_core

DEFAULTS = [
    "--items", "30",
    "--suppliers", "6",
    "--regions", "3",
    "--periods", "26",
    "--disruptions",
    "--scenarios", "20",
    "--spot-buys",
    "--retry-time-limit", "0",
]  # fmt: skip

if __name__ == "__main__":
    bench_core.main(DEFAULTS + sys.argv[1:])
