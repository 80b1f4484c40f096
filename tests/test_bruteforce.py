"""Brute-force cross-check of the whole model on tiny instances.

The optimiser below is written from SPEC §2/§3 alone: it shares no code with ``jitopt`` (only the
public ``Instance.from_frames`` / ``solve`` API is used, to run the model under test). It enumerates
every feasible first-stage plan on an integer grid and, for each plan and scenario, solves the
second stage exactly by dynamic programming over integer stock levels.

Why an integer grid is exact (the argument the cases are built around)
----------------------------------------------------------------------
The model's quantities x are continuous unless the offer has a lot multiple, so the brute force is
exact only where an integral optimum exists. Fix every binary (which lines are positive, their price
tier, the order/contract binaries): what remains is an LP whose x-constraints are bounds (MOQ, max
order, tier limits, capacity when the supplier sells one item) and, per scenario omega and item i,
the stock balances written cumulatively:

    I[w,i,t] - B[w,i,t] - sum_{tau<=t} (E + L)[w,i,tau] - sum_{delivered, arriving <= t} x = const.

The supports of the rows of one scenario form a laminar family (nested in t for one item,
disjoint across items), and I, B are unit columns. The incidence matrix of the union of *two*
laminar families is totally unimodular, and all right-hand sides are integers (integer demands,
stock, MOQ, limits, price-break quantities), so with at most two scenarios the LP has an integral
optimal vertex, and the MIP optimum (the least of these LPs) is attained at integer x. Rows that
would break this:

- three or more scenarios (three laminar families: x1+x2, x2+x3, x1+x3 can force halves),
- a supplier capacity shared by two items when there are two or more scenarios,
- ``max_share`` (coefficients 1 - sigma and -sigma),
- CVaR (rows u >= C[w] - eta with cost coefficients),
- a warehouse limit over two items (kept to one-item cases, with integer ``V / volume``).

In the first four cases the generator gives *every* offer a lot multiple (1 if it had none), which
makes x integral in the model itself (x = lot * n, n integer); the grid then enumerates exactly the
model's x. For a fixed integral x the second stage of one scenario and item is a single nested chain
(totally unimodular, integral), and CVaR is monotone in every scenario cost, so minimising each
scenario's cost separately on integers is exact there too.

Grid bound. In a plan, a line above G = ceil_lot(max(D, moq, top min_qty)), D the largest total
demand of the item over the horizon in any scenario, can be cut to G without raising any cost (it
stays in the top price tier, above the MOQ and a lot multiple; every stock position or on-hand
level it feeds stays >= 0 and falls; other rules only get looser), except that cutting it lowers
the total behind ``max_share``. For ``max_share`` instances
the brute force therefore applies the rule jitopt documents as a deliberate departure from a literal
reading of SPEC §2 (models/formulation.md, "Max share": no line exceeds what a scenario can use,
U = ceil_lot(max(R, moq, top min_qty)) with R the most units arriving in that period that a scenario
can use), re-derived here from the documented definition, not from jitopt's code.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field

import pandas as pd
import pytest

import jitopt

INF = math.inf
GRID_LIMIT = 20000  # most first-stage plans the brute force enumerates per case
N_CASES = 40


# --------------------------------------------------------------------------------------------------
# Tiny instances, as plain data
# --------------------------------------------------------------------------------------------------


@dataclass
class Item:
    name: str
    h: int
    b: int
    init: int = 0
    expedite: int | None = None  # None: no spot market
    terminal: int | None = None  # None: = b
    volume: int = 1


@dataclass
class Supplier:
    name: str
    region: str
    lead: int
    order_cost: int = 0
    capacity: float = INF
    contract_cost: int = 0
    max_share: float | None = None


@dataclass
class Offer:
    supplier: str
    item: str
    unit_cost: float
    moq: int = 0
    lot: int | None = None
    max_order: float = INF
    line_cost: int = 0
    breaks: list = field(default_factory=list)  # [(min_qty, unit_cost)], min_qty increasing


@dataclass
class Case:
    T: int
    shortage: str
    items: list
    suppliers: list
    offers: list
    demand: dict  # scenario name -> {(item, period): units}
    scenarios: list | None = None  # [(name, probability)], None: deterministic (no scenarios.csv)
    shared_demand: bool = True  # one demand series for every scenario
    outages: list = field(default_factory=list)  # (scenario, target, start, end)
    pipeline: list = field(default_factory=list)  # (supplier, item, arrival_period, quantity)
    warehouse: int | None = None
    max_suppliers: int | None = None
    cvar: tuple | None = None  # (weight, alpha)

    def scenario_list(self):
        return self.scenarios if self.scenarios is not None else [("base", 1.0)]


def to_frames(case: Case) -> tuple[dict, dict]:
    """The case as ``Instance.from_frames`` arguments (SPEC §2 column names)."""
    config: dict = {"name": "brute", "periods": case.T, "shortage": case.shortage}
    if case.warehouse is not None:
        config["warehouse_capacity"] = float(case.warehouse)
    if case.max_suppliers is not None:
        config["max_suppliers"] = case.max_suppliers
    if case.cvar is not None:
        config["risk"] = {"measure": "cvar", "weight": case.cvar[0], "alpha": case.cvar[1]}
    nan = float("nan")
    items = pd.DataFrame(
        {
            "item": [it.name for it in case.items],
            "holding_cost": [float(it.h) for it in case.items],
            "shortage_cost": [float(it.b) for it in case.items],
            "initial_inventory": [float(it.init) for it in case.items],
            "expedite_cost": [nan if it.expedite is None else it.expedite for it in case.items],
            "terminal_backlog_cost": [
                nan if it.terminal is None else it.terminal for it in case.items
            ],
            "volume": [float(it.volume) for it in case.items],
        }
    )
    suppliers = pd.DataFrame(
        {
            "supplier": [s.name for s in case.suppliers],
            "region": [s.region for s in case.suppliers],
            "lead_time": [s.lead for s in case.suppliers],
            "order_cost": [float(s.order_cost) for s in case.suppliers],
            "capacity": [nan if s.capacity == INF else float(s.capacity) for s in case.suppliers],
            "contract_cost": [float(s.contract_cost) for s in case.suppliers],
            "max_share": [nan if s.max_share is None else s.max_share for s in case.suppliers],
        }
    )
    offers = pd.DataFrame(
        {
            "supplier": [o.supplier for o in case.offers],
            "item": [o.item for o in case.offers],
            "unit_cost": [float(o.unit_cost) for o in case.offers],
            "moq": [float(o.moq) for o in case.offers],
            "lot_multiple": [nan if o.lot is None else float(o.lot) for o in case.offers],
            "max_order": [nan if o.max_order == INF else float(o.max_order) for o in case.offers],
            "line_cost": [float(o.line_cost) for o in case.offers],
        }
    )
    breaks = [(o.supplier, o.item, float(q), float(c)) for o in case.offers for q, c in o.breaks]
    columns = {
        "price_breaks": ["supplier", "item", "min_qty", "unit_cost"],
        "scenarios": ["scenario", "probability"],
        "outages": ["scenario", "target", "start", "end"],
        "pipeline": ["supplier", "item", "arrival_period", "quantity"],
    }
    rows_of = {
        "price_breaks": breaks,
        "scenarios": case.scenarios,
        "outages": case.outages,
        "pipeline": case.pipeline,
    }
    optional = {
        k: pd.DataFrame(rows_of[k], columns=c) if rows_of[k] else None for k, c in columns.items()
    }
    rows = []
    names = [n for n, _ in case.scenario_list()]
    for scen in names[:1] if case.shared_demand else names:
        for (item, t), d in sorted(case.demand[scen].items()):
            row = {"item": item, "period": t, "demand": float(d)}
            if not case.shared_demand:
                row = {"scenario": scen, **row}
            rows.append(row)
    demand = pd.DataFrame(rows)
    tables = {
        "items": items,
        "suppliers": suppliers,
        "offers": offers,
        "demand": demand,
        "regions": None,
    }
    return config, tables | optional


def solve_model(case: Case) -> jitopt.Plan:
    config, tables = to_frames(case)
    inst = jitopt.Instance.from_frames(config, **tables)
    return jitopt.solve(inst, mip_gap=1e-9)


# --------------------------------------------------------------------------------------------------
# The brute-force optimiser (SPEC §2/§3)
# --------------------------------------------------------------------------------------------------


def ceil_to(q: float, lot: int | None) -> int:
    step = lot or 1
    return int(math.ceil(q / step) * step)


def floor_to(q: float, lot: int | None) -> float:
    if q == INF:
        return INF
    step = lot or 1
    return math.floor(q / step) * step


def unit_price(offer: Offer, q: int) -> float:
    """All-units discount: the largest break with min_qty <= q, else the offer's price."""
    price = offer.unit_cost
    for min_qty, cost in sorted(offer.breaks):
        if q >= min_qty:
            price = cost
    return price


