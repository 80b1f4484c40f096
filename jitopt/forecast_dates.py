"""Dates of a forecast: parsing them, telling the period length, checking the grid of periods."""

from __future__ import annotations

import re
import warnings
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


_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
_ISO = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")


def parse_dates(column: pd.Series, date_format: str | None = None) -> tuple[pd.Series, str | None]:
    """The dates of ``column`` (NaT where a cell is no date), and why they cannot be trusted
    (None when they can).

    - ``date_format`` (strftime codes, e.g. ``%d/%m/%Y``) reads every date that way.
    - Dates with a UTC offset (``2027-01-04T00:00:00+01:00``, ``...Z``) are read at their own
      wall time, whatever the offset: a forecast's dates name periods, not instants.
    - ISO dates (2027-01-04) are read as such. Others are read month-first and day-first: when
      both readings take every date and differ (01/02/2027: 2 January or 1 February?), the dates
      are ambiguous and must be given a ``date_format``; when only one takes every date, it is
      used."""
    if pd.api.types.is_datetime64_any_dtype(column):
        dates = pd.Series(column)
        return (dates.dt.tz_localize(None) if dates.dt.tz is not None else dates), None
    text = column.map(lambda v: v if pd.isna(v) else str(v).strip())
    given = text.notna() & (text != "")
    wall = text.where(~given, text.str.replace(_OFFSET, "", regex=True))
    if date_format:
        dates = pd.to_datetime(wall, format=date_format, errors="coerce")
        return dates, None
    if wall[given].map(lambda v: bool(_ISO.match(v))).all():
        return _lenient(wall), None
    month_first = _read(wall, dayfirst=False)
    day_first = _read(wall, dayfirst=True)
    takes_all = [d for d in (month_first, day_first) if d[given].notna().all()]
    if len(takes_all) == 2 and not month_first[given].equals(day_first[given]):
        pos = int(np.flatnonzero((month_first != day_first).to_numpy())[0])
        sample = wall.iloc[pos]
        return month_first, (
            f"the dates can be read month-first or day-first ({sample!r} is "
            f"{date_text(month_first.iloc[pos])} or {date_text(day_first.iloc[pos])}): say "
            "which with --date-format (date_format=), e.g. %m/%d/%Y or %d/%m/%Y"
        )
    if takes_all:
        return takes_all[0], None
    return _lenient(wall), None


def _read(text: pd.Series, dayfirst: bool) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas warns when it falls back to dateutil
        return pd.to_datetime(text, errors="coerce", dayfirst=dayfirst)


def _lenient(text: pd.Series) -> pd.Series:
    """Each date in the format pandas guesses from the first, else on its own."""
    dates = _read(text, dayfirst=False)
    retry = dates.isna() & text.notna()
    if retry.any():  # the format pandas guessed from the first date does not fit every row
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dates[retry] = pd.to_datetime(text[retry], errors="coerce", format="mixed")
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
