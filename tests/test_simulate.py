"""`jitopt simulate` (SPEC §8.1): the second stage of a fixed plan, solved exactly per scenario.

- Replay: solved plans of random instances (backlog and lost sales, warehouse capacity, price
  breaks, pipeline, spot buys, salvage, CVaR) re-evaluated on their own scenarios give their
  scenarios.csv, component by component.
- Out of sample: per-scenario costs equal an LP of the second stage written here directly on
  highspy (one per scenario, all items together); same seed, same results, whatever the chunk
  size; the default seed is not the instance's.
- A one-item dynamic programme over integer stock states, with spot buys enumerated, agrees with
  the closed form of `jitopt.recourse` on small cases.
"""

from __future__ import annotations

import itertools
import json
import math

import highspy
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jitopt
from jitopt.cli import main
from jitopt.generate import generate
from jitopt.recourse import Lines, recourse
from jitopt.schema import COST_COMPONENTS
from jitopt.simulation import plan_lines, simulate
from tests.hostile import tiny


def random_instance(seed: int, *, lost=False, warehouse=False, cvar=False, salvage=False, **gen):
    """A generated instance with the features the generator does not draw added on top."""
    tables = generate(seed=seed, **gen)
    config = tables.pop("config")
    rng = np.random.default_rng(seed)
    items = tables["items"]
    if lost:
        config["shortage"] = "lost"
    if salvage:
        cheapest = tables["offers"].groupby("item")["unit_cost"].min()
        value = cheapest.reindex(items["item"]).to_numpy() * rng.uniform(0.2, 0.9, len(items))
        items["salvage_value"] = np.round(np.minimum(value, items["holding_cost"] * 20), 2)
        if "expedite_cost" in items:
            items["salvage_value"] = np.minimum(items["salvage_value"], items["expedite_cost"])
    if warehouse:
        start = items["initial_inventory"].sum()
        if tables.get("pipeline") is not None and len(tables["pipeline"]):
            start += tables["pipeline"]["quantity"].sum()
        config["warehouse_capacity"] = float(np.ceil(start * rng.uniform(1.0, 1.5) + 1))
    if cvar:
        config["risk"] = {"measure": "cvar", "weight": 0.5, "alpha": 0.8}
    return jitopt.Instance.from_frames(config, **tables)


FEATURES = {
    "items": st.integers(1, 3),
    "suppliers": st.integers(2, 3),
    "regions": st.integers(1, 2),
    "periods": st.integers(3, 6),
    "seed": st.integers(0, 2**31 - 1),
    "moq": st.booleans(),
    "capacity": st.booleans(),
    "price_breaks": st.booleans(),
    "order_costs": st.booleans(),
    "disruptions": st.booleans(),
    "spot_buys": st.booleans(),
    "pipeline": st.booleans(),
    "lost": st.booleans(),
    "warehouse": st.booleans(),
    "cvar": st.booleans(),
    "salvage": st.booleans(),
}


def solved(gen: dict) -> tuple[jitopt.Instance, jitopt.Plan]:
    inst = random_instance(sampled=6, **gen)
    plan = jitopt.solve(inst, mip_gap=1e-9, time_limit=30)
    assert plan.status.has_plan
    return inst, plan


@settings(max_examples=18, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**FEATURES)
def test_replay_of_a_solved_plan_gives_its_scenario_costs(tmp_path_factory, **gen):
    inst, plan = solved(gen)
    out = tmp_path_factory.mktemp("plan")
    plan.write(out)
    sim = simulate(inst, out, replay_dir=out)
    written = pd.read_csv(out / "scenarios.csv", dtype={"scenario": str})
    assert list(sim.table["scenario"]) == list(written["scenario"])
    for column in ["probability", "cost", *COST_COMPONENTS]:
        np.testing.assert_allclose(
            sim.table[column], written[column], rtol=1e-9, atol=5e-7, err_msg=column
        )
    assert sim.summary["expected_cost"] == pytest.approx(plan.summary["expected_cost"], abs=1e-6)
    assert sim.summary["fill_rate"] == pytest.approx(plan.summary["fill_rate"], abs=1e-9)
    assert sim.summary["source"] == "replay"


# -- an independent LP of the second stage ----------------------------------------------------


