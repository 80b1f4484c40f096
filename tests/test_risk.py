"""Risk and scenarios (SPEC §2 "Scenarios and disruptions", §3 objective with CVaR, §4 summary).

Every expected value here is worked out by hand in the test's docstring (or computed in the test
by an independent method: a direct formula for the scenario cost of a one-period plan, a binomial
standard error, a hand-built availability array), never read back from the model.

Conventions: "h" holding cost per unit on hand at the end of a period, "b" shortage cost, "e"
expedite (spot) cost, "c" unit cost. Every supplier has lead time 0 unless said otherwise. An order
with a supplier that is unavailable in the order period is not delivered and not paid (SPEC §2).
CVaR_alpha of a discrete distribution is the mean of the worst (1 - alpha) probability mass of
costs, splitting an atom when needed.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import pytest
from click.testing import CliRunner

import jitopt
from jitopt.cli import main
from jitopt.plan import Status, cvar
from jitopt.scenarios import make_scenarios
from tests.hand_worked import switches_on
from tests.instance_factory import write_instance as factory_write

approx = pytest.approx

# -- builders --------------------------------------------------------------------------------------


def instance(
    demand: dict[str, list[float]],
    *,
    items: list[dict],
    suppliers: list[dict],
    offers: list[dict],
    scenario_rows: list[tuple[str, float]] | None = None,
    outage_rows: list[tuple[str, str, int, int]] | None = None,
    regions: list[dict] | None = None,
    **config,
) -> tuple[dict, dict[str, pd.DataFrame]]:
    """(config, tables) of a small instance. ``demand`` maps item -> demand of periods 1..T (one
    series for all scenarios); ``scenario_rows`` are (name, probability) of scenarios.csv;
    ``outage_rows`` are (scenario, target, start, end) of outages.csv; other keywords go to the
    config (``risk={...}``, ``shortage="lost"``, ``scenarios={"count": ..., "seed": ...}``)."""
    T = len(next(iter(demand.values())))
    rows = [(i, t + 1, float(d)) for i, series in demand.items() for t, d in enumerate(series)]
    tables = {
        "items": pd.DataFrame(items),
        "suppliers": pd.DataFrame(suppliers),
        "offers": pd.DataFrame(offers),
        "demand": pd.DataFrame(rows, columns=["item", "period", "demand"]),
    }
    if scenario_rows is not None:
        tables["scenarios"] = pd.DataFrame(scenario_rows, columns=["scenario", "probability"])
        tables["outages"] = pd.DataFrame(
            outage_rows or [], columns=["scenario", "target", "start", "end"]
        ).astype({"start": int, "end": int})
    if regions is not None:
        tables["regions"] = pd.DataFrame(regions)
    return {"name": "risk", "periods": T} | config, tables


def make(*args, **kwargs) -> jitopt.Instance:
    config, tables = instance(*args, **kwargs)
    return jitopt.Instance.from_frames(config, **tables)


def solve(inst: jitopt.Instance, checked) -> jitopt.Plan:
    """Solve to proven optimality (mip_gap 0) and run the plan through the independent checker."""
    plan = checked(jitopt.solve(inst, mip_gap=0.0))
    assert plan.status == Status.OPTIMAL
    return plan


def model_objective(plan: jitopt.Plan) -> float:
    """The value of the solved Pyomo objective (not the plan's recomputation of it)."""
    return float(pyo.value(plan.model.total_cost))


def order_lines(plan: jitopt.Plan) -> list[tuple]:
    o = plan.orders
    return sorted(
        (s, i, int(t), round(float(q), 6))
        for s, i, t, q in zip(o["supplier"], o["item"], o["period"], o["quantity"])
    )


def ordered_by_supplier(plan: jitopt.Plan) -> dict[str, float]:
    return {s: float(q) for s, q in plan.orders.groupby("supplier")["quantity"].sum().items()}


def write_dir(path: Path, config: dict, tables: dict[str, pd.DataFrame]) -> Path:
    """An instance directory for the CLI (instance_factory.write_instance, tables as a dict)."""
    return factory_write(path, config, **tables)


# -- 1. CVaR by hand ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "alpha, expected",
    [
        # tail mass 0.25: all of the 400 atom (0.2) and 0.05 of the 200 atom:
        # (0.2 * 400 + 0.05 * 200) / 0.25 = 90 / 0.25 = 360
        (0.75, 360.0),
        # tail mass 0.1 lies inside the 400 atom (0.2): 400
        (0.9, 400.0),
        # tail mass exactly the 400 atom: 0.2 * 400 / 0.2 = 400
        (0.8, 400.0),
        # tail mass 0.5: 400 (0.2) and all of 200 (0.3): (80 + 60) / 0.5 = 280
        (0.5, 280.0),
        # tail mass 0.7: 400 (0.2), 200 (0.3) and 0.2 of 100: (80 + 60 + 20) / 0.7 = 1600 / 7
        (0.3, 1600.0 / 7.0),
    ],
)
def test_cvar_function_by_hand(alpha, expected):
    """`jitopt.plan.cvar` on costs 100, 200, 400 with probabilities 0.5, 0.3, 0.2 (given in a
    shuffled order, so a function that assumes sorted input fails) equals the tail expectation of
    the worst (1 - alpha) probability mass worked out by hand (the atom at the VaR is split; see
    the comment of each case)."""
    costs = np.array([400.0, 100.0, 200.0])
    prob = np.array([0.2, 0.5, 0.3])
    assert cvar(costs, prob, alpha) == approx(expected, rel=1e-12)


