"""Solving: build the model, run HiGHS through Pyomo, map its outcome to a status, extract the plan,
and verify it with the independent checker before anyone sees it."""

from __future__ import annotations

import atexit
import logging
import math
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import highspy
import numpy as np
import pandas as pd
import pyomo.environ as pyo

from jitopt import pyomo_highs
from jitopt.check import check_plan
from jitopt.diagnose import explain_infeasible, undeliverable
from jitopt.errors import SolveError
from jitopt.heuristic import (
    Heuristic,
    Incumbent,
    integer_values,
    item_columns,
    item_groups,
    item_owners,
    period_windows,
)
from jitopt.instance import Instance
from jitopt.model import ModelData, build_model
from jitopt.plan import Plan, SolverRun, Status, make_plan, model_size
from jitopt.scenarios import ScenarioSet, make_scenarios
from jitopt.schema import DEFAULT_MIP_GAP, DEFAULT_TIME_LIMIT, MAX_TIME_LIMIT
from jitopt.sizing import check_size, estimate

MIN_SOLVE_SECONDS = 1.0  # HiGHS gets at least this, even when building used the time limit up
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
    ) -> Plan:
        """Solve with HiGHS and return the `Plan`. Options default to instance.toml's [solver];
        bad values raise ValueError.

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
) -> Plan:
    """Build and solve ``instance`` (an `Instance`, or the path of an instance directory); the
    plan's ``status`` says how good it is. The time limit covers building and solving."""
    started = time.perf_counter()
    solver_options(time_limit, mip_gap, threads)  # bad options fail before the build
    if isinstance(instance, (str, os.PathLike)):
        from jitopt.instance import read_instance

        instance = read_instance(instance)
    problem = build(instance, count=scenarios, seed=seed)
    return problem.solve(time_limit, mip_gap, threads, tee, heuristic, stop=stop, started=started)


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


def run_highs(
    model,
    time_limit: float,
    mip_gap: float,
    threads: int | None,
    tee: bool,
    heuristic: bool = False,
    start=None,
    *,
    stop: threading.Event | None = None,
    deadline: float | None = None,
    progress=None,
    fallback: dict | None = None,
) -> SolverRun:
    """Solve with HiGHS (in memory, via Pyomo's highspy interface) and map the outcome to a
    `Status`; load the plan into the model's variables. In steps: set HiGHS up (`_set_up`),
    run it, with the heuristic beside it (`_search`), keep the better of their plans
    (`_choose`), map HiGHS's status (`_status`, a table), load the plan (`_load_plan`).

    With ``heuristic``, `jitopt.heuristic` runs in a second thread and hands its plans to HiGHS;
    the bound is HiGHS's. ``start(seconds, stopped)`` gives the heuristic a plan to start from,
    ``fallback`` the line decisions of a rule's plan to hand over first (see `Heuristic`).
    Setting the event ``stop``, or a KeyboardInterrupt while HiGHS runs, stops the search within
    a moment (status feasible or no_solution, ``run.interrupted``). ``deadline`` (a
    `time.perf_counter` value, default now + ``time_limit``) ends the whole run.
    ``progress("search")`` is called when HiGHS starts, ``progress("finish")`` when it ends."""
    opt = pyomo_highs.new()
    for thread in _background():  # a stopped run still ending: HiGHS's threads are shared
        thread.join()
    began = time.perf_counter()
    deadline = began + time_limit if deadline is None else deadline
    stop = stop if stop is not None else threading.Event()
    run = _set_up(opt, model, mip_gap, threads, tee, deadline, stop)
    if heuristic:
        _start_heuristic(run, opt, model, began, start, fallback)
    outcome = _search(run, progress)
    seconds = time.perf_counter() - began
    outcome = _choose(outcome, run.incumbent)
    status, bound = _status(outcome, run.h, mip_gap)
    if outcome.values is not None and status.has_plan:
        _load_plan(opt, model, run.passed, outcome)
    version = ".".join(str(v) for v in opt.version())
    result = SolverRun(
        status, outcome.objective, bound, seconds, f"highs {version}", time_limit, mip_gap
    )
    result.interrupted = stop.is_set()
    if run.incumbent is not None:
        result.heuristic = {
            "plans": [{"seconds": t, "objective": v} for t, v in run.incumbent.history],
            "final_plan_from": outcome.source,
        }
    return result


