"""Charts of a plan (issue 14), as matplotlib figures for notebooks and reports.

    plan = jitopt.Plan.read("out/")           # or jitopt.solve(...)
    plan.plot_inventory("MCU-F4"); plan.plot_orders(); plan.plot_costs()
    plan.plot_scenario_costs(); plan.plot_shares()

Every chart is drawn from the plan's own tables (orders, inventory, scenario costs, outages,
summary), so a plan read back from its folder draws the same charts as the one just solved.
Periods are shown as dates when the plan has them. Each function returns the `Figure`; it is not
shown or saved (``fig.savefig(...)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from jitopt.plan import Plan

__all__ = [
    "expected_demand",
    "plot_comparison_costs",
    "plot_costs",
    "plot_inventory",
    "plot_orders",
    "plot_scenario_costs",
    "plot_shares",
    "stock_bands",
]

BAND = (0.1, 0.5, 0.9)  # the fan chart: 10 %, median, 90 % of scenarios (by probability)
WORST = 3  # scenarios whose outages the order timeline shades


def _figure(width: float = 8.0, height: float = 3.6):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig, fig.add_subplot()


def _probability(plan: Plan) -> pd.Series:
    costs = plan.scenario_costs
    return costs.set_index("scenario")["probability"].astype(float)


def _x(frame: pd.DataFrame) -> pd.Series:
    """The x values of periods: their dates when the plan has them."""
    return frame["date"] if "date" in frame.columns else frame["period"]


def _date_axis(ax, frame: pd.DataFrame) -> None:
    """Short date labels (``Jan``, ``08``, ...) when the x values are dates."""
    if "date" in frame.columns:
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs) -> list[float]:
    """Quantiles of ``values`` with probability ``weights``: the smallest value whose cumulative
    probability reaches q."""
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cum = np.cumsum(w) / w.sum()
    return [float(v[min(np.searchsorted(cum, q - 1e-12), len(v) - 1)]) for q in qs]


def stock_bands(plan: Plan, item: str) -> pd.DataFrame:
    """Per period of ``item``: the 10 %, median and 90 % of stock across scenarios (on hand,
    less the backlog: below zero is backlog), by scenario probability; with ``date`` when the
    plan has dates."""
    inv = plan.inventory[plan.inventory["item"] == item]
    if inv.empty:
        raise ValueError(f"item {item!r} is not in the plan")
    prob = _probability(plan)
    net = inv["on_hand"] - (inv["backlog"] if "backlog" in inv.columns else 0.0)
    rows = []
    for period, group in inv.assign(net=net).groupby("period", sort=True):
        weights = group["scenario"].map(prob).to_numpy(float)
        low, mid, high = _weighted_quantiles(group["net"].to_numpy(float), weights, BAND)
        rows.append({"period": period, "low": low, "median": mid, "high": high})
    out = pd.DataFrame(rows)
    if "date" in inv.columns:
        dates = inv.drop_duplicates("period").set_index("period")["date"]
        out.insert(1, "date", dates.loc[out["period"]].to_numpy())
    return out


def expected_demand(plan: Plan, item: str) -> pd.Series:
    """The expected demand of ``item`` per period, recovered from the stock balance of each
    scenario (demand = stock before + arrived + expedited - stock after; in lost-sales mode plus
    the lost units) and weighted by the scenarios' probabilities. Period 1 needs the initial
    stock, which only the plan's instance knows: without one it is missing (NaN)."""
    inv = plan.inventory[plan.inventory["item"] == item].sort_values(["scenario", "period"])
    lost = "lost" in inv.columns
    position = inv["on_hand"] - (0.0 if lost else inv["backlog"])
    before = position.groupby(inv["scenario"]).shift(1)
    instance = getattr(plan, "instance", None)
    first = inv["period"] == inv["period"].min()
    start = np.nan if instance is None else float(instance.items.at[item, "initial_inventory"])
    before = before.where(~first, start)
    demand = before + inv["arrived"] + inv["expedited"] - position
    if lost:
        demand = demand + inv["lost"]
    frame = inv.assign(demand=demand, p=inv["scenario"].map(_probability(plan)))
    weighted = (frame["demand"] * frame["p"]).groupby(frame["period"]).sum(min_count=1)
    return weighted / frame["p"].groupby(frame["period"]).sum()


