"""Compare supplier mixes and purchasing policies on the same out-of-sample scenarios (SPEC §8.3).

    cmp = jitopt.compare(inst, mixes={"China": ["CN"], "all": None}, policies=["jit", "optimized"])
    cmp.table                     # comparison.csv: one row per mix x policy
    cmp.write("out/compare")      # + plans/<dir>/..., scenarios.csv, outages.csv, frontier.png

Each plan is made on the instance restricted to its mix (`jitopt.policies.policy_plan`; the
`optimized` ones on the instance's own scenarios), then evaluated with `jitopt.simulate` on the
*full* instance with the same count and seed: the same scenarios for every plan (common random
numbers: availability is sampled for every supplier, whatever the mix). Plans are made and
evaluated in parallel by local processes (``jobs``) or on a Dask cluster (``dask``); each task
is a pure function of its inputs, so the results do not depend on where it ran.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from jitopt.errors import InstanceError, Problem
from jitopt.files import OutputFolder, marker
from jitopt.instance import Instance
from jitopt.metrics import METRICS
from jitopt.names import slug
from jitopt.parallel import Workers, check_jobs
from jitopt.policies import Policy, parse_policy
from jitopt.schema import COST_COMPONENTS
from jitopt.simulation import CARRIED_OUT

DEFAULT_POLICIES = ("jit", "jic:cover=2", "optimized", "optimized:risk=0.5")
DEFAULT_SCENARIOS = 1000


@dataclass(frozen=True)
class Task:
    """One plan to make and evaluate: everything it needs travels with it (to a process or a
    Dask worker)."""

    index: int
    mix: str
    suppliers: tuple[str, ...]
    policy: Policy
    plan_dir: str
    restricted: Instance
    full: Instance
    scenarios: int
    seed: int | None
    time_limit: float | None


@dataclass
class Outcome:
    """What a task returns: the plan's files and the comparison row."""

    index: int
    row: dict
    files: dict[str, str]


@dataclass
class Comparison:
    """``table`` (comparison.csv), ``summary`` (comparison.json), the plans' files by plan_dir,
    and the common evaluation scenarios."""

    table: pd.DataFrame
    summary: dict
    plan_files: dict[str, dict[str, str]]
    scenarios: pd.DataFrame
    outages: pd.DataFrame
    interrupted: bool = False
    warnings: list[str] = field(default_factory=list)

    def files(self) -> dict[str, str | bytes]:
        def csv(frame: pd.DataFrame) -> str:
            return frame.to_csv(index=False, lineterminator="\n")

        files: dict[str, str | bytes] = {
            "comparison.csv": csv(self.table),
            "comparison.json": json.dumps(self.summary, indent=2) + "\n",
            "scenarios.csv": csv(self.scenarios),
            "outages.csv": csv(self.outages),
        }
        if len(self.table):
            files["frontier.png"] = frontier_png(self.table)
        for plan_dir, plan_files in self.plan_files.items():
            for name, text in plan_files.items():
                files[f"{plan_dir}/{name}"] = text
        return files

    def write(self, out_dir: str | Path | OutputFolder) -> Path:
        """Write every file as one set (`jitopt.files.OutputFolder`, kind "comparison")."""
        if isinstance(out_dir, OutputFolder):
            return out_dir.commit(self.files())
        with OutputFolder(out_dir, "comparison") as folder:
            return folder.commit(self.files())


def parse_mix(text: str) -> tuple[str, list[str]]:
    """``NAME=SUPPLIER,REGION,...`` -> (name, members); ValueError for a malformed one."""
    name, eq, members = str(text).partition("=")
    name, parts = name.strip(), [m.strip() for m in members.split(",")]
    if not eq or not name or not any(parts):
        raise ValueError(f"mix {text!r}: give NAME=SUPPLIER,... (suppliers or regions)")
    if any(not p for p in parts):
        raise ValueError(f"mix {text!r}: an empty supplier or region name")
    return name, parts


