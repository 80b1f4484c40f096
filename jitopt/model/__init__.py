"""The Pyomo model: `build_model` is the flat list of constraint families, in the order of models/."""

from __future__ import annotations

import pyomo.environ as pyo

from jitopt.instance import Instance
from jitopt.model.data import ModelData, prepare
from jitopt.model.inventory import (
    add_inventory_balance,
    add_inventory_variables,
    add_warehouse_capacity,
)
from jitopt.model.objective import add_objective
from jitopt.model.ordering import (
    add_line_setup_link,
    add_lot_multiple,
    add_max_share,
    add_max_suppliers,
    add_order_setup_link,
    add_order_variables,
    add_price_tiers,
    add_supplier_capacity,
    add_supplier_contract_link,
)
from jitopt.scenarios import ScenarioSet

__all__ = ["ModelData", "build_model", "prepare"]


def build_model(inst: Instance, scenarios: ScenarioSet) -> tuple[pyo.ConcreteModel, ModelData]:
    """The two-stage extensive form over ``scenarios``; one scenario is the deterministic model."""
    data = prepare(inst, scenarios)
    m = pyo.ConcreteModel(name=inst.name)
    add_order_variables(m, data)
    add_line_setup_link(m, data)
    add_price_tiers(m, data)
    add_order_setup_link(m, data)
    add_supplier_contract_link(m, data)
    add_lot_multiple(m, data)
    add_supplier_capacity(m, data)
    add_max_share(m, data)
    add_max_suppliers(m, data)
    add_inventory_variables(m, data)
    add_inventory_balance(m, data)
    add_warehouse_capacity(m, data)
    add_objective(m, data)
    return m, data
