"""How good the size estimate of `jitopt.sizing` is: estimate against the built model, peak
memory and the time to build and hand the model to HiGHS, on generated instances of several sizes.

    python benchmarks/bench_sizing.py                 # the default grid, one child process each
    python benchmarks/bench_sizing.py --json sizing.jsonl

Each case runs in a fresh child process: generate, estimate, build (`jitopt.build`), hand the
model to HiGHS (Pyomo's persistent interface), let HiGHS run 5 s; peak memory is the child's
`ru_maxrss` minus its value before the build.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

GRID = [  # items, suppliers, periods, sampled scenarios (1: deterministic)
    (30, 6, 26, 1),
    (100, 8, 26, 1),
    (30, 6, 26, 20),
    (200, 10, 52, 1),
    (30, 6, 26, 100),
    (50, 6, 52, 200),
]


def child(items: int, suppliers: int, periods: int, scenarios: int) -> dict:
    import jitopt
    from jitopt.generate import generate
    from jitopt.sizing import estimate

    tables = generate(
        items=items,
        suppliers=suppliers,
        periods=periods,
        seed=0,
        disruptions=scenarios > 1,
        sampled=max(scenarios, 1),
    )
    inst = jitopt.Instance.from_frames(tables.pop("config"), **tables)
    size = estimate(inst)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    started = time.perf_counter()
    problem = jitopt.build(inst, force=True)
    from pyomo.contrib.solver.common.factory import SolverFactory

    opt = SolverFactory("highs")
    opt.set_instance(problem.model)
    handed = time.perf_counter() - started
    h = opt._solver_model
    nonzeros = len(h.getLp().a_matrix_.value_)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", 5.0)
    h.run()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - base
    return {
        "case": f"{items}x{suppliers}x{periods}, {scenarios} scen.",
        "variables": h.getNumCol(),
        "variables_est": size.variables,
        "constraints": h.getNumRow(),
        "constraints_est": size.constraints,
        "nonzeros": nonzeros,
        "nonzeros_est": size.nonzeros,
        "memory_mib": round(peak / 2**20),
        "memory_est_mib": round(size.memory / 2**20),
        "build_s": round(handed, 1),
        "build_est_s": round(size.build_seconds, 1),
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="append each case as a JSON line to this file")
    parser.add_argument("--child", nargs=4, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    rows = []
    for case in GRID:
        print(f"case {case} ...", file=sys.stderr)
        out = subprocess.run(
            [sys.executable, __file__, "--child", *map(str, case)],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        if args.json:
            with open(args.json, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(rows[-1]) + "\n")
    print(f"load average after: {os.getloadavg()}", file=sys.stderr)
    print(
        "| case | variables (est.) | constraints (est.) | nonzeros (est.) | peak MiB (est.) | build + hand-over s (est.) |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['case']} | {r['variables']:,} ({r['variables_est']:,}) "
            f"| {r['constraints']:,} ({r['constraints_est']:,}) "
            f"| {r['nonzeros']:,} ({r['nonzeros_est']:,}) "
            f"| {r['memory_mib']:,} ({r['memory_est_mib']:,}) "
            f"| {r['build_s']} ({r['build_est_s']}) |"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
