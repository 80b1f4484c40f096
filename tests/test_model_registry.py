"""The registry of constraint families (`jitopt.model.FAMILIES`) is complete: every family has its
section in models/, a rule in the independent checker and a hand-worked case that switches it on,
and every constraint the model builds belongs to a family."""

import importlib
import re
from pathlib import Path

import pyomo.environ as pyo
import pytest

import jitopt
from jitopt import check
from jitopt.generate import generate
from jitopt.model import FAMILIES, item_integers
from tests import hand_worked

MODELS = Path(__file__).resolve().parents[1] / "models"


def documented_names() -> set[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in MODELS.glob("*.md"))
    return set(re.findall(r"^##+ `([a-z_]+)`", text, flags=re.MULTILINE))


def rich_instance(measure: str) -> jitopt.Instance:
    """An instance that switches every rule on, so that every family is built."""
    tables = generate(items=4, suppliers=3, regions=2, periods=6, seed=3, price_breaks=True)
    config = dict(tables.pop("config"))
    config.update(
        warehouse_capacity=1e6,
        max_suppliers=2,
        risk={"measure": measure} | ({"weight": 0.5} if measure == "cvar" else {}),
    )
    suppliers = tables["suppliers"].copy()
    suppliers["contract_cost"] = [100.0] + [0.0] * (len(suppliers) - 1)
    suppliers["max_share"] = [0.8] + [None] * (len(suppliers) - 1)
    offers = tables["offers"].copy()
    offers["lot_multiple"] = [10.0] + [None] * (len(offers) - 1)
    offers["line_cost"] = 5.0
    tables.update(suppliers=suppliers, offers=offers)
    return jitopt.Instance.from_frames(config, **tables)


def built_components(instance: jitopt.Instance) -> set[str]:
    model = jitopt.build(instance).model
    return {c.local_name for c in model.component_objects((pyo.Constraint, pyo.Objective))}


def test_every_constraint_and_objective_is_documented():
    names = documented_names()
    for measure in ("expected", "cvar"):
        built = built_components(rich_instance(measure))
        assert built - names == set(), f"undocumented in models/: {sorted(built - names)}"
        assert "supplier_capacity" in built and "price_tier_select" in built


def test_every_constraint_built_belongs_to_a_family():
    """The rich instance builds nothing outside the registry (each family's hand-worked case
    proves that the family is built: tests/conftest.py)."""
    registered = {c for f in FAMILIES for c in f.pyomo_components}
    built = built_components(rich_instance("expected")) | built_components(rich_instance("cvar"))
    assert built - registered == set(), f"not in jitopt.model.FAMILIES: {built - registered}"


def test_contract_link_on_lines_is_built_without_an_order_cost():
    """`supplier_contract_line_link`: lines of a contract supplier that has no order binary."""
    tables = generate(items=2, suppliers=2, regions=1, periods=4, seed=1)
    config = dict(tables.pop("config"))
    suppliers = tables["suppliers"].copy()
    suppliers["order_cost"] = 0.0
    suppliers["contract_cost"] = 50.0
    tables["suppliers"] = suppliers
    built = built_components(jitopt.Instance.from_frames(config, **tables))
    assert "supplier_contract_line_link" in built


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_every_family_is_documented_checked_and_worked_by_hand(family):
    for module in hand_worked.MODULES:
        importlib.import_module(module)
    names = documented_names()
    undocumented = [c for c in (family.name, *family.pyomo_components) if c not in names]
    assert not undocumented, f"no section in models/ for {undocumented}"
    assert callable(check.RULES.get(family.name)), (
        f"{family.name}: no rule in jitopt.check.RULES (the independent checker)"
    )
    assert hand_worked.CASES.get(family.name), (
        f"{family.name}: no hand-worked test marked @switches_on({family.name!r})"
    )


def test_the_heuristics_item_variables_come_from_the_families():
    assert item_integers() == {"w", "n", "v"}
