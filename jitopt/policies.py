"""Baseline purchasing policies: the plans a buyer makes without an optimiser (SPEC §8.2).

Every policy plans on the expected demand, period by period and item by item (in ``items``
order), keeping a projected stock position: each period's net need (demand, plus the safety
stock, less the projected stock and the pipeline) is ordered to arrive in that period, lead time
ahead. A need goes to the item's offers in order of unit cost (ties: the shorter lead time, then
the supplier name). An offer takes what its line can take within the ordering rules (MOQ and lot
multiple rounding up, max order, the supplier's capacity in the order period, max share, max
suppliers); the rest goes to the next offer. Offers whose lead time is too long for the period are
skipped, so the periods before the cheapest offer's lead time are bought from a faster one; so
are offers whose supplier (or its region) is down in the order period for certain (an outage of
scenario ``*``, such as one under way when re-planning), or whose goods a transit outage known
for certain holds in the period they are due.

A need that no offer can take (none can deliver by then, or every line that could is full) is
not ordered: the projected stock runs short, or the safety stock is built later. Each period in
which the expected demand is not met is reported in ``notes`` (with the item, units and reason);
in backlog mode the backlog is part of the next period's need, in lost mode it is lost. The
evaluation (`jitopt simulate`) counts the shortage. Rounding up creates stock that lowers the
next periods' needs.
"""

from __future__ import annotations

import math
import numbers
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from jitopt.instance import Instance
from jitopt.scenarios import availability, make_scenarios, transit_held
from jitopt.schema import EVERY_SCENARIO

if TYPE_CHECKING:
    from jitopt.plan import Plan

__all__ = ["Policy", "PolicyOrders", "parse_policy", "policy_orders", "policy_plan"]

USAGE = (
    "jit, jic:cover=K, dual:share=F[,cover=K] or optimized[:risk=L]; "
    "rolling:POLICY[,every=R] re-plans every R periods, rolling:optimized[,scenarios=N] with N "
    "scenarios"
)
# kind: (required parameters, optional parameters)
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "jit": ((), ()),
    "jic": (("cover",), ()),
    "dual": (("share",), ("cover",)),
    "optimized": ((), ("risk",)),
}
# parameter: (default, test of a given value, what the value must be)
PARAMETERS = {
    "cover": (0.0, lambda x: x > 0, "a number of periods > 0"),
    "share": (0.0, lambda x: 0 < x < 1, "a number in (0, 1)"),
    "risk": (None, lambda x: 0 <= x <= 1, "a number in [0, 1]"),
    "every": (1, lambda x: x >= 1 and x == int(x), "a whole number of periods >= 1"),
    "scenarios": (None, lambda x: x >= 1 and x == int(x), "a whole number >= 1"),
}
# parameters of a rolling policy: re-plan every R periods (all kinds); scenarios of each re-plan
ROLLING = {"every": tuple(KINDS), "scenarios": ("optimized",)}
ROLLING_PREFIX = "rolling:"
_WHOLE = ("every", "scenarios")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_EPS = 1e-6  # units: needs and line quantities below this are float noise (check_orders' tol)


