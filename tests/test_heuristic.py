"""Tests of the primal heuristic (`jitopt.heuristic`) and the plans it starts from: its plans are
feasible with the cost they claim (the independent checker recomputes them), it keeps the proven
optimum, its neighbourhoods cover every item column, and the scenario sets of its starts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import jitopt
from jitopt import pyomo_highs
from jitopt.generate import generate


def test_heuristic_keeps_the_optimum(checked):
    """The heuristic only adds plans to HiGHS's search: the proven optimum is the same."""
    tables = generate(items=5, suppliers=3, regions=2, periods=6, seed=4)
    config = tables.pop("config")
    inst = jitopt.Instance.from_frames(config, **tables)
    cold = jitopt.build(inst).solve(mip_gap=1e-9, heuristic=False)
    warm = checked(jitopt.build(inst).solve(mip_gap=1e-9, time_limit=30, heuristic=True))
    assert cold.status == warm.status == jitopt.Status.OPTIMAL
    assert cold.summary["heuristic"] is None
    plans = warm.summary["heuristic"]["plans"]
    assert all(p["objective"] >= warm.objective - 1e-6 for p in plans)
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)


def test_heuristic_plans_are_valid_plans(checked):
    """Every plan the heuristic hands over is feasible with the cost it claims: load its final
    plan into the model alone (no HiGHS run) and let the independent checker recompute it."""
    import time

    from pyomo.contrib.solver.common.factory import SolverFactory

    from jitopt.heuristic import (
        Heuristic,
        Incumbent,
        item_groups,
        item_owners,
        period_windows,
    )
    from jitopt.plan import SolverRun, make_plan
    from jitopt.solver import extract

    tables = generate(items=12, suppliers=4, regions=2, periods=10, seed=7)
    config = tables.pop("config")
    problem = jitopt.build(jitopt.Instance.from_frames(config, **tables))
    opt = SolverFactory("highs")
    opt.set_instance(problem.model)
    joint, groups = item_groups(opt, problem.model, group_columns=40)
    assert len(groups) >= 3  # the heuristic really works group by group here
    incumbent = Incumbent()
    worker = Heuristic(
        pyomo_highs.highs(opt),
        joint,
        groups,
        incumbent,
        time.perf_counter() + 20,
        windows=period_windows(opt, problem.model),
        owner=item_owners(opt, problem.model),
    )
    worker.run()
    assert worker.error is None and incumbent.solution is not None
    # the item groups, reordered by what they stand to gain, still hold every item column once,
    # whole items each
    assert sorted(np.concatenate(worker.groups)) == sorted(np.concatenate(groups))
    owner = item_owners(opt, problem.model)
    seen = [set(owner[g]) for g in worker.groups]
    assert all(not (a & b) for k, a in enumerate(seen) for b in seen[k + 1 :])
    assert [v for _, v in incumbent.history] == sorted(
        (v for _, v in incumbent.history), reverse=True
    )
    pyomo_highs.load(opt, incumbent.solution)
    orders, inventory = extract(problem.model, problem.data)
    run = SolverRun(jitopt.Status.FEASIBLE, incumbent.value, None, 1.0, "heuristic", 20, 1e-4)
    plan = checked(make_plan(problem.instance, problem.scenarios, orders, inventory, run))
    assert plan.objective == pytest.approx(incumbent.value, rel=1e-6)


def test_heuristic_neighbourhoods_cover_every_item_column():
    """The period windows tile the periods twice (the second shifted by one), each window the
    columns of consecutive periods; the owner of every item integer column is its item."""
    from pyomo.contrib.solver.common.factory import SolverFactory

    from jitopt.heuristic import _integers, item_columns, item_owners, period_windows

    tables = generate(items=5, suppliers=3, regions=2, periods=9, seed=3)
    config = tables.pop("config")
    problem = jitopt.build(jitopt.Instance.from_frames(config, **tables))
    opt = SolverFactory("highs")
    opt.set_instance(problem.model)
    columns = item_columns(opt, problem.model)
    period = {c: index[2] for (_, index), c in columns.items()}
    tilings = period_windows(opt, problem.model, window=2)
    assert len(tilings) == 2
    for offset, tiling in enumerate(tilings):
        assert sorted(np.concatenate(tiling)) == sorted(columns.values())
        spans = [sorted({period[c] for c in w}) for w in tiling]
        assert all(s == list(range(s[0], s[-1] + 1)) and len(s) <= 2 for s in spans)
        assert [s[0] for s in spans] == sorted(s[0] for s in spans)
    assert len(tilings[1][0]) < len(tilings[0][0])  # the shifted tiling starts with one period
    owner = item_owners(opt, problem.model)
    items = {}
    for (_, index), c in columns.items():
        items.setdefault(index[1], set()).add(owner[c])
    assert all(len(codes) == 1 and -1 not in codes for codes in items.values())
    assert len({next(iter(codes)) for codes in items.values()}) == len(items)
    col = pyomo_highs.columns(opt)
    assert all(owner[col[id(m)]] == -1 for m in problem.model.y.values())
    assert list(_integers(problem.model))  # the model has integer columns at all


