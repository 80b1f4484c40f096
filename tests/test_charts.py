"""Charts of a plan (`jitopt.charts`, `Plan.plot_*`): the data each chart draws is the plan's
own tables (the artists' data is checked, not pixels)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Rectangle

import jitopt
from jitopt.charts import BAND, stock_bands

DEMO = Path(__file__).resolve().parents[1] / "instances" / "demo"


@pytest.fixture(scope="module")
def plan() -> jitopt.Plan:
    return jitopt.solve(jitopt.read_instance(DEMO))


def net_stock(plan: jitopt.Plan, item: str, scenario: str) -> np.ndarray:
    inv = plan.inventory
    rows = inv[(inv["item"] == item) & (inv["scenario"] == scenario)].sort_values("period")
    return (rows["on_hand"] - rows["backlog"]).to_numpy(float)


def test_the_fan_chart_draws_the_scenarios_stock(plan):
    """The demo's scenario "normal" has probability 0.7 > 0.5, so it is the median in every
    period; the band holds every scenario of the middle 80 % of probability; the demand line is
    the instance's demand (one series)."""
    fig = plan.plot_inventory("HARNESS")
    ax = fig.axes[0]
    median, demand = ax.lines[0], ax.lines[1]
    np.testing.assert_allclose(median.get_ydata(), net_stock(plan, "HARNESS", "normal"))
    d = plan.instance.demand
    expected = d[d["item"] == "HARNESS"].sort_values("period")["demand"].to_numpy(float)
    np.testing.assert_allclose(np.asarray(demand.get_ydata(), float), expected)
    bands = stock_bands(plan, "HARNESS")
    stacks = {s: net_stock(plan, "HARNESS", s) for s in plan.scenario_costs["scenario"]}
    every = np.array(list(stacks.values()))
    assert (bands["low"].to_numpy() >= every.min(axis=0) - 1e-9).all()
    assert (bands["high"].to_numpy() <= every.max(axis=0) + 1e-9).all()
    # the band drawn: its vertices' y values are the low and high quantiles
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert set(np.round(band, 6)) <= set(np.round(np.r_[bands["low"], bands["high"]], 6))
    assert BAND == (0.1, 0.5, 0.9)


def test_the_band_by_hand():
    """Three scenarios a, b, c with probabilities 0.2, 0.5, 0.3. Period 1: stock 10, backlog 5,
    stock 3 -> sorted b (-5; cumulative 0.5), c (3; 0.8), a (10; 1.0): 10 % and median -5, 90 %
    10. Period 2: 1, 2, 3 -> a (0.2), b (0.7), c (1.0): 1, 2, 3."""
    inventory = pd.DataFrame(
        {
            "scenario": ["a", "b", "c"] * 2,
            "item": "X",
            "period": [1, 1, 1, 2, 2, 2],
            "on_hand": [10.0, 0.0, 3.0, 1.0, 2.0, 3.0],
            "backlog": [0.0, 5.0, 0.0, 0.0, 0.0, 0.0],
        }
    )
    costs = pd.DataFrame({"scenario": ["a", "b", "c"], "probability": [0.2, 0.5, 0.3]})
    plan = jitopt.Plan(jitopt.Status.OPTIMAL, {}, inventory=inventory, scenario_costs=costs)
    bands = stock_bands(plan, "X")
    assert bands[["low", "median", "high"]].values.tolist() == [[-5, -5, 10], [1, 2, 3]]


def test_the_fan_chart_of_a_plan_read_back_has_no_period_1_demand(plan, tmp_path):
    """Read from its folder the plan has no instance: period 1's demand needs the initial stock,
    so the line starts in period 2; the rest is the same chart."""
    plan.write(tmp_path / "plan")
    again = jitopt.Plan.read(tmp_path / "plan")
    ax = again.plot_inventory("HARNESS").axes[0]
    demand = np.asarray(ax.lines[1].get_ydata(), float)
    assert np.isnan(demand[0])
    np.testing.assert_allclose(
        demand[1:], np.asarray(plan.plot_inventory("HARNESS").axes[0].lines[1].get_ydata())[1:]
    )


def test_the_order_timeline_draws_every_order(plan):
    ax = plan.plot_orders().axes[0]
    suppliers = [t.get_text() for t in ax.get_yticklabels()]
    bars = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_alpha() is None]
    per = plan.orders.groupby(["supplier", "period"])["quantity"].sum()
    assert len(bars) == len(per)
    top = per.max()
    drawn = {}
    for bar in bars:
        period = round(bar.get_x() + bar.get_width() / 2)
        supplier = suppliers[round(bar.get_y() + bar.get_height() / 2)]
        drawn[supplier, period] = bar.get_height() / 0.8 * top
    for key, units in per.items():
        assert drawn[key] == pytest.approx(units)
    # coloured by region: the suppliers of one region share a colour
    regions = plan.instance.suppliers["region"]
    colour = {}
    for bar in bars:
        supplier = suppliers[round(bar.get_y() + bar.get_height() / 2)]
        colour.setdefault(regions[supplier], set()).add(tuple(bar.get_facecolor()))
    assert all(len(c) == 1 for c in colour.values())
    assert len({c.pop() for c in colour.values()}) == len(colour)
    # the 3 costliest scenarios' outages are shaded on the rows of the suppliers they stop
    shades = [p for p in ax.patches if p.get_alpha() is not None]
    worst = plan.scenario_costs.nlargest(3, "cost")["scenario"]
    outages = plan.outages[plan.outages["scenario"].isin(worst)]
    expected = sum(
        (regions.index[(regions == r.target) | (regions.index == r.target)].isin(suppliers)).sum()
        for r in outages.itertuples()
    )
    assert len(shades) == expected > 0


def test_costs_scenarios_and_shares_are_the_summarys(plan):
    s = plan.summary
    ax = plan.plot_costs().axes[0]
    widths = {t.get_text(): p.get_width() for t, p in zip(ax.get_yticklabels(), ax.patches)}
    assert widths == pytest.approx(s["costs"])
    ax = plan.plot_scenario_costs().axes[0]
    assert sum(p.get_height() for p in ax.patches) == pytest.approx(1.0)
    marked = [line.get_xdata()[0] for line in ax.lines]
    assert marked == pytest.approx([s["expected_cost"], s["var"], s["cvar"]])
    fig = plan.plot_shares()
    for ax, key in zip(fig.axes, ("supplier_share", "region_share")):
        shares = {t.get_text(): p.get_width() for t, p in zip(ax.get_yticklabels(), ax.patches)}
        assert shares == pytest.approx(s[key])


def test_an_unknown_item_is_a_clear_error(plan):
    with pytest.raises(ValueError, match="item 'NOPE' is not in the plan"):
        plan.plot_inventory("NOPE")
    assert isinstance(stock_bands(plan, "HARNESS"), pd.DataFrame)
