"""Believable random instances (SPEC §2 tables) for tests, benchmarks and demonstrations."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from jitopt.files import write_instance_dir
from jitopt.schema import TABLES

# Independent random streams, one per aspect of the instance, so that switching a feature on or off
# (say ``price_breaks``) leaves every other table exactly as it was for the same seed.
_STREAMS = (
    "structure",
    "prices",
    "demand",
    "moq",
    "capacity",
    "order_costs",
    "price_breaks",
    "disruptions",
    "pipeline",
    "spot",  # appended last: SeedSequence children depend on their index only, so earlier streams
    # (and the tables drawn from them) are unchanged by new ones
)

_WEEKS_PER_YEAR = 52
_INTERMITTENT_SHARE = 0.2  # share of items with lumpy demand (many zero weeks)


def generate(
    items: int = 30,
    suppliers: int = 6,
    regions: int = 3,
    periods: int = 26,
    seed: int = 0,
    moq: bool = True,
    capacity: bool = True,
    price_breaks: bool = False,
    order_costs: bool = True,
    disruptions: bool = False,
    transit: bool = False,
    scenarios: int | None = None,
    pipeline: bool = True,
    spot_buys: bool = False,
    sampled: int = 30,
    capacity_range: tuple[float, float] = (0.4, 0.7),
) -> dict:
    """A random instance as DataFrames with the column names of SPEC §2.

    Region ``R1`` is near: its suppliers have lead time 1 and the item's reference price (0-6 %
    above it). Suppliers of the other regions are far: 10-25 % cheaper, with lead times 3-6 (cut to
    ``periods - 1``). Suppliers go round-robin over the regions (``regions`` is cut to
    ``suppliers``). Each item is offered by 2-4 suppliers, at least one of them near. Weekly demand
    has a mean of 20-200 per item, an annual seasonal swing and noise; a fifth of the items have
    intermittent demand. Holding cost is 1 % of the reference price per period, shortage (backlog)
    cost 3-5 times the reference price per period.

    Every item starts with 1-2 weeks of mean demand on hand and, with ``pipeline``, orders in
    transit from its cheapest far supplier that arrive in each period 1..lead time at 50-90 % of
    mean demand (within that supplier's capacity). These are the orders a buyer placed before the
    horizon; without them every plan starts with weeks of backlog that no decision can avoid, since
    the cheap sources cannot deliver before their lead time.

    Optional features: ``moq`` (1-4 weeks of mean demand per offer), ``capacity`` (per period, a share
    of the total mean demand of the supplier's items drawn from ``capacity_range``, 40-70 % by
    default), ``order_costs`` (100-500 per
    supplier-period), ``price_breaks`` (one or two all-units discounts on about a third of the
    offers), ``disruptions`` (regions.csv with a per-period ``disruption_prob`` of 0.3-1 % for the
    near region and 2-5 % for far ones, suppliers with 0.5-1.5 % near and 1-4 % far, lengths 2-4
    periods; ``[scenarios]`` count ``sampled`` in the config); with ``transit`` the far regions'
    disruptions hold goods in transit (``disruption_kind = transit``: a port closure) instead of
    stopping orders. ``spot_buys`` gives every item an
    ``expedite_cost`` (a spot purchase, delivered at once) of 1.5-2.5 times its reference price.
    ``scenarios=N`` gives N
    equally likely demand series (a ``scenario`` column in demand) instead of one.

    The same arguments give identical tables, and each feature draws from its own random stream,
    so switching one on or off leaves the other tables as they were. Returns ``{"config", "items",
    "suppliers", "offers", "demand", "price_breaks", "regions", "pipeline"}``; the last three are
    None when their feature is off. Pass it to `jitopt.Instance.from_frames`
    (``Instance.from_frames(t.pop("config"), **t)``) or write it with `write_generated`.
    """
    if items < 1 or suppliers < 2 or regions < 1 or periods < 2:
        raise ValueError("need items >= 1, suppliers >= 2, regions >= 1 and periods >= 2")
    if scenarios is not None and scenarios < 1:
        raise ValueError("scenarios must be None or >= 1")
    regions = min(regions, suppliers)
    rng = dict(
        zip(
            _STREAMS,
            (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(_STREAMS))),
        )
    )

    item_names = [f"I{k + 1:0{len(str(items))}d}" for k in range(items)]
    sup_names = [f"S{k + 1:0{len(str(suppliers))}d}" for k in range(suppliers)]
    region_names = [f"R{k + 1}" for k in range(regions)]

    # Suppliers: round-robin over regions; R1 is near (lead 1), the others far (lead 3-6).
    r = rng["structure"]
    region_of = np.arange(suppliers) % regions
    near = region_of == 0
    region_lead = r.integers(3, 7, size=regions)
    lead = np.where(
        near, 1, np.clip(region_lead[region_of] + r.integers(-1, 2, size=suppliers), 3, 6)
    )
    lead = np.minimum(lead, periods - 1)

    # Offers: each item from 2-4 suppliers, one of them near; every supplier sells something.
    near_idx = np.flatnonzero(near)
    offered: list[list[int]] = []
    for _ in range(items):
        k = min(int(r.integers(2, 5)), suppliers)
        first = int(r.choice(near_idx))
        rest = r.choice(np.setdiff1d(np.arange(suppliers), [first]), size=k - 1, replace=False)
        offered.append(sorted([first, *map(int, rest)]))
    for s in range(suppliers):
        if not any(s in sel for sel in offered):
            i = min(range(items), key=lambda i: (len(offered[i]), i))
            offered[i] = sorted(offered[i] + [s])
    pairs = [(s, i) for i in range(items) for s in offered[i]]
    pairs.sort()
    offer_s = np.array([s for s, _ in pairs])
    offer_i = np.array([i for _, i in pairs])

    # Prices: a reference price per item; near offers at 0-6 % above it, far 10-25 % below.
    p = rng["prices"]
    ref_price = np.round(np.exp(p.uniform(np.log(2.0), np.log(100.0), size=items)), 2)
    far_discount = p.uniform(0.10, 0.25, size=suppliers)
    factor = np.where(
        near[offer_s], p.uniform(1.0, 1.06, size=len(pairs)), 1.0 - far_discount[offer_s]
    )
    unit_cost = np.round(ref_price[offer_i] * factor, 2)

    # Demand: mean 20-200, annual seasonality, noise; some items intermittent.
    d = rng["demand"]
    mean = d.uniform(20.0, 200.0, size=items)
    amplitude = d.uniform(0.05, 0.35, size=items)
    phase = d.uniform(0.0, 2 * math.pi, size=items)
    cv = d.uniform(0.10, 0.30, size=items)
    intermittent = d.random(items) < _INTERMITTENT_SHARE
    occurrence = np.where(intermittent, d.uniform(0.3, 0.6, size=items), 1.0)
    t = np.arange(1, periods + 1)
    profile = mean[:, None] * (
        1.0
        + amplitude[:, None] * np.sin(2 * math.pi * t[None, :] / _WEEKS_PER_YEAR + phase[:, None])
    )
    initial = np.round(mean * d.uniform(1.0, 2.0, size=items))
    series = scenarios or 1
    draws = []
    for _ in range(series):
        noise = np.maximum(1.0 + cv[:, None] * d.standard_normal((items, periods)), 0.0)
        occurs = d.random((items, periods)) < occurrence[:, None]
        draws.append(np.round(profile * noise * occurs / occurrence[:, None]))

    items_df = pd.DataFrame(
        {
            "item": item_names,
            "holding_cost": np.round(0.01 * ref_price, 4),
            "shortage_cost": np.round(ref_price * p.uniform(3.0, 5.0, size=items), 2),
            "initial_inventory": initial,
        }
    )
    suppliers_df = pd.DataFrame(
        {"supplier": sup_names, "region": [region_names[k] for k in region_of], "lead_time": lead}
    )
    offers_df = pd.DataFrame(
        {
            "supplier": [sup_names[s] for s in offer_s],
            "item": [item_names[i] for i in offer_i],
            "unit_cost": unit_cost,
        }
    )

    if spot_buys:
        items_df["expedite_cost"] = np.round(
            ref_price * rng["spot"].uniform(1.5, 2.5, size=items), 2
        )

    cap = None
    if capacity:
        offered_mean = np.bincount(offer_s, weights=mean[offer_i], minlength=suppliers)
        cap = np.maximum(
            np.round(offered_mean * rng["capacity"].uniform(*capacity_range, size=suppliers)), 1.0
        )
        suppliers_df["capacity"] = cap
    if order_costs:
        suppliers_df["order_cost"] = np.round(
            rng["order_costs"].uniform(100.0, 500.0, size=suppliers)
        )
    if moq:
        weeks = rng["moq"].uniform(1.0, 4.0, size=len(pairs))
        moq_qty = np.round(mean[offer_i] * weeks)
        if cap is not None:
            moq_qty = np.minimum(moq_qty, cap[offer_s])
        offers_df["moq"] = moq_qty

    breaks_df = None
    if price_breaks:
        breaks_df = _price_breaks(rng["price_breaks"], offers_df, mean[offer_i], cap, offer_s)

    regions_df = None
    config: dict = {
        "name": f"gen-{items}x{suppliers}x{periods}-seed{seed}",
        "periods": periods,
        "shortage": "backlog",
    }
    if disruptions:
        g = rng["disruptions"]
        regions_df = pd.DataFrame(
            {
                "region": region_names,
                # The near region is the safe one: its disruptions are rarer.
                "disruption_prob": np.round(
                    np.where(
                        np.arange(regions) == 0,
                        g.uniform(0.003, 0.01, size=regions),
                        g.uniform(0.02, 0.05, size=regions),
                    ),
                    3,
                ),
                "disruption_length": g.integers(2, 5, size=regions),
            }
        )
        if transit:
            far = np.arange(regions) > 0
            regions_df["disruption_kind"] = np.where(far, "transit", "orders")
        suppliers_df["disruption_prob"] = np.round(
            np.where(
                near, g.uniform(0.005, 0.015, size=suppliers), g.uniform(0.01, 0.04, size=suppliers)
            ),
            3,
        )
        suppliers_df["disruption_length"] = g.integers(2, 5, size=suppliers)
        config["scenarios"] = {"count": sampled, "seed": seed}
    config["solver"] = {"time_limit": 60, "mip_gap": 0.001}

    if scenarios is None:
        demand_df = pd.DataFrame(
            {
                "item": np.repeat(item_names, periods),
                "period": np.tile(t, items),
                "demand": draws[0].ravel(),
            }
        )
    else:
        names = [f"d{k + 1}" for k in range(scenarios)]
        demand_df = pd.DataFrame(
            {
                "scenario": np.repeat(names, items * periods),
                "item": np.tile(np.repeat(item_names, periods), scenarios),
                "period": np.tile(t, items * scenarios),
                "demand": np.concatenate([x.ravel() for x in draws]),
            }
        )

    pipeline_df = None
    if pipeline:
        pipeline_df = _pipeline(
            rng["pipeline"], offers_df, lead, sup_names, near, item_names, mean, cap
        )

    tables = {
        "items": items_df,
        "suppliers": suppliers_df,
        "offers": offers_df,
        "demand": demand_df,
        "price_breaks": breaks_df,
        "regions": regions_df,
        "pipeline": pipeline_df,
    }
    return {"config": config} | {
        stem: _in_spec_order(stem, frame) for stem, frame in tables.items()
    }


def _in_spec_order(stem: str, frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """Columns in the order of SPEC §2 (demand keeps ``scenario`` first, as it is written)."""
    if frame is None or stem == "demand":
        return frame
    order = [c.name for c in TABLES[stem].columns if c.name in frame.columns]
    return frame[order]


def _pipeline(
    g, offers: pd.DataFrame, lead, sup_names, near, item_names, item_mean, cap
) -> pd.DataFrame | None:
    """Orders in transit: for each item with a far offer, from its cheapest far supplier, arriving in
    each period 1..lead time at 50-90 % of the item's mean demand, scaled down where a supplier's
    arrivals in a period would exceed its capacity (they were ordered under the same limit)."""
    lead_of = dict(zip(sup_names, lead))
    far = {s for s, is_near in zip(sup_names, near) if not is_near}
    far_offers = offers[offers["supplier"].isin(far)]
    rows = []
    item_pos = {name: k for k, name in enumerate(item_names)}
    shares = g.uniform(0.5, 0.9, size=(len(item_names), max(lead)))
    for item, group in far_offers.groupby("item", sort=True):
        best = group.sort_values(["unit_cost", "supplier"]).iloc[0]
        k = item_pos[item]
        for t in range(1, int(lead_of[best["supplier"]]) + 1):
            qty = float(np.round(item_mean[k] * shares[k, t - 1]))
            if qty > 0:
                rows.append((best["supplier"], item, t, qty))
    if not rows:
        return None
    frame = pd.DataFrame(rows, columns=["supplier", "item", "arrival_period", "quantity"])
    if cap is not None:
        limit = frame["supplier"].map(dict(zip(sup_names, cap)))
        total = frame.groupby(["supplier", "arrival_period"])["quantity"].transform("sum")
        scale = np.minimum(1.0, limit / total)
        frame["quantity"] = np.floor(frame["quantity"] * scale)
        frame = frame[frame["quantity"] > 0].reset_index(drop=True)
    return frame if len(frame) else None


def _price_breaks(g, offers: pd.DataFrame, item_mean, cap, offer_s) -> pd.DataFrame:
    """One or two all-units breaks on about a third of the offers: 3-6 % off from 1.5-2.5 times the
    MOQ (or 2-4 weeks of demand without MOQs), a further 3-5 % off at twice that quantity."""
    rows = []
    base = offers["moq"].to_numpy(float) if "moq" in offers.columns else np.zeros(len(offers))
    for k, row in enumerate(offers.itertuples(index=False)):
        chosen, count = g.random() < 1 / 3, int(g.integers(1, 3))
        first = max(base[k], item_mean[k]) * g.uniform(1.5, 2.5)
        cuts = (g.uniform(0.03, 0.06), g.uniform(0.03, 0.05))
        if not chosen:
            continue
        qty, price = round(first), row.unit_cost
        for level in range(count):
            if cap is not None and qty > cap[offer_s[k]]:
                break
            price = round(price * (1.0 - cuts[level]), 2)
            rows.append((row.supplier, row.item, float(qty), price))
            qty *= 2
    return pd.DataFrame(rows, columns=["supplier", "item", "min_qty", "unit_cost"])


def write_generated(tables: dict, path: str | Path, overwrite: bool = False) -> Path:
    """Write ``tables`` (as returned by `generate`) as an instance directory
    (`jitopt.files.write_instance_dir`: refuses a non-empty directory unless ``overwrite``, removes
    stale tables, writes every file atomically)."""
    return write_instance_dir(tables, path, overwrite=overwrite)
