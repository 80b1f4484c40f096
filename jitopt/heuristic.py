"""A primal heuristic next to HiGHS: a rule's plan, then fix-and-optimize over items and periods.

On large models with MOQs and capacities HiGHS can spend the whole time limit in the cut rounds of
its root node, where its own heuristics hardly run, and return a plan that orders almost nothing
(benchmarks/README.md). This module finds good plans in a second thread while HiGHS proves its bound
in the first, and hands every better plan to HiGHS through its user-solution callback.

The heuristic works on a copy of the HiGHS model (nothing is rebuilt) and cuts it by item:

0. *A rule's plan first* (``fallback``): the line decisions of the `jit` policy
   (`jitopt.policies`), completed by HiGHS (quantities, order placements, stock), a plan within
   seconds on any machine. Fix-and-optimize starts from it; relax-and-fix is skipped.
1. *Relax-and-fix* (when there is no rule's plan): all integer variables relaxed; group by group, the group's variables are made
   integer, the small MIP solved, and its values fixed. The relaxed rest keeps later groups'
   needs (capacity, joint order costs) in view. In each step the group's lines that the relaxed
   plan before it leaves at zero stay at zero (as in RENS), which keeps the step's MIP small.
   The result is a complete plan.
2. *Fix-and-optimize*, a variable neighbourhood search: step by step, one neighbourhood's integer
   variables are freed, every other item integer variable is fixed at the current plan, and the
   small MIP is solved starting from the current plan, so it can only improve. Neighbourhoods
   come in families that take turns: the item groups (ordered by what they stand to gain), then
   two tilings of the periods into two-period windows (`period_windows`); the search ends when
   each family in turn has found nothing, or time is up. Step lengths adapt to the machine and
   the model (`_adapt`), so a step cut short costs time, never plan quality.

With several scenarios, a plan to start from (``start``: the expected-value plan) is solved
between 0. and 2., and fix-and-optimize starts from the better plan.

The joint variables (order placed with a supplier in a period, supplier used) are relaxed during
relax-and-fix (integer, they would charge every order cost that a relaxed line touches) and integer
and free in every later step.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import highspy
import numpy as np
import pyomo.environ as pyo

from jitopt import pyomo_highs
from jitopt.model import item_integers

# Integer columns per group: small enough for HiGHS to solve a group's MIP in about a second, on
# a model with REFERENCE_DENSITY columns per item integer column (the deterministic benchmark).
# Scenarios multiply the continuous columns a step carries along: with D columns per item integer
# column, groups have GROUP_COLUMNS * sqrt(REFERENCE_DENSITY / D) integer columns (about 135 with
# 20 scenarios; there 100 gave 8.7 % at 60 s, 400 11.2 %, one item per group 10.7 %).
GROUP_COLUMNS = 400
REFERENCE_DENSITY = 2.7
# Relative gap at which a group's MIP counts as solved.
STEP_GAP = 1e-3
# The relax-and-fix construction gets at most this share of the heuristic's time.
CONSTRUCTION_SHARE = 0.75
# Share of the heuristic's time for the plan to start from (the expected-value plan), when given:
# with half, on the 20-scenario benchmark, little time was left for the steps that improve it.
START_SHARE = 0.25
# Shortest time limit of one relax-and-fix step: shorter ones return poor plans for their group.
MIN_STEP_SECONDS = 1.5
# HiGHS's mip_heuristic_effort in the heuristic's own MIPs (HiGHS's default is 0.05). A step has a
# few seconds; with more of them spent on HiGHS's primal heuristics than on its cut rounds, steps
# that stop at their time limit return better plans (benchmarks/README.md, "Step effort").
STEP_HEURISTIC_EFFORT = 0.3
# Most time the fallback plan's completion may take (it is an LP in all but the joint binaries):
# this many seconds, or this share of the heuristic's time when that is more (on the 30-scenario
# scale benchmark the completion alone takes about 16 s).
FALLBACK_SECONDS = 10.0
FALLBACK_SHARE = 0.25
# Periods per window of the period neighbourhood: every item's lines in this many consecutive
# periods are freed together. Two periods are about 610 columns on `large`; three made steps too
# slow to finish in their time (benchmarks/README.md, "Closer to optimal").
PERIOD_WINDOW = 2
# Time limit of one improvement step. A step starts from the current plan and keeps only a better
# one, so a step cut short (a slow or busy machine) costs time, never plan quality.
STEP_SECONDS = 3.0
# ... or this many times the first plan's completion, when that is longer: a step solves a MIP
# as large as the completion's, so on a big model (or a slow or busy machine) it needs longer.
STEP_FACTOR = 3.0
# A step that reaches its time limit without a better plan makes the next steps this much longer
# (at most STEP_MAX_SHARE of the time left): on a model with many scenarios, or a busy machine,
# a 3 s step may never finish its root node. A step done in under half its time shortens them
# again (never below the starting length).
STEP_GROWTH = 1.5
STEP_MAX_SHARE = 0.5
# A pass that lowers the plan's cost by more than this share goes back to the first family (the
# item groups): a pass's big changes open new moves for single items.
RESTART_GAIN = 2e-3
# Most time for the LP relaxation that orders the item groups (`Heuristic._prioritise`).
PRIORITY_LP_SECONDS = 10.0


@dataclass
class Incumbent:
    """The best plan found so far, shared between the heuristic thread and HiGHS's callback."""

    value: float = math.inf
    solution: np.ndarray | None = None
    given: bool = False  # already handed to HiGHS
    history: list[tuple[float, float]] = field(default_factory=list)  # (seconds, objective)
    lock: threading.Lock = field(default_factory=threading.Lock)
    start: float = field(default_factory=time.perf_counter)

    def offer(self, value: float, solution: np.ndarray) -> bool:
        with self.lock:
            if value >= self.value - 1e-9 * max(1.0, abs(self.value)):
                return False
            self.value, self.solution, self.given = value, solution.copy(), False
            self.history.append((round(time.perf_counter() - self.start, 2), value))
            return True


