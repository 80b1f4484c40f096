"""Demand forecasts (SPEC §7): reading them, telling their format, checking them.

Three shapes are understood, told apart by their columns (`detect_format`):

- ``intervals`` (statsforecast's long format): ``unique_id``, ``ds``, a point column per model
  (``AutoETS``) and optional ``<model>-lo-<L>`` / ``<model>-hi-<L>`` columns; without them the
  forecast is a ``point`` forecast;
- ``quantiles``: ``unique_id``, ``ds``, ``<model>`` and ``<model>-q-<P>`` (P in percent);
- ``samples``: ``unique_id``, ``ds``, ``sample`` and one value column (one row per path and date).

Choices where SPEC §7 is silent (how the checked forecast becomes demand scenarios is in
`jitopt.demand`):

- ``lo-L`` is the (50 - L/2) % quantile, ``hi-L`` the (50 + L/2) % one (`level_to_probability`).
- The point column is used as the median when no 0.5 quantile is given: statsforecast's point
  forecast is the centre of its intervals. Where a point lies outside its neighbouring quantiles
  (the mean of a skewed forecast can), it is ignored for that item and date: a point is no
  quantile, so this is no ordering error. Quantiles out of order are.
- Negative values are an error unless ``clip_negative`` (``--clip-negative``): they are then
  read as zero demand, which is exact for quantiles, since Q of max(0, D) is max(0, Q of D).
- Dates (`jitopt.forecast_dates`): the period length is ``pd.infer_freq`` of all dates (W-MON, D, MS, ME, ...); when a gap
  hides it, the most common one of three consecutive dates. Every item (and sample path) must
  have every date of that grid from the first date to the last, once.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd

from jitopt.errors import InstanceError, Problem
from jitopt.forecast_dates import check_dates, date_text, parse_dates, sample_order

ID, DATE, SAMPLE = "unique_id", "ds", "sample"
KINDS = ("intervals", "quantiles", "samples", "point")
_INTERVAL = re.compile(r"^(?P<model>.+)-(?P<side>lo|hi)-(?P<level>\d+(?:\.\d+)?)$")
_QUANTILE = re.compile(r"^(?P<model>.+)-q-(?P<pct>\d+(?:\.\d+)?)$")
_LIMIT = 20  # problems of one kind listed before the rest are only counted


def level_to_probability(side: str, level: float) -> float:
    """Probability of a bound of the central ``level`` % interval: ``lo-L`` is the (50 - L/2) %
    quantile and ``hi-L`` the (50 + L/2) % quantile (lo-90 -> 0.05, hi-90 -> 0.95)."""
    if side not in ("lo", "hi") or not 0 < level <= 100:
        raise ValueError(f"not an interval bound: {side}-{level}")
    return (50 - level / 2) / 100 if side == "lo" else (50 + level / 2) / 100


@dataclass(frozen=True)
class ForecastFormat:
    """How a forecast is laid out.

    ``kind`` is one of `KINDS`; ``model`` the model used; ``value`` its point column (the value
    column of sample paths; None for quantiles given without a point column); ``quantiles`` the
    (probability, column) pairs of its intervals or quantiles, in increasing probability.
    """

    kind: str
    model: str
    value: str | None
    quantiles: tuple[tuple[float, str], ...] = ()

    @property
    def median_from_point(self) -> bool:
        """True when the point column stands in for the missing 0.5 quantile."""
        return (
            self.kind in ("intervals", "quantiles")
            and self.value is not None
            and all(p != 0.5 for p, _ in self.quantiles)
        )

    def used_columns(self) -> list[str]:
        point = self.value is not None and (
            self.kind in ("point", "samples") or self.median_from_point
        )
        return ([self.value] if point else []) + [c for _, c in self.quantiles]


@dataclass(frozen=True, eq=False)
class Forecast:
    """A checked forecast: ``values[i, t, k]`` of item ``items[i]`` (in name order) on
    ``dates[t]`` (period t + 1). k runs over ``probabilities`` for intervals and quantiles (the
    point column filling in the median, see the module notes), over ``samples`` for sample paths,
    and has length 1 for a point forecast."""

    format: ForecastFormat
    items: list[str]
    dates: pd.DatetimeIndex
    freq: str
    values: np.ndarray
    probabilities: np.ndarray | None = None
    samples: list[str] | None = None

    @property
    def periods(self) -> int:
        return len(self.dates)

    @property
    def start(self) -> str:
        return date_text(self.dates[0])


def _text(value) -> str:
    """A cell as the user wrote it: numbers without numpy's repr."""
    if isinstance(value, (float, np.floating, int, np.integer)):
        return repr(float(value)) if isinstance(value, (float, np.floating)) else str(value)
    return repr(value)