def second_stage_lp(inst: jitopt.Instance, arrived: np.ndarray, demand: np.ndarray) -> float:
    """Least holding + shortage + spot + terminal cost - salvage of one scenario given the units
    arriving per (item, period); variables per item and period: on hand, backlog or lost, spot."""
    items = inst.items
    n, T = demand.shape
    lost = inst.shortage == "lost"
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    col = itertools.count()
    on, short, spot = {}, {}, {}
    for k, (name, row) in enumerate(items.iterrows()):
        for t in range(T):
            last = t == T - 1
            cost = row["holding_cost"] - (row["salvage_value"] if last else 0.0)
            h.addVar(0.0, inf)
            on[k, t] = next(col)
            h.changeColCost(on[k, t], cost)
            b = row["shortage_cost"] + (row["terminal_backlog_cost"] if last and not lost else 0)
            h.addVar(0.0, float(demand[k, t]) if lost else inf)
            short[k, t] = next(col)
            h.changeColCost(short[k, t], b)
            has_spot = not math.isnan(row["expedite_cost"])
            h.addVar(0.0, inf if has_spot else 0.0)
            spot[k, t] = next(col)
            h.changeColCost(spot[k, t], row["expedite_cost"] if has_spot else 0.0)
            # on_t - on_{t-1} - spot_t + (backlog_{t-1} - backlog_t | - lost_t) = A_t - d_t
            idx, val = [on[k, t], spot[k, t], short[k, t]], [1.0, -1.0, -1.0]
            if t > 0:
                idx += [on[k, t - 1]]
                val += [-1.0]
                if not lost:
                    idx += [short[k, t - 1]]
                    val += [1.0]
            rhs = arrived[k, t] - demand[k, t] + (row["initial_inventory"] if t == 0 else 0.0)
            h.addRow(rhs, rhs, len(idx), np.array(idx, np.int32), np.array(val))
    if inst.warehouse_capacity is not None:
        volume = items["volume"].to_numpy(float)
        for t in range(T):
            idx = np.array([on[k, t] for k in range(n)], np.int32)
            h.addRow(-inf, inst.warehouse_capacity, n, idx, volume)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return math.inf
    return h.getInfo().objective_function_value


def arrivals_by_hand(inst, orders: pd.DataFrame, available: np.ndarray) -> np.ndarray:
    """Units arriving per (item, period) in one scenario: pipeline plus the lines whose supplier
    can ship in their order period."""
    items = list(inst.items.index)
    sup = list(inst.suppliers.index)
    arrived = inst.pipeline_arrivals().copy()
    for row in orders.itertuples(index=False):
        if available[sup.index(row.supplier), row.period - 1]:
            lead = inst.suppliers.at[row.supplier, "lead_time"]
            arrived[items.index(row.item), row.period - 1 + lead] += row.quantity
    return arrived


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(**FEATURES)
def test_sampled_scenario_costs_equal_an_lp_per_scenario(**gen):
    inst, plan = solved(gen | {"disruptions": True})
    sim = simulate(inst, plan.orders, scenarios=12, seed=7, chunk_cells=7 * len(inst.items))
    assert sim.summary["source"] == "sampled"
    purchase = {}
    priced = plan_lines(inst, plan.orders)
    for row in sim.table.itertuples(index=False):
        available = _availability(inst, sim.outages, row.scenario)
        demand = _demand(inst, sim.scenarios, row.scenario)
        arrived = arrivals_by_hand(inst, priced, available)
        lp = second_stage_lp(inst, arrived, demand)
        fixed = row.ordering + row.contract
        delivered = [
            available[list(inst.suppliers.index).index(s), t - 1]
            for s, t in zip(priced["supplier"], priced["period"])
        ]
        purchase[row.scenario] = float((priced["quantity"] * priced["unit_cost"])[delivered].sum())
        assert row.purchase == pytest.approx(purchase[row.scenario], abs=1e-6)
        if math.isinf(lp):
            assert row.warehouse_overflow > 0
            continue
        assert row.cost - row.purchase - fixed == pytest.approx(lp, rel=1e-7, abs=1e-6)


def _availability(inst, outages: pd.DataFrame, scenario: str) -> np.ndarray:
    sup = inst.suppliers
    avail = np.ones((len(sup), inst.periods), dtype=bool)
    for row in outages[outages["scenario"] == scenario].itertuples(index=False):
        hit = (sup.index == row.target) | (sup["region"] == row.target).to_numpy()
        avail[hit, row.start - 1 : row.end] = False
    return avail


