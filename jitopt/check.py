"""Independent checker of a written plan: recomputes feasibility, balances and costs, no model."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

COMPONENTS = (
    "purchase",
    "ordering",
    "contract",
    "holding",
    "shortage",
    "expedite",
    "terminal",
    "salvage",
)
COST_RTOL = 1e-5  # the solver's own tolerances make costs agree only to about this

_NAME_COLUMNS = {"scenario": str, "supplier": str, "item": str, "target": str}
_ORDER_COLUMNS = ["supplier", "item", "period", "arrival_period", "quantity", "unit_cost"]
_OUTAGE_COLUMNS = ["scenario", "target", "start", "end"]
_KEYS = ["scenario", "item", "period"]
_MAX_SHOWN = 50


class Finding(str):
    """One problem the checker found: its text, and where it is, as on the input side
    (`jitopt.errors.Problem`): ``file`` (orders.csv, inventory.csv, scenarios.csv, outages.csv,
    summary.json), ``row`` (the line in the CSV file, header = line 1; the row + 2 of a table held
    in memory) and ``column`` (a CSV column, or a key of summary.json), each None where the
    problem is not about one. A `str`, so that it reads and compares as the message."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __new__(cls, text: str, row: int | None = None, column: str | None = None) -> Finding:
        finding = super().__new__(cls, text)
        head = text.split(":", 1)[0].split(" ", 1)[0]
        finding.file = head if head.endswith((".csv", ".json")) else "plan"
        finding.row = None if row is None else int(row)
        finding.column = column
        finding.message = text.split(": ", 1)[1] if ": " in text else text
        return finding


@dataclass
class CheckReport:
    """What the checker found in a plan, and the numbers it recomputed from the plan's tables.

    ``problems``: the plan breaks a rule, or its numbers disagree with the recomputed ones (each a
    `Finding`: the message, with ``file``, ``row``, ``column``).
    ``unreadable``: files missing or damaged, so that (part of) the plan could not be checked."""

    problems: list[Finding] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    scenario_costs: pd.DataFrame | None = None  # index scenario: probability, components, cost
    expected_costs: dict[str, float] = field(default_factory=dict)  # component -> E[component]
    expected_cost: float | None = None
    worst_case_cost: float | None = None
    objective: float | None = None
    fill_rate: float | None = None
    cvar: float | None = None
    var: float | None = None
    stockout_probability: float | None = None
    std_error: float | None = None
    alpha: float | None = None
    mean_on_hand_value: float | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and not self.unreadable

    def raise_if_failed(self) -> None:
        """Raise an AssertionError listing the problems (the first 50 of them), if there are any."""
        if self.ok:
            return
        found = self.unreadable + self.problems
        lines = [f"- {p}" for p in found[:_MAX_SHOWN]]
        if len(found) > _MAX_SHOWN:
            lines.append(f"... and {len(found) - _MAX_SHOWN} more")
        raise AssertionError(f"{len(found)} problem(s) in the plan:\n" + "\n".join(lines))


@dataclass
class _Cube:
    """Per-scenario stock quantities as arrays of shape (scenario, item, period)."""

    scenarios: list[str]
    items: list[str]
    on_hand: np.ndarray
    short: np.ndarray  # backlog or lost, by shortage mode
    expedited: np.ndarray
    arrived: np.ndarray  # as written
    arrivals: np.ndarray  # as recomputed: pipeline + delivered orders
    demand: np.ndarray
    line: np.ndarray  # the cell's line in inventory.csv (NaN for a missing row)
    # (scenario, item, period) -> lines of orders.csv delivered then
    sources: dict = field(default_factory=dict)


def check_solution(
    instance: Any, out_dir: str | Path, *, tol: float = 1e-6, cost_rtol: float = COST_RTOL
) -> CheckReport:
    """Check the plan written in `out_dir` against `instance`, collecting every problem found.

    `tol` is the feasibility tolerance (absolute, scaled by the magnitude of the numbers compared);
    `cost_rtol` the relative tolerance for costs and summary metrics. Files that are missing or
    damaged are listed in the report's ``unreadable``; the checker never raises on them."""
    out = Path(out_dir)
    report = CheckReport()
    bad = report.unreadable
    frames = {
        "orders": _read_csv(out / "orders.csv", _ORDER_COLUMNS, bad),
        "scenarios": _read_csv(out / "scenarios.csv", ["scenario", "probability"], bad),
        "inventory": _read_csv(out / "inventory.csv", _inventory_columns(instance), bad),
        "outages": _read_outage_file(out, instance, bad),
        "summary": _read_summary(out / "summary.json", bad),
    }
    return _check(instance, frames, report, tol, cost_rtol)


def check_plan(
    instance: Any, plan: Any, *, tol: float = 1e-6, cost_rtol: float = COST_RTOL
) -> CheckReport:
    """Check a plan held in memory (a `jitopt.Plan`: ``orders``, ``inventory``,
    ``scenario_costs``, ``outages``, ``summary``), as `check_solution` checks written files."""
    frames = {
        "orders": plan.orders,
        "scenarios": plan.scenario_costs,
        "inventory": plan.inventory,
        "outages": plan.outages,
        "summary": plan.summary,
    }
    frames = {
        k: (v.reset_index(drop=True) if isinstance(v, pd.DataFrame) else v)
        for k, v in frames.items()
    }
    return _check(instance, frames, CheckReport(), tol, cost_rtol)