def is_available(case: Case, scen: str, sup: Supplier, t: int) -> bool:
    return not any(
        sc == scen and target in (sup.name, sup.region) and start <= t <= end
        for sc, target, start, end in case.outages
    )


def pipeline_arrivals(case: Case, item: str) -> list[int]:
    arr = [0] * (case.T + 1)
    for _, it, t, q in case.pipeline:
        if it == item:
            arr[t] += q
    return arr


def usable(case: Case, item: Item, arrival: int) -> int:
    """R[i, a] of models/formulation.md: the most units arriving in period ``arrival`` that any
    scenario can use (used only for the max_share rule, see the module docstring)."""
    pipe = pipeline_arrivals(case, item.name)
    best = 0
    for scen, _ in case.scenario_list():
        d = [0] + [case.demand[scen][(item.name, t)] for t in range(1, case.T + 1)]
        if case.shortage == "lost":
            best = max(best, sum(d[arrival:]))
            continue
        for t in range(arrival, case.T + 1):
            best = max(best, sum(d[1 : t + 1]) - item.init - sum(pipe[1 : t + 1]))
    return best


def line_values(case: Case, offer: Offer, sup: Supplier, item: Item, t: int) -> list[int]:
    """Every quantity the line (offer, t) may take in the enumeration, 0 included."""
    top_break = max((q for q, _ in offer.breaks), default=0)
    if any(s.max_share is not None for s in case.suppliers):
        need = usable(case, item, t + sup.lead)
    else:
        need = max(
            sum(case.demand[sc][(item.name, u)] for u in range(1, case.T + 1))
            for sc, _ in case.scenario_list()
        )
    grid_top = ceil_to(max(need, offer.moq, top_break), offer.lot)
    hard = floor_to(min(offer.max_order, sup.capacity), offer.lot)
    top = int(min(grid_top, hard))
    step = offer.lot or 1
    return [0] + [q for q in range(step, top + 1, step) if q >= offer.moq]


