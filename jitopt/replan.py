"""Rolling-horizon policies in the evaluation (issue 13): in each scenario, re-plan every R
periods from what is known then, carry out the orders placed before the next re-plan, move on.

    sim = jitopt.simulate_policy(inst, "rolling:optimized:every=2", scenarios=200)
    sim.table, sim.summary, sim.orders     # orders: the lines carried out, per scenario

**What a re-plan at the start of period k knows** (and nothing else of its scenario):

- the demand of periods 1..k-1 and the lines carried out so far: `jitopt.rolling.roll` works out
  stock, backlog and open orders from them, exactly as `jitopt roll` does;
- the outages seen in periods 1..k-1. One seen to end is history (it stopped the orders placed
  during it, or held the goods due during it). One still under way in period k-1 is believed to
  last its target's
  ``disruption_length`` from its start (at least to k-1) and is known for certain in the re-plan.
  In sampled scenarios that is the truth; in a stress or replayed scenario the true end may
  differ, and the planner learns it as it happens;
- the future as the instance describes it: its demand (scenarios) and disruption probabilities,
  which `optimized` samples afresh.

A re-plan is a pure function of that knowledge, so scenarios that have seen the same (the same
demand and outages so far) share it: it is made once (``cache``). The policy's rule makes it:
jit, jic and dual with `jitopt.policies.policy_orders` on the re-plan's instance, optimized with
`jitopt.solve` (``scenarios=N`` when given; the instance's gap, and its time limit unless
``time_limit``). The first re-plan (period 1) is the static plan. Orders placed in periods
k..k+R-1 are carried out, delivered when their supplier is not down in the order period, as for
any plan.

**Cost.** Each scenario is judged on the lines carried out in it, with the second stage of
`jitopt.recourse` (stock, shortage, spot buys), as `jitopt simulate` judges a fixed plan; the
fixed costs (ordering, contract) are those of that scenario's lines. Each re-plan applies the
rules over the whole horizon (max share, max suppliers) to its own periods; lines carried out
that break one over the whole horizon are reported in the summary's warnings.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from jitopt.check import check_orders
from jitopt.instance import Instance
from jitopt.parallel import Workers, check_jobs
from jitopt.plan_files import ORDER_COLUMNS, plan_lines
from jitopt.policies import Policy, parse_policy
from jitopt.recourse import Lines, recourse
from jitopt.simulation import judged, outcome_table, scenario_source

__all__ = ["Replanner", "simulate_policy"]


@dataclass(frozen=True)
class _Job:
    """One re-plan: everything it needs travels with it (to a process or a Dask worker)."""

    key: tuple
    inst: Instance
    policy: Policy  # the rule (not rolling)
    period: int  # k: the re-plan is made at the start of this period
    every: int
    carried: tuple  # lines carried out so far: (supplier, item, period, quantity)
    demand: np.ndarray  # (items, k-1): the demand of periods 1..k-1
    seen: tuple  # outages known: (target, start, believed end, kind)
    time_limit: float | None
    scenarios: int | None


@dataclass(frozen=True)
class _Replanned:
    key: tuple
    lines: tuple  # (supplier, item, period, quantity) placed in periods k..k+R-1
    seconds: float
    note: str | None = None


def _replan(job: _Job) -> _Replanned:
    """The lines the policy places in periods k..k+R-1 when it re-plans at period k."""
    from jitopt.policies import policy_orders
    from jitopt.rolling import Actuals, roll
    from jitopt.solver import solve

    began = time.perf_counter()
    k = job.period
    inst = job.inst
    if k > 1:
        items = list(inst.items.index)
        demand = pd.DataFrame(
            {
                "item": np.repeat(items, k - 1),
                "period": np.tile(np.arange(1, k), len(items)),
                "demand": job.demand.ravel(),
            }
        )
        outages = pd.DataFrame(list(job.seen), columns=["target", "start", "end", "kind"])
        orders = pd.DataFrame(list(job.carried), columns=list(ORDER_COLUMNS))
        actuals = Actuals(demand=demand, outages=outages if len(outages) else None)
        tables = roll(inst, orders, k, actuals, whole_plan=False)
        inst = Instance.from_frames(tables.pop("config"), **tables)
    note = None
    if job.policy.kind == "optimized":
        target = inst if job.policy.risk is None else inst.with_risk(weight=job.policy.risk)
        plan = solve(target, time_limit=job.time_limit, scenarios=job.scenarios)
        if plan.summary.get("interrupted"):
            raise KeyboardInterrupt  # Ctrl-C stops the whole evaluation, not one re-plan
        orders = plan.orders if plan.status.has_plan else None
        if orders is None:
            note = f"the re-plan at period {k} found no plan ({plan.status.value}): none ordered"
        elif plan.status.value != "optimal":
            gap = plan.summary.get("gap")
            shown = "unknown" if gap is None else f"{gap:.2%}"
            note = (
                f"the re-plan at period {k} stopped at its time limit, {plan.status.value} "
                f"(gap {shown})"
            )
    else:
        orders = policy_orders(inst, job.policy).orders
    lines: tuple = ()
    if orders is not None:
        now = orders[orders["period"] <= job.every]
        lines = tuple(
            (str(s), str(i), int(t) + k - 1, float(q))
            for s, i, t, q in zip(now["supplier"], now["item"], now["period"], now["quantity"])
        )
    return _Replanned(job.key, lines, time.perf_counter() - began, note)


@dataclass
class Replanner:
    """Follows a rolling ``policy`` on the instance ``inst`` (the one the re-plans are made on)
    through scenarios, chunk by chunk; re-plans are shared by scenarios that saw the same and
    made by ``workers``."""

    inst: Instance
    policy: Policy
    workers: Workers
    time_limit: float | None = None
    progress: Callable[[int, int], None] | None = None
    total: int = 0  # scenario x re-plan decisions, for progress
    done: int = 0
    cache: dict = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def periods(self) -> range:
        """The periods at which the policy re-plans: 1, 1+R, 1+2R, ..."""
        return range(1, self.inst.periods + 1, self.policy.every)

    def follow(self, chunk) -> list[list[tuple]]:
        """The lines carried out in each scenario of ``chunk`` (`jitopt.evaluation.Chunk`)."""
        runs = _runs(chunk.outages)
        length = _lengths(self.inst)
        W = len(chunk.names)
        carried: list[list[tuple]] = [[] for _ in range(W)]
        for k in self.periods:
            keys = []
            for w, name in enumerate(chunk.names):
                seen = _seen(runs.get(name, ()), k, length)
                keys.append((k, chunk.demand[w, :, : k - 1].tobytes(), seen))
            share = pd.Series(keys).value_counts(sort=False).to_dict()
            todo = {}
            for w, key in enumerate(keys):
                if key in self.cache:
                    continue
                if key not in todo:
                    todo[key] = self._job(key, carried[w], chunk.demand[w, :, : k - 1])
            for key in set(share) - set(todo):
                self._advance(share[key])
            for result in self.workers.completed(_replan, todo.values()):
                self.cache[result.key] = result
                self.seconds.append(result.seconds)
                if result.note:
                    self.notes.append(result.note)
                self._advance(share[result.key])
            for w, key in enumerate(keys):
                carried[w] += self.cache[key].lines
        return carried

    def _job(self, key: tuple, carried: list, demand: np.ndarray) -> _Job:
        k, _, seen = key
        return _Job(
            key=key,
            inst=self.inst,
            policy=self.policy.rule,
            period=k,
            every=self.policy.every,
            carried=tuple(carried),
            demand=np.ascontiguousarray(demand),
            seen=seen,
            time_limit=self.time_limit,
            scenarios=self.policy.scenarios,
        )

    def _advance(self, n: int) -> None:
        self.done += n
        if self.progress is not None:
            self.progress(self.done, self.total)


def _unused(policy: Policy, inst: Instance) -> list[str]:
    """Notes for parameters of ``policy`` that change nothing on ``inst``."""
    from jitopt.scenarios import scenario_kind

    notes = []
    if policy.every >= inst.periods:
        notes.append(
            f"every={policy.every} is not less than the {inst.periods} periods: the first plan is "
            "never re-planned (the static policy)"
        )
    if policy.scenarios is not None and scenario_kind(inst) != "sampled":
        notes.append(
            f"scenarios={policy.scenarios} is not used: the instance does not sample its "
            "scenarios (it lists them, or has none)"
        )
    return notes


def _runs(outages: pd.DataFrame) -> dict[str, list[tuple[str, int, int, str]]]:
    """Each scenario's outages: (target, start, end, kind)."""
    runs: dict[str, list] = {}
    for r in outages.itertuples(index=False):
        kind = getattr(r, "kind", "orders")
        runs.setdefault(r.scenario, []).append((r.target, int(r.start), int(r.end), kind))
    return runs