def restrict(inst: Instance, name: str, members: list[str] | None) -> tuple[Instance, tuple]:
    """The instance with only the offers of the mix's suppliers (a member may be a region: every
    supplier of it). Unknown members, or items the mix cannot supply: `InstanceError`."""
    sup = inst.suppliers
    if members is None:
        return inst, tuple(sup.index)
    problems, chosen = [], set()
    for m in members:
        by_region = set(sup.index[sup["region"] == m])
        if m in sup.index:
            chosen.add(m)
        elif by_region:
            chosen |= by_region
        else:
            problems.append(Problem(f"--mix {name}", f"{m!r} is no supplier or region"))
    keep = inst.offers.index.get_level_values("supplier").isin(chosen)
    offers = inst.offers[keep]
    offered = set(offers.index.get_level_values("item"))
    spot = set(inst.items.index[inst.items["expedite_cost"].notna()])
    lacking = [i for i in inst.items.index if i not in offered and i not in spot]
    if chosen and lacking:
        shown = ", ".join(map(repr, lacking[:5])) + (" and more" if len(lacking) > 5 else "")
        problems.append(
            Problem(
                f"--mix {name}",
                f"no supplier of the mix offers {shown}, which has no expedite_cost either: "
                "add a supplier that offers it",
            )
        )
    if problems:
        raise InstanceError(problems, "mix")
    breaks = inst.price_breaks[inst.price_breaks["supplier"].isin(chosen)]
    return replace(inst, offers=offers, price_breaks=breaks), tuple(sorted(chosen))


def tasks(
    inst: Instance,
    mixes: dict[str, list[str] | None] | None,
    policies: list[str | Policy] | None,
    scenarios: int,
    seed: int | None,
    time_limit: float | None,
) -> list[Task]:
    """Every mix x policy, checked before any plan is made."""
    mixes = {
        name: [members] if isinstance(members, str) else members
        for name, members in (mixes or {"all": None}).items()
    }
    if isinstance(policies, (str, Policy)):
        policies = [policies]
    parsed = [p if isinstance(p, Policy) else parse_policy(p) for p in policies or DEFAULT_POLICIES]
    names = [p.name for p in parsed]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"policy {twice[0]!r} is given twice")
    out = []
    problems = []
    restricted = {}
    for name, members in mixes.items():
        try:
            restricted[name] = restrict(inst, name, members)
        except InstanceError as exc:
            problems += exc.problems
    if problems:
        raise InstanceError(problems, "mix")
    for name, (sub, suppliers) in restricted.items():
        for policy in parsed:
            k = len(out)
            out.append(
                Task(
                    index=k,
                    mix=name,
                    suppliers=suppliers,
                    policy=policy,
                    plan_dir=f"plans/{k + 1:02d}-{slug(name)}-{policy.slug}",
                    restricted=sub,
                    full=inst,
                    scenarios=scenarios,
                    seed=seed,
                    time_limit=time_limit,
                )
            )
    return out


def run_task(task: Task, stop=None) -> Outcome:
    """Make the task's plan and evaluate it on the common scenarios. ``stop`` (a
    `threading.Event`, in-process runs only) stops an `optimized` plan's search."""
    from jitopt.policies import policy_plan
    from jitopt.replan import simulate_policy
    from jitopt.simulation import simulate

    began = time.perf_counter()
    options = {}
    if task.policy.kind == "optimized":
        options = {"time_limit": task.time_limit} | ({"stop": stop} if stop is not None else {})
    plan = policy_plan(task.restricted, task.policy, **options)  # rolling: its first plan
    made = time.perf_counter() - began
    row = {
        "mix": task.mix,
        "policy": task.policy.name,
        "plan_dir": task.plan_dir,
        "suppliers": " ".join(task.suppliers),
    }
    files = {"summary.json": json.dumps(plan.summary, indent=2) + "\n"}
    if not plan.status.has_plan:
        row |= {"plan_status": plan.status.value, "plan_gap": None, "plan_seconds": made}
        return Outcome(task.index, row, files)
    if task.policy.rolling:
        sim = simulate_policy(
            task.full,
            task.policy,
            plan_on=task.restricted,
            scenarios=task.scenarios,
            seed=task.seed,
            time_limit=task.time_limit,
        )
        made += sim.summary["replans"]["seconds_total"]
    else:
        sim = simulate(task.full, plan.orders, scenarios=task.scenarios, seed=task.seed)
    metrics = sim.summary
    for m in METRICS:
        if m.name == "costs":
            row |= metrics["costs"]
        elif m.name != "alpha":
            row[m.name] = metrics[m.name]
    row |= {
        # a rolling policy has no in-sample cost: its first plan's is not the policy's
        "in_sample_expected_cost": None if task.policy.rolling else plan.summary["expected_cost"],
        "plan_status": _plan_status(task.policy, plan),
        "plan_gap": plan.summary.get("gap"),
        "plan_seconds": round(made, 3),
    }
    sim_files = sim.files()
    files |= {
        "orders.csv": plan.orders.to_csv(index=False, lineterminator="\n"),
        "simulation.csv": sim_files["simulation.csv"],
        "simulation.json": sim_files["simulation.json"],
    }
    if task.policy.rolling:
        files[CARRIED_OUT] = sim_files[CARRIED_OUT]
    return Outcome(task.index, row, files)