def second_stage(case: Case, item: Item, demand: list[int], arrivals: list[int]) -> float:
    """Least holding + shortage + spot + terminal cost of one item in one scenario, given the
    arrivals of periods 1..T (index 0 unused). DP over integer stock states; spot buys and lost
    units are enumerated, never chosen by a rule. Infeasible (warehouse) -> inf."""
    backlog = case.shortage == "backlog"
    total = sum(demand)
    spot_range = range(total + 1) if item.expedite is not None else (0,)
    e = item.expedite or 0
    room = INF if case.warehouse is None else case.warehouse / item.volume  # one-item cases only
    states = {item.init: 0.0}  # backlog: position I - B; lost: on hand
    for t in range(1, case.T + 1):
        d, a = demand[t], arrivals[t]
        new: dict[int, float] = {}
        for s0, c0 in states.items():
            for spot in spot_range:
                if backlog:
                    # I - B = position; I = max(pos, 0), B = max(-pos, 0) is the cheapest split
                    # (both costs >= 0, and the least on-hand stock for the warehouse)
                    pos = s0 + a + spot - d
                    on_hand, short = max(pos, 0), max(-pos, 0)
                    if on_hand > room:
                        continue
                    cost = c0 + e * spot + item.h * on_hand + item.b * short
                    if cost < new.get(pos, INF):
                        new[pos] = cost
                else:
                    for lost in range(d + 1):
                        on_hand = s0 + a + spot - d + lost
                        if on_hand < 0 or on_hand > room:
                            continue
                        cost = c0 + e * spot + item.h * on_hand + item.b * lost
                        if cost < new.get(on_hand, INF):
                            new[on_hand] = cost
        states = new
    if not states:
        return INF
    if backlog:
        terminal = item.b if item.terminal is None else item.terminal
        return min(c + terminal * max(-pos, 0) for pos, c in states.items())
    return min(states.values())


