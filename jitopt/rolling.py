"""Re-planning (issue 13): the instance for planning again at the start of period K, from the plan
that was followed and what actually happened up to then.

`roll(instance, orders, as_of=K, actuals=...)` gives the tables of the next instance:

- **Periods 1..K-1 are over.** What happened in them is ``actuals`` (`Actuals`: demand, receipts,
  outages), or, where they say nothing, the plan's expectation: the expected demand, and every
  order and pipeline arrival received in full unless an actual outage stopped its supplier (or the
  supplier's region) in the period the order was placed.
- **Stock at K.** On hand becomes ``initial_inventory``. A backlog (backlog mode) is demand still
  owed: it is added to the demand of the new period 1 in every scenario, which costs and plans
  exactly as a backlog carried in. Lost-sales mode loses what was short, period by period.
- **Open orders.** Lines of the plan placed before K (and not stopped by an outage) that arrive at
  K or later, and the instance's pipeline still to come, become the new pipeline. Lines placed at
  K or later are dropped: they are what is re-planned.
- **The horizon** runs to the instance's end: periods K..T become 1..T-K+1. (Moving it on by the
  same length would need demand beyond T, which the instance does not have.) Dates move with it.
- **Scenarios**: demand scenarios and explicit scenarios keep their periods from K on; sampled
  disruptions are sampled again from the same probabilities.
- **Costs already paid**: a supplier with a line placed before K has had its contract cost paid;
  its ``contract_cost`` is 0 in the next instance. Rules over the whole horizon (``max_share``,
  ``max_suppliers``) apply to the periods re-planned: the instance does not know the units and
  suppliers of the periods that are over.

An actual outage still running at K is known for certain: it goes to outages.csv with scenario
``*`` (every scenario, sampled ones too), ending where the actuals say it ends. An actual transit
outage holds the goods due during it, the pipeline's too, until the period after it: they are
received then, or become pipeline arriving then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from jitopt.errors import InstanceError, Problem
from jitopt.instance import Instance, Reader
from jitopt.periods import period_at
from jitopt.plan_files import plan_lines
from jitopt.schema import EVERY_SCENARIO, TABLES, Column, Table

# The actuals: a folder with any of these files (each optional), with the columns of the
# instance's tables of the same meaning
_DEMAND, _PIPELINE, _OUTAGES = TABLES["demand"], TABLES["pipeline"], TABLES["outages"]
ACTUAL_TABLES = {
    t.stem: t
    for t in [
        Table(
            "demand.csv",
            False,
            tuple(_DEMAND.column(c) for c in ("item", "period", "demand")),
            key=("item", "period"),
            meaning="demand that actually happened",
        ),
        Table(
            "receipts.csv",
            False,
            (
                _PIPELINE.column("supplier"),
                _PIPELINE.column("item"),
                Column("period", "int", "period 1..K-1 in which the goods arrived", low=1),
                _PIPELINE.column("quantity"),
            ),
            meaning="goods actually received (replace the plan's and the pipeline's arrivals)",
        ),
        Table(
            "outages.csv",
            False,
            tuple(_OUTAGES.column(c) for c in ("target", "start", "end", "kind")),
            meaning="outages that actually happened",
        ),
    ]
}


@dataclass
class Actuals:
    """What happened: ``demand`` (item, period, demand), ``receipts`` (supplier, item, period,
    quantity), ``outages`` (target, start, end); None: the plan's expectation."""

    demand: pd.DataFrame | None = None
    receipts: pd.DataFrame | None = None
    outages: pd.DataFrame | None = None
    source: dict = field(default_factory=dict)  # stem -> file name, for messages

    @classmethod
    def read(
        cls, path: str | Path, inst: Instance | None = None, as_of: int | None = None
    ) -> Actuals:
        """The actuals folder ``path``. Every problem, with file, row and column, in one
        `InstanceError`; given the instance and the period to re-plan from, the names and
        periods are checked against them too."""
        folder = Path(path)
        if not folder.is_dir():
            raise InstanceError([Problem(str(folder), "is not a folder (--actuals)")], "actuals")
        reader = Reader(from_files=True)
        frames = {}
        for stem, table in ACTUAL_TABLES.items():
            file = folder / table.file
            frame = pd.read_csv(file, dtype=str, keep_default_na=False) if file.is_file() else None
            frames[stem] = reader.parse_table(table, frame)
        source = {s: str(folder / t.file) for s, t in ACTUAL_TABLES.items()}
        actuals = cls(**frames, source=source)
        problems = list(reader.problems)
        if inst is not None and as_of is not None and not problems:
            problems += _actual_problems(inst, actuals, int(as_of))
        if problems:
            raise InstanceError(problems, "actuals")
        return actuals