def _plan_status(policy: Policy, plan) -> str:
    """comparison.csv's plan_status: "rule" for a rule's plan, the solve's status for an
    optimized one; "rolling" for a rolling policy (re-planned in every scenario; its plan folder
    holds the first plan, what it orders now), "rolling/feasible" when the first plan was not
    proven optimal."""
    if policy.kind != "optimized":
        return "rolling" if policy.rolling else "rule"
    status = plan.status.value
    if policy.rolling:
        return "rolling" if status == "optimal" else f"rolling/{status}"
    return status


def compare(
    inst: Instance,
    mixes: dict[str, list[str] | None] | None = None,
    policies: list[str | Policy] | None = None,
    *,
    scenarios: int | None = None,
    seed: int | None = None,
    time_limit: float | None = None,
    jobs: int = 1,
    dask: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    stop=None,
) -> Comparison:
    """Every mix (name -> suppliers or regions; None: all) x policy, made and evaluated on the
    same ``scenarios`` (default 1000) sampled with ``seed`` (default: the instance's seed + 1).
    Bad mixes or policies raise before any plan is made. ``progress(done, total)`` after each
    plan. A KeyboardInterrupt, or ``stop`` (a `threading.Event`) being set, ends the comparison
    with the plans finished so far (``interrupted``)."""
    from jitopt.evaluation import Sampled

    check_jobs(jobs)
    count = DEFAULT_SCENARIOS if scenarios is None else scenarios
    common = Sampled(inst, count, seed)  # checks count and seed; the scenarios every plan meets
    jobs_list = tasks(inst, mixes, policies, count, common.seed, time_limit)
    began = time.perf_counter()
    outcomes: list[Outcome] = []
    interrupted = False
    try:
        for outcome in _execute(jobs_list, jobs, dask, stop):
            if stop is not None and stop.is_set():
                raise KeyboardInterrupt  # a plan cut short by the stop is not kept
            outcomes.append(outcome)
            if progress is not None:
                progress(len(outcomes), len(jobs_list))
    except KeyboardInterrupt:
        interrupted = True
    outcomes.sort(key=lambda o: o.index)
    table = comparison_table([o.row for o in outcomes])
    table.attrs["alpha"] = inst.risk.alpha
    chunks = list(common.chunks(max(1, count)))
    summary = marker("comparison") | {
        "instance": inst.name,
        "plans": len(jobs_list),
        "finished": len(outcomes),
        "scenarios": count,
        "seed": common.seed,
        "alpha": inst.risk.alpha,
        "mixes": {
            n: list(m) if m is not None else None for n, m in (mixes or {"all": None}).items()
        },
        "policies": list(dict.fromkeys(t.policy.name for t in jobs_list)),
        "efficient": table.loc[table["efficient"], "plan_dir"].tolist() if len(table) else [],
        "seconds": round(time.perf_counter() - began, 3),
    }
    warnings = []
    if interrupted:
        summary["interrupted"] = True
        unfinished = sorted({t.plan_dir for t in jobs_list} - {o.row["plan_dir"] for o in outcomes})
        summary["unfinished"] = unfinished
        warnings.append(
            f"interrupted: {len(outcomes)} of {len(jobs_list)} plans finished and written; "
            f"not made: {', '.join(unfinished)}"
        )
    return Comparison(
        table=table,
        summary=summary,
        plan_files={o.row["plan_dir"]: o.files for o in outcomes},
        scenarios=pd.concat([c.scenarios_frame() for c in chunks], ignore_index=True),
        outages=pd.concat([c.outages for c in chunks], ignore_index=True),
        interrupted=interrupted,
        warnings=warnings,
    )


# comparison.csv: the plan, every metric of `jitopt.metrics.METRICS` (the cost components as
# columns of their own), how the plan was made, and the efficiency flag.
COLUMNS = (
    "mix",
    "policy",
    "plan_dir",
    "suppliers",
    *(m.name for m in METRICS if m.name not in ("costs", "alpha")),
    *COST_COMPONENTS,
    "in_sample_expected_cost",
    "plan_status",
    "plan_gap",
    "plan_seconds",
    "efficient",
)


