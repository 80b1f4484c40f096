"""Wagner–Whitin helper for tests (not a test file).

- ``wagner_whitin``: the classic O(T^2) dynamic programme for uncapacitated single-item lot sizing
  (no backlog, zero lead time, zero initial inventory).
- ``random_ww_case``: small random cases for property tests.
- ``ww_instance_frames``: the same case as jitopt instance pieces (SPEC §2 column names), so a test
  can solve it with jitopt and compare the objective with the DP. With unit cost 0 and a shortage
  cost high enough that nothing is ever backlogged, jitopt's optimum equals the DP value.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


def wagner_whitin(demand: list[float], setup: float, holding: float) -> float:
    """Minimum setup + holding cost meeting ``demand`` (periods 1..T) with no shortages.

    F[k] = optimal cost of periods 1..k. Either the last order is placed in some period j <= k and
    covers j..k, costing setup + holding * sum_{t=j..k} (t - j) * d_t, or (only when d_k == 0)
    period k needs no order at all and F[k] = F[k-1]. F[0] = 0. All-zero demand costs 0.
    """
    d = [float(x) for x in demand]
    if any(x < 0 for x in d):
        raise ValueError("demand must be non-negative")
    n = len(d)
    best = [0.0] * (n + 1)  # best[k]: periods 1..k (0-based: d[0..k-1])
    for k in range(1, n + 1):
        cand = best[k - 1] if d[k - 1] == 0 else math.inf
        # order in period j (1-based) covering j..k; accumulate holding from k backwards
        carry = 0.0  # holding * sum_{t=j..k} (t - j) d_t
        later = 0.0  # sum_{t=j+1..k} d_t
        for j in range(k, 0, -1):
            if j < k:
                later += d[j]  # d_{j+1} in 1-based terms
                carry += holding * later
            cand = min(cand, best[j - 1] + setup + carry)
        best[k] = cand
    return best[n]


def _randint(rng: Any, lo: int, hi: int) -> int:
    """Inclusive integer draw from a ``random.Random`` or a ``numpy.random.Generator``."""
    if hasattr(rng, "integers"):
        return int(rng.integers(lo, hi + 1))
    return rng.randint(lo, hi)


def _uniform(rng: Any, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def random_ww_case(rng: Any) -> tuple[list[float], float, float]:
    """A random small case ``(demand, setup, holding)``.

    T in 3..12, integer demands in 0..100 (about one period in five is zero), setup in 10..300
    (integer), holding in 0.1..3 (two decimals). ``rng`` is a ``random.Random`` or a numpy Generator.
    """
    T = _randint(rng, 3, 12)
    demand = []
    for _ in range(T):
        if _uniform(rng, 0.0, 1.0) < 0.2:
            demand.append(0.0)
        else:
            demand.append(float(_randint(rng, 0, 100)))
    setup = float(_randint(rng, 10, 300))
    holding = round(_uniform(rng, 0.1, 3.0), 2)
    holding = min(max(holding, 0.1), 3.0)
    return demand, setup, holding


def ww_instance_frames(demand, setup, holding, shortage=1e5) -> dict:
    """The case as jitopt instance pieces with SPEC §2 column names.

    One item "A", one supplier "S" in region "R", lead time 0, order cost = setup, unit cost 0,
    no capacity, no scenarios (deterministic). Returns
    ``{"config": {"name", "periods"}, "items", "suppliers", "offers", "demand"}``.
    """
    d = [float(x) for x in demand]
    T = len(d)
    return {
        "config": {"name": f"ww-T{T}", "periods": T},
        "items": pd.DataFrame(
            {"item": ["A"], "holding_cost": [float(holding)], "shortage_cost": [float(shortage)]}
        ),
        "suppliers": pd.DataFrame(
            {"supplier": ["S"], "region": ["R"], "lead_time": [0], "order_cost": [float(setup)]}
        ),
        "offers": pd.DataFrame({"supplier": ["S"], "item": ["A"], "unit_cost": [0.0]}),
        "demand": pd.DataFrame({"item": ["A"] * T, "period": list(range(1, T + 1)), "demand": d}),
    }
