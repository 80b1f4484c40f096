"""Written plans read back: `read_plan` (`jitopt.Plan.read`) for a plan folder, and the one
reader of orders.csv (`read_orders`, `typed_orders`) that every command reading a plan uses.
Every problem is an `InstanceError` (subject "plan") naming file, row and column."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from jitopt.check import check_orders
from jitopt.errors import InstanceError, Problem
from jitopt.instance import Instance
from jitopt.plan import Plan, Status, price_orders, with_arrivals

ORDER_COLUMNS = ("supplier", "item", "period", "quantity")
# Tables of a plan folder besides orders.csv, as `Plan` fields
TABLE_FIELDS = {
    "inventory.csv": "inventory",
    "scenarios.csv": "scenario_costs",
    "outages.csv": "outages",
}


def read_plan(out_dir: str | Path) -> Plan:
    """The plan written in ``out_dir`` (by `jitopt solve`, `jitopt plan`, or a plan of `jitopt
    compare`): status and summary from summary.json; order lines from orders.csv (supplier, item,
    period and quantity checked, lines of quantity 0 dropped); the other tables when present.
    Columns come in the order written, dates as datetimes, numbers as numbers. A folder whose run
    found no plan gives a `Plan` without tables. Nothing is checked against an instance: see
    `jitopt.check`."""
    folder = Path(out_dir)
    if not folder.is_dir():
        raise InstanceError([Problem(str(folder), "is not a plan folder")], "plan")
    summary = _summary(folder / "summary.json")
    status = _status(summary, folder / "summary.json")
    if not status.has_plan:
        return Plan(status, summary)
    source, frame = read_orders(folder)
    typed = typed_orders(frame, source)
    orders = frame.iloc[typed["line"].to_numpy() - 2].reset_index(drop=True)
    for column in ORDER_COLUMNS:  # checked and typed
        orders[column] = typed[column].to_numpy()
    orders = _typed_as_written(orders)
    tables = {}
    for file, name in TABLE_FIELDS.items():
        if (folder / file).is_file():
            tables[name] = _typed_as_written(_table(folder / file))
    return Plan(status, summary, orders=orders, **tables)


def _typed_as_written(frame: pd.DataFrame) -> pd.DataFrame:
    """The written columns as a plan holds them: dates as datetimes, whole-number columns as
    integers, the other numbers as floats; names stay text."""
    frame = frame.copy()
    for column in frame.columns:
        if column == "date":
            frame[column] = pd.to_datetime(frame[column], errors="coerce")
        elif column not in ("scenario", "supplier", "item", "target", "demand_series"):
            numbers = pd.to_numeric(frame[column], errors="coerce")
            if column in ("period", "arrival_period", "start", "end"):
                numbers = numbers.astype("Int64") if numbers.isna().any() else numbers.astype(int)
            frame[column] = numbers
    return frame


def _summary(path: Path) -> dict:
    if not path.is_file():
        return {}
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InstanceError([Problem(str(path), f"cannot be read: {exc}")], "plan") from None
    if not isinstance(summary, dict):
        raise InstanceError([Problem(str(path), "is not a JSON object")], "plan")
    return summary


def _status(summary: dict, path: Path) -> Status:
    """The status summary.json gives; a folder with only orders.csv holds a plan."""
    value = summary.get("status", Status.FEASIBLE.value)
    try:
        return Status(value)
    except ValueError:
        known = ", ".join(s.value for s in Status)
        raise InstanceError(
            [Problem(str(path), f"status {value!r} is not one of {known}")], "plan"
        ) from None


def _table(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype={"scenario": str, "supplier": str, "item": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, OSError) as exc:
        reason = " ".join(str(exc).split())[:200]
        problem = Problem(str(path), f"cannot be read as CSV: {reason}")
        raise InstanceError([problem], "plan") from None


def read_orders(path: str | Path) -> tuple[str, pd.DataFrame]:
    """(name for messages, the orders table as text) of a plan folder or an orders CSV file."""
    path = Path(path)
    file = path / "orders.csv" if path.is_dir() else path
    if not file.is_file():
        what = "has no orders.csv: not a plan folder" if path.is_dir() else "is not a plan"
        raise InstanceError([Problem(str(path), what)], "plan")
    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame(columns=list(ORDER_COLUMNS))
    except (pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise InstanceError(
            [Problem(str(file), f"cannot be read as CSV: {' '.join(str(exc).split())[:200]}")],
            "plan",
        ) from None
    return str(file), frame


def typed_orders(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """supplier and item as text, period a whole number, quantity a finite number >= 0; rows
    with quantity 0 are dropped (a line not placed)."""
    problems = []
    missing = [c for c in ORDER_COLUMNS if c not in frame.columns]
    if missing:
        need = ", ".join(ORDER_COLUMNS)
        raise InstanceError(
            [Problem(source, f"missing column(s) {', '.join(missing)} (a plan needs {need})")],
            "plan",
        )
    frame = frame.reset_index(drop=True)
    out = pd.DataFrame({"line": frame.index + 2})
    for c in ("supplier", "item"):
        out[c] = frame[c].astype(str).str.strip()
        for row in np.flatnonzero(out[c] == ""):
            problems.append(Problem(source, "is empty", int(row) + 2, c))
    for c in ("period", "quantity"):
        values = pd.to_numeric(frame[c], errors="coerce").astype(float)
        bad = ~np.isfinite(values) | (values < 0)
        if c == "period":
            bad |= values != values.round()
        for row in np.flatnonzero(bad):
            kind = "a period number" if c == "period" else "a finite number >= 0"
            problems.append(Problem(source, f"{frame[c].iloc[row]!r} is not {kind}", row + 2, c))
        out[c] = values
    if problems:
        raise InstanceError(problems, "plan")
    out = out[out["quantity"] > 0].astype({"period": np.int64})
    return out.reset_index(drop=True)


def plan_lines(
    inst: Instance, orders: pd.DataFrame | str | Path, *, whole_plan: bool = True
) -> pd.DataFrame:
    """The plan's order lines, read (a folder with orders.csv, or a CSV file), checked against
    the instance's ordering rules (``whole_plan=False``: not those over the whole horizon,
    `jitopt.check.check_orders`) and priced: supplier, item, period, quantity, arrival_period,
    unit_cost. Every problem: `InstanceError`."""
    if isinstance(orders, pd.DataFrame):
        source, frame = "orders", orders
    else:
        source, frame = read_orders(orders)
    frame = typed_orders(frame, source)
    problems = [
        Problem(source, message.removeprefix("orders.csv "))
        for message in check_orders(inst, frame, whole_plan=whole_plan)
    ]
    if problems:
        raise InstanceError(problems, "plan")
    return with_arrivals(inst, price_orders(inst, frame[list(ORDER_COLUMNS)]))
