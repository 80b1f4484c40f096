"""Wagner–Whitin cross-check: single item, single supplier, no capacity, zero lead time and high
shortage cost. The model's optimum must equal an independent DP and the published optima."""

import csv
import random
from pathlib import Path

import pytest

import jitopt
from tests.wagner_whitin import random_ww_case, wagner_whitin, ww_instance_frames

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference" / "wagner_whitin_cases.csv"
CASES = {
    "stockpyl-doc": "ww-stockpyl",
    "nahmias": "ww-nahmias",
    "silver-peterson": "ww-silver-peterson",
}
PUBLISHED = {"ww-stockpyl": 1380.0, "ww-nahmias": 838.0, "ww-silver-peterson": 431.6}


def solve_frames(frames: dict) -> jitopt.Plan:
    config = frames.pop("config")
    inst = jitopt.Instance.from_frames(config, **frames)
    return jitopt.solve(inst, mip_gap=1e-9)


@pytest.mark.parametrize("seed", range(50))
def test_random_case_matches_dp(seed, checked):
    demand, setup, holding = random_ww_case(random.Random(seed))
    plan = checked(solve_frames(ww_instance_frames(demand, setup, holding)))
    assert plan.status == jitopt.Status.OPTIMAL
    assert plan.objective == pytest.approx(
        wagner_whitin(demand, setup, holding), rel=1e-7, abs=1e-6
    )
    # no shortage at the optimum: every order covers whole periods of demand
    assert plan.inventory["backlog"].max() == 0


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_reference_instance_reaches_published_optimum(name, checked):
    plan = checked(jitopt.solve(jitopt.read_instance(ROOT / "instances" / name), mip_gap=1e-9))
    assert plan.status == jitopt.Status.OPTIMAL
    assert plan.objective == pytest.approx(PUBLISHED[name], abs=1e-6)


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared/reference is not beside the checkout")
def test_published_optima_are_the_reference_file():
    with REFERENCE.open() as fh:
        rows = {row["case"]: float(row["optimal_cost"]) for row in csv.DictReader(fh)}
    assert {CASES[c]: v for c, v in rows.items()} == PUBLISHED
