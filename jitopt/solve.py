"""Solving: build the model, run HiGHS through Pyomo, map its outcome to a status, extract the plan."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.contrib.solver.common.factory import SolverFactory
from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition

from jitopt.instance import Instance
from jitopt.model import ModelData, build_model
from jitopt.plan import Plan, SolverRun, Status, make_plan
from jitopt.scenarios import ScenarioSet, make_scenarios
from jitopt.warmstart import set_mip_start

DEFAULT_TIME_LIMIT = 60.0
DEFAULT_MIP_GAP = 1e-4
# A MIP start pays off on large models, where HiGHS alone can spend the whole time limit at the root
# node with only a poor plan (benchmarks/README.md); small models solve faster without it.
WARM_START_MIN_INTEGERS = 1000
WARM_START_SHARE = 0.5


class SolveError(RuntimeError):
    """The solver failed for a reason other than infeasibility or a limit."""


@dataclass(eq=False)
class Problem:
    """A built model, ready to solve. Add your own Pyomo components to ``model`` before `solve`;
    ``model.x[s, i, t]`` are the order quantities, ``model.inv[w, i, t]`` the stock per scenario."""

    instance: Instance
    scenarios: ScenarioSet
    model: pyo.ConcreteModel
    data: ModelData
    build_seconds: float = 0.0

    def solve(
        self,
        time_limit: float | None = None,
        mip_gap: float | None = None,
        threads: int | None = None,
        tee: bool = False,
        warm_start: float | None = None,
    ) -> Plan:
        """Solve with HiGHS and return the `Plan`. Options default to instance.toml's [solver].

        ``warm_start`` is the share of the time limit spent on a MIP-start heuristic
        (`jitopt.warmstart`); by default 0.5 for models with at least 1000 integer variables, else 0."""
        cfg = self.instance.solver
        time_limit = time_limit or cfg.time_limit or DEFAULT_TIME_LIMIT
        mip_gap = (
            DEFAULT_MIP_GAP
            if mip_gap is None and cfg.mip_gap is None
            else (mip_gap if mip_gap is not None else cfg.mip_gap)
        )
        if warm_start is None:
            integers = sum(1 for v in self.model.component_data_objects(pyo.Var) if v.is_integer())
            warm_start = WARM_START_SHARE if integers >= WARM_START_MIN_INTEGERS else 0.0
        run = run_highs(self.model, time_limit, mip_gap, threads, tee, warm_start)
        run.build_seconds = self.build_seconds
        if run.status in (Status.INFEASIBLE, Status.NO_SOLUTION):
            return make_plan(self.instance, self.scenarios, None, None, run, self.model)
        orders, inventory = extract(self.model, self.data)
        return make_plan(self.instance, self.scenarios, orders, inventory, run, self.model)


def build(
    instance: Instance,
    scenarios: ScenarioSet | None = None,
    *,
    count: int | None = None,
    seed: int | None = None,
) -> Problem:
    """Make the scenarios (unless given) and build the model."""
    start = time.perf_counter()
    sc = scenarios if scenarios is not None else make_scenarios(instance, count=count, seed=seed)
    model, data = build_model(instance, sc)
    return Problem(instance, sc, model, data, build_seconds=time.perf_counter() - start)


def solve(
    instance: Instance,
    *,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
    scenarios: int | None = None,
    seed: int | None = None,
    tee: bool = False,
) -> Plan:
    """Build and solve ``instance``; the plan's ``status`` says how good it is."""
    return build(instance, count=scenarios, seed=seed).solve(time_limit, mip_gap, threads, tee)