def read_forecast(path: str | Path, date_format: str | None = None) -> pd.DataFrame:
    """Read a forecast file: CSV, or Parquet (``.parquet``/``.pq``) when pyarrow is installed
    (``pip install 'jitopt[parquet]'``). ``date_format`` (strftime codes) says how to read the
    dates when they could be read day-first and month-first (see
    `jitopt.forecast_dates.parse_dates`).

    Names (``unique_id``, ``sample``) and ``ds`` are kept as text; value columns become numbers
    where every cell is one (otherwise checking reports the bad cells). Problems found later name
    the file and its line numbers (header = line 1)."""
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise InstanceError(
                [
                    Problem(
                        path.name,
                        "reading Parquet needs pyarrow: pip install 'jitopt[parquet]' "
                        "(or pip install pyarrow)",
                    )
                ]
            ) from None
        frame = pd.read_parquet(path)
        frame.attrs.update(source=path.name, date_format=date_format)
        return frame
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        reason = " ".join(str(exc).split())
        raise InstanceError([Problem(path.name, f"cannot be read as CSV: {reason}")]) from None
    raw.columns = [str(c).strip() for c in raw.columns]
    if len(raw) and len(raw.columns):
        blank = raw.apply(lambda col: col.str.strip() == "").all(axis=1)
        raw = raw[~blank.to_numpy(bool)]  # the index stays the line number - 2
    for column in raw.columns:
        if column in (ID, DATE, SAMPLE):
            continue
        text = raw[column].str.strip()
        numbers = pd.to_numeric(text.where(text != ""), errors="coerce")
        if (numbers.notna() | (text == "")).all():
            raw[column] = numbers.astype(float)
    raw.attrs.update(source=path.name, first_line=2, date_format=date_format)
    return raw


def detect_format(frame: pd.DataFrame, model: str | None = None) -> ForecastFormat:
    """The layout of ``frame`` (see `ForecastFormat`); ``model`` picks one of several models.
    Raises `InstanceError` when the columns fit no format or the model is unknown or ambiguous."""
    problems = ProblemList()
    fmt = _detect(normalized(frame), model, source_name(frame), problems)
    problems.raise_if_any()
    return fmt


def parse_forecast(
    frame: pd.DataFrame, model: str | None = None, *, clip_negative: bool = False
) -> Forecast:
    """Check ``frame`` and return it as a `Forecast`; raises `InstanceError` listing every
    problem (item and date of each: missing or duplicated dates, missing or negative values,
    quantiles out of order)."""
    problems = ProblemList()
    forecast = parse_frame(frame, model, clip_negative, problems)
    problems.raise_if_any()
    return forecast


# -- checking ------------------------------------------------------------------------------------


class ProblemList:
    """Problems found so far. Forecasts can be long, so at most `_LIMIT` of one kind are listed;
    the rest are counted in one closing line."""

    def __init__(self):
        self.listed: list[Problem] = []
        self.counts: Counter = Counter()
        self.files: dict[str, str] = {}

    def add(self, problem: Problem, kind: str | None = None) -> None:
        kind = kind or problem.message
        self.counts[kind] += 1
        self.files.setdefault(kind, problem.file)
        if self.counts[kind] <= _LIMIT:
            self.listed.append(problem)

    def all(self) -> list[Problem]:
        more = [
            Problem(self.files[kind], f"... and {n - _LIMIT} more: {kind}")
            for kind, n in self.counts.items()
            if n > _LIMIT
        ]
        return self.listed + more

    def __len__(self) -> int:
        return sum(self.counts.values())

    def raise_if_any(self) -> None:
        if self.counts:
            raise InstanceError(self.all())


def source_name(frame: pd.DataFrame) -> str:
    return frame.attrs.get("source") or "forecast (DataFrame)"


def _labels(frame: pd.DataFrame) -> list:
    """Row labels for problems: line numbers of a CSV file, index labels of a DataFrame."""
    first_line = frame.attrs.get("first_line")
    return [int(k) + first_line for k in frame.index] if first_line else frame.index.tolist()


def forecast_items(frame: pd.DataFrame) -> dict[str, int | str]:
    """The items of a forecast, each with the row of its first line (empty without unique_id)."""
    frame = normalized(frame)
    labels = _labels(frame)
    if ID not in frame.columns:
        return {}
    rows: dict[str, int | str] = {}
    for name, label in zip(_names(frame[ID]), labels):
        if name is not None:
            rows.setdefault(name, label)
    return rows