@switches_on("cvar_excess_def")
def test_cvar_of_a_solved_plan_by_hand(checked):
    """Three explicit scenarios, objective 0.5 * E[C] + 0.5 * CVaR_0.75(C), checked by hand.

    T = 1, item X demand 10, h = 1, b = 1000, spot market e = 5. Supplier A (region R1) c = 1,
    capacity 6; supplier B (region R2) c = 2, capacity 4. Capacities add up to the demand, so no
    unit is ever surplus, and each unit ordered lowers the cost of every scenario where it is
    delivered (c < e) and costs nothing where it is not (not paid): ordering A 6 and B 4 is optimal
    whatever the risk measure.

    Scenarios: calm 0.5 (all available): 6 * 1 + 4 * 2 = 14;
    strike 0.3 (outage of supplier B): 6 * 1 + 4 * 5 spot = 26;
    blackout 0.2 (outages of regions R1 and R2): 10 * 5 spot = 50.
    E[C] = 7 + 7.8 + 10 = 24.8. CVaR_0.75: tail mass 0.25 = 0.2 of 50 and 0.05 of 26:
    (10 + 1.3) / 0.25 = 45.2. Objective (lambda 0.5): 0.5 * 24.8 + 0.5 * 45.2 = 35.
    The solved model's own objective must equal 35, and the summary must report the same.
    """
    inst = make(
        {"X": [10]},
        items=[{"item": "X", "holding_cost": 1.0, "shortage_cost": 1000.0, "expedite_cost": 5.0}],
        suppliers=[
            {"supplier": "A", "region": "R1", "lead_time": 0, "capacity": 6.0},
            {"supplier": "B", "region": "R2", "lead_time": 0, "capacity": 4.0},
        ],
        offers=[
            {"supplier": "A", "item": "X", "unit_cost": 1.0},
            {"supplier": "B", "item": "X", "unit_cost": 2.0},
        ],
        scenario_rows=[("calm", 0.5), ("strike", 0.3), ("blackout", 0.2)],
        outage_rows=[("strike", "B", 1, 1), ("blackout", "R1", 1, 1), ("blackout", "R2", 1, 1)],
        risk={"measure": "cvar", "weight": 0.5, "alpha": 0.75},
    )
    plan = solve(inst, checked)
    assert order_lines(plan) == [("A", "X", 1, 6.0), ("B", "X", 1, 4.0)]
    costs = dict(zip(plan.scenario_costs["scenario"], plan.scenario_costs["cost"]))
    assert costs == approx({"calm": 14.0, "strike": 26.0, "blackout": 50.0})
    s = plan.summary
    assert s["expected_cost"] == approx(24.8)
    assert s["cvar"] == approx(45.2)
    assert s["worst_case_cost"] == approx(50.0)
    assert model_objective(plan) == approx(0.5 * 24.8 + 0.5 * 45.2)
    assert model_objective(plan) == approx(35.0)
    assert s["objective"] == approx(35.0)