@dataclass(eq=False)
class _Run:
    """HiGHS set up for one solve: the solver, the model as passed (for `_polish`), what its
    callbacks report, when it must end; the heuristic beside it, if any."""

    h: highspy.Highs
    passed: highspy.HighsModel
    watch: _Watch
    end: float
    worker: Heuristic | None = None
    incumbent: Incumbent | None = None


@dataclass
class _Outcome:
    """What a search ended with: HiGHS's status, and the best plan (``values``: one per column)."""

    model_status: highspy.HighsModelStatus
    node_count: int
    dual_bound: float
    values: np.ndarray | None
    objective: float | None
    source: str = "highs"


def _set_up(opt, model, mip_gap, threads, tee, deadline: float, stop) -> _Run:
    """Pass the model to HiGHS, set its options and subscribe the callbacks."""
    opt.set_instance(model)
    h = pyomo_highs.highs(opt)
    _check_passed(opt, h)
    passed = h.getModel()  # for `_polish`: HiGHS may still be running when it is needed
    if threads:
        h.resetGlobalScheduler(True)  # the thread count is fixed when HiGHS first starts threads
        h.setOptionValue("threads", int(threads))
    h.setOptionValue("output_flag", bool(tee))
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    end = max(deadline, time.perf_counter() + MIN_SOLVE_SECONDS)
    h.setOptionValue("time_limit", end - time.perf_counter())
    watch = _Watch(stop)
    for callback in (h.cbSimplexInterrupt, h.cbIpmInterrupt):
        callback.subscribe(watch.interrupt)
    h.cbMipInterrupt.subscribe(watch.mip_interrupt)
    h.cbMipImprovingSolution.subscribe(watch.improving)
    return _Run(h, passed, watch, end)


def _start_heuristic(run: _Run, opt, model, began: float, start, fallback) -> None:
    """Start `jitopt.heuristic` in its own thread, handing its plans to HiGHS (no heuristic when
    the model has no item integer variables)."""
    joint, groups = item_groups(opt, model)
    if not groups:
        return
    run.incumbent = Incumbent(start=began)
    run.worker = Heuristic(
        run.h,
        joint,
        groups,
        run.incumbent,
        deadline=run.end,
        start=start,
        columns=item_columns(opt, model) if start or fallback else None,
        fallback=fallback,
        windows=period_windows(opt, model),
        owner=item_owners(opt, model),
    )
    run.h.cbMipUserSolution.subscribe(_give_incumbent, run.incumbent)
    run.worker.start()


def _search(run: _Run, progress) -> _Outcome:
    """Run HiGHS until it ends, the deadline or a stop; then stop the heuristic."""
    h, watch, worker = run.h, run.watch, run.worker
    if progress is not None:
        progress("search")
    try:
        detached = _run(h, watch, run.end, worker.stop if worker is not None else None)
    finally:
        if progress is not None:
            progress("finish")
        if worker is not None:
            worker.stop()
            waited = time.perf_counter() - (watch.stopped_at or time.perf_counter())
            worker.join(max(GRACE_SECONDS - waited, 0.05))
            if worker.is_alive():
                _LEFT_BEHIND.append(worker)
    if worker is not None and worker.error is not None:
        raise SolveError(f"the heuristic failed: {worker.error!r}") from worker.error
    if detached:  # HiGHS is still in a sub-MIP: go on with what its callbacks reported
        values, objective = watch.plan()
        return _Outcome(highspy.HighsModelStatus.kInterrupt, 0, watch.bound, values, objective)
    info = h.getInfo()
    has_solution = info.primal_solution_status == 2
    return _Outcome(
        h.getModelStatus(),
        info.mip_node_count,
        info.mip_dual_bound,
        np.asarray(h.getSolution().col_value) if has_solution else None,
        info.objective_function_value if has_solution else None,
    )


def _choose(outcome: _Outcome, incumbent: Incumbent | None) -> _Outcome:
    """The heuristic's final plan instead of HiGHS's, when it is better."""
    if incumbent is None:
        return outcome
    with incumbent.lock:  # the heuristic may still be running, if a stop left it behind
        found, solution = incumbent.value, incumbent.solution
    objective = outcome.objective
    if solution is not None and (
        objective is None or found < objective - 1e-9 * max(1.0, abs(objective))
    ):
        outcome.objective, outcome.values, outcome.source = found, solution, "heuristic"
    return outcome


