"""The validated `Instance`: read from a directory of CSV files or from pandas DataFrames."""

from __future__ import annotations

import csv
import math
import os
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from jitopt.config import RiskConfig, SamplingConfig, SolverConfig, parse_config, read_toml
from jitopt.errors import InstanceError, Problem
from jitopt.names import name_problem
from jitopt.schema import (
    EVERY_SCENARIO,
    LARGEST_INT,
    LARGEST_TOTAL,
    LARGEST_VALUE,
    TABLES,
    Column,
    Table,
)

__all__ = ["Instance", "RiskConfig", "SamplingConfig", "SolverConfig", "read_instance"]

# A number as people write it in a CSV file: ASCII digits, an optional sign, decimal point and
# exponent, or inf. Python's float() also takes "1_119" and full-width digits, which are errors.
_NUMBER = re.compile(
    r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?inf(inity)?", re.ASCII | re.IGNORECASE
)


@dataclass(frozen=True, eq=False)
class Instance:
    """A validated instance; tables follow docs/CONTRACT.md (defaults filled, NaN = "none")."""

    name: str
    periods: int
    items: pd.DataFrame
    suppliers: pd.DataFrame
    offers: pd.DataFrame
    demand: pd.DataFrame
    price_breaks: pd.DataFrame
    regions: pd.DataFrame
    pipeline: pd.DataFrame
    outages: pd.DataFrame
    scenarios: pd.DataFrame | None = None
    shortage: str = "backlog"
    warehouse_capacity: float | None = None
    max_suppliers: int | None = None
    start: str | None = None
    freq: str | None = None
    risk: RiskConfig = field(default_factory=RiskConfig)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    solver: SolverConfig = field(default_factory=SolverConfig)
    warnings: tuple[str, ...] = ()  # legal but surprising data (see `Reader.warn`)

    @classmethod
    def from_dir(cls, path: str | Path) -> Instance:
        """Read and validate the instance in directory ``path`` (SPEC §2)."""
        return read_instance(path)

    @classmethod
    def from_frames(cls, config: dict | None = None, **tables: pd.DataFrame | None) -> Instance:
        """Validate an instance given as DataFrames (``items=``, ``suppliers=``, ...) and a config
        dict with the keys of ``instance.toml``. Problems name the table and the index label."""
        reader = Reader(from_files=False)
        return reader.validate(dict(config or {}), tables, default_name="instance")

    def with_risk(self, weight: float | None = None, alpha: float | None = None) -> Instance:
        """A copy with another risk setting: ``weight`` (lambda) switches to the CVaR objective
        (SPEC §3; 0 is the risk-neutral plan), ``alpha`` sets the CVaR/VaR level."""
        problems = []
        if weight is not None and not (_is_number(weight) and 0 <= weight <= 1):
            problems.append(Problem("risk weight", f"{weight!r} is not a number in [0, 1]"))
        if alpha is not None and not (_is_number(alpha) and 0 < alpha < 1):
            problems.append(Problem("risk alpha", f"{alpha!r} is not a number in (0, 1)"))
        if problems:
            raise InstanceError(problems)
        risk = self.risk
        if weight is not None:
            risk = replace(risk, measure="cvar", weight=float(weight))
        if alpha is not None:
            risk = replace(risk, alpha=float(alpha))
        return replace(self, risk=risk)

    @property
    def has_dates(self) -> bool:
        return self.start is not None and self.freq is not None

    def pipeline_arrivals(self) -> np.ndarray:
        """Units of pipeline.csv arriving per (item, period), shape (I, T), items in ``items`` order."""
        pos = {i: k for k, i in enumerate(self.items.index)}
        arrivals = np.zeros((len(pos), self.periods))
        for row in self.pipeline.itertuples(index=False):
            arrivals[pos[row.item], row.arrival_period - 1] += row.quantity
        return arrivals

    def period_dates(self) -> pd.DatetimeIndex | None:
        """Date of each period 1..T, when the instance has ``start`` and ``freq``."""
        if not self.has_dates:
            return None
        return pd.date_range(self.start, periods=self.periods, freq=self.freq)


def _cheapest_prices(offers: pd.DataFrame | None, breaks: pd.DataFrame | None) -> pd.Series:
    """The lowest unit cost of each item over its offers and their price breaks."""
    if offers is None:
        return pd.Series(dtype=float)
    cheapest = offers.groupby("item")["unit_cost"].min()
    if breaks is not None and len(breaks):
        offered = breaks.merge(offers[["supplier", "item"]], on=["supplier", "item"])
        cheapest = pd.concat([cheapest, offered.groupby("item")["unit_cost"].min()])
        cheapest = cheapest.groupby(level=0).min()
    return cheapest