def run_highs(
    model,
    time_limit: float,
    mip_gap: float,
    threads: int | None,
    tee: bool,
    warm_start: float = 0.0,
) -> SolverRun:
    """Solve with HiGHS (in memory, via highspy) and map the outcome to a `Status`.

    ``warm_start`` is the share of the time limit given to the MIP-start heuristic of
    `jitopt.warmstart` (0: none)."""
    opt = SolverFactory("highs")
    if not opt.available():
        raise SolveError("HiGHS is not available: install highspy (pip install highspy)")
    start = time.perf_counter()
    heuristic = None
    if warm_start > 0:
        heuristic = set_mip_start(opt, model, warm_start * time_limit, threads)
    remaining = max(time_limit - (time.perf_counter() - start), 0.5)
    options = dict(
        time_limit=remaining,
        rel_gap=mip_gap,
        tee=tee,
        load_solutions=False,
        raise_exception_on_nonoptimal_result=False,
    )
    if threads:
        options["threads"] = threads
    res = opt.solve(model, **options)
    seconds = time.perf_counter() - start
    tc, ss = res.termination_condition, res.solution_status
    has_solution = ss in (SolutionStatus.optimal, SolutionStatus.feasible)
    if tc in (TerminationCondition.provenInfeasible, TerminationCondition.infeasibleOrUnbounded):
        status = Status.INFEASIBLE
    elif has_solution and tc == TerminationCondition.convergenceCriteriaSatisfied:
        status = Status.OPTIMAL
    elif has_solution and tc in (
        TerminationCondition.maxTimeLimit,
        TerminationCondition.iterationLimit,
        TerminationCondition.interrupted,
        TerminationCondition.objectiveLimit,
    ):
        status = Status.FEASIBLE
    elif not has_solution and tc in (
        TerminationCondition.maxTimeLimit,
        TerminationCondition.iterationLimit,
        TerminationCondition.interrupted,
    ):
        status = Status.NO_SOLUTION
    else:
        raise SolveError(f"HiGHS stopped with termination {tc.name} and solution status {ss.name}")
    if has_solution:
        res.solution_loader.load_vars()
    objective = res.incumbent_objective if has_solution else None
    bound = res.objective_bound
    bound = None if bound is None or not math.isfinite(bound) else float(bound)
    version = ".".join(str(v) for v in opt.version())
    return SolverRun(
        status,
        objective,
        bound,
        seconds,
        f"highs {version}",
        time_limit,
        mip_gap,
        heuristic=heuristic,
    )


def _values(var, keys) -> np.ndarray:
    return np.array([var[k].value or 0.0 for k in keys], dtype=float)


def extract(m, data: ModelData) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The plan from the solved model: positive order lines, and stock per scenario."""
    inst, sc = data.inst, data.sc
    lead = inst.suppliers["lead_time"].to_dict()
    qty = _clean(_values(m.x, data.lines))
    lines = pd.DataFrame(data.lines, columns=["supplier", "item", "period"])
    lines["quantity"] = qty
    orders = lines[lines["quantity"] > 1e-6].reset_index(drop=True)
    orders.insert(3, "arrival_period", orders["period"] + orders["supplier"].map(lead))

    keys = data.scenario_keys
    inv = pd.DataFrame(keys, columns=["w", "item", "period"])
    inv.insert(0, "scenario", [sc.names[w] for w in inv["w"]])
    inv["on_hand"] = _clean(_values(m.inv, keys))
    if inst.shortage == "backlog":
        inv["backlog"] = _clean(_values(m.backlog, keys))
    else:
        inv["lost"] = _clean(
            np.array([m.lost[k].value or 0.0 if k in m.LOST_KEYS else 0.0 for k in keys])
        )
    inv["expedited"] = _clean(
        np.array([(m.spot[k].value or 0.0) if k in m.SPOT_KEYS else 0.0 for k in keys])
    )
    return orders, inv.drop(columns="w")


def _clean(values: np.ndarray) -> np.ndarray:
    """Solver values without tolerance noise: tiny values to 0, near-integers to integers."""
    values = np.where(np.abs(values) < 1e-7, 0.0, values)
    rounded = np.round(values)
    values = np.where(np.abs(values - rounded) < 1e-6, rounded, values)
    return np.maximum(values, 0.0)