def period_of(inst: Instance, as_of: str | int) -> int:
    """``--as-of``: a period number, or a date of an instance with dates (the period that
    contains it)."""
    dates = inst.period_dates()
    end = None if dates is None else dates[-1] + to_offset(inst.freq)
    return period_at(as_of, dates, end, "re-plan")


def roll(
    inst: Instance,
    orders: pd.DataFrame | str | Path,
    as_of: int,
    actuals: Actuals | None = None,
    *,
    whole_plan: bool = True,
) -> dict:
    """The tables ("config" and one DataFrame per table, for `jitopt.files.instance_files`) of the
    instance for re-planning at the start of period ``as_of``, after following ``orders``
    (supplier, item, period, quantity; or a plan folder or orders CSV file) in periods
    1..as_of-1. See the module's description. The orders must keep the instance's ordering rules
    (`jitopt.plan_files.plan_lines`); with ``whole_plan=False`` (the lines carried out by a
    rolling policy, each re-plan keeping the rules over its own periods) the rules over the
    whole horizon (max share, max suppliers) are not checked."""
    actuals = actuals or Actuals()
    T = inst.periods
    K = int(as_of)
    if not 2 <= K <= T:
        raise InstanceError(
            [Problem("--as-of", f"must be a period in 2..{T} (period 1 is the instance itself)")],
            "re-plan",
        )
    _check_actuals(inst, actuals, K)
    items = list(inst.items.index)
    lines = plan_lines(inst, orders, whole_plan=whole_plan)  # checked: file, row, column
    placed = lines[lines["period"] < K]
    stopped = _stopped(inst, actuals, placed)
    kept = placed[~stopped]

    kept = kept.assign(arrives=_arrives(inst, actuals, kept))
    due = inst.pipeline.assign(arrives=_arrives(inst, actuals, inst.pipeline))
    received = _received(actuals, kept, due, K)  # (item, period) -> units, periods < K
    demand = _demand(inst, actuals, K)  # (item, period) -> units, periods < K
    on_hand, backlog = _stock(inst, items, received, demand, K)

    tables = _tables(inst)
    tables["items"]["initial_inventory"] = [on_hand[i] for i in tables["items"]["item"]]
    suppliers = tables["suppliers"]
    paid = suppliers["supplier"].isin(set(placed["supplier"]))
    suppliers["contract_cost"] = suppliers["contract_cost"].where(~paid, 0.0)
    columns = ["supplier", "item", "arrives", "quantity"]
    pipeline = pd.concat([kept[columns], due[columns]], ignore_index=True)
    pipeline = pipeline[(pipeline["arrives"] >= K) & (pipeline["arrives"] <= T)]
    pipeline = pipeline.rename(columns={"arrives": "arrival_period"})
    pipeline["arrival_period"] = pipeline["arrival_period"] - (K - 1)
    tables["pipeline"] = pipeline.groupby(
        ["supplier", "item", "arrival_period"], as_index=False, sort=True
    )["quantity"].sum()
    tables["demand"] = _future_demand(tables["demand"], backlog, K)
    tables["outages"] = _future_outages(tables["outages"], K)
    if actuals.outages is not None:
        tables["outages"] = _known_outages(tables["outages"], actuals.outages, K)
    config = tables["config"]
    config["periods"] = T - K + 1
    config["name"] = f"{inst.name}-from-{K}"
    if inst.start is not None:
        dates = inst.period_dates()
        config["start"] = dates[K - 1].strftime("%Y-%m-%d")
    return tables


