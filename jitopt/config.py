"""The settings of an instance (``instance.toml``, or the config dict of `Instance.from_frames`):
reading, types, ranges and the rules between them."""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from jitopt.errors import Problem
from jitopt.names import name_problem
from jitopt.schema import MAX_PERIODS, MAX_SEED, MAX_TIME_LIMIT


@dataclass(frozen=True)
class RiskConfig:
    measure: str = "expected"
    weight: float = 0.0
    alpha: float = 0.9


@dataclass(frozen=True)
class SamplingConfig:
    count: int = 30
    seed: int = 0


@dataclass(frozen=True)
class SolverConfig:
    time_limit: float | None = None
    mip_gap: float | None = None


KEYS = {
    "name": str,
    "periods": int,
    "shortage": str,
    "warehouse_capacity": float,
    "max_suppliers": int,
    "start": str,
    "freq": str,
}
SECTIONS = {
    "risk": {"measure": str, "weight": float, "alpha": float},
    "scenarios": {"count": int, "seed": int},
    "solver": {"time_limit": float, "mip_gap": float},
}


def read_toml(path: Path, problems: list[Problem]) -> dict | None:
    """instance.toml as a dict; None (and a problem) when it cannot be read. A UTF-8 byte order
    mark (Windows Notepad writes one) is accepted, as in the CSV files."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(path.name, f"cannot be read: {exc.strerror or exc}"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(
            Problem(
                path.name,
                f"is not UTF-8 text (byte {exc.start + 1}): save it as UTF-8 "
                "(plain text in any editor)",
            )
        )
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.append(Problem(path.name, f"is not valid TOML: {exc}"))
        return None


def parse_config(
    config: dict, where: str, default_name: str, problems: list[Problem], *, complete: bool = True
) -> dict:
    """The settings, typed and checked; every problem goes to ``problems`` (file ``where``).
    ``complete=False``: the file could not be read, so a missing key is no problem of its own."""
    out: dict = {}

    def add(message: str) -> None:
        problems.append(Problem(where, message))

    for key, value in config.items():
        if key in SECTIONS:
            if not isinstance(value, dict):
                add(f"`[{key}]` must be a table")
                continue
            section = {}
            for sub, subvalue in value.items():
                if sub not in SECTIONS[key]:
                    add(f"unknown key `{key}.{sub}` (known: {', '.join(SECTIONS[key])})")
                    continue
                section[sub] = _typed(f"{key}.{sub}", subvalue, SECTIONS[key][sub], add)
            out[key] = section
        elif key in KEYS:
            out[key] = _typed(key, value, KEYS[key], add)
        else:
            add(f"unknown key `{key}` (known: {', '.join([*KEYS, *(f'[{s}]' for s in SECTIONS)])})")

    def check(ok: bool, message: str) -> None:
        if not ok:
            add(message)

    name = out.get("name")
    if name is not None:
        why = name_problem(name)
        check(why is None, f"`name` {why}")
    periods = out.get("periods")
    check("periods" in config or not complete, "`periods` is required (number of periods T)")
    if periods is not None:
        check(
            1 <= periods <= MAX_PERIODS, f"`periods` must be in 1..{MAX_PERIODS:,}, got {periods}"
        )
    shortage = out.get("shortage", "backlog")
    check(
        shortage is None or shortage in ("backlog", "lost"),
        f'`shortage` must be "backlog" or "lost", got {shortage!r}',
    )
    cap = out.get("warehouse_capacity")
    check(cap is None or cap >= 0, f"`warehouse_capacity` must be >= 0, got {cap}")
    ms = out.get("max_suppliers")
    check(ms is None or 0 <= ms <= 1_000_000, f"`max_suppliers` must be >= 0, got {ms}")
    start, freq = _dates(out.get("start"), out.get("freq"), "start" in config, add)
    risk = _risk({k: v for k, v in out.get("risk", {}).items() if v is not None}, add)
    sampling = {k: v for k, v in out.get("scenarios", {}).items() if v is not None}
    count = sampling.get("count", 30)
    check(count >= 1, f"`scenarios.count` must be >= 1, got {count}")
    seed = sampling.get("seed", 0)
    check(0 <= seed <= MAX_SEED, f"`scenarios.seed` must be in 0..2**63-1, got {seed}")
    solver = {k: v for k, v in out.get("solver", {}).items() if v is not None}
    tl, gap = solver.get("time_limit"), solver.get("mip_gap")
    check(
        tl is None or 0 < tl <= MAX_TIME_LIMIT,
        f"`solver.time_limit` must be > 0 and at most {MAX_TIME_LIMIT:g} seconds, got {tl}",
    )
    check(gap is None or 0 <= gap <= 1, f"`solver.mip_gap` must be in [0, 1], got {gap}")
    return {
        "name": out.get("name") or default_name,
        "periods": periods if isinstance(periods, int) and 1 <= periods <= MAX_PERIODS else None,
        "shortage": shortage,
        "warehouse_capacity": cap,
        "max_suppliers": ms,
        "start": start,
        "freq": freq,
        "risk": risk,
        "sampling": SamplingConfig(count, seed),
        "solver": SolverConfig(tl, gap),
    }


def _typed(label: str, value, kind, add):
    """``value`` as ``kind``, or None (and a problem)."""
    if isinstance(value, np.generic):
        value = value.item()
    if kind is str and label == "start" and isinstance(value, (dt.date, pd.Timestamp)):
        return date_text(pd.Timestamp(value))  # a TOML date, or a Timestamp from the API
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        add(f"`{label}` must be {_KIND_NAMES[kind]}, got {value!r}")
        return None
    if kind is float and math.isnan(value):
        add(f"`{label}` must be a number, got nan")
        return None
    return value


_KIND_NAMES = {str: "text", int: "a whole number", float: "a number"}


def _dates(start, freq, start_given: bool, add) -> tuple[str | None, str | None]:
    """``start`` and ``freq``, checked: both or neither, a known period length that runs
    forward, and a start on its grid (else every date in the plan would be shifted)."""
    if (start is None) != (freq is None):
        if not (start is None and start_given):  # a start of the wrong type is reported already
            add("`start` and `freq` go together: give both or neither")
        return None, None
    if start is None:
        return None, None
    try:
        first = pd.Timestamp(start)
        offset = to_offset(freq)
        dates = pd.date_range(first, periods=2, freq=offset)
    except (ValueError, TypeError) as exc:
        add(f"`start`/`freq` do not make dates ({start!r}, {freq!r}): {exc}")
        return None, None
    if dates[1] <= dates[0]:
        add(f"`freq` {freq!r} does not move forward in time (periods must follow each other)")
        return None, None
    if dates[0] != first:
        before = (offset.rollback(first) if hasattr(offset, "rollback") else None) or dates[0]
        add(
            f"`start` {date_text(first)} ({first.day_name()}) is not on the {freq!r} grid: "
            f"period 1 would be dated {date_text(dates[0])}; give a start on the grid "
            f"(e.g. {date_text(pd.Timestamp(before))} or {date_text(dates[0])}) or another freq"
        )
        return None, None
    return date_text(first), freq


def date_text(date: pd.Timestamp) -> str:
    return date.strftime("%Y-%m-%d") if date == date.normalize() else date.isoformat()


def _risk(risk: dict, add) -> RiskConfig:
    """The risk setting. A weight without a measure means CVaR (as ``--risk-weight``); a
    positive weight with ``measure = "expected"`` contradicts itself and is an error."""
    measure = risk.get("measure")
    weight = risk.get("weight")
    if measure is not None and measure not in ("expected", "cvar"):
        add(f'`risk.measure` must be "expected" or "cvar", got {measure!r}')
    if weight is not None and not 0 <= weight <= 1:
        add(f"`risk.weight` must be in [0, 1], got {weight}")
    if measure == "expected" and weight:
        add(
            f'`risk.weight` {weight:g} has no effect with `measure = "expected"`: set '
            '`measure = "cvar"` to weigh CVaR, or remove the weight'
        )
    alpha = risk.get("alpha", 0.9)
    if not 0 < alpha < 1:
        add(f"`risk.alpha` must be in (0, 1), got {alpha}")
    if measure is None:
        measure = "cvar" if weight else "expected"
    if measure == "cvar" and weight is None:
        weight = 0.5
    return RiskConfig(measure, float(weight or 0.0) if measure == "cvar" else 0.0, alpha)
