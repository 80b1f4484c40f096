"""Scale benchmark (issue 11): 100 items x 10 suppliers in 4 regions x 52 weeks x 30 sampled
disruption scenarios, with MOQs, capacities, order costs and spot buys; 10 minutes.

    python benchmarks/bench_scale.py                     # seed 0, 600 s
    python benchmarks/bench_scale.py --time-limit 60 --json scale.jsonl

Reports build time, peak memory (the child process's ru_maxrss) and the gap at the limit. Any
option of bench_core.py can be added or overridden (later options win).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_core

DEFAULTS = [
    "--items", "100",
    "--suppliers", "10",
    "--regions", "4",
    "--periods", "52",
    "--disruptions",
    "--scenarios", "30",
    "--spot-buys",
    "--time-limit", "600",
    "--retry-time-limit", "0",
]  # fmt: skip

if __name__ == "__main__":
    bench_core.main(DEFAULTS + sys.argv[1:])
