"""Running HiGHS on a built model: `run_highs` sets HiGHS up through Pyomo's persistent interface
(`jitopt.pyomo_highs`), runs it with `jitopt.heuristic` beside it, keeps the better plan, maps the
status and loads the plan into the model. It also owns what a stop needs: the callbacks that
notice it, the thread HiGHS runs in, and the runs a stop left behind."""

from __future__ import annotations

import atexit
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import highspy
import numpy as np

from jitopt import pyomo_highs
from jitopt.errors import SolveError
from jitopt.heuristic import (
    Heuristic,
    Incumbent,
    item_columns,
    item_groups,
    item_owners,
    period_windows,
)
from jitopt.plan import SolverRun, Status

MIN_SOLVE_SECONDS = 1.0  # HiGHS gets at least this, even when building used the time limit up


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
    on_update: Callable[[Snapshot], None] | None = None,
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
    ``progress("search")`` is called when HiGHS starts, ``progress("finish")`` when it ends;
    ``on_update(Snapshot)`` about every `UPDATE_SECONDS` while the search runs (in the calling
    thread)."""
    opt = pyomo_highs.new()
    for thread in _background():  # a stopped run still ending: HiGHS's threads are shared
        thread.join()
    began = time.perf_counter()
    deadline = began + time_limit if deadline is None else deadline
    stop = stop if stop is not None else threading.Event()
    run = _set_up(opt, model, mip_gap, threads, tee, deadline, stop)
    if heuristic:
        _start_heuristic(run, opt, model, began, start, fallback)
    outcome = _search(run, progress, _ticker(run, began, on_update))
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


def _search(run: _Run, progress, tick=None) -> _Outcome:
    """Run HiGHS until it ends, the deadline or a stop; then stop the heuristic. ``tick()`` is
    called while it waits (`_ticker`)."""
    h, watch, worker = run.h, run.watch, run.worker
    if progress is not None:
        progress("search")
    try:
        detached = _run(h, watch, run.end, worker.stop if worker is not None else None, tick)
        if tick is not None:
            tick(final=True)  # the last view: what the search ended with
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
UPDATE_SECONDS = 0.5  # how often `run_highs` reports a `Snapshot` while it searches


@dataclass(frozen=True)
class Snapshot:
    """The search so far: seconds since it began, the best plan's objective and where it came
    from ("HiGHS" or "heuristic"; None before the first plan), HiGHS's bound and the gap."""

    seconds: float
    objective: float | None
    source: str | None
    bound: float | None
    gap: float | None


def _ticker(run: _Run, began: float, on_update):
    """A ``tick()`` for `_run` that calls ``on_update(Snapshot)`` every `UPDATE_SECONDS`."""
    if on_update is None:
        return None
    last = [-math.inf]

    def tick(final: bool = False) -> None:
        now = time.perf_counter()
        if now - last[0] < UPDATE_SECONDS and not final:
            return
        last[0] = now
        on_update(snapshot(run, now - began))

    return tick


def snapshot(run: _Run, seconds: float) -> Snapshot:
    """What HiGHS's callbacks and the heuristic have reported so far."""
    watch = run.watch
    with watch.lock:
        objective, bound = watch.value, watch.bound
    source = "HiGHS" if math.isfinite(objective) else None
    if run.incumbent is not None:
        with run.incumbent.lock:
            found = run.incumbent.value
        if found is not None and math.isfinite(found) and found < objective - 1e-9:
            objective, source = found, "heuristic"
    objective = objective if math.isfinite(objective) else None
    bound = bound if math.isfinite(bound) else None
    gap = None
    if objective is not None and bound is not None:
        gap = max(objective - bound, 0.0) / max(abs(objective), 1e-9)
    return Snapshot(seconds, objective, source, bound, gap)


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


def _run(h: highspy.Highs, watch: _Watch, deadline: float, on_stop=None, tick=None) -> bool:
    """``h.run()`` in a thread of its own, so that the calling thread stays responsive: a
    KeyboardInterrupt there (Ctrl-C; the command line turns SIGTERM into one too) sets the stop
    event, which HiGHS's interrupt callbacks notice; so does the deadline, which HiGHS can
    overrun in its cut rounds and sub-MIPs. Returns True when HiGHS has not returned
    `GRACE_SECONDS` after a stop: the run then goes on with what HiGHS's callbacks reported,
    and HiGHS ends in the background at its next interrupt check. ``on_stop()`` is called as
    soon as the stop is noticed (the heuristic then stops at the same time); ``tick()`` at each
    turn of the wait (every 0.05 s)."""
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
        if tick is not None:
            tick()
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
