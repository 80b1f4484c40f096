"""Transit outages (outages.csv ``kind = transit``, ``disruption_kind``): goods due to arrive
during the outage, the pipeline's too, arrive in the period after it. Arrivals worked out by
hand; the model, the simulation and the independent checker agree."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import jitopt
from jitopt.check import check_solution
from jitopt.cli import main
from jitopt.evaluation import Sampled
from jitopt.plan import SolverRun, Status, evaluate_orders
from jitopt.scenarios import arrival_periods, make_scenarios
from jitopt.simulation import simulate
from tests.test_rules import item, make, offer, supplier

# T = 6, item X from A (region R, lead time 1). Pipeline: 5 units of X from A due in period 2.
# A transit outage of R in periods 2..3 (known for certain). The plan: 4 units ordered in 2 (due
# in 3), 3 units ordered in 4 (due in 5).
#   due 2 (pipeline 5) -> held in 2, 3 -> arrives 4
#   due 3 (line of 2)  -> held in 3    -> arrives 4
#   due 5 (line of 4)  -> not held     -> arrives 5
# arrived = [0, 0, 0, 9, 3, 0]. Orders placed in 2 and 3 are delivered (a transit outage stops
# no order), and paid.
DEMO = Path(__file__).resolve().parents[1] / "instances" / "demo"
PLAN = pd.DataFrame(
    [("A", "X", 2, 4.0), ("A", "X", 4, 3.0)], columns=["supplier", "item", "period", "quantity"]
)
ARRIVED = [0.0, 0.0, 0.0, 9.0, 3.0, 0.0]


def held_instance(end: int = 3, **config) -> jitopt.Instance:
    return make(
        {"X": [1, 1, 1, 1, 1, 1]},
        items=[item("X", initial_inventory=2.0)],
        suppliers=[supplier("A", lead_time=1)],
        pipeline=[{"supplier": "A", "item": "X", "arrival_period": 2, "quantity": 5.0}],
        outages=[{"scenario": "*", "target": "R", "start": 2, "end": end, "kind": "transit"}],
        **config,
    )


def judged(inst: jitopt.Instance) -> jitopt.Plan:
    run = SolverRun(Status.FEASIBLE, None, None, 0.0, "fixed", 0.0, 0.0)
    return evaluate_orders(inst, make_scenarios(inst), PLAN, run)


def test_arrivals_held_by_hand(tmp_path):
    inst = held_instance()
    sc = make_scenarios(inst)
    # goods of A due in period t arrive in sc.arrival[0, 0, t - 1] + 1
    assert (sc.arrival[0, 0] + 1).tolist() == [1, 4, 4, 4, 5, 6]
    assert sc.available.all()  # nothing stops an order
    plan = judged(inst)
    assert plan.inventory["arrived"].tolist() == ARRIVED
    # stock: 2 - 1 = 1, then 0, backlog 1 in 3, 9 arrive in 4: 9 - 1 - 1 = 7 ...
    assert plan.inventory["on_hand"].tolist() == [1, 0, 0, 7, 9, 8]
    assert plan.inventory["backlog"].tolist() == [0, 0, 1, 0, 0, 0]
    assert plan.summary["costs"]["purchase"] == pytest.approx(7.0)  # both lines paid
    plan.write(tmp_path / "plan")
    check_solution(inst, tmp_path / "plan").raise_if_failed()


def test_the_checker_recomputes_held_arrivals(tmp_path):
    """The checker works out the held arrivals itself: inventory.csv with the goods arriving when
    due (as without the outage) is reported; and the plan written with the outage's kind
    dropped (an order outage then) is reported too."""
    inst = held_instance()
    judged(inst).write(tmp_path / "plan")
    inventory = pd.read_csv(tmp_path / "plan" / "inventory.csv")
    due = inventory.copy()
    due["arrived"] = [0.0, 5.0, 4.0, 0.0, 3.0, 0.0]
    due.to_csv(tmp_path / "plan" / "inventory.csv", index=False)
    report = check_solution(inst, tmp_path / "plan")
    assert not report.ok
    assert any("arrived 5, expected 0" in str(p) for p in report.problems)
    inventory.to_csv(tmp_path / "plan" / "inventory.csv", index=False)
    assert check_solution(inst, tmp_path / "plan").ok
    outages = pd.read_csv(tmp_path / "plan" / "outages.csv")
    outages.drop(columns="kind").to_csv(tmp_path / "plan" / "outages.csv", index=False)
    assert not check_solution(inst, tmp_path / "plan").ok


def test_goods_held_past_the_horizon_never_arrive():
    inst = held_instance(end=6)  # held from 2 to the end: nothing of A arrives after period 1
    sc = make_scenarios(inst)
    assert (sc.arrival[0, 0] + 1).tolist() == [1, 7, 7, 7, 7, 7]
    plan = judged(inst)
    assert plan.inventory["arrived"].tolist() == [0.0] * 6
    assert plan.summary["costs"]["purchase"] == pytest.approx(7.0)  # bought, at sea


def test_the_model_plans_around_a_transit_outage():
    """Demand 4 in period 3; A (lead 1, unit cost 1) has its goods held in 2..3, B (region S,
    lead 0) costs 3. Without the outage A's line of period 2 serves period 3 (cost 4); with it
    those goods arrive in 4, so the optimum buys from B in 3 (cost 12, less than backlog at
    1000 a unit) -- and the simulation of the solved plan on its own scenarios gives its cost."""
    rows = {"X": [0, 0, 4, 0]}
    base = {
        "items": [item("X", holding_cost=0.1)],
        "suppliers": [supplier("A", lead_time=1), supplier("B", region="S", lead_time=0)],
        "offers": [offer("A", "X", 1.0), offer("B", "X", 3.0)],
    }
    free = jitopt.solve(make(rows, **base))
    assert free.objective == pytest.approx(4.0)
    held = make(
        rows,
        **base,
        outages=[{"scenario": "*", "target": "R", "start": 2, "end": 3, "kind": "transit"}],
    )
    plan = jitopt.solve(held)
    assert plan.status == Status.OPTIMAL
    assert plan.objective == pytest.approx(12.0)
    assert plan.orders[["supplier", "period", "quantity"]].values.tolist() == [["B", 3, 4.0]]
    again = simulate(held, plan.orders, outages=["R:2-3:transit"])
    assert again.summary["expected_cost"] == pytest.approx(plan.objective)


def test_sampled_transit_disruptions():
    """A region whose disruption_kind is transit: sampled outages of kind transit, which hold
    goods (as `arrival_periods` works them out from the rows) and stop no order."""
    inst = make(
        {"X": [3] * 8},
        suppliers=[supplier("A", lead_time=2)],
        regions=[
            {"region": "R", "disruption_prob": 0.3, "disruption_length": 2,
             "disruption_kind": "transit"}
        ],
    )
    sc = make_scenarios(inst, count=40, seed=1)
    assert len(sc.outages) and set(sc.outages["kind"]) == {"transit"}
    assert sc.available.all()
    assert (sc.arrival >= np.arange(8)).all() and (sc.arrival != np.arange(8)).any()
    chunk = next(Sampled(inst, 40, 5).chunks(40))
    assert chunk.available.all() and set(chunk.outages["kind"]) == {"transit"}
    np.testing.assert_array_equal(
        chunk.arrival, arrival_periods(inst, chunk.names, chunk.outages)
    )


def test_a_bad_kind_and_the_stress_syntax(tmp_path):
    inst = held_instance()
    stressed = simulate(inst, PLAN, outages=["A:5-5:transit", "R:1-1"])
    assert stressed.outages[["target", "kind"]].values.tolist() == [
        ["R", "transit"],  # the instance's own, known for certain
        ["A", "transit"],
        ["R", "orders"],
    ]
    with pytest.raises(jitopt.InstanceError, match=r"outages.*column kind: 'port' is not"):
        make(
            {"X": [1, 1]},
            outages=[{"scenario": "*", "target": "R", "start": 1, "end": 1, "kind": "port"}],
        )
    folder = tmp_path / "demo"
    shutil.copytree(DEMO, folder)
    outages = pd.read_csv(folder / "outages.csv")
    outages["kind"] = ["transit", "Transit", "orders", "port"]  # any case; 'port' is no kind
    outages.to_csv(folder / "outages.csv", index=False)
    result = CliRunner().invoke(main, ["validate", str(folder)])
    assert result.exit_code == 2
    assert "outages.csv, row 5, column kind: 'port' is not orders or transit" in result.output
    outages["kind"] = ["transit", "Transit", "orders", ""]  # empty: orders
    outages.to_csv(folder / "outages.csv", index=False)
    assert CliRunner().invoke(main, ["validate", str(folder)]).exit_code == 0
    assert set(jitopt.read_instance(folder).outages["kind"]) == {"transit", "orders"}
    result = CliRunner().invoke(
        main, ["simulate", str(folder), "--policy", "jit", "--outage", "CN:1-2:sea"]
    )
    assert result.exit_code == 2
    assert "give TARGET:START-END[:transit]" in result.output
