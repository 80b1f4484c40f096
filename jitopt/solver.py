"""Solving: build the model, run HiGHS (`jitopt.highs_run`), extract the plan, and verify it with
the independent checker before anyone sees it."""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from jitopt.check import check_plan
from jitopt.diagnose import explain_infeasible, undeliverable
from jitopt.errors import SolveError
from jitopt.heuristic import integer_values
from jitopt.highs_run import Snapshot, run_highs
from jitopt.instance import Instance
from jitopt.model import ModelData, build_model
from jitopt.plan import Plan, Status, make_plan, model_size
from jitopt.scenarios import ScenarioSet, make_scenarios
from jitopt.schema import DEFAULT_MIP_GAP, DEFAULT_TIME_LIMIT, MAX_TIME_LIMIT
from jitopt.sizing import check_size, estimate

# The heuristic pays off on large models, where HiGHS alone can spend the whole time limit at the
# root node with only a poor plan (benchmarks/README.md); small models solve faster without it.
HEURISTIC_MIN_INTEGERS = 1000
# With several scenarios the heuristic starts from the expected-value plan (0), or from the plan of
# this many representative scenarios (`ScenarioSet.representatives`: from the mildest to the most
# disrupted), a plan that hedges. On the 20-scenario benchmark at 60 s the expected-value start
# ended at 5.6-7.8 %, four representative scenarios at 9.5-10.6 %: the 4-scenario problem is not
# solved well enough in its share of the time (benchmarks/README.md, "Closer to optimal").
START_SCENARIOS = 0
OBJECTIVE_RTOL = 1e-5  # HiGHS's objective and the one recomputed from the plan's tables


def solver_options(
    time_limit: float | None, mip_gap: float | None, threads: int | None
) -> tuple[float | None, float | None, int | None]:
    """The options, checked: raise ValueError naming the option and what it must be."""
    if time_limit is not None:
        time_limit = _number("time_limit", time_limit)
        if not 0 < time_limit <= MAX_TIME_LIMIT:
            raise ValueError(
                f"time_limit must be > 0 and at most {MAX_TIME_LIMIT:g} seconds, got {time_limit:g}"
            )
    if mip_gap is not None:
        mip_gap = _number("mip_gap", mip_gap)
        if not 0 <= mip_gap <= 1:
            raise ValueError(f"mip_gap must be in [0, 1] (a relative gap), got {mip_gap:g}")
    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)):
            raise ValueError(f"threads must be a whole number, got {threads!r}")
        cores = os.cpu_count() or 1
        if not 1 <= threads <= cores:
            raise ValueError(f"threads must be in 1..{cores} (this machine's cores), got {threads}")
        threads = int(threads)
    return time_limit, mip_gap, threads


def _number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a number, got {value!r}")  # noqa: TRY004
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    return value