def _demand(inst, scenarios: pd.DataFrame, scenario: str) -> np.ndarray:
    d = inst.demand
    if "demand_series" in scenarios.columns:
        series = scenarios.set_index("scenario").at[scenario, "demand_series"]
        d = d[d["scenario"] == series]
    table = d.pivot_table(index="item", columns="period", values="demand", aggfunc="sum")
    return table.reindex(index=inst.items.index, columns=range(1, inst.periods + 1)).to_numpy()


# -- sampling --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def risky():
    """A generated instance with regional and supplier disruption risk and demand scenarios."""
    inst = random_instance(
        3, items=4, suppliers=3, regions=2, periods=8, disruptions=True, scenarios=3, spot_buys=True
    )
    plan = jitopt.solve(inst, time_limit=20)
    return inst, plan


def test_same_seed_same_results_whatever_the_chunk_size(risky):
    inst, plan = risky
    a = simulate(inst, plan.orders, scenarios=300, seed=11)
    b = simulate(inst, plan.orders, scenarios=300, seed=11, chunk_cells=5 * 4 * 8)
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.outages, b.outages)
    pd.testing.assert_frame_equal(a.scenarios, b.scenarios)
    c = simulate(inst, plan.orders, scenarios=300, seed=12)
    assert not a.table["cost"].equals(c.table["cost"])


def test_default_seed_is_out_of_sample(risky):
    inst, plan = risky
    sim = simulate(inst, plan.orders, scenarios=50)
    assert sim.summary["seed"] == inst.sampling.seed + 1
    assert len(sim.table) == 50
    assert set(sim.scenarios["demand_series"]) <= set(inst.demand["scenario"])


def test_sampled_disruption_frequency_matches_the_probabilities(risky):
    """Each period a target that is not disrupted starts a disruption with its probability: the
    share of disrupted periods is p*L / (1 + p*(L - 1)) in the long run (here checked loosely)."""
    inst, plan = risky
    sim = simulate(inst, plan.orders, scenarios=4000, seed=5)
    out = sim.outages
    for name, row in inst.suppliers.iterrows():
        p, length = row["disruption_prob"], row["disruption_length"]
        if p <= 0:
            continue
        days = (out[out["target"] == name]["end"] - out[out["target"] == name]["start"] + 1).sum()
        share = days / (4000 * inst.periods)
        steady = p * length / (1 + p * (length - 1))
        assert share == pytest.approx(steady, rel=0.35)


# -- stress scenarios and the command line ----------------------------------------------------------


def test_stress_outage_by_hand(tmp_path):
    """tiny (A: demand 10,20,30,20,10,40; B: 5 a period): the optimal plan buys B from FAR
    (lead 2) in periods 1-4; with FAR out in periods 1-4 none of those arrive: B is short."""
    inst_dir = tiny(tmp_path / "tiny")
    inst = jitopt.read_instance(inst_dir)
    plan = jitopt.solve(inst)
    far = plan.orders[plan.orders["supplier"] == "FAR"]
    sim = simulate(inst, plan.orders, outages=["FAR:1-4"])
    row = sim.table.iloc[0]
    lost_units = far["quantity"].sum()
    assert row["purchase"] == pytest.approx(
        plan.summary["costs"]["purchase"] - (far["quantity"] * far["unit_cost"]).sum()
    )
    assert row["short_units"] > 0
    assert sim.summary["source"] == "stress"
    assert lost_units > 0


