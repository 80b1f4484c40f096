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
from jitopt.schema import SETTINGS, setting_default


@dataclass(frozen=True)
class RiskConfig:
    measure: str = "expected"
    weight: float = 0.0
    alpha: float = setting_default("risk.alpha")


@dataclass(frozen=True)
class SamplingConfig:
    count: int = setting_default("scenarios.count")
    seed: int = setting_default("scenarios.seed")


@dataclass(frozen=True)
class SolverConfig:
    time_limit: float | None = setting_default("solver.time_limit")
    mip_gap: float | None = setting_default("solver.mip_gap")


# The keys of instance.toml (`jitopt.schema.SETTINGS`), top level and by [section]
KEYS = {s.key: s.kind for s in SETTINGS.values() if s.section is None}
SECTIONS: dict[str, dict[str, type]] = {}
for _s in SETTINGS.values():
    if _s.section is not None:
        SECTIONS.setdefault(_s.section, {})[_s.name] = _s.kind


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

    values: dict = {}  # every setting, typed, in range or None; defaults where absent
    for key, setting in SETTINGS.items():
        section, name = setting.section, setting.name
        value = out.get(section, {}).get(name) if section else out.get(key)
        given = name in _table(config.get(section)) if section else key in config
        if setting.required:
            check(given or not complete, f"`{key}` is required ({setting.meaning})")
        if value is not None and setting.violated(value):
            got = repr(value) if setting.kind is str else value
            add(f"`{key}` must be {setting.rule}, got {got}")
            value = None
        values[key] = value if given else setting.default

    name = values["name"]
    if name is not None:
        why = name_problem(name)
        check(why is None, f"`name` {why}")
    start, freq = _dates(values["start"], values["freq"], "start" in config, add)
    risk = _risk({k: values[f"risk.{k}"] for k in ("measure", "weight", "alpha")}, add)
    settings = {key: values[key] for key in KEYS}  # one `Instance` field each
    settings.update(name=name or default_name, start=start, freq=freq, risk=risk)
    settings["sampling"] = SamplingConfig(values["scenarios.count"], values["scenarios.seed"])
    settings["solver"] = SolverConfig(values["solver.time_limit"], values["solver.mip_gap"])
    return settings


def _table(value) -> dict:
    return value if isinstance(value, dict) else {}


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
    except (ValueError, TypeError) as exc:
        add(f"`start` {start!r} is not a date ({exc})")
        return None, None
    try:
        offset = to_offset(freq)
        dates = pd.date_range(first, periods=2, freq=offset)
    except (ValueError, TypeError):
        add(
            f"`freq` {freq!r} is not a period length pandas knows (e.g. \"W-MON\" weeks "
            'starting Monday, "D" days, "MS" months)'
        )
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
    """The risk setting (measure, weight, alpha: each in range or None). A weight without a
    measure means CVaR (as ``--risk-weight``); a positive weight with ``measure = "expected"``
    contradicts itself and is an error."""
    measure, weight, alpha = risk["measure"], risk["weight"], risk["alpha"]
    if measure == "expected" and weight:
        add(
            f'`risk.weight` {weight:g} has no effect with `measure = "expected"`: set '
            '`measure = "cvar"` to weigh CVaR, or remove the weight'
        )
    if measure is None:
        measure = "cvar" if weight else "expected"
    if measure == "cvar" and weight is None:
        weight = 0.5
    if alpha is None:
        alpha = setting_default("risk.alpha")
    return RiskConfig(measure, float(weight or 0.0) if measure == "cvar" else 0.0, alpha)
