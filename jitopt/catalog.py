"""An instance from a demand forecast and a supplier catalogue (SPEC §7): join and check (write it
with `jitopt.files.write_instance_dir`).

The catalogue is what a buyer knows besides demand: ``items.csv``, ``suppliers.csv``,
``offers.csv`` and any of ``price_breaks.csv``, ``regions.csv``, ``pipeline.csv``, with an optional
``instance.toml`` whose settings are carried over (``periods``, ``start`` and ``freq`` come from
the forecast). Tables of a catalogue directory are carried over as text, exactly as written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from jitopt.config import read_toml
from jitopt.demand import demand_scenarios
from jitopt.errors import InstanceError, Problem
from jitopt.forecast import (
    DATE,
    ID,
    ProblemList,
    forecast_items,
    normalized,
    parse_frame,
    read_forecast,
    source_name,
)
from jitopt.forecast_dates import parse_dates
from jitopt.instance import Instance, Reader, read_tables, stray_files
from jitopt.schema import TABLES

CATALOG_TABLES = ("items", "suppliers", "offers", "price_breaks", "regions", "pipeline")
DEFAULT_SCENARIOS = 30
_NOT_IN_CATALOG = {
    "demand": "demand comes from the forecast",
    "scenarios": "explicit scenarios cannot be combined with the forecast's demand scenarios",
    "outages": "explicit scenarios cannot be combined with the forecast's demand scenarios",
}


@dataclass
class _Catalog:
    config: dict = field(default_factory=dict)
    tables: dict = field(default_factory=dict)
    from_files: bool = True
    unreadable: set = field(default_factory=set)
    name: str = "instance"

    def file(self, stem: str) -> str:
        return TABLES[stem].file if self.from_files else f"{stem} (DataFrame)"

    def names(self, stem: str, column: str) -> dict[str, int | str]:
        """Names in ``column`` of a table, each with the row label of its first occurrence."""
        frame = self.tables.get(stem)
        if frame is None or column not in frame.columns:
            return {}
        out: dict[str, int | str] = {}
        for label, cell in zip(frame.index, frame[column]):
            name = None if pd.isna(cell) else str(cell).strip()
            if name:
                out.setdefault(name, int(label) + 2 if self.from_files else label)
        return out


def instance_tables(
    forecast: pd.DataFrame | str | Path,
    catalog: dict | str | Path,
    *,
    model: str | None = None,
    scenarios: int | None = None,
    seed: int | None = None,
    config: dict | None = None,
    clip_negative: bool = False,
    decimals: int | None = 0,
    date_format: str | None = None,
) -> dict:
    """An instance (``{"config", "items", "suppliers", "offers", "demand", "price_breaks",
    "regions", "pipeline"}``, as `jitopt.generate.generate` returns) from ``forecast`` (a
    DataFrame or a file, see `jitopt.forecast`) and ``catalog`` (a directory, or a dict of
    DataFrames with an optional ``"config"`` dict standing for instance.toml).

    ``config`` overrides settings of the catalogue's instance.toml. ``scenarios`` (N) defaults to
    ``[scenarios] count``, else 30; ``seed`` to ``[scenarios] seed``, else 0; both are recorded in
    ``[scenarios]``. The result is validated like any instance; every problem of the forecast, of
    the catalogue and of their fit (items without forecast, forecast items without offer) is
    raised at once as one `InstanceError`. ``date_format`` (strftime codes) says how to read the
    forecast's dates when they could be read day-first and month-first. Arguments of the wrong
    kind raise TypeError or ValueError.
    """
    _check_arguments(forecast, catalog, config, decimals, date_format)
    problems = ProblemList()
    if isinstance(forecast, (str, Path)):
        frame = read_forecast(forecast, date_format=date_format)
    else:
        frame = forecast.copy(deep=False)
        frame.attrs = dict(forecast.attrs) | ({"date_format": date_format} if date_format else {})
    if isinstance(catalog, dict):
        cat = _catalog_from_frames(catalog, problems)
    else:
        cat = _catalog_from_dir(Path(catalog), problems)
    settings = _merged(cat.config, config or {})
    sampling = settings.get("scenarios") if isinstance(settings.get("scenarios"), dict) else {}
    for option, value, low in (("--scenarios", scenarios, 1), ("--seed", seed, 0)):
        if value is not None and not _is_int(value, low):
            problems.add(Problem(option, f"must be an integer >= {low}, got {value!r}"))
    # A bad value of instance.toml stays in the config, for the instance validation to report.
    chosen = {
        "count": scenarios if scenarios is not None else sampling.get("count", DEFAULT_SCENARIOS),
        "seed": seed if seed is not None else sampling.get("seed", 0),
    }
    valid = _valid(chosen)
    usable = {"count": 1, "seed": 0} | valid

    fc = parse_frame(frame, model, clip_negative, problems)
    fc_items = forecast_items(frame)
    _check_items(cat, fc_items, source_name(frame), problems)

    if fc is not None:
        periods, dates = fc.periods, {"start": fc.start, "freq": fc.freq}
        _check_memory(usable["count"], len(fc.items), fc.periods)
        demand = demand_scenarios(fc, usable["count"], usable["seed"], decimals)
    else:  # a broken forecast: still check the catalogue, over as many periods as it has dates
        periods, dates, demand = _dates_in(frame), {}, None
    out_config = {"name": settings["name"]} if "name" in settings else {}
    out_config |= {"periods": periods, **dates}
    out_config |= {
        k: v for k, v in settings.items() if k not in ("name", "periods", "start", "freq")
    }
    out_config["scenarios"] = {**sampling, **valid}

    if periods >= 1:
        check_demand = _demand_for_check(demand, cat, periods)
        tables = {stem: cat.tables.get(stem) for stem in CATALOG_TABLES} | {"demand": check_demand}
        try:
            if cat.from_files:
                reader = Reader(from_files=True)
                reader.unreadable = set(cat.unreadable)
                reader.validate(dict(out_config), tables, default_name=cat.name)
            else:
                Instance.from_frames(dict(out_config), **tables)
        except InstanceError as exc:
            for problem in exc.problems:
                problems.add(problem)
    problems.raise_if_any()
    built = {"config": out_config}
    for stem in ("items", "suppliers", "offers", "demand", "price_breaks", "regions", "pipeline"):
        table = cat.tables.get(stem)
        if cat.from_files and table is not None:
            table = _typed(table, TABLES[stem])
        built[stem] = demand if stem == "demand" else table
    return built


# -- helpers -------------------------------------------------------------------------------------


# Bytes per demand value while drawing scenarios: the draws, the values and the long table
# (scenario, item, period, demand) that becomes demand.csv.
_BYTES_PER_DEMAND_VALUE = 160


def _check_memory(count: int, items: int, periods: int) -> None:
    """Refuse (SizeError) a number of demand scenarios whose tables cannot fit in memory."""
    from jitopt.errors import SizeError
    from jitopt.sizing import available_memory, byte_text

    needed = _BYTES_PER_DEMAND_VALUE * count * items * periods
    available = available_memory()
    if available is not None and needed > available:
        raise SizeError(
            f"{count:,} demand scenarios of {items:,} items over {periods:,} periods need about "
            f"{byte_text(needed)} of memory, but only {byte_text(available)} is available: draw "
            "fewer (--scenarios)"
        )


def _typed(frame: pd.DataFrame, table) -> pd.DataFrame:
    """A catalogue table read as text, with its number columns as numbers (whole numbers stay
    integers; empty cells are NaN)."""
    frame = frame.copy()
    for column in table.columns:
        if column.kind == "name" or column.name not in frame.columns:
            continue
        text = frame[column.name].astype(str).str.strip()
        numbers = pd.to_numeric(text.where(text != ""), errors="coerce")
        whole = numbers.dropna()
        if (
            len(whole) == len(numbers)
            and (whole == whole.round()).all()
            and whole.abs().max() < 2**53
        ):
            numbers = numbers.astype("int64")
        frame[column.name] = numbers
    for column in table.columns:
        if column.kind == "name" and column.name in frame.columns:
            frame[column.name] = frame[column.name].astype(str).str.strip()
    return frame


def _check_arguments(forecast, catalog, config, decimals, date_format) -> None:
    if not isinstance(forecast, (pd.DataFrame, str, Path)):
        raise TypeError(
            f"forecast must be a pandas DataFrame or a file path, got {type(forecast).__name__}"
        )
    if not isinstance(catalog, (dict, str, Path)):
        raise TypeError(
            f"catalog must be a folder path or a dict of DataFrames, got {type(catalog).__name__}"
        )
    if config is not None and not isinstance(config, dict):
        raise TypeError(f"config must be a dict of instance.toml settings, got {config!r}")
    if decimals is not None and (
        isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer))
    ):
        raise TypeError(f"decimals must be a whole number 0..6 or None, got {decimals!r}")
    if decimals is not None and not 0 <= decimals <= 6:
        raise ValueError(f"decimals must be in 0..6 (or None: no rounding), got {decimals}")
    if date_format is not None and not isinstance(date_format, str):
        raise TypeError(
            f"date_format must be strftime codes such as '%d/%m/%Y', got {date_format!r}"
        )


def _catalog_from_dir(path: Path, problems: ProblemList) -> _Catalog:
    cat = _Catalog(name=path.name)
    if not path.is_dir():
        problems.add(Problem(str(path), "is not a directory (the catalogue is a directory)"))
        return cat
    found: list[Problem] = []
    if (path / "instance.toml").exists():
        cat.config = read_toml(path / "instance.toml", found) or {}
    tables, cat.unreadable = read_tables(path, list(CATALOG_TABLES), found)
    cat.tables = {stem: frame for stem, frame in tables.items() if frame is not None}
    for problem in found:
        problems.add(problem)
    known = {TABLES[stem].file for stem in CATALOG_TABLES}
    for name in sorted(p.name for p in path.glob("*.csv") if p.name not in known):
        if name.removesuffix(".csv") in _NOT_IN_CATALOG:
            hint = _NOT_IN_CATALOG[name.removesuffix(".csv")]
            problems.add(Problem(name, f"does not belong in a catalogue ({hint})"))
    for problem in stray_files(path, known, "expected: " + ", ".join(sorted(known))):
        if problem.file.removesuffix(".csv") not in _NOT_IN_CATALOG:
            problems.add(problem)
    return cat


def _catalog_from_frames(catalog: dict, problems: ProblemList) -> _Catalog:
    cat = _Catalog(config=dict(catalog.get("config") or {}), from_files=False)
    for key, frame in catalog.items():
        if key == "config" or frame is None:
            continue
        if key in CATALOG_TABLES:
            cat.tables[key] = frame
        else:
            hint = _NOT_IN_CATALOG.get(key, "known: config, " + ", ".join(CATALOG_TABLES))
            problems.add(Problem(f"{key} (DataFrame)", f"does not belong in a catalogue ({hint})"))
    return cat


def _check_items(cat: _Catalog, fc_items: dict, source: str, problems: ProblemList) -> None:
    """Every forecast item is in items.csv and has an offer; every catalogue item a forecast."""
    items = cat.names("items", "item")
    if not items or not fc_items:
        return  # a missing table or column is reported on its own
    offered = set(cat.names("offers", "item"))
    spot = set(_with_value(cat, "items", "expedite_cost"))
    items_file, offers_file = cat.file("items"), cat.file("offers")
    for name, row in fc_items.items():
        if name not in items:
            message = (
                f"item {name!r} is not in {items_file} (every forecast item needs a row there "
                "and an offer)"
            )
            problems.add(Problem(source, message, row, ID), "forecast items not in the catalogue")
    for name, row in items.items():
        if name not in fc_items:
            message = f"item {name!r} has no forecast in {source} (every catalogue item needs one)"
            problems.add(
                Problem(items_file, message, row, "item"), "catalogue items without forecast"
            )
        elif "offers" in cat.tables and name not in offered and name in spot:
            # Without expedite_cost the instance validation reports the missing offer itself.
            message = (
                f"item {name!r} has a forecast but no offer in {offers_file} (a spot market "
                "alone is no supplier)"
            )
            problems.add(Problem(items_file, message, row, "item"), "forecast items without offer")


def _with_value(cat: _Catalog, stem: str, column: str) -> list[str]:
    """Items of table ``stem`` with a non-empty ``column``."""
    frame = cat.tables.get(stem)
    if frame is None or column not in frame.columns or "item" not in frame.columns:
        return []
    cells = frame[column].map(lambda x: not pd.isna(x) and str(x).strip() != "")
    return [str(name).strip() for name in frame.loc[cells.to_numpy(bool), "item"]]


def _demand_for_check(demand, cat: _Catalog, periods: int) -> pd.DataFrame:
    """The demand to validate the catalogue with: the forecast's rows of catalogue items, and
    zeros for catalogue items without forecast (reported already, not to be reported again)."""
    items = list(cat.names("items", "item"))
    if demand is None:
        demand = pd.DataFrame({"item": pd.Series([], dtype=object), "period": [], "demand": []})
    demand = demand[demand["item"].isin(items)]
    lacking = sorted(set(items) - set(demand["item"]))
    scenarios = sorted(demand["scenario"].unique()) if "scenario" in demand.columns else [None]
    if lacking and scenarios:
        zeros = pd.DataFrame(
            [(s, i, t, 0.0) for s in scenarios for i in lacking for t in range(1, periods + 1)],
            columns=["scenario", "item", "period", "demand"],
        )
        if "scenario" not in demand.columns:
            zeros = zeros.drop(columns="scenario")
        demand = pd.concat([demand, zeros], ignore_index=True)
    return demand.reset_index(drop=True)


def _dates_in(frame: pd.DataFrame) -> int:
    frame = normalized(frame)
    if DATE not in frame.columns:
        return 0
    return int(parse_dates(frame[DATE], frame.attrs.get("date_format"))[0].nunique())


def _merged(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = value
    return out


def _is_int(value, low: int) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= low


def _valid(values: dict) -> dict:
    """The entries that are usable integers (others stay as given, for validation to report)."""
    return {k: int(v) for k, v in values.items() if _is_int(v, 1 if k == "count" else 0)}
