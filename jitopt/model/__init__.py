"""The Pyomo model: `build_model` walks `FAMILIES`, the constraint families of models/, in order.

A new rule is one `Family` entry here, its ``add_<name>`` function (and ``<name>_binaries`` when it
needs binaries) in `jitopt.model.ordering` or `jitopt.model.inventory`, its section in
models/formulation.md, its rule in `jitopt.check.RULES`, and a hand-worked test marked
``@switches_on("<name>")``; tests/test_model_registry.py fails until each of them exists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyomo.environ as pyo

from jitopt.instance import Instance
from jitopt.model import inventory, objective, ordering
from jitopt.model.data import ModelData, prepare
from jitopt.scenarios import ScenarioSet

__all__ = ["FAMILIES", "Family", "ModelData", "build_model", "item_integers", "prepare"]


def _always(data: ModelData) -> bool:
    return True


def _none(data: ModelData) -> dict[str, list]:
    return {}


@dataclass(frozen=True)
class Family:
    """A constraint family: ``name`` is its section in models/formulation.md and its Pyomo
    component (with ``components``, the Pyomo components it adds, each with a section of its own).

    ``stage``: "plan" (first stage: after the order variables), "scenario" (after the stock
    variables) or "objective". ``applies(data)``: whether the instance switches it on.
    ``binaries(data)``: the binaries it needs, as {variable: keys} ("w": lines, "y": (supplier,
    period), "z": suppliers); a binary exists only where some family asks for it.
    ``item_integers``: the integer variables it adds whose index starts (supplier, item, period),
    which `jitopt.heuristic` frees and fixes item by item."""

    name: str
    stage: str
    add: Callable[[pyo.ConcreteModel, ModelData], None]
    applies: Callable[[ModelData], bool] = _always
    binaries: Callable[[ModelData], dict[str, list]] = _none
    components: tuple[str, ...] = ()
    item_integers: tuple[str, ...] = ()

    @property
    def pyomo_components(self) -> tuple[str, ...]:
        return self.components or (self.name,)


FAMILIES: tuple[Family, ...] = (
    Family(
        "line_setup_link",
        "plan",
        ordering.add_line_setup_link,
        ordering.line_setup_link_applies,
        ordering.line_setup_link_binaries,
        item_integers=("w",),
    ),
    Family(
        "min_order_quantity",
        "plan",
        ordering.add_min_order_quantity,
        ordering.min_order_quantity_applies,
        ordering.min_order_quantity_binaries,
        item_integers=("w",),
    ),
    Family(
        "price_tiers",
        "plan",
        ordering.add_price_tiers,
        ordering.price_tiers_applies,
        ordering.price_tiers_binaries,
        components=("price_tier_split", "price_tier_select", "price_tier_min", "price_tier_max"),
        item_integers=("w", "v"),
    ),
    Family(
        "order_setup_link",
        "plan",
        ordering.add_order_setup_link,
        ordering.order_setup_link_applies,
        ordering.order_setup_link_binaries,
    ),
    Family(
        "supplier_contract_link",
        "plan",
        ordering.add_supplier_contract_link,
        ordering.supplier_contract_link_applies,
        ordering.supplier_contract_link_binaries,
        components=("supplier_contract_link", "supplier_contract_line_link"),
    ),
    Family(
        "lot_multiple",
        "plan",
        ordering.add_lot_multiple,
        ordering.lot_multiple_applies,
        item_integers=("n",),
    ),
    Family(
        "supplier_capacity",
        "plan",
        ordering.add_supplier_capacity,
        ordering.supplier_capacity_applies,
    ),
    Family("max_share", "plan", ordering.add_max_share, ordering.max_share_applies),
    Family(
        "max_suppliers",
        "plan",
        ordering.add_max_suppliers,
        ordering.max_suppliers_applies,
        ordering.max_suppliers_binaries,
    ),
    Family("inventory_balance", "scenario", inventory.add_inventory_balance),
    Family(
        "warehouse_capacity",
        "scenario",
        inventory.add_warehouse_capacity,
        inventory.warehouse_capacity_applies,
    ),
    Family("total_cost", "objective", objective.add_objective),
    Family(
        "cvar_excess_def",
        "objective",
        objective.add_cvar_excess_def,
        objective.cvar_excess_def_applies,
    ),
)

VARIABLES = {"plan": ordering.add_order_variables, "scenario": inventory.add_inventory_variables}


def item_integers() -> frozenset[str]:
    """Names of the integer variables indexed (supplier, item, period, ...), over every family."""
    return frozenset(name for family in FAMILIES for name in family.item_integers)


def build_model(inst: Instance, scenarios: ScenarioSet) -> tuple[pyo.ConcreteModel, ModelData]:
    """The two-stage extensive form over ``scenarios``; one scenario is the deterministic model."""
    data = prepare(inst, scenarios)
    _set_binaries(data)
    m = pyo.ConcreteModel(name=inst.name)
    for stage in ("plan", "scenario", "objective"):
        if stage in VARIABLES:
            VARIABLES[stage](m, data)
        for family in FAMILIES:
            if family.stage == stage and family.applies(data):
                family.add(m, data)
    return m, data


def _set_binaries(data: ModelData) -> None:
    """The binaries the families need, in the model's order (lines, sorted keys, suppliers)."""
    needed: dict[str, set] = {"w": set(), "y": set(), "z": set()}
    for family in FAMILIES:
        for name, keys in family.binaries(data).items():
            needed[name].update(keys)
    data.w_lines = [ln for ln in data.lines if ln in needed["w"]]
    data.y_keys = sorted(needed["y"])
    data.z_suppliers = [s for s in data.inst.suppliers.index if s in needed["z"]]