def test_expected_value_scenario_is_the_mean_demand_with_everyone_available():
    """ScenarioSet.expected_value(): one scenario, probability 1, demand the probability-weighted
    mean of the scenarios' demand (by hand: 0.25 * 8 + 0.75 * 4 = 5), no outages."""
    from jitopt.scenarios import make_scenarios

    tables = generate(items=2, suppliers=2, regions=2, periods=3, seed=1, scenarios=2)
    config = tables.pop("config")
    demand = tables["demand"]
    demand.loc[demand["scenario"] == "d1", "demand"] = 8.0
    demand.loc[demand["scenario"] == "d2", "demand"] = 4.0
    tables["scenarios"] = pd.DataFrame({"scenario": ["d1", "d2"], "probability": [0.25, 0.75]})
    tables["outages"] = pd.DataFrame(
        {"scenario": ["d1"], "target": ["R2"], "start": [1], "end": [3]}
    )
    sc = make_scenarios(jitopt.Instance.from_frames(config, **tables))
    assert not sc.available.all()  # R2's supplier is out in d1
    ev = sc.expected_value()
    assert ev.names == ["expected"] and ev.probability.tolist() == [1.0]
    assert ev.available.all() and ev.available.shape == (1, *sc.available.shape[1:])
    assert np.allclose(ev.demand, 5.0) and len(ev.outages) == 0


def test_representative_scenarios_span_the_set_by_hand():
    """ScenarioSet.representatives(k): six scenarios out 0, 5, 1, 4, 2, 3 supplier-periods with
    probabilities 0.1, 0.2, 0.1, 0.2, 0.25, 0.15; sorted by outages (0, 1, 2, 3, 4, 5:
    probabilities 0.1, 0.1, 0.25, 0.15, 0.2, 0.2, cumulative midpoints 0.05, 0.15, 0.325, 0.525,
    0.7, 0.9) and cut into two runs of about half the probability each (midpoint below 1/2: out
    0, 1, 2; the rest: out 3, 4, 5), represented by their middle scenarios (out 1 and 4) with
    probabilities 0.45 and 0.55."""
    from jitopt.scenarios import ScenarioSet, _no_outages

    out = [0, 5, 1, 4, 2, 3]
    available = np.ones((6, 2, 3), dtype=bool)
    for w, n in enumerate(out):
        available[w].flat[:n] = False
    sc = ScenarioSet(
        names=[f"s{w}" for w in range(6)],
        probability=np.array([0.1, 0.2, 0.1, 0.2, 0.25, 0.15]),
        available=available,
        demand=np.arange(6, dtype=float)[:, None, None] * np.ones((6, 1, 3)),
        outages=_no_outages(),
        kind="explicit",
    )
    two = sc.representatives(2)
    assert two.names == ["s2", "s3"]  # out 1 and out 4
    assert np.allclose(two.probability, [0.45, 0.55])
    assert (two.available == available[[2, 3]]).all() and (two.demand == sc.demand[[2, 3]]).all()
    assert sc.representatives(6) is sc and sc.representatives(10) is sc
    assert np.isclose(sc.representatives(4).probability.sum(), 1.0)
    assert len(sc.representatives(4)) <= 4


def test_heuristic_starting_from_the_expected_value_plan_gives_valid_plans(checked):
    """With scenarios, the heuristic first takes the expected-value plan's line decisions and
    solves the rest on the full model: that plan is feasible with the cost it claims (the
    independent checker recomputes it), and the proven optimum with the heuristic on is the one
    without it."""
    import threading
    import time

    from pyomo.contrib.solver.common.factory import SolverFactory

    from jitopt.heuristic import Heuristic, Incumbent, item_columns, item_groups
    from jitopt.plan import SolverRun, make_plan
    from jitopt.solver import extract

    tables = generate(items=6, suppliers=3, regions=2, periods=8, seed=5, disruptions=True)
    config = tables.pop("config")
    config["scenarios"] = {"count": 6, "seed": 1}
    inst = jitopt.Instance.from_frames(config, **tables)
    problem = jitopt.build(inst)
    assert len(problem.scenarios) == 6
    ev = problem._expected_value_plan(10.0, threading.Event())
    assert ev and all(abs(v - round(v)) < 1e-6 for (name, _), v in ev.items() if name == "w")
    # the hedging start (solver.START_SCENARIOS > 0): a plan of two representative scenarios
    two = problem.scenarios.representatives(2)
    assert len(two) == 2 and np.isclose(two.probability.sum(), 1.0)
    rep = problem._expected_value_plan(10.0, threading.Event(), two)
    assert rep and all(abs(v - round(v)) < 1e-6 for (name, _), v in rep.items() if name == "w")

    opt = SolverFactory("highs")
    opt.set_instance(problem.model)
    joint, groups = item_groups(opt, problem.model, group_columns=30)
    incumbent = Incumbent()
    worker = Heuristic(
        pyomo_highs.highs(opt),
        joint,
        groups,
        incumbent,
        time.perf_counter() + 20,
        start=lambda seconds, stopped: ev,
        columns=item_columns(opt, problem.model),
    )
    worker.run()
    assert worker.error is None and incumbent.history
    pyomo_highs.load(opt, incumbent.solution)
    orders, inventory = extract(problem.model, problem.data)
    run = SolverRun(jitopt.Status.FEASIBLE, incumbent.value, None, 1.0, "heuristic", 20, 1e-4)
    plan = checked(make_plan(problem.instance, problem.scenarios, orders, inventory, run))
    assert plan.objective == pytest.approx(incumbent.value, rel=1e-6)

    cold = jitopt.build(inst).solve(mip_gap=1e-9, heuristic=False)
    warm = checked(jitopt.build(inst).solve(mip_gap=1e-9, time_limit=60, heuristic=True))
    assert cold.status == warm.status == jitopt.Status.OPTIMAL
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
    assert plan.objective >= cold.objective - 1e-6
