"""Metrics of a plan over scenarios, in one place: per-scenario rows, then the summary over them.

`scenario_table` turns a plan's stock arrays into one row per scenario (costs by component, units
short, ...); `summarize` computes every entry of `METRICS` from such a table. `jitopt solve`
(summary.json), `jitopt simulate` (simulation.csv, simulation.json) and `jitopt compare`
(comparison.csv) all go through these two functions, so a new metric is one entry of `METRICS`
(and, if it needs a new per-scenario quantity, one column of `scenario_table`). The independent
checker (`jitopt.check`) recomputes the metrics its own way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from jitopt.instance import Instance
from jitopt.schema import COST_COMPONENTS

# Units short below which a period does not count as a stockout (solver tolerance).
STOCKOUT_UNITS = 1e-6
# Per-scenario columns besides the cost components.
SCENARIO_COLUMNS = (
    "fill_rate",
    "short_units",
    "demand_units",
    "stockout",
    "mean_on_hand_value",
)


def scenario_table(
    inst: Instance,
    names: list[str],
    probability: np.ndarray,
    *,
    purchase: np.ndarray,
    ordering: float,
    contract: float,
    on_hand: np.ndarray,
    short: np.ndarray,
    expedited: np.ndarray,
    demand: np.ndarray,
) -> pd.DataFrame:
    """One row per scenario: ``scenario, probability, cost``, the cost components of SPEC §3
    (`COST_COMPONENTS`), and `SCENARIO_COLUMNS`.

    Arrays are (scenario, item, period), items in ``inst.items`` order; ``short`` is the backlog
    (backlog mode) or the lost sales (lost mode); ``purchase`` the cost of the delivered lines.

    - ``short_units``: demand not met in its own period: min(d, B) (older backlog is served first)
      or L; ``fill_rate`` = 1 - short_units / demand_units (1 without demand);
    - ``stockout``: 1 when some demand is not met in its own period;
    - ``mean_on_hand_value``: stock on hand valued at each item's cheapest unit cost, averaged
      over the periods (what the buffer ties up)."""
    items = inst.items
    per_item = {
        c: items[c].fillna(0.0).to_numpy(float)
        for c in ("holding_cost", "shortage_cost", "expedite_cost", "salvage_value")
    }
    lost = inst.shortage == "lost"
    terminal = 0.0 if lost else short[:, :, -1] @ items["terminal_backlog_cost"].to_numpy(float)
    W = len(names)
    frame = pd.DataFrame(
        {
            "scenario": names,
            "probability": np.asarray(probability, dtype=float),
            "purchase": np.asarray(purchase, dtype=float),
            "ordering": np.full(W, float(ordering)),
            "contract": np.full(W, float(contract)),
            "holding": np.einsum("i,wit->w", per_item["holding_cost"], on_hand),
            "shortage": np.einsum("i,wit->w", per_item["shortage_cost"], short),
            "expedite": np.einsum("i,wit->w", per_item["expedite_cost"], expedited),
            "terminal": terminal if not lost else np.zeros(W),
            "salvage": 0.0 - on_hand[:, :, -1] @ per_item["salvage_value"],
        }
    )
    frame.insert(2, "cost", frame[list(COST_COMPONENTS)].sum(axis=1))
    unmet = short if lost else np.minimum(demand, short)
    frame["short_units"] = unmet.sum(axis=(1, 2))
    frame["demand_units"] = demand.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        fill = 1.0 - frame["short_units"] / frame["demand_units"]
    frame["fill_rate"] = fill.where(frame["demand_units"] > 0, 1.0)
    frame["stockout"] = (unmet > STOCKOUT_UNITS).any(axis=(1, 2)).astype(int)
    value = unit_values(inst)
    frame["mean_on_hand_value"] = np.einsum("i,wit->w", value, on_hand) / demand.shape[2]
    return frame[["scenario", "probability", "cost", *COST_COMPONENTS, *SCENARIO_COLUMNS]]


def unit_values(inst: Instance) -> np.ndarray:
    """What a unit of each item is worth in stock: its cheapest unit cost (offers and price
    breaks; the expedite cost for an item with no offer)."""
    cheapest = inst.offers.groupby(level="item")["unit_cost"].min()
    if len(inst.price_breaks):
        breaks = inst.price_breaks.groupby("item")["unit_cost"].min()
        cheapest = pd.concat([cheapest, breaks]).groupby(level=0).min()
    value = cheapest.reindex(inst.items.index)
    return value.fillna(inst.items["expedite_cost"]).fillna(0.0).to_numpy(float)


def expected(table: pd.DataFrame, column: str) -> float:
    return float(np.dot(table["probability"], table[column]))


def value_at_risk(costs: np.ndarray, prob: np.ndarray, alpha: float) -> float:
    """VaR_alpha: the smallest cost c with P[C <= c] >= alpha."""
    order = np.argsort(costs, kind="stable")
    reached = np.cumsum(prob[order]) >= alpha - 1e-12
    return float(costs[order][np.argmax(reached)])


def cvar(costs: np.ndarray, prob: np.ndarray, alpha: float) -> float:
    """CVaR_alpha (Rockafellar-Uryasev): min over eta of eta + E[(C - eta)+] / (1 - alpha); VaR_alpha
    is a minimiser, so this is O(n log n) for any number of scenarios."""
    var = value_at_risk(costs, prob, alpha)
    return float(var + np.dot(prob, np.maximum(costs - var, 0.0)) / (1 - alpha))


def std_error(costs: np.ndarray, prob: np.ndarray) -> float:
    """Standard error of the expected cost as an estimate: sqrt(n/(n-1) sum p^2 (c - mean)^2),
    which is s/sqrt(n) for n equally likely sampled scenarios; 0 for one scenario."""
    n = len(costs)
    if n < 2:
        return 0.0
    mean = float(np.dot(prob, costs))
    return float(np.sqrt(n / (n - 1) * np.dot(prob**2, (costs - mean) ** 2)))


@dataclass(frozen=True)
class Metric:
    """One summary metric: its name (the key in summary.json, simulation.json and the column of
    comparison.csv), unit, meaning, and how it is computed from a `scenario_table`."""

    name: str
    unit: str
    meaning: str
    compute: Callable[[pd.DataFrame, float], object]
    label: str = ""  # its row in the terminal tables ({alpha}: the level); "" = not shown
    fmt: str = "{:,.2f}"


def _costs(table: pd.DataFrame) -> np.ndarray:
    return table["cost"].to_numpy(float)


def _prob(table: pd.DataFrame) -> np.ndarray:
    return table["probability"].to_numpy(float)


def _fill_rate(table: pd.DataFrame, _alpha: float) -> float:
    demand = expected(table, "demand_units")
    return 1.0 if demand <= 0 else 1.0 - expected(table, "short_units") / demand


METRICS = (
    Metric("expected_cost", "money", "E[C]", lambda t, a: expected(t, "cost"), "expected cost"),
    Metric(
        "std_error",
        "money",
        "standard error of expected_cost (sampling error of sampled scenarios)",
        lambda t, a: std_error(_costs(t), _prob(t)),
    ),
    Metric(
        "cvar",
        "money",
        "CVaR_alpha of the cost",
        lambda t, a: cvar(_costs(t), _prob(t), a),
        "CVaR {alpha:.0%}",
    ),
    Metric(
        "var",
        "money",
        "VaR_alpha of the cost",
        lambda t, a: value_at_risk(_costs(t), _prob(t), a),
        "VaR {alpha:.0%}",
    ),
    Metric("alpha", "", "the level of VaR and CVaR", lambda t, a: float(a)),
    Metric(
        "worst_case_cost",
        "money",
        "the dearest scenario",
        lambda t, a: float(_costs(t).max()),
        "worst case",
    ),
    Metric(
        "costs",
        "money",
        "expected cost by component",
        lambda t, a: {c: expected(t, c) for c in COST_COMPONENTS},
    ),
    Metric(
        "fill_rate", "share", "1 - E[units short] / E[demand]", _fill_rate, "fill rate", "{:.2%}"
    ),
    Metric(
        "stockout_probability",
        "share",
        "P[some demand is not met in its own period]",
        lambda t, a: min(1.0, expected(t, "stockout")),  # 1e4 x 1e-4 may add up to 1 + 1e-15
        "P(any stockout)",
        "{:.1%}",
    ),
    Metric(
        "mean_on_hand_value",
        "money",
        "E[stock on hand at cheapest unit cost, averaged over periods]",
        lambda t, a: expected(t, "mean_on_hand_value"),
        "mean stock value",
    ),
)


def summarize(table: pd.DataFrame, alpha: float) -> dict:
    """Every metric of `METRICS` from a `scenario_table`, in that order."""
    return {m.name: m.compute(table, alpha) for m in METRICS}


def metric_rows(summary: dict) -> list[tuple[str, str]]:
    """(label, value) of every metric of `METRICS` with a label that ``summary`` holds, for the
    terminal tables of `jitopt solve` and `jitopt simulate`."""
    alpha = summary.get("alpha", 0.9)
    return [
        (m.label.format(alpha=alpha), m.fmt.format(summary[m.name]))
        for m in METRICS
        if m.label and summary.get(m.name) is not None
    ]


def format_metrics() -> str:
    """`METRICS` as a Markdown table (for docs/CONTRACT.md)."""
    lines = ["| metric | unit | meaning |", "|---|---|---|"]
    lines += [f"| `{m.name}` | {m.unit} | {m.meaning} |" for m in METRICS]
    return "\n".join(lines)