# -- 2. lambda = 0 and lambda = 1 ---------------------------------------------------------------

# T = 1, X demand 10, h = 1, b = 1000, spot e = 20. A (region R1) c = 1, B (region R2) c = 3.
# Scenarios: calm 0.8 (all available), storm 0.12 (region R1 out), strike 0.08 (supplier B out).
SPOT = 20.0
H = 1.0
PRICE = {"A": 1.0, "B": 3.0}
DELIVERS = {"calm": {"A", "B"}, "storm": {"B"}, "strike": {"A"}}
PROB = {"calm": 0.8, "storm": 0.12, "strike": 0.08}


def two_source(risk: dict) -> jitopt.Instance:
    return make(
        {"X": [10]},
        items=[{"item": "X", "holding_cost": H, "shortage_cost": 1000.0, "expedite_cost": SPOT}],
        suppliers=[
            {"supplier": "A", "region": "R1", "lead_time": 0},
            {"supplier": "B", "region": "R2", "lead_time": 0},
        ],
        offers=[
            {"supplier": "A", "item": "X", "unit_cost": PRICE["A"]},
            {"supplier": "B", "item": "X", "unit_cost": PRICE["B"]},
        ],
        scenario_rows=list(PROB.items()),
        outage_rows=[("storm", "R1", 1, 1), ("strike", "B", 1, 1)],
        risk=risk,
    )


def hand_costs(plan: jitopt.Plan) -> dict[str, float]:
    """Cost of each scenario of `two_source` recomputed from the orders alone: delivered units are
    paid, a surplus over the demand of 10 is held one period, a deficit is bought on the spot."""
    q = ordered_by_supplier(plan)
    out = {}
    for w, delivering in DELIVERS.items():
        got = sum(q.get(s, 0.0) for s in delivering)
        paid = sum(PRICE[s] * q.get(s, 0.0) for s in delivering)
        out[w] = paid + H * max(0.0, got - 10) + SPOT * max(0.0, 10 - got)
    return out


def test_weight_zero_is_the_expected_cost(checked):
    """measure "cvar" with weight 0 gives the risk-neutral plan: the same objective, expected
    cost and orders as measure "expected".

    Hand optimum (risk neutral; the problem is a small LP in a = A units, x = B units, its
    optimum at a vertex): A 10 costs calm 10, storm 10 * 20 spot = 200, strike 10:
    E = 8 + 24 + 0.8 = 32.8. B 10: calm 30, storm 30, strike 200: E = 24 + 3.6 + 16 = 43.6.
    A 10 and B 10: calm 10 + 30 + 10 held = 50, storm 30, strike 10: E = 44.4. Nothing: 200.
    Locally, a B unit on top of A 10 changes E by 0.8 * (3 + 1) + 0.12 * (3 - 20) = +1.16 and an
    A unit less by 0.88 * (20 - 1) > 0. So the plan is A 10 and E = 32.8.
    """
    neutral = solve(two_source({"measure": "expected"}), checked)
    zero = solve(two_source({"measure": "cvar", "weight": 0.0, "alpha": 0.9}), checked)
    for plan in (neutral, zero):
        assert order_lines(plan) == [("A", "X", 1, 10.0)]
        assert model_objective(plan) == approx(32.8)
        assert plan.summary["expected_cost"] == approx(32.8)
    assert model_objective(zero) == approx(model_objective(neutral), rel=1e-9)
    assert zero.summary["expected_cost"] == approx(neutral.summary["expected_cost"], rel=1e-9)