def plot_inventory(plan: Plan, item: str) -> Figure:
    """Stock of ``item`` over time as a fan chart across scenarios: the median and the 10-90 %
    band (below zero: backlog), and the expected demand of each period."""
    bands = stock_bands(plan, item)
    x = _x(bands)
    fig, ax = _figure()
    ax.fill_between(
        x, bands["low"], bands["high"], alpha=0.25, color="tab:blue", label="10–90 % of scenarios"
    )
    ax.plot(x, bands["median"], color="tab:blue", lw=2, label="median")
    demand = expected_demand(plan, item).reindex(bands["period"])
    ax.plot(x, demand.to_numpy(), color="tab:orange", lw=1.2, ls="--", label="expected demand")
    ax.axhline(0, color="black", lw=0.8)
    _date_axis(ax, bands)
    ax.set_title(f"{item}: stock on hand (below 0: backlog)", loc="left")
    ax.set_ylabel("units")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)  # beside the data
    ax.grid(alpha=0.3)
    return fig


def plot_orders(plan: Plan, regions: dict[str, str] | None = None, worst: int = WORST) -> Figure:
    """The order timeline: one row per supplier, one bar per order period, its height the units
    ordered (all items), coloured by region (``regions``: supplier -> region; by default the
    plan's instance's, when it has one). The outages of the ``worst`` costliest scenarios are
    shaded on the rows they stop."""
    from matplotlib.patches import Patch, Rectangle

    if isinstance(worst, bool) or not isinstance(worst, (int, np.integer)) or worst < 0:
        raise ValueError(f"worst must be a whole number >= 0, got {worst!r}")
    orders = plan.orders
    if regions is None and getattr(plan, "instance", None) is not None:
        regions = plan.instance.suppliers["region"].astype(str).to_dict()
    suppliers = sorted(orders["supplier"].unique())
    row = {s: k for k, s in enumerate(suppliers)}
    per = orders.groupby(["supplier", "period"], as_index=False)["quantity"].sum()
    top = per["quantity"].max() if len(per) else 1.0
    names = sorted(set((regions or {}).get(s, "") for s in suppliers))
    colours = {r: f"C{k}" for k, r in enumerate(names)}
    fig, ax = _figure(8.0, 0.6 + 0.55 * max(len(suppliers), 2))
    for s, t, q in per.itertuples(index=False):
        colour = colours[(regions or {}).get(s, "")]
        height = 0.8 * q / top
        ax.add_patch(
            Rectangle((t - 0.4, row[s] - height / 2), 0.8, height, color=colour, label=None)
        )
    unknown = set()  # outage targets that are neither a supplier nor a known region
    known = set(suppliers) | set((regions or {}).keys()) | set((regions or {}).values())
    for scenario in _worst(plan, worst):
        for r in plan.outages[plan.outages["scenario"] == scenario].itertuples(index=False):
            hit = [s for s in suppliers if s == r.target or (regions or {}).get(s) == r.target]
            if r.target not in known:
                unknown.add(r.target)
            for s in hit:
                span = (r.start - 0.5, row[s] - 0.5), r.end - r.start + 1, 1.0
                ax.add_patch(Rectangle(*span, color="tab:red", alpha=0.08, lw=0))
    T = int(plan.inventory["period"].max())
    ax.set_xlim(0.5, T + 0.5)
    ax.set_ylim(-0.6, len(suppliers) - 0.4)
    ax.set_yticks(range(len(suppliers)), suppliers)
    ticks = list(range(1, T + 1))
    dates = plan.inventory.drop_duplicates("period").set_index("period")
    labels = (
        [f"{d:%d %b}" for d in dates.loc[ticks, "date"]] if "date" in dates.columns else ticks
    )
    ax.set_xticks(ticks, labels, fontsize=7, rotation=45 if "date" in dates.columns else 0)
    handles = [Patch(color=colours[r], label=r) for r in names if r]
    if worst and len(plan.outages):
        shaded = f"outages, {worst} worst scenarios"
        handles.append(Patch(color="tab:red", alpha=0.15, label=shaded))
    if unknown:
        missing = f"not shaded (regions unknown): {', '.join(sorted(unknown))}"
        handles.append(Patch(color="white", label=missing))
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    ax.set_xlabel("order period" + (" (week starting)" if "date" in dates.columns else ""))
    ax.set_title(
        f"Orders by supplier (bar height: units ordered; the tallest {top:,.0f})", loc="left"
    )
    return fig