def _integers(model):
    """(key, variable, belongs to one item) for each free integer variable; key is (component
    name, index), the same in every model built from the same instance. The variables that belong
    to one item are those the model's families declare (`jitopt.model.Family.item_integers`)."""
    per_item = item_integers()
    for v in model.component_data_objects(pyo.Var):
        if v.is_integer() and not v.fixed:
            name = v.parent_component().local_name
            yield (name, v.index()), v, name in per_item


def integer_values(model) -> dict[tuple[str, object], float]:
    """Values of the item integer variables of a solved model, by (component name, index)."""
    return {key: float(v.value or 0.0) for key, v, per_item in _integers(model) if per_item}


def item_columns(opt, model) -> dict[tuple[str, object], int]:
    """HiGHS column of every item integer variable, by (component name, index)."""
    col = pyomo_highs.columns(opt)
    return {key: col[id(v)] for key, v, per_item in _integers(model) if per_item}


def period_windows(opt, model, window: int = PERIOD_WINDOW) -> list[list[np.ndarray]]:
    """Two tilings of the periods into windows of ``window`` periods (the second shifted by one
    period), each window as the HiGHS columns of every item integer variable in its periods."""
    col = pyomo_highs.columns(opt)
    by_period: dict[object, list[int]] = {}
    for (_, index), v, per_item in _integers(model):
        if per_item:
            by_period.setdefault(index[2], []).append(col[id(v)])
    periods = sorted(by_period)
    tilings = []
    for offset in range(min(window, 2) if len(periods) > window else 1):
        cuts = [0, *range(offset or window, len(periods), window), len(periods)]
        cuts = sorted(set(cuts))
        tiling = [
            np.array([c for t in periods[a:b] for c in by_period[t]], dtype=np.int32)
            for a, b in zip(cuts, cuts[1:])
        ]
        tilings.append([w for w in tiling if len(w)])
    return tilings


def item_owners(opt, model) -> np.ndarray:
    """For every HiGHS column, the position of its item among the items with integer columns
    (in the model's line order, as in `item_groups`), or -1: a column belongs to an item when
    its variable's index has the item second, as every per-item variable of the model has
    ((supplier or scenario, item, period, ...))."""
    col = pyomo_highs.columns(opt)
    codes: dict[object, int] = {}
    for (_, index), _v, per_item in _integers(model):
        if per_item:
            codes.setdefault(index[1], len(codes))
    owner = np.full(len(col), -1, dtype=np.int64)
    for v in model.component_data_objects(pyo.Var):
        index = v.index()
        if isinstance(index, tuple) and len(index) >= 3 and id(v) in col:
            owner[col[id(v)]] = codes.get(index[1], -1)
    return owner