def read_instance(path: str | os.PathLike) -> Instance:
    """Read and validate an instance directory; raise `InstanceError` listing every problem."""
    if not isinstance(path, (str, os.PathLike)):
        raise InstanceError(
            [Problem(repr(path), "is not a path (give the instance directory as str or Path)")]
        )
    path = Path(path)
    if not path.is_dir():
        raise InstanceError([Problem(str(path), "is not a directory")])
    problems: list[Problem] = []
    config: dict | None = {}
    toml_path = path / "instance.toml"
    if not toml_path.is_file():
        what = "is not a file" if toml_path.exists() else "file is missing"
        problems.append(Problem("instance.toml", f"{what} (it needs at least `periods`)"))
    else:
        config = read_toml(toml_path, problems)
    tables, unreadable = read_tables(path, list(TABLES), problems)
    problems += stray_files(path, {t.file for t in TABLES.values()})
    reader = Reader(from_files=True)
    reader.problems = problems
    reader.unreadable = unreadable
    reader.config_unreadable = config is None
    return reader.validate(config or {}, tables, default_name=path.name)


def read_tables(
    path: Path, stems: list[str], problems: list[Problem]
) -> tuple[dict[str, pd.DataFrame | None], set[str]]:
    """The tables ``stems`` of directory ``path`` as text (`read_table_csv`; None where the file
    is absent), and the stems of the files that could not be read (each a problem)."""
    tables: dict[str, pd.DataFrame | None] = {}
    unreadable: set[str] = set()
    for stem in stems:
        table = TABLES[stem]
        file = path / table.file
        tables[stem] = None
        if not file.exists() and not file.is_symlink():
            continue
        try:
            tables[stem] = read_table_csv(file, table, problems)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            reason = " ".join(str(exc).split())
            problems.append(Problem(table.file, f"cannot be read as CSV: {reason}"))
            unreadable.add(stem)
        except OSError as exc:
            reason = "is not a file" if file.is_dir() else f"cannot be read: {exc.strerror or exc}"
            problems.append(Problem(table.file, reason))
            unreadable.add(stem)
    return tables, unreadable


def stray_files(path: Path, known: set[str], hint: str | None = None) -> list[Problem]:
    """Files that look like tables but would be ignored: CSV files that are not part of the
    format (a misspelt ``price_break.csv``), and near misses of a table's name (``Items.CSV``,
    ``offers.csv.txt``, ``demand.xlsx``), which must never be silently ignored."""
    stems = {name.removesuffix(".csv") for name in known}
    expected = hint or f"expected one of: {', '.join(sorted(known))}"
    problems = []
    for entry in sorted(os.listdir(path)):
        if entry in known or entry.startswith(".") or entry == "instance.toml":
            continue
        lower = entry.lower()
        stem = lower.split(".")[0]
        if lower in known:
            problems.append(
                Problem(entry, f"is not read: file names are case-sensitive (rename it {lower})")
            )
        elif stem in stems:
            problems.append(
                Problem(entry, f"is not read: jitopt reads {stem}.csv (plain CSV, that exact name)")
            )
        elif lower.endswith(".csv"):
            problems.append(Problem(entry, f"unknown file ({expected})"))
        elif stem == "instance" and entry != "instance.toml":
            problems.append(Problem(entry, "is not read: the settings file is instance.toml"))
    return problems


def read_table_csv(file: Path, table: Table, problems: list[Problem]) -> pd.DataFrame:
    """Read every cell as text. The index is the 0-based line number after the header, blank
    lines included, so that problems name the line a user sees in an editor. A column without a
    name in the header is ignored when it is empty (a trailing comma on every line, as some
    spreadsheets export) and an error otherwise."""
    if not file.is_file():
        raise IsADirectoryError(file) if file.is_dir() else FileNotFoundError(file)
    frame = pd.read_csv(file, dtype=str, keep_default_na=False, skip_blank_lines=False)
    with file.open(encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh), [])
    seen: set[str] = set()
    keep = []
    for position, (name, column) in enumerate(zip(header, frame.columns), start=1):
        name = name.strip()
        if not name:
            if (frame[column].str.strip() != "").any():
                problems.append(
                    Problem(
                        table.file,
                        f"column {position} has values but no name in the header",
                        1,
                        f"#{position}",
                    )
                )
            continue
        if name in seen:
            problems.append(Problem(table.file, "column is given more than once", 1, name))
        else:
            keep.append(column)
        seen.add(name)
    frame = frame[keep]
    frame.columns = [str(c).strip() for c in frame.columns]
    blank = frame.apply(lambda col: col.str.strip() == "").all(axis=1) if len(frame.columns) else []
    return frame[~np.asarray(blank, dtype=bool)] if len(frame) else frame


