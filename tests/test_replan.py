"""Rolling policies in the evaluation (`jitopt.replan`): with nothing uncertain re-planning keeps
the static optimum, no re-plan uses its scenario's future, each scenario's cost is that of the
lines carried out in it, and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import jitopt
from jitopt.check import check_orders
from jitopt.cli import main
from jitopt.evaluation import Chunk
from jitopt.parallel import Workers
from jitopt.plan import Status
from jitopt.policies import parse_policy, policy_orders
from jitopt.replan import Replanner, _seen, simulate_policy
from jitopt.simulation import simulate
from tests.test_rules import item, make, offer, supplier

DEMO = Path(__file__).resolve().parents[1] / "instances" / "demo"
DEMAND = {"X": [4, 6, 5, 7, 3, 6, 8, 5], "Y": [2, 0, 3, 2, 4, 1, 2, 3]}


def certain() -> jitopt.Instance:
    """Nothing uncertain: one demand series, no disruption. A (lead 2) is cheap with an order
    cost and a contract cost; B (lead 0) dearer per unit, no fixed cost."""
    return make(
        DEMAND,
        items=[item("X", initial_inventory=5.0, holding_cost=0.4), item("Y", holding_cost=0.3)],
        suppliers=[
            supplier("A", lead_time=2, order_cost=12.0, contract_cost=30.0),
            supplier("B", region="S", lead_time=0),
        ],
        offers=[
            offer("A", "X", 0.5),
            offer("A", "Y", 1.0),
            offer("B", "X", 2.5),
            offer("B", "Y", 3.0),
        ],
        solver={"mip_gap": 0.0},
    )


@pytest.mark.parametrize("every", [1, 3])
def test_with_nothing_uncertain_rolling_optimized_costs_the_static_optimum(every):
    inst = certain()
    static = jitopt.solve(inst)
    assert static.status == Status.OPTIMAL
    sim = simulate_policy(inst, f"rolling:optimized:every={every}", scenarios=3)
    assert sim.table["cost"].tolist() == pytest.approx([static.objective] * 3, abs=1e-6)
    assert sim.summary["replans"]["made"] == len(range(1, 9, every))  # shared by the 3 scenarios
    # the contract cost of A is paid once: re-plans see it as paid (roll sets it to 0)
    assert sim.table["contract"].tolist() == pytest.approx([30.0] * 3)


def test_rolling_a_rule_once_is_the_rule():
    inst = certain()
    for text in ("jit", "jic:cover=1"):
        rolled = simulate_policy(inst, f"rolling:{text},every=8", scenarios=2)
        fixed = simulate(inst, policy_orders(inst, text).orders, scenarios=2)
        assert rolled.table["cost"].tolist() == pytest.approx(fixed.table["cost"].tolist())
        assert rolled.summary["replans"]["made"] == 1


def test_what_a_planner_knows_of_outages():
    length = {"X": 4, "R": 2}
    # an outage of X in periods 3..6; X's outages last 4
    assert _seen([("X", 3, 6, "orders")], 3, length) == ()  # started in 3: not seen before it
    assert _seen([("X", 3, 6, "orders")], 4, length) == (("X", 3, 6, "orders"),)  # 3 + 4 - 1
    assert _seen([("X", 3, 6, "transit")], 8, length) == (("X", 3, 6, "transit"),)  # seen to end
    # a longer one than the planner expects: believed to end at k - 1 at least, until seen
    assert _seen([("R", 3, 9, "orders")], 4, length) == (("R", 3, 4, "orders"),)
    assert _seen([("R", 3, 9, "orders")], 7, length) == (("R", 3, 6, "orders"),)
    assert _seen([("R", 3, 5, "orders")], 8, length) == (("R", 3, 5, "orders"),)
    assert _seen([("Q", 1, 2, "orders")], 5, length) == ()  # a target the instance does not know


def two_sources() -> jitopt.Instance:
    """A (region R, lead 2) cheap, B (region S, lead 0) dear; outages of A last 2 periods."""
    return make(
        DEMAND,
        items=[item("X", initial_inventory=5.0), item("Y")],
        suppliers=[
            supplier("A", lead_time=2, disruption_prob=0.1, disruption_length=2),
            supplier("B", region="S", lead_time=0),
        ],
        offers=[
            offer("A", "X", 1.0),
            offer("A", "Y", 1.0),
            offer("B", "X", 2.0),
            offer("B", "Y", 2.0),
        ],
        solver={"mip_gap": 0.0},
    )


def chunk(inst: jitopt.Instance, rows: list[tuple], demand: np.ndarray) -> Chunk:
    """Scenarios "a" and "b" with the outage rows (scenario, target, start, end) and demand."""
    outages = pd.DataFrame(rows, columns=["scenario", "target", "start", "end"])
    available = np.ones((2, 2, inst.periods), dtype=bool)
    for r in outages.itertuples():
        available["ab".index(r.scenario), 0, r.start - 1 : r.end] = False
    return Chunk(["a", "b"], np.full(2, 0.5), available, demand, outages)


@pytest.mark.parametrize(
    "text", ["rolling:jit", "rolling:jic:cover=1", "rolling:optimized:every=2,scenarios=4"]
)
def test_no_rolling_policy_uses_its_scenarios_future(text):
    """Scenarios a and b are the same before period K = 5 and differ from it on: A is down in 3..4
    in both, then a: up in 5, down in 6..7; b: down to 6 (a longer outage than A's usual 2
    periods), and demand doubled from 5. Every line placed in periods 1..K is the same in both;
    later ones differ (the test can tell)."""
    inst = two_sources()
    K = 5
    demand = np.repeat(np.array([DEMAND["X"], DEMAND["Y"]], dtype=float)[None], 2, axis=0)
    demand[1, :, K - 1 :] *= 2
    both = chunk(inst, [("a", "A", 3, 4), ("a", "A", 6, 7), ("b", "A", 3, 6)], demand)
    with Workers() as workers:
        carried = Replanner(inst, parse_policy(text), workers).follow(both)
    before = [sorted(x for x in lines if x[2] <= K) for lines in carried]
    after = [sorted(x for x in lines if x[2] > K) for lines in carried]
    assert before[0] == before[1]
    assert before[0]  # something was ordered
    assert after[0] != after[1]


def test_an_outage_seen_moves_the_orders_to_the_other_source():
    """rolling:jit orders from A (cheap, lead 2); A is down in 3..4. The line of A placed in 3
    is lost (nobody knew); at 4 the outage is seen and believed to last to 4 (its length, 2):
    nothing is ordered from A in 4, and the needs of 5 and 6 that A's lost lines were to meet are
    bought from B (lead 0) in 5 and 6."""
    inst = two_sources()
    demand = np.repeat(np.array([DEMAND["X"], DEMAND["Y"]], dtype=float)[None], 2, axis=0)
    both = chunk(inst, [("a", "A", 3, 4)], demand)
    with Workers() as workers:
        carried = Replanner(inst, parse_policy("rolling:jit"), workers).follow(both)
    a, b = (sorted(lines) for lines in carried)
    assert not [x for x in b if x[0] == "B" and x[2] > 2]  # without the outage: A only
    from_b = {(x[1], x[2]) for x in a if x[0] == "B"}
    assert {("X", 5), ("X", 6), ("Y", 5), ("Y", 6)} <= from_b
    assert not [x for x in a if x[0] == "A" and x[2] == 4]  # A is believed down: nothing there
    assert [x for x in a if x[0] == "A" and x[2] == 3]  # placed before it was seen, and lost


@pytest.fixture(scope="module")
def demo_rolling(tmp_path_factory):
    inst = jitopt.read_instance(DEMO)
    sim = simulate_policy(inst, "rolling:jit", scenarios=40)
    out = tmp_path_factory.mktemp("rolling")
    sim.write(out)
    return inst, sim, out


def test_each_scenarios_cost_is_that_of_its_lines_as_a_fixed_plan(demo_rolling):
    """Judged again as a fixed plan on the same scenario (replayed from the written folder), the
    lines carried out in a scenario cost what the rolling simulation says."""
    inst, sim, out = demo_rolling
    carried = pd.read_csv(out / "carried_out.csv")
    hit = sim.outages["scenario"].unique().tolist()
    calm = [s for s in sim.table["scenario"] if s not in hit]
    assert hit and calm
    for name in hit[:3] + calm[:1]:
        lines = carried[carried["scenario"] == name].drop(columns="scenario")
        assert check_orders(inst, lines, whole_plan=False) == []
        again = simulate(inst, lines, replay_dir=out).table.set_index("scenario")
        row = sim.table.set_index("scenario").loc[name]
        assert again.loc[name, "cost"] == pytest.approx(row["cost"], rel=1e-9)


@pytest.mark.parametrize(
    ("outage", "text"),
    [
        ("CN:3-6", "rolling:jit"),
        ("CN:3-6:transit", "rolling:optimized,every=3"),
        ("NINGBO:2-9:transit", "rolling:jit"),
    ],
)
def test_a_stress_scenarios_cost_is_that_of_its_lines(outage, text):
    """The same for one stress scenario, an order stop or a port closure: the rolling policy's
    lines, judged as a fixed plan on the same outage, cost what the rolling simulation says."""
    inst = jitopt.read_instance(DEMO)
    sim = simulate_policy(inst, text, outages=[outage])
    lines = sim.orders.drop(columns="scenario")
    again = simulate(inst, lines, outages=[outage])
    assert again.summary["expected_cost"] == pytest.approx(sim.summary["expected_cost"])


def test_rolling_beats_the_static_rule_when_suppliers_go_down(demo_rolling):
    inst, sim, _ = demo_rolling
    static = simulate(inst, policy_orders(inst, "jit").orders, scenarios=40)
    assert sim.summary["expected_cost"] < static.summary["expected_cost"]
    assert sim.summary["replans"]["made"] < sim.summary["replans"]["decisions"]


def test_local_processes_give_the_table_of_one_process():
    inst = jitopt.read_instance(DEMO)
    one = simulate_policy(inst, "rolling:jic:cover=1,every=2", scenarios=15)
    two = simulate_policy(inst, "rolling:jic:cover=1,every=2", scenarios=15, jobs=2)
    pd.testing.assert_frame_equal(one.table, two.table)
    pd.testing.assert_frame_equal(one.orders, two.orders)


def test_a_dask_cluster_gives_the_table_of_one_process(dask_scheduler):
    inst = jitopt.read_instance(DEMO)
    one = simulate_policy(inst, "rolling:jit,every=3", scenarios=15)
    on_dask = simulate_policy(inst, "rolling:jit,every=3", scenarios=15, dask=dask_scheduler)
    pd.testing.assert_frame_equal(one.table, on_dask.table)
    assert on_dask.summary["replans"]["made"] == one.summary["replans"]["made"]


def test_what_a_rolling_simulation_says_about_itself():
    """carried_out.csv marks the lines placed while their supplier was down; parameters that
    change nothing are named."""
    inst = jitopt.read_instance(DEMO)
    sim = simulate_policy(inst, "rolling:jit", outages=["CN:3-4"])
    orders = sim.orders.merge(inst.suppliers["region"], left_on="supplier", right_index=True)
    down = (orders["region"] == "CN") & orders["period"].between(3, 4)
    assert down.any()
    assert (orders["delivered"] == ~down).all()
    sim = simulate_policy(inst, "rolling:optimized,every=12,scenarios=5", outages=["CN:3-4"])
    assert any("every=12 is not less than the 12 periods" in w for w in sim.warnings)
    assert any("scenarios=5 is not used" in w for w in sim.warnings)
    assert sim.summary["replans"]["made"] == 1


def test_a_static_policy_is_refused():
    with pytest.raises(ValueError, match="not rolling"):
        simulate_policy(certain(), "jit", scenarios=2)


def test_simulate_and_compare_follow_a_rolling_policy(tmp_path):
    runner = CliRunner()
    out = tmp_path / "sim"
    args = ["simulate", str(DEMO), "--policy", "rolling:jit,every=3", "--scenarios", "10"]
    result = runner.invoke(main, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "policy rolling:jit:every=3 judged on 10 sampled scenarios" in result.output
    summary = json.loads((out / "simulation.json").read_text())
    assert summary["policy"] == "rolling:jit:every=3"
    assert set(pd.read_csv(out / "carried_out.csv")["scenario"]) <= set(
        pd.read_csv(out / "simulation.csv")["scenario"]
    )
    # a static policy: its plan is made and judged
    result = runner.invoke(main, [*args[:3], "jit", "--scenarios", "10", "-o", str(tmp_path / "j")])
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "j" / "carried_out.csv").exists()
    # neither or both of --plan and --policy: a usage error
    for extra in ([], ["--plan", str(out)]):
        bad = [*(["--policy", "rolling:jit"] if extra else []), *extra]
        result = runner.invoke(main, ["simulate", str(DEMO), *bad, "-o", str(tmp_path / "x")])
        assert result.exit_code == 2, result.output
        assert "give either --plan" in result.output
    assert not (tmp_path / "x").exists()

    result = runner.invoke(
        main,
        ["compare", str(DEMO), "--policy", "jit", "--policy", "rolling:jit", "--scenarios", "10"]
        + ["-o", str(tmp_path / "cmp")],
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "cmp" / "comparison.csv").set_index("policy")
    assert table.loc["rolling:jit", "plan_status"] == "rolling"
    rolled = tmp_path / "cmp" / table.loc["rolling:jit", "plan_dir"]
    assert (rolled / "carried_out.csv").is_file()
    # its orders.csv is the first plan: jit's
    first = pd.read_csv(rolled / "orders.csv")
    jit = pd.read_csv(tmp_path / "cmp" / table.loc["jit", "plan_dir"] / "orders.csv")
    pd.testing.assert_frame_equal(first, jit)