@dataclass(frozen=True)
class Policy:
    """A purchasing policy, as `parse_policy` reads it from its text.

    kind : str — "jit", "jic", "dual" or "optimized".
    cover : float — safety stock in periods of mean expected demand (jic, dual); 0 = none.
    share : float — share of each period's need bought from the second source (dual). [F]
    risk : float | None — risk weight of `jitopt solve` (optimized); None = the instance's. [λ]
    rolling : bool — re-plan during the horizon from what happened (`jitopt.replan`).
    every : int — periods between re-plans (rolling). [R]
    scenarios : int | None — scenarios each re-plan samples (rolling optimized); None = the
        instance's [scenarios] count.
    """

    kind: str
    cover: float = 0.0
    share: float = 0.0
    risk: float | None = None
    rolling: bool = False
    every: int = 1
    scenarios: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown policy {self.kind!r} (expected {USAGE})")
        if not isinstance(self.rolling, bool):
            raise TypeError(f"rolling must be True or False, got {self.rolling!r}")
        required, optional = self.parameters()
        for name, (default, valid, what) in PARAMETERS.items():
            value = getattr(self, name)
            if value is None or value == default:
                if name in required:
                    raise ValueError(f"{self.kind} needs {name}=... (expected {USAGE})")
                object.__setattr__(self, name, default)  # every=1.0 is every=1
                continue
            if name not in required + optional:
                raise ValueError(f"{self.kind} takes no {name} (expected {USAGE})")
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"{name} must be {what}, got {value!r}")
            if not (math.isfinite(value) and valid(value)):
                raise ValueError(f"{name} must be {what}, got {_number(value)}")
            value = int(value) if name in _WHOLE else float(value) + 0.0  # -0.0 becomes 0.0
            object.__setattr__(self, name, value)

    def parameters(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(required, optional) parameters of this policy."""
        return _allowed(self.kind, self.rolling)

    @property
    def rule(self) -> Policy:
        """The policy each re-plan follows: this one without rolling."""
        return replace(self, rolling=False, every=1, scenarios=None)

    @property
    def slug(self) -> str:
        """The name as a folder name: ``jic-cover-2``, ``dual-share-0.3-cover-1``."""
        from jitopt.names import slug

        return slug(self.name)

    @property
    def name(self) -> str:
        """The canonical text, e.g. ``jic:cover=2``, ``dual:share=0.3,cover=1``, ``optimized``,
        ``rolling:optimized:every=2``."""
        required, optional = self.parameters()
        given = [
            f"{p}={_number(getattr(self, p))}"
            for p in required + optional
            if getattr(self, p) not in (None, PARAMETERS[p][0])
        ]
        prefix = ROLLING_PREFIX if self.rolling else ""
        return prefix + self.kind + (":" + ",".join(given) if given else "")

    def __str__(self) -> str:
        return self.name


def _number(x: float) -> str:
    return format(x, ".15g")


def parse_policy(text: str) -> Policy:
    """The policy of ``text``: ``jit``, ``jic:cover=K``, ``dual:share=F[,cover=K]`` or
    ``optimized[:risk=L]``; with ``rolling:`` before it, re-planned every ``every=R`` periods
    (``rolling:jic:cover=2,every=2``; ``rolling:optimized,every=4,scenarios=20``: the
    parameters may follow the kind after ',' too). Kinds and parameters in any case, blanks
    around parts ignored. Raises ValueError with one message naming what is wrong."""
    if not isinstance(text, str):
        raise TypeError(f"policy {text!r}: not a text (expected {USAGE})")
    body = text.strip()
    rolling = body.lower().startswith(ROLLING_PREFIX)
    if rolling:
        body = body[len(ROLLING_PREFIX) :].strip()
    kind, colon, rest = (re.split(r"([:,])", body, maxsplit=1) + ["", ""])[:3]
    kind = kind.strip().lower()

    def bad(problem: str) -> ValueError:
        return ValueError(f"policy {text!r}: {problem}")

    if not kind:
        raise bad(f"no policy given (expected {USAGE})")
    if kind not in KINDS:
        raise bad(f"unknown policy {kind!r} (expected {USAGE})")
    allowed = sum(_allowed(kind, rolling), ())
    values: dict[str, float] = {}
    for part in rest.split(",") if colon else []:
        key, equals, value = (s.strip() for s in part.partition("="))
        key = key.lower()
        if not key:
            raise bad("a parameter is empty (a comma or ':' too many?)")
        if key not in allowed:
            takes = f"takes {' and '.join(allowed)}" if allowed else "takes no parameters"
            raise bad(f"unknown parameter {key!r}: {kind} {takes} ({USAGE})")
        if not equals or not value:
            raise bad(f"{key} needs a value ({key}=...)")
        if key in values:
            raise bad(f"{key} is given twice")
        if not _NUMBER.fullmatch(value):
            raise bad(f"{key} must be {PARAMETERS[key][2]}, got {value!r}")
        values[key] = float(value)
        _, valid, what = PARAMETERS[key]
        if not valid(values[key]):
            raise bad(f"{key} must be {what}, got {value}")
    try:
        return Policy(kind, rolling=rolling, **values)
    except ValueError as exc:
        raise bad(str(exc)) from None


def _allowed(kind: str, rolling: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    required, optional = KINDS[kind]
    if rolling:
        optional += tuple(p for p, kinds in ROLLING.items() if kind in kinds)
    return required, optional


@dataclass
class PolicyOrders:
    """The order lines of a policy and what it could not do.

    orders : DataFrame — ``supplier, item, period, quantity``, one row per positive line (period =
        order period), sorted by supplier, item and period.
    notes : list[str] — needs no offer could take (item, periods, units), single-sourced items.
    """

    orders: pd.DataFrame
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, eq=False)
class _Offer:
    """One offer of an item, with its supplier's region and lead time."""

    supplier: str
    region: str
    lead: int
    unit_cost: float
    moq: float
    lot: float  # NaN = none
    max_order: float

    def line(self, want: float, room: float, current: float) -> float:
        """The line quantity for ``want`` units: rounded up to the MOQ and lot multiple, or, when
        that is more than ``room``, the most that fits; ``current`` when nothing more fits."""
        q = max(want, self.moq)
        if not math.isnan(self.lot):
            q = math.ceil(q / self.lot - 1e-9) * self.lot
        if q <= room + 1e-9 * max(1.0, room):
            return q
        if not math.isnan(self.lot):
            room = math.floor(room / self.lot + 1e-9) * self.lot
        return room if room >= max(self.moq, current, _EPS) else current


class _Book:
    """What the plan has ordered so far, and how much more each line may take."""

    def __init__(self, inst: Instance):
        s = inst.suppliers
        self.capacity = s["capacity"].to_dict()
        self.max_share = s["max_share"].fillna(1.0).to_dict()
        self.max_suppliers = inst.max_suppliers
        self.used: dict[tuple[str, int], float] = {}  # units per (supplier, order period)
        self.units: dict[str, float] = {}  # units per supplier over the horizon (used ones)
        self.total = 0.0
        self.lines: list[tuple[str, str, int, float]] = []

    def room(self, o: _Offer, period: int, current: float) -> float:
        """The most the line of ``o`` ordered in ``period`` may hold (it holds ``current``)."""
        s = o.supplier
        limit = self.max_suppliers
        if limit is not None and s not in self.units and len(self.units) >= limit:
            return current  # a new supplier would be one too many
        room = min(o.max_order, current + self.capacity[s] - self.used.get((s, period), 0.0))
        f = self.max_share[s]
        if f < 1:  # (units[s] + x) <= f * (total + x): the share stays within max_share
            room = min(room, current + max(0.0, f * self.total - self.units.get(s, 0.0)) / (1 - f))
        return room

    def fill(self, t: int, need: float, offers: list[_Offer], lines: dict[_Offer, float]) -> float:
        """Put ``need`` units arriving in period ``t`` on ``offers`` in turn; ``lines`` holds the
        line quantities of this item and period. Returns the units added (rounding up included)."""
        added = 0.0
        for o in offers:
            if need - added <= _EPS:
                break
            current, period = lines.get(o, 0.0), t - o.lead
            q = o.line(current + need - added, self.room(o, period, current), current)
            if q > current:
                lines[o] = q
                self.used[o.supplier, period] = (
                    self.used.get((o.supplier, period), 0.0) + q - current
                )
                self.units[o.supplier] = self.units.get(o.supplier, 0.0) + q - current
                self.total += q - current
                added += q - current
        return added


def policy_orders(inst: Instance, policy: Policy | str) -> PolicyOrders:
    """The order lines of ``policy`` (jit, jic or dual) for ``inst``; see the module docstring.
    ``optimized`` is not a rule: its plan is made by `jitopt.solve`, and gives ValueError here.
    A rolling policy's lines are those of its first plan (its rule's)."""
    policy = parse_policy(policy) if isinstance(policy, str) else policy
    if policy.kind == "optimized":
        raise ValueError(f"policy {policy.name!r}: its plan is made by jitopt solve, not by a rule")
    policy = policy.rule
    demand = make_scenarios(inst).expected_value().demand[0]  # (I, T), items in inst.items order
    pipeline = inst.pipeline_arrivals()
    safety = policy.cover * demand.mean(axis=1)
    position = inst.items["initial_inventory"].to_numpy(float).copy()  # projected on hand
    offers = _offers(inst)
    known = inst.outages[inst.outages["scenario"] == EVERY_SCENARIO]
    up = availability(inst, [EVERY_SCENARIO], known)[0]  # (supplier, period): not down for sure
    held = transit_held(inst, [EVERY_SCENARIO], known)[0]  # (supplier, period): held for sure
    sup_pos = {s: k for k, s in enumerate(inst.suppliers.index)}
    book, notes = _Book(inst), []
    second = _second_sources(offers, notes) if policy.kind == "dual" else {}
    short: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)

    targets = [np.zeros(len(safety))] + ([safety] if policy.cover else [])
    for t in range(1, inst.periods + 1):
        ready = {
            item: [
                o
                for o in choices
                if o.lead < t
                and up[sup_pos[o.supplier], t - o.lead - 1]
                and not held[sup_pos[o.supplier], t - 1]
            ]
            for item, choices in offers.items()
        }
        lines: dict[str, dict[_Offer, float]] = {item: {} for item in offers}
        added = np.zeros(len(position))
        for target in targets:  # the period's demand first, then the safety stock
            for k, item in enumerate(inst.items.index):
                need = demand[k, t - 1] + target[k] - position[k] - pipeline[k, t - 1] - added[k]
                if need <= _EPS:
                    continue
                if item in second and second[item] in ready[item]:
                    need -= book.fill(t, policy.share * need, [second[item]], lines[item])
                book.fill(t, need, ready[item], lines[item])
                added[k] = sum(lines[item].values())
        for k, item in enumerate(inst.items.index):
            book.lines += [(o.supplier, item, t - o.lead, q) for o, q in lines[item].items()]
            position[k] += pipeline[k, t - 1] + added[k] - demand[k, t - 1]
            if position[k] < -_EPS:  # only when the need was not met: short of expected demand
                why = "full" if ready[item] else "late"
                if not ready[item] and any(o.lead < t for o in offers[item]):
                    why = "down"
                short[item, why].append((t, -position[k]))
                if inst.shortage == "lost":
                    position[k] = 0.0

    for item, why in sorted(short, key=lambda key: (inst.items.index.get_loc(key[0]), key[1])):
        notes.append(_short_note(item, why, offers[item], short[item, why]))
    orders = pd.DataFrame(book.lines, columns=["supplier", "item", "period", "quantity"])
    orders = orders.astype({"supplier": str, "item": str, "period": int, "quantity": float})
    orders = orders.sort_values(["supplier", "item", "period"], ignore_index=True)
    return PolicyOrders(orders, notes)


