"""Re-planning at period K (`jitopt.rolling`, `jitopt roll`): the new instance worked out by hand,
and re-planning with the plan's own expectations keeps the plan."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

import jitopt
from jitopt.cli import main
from jitopt.generate import generate
from jitopt.rolling import Actuals, roll
from tests.test_rules import item, make, supplier

# T = 4; supplier A (region R), lead time 1, unit cost 1. X: initial stock 1, demand [2, 4, 4, 5];
# Y: no stock, demand [0, 1, 1, 1]. The plan followed:
#   A X period 1: 4 (arrives 2)   A Y period 1: 2 (arrives 2)
#   A X period 2: 9 (arrives 3)   A Y period 3: 2 (placed at K = 3: re-planned, dropped)
# Expected course to the start of period 3:
#   X: period 1: 1 - 2 -> backlog 1; period 2: + 4, demand 4 + backlog 1 -> backlog 1, on hand 0
#   Y: period 1: nothing; period 2: + 2 - 1 -> on hand 1
# New instance: periods 3..4 -> 1..2; X demand [4 + 1 (backlog), 5], Y [1, 1];
# initial stock X 0, Y 1; pipeline: A X 9 arriving in new period 1 (old 3).
T4 = {"X": [2, 4, 4, 5], "Y": [0, 1, 1, 1]}
ORDERS = pd.DataFrame(
    [("A", "X", 1, 4.0), ("A", "Y", 1, 2.0), ("A", "X", 2, 9.0), ("A", "Y", 3, 2.0)],
    columns=["supplier", "item", "period", "quantity"],
)


def two_items() -> jitopt.Instance:
    return make(
        T4,
        items=[item("X", initial_inventory=1.0), item("Y")],
        suppliers=[supplier("A", lead_time=1)],
    )


def demand_of(tables: dict, name: str) -> list[float]:
    d = tables["demand"]
    return d[d["item"] == name].sort_values("period")["demand"].tolist()


def test_the_next_instance_by_hand():
    tables = roll(two_items(), ORDERS, as_of=3)
    assert tables["config"]["periods"] == 2
    assert tables["items"].set_index("item")["initial_inventory"].to_dict() == {"X": 0, "Y": 1}
    assert demand_of(tables, "X") == [5.0, 5.0]  # 4 + the backlog of 1
    assert demand_of(tables, "Y") == [1.0, 1.0]
    pipeline = tables["pipeline"][["supplier", "item", "arrival_period", "quantity"]]
    assert pipeline.values.tolist() == [["A", "X", 1, 9.0]]
    jitopt.Instance.from_frames(tables.pop("config"), **tables)  # a valid instance


# The same with actuals: X's demand in period 1 was 3 (not 2), and supplier A was down in period 2,
# so the X order of period 2 never shipped.
#   X: period 1: 1 - 3 -> backlog 2; period 2: + 4, demand 4 + 2 -> backlog 2 -> new demand [6, 5]
#   no open order: the pipeline is empty.
def test_actuals_replace_the_expectation(tmp_path):
    folder = tmp_path / "actuals"
    folder.mkdir()
    (folder / "demand.csv").write_text("item,period,demand\nX,1,3\n")
    (folder / "outages.csv").write_text("target,start,end\nA,2,2\n")
    tables = roll(two_items(), ORDERS, as_of=3, actuals=Actuals.read(folder))
    assert demand_of(tables, "X") == [6.0, 5.0]
    assert len(tables["pipeline"]) == 0
    # receipts given: they replace every arrival (here X gets 6 in period 2 instead of 4)
    (folder / "receipts.csv").write_text("supplier,item,period,quantity\nA,X,2,6\nA,Y,2,2\n")
    tables = roll(two_items(), ORDERS, as_of=3, actuals=Actuals.read(folder))
    assert demand_of(tables, "X") == [4.0, 5.0]  # backlog 2 before period 2, then 6 - 4 - 2 = 0
    assert tables["items"].set_index("item")["initial_inventory"].to_dict() == {"X": 0, "Y": 1}


# A transit outage of A in periods 2..3 instead: what was due in 2 and 3 arrives in 4.
#   X: period 1: 1 - 2 -> backlog 1; period 2: nothing arrives, 4 + 1 -> backlog 5 -> new [9, 5]
#   Y: period 2: nothing arrives, backlog 1 -> new [2, 1]
#   pipeline: A X 4 + 9 and A Y 2, all arriving in 4 = new period 2; the outage, still under
#   way at K = 3, is known for certain: outages.csv row *, A, 1..1, transit.
def test_a_transit_outage_holds_what_was_due(tmp_path):
    folder = tmp_path / "actuals"
    folder.mkdir()
    (folder / "outages.csv").write_text("target,start,end,kind\nA,2,3,transit\n")
    tables = roll(two_items(), ORDERS, as_of=3, actuals=Actuals.read(folder))
    assert demand_of(tables, "X") == [9.0, 5.0]
    assert demand_of(tables, "Y") == [2.0, 1.0]
    pipeline = tables["pipeline"][["supplier", "item", "arrival_period", "quantity"]]
    assert pipeline.values.tolist() == [["A", "X", 2, 13.0], ["A", "Y", 2, 2.0]]
    known = tables["outages"][["scenario", "target", "start", "end", "kind"]]
    assert known.values.tolist() == [["*", "A", 1, 1, "transit"]]
    inst = jitopt.Instance.from_frames(tables.pop("config"), **tables)
    assert (jitopt.make_scenarios(inst).arrival[0, 0] + 1).tolist() == [2, 2]


def test_lost_sales_lose_what_was_short():
    inst = make(
        T4,
        items=[item("X", initial_inventory=1.0), item("Y")],
        suppliers=[supplier("A", lead_time=1)],
        shortage="lost",
    )
    tables = roll(inst, ORDERS, as_of=3)
    assert demand_of(tables, "X") == [4.0, 5.0]  # nothing owed
    assert tables["items"].set_index("item")["initial_inventory"].to_dict() == {"X": 0, "Y": 1}


@pytest.mark.parametrize("as_of", [3, 5])
def test_replanning_with_the_plans_expectations_keeps_the_plan(as_of):
    """Deterministic demand and no disruptions: what is left of an optimal plan is optimal for
    the rest of the horizon (and the instance's end is kept), so the re-plan orders the same."""
    tables = generate(items=3, suppliers=2, regions=1, periods=8, seed=5, disruptions=False)
    config = tables.pop("config")
    inst = jitopt.Instance.from_frames(config, **tables)
    plan = jitopt.solve(inst, mip_gap=0)
    assert plan.status == jitopt.Status.OPTIMAL
    rolled = roll(inst, plan.orders, as_of=as_of)
    again = jitopt.solve(jitopt.Instance.from_frames(rolled.pop("config"), **rolled), mip_gap=0)
    columns = ["supplier", "item", "period", "quantity"]
    rest = plan.orders[plan.orders["period"] >= as_of][columns].copy()
    rest["period"] -= as_of - 1
    def lines(orders: pd.DataFrame) -> list[tuple]:
        return sorted((s, i, int(t), round(q, 6)) for s, i, t, q in orders[columns].values)

    assert lines(again.orders) == lines(rest)


def test_roll_command_writes_a_valid_instance(tmp_path):
    plan = tmp_path / "plan"
    solved = CliRunner().invoke(main, ["solve", "instances/demo", "-o", str(plan), "-q"])
    assert solved.exit_code == 0
    out = tmp_path / "next"
    result = CliRunner().invoke(
        main, ["roll", "instances/demo", "--plan", str(plan), "--as-of", "5", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    inst = jitopt.read_instance(out)
    assert inst.periods == 8 and inst.start == "2027-02-01"
    by_date = tmp_path / "by-date"
    result = CliRunner().invoke(
        main,
        ["roll", "instances/demo", "--plan", str(plan), "--as-of", "2027-02-03"]
        + ["-o", str(by_date)],
    )
    assert result.exit_code == 0, result.output
    assert (by_date / "pipeline.csv").read_text() == (out / "pipeline.csv").read_text()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--as-of", "1"], "must be a period in 2..12"),
        (["--as-of", "2031-01-01"], "outside the horizon"),
        (["--as-of", "5", "--actuals", "ACTUALS"], "demand.csv, row 2, column period: period 7"),
        (["--as-of", "5", "--actuals", "ACTUALS"], "outages.csv, row 2, column end: end 2 is"),
        (["--as-of", "5", "--actuals", "ACTUALS"], "outages.csv, row 2, column target: unknown"),
    ],
)
def test_roll_command_bad_input_exits_2(tmp_path, args, message):
    plan = tmp_path / "plan"
    plan.mkdir()
    (plan / "orders.csv").write_text("supplier,item,period,quantity\n")
    actuals = tmp_path / "actuals"
    actuals.mkdir()
    (actuals / "demand.csv").write_text("item,period,demand\nMCU-F4,7,4\n")
    (actuals / "outages.csv").write_text("target,start,end\nMARS,3,2\n")
    args = [str(actuals) if a == "ACTUALS" else a for a in args]
    result = CliRunner().invoke(
        main, ["roll", "instances/demo", "--plan", str(plan), *args, "-o", str(tmp_path / "o")]
    )
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "o").exists()