def check_orders(
    instance: Any, orders: pd.DataFrame, *, tol: float = 1e-6, whole_plan: bool = True
) -> list[str]:
    """The ordering rules alone (offer, periods, arrival after T, MOQ, lot multiple, max order,
    capacity, max share, max suppliers) for order lines ``supplier, item, period, quantity``;
    ``arrival_period`` and ``unit_cost``, when absent, are those the instance gives the line.
    Problems name the line of orders.csv (``line`` column if given, else row + 2). With
    ``whole_plan=False`` the rules over the whole horizon (max share, max suppliers) are left
    out: the lines are part of a plan made in several steps."""
    o = orders.reset_index(drop=True).copy()
    if "line" not in o.columns:
        o["line"] = o.index + 2
    if "unit_cost" not in o.columns:
        o["unit_cost"] = np.nan  # then the price the instance gives the line
    o = _annotate_orders(o, instance, tol)
    o["unit_cost"] = o["unit_cost"].fillna(o["price"])
    if "arrival_period" not in o.columns:
        o["arrival_period"] = o["period"] + o["lead_time"].fillna(0).astype(int)
    found = _check_order_lines(o, instance.periods, tol)
    found += _check_order_totals(o, instance, tol, whole_plan)
    return [Finding(p) if not isinstance(p, Finding) else p for p in found]


def _check(instance: Any, frames: dict, report: CheckReport, tol: float, cost_rtol: float):
    problems, bad = report.problems, report.unreadable
    orders = _orders(frames["orders"], bad)
    scenarios = _scenarios(frames["scenarios"], bad)
    inventory = _inventory(frames["inventory"], _short_column(instance), bad)
    outages = _outages(frames["outages"], instance, bad)
    summary = frames["summary"]
    if orders is not None:
        orders = _annotate_orders(orders, instance, tol)
        problems += _check_order_lines(orders, instance.periods, tol)
        problems += _check_order_totals(orders, instance, tol)
    if orders is None or scenarios is None or inventory is None or outages is None:
        return _located(report)
    problems += _check_scenario_list(scenarios, instance)
    names = list(scenarios["scenario"])
    outages = _every_scenario(outages, names)
    problems += _check_outages(outages, names, instance)
    held = _unavailable(outages, instance, "transit")
    held_cells = set(zip(held["scenario"], held["supplier"], held["period"], strict=True))
    per_scenario = _orders_per_scenario(
        orders, names, _unavailable(outages, instance), held_cells, instance.periods
    )
    pipeline = _frame(instance.pipeline, ["supplier", "item", "arrival_period", "quantity"])
    pipeline = pd.DataFrame({"scenario": names}).merge(pipeline, how="cross")
    pipeline["arrives"] = _arrives(pipeline, held_cells, instance.periods)
    cube = _build_cube(inventory, per_scenario, pipeline, names, instance, problems)
    problems += _check_inventory(cube, instance, tol)
    costs = _scenario_costs(cube, orders, per_scenario, instance)
    costs.insert(0, "probability", scenarios.set_index("scenario")["probability"])
    problems += _compare_scenario_costs(costs, scenarios, cost_rtol)
    _set_metrics(report, costs, cube, instance)
    if summary is not None:
        problems += _check_summary(summary, report, orders, cost_rtol)
    return _located(report)


def _located(report: CheckReport) -> CheckReport:
    """Every problem as a `Finding` (those made without a row or column get their file)."""
    report.problems[:] = [p if isinstance(p, Finding) else Finding(p) for p in report.problems]
    return report


# --- reading ---------------------------------------------------------------------------------


