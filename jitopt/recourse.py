"""The second stage for a fixed plan (SPEC §3): stock, shortage and spot buys in each scenario,
solved exactly and vectorised over scenarios. The proofs are in models/formulation.md, "Recourse".

Per item, without warehouse capacity, the second stage has a closed form:

- backlog, no spot market: on hand and backlog are the positive and negative parts of the
  inventory position (stock + arrivals - demand, cumulated);
- backlog with a spot market: the level decomposition of `_spot_buys` (each unit level of the
  deficit is bought at the period that minimises its own marginal cost, or never);
- lost sales: stock runs forward; a shortfall is bought on the spot market when that is cheaper
  than losing the sale, else lost.

Warehouse capacity couples the items: a scenario whose closed-form stock fits is optimal as it is
(its LP is a relaxation); one that does not is solved as one LP with HiGHS (`_warehouse_lp`), and
one that no recourse can fit is reported in ``overflow`` with its uncoupled stock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from jitopt.instance import Instance
from jitopt.scenarios import pipeline_arrivals

# A level is bought on the spot market only when that saves more than this (relative to e): ties
# cost the same either way, and buying nothing is the plan a buyer reads more easily.
SAVING_TOL = 1e-9
# Cells per chunk of the spot-buy level computation (problems x periods x periods).
LEVEL_CELLS = 4_000_000
# Relative rounding error of a sum of quantities, below which a stock position is zero.
ROUNDING = 1e-12
# Volume over the warehouse capacity that is solver-tolerance, not an overflow.
VOLUME_TOL = 1e-6


@dataclass(frozen=True)
class Lines:
    """A plan's order lines as arrays (0-based indices into the instance's suppliers, items and
    periods), with the fixed costs it pays in every scenario."""

    supplier: np.ndarray
    item: np.ndarray
    period: np.ndarray
    arrival: np.ndarray
    quantity: np.ndarray
    unit_cost: np.ndarray
    ordering: float  # order costs of (supplier, period) with a line, plus line costs
    contract: float  # contract costs of the suppliers used

    @classmethod
    def from_orders(cls, inst: Instance, orders: pd.DataFrame) -> Lines:
        """``orders``: supplier, item, period, quantity and unit_cost (priced as the instance
        prices them, `jitopt.plan.price_orders`); lines must be offers of the instance."""
        sup = inst.suppliers
        sup_pos = {s: k for k, s in enumerate(sup.index)}
        item_pos = {i: k for k, i in enumerate(inst.items.index)}
        s = orders["supplier"].map(sup_pos).to_numpy(int)
        t = orders["period"].to_numpy(int) - 1
        lead = sup["lead_time"].to_numpy(int)[s]
        line_cost = inst.offers["line_cost"]
        keys = list(zip(orders["supplier"], orders["item"]))
        used = orders["supplier"].unique()
        ordering = float(
            sup.loc[orders.drop_duplicates(["supplier", "period"])["supplier"], "order_cost"].sum()
            + (line_cost.loc[keys].sum() if keys else 0.0)
        )
        return cls(
            supplier=s,
            item=orders["item"].map(item_pos).to_numpy(int),
            period=t,
            arrival=t + lead,
            quantity=orders["quantity"].to_numpy(float),
            unit_cost=orders["unit_cost"].to_numpy(float),
            ordering=ordering,
            contract=float(sup.loc[used, "contract_cost"].sum()) if len(used) else 0.0,
        )


@dataclass
class Outcome:
    """The second stage of a chunk of scenarios: arrays (scenario, item, period) and per-scenario
    purchase cost and warehouse overflow (the largest volume above the capacity; 0 = it fits)."""

    on_hand: np.ndarray
    short: np.ndarray  # backlog (backlog mode) or lost sales (lost mode)
    expedited: np.ndarray
    arrived: np.ndarray
    demand: np.ndarray
    purchase: np.ndarray
    overflow: np.ndarray


def recourse(
    inst: Instance,
    lines: Lines,
    available: np.ndarray,
    demand: np.ndarray,
    arrival: np.ndarray | None = None,
) -> Outcome:
    """The optimal second stage of each scenario for the fixed plan ``lines``.

    ``available[w, s, t]``: supplier s can ship in period t of scenario w; ``demand[w, i, t]``;
    ``arrival[w, s, t]``: where goods due in t arrive (transit outages, `ScenarioSet.arrival`;
    None: when due). A line is delivered (and paid) when its supplier can ship in its order
    period."""
    W, _, T = demand.shape
    delivered = available[:, lines.supplier, lines.period]  # (W, lines)
    purchase = delivered @ (lines.quantity * lines.unit_cost)
    arrived = arrived_units(inst, lines, delivered, arrival, T)

    items = inst.items
    h = items["holding_cost"].to_numpy(float)
    b = items["shortage_cost"].to_numpy(float)
    e = items["expedite_cost"].to_numpy(float)  # NaN: no spot market
    v = items["salvage_value"].to_numpy(float)
    init = items["initial_inventory"].to_numpy(float)
    if inst.shortage == "lost":
        on_hand, short, spot = _lost_sales(init, arrived, demand, b, e)
    else:
        beta = items["terminal_backlog_cost"].to_numpy(float)
        on_hand, short, spot = _backlog(init, arrived, demand, h, b, e, beta, v)

    overflow = np.zeros(W)
    if inst.warehouse_capacity is not None:
        volume = items["volume"].to_numpy(float)
        cap = float(inst.warehouse_capacity)
        excess = np.einsum("i,wit->wt", volume, on_hand) - cap
        for w in np.flatnonzero(excess.max(axis=1) > VOLUME_TOL * max(1.0, cap)):
            solved = _warehouse_lp(inst, arrived[w], demand[w])
            if solved is None:
                overflow[w] = excess[w].max()
            else:
                on_hand[w], short[w], spot[w] = solved
    return Outcome(on_hand, short, spot, arrived, demand, purchase, overflow)


def arrived_units(
    inst: Instance, lines: Lines, delivered: np.ndarray, arrival: np.ndarray | None, T: int
) -> np.ndarray:
    """Units arriving per (scenario, item, period): the ``delivered`` lines (scenario, line) and
    the pipeline, where they arrive (``arrival``: transit outages)."""
    W = delivered.shape[0]
    return _arrivals(delivered, lines, len(inst.items), T, arrival) + pipeline_arrivals(
        inst, arrival, W
    )


def _arrivals(
    delivered: np.ndarray, lines: Lines, n_items: int, T: int, arrival: np.ndarray | None
) -> np.ndarray:
    """Units of delivered lines arriving per (scenario, item, period): the lines sorted by their
    (item, arrival) cell and summed per cell; with transit outages, each scenario's own cells."""
    W = delivered.shape[0]
    if arrival is not None and len(lines.quantity):
        when = arrival[:, lines.supplier, lines.arrival]  # (W, lines): held arrivals
        units = np.where(when < T, delivered * lines.quantity[None], 0.0)
        out = np.zeros((W, n_items * T))
        cell = lines.item[None] * T + np.minimum(when, T - 1)
        np.add.at(out, (np.repeat(np.arange(W), len(lines.quantity)), cell.ravel()), units.ravel())
        return out.reshape(W, n_items, T)
    arrived = np.zeros((n_items * T, W))
    if len(lines.quantity):
        cell = lines.item * T + lines.arrival
        order = np.argsort(cell, kind="stable")
        cell = cell[order]
        units = delivered[:, order].T * lines.quantity[order, None]  # (lines, W)
        starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
        arrived[cell[starts]] = np.add.reduceat(units, starts, axis=0)
    return np.ascontiguousarray(arrived.T).reshape(W, n_items, T)


