"""What the model is built from: sparse index sets and the proven bounds of models/formulation.md."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from jitopt.instance import Instance
from jitopt.scenarios import ScenarioSet, pipeline_arrivals

Line = tuple[str, str, int]  # (supplier, item, order period)


@dataclass(frozen=True)
class Tier:
    """Price tier k of an offer: unit price ``cost`` for line quantities in [low, high]."""

    k: int
    low: float
    high: float
    cost: float


@dataclass(eq=False)
class ModelData:
    """Index sets and parameters for `build_model`, computed once from instance and scenarios."""

    inst: Instance
    sc: ScenarioSet
    periods: list[int]
    lines: list[Line]
    bound: dict[Line, float]  # U[s,i,t]: a proven upper bound on the line quantity
    tiers: dict[Line, list[Tier]]  # lines with price breaks
    lot_lines: list[Line]
    arrivals: dict[tuple[int, str, int], list[Line]]  # (scenario, item, period) -> delivered lines
    pipeline: dict[tuple[int, str, int], float]  # (scenario, item, period) -> units, nonzero only
    avail_prob: dict[tuple[str, int], float]  # P[supplier can ship in period]
    scenario_keys: list[tuple[int, str, int]]  # (scenario, item, period)
    # The binaries, set by `jitopt.model.build_model` from what the constraint families need
    # (`Family.binaries`): each exists only where a rule or a cost needs it.
    w_lines: list[Line] = field(default_factory=list)  # lines with a "line used" binary
    y_keys: list[tuple[str, int]] = field(default_factory=list)  # (supplier, period): order placed
    z_suppliers: list[str] = field(default_factory=list)  # suppliers with a "supplier used" binary
    # Cost expressions shared by the objective's families (`jitopt.model.objective`)
    costs: dict = field(default_factory=dict)


def prepare(inst: Instance, sc: ScenarioSet) -> ModelData:
    T = inst.periods
    periods = list(range(1, T + 1))
    items = list(inst.items.index)
    suppliers = list(inst.suppliers.index)
    sup = inst.suppliers
    item_pos = {i: k for k, i in enumerate(items)}
    sup_pos = {s: k for k, s in enumerate(suppliers)}

    useful = useful_quantity(inst, sc)  # (I, T) by arrival period
    can_ship = sc.available.any(axis=0)  # (S, T)
    breaks = {
        key: list(zip(g["min_qty"], g["unit_cost"]))
        for key, g in inst.price_breaks.groupby(["supplier", "item"], sort=False)
    }

    lines, bound, tiers, lot_lines = [], {}, {}, []
    for (s, i), offer in inst.offers.iterrows():
        lead = int(sup.at[s, "lead_time"])
        lot = offer["lot_multiple"]
        has_lot = not math.isnan(lot)
        hard = min(offer["max_order"], sup.at[s, "capacity"])
        if has_lot and math.isfinite(hard):
            hard = math.floor(hard / lot + 1e-9) * lot
        offer_breaks = breaks.get((s, i), [])
        floor_qty = max([offer["moq"]] + [q for q, _ in offer_breaks])
        for t in range(1, T - lead + 1):
            if not can_ship[sup_pos[s], t - 1]:
                continue  # never delivered in any scenario: it could only cost fixed costs
            need = max(useful[item_pos[i], t + lead - 1], floor_qty)
            if has_lot:
                need = math.ceil(need / lot - 1e-9) * lot
            u = min(hard, need)
            if u <= 0 or u < offer["moq"] - 1e-9:
                continue
            line = (s, i, t)
            lines.append(line)
            bound[line] = float(u)
            if has_lot:
                lot_lines.append(line)
            if offer_breaks:
                tiers[line] = price_tiers(offer["moq"], offer["unit_cost"], offer_breaks, u)

    used_periods = {(s, t) for s, _, t in lines}

    lead = sup["lead_time"].to_dict()
    by_arrival: dict[tuple[str, int], list[Line]] = {}
    for line in lines:
        s, i, t = line
        by_arrival.setdefault((i, t + lead[s]), []).append(line)
    arrivals: dict[tuple[int, str, int], list[Line]] = {}
    for w in range(len(sc)):
        avail = sc.available[w]
        for (i, a), group in by_arrival.items():
            for ln in group:
                s = sup_pos[ln[0]]
                if not avail[s, ln[2] - 1]:
                    continue  # not delivered
                t = a if sc.arrival is None else int(sc.arrival[w, s, a - 1]) + 1
                if t <= T:  # held past the horizon: never in stock
                    arrivals.setdefault((w, i, t), []).append(ln)

    pipe = pipeline_arrivals(inst, sc.arrival, len(sc))
    w_idx, i_idx, t_idx = np.nonzero(pipe)
    prob = sc.availability_probability
    avail_prob = {(s, t): float(prob[sup_pos[s], t - 1]) for s, t in used_periods}
    scenario_keys = [(w, i, t) for w in range(len(sc)) for i in items for t in periods]
    return ModelData(
        inst=inst,
        sc=sc,
        periods=periods,
        lines=lines,
        bound=bound,
        tiers=tiers,
        lot_lines=lot_lines,
        arrivals=arrivals,
        pipeline={
            (int(w), items[i], int(t) + 1): float(pipe[w, i, t])
            for w, i, t in zip(w_idx, i_idx, t_idx)
        },
        avail_prob=avail_prob,
        scenario_keys=scenario_keys,
    )


def useful_quantity(inst: Instance, sc: ScenarioSet) -> np.ndarray:
    """R[i, a-1]: the most units of item i arriving in period a that any scenario can use.

    Backlog: max over scenarios and t >= a of (cumulative demand to t - initial inventory - pipeline
    arrived by t)^+ (backlog carries over, so demand before a counts). Lost sales: max over scenarios
    of demand from a to T (lost demand cannot be served later). Proof in models/formulation.md.
    """
    d = sc.demand  # (W, I, T)
    if inst.shortage == "lost":
        suffix = np.flip(np.cumsum(np.flip(d, axis=2), axis=2), axis=2)
        return suffix.max(axis=0)
    pipe = pipeline_arrivals(inst, sc.arrival, len(sc))  # held in transit where it is
    init = inst.items["initial_inventory"].to_numpy(float)[:, None]
    net = np.cumsum(d, axis=2) - init[None] - np.cumsum(pipe, axis=2)  # (W, I, T)
    suffix_max = np.flip(np.maximum.accumulate(np.flip(net, axis=2), axis=2), axis=2)
    return np.maximum(suffix_max.max(axis=0), 0.0)


def price_tiers(
    moq: float, base_cost: float, breaks: list[tuple[float, float]], u: float
) -> list[Tier]:
    """Tiers of an all-units discount, cut to the line bound ``u`` and to the MOQ. Tier k covers
    [min_k, min_{k+1}]: a quantity that reaches min_{k+1} may always take the cheaper tier k+1, so
    the upper limit is valid (prices fall with quantity, checked on input)."""
    points = [(0.0, base_cost)] + sorted(breaks)
    tiers = []
    for k, (low, cost) in enumerate(points):
        high = min(points[k + 1][0], u) if k + 1 < len(points) else u
        low = max(low, moq)
        if low <= high + 1e-9:
            tiers.append(Tier(k, float(low), float(high), float(cost)))
    return tiers