def _worst(plan: Plan, k: int) -> list[str]:
    if not k:
        return []
    costs = plan.scenario_costs.sort_values("cost", ascending=False, kind="stable")
    return costs["scenario"].head(k).tolist()


def plot_costs(plan: Plan) -> Figure:
    """The expected cost by component (summary.json's ``costs``)."""
    costs = {k: float(v) for k, v in plan.summary["costs"].items()}
    fig, ax = _figure(6.0, 3.2)
    names = list(costs)
    colours = ["tab:green" if costs[n] < 0 else "tab:blue" for n in names]  # salvage: a credit
    ax.barh(names, [costs[n] for n in names], color=colours)
    ax.invert_yaxis()
    ax.axvline(0, color="black", lw=0.8)
    ax.set_title(f"Expected cost by component: {plan.summary['expected_cost']:,.0f}", loc="left")
    ax.grid(axis="x", alpha=0.3)
    return fig


def plot_scenario_costs(plan: Plan) -> Figure:
    """The distribution of scenario costs (by probability), with the expected cost, VaR and CVaR
    of summary.json marked."""
    costs = plan.scenario_costs
    s = plan.summary
    fig, ax = _figure(7.0, 3.4)
    bins = min(30, max(5, len(costs)))
    ax.hist(costs["cost"], bins=bins, weights=costs["probability"], color="tab:gray", alpha=0.7)
    alpha = s.get("alpha", 0.9)
    for value, label, style in (
        (s["expected_cost"], "expected", "-"),
        (s["var"], f"VaR {alpha:.0%}", "--"),
        (s["cvar"], f"CVaR {alpha:.0%}", ":"),
    ):
        ax.axvline(value, color="tab:red", ls=style, lw=1.5, label=f"{label}: {value:,.0f}")
    ax.set_xlabel("scenario cost")
    ax.set_ylabel("probability")
    ax.legend(fontsize=8)
    ax.set_title("Cost of the scenarios", loc="left")
    return fig


def plot_shares(plan: Plan) -> Figure:
    """The share of units ordered from each supplier and each region."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8.0, 3.0), dpi=100, layout="constrained")
    for k, key in enumerate(("supplier_share", "region_share")):
        ax = fig.add_subplot(1, 2, k + 1)
        shares = plan.summary.get(key) or {}
        names = list(shares)
        ax.barh(names, [shares[n] for n in names], color="tab:blue")
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_title(key.replace("_", " ").replace("share", "shares"), loc="left")
        ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
    return fig


def plot_comparison_costs(
    costs: dict[str, pd.Series], efficient: set[str] = frozenset()
) -> Figure:
    """The scenario costs of compared plans side by side (``costs``: label -> the cost of each
    scenario, all on the same scenarios): a box per plan (the middle half, whiskers to the 5 and
    95 % points) with its mean marked; efficient plans in colour."""
    labels = list(costs)
    fig, ax = _figure(8.0, 0.9 + 0.42 * max(len(labels), 2))
    data = [np.asarray(costs[k], dtype=float) for k in labels]
    boxes = ax.boxplot(
        data,
        orientation="horizontal",
        whis=(5, 95),
        showfliers=False,
        showmeans=True,
        patch_artist=True,
        tick_labels=labels,
    )
    for label, box in zip(labels, boxes["boxes"]):
        box.set_facecolor("tab:blue" if label in efficient else "lightgray")
        box.set_alpha(0.6)
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    ax.set_xlabel("scenario cost (box: middle half; whiskers: 5-95 %; triangle: mean)")
    ax.set_title("Cost of the common scenarios, plan by plan", loc="left")
    ax.grid(axis="x", alpha=0.3)
    ax.tick_params(axis="y", labelsize=8)
    return fig