def item_groups(
    opt, model, group_columns: int | None = None
) -> tuple[np.ndarray, list[np.ndarray]]:
    """HiGHS columns of the joint integer variables, and the item groups' integer columns (whole
    items, about ``group_columns`` columns per group; by default GROUP_COLUMNS, fewer on
    models with many columns per integer column)."""
    col = pyomo_highs.columns(opt)
    joint, by_item = [], {}
    for (_, index), v, per_item in _integers(model):
        if per_item:
            by_item.setdefault(index[1], []).append(col[id(v)])
        else:
            joint.append(col[id(v)])
    if group_columns is None:
        density = len(col) / max(1, sum(len(c) for c in by_item.values()))
        group_columns = round(GROUP_COLUMNS * min(1.0, math.sqrt(REFERENCE_DENSITY / density)))
    # insertion order: the model's line order
    return np.array(joint, dtype=np.int32), _chunks(by_item.values(), group_columns)


def _chunks(items, size: int) -> list[np.ndarray]:
    """Consecutive items' columns joined into groups of at least ``size`` columns (the last
    group may be smaller); an item is never split."""
    groups, current = [], []
    for columns in items:
        current.extend(columns)
        if len(current) >= size:
            groups.append(np.array(current, dtype=np.int32))
            current = []
    if current:
        groups.append(np.array(current, dtype=np.int32))
    return groups


