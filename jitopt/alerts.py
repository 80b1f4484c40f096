"""Reorder alerts (issue 14): what a plan says to order now, what falls due soon, what is overdue.

    table = jitopt.alerts("out/", as_of="2027-01-18", within=2, placed="placed.csv")

From a plan folder (`jitopt solve`, `jitopt plan`): its orders.csv, and its inventory.csv for the
horizon and the date of each period. ``as_of`` is a period number, or a date of a plan with dates
(the period that contains it). Each order line of the plan gets at most one status:

- ``order now``: placed in the as-of period;
- ``due``: placed in one of the ``within`` periods after it;
- ``overdue``: placed before it and not listed in ``placed``.

``placed`` (a CSV: supplier, item, period or date -- any date of the period --, optionally
quantity) lists the lines already placed: they are not listed, whatever their period, and a
smaller quantity leaves the rest. Its rows that match no line of the plan, or that place more
than the line, are named in ``notes``. Without ``placed`` no line is known to be placed: every
earlier line is overdue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from jitopt.errors import InstanceError, Problem
from jitopt.periods import period_at
from jitopt.plan_files import read_plan

__all__ = ["STATUSES", "Alerts", "alerts", "period_dates"]

STATUSES = ("overdue", "order now", "due")
COLUMNS = [
    "status",
    "supplier",
    "item",
    "period",
    "date",
    "arrival_period",
    "arrival_date",
    "quantity",
    "unit_cost",
    "value",
]
_TOL = 1e-6  # units: a placed quantity this close to the plan's covers the line


@dataclass
class Alerts:
    """``lines`` (`COLUMNS`), as of ``period`` (and its ``date``, None without dates), looking
    ``within`` periods ahead; ``placed``: whether a list of placed lines was given."""

    lines: pd.DataFrame
    period: int
    date: pd.Timestamp | None
    within: int
    placed: bool
    notes: list[str] = field(default_factory=list)  # placed rows that match no line, or too many

    def counts(self) -> dict[str, dict]:
        """Lines, units and value per status."""
        out = {}
        for status in STATUSES:
            rows = self.lines[self.lines["status"] == status]
            out[status] = {
                "lines": len(rows),
                "units": float(rows["quantity"].sum()),
                "value": float(rows["value"].sum()),
            }
        return out

    def to_json(self) -> dict:
        lines = self.lines.copy()
        for column in ("date", "arrival_date"):
            if column in lines:
                lines[column] = lines[column].dt.strftime("%Y-%m-%d")
        return {
            "as_of": {
                "period": self.period,
                "date": None if self.date is None else self.date.strftime("%Y-%m-%d"),
            },
            "within": self.within,
            "placed_given": self.placed,
            "notes": self.notes,
            "counts": self.counts(),
            "lines": lines.to_dict(orient="records"),
        }


def period_dates(inventory: pd.DataFrame | None) -> tuple[int, pd.Series | None]:
    """The horizon T and each period's date (a Series indexed by period; None without dates),
    from a plan's inventory.csv."""
    if inventory is None or inventory.empty:
        raise InstanceError(
            [Problem("inventory.csv", "is missing: the plan's horizon is not known")], "plan"
        )
    T = int(inventory["period"].max())
    if "date" not in inventory.columns:
        return T, None
    dates = inventory.drop_duplicates("period").set_index("period")["date"].sort_index()
    return T, pd.to_datetime(dates)


def _as_of_period(as_of, T: int, dates: pd.Series | None) -> int:
    if dates is None:
        return period_at(as_of, None, None, "alerts", T)
    step = dates.iloc[-1] - dates.iloc[-2] if len(dates) > 1 else pd.Timedelta(days=7)
    starts = pd.DatetimeIndex(dates.to_numpy())
    return period_at(as_of, starts, dates.iloc[-1] + step, "alerts", T)