def cvar(costs: list[float], probs: list[float], alpha: float) -> float:
    """Rockafellar-Uryasev: min over eta; the minimum is at one of the scenario costs."""

    def value(eta):
        return eta + sum(p * max(0.0, c - eta) for c, p in zip(costs, probs)) / (1 - alpha)

    return min(value(eta) for eta in costs)


@dataclass
class Line:
    offer: Offer
    sup: Supplier
    item: Item
    t: int
    values: list


def enumeration_lines(case: Case) -> list[Line]:
    sup_of = {s.name: s for s in case.suppliers}
    item_of = {it.name: it for it in case.items}
    lines = []
    for offer in case.offers:
        sup, item = sup_of[offer.supplier], item_of[offer.item]
        for t in range(1, case.T - sup.lead + 1):  # arrival t + lead must be <= T
            lines.append(Line(offer, sup, item, t, line_values(case, offer, sup, item, t)))
    return lines


def grid_size(case: Case) -> int:
    return math.prod(len(line.values) for line in enumeration_lines(case))


def brute_force(case: Case) -> tuple[float, tuple]:
    """(optimal objective, an optimal plan as quantities per enumeration line)."""
    lines = enumeration_lines(case)
    scen = case.scenario_list()
    probs = [p for _, p in scen]
    delivered = [[is_available(case, name, ln.sup, ln.t) for ln in lines] for name, _ in scen]
    demand = {
        (w, it.name): [0] + [case.demand[name][(it.name, t)] for t in range(1, case.T + 1)]
        for w, (name, _) in enumerate(scen)
        for it in case.items
    }
    pipe = {it.name: pipeline_arrivals(case, it.name) for it in case.items}
    sup_of = {s.name: s for s in case.suppliers}
    memo: dict = {}
    best, best_plan = INF, None
    for plan in itertools.product(*(ln.values for ln in lines)):
        # -- ordering rules
        per_sup_period: dict = {}
        per_sup: dict = {}
        for ln, q in zip(lines, plan):
            if q > 0:
                key = (ln.sup.name, ln.t)
                per_sup_period[key] = per_sup_period.get(key, 0) + q
                per_sup[ln.sup.name] = per_sup.get(ln.sup.name, 0) + q
        if any(q > sup_of[s].capacity for (s, _), q in per_sup_period.items()):
            continue
        if case.max_suppliers is not None and len(per_sup) > case.max_suppliers:
            continue
        total = sum(plan)
        if any(
            s.max_share is not None and per_sup.get(s.name, 0) > s.max_share * total + 1e-9
            for s in case.suppliers
        ):
            continue
        # -- fixed costs, paid in every scenario
        fixed = sum(sup_of[s].order_cost for s, _ in per_sup_period)  # per (supplier, period)
        fixed += sum(ln.offer.line_cost for ln, q in zip(lines, plan) if q > 0)
        fixed += sum(sup_of[s].contract_cost for s in per_sup)
        # -- per scenario: purchase of delivered lines, then the second stage
        costs = []
        for w in range(len(scen)):
            cost = fixed
            arrivals = {it.name: list(pipe[it.name]) for it in case.items}
            for k, (ln, q) in enumerate(zip(lines, plan)):
                if q > 0 and delivered[w][k]:
                    cost += q * unit_price(ln.offer, q)
                    arrivals[ln.item.name][ln.t + ln.sup.lead] += q
            for it in case.items:
                key = (w, it.name, tuple(arrivals[it.name]))
                if key not in memo:
                    memo[key] = second_stage(case, it, demand[(w, it.name)], arrivals[it.name])
                cost += memo[key]
            costs.append(cost)
        expected = sum(p * c for p, c in zip(probs, costs))
        if case.cvar is None:
            value = expected
        else:
            weight, alpha = case.cvar
            value = (1 - weight) * expected + weight * cvar(costs, probs, alpha)
        if value < best - 1e-9:
            best, best_plan = value, plan
    chosen = zip(lines, best_plan or ())
    return best, tuple((ln.sup.name, ln.item.name, ln.t, q) for ln, q in chosen if q)


