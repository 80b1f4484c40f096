"""Benchmark of the core deterministic model: build and solve times, gap, model size, peak memory.

    python benchmarks/bench_core.py                       # 100 items x 8 suppliers x 26 periods, seed 0
    python benchmarks/bench_core.py --seed 0 1 2 --repeat 2

Each run happens in a fresh child process, so that its peak memory (ru_maxrss) is its own. A run
that does not reach the gap within ``--time-limit`` is run again from scratch with
``--retry-time-limit`` (0 disables the retry). Prints one Markdown table; ``--json FILE`` also
writes every run as one JSON object per line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time


def one_run(args: argparse.Namespace, seed: int, time_limit: float) -> dict:
    """Generate, build and solve one instance in this process; return the measurements."""
    import jitopt
    from jitopt.generate import generate

    start = time.perf_counter()
    tables = generate(
        items=args.items,
        suppliers=args.suppliers,
        regions=args.regions,
        periods=args.periods,
        seed=seed,
        moq=True,
        capacity=True,
        order_costs=True,
        disruptions=args.disruptions,
        spot_buys=args.spot_buys,
        capacity_range=tuple(args.capacity_range),
    )
    config = tables.pop("config")
    inst = jitopt.Instance.from_frames(config, **tables)
    validate_seconds = time.perf_counter() - start
    problem = jitopt.build(inst, count=args.scenarios)
    heuristic = {"auto": None, "on": True, "off": False}[args.heuristic]
    plan = problem.solve(
        time_limit=time_limit,
        mip_gap=args.gap,
        threads=args.threads,
        tee=args.tee,
        heuristic=heuristic,
    )
    s = plan.summary
    h = s.get("heuristic") or {}
    return {
        "seed": seed,
        "time_limit": time_limit,
        "status": s["status"],
        "objective": s["objective"],
        "bound": s["bound"],
        "gap": s["gap"],
        "generate_validate_s": round(validate_seconds, 3),
        "build_s": round(problem.build_seconds, 3),
        "solve_s": s["seconds"]["solve"],
        "variables": s["model"]["variables"],
        "binaries": s["model"]["binaries"],
        "constraints": s["model"]["constraints"],
        # Linux reports ru_maxrss in KiB.
        "scenarios": s["scenarios"],
        "heuristic": args.heuristic,
        "heuristic_plans": [(p["seconds"], p["objective"]) for p in h.get("plans", [])],
        "final_plan_from": h.get("final_plan_from", "highs"),
        "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run_child(args: argparse.Namespace, seed: int, time_limit: float) -> dict:
    """`one_run` in a child process (fresh interpreter: own peak memory, no warm caches)."""
    cmd = [
        sys.executable,
        __file__,
        *args.argv,
        "--child-seed",
        str(seed),
        "--child-time-limit",
        str(time_limit),
    ]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(args: argparse.Namespace, seed: int) -> list[dict]:
    """The runs for one seed: the first limit, then the retry limit if the gap was not reached."""
    runner = one_run if args.in_process else run_child
    runs = [runner(args, seed, args.time_limit)]
    if runs[-1]["status"] != "optimal" and args.retry_time_limit > 0:
        runs.append(runner(args, seed, args.retry_time_limit))
    return runs


def fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def table(rows: list[dict]) -> str:
    head = (
        "| seed | rep | heuristic | limit s | status | build s | solve s | gap % | objective "
        "| bound | plan from | variables | binaries | constraints | peak MiB |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r['seed']} | {r['rep']} | {r['heuristic']} | {r['time_limit']:g} | {r['status']} "
            f"| {r['build_s']:.2f} | {r['solve_s']:.1f} "
            f"| {fmt(None if r['gap'] is None else 100 * r['gap'], '.3f')} "
            f"| {fmt(r['objective'], ',.0f')} | {fmt(r['bound'], ',.0f')} | {r['final_plan_from']} "
            f"| {r['variables']} "
            f"| {r['binaries']} | {r['constraints']} | {r['peak_mib']:.0f} |"
        )
    return "\n".join(lines)


def machine() -> str:
    """One line about the machine, for the record."""
    from importlib.metadata import version

    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            model = next(ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({model}); Python {platform.python_version()}; "
        f"highspy {version('highspy')}; pyomo {version('pyomo')}; load average {load}"
    )


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--items", type=int, default=100)
    p.add_argument("--suppliers", type=int, default=8)
    p.add_argument("--regions", type=int, default=3)
    p.add_argument("--periods", type=int, default=26)
    p.add_argument("--seed", type=int, nargs="+", default=[0], help="one or more seeds")
    p.add_argument("--time-limit", type=float, default=60.0, help="seconds (default 60)")
    p.add_argument(
        "--retry-time-limit",
        type=float,
        default=300.0,
        help="rerun with this limit when the gap is not reached (0: no retry; default 300)",
    )
    p.add_argument("--gap", type=float, default=1e-3, help="relative MIP gap (default 0.001)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument(
        "--disruptions", action="store_true", help="regional and supplier disruption risk"
    )
    p.add_argument(
        "--scenarios", type=int, help="sampled scenarios (with --disruptions; default 30)"
    )
    p.add_argument("--spot-buys", action="store_true", help="items can be bought on the spot")
    p.add_argument(
        "--capacity-range",
        type=float,
        nargs=2,
        default=[0.4, 0.7],
        metavar=("LO", "HI"),
        help="capacity as a share of the mean demand of the supplier's items (default 0.4 0.7)",
    )
    p.add_argument(
        "--heuristic",
        choices=["auto", "on", "off"],
        default="auto",
        help="jitopt.heuristic next to HiGHS (auto: on for >= 1000 integer variables)",
    )
    p.add_argument("--repeat", type=int, default=1, help="runs per seed (default 1)")
    p.add_argument("--json", metavar="FILE", help="also write the runs as JSON lines")
    p.add_argument(
        "--in-process", action="store_true", help="run in this process (peak memory accumulates)"
    )
    p.add_argument("--tee", action="store_true", help="show the HiGHS log (implies --in-process)")
    p.add_argument("--child-seed", type=int, help=argparse.SUPPRESS)
    p.add_argument("--child-time-limit", type=float, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.in_process = args.in_process or args.tee
    args.argv = list(argv)
    return args


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    if args.child_seed is not None:
        print(json.dumps(one_run(args, args.child_seed, args.child_time_limit)))
        return
    risk = (
        f"disruptions, {args.scenarios or 30} sampled scenarios"
        if args.disruptions
        else "deterministic"
    )
    print(
        f"# bench_core: {args.items} items x {args.suppliers} suppliers x {args.regions} regions x "
        f"{args.periods} periods, MOQ + capacity + order costs{' + spot buys' * args.spot_buys}, "
        f"{risk}; gap {args.gap:g}, {args.threads} threads, heuristic {args.heuristic}",
        flush=True,
    )
    print(f"# {machine()}", flush=True)
    rows = []
    for seed in args.seed:
        for rep in range(1, args.repeat + 1):
            for run in measure(args, seed):
                run["rep"] = rep
                rows.append(run)
                print(
                    f"# seed {seed} rep {rep} limit {run['time_limit']:g}: {run['status']}, "
                    f"build {run['build_s']:.2f} s, solve {run['solve_s']:.1f} s, "
                    f"gap {fmt(run['gap'], '.4%')}",
                    file=sys.stderr,
                    flush=True,
                )
                if args.json:
                    with open(args.json, "a", encoding="utf-8") as fh:
                        fh.write(json.dumps(run) + "\n")
    print()
    print(table(rows))
    print(f"\n# load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