def _offers(inst: Instance) -> dict[str, list[_Offer]]:
    """Each item's offers, cheapest first (ties: the shorter lead time, then the supplier)."""
    table = inst.offers.join(inst.suppliers[["region", "lead_time"]], on="supplier")
    table = table.reset_index().sort_values(["unit_cost", "lead_time", "supplier"])
    offers: dict[str, list[_Offer]] = {item: [] for item in inst.items.index}
    for r in table.itertuples(index=False):
        offers[r.item].append(
            _Offer(
                r.supplier,
                r.region,
                int(r.lead_time),
                r.unit_cost,
                r.moq,
                r.lot_multiple,
                r.max_order,
            )
        )
    return offers


def _second_sources(offers: dict[str, list[_Offer]], notes: list[str]) -> dict[str, _Offer]:
    """Each item's cheapest offer in another region than its cheapest offer (dual)."""
    second = {}
    for item, choices in offers.items():
        other = [o for o in choices if o.region != choices[0].region]
        if other:
            second[item] = other[0]
        elif choices:
            notes.append(
                f"{item}: no offer outside region {choices[0].region} of its cheapest offer "
                f"({choices[0].supplier}): one source"
            )
    return second


def _short_note(item: str, why: str, offers: list[_Offer], rows: list[tuple[int, float]]) -> str:
    """A note for the periods in which ``item``'s projected stock runs short, and why."""
    periods = _ranges([t for t, _ in rows])
    units = max(units for _, units in rows)
    if not offers:
        reason = "no offer"
    elif why == "late":
        fastest = min(o.lead for o in offers)
        reason = f"nothing ordered can arrive before period {fastest + 1} (lead time {fastest})"
    elif why == "down":
        reason = (
            "every offer that can deliver in time is from a supplier down, or whose goods are "
            "held, for certain"
        )
    else:
        reason = (
            "every offer that can deliver in time is full (capacity, max_order, max_share or "
            "max_suppliers)"
        )
    return (
        f"{item}: expected demand not met in period {periods} (up to {units:.6g} units short): "
        f"{reason}"
    )