def alerts(
    plan_dir: str | Path,
    as_of: str | int,
    within: int = 0,
    placed: str | Path | pd.DataFrame | None = None,
) -> Alerts:
    """The `Alerts` of the plan in ``plan_dir`` as of ``as_of`` (see the module's description):
    lines in `COLUMNS`, overdue first, then order now, then due; by period, supplier and item.
    Bad input: `InstanceError` naming every problem."""
    if isinstance(within, bool) or not isinstance(within, (int, np.integer)) or within < 0:
        problem = Problem("--within", f"must be a whole number >= 0, got {within!r}")
        raise InstanceError([problem], "alerts")
    plan = read_plan(plan_dir)
    if not plan.status.has_plan:
        raise InstanceError(
            [Problem(str(plan_dir), f"holds no plan (status {plan.status.value})")], "plan"
        )
    T, dates = period_dates(plan.inventory)
    k = _as_of_period(as_of, T, dates)
    orders = plan.orders.copy()
    if "unit_cost" not in orders.columns:
        orders["unit_cost"] = np.nan
    if "arrival_period" not in orders.columns:
        orders["arrival_period"] = pd.NA
    left = orders["quantity"].astype(float)  # what is left to place
    notes: list[str] = []
    if placed is not None:
        done, rows = _placed(placed, dates, T)
        key = list(zip(orders["supplier"], orders["item"], orders["period"]))
        left = left - pd.Series([done.get(x, 0.0) for x in key], index=orders.index)
        notes = _unmatched(done, rows, dict(zip(key, orders["quantity"])), where=str(placed))
    status = pd.Series(None, index=orders.index, dtype=object)
    status[orders["period"] < k] = "overdue"
    status[orders["period"] == k] = "order now"
    status[(orders["period"] > k) & (orders["period"] <= k + within)] = "due"
    status[left <= _TOL] = None  # placed in full
    out = orders.assign(status=status, quantity=left.clip(lower=0.0))
    out = out[out["status"].notna()].copy()
    out["date"] = out["period"].map(dates) if dates is not None else pd.NaT
    out["arrival_date"] = out["arrival_period"].map(dates) if dates is not None else pd.NaT
    out["value"] = (out["quantity"] * out["unit_cost"]).round(2)
    out["rank"] = out["status"].map({s: n for n, s in enumerate(STATUSES)})
    out = out.sort_values(["rank", "period", "supplier", "item"], kind="stable")
    if dates is None:
        out = out.drop(columns=["date", "arrival_date"])
    columns = [c for c in COLUMNS if c in out.columns]
    date = None if dates is None else dates.loc[k]
    lines = out[columns].reset_index(drop=True)
    return Alerts(lines, k, date, int(within), placed is not None, notes)


def _unmatched(done: dict, rows: dict, planned: dict, where: str) -> list[str]:
    """Notes for placed lines that are no line of the plan, or more than it."""
    notes = []
    for key, units in done.items():
        s, i, t = key
        what = f"{where}, row {rows[key]}: {s}, {i}, period {t}"
        if key not in planned:
            notes.append(f"{what} is no line of the plan")
        elif np.isfinite(units) and units > planned[key] + _TOL:
            notes.append(f"{what}: {units:g} placed, the plan has {planned[key]:g}")
    return notes


def _placed(placed, dates: pd.Series | None, T: int) -> tuple[dict, dict]:
    """Units placed per (supplier, item, period) from the --placed table, and the row that
    first names each; every problem with its row and column."""
    where = str(placed) if not isinstance(placed, pd.DataFrame) else "placed"
    if isinstance(placed, pd.DataFrame):
        frame = placed.astype(str)
    else:
        path = Path(placed)
        if not path.is_file():
            raise InstanceError([Problem(where, "is not a file (--placed)")], "placed orders")
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            problem = Problem(where, f"cannot be read as CSV ({exc})")
            raise InstanceError([problem], "placed orders") from None
    problems = []
    for column in ("supplier", "item"):
        if column not in frame.columns:
            problems.append(Problem(where, "required column is missing", column=column))
    if "period" not in frame.columns and "date" not in frame.columns:
        problems.append(Problem(where, "give a period or a date column", column="period"))
    if problems:
        raise InstanceError(problems, "placed orders")
    done: dict = {}
    first: dict = {}
    for pos, row in frame.reset_index(drop=True).iterrows():
        line = pos + 2
        period = _row_period(row, dates, T, where, line, problems)
        quantity = np.inf
        if "quantity" in frame.columns and str(row["quantity"]).strip():
            try:
                quantity = float(row["quantity"])
            except ValueError:
                quantity = np.nan
            if not (np.isfinite(quantity) and quantity >= 0):
                message = f"{row['quantity']!r} is not a number >= 0"
                problems.append(Problem(where, message, line, "quantity"))
                continue
        if period is not None:
            key = (str(row["supplier"]).strip(), str(row["item"]).strip(), period)
            done[key] = done.get(key, 0.0) + quantity
            first.setdefault(key, line)
    if problems:
        raise InstanceError(problems, "placed orders")
    return done, first


def _row_period(row, dates, T: int, where: str, line: int, problems: list) -> int | None:
    """The period of a placed row: its period, or the period that contains its date (both
    given: they must agree)."""
    text = str(row.get("period", "")).strip()
    period = None
    if text:
        if not text.isdigit() or not 1 <= int(text) <= T:
            message = f"{text!r} is not a period of the plan (1..{T})"
            problems.append(Problem(where, message, line, "period"))
            return None
        period = int(text)
    day = str(row.get("date", "")).strip()
    if not day:
        if period is None:
            problems.append(Problem(where, "gives neither a period nor a date", line, "period"))
        return period
    if dates is None:
        problems.append(Problem(where, "give the period: the plan has no dates", line, "date"))
        return None
    try:
        starts = pd.DatetimeIndex(dates.to_numpy())
        step = starts[-1] - starts[-2] if len(starts) > 1 else pd.Timedelta(days=7)
        dated = period_at(day, starts, starts[-1] + step, "placed orders", T)
    except InstanceError as exc:
        problems.append(Problem(where, exc.problems[0].message, line, "date"))
        return None
    if period is not None and period != dated:
        message = f"period {period} and date {day} (period {dated}) disagree"
        problems.append(Problem(where, message, line, "date"))
        return None
    return dated