class Reader:
    """Collects every problem while parsing, then raises one `InstanceError`."""

    def __init__(self, from_files: bool):
        self.from_files = from_files
        self.problems: list[Problem] = []
        self.warnings: list[str] = []
        self.unreadable: set[str] = set()
        self.config_unreadable = False

    # -- reporting -------------------------------------------------------------------------------

    def source(self, table: Table) -> str:
        return table.file if self.from_files else f"{table.stem} (DataFrame)"

    def row_label(self, frame: pd.DataFrame, pos: int) -> int | str:
        return int(frame.index[pos]) + 2 if self.from_files else frame.index[pos]

    def add(self, table: Table, message: str, frame=None, pos=None, column=None) -> None:
        row = None if pos is None else self.row_label(frame, pos)
        self.problems.append(Problem(self.source(table), message, row, column))

    # -- config ----------------------------------------------------------------------------------

    def parse_config(self, config: dict, default_name: str) -> dict:
        where = "instance.toml" if self.from_files else "config"
        return parse_config(
            config, where, default_name, self.problems, complete=not self.config_unreadable
        )

    # -- tables ----------------------------------------------------------------------------------

    def parse_table(self, table: Table, raw) -> pd.DataFrame | None:
        """Check columns and cell types and ranges; fill defaults. Returns None when unusable."""
        if raw is None:
            if table.required and table.stem not in self.unreadable:
                what = "file" if self.from_files else "table"
                self.problems.append(
                    Problem(self.source(table), f"{what} is missing (it is required)")
                )
            return None
        if not isinstance(raw, pd.DataFrame):
            self.add(table, f"must be a pandas DataFrame, got {type(raw).__name__}")
            return None
        raw = raw.copy()
        raw.columns = [str(c).strip() for c in raw.columns]
        repeated = sorted(c for c, n in Counter(raw.columns).items() if n > 1)
        for col in repeated:
            self.add(table, "column is given more than once", column=col)
        if repeated:
            return None
        names = [c.name for c in table.columns]
        unknown = [c for c in raw.columns if c not in names]
        for col in unknown:
            self.add(table, f"unknown column (known: {', '.join(names)})", column=col)
        missing = [c.name for c in table.columns if c.required and c.name not in raw.columns]
        for col in missing:
            self.add(table, "required column is missing", column=col)
        if missing:
            return None
        if table.required and len(raw) == 0:
            self.add(table, "has no rows (an instance needs at least one)")
            return None
        out = pd.DataFrame(index=range(len(raw)))
        for col in table.columns:
            optional_name = col.kind == "name" and not col.required and col.name in raw.columns
            if optional_name and raw[col.name].map(_is_empty).all():
                raw = raw.drop(columns=col.name)  # an all-empty optional column is no column
            if col.name not in raw.columns:
                if not (table.stem == "demand" and col.name == "scenario"):
                    out[col.name] = self.fill_value(col)
                continue
            out[col.name] = self.parse_column(table, raw, col)
        return out

    @staticmethod
    def fill_value(col: Column):
        if col.kind == "name":
            return col.default
        return np.nan if col.default is None else col.default

    def parse_column(self, table: Table, raw: pd.DataFrame, col: Column) -> list:
        values = []
        for pos, cell in enumerate(raw[col.name].tolist()):
            if _is_empty(cell):
                if col.required:
                    self.add(table, "is empty (a value is required)", raw, pos, col.name)
                elif col.kind == "name" and col.default is None:
                    self.add(
                        table,
                        "is empty (a name is required once the column is used)",
                        raw,
                        pos,
                        col.name,
                    )
                values.append(self.fill_value(col))
                continue
            values.append(self.parse_cell(table, raw, pos, col, cell))
        return values  # ints stay Python objects (None where invalid); cast after validation

    def parse_cell(self, table, raw, pos, col: Column, cell):
        if col.kind == "name" and col.choices:
            word = _name_text(cell).lower()
            if word not in col.choices:
                choices = " or ".join(col.choices)
                self.add(table, f"{_name_text(cell)!r} is not {choices}", raw, pos, col.name)
                return None
            return word
        if col.kind == "name":
            name = _name_text(cell)
            why = name_problem(name)
            if why is not None:
                self.add(table, f"{name!r} {why}", raw, pos, col.name)
                return None
            return name
        text = str(cell).strip()
        if isinstance(cell, (bool, np.bool_)) or not (
            isinstance(cell, (int, float, np.integer, np.floating)) or _NUMBER.fullmatch(text)
        ):
            self.add(table, f"{text!r} is not a number", raw, pos, col.name)
            return None
        value = float(cell) if not isinstance(cell, str) else float(text)
        if math.isnan(value):
            self.add(table, f"{text!r} is not a number", raw, pos, col.name)
            return None
        if col.kind == "int":
            if not value.is_integer():
                self.add(table, f"{text!r} is not a whole number", raw, pos, col.name)
                return None
            if abs(value) > LARGEST_INT:
                self.add(
                    table, f"{text} is too large (at most {LARGEST_INT:,})", raw, pos, col.name
                )
                return None
            value = int(value)
        elif math.isinf(value) and not (value > 0 and col.default == math.inf):
            self.add(table, f"{text!r} must be finite", raw, pos, col.name)
            return None
        elif abs(value) > LARGEST_VALUE and col.default != math.inf:
            self.add(
                table,
                f"{text} is larger than {LARGEST_VALUE:g}, which no real instance needs (a "
                "typo, or the wrong units?); HiGHS cannot solve reliably with such numbers",
                raw,
                pos,
                col.name,
            )
            return None
        bad = (
            col.low is not None and (value < col.low or (col.low_open and value == col.low))
        ) or (col.high is not None and (value > col.high or (col.high_open and value == col.high)))
        if bad:
            self.add(table, f"must be {col.range_text()}, got {text}", raw, pos, col.name)
            return None
        return value

    def check_keys(self, table: Table, frame: pd.DataFrame, raw: pd.DataFrame) -> None:
        """Rows that repeat a key (each named with the row that gave it first); one pass over
        the table, whatever the number of repeats."""
        key = [k for k in table.key if k in frame.columns]
        if not key:
            return
        valid = frame[key].notna().all(axis=1).to_numpy()
        keys = frame.loc[valid, key]
        if not len(keys):
            return
        positions = np.flatnonzero(valid)
        first = (
            pd.Series(positions)
            .groupby([keys[k].to_numpy() for k in key], sort=False)
            .transform("min")
            .to_numpy()
        )
        for pos, first_pos in zip(positions, first):
            if pos == first_pos:
                continue
            what = ", ".join(f"{k}={frame.at[pos, k]}" for k in key)
            self.add(
                table,
                f"duplicate row for {what} (first given in row {self.row_label(raw, first_pos)})",
                raw,
                pos,
                key[-1],
            )

    def check_refs(self, table, frame, raw, column, known: set, what: str) -> None:
        """``what`` is "<noun> (<hint>)"; the message reads "unknown <noun> 'x' (<hint>)"."""
        noun, _, hint = what.partition(" (")
        for pos, value in enumerate(frame[column].tolist()):
            if value is not None and value not in known:
                self.add(table, f"unknown {noun} {value!r} ({hint}", raw, pos, column)

    # -- the whole instance ----------------------------------------------------------------------

    def validate(self, config: dict, raw_tables: dict, default_name: str) -> Instance:
        unknown = set(raw_tables) - set(TABLES)
        for name in sorted(unknown):
            self.problems.append(Problem(name, f"unknown table (known: {', '.join(TABLES)})"))
        cfg = self.parse_config(config, default_name)
        raw = {stem: raw_tables.get(stem) for stem in TABLES}
        parsed = {stem: self.parse_table(TABLES[stem], raw[stem]) for stem in TABLES}
        for stem, frame in parsed.items():
            if frame is not None:
                self.check_keys(TABLES[stem], frame, raw[stem])
        self.cross_check(cfg, parsed, raw)
        if self.problems:
            raise InstanceError(self.problems)
        return self.assemble(cfg, parsed)

    def cross_check(self, cfg: dict, p: dict, raw: dict) -> None:
        T = cfg["periods"]
        items, suppliers, offers = p["items"], p["suppliers"], p["offers"]
        item_names = set(items["item"].dropna()) if items is not None else None
        supplier_names = set(suppliers["supplier"].dropna()) if suppliers is not None else None
        regions_of_suppliers = set(suppliers["region"].dropna()) if suppliers is not None else set()

        def refs(stem, column, known, what):
            if p[stem] is not None and known is not None:
                self.check_refs(TABLES[stem], p[stem], raw[stem], column, known, what)

        in_suppliers = f"supplier (not in {self.source(TABLES['suppliers'])})"
        in_items = f"item (not in {self.source(TABLES['items'])})"
        for stem in ("offers", "price_breaks", "pipeline"):
            refs(stem, "supplier", supplier_names, in_suppliers)
        for stem in ("offers", "price_breaks", "pipeline", "demand"):
            refs(stem, "item", item_names, in_items)

        if items is not None:
            self.check_items(items, raw["items"], offers)
            self.check_salvage(cfg, items, raw["items"], offers, p["price_breaks"])
        if suppliers is not None and T is not None:
            self.check_lead_times(suppliers, raw["suppliers"], offers, T)
        if suppliers is not None:
            for pos, share in enumerate(suppliers["max_share"].tolist()):
                if 0 < share < 1e-6:
                    self.add(
                        TABLES["suppliers"],
                        f"max_share {share:g} cannot be meant: give 0 (no orders) or at least "
                        "1e-6 (HiGHS drops smaller coefficients)",
                        raw["suppliers"],
                        pos,
                        "max_share",
                    )
        if offers is not None:
            self.check_offers(offers, raw["offers"], suppliers)
        if p["price_breaks"] is not None and offers is not None:
            self.check_price_breaks(p["price_breaks"], raw["price_breaks"], offers)
        if p["pipeline"] is not None and T is not None:
            self.check_periods(
                TABLES["pipeline"], p["pipeline"], raw["pipeline"], "arrival_period", T
            )
            if offers is not None:
                self.check_pipeline_offers(p["pipeline"], raw["pipeline"], offers)
        if p["regions"] is not None:
            self.check_refs(
                TABLES["regions"],
                p["regions"],
                raw["regions"],
                "region",
                regions_of_suppliers,
                "region (no supplier in suppliers.csv is in it)",
            )
        scen_names = self.check_scenarios(p["scenarios"], raw["scenarios"])
        if p["demand"] is not None and item_names is not None and T is not None:
            self.check_demand(p["demand"], raw["demand"], item_names, T, scen_names)
        if p["outages"] is not None:
            self.check_outages(p, raw, cfg, scen_names, supplier_names, regions_of_suppliers)
        if items is not None and p["demand"] is not None and not self.problems:
            self.check_totals(items, p["demand"], p["pipeline"], raw["demand"])
        if not self.problems:
            self.warn_structure(cfg, p)

    def check_items(self, items, raw, offers) -> None:
        if offers is None:
            return
        offered = set(offers["item"].dropna())
        for pos, row in enumerate(items.itertuples(index=False)):
            if row.item is not None and row.item not in offered and np.isnan(row.expedite_cost):
                self.add(
                    TABLES["items"],
                    f"item {row.item!r} has no offer in offers.csv and no expedite_cost: "
                    "nothing can ever supply it",
                    raw,
                    pos,
                    "item",
                )

    def check_salvage(self, cfg, items, raw, offers, breaks) -> None:
        """A salvage value (the credit for a unit left after period T) above what a unit costs
        to buy, or above what it costs to hold it and leave a customer short instead, would make
        buying to sell back, or short-changing customers to keep stock, pay (models/formulation.md,
        "salvage")."""
        cheapest = _cheapest_prices(offers, breaks)
        lost = cfg["shortage"] == "lost"
        for pos, row in enumerate(items.itertuples(index=False)):
            value = row.salvage_value
            if value is None or value <= 0 or row.item is None:
                continue
            if None in (row.holding_cost, row.shortage_cost):
                continue
            limits = [(cheapest.get(row.item, math.inf), "its cheapest unit cost")]
            if not np.isnan(row.expedite_cost):
                limits.append((row.expedite_cost, "its expedite_cost"))
            if lost:
                keep = row.holding_cost + row.shortage_cost
                limits.append((keep, "holding_cost + shortage_cost (a lost sale to keep a unit)"))
            else:
                terminal = _or(row.terminal_backlog_cost, row.shortage_cost)
                keep = row.holding_cost + row.shortage_cost + terminal
                what = "holding_cost + shortage_cost + terminal_backlog_cost (a unit kept "
                limits.append((keep, what + "while a customer waits)"))
            for limit, what in limits:
                if value > limit + 1e-9 * max(1.0, limit):
                    self.add(
                        TABLES["items"],
                        f"salvage_value {value:g} is above {what}, {limit:g}",
                        raw,
                        pos,
                        "salvage_value",
                    )

    def check_lead_times(self, suppliers, raw, offers, T) -> None:
        """A lead time of T or more is legal (a supplier whose orders of earlier horizons are
        still in pipeline.csv) but means no new order from it can arrive in time: a warning."""
        for row in suppliers.itertuples(index=False):
            if row.lead_time is not None and row.lead_time >= T:
                self.warn(
                    f"supplier {row.supplier!r}: lead time {row.lead_time} >= T = {T}, so no "
                    "order placed in this horizon can arrive in it; its offers are not used "
                    "(its pipeline.csv deliveries still arrive)"
                )

    def check_totals(self, items, demand, pipeline, raw) -> None:
        """An item's quantities over the horizon (its demand, stock and pipeline) become
        coefficients of the model: they must add up to at most `LARGEST_TOTAL`."""
        totals = demand.groupby(["scenario", "item"] if "scenario" in demand.columns else ["item"])[
            "demand"
        ].sum()
        if "scenario" in demand.columns:
            totals = totals.groupby(level="item").max()
        totals = totals.reindex(items["item"]).fillna(0.0)
        totals += items.set_index("item")["initial_inventory"]
        if pipeline is not None and len(pipeline):
            totals = totals.add(pipeline.groupby("item")["quantity"].sum(), fill_value=0.0)
        for item, total in totals[totals > LARGEST_TOTAL].items():
            self.add(
                TABLES["demand"],
                f"item {item!r}: demand, initial_inventory and pipeline add up to {total:.3g} "
                f"over the horizon, more than {LARGEST_TOTAL:g}: HiGHS cannot solve reliably "
                "with such numbers (use larger units, e.g. thousands)",
                column="demand",
            )

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def warn_structure(self, cfg: dict, p: dict) -> None:
        """Data that is legal but makes the plan surprising: settings the scenarios ignore, and
        reasons why no plan can buy (an item, or anything at all)."""
        suppliers, items, offers = p["suppliers"], p["items"], p["offers"]
        T = cfg["periods"]
        # disruption_prob next to scenarios.csv is not a mistake: solve plans for the listed
        # scenarios, simulate and compare sample new ones from the probabilities (SPEC §8.1).
        usable = set(suppliers.loc[suppliers["lead_time"] < T, "supplier"])
        if cfg["max_suppliers"] == 0 and usable:
            self.warn("max_suppliers = 0: no supplier may get an order, so the plan orders nothing")
        shares = suppliers.loc[suppliers["supplier"].isin(usable), "max_share"].fillna(1.0)
        if usable and shares.sum() < 1 - 1e-9:
            self.warn(
                f"the max_share of the suppliers add up to {shares.sum():g} < 1: no plan can "
                "meet them all with any order, so the plan orders nothing"
            )
        self.warn_unbuyable(cfg, items, offers, p["price_breaks"], usable, T)

    def warn_unbuyable(self, cfg, items, offers, breaks, usable, T) -> None:
        """Items whose every unit costs more to buy than to leave unmet: no plan buys them; and
        items for which leaving demand unmet at the end of the horizon is cheaper than buying."""
        cheapest = _cheapest_prices(offers[offers["supplier"].isin(usable)], breaks)
        lost = cfg["shortage"] == "lost"
        if not lost:
            self.warn_cheap_terminal(items, cheapest)
        for row in items.itertuples(index=False):
            price = min(cheapest.get(row.item, math.inf), _or_inf(row.expedite_cost))
            if lost:
                unmet, how = row.shortage_cost, f"shortage_cost {row.shortage_cost:g} (lost sale)"
            else:
                terminal = _or(row.terminal_backlog_cost, row.shortage_cost)
                unmet = row.shortage_cost * T + terminal
                how = (
                    f"shortage_cost {row.shortage_cost:g} for each of at most {T} periods, plus "
                    f"terminal_backlog_cost {terminal:g}"
                )
            if not math.isfinite(price):
                self.warn(
                    f"item {row.item!r} can never be bought: every supplier offering it has a "
                    f"lead time of T = {T} or more, and it has no expedite_cost"
                )
            elif unmet < price:
                self.warn(
                    f"item {row.item!r}: leaving a unit unmet costs at most {unmet:g} ({how}), "
                    f"less than its cheapest price {price:g}: no plan buys it (raise its "
                    "shortage_cost if unmet demand should cost more)"
                )

    def warn_cheap_terminal(self, items, cheapest) -> None:
        """Backlog left after period T costs terminal_backlog_cost: below the unit price, a plan
        leaves the last periods' demand unmet rather than buy for it."""
        for row in items.itertuples(index=False):
            terminal = _or(row.terminal_backlog_cost, row.shortage_cost)
            price = cheapest.get(row.item, math.inf)
            if math.isfinite(price) and terminal < price:
                self.warn(
                    f"item {row.item!r}: terminal_backlog_cost {terminal:g} (the default is "
                    f"shortage_cost) is below its cheapest unit cost {price:g}: a plan may leave "
                    "demand of the last periods unmet at the end of the horizon rather than buy "
                    "for it (raise terminal_backlog_cost to what an unmet unit really costs)"
                )

    def check_offers(self, offers, raw, suppliers) -> None:
        t = TABLES["offers"]
        cap = {} if suppliers is None else dict(zip(suppliers["supplier"], suppliers["capacity"]))
        for pos, row in enumerate(offers.itertuples(index=False)):
            if None in (row.moq, row.max_order, row.lot_multiple):
                continue
            if row.moq > row.max_order:
                self.add(t, f"moq {row.moq:g} exceeds max_order {row.max_order:g}", raw, pos, "moq")
            supplier_cap = cap.get(row.supplier)
            limit = (
                row.max_order
                if supplier_cap is None or pd.isna(supplier_cap)
                else min(row.max_order, supplier_cap)
            )
            lot = row.lot_multiple
            if not np.isnan(lot) and lot > limit:
                self.add(
                    t,
                    f"lot_multiple {lot:g} exceeds the most this line can take ({limit:g})",
                    raw,
                    pos,
                    "lot_multiple",
                )
            if supplier_cap is not None and row.moq > supplier_cap:
                self.add(
                    t,
                    f"moq {row.moq:g} exceeds the supplier's capacity {supplier_cap:g}",
                    raw,
                    pos,
                    "moq",
                )

    def check_price_breaks(self, breaks, raw, offers) -> None:
        t = TABLES["price_breaks"]
        base = {(r.supplier, r.item): r.unit_cost for r in offers.itertuples(index=False)}
        ok = breaks[["min_qty", "unit_cost"]].notna().all(axis=1)
        frame = breaks[ok].assign(pos=np.flatnonzero(ok.to_numpy()))
        for (s, i), group in frame.groupby(["supplier", "item"], sort=False):
            if (s, i) not in base:
                pos = int(group["pos"].iloc[0])
                self.add(
                    t, f"no offer for supplier {s!r} and item {i!r} in offers.csv", raw, pos, "item"
                )
                continue
            previous_cost, previous_qty = base[(s, i)], 0.0
            for row in group.sort_values("min_qty", kind="stable").itertuples(index=False):
                if row.min_qty == previous_qty:
                    continue  # reported as a duplicate key
                if row.unit_cost > previous_cost:
                    self.add(
                        t,
                        f"price breaks must lower the price as quantity rises: unit_cost "
                        f"{row.unit_cost:g} at min_qty {row.min_qty:g} is above {previous_cost:g} "
                        f"for smaller quantities",
                        raw,
                        int(row.pos),
                        "unit_cost",
                    )
                previous_cost, previous_qty = row.unit_cost, row.min_qty
            order = group["min_qty"].to_numpy()
            if np.any(np.diff(order) < 0):
                pos = int(group["pos"].iloc[int(np.flatnonzero(np.diff(order) < 0)[0]) + 1])
                self.add(
                    t,
                    f"price breaks of ({s}, {i}) are not in increasing min_qty order",
                    raw,
                    pos,
                    "min_qty",
                )

    def check_periods(self, table, frame, raw, column, T) -> None:
        for pos, value in enumerate(frame[column].tolist()):
            if not pd.isna(value) and not 1 <= value <= T:
                self.add(table, f"period {value} is outside 1..{T}", raw, pos, column)

    def check_pipeline_offers(self, pipeline, raw, offers) -> None:
        pairs = set(zip(offers["supplier"], offers["item"]))
        for pos, row in enumerate(pipeline.itertuples(index=False)):
            if None not in (row.supplier, row.item) and (row.supplier, row.item) not in pairs:
                self.add(
                    TABLES["pipeline"],
                    f"no offer for supplier {row.supplier!r} and item {row.item!r} in offers.csv",
                    raw,
                    pos,
                    "item",
                )

    def check_scenarios(self, scenarios, raw) -> list[str] | None:
        if scenarios is None:
            return None
        names = [n for n in scenarios["scenario"].tolist() if n is not None]
        probs = scenarios["probability"].dropna()
        if len(probs) == len(scenarios) and len(scenarios) > 0 and abs(probs.sum() - 1) > 1e-6:
            self.add(
                TABLES["scenarios"],
                f"probabilities sum to {probs.sum():.9g}, not 1",
                column="probability",
            )
        if len(scenarios) == 0:
            self.add(TABLES["scenarios"], "lists no scenario")
        return names

    def check_demand(self, demand, raw, item_names, T, scen_names) -> None:
        t = TABLES["demand"]
        self.check_periods(t, demand, raw, "period", T)
        by_scenario = "scenario" in demand.columns
        if by_scenario and scen_names is not None:
            self.check_refs(
                t, demand, raw, "scenario", set(scen_names), "scenario (not in scenarios.csv)"
            )
        scenarios = sorted(set(demand["scenario"].dropna())) if by_scenario else [None]
        if by_scenario and scen_names is not None:
            for name in scen_names:
                if name not in scenarios:
                    self.add(
                        t,
                        f"scenario {name!r} of scenarios.csv has no demand series",
                        column="scenario",
                    )
        valid = demand.dropna(subset=["item", "period"])
        present = set(
            zip(
                valid["scenario"] if by_scenario else [None] * len(valid),
                valid["item"],
                valid["period"],
            )
        )
        for scenario in scenarios:
            for item in sorted(item_names):
                missing = [k for k in range(1, T + 1) if (scenario, item, k) not in present]
                if missing:
                    where = f"scenario {scenario!r}, " if by_scenario else ""
                    self.add(
                        t,
                        f"{where}item {item!r} has no demand for period(s) {ranges(missing)} "
                        f"(every item needs a row for each period 1..{T})",
                        column="period",
                    )

    def check_outages(self, p, raw, cfg, scen_names, supplier_names, region_names) -> None:
        t = TABLES["outages"]
        outages, r = p["outages"], raw["outages"]
        named = outages[outages["scenario"] != EVERY_SCENARIO]
        if len(named) and scen_names is None:
            self.add(
                t,
                "outages need scenarios.csv to say which scenarios exist (or scenario "
                f"{EVERY_SCENARIO}: every scenario)",
                column="scenario",
            )
        if scen_names is not None:
            known = set(scen_names) | {EVERY_SCENARIO}
            self.check_refs(t, outages, r, "scenario", known, "scenario (not in scenarios.csv)")
        extra_regions = set(p["regions"]["region"].dropna()) if p["regions"] is not None else set()
        regions = region_names | extra_regions
        if supplier_names is not None:
            for pos, target in enumerate(outages["target"].tolist()):
                if target is None:
                    continue
                if target not in supplier_names and target not in regions:
                    self.add(t, f"target {target!r} names no supplier or region", r, pos, "target")
                elif target in supplier_names and target in regions:
                    self.add(
                        t,
                        f"target {target!r} is both a supplier and a region name",
                        r,
                        pos,
                        "target",
                    )
        T = cfg["periods"]
        for pos, row in enumerate(outages.itertuples(index=False)):
            if row.start is None or row.end is None:
                continue
            if row.end < row.start:
                self.add(t, f"end {row.end} is before start {row.start}", r, pos, "end")
            if T is not None and row.start > T:
                self.add(t, f"start {row.start} is after the last period {T}", r, pos, "start")

    # -- assembly --------------------------------------------------------------------------------

    def assemble(self, cfg: dict, p: dict) -> Instance:
        """The `Instance`: every table of `TABLES` as the field of its name (`instance_frame`),
        every setting as parsed."""
        frames = {stem: instance_frame(TABLES[stem], p[stem]) for stem in TABLES}
        items = frames["items"]
        terminal = items["terminal_backlog_cost"]
        items["terminal_backlog_cost"] = terminal.where(terminal.notna(), items["shortage_cost"])
        return Instance(**frames, **cfg, warnings=tuple(self.warnings))


