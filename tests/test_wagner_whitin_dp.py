"""Checks of the Wagner–Whitin test helper: published optima, brute force, instance frames."""

from __future__ import annotations

import csv
import itertools
import random
import tomllib
from pathlib import Path

import pytest

try:  # pytest's default rootdir-relative import, or tests/ on sys.path
    from tests.wagner_whitin import random_ww_case, wagner_whitin, ww_instance_frames
except ImportError:  # pragma: no cover - depends on how pytest was started
    from wagner_whitin import random_ww_case, wagner_whitin, ww_instance_frames

ROOT = Path(__file__).resolve().parent.parent

REFERENCE = [
    # (instance dir, demand, setup, holding, published optimum)
    ("ww-stockpyl", [90, 120, 80, 70], 500, 2, 1380),
    ("ww-nahmias", [10, 62, 12, 130, 154, 129, 88, 52, 124, 160], 100, 1, 838),
    ("ww-silver-peterson", [69, 29, 36, 61, 61, 26, 34, 67, 45, 67, 79, 56], 54, 0.4, 431.6),
]


def brute_force(demand: list[float], setup: float, holding: float) -> float:
    """Try every set of order periods; each demand is served from the latest order at or before it."""
    T = len(demand)
    best = float("inf")
    for mask in itertools.product([False, True], repeat=T):
        cost = setup * sum(mask)
        last = None
        feasible = True
        for t in range(T):
            if mask[t]:
                last = t
            if demand[t] > 0:
                if last is None:
                    feasible = False
                    break
                cost += holding * (t - last) * demand[t]
        if feasible:
            best = min(best, cost)
    return best


@pytest.mark.parametrize("name,demand,setup,holding,optimum", REFERENCE)
def test_published_optima(name, demand, setup, holding, optimum):
    assert wagner_whitin(demand, setup, holding) == pytest.approx(optimum, abs=1e-9)


def test_edge_cases():
    assert wagner_whitin([], 100, 1) == 0
    assert wagner_whitin([0, 0, 0], 100, 1) == 0
    assert wagner_whitin([0, 0, 5], 100, 1) == 100  # order when needed, never earlier
    assert wagner_whitin([5, 0, 0], 100, 1) == 100
    assert wagner_whitin([10], 50, 2) == 50
    # cheap holding: one order; dear holding: order every period with demand
    assert wagner_whitin([10, 0, 10], 100, 0.1) == pytest.approx(102)
    assert wagner_whitin([10, 0, 10], 100, 10) == pytest.approx(200)
    with pytest.raises(ValueError):
        wagner_whitin([1, -1], 10, 1)


@pytest.mark.parametrize("seed", range(300))
def test_dp_matches_brute_force(seed):
    demand, setup, holding = random_ww_case(random.Random(seed))
    assert wagner_whitin(demand, setup, holding) == pytest.approx(
        brute_force(demand, setup, holding), rel=1e-12, abs=1e-9
    )


def test_random_case_ranges():
    rng = random.Random(12345)
    zeros = 0
    for _ in range(500):
        demand, setup, holding = random_ww_case(rng)
        assert 3 <= len(demand) <= 12
        assert all(float(x).is_integer() and 0 <= x <= 100 for x in demand)
        assert 10 <= setup <= 300
        assert 0.1 <= holding <= 3
        zeros += sum(1 for x in demand if x == 0)
    assert zeros > 0


def test_random_case_accepts_numpy_generator():
    np = pytest.importorskip("numpy")
    demand, setup, holding = random_ww_case(np.random.default_rng(7))
    assert 3 <= len(demand) <= 12 and 10 <= setup <= 300 and 0.1 <= holding <= 3


SPEC_COLUMNS = {
    "items": {
        "item",
        "holding_cost",
        "shortage_cost",
        "initial_inventory",
        "expedite_cost",
        "terminal_backlog_cost",
        "volume",
    },
    "suppliers": {
        "supplier",
        "region",
        "lead_time",
        "order_cost",
        "capacity",
        "contract_cost",
        "max_share",
        "disruption_prob",
        "disruption_length",
    },
    "offers": {"supplier", "item", "unit_cost", "moq", "lot_multiple", "max_order", "line_cost"},
    "demand": {"item", "period", "demand", "scenario"},
}


def test_instance_frames():
    demand = [10, 0, 30, 25]
    fr = ww_instance_frames(demand, 120, 1.5)
    assert fr["config"]["periods"] == 4 and fr["config"]["name"]
    for key, allowed in SPEC_COLUMNS.items():
        assert set(fr[key].columns) <= allowed, key
    items, sup, off, dem = fr["items"], fr["suppliers"], fr["offers"], fr["demand"]
    assert items.to_dict("records") == [{"item": "A", "holding_cost": 1.5, "shortage_cost": 1e5}]
    assert sup.to_dict("records") == [
        {"supplier": "S", "region": "R", "lead_time": 0, "order_cost": 120.0}
    ]
    assert off.to_dict("records") == [{"supplier": "S", "item": "A", "unit_cost": 0.0}]
    assert list(dem["period"]) == [1, 2, 3, 4]
    assert list(dem["demand"]) == [10.0, 0.0, 30.0, 25.0]
    assert set(dem["item"]) == {"A"}
    assert ww_instance_frames(demand, 1, 1, shortage=7)["items"]["shortage_cost"].iloc[0] == 7


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.mark.parametrize("name,demand,setup,holding,optimum", REFERENCE)
def test_reference_instance_dirs(name, demand, setup, holding, optimum):
    """The instances/ww-* directories hold the reference case, and the DP on them gives the optimum."""
    d = ROOT / "instances" / name
    if not d.is_dir():
        pytest.skip(f"{d} not present")
    cfg = tomllib.loads((d / "instance.toml").read_text())
    assert cfg["periods"] == len(demand)
    items = _read_csv(d / "items.csv")
    suppliers = _read_csv(d / "suppliers.csv")
    offers = _read_csv(d / "offers.csv")
    rows = _read_csv(d / "demand.csv")
    assert len(items) == len(suppliers) == len(offers) == 1
    assert float(items[0]["holding_cost"]) == holding
    assert int(suppliers[0]["lead_time"]) == 0
    assert float(suppliers[0]["order_cost"]) == setup
    assert float(offers[0]["unit_cost"]) == 0
    series = [float(r["demand"]) for r in sorted(rows, key=lambda r: int(r["period"]))]
    assert [int(r["period"]) for r in rows] == list(range(1, len(demand) + 1))
    assert series == [float(x) for x in demand]
    assert wagner_whitin(
        series, float(suppliers[0]["order_cost"]), float(items[0]["holding_cost"])
    ) == pytest.approx(optimum)
    assert str(optimum) in (d / "README.md").read_text()
