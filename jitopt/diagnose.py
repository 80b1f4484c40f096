"""Why an instance is infeasible: the rules that conflict, found without the solver.

Ordering nothing is allowed by every ordering rule, and shortage is always possible (backlog or
lost sales), so the only way to be infeasible is stock that cannot be got rid of: initial inventory
and pipeline arrivals that, even with nothing ordered and all demand served, exceed the warehouse.
"""

from __future__ import annotations

import numpy as np

from jitopt.instance import Instance, ranges
from jitopt.scenarios import ScenarioSet, pipeline_arrivals


def least_stock(inst: Instance, sc: ScenarioSet) -> np.ndarray:
    """The least on-hand stock any plan can have, per (scenario, item, period): nothing ordered,
    nothing bought on the spot, as much demand served as possible."""
    pipe = pipeline_arrivals(inst, sc.arrival, len(sc))  # held in transit where it is
    stock = np.empty_like(sc.demand)
    level = np.broadcast_to(inst.items["initial_inventory"].to_numpy(float), sc.demand.shape[:2])
    for t in range(inst.periods):
        level = np.maximum(level + pipe[:, :, t] - sc.demand[:, :, t], 0.0)
        stock[:, :, t] = level
    return stock


def explain_infeasible(inst: Instance, sc: ScenarioSet) -> list[str]:
    """Conflicts that make the instance infeasible; empty when none is found."""
    if inst.warehouse_capacity is None:
        return []
    volume = inst.items["volume"].to_numpy(float)
    used = np.einsum("wit,i->wt", least_stock(inst, sc), volume)
    over = used > inst.warehouse_capacity * (1 + 1e-9) + 1e-9
    conflicts = []
    for w in np.flatnonzero(over.any(axis=1)):
        periods = [int(t) + 1 for t in np.flatnonzero(over[w])]
        conflicts.append(
            f"warehouse_capacity {inst.warehouse_capacity:g} conflicts with initial_inventory and "
            f"pipeline.csv: in scenario {sc.names[w]!r}, period(s) {ranges(periods)}, up to "
            f"{used[w].max():g} units of volume are on hand even if nothing is ordered"
        )
    return conflicts


def undeliverable(inst: Instance, sc: ScenarioSet) -> list[str]:
    """Items with demand of which no order can ever be delivered: every supplier offering them
    is out, in every scenario, in every period an order could be placed in."""
    T = inst.periods
    sup_pos = {s: k for k, s in enumerate(inst.suppliers.index)}
    can_ship = sc.available.any(axis=0)  # (S, T)
    lead = inst.suppliers["lead_time"]
    deliverable: dict[str, bool] = {}
    for s, i in inst.offers.index:
        last = T - int(lead[s])
        ok = last >= 1 and bool(can_ship[sup_pos[s], :last].any())
        deliverable[i] = deliverable.get(i, False) or ok
    demand = sc.demand.sum(axis=(0, 2))
    notes = []
    for k, item in enumerate(inst.items.index):
        spot = not np.isnan(inst.items.at[item, "expedite_cost"])
        offered = item in deliverable
        if demand[k] > 0 and offered and not deliverable[item] and not spot:
            notes.append(
                f"item {item!r}: no order of it can ever be delivered (every supplier offering it "
                "is out in every scenario whenever an order could arrive in time), so the plan "
                "buys none of it"
            )
    return notes