# --------------------------------------------------------------------------------------------------
# Random tiny cases
# --------------------------------------------------------------------------------------------------

PROBS = {1: [(1.0,)], 2: [(0.5, 0.5), (0.75, 0.25)], 3: [(0.5, 0.25, 0.25)]}


def draw_case(rng: random.Random) -> Case:
    T = rng.choice([2, 3])
    shortage = rng.choice(["backlog", "lost"])
    n_items = rng.choice([1, 1, 1, 2])
    n_sup = rng.choice([1, 2, 2])
    n_scen = rng.choice([1, 1, 2, 2, 3])
    use_cvar = n_scen > 1 and rng.random() < 0.25
    use_share = n_sup == 2 and rng.random() < 0.3

    items = []
    for k in range(n_items):
        items.append(
            Item(
                name=f"I{k + 1}",
                h=rng.choice([0, 1, 1, 2]),
                b=rng.randint(5, 20),
                init=rng.choice([0, 0, 1, 2, 3]),
                expedite=rng.choice([None, None, rng.randint(3, 12)]),
                terminal=rng.choice([None, None, rng.randint(0, 15)]),
            )
        )
    suppliers = []
    for k in range(n_sup):
        suppliers.append(
            Supplier(
                name=f"S{k + 1}",
                region="R1" if k == 0 else rng.choice(["R1", "R2"]),
                lead=rng.choice([0, 0, 1]),
                order_cost=rng.choice([0, 0, rng.randint(1, 6)]),
                capacity=rng.choice([INF, INF, rng.randint(2, 6)]),
                contract_cost=rng.choice([0, 0, rng.randint(1, 6)]),
            )
        )
    if use_share:
        rng.choice(suppliers).max_share = rng.choice([0.5, 0.6, 0.75])
    offers = []
    for sup in suppliers:
        for it in items:
            if it is not items[0] and rng.random() < 0.5:
                continue
            unit_cost = rng.randint(1, 6)
            max_order = rng.choice([INF, INF, rng.randint(2, 5)])
            limit = min(max_order, sup.capacity)
            moq = min(rng.choice([0, 0, rng.randint(1, 3)]), limit)
            lot = rng.choice([None, None, rng.randint(1, 3)])
            if lot is not None and lot > limit:
                lot = None
            breaks = []
            if rng.random() < 0.35:
                q, price = rng.randint(2, 3), float(unit_cost)
                for _ in range(rng.randint(1, 2)):
                    price -= rng.choice([0.5, 1.0])
                    if price < 0:
                        break
                    breaks.append((q, price))
                    q += rng.randint(1, 2)
            offers.append(
                Offer(
                    sup.name,
                    it.name,
                    unit_cost,
                    moq,
                    lot,
                    max_order,
                    rng.choice([0, 0, rng.randint(1, 3)]),
                    breaks,
                )
            )
    # second item must be offered by someone
    for it in items[1:]:
        if not any(o.item == it.name for o in offers):
            offers.append(Offer(suppliers[0].name, it.name, rng.randint(1, 6)))

    scenarios = None
    names = ["base"]
    if n_scen > 1 or rng.random() < 0.3:
        probs = rng.choice(PROBS[n_scen])
        names = [f"w{k + 1}" for k in range(n_scen)]
        scenarios = list(zip(names, probs))
    shared = scenarios is None or n_scen == 1 or rng.random() < 0.5
    keys = [(it.name, t) for it in items for t in range(1, T + 1)]
    first = {key: rng.randint(0, 4) for key in keys}
    demand = {
        name: dict(first) if shared else {key: rng.randint(0, 4) for key in keys} for name in names
    }
    outages = []
    if scenarios is not None:
        for k, name in enumerate(names):
            if k == 0 and rng.random() < 0.7:
                continue  # usually one calm scenario
            sup = rng.choice(suppliers)
            target = sup.name if rng.random() < 0.6 else sup.region
            start = rng.randint(1, T)
            outages.append((name, target, start, rng.randint(start, T)))
    pipeline = []
    if rng.random() < 0.3:
        offer = rng.choice(offers)
        pipeline.append((offer.supplier, offer.item, rng.randint(1, T), rng.randint(1, 2)))
    warehouse = None
    if n_items == 1 and rng.random() < 0.25:
        stuck = items[0].init + sum(q for *_, q in pipeline)
        warehouse = stuck + rng.randint(0, 2)  # integer, volume 1: an integral bound on I
    max_suppliers = 1 if n_sup == 2 and rng.random() < 0.25 else None

    risk = (rng.choice([0.5, 1.0]), rng.choice([0.5, 0.75])) if use_cvar else None
    case = Case(
        T,
        shortage,
        items,
        suppliers,
        offers,
        demand,
        scenarios,
        shared,
        outages,
        pipeline,
        warehouse,
        max_suppliers,
        risk,
    )

    # Where an integral optimum is not guaranteed for continuous x (module docstring), make x
    # integral in the model itself: every offer gets a lot multiple.
    shared_capacity = any(
        s.capacity != INF and sum(o.supplier == s.name for o in offers) > 1 for s in suppliers
    )
    if use_share or use_cvar or n_scen >= 3 or (n_scen >= 2 and shared_capacity):
        for o in offers:
            if o.lot is None:
                o.lot = 1
    return case