def test_weight_one_high_alpha_is_the_worst_case(checked):
    """measure "cvar", weight 1, alpha 0.99: every scenario has probability >= 0.08 > 0.01, so
    CVaR_0.99 is the largest scenario cost and the model minimises the worst case.

    The objective must equal the worst scenario cost of the plan found, recomputed from its orders
    by `hand_costs` (not read from the plan), and be no worse than the risk-neutral plan's worst
    case (200, see the test above).

    Hand minimax with a = A units, x = B units (a + x >= 10, both <= 10): calm 2a + 4x - 10
    (purchase a + 3x, surplus a + x - 10 held), storm 200 - 17x, strike 200 - 19a. All three equal
    at x = 19a / 17 and 110a / 17 - 10 = 200 - 19a, i.e. a = 3570 / 433, x = 67830 / 7361, and
    the gradients (2, 4), (0, -17), (-19, 0) have 0 in their convex hull, so this is optimal:
    worst case = 200 - 19 * 3570 / 433 = 18770 / 433 (about 43.35).
    """
    robust = solve(two_source({"measure": "cvar", "weight": 1.0, "alpha": 0.99}), checked)
    neutral = solve(two_source({"measure": "expected"}), checked)
    robust_costs = hand_costs(robust)
    neutral_costs = hand_costs(neutral)
    worst = max(robust_costs.values())
    assert model_objective(robust) == approx(worst, rel=1e-6)
    assert worst == approx(18770 / 433, rel=1e-6)
    assert max(neutral_costs.values()) == approx(200.0)
    assert worst <= max(neutral_costs.values())
    assert robust.summary["worst_case_cost"] == approx(worst, rel=1e-6)


# -- 3. diversification ---------------------------------------------------------------------------


def diversify_tables(risk: dict) -> tuple[dict, dict[str, pd.DataFrame]]:
    """The two-supplier instance of the diversification test (docstring there)."""
    return instance(
        {"X": [10, 10, 10]},
        items=[{"item": "X", "holding_cost": 3.0, "shortage_cost": 10.0}],
        suppliers=[
            {"supplier": "A", "region": "R1", "lead_time": 0},
            {"supplier": "B", "region": "R2", "lead_time": 0},
        ],
        offers=[
            {"supplier": "A", "item": "X", "unit_cost": 1.0},
            {"supplier": "B", "item": "X", "unit_cost": 3.0},
        ],
        scenario_rows=[("calm", 0.85), ("s2", 0.05), ("s3", 0.05), ("s23", 0.05)],
        outage_rows=[("s2", "R1", 2, 2), ("s3", "R1", 3, 3), ("s23", "R1", 2, 3)],
        shortage="lost",
        risk=risk,
    )


def diversify(risk: dict) -> jitopt.Instance:
    config, tables = diversify_tables(risk)
    return jitopt.Instance.from_frames(config, **tables)