class Heuristic(threading.Thread):
    """Relax-and-fix then fix-and-optimize on a copy of ``highs``'s model, until ``deadline``
    (a `time.perf_counter` value) or `stop`; every better plan goes to ``incumbent``."""

    def __init__(
        self,
        highs: highspy.Highs,
        joint,
        groups,
        incumbent: Incumbent,
        deadline: float,
        start: Callable[[float, threading.Event], dict | None] | None = None,
        columns: dict | None = None,
        fallback: dict | None = None,
        windows: list[list[np.ndarray]] | None = None,
        owner: np.ndarray | None = None,
    ):
        super().__init__(name="jitopt-heuristic", daemon=True)
        # ``start(seconds, stopped)``: item integer values of a plan to start from, by (component name,
        # index) (`integer_values`), e.g. the expected-value plan; ``columns``: `item_columns`.
        # ``fallback``: item integer values of a plan made by a rule in a fraction of a second
        # (the `jit` policy's lines), completed and handed over first, so that a plan exists
        # within seconds whatever happens to the construction.
        self.start_plan, self.columns, self.fallback = start, columns, fallback
        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        self.h.setOptionValue("mip_heuristic_effort", STEP_HEURISTIC_EFFORT)
        self.passed = highs.getModel()
        self.h.passModel(self.passed)
        self.owner = owner  # `item_owners`: orders the item groups by what they stand to gain
        lp = self.h.getLp()
        self.free_lower = np.array(lp.col_lower_, dtype=float)
        self.free_upper = np.array(lp.col_upper_, dtype=float)
        self.joint, self.groups = joint, groups
        # Neighbourhoods of fix-and-optimize, in the order they are tried: the item groups, then
        # each tiling of the periods into windows (`period_windows`).
        self.families = [groups, *(tiling for tiling in windows or () if len(tiling) > 1)]
        self.incumbent = incumbent
        self.deadline = deadline
        # Step length: STEP_SECONDS, or STEP_FACTOR x the first completion's time, then adapted
        self.base_step_seconds = self.step_seconds = STEP_SECONDS
        self.stopped = threading.Event()
        self.error: BaseException | None = None
        # Stopping is final (the run is over), so every kind of solve may be cut short: the LP
        # of relax-and-fix as well as the steps' MIPs.
        for callback in (self.h.cbMipInterrupt, self.h.cbSimplexInterrupt, self.h.cbIpmInterrupt):
            callback.subscribe(self._interrupt)

    def stop(self) -> None:
        self.stopped.set()

    def _interrupt(self, event) -> None:
        if self.stopped.is_set():
            event.interrupt()

    def _left(self) -> float:
        return self.deadline - time.perf_counter()

    def run(self) -> None:
        try:
            first = self._first_plan() if self.fallback is not None else None
            found = self._from_start() if self.start_plan is not None else None
            if found is None and first is None:
                # Relax-and-fix only without a fallback plan: its steps depend on wall-clock
                # limits, and on a slow or busy machine it spent 40 of 60 s on a plan 9 times
                # dearer than the fallback's (benchmarks/README.md, "A plan in seconds").
                found = self._construct()
            if first is not None and (found is None or first[0] < found[0]):
                self._settle(first[1])  # improve the fallback's plan: the construction's is worse
                found = first
            if found is not None:
                if self.owner is not None:
                    self._prioritise(found[1])
                self._improve(*found)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller, never lost
            self.error = exc

    def _solve(self, seconds: float) -> tuple[float, np.ndarray] | None:
        h = self.h
        h.setOptionValue("time_limit", max(seconds, 0.1))
        h.setOptionValue("mip_rel_gap", STEP_GAP)
        h.run()
        solution = h.getSolution()
        if not solution.value_valid or h.getInfo().primal_solution_status != 2:
            return None
        return h.getInfo().objective_function_value, np.asarray(solution.col_value)

    def _integrality(self, cols, kind) -> None:
        if len(cols):
            self.h.changeColsIntegrality(len(cols), cols, np.full(len(cols), kind))

    def _fix(self, cols, values) -> None:
        if len(cols):
            v = np.round(values[cols])
            self.h.changeColsBounds(len(cols), cols, v, v)

    def _free(self, cols) -> None:
        if len(cols):
            self.h.changeColsBounds(len(cols), cols, self.free_lower[cols], self.free_upper[cols])

    def _from_start(self) -> tuple[float, np.ndarray] | None:
        """The plan of ``start`` (its line and lot decisions fixed, the rest solved), or None."""
        values = self.start_plan(START_SHARE * self._left(), self.stopped)
        if values is None or self.stopped.is_set() or self._left() <= 0:
            return None
        cols = np.array(list(self.columns.values()), dtype=np.int32)
        fixed = np.array([round(values.get(key, 0.0)) for key in self.columns], dtype=float)
        self.h.changeColsBounds(len(cols), cols, fixed, fixed)
        found = self._solve(max(self._left() * 0.5, MIN_STEP_SECONDS))
        if found is None:  # restore the free bounds for the construction
            self._free(cols)
            return None
        self.incumbent.offer(*found)
        return found

    def _settle(self, plan: np.ndarray) -> None:
        """Every integer column integer again, the item columns fixed at ``plan``: the state
        fix-and-optimize starts from."""
        integer = highspy.HighsVarType.kInteger
        for g in [*self.groups, self.joint]:
            self._integrality(g, integer)
        for g in self.groups:
            self._fix(g, plan)

    def _first_plan(self) -> tuple[float, np.ndarray] | None:
        """Complete the fallback's lines (their quantities, order placements and stock solved
        with the lines fixed), offer the plan, and free the lines again."""
        cols = np.array(list(self.columns.values()), dtype=np.int32)
        fixed = np.array([round(self.fallback.get(key, 0.0)) for key in self.columns], dtype=float)
        fixed = np.clip(fixed, self.free_lower[cols], self.free_upper[cols])
        self.h.changeColsBounds(len(cols), cols, fixed, fixed)
        began = time.perf_counter()
        limit = max(FALLBACK_SECONDS, FALLBACK_SHARE * self._left())
        found = self._solve(min(limit, max(self._left(), 0.1)))
        if found is not None:
            seconds = max(STEP_SECONDS, STEP_FACTOR * (time.perf_counter() - began))
            self.base_step_seconds = self.step_seconds = seconds
            self.incumbent.offer(*found)
        self._free(cols)
        return found

    def _construct(self) -> tuple[float, np.ndarray] | None:
        """Relax-and-fix: a complete plan, or None when time ran out first."""
        continuous, integer = highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger
        for g in [*self.groups, self.joint]:
            self._integrality(g, continuous)
        budget_end = time.perf_counter() + CONSTRUCTION_SHARE * self._left()
        relaxed = self._solve(self._left())  # the LP: no integer columns left
        if relaxed is None:
            return None
        values = relaxed[1]
        k = 0
        while k < len(self.groups):
            if self.stopped.is_set() or self._left() <= 0:
                return None
            budget, todo = budget_end - time.perf_counter(), len(self.groups) - k
            if todo > 1 and budget < todo * MIN_STEP_SECONDS:
                # Late (a slow machine, or a short time limit): the remaining groups in one step,
                # so that there is a complete plan before the deadline.
                g, k, seconds = np.concatenate(self.groups[k:]), len(self.groups), budget
            else:
                g, k, seconds = self.groups[k], k + 1, budget / todo
            self._integrality(g, integer)
            # The group's lines that the relaxed plan does not use stay unused in this step (a
            # RENS-like restriction): the step's MIP is smaller and HiGHS finds good plans for it
            # in its few seconds; fix-and-optimize frees them again.
            unused = g[values[g] <= 1e-9]
            self._fix(unused, values)
            found = self._solve(min(max(seconds, MIN_STEP_SECONDS), self._left()))
            if found is None:  # no plan for this group in time: order nothing on its lines
                values[g] = 0.0
            else:
                values = found[1]
            self._fix(g, values)
        # Every group is now fixed: one last solve, with the joint variables integer again, gives
        # the plan's order placements, its continuous part and its cost.
        self._integrality(self.joint, integer)
        found = self._solve(max(self._left(), 0.5))
        if found is None:
            return None
        self.incumbent.offer(*found)
        return found

    def _prioritise(self, plan: np.ndarray) -> None:
        """Regroup the items, those that stand to gain most first: an item's gain is what its
        columns cost in ``plan`` less what they cost in the LP relaxation. A rule's plan is
        worst for the items it planned last (the capacity they needed was gone), and with them
        first the first pass makes most of its gains in its first seconds (benchmarks/README.md,
        "Closer to optimal"). Keeps the order when the LP is not solved in time."""
        lp = highspy.Highs()
        lp.setOptionValue("output_flag", False)
        lp.passModel(self.passed)
        integer = np.concatenate([*self.groups, self.joint])
        lp.changeColsIntegrality(
            len(integer), integer, np.full(len(integer), highspy.HighsVarType.kContinuous)
        )
        lp.setOptionValue("time_limit", max(0.1, min(PRIORITY_LP_SECONDS, 0.2 * self._left())))
        for callback in (lp.cbSimplexInterrupt, lp.cbIpmInterrupt):
            callback.subscribe(self._interrupt)
        lp.run()
        if lp.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return
        cost = np.asarray(lp.getLp().col_cost_) * (plan - np.asarray(lp.getSolution().col_value))
        mine = self.owner >= 0
        gain = np.bincount(self.owner[mine], weights=cost[mine])
        columns = np.concatenate(self.groups)
        items = self.owner[columns]
        size = len(self.groups[0])
        ordered = (columns[items == k] for k in np.argsort(-gain, kind="stable"))
        self.groups = self.families[0] = _chunks(ordered, size)

    def _improve(self, best: float, plan: np.ndarray) -> None:
        """Fix-and-optimize from ``plan`` (of cost ``best``), a variable neighbourhood search:
        passes over the item groups, then over the period windows, in turn, until a pass over
        each family in a row has found nothing better, or time is up.

        Item groups change one item's lines in every period at once and make most of the gains
        early; once no group can improve, what is left is across items (shared capacities and
        joint orders), which the period windows reach (benchmarks/README.md, "Closer to
        optimal")."""
        stale, k = 0, 0
        while stale < len(self.families) and not self.stopped.is_set() and self._left() > 0.5:
            before = best
            improved, best, plan = self._pass(self.families[k], best, plan)
            stale = 0 if improved else stale + 1
            k = 0 if before - best > RESTART_GAIN * abs(before) else (k + 1) % len(self.families)

    def _pass(self, family, best: float, plan: np.ndarray) -> tuple[bool, float, np.ndarray]:
        """One step per neighbourhood of ``family``: its columns freed, every other item column
        fixed at ``plan``, the small MIP solved from ``plan``; a better plan replaces it."""
        improved = False
        for g in family:
            if self.stopped.is_set() or self._left() <= 0.5:
                break
            self._free(g)
            start = highspy.HighsSolution()
            start.col_value = list(plan)
            start.value_valid = True
            self.h.setSolution(start)
            began = time.perf_counter()
            found = self._solve(min(self._left(), self.step_seconds))
            timed_out = self.h.getModelStatus() == highspy.HighsModelStatus.kTimeLimit
            better = found is not None and found[0] < best - 1e-9 * max(1.0, abs(best))
            if better:
                best, plan = found[0], found[1]
                self.incumbent.offer(best, plan)
                improved = True
            self._fix(g, plan)
            self._adapt(time.perf_counter() - began, timed_out and not better)
        return improved, best, plan

    def _adapt(self, seconds: float, wasted: bool) -> None:
        """Lengthen the steps after one that ran out of time for nothing (``wasted``); shorten
        them after one that finished early."""
        if wasted:
            longest = max(self.base_step_seconds, STEP_MAX_SHARE * self._left())
            self.step_seconds = min(self.step_seconds * STEP_GROWTH, longest)
        elif seconds < 0.5 * self.step_seconds:
            self.step_seconds = max(self.step_seconds / STEP_GROWTH, self.base_step_seconds)
