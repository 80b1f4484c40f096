"""Scenarios: which supplier can ship in which period, and the demand, for each scenario (SPEC §2)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from jitopt.instance import Instance
from jitopt.schema import EVERY_SCENARIO, MAX_SEED, OUTAGE_KINDS

ORDERS, TRANSIT = OUTAGE_KINDS
OUTAGE_COLUMNS = ["scenario", "target", "start", "end", "kind"]


@dataclass(frozen=True, eq=False)
class ScenarioSet:
    """Scenarios of an instance.

    available[w, s, t] is True when supplier s (in ``instance.suppliers`` order) can ship in period
    t+1 of scenario w; demand[w, i, t] is the demand of item i (``instance.items`` order) in period
    t+1. arrival[w, s, t] is the 0-based period in which goods of supplier s due in period t+1 of
    scenario w arrive (T: after the horizon), or None when no outage holds goods in transit (each
    arrives when due). ``outages`` holds the same in the explicit format of ``outages.csv``.
    """

    names: list[str]
    probability: np.ndarray
    available: np.ndarray
    demand: np.ndarray
    outages: pd.DataFrame
    kind: str  # "deterministic", "explicit", "demand" or "sampled"
    notes: tuple[str, ...] = ()  # options given that this kind of scenario set does not use
    arrival: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.names)

    @property
    def availability_probability(self) -> np.ndarray:
        """P[s can ship in t], shape (S, T)."""
        return np.einsum("w,wst->st", self.probability, self.available)

    def expected_value(self) -> ScenarioSet:
        """One scenario: the expected demand, every supplier available (the classic expected-value
        problem; `jitopt.heuristic` starts from its plan)."""
        return ScenarioSet(
            names=["expected"],
            probability=np.ones(1),
            available=np.ones_like(self.available[:1], dtype=bool),
            demand=self.mean_demand()[None],
            outages=_no_outages(),
            kind="expected-value",
        )

    def mean_demand(self) -> np.ndarray:
        """The expected demand (item, period): the first scenario's plus the weighted differences,
        so that where every scenario has the same demand it is exactly that demand (a weighted
        sum of 0.7 x 152 + 0.15 x 152 + ... is 151.99999999999997)."""
        base = self.demand[0]
        return base + np.einsum("w,wit->it", self.probability, self.demand - base)

    def representatives(self, k: int) -> ScenarioSet:
        """At most ``k`` scenarios that span this set from the least to the most disrupted: the
        scenarios sorted by the supplier-periods they have out (then by total demand) and cut
        into ``k`` runs of about equal probability; each run is represented by its middle
        scenario, which carries the run's probability (`jitopt.heuristic` can start from the
        plan of these few, a plan that hedges)."""
        if len(self) <= k:
            return self
        out = (~self.available).sum(axis=(1, 2))
        order = np.lexsort((self.demand.sum(axis=(1, 2)), out))
        p = self.probability[order]
        run = np.minimum((k * (np.cumsum(p) - p / 2)).astype(int), k - 1)
        picked, weight = [], []
        for r in np.unique(run):
            members = order[run == r]
            picked.append(int(members[len(members) // 2]))
            weight.append(float(self.probability[members].sum()))
        names = [self.names[w] for w in picked]
        return ScenarioSet(
            names=names,
            probability=np.array(weight) / sum(weight),
            available=self.available[picked],
            demand=self.demand[picked],
            arrival=None if self.arrival is None else self.arrival[picked],
            outages=self.outages[self.outages["scenario"].isin(names)].reset_index(drop=True),
            kind="representative",
        )


def scenario_kind(inst: Instance) -> str:
    """How ``inst`` gets its scenarios: "explicit" (scenarios.csv), "demand" (demand.csv has a
    scenario column), "sampled" (some disruption_prob > 0) or "deterministic"."""
    if inst.scenarios is not None:
        return "explicit"
    if "scenario" in inst.demand.columns:
        return "demand"
    return "sampled" if _risky(inst) else "deterministic"


def scenario_count(inst: Instance, count: int | None = None) -> int:
    """How many scenarios `make_scenarios` makes, without making them."""
    kind = scenario_kind(inst)
    if kind == "explicit":
        return len(inst.scenarios)
    if kind == "demand":
        return int(inst.demand["scenario"].nunique())
    if kind == "sampled":
        return check_count(inst.sampling.count if count is None else count)
    return 1


def _risky(inst: Instance) -> bool:
    return bool(
        (inst.suppliers["disruption_prob"] > 0).any() or (inst.regions["disruption_prob"] > 0).any()
    )


def check_count(count) -> int:
    """A scenario count, checked: ValueError unless a whole number >= 1."""
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"the scenario count must be a whole number >= 1, got {count!r}")
    return int(count)


def check_seed(seed) -> int:
    """A seed, checked: ValueError unless a whole number in 0..MAX_SEED."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"the seed must be a whole number >= 0, got {seed!r}")  # noqa: TRY004
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"the seed must be in 0..{MAX_SEED}, got {seed}")
    return int(seed)