def test_risk_aversion_adds_a_second_source(checked):
    """A cheap supplier in a risky region versus a dearer one in a safe region.

    T = 3, X demand 10 per period, lost sales b = 10, h = 3. A (region R1) c = 1, B (region R2)
    c = 3. Scenarios: calm 0.85; s2 0.05 (R1 out in period 2); s3 0.05 (R1 out in period 3);
    s23 0.05 (R1 out in periods 2-3). R1 is out in period 2 or 3 with probability 0.1 each, never
    in period 1. h = 3 makes a stock bought from A in period 1 (1 + 3 per period held) dearer than
    B's 3, so the hedge is a second source, not a buffer.

    Risk neutral: an A unit saves b - c = 9 where delivered; swapping an A unit of period 2 or 3
    for a B unit costs 2 with probability 0.9 and saves 7 with probability 0.1: +1.1, so the plan
    is A 10 in every period. Costs: calm 30; s2, s3: 20 + 10 * 10 lost = 120; s23: 10 + 200 = 210.
    E = 0.85 * 30 + 0.05 * (120 + 120 + 210) = 48; CVaR_0.9 (tail 0.1 = s23 and 0.05 of 120)
    = (10.5 + 6) / 0.1 = 165.

    Risk averse (weight 0.9, alpha 0.9): A 10 in period 1 (never at risk) and B 10 in periods 2
    and 3 cost 70 in every scenario: E = CVaR = 70, objective 70 against 0.1 * 48 + 0.9 * 165 =
    153.3 for the neutral plan; swapping k units of B back to A in period 2 or 3 lowers E by 1.1k
    but raises the CVaR by 7k. So: the averse plan uses both suppliers, its expected cost is
    higher (70 > 48) and its CVaR lower (70 < 165).
    """

    neutral = solve(diversify({"measure": "expected", "alpha": 0.9}), checked)
    averse = solve(diversify({"measure": "cvar", "weight": 0.9, "alpha": 0.9}), checked)

    assert set(neutral.orders["supplier"]) == {"A"}
    assert order_lines(neutral) == [("A", "X", 1, 10.0), ("A", "X", 2, 10.0), ("A", "X", 3, 10.0)]
    assert set(averse.orders["supplier"]) == {"A", "B"}
    assert order_lines(averse) == [("A", "X", 1, 10.0), ("B", "X", 2, 10.0), ("B", "X", 3, 10.0)]

    assert neutral.summary["expected_cost"] == approx(48.0)
    assert neutral.summary["cvar"] == approx(165.0)
    assert averse.summary["expected_cost"] == approx(70.0)
    assert averse.summary["cvar"] == approx(70.0)
    assert averse.summary["expected_cost"] > neutral.summary["expected_cost"]
    assert averse.summary["cvar"] < neutral.summary["cvar"]
    assert model_objective(averse) == approx(70.0)
    assert model_objective(neutral) == approx(48.0)

    # The buyer's metrics, by hand. Risk-neutral: every unit from A (region R1); sales are lost in
    # each of s2, s3, s23 (probability 0.15). Risk-averse: 10 of 30 units from A, 20 from B, and
    # no scenario loses a sale.
    assert neutral.summary["supplier_share"] == approx({"A": 1.0})
    assert neutral.summary["region_share"] == approx({"R1": 1.0})
    assert neutral.summary["stockout_probability"] == approx(0.15)
    assert averse.summary["supplier_share"] == approx({"A": 1 / 3, "B": 2 / 3})
    assert averse.summary["region_share"] == approx({"R1": 1 / 3, "R2": 2 / 3})
    assert averse.summary["stockout_probability"] == approx(0.0)
    # VaR_0.9 by hand: the risk-neutral scenario costs are 30 (calm, 0.85) and 30 - 10 + 100 = 120
    # in s2 and s3 and 30 - 20 + 200 = 210 in s23 (0.05 each): P[C <= 120] = 0.95 >= 0.9.
    assert neutral.summary["var"] == approx(120.0)
    assert averse.summary["var"] == approx(70.0)


@pytest.mark.parametrize(
    ("alpha", "expected"), [(0.3, 100.0), (0.5, 100.0), (0.75, 200.0), (0.8, 200.0), (0.9, 400.0)]
)
def test_var_by_hand(alpha, expected):
    """VaR_alpha = the smallest cost c with P[C <= c] >= alpha; costs 100/200/400 with
    probabilities 0.5/0.3/0.2 (given shuffled): P[C <= 100] = 0.5, P[C <= 200] = 0.8, 1 at 400."""
    from jitopt.plan import value_at_risk

    costs = np.array([400.0, 100.0, 200.0])
    prob = np.array([0.2, 0.5, 0.3])
    assert value_at_risk(costs, prob, alpha) == approx(expected)


def test_cli_risk_options_override_instance_toml(tmp_path):
    """`--risk-weight 0.9 --alpha 0.9` on the diversification instance whose instance.toml says
    "expected" gives the risk-averse plan of that test (objective 70, both suppliers);
    `--risk-weight 0` gives the risk-neutral one (48); a weight outside [0, 1] exits 2."""
    config, tables = diversify_tables({"measure": "expected"})
    config["solver"] = {"mip_gap": 0.0}
    src = write_dir(tmp_path / "inst", config, tables)
    runner = CliRunner()
    for args, objective, suppliers in [
        (["--risk-weight", "0.9", "--alpha", "0.9"], 70.0, ["A", "B"]),
        (["--risk-weight", "0"], 48.0, ["A"]),
    ]:
        out = tmp_path / f"out{len(args)}"
        result = runner.invoke(main, ["solve", str(src), "-o", str(out), *args])
        assert result.exit_code == 0, result.output
        summary = json.loads((out / "summary.json").read_text())
        assert summary["objective"] == approx(objective)
        assert summary["suppliers_used"] == suppliers
        assert summary["risk"]["measure"] == "cvar"
        assert "CVaR 90%" in result.output and "orders by supplier" in result.output
    result = runner.invoke(main, ["solve", str(src), "--risk-weight", "1.5"])
    assert result.exit_code == 2 and "--risk-weight" in result.output


