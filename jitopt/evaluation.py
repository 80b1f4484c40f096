"""Scenarios to judge a plan on (SPEC §8.1): sampled out of sample, replayed from a folder, or one
stress scenario; produced in chunks, so that any number of scenarios fits in bounded memory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from jitopt.errors import InstanceError, Problem
from jitopt.instance import Instance, Reader, read_tables
from jitopt.scenarios import (
    ORDERS,
    OUTAGE_COLUMNS,
    TRANSIT,
    arrival_periods,
    availability,
    certain_outages,
    check_count,
    check_seed,
    demand_array,
    disruption_targets,
    held_until,
    transit_held,
)
from jitopt.schema import EVERY_SCENARIO, MAX_SEED, OUTAGE_KINDS, TABLES

REPLAY_TABLES = ("scenarios", "outages", "demand")
SERIES_COLUMN = "demand_series"  # scenarios.csv of a simulation: the instance's series used


@dataclass
class Chunk:
    """Consecutive scenarios: names, probabilities, availability (w, s, t), demand (w, i, t),
    their outages (rows of outages.csv) and, when the instance has several demand series, the
    series each scenario uses."""

    names: list[str]
    probability: np.ndarray
    available: np.ndarray
    demand: np.ndarray
    outages: pd.DataFrame
    series: list[str] | None = None
    arrival: np.ndarray | None = None  # as `jitopt.scenarios.ScenarioSet.arrival`

    def scenarios_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame({"scenario": self.names, "probability": self.probability})
        if self.series is not None:
            frame[SERIES_COLUMN] = self.series
        return frame


class Source:
    """Where the scenarios come from; `chunks` yields them in order."""

    kind: str  # "sampled", "replay", "stress"
    count: int
    seed: int | None = None
    notes: list[str]  # options given that this source does not use

    def chunks(self, size: int) -> Iterator[Chunk]:
        raise NotImplementedError


# -- sampled -----------------------------------------------------------------------------------


class Sampled(Source):
    """``count`` equally likely scenarios: disruptions drawn exactly as SPEC §2 "Sampled" from the
    instance's disruption_prob (even when it lists explicit scenarios), and each scenario's demand
    one of the instance's demand series, drawn with the series' probabilities (independently of
    the disruptions). Two generators spawned from ``seed`` (one for disruptions, one for demand)
    consume their streams scenario by scenario, so the chunk size does not change the result."""

    kind = "sampled"

    def __init__(self, inst: Instance, count: int, seed: int | None = None, forecast=None):
        if seed is None:
            seed = (inst.sampling.seed + 1) % (MAX_SEED + 1)  # out of sample by default
        self.inst, self.count, self.seed = inst, check_count(count), check_seed(seed)
        self.targets = disruption_targets(inst)
        self.series_names, self.series_prob, self.series = demand_series(inst)
        self.forecast = None if forecast is None else ForecastDemand(inst, forecast)

    def chunks(self, size: int) -> Iterator[Chunk]:
        disruptions, demands = (
            np.random.default_rng(s) for s in np.random.SeedSequence(self.seed).spawn(2)
        )
        targets = self.targets
        transit = np.array([k == TRANSIT for k in targets.kind], dtype=bool)
        T = self.inst.periods
        for lo in range(0, self.count, size):
            n = min(size, self.count - lo)
            chunk_names = [f"s{k + 1}" for k in range(lo, lo + n)]
            down = sample_disruptions(disruptions, n, T, targets.prob, targets.length)
            blocked, held = (
                np.einsum("wkt,ks->wst", down[:, mask].astype(np.int32), targets.covers[mask])
                > 0
                for mask in (~transit, transit)
            )
            series = None
            if self.forecast is not None:
                demand = self.forecast.draw(demands, n)
            elif len(self.series_names) > 1:
                pick = demands.choice(len(self.series_names), size=n, p=self.series_prob)
                demand = self.series[pick]
                series = [self.series_names[k] for k in pick]
            else:
                demand = np.broadcast_to(self.series[0], (n, *self.series.shape[1:]))
            certain = certain_outages(self.inst, chunk_names)
            outages = outage_rows(down, chunk_names, targets.names, targets.kind)
            held |= transit_held(self.inst, chunk_names, certain)
            yield Chunk(
                names=chunk_names,
                probability=np.full(n, 1.0 / self.count),
                available=~blocked & availability(self.inst, chunk_names, certain),
                demand=demand,
                outages=pd.concat([certain, outages], ignore_index=True),
                series=series,
                arrival=held_until(held) if held.any() else None,
            )


class ForecastDemand:
    """Demand drawn from a forecast (SPEC §7's rules, `jitopt.demand`): for intervals and
    quantiles one uniform per scenario and item through the quantile function, rounded to whole
    units; for sample paths one path per scenario (drawn with replacement, since there may be
    more scenarios than paths); a point forecast is the one series. The forecast must cover the
    instance's items and periods (and its dates, when it has them)."""

    def __init__(self, inst: Instance, forecast):
        self.kind = forecast.format.kind
        self.forecast = forecast
        problems = []
        where = "--forecast"
        missing = sorted(set(inst.items.index) - set(forecast.items))
        extra = sorted(set(forecast.items) - set(inst.items.index))
        if missing:
            problems.append(Problem(where, f"no forecast for item(s) {', '.join(missing[:10])}"))
        if extra:
            problems.append(
                Problem(where, f"item(s) {', '.join(extra[:10])} are not items of the instance")
            )
        if forecast.periods != inst.periods:
            problems.append(
                Problem(where, f"{forecast.periods} dates, the instance has {inst.periods} periods")
            )
        elif inst.has_dates and not forecast.dates.equals(inst.period_dates()):
            problems.append(
                Problem(
                    where,
                    f"dates {forecast.dates[0].date()}.. do not match the instance's periods "
                    f"({inst.start}, every {inst.freq})",
                )
            )
        if problems:
            raise InstanceError(problems, "forecast")
        order = [forecast.items.index(i) for i in inst.items.index]
        self.values = forecast.values[order]  # (items, periods, k)

    def draw(self, rng, n: int) -> np.ndarray:
        from jitopt.demand import quantile_function

        if self.kind == "point":
            return np.broadcast_to(
                np.maximum(self.values[..., 0], 0.0), (n, *self.values.shape[:2])
            )
        if self.kind == "samples":
            pick = rng.integers(self.values.shape[2], size=n)
            return np.maximum(np.moveaxis(self.values[:, :, pick], 2, 0), 0.0)
        u = rng.random((n, self.values.shape[0]))
        draws = quantile_function(self.forecast.probabilities, self.values, u[:, :, None])
        return np.round(np.round(draws, 3), 0) + 0.0


def read_forecast_file(path, model: str | None = None):
    """A checked forecast (`jitopt.forecast`) from a file or a DataFrame."""
    from jitopt.forecast import parse_forecast, read_forecast

    if isinstance(path, (str, Path)):
        if not Path(path).is_file():
            what = "is a folder" if Path(path).is_dir() else "does not exist"
            raise InstanceError(
                [Problem(str(path), f"{what} (--forecast needs a file)")], "forecast"
            )
        path = read_forecast(path)
    return parse_forecast(path, model)


def sample_disruptions(rng, n: int, T: int, prob: np.ndarray, length: np.ndarray) -> np.ndarray:
    """down[w, k, t]: target k is disrupted in period t+1 of scenario w. In each period a target
    that is not disrupted starts a disruption with its probability, lasting its length."""
    K = len(prob)
    draws = rng.random((n, T, K))
    down = np.zeros((n, K, T), dtype=bool)
    remaining = np.zeros((n, K), dtype=int)
    for t in range(T):
        start = (remaining == 0) & (draws[:, t, :] < prob)
        remaining = np.where(start, length, remaining)
        down[:, :, t] = remaining > 0
        remaining = np.maximum(remaining - 1, 0)
    return down


def outage_rows(
    down: np.ndarray, scenarios: list[str], targets: list[str], kinds: list[str]
) -> pd.DataFrame:
    """The runs of ``down`` as rows of outages.csv (scenario, target, start, end, kind)."""
    before = np.zeros_like(down[:, :, :1])
    starts = down & ~np.concatenate([before, down[:, :, :-1]], axis=2)
    ends = down & ~np.concatenate([down[:, :, 1:], before], axis=2)
    w, k, t0 = np.nonzero(starts)
    _, _, t1 = np.nonzero(ends)
    return pd.DataFrame(
        {
            "scenario": np.asarray(scenarios, dtype=object)[w],
            "target": np.asarray(targets, dtype=object)[k] if len(targets) else [],
            "start": t0 + 1,
            "end": t1 + 1,
            "kind": np.asarray(kinds, dtype=object)[k] if len(targets) else [],
        }
    ).astype({"start": int, "end": int})


def demand_series(inst: Instance) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The instance's demand series (names, probabilities, demand[k, i, t]). With a scenario
    column in demand.csv: one per demand scenario, with the probability of scenarios.csv when it
    lists them, else equally likely; otherwise the one series."""
    if "scenario" not in inst.demand.columns:
        return ["base"], np.ones(1), demand_array(inst, ["base"])
    names = sorted(inst.demand["scenario"].unique())
    if inst.scenarios is not None:
        prob = inst.scenarios.set_index("scenario")["probability"].reindex(names).to_numpy(float)
    else:
        prob = np.full(len(names), 1.0 / len(names))
    return names, prob / prob.sum(), demand_array(inst, names)


def expected_demand(inst: Instance) -> np.ndarray:
    """The mean of the instance's demand series (with their probabilities), shape (I, T)."""
    _, prob, series = demand_series(inst)
    return np.einsum("k,kit->it", prob, series)


# -- given scenarios ---------------------------------------------------------------------------


class Given(Source):
    """A fixed scenario set (a replay or a stress scenario), handed out in slices."""

    def __init__(self, kind: str, chunk: Chunk):
        self.kind, self.whole, self.count = kind, chunk, len(chunk.names)

    def chunks(self, size: int) -> Iterator[Chunk]:
        c = self.whole
        for lo in range(0, self.count, size):
            sl = slice(lo, lo + size)
            names = c.names[sl]
            yield Chunk(
                names=names,
                probability=c.probability[sl],
                available=c.available[sl],
                demand=c.demand[sl],
                outages=c.outages[c.outages["scenario"].isin(set(names))],
                series=None if c.series is None else c.series[sl],
                arrival=None if c.arrival is None else c.arrival[sl],
            )


def stress(inst: Instance, outages: list[str]) -> Given:
    """One scenario, ``stress``: the outages given as ``TARGET:START-END[:transit]`` texts (a
    supplier or a region, periods inclusive; ``:transit`` holds goods in transit instead of
    stopping orders), with the expected demand. Bad texts: `InstanceError`, each named."""
    problems, rows = [], []
    known_suppliers = set(inst.suppliers.index)
    known_regions = set(inst.suppliers["region"]) | set(inst.regions.index)
    T = inst.periods
    for text in outages:
        body, kind = str(text), ORDERS
        for word in OUTAGE_KINDS:
            if body.lower().endswith(f":{word}"):
                body, kind = body[: -len(word) - 1], word
        target, _, span = body.rpartition(":")
        start, dash, end = span.partition("-")
        where = f"--outage {text!r}"
        try:
            first, last = int(start), int(end if dash else start)
        except ValueError:
            problems.append(
                Problem(where, "give TARGET:START-END[:transit], e.g. CN:3-10 (periods)")
            )
            continue
        if not target:
            problems.append(Problem(where, "names no supplier or region (TARGET:START-END)"))
        elif target not in known_suppliers and target not in known_regions:
            problems.append(Problem(where, f"{target!r} is no supplier or region of the instance"))
        if not 1 <= first <= last:
            problems.append(Problem(where, f"periods {first}-{last}: need 1 <= START <= END"))
        elif first > T:
            problems.append(Problem(where, f"starts after the last period {T}"))
        rows.append(("stress", target, first, min(last, T), kind))
    if problems:
        raise InstanceError(problems, "stress scenario")
    frame = pd.DataFrame(rows, columns=OUTAGE_COLUMNS)
    frame = pd.concat([certain_outages(inst, ["stress"]), frame], ignore_index=True)
    return Given(
        "stress",
        Chunk(
            names=["stress"],
            probability=np.ones(1),
            available=availability(inst, ["stress"], frame),
            demand=expected_demand(inst)[None],
            outages=frame,
            arrival=arrival_periods(inst, ["stress"], frame),
        ),
    )


def replay(inst: Instance, folder: str | Path) -> Given:
    """The scenarios of ``folder``: scenarios.csv (scenario, probability; the costs and other
    columns a solve or simulation writes are ignored), outages.csv and demand.csv when present.
    Without demand.csv, scenarios use the instance's demand: the series named in
    ``demand_series`` (a simulation's scenarios.csv), the series of the same name (a solve of an
    instance with demand scenarios), or the one series. Bad files: `InstanceError`."""
    folder = Path(folder)
    problems: list[Problem] = []
    if not folder.is_dir():
        raise InstanceError([Problem(str(folder), "is not a folder (--replay)")], "replay")
    raw, unreadable = read_tables(folder, list(REPLAY_TABLES), problems)
    series = None
    scen = raw["scenarios"]
    if scen is not None:
        if SERIES_COLUMN in scen.columns:
            series = scen[SERIES_COLUMN].astype(str).str.strip().tolist()
        scen = scen[[c for c in scen.columns if c in ("scenario", "probability")]]
        raw["scenarios"] = scen
    reader = Reader(from_files=True)
    reader.problems, reader.unreadable = problems, unreadable
    if raw["scenarios"] is None and "scenarios" not in unreadable:
        problems.append(Problem("scenarios.csv", "file is missing (it is required to replay)"))
    parsed = {s: reader.parse_table(TABLES[s], raw[s]) for s in REPLAY_TABLES if raw[s] is not None}
    for stem, frame in parsed.items():
        if frame is not None:
            reader.check_keys(TABLES[stem], frame, raw[stem])
    names = reader.check_scenarios(parsed.get("scenarios"), raw["scenarios"])
    if parsed.get("demand") is not None:
        reader.check_demand(
            parsed["demand"], raw["demand"], set(inst.items.index), inst.periods, names
        )
    elif names is not None:
        series = _check_series(inst, names, series, problems)
    if parsed.get("outages") is not None:
        context = {"outages": parsed["outages"], "regions": inst.regions.reset_index()}
        reader.check_outages(
            context,
            raw,
            {"periods": inst.periods},
            names,
            set(inst.suppliers.index),
            set(inst.suppliers["region"]),
        )
    if problems:
        raise InstanceError([_in_folder(p, folder) for p in problems], "replay scenarios")

    outages = parsed.get("outages")
    if outages is None:
        outages = pd.DataFrame({c: [] for c in OUTAGE_COLUMNS})
    outages = outages[OUTAGE_COLUMNS].astype({"start": int, "end": int})
    scenarios = parsed["scenarios"]
    names = scenarios["scenario"].tolist()
    named = outages[outages["scenario"] != EVERY_SCENARIO]
    outages = pd.concat([certain_outages(inst, names, outages), named], ignore_index=True)
    if parsed.get("demand") is not None:  # the folder's own demand.csv
        demand = demand_array(replace(inst, demand=parsed["demand"]), names)
    elif series is not None:  # each scenario uses one of the instance's series
        series_names, _, series_demand = demand_series(inst)
        pos = {n: k for k, n in enumerate(series_names)}
        demand = series_demand[[pos[s] for s in series]]
    else:  # the instance's one series, or its series of the same names
        demand = demand_array(inst, names)
    return Given(
        "replay",
        Chunk(
            names=names,
            probability=scenarios["probability"].to_numpy(float),
            available=availability(inst, names, outages),
            demand=demand,
            outages=outages.reset_index(drop=True),
            series=series,
            arrival=arrival_periods(inst, names, outages),
        ),
    )


def _check_series(inst: Instance, names: list[str], series, problems) -> list[str] | None:
    """Which instance demand series each replayed scenario uses (None: the instance's demand
    as it stands); problems for names the instance does not have."""
    series_names = set(demand_series(inst)[0])
    if series is None:
        if "scenario" not in inst.demand.columns:
            return None
        missing = [n for n in names if n not in series_names]
        if missing:
            problems.append(
                Problem(
                    "scenarios.csv",
                    f"scenario {missing[0]!r}{' and more' if len(missing) > 1 else ''} has no "
                    "demand: give demand.csv, or a demand_series column naming the instance's "
                    "demand scenarios",
                    column="scenario",
                )
            )
        return None
    for row, name in enumerate(series):
        if name not in series_names:
            problems.append(
                Problem(
                    "scenarios.csv",
                    f"demand series {name!r} is not a demand scenario of the instance",
                    row + 2,
                    SERIES_COLUMN,
                )
            )
    return series


def _in_folder(problem: Problem, folder: Path) -> Problem:
    if problem.file.endswith(".csv"):
        return replace(problem, file=str(folder / problem.file))
    return problem
