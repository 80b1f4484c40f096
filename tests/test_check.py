"""Tests of the independent plan checker on a hand-computed plan and on corruptions of it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from jitopt.check import check_solution

NAMES = {"scenario": str, "supplier": str, "item": str, "target": str}
INF = float("inf")
NAN = float("nan")


def tiny_instance(shortage: str = "backlog") -> SimpleNamespace:
    """Items X, Y; supplier A (EU, lead 0) and B (ASIA, lead 1, price break at 20); T = 3.

    Two scenarios: `base` (p 0.75) and `outage` (p 0.25), in which ASIA is down in period 1.
    """
    items = pd.DataFrame(
        {
            "item": ["X", "Y"],
            "holding_cost": [1.0, 2.0],
            "shortage_cost": [10.0, 5.0],
            "initial_inventory": [5.0, 2.0],
            "expedite_cost": [8.0, NAN],
            "terminal_backlog_cost": [20.0, 5.0],
            "volume": [1.0, 2.0],
        }
    ).set_index("item")
    suppliers = pd.DataFrame(
        {
            "supplier": ["A", "B"],
            "region": ["EU", "ASIA"],
            "lead_time": [0, 1],
            "order_cost": [5.0, 2.0],
            "capacity": [INF, 100.0],
            "contract_cost": [0.0, 10.0],
            "max_share": [NAN, 0.9],
            "disruption_prob": [0.0, 0.0],
            "disruption_length": [1, 1],
        }
    ).set_index("supplier")
    offers = pd.DataFrame(
        {
            "supplier": ["A", "A", "B"],
            "item": ["X", "Y", "X"],
            "unit_cost": [4.0, 10.0, 3.0],
            "moq": [0.0, 0.0, 10.0],
            "lot_multiple": [NAN, NAN, 5.0],
            "max_order": [INF, INF, 50.0],
            "line_cost": [0.0, 0.0, 1.0],
        }
    ).set_index(["supplier", "item"])
    demand = pd.DataFrame(
        {"item": ["X"] * 3 + ["Y"] * 3, "period": [1, 2, 3] * 2, "demand": [5.0, 10, 10, 1, 1, 0]}
    )
    return SimpleNamespace(
        name="tiny",
        periods=3,
        shortage=shortage,
        warehouse_capacity=20.0,
        max_suppliers=2,
        start=None,
        freq=None,
        risk=SimpleNamespace(measure="cvar", weight=0.5, alpha=0.9),
        items=items,
        suppliers=suppliers,
        offers=offers,
        demand=demand,
        price_breaks=pd.DataFrame(
            {"supplier": ["B"], "item": ["X"], "min_qty": [20.0], "unit_cost": [2.5]}
        ),
        regions=pd.DataFrame(
            {"region": [], "disruption_prob": [], "disruption_length": []}
        ).set_index("region"),
        pipeline=pd.DataFrame(
            {"supplier": ["A"], "item": ["X"], "arrival_period": [2], "quantity": [3.0]}
        ),
        scenarios=pd.DataFrame({"scenario": ["base", "outage"], "probability": [0.75, 0.25]}),
        outages=OUTAGES.copy(),
    )


OUTAGES = pd.DataFrame({"scenario": ["outage"], "target": ["ASIA"], "start": [1], "end": [1]})

# B's 20 units ordered in period 1 (price break: 2.5) arrive in period 2 unless ASIA is down;
# A's 5 units ordered and delivered in period 3.
ORDERS = pd.DataFrame(
    {
        "supplier": ["B", "A"],
        "item": ["X", "X"],
        "period": [1, 3],
        "arrival_period": [2, 3],
        "quantity": [20.0, 5.0],
        "unit_cost": [2.5, 4.0],
    }
)

# (scenario, item, period, on_hand, short, expedited, arrived); short = backlog or lost.
BASE_ROWS = [
    ("base", "X", 1, 0, 0, 0, 0),
    ("base", "X", 2, 13, 0, 0, 23),  # 3 pipeline + 20 from B
    ("base", "X", 3, 8, 0, 0, 5),
    ("base", "Y", 1, 1, 0, 0, 0),
    ("base", "Y", 2, 0, 0, 0, 0),
    ("base", "Y", 3, 0, 0, 0, 0),
]
OUTAGE_ROWS = {
    "backlog": [
        ("outage", "X", 1, 0, 0, 0, 0),
        ("outage", "X", 2, 0, 5, 2, 3),  # B not delivered: 0 + 3 + 2 - 10 = -5
        ("outage", "X", 3, 0, 10, 0, 5),  # -5 + 5 - 10 = -10
        ("outage", "Y", 1, 1, 0, 0, 0),
        ("outage", "Y", 2, 0, 0, 0, 0),
        ("outage", "Y", 3, 0, 0, 0, 0),
    ],
    "lost": [
        ("outage", "X", 1, 0, 0, 0, 0),
        ("outage", "X", 2, 0, 5, 2, 3),  # 0 + 3 + 2 - 10 + 5 = 0
        ("outage", "X", 3, 0, 5, 0, 5),  # 0 + 5 - 10 + 5 = 0
        ("outage", "Y", 1, 1, 0, 0, 0),
        ("outage", "Y", 2, 0, 0, 0, 0),
        ("outage", "Y", 3, 0, 0, 0, 0),
    ],
}

# purchase, ordering, contract, holding, shortage, expedite, terminal, salvage per scenario, by hand:
# ordering = (B, 1): 2 + line 1, (A, 3): 5; contract = B's 10; holding base = 0+13+8 (X) + 2*1 (Y).
COSTS = {
    "backlog": {
        "base": [70.0, 8, 10, 23, 0, 0, 0, 0],
        "outage": [20.0, 8, 10, 2, 150, 16, 200, 0],
    },
    "lost": {
        "base": [70.0, 8, 10, 23, 0, 0, 0, 0],
        "outage": [20.0, 8, 10, 2, 100, 16, 0, 0],
    },
}
COMPONENTS = [
    "purchase",
    "ordering",
    "contract",
    "holding",
    "shortage",
    "expedite",
    "terminal",
    "salvage",
]

SUMMARY = {
    # E[C] = 0.75 * 111 + 0.25 * 406; CVaR_0.9 = 406 (the worst scenario has p 0.25 > 0.1);
    # objective = 0.5 E[C] + 0.5 CVaR; fill = 1 - 0.25 * (5 + 10) / 27.
    "backlog": {
        "objective": 295.375,
        "expected_cost": 184.75,
        "worst_case_cost": 406.0,
        "cvar": 406.0,
        "fill_rate": 1 - 3.75 / 27,
        "costs": [57.5, 8, 10, 17.75, 37.5, 4, 50, 0],
    },
    # E[C] = 0.75 * 111 + 0.25 * 156; fill = 1 - 0.25 * (5 + 5) / 27.
    "lost": {
        "objective": 139.125,
        "expected_cost": 122.25,
        "worst_case_cost": 156.0,
        "cvar": 156.0,
        "fill_rate": 1 - 2.5 / 27,
        "costs": [57.5, 8, 10, 17.75, 25, 4, 0, 0],
    },
}


def write_plan(out: Path, shortage: str = "backlog") -> Path:
    """Write the hand-computed plan of `tiny_instance(shortage)` to `out`."""
    out.mkdir(parents=True, exist_ok=True)
    short = "lost" if shortage == "lost" else "backlog"
    ORDERS.to_csv(out / "orders.csv", index=False)
    columns = ["scenario", "item", "period", "on_hand", short, "expedited", "arrived"]
    inventory = pd.DataFrame(BASE_ROWS + OUTAGE_ROWS[shortage], columns=columns)
    inventory.to_csv(out / "inventory.csv", index=False)
    rows = [
        {
            "scenario": name,
            "probability": p,
            "cost": sum(c),
            **dict(zip(COMPONENTS, c, strict=True)),
        }
        for (name, c), p in zip(COSTS[shortage].items(), [0.75, 0.25], strict=True)
    ]
    pd.DataFrame(rows).to_csv(out / "scenarios.csv", index=False)
    OUTAGES.to_csv(out / "outages.csv", index=False)
    numbers = SUMMARY[shortage]
    summary = {
        "instance": "tiny",
        "status": "optimal",
        "bound": numbers["objective"],
        "gap": 0.0,
        **{k: v for k, v in numbers.items() if k != "costs"},
        "costs": dict(zip(COMPONENTS, numbers["costs"], strict=True)),
        "suppliers_used": ["A", "B"],
        "scenarios": 2,
    }
    (out / "summary.json").write_text(json.dumps(summary))
    return out


def edit_csv(out: Path, name: str, change: Callable[[pd.DataFrame], pd.DataFrame | None]) -> None:
    df = pd.read_csv(out / name, dtype=NAMES)
    changed = change(df)
    (df if changed is None else changed).to_csv(out / name, index=False)


def edit_summary(out: Path, change: Callable[[dict], None]) -> None:
    summary = json.loads((out / "summary.json").read_text())
    change(summary)
    (out / "summary.json").write_text(json.dumps(summary))


def cell(df: pd.DataFrame, scenario: str, item: str, period: int) -> pd.Series:
    return (df["scenario"] == scenario) & (df["item"] == item) & (df["period"] == period)


@pytest.fixture
def inst() -> SimpleNamespace:
    return tiny_instance()


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return write_plan(tmp_path / "plan")


# --- a correct plan ---------------------------------------------------------------------------


def test_correct_plan_passes(inst, out):
    report = check_solution(inst, out)
    assert report.problems == []
    assert report.ok
    report.raise_if_failed()


def test_recomputed_numbers(inst, out):
    report = check_solution(inst, out)
    costs = report.scenario_costs
    assert costs.loc["base", COMPONENTS].tolist() == COSTS["backlog"]["base"]
    assert costs.loc["outage", COMPONENTS].tolist() == COSTS["backlog"]["outage"]
    assert costs["cost"].tolist() == [111.0, 406.0]
    assert report.expected_costs == dict(zip(COMPONENTS, SUMMARY["backlog"]["costs"], strict=True))
    assert report.expected_cost == pytest.approx(184.75)
    assert report.worst_case_cost == 406.0
    assert report.cvar == pytest.approx(406.0)
    assert report.objective == pytest.approx(295.375)
    assert report.fill_rate == pytest.approx(1 - 3.75 / 27)


def test_lost_sales_plan_passes(tmp_path):
    inst = tiny_instance("lost")
    report = check_solution(inst, write_plan(tmp_path, "lost"))
    assert report.problems == []
    assert report.scenario_costs["cost"].tolist() == [111.0, 156.0]
    assert report.fill_rate == pytest.approx(1 - 2.5 / 27)


def test_lost_above_demand_is_reported(tmp_path):
    out = write_plan(tmp_path, "lost")

    def lose_too_much(df):  # 0 + 5 - 10 + 11 = 6 balances, but 11 units of a demand of 10 are lost
        df.loc[cell(df, "outage", "X", 3), ["lost", "on_hand"]] = [11, 6]

    edit_csv(out, "inventory.csv", lose_too_much)
    report = check_solution(tiny_instance("lost"), out)
    assert any("lost 11 exceeds demand 10" in p for p in report.problems), report.problems
    assert not any("balance" in p for p in report.problems)


def test_fill_rate_counts_only_unmet_demand_of_the_period(inst, out):
    """Y starts empty, is never ordered: backlog 1, 2, 2 against demand 1, 1, 0 is short 1, 1, 0."""
    inst.items.loc["Y", "initial_inventory"] = 0.0

    def starve_y(df):
        y = df["item"] == "Y"
        df.loc[y, "on_hand"] = 0
        df.loc[y, "backlog"] = df.loc[y, "period"].map({1: 1, 2: 2, 3: 2})

    edit_csv(out, "inventory.csv", starve_y)
    report = check_solution(inst, out)
    assert not any("balance" in p for p in report.problems), report.problems
    assert report.fill_rate == pytest.approx(1 - (0.25 * 15 + 2) / 27)


def test_deterministic_plan_without_orders(tmp_path):
    """One scenario, nothing ordered: X lives on 5 initial + 3 pipeline units against 25 demand."""
    inst = tiny_instance()
    inst.scenarios, inst.outages = None, OUTAGES.iloc[:0]
    ORDERS.iloc[:0].to_csv(tmp_path / "orders.csv", index=False)
    (tmp_path / "outages.csv").write_text("")  # an empty file is no outage at all
    rows = [
        ("only", "X", 1, 0, 0, 0, 0),
        ("only", "X", 2, 0, 7, 0, 3),
        ("only", "X", 3, 0, 17, 0, 0),
        ("only", "Y", 1, 1, 0, 0, 0),
        ("only", "Y", 2, 0, 0, 0, 0),
        ("only", "Y", 3, 0, 0, 0, 0),
    ]
    columns = ["scenario", "item", "period", "on_hand", "backlog", "expedited", "arrived"]
    pd.DataFrame(rows, columns=columns).to_csv(tmp_path / "inventory.csv", index=False)
    costs = dict(zip(COMPONENTS, [0.0, 0, 0, 2, 240, 0, 340, 0], strict=True))
    scenario = {"scenario": "only", "probability": 1.0, "cost": 582.0, **costs}
    pd.DataFrame([scenario]).to_csv(tmp_path / "scenarios.csv", index=False)
    summary = {
        "status": "feasible",
        "objective": 582.0,
        "expected_cost": 582.0,
        "worst_case_cost": 582.0,
        "cvar": 582.0,
        "fill_rate": 1 - 17 / 27,
        "costs": costs,
        "suppliers_used": [],
        "scenarios": 1,
    }
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    assert check_solution(inst, tmp_path).problems == []


def test_outages_fall_back_to_the_instance(inst, out):
    (out / "outages.csv").unlink()
    assert check_solution(inst, out).problems == []
    inst.outages = OUTAGES.iloc[:0]
    problems = check_solution(inst, out).problems
    assert any("scenario outage, item X, period 2: arrived 3, expected 23" in p for p in problems)


def test_demand_per_scenario(inst, out):
    inst.demand = pd.concat([inst.demand.assign(scenario=s) for s in ["base", "outage"]])
    assert check_solution(inst, out).problems == []
    inst.demand.loc[cell(inst.demand, "outage", "X", 3), "demand"] = 11.0
    problems = check_solution(inst, out).problems
    assert any("scenario outage, item X, period 3: balance broken" in p for p in problems)


def test_cvar_below_the_worst_case(inst, out):
    # alpha 0.5: the tail is outage (0.25, 406) and base (0.25 of its 0.75, 111)
    inst.risk.alpha = 0.5
    report = check_solution(inst, out)
    assert report.cvar == pytest.approx((0.25 * 406 + 0.25 * 111) / 0.5)
    assert report.objective == pytest.approx(0.5 * 184.75 + 0.5 * 258.5)
    assert any(p.startswith("summary.json: cvar 406") for p in report.problems)


def test_expected_measure_objective(inst, out):
    inst.risk = SimpleNamespace(measure="expected", weight=0.0, alpha=0.9)
    problems = check_solution(inst, out).problems
    assert problems == ["summary.json: objective 295.375, recomputed 184.75"]
    edit_summary(out, lambda s: s.update(objective=184.75, bound=184.75))
    assert check_solution(inst, out).problems == []


def test_raise_if_failed_lists_every_problem(inst, out):
    edit_summary(out, lambda s: s.update(worst_case_cost=1.0, expected_cost=2.0))
    report = check_solution(inst, out)
    with pytest.raises(AssertionError, match="2 problem") as err:
        report.raise_if_failed()
    assert "worst_case_cost 1" in str(err.value) and "expected_cost 2" in str(err.value)


# --- corruptions, one at a time ---------------------------------------------------------------


def plan_edit(name: str, change: Callable) -> Callable:
    return lambda inst, out: edit_csv(out, name, change)


def widen(df: pd.DataFrame, column: str, value: object) -> None:
    """Let an int column take a float, or a number column take a string."""
    if isinstance(value, (float, str)):
        df[column] = df[column].astype(float if isinstance(value, float) else object)


def set_cell(scenario: str, item: str, period: int, column: str, value: float) -> Callable:
    def change(df):
        widen(df, column, value)
        df.loc[cell(df, scenario, item, period), column] = value

    return change


def set_offer(column: str, value: float) -> Callable:
    def change(inst, out):
        inst.offers.loc[("B", "X"), column] = value

    return change


def set_supplier(column: str, value: float) -> Callable:
    def change(inst, out):
        inst.suppliers.loc["B", column] = value

    return change


def set_order(supplier: str, column: str, value: float | str) -> Callable:
    def change(df):
        widen(df, column, value)
        df.loc[df["supplier"] == supplier, column] = value

    return change


def deliver_despite_outage(inst, out):
    """The plan as if B had shipped in the outage scenario: outage rows and costs copy base."""

    def inventory(df):
        base = df[df["scenario"] == "base"]
        return pd.concat([base, base.assign(scenario="outage")])

    def scenarios(df):
        df.loc[1, ["cost", *COMPONENTS]] = df.loc[0, ["cost", *COMPONENTS]]

    edit_csv(out, "inventory.csv", inventory)
    edit_csv(out, "scenarios.csv", scenarios)


def negative_stock(inst, out):
    def change(df):  # on_hand - backlog = 0 still balances
        df.loc[cell(df, "base", "Y", 3), ["on_hand", "backlog"]] = [-1, -1]

    edit_csv(out, "inventory.csv", change)


def expedite_without_spot_market(inst, out):
    def change(df):  # 2 + 1 - 1 = 2 on hand: balanced, but Y has no expedite_cost
        df.loc[cell(df, "base", "Y", 1), ["on_hand", "expedited"]] = [2, 1]
        df.loc[cell(df, "base", "Y", 2), "on_hand"] = 1
        df.loc[cell(df, "base", "Y", 3), "on_hand"] = 1

    edit_csv(out, "inventory.csv", change)


def drop_offer(inst, out):
    inst.offers = inst.offers.drop(("A", "X"))


CORRUPTIONS = {
    "wrong arrived": (
        plan_edit("inventory.csv", set_cell("base", "X", 2, "arrived", 20)),
        "inventory.csv scenario base, item X, period 2: arrived 20, expected 23",
    ),
    "broken balance": (
        plan_edit("inventory.csv", set_cell("base", "X", 3, "on_hand", 9)),
        (
            "inventory.csv scenario base, item X, period 3: balance broken: "
            "on_hand - backlog = 9, expected 8"
        ),
    ),
    "violated moq": (
        set_offer("moq", 25.0),
        "orders.csv line 2 (B, X, period 1): quantity 20 is below moq 25",
    ),
    "wrong unit_cost under a price break": (
        plan_edit("orders.csv", set_order("B", "unit_cost", 3.0)),
        "orders.csv line 2 (B, X, period 1): unit_cost 3, expected 2.5",
    ),
    "wrong scenario cost": (
        plan_edit("scenarios.csv", lambda df: df.replace({"holding": {23.0: 24.0}})),
        "scenarios.csv scenario base: holding 24, recomputed 23",
    ),
    "wrong scenario total": (
        plan_edit("scenarios.csv", lambda df: df.replace({"cost": {406.0: 400.0}})),
        "scenarios.csv scenario outage: cost 400, recomputed 406",
    ),
    "wrong summary objective": (
        lambda inst, out: edit_summary(out, lambda s: s.update(objective=296.0)),
        "summary.json: objective 296, recomputed 295.375",
    ),
    "wrong summary component": (
        lambda inst, out: edit_summary(out, lambda s: s["costs"].update(shortage=0.0)),
        "summary.json: costs.shortage 0, recomputed 37.5",
    ),
    "wrong fill rate": (
        lambda inst, out: edit_summary(out, lambda s: s.update(fill_rate=1.0)),
        "summary.json: fill_rate 1, recomputed 0.8611111111",
    ),
    "wrong scenario count": (
        lambda inst, out: edit_summary(out, lambda s: s.update(scenarios=1)),
        "summary.json: scenarios 1, scenarios.csv has 2",
    ),
    "order delivered despite outage": (
        deliver_despite_outage,
        "inventory.csv scenario outage, item X, period 2: arrived 23, expected 3",
    ),
    "missing inventory row": (
        plan_edit("inventory.csv", lambda df: df[~cell(df, "outage", "X", 3)]),
        "inventory.csv: missing row scenario outage, item X, period 3",
    ),
    "duplicated inventory row": (
        plan_edit("inventory.csv", lambda df: pd.concat([df, df.iloc[[0]]])),
        "inventory.csv: row scenario base, item X, period 1 appears more than once",
    ),
    "unknown inventory row": (
        plan_edit("inventory.csv", lambda df: pd.concat([df, df.iloc[[0]].assign(period=4)])),
        "inventory.csv: unexpected row scenario base, item X, period 4",
    ),
    "capacity": (
        set_supplier("capacity", 15.0),
        "orders.csv supplier B, period 1: 20 units ordered, capacity 15",
    ),
    "max_share": (
        set_supplier("max_share", 0.5),
        "orders.csv supplier B: share 0.8 of all units, max_share 0.5",
    ),
    "max_suppliers": (
        lambda inst, out: setattr(inst, "max_suppliers", 1),
        "orders.csv: 2 suppliers used, max_suppliers 1",
    ),
    "lot multiple": (
        set_offer("lot_multiple", 15.0),
        "orders.csv line 2 (B, X, period 1): quantity 20 is not a multiple of lot_multiple 15",
    ),
    "max_order": (
        set_offer("max_order", 15.0),
        "orders.csv line 2 (B, X, period 1): quantity 20 is above max_order 15",
    ),
    "wrong arrival period": (
        plan_edit("orders.csv", set_order("B", "arrival_period", 3)),
        "orders.csv line 2 (B, X, period 1): arrival_period 3 is not period + lead_time = 2",
    ),
    "arrival after the horizon": (
        plan_edit("orders.csv", set_order("A", "arrival_period", 4)),
        "orders.csv line 3 (A, X, period 3): arrival_period 4 is after T = 3",
    ),
    "not an offer": (drop_offer, "orders.csv line 3 (A, X, period 3): (A, X) is not an offer"),
    "negative on_hand": (
        negative_stock,
        "inventory.csv scenario base, item Y, period 3: on_hand -1 is negative",
    ),
    "expedite without spot market": (
        expedite_without_spot_market,
        (
            "inventory.csv scenario base, item Y, period 1: "
            "expedited 1 but the item has no expedite_cost"
        ),
    ),
    "warehouse": (
        lambda inst, out: setattr(inst, "warehouse_capacity", 10.0),
        "inventory.csv scenario base, period 2: volume on hand 13, warehouse_capacity 10",
    ),
    "probabilities": (
        plan_edit("scenarios.csv", lambda df: df.replace({"probability": {0.75: 0.7}})),
        "scenarios.csv: probabilities sum to 0.95, expected 1",
    ),
    "unknown outage target": (
        plan_edit("outages.csv", lambda df: df.assign(target="MARS")),
        "outages.csv scenario outage, target MARS: target is neither a supplier nor a region",
    ),
    "missing summary": (
        lambda inst, out: (out / "summary.json").unlink(),
        "summary.json: file is missing",
    ),
    "non-numeric quantity": (
        plan_edit("orders.csv", set_order("A", "quantity", "five")),
        "orders.csv line 3: quantity 'five' is not a finite number",
    ),
}


@pytest.mark.parametrize("corrupt, expected", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_corruption_is_reported(inst, out, corrupt, expected):
    corrupt(inst, out)
    report = check_solution(inst, out)
    assert not report.ok
    found = report.problems + report.unreadable  # damaged files: could not be checked
    assert any(expected in p for p in found), found
    with pytest.raises(AssertionError):
        report.raise_if_failed()


def test_all_problems_are_collected(inst, out):
    set_offer("moq", 25.0)(inst, out)
    edit_csv(out, "inventory.csv", set_cell("base", "X", 2, "arrived", 20))
    edit_summary(out, lambda s: s.update(cvar=400.0))
    problems = check_solution(inst, out).problems
    assert len(problems) == 3, problems


def test_noise_within_tolerance_passes(inst, out):
    edit_csv(out, "inventory.csv", set_cell("base", "X", 3, "on_hand", 8 + 1e-9))
    edit_csv(out, "orders.csv", set_order("B", "quantity", 20 - 1e-9))
    edit_summary(out, lambda s: s.update(objective=295.375 * (1 + 1e-7)))
    assert check_solution(inst, out).problems == []
    assert np.isfinite(check_solution(inst, out).objective)


@pytest.fixture(scope="module")
def solved_plan(tmp_path_factory):
    """A solved plan with sampled scenarios (every metric non-trivial), written once."""
    import jitopt
    from jitopt.generate import generate

    tables = generate(items=3, suppliers=3, regions=2, periods=6, seed=4)
    config = dict(tables.pop("config"))
    config["scenarios"] = {"count": 8, "seed": 1}
    inst = jitopt.Instance.from_frames(config, **tables)
    out = tmp_path_factory.mktemp("plan")
    jitopt.solve(inst, time_limit=30).write(out)
    return inst, out


def test_the_checker_recomputes_every_metric(solved_plan):
    """Every metric of `jitopt.metrics.METRICS` is one the checker recomputes
    (`jitopt.check.METRIC_CHECKS`), and a wrong value of it in summary.json is reported."""
    from jitopt.check import METRIC_CHECKS
    from jitopt.metrics import METRICS

    inst, out = solved_plan
    assert check_solution(inst, out).ok
    summary = json.loads((out / "summary.json").read_text())
    for metric in METRICS:
        if metric.name == "costs":
            continue  # component by component: test_corruption_is_reported
        assert metric.name in METRIC_CHECKS, f"the checker does not recompute {metric.name}"
        wrong = dict(summary, **{metric.name: summary[metric.name] * 1.01 + 0.01})
        (out / "summary.json").write_text(json.dumps(wrong))
        try:
            problems = check_solution(inst, out).problems
        finally:
            (out / "summary.json").write_text(json.dumps(summary))
        assert any(p.startswith(f"summary.json: {metric.name} ") for p in problems), problems


def test_problems_say_file_row_and_column(inst, out):
    """Each problem is a `Finding`: its message, and where (file, line, column), like the input
    side's problems."""
    set_offer("moq", 25.0)(inst, out)
    edit_csv(out, "inventory.csv", set_cell("base", "X", 2, "arrived", 20))
    edit_summary(out, lambda s: s.update(cvar=400.0))
    problems = check_solution(inst, out).problems
    inventory = pd.read_csv(out / "inventory.csv")
    line = int(np.flatnonzero(cell(inventory, "base", "X", 2))[0]) + 2
    orders = pd.read_csv(out / "orders.csv")
    places = {(p.file, p.row, p.column) for p in problems}
    moq_line = [p.row for p in problems if p.file == "orders.csv"]
    assert places == {
        ("orders.csv", moq_line[0], "quantity"),
        ("inventory.csv", line, "arrived"),
        ("summary.json", None, "cvar"),
    }
    assert orders.loc[moq_line[0] - 2, "quantity"] < 25