# -- 4. region outage ----------------------------------------------------------------------------


def test_region_outage_stops_every_supplier_of_the_region_and_no_other(checked):
    """Suppliers P (region R1, lead 0), Q (region R1, lead 1) and S (region R2, lead 0), each the
    only seller of its own item (p, q, s), so the `arrived` column of an item is what its supplier
    delivered. Scenarios calm 0.6 and storm 0.4, with an outage of region R1 in periods 2-3 of
    storm. T = 4, each item demand 10 per period, lost sales b = 100, c = 1, and h = 200 > b so
    that holding a unit one period always costs more than losing a sale (no buffer stock).

    Availability by hand: in storm, P and Q are unavailable in periods 2 and 3 and available in 1
    and 4; S is always available; everything is available in calm.

    Plan by hand: a unit arriving beyond the demand of its period costs at least h = 200 > b, and
    each unit ordered up to the demand lowers the cost where delivered (c < b) and costs nothing
    where not, so the plan orders exactly 10 of each item in every period it can: P and S in 1-4,
    Q in 1-3 (an order in 4 would arrive after T).
    Arrivals in storm: p 10, 0, 0, 10 (orders of periods 2-3 lost); q: nothing in period 1, then
    the order of period 1 arrives in 2 (placed while available), those of periods 2 and 3 are lost:
    0, 10, 0, 0; s 10 every period. In calm: p and s 10 each period, q 0, 10, 10, 10.
    """
    inst = make(
        {"p": [10] * 4, "q": [10] * 4, "s": [10] * 4},
        items=[{"item": i, "holding_cost": 200.0, "shortage_cost": 100.0} for i in "pqs"],
        suppliers=[
            {"supplier": "P", "region": "R1", "lead_time": 0},
            {"supplier": "Q", "region": "R1", "lead_time": 1},
            {"supplier": "S", "region": "R2", "lead_time": 0},
        ],
        offers=[
            {"supplier": "P", "item": "p", "unit_cost": 1.0},
            {"supplier": "Q", "item": "q", "unit_cost": 1.0},
            {"supplier": "S", "item": "s", "unit_cost": 1.0},
        ],
        scenario_rows=[("calm", 0.6), ("storm", 0.4)],
        outage_rows=[("storm", "R1", 2, 3)],
        shortage="lost",
    )
    sc = make_scenarios(inst)
    assert sc.kind == "explicit"
    assert sc.names == ["calm", "storm"]
    sup = list(inst.suppliers.index)
    expected = np.ones((2, 3, 4), dtype=bool)
    for s in ("P", "Q"):
        expected[1, sup.index(s), 1:3] = False  # periods 2 and 3 of storm
    assert sc.available.shape == expected.shape
    assert np.array_equal(sc.available, expected)

    plan = solve(inst, checked)
    assert order_lines(plan) == sorted(
        [("P", "p", t, 10.0) for t in (1, 2, 3, 4)]
        + [("Q", "q", t, 10.0) for t in (1, 2, 3)]
        + [("S", "s", t, 10.0) for t in (1, 2, 3, 4)]
    )
    inv = plan.inventory

    def arrived(scenario, item):
        rows = inv[(inv["scenario"] == scenario) & (inv["item"] == item)].sort_values("period")
        return [round(float(v), 6) for v in rows["arrived"]]

    assert arrived("storm", "p") == [10, 0, 0, 10]
    assert arrived("storm", "q") == [0, 10, 0, 0]
    assert arrived("storm", "s") == [10, 10, 10, 10]
    assert arrived("calm", "p") == [10, 10, 10, 10]
    assert arrived("calm", "q") == [0, 10, 10, 10]
    assert arrived("calm", "s") == [10, 10, 10, 10]


# -- 5. sampled scenarios ------------------------------------------------------------------------


