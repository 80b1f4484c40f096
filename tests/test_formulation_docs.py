"""Every constraint family of the built model is documented in models/ under the same name."""

import re
from pathlib import Path

import pyomo.environ as pyo

import jitopt
from jitopt.generate import generate

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


def test_every_constraint_and_objective_is_documented():
    names = documented_names()
    for measure in ("expected", "cvar"):
        model = jitopt.build(rich_instance(measure)).model
        built = {c.local_name for c in model.component_objects((pyo.Constraint, pyo.Objective))}
        assert built - names == set(), f"undocumented in models/: {sorted(built - names)}"
        assert "supplier_capacity" in built and "price_tier_select" in built
