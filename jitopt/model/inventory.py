"""Second-stage constraint families: inventory, shortage and spot buys in each scenario."""

from __future__ import annotations

import pyomo.environ as pyo

from jitopt.model.data import ModelData
from jitopt.model.family import Family


def add_inventory_variables(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Scenario variables, indexed (w, i, t): on hand I >= 0; backlog B >= 0 (backlog mode) or lost
    sales 0 <= L <= d (lost mode, only where d > 0); spot buys E >= 0 (items with an
    ``expedite_cost``)."""
    inst, sc = data.inst, data.sc
    item_pos = {i: k for k, i in enumerate(inst.items.index)}
    m.SCEN = pyo.Set(initialize=data.scenario_keys, dimen=3, ordered=True)
    m.inv = pyo.Var(m.SCEN, within=pyo.NonNegativeReals)
    if inst.shortage == "backlog":
        m.backlog = pyo.Var(m.SCEN, within=pyo.NonNegativeReals)
    else:
        demand = {
            (w, i, t): float(sc.demand[w, item_pos[i], t - 1]) for w, i, t in data.scenario_keys
        }
        lost_keys = [k for k in data.scenario_keys if demand[k] > 0]
        m.LOST_KEYS = pyo.Set(initialize=lost_keys, dimen=3, ordered=True)
        m.lost = pyo.Var(
            m.LOST_KEYS, within=pyo.NonNegativeReals, bounds=lambda m, *k: (0, demand[k])
        )
    spot = set(inst.items.index[inst.items["expedite_cost"].notna()])
    m.SPOT_KEYS = pyo.Set(
        initialize=[k for k in data.scenario_keys if k[1] in spot], dimen=3, ordered=True
    )
    m.spot = pyo.Var(m.SPOT_KEYS, within=pyo.NonNegativeReals)


def arrivals(m, data: ModelData, w: int, i: str, t: int):
    """A[w,i,t]: units of delivered orders plus pipeline arriving in period t."""
    lines = data.arrivals.get((w, i, t), ())
    return sum(m.x[ln] for ln in lines) + data.pipeline.get((w, i, t), 0.0)


def add_inventory_balance(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Inventory balance, per scenario, item and period.

    Backlog:  .. math:: I_{w,i,t} - B_{w,i,t} = I_{w,i,t-1} - B_{w,i,t-1} + A_{w,i,t} + E_{w,i,t} - d_{w,i,t}

    Lost:     .. math:: I_{w,i,t} = I_{w,i,t-1} + A_{w,i,t} + E_{w,i,t} - d_{w,i,t} + L_{w,i,t}

    with I_{w,i,0} = initial inventory, B_{w,i,0} = 0, and
    A_{w,i,t} = \sum_s a_{w,s,t-l_s} x_{s,i,t-l_s} + pipeline_{i,t} without transit outages; a
    transit outage moves what is due during it (order lines and pipeline) to the period after it
    (`ScenarioSet.arrival`), and what it holds past T never arrives.
    """
    inst, sc = data.inst, data.sc
    item_pos = {i: k for k, i in enumerate(inst.items.index)}
    init = inst.items["initial_inventory"].to_dict()
    backlog = inst.shortage == "backlog"

    def position(m, w, i, t):
        if t == 0:
            return init[i]
        if backlog:
            return m.inv[w, i, t] - m.backlog[w, i, t]
        return m.inv[w, i, t]

    def rule(m, w, i, t):
        inflow = arrivals(m, data, w, i, t) - float(sc.demand[w, item_pos[i], t - 1])
        if (w, i, t) in m.SPOT_KEYS:
            inflow = inflow + m.spot[w, i, t]
        if not backlog and (w, i, t) in m.LOST_KEYS:
            inflow = inflow + m.lost[w, i, t]
        return position(m, w, i, t) == position(m, w, i, t - 1) + inflow

    m.inventory_balance = pyo.Constraint(m.SCEN, rule=rule)


def warehouse_capacity_applies(data: ModelData) -> bool:
    return data.inst.warehouse_capacity is not None


def add_warehouse_capacity(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Warehouse capacity: total volume on hand at the end of each period.

    .. math:: \sum_i \mathrm{vol}_i\, I_{w,i,t} \le V \quad \forall w, t

    Applies when instance.toml sets ``warehouse_capacity``.
    """
    cap = data.inst.warehouse_capacity
    volume = data.inst.items["volume"].to_dict()
    items = list(data.inst.items.index)
    keys = [(w, t) for w in range(len(data.sc)) for t in data.periods]
    m.warehouse_capacity = pyo.Constraint(
        keys, rule=lambda m, w, t: sum(volume[i] * m.inv[w, i, t] for i in items) <= cap
    )


FAMILIES: tuple[Family, ...] = (
    Family("inventory_balance", add_inventory_balance),
    Family("warehouse_capacity", add_warehouse_capacity, warehouse_capacity_applies),
)