def instance_frame(table: Table, frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """A parsed table as `Instance` holds it: int columns as int, sorted and indexed as
    ``table`` says (`jitopt.schema.Table`); an absent optional table empty (or None)."""
    if frame is None:
        if table.none_when_absent:
            return None
        frame = pd.DataFrame({c.name: [] for c in table.columns})
    ints = {c.name: int for c in table.columns if c.kind == "int" and c.name in frame.columns}
    frame = frame.astype(ints).reset_index(drop=True)
    if table.sort:
        key = [c for c in table.key if c in frame.columns]
        frame = frame[key + [c for c in frame.columns if c not in key]]
        frame = frame.sort_values(key, ignore_index=True)
    return frame.set_index(list(table.index)) if table.index else frame


def _is_empty(cell) -> bool:
    return (
        cell is None
        or cell is pd.NA
        or cell is pd.NaT
        or (isinstance(cell, (float, np.floating)) and math.isnan(cell))
        or (isinstance(cell, str) and cell.strip() == "")
    )


def _or(value, default):
    return default if value is None or pd.isna(value) else value


def _or_inf(value) -> float:
    return math.inf if value is None or pd.isna(value) else float(value)


def _name_text(cell) -> str:
    """A name as text; a whole number given as a float (a DataFrame column upcast by a missing
    value) reads as the integer, so that 1.0 in one table and 1 in another are one name."""
    if isinstance(cell, (float, np.floating)) and float(cell).is_integer():
        return str(int(cell))
    return str(cell).strip()


def _is_number(value) -> bool:
    return (
        isinstance(value, (int, float, np.integer, np.floating))
        and not isinstance(value, (bool, np.bool_))
        and not math.isnan(value)
    )


def ranges(values: list[int]) -> str:
    """[1, 2, 3, 7] -> '1-3, 7'."""
    out, start = [], values[0]
    for prev, cur in zip(values, values[1:] + [None]):
        if cur != prev + 1 if cur is not None else True:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = cur
    return ", ".join(out)