def sampled(count: int = 20, seed: int = 7, T: int = 6, **extra) -> tuple[dict, dict]:
    """One item, A (region R1, c 1, order cost 4) and B (region R2, lead 1, c 2, order cost 4,
    own disruption_prob 0.1); region R1 disruption_prob 0.2 lasting 2 periods; no scenarios.csv,
    one demand series: scenarios are sampled (SPEC §2)."""
    return instance(
        {"X": [5, 8, 0, 6, 7, 4, 9, 3][:T] + [5] * max(0, T - 8)},
        items=[{"item": "X", "holding_cost": 1.0, "shortage_cost": 20.0, "expedite_cost": 12.0}],
        suppliers=[
            {"supplier": "A", "region": "R1", "lead_time": 0, "order_cost": 4.0},
            {
                "supplier": "B",
                "region": "R2",
                "lead_time": 1,
                "order_cost": 4.0,
                "disruption_prob": 0.1,
            },
        ],
        offers=[
            {"supplier": "A", "item": "X", "unit_cost": 1.0},
            {"supplier": "B", "item": "X", "unit_cost": 2.0},
        ],
        regions=[{"region": "R1", "disruption_prob": 0.2, "disruption_length": 2}],
        scenarios={"count": count, "seed": seed},
        **extra,
    )


def test_same_seed_same_scenarios_and_plan(checked):
    """Two instances built separately from the same data and seed give identical scenario sets
    (outage rows and availability arrays) and identical plans; the sampling is not vacuous (there
    are outages, and not the same in every scenario)."""
    config, tables = sampled()
    first = jitopt.Instance.from_frames(config, **tables)
    second = jitopt.Instance.from_frames(config, **{k: v.copy() for k, v in tables.items()})
    a, b = make_scenarios(first), make_scenarios(second)
    assert a.kind == b.kind == "sampled"
    assert len(a) == 20
    assert len(a.outages) > 0
    assert len({tuple(a.available[w].ravel()) for w in range(len(a))}) > 1
    pd.testing.assert_frame_equal(a.outages, b.outages)
    assert np.array_equal(a.available, b.available)
    assert a.names == b.names
    assert np.array_equal(a.probability, b.probability)

    p1 = solve(first, checked)
    p2 = solve(second, checked)
    pd.testing.assert_frame_equal(p1.orders, p2.orders)
    assert p1.objective == p2.objective


def test_different_seed_different_scenarios():
    """Another seed (in instance.toml, or given to make_scenarios) draws other disruptions: with
    20 scenarios of 6 periods and three disruption processes, equal draws are practically
    impossible (one scenario alone is all-available with probability about
    (0.8 * 0.9)^6 = 0.14)."""
    config, tables = sampled(seed=7)
    inst = jitopt.Instance.from_frames(config, **tables)
    config8, tables8 = sampled(seed=8)
    inst8 = jitopt.Instance.from_frames(config8, **tables8)
    base = make_scenarios(inst)
    other = make_scenarios(inst8)
    assert not np.array_equal(base.available, other.available)
    assert not base.outages.equals(other.outages)
    overridden = make_scenarios(inst, seed=8)
    assert np.array_equal(overridden.available, other.available)