def normalized(frame: pd.DataFrame) -> pd.DataFrame:
    """Column names stripped; ``unique_id``/``ds`` taken from the index where they are kept there
    (older statsforecast versions return ``unique_id`` as the index)."""
    attrs = dict(frame.attrs)
    names = [n for n in frame.index.names if n in (ID, DATE, SAMPLE)]
    if names:
        frame = frame.reset_index(level=names)
    frame = frame.rename(columns=lambda c: str(c).strip())
    frame.attrs.update(attrs)
    return frame


def _detect(frame, model, source, problems: ProblemList) -> ForecastFormat | None:
    missing = [c for c in (ID, DATE) if c not in frame.columns]
    for column in missing:
        problems.add(
            Problem(
                source,
                "required column is missing (a forecast has unique_id, ds and one column per "
                "model)",
                column=column,
            )
        )
    if missing:
        return None
    rest = [c for c in frame.columns if c not in (ID, DATE)]
    if SAMPLE in rest:
        values = [c for c in rest if c != SAMPLE]
        if model is not None and model in values:
            return ForecastFormat("samples", model, model)
        if model is None and len(values) == 1:
            return ForecastFormat("samples", values[0], values[0])
        found = ", ".join(values) or "none"
        what = f"unknown value column {model!r}" if model else "need exactly one value column"
        problems.add(Problem(source, f"sample paths: {what} (found: {found})", column=SAMPLE))
        return None

    models: dict[str, dict] = {}
    for column in rest:
        interval, quantile = _INTERVAL.match(column), _QUANTILE.match(column)
        match = interval or quantile
        entry = models.setdefault(
            match["model"] if match else column, {"point": None, "lo/hi": [], "q": []}
        )
        if match is None:
            entry["point"] = column
            continue
        number = float(match["level"] if interval else match["pct"])
        if interval and 0 < number <= 100:
            entry["lo/hi"].append((level_to_probability(match["side"], number), column))
        elif quantile and 0 <= number <= 100:
            entry["q"].append((number / 100, column))
        else:
            problems.add(
                Problem(source, "level must be in (0, 100] (a quantile in [0, 100])", column=column)
            )
    if not models:
        problems.add(Problem(source, "has no forecast column (e.g. AutoETS) besides unique_id, ds"))
        return None
    found = ", ".join(models)
    if model is None and len(models) > 1:
        problems.add(Problem(source, f"several models ({found}): choose one with --model"))
        return None
    if model is not None and model not in models:
        problems.add(Problem(source, f"unknown model {model!r} (models found: {found})"))
        return None
    model = model or next(iter(models))
    entry = models[model]
    if entry["lo/hi"] and entry["q"]:
        problems.add(
            Problem(source, f"model {model!r} has both interval (lo/hi) and quantile (q) columns")
        )
        return None
    pairs = sorted(entry["lo/hi"] or entry["q"])
    for (p, a), (q, b) in pairwise(pairs):
        if np.isclose(p, q):
            problems.add(Problem(source, f"columns {a} and {b} give the same quantile", column=b))
    kind = "intervals" if entry["lo/hi"] else "quantiles" if entry["q"] else "point"
    return ForecastFormat(kind, model, entry["point"], tuple(pairs))