def _read_csv(path: Path, columns: list[str], bad: list[str]) -> pd.DataFrame | None:
    """Read an output table, names as strings; None (and a note in ``bad``) when it is missing
    or cannot be read."""
    if not path.exists():
        bad.append(f"{path.name}: file is missing")
        return None
    try:
        df = pd.read_csv(path, dtype=_NAME_COLUMNS, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        df = pd.DataFrame(columns=columns)
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as exc:
        bad.append(f"{path.name}: cannot be read as CSV ({' '.join(str(exc).split())[:200]})")
        return None
    return df


def _columns(df: pd.DataFrame, name: str, columns: list[str], bad: list[str]) -> bool:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        bad.append(f"{name}: missing column(s) {', '.join(missing)}")
    return not missing


def _numeric(df: pd.DataFrame, name: str, columns: list[str], bad: list[str]) -> pd.DataFrame:
    """Coerce `columns` to numbers; report and drop rows with a missing, non-numeric or
    non-finite cell."""
    df = df.copy()
    drop = pd.Series(False, index=df.index)
    for col in columns:
        values = pd.to_numeric(df[col], errors="coerce").astype(float)
        wrong = ~np.isfinite(values)
        for row in df.index[wrong][:_MAX_SHOWN]:
            bad.append(f"{name} line {row + 2}: {col} {df.at[row, col]!r} is not a finite number")
        if wrong.sum() > _MAX_SHOWN:
            bad.append(f"{name}: ... and {int(wrong.sum()) - _MAX_SHOWN} more in column {col}")
        drop |= wrong
        df[col] = values
    return df[~drop]


def _integral(df: pd.DataFrame, name: str, columns: list[str], bad: list[str]) -> pd.DataFrame:
    """Turn period-like columns into ints; report and drop rows where they are not whole numbers
    in a sensible range."""
    drop = pd.Series(False, index=df.index)
    for col in columns:
        wrong = (df[col] != df[col].round()) | (df[col].abs() > 1e9)
        for row in df.index[wrong][:_MAX_SHOWN]:
            bad.append(f"{name} line {row + 2}: {col} {df.at[row, col]} is not a period number")
        drop |= wrong
    df = df[~drop].copy()
    df[columns] = df[columns].astype(np.int64)
    return df


def _orders(df: pd.DataFrame | None, bad: list[str]) -> pd.DataFrame | None:
    if df is None or not _columns(df, "orders.csv", _ORDER_COLUMNS, bad):
        return None
    df = _numeric(df.reset_index(drop=True), "orders.csv", _ORDER_COLUMNS[2:], bad)
    df = _integral(df, "orders.csv", ["period", "arrival_period"], bad)
    return df.assign(line=df.index + 2)


def _scenarios(df: pd.DataFrame | None, bad: list[str]) -> pd.DataFrame | None:
    if df is None or not _columns(df, "scenarios.csv", ["scenario", "probability"], bad):
        return None
    df = _numeric(df.reset_index(drop=True), "scenarios.csv", ["probability"], bad)
    for col in ["cost", *COMPONENTS]:
        if col in df.columns:  # a bad cost cell shows up as a cost mismatch, keep the scenario
            df[col] = pd.to_numeric(df[col], errors="coerce")
    for name in df.loc[df["scenario"].duplicated(), "scenario"].unique():
        bad.append(f"scenarios.csv: scenario {name} is listed more than once")
    if df.empty:
        bad.append("scenarios.csv: no scenarios")
        return None
    return df.drop_duplicates("scenario")


def _inventory_columns(instance: Any) -> list[str]:
    return [*_KEYS, "on_hand", _short_column(instance), "expedited", "arrived"]


def _inventory(df: pd.DataFrame | None, short: str, bad: list[str]) -> pd.DataFrame | None:
    columns = [*_KEYS, "on_hand", short, "expedited", "arrived"]
    if df is None or not _columns(df, "inventory.csv", columns, bad):
        return None
    df = _numeric(df.reset_index(drop=True), "inventory.csv", columns[2:], bad)
    return _integral(df, "inventory.csv", ["period"], bad)


def _read_outage_file(out: Path, instance: Any, bad: list[str]) -> pd.DataFrame | None:
    """The outages actually used: outages.csv of the plan, else the instance's."""
    path = out / "outages.csv"
    if not path.exists():
        given = _frame(getattr(instance, "outages", None), _OUTAGE_COLUMNS)
        if given.empty and getattr(instance, "scenarios", None) is None and _disruptive(instance):
            bad.append("outages.csv: file is missing, but the instance samples disruptions")
        return given
    return _read_csv(path, _OUTAGE_COLUMNS, bad)


def _outages(df: pd.DataFrame | None, instance: Any, bad: list[str]) -> pd.DataFrame | None:
    if df is None or not _columns(df, "outages.csv", _OUTAGE_COLUMNS, bad):
        return None
    df = _numeric(df.reset_index(drop=True), "outages.csv", ["start", "end"], bad)
    df = _integral(df, "outages.csv", ["start", "end"], bad)
    if "kind" not in df.columns:
        df = df.assign(kind="orders")  # the kind of outage of a plan written before kinds
    df["kind"] = df["kind"].fillna("orders").astype(str)
    return df.astype({"scenario": str, "target": str})


def _read_summary(path: Path, bad: list[str]) -> dict | None:
    if not path.exists():
        bad.append("summary.json: file is missing")
        return None
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as err:
        bad.append(f"summary.json: not valid JSON text ({' '.join(str(err).split())[:200]})")
        return None
    if not isinstance(summary, dict):
        bad.append(f"summary.json: holds a {type(summary).__name__}, not an object of metrics")
        return None
    return summary


def _frame(df: pd.DataFrame | None, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns) if df is None else df


def _disruptive(instance: Any) -> bool:
    regions = _frame(getattr(instance, "regions", None), ["disruption_prob"])
    probs = [
        instance.suppliers["disruption_prob"],
        regions.get("disruption_prob", pd.Series(dtype=float)),
    ]
    return any((p.fillna(0) > 0).any() for p in probs)


def _short_column(instance: Any) -> str:
    return "lost" if instance.shortage == "lost" else "backlog"


# --- orders ----------------------------------------------------------------------------------


def _annotate_orders(orders: pd.DataFrame, instance: Any, tol: float) -> pd.DataFrame:
    """Join each order line with its offer and supplier data and the price it should have paid."""
    offers = instance.offers.rename(columns={"unit_cost": "offer_unit_cost"})
    supplier_cols = ["region", "lead_time", "order_cost", "capacity", "contract_cost", "max_share"]
    o = orders.reset_index(drop=True)
    o = o.join(offers, on=["supplier", "item"]).join(
        instance.suppliers[supplier_cols], on="supplier"
    )
    o["has_offer"] = o["offer_unit_cost"].notna()
    breaks = _frame(instance.price_breaks, ["supplier", "item", "min_qty", "unit_cost"])
    o["price"] = _price(o, breaks, tol)
    o["paid"] = o["price"].fillna(o["unit_cost"])
    return o


def _price(orders: pd.DataFrame, breaks: pd.DataFrame, tol: float) -> pd.Series:
    """All-units price per line: the break with the largest min_qty <= quantity, else the offer."""
    price = orders["offer_unit_cost"].copy()
    if breaks.empty or orders.empty:
        return price
    lines = orders[["supplier", "item", "quantity"]].reset_index(names="row")
    hits = lines.merge(breaks, on=["supplier", "item"])
    # a quantity a hair below a break is solver noise, not a different tier
    hits = hits[hits["min_qty"] <= hits["quantity"] + tol * np.maximum(1, hits["quantity"])]
    best = hits.sort_values("min_qty").groupby("row")["unit_cost"].last()
    price.loc[best.index] = best
    return price


def _slack(limit: pd.Series | float, tol: float) -> pd.Series | float:
    return tol * np.maximum(1, np.abs(limit))


def _check_order_lines(o: pd.DataFrame, periods: int, tol: float) -> list[str]:
    """Rules for each order line on its own."""
    lot = o["lot_multiple"]
    lots = o["quantity"] / lot
    expected_arrival = o["period"] + o["lead_time"]
    rules = [
        (~o["has_offer"], "({supplier}, {item}) is not an offer", "item"),
        (
            (o["period"] < 1) | (o["period"] > periods),
            f"period {{period}} is outside 1..{periods}",
            "period",
        ),
        (
            o["has_offer"] & (o["arrival_period"] != expected_arrival),
            "arrival_period {arrival_period} is not period + lead_time = {expected_arrival:.10g}",
            "arrival_period",
        ),
        (
            o["arrival_period"] > periods,
            f"arrival_period {{arrival_period}} is after T = {periods}",
            "arrival_period",
        ),
        (o["quantity"] <= tol, "quantity {quantity:.10g} is not positive", "quantity"),
        (
            o["quantity"] < o["moq"] - _slack(o["moq"], tol),
            "quantity {quantity:.10g} is below moq {moq:.10g}",
            "quantity",
        ),
        (
            o["quantity"] > o["max_order"] + _slack(o["max_order"], tol),
            "quantity {quantity:.10g} is above max_order {max_order:.10g}",
            "quantity",
        ),
        (
            np.abs(lots - lots.round()) * lot > _slack(o["quantity"], tol),
            "quantity {quantity:.10g} is not a multiple of lot_multiple {lot_multiple:.10g}",
            "quantity",
        ),
        (
            np.abs(o["unit_cost"] - o["price"]) > _slack(o["price"], tol),
            "unit_cost {unit_cost:.10g}, expected {price:.10g} (price break for this quantity)",
            "unit_cost",
        ),
    ]
    rows = o.assign(expected_arrival=expected_arrival)
    problems = []
    for mask, template, column in rules:
        for _, row in rows[mask.fillna(False).astype(bool)].iterrows():
            where = f"orders.csv line {row['line']} ({row['supplier']}, {row['item']}, "
            text = f"{where}period {row['period']}): {template.format(**row)}"
            problems.append(Finding(text, row["line"], column))
    return problems


def _check_order_totals(
    o: pd.DataFrame, instance: Any, tol: float, whole_plan: bool = True
) -> list[str]:
    """Rules over several order lines: duplicates, capacity, and for a whole plan share and
    number of suppliers."""
    problems = []
    dup = o[o.duplicated(["supplier", "item", "period"], keep=False)]
    for (s, i, t), rows in dup.groupby(["supplier", "item", "period"]):
        problems.append(f"orders.csv: line ({s}, {i}, period {t}) appears {len(rows)} times")
    per_period = o.groupby(["supplier", "period"]).agg(
        units=("quantity", "sum"), cap=("capacity", "first")
    )
    over = per_period[per_period["units"] > _capacity_limit(per_period, tol)]
    for (s, t), row in over.iterrows():
        problems.append(
            f"orders.csv supplier {s}, period {t}: {row['units']:.10g} units ordered, "
            f"capacity {row['cap']:.10g}"
        )
    if not whole_plan:
        return problems
    problems += _check_shares(o, tol)
    used = o["supplier"].nunique()
    limit = getattr(instance, "max_suppliers", None)
    if limit is not None and not pd.isna(limit) and used > limit:
        problems.append(f"orders.csv: {used} suppliers used, max_suppliers {limit}")
    return problems


def _capacity_limit(per_period: pd.DataFrame, tol: float) -> pd.Series:
    return per_period["cap"] + _slack(per_period["cap"].replace(np.inf, 0), tol)


def _check_shares(o: pd.DataFrame, tol: float) -> list[str]:
    total = o["quantity"].sum()
    if total <= 0:
        return []
    share = o.groupby("supplier").agg(units=("quantity", "sum"), limit=("max_share", "first"))
    share["share"] = share["units"] / total
    over = share[share["share"] > share["limit"] + tol]
    return [
        f"orders.csv supplier {s}: share {row['share']:.10g} of all units, "
        f"max_share {row['limit']:.10g}"
        for s, row in over.iterrows()
    ]


# --- scenarios and availability ---------------------------------------------------------------


def _check_scenario_list(scenarios: pd.DataFrame, instance: Any) -> list[str]:
    problems = []
    p = scenarios["probability"]
    if abs(p.sum() - 1) > 1e-6:
        problems.append(f"scenarios.csv: probabilities sum to {p.sum():.10g}, expected 1")
    for _, row in scenarios[(p < 0) | (p > 1)].iterrows():
        problems.append(
            f"scenarios.csv scenario {row['scenario']}: "
            f"probability {row['probability']} is not in [0, 1]"
        )
    given = getattr(instance, "scenarios", None)
    if given is not None:
        expected = given.set_index("scenario")["probability"].astype(float)
        found = scenarios.set_index("scenario")["probability"]
        if set(expected.index) != set(found.index):
            problems.append(
                f"scenarios.csv: scenarios {sorted(found.index)}, "
                f"the instance has {sorted(expected.index)}"
            )
        else:
            for name in expected.index[np.abs(expected - found.reindex(expected.index)) > 1e-9]:
                problems.append(
                    f"scenarios.csv scenario {name}: probability {found[name]}, "
                    f"the instance has {expected[name]}"
                )
    return problems


def _every_scenario(outages: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Outages of scenario "*" (known for certain: outages.csv of the instance) in every
    scenario."""
    every = outages[outages["scenario"] == "*"]
    if every.empty:
        return outages
    copies = [every.assign(scenario=name) for name in names]
    return pd.concat([outages[outages["scenario"] != "*"], *copies], ignore_index=True)


def _check_outages(outages: pd.DataFrame, names: list[str], instance: Any) -> list[str]:
    suppliers = instance.suppliers
    regions = _frame(getattr(instance, "regions", None), [])
    targets = set(suppliers.index) | set(suppliers["region"]) | set(regions.index)
    problems = []
    for _, row in outages.iterrows():
        where = f"outages.csv scenario {row['scenario']}, target {row['target']}"
        if row["scenario"] not in names:
            problems.append(f"{where}: scenario is not in scenarios.csv")
        if row["target"] not in targets:
            problems.append(f"{where}: target is neither a supplier nor a region")
        if row["start"] > row["end"]:
            problems.append(f"{where}: start {row['start']} is after end {row['end']}")
        if row["kind"] not in ("orders", "transit"):
            problems.append(f"{where}: kind {row['kind']!r} is neither orders nor transit")
    return problems


def _unavailable(outages: pd.DataFrame, instance: Any, kind: str = "orders") -> pd.DataFrame:
    """(scenario, supplier, period) rows in which the supplier cannot ship (``kind`` "orders"),
    or in which nothing of it can arrive ("transit")."""
    outages = outages[outages["kind"] == kind]
    suppliers = instance.suppliers
    targets = pd.concat(
        [
            pd.DataFrame({"target": suppliers.index, "supplier": suppliers.index}),
            pd.DataFrame({"target": suppliers["region"].to_numpy(), "supplier": suppliers.index}),
        ]
    )
    hits = outages[_OUTAGE_COLUMNS].merge(targets, on="target")
    T = instance.periods
    hits["period"] = [
        list(range(max(a, 1), min(b, T) + 1))
        for a, b in zip(hits["start"], hits["end"], strict=True)
    ]
    down = hits.explode("period").dropna(subset=["period"])
    return down[["scenario", "supplier", "period"]].astype({"period": int}).drop_duplicates()


def _orders_per_scenario(
    orders: pd.DataFrame, names: list[str], down: pd.DataFrame, held: set, T: int
) -> pd.DataFrame:
    """Each order line in each scenario; `delivered` = supplier available in the order period;
    `arrives` = the period it arrives in (`_arrives`)."""
    per = pd.DataFrame({"scenario": names}).merge(orders, how="cross")
    per = per.merge(down, on=["scenario", "supplier", "period"], how="left", indicator=True)
    per["delivered"] = per.pop("_merge") == "left_only"
    per["arrives"] = _arrives(per, held, T)
    return per


def _arrives(rows: pd.DataFrame, held: set, T: int) -> list[int]:
    """The period each row's goods (scenario, supplier, arrival_period) arrive in: the first
    period from the one due in which no transit outage holds the supplier's goods (T + 1: after
    the horizon)."""
    if not held:
        return rows["arrival_period"].astype(int).tolist()
    out = []
    for w, s, a in zip(rows["scenario"], rows["supplier"], rows["arrival_period"], strict=True):
        a = int(a)
        while a <= T and (w, s, a) in held:
            a += 1
        out.append(a)
    return out


# --- inventory ---------------------------------------------------------------------------------


def _build_cube(
    inventory: pd.DataFrame,
    per_scenario: pd.DataFrame,
    pipeline: pd.DataFrame,
    names: list[str],
    instance: Any,
    problems: list[str],
) -> _Cube:
    items = list(instance.items.index)
    grid = pd.MultiIndex.from_product([names, items, range(1, instance.periods + 1)], names=_KEYS)
    problems += _check_inventory_rows(inventory, grid)
    lines = np.arange(len(inventory)) + 2
    inv = inventory.assign(line=lines).drop_duplicates(_KEYS).set_index(_KEYS).reindex(grid)
    shape = (len(names), len(items), instance.periods)

    def cube(values: pd.Series | np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=float).reshape(shape)

    return _Cube(
        scenarios=names,
        items=items,
        on_hand=cube(inv["on_hand"]),
        short=cube(inv[_short_column(instance)]),
        expedited=cube(inv["expedited"]),
        arrived=cube(inv["arrived"]),
        arrivals=cube(_arrivals(per_scenario, pipeline, grid)),
        demand=cube(_demand(instance.demand, grid, problems)),
        line=cube(inv["line"]),
        sources=_sources(per_scenario),
    )


def _sources(per_scenario: pd.DataFrame) -> dict:
    delivered = per_scenario[per_scenario["delivered"]]
    keys = ["scenario", "item", "arrives"]
    return {k: list(v) for k, v in delivered.groupby(keys)["line"]}


def _check_inventory_rows(inventory: pd.DataFrame, grid: pd.MultiIndex) -> list[str]:
    """Every scenario x item x period exactly once, and nothing else."""
    keys = pd.MultiIndex.from_frame(inventory[_KEYS])
    problems = []
    for key in keys[keys.duplicated()].unique():
        problems.append(f"inventory.csv: row {_where(key)} appears more than once")
    for key in keys[~keys.isin(grid)].unique():
        problems.append(
            f"inventory.csv: unexpected row {_where(key)} (unknown scenario, item or period)"
        )
    for key in grid.difference(keys, sort=False):
        problems.append(f"inventory.csv: missing row {_where(key)}")
    return problems


def _where(key: tuple) -> str:
    scenario, item, period = key
    return f"scenario {scenario}, item {item}, period {period}"


def _arrivals(
    per_scenario: pd.DataFrame, pipeline: pd.DataFrame, grid: pd.MultiIndex
) -> np.ndarray:
    """Units arriving per grid cell: delivered orders of that scenario plus its pipeline, in the
    period they arrive (rows held past the horizon fall outside the grid)."""
    delivered = per_scenario[per_scenario["delivered"]]
    keys = ["scenario", "item", "arrives"]
    ordered = delivered.groupby(keys)["quantity"].sum().astype(float)
    piped = pipeline.groupby(keys)["quantity"].sum().astype(float)
    both = ordered.add(piped, fill_value=0.0).rename_axis(_KEYS)
    return both.reindex(grid, fill_value=0.0).to_numpy(float)


def _demand(demand: pd.DataFrame, grid: pd.MultiIndex, problems: list[str]) -> np.ndarray:
    """Demand per grid cell: the scenario's own series, or the single series in every scenario."""
    if "scenario" in demand.columns:
        series = demand.groupby(_KEYS)["demand"].sum()
        for name in set(grid.get_level_values(0)) - set(series.index.get_level_values(0)):
            problems.append(f"scenarios.csv scenario {name}: the instance has no demand for it")
        values = series.reindex(grid)
    else:
        series = demand.groupby(["item", "period"])["demand"].sum()
        values = series.reindex(
            pd.MultiIndex.from_arrays([grid.get_level_values(1), grid.get_level_values(2)])
        )
    return values.fillna(0.0).to_numpy(float)


def _check_inventory(c: _Cube, instance: Any, tol: float) -> list[str]:
    items = instance.items
    short = _short_column(instance)
    no_spot = items["expedite_cost"].isna().to_numpy()[None, :, None]
    problems = _cells(
        c,
        np.abs(c.arrived - c.arrivals) > tol * np.maximum(1, c.arrivals),
        lambda k: (
            f"arrived {c.arrived[k]:.10g}, expected {c.arrivals[k]:.10g} "
            f"(pipeline + orders delivered){_delivered_lines(c, k)}"
        ),
        "arrived",
    )
    problems += _check_balance(c, items["initial_inventory"].to_numpy(float), short, tol)
    problems += _cells(
        c, c.on_hand < -tol, lambda k: f"on_hand {c.on_hand[k]:.10g} is negative", "on_hand"
    )
    problems += _cells(
        c, c.short < -tol, lambda k: f"{short} {c.short[k]:.10g} is negative", short
    )
    problems += _cells(
        c, c.expedited < -tol, lambda k: f"expedited {c.expedited[k]:.10g} is negative", "expedited"
    )
    problems += _cells(
        c,
        no_spot & (c.expedited > tol),
        lambda k: f"expedited {c.expedited[k]:.10g} but the item has no expedite_cost",
        "expedited",
    )
    if short == "lost":
        problems += _cells(
            c,
            c.short > c.demand + tol * np.maximum(1, c.demand),
            lambda k: f"lost {c.short[k]:.10g} exceeds demand {c.demand[k]:.10g}",
            "lost",
        )
    capacity = getattr(instance, "warehouse_capacity", None)
    return problems + _check_warehouse(c, items["volume"].to_numpy(float), capacity, tol)


def _delivered_lines(c: _Cube, k: tuple) -> str:
    """The lines of orders.csv delivered in cell ``k``, for a message."""
    s, i, t = k
    lines = c.sources.get((c.scenarios[s], c.items[i], t + 1), [])
    if not lines:
        return ""
    shown = ", ".join(str(int(n)) for n in lines[:5]) + (", ..." if len(lines) > 5 else "")
    return f"; delivered then: orders.csv line{'s' if len(lines) > 1 else ''} {shown}"


def _check_balance(c: _Cube, initial: np.ndarray, short: str, tol: float) -> list[str]:
    """Backlog: I - B = I' - B' + A + E - d; lost: I = I' + A + E - d + L (' = previous period)."""
    stock = c.on_hand - c.short if short == "backlog" else c.on_hand
    start = np.broadcast_to(initial[None, :, None], (len(c.scenarios), len(c.items), 1))
    previous = np.concatenate([start, stock[:, :, :-1]], axis=2)
    expected = previous + c.arrivals + c.expedited - c.demand
    if short == "lost":
        expected = expected + c.short
    scale = np.maximum.reduce(
        [np.ones_like(stock), np.abs(previous), c.arrivals, c.demand, np.abs(stock)]
    )
    label = "on_hand - backlog" if short == "backlog" else "on_hand"

    def describe(k: tuple) -> str:
        terms = (
            f"previous {previous[k]:.10g} + arrived {c.arrivals[k]:.10g} "
            f"+ expedited {c.expedited[k]:.10g} - demand {c.demand[k]:.10g}"
        )
        if short == "lost":
            terms += f" + lost {c.short[k]:.10g}"
        return f"balance broken: {label} = {stock[k]:.10g}, expected {expected[k]:.10g} ({terms})"

    return _cells(c, np.abs(stock - expected) > tol * scale, describe, "on_hand")


def _check_warehouse(c: _Cube, volume: np.ndarray, capacity: float | None, tol: float) -> list[str]:
    if capacity is None or pd.isna(capacity):
        return []
    used = np.nansum(volume[None, :, None] * c.on_hand, axis=1)
    over = np.argwhere(used > capacity + _slack(capacity, tol))
    return [
        f"inventory.csv scenario {c.scenarios[s]}, period {t + 1}: "
        f"volume on hand {used[s, t]:.10g}, warehouse_capacity {capacity:.10g}"
        for s, t in over
    ]


def _cells(
    c: _Cube, mask: np.ndarray, describe: Callable[[tuple], str], column: str | None = None
) -> list[Finding]:
    """One problem per (scenario, item, period) cell where `mask` holds, at its line and
    ``column`` of inventory.csv."""
    problems = []
    for s, i, t in np.argwhere(mask):
        where = _where((c.scenarios[s], c.items[i], t + 1))
        line = c.line[s, i, t]
        row = int(line) if np.isfinite(line) else None
        problems.append(Finding(f"inventory.csv {where}: {describe((s, i, t))}", row, column))
    return problems


# --- costs and metrics --------------------------------------------------------------------------


def _scenario_costs(
    c: _Cube, orders: pd.DataFrame, per_scenario: pd.DataFrame, instance: Any
) -> pd.DataFrame:
    """Cost components and total per scenario, recomputed from the tables."""
    items = instance.items

    def per_item(column: str) -> np.ndarray:
        if column not in items.columns:  # an optional column (salvage_value) an instance lacks
            return np.zeros((1, len(items), 1))
        return items[column].fillna(0.0).to_numpy(float)[None, :, None]

    bought = per_scenario[per_scenario["delivered"]]
    purchase = (bought["quantity"] * bought["paid"]).groupby(bought["scenario"]).sum()
    setups = orders.drop_duplicates(["supplier", "period"])["order_cost"].fillna(0).sum()
    contracts = orders.drop_duplicates("supplier")["contract_cost"].fillna(0).sum()
    costs = pd.DataFrame(index=pd.Index(c.scenarios, name="scenario"))
    costs["purchase"] = purchase.reindex(costs.index, fill_value=0.0)
    costs["ordering"] = setups + orders["line_cost"].fillna(0).sum()
    costs["contract"] = contracts
    costs["holding"] = np.nansum(per_item("holding_cost") * c.on_hand, axis=(1, 2))
    costs["shortage"] = np.nansum(per_item("shortage_cost") * c.short, axis=(1, 2))
    costs["expedite"] = np.nansum(per_item("expedite_cost") * c.expedited, axis=(1, 2))
    costs["terminal"] = 0.0
    if instance.shortage != "lost":
        costs["terminal"] = np.nansum(
            per_item("terminal_backlog_cost")[:, :, 0] * c.short[:, :, -1], axis=1
        )
    costs["salvage"] = -np.nansum(per_item("salvage_value")[:, :, 0] * c.on_hand[:, :, -1], axis=1)
    costs["cost"] = costs[list(COMPONENTS)].sum(axis=1)
    return costs


def _close(a: float, b: float, rtol: float) -> bool:
    return abs(a - b) <= rtol * max(1.0, abs(a), abs(b))


def _compare_scenario_costs(costs: pd.DataFrame, scenarios: pd.DataFrame, rtol: float) -> list[str]:
    problems = []
    written = scenarios.assign(line=np.arange(len(scenarios)) + 2).set_index("scenario")
    for column in [*COMPONENTS, "cost"]:
        if column not in written.columns:
            if column == "salvage" and not costs[column].any():
                continue  # a plan written before salvage values existed, and none in play
            problems.append(Finding(f"scenarios.csv: missing column {column}", column=column))
            continue
        for name in costs.index:
            found, expected = written.at[name, column], costs.at[name, column]
            if not _close(found, expected, rtol):
                text = (
                    f"scenarios.csv scenario {name}: {column} {found:.10g}, "
                    f"recomputed {expected:.10g}"
                )
                problems.append(Finding(text, written.at[name, "line"], column))
    return problems


def _cvar(cost: np.ndarray, p: np.ndarray, alpha: float) -> float:
    """Rockafellar-Uryasev CVaR of a discrete distribution: the minimum is at one of the costs."""
    excess = np.maximum(0.0, cost[None, :] - cost[:, None])  # [eta, scenario]
    return float((cost + excess @ p / (1 - alpha)).min())


def _set_metrics(report: CheckReport, costs: pd.DataFrame, c: _Cube, instance: Any) -> None:
    p = costs["probability"].to_numpy(float)
    cost = costs["cost"].to_numpy(float)
    risk = getattr(instance, "risk", None)
    alpha = getattr(risk, "alpha", None) or 0.9
    report.scenario_costs = costs
    report.expected_costs = {k: float(p @ costs[k].to_numpy(float)) for k in COMPONENTS}
    report.expected_cost = float(p @ cost)
    report.worst_case_cost = float(cost.max())
    report.cvar = _cvar(cost, p, alpha)
    report.objective = report.expected_cost
    if getattr(risk, "measure", "expected") == "cvar":
        weight = risk.weight
        report.objective = (1 - weight) * report.expected_cost + weight * report.cvar
    # Units short in their own period; backlog mode serves older backlog first: min(d, B).
    short = c.short if instance.shortage == "lost" else np.minimum(c.demand, c.short)
    report.fill_rate = _fill_rate(c.demand, short, p)
    report.var = _var(cost, p, alpha)
    report.stockout_probability = float(p @ (np.nan_to_num(short).max(axis=(1, 2)) > 1e-6))
    report.alpha = float(alpha)
    report.std_error = _std_error(cost, p)
    per_period = np.nansum(_unit_value(instance)[None, :, None] * c.on_hand, axis=1)
    report.mean_on_hand_value = float(p @ per_period.mean(axis=1))


def _std_error(cost: np.ndarray, p: np.ndarray) -> float:
    """The standard error of the probability-weighted mean cost: for n scenarios, the square root
    of n/(n-1) times the weighted variance of p * cost's terms (s / sqrt(n) when all p = 1/n)."""
    n = len(cost)
    if n < 2:
        return 0.0
    deviation = cost - (p * cost).sum()
    return float(np.sqrt((p * p * deviation * deviation).sum() * n / (n - 1)))


def _unit_value(instance: Any) -> np.ndarray:
    """A unit in stock is worth its item's cheapest price (offer or price break), else the
    item's expedite cost, else 0."""
    prices = [instance.offers["unit_cost"].groupby(level="item").min()]
    breaks = _frame(instance.price_breaks, ["supplier", "item", "min_qty", "unit_cost"])
    if len(breaks):
        prices.append(breaks.groupby("item")["unit_cost"].min())
    cheapest = pd.concat(prices).groupby(level=0).min()
    items = instance.items
    return cheapest.reindex(items.index).fillna(items["expedite_cost"]).fillna(0.0).to_numpy(float)


def _var(cost: np.ndarray, p: np.ndarray, alpha: float) -> float:
    """Value at risk: the smallest scenario cost c with P[cost <= c] >= alpha (the largest cost
    when the probabilities sum to less than alpha)."""
    reached = [c for c in sorted(cost) if p[cost <= c].sum() >= alpha - 1e-12]
    return float(reached[0] if reached else cost.max())


def _fill_rate(demand: np.ndarray, short: np.ndarray, p: np.ndarray) -> float:
    """1 - E[sum short] / E[sum d]."""
    demand = p @ demand.sum(axis=(1, 2))
    if demand <= 0:
        return 1.0
    return float(1 - p @ np.nansum(short, axis=(1, 2)) / demand)


def _check_summary(
    summary: dict, report: CheckReport, orders: pd.DataFrame, rtol: float
) -> list[str]:
    expected: dict[str, float] = {"objective": report.objective}
    for key in METRIC_CHECKS:  # those of an older summary.json may be missing
        if key in summary or key in ("expected_cost", "worst_case_cost", "cvar", "fill_rate"):
            expected[key] = getattr(report, key)
    found: dict[str, Any] = {key: summary.get(key) for key in expected}
    costs = summary.get("costs") or {}
    for key in COMPONENTS:
        expected[f"costs.{key}"] = report.expected_costs[key]
        found[f"costs.{key}"] = costs.get(key)
    problems = []
    for key, value in expected.items():
        if not isinstance(found[key], (int, float)):
            text = f"summary.json: {key} is {found[key]!r}, recomputed {value:.10g}"
            problems.append(Finding(text, column=key))
        elif not _close(found[key], value, rtol):
            text = f"summary.json: {key} {found[key]:.10g}, recomputed {value:.10g}"
            problems.append(Finding(text, column=key))
    return problems + _check_summary_facts(summary, report, orders, rtol)


def _check_shares_summary(summary: dict, orders: pd.DataFrame, rtol: float) -> list[str]:
    """supplier_share and region_share: each supplier's (region's) units over all units ordered."""
    problems = []
    total = orders["quantity"].sum()
    for key, column in (("supplier_share", "supplier"), ("region_share", "region")):
        if key not in summary:
            continue
        units = orders.groupby(column)["quantity"].sum()
        expected = {k: v / total for k, v in units.items()} if total > 0 else {}
        found = summary[key] or {}
        if set(found) != set(expected):
            text = f"summary.json: {key} names {sorted(found)}, orders.csv {sorted(expected)}"
            problems.append(Finding(text, column=key))
            continue
        for name, share in expected.items():
            if not _close(found[name], share, rtol):
                text = f"summary.json: {key}[{name}] {found[name]:.10g}, recomputed {share:.10g}"
                problems.append(Finding(text, column=key))
    return problems


def _check_summary_facts(
    summary: dict, report: CheckReport, orders: pd.DataFrame, rtol: float
) -> list[str]:
    problems = []
    count = len(report.scenario_costs)
    if summary.get("scenarios") != count:
        problems.append(
            f"summary.json: scenarios {summary.get('scenarios')!r}, scenarios.csv has {count}"
        )
    if summary.get("status") not in ("optimal", "feasible"):
        problems.append(
            f"summary.json: status {summary.get('status')!r}, "
            "expected optimal or feasible for a written plan"
        )
    used = sorted(orders["supplier"].unique())
    if "suppliers_used" in summary and sorted(summary["suppliers_used"]) != used:
        problems.append(
            f"summary.json: suppliers_used {summary['suppliers_used']}, orders.csv uses {used}"
        )
    problems += _check_shares_summary(summary, orders, rtol)
    bound, objective = summary.get("bound"), summary.get("objective")
    numbers = isinstance(bound, (int, float)) and isinstance(objective, (int, float))
    if numbers and bound > objective and not _close(bound, objective, rtol):
        problems.append(f"summary.json: bound {bound:.10g} is above objective {objective:.10g}")
    return problems


# --- the model's rules, checked here in the checker's own terms ---------------------------------

# For each constraint family of the model (`jitopt.model.FAMILIES`, named as in
# models/formulation.md), the function of this checker that verifies it independently.
# tests/test_model_registry.py fails when a family has no entry.
RULES: dict[str, Callable] = {
    "line_setup_link": _scenario_costs,  # a line cost for every order line
    "min_order_quantity": _check_order_lines,
    "price_tiers": _check_order_lines,  # the unit cost of the line's tier
    "order_setup_link": _scenario_costs,  # an order cost for every supplier-period with lines
    "supplier_contract_link": _scenario_costs,  # a contract cost for every supplier with lines
    "lot_multiple": _check_order_lines,
    "supplier_capacity": _check_order_totals,
    "max_share": _check_shares,
    "max_suppliers": _check_order_totals,
    "inventory_balance": _check_balance,
    "warehouse_capacity": _check_warehouse,
    "total_cost": _check_summary,  # the objective against the costs recomputed per scenario
    "cvar_excess_def": _set_metrics,  # CVaR recomputed from the scenario costs (`_cvar`)
}

# Every metric of `jitopt.metrics.METRICS` (the keys of summary.json), recomputed here in the
# checker's own way, as the `CheckReport` attribute of the same name; "costs" as
# ``expected_costs``, component by component. tests/test_check.py fails when a metric is missing.
METRIC_CHECKS = (
    "expected_cost",
    "std_error",
    "cvar",
    "var",
    "alpha",
    "worst_case_cost",
    "fill_rate",
    "stockout_probability",
    "mean_on_hand_value",
)