@dataclass(eq=False)
class BuiltModel:
    """A built model, ready to solve. Add your own Pyomo components to ``model`` before `solve`;
    ``model.x[s, i, t]`` are the order quantities, ``model.inv[w, i, t]`` the stock per scenario."""

    instance: Instance
    scenarios: ScenarioSet
    model: pyo.ConcreteModel
    data: ModelData
    build_seconds: float = 0.0
    # variables, binaries, integers, constraints as built (`jitopt.plan.model_size`): another
    # constraint count at solve time means the user changed the model
    size: dict | None = None
    notes: tuple[str, ...] = ()  # warnings found while building
    # Where `solve` is: "prepare" (handing the model to HiGHS), "search" (HiGHS runs: stopping
    # keeps the best plan so far), "finish" (the plan is extracted and checked).
    phase: str = "prepare"

    def solve(
        self,
        time_limit: float | None = None,
        mip_gap: float | None = None,
        threads: int | None = None,
        tee: bool = False,
        heuristic: bool | None = None,
        *,
        stop: threading.Event | None = None,
        started: float | None = None,
        progress: Callable[[Snapshot], None] | None = None,
    ) -> Plan:
        """Solve with HiGHS and return the `Plan`. Options default to instance.toml's [solver];
        bad values raise ValueError. ``progress(snapshot)`` is called about twice a second
        while the search runs (`jitopt.highs_run.Snapshot`: seconds, best objective and where
        it came from, bound, gap).

        ``heuristic`` runs `jitopt.heuristic` next to HiGHS; by default on for models with at
        least 1000 integer variables. Setting the event ``stop`` (or Ctrl-C) stops the search:
        the plan is then the best one found so far (``summary["interrupted"]``). The time limit
        counts from ``started`` (a `time.perf_counter` value; default: now).

        Every plan is checked by `jitopt.check` (balances, rules and costs recomputed from its
        tables) before it is returned; a plan that fails, or an "infeasible" that ordering
        nothing disproves, raises `SolveError` instead."""
        began = time.perf_counter() if started is None else started
        self.phase = "prepare"
        time_limit, mip_gap, threads = solver_options(time_limit, mip_gap, threads)
        cfg = self.instance.solver
        if time_limit is None:
            time_limit = cfg.time_limit or DEFAULT_TIME_LIMIT
        if mip_gap is None:
            mip_gap = DEFAULT_MIP_GAP if cfg.mip_gap is None else cfg.mip_gap
        if heuristic is None:
            heuristic = _large(self.model, self.size if not self._changed() else None)
        stop = stop if stop is not None else threading.Event()
        start = self._start_plan if heuristic and len(self.scenarios) > 1 else None
        fallback = self._policy_plan_lines() if heuristic and not self._changed() else None
        run = run_highs(
            self.model,
            time_limit,
            mip_gap,
            threads,
            tee,
            heuristic,
            start,
            stop=stop,
            deadline=began + time_limit,
            progress=lambda phase: setattr(self, "phase", phase),
            fallback=fallback,
            on_update=progress,
        )
        self.phase = "finish"
        run.build_seconds = self.build_seconds
        run.notes = list(self.notes)
        constraints = _constraints(self.model)
        built = self._built_constraints()
        as_built = constraints == built and self._our_objective()
        if constraints == built:
            run.model_size = self.size
        if run.status == Status.INFEASIBLE:
            conflicts = explain_infeasible(self.instance, self.scenarios)
            if not conflicts and as_built:
                raise SolveError(
                    "HiGHS reports the instance infeasible, but ordering nothing is a feasible "
                    "plan of it: a numerical failure of the solver (look for very large or very "
                    "small numbers in the instance), not an infeasible instance"
                )
            run.conflicts = conflicts
        if not run.status.has_plan:
            return make_plan(self.instance, self.scenarios, None, None, run, self.model)
        orders, inventory = extract(self.model, self.data)
        plan = make_plan(self.instance, self.scenarios, orders, inventory, run, self.model)
        if constraints >= built:
            # Constraints the user added only restrict the plan further: it must still keep
            # every rule of the instance. Costs are HiGHS's to compare only for our objective.
            # (With the model as built, "ordering nothing is feasible" and its costs are ours to
            # assert; after the user's changes they are not.)
            verify(plan, run.objective if as_built else None)
        return plan

    def _built_constraints(self) -> int:
        if self.size is None:  # a BuiltModel made by hand: take the model as it is
            self.size = model_size(self.model)
        return self.size["constraints"]

    def _changed(self) -> bool:
        return _constraints(self.model) != self._built_constraints()

    def _our_objective(self) -> bool:
        objectives = list(self.model.component_data_objects(pyo.Objective, active=True))
        return len(objectives) == 1 and objectives[0] is getattr(self.model, "total_cost", None)

    def _policy_plan_lines(self) -> dict | None:
        """The item integer values (line used, lots, price tier) of the `jit` policy's plan: a
        plan that keeps every rule, made in a fraction of a second (`jitopt.policies`), for the
        heuristic to hand over first. None when the policy cannot make one."""
        from jitopt.policies import policy_orders

        try:
            orders = policy_orders(self.instance, "jit").orders
        except (ValueError, KeyError):
            return None
        m, lot = self.model, self.instance.offers["lot_multiple"]
        values: dict = {}
        for s, i, t, q in zip(
            orders["supplier"], orders["item"], orders["period"], orders["quantity"]
        ):
            line = (s, i, int(t))
            if hasattr(m, "w") and line in m.w:
                values["w", line] = 1.0
            if hasattr(m, "n") and line in m.n:
                values["n", line] = round(q / lot[s, i])
            for tier in self.data.tiers.get(line, ()):
                if tier.low - 1e-9 <= q <= tier.high + 1e-9 and hasattr(m, "v"):
                    values["v", (*line, tier.k)] = 1.0
                    break
        return values

    def _start_plan(self, seconds: float, stopped: threading.Event) -> dict | None:
        """The plan `jitopt.heuristic` starts from with several scenarios: that of
        `START_SCENARIOS` representative scenarios, or the expected-value plan."""
        few = self.scenarios.representatives(START_SCENARIOS) if START_SCENARIOS else None
        return self._expected_value_plan(seconds, stopped, few)

    def _expected_value_plan(
        self, seconds: float, stopped: threading.Event, scenarios: ScenarioSet | None = None
    ) -> dict | None:
        """Line and lot decisions of the expected-value problem's best plan within ``seconds``
        (one scenario: mean demand, every supplier available; or the problem of ``scenarios``
        instead), for `jitopt.heuristic` to start from; None when it found no plan. Setting
        ``stopped`` interrupts it."""
        scenarios = self.scenarios.expected_value() if scenarios is None else scenarios
        model, _ = build_model(self.instance, scenarios)
        run = run_highs(
            model,
            seconds,
            1e-3,
            None,
            False,
            heuristic=_large(model),
            stop=stopped,
        )
        return integer_values(model) if run.status.has_plan else None