def test_cli_simulate_writes_the_files_and_replays_to_the_cent(tmp_path):
    inst_dir = tiny(tmp_path / "tiny")
    runner = CliRunner()
    out = tmp_path / "plan"
    assert runner.invoke(main, ["solve", str(inst_dir), "-o", str(out), "-q"]).exit_code == 0
    result = runner.invoke(
        main, ["simulate", str(inst_dir), "--plan", str(out), "--replay", str(out)]
    )
    assert result.exit_code == 0, result.output
    sim_dir = out / "simulation"
    assert sorted(p.name for p in sim_dir.iterdir()) == [
        "outages.csv",
        "scenarios.csv",
        "simulation.csv",
        "simulation.json",
    ]
    summary = json.loads((sim_dir / "simulation.json").read_text())
    plan_summary = json.loads((out / "summary.json").read_text())
    assert round(summary["expected_cost"], 2) == round(plan_summary["expected_cost"], 2) == 1285.0
    # again, out of sample, into the same folder: it is jitopt's, so it is replaced
    result = runner.invoke(
        main, ["simulate", str(inst_dir), "--plan", str(out), "-q", "--scenarios", "20"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads((sim_dir / "simulation.json").read_text())["scenarios"] == 20


BAD_PLANS = [
    (
        "supplier,item,period,quantity\nNEAR,C,1,5\n",
        "line 2 (NEAR, C, period 1): (NEAR, C) is not an offer",
    ),
    ("supplier,item,period,quantity\nFAR,A,5,5\n", "arrival_period 7 is after T = 6"),
    ("supplier,item,period,quantity\nNEAR,A,x,5\n", "row 2, column period: 'x' is not a period"),
    ("supplier,item,period,quantity\nNEAR,A,1,-5\n", "column quantity: '-5' is not a finite"),
    ("supplier,item,quantity\nNEAR,A,5\n", "missing column(s) period"),
]


@pytest.mark.parametrize("text, message", BAD_PLANS)
def test_a_plan_that_breaks_a_rule_is_refused_with_every_problem(tmp_path, text, message):
    inst_dir = tiny(tmp_path / "tiny")
    plan = tmp_path / "orders.csv"
    plan.write_text(text)
    result = CliRunner().invoke(main, ["simulate", str(inst_dir), "--plan", str(plan)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "simulation").exists()


def test_plan_rules_moq_lot_max_order_capacity(tmp_path):
    inst_dir = tiny(tmp_path / "tiny")
    offers = inst_dir / "offers.csv"
    offers.write_text(
        "supplier,item,unit_cost,moq,lot_multiple,max_order\nNEAR,A,10,20,,\n"
        "NEAR,B,5,,4,\nFAR,A,7,,,30\nFAR,B,3,,,\n"
    )
    sup = inst_dir / "suppliers.csv"
    sup.write_text(
        "supplier,region,lead_time,order_cost,capacity\nNEAR,EU,0,50,100\nFAR,ASIA,2,30,\n"
    )
    plan = tmp_path / "orders.csv"
    plan.write_text(
        "supplier,item,period,quantity\nNEAR,A,1,5\nNEAR,B,1,6\nFAR,A,1,40\n"
        "NEAR,A,2,90\nNEAR,B,2,12\n"
    )
    result = CliRunner().invoke(main, ["simulate", str(inst_dir), "--plan", str(plan)])
    assert result.exit_code == 2
    for message in [
        "line 2 (NEAR, A, period 1): quantity 5 is below moq 20",
        "line 3 (NEAR, B, period 1): quantity 6 is not a multiple of lot_multiple 4",
        "line 4 (FAR, A, period 1): quantity 40 is above max_order 30",
        "supplier NEAR, period 2: 102 units ordered, capacity 100",
    ]:
        assert message in result.output


@pytest.mark.parametrize(
    "args, message",
    [
        (["--outage", "MARS:1-3"], "'MARS' is no supplier or region"),
        (["--outage", "FAR:3"], None),
        (["--outage", "FAR:4-2"], "need 1 <= START <= END"),
        (["--outage", "FAR"], "give TARGET:START-END"),
        (["--outage", "FAR:9-10"], "starts after the last period 6"),
    ],
)
def test_outage_option(tmp_path, args, message):
    inst_dir = tiny(tmp_path / "tiny")
    out = tmp_path / "plan"
    CliRunner().invoke(main, ["solve", str(inst_dir), "-o", str(out), "-q"])
    result = CliRunner().invoke(main, ["simulate", str(inst_dir), "--plan", str(out), *args])
    if message is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_replay_folder_that_does_not_fit_the_instance(tmp_path):
    inst_dir = tiny(tmp_path / "tiny")
    out = tmp_path / "plan"
    CliRunner().invoke(main, ["solve", str(inst_dir), "-o", str(out), "-q"])
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "scenarios.csv").write_text("scenario,probability\nx,0.5\ny,0.4\n")
    (bad / "outages.csv").write_text("scenario,target,start,end\nx,MARS,1,2\nz,FAR,1,2\n")
    result = CliRunner().invoke(
        main, ["simulate", str(inst_dir), "--plan", str(out), "--replay", str(bad)]
    )
    assert result.exit_code == 2, result.output
    for message in [
        "probabilities sum to 0.9",
        "target 'MARS' names no supplier or region",
        "unknown scenario 'z' (not in scenarios.csv)",
    ]:
        assert message in result.output
    assert str(bad) in result.output


# -- the closed form against a dynamic programme -----------------------------------------------


def dp_one_item(init, arrived, demand, h, b, e, beta, v, lost):
    """Least cost of one item by DP over integer states (position, or stock in lost mode); spot
    buys enumerated from 0 to the total demand, lost units from 0 to the period's demand."""
    T = len(demand)
    top = int(sum(demand))
    spots = range(top + 1) if e is not None else (0,)
    states = {init: 0.0}
    for t in range(T):
        new = {}
        for s0, c0 in states.items():
            for q in spots:
                options = range(int(demand[t]) + 1) if lost else (0,)
                for lose in options:
                    pos = s0 + arrived[t] + q - demand[t] + lose
                    if lost and pos < 0:
                        continue
                    cost = (
                        c0 + (e or 0) * q + h * max(pos, 0) + b * (lose if lost else max(-pos, 0))
                    )
                    if cost < new.get(pos, math.inf):
                        new[pos] = cost
        states = new
    end = [c - v * max(p, 0) + (0 if lost else beta * max(-p, 0)) for p, c in states.items()]
    return min(end)


@settings(max_examples=150, deadline=None)
@given(
    T=st.integers(1, 5),
    data=st.data(),
    h=st.integers(0, 3),
    b=st.integers(0, 8),
    e=st.one_of(st.none(), st.integers(1, 12)),
    beta=st.integers(0, 6),
    lost=st.booleans(),
)
def test_closed_form_equals_a_dp_on_one_item(T, data, h, b, e, beta, lost):
    demand = data.draw(st.lists(st.integers(0, 4), min_size=T, max_size=T))
    arrived = data.draw(st.lists(st.integers(0, 5), min_size=T, max_size=T))
    init = data.draw(st.integers(0, 3))
    cap = [h + b + (0 if lost else beta)] + ([e] if e is not None else [])
    v = data.draw(st.integers(0, max(0, min(cap))))
    from jitopt.recourse import _backlog, _lost_sales

    arr = np.array(arrived, float)[None, None]
    dem = np.array(demand, float)[None, None]
    one = lambda x: np.array([x], float)
    enan = one(np.nan if e is None else e)
    if lost:
        on, short, spot = _lost_sales(one(init), arr, dem, one(b), enan)
    else:
        on, short, spot = _backlog(one(init), arr, dem, one(h), one(b), enan, one(beta), one(v))
    cost = (
        h * on.sum()
        + b * short.sum()
        + (e or 0) * spot.sum()
        - v * on[0, 0, -1]
        + (0 if lost else beta * short[0, 0, -1])
    )
    assert cost == pytest.approx(dp_one_item(init, arrived, demand, h, b, e, beta, v, lost))


def test_recourse_lines_are_delivered_only_when_the_supplier_can_ship():
    tables = {
        "items": pd.DataFrame({"item": ["X"], "holding_cost": [1.0], "shortage_cost": [9.0]}),
        "suppliers": pd.DataFrame({"supplier": ["S"], "region": ["R"], "lead_time": [1]}),
        "offers": pd.DataFrame({"supplier": ["S"], "item": ["X"], "unit_cost": [2.0]}),
        "demand": pd.DataFrame({"item": ["X"] * 3, "period": [1, 2, 3], "demand": [0.0, 4.0, 4.0]}),
    }
    inst = jitopt.Instance.from_frames({"name": "one", "periods": 3}, **tables)
    orders = pd.DataFrame(
        {
            "supplier": ["S", "S"],
            "item": ["X", "X"],
            "period": [1, 2],
            "quantity": [4.0, 4.0],
            "unit_cost": [2.0, 2.0],
        }
    )
    lines = Lines.from_orders(inst, orders)
    available = np.array([[[True, True, True]], [[True, False, True]]])
    demand = np.broadcast_to(np.array([[0.0, 4.0, 4.0]]), (2, 1, 3))
    out = recourse(inst, lines, available, demand)
    np.testing.assert_allclose(out.purchase, [16.0, 8.0])
    np.testing.assert_allclose(out.arrived[:, 0], [[0, 4, 4], [0, 4, 0]])
    np.testing.assert_allclose(out.short[:, 0], [[0, 0, 0], [0, 0, 4]])


# -- demand drawn from a forecast ----------------------------------------------------------------


def _forecast_case(tmp_path):
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    forecast = root / "instances/forecast-example/forecast.csv"
    runner = CliRunner()
    inst, plan = tmp_path / "inst", tmp_path / "plan"
    args = [
        "build",
        str(forecast),
        "--catalog",
        str(root / "instances/forecast-example/catalog"),
        "-o",
        str(inst),
        "--scenarios",
        "5",
    ]
    assert runner.invoke(main, args).exit_code == 0
    assert (
        runner.invoke(main, ["plan", str(inst), "--policy", "jit", "-o", str(plan), "-q"]).exit_code
        == 0
    )
    return forecast, inst, plan


def test_forecast_demand_is_written_and_replays_to_the_cent(tmp_path):
    forecast, inst, plan = _forecast_case(tmp_path)
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "simulate",
            str(inst),
            "--plan",
            str(plan),
            "--forecast",
            str(forecast),
            "--scenarios",
            "40",
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    sim = plan / "simulation"
    demand = pd.read_csv(sim / "demand.csv")
    assert demand["scenario"].nunique() == 40
    assert (demand["demand"] >= 0).all() and (demand["demand"] == demand["demand"].round()).all()
    assert json.loads((sim / "simulation.json").read_text())["demand"] == "forecast"
    replayed = tmp_path / "replayed"
    result = runner.invoke(
        main,
        [
            "simulate",
            str(inst),
            "--plan",
            str(plan),
            "--replay",
            str(sim),
            "-o",
            str(replayed),
            "-q",
        ],
    )
    assert result.exit_code == 0, result.output
    a = pd.read_csv(sim / "simulation.csv")
    b = pd.read_csv(replayed / "simulation.csv")
    np.testing.assert_allclose(a["cost"], b["cost"], rtol=0, atol=1e-9)
    # the forecast's point values are the medians: the drawn demand is around them
    point = pd.read_csv(forecast).groupby("unique_id")["AutoETS"].sum()
    drawn = demand.groupby(["scenario", "item"])["demand"].sum().groupby("item").median()
    np.testing.assert_allclose(drawn.sort_index(), point.sort_index(), rtol=0.25)


def test_a_forecast_that_does_not_fit_the_instance(tmp_path):
    forecast, inst, plan = _forecast_case(tmp_path)
    short = tmp_path / "short.csv"
    frame = pd.read_csv(forecast)
    frame[(frame["unique_id"] != "LCD-35") & (frame["ds"] < "2027-03-22")].to_csv(
        short, index=False
    )
    result = CliRunner().invoke(
        main, ["simulate", str(inst), "--plan", str(plan), "--forecast", str(short)]
    )
    assert result.exit_code == 2, result.output
    assert "no forecast for item(s) LCD-35" in result.output
    assert "11 dates, the instance has 12 periods" in result.output


def test_options_the_scenarios_do_not_use_are_named(tmp_path):
    inst_dir = tiny(tmp_path / "tiny")
    out = tmp_path / "plan"
    CliRunner().invoke(main, ["solve", str(inst_dir), "-o", str(out), "-q"])
    result = CliRunner().invoke(
        main,
        [
            "simulate",
            str(inst_dir),
            "--plan",
            str(out),
            "--replay",
            str(out),
            "--outage",
            "FAR:2-3",
            "--scenarios",
            "50",
            "--model",
            "AutoETS",
        ],
    )
    assert result.exit_code == 0, result.output
    for note in [
        "--scenarios is not used: --outage gives the one stress scenario",
        "--replay is not used: --outage gives the one stress scenario",
        "--model is not used",
    ]:
        assert note in result.output
    summary = json.loads((out / "simulation" / "simulation.json").read_text())
    assert any("--scenarios is not used" in w for w in summary["warnings"])


def test_missing_forecast_file_is_a_clear_message(tmp_path):
    inst_dir = tiny(tmp_path / "tiny")
    out = tmp_path / "plan"
    CliRunner().invoke(main, ["solve", str(inst_dir), "-o", str(out), "-q"])
    result = CliRunner().invoke(
        main,
        [
            "simulate",
            str(inst_dir),
            "--plan",
            str(out),
            "--forecast",
            str(tmp_path / "nothere.csv"),
        ],
    )
    assert result.exit_code == 2, result.output
    assert "nothere.csv: does not exist (--forecast needs a file)" in result.output


def test_simulation_names_the_plan_it_judged(tmp_path):
    inst = jitopt.read_instance(tiny(tmp_path / "tiny"))
    plan = jitopt.solve(inst)
    a = simulate(inst, plan.orders, scenarios=3).summary["plan"]["sha256"]
    shuffled = plan.orders.sample(frac=1.0, random_state=1)
    assert simulate(inst, shuffled, scenarios=3).summary["plan"]["sha256"] == a
    changed = plan.orders.assign(quantity=plan.orders["quantity"] + 1.0)
    assert simulate(inst, changed, scenarios=3).summary["plan"]["sha256"] != a