def _lengths(inst: Instance) -> dict[str, int]:
    """The length a planner expects of an outage of each supplier and region: its
    disruption_length (regions not in regions.csv: 1). A supplier's wins over a region's."""
    length = {str(r): 1 for r in inst.suppliers["region"]}
    length |= {str(r): int(n) for r, n in inst.regions["disruption_length"].items()}
    length |= {str(s): int(n) for s, n in inst.suppliers["disruption_length"].items()}
    return length


def _seen(runs, k: int, length: dict[str, int]) -> tuple:
    """The outages a planner knows at the start of period k: those that started in 1..k-1,
    ending where they were seen to end, or, still under way in period k-1, where the target's
    length says (at least k-1). Outages of targets the instance does not know are left out."""
    seen = []
    for target, start, end, kind in runs:
        if start > k - 1 or target not in length:
            continue
        if end >= k - 1:  # under way when last seen: believed to last its usual length
            end = max(start + length[target] - 1, k - 1)
        seen.append((target, start, end, kind))
    return tuple(sorted(seen))


def _judge(inst: Instance, plan_inst: Instance, chunk, carried: list[list[tuple]], found: dict):
    """simulation.csv rows of the chunk, each scenario judged on its own lines; scenarios with
    the same lines are judged together. ``found`` collects the order lines (with ``delivered``:
    the supplier could ship in the order period) and, per scenario, the rules broken over the
    whole horizon."""
    groups: dict[tuple, list[int]] = {}
    for w, lines in enumerate(carried):
        groups.setdefault(tuple(sorted(lines)), []).append(w)
    tables = []
    for lines, idx in groups.items():
        frame = pd.DataFrame(list(lines), columns=list(ORDER_COLUMNS))
        frame = frame.astype({"supplier": str, "item": str, "period": int, "quantity": float})
        priced = plan_lines(inst, frame, whole_plan=False)
        broken = check_orders(plan_inst, frame)
        plan = Lines.from_orders(inst, priced)
        held = None if chunk.arrival is None else chunk.arrival[idx]
        outcome = recourse(inst, plan, chunk.available[idx], chunk.demand[idx], held)
        names = [chunk.names[w] for w in idx]
        table = outcome_table(inst, names, chunk.probability[idx], plan, outcome)
        table.index = idx
        tables.append(table)
        for w in idx:
            if broken:
                found["broken"][chunk.names[w]] = broken
            found["orders"][chunk.names[w]] = priced[list(ORDER_COLUMNS)].assign(
                delivered=chunk.available[w, plan.supplier, plan.period]
            )
    return pd.concat(tables).sort_index().reset_index(drop=True)


