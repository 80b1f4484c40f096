"""Property tests: random small generated instances are valid, solve to proven optimality, and
pass the independent checker (jitopt.check); the reported bound and gap are consistent.

`jitopt.generate.generate` needs at least two suppliers, so suppliers are drawn from 2-3.
"""

import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

import jitopt
from jitopt.check import check_solution
from jitopt.generate import generate

GAP = 1e-6
TIME_LIMIT = 20


def solve_and_check(**gen) -> None:
    tables = generate(**gen)
    config = tables.pop("config")
    inst = jitopt.Instance.from_frames(config, **tables)  # valid: raises InstanceError otherwise

    plan = jitopt.solve(inst, mip_gap=GAP, time_limit=TIME_LIMIT)
    assert plan.status == jitopt.Status.OPTIMAL, f"{gen}: status {plan.status}"
    held = bool((plan.outages["kind"] == "transit").any())

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        plan.write(out)
        check_solution(inst, out).raise_if_failed()

    summary = plan.summary
    objective, bound, gap = summary["objective"], summary["bound"], summary["gap"]
    assert objective == pytest.approx(plan.objective, rel=1e-9, abs=1e-9)
    assert bound is not None and math.isfinite(bound)
    scale = max(1.0, abs(objective))
    # a minimisation bound never lies above the plan's cost
    assert bound <= objective + 1e-6 * scale
    # "optimal" means proven within the requested gap
    assert gap is not None and gap <= GAP + 1e-9, f"{gen}: gap {gap} > {GAP}"
    assert (objective - bound) / scale <= GAP + 1e-9
    return held


def instance_args(disruptions):
    return {
        "items": st.integers(1, 4),
        "suppliers": st.integers(2, 3),
        "regions": st.integers(1, 2),
        "periods": st.integers(3, 6),
        "seed": st.integers(0, 2**31 - 1),
        "moq": st.booleans(),
        "capacity": st.booleans(),
        "price_breaks": st.booleans(),
        "order_costs": st.booleans(),
        "disruptions": disruptions,
        "scenarios": st.integers(1, 4),
        "spot_buys": st.booleans(),
        "pipeline": st.booleans(),
        "sampled": st.integers(1, 8),
    }


@settings(max_examples=15, deadline=None)
@given(**instance_args(st.just(False)))
def test_generated_instance_solves_optimally_and_checks(**gen):
    solve_and_check(**gen)


# Sampled disruptions (a region disruption that starts early once crashed the sampler).
@settings(max_examples=15, deadline=None)
@example(
    items=1,
    suppliers=2,
    regions=1,
    periods=6,
    seed=0,
    moq=False,
    capacity=False,
    price_breaks=False,
    order_costs=False,
    disruptions=True,
    scenarios=1,
    spot_buys=False,
    pipeline=True,
    sampled=30,
)
# HiGHS returned binaries of 1.7e-7 (within its integrality tolerance) and a line of 1.6e-5
# units below its MOQ of 95; the independent check stopped that plan, polishing mends it.
@example(
    items=1,
    suppliers=3,
    regions=1,
    periods=4,
    seed=548,
    moq=True,
    capacity=True,
    price_breaks=False,
    order_costs=True,
    disruptions=True,
    scenarios=1,
    spot_buys=False,
    pipeline=False,
    sampled=1,
)
@given(**instance_args(st.just(True)))
def test_generated_instance_with_disruptions_solves_optimally_and_checks(**gen):
    solve_and_check(**gen)


# Port closures: the far regions' sampled disruptions hold goods in transit (and the pipeline,
# which comes from far suppliers): the model, its plan's tables and the checker must agree.
@settings(max_examples=12, deadline=None)
@given(
    **instance_args(st.just(True))
    | {
        "pipeline": st.just(True),
        "regions": st.just(2),
        "scenarios": st.none(),  # sampled scenarios (20-40), not 1-4 demand series
        "sampled": st.integers(20, 40),
    }
)
def test_generated_instance_with_transit_outages_solves_optimally_and_checks(**gen):
    held = solve_and_check(**gen, transit=True)
    event(f"goods held in transit: {held}")


def test_the_transit_property_holds_goods():
    """The generator's transit instances do hold goods (so the property above tests them)."""
    tables = generate(
        items=2, suppliers=3, regions=2, periods=6, seed=3, disruptions=True, transit=True,
        sampled=40,
    )
    inst = jitopt.Instance.from_frames(tables.pop("config"), **tables)
    sc = jitopt.make_scenarios(inst)
    assert sc.arrival is not None and (sc.arrival != np.arange(6)).any()