def verify(plan: Plan, solver_objective: float | None) -> None:
    """Raise `SolveError` unless the independent checker accepts ``plan`` and its cost,
    recomputed from its tables, lies between HiGHS's bound and HiGHS's objective (when
    ``solver_objective`` is given: the model's own objective). (It may lie
    below the objective: an early plan of HiGHS can pay an order cost for a period without
    lines, which the plan's tables do not charge; it can never cost more, nor less than the
    bound.)"""
    report = check_plan(plan.instance, plan)
    problems = list(report.unreadable) + list(report.problems)
    objective, bound = plan.summary.get("objective"), plan.summary.get("bound")

    def above(a: float, b: float) -> bool:
        return a - b > OBJECTIVE_RTOL * max(1.0, abs(a), abs(b))

    if (
        objective is not None
        and solver_objective is not None
        and above(objective, solver_objective)
    ):
        problems.insert(
            0, f"the plan's tables cost {objective:,.6g}, more than HiGHS's {solver_objective:,.6g}"
        )
    if (
        solver_objective is not None
        and objective is not None
        and bound is not None
        and above(bound, objective)
    ):
        problems.insert(
            0, f"the plan's tables cost {objective:,.6g}, less than HiGHS's bound {bound:,.6g}"
        )
    if problems:
        shown = "\n".join(f"  - {p}" for p in problems[:5])
        more = f"\n  ... and {len(problems) - 5} more" if len(problems) > 5 else ""
        raise SolveError(
            f"the plan HiGHS returned fails the independent check ({len(problems)} problem(s)), "
            f"so it is not reported; this points to numbers the solver cannot handle (very "
            f"large or very small values in the instance) or to a bug:\n{shown}{more}"
        )


def _large(model, size: dict | None = None) -> bool:
    """Large enough for the heuristic to pay off (`HEURISTIC_MIN_INTEGERS`); ``size`` (from
    `model_size`) saves counting the variables again."""
    if size is not None:
        integers = size["binaries"] + size["integers"]
    else:
        integers = sum(1 for v in model.component_data_objects(pyo.Var) if v.is_integer())
    return integers >= HEURISTIC_MIN_INTEGERS


def _constraints(model) -> int:
    return sum(1 for _ in model.component_data_objects(pyo.Constraint, active=True))


def build(
    instance: Instance,
    scenarios: ScenarioSet | None = None,
    *,
    count: int | None = None,
    seed: int | None = None,
    force: bool = False,
) -> BuiltModel:
    """Make the scenarios (unless given) and build the model.

    The model's size and memory are estimated first: a model that cannot fit this machine's
    memory raises `jitopt.errors.SizeError` (with the estimate and what to change) unless
    ``force``. ``count``/``seed`` override ``[scenarios]``; bad values raise ValueError."""
    _check_instance(instance)
    start = time.perf_counter()
    size = estimate(instance, count=count if scenarios is None else len(scenarios))
    check_size(size, force=force)
    sc = scenarios if scenarios is not None else make_scenarios(instance, count=count, seed=seed)
    with _quiet_pyomo():
        model, data = build_model(instance, sc)
    return BuiltModel(
        instance,
        sc,
        model,
        data,
        build_seconds=time.perf_counter() - start,
        size=model_size(model),
        notes=(*instance.warnings, *sc.notes, *undeliverable(instance, sc)),
    )


def solve(
    instance: Instance | str | os.PathLike,
    *,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
    scenarios: int | None = None,
    seed: int | None = None,
    tee: bool = False,
    heuristic: bool | None = None,
    stop: threading.Event | None = None,
    progress: Callable[[Snapshot], None] | None = None,
) -> Plan:
    """Build and solve ``instance`` (an `Instance`, or the path of an instance directory); the
    plan's ``status`` says how good it is. The time limit covers building and solving.
    ``progress(snapshot)``: see `BuiltModel.solve`."""
    started = time.perf_counter()
    solver_options(time_limit, mip_gap, threads)  # bad options fail before the build
    if isinstance(instance, (str, os.PathLike)):
        from jitopt.instance import read_instance

        instance = read_instance(instance)
    problem = build(instance, count=scenarios, seed=seed)
    return problem.solve(
        time_limit, mip_gap, threads, tee, heuristic, stop=stop, started=started, progress=progress
    )


def _check_instance(instance) -> None:
    if not isinstance(instance, Instance):
        raise TypeError(
            f"expected a jitopt.Instance (from jitopt.read_instance(path) or "
            f"Instance.from_frames(...)), got {type(instance).__name__}"
        )


@contextmanager
def _quiet_pyomo():
    """Pyomo logs "Constructing component ... failed" before re-raising any error (an
    interruption too): the error is reported once, by the caller."""
    logger = logging.getLogger("pyomo.core")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def _values(var, keys) -> np.ndarray:
    """Values of ``var`` at ``keys``; 0 where the variable does not exist or has no value."""
    found = {k: v.value for k, v in var.items()}
    return np.array([found.get(k) or 0.0 for k in keys], dtype=float)


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
        inv["lost"] = _clean(_values(m.lost, keys))
    inv["expedited"] = _clean(_values(m.spot, keys))
    return orders, inv.drop(columns="w")


def _clean(values: np.ndarray) -> np.ndarray:
    """Solver values without tolerance noise: tiny values to 0, near-integers to integers."""
    values = np.where(np.abs(values) < 1e-7, 0.0, values)
    rounded = np.round(values)
    values = np.where(np.abs(values - rounded) < 1e-6, rounded, values)
    return np.maximum(values, 0.0)