def make_scenarios(
    inst: Instance, count: int | None = None, seed: int | None = None
) -> ScenarioSet:
    """The scenarios of ``inst``: explicit, demand scenarios, sampled disruptions or deterministic.

    ``count`` and ``seed`` override ``[scenarios]`` of instance.toml (used only for sampling);
    bad values raise ValueError, and values given but not used are noted in ``notes``.
    """
    kind = scenario_kind(inst)
    if count is not None:
        check_count(count)
    if seed is not None:
        check_seed(seed)
    notes = _unused_options(inst, kind, count, seed)
    count = inst.sampling.count if count is None else count
    seed = check_seed(inst.sampling.seed if seed is None else seed)

    if kind == "explicit":
        names = inst.scenarios["scenario"].tolist()
        prob = inst.scenarios["probability"].to_numpy(float)
        outages = inst.outages[inst.outages["scenario"] != EVERY_SCENARIO]
        outages = outages[OUTAGE_COLUMNS]
    elif kind == "demand":
        names = sorted(inst.demand["scenario"].unique())
        prob = np.full(len(names), 1.0 / len(names))
        outages = sample_outages(inst, names, seed) if _risky(inst) else _no_outages()
    elif kind == "sampled":
        count = check_count(count)
        names = [f"s{k + 1}" for k in range(count)]
        prob = np.full(count, 1.0 / count)
        outages = sample_outages(inst, names, seed)
    else:
        names, prob, outages = ["base"], np.ones(1), _no_outages()
    outages = pd.concat([certain_outages(inst, names), outages], ignore_index=True)

    return ScenarioSet(
        names=list(names),
        probability=prob,
        available=availability(inst, names, outages),
        demand=demand_array(inst, names),
        outages=outages.reset_index(drop=True),
        kind=kind,
        notes=tuple(notes),
        arrival=arrival_periods(inst, names, outages),
    )


def _unused_options(inst: Instance, kind: str, count, seed) -> list[str]:
    """Notes for a scenario count or seed that was given but means nothing for ``inst``."""
    why = {
        "explicit": "the instance lists its scenarios in scenarios.csv",
        "demand": "the instance's scenarios are the demand series of demand.csv",
        "deterministic": "the instance has one scenario (no disruption_prob, no demand scenarios)",
    }.get(kind)
    notes = []
    if count is not None and why:
        notes.append(f"the scenario count {count} (--scenarios) is not used: {why}")
    seed_used = kind == "sampled" or (kind == "demand" and _risky(inst))
    if seed is not None and not seed_used:
        notes.append(f"the seed {seed} (--seed) is not used: {why or 'nothing is sampled'}")
    return notes


