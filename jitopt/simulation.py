"""Judge a fixed plan on scenarios (SPEC §8.1): the model's second stage solved exactly for each
scenario (`jitopt.recourse`), chunk by chunk, and the metrics of `jitopt.metrics`.

    sim = jitopt.simulate(inst, orders, scenarios=10_000)     # out of sample (seed + 1)
    sim = jitopt.simulate(inst, "out/", replay="out/")        # in sample: = out/scenarios.csv
    sim = jitopt.simulate(inst, orders, outages=["CN:3-10"])  # one stress scenario
    sim.table, sim.summary; sim.write("out/simulation")
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from jitopt.evaluation import Given, Sampled, Source, read_forecast_file, replay, stress
from jitopt.files import OutputFolder, marker
from jitopt.instance import Instance
from jitopt.metrics import scenario_table, summarize
from jitopt.plan_files import ORDER_COLUMNS, plan_lines, read_orders
from jitopt.recourse import Lines, recourse

DEFAULT_SCENARIOS = 1000
# Scenario x item x period cells per chunk: about 10 arrays of this many floats are alive at once.
CHUNK_CELLS = 2_000_000
# demand.csv of a simulation with demand drawn from a forecast is written up to this many rows
# (scenarios x items x periods); beyond, the seed reproduces it.
DEMAND_ROWS = 2_000_000
# A rolling policy's order lines carried out in each scenario (scenario, supplier, item, period,
# quantity): `jitopt.replan`.
CARRIED_OUT = "carried_out.csv"


@dataclass
class Simulation:
    """A plan judged on scenarios: ``table`` (simulation.csv: one row per scenario), ``summary``
    (simulation.json), and the scenarios used (``scenarios``: scenario, probability[,
    demand_series]; ``outages``)."""

    table: pd.DataFrame
    summary: dict
    scenarios: pd.DataFrame
    outages: pd.DataFrame
    warnings: list[str] = field(default_factory=list)
    demand: pd.DataFrame | None = None  # demand.csv, for demand drawn from a forecast
    orders: pd.DataFrame | None = None  # a rolling policy's lines carried out (CARRIED_OUT)

    def files(self) -> dict[str, str]:
        def csv(frame: pd.DataFrame) -> str:
            return frame.to_csv(index=False, lineterminator="\n")

        return {
            "simulation.csv": csv(self.table),
            "simulation.json": json.dumps(self.summary, indent=2) + "\n",
            "scenarios.csv": csv(self.scenarios),
            "outages.csv": csv(self.outages),
        } | {
            name: csv(frame)
            for name, frame in (("demand.csv", self.demand), (CARRIED_OUT, self.orders))
            if frame is not None
        }

    def write(self, out_dir: str | Path | OutputFolder) -> Path:
        """Write the files as one set (`jitopt.files.OutputFolder`, kind "simulation")."""
        if isinstance(out_dir, OutputFolder):
            return out_dir.commit(self.files())
        with OutputFolder(out_dir, "simulation") as folder:
            return folder.commit(self.files())


def simulate(
    inst: Instance,
    orders: pd.DataFrame | str | Path,
    *,
    scenarios: int | None = None,
    seed: int | None = None,
    replay_dir: str | Path | None = None,
    outages: list[str] | None = None,
    forecast: str | Path | pd.DataFrame | None = None,
    model: str | None = None,
    alpha: float | None = None,
    chunk_cells: int = CHUNK_CELLS,
    progress: Callable[[int, int], None] | None = None,
) -> Simulation:
    """Evaluate the plan ``orders`` (a DataFrame with supplier, item, period, quantity; or a
    folder with orders.csv; or an orders CSV file) on: ``outages`` (one stress scenario, texts
    ``TARGET:START-END``), else the scenarios of ``replay_dir``, else ``scenarios`` (default
    1000) sampled with ``seed`` (default: the instance's seed + 1, out of sample).

    A plan that breaks an ordering rule, and bad scenario options or files, raise `InstanceError`
    listing every problem. ``progress(done, total)`` is called after each chunk."""
    began = time.perf_counter()
    plan = plan_lines(inst, orders)
    source = scenario_source(inst, scenarios, seed, replay_dir, outages, forecast, model)
    lines = Lines.from_orders(inst, plan)
    about = {
        "plan": {
            "lines": len(plan),
            "units": float(plan["quantity"].sum()),
            "sha256": plan_fingerprint(plan),
        }
    }
    return judged(
        inst,
        source,
        lambda chunk: fixed_plan_table(inst, lines, chunk),
        about,
        alpha=alpha,
        chunk_cells=chunk_cells,
        progress=progress,
        began=began,
    )


def fixed_plan_table(inst: Instance, lines: Lines, chunk) -> pd.DataFrame:
    """simulation.csv rows of a chunk of scenarios for the fixed plan ``lines``."""
    outcome = recourse(inst, lines, chunk.available, chunk.demand, chunk.arrival)
    return outcome_table(inst, chunk.names, chunk.probability, lines, outcome)


def outcome_table(inst: Instance, names, probability, lines: Lines, outcome) -> pd.DataFrame:
    """simulation.csv rows of the scenarios ``names`` whose second stage is ``outcome``
    (`jitopt.recourse`) for the plan ``lines``; with warehouse capacity, warehouse_overflow."""
    table = scenario_table(
        inst,
        list(names),
        probability,
        purchase=outcome.purchase,
        ordering=lines.ordering,
        contract=lines.contract,
        on_hand=outcome.on_hand,
        short=outcome.short,
        expedited=outcome.expedited,
        demand=outcome.demand,
    )
    if inst.warehouse_capacity is not None:
        table["warehouse_overflow"] = outcome.overflow
    return table


def judged(
    inst: Instance,
    source: Source,
    judge: Callable[[object], pd.DataFrame],
    about: dict,
    *,
    alpha: float | None = None,
    chunk_cells: int = CHUNK_CELLS,
    progress: Callable[[int, int], None] | None = None,
    began: float | None = None,
) -> Simulation:
    """The `Simulation` of ``judge`` (a chunk of scenarios -> its simulation.csv rows) over the
    scenarios of ``source``, chunk by chunk; ``about`` (what was judged) goes into the summary
    after the metrics."""
    began = time.perf_counter() if began is None else began
    alpha = inst.risk.alpha if alpha is None else _alpha(alpha)
    size = max(1, chunk_cells // (len(inst.items) * inst.periods))
    tables, scenario_frames, outage_frames, demand_frames = [], [], [], []
    drawn = getattr(source, "forecast", None) is not None
    cells = source.count * len(inst.items) * inst.periods
    keep_demand = drawn and cells <= DEMAND_ROWS
    done = 0
    for chunk in source.chunks(size):
        tables.append(judge(chunk))
        scenario_frames.append(chunk.scenarios_frame())
        outage_frames.append(chunk.outages)
        if keep_demand:
            demand_frames.append(_long_demand(inst, chunk.names, chunk.demand))
        done += len(chunk.names)
        if progress is not None:
            progress(done, source.count)
    table = pd.concat(tables, ignore_index=True)
    summary = marker("simulation") | {"instance": inst.name} | summarize(table, alpha)
    summary |= {"scenarios": len(table), "seed": source.seed, "source": source.kind} | about
    warnings = list(getattr(source, "notes", []))
    if drawn:
        summary["demand"] = "forecast"
        if not keep_demand:
            warnings.append(
                f"demand.csv is not written ({cells:,} rows): the same forecast, count and seed "
                "draw the same demand again"
            )
    overflow = int((table["warehouse_overflow"] > 0).sum()) if "warehouse_overflow" in table else 0
    if overflow:
        summary["warehouse_overflow_probability"] = float(
            table.loc[table["warehouse_overflow"] > 0, "probability"].sum()
        )
        warnings.append(
            f"in {overflow} scenario(s) the plan's stock exceeds warehouse_capacity whatever is "
            "done (column warehouse_overflow of simulation.csv: the largest volume over it); "
            "their costs are those of the stock as it comes"
        )
    if warnings:
        summary["warnings"] = warnings
    summary["seconds"] = round(time.perf_counter() - began, 3)
    return Simulation(
        table=table,
        summary=summary,
        scenarios=pd.concat(scenario_frames, ignore_index=True),
        outages=pd.concat(outage_frames, ignore_index=True).astype(
            {"scenario": str, "target": str, "start": int, "end": int}
        ),
        warnings=warnings,
        demand=pd.concat(demand_frames, ignore_index=True) if demand_frames else None,
    )


def plan_fingerprint(plan: pd.DataFrame) -> str:
    """SHA-256 of the plan's lines (supplier, item, period, quantity; sorted): which plan a
    simulation judged, so that one left in a plan folder that was solved again can be told
    apart."""
    lines = plan.sort_values(["supplier", "item", "period"])[list(ORDER_COLUMNS)]
    text = lines.to_csv(index=False, lineterminator="\n", float_format="%.10g")
    return hashlib.sha256(text.encode()).hexdigest()


def _long_demand(inst: Instance, names: list[str], demand: np.ndarray) -> pd.DataFrame:
    """demand.csv rows (scenario, item, period, demand) of a chunk."""
    W, n_items, T = demand.shape
    return pd.DataFrame(
        {
            "scenario": np.repeat(np.asarray(names, dtype=object), n_items * T),
            "item": np.tile(np.repeat(inst.items.index.to_numpy(dtype=object), T), W),
            "period": np.tile(np.arange(1, T + 1), W * n_items),
            "demand": demand.ravel(),
        }
    )


def scenario_source(
    inst: Instance,
    count: int | None,
    seed: int | None,
    replay_dir: str | Path | None,
    outages: list[str] | None,
    forecast=None,
    model: str | None = None,
) -> Source:
    """The scenarios to simulate, in SPEC §8.1's order of precedence, and notes for the options
    given that the chosen source does not use."""
    if isinstance(outages, str):
        outages = [outages]
    given = {
        "--scenarios": count is not None,
        "--seed": seed is not None,
        "--forecast": forecast is not None,
        "--replay": replay_dir is not None,
    }
    if outages:
        source, why = stress(inst, list(outages)), "--outage gives the one stress scenario"
    elif replay_dir is not None:
        source, why = replay(inst, replay_dir), f"--replay {replay_dir} gives the scenarios"
    else:
        drawn = None if forecast is None else read_forecast_file(forecast, model)
        source, why = Sampled(inst, DEFAULT_SCENARIOS if count is None else count, seed, drawn), ""
    unused = []
    if source.kind != "sampled":
        unused = [o for o, on in given.items() if on and not (o == "--replay" and not outages)]
    source.notes = [f"{option} is not used: {why}" for option in unused]
    if model is not None and forecast is None:
        source.notes.append("--model is not used: it picks the model of a --forecast")
    return source


def _alpha(alpha) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise ValueError(f"alpha must be a number in (0, 1), got {alpha!r}")
    return float(alpha)


# -- the plan ----------------------------------------------------------------------------------


__all__ = ["Given", "Simulation", "plan_lines", "read_orders", "simulate"]
