"""The Pyomo model: `build_model` walks `STAGES`, the variables and constraint families of
models/formulation.md, in order.

A new rule is its ``add_<name>`` / ``<name>_applies`` (and ``<name>_binaries`` when it needs
binaries) functions and its `Family` entry in `jitopt.model.ordering` (first stage) or
`jitopt.model.inventory` (per scenario), its section in models/formulation.md, its rule in
`jitopt.check.RULES`, and a hand-worked test marked ``@switches_on("<name>")``;
tests/test_model_registry.py fails until each of them exists."""

from __future__ import annotations

import pyomo.environ as pyo

from jitopt.instance import Instance
from jitopt.model import inventory, objective, ordering
from jitopt.model.data import ModelData, prepare
from jitopt.model.family import Family
from jitopt.scenarios import ScenarioSet

__all__ = ["FAMILIES", "Family", "ModelData", "build_model", "item_integers", "prepare"]

# (the variables a stage adds first, the stage's families): the plan (first stage), the stock in
# each scenario (second stage), the objective
STAGES = (
    (ordering.add_order_variables, ordering.FAMILIES),
    (inventory.add_inventory_variables, inventory.FAMILIES),
    (None, objective.FAMILIES),
)
FAMILIES: tuple[Family, ...] = tuple(f for _, families in STAGES for f in families)


def item_integers() -> frozenset[str]:
    """Names of the integer variables indexed (supplier, item, period, ...), over every family."""
    return frozenset(name for family in FAMILIES for name in family.item_integers)


def build_model(inst: Instance, scenarios: ScenarioSet) -> tuple[pyo.ConcreteModel, ModelData]:
    """The two-stage extensive form over ``scenarios``; one scenario is the deterministic model."""
    data = prepare(inst, scenarios)
    _set_binaries(data)
    m = pyo.ConcreteModel(name=inst.name)
    for add_variables, families in STAGES:
        if add_variables is not None:
            add_variables(m, data)
        for family in families:
            if family.applies(data):
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
