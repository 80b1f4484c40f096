"""Solving: build the model, run HiGHS through Pyomo, map its outcome to a status, extract the plan."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.contrib.solver.common.factory import SolverFactory

from jitopt.heuristic import Heuristic, Incumbent, integer_values, item_columns, item_groups
from jitopt.instance import Instance
from jitopt.model import ModelData, build_model
from jitopt.plan import Plan, SolverRun, Status, make_plan
from jitopt.scenarios import ScenarioSet, make_scenarios

DEFAULT_TIME_LIMIT = 60.0
DEFAULT_MIP_GAP = 1e-4
# The heuristic pays off on large models, where HiGHS alone can spend the whole time limit at the
# root node with only a poor plan (benchmarks/README.md); small models solve faster without it.
HEURISTIC_MIN_INTEGERS = 1000


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
        heuristic: bool | None = None,
    ) -> Plan:
        """Solve with HiGHS and return the `Plan`. Options default to instance.toml's [solver].

        ``heuristic`` runs `jitopt.heuristic` next to HiGHS; by default on for models with at
        least 1000 integer variables."""
        cfg = self.instance.solver
        time_limit = time_limit or cfg.time_limit or DEFAULT_TIME_LIMIT
        mip_gap = (
            DEFAULT_MIP_GAP
            if mip_gap is None and cfg.mip_gap is None
            else (mip_gap if mip_gap is not None else cfg.mip_gap)
        )
        if heuristic is None:
            heuristic = _large(self.model)
        start = self._expected_value_plan if heuristic and len(self.scenarios) > 1 else None
        run = run_highs(self.model, time_limit, mip_gap, threads, tee, heuristic, start)
        run.build_seconds = self.build_seconds
        if run.status in (Status.INFEASIBLE, Status.NO_SOLUTION):
            return make_plan(self.instance, self.scenarios, None, None, run, self.model)
        orders, inventory = extract(self.model, self.data)
        return make_plan(self.instance, self.scenarios, orders, inventory, run, self.model)

    def _expected_value_plan(self, seconds: float, stopped: threading.Event) -> dict | None:
        """Line and lot decisions of the expected-value problem's best plan within ``seconds``
        (one scenario: mean demand, every supplier available), for `jitopt.heuristic` to start
        from; None when it found no plan. Setting ``stopped`` interrupts it."""
        model, _ = build_model(self.instance, self.scenarios.expected_value())
        run = run_highs(
            model,
            seconds,
            1e-3,
            None,
            False,
            heuristic=_large(model),
            stopped=stopped,
        )
        return integer_values(model) if run.status.has_plan else None


def _large(model) -> bool:
    """Large enough for the heuristic to pay off (`HEURISTIC_MIN_INTEGERS`)."""
    integers = sum(1 for v in model.component_data_objects(pyo.Var) if v.is_integer())
    return integers >= HEURISTIC_MIN_INTEGERS


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
    heuristic: bool = False,
    start=None,
    stopped: threading.Event | None = None,
) -> SolverRun:
    """Solve with HiGHS (in memory, via Pyomo's highspy interface) and map the outcome to a
    `Status`; load the plan into the model's variables.

    With ``heuristic``, `jitopt.heuristic` runs in a second thread and hands its plans to HiGHS;
    the better of HiGHS's and the heuristic's final plans is kept, and the bound is HiGHS's.
    ``start(seconds, stopped)`` gives the heuristic a plan to start from (see `Heuristic`);
    setting the event ``stopped`` interrupts the run (status feasible or no_solution)."""
    opt = SolverFactory("highs")
    if not opt.available():
        raise SolveError("HiGHS is not available: install highspy (pip install highspy)")
    began = time.perf_counter()
    opt.set_instance(model)
    h = opt._solver_model  # the highspy.Highs that Pyomo built
    if threads:
        h.resetGlobalScheduler(True)  # the thread count is fixed when HiGHS first starts threads
        h.setOptionValue("threads", int(threads))
    h.setOptionValue("output_flag", bool(tee))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    h.setOptionValue("time_limit", max(time_limit - (time.perf_counter() - began), 0.5))

    if stopped is not None:
        h.cbMipInterrupt.subscribe(_interrupt_when, stopped)
    worker = incumbent = None
    if heuristic:
        joint, groups = item_groups(opt, model)
        if groups:
            incumbent = Incumbent(start=began)
            worker = Heuristic(
                h,
                joint,
                groups,
                incumbent,
                deadline=began + time_limit,
                start=start,
                columns=item_columns(opt, model) if start is not None else None,
            )
            h.cbMipUserSolution.subscribe(_give_incumbent, incumbent)
            worker.start()
    try:
        h.run()
    finally:
        if worker is not None:
            worker.stop()
            worker.join()
    seconds = time.perf_counter() - began
    if worker is not None and worker.error is not None:
        raise SolveError(f"the heuristic failed: {worker.error!r}") from worker.error

    info, model_status = h.getInfo(), h.getModelStatus()
    has_solution = info.primal_solution_status == 2
    objective = info.objective_function_value if has_solution else None
    values = np.asarray(h.getSolution().col_value) if has_solution else None
    source = "highs"
    better = (
        incumbent is not None
        and incumbent.solution is not None
        and (objective is None or incumbent.value < objective - 1e-9 * max(1.0, abs(objective)))
    )
    if better:
        objective, values, has_solution = incumbent.value, incumbent.solution, True
        source = "heuristic"

    M = highspy.HighsModelStatus
    if model_status in (M.kInfeasible, M.kUnboundedOrInfeasible):
        status = Status.INFEASIBLE
    elif model_status == M.kOptimal and has_solution:
        status = Status.OPTIMAL
    elif model_status in _LIMITS:
        status = Status.FEASIBLE if has_solution else Status.NO_SOLUTION
    else:
        raise SolveError(f"HiGHS stopped with status {h.modelStatusToString(model_status)}")

    bound = None
    if status == Status.OPTIMAL and info.mip_node_count < 0:  # an LP: its optimum is the bound
        bound = objective
    elif status in (Status.OPTIMAL, Status.FEASIBLE) and math.isfinite(info.mip_dual_bound):
        bound = float(info.mip_dual_bound)
    if status == Status.OPTIMAL and source == "heuristic":
        status = _status_for_gap(objective, bound, mip_gap)
    if has_solution and status.has_plan:
        _load(opt, model, values)
    version = ".".join(str(v) for v in opt.version())
    run = SolverRun(status, objective, bound, seconds, f"highs {version}", time_limit, mip_gap)
    if incumbent is not None:
        run.heuristic = {
            "plans": [{"seconds": t, "objective": v} for t, v in incumbent.history],
            "final_plan_from": source,
        }
    return run


_LIMITS = (
    highspy.HighsModelStatus.kTimeLimit,
    highspy.HighsModelStatus.kIterationLimit,
    highspy.HighsModelStatus.kSolutionLimit,
    highspy.HighsModelStatus.kInterrupt,
    highspy.HighsModelStatus.kObjectiveBound,
    highspy.HighsModelStatus.kObjectiveTarget,
)


def _status_for_gap(objective: float, bound: float | None, mip_gap: float) -> Status:
    """OPTIMAL when the plan is within the requested gap of the bound, else FEASIBLE."""
    if bound is None:
        return Status.FEASIBLE
    gap = (objective - bound) / max(abs(objective), 1e-9)
    return Status.OPTIMAL if gap <= mip_gap + 1e-12 else Status.FEASIBLE


def _interrupt_when(event) -> None:
    if event.user_data.is_set():
        event.interrupt()


def _give_incumbent(event) -> None:
    """HiGHS's user-solution callback: hand over the heuristic's plan when it is better."""
    incumbent: Incumbent = event.user_data
    with incumbent.lock:
        if incumbent.given or incumbent.solution is None:
            return
        current = event.data_out.objective_function_value
        if math.isfinite(current) and incumbent.value >= current:
            return
        event.data_in.user_has_solution = True
        event.data_in.user_solution[:] = incumbent.solution
        incumbent.given = True


def _load(opt, model, values: np.ndarray) -> None:
    """Set every Pyomo variable that HiGHS knows to its value in ``values``."""
    col = opt._pyomo_var_to_solver_var_map
    for v in model.component_data_objects(pyo.Var, descend_into=True):
        k = col.get(id(v))
        if k is not None:
            v.set_value(float(values[k]), skip_validation=True)


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
