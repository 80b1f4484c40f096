"""Demand scenarios from a checked forecast (SPEC §7): its quantile function, and the draws.

Choices where SPEC §7 is silent:

- Between the given quantiles the quantile function is linear (monotone, as the quantiles are).
  Beyond the outermost ones it continues with an exponential tail whose density matches the
  outermost segment: ``Q(u) = v_K + s_K (1 - p_K) ln((1 - p_K) / (1 - u))`` above ``p_K``, and
  the mirror image below ``p_1``, with ``s`` the slope of that segment. The upper tail is
  unbounded, as demand tails are; a linear tail would stop at ``Q(1)`` and understate the
  shortages a plan must survive. Draws are cut at zero (the lower tail puts its mass there). A
  forecast with a single quantile is a constant.
- One uniform per (scenario, item), shared by all dates (comonotone over time): in a scenario an
  item's demand is high, or low, over the whole horizon. Independent draws per date would
  average out over a lead time and understate the risk of running short; full dependence is the
  cautious end of what per-date quantiles allow. Items are drawn independently, in name order,
  so the same seed gives the same scenarios whatever the row order of the file.
- Demand is rounded to whole units by default (``decimals=0``, `jitopt build --decimals`):
  planners order whole units, and fractional demand gives fractional orders. Draws are otherwise
  kept to 3 decimals. Sample paths are taken as they are, keeping their sample ids
  across items (a path of a joint model stays joint).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from jitopt.forecast import Forecast


def quantile_function(probabilities, values, u) -> np.ndarray:
    """Q(u) of the forecast distributions given by ``values[..., k]`` at ``probabilities[k]``
    (increasing), for ``u`` broadcastable to ``values.shape[:-1]``: linear between the given
    quantiles, exponential tails beyond them (module notes), never below zero."""
    p = np.asarray(probabilities, dtype=float)
    u = np.asarray(u, dtype=float)
    shape = np.broadcast_shapes(np.shape(values)[:-1], u.shape)
    v = np.broadcast_to(np.asarray(values, dtype=float), shape + (len(p),))
    u = np.broadcast_to(u, shape)
    if len(p) == 1:
        return np.maximum(v[..., 0], 0.0)
    k = np.clip(np.searchsorted(p, u, side="right") - 1, 0, len(p) - 2)
    low = np.take_along_axis(v, k[..., None], axis=-1)[..., 0]
    high = np.take_along_axis(v, k[..., None] + 1, axis=-1)[..., 0]
    inner = low + (u - p[k]) / (p[k + 1] - p[k]) * (high - low)
    slope_low = (v[..., 1] - v[..., 0]) / (p[1] - p[0])
    slope_high = (v[..., -1] - v[..., -2]) / (p[-1] - p[-2])
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        below = v[..., 0] - slope_low * p[0] * np.log(p[0] / u)
        above = v[..., -1] + slope_high * (1 - p[-1]) * np.log((1 - p[-1]) / (1 - u))
    below = np.where(slope_low > 0, below, v[..., 0])
    above = np.where(slope_high > 0, above, v[..., -1])
    q = np.where(u < p[0], below, np.where(u > p[-1], above, inner))
    return np.maximum(q, 0.0)


def demand_scenarios(
    forecast: Forecast, count: int, seed: int, decimals: int | None = 0
) -> pd.DataFrame:
    """Demand per item and period (columns of SPEC §2 ``demand.csv``), rounded to ``decimals``
    (0: whole units, so that plans order whole units; None: as drawn, to 3 decimals).

    A point forecast gives one series (no ``scenario`` column). Intervals and quantiles give
    ``count`` scenarios ``d1..dN`` drawn with ``numpy.random.default_rng(seed)``; sample paths give
    their paths, ``count`` of them drawn without replacement when there are more."""
    n_items, periods = len(forecast.items), forecast.periods
    kind = forecast.format.kind
    if kind == "point":
        return pd.DataFrame(
            {
                "item": np.repeat(forecast.items, periods),
                "period": np.tile(np.arange(1, periods + 1), n_items),
                "demand": _rounded(np.maximum(forecast.values[..., 0], 0.0), decimals).ravel(),
            }
        )
    rng = np.random.default_rng(seed)
    if kind == "samples":
        paths = len(forecast.samples)
        chosen = np.arange(paths)
        if count < paths:
            chosen = np.sort(rng.choice(paths, size=count, replace=False))
        draws = np.maximum(np.moveaxis(forecast.values[:, :, chosen], 2, 0), 0.0)
    else:
        u = rng.random((count, n_items))
        draws = quantile_function(forecast.probabilities, forecast.values, u[:, :, None])
        draws = np.round(draws, 3)
    draws = _rounded(draws, decimals)
    scenarios = len(draws)
    return pd.DataFrame(
        {
            "scenario": np.repeat([f"d{k + 1}" for k in range(scenarios)], n_items * periods),
            "item": np.tile(np.repeat(forecast.items, periods), scenarios),
            "period": np.tile(np.arange(1, periods + 1), n_items * scenarios),
            "demand": draws.ravel(),
        }
    )


def _rounded(values: np.ndarray, decimals: int | None) -> np.ndarray:
    rounded = values if decimals is None else np.round(values, decimals)
    return rounded + 0.0  # + 0.0 turns -0.0 into 0.0