_M = highspy.HighsModelStatus
# HiGHS's model status -> (status with a plan, status without one); None: an error
_STATUS = {
    _M.kInfeasible: (Status.INFEASIBLE, Status.INFEASIBLE),
    _M.kUnboundedOrInfeasible: (Status.INFEASIBLE, Status.INFEASIBLE),
    _M.kOptimal: (Status.OPTIMAL, None),
    _M.kModelEmpty: (Status.OPTIMAL, Status.OPTIMAL),  # nothing to decide: its cost is constant
    **{
        limit: (Status.FEASIBLE, Status.NO_SOLUTION)
        for limit in (
            _M.kTimeLimit,
            _M.kIterationLimit,
            _M.kSolutionLimit,
            _M.kInterrupt,
            _M.kObjectiveBound,
            _M.kObjectiveTarget,
        )
    },
}


def _status(outcome: _Outcome, h: highspy.Highs, mip_gap: float) -> tuple[Status, float | None]:
    """The `Status` (`_STATUS`) and the proven bound. An empty model's plan is all zeros; a plan
    of the heuristic is optimal only within the gap of HiGHS's bound."""
    model_status = outcome.model_status
    if model_status == _M.kModelEmpty:
        outcome.objective = h.getInfo().objective_function_value
        outcome.values = np.zeros(h.getNumCol())
    with_plan, without = _STATUS.get(model_status, (None, None))
    status = with_plan if outcome.values is not None else without
    if status is None:
        raise SolveError(f"HiGHS stopped with status {h.modelStatusToString(model_status)}")
    if status == Status.INFEASIBLE:
        return status, None
    bound = None
    if status == Status.OPTIMAL and outcome.node_count < 0:  # an LP: its optimum is the bound
        bound = outcome.objective
    elif status in (Status.OPTIMAL, Status.FEASIBLE) and math.isfinite(outcome.dual_bound):
        bound = float(outcome.dual_bound)
    if status == Status.OPTIMAL and outcome.source == "heuristic":
        status = _status_for_gap(outcome.objective, bound, mip_gap)
    return status, bound


def _load_plan(opt, model, passed: highspy.HighsModel, outcome: _Outcome) -> None:
    """Polish the plan's integer values (`_polish`) and load it into the model's variables."""
    polished = _polish(passed, outcome.values)
    if polished is not None:
        outcome.values, outcome.objective = polished
    pyomo_highs.load(opt, outcome.values)


def _status_for_gap(objective: float, bound: float | None, mip_gap: float) -> Status:
    """OPTIMAL when the plan is within the requested gap of the bound, else FEASIBLE."""
    if bound is None:
        return Status.FEASIBLE
    gap = (objective - bound) / max(abs(objective), 1e-9)
    return Status.OPTIMAL if gap <= mip_gap + 1e-12 else Status.FEASIBLE


GRACE_SECONDS = 0.2  # after a stop, how long HiGHS and the heuristic may take to return


class _Watch:
    """What HiGHS reports through its callbacks while it runs: its best plan and bound, so that
    a stop need not wait for HiGHS to return (its sub-MIP heuristics do not look at the
    interrupt callback and can run for seconds); and the stop itself."""

    def __init__(self, stop: threading.Event):
        self.stop = stop
        self.expired = threading.Event()  # past the deadline: HiGHS overran its time limit
        self.stopped_at: float | None = None  # when the run noticed the stop
        self.lock = threading.Lock()
        self.value = math.inf
        self.solution: np.ndarray | None = None
        self.bound = -math.inf

    @property
    def stopping(self) -> bool:
        return self.stop.is_set() or self.expired.is_set()

    def interrupt(self, event) -> None:
        if self.stopping:
            event.interrupt()

    def mip_interrupt(self, event) -> None:
        bound = event.data_out.mip_dual_bound
        if math.isfinite(bound):
            self.bound = bound
        self.interrupt(event)

    def improving(self, event) -> None:
        out = event.data_out
        solution = np.array(out.mip_solution, dtype=float)
        with self.lock:
            if out.objective_function_value < self.value:
                self.value, self.solution = out.objective_function_value, solution
            if math.isfinite(out.mip_dual_bound):
                self.bound = out.mip_dual_bound

    def plan(self) -> tuple[np.ndarray | None, float | None]:
        with self.lock:
            if self.solution is None:
                return None, None
            return self.solution.copy(), self.value


DEADLINE_SLACK = 0.5  # HiGHS may overrun its time limit by this before it is stopped