def simulate_policy(
    inst: Instance,
    policy: Policy | str,
    *,
    plan_on: Instance | None = None,
    scenarios: int | None = None,
    seed: int | None = None,
    replay_dir: str | Path | None = None,
    outages: list[str] | None = None,
    forecast=None,
    model: str | None = None,
    alpha: float | None = None,
    time_limit: float | None = None,
    jobs: int = 1,
    dask: str | None = None,
    progress: Callable[[int, int], None] | None = None,
):
    """Judge the rolling ``policy`` on the scenarios of `jitopt.simulate` (``outages``, else
    ``replay_dir``, else ``scenarios`` sampled with ``seed``; default out of sample), re-planning
    on ``plan_on`` (default ``inst``; a supplier mix of it, for `jitopt compare`). Re-plans are
    made in ``jobs`` local processes or on the Dask cluster at ``dask``; ``progress(done,
    total)`` counts scenario x re-plan decisions. Returns a `jitopt.simulation.Simulation` whose
    ``orders`` are the lines carried out in each scenario."""
    began = time.perf_counter()
    policy = parse_policy(policy) if isinstance(policy, str) else policy
    if not policy.rolling:
        raise ValueError(f"policy {policy.name!r} is not rolling: simulate its plan instead")
    check_jobs(jobs)
    plan_on = inst if plan_on is None else plan_on
    source = scenario_source(inst, scenarios, seed, replay_dir, outages, forecast, model)
    found: dict = {"orders": {}, "broken": {}}
    with Workers(jobs, dask) as workers:
        replanner = Replanner(plan_on, policy, workers, time_limit, progress)
        replanner.total = source.count * len(replanner.periods)

        def judge(chunk):
            carried = replanner.follow(chunk)
            return _judge(inst, plan_on, chunk, carried, found)

        seconds = replanner.seconds
        about = {"policy": policy.name, "replans": {}}
        sim = judged(inst, source, judge, about, alpha=alpha, began=began)
    notes = _unused(policy, plan_on)
    sim.summary["replans"] = {
        "every": policy.every,
        "made": len(seconds),
        "decisions": replanner.total,
        "seconds_mean": round(float(np.mean(seconds)), 4) if seconds else 0.0,
        "seconds_max": round(float(np.max(seconds)), 4) if seconds else 0.0,
        "seconds_total": round(float(np.sum(seconds)), 3),
    }
    warnings = notes + list(dict.fromkeys(replanner.notes))
    if found["broken"]:
        first = next(iter(found["broken"].items()))
        warnings.append(
            f"in {len(found['broken'])} scenario(s) the lines carried out break a rule over the "
            f"whole horizon (each re-plan keeps it over its own periods), e.g. {first[0]}: "
            f"{first[1][0]}"
        )
    del sim.summary["seconds"]  # written again below, last
    if warnings:
        sim.warnings += warnings
        sim.summary["warnings"] = sim.warnings
    names = sim.table["scenario"]
    orders = pd.concat([found["orders"][n] for n in names], keys=names, names=["scenario", None])
    sim.orders = orders.reset_index(level=0).reset_index(drop=True)
    sim.summary["seconds"] = round(time.perf_counter() - began, 3)
    return sim
