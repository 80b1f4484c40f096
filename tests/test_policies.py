"""Tests of the baseline purchasing policies (jitopt.policies, SPEC §8.2): plans worked out by
hand on tiny instances, the ordering rules on shipped and random instances, and parse_policy."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import jitopt
from jitopt.check import check_orders
from jitopt import policies
from jitopt.generate import generate
from jitopt.policies import Policy, parse_policy, policy_orders

INSTANCES = Path(__file__).resolve().parents[1] / "instances"
NAN = float("nan")
LATE_B = (
    "B: expected demand not met in period 1 (up to 5 units short): nothing ordered can arrive "
    "before period 2 (lead time 1)"
)
FULL = (
    "every offer that can deliver in time is full (capacity, max_order, max_share or max_suppliers)"
)


def orders(*rows: tuple[str, str, int, float]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["supplier", "item", "period", "quantity"])
    return frame.astype({"supplier": str, "item": str, "period": int, "quantity": float})


def hand_instance(shortage: str = "backlog") -> jitopt.Instance:
    """T = 5. Item A: 25 on hand, 5 in the pipeline (period 2), demand 10, 10, 20, 20, 40; its
    cheapest offer FAR (ASIA, lead 2, capacity 30/period) has MOQ 30 in lots of 10, NEAR (EU,
    lead 1) costs twice as much. Item B: nothing on hand, demand 5 a period, only from NEAR in
    lots of 4, so period 1 cannot be served."""
    return jitopt.Instance.from_frames(
        {"name": "hand", "periods": 5, "shortage": shortage},
        items=pd.DataFrame(
            {
                "item": ["A", "B"],
                "holding_cost": [0.1, 0.1],
                "shortage_cost": [10.0, 10.0],
                "initial_inventory": [25.0, 0.0],
            }
        ),
        suppliers=pd.DataFrame(
            {
                "supplier": ["FAR", "NEAR"],
                "region": ["ASIA", "EU"],
                "lead_time": [2, 1],
                "capacity": [30.0, NAN],
            }
        ),
        offers=pd.DataFrame(
            {
                "supplier": ["FAR", "NEAR", "NEAR"],
                "item": ["A", "A", "B"],
                "unit_cost": [1.0, 2.0, 3.0],
                "moq": [30.0, 0.0, 0.0],
                "lot_multiple": [10.0, NAN, 4.0],
            }
        ),
        demand=pd.DataFrame(
            {
                "item": ["A"] * 5 + ["B"] * 5,
                "period": [1, 2, 3, 4, 5] * 2,
                "demand": [10.0, 10.0, 20.0, 20.0, 40.0] + [5.0] * 5,
            }
        ),
        pipeline=pd.DataFrame(
            {"supplier": ["FAR"], "item": ["A"], "arrival_period": [2], "quantity": [5.0]}
        ),
    )


def test_jit_by_hand():
    # A: stock 25 and the pipeline's 5 last until period 2; period 3 needs 10: FAR's MOQ makes it
    # 30 (ordered in 1), which leaves 20 for period 4. Period 5 needs 40: FAR's capacity takes 30
    # (ordered in 3), NEAR the other 10 (ordered in 4).
    # B: period 1 cannot be served (note); period 2 needs its 5 plus the backlog of 5 = 10 -> 12
    # (lots of 4), leaving 2; then 3 -> 4 (leaves 1), 4 -> 4 (leaves 0), 5 -> 8.
    result = policy_orders(hand_instance(), "jit")
    expected = orders(
        ("FAR", "A", 1, 30),
        ("FAR", "A", 3, 30),
        ("NEAR", "A", 4, 10),
        ("NEAR", "B", 1, 12),
        ("NEAR", "B", 2, 4),
        ("NEAR", "B", 3, 4),
        ("NEAR", "B", 4, 8),
    )
    pd.testing.assert_frame_equal(result.orders, expected)
    assert result.notes == [LATE_B]


def test_jit_skips_a_supplier_down_for_certain():
    # The same with FAR down in period 3 for certain (an outage of scenario *): period 5's 40
    # cannot be ordered from FAR in 3, so NEAR takes all of it (ordered in 4). Period 3 is met
    # by FAR's line of period 1 as before.
    inst = hand_instance()
    down = pd.DataFrame({"scenario": ["*"], "target": ["ASIA"], "start": [3], "end": [3]})
    inst = jitopt.Instance.from_frames(
        {"name": "hand", "periods": 5},
        **{t: getattr(inst, t).reset_index() for t in ("items", "suppliers", "offers")},
        demand=inst.demand,
        pipeline=inst.pipeline,
        outages=down,
    )
    result = policy_orders(inst, "jit")
    a = result.orders[result.orders["item"] == "A"]
    assert a.values.tolist() == [["FAR", "A", 1, 30.0], ["NEAR", "A", 4, 40.0]]


def test_jic_by_hand():
    # Safety stock: 2 periods of mean demand, A 2 * 20 = 40, B 2 * 5 = 10.
    # A: period 1 wants 10 + 40 - 25 = 25 more, but nothing arrives in time (no shortage though);
    # period 2: 10 + 40 - 15 - 5 = 30 from NEAR (FAR is too slow), ordered in 1; periods 3-5:
    # 20 + 40 - 40 = 20, 20 + 40 - 50 = 10, 40 + 40 - 60 = 20: FAR's MOQ of 30 each time.
    # B: period 2: demand 5 + backlog 5 + 10 = 20; then 5 + 10 - 10 = 5 -> 8 (13 on hand),
    # 5 + 10 - 13 = 2 -> 4 (12), 5 + 10 - 12 = 3 -> 4.
    result = policy_orders(hand_instance(), "jic:cover=2")
    expected = orders(
        ("FAR", "A", 1, 30),
        ("FAR", "A", 2, 30),
        ("FAR", "A", 3, 30),
        ("NEAR", "A", 1, 30),
        ("NEAR", "B", 1, 20),
        ("NEAR", "B", 2, 8),
        ("NEAR", "B", 3, 4),
        ("NEAR", "B", 4, 4),
    )
    pd.testing.assert_frame_equal(result.orders, expected)
    assert result.notes == [LATE_B]


def test_dual_by_hand():
    # A: cheapest FAR (ASIA), second source NEAR (EU). Period 3 needs 10: 30 % = 3 from NEAR
    # (ordered in 2), the other 7 from FAR, rounded up to 30: 23 left after period 3, 3 after 4.
    # Period 5 needs 37: 11.1 from NEAR, 25.9 from FAR -> 30.
    # B has no offer outside EU: one source, ordered as jit.
    result = policy_orders(hand_instance(), "dual:share=0.3")
    expected = orders(
        ("FAR", "A", 1, 30),
        ("FAR", "A", 3, 30),
        ("NEAR", "A", 2, 3),
        ("NEAR", "A", 4, 11.1),
        ("NEAR", "B", 1, 12),
        ("NEAR", "B", 2, 4),
        ("NEAR", "B", 3, 4),
        ("NEAR", "B", 4, 8),
    )
    pd.testing.assert_frame_equal(result.orders, expected)
    assert result.notes == [
        "B: no offer outside region EU of its cheapest offer (NEAR): one source",
        LATE_B,
    ]


def test_lost_sales_are_not_ordered_again():
    # B's 5 units of period 1 are lost, not backlogged: period 2 needs only 5 -> 8.
    result = policy_orders(hand_instance("lost"), "jit")
    b = result.orders[result.orders["item"] == "B"].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        b,
        orders(("NEAR", "B", 1, 8), ("NEAR", "B", 2, 4), ("NEAR", "B", 3, 4), ("NEAR", "B", 4, 4)),
    )
    assert result.notes == [LATE_B]


def limits_instance(**config) -> jitopt.Instance:
    """T = 2, lead times 0. X and Y need 15 a period each; CHEAP ships 20 a period, all items
    together; DEAR takes at most 8 per line."""
    return jitopt.Instance.from_frames(
        {"name": "limits", "periods": 2, **config},
        items=pd.DataFrame(
            {"item": ["X", "Y"], "holding_cost": [1.0, 1.0], "shortage_cost": [9.0, 9.0]}
        ),
        suppliers=pd.DataFrame(
            {
                "supplier": ["CHEAP", "DEAR"],
                "region": ["R", "R"],
                "lead_time": [0, 0],
                "capacity": [20.0, NAN],
            }
        ),
        offers=pd.DataFrame(
            {
                "supplier": ["CHEAP", "CHEAP", "DEAR", "DEAR"],
                "item": ["X", "Y", "X", "Y"],
                "unit_cost": [1.0, 1.0, 2.0, 2.0],
                "max_order": [float("inf")] * 2 + [8.0] * 2,
            }
        ),
        demand=pd.DataFrame(
            {"item": ["X", "X", "Y", "Y"], "period": [1, 2, 1, 2], "demand": [15.0] * 4}
        ),
    )


def test_full_lines_leave_the_rest_short_and_carry_it():
    # Period 1: X takes 15 of CHEAP's 20; Y gets CHEAP's last 5 and DEAR's max order 8: 2 short.
    # Period 2: the same, Y now needing 15 + 2: 4 short.
    result = policy_orders(limits_instance(), "jit")
    expected = orders(
        ("CHEAP", "X", 1, 15),
        ("CHEAP", "X", 2, 15),
        ("CHEAP", "Y", 1, 5),
        ("CHEAP", "Y", 2, 5),
        ("DEAR", "Y", 1, 8),
        ("DEAR", "Y", 2, 8),
    )
    pd.testing.assert_frame_equal(result.orders, expected)
    assert result.notes == [
        f"Y: expected demand not met in period 1-2 (up to 4 units short): {FULL}"
    ]


def test_demand_comes_before_safety_stock_in_a_period():
    # X's safety stock (15) must not take the capacity Y needs for its demand: X gets 15 for its
    # demand, Y 5 + 8, then nothing is left for safety stock in period 1.
    inst = limits_instance()
    result = policy_orders(inst, "jic:cover=1")
    first = result.orders[result.orders["period"] == 1].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        first,
        orders(
            ("CHEAP", "X", 1, 15), ("CHEAP", "Y", 1, 5), ("DEAR", "X", 1, 8), ("DEAR", "Y", 1, 8)
        ),
    )
    assert check_orders(inst, result.orders) == []


def test_max_share_treats_a_supplier_at_its_share_as_full():
    # CHEAP may have half of all units: nothing in period 1 (no units yet), 15 in period 2.
    inst = jitopt.Instance.from_frames(
        {"name": "share", "periods": 3},
        items=pd.DataFrame({"item": ["X"], "holding_cost": [1.0], "shortage_cost": [9.0]}),
        suppliers=pd.DataFrame(
            {
                "supplier": ["CHEAP", "DEAR"],
                "region": ["R", "R"],
                "lead_time": [0, 0],
                "max_share": [0.5, NAN],
            }
        ),
        offers=pd.DataFrame(
            {"supplier": ["CHEAP", "DEAR"], "item": ["X", "X"], "unit_cost": [1.0, 2.0]}
        ),
        demand=pd.DataFrame({"item": ["X"] * 3, "period": [1, 2, 3], "demand": [10.0] * 3}),
    )
    result = policy_orders(inst, "jit")
    expected = orders(("CHEAP", "X", 2, 10), ("DEAR", "X", 1, 10), ("DEAR", "X", 3, 10))
    pd.testing.assert_frame_equal(result.orders, expected)
    assert result.notes == []
    assert check_orders(inst, result.orders) == []


def test_max_suppliers_keeps_to_the_suppliers_used_first():
    # FAR (cheap, lead 1) cannot serve period 1, so NEAR is used first; with max_suppliers = 1
    # FAR never becomes a second supplier.
    inst = jitopt.Instance.from_frames(
        {"name": "few", "periods": 3, "max_suppliers": 1},
        items=pd.DataFrame({"item": ["X"], "holding_cost": [1.0], "shortage_cost": [9.0]}),
        suppliers=pd.DataFrame(
            {"supplier": ["FAR", "NEAR"], "region": ["A", "B"], "lead_time": [1, 0]}
        ),
        offers=pd.DataFrame(
            {"supplier": ["FAR", "NEAR"], "item": ["X", "X"], "unit_cost": [1.0, 2.0]}
        ),
        demand=pd.DataFrame({"item": ["X"] * 3, "period": [1, 2, 3], "demand": [10.0] * 3}),
    )
    result = policy_orders(inst, "jit")
    expected = orders(("NEAR", "X", 1, 10), ("NEAR", "X", 2, 10), ("NEAR", "X", 3, 10))
    pd.testing.assert_frame_equal(result.orders, expected)
    assert check_orders(inst, result.orders) == []


def test_optimized_is_made_by_solve():
    with pytest.raises(ValueError, match="made by jitopt solve"):
        policy_orders(hand_instance(), "optimized:risk=0.5")


# --- the ordering rules on shipped and random instances ----------------------------------------

POLICIES = ["jit", "jic:cover=2", "dual:share=0.3", "dual:share=0.5,cover=1.5"]


@pytest.mark.parametrize("name", ["demo", "small", "medium"])
def test_shipped_instances_follow_the_rules(name):
    inst = jitopt.read_instance(INSTANCES / name)
    for policy in POLICIES:
        result = policy_orders(inst, policy)
        assert len(result.orders) > 0
        assert check_orders(inst, result.orders) == [], policy


def add_limits(tables: dict, config: dict, seed: int) -> None:
    """Random lot multiples and max orders (of at least the MOQ), max shares and max_suppliers,
    which `generate` does not make."""
    g = np.random.default_rng(seed)
    offers, sup = tables["offers"], tables["suppliers"]
    if g.random() < 0.5:
        cap = (
            offers["supplier"].map(sup.set_index("supplier")["capacity"])
            if "capacity" in sup
            else np.inf
        )
        lot = np.minimum(g.choice([1.0, 5.0, 10.0, 25.0], size=len(offers)), cap)
        offers["lot_multiple"] = np.where(g.random(len(offers)) < 0.5, lot, NAN)
        big = np.maximum(offers.get("moq", 0.0), lot) * g.uniform(1, 3, size=len(offers))
        offers["max_order"] = np.where(
            g.random(len(offers)) < 0.5, np.ceil(big / lot) * lot, np.inf
        )
    if g.random() < 0.5:
        sup["max_share"] = np.where(g.random(len(sup)) < 0.5, g.uniform(0.3, 0.8, len(sup)), NAN)
    if g.random() < 0.3:
        config["max_suppliers"] = int(g.integers(1, len(sup) + 1))


def projected_stock(inst: jitopt.Instance, demand: np.ndarray, lines: pd.DataFrame) -> np.ndarray:
    """End-of-period stock on ``demand`` (backlog negative), recomputed from the order lines."""
    arrivals = inst.pipeline_arrivals()
    lead = inst.suppliers["lead_time"]
    pos = {item: k for k, item in enumerate(inst.items.index)}
    for row in lines.itertuples(index=False):
        arrivals[pos[row.item], row.period + lead[row.supplier] - 1] += row.quantity
    start = inst.items["initial_inventory"].to_numpy(float)[:, None]
    return start + np.cumsum(arrivals - demand, axis=1)


@settings(max_examples=20, deadline=None)
@given(
    items=st.integers(1, 4),
    suppliers=st.integers(2, 4),
    regions=st.integers(1, 3),
    periods=st.integers(2, 8),
    seed=st.integers(0, 2**31 - 1),
    moq=st.booleans(),
    capacity=st.booleans(),
    price_breaks=st.booleans(),
    pipeline=st.booleans(),
    scenarios=st.sampled_from([None, 3]),
    limits=st.one_of(st.none(), st.integers(0, 2**31 - 1)),
    lost=st.booleans(),
)
def test_random_instances_follow_the_rules(limits, lost, **gen):
    tables = generate(**gen)
    config = tables.pop("config") | {"shortage": "lost" if lost else "backlog"}
    if limits is not None:
        add_limits(tables, config, limits)
    inst = jitopt.Instance.from_frames(config, **tables)
    demand = jitopt.make_scenarios(inst).expected_value().demand[0]
    lead = inst.offers.join(inst.suppliers["lead_time"], on="supplier")["lead_time"]
    fastest = lead.groupby(level="item").min()
    for text in ["jit", "jic:cover=2", "dual:share=0.4,cover=1.5"]:
        policy = parse_policy(text)
        result = policy_orders(inst, policy)
        assert check_orders(inst, result.orders) == [], (text, gen)
        if limits is None and not gen["capacity"] and not lost:
            # Without limits every need is met from the first period an offer can deliver in.
            stock = projected_stock(inst, demand, result.orders)
            safety = policy.cover * demand.mean(axis=1)
            for k, item in enumerate(inst.items.index):
                first = int(fastest.get(item, inst.periods))  # 0-based column of period lead + 1
                assert (stock[k, first:] >= safety[k] - 1e-6).all(), (text, item, gen)
            assert not any("full" in note for note in result.notes)


# --- parse_policy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "policy", "name"),
    [
        ("jit", Policy("jit"), "jit"),
        (" JIT ", Policy("jit"), "jit"),
        ("jic:cover=2", Policy("jic", cover=2), "jic:cover=2"),
        ("jic:cover=0.5", Policy("jic", cover=0.5), "jic:cover=0.5"),
        ("jic: cover = 1.50", Policy("jic", cover=1.5), "jic:cover=1.5"),
        ("dual:share=0.3", Policy("dual", share=0.3), "dual:share=0.3"),
        ("dual:cover=2,share=.25", Policy("dual", share=0.25, cover=2), "dual:share=0.25,cover=2"),
        ("optimized", Policy("optimized"), "optimized"),
        ("optimized:risk=0", Policy("optimized", risk=0.0), "optimized:risk=0"),
        ("optimized:risk=0.5", Policy("optimized", risk=0.5), "optimized:risk=0.5"),
        ("optimized:risk=1", Policy("optimized", risk=1), "optimized:risk=1"),
        ("Optimized:Risk=-0", Policy("optimized", risk=0.0), "optimized:risk=0"),
    ],
)
def test_parse_good_policies(text, policy, name):
    parsed = parse_policy(text)
    assert parsed == policy
    assert parsed.name == name == str(parsed)
    assert parse_policy(parsed.name) == parsed


USAGE = re.escape(f"(expected {policies.USAGE})")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "policy '': no policy given " + USAGE),
        ("jut", "policy 'jut': unknown policy 'jut' " + USAGE),
        (":cover=2", "policy ':cover=2': no policy given"),
        ("jit:", "policy 'jit:': a parameter is empty"),
        ("jit:cover=2", "policy 'jit:cover=2': unknown parameter 'cover': jit takes no parameters"),
        ("jic", "policy 'jic': jic needs cover=... " + USAGE),
        ("jic:", "policy 'jic:': a parameter is empty"),
        ("jic:cover", r"policy 'jic:cover': cover needs a value \(cover=...\)"),
        ("jic:cover=", r"policy 'jic:cover=': cover needs a value"),
        (
            "jic:cover=two",
            "policy 'jic:cover=two': cover must be a number of periods > 0, got 'two'",
        ),
        ("jic:cover=0", "policy 'jic:cover=0': cover must be a number of periods > 0, got 0"),
        ("jic:cover=-1", "cover must be a number of periods > 0, got -1"),
        ("jic:cover=inf", "cover must be a number of periods > 0, got 'inf'"),
        ("jic:cover=nan", "cover must be a number of periods > 0, got 'nan'"),
        ("jic:cover=1,cover=2", "policy 'jic:cover=1,cover=2': cover is given twice"),
        ("jic:cover=2,", "a parameter is empty"),
        ("jic:share=0.3", "unknown parameter 'share': jic takes cover"),
        ("dual", "policy 'dual': dual needs share=..."),
        ("dual:cover=2", "dual needs share=..."),
        ("dual:share=1", r"share must be a number in \(0, 1\), got 1"),
        ("dual:share=0", r"share must be a number in \(0, 1\), got 0"),
        ("dual:share=0.3,risk=1", "unknown parameter 'risk': dual takes share and cover"),
        ("optimized:risk=1.5", r"risk must be a number in \[0, 1\], got 1.5"),
    ],
)
def test_parse_bad_policies(text, message):
    with pytest.raises(ValueError, match=message):
        parse_policy(text)


def test_policy_checks_its_fields():
    with pytest.raises(ValueError, match="jit takes no cover"):
        Policy("jit", cover=2)
    with pytest.raises(ValueError, match="unknown policy 'lean'"):
        Policy("lean")
    with pytest.raises(TypeError, match="share must be a number"):
        Policy("dual", share="0.3")
    with pytest.raises(TypeError, match="not a text"):
        parse_policy(2)


# -- policy plans against the optimum ----------------------------------------------------------


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    items=st.integers(1, 3),
    periods=st.integers(3, 6),
    moq=st.booleans(),
    disruptions=st.booleans(),
    spot_buys=st.booleans(),
)
def test_in_sample_no_baseline_beats_the_proven_optimum(
    seed, items, periods, moq, disruptions, spot_buys
):
    """On the instance's own scenarios the optimum is a lower bound for every plan: each rule's
    plan (evaluated with the exact second stage) costs at least the proven optimum, and its plan
    passes the independent checker."""
    from jitopt.check import check_plan
    from jitopt.policies import policy_plan

    tables = generate(
        items=items,
        suppliers=3,
        regions=2,
        periods=periods,
        seed=seed,
        moq=moq,
        disruptions=disruptions,
        spot_buys=spot_buys,
        sampled=4,
    )
    inst = jitopt.Instance.from_frames(tables.pop("config"), **tables)
    best = jitopt.solve(inst, mip_gap=1e-9, time_limit=30)
    assert best.status == jitopt.Status.OPTIMAL
    for text in ("jit", "jic:cover=1", "dual:share=0.4"):
        plan = policy_plan(inst, text)
        check_plan(inst, plan).raise_if_failed()
        assert plan.summary["policy"] == text
        assert plan.objective >= best.objective - 1e-6 * max(1.0, abs(best.objective)), text