def test_an_outage_under_way_is_known_in_every_scenario(tmp_path):
    """An actual outage that runs on at K is written with scenario * and ends where the actuals
    say: every scenario, sampled ones too (solve and simulate), has the supplier down then."""
    from jitopt.scenarios import make_scenarios

    tables = generate(items=3, suppliers=3, regions=2, periods=8, seed=2, disruptions=True)
    config = tables.pop("config")
    config["scenarios"] = {"count": 6, "seed": 1}
    inst = jitopt.Instance.from_frames(config, **tables)
    plan = jitopt.solve(inst, time_limit=30)
    supplier_name = inst.suppliers.index[0]
    folder = tmp_path / "actuals"
    folder.mkdir()
    (folder / "outages.csv").write_text(f"target,start,end\n{supplier_name},2,5\n")
    rolled = roll(inst, plan.orders, as_of=3, actuals=Actuals.read(folder))
    every = rolled["outages"][rolled["outages"]["scenario"] == "*"]
    assert every[["target", "start", "end"]].values.tolist() == [[supplier_name, 1, 3]]
    nxt = jitopt.Instance.from_frames(rolled.pop("config"), **rolled)
    sc = make_scenarios(nxt)
    s = list(nxt.suppliers.index).index(supplier_name)
    assert not sc.available[:, s, :3].any()  # down in new periods 1..3 in every scenario
    again = jitopt.solve(nxt, time_limit=30)
    assert again.status.has_plan
    bought = again.orders[again.orders["supplier"] == supplier_name]
    assert (bought["period"] > 3).all()  # nothing is ordered from it while it is known down
    sim = jitopt.simulate(nxt, again.orders, scenarios=10)
    down = sim.outages[sim.outages["target"] == supplier_name]
    assert set(down["scenario"]) == set(sim.table["scenario"])