def _run(h: highspy.Highs, watch: _Watch, deadline: float, on_stop=None) -> bool:
    """``h.run()`` in a thread of its own, so that the calling thread stays responsive: a
    KeyboardInterrupt there (Ctrl-C; the command line turns SIGTERM into one too) sets the stop
    event, which HiGHS's interrupt callbacks notice; so does the deadline, which HiGHS can
    overrun in its cut rounds and sub-MIPs. Returns True when HiGHS has not returned
    `GRACE_SECONDS` after a stop: the run then goes on with what HiGHS's callbacks reported,
    and HiGHS ends in the background at its next interrupt check. ``on_stop()`` is called as
    soon as the stop is noticed (the heuristic then stops at the same time)."""
    done = threading.Event()
    failure: list[BaseException] = []

    def target():
        try:
            h.run()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            failure.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=target, name="jitopt-highs", daemon=True)
    thread.start()
    while not done.is_set():
        try:
            done.wait(0.05)
        except KeyboardInterrupt:
            watch.stop.set()
        if time.perf_counter() > deadline + DEADLINE_SLACK:
            watch.expired.set()
        if watch.stopping and watch.stopped_at is None:
            watch.stopped_at = time.perf_counter()
            if on_stop is not None:
                on_stop()
        if watch.stopping and not done.wait(GRACE_SECONDS):
            _LEFT_BEHIND.append(thread)
            return True
    thread.join()
    if failure:
        raise failure[0]
    return False


_LEFT_BEHIND: list[threading.Thread] = []  # runs a stop did not wait for (see `_run`)


def _background() -> list[threading.Thread]:
    _LEFT_BEHIND[:] = [t for t in _LEFT_BEHIND if t.is_alive()]
    return list(_LEFT_BEHIND)


@atexit.register
def _wait_for_background() -> None:
    """A run that a stop left behind ends at HiGHS's next interrupt check (a few seconds at
    most): wait for it before the interpreter shuts down, which would otherwise abort the
    process under a thread that is still inside HiGHS."""
    for thread in _background():
        thread.join()


def running_in_background() -> bool:
    """True while a HiGHS run or heuristic that a stop left behind has not ended yet (see
    `_run`); the command line then ends its process without waiting for them."""
    return bool(_background())


INTEGRALITY_NOISE = 1e-9  # integer values further than this from a whole number are polished
POLISH_SECONDS = 10.0


def _polish(passed: highspy.HighsModel, values: np.ndarray) -> tuple[np.ndarray, float] | None:
    """A plan whose integer variables are whole numbers, or None when ``values`` has them
    already (or polishing fails). HiGHS accepts integer values within its tolerance (1e-6):
    a binary "line used" of 1.7e-7 lets a line of 1.6e-5 units past its MOQ of 95 and its order
    cost, which the plan's tables then charge. The integer variables are rounded and fixed, and the
    LP of the rest solved again, so that the plan is exactly one of the model's."""
    lp = passed.lp_
    integer = (
        np.flatnonzero(np.asarray(lp.integrality_, dtype=int) == 1)
        if len(lp.integrality_)
        else np.zeros(0, dtype=int)
    )
    if not len(integer):
        return None
    rounded = np.round(values[integer])
    if np.abs(values[integer] - rounded).max() <= INTEGRALITY_NOISE:
        return None
    p = highspy.Highs()
    p.setOptionValue("output_flag", False)
    p.setOptionValue("time_limit", POLISH_SECONDS)
    p.passModel(passed)
    p.changeColsBounds(len(integer), integer, rounded, rounded)
    continuous = np.full(len(integer), highspy.HighsVarType.kContinuous)
    p.changeColsIntegrality(len(integer), integer, continuous)
    p.run()
    if p.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return np.asarray(p.getSolution().col_value), p.getInfo().objective_function_value


def _check_passed(opt, h: highspy.Highs) -> None:
    """HiGHS refuses a whole block of rows or columns whose numbers it cannot handle (a
    coefficient of 1e15 or more) and Pyomo does not look: then it would solve another model
    and report its plan. The model HiGHS holds must have every row and column Pyomo built."""
    rows, cols = pyomo_highs.row_count(opt), pyomo_highs.column_count(opt)
    if h.getNumRow() != rows or h.getNumCol() != cols:
        raise SolveError(
            f"HiGHS took {h.getNumRow():,} of the model's {rows:,} constraints and "
            f"{h.getNumCol():,} of its {cols:,} variables: it refuses numbers it cannot handle "
            "(1e15 or more); look for very large values in the instance"
        )


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