def random_case(seed: int) -> Case:
    """A random tiny case whose enumeration has at most GRID_LIMIT plans (demands are lowered, or
    the case redrawn, until it fits)."""
    rng = random.Random(seed)
    while True:
        case = draw_case(rng)
        if len(enumeration_lines(case)) > 6:
            continue  # at most 6 order lines
        while grid_size(case) > GRID_LIMIT:
            positive = [
                (name, key)
                for name, dem in sorted(case.demand.items())
                for key, d in sorted(dem.items())
                if d > 0
            ]
            if not positive:
                break
            name, key = rng.choice(positive)
            for scen in case.demand if case.shared_demand else [name]:
                case.demand[scen][key] -= 1
        if grid_size(case) <= GRID_LIMIT:
            return case


# --------------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------------


def one_item_case(**kw) -> Case:
    """1 item, 1 supplier (lead 0), deterministic, T = 2: a base for hand-checked cases."""
    item = kw.pop("item", Item("I1", h=1, b=10))
    sup = kw.pop("sup", Supplier("S1", "R1", 0))
    offer = kw.pop("offer", Offer("S1", "I1", 1))
    demand = kw.pop("demand", {"base": {("I1", 1): 2, ("I1", 2): 1}})
    return Case(
        T=2,
        shortage=kw.pop("shortage", "backlog"),
        items=[item],
        suppliers=[sup],
        offers=[offer],
        demand=demand,
        **kw,
    )


HAND_CASES = {
    # order 3 once (5 + 3 + 1 unit held) beats ordering twice (10 + 3)
    "one-order": (one_item_case(sup=Supplier("S1", "R1", 0, order_cost=5)), 9.0),
    # free holding: one line of 4 units reaches the break (4 * 1 = 4) and beats 3 units at 2 (6)
    "price-break": (
        one_item_case(item=Item("I1", h=0, b=10), offer=Offer("S1", "I1", 2, breaks=[(4, 1.0)])),
        4.0,
    ),
    # the only supplier is down in period 1 of a 50 % scenario: order 3 in period 1 (delivered with
    # probability 0.5) and buy in period 2 what is missing
    "outage": (
        one_item_case(
            scenarios=[("calm", 0.5), ("storm", 0.5)],
            outages=[("storm", "R1", 1, 1)],
            demand={"calm": {("I1", 1): 2, ("I1", 2): 1}, "storm": {("I1", 1): 2, ("I1", 2): 1}},
        ),
        None,
    ),
    # lost sales with a spot market dearer than the shortage cost: never expedite, lose nothing
    # (ordering is cheaper still): 3 units bought in their periods
    "lost-spot": (
        one_item_case(item=Item("I1", h=1, b=4, expedite=6), shortage="lost"),
        3.0,
    ),
}