def certain_outages(
    inst: Instance, names: list[str], outages: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The outages known for certain (scenario ``*`` in the instance's outages.csv, or in
    ``outages``), one row per scenario of ``names``."""
    table = inst.outages if outages is None else outages
    every = table[table["scenario"] == EVERY_SCENARIO]
    if every.empty:
        return _no_outages()
    rows = [
        (name, r.target, int(r.start), int(r.end), getattr(r, "kind", ORDERS))
        for name in names
        for r in every.itertuples(index=False)
    ]
    frame = pd.DataFrame(rows, columns=OUTAGE_COLUMNS)
    return frame.astype({"start": int, "end": int})


def _no_outages() -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in OUTAGE_COLUMNS}).astype(
        {"start": int, "end": int, "kind": object}
    )


def _of_kind(outages: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The rows of one kind (rows without a kind column stop orders)."""
    if "kind" not in outages.columns:
        return outages if kind == ORDERS else outages.iloc[:0]
    return outages[outages["kind"] == kind]


def availability(inst: Instance, names: list[str], outages: pd.DataFrame) -> np.ndarray:
    """available[w, s, t] from the outage rows of kind "orders"; a region outage stops every
    supplier of the region; a row of scenario ``*`` stops it in every scenario."""
    return ~_hit(inst, names, _of_kind(outages, ORDERS))


def arrival_periods(inst: Instance, names: list[str], outages: pd.DataFrame) -> np.ndarray | None:
    """arrival[w, s, t] (see `ScenarioSet`) from the outage rows of kind "transit", or None when
    there are none."""
    transit = _of_kind(outages, TRANSIT)
    if transit.empty:
        return None
    return held_until(transit_held(inst, names, transit))


def transit_held(inst: Instance, names: list[str], outages: pd.DataFrame) -> np.ndarray:
    """held[w, s, t]: goods of supplier s cannot arrive in period t+1 of scenario w (an outage
    row of kind "transit" covers it)."""
    return _hit(inst, names, _of_kind(outages, TRANSIT))


def held_until(held: np.ndarray) -> np.ndarray:
    """arrival[w, s, t]: t where goods are not held in period t, else the first later period in
    which they are not (T when none is): goods due during a transit outage arrive after it."""
    T = held.shape[-1]
    arrival = np.empty(held.shape, dtype=np.int64)
    after = np.full(held.shape[:-1], T, dtype=np.int64)
    for t in range(T - 1, -1, -1):
        after = np.where(held[..., t], after, t)
        arrival[..., t] = after
    return arrival


def pipeline_arrivals(inst: Instance, arrival: np.ndarray | None, count: int) -> np.ndarray:
    """pipeline[w, i, t]: units of pipeline.csv arriving in period t+1 of each of ``count``
    scenarios, held by their transit outages (``arrival``, see `ScenarioSet`); a read-only
    broadcast of `Instance.pipeline_arrivals` when nothing is held."""
    due = inst.pipeline_arrivals()
    if arrival is None or inst.pipeline.empty:
        return np.broadcast_to(due, (count, *due.shape))
    T = inst.periods
    sup_pos = {s: k for k, s in enumerate(inst.suppliers.index)}
    item_pos = {i: k for k, i in enumerate(inst.items.index)}
    out = np.zeros((count, *due.shape))
    for row in inst.pipeline.itertuples(index=False):
        when = arrival[:, sup_pos[row.supplier], row.arrival_period - 1]
        w = np.flatnonzero(when < T)  # after the horizon: never in stock
        np.add.at(out, (w, item_pos[row.item], when[w]), row.quantity)
    return out


def _hit(inst: Instance, names: list[str], outages: pd.DataFrame) -> np.ndarray:
    """hit[w, s, t]: an outage row covers supplier s (itself or its region) in period t+1 of
    scenario w; a row of scenario ``*`` covers every scenario."""
    suppliers = inst.suppliers.index
    T = inst.periods
    hit = np.zeros((len(names), len(suppliers), T), dtype=bool)
    scen_pos = {n: k for k, n in enumerate(names)}
    sup_pos = {s: k for k, s in enumerate(suppliers)}
    region = inst.suppliers["region"].to_numpy()
    for row in outages.itertuples(index=False):
        w = slice(None) if row.scenario == EVERY_SCENARIO else scen_pos[row.scenario]
        if row.target in sup_pos:
            rows = [sup_pos[row.target]]
        else:
            rows = np.flatnonzero(region == row.target)
        hit[w, rows, max(row.start, 1) - 1 : min(row.end, T)] = True
    return hit


def demand_array(inst: Instance, names: list[str]) -> np.ndarray:
    """demand[w, i, t]; the same series in every scenario when demand.csv has no scenario column."""
    items = inst.items.index
    T = inst.periods
    d = inst.demand
    if "scenario" in d.columns:
        table = d.pivot_table(
            index=["scenario", "item"], columns="period", values="demand", aggfunc="sum"
        )
        table = table.reindex(pd.MultiIndex.from_product([names, items]), columns=range(1, T + 1))
        return table.to_numpy(float).reshape(len(names), len(items), T)
    table = d.pivot_table(index="item", columns="period", values="demand", aggfunc="sum")
    table = table.reindex(index=items, columns=range(1, T + 1)).to_numpy(float)
    return np.broadcast_to(table, (len(names), len(items), T)).copy()


def sample_outages(inst: Instance, names: list[str], seed: int) -> pd.DataFrame:
    """Disruption paths, one per scenario: in each period every region (regions.csv) and every
    supplier that is not already disrupted starts a disruption with its ``disruption_prob``, lasting
    ``disruption_length`` periods, of its ``disruption_kind``. Uses its own seeded generator: same
    seed, same outages."""
    targets = disruption_targets(inst)
    rng = np.random.default_rng(seed)
    T = inst.periods
    rows = []
    for name in names:
        draws = rng.random((T, len(targets.names)))
        for k, (target, length, kind) in enumerate(
            zip(targets.names, targets.length, targets.kind)
        ):
            t = 0
            while t < T:
                if draws[t, k] < targets.prob[k]:
                    rows.append((name, target, t + 1, min(t + int(length), T), kind))
                    t += int(length)  # no new start while disrupted
                else:
                    t += 1
    frame = pd.DataFrame(rows, columns=OUTAGE_COLUMNS)
    return frame.astype({"start": int, "end": int}) if rows else _no_outages()


@dataclass(frozen=True)
class Targets:
    """Regions (regions.csv) then suppliers with a disruption_prob > 0: their names,
    probabilities, lengths, kinds ("orders" or "transit"), and covers[k, s] (target k stops
    supplier s)."""

    names: list[str]
    prob: np.ndarray
    length: np.ndarray
    kind: list[str]
    covers: np.ndarray


def disruption_targets(inst: Instance) -> Targets:
    """The targets a sampled disruption can hit (`Targets`)."""
    sup = inst.suppliers
    names, prob, length, kind, covers = [], [], [], [], []
    for frame, is_region in ((inst.regions, True), (sup, False)):
        kinds = frame["disruption_kind"] if "disruption_kind" in frame else [ORDERS] * len(frame)
        columns = (frame["disruption_prob"], frame["disruption_length"], kinds)
        for r, p, n, k in zip(frame.index, *columns):
            if p > 0:
                names.append(str(r))
                prob.append(float(p))
                length.append(int(n))
                kind.append(k or ORDERS)
                covers.append((sup["region"] == r).to_numpy() if is_region else sup.index == r)
    covers_array = np.array(covers, dtype=np.int32).reshape(len(names), len(sup))
    return Targets(names, np.array(prob), np.array(length, dtype=int), kind, covers_array)