def _check_actuals(inst: Instance, actuals: Actuals, K: int) -> None:
    problems = _actual_problems(inst, actuals, K)
    if problems:
        raise InstanceError(problems, "actuals")


def _actual_problems(inst: Instance, actuals: Actuals, K: int) -> list[Problem]:
    """Names the instance does not know, periods not before K, outages that end first."""
    problems = []
    items, suppliers = set(inst.items.index), set(inst.suppliers.index)
    targets = suppliers | set(inst.suppliers["region"])

    def where(stem: str) -> str:
        return actuals.source.get(stem, stem)

    for stem, frame, columns in (
        ("demand", actuals.demand, {"item": items}),
        ("receipts", actuals.receipts, {"item": items, "supplier": suppliers}),
        ("outages", actuals.outages, {"target": targets}),
    ):
        if frame is None:
            continue
        when = "start" if stem == "outages" else "period"
        for pos, row in enumerate(frame.itertuples(index=False)):
            for column, known in columns.items():
                name = getattr(row, column)
                if name not in known:
                    message = f"unknown {column} {name!r}"
                    problems.append(Problem(where(stem), message, pos + 2, column))
            period = getattr(row, when)
            if period >= K:
                message = f"period {period} is not before --as-of {K}"
                problems.append(Problem(where(stem), message, pos + 2, when))
            if stem == "outages" and row.end < row.start:
                message = f"end {row.end} is before start {row.start}"
                problems.append(Problem(where(stem), message, pos + 2, "end"))
    return problems


def _down(
    inst: Instance, outages: pd.DataFrame | None, kind: str = "orders"
) -> set[tuple[str, int]]:
    """(supplier, period) pairs in which an actual outage stopped the supplier (``kind``
    "orders"), or held its goods in transit ("transit")."""
    if outages is None:
        return set()
    region = inst.suppliers["region"]
    down = set()
    for row in outages.itertuples(index=False):
        if getattr(row, "kind", "orders") != kind:
            continue
        if row.target in region.index:
            hit = [row.target]
        else:
            hit = list(region.index[region == row.target])
        down |= {(s, t) for s in hit for t in range(row.start, row.end + 1)}
    return down


def _stopped(inst: Instance, actuals: Actuals, placed: pd.DataFrame) -> np.ndarray:
    down = _down(inst, actuals.outages)
    return np.array(
        [(s, t) in down for s, t in zip(placed["supplier"], placed["period"])], dtype=bool
    )


def _arrives(inst: Instance, actuals: Actuals, rows: pd.DataFrame) -> list[int]:
    """When the goods of ``rows`` (supplier, arrival_period) arrive: when due, or the period
    after the actual transit outages that hold them (T + 1: after the horizon)."""
    held = _down(inst, actuals.outages, "transit")
    out = []
    for s, a in zip(rows["supplier"], rows["arrival_period"]):
        a = int(a)
        while a <= inst.periods and (s, a) in held:
            a += 1
        out.append(a)
    return out


def _received(actuals: Actuals, kept: pd.DataFrame, due: pd.DataFrame, K: int) -> dict:
    """Units received per (item, period) before K: the receipts, else the plan's lines kept
    and the pipeline, where they arrive."""
    if actuals.receipts is not None:
        got = actuals.receipts
        return got.groupby(["item", "period"])["quantity"].sum().to_dict()
    columns = ["item", "arrives", "quantity"]
    both = pd.concat([kept[columns], due[columns]])
    both = both[both["arrives"] < K]
    return both.groupby(["item", "arrives"])["quantity"].sum().to_dict()