def test_sampled_frequencies_match_disruption_prob():
    """Empirical disruption frequencies over 2000 sampled scenarios of T = 20 periods against the
    probabilities of SPEC §2, within 4 binomial standard errors sqrt(p (1 - p) / n).

    Length 1 (starts independent in every period): region R1 (p 0.15) stops A and C; C also has its
    own p 0.1; B (region R2, no region process) has p 0.05. Expected share of (scenario, period)
    cells where a supplier is down: A 0.15, B 0.05, C 1 - 0.85 * 0.9 = 0.235 (independent
    processes), over n = 40000 cells.

    Length 3 (region R3, p 0.2, supplier D): a disruption may start only in a period not already
    covered by an earlier disruption of the same target. Among those eligible periods (read from
    the sampled outage rows, which must each cover start..min(start + 2, T)), the share of starts
    must be 0.2. A simulator that ignored "already disrupted" would start in covered periods too;
    one that let a covered period count as eligible would show a lower share.
    """
    T, count = 20, 2000
    config, tables = instance(
        {"X": [1.0] * T},
        items=[{"item": "X", "holding_cost": 1.0, "shortage_cost": 10.0}],
        suppliers=[
            {"supplier": "A", "region": "R1", "lead_time": 0},
            {"supplier": "B", "region": "R2", "lead_time": 0, "disruption_prob": 0.05},
            {"supplier": "C", "region": "R1", "lead_time": 0, "disruption_prob": 0.1},
            {"supplier": "D", "region": "R3", "lead_time": 0},
        ],
        offers=[{"supplier": s, "item": "X", "unit_cost": 1.0} for s in "ABCD"],
        regions=[
            {"region": "R1", "disruption_prob": 0.15, "disruption_length": 1},
            {"region": "R3", "disruption_prob": 0.2, "disruption_length": 3},
        ],
        scenarios={"count": count, "seed": 3},
    )
    inst = jitopt.Instance.from_frames(config, **tables)
    sc = make_scenarios(inst)
    assert sc.kind == "sampled"
    assert sc.available.shape == (count, 4, T)
    assert np.allclose(sc.probability, 1.0 / count)
    sup = list(inst.suppliers.index)
    n = count * T
    for s, p in {"A": 0.15, "B": 0.05, "C": 1 - 0.85 * 0.9}.items():
        down = 1.0 - sc.available[:, sup.index(s), :].mean()
        se = math.sqrt(p * (1 - p) / n)
        assert abs(down - p) < 4 * se, (s, down, p, se)

    # length 3: starts among eligible periods
    rows = sc.outages[sc.outages["target"] == "R3"]
    assert len(rows) > 0
    assert (rows["end"] == np.minimum(rows["start"] + 2, T)).all()
    covered = np.zeros((count, T), dtype=bool)  # covered[w, t]: disrupted by an earlier start
    starts = np.zeros((count, T), dtype=bool)
    pos = {name: k for k, name in enumerate(sc.names)}
    for row in rows.itertuples(index=False):
        w = pos[row.scenario]
        assert not covered[w, row.start - 1], "a disruption started while already disrupted"
        starts[w, row.start - 1] = True
        covered[w, row.start : row.end] = True  # periods start+1..end (0-based start..end-1)
    eligible = ~covered
    m = int(eligible.sum())
    share = starts[eligible].mean()
    se = math.sqrt(0.2 * 0.8 / m)
    assert abs(share - 0.2) < 4 * se, (share, se, m)
    # D is down exactly in the covered or start periods of R3
    down_d = ~sc.available[:, sup.index("D"), :]
    assert np.array_equal(down_d, covered | starts)


def test_written_scenarios_replay_as_explicit_scenarios(tmp_path):
    """`jitopt solve` of a sampled instance writes its scenarios (OUT/scenarios.csv) and outages
    (OUT/outages.csv). A copy of the instance with both files copied in as they are (the cost
    columns of OUT/scenarios.csv are accepted and ignored) must be read as explicit scenarios and
    have the same optimum: the same objective (rel 1e-6) and the same orders."""
    config, tables = sampled(count=12, seed=5, T=6)
    config["solver"] = {"mip_gap": 0.0}
    src = write_dir(tmp_path / "sampled", config, tables)
    out = tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(main, ["solve", str(src), "-o", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal"
    assert summary["scenario_source"] == "sampled"
    outages = pd.read_csv(out / "outages.csv")
    assert len(outages) > 0

    copy = tmp_path / "replay"
    shutil.copytree(src, copy)
    shutil.copy(out / "outages.csv", copy / "outages.csv")
    assert len(pd.read_csv(out / "scenarios.csv")) == 12
    shutil.copy(out / "scenarios.csv", copy / "scenarios.csv")
    out2 = tmp_path / "out2"
    result = runner.invoke(main, ["solve", str(copy), "-o", str(out2), "--quiet"])
    assert result.exit_code == 0, result.output
    replay = json.loads((out2 / "summary.json").read_text())
    assert replay["status"] == "optimal"
    assert replay["scenario_source"] == "explicit"
    assert replay["scenarios"] == 12
    assert replay["objective"] == approx(summary["objective"], rel=1e-6)
    orders = pd.read_csv(out / "orders.csv")
    orders2 = pd.read_csv(out2 / "orders.csv")
    pd.testing.assert_frame_equal(orders, orders2, check_exact=False, rtol=1e-6)