def _backlog(init, arrived, demand, h, b, e, beta, v):
    """Backlog mode, per item: position P = I - B; I = P+, B = P- (the split is optimal since
    h + b >= 0 and, at T, h + b + beta >= v); spot buys by `_spot_buys`."""
    position = init[None, :, None] + np.cumsum(arrived - demand, axis=2)
    scale = init[None, :, None] + (arrived + demand).sum(axis=2, keepdims=True)
    _clean(position, scale)
    spot = np.zeros_like(position)
    has_spot = ~np.isnan(e)
    deficit = (position < 0).any(axis=2) & has_spot[None, :]
    w_idx, i_idx = np.nonzero(deficit)
    if len(w_idx):
        rows = position[w_idx, i_idx]
        buys = _spot_buys(rows, h[i_idx], b[i_idx], e[i_idx], beta[i_idx], v[i_idx])
        rows += np.cumsum(buys, axis=1)
        _clean(rows, scale[w_idx, i_idx])
        position[w_idx, i_idx] = rows
        spot[w_idx, i_idx] = buys
    return np.maximum(position, 0.0), np.maximum(-position, 0.0), spot


def _clean(position: np.ndarray, scale: np.ndarray) -> None:
    """Positions within rounding of zero (a sum of arrivals and demands that cancel) are zero:
    no backlog of 1e-14 units. ``scale``: the item's stock, arrivals and demand in the
    scenario."""
    position[np.abs(position) <= ROUNDING * np.maximum(scale, 1.0)] = 0.0