def _expected_demand(inst: Instance) -> pd.DataFrame:
    """item, period, demand: the expected demand (the mean of demand scenarios, weighted by the
    scenarios' probabilities when scenarios.csv gives them)."""
    d = inst.demand
    if "scenario" not in d.columns:
        return d[["item", "period", "demand"]]
    names = d["scenario"].unique()
    if inst.scenarios is not None:
        weight = inst.scenarios.set_index("scenario")["probability"].reindex(names).fillna(0.0)
    else:
        weight = pd.Series(1.0 / len(names), index=names)
    weighted = d.assign(demand=d["demand"] * d["scenario"].map(weight))
    return weighted.groupby(["item", "period"], as_index=False)["demand"].sum()


def _demand(inst: Instance, actuals: Actuals, K: int) -> dict:
    expected = _expected_demand(inst)
    past = expected[expected["period"] < K].groupby(["item", "period"])["demand"].sum().to_dict()
    if actuals.demand is not None:
        for row in actuals.demand.itertuples(index=False):
            past[row.item, row.period] = row.demand
    return past


def _stock(inst: Instance, items: list, received: dict, demand: dict, K: int):
    """On hand and backlog at the start of period K, period by period from the initial stock."""
    init = inst.items["initial_inventory"].to_dict()
    on_hand, backlog = {}, {}
    for i in items:
        stock, owed = float(init[i]), 0.0
        for t in range(1, K):
            stock += received.get((i, t), 0.0)
            need = demand.get((i, t), 0.0) + owed
            served = min(stock, need)
            stock -= served
            owed = need - served if inst.shortage == "backlog" else 0.0
        on_hand[i], backlog[i] = stock, owed
    return on_hand, backlog


def _tables(inst: Instance) -> dict:
    """The instance as the tables of its files."""
    tables: dict = {}
    for stem, table in TABLES.items():
        frame = getattr(inst, stem)
        if frame is None:
            continue
        frame = frame.reset_index() if table.index else frame.copy()
        tables[stem] = frame[[c.name for c in table.columns if c.name in frame.columns]]
    tables["config"] = {
        "name": inst.name,
        "periods": inst.periods,
        "shortage": inst.shortage,
        **({"warehouse_capacity": inst.warehouse_capacity} if inst.warehouse_capacity else {}),
        **({"max_suppliers": inst.max_suppliers} if inst.max_suppliers is not None else {}),
        **({"start": inst.start, "freq": inst.freq} if inst.start is not None else {}),
        "risk": {"measure": inst.risk.measure, "alpha": inst.risk.alpha}
        | ({"weight": inst.risk.weight} if inst.risk.measure == "cvar" else {}),
        "scenarios": {"count": inst.sampling.count, "seed": inst.sampling.seed},
    }
    solver = {k: v for k, v in vars(inst.solver).items() if v is not None}
    if solver:
        tables["config"]["solver"] = solver
    return tables


def _future_demand(demand: pd.DataFrame, backlog: dict, K: int) -> pd.DataFrame:
    future = demand[demand["period"] >= K].copy()
    future["period"] = future["period"] - (K - 1)
    first = future["period"] == 1
    future.loc[first, "demand"] = future.loc[first, "demand"] + future.loc[first, "item"].map(
        backlog
    ).fillna(0.0)
    return future.reset_index(drop=True)


def _known_outages(outages: pd.DataFrame, actual: pd.DataFrame, K: int) -> pd.DataFrame:
    """The actual outages still running at K, known for certain: in every scenario (``*``)."""
    running = actual[actual["end"] >= K]
    rows = pd.DataFrame(
        {
            "scenario": EVERY_SCENARIO,
            "target": running["target"].to_numpy(),
            "start": 1,
            "end": running["end"].to_numpy() - (K - 1),
            "kind": running["kind"].to_numpy() if "kind" in running else "orders",
        }
    )
    return pd.concat([outages, rows[list(outages.columns)]], ignore_index=True)


def _future_outages(outages: pd.DataFrame, K: int) -> pd.DataFrame:
    future = outages[outages["end"] >= K].copy()
    future["start"] = (future["start"] - (K - 1)).clip(lower=1)
    future["end"] = future["end"] - (K - 1)
    return future.reset_index(drop=True)