def _ranges(periods: list[int]) -> str:
    """``[1, 2, 3, 5]`` as ``1-3, 5``."""
    runs: list[list[int]] = []
    for t in periods:
        if runs and t == runs[-1][1] + 1:
            runs[-1][1] = t
        else:
            runs.append([t, t])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def policy_plan(inst: Instance, policy: Policy | str, **solve_options) -> Plan:
    """The plan of ``policy`` on ``inst``, in the format of a solved plan (SPEC §8.2): for a rule
    (jit, jic, dual) its orders with the second stage on the instance's own scenarios (status
    "feasible", no bound, ``policy`` in the summary, the rule's notes among its warnings); for
    ``optimized`` the plan of `jitopt.solve` (``solve_options``: time_limit, mip_gap, threads,
    stop, ...) with the policy's risk weight (and ``scenarios=N`` of a rolling one). A rolling
    policy's plan is its first plan, that of its rule: what it orders now."""
    from jitopt.plan import SolverRun, Status, evaluate_orders

    policy = parse_policy(policy) if isinstance(policy, str) else policy
    if policy.kind == "optimized":
        from jitopt.solver import solve

        target = inst if policy.risk is None else inst.with_risk(weight=policy.risk)
        if policy.scenarios is not None:
            solve_options = {"scenarios": policy.scenarios} | solve_options
        plan = solve(target, **solve_options)
        plan.summary["policy"] = policy.name
        return plan
    began = time.perf_counter()
    made = policy_orders(inst, policy.rule)
    run = SolverRun(
        status=Status.FEASIBLE,
        objective=None,
        bound=None,
        seconds=time.perf_counter() - began,
        solver=f"policy {policy.name}",
        time_limit=0.0,
        mip_gap=0.0,
        notes=[*inst.warnings, *made.notes],
        policy=policy.name,
    )
    return evaluate_orders(inst, make_scenarios(inst), made.orders, run)