def test_a_certain_outage_needs_no_scenarios_csv():
    inst = make(
        {"X": [0, 4]},
        suppliers=[supplier("A"), supplier("B")],
        offers=[
            {"supplier": "A", "item": "X", "unit_cost": 1.0},
            {"supplier": "B", "item": "X", "unit_cost": 1.5},
        ],
        outages=[{"scenario": "*", "target": "A", "start": 2, "end": 2}],
    )
    # A is down in period 2: A in period 1 costs 4 + holding 4 = 8, B in period 2 costs 6
    plan = jitopt.solve(inst)
    assert plan.orders[["supplier", "period"]].values.tolist() == [["B", 2]]
    assert plan.objective == pytest.approx(6.0)


def test_roll_refuses_a_plan_that_breaks_the_instance(tmp_path):
    plan = tmp_path / "plan"
    plan.mkdir()
    (plan / "orders.csv").write_text("supplier,item,period,quantity\nNOPE,MCU-F4,1,5\n")
    result = CliRunner().invoke(
        main,
        ["roll", "instances/demo", "--plan", str(plan), "--as-of", "4", "-o", str(tmp_path / "o")],
    )
    assert result.exit_code == 2
    assert "line 2 (NOPE, MCU-F4, period 1): (NOPE, MCU-F4) is not an offer" in result.output
    assert not (tmp_path / "o").exists()