def comparison_table(rows: list[dict]) -> pd.DataFrame:
    """The rows in `COLUMNS` order, with ``efficient``: no other plan has both a lower expected
    cost and a lower CVaR (plans without a plan are never efficient)."""
    table = pd.DataFrame(rows).reindex(columns=list(COLUMNS))
    table["efficient"] = efficient(
        table["expected_cost"].to_numpy(float), table["cvar"].to_numpy(float)
    )
    return table


def efficient(expected: np.ndarray, cvar: np.ndarray) -> np.ndarray:
    """True where no other point has both a lower expected cost and a lower CVaR."""
    valid = ~np.isnan(expected) & ~np.isnan(cvar)
    dominated = (expected[None, :] < expected[:, None]) & (cvar[None, :] < cvar[:, None])
    dominated &= valid[None, :]
    return valid & ~dominated.any(axis=1)


def _execute(work: list[Task], jobs: int, dask: str | None, stop=None):
    """Yield each task's outcome as it finishes: in this process (jobs = 1), in ``jobs`` local
    processes, or on the Dask cluster at ``dask`` (`jitopt.parallel.Workers`)."""
    with Workers(min(jobs, len(work)) if not dask else 1, dask) as workers:
        if workers.inline:
            for task in work:
                yield run_task(task, stop)
        else:  # the longest first: the others fill the other workers meanwhile
            yield from workers.completed(run_task, sorted(work, key=_weight, reverse=True))


def _weight(task: Task) -> int:
    """How long a task takes, roughly: a rolling optimized one (many solves) > a rolling rule
    (many re-plans) > an optimized plan (one solve) > a rule."""
    return 2 * task.policy.rolling + (task.policy.kind == "optimized")


def frontier_png(table: pd.DataFrame) -> bytes:
    """Expected cost against CVaR: one numbered point per plan (the number of its plan_dir; plans
    on the same spot share it), the efficient plans in colour and joined, and the key on the
    right."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    done = table.dropna(subset=["expected_cost", "cvar"]).copy()
    done["number"] = done["plan_dir"].str.extract(r"plans/(\d+)-", expand=False).astype(int)
    fig = plt.figure(figsize=(10, 5.5), dpi=110)
    ax = fig.add_axes((0.09, 0.11, 0.56, 0.8))
    try:
        front = done[done["efficient"]].sort_values("expected_cost")
        ax.plot(
            front["expected_cost"],
            front["cvar"],
            color="tab:blue",
            lw=1.5,
            zorder=2,
            marker="o",
            ms=8,
            label="efficient plans",
        )
        others = done[~done["efficient"]]
        ax.scatter(
            others["expected_cost"],
            others["cvar"],
            s=40,
            color="tab:gray",
            zorder=3,
            label="other plans",
        )
        for (x, y), numbers in _near(done).items():
            ax.annotate(
                ", ".join(str(n) for n in numbers),
                (x, y),
                textcoords="offset points",
                xytext=(6, 4),
                fontsize=8,
            )
        money = FuncFormatter(lambda v, _: f"{v:,.0f}")
        ax.xaxis.set_major_formatter(money)
        ax.yaxis.set_major_formatter(money)
        ax.set_xlabel("expected cost")
        alpha = table.attrs.get("alpha", 0.9)
        ax.set_ylabel(f"CVaR {alpha:.0%} (mean cost of the worst {1 - alpha:.0%})")
        ax.set_title("Plans on the same out-of-sample scenarios", loc="left")
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)
        key = "\n".join(
            f"{row.number:>2}  {row.mix} / {row.policy}{'  *' if row.efficient else ''}"
            for row in done.sort_values("number").itertuples(index=False)
        )
        fig.text(
            0.68, 0.91, "plans (* efficient)\n\n" + key, va="top", fontsize=8, family="monospace"
        )
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(fig)


def _near(done: pd.DataFrame) -> dict[tuple[float, float], list[int]]:
    """Plan numbers by spot: plans within 1.5 % of the axes' spans of a first one share its
    label, so that labels do not print over each other."""
    x, y = done["expected_cost"].to_numpy(float), done["cvar"].to_numpy(float)
    dx = 0.015 * max(np.ptp(x), 1e-9)
    dy = 0.015 * max(np.ptp(y), 1e-9)
    spots: dict[tuple[float, float], list[int]] = {}
    for xi, yi, n in zip(x, y, done["number"]):
        for (sx, sy), numbers in spots.items():
            if abs(xi - sx) <= dx and abs(yi - sy) <= dy:
                numbers.append(int(n))
                break
        else:
            spots[(xi, yi)] = [int(n)]
    return spots