@pytest.mark.parametrize("name", sorted(HAND_CASES))
def test_hand_case(name):
    case, expected = HAND_CASES[name]
    value, _ = brute_force(case)
    if expected is not None:
        assert value == pytest.approx(expected)
    plan = solve_model(case)
    assert plan.status == jitopt.Status.OPTIMAL
    assert plan.objective == pytest.approx(value, rel=1e-6, abs=1e-6)


def test_outage_case_by_hand():
    """The 'outage' hand case, reasoned out: ordering 2 in period 1 and 1 in period 2 costs 3 in
    'calm'; in 'storm' the first order is lost (not paid), 2 units are backlogged in period 1 (20)
    and the backlog is cleared only by what arrives in period 2. Ordering 3 in period 2 instead
    when the first line fails is not possible (one plan for all scenarios), so the best plan orders
    in period 2 enough for the storm as well: x1 = 2, x2 = 3 costs calm 2 + 3 + holding 2 = 7,
    storm 3 + 20 = 23, mean 15; x1 = 2, x2 = 1: calm 3, storm 1 + 20 + 10 * 2 (backlog end t2) = 41,
    mean 22; x1 = 0, x2 = 3: 3 + 20 = 23 in both. So 15."""
    case, _ = HAND_CASES["outage"]
    value, plan = brute_force(case)
    assert value == pytest.approx(15.0)
    assert plan == (("S1", "I1", 1, 2), ("S1", "I1", 2, 3))


@pytest.mark.parametrize("seed", range(N_CASES))
def test_model_matches_brute_force(seed, checked):
    case = random_case(seed)
    value, best = brute_force(case)
    assert value < INF  # ordering nothing is always feasible in these cases
    plan = checked(solve_model(case))
    assert plan.status == jitopt.Status.OPTIMAL
    assert plan.objective == pytest.approx(value, rel=1e-6, abs=1e-6), (
        f"model {plan.objective} != brute force {value} (brute-force plan {best}); "
        f"model orders:\n{plan.orders}"
    )


def test_random_cases_cover_the_features():
    """The seeds above exercise every feature the brute force is meant to check."""
    cases = [random_case(seed) for seed in range(N_CASES)]
    offers = [o for c in cases for o in c.offers]
    sups = [s for c in cases for s in c.suppliers]
    seen = {
        "lost": any(c.shortage == "lost" for c in cases),
        "backlog": any(c.shortage == "backlog" for c in cases),
        "two items": any(len(c.items) == 2 for c in cases),
        "two suppliers": any(len(c.suppliers) == 2 for c in cases),
        "lead 1": any(s.lead == 1 for s in sups),
        "order cost": any(s.order_cost for s in sups),
        "contract cost": any(s.contract_cost for s in sups),
        "capacity": any(s.capacity != INF for s in sups),
        "max share": any(s.max_share is not None for s in sups),
        "line cost": any(o.line_cost for o in offers),
        "moq": any(o.moq for o in offers),
        "lot > 1": any((o.lot or 1) > 1 for o in offers),
        "max order": any(o.max_order != INF for o in offers),
        "price breaks": any(o.breaks for o in offers),
        "spot": any(it.expedite is not None for c in cases for it in c.items),
        "terminal": any(it.terminal is not None for c in cases for it in c.items),
        "initial": any(it.init for c in cases for it in c.items),
        "pipeline": any(c.pipeline for c in cases),
        "outages": any(c.outages for c in cases),
        "region outage": any(o[1].startswith("R") for c in cases for o in c.outages),
        "3 scenarios": any(c.scenarios and len(c.scenarios) == 3 for c in cases),
        "scenario demand": any(not c.shared_demand for c in cases),
        "warehouse": any(c.warehouse is not None for c in cases),
        "max suppliers": any(c.max_suppliers is not None for c in cases),
        "cvar": any(c.cvar is not None for c in cases),
    }
    assert all(seen.values()), [k for k, v in seen.items() if not v]
