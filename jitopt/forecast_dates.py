"""Dates of a forecast: parsing them, telling the period length, checking the grid of periods."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from jitopt.errors import Problem

DATE, SAMPLE = "ds", "sample"


def check_dates(items, dates, keys, fmt, source, labels, problems) -> tuple:
    """Duplicated keys, the period grid and the dates each item (and sample path) misses.
    Returns (grid, freq), or (None, None) when no grid can be made."""
    valid = np.all([key.notna().to_numpy() for key in keys], axis=0)
    table = pd.DataFrame({k: key.to_numpy() for k, key in enumerate(keys)})[valid]
    table["pos"] = np.flatnonzero(valid)
    key_cols = list(range(len(keys)))
    first = table.groupby(key_cols, sort=False)["pos"].transform("min")
    for pos, first_pos in zip(table["pos"], first):
        if pos != first_pos:
            what = (
                f"item {items.iloc[pos]!r} has more than one row for {date_text(dates.iloc[pos])}"
            )
            if fmt.kind == "samples":
                what += f", sample {keys[2].iloc[pos]}"
            problems.add(
                Problem(source, f"{what} (first in row {labels[first_pos]})", labels[pos], DATE),
                "duplicated dates",
            )
    union = pd.DatetimeIndex(sorted(table[1].unique()))
    if len(union) < 2:
        problems.add(
            Problem(source, "needs at least two dates to tell the period length", column=DATE)
        )
        return None, None
    freq = infer_freq(union)
    if freq is None:
        first_dates = ", ".join(date_text(d) for d in union[:5])
        problems.add(
            Problem(
                source,
                f"dates follow no regular frequency (daily, weekly, monthly, ...): {first_dates}, ...",
                column=DATE,
            )
        )
        return None, None
    grid = pd.date_range(union[0], union[-1], freq=freq)
    off_grid = ~table[1].isin(grid).to_numpy()
    for pos in table["pos"].to_numpy()[off_grid]:
        message = (
            f"item {items.iloc[pos]!r}: {date_text(dates.iloc[pos])} is not on the {freq} grid "
            "of the other dates"
        )
        problems.add(Problem(source, message, labels[pos], DATE), "dates off the grid")
    horizon = f"{date_text(grid[0])}..{date_text(grid[-1])}"
    groups = [0, 2] if fmt.kind == "samples" else [0]
    all_samples = set(table[2]) if fmt.kind == "samples" else None
    for key, group in table.groupby(groups, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        missing = grid.difference(pd.DatetimeIndex(group[1]))
        path = f", sample {key[1]}" if fmt.kind == "samples" else ""
        for date in missing:
            message = (
                f"item {key[0]!r}{path} has no forecast for {date_text(date)} (every item needs "
                f"every date of {horizon}, {freq})"
            )
            problems.add(Problem(source, message, column=DATE), "missing dates")
    if all_samples is not None:
        for item, group in table.groupby(0, sort=True):
            for sample in sample_order(all_samples - set(group[2])):
                problems.add(
                    Problem(
                        source, f"item {item!r} has no path for sample {sample}", column=SAMPLE
                    ),
                    "missing sample paths",
                )
    return grid, freq


def infer_freq(union: pd.DatetimeIndex) -> str | None:
    """The pandas alias of the spacing of ``union`` (sorted, distinct): of all dates, else the
    most common one of three consecutive dates (a gap hides it from `pd.infer_freq`), else, with
    two dates, of their step."""
    if len(union) >= 3:
        freq = _infer(union)
        if freq is not None:
            return freq
        windows = Counter(_infer(union[k : k + 3]) for k in range(len(union) - 2))
        windows.pop(None, None)
        return windows.most_common(1)[0][0] if windows else None
    a, b = union[0], union[1]
    for freq in ("D", f"W-{a.day_name()[:3].upper()}", "MS", "ME", "QS", "QE", "YS", "YE", "h"):
        grid = pd.date_range(a, b, freq=freq)
        if len(grid) == 2 and grid[0] == a:
            return freq
    return None


def _infer(dates: pd.DatetimeIndex) -> str | None:
    try:
        with pd.option_context("future.infer_freq_returns_offset", True):
            freq = pd.infer_freq(dates)
    except (pd.errors.OptionError, KeyError):  # older pandas: a string, and no such option
        freq = pd.infer_freq(dates)
    return None if freq is None else to_offset(freq).freqstr


def parse_dates(column: pd.Series) -> pd.Series:
    dates = pd.to_datetime(column, errors="coerce")
    retry = dates.isna() & column.notna()
    if retry.any():  # the format pandas guessed from the first date does not fit every row
        dates[retry] = pd.to_datetime(column[retry], errors="coerce", format="mixed")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    return dates


def sample_order(samples) -> list[str]:
    """Sample ids in numeric order when they are numbers, else in text order."""
    samples = list(samples)
    try:
        return sorted(samples, key=float)
    except ValueError:
        return sorted(samples)


def date_text(date: pd.Timestamp) -> str:
    date = pd.Timestamp(date)
    return date.strftime("%Y-%m-%d") if date == date.normalize() else date.isoformat()