def parse_frame(frame, model, clip_negative, problems: ProblemList) -> Forecast | None:
    frame = normalized(frame)  # keeps attrs; an index holding unique_id becomes a column
    source, labels = source_name(frame), _labels(frame)
    fmt = _detect(frame, model, source, problems)
    if fmt is None:
        return None
    before = len(problems)

    def add(pos, column, message, kind=None):
        problems.add(Problem(source, message, labels[pos], column), kind)

    items = _names(frame[ID])
    dates, ambiguous = parse_dates(frame[DATE], frame.attrs.get("date_format"))
    if ambiguous:
        problems.add(Problem(source, ambiguous, column=DATE))
        return None
    keys = [items, dates]
    for pos in np.flatnonzero(items.isna().to_numpy()):
        add(pos, ID, "is empty (the item name is required)")
    for pos in np.flatnonzero(dates.isna().to_numpy()):
        add(pos, DATE, f"{frame[DATE].iloc[pos]!r} is not a date", "dates that are no dates")
    if fmt.kind == "samples":
        keys.append(_names(frame[SAMPLE]))
        for pos in np.flatnonzero(keys[2].isna().to_numpy()):
            add(pos, SAMPLE, "is empty (the sample id is required)")

    def where(pos):
        item, date = items.iloc[pos], dates.iloc[pos]
        text = f"item {item!r}" if item is not None else "no item"
        text += f", {date_text(date)}" if not pd.isna(date) else ", no date"
        return text + (f", sample {keys[2].iloc[pos]}" if fmt.kind == "samples" else "")

    columns = fmt.used_columns()
    numbers = {}
    for column in columns:
        raw = frame[column]
        values = pd.to_numeric(raw, errors="coerce").astype(float).to_numpy()
        for pos in np.flatnonzero(~np.isfinite(values)):
            empty = pd.isna(raw.iloc[pos]) or str(raw.iloc[pos]).strip() == ""
            what = "value is missing" if empty else f"{_text(raw.iloc[pos])} is not a finite number"
            add(pos, column, f"{where(pos)}: {what}", f"{what} in {column}")
        if not clip_negative:
            for pos in np.flatnonzero(values < 0):
                add(
                    pos,
                    column,
                    f"{where(pos)}: negative forecast {values[pos]:g} (demand cannot be negative; "
                    "--clip-negative reads negative values as zero demand)",
                    f"negative values in {column}",
                )
        numbers[column] = values

    # Quantiles must not decrease with probability; the point is no quantile, so it is not checked.
    pairs = fmt.quantiles
    for (p, a), (q, b) in pairwise(pairs):
        for pos in np.flatnonzero(numbers[a] > numbers[b]):
            add(
                pos,
                a,
                f"{where(pos)}: quantiles out of order: {a} ({100 * p:g} % quantile) = "
                f"{numbers[a][pos]:g} is above {b} ({100 * q:g} % quantile) = {numbers[b][pos]:g}",
                f"quantiles out of order ({a} above {b})",
            )

    grid, freq = check_dates(items, dates, keys, fmt, source, labels, problems)
    if len(problems) > before or grid is None:
        return None

    item_names = sorted(set(items))
    item_pos = pd.Index(item_names).get_indexer(items)
    date_pos = grid.get_indexer(dates)
    samples = None
    if fmt.kind == "samples":
        samples = sample_order(keys[2].unique())
        depth, k_pos = len(samples), pd.Index(samples).get_indexer(keys[2])
    else:
        depth, k_pos = None, None
    probabilities = None
    if fmt.kind == "samples":
        values = np.full((len(item_names), len(grid), depth), np.nan)
        values[item_pos, date_pos, k_pos] = numbers[fmt.value]
    elif fmt.kind == "point":
        values = np.full((len(item_names), len(grid), 1), np.nan)
        values[item_pos, date_pos, 0] = numbers[fmt.value]
    else:
        probabilities = np.array([p for p, _ in pairs])
        values = np.full((len(item_names), len(grid), len(pairs)), np.nan)
        for k, (_, column) in enumerate(pairs):
            values[item_pos, date_pos, k] = numbers[column]
    if clip_negative:
        values = np.maximum(values, 0.0)
    if fmt.median_from_point:
        point = np.full((len(item_names), len(grid)), np.nan)
        point[item_pos, date_pos] = numbers[fmt.value]
        if clip_negative:
            point = np.maximum(point, 0.0)
        probabilities, values = _insert_median(probabilities, values, point)
    return Forecast(fmt, item_names, grid, freq, values, probabilities, samples)


def _insert_median(probabilities, values, point):
    """Add the point forecast as the 0.5 quantile where it lies between its neighbouring
    quantiles; elsewhere put the value interpolated between them (the point is then ignored)."""
    k = int(np.searchsorted(probabilities, 0.5))
    lower = values[..., k - 1] if k > 0 else None
    upper = values[..., k] if k < len(probabilities) else None
    if lower is not None and upper is not None:
        p0, p1 = probabilities[k - 1], probabilities[k]
        between = lower + (0.5 - p0) / (p1 - p0) * (upper - lower)
        fits = (lower <= point) & (point <= upper)
    elif lower is not None:
        between, fits = lower, point >= lower
    else:
        between, fits = upper, point <= upper
    median = np.where(fits, point, between)
    return np.insert(probabilities, k, 0.5), np.insert(values, k, median, axis=-1)


def _names(column: pd.Series) -> pd.Series:
    """Names as stripped text; None where empty."""
    text = [None if pd.isna(x) else str(x).strip() for x in column]
    return pd.Series([t or None for t in text], index=column.index, dtype=object)