def _spot_buys(position, h, b, e, beta, v) -> np.ndarray:
    """Spot buys E[n, t] that minimise e*sum(E) + sum_t g_t(P0_t + Q_t), Q = cumsum(E), for each
    row n of the positions without spot buys P0 (rows: one item in one scenario).

    Level decomposition (models/formulation.md, "Recourse"): the q-th unit of cumulative spot
    buys, bought in period t, costs e + sum_{tau >= t} g'_tau(P0_tau + q); levels between two
    consecutive sorted deficits share one cost curve, each is bought at its cheapest period (the
    latest among equals) when that is negative, and the chosen periods nest, so the levels add
    up to the optimum."""
    N, T = position.shape
    out = np.zeros((N, T))
    deficit = np.maximum(-position, 0.0)
    order = np.argsort(deficit, axis=1, kind="stable")
    levels = np.take_along_axis(deficit, order, axis=1)  # level j spans (levels[j-1], levels[j]]
    length = np.diff(levels, axis=1, prepend=0.0)
    # Where a period of backlog costs more than holding a unit to the end (b > h (T - 2)), each
    # level is bought, if at all, in the first period it is short: `_first_short_buys`.
    first = b > h * max(T - 2, 0)
    if first.any():
        rows = np.flatnonzero(first)
        out[rows] = _first_short_buys(
            deficit[rows],
            order[rows],
            levels[rows],
            length[rows],
            h[rows],
            b[rows],
            e[rows],
            beta[rows],
            v[rows],
        )
    count = np.where(first, 0, (length > 0).sum(axis=1))  # levels of positive length
    for k in np.unique(count[count > 0]):
        rows = np.flatnonzero(count == k)
        for lo in range(0, len(rows), max(1, LEVEL_CELLS // (k * T))):
            r = rows[lo : lo + max(1, LEVEL_CELLS // (k * T))]
            _buy_levels(out, r, deficit[r], levels[r], length[r], k, h, b, e, beta, v)
    return out


def _first_short_buys(deficit, order, levels, length, h, b, e, beta, v) -> np.ndarray:
    """`_spot_buys` for rows with b > h (T - 2): the cheapest period to buy a level is the first
    period r in which it is short (models/formulation.md, "Recourse"), where buying costs
    e + h (non-short periods from r to T-1) - b (short periods before T) + the last period's
    slope. Levels are the sorted deficits; the first period short at level j is the smallest
    position among the periods sorted at j or later: O(T log T) per row."""
    n, T = deficit.shape
    first = np.minimum.accumulate(order[:, ::-1], axis=1)[:, ::-1]  # first tau with D >= level
    short_at_end = deficit[:, -1:] >= levels  # the last period is short at the level
    short_before_end = (T - np.arange(T))[None, :] - short_at_end  # periods short before T
    free = (T - 1 - first) - short_before_end  # periods from r to T-1 not short
    end = np.where(short_at_end, -(b + beta)[:, None], (h - v)[:, None])
    cost = e[:, None] + h[:, None] * free - b[:, None] * short_before_end + end
    buy = (length > 0) & (cost < -SAVING_TOL * np.maximum(1.0, e[:, None]))
    cell = (np.arange(n)[:, None] * T + first).ravel()
    amount = np.where(buy, length, 0.0).ravel()
    return np.bincount(cell, weights=amount, minlength=n * T).reshape(n, T)


def _buy_levels(out, r, deficit, levels, length, k, h, b, e, beta, v) -> None:
    """`_spot_buys` for rows ``r`` that have ``k`` levels of positive length each."""
    T = deficit.shape[1]
    keep = length > 0
    top = levels[keep].reshape(len(r), k)  # each level's upper end
    amount = length[keep].reshape(len(r), k)
    below = deficit[:, None, :] >= top[:, :, None]  # (row, level, tau): the level is short
    slope = np.where(below, -b[r, None, None], h[r, None, None])
    slope[:, :, -1] = np.where(below[:, :, -1], -(b[r] + beta[r])[:, None], (h[r] - v[r])[:, None])
    marginal = e[r, None, None] + np.cumsum(slope[:, :, ::-1], axis=2)[:, :, ::-1]
    latest = T - 1 - np.argmin(marginal[:, :, ::-1], axis=2)  # the latest cheapest period
    best = np.take_along_axis(marginal, latest[:, :, None], axis=2)[:, :, 0]
    buy = best < -SAVING_TOL * np.maximum(1.0, e[r, None])
    np.add.at(out, (np.repeat(r, k), latest.ravel()), np.where(buy, amount, 0.0).ravel())


def _lost_sales(init, arrived, demand, b, e):
    """Lost-sales mode: stock runs forward (I_t = max(0, I_{t-1} + A_t - d_t)); a shortfall is
    bought on the spot market where e < b, else lost (neither choice changes later stock)."""
    W, n_items, T = demand.shape
    on_hand = np.zeros((W, n_items, T))
    shortfall = np.zeros((W, n_items, T))
    stock = np.broadcast_to(init, (W, n_items)).astype(float)
    scale = init[None, :] + (arrived + demand).sum(axis=2)
    for t in range(T):
        net = stock + arrived[:, :, t] - demand[:, :, t]
        _clean(net, scale)
        shortfall[:, :, t] = np.maximum(-net, 0.0)
        stock = np.maximum(net, 0.0)
        on_hand[:, :, t] = stock
    buys = ~np.isnan(e) & (np.nan_to_num(e, nan=np.inf) < b)
    spot = np.where(buys[None, :, None], shortfall, 0.0)
    return on_hand, shortfall - spot, spot


def _warehouse_lp(inst: Instance, arrived: np.ndarray, demand: np.ndarray):
    """One scenario's second stage with warehouse capacity, all items together, solved by HiGHS:
    (on_hand, short, spot) arrays (item, period), or None when no recourse fits the warehouse."""
    import highspy

    items = inst.items
    n_items, T = demand.shape
    lost = inst.shortage == "lost"
    h = items["holding_cost"].to_numpy(float)
    b = items["shortage_cost"].to_numpy(float)
    e = items["expedite_cost"].to_numpy(float)
    v = items["salvage_value"].to_numpy(float)
    beta = items["terminal_backlog_cost"].to_numpy(float)
    init = items["initial_inventory"].to_numpy(float)
    volume = items["volume"].to_numpy(float)
    cells = n_items * T
    # columns: on hand, short (backlog or lost), spot; each (item, period) in row-major order
    cost_on = np.repeat(h, T).reshape(n_items, T)
    cost_on[:, -1] -= v
    cost_short = np.repeat(b, T).reshape(n_items, T)
    if not lost:
        cost_short[:, -1] += beta
    has_spot = ~np.isnan(e)
    cost_spot = np.repeat(np.nan_to_num(e), T).reshape(n_items, T)
    cost = np.concatenate([cost_on.ravel(), cost_short.ravel(), cost_spot.ravel()])
    lower = np.zeros(3 * cells)
    upper = np.full(3 * cells, np.inf)
    if lost:
        upper[cells : 2 * cells] = demand.ravel()
    upper[2 * cells :] = np.where(np.repeat(has_spot, T), np.inf, 0.0)

    rows, cols, vals = [], [], []
    cell = np.arange(cells).reshape(n_items, T)
    # balance (item, t): I_t - I_{t-1} - E_t + (B_{t-1} - B_t | -L_t) = A_t - d_t (+ init at t=1)
    for offset, sign, shift in ((0, 1.0, 0), (0, -1.0, 1), (2 * cells, -1.0, 0)):
        r = cell[:, shift:] if shift else cell
        c = cell[:, : T - shift] if shift else cell
        rows.append(r.ravel())
        cols.append(offset + c.ravel())
        vals.append(np.full(r.size, sign))
    rows.append(cell.ravel())
    cols.append(cells + cell.ravel())
    vals.append(np.full(cells, -1.0))
    if not lost:
        rows.append(cell[:, 1:].ravel())
        cols.append(cells + cell[:, :-1].ravel())
        vals.append(np.ones(cells - n_items))
    rhs = (arrived - demand).astype(float)
    rhs[:, 0] += init
    # warehouse (t): sum_i vol_i I_{i,t} <= V
    rows.append(cells + np.tile(np.arange(T), n_items))
    cols.append(cell.ravel())
    vals.append(np.repeat(volume, T))
    row_lower = np.concatenate([rhs.ravel(), np.full(T, -np.inf)])
    row_upper = np.concatenate([rhs.ravel(), np.full(T, float(inst.warehouse_capacity))])

    r, c, x = np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)
    order = np.lexsort((r, c))
    r, c, x = r[order], c[order], x[order]
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = 3 * cells, cells + T
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, lower, upper
    lp.row_lower_, lp.row_upper_ = row_lower, row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.searchsorted(c, np.arange(3 * cells + 1)).astype(np.int32)
    lp.a_matrix_.index_ = r.astype(np.int32)
    lp.a_matrix_.value_ = x
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    highs.passModel(lp)
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    x = np.asarray(highs.getSolution().col_value)
    parts = [np.maximum(x[k * cells : (k + 1) * cells], 0.0).reshape(n_items, T) for k in range(3)]
    return parts[0], parts[1], parts[2]
