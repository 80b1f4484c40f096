"""Tests of the random instance generator: reproducible, valid, solvable, and written as a directory."""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest

import jitopt
from jitopt.generate import generate, write_generated

TABLE_KEYS = ("items", "suppliers", "offers", "demand", "price_breaks", "regions", "pipeline")
ALL_FEATURES = {"price_breaks": True, "disruptions": True}


def assert_same_tables(a: dict, b: dict) -> None:
    assert a["config"] == b["config"]
    for key in TABLE_KEYS:
        if a[key] is None:
            assert b[key] is None, key
        else:
            pd.testing.assert_frame_equal(a[key], b[key], check_exact=True, obj=key)


def instance(tables: dict) -> jitopt.Instance:
    tables = dict(tables)
    return jitopt.Instance.from_frames(tables.pop("config"), **tables)


@pytest.mark.parametrize("features", [{}, ALL_FEATURES, {"scenarios": 3}])
def test_same_seed_gives_identical_tables(features):
    assert_same_tables(generate(seed=7, **features), generate(seed=7, **features))


def test_another_seed_gives_other_demand():
    a, b = generate(seed=1), generate(seed=2)
    assert not a["demand"]["demand"].equals(b["demand"]["demand"])


def test_switching_a_feature_leaves_the_other_tables_alone():
    base, more = generate(seed=3), generate(seed=3, price_breaks=True)
    for key in ("items", "suppliers", "offers", "demand", "pipeline"):
        pd.testing.assert_frame_equal(base[key], more[key], obj=key)
    assert more["price_breaks"] is not None and len(more["price_breaks"]) > 0


def test_tables_have_the_spec_columns_and_believable_values():
    t = generate(items=40, suppliers=6, regions=3, periods=26, seed=0, **ALL_FEATURES)
    assert list(t["items"].columns) == [
        "item",
        "holding_cost",
        "shortage_cost",
        "initial_inventory",
    ]
    assert set(t["suppliers"].columns) == {
        "supplier",
        "region",
        "lead_time",
        "order_cost",
        "capacity",
        "disruption_prob",
        "disruption_length",
    }
    assert list(t["offers"].columns) == ["supplier", "item", "unit_cost", "moq"]
    assert list(t["demand"].columns) == ["item", "period", "demand"]
    assert list(t["price_breaks"].columns) == ["supplier", "item", "min_qty", "unit_cost"]
    assert list(t["regions"].columns) == ["region", "disruption_prob", "disruption_length"]

    sup = t["suppliers"].set_index("supplier")
    near = sup["region"] == "R1"
    assert (sup.loc[near, "lead_time"] == 1).all()
    assert sup.loc[~near, "lead_time"].between(3, 6).all()
    assert sup["order_cost"].between(100, 500).all()
    assert sup.loc[near, "disruption_prob"].between(0.005, 0.015).all()
    assert sup.loc[~near, "disruption_prob"].between(0.01, 0.04).all()
    assert sup["disruption_length"].between(2, 4).all()

    per_item = t["offers"].groupby("item")["supplier"].agg(list)
    assert per_item.map(len).between(2, 4).all()
    assert per_item.map(lambda ss: any(near[s] for s in ss)).all()  # every item has a near source

    mean = t["demand"].groupby("item")["demand"].mean()
    assert mean.between(5, 300).all()  # drawn means are 20..200; noise and intermittency move them
    offers = t["offers"].merge(sup[["region"]], left_on="supplier", right_index=True)
    offers["mean"] = offers["item"].map(mean)
    weeks = offers["moq"] / offers["mean"]
    assert weeks.median() == pytest.approx(2.5, abs=0.8)

    # Far offers are cheaper than the near offer of the same item.
    price = offers.pivot_table(index="item", columns=offers["region"] == "R1", values="unit_cost")
    both = price.dropna()
    assert (both[False] < both[True]).all()


def test_small_generated_instance_is_valid_and_solves_to_optimal():
    tables = generate(items=8, suppliers=3, periods=8, seed=0)
    inst = instance(tables)
    assert inst.periods == 8 and len(inst.items) == 8 and len(inst.suppliers) == 3
    plan = jitopt.solve(inst, time_limit=60, mip_gap=1e-3, threads=2)
    assert plan.status is jitopt.Status.OPTIMAL
    assert plan.summary["gap"] <= 1e-3 + 1e-9
    assert plan.summary["fill_rate"] > 0.9  # the pipeline and the capacities leave room to serve
    assert len(plan.orders) > 0


@pytest.mark.parametrize("features", [ALL_FEATURES, {"scenarios": 2, "disruptions": True}])
def test_every_feature_gives_a_valid_instance(features):
    inst = instance(generate(items=6, suppliers=4, periods=8, seed=5, **features))
    assert len(inst.regions) == 3
    assert (inst.suppliers["disruption_prob"] > 0).all()


def test_demand_scenarios_become_scenarios():
    inst = instance(generate(items=6, suppliers=4, periods=8, seed=5, scenarios=3))
    scenarios = jitopt.make_scenarios(inst)
    assert scenarios.kind == "demand" and len(scenarios) == 3
    assert not (scenarios.demand[0] == scenarios.demand[1]).all()


def test_sampled_disruptions_with_regions():
    # Regression: sample_outages once read regions' disruption_length as a float period index.
    inst = instance(generate(items=6, suppliers=4, periods=26, seed=5, disruptions=True))
    scenarios = jitopt.make_scenarios(inst)
    assert scenarios.kind == "sampled" and len(scenarios) == 30
    assert not scenarios.available.all()


def test_write_generated_round_trips(tmp_path):
    tables = generate(items=6, suppliers=4, periods=8, seed=2, **ALL_FEATURES)
    path = write_generated(tables, tmp_path / "gen")
    config = tomllib.loads((path / "instance.toml").read_text())
    assert config == tables["config"]
    read = jitopt.read_instance(path)
    direct = instance(tables)
    pd.testing.assert_frame_equal(read.offers, direct.offers)
    pd.testing.assert_frame_equal(read.demand, direct.demand, check_dtype=False)
    assert (path / "price_breaks.csv").exists() and (path / "regions.csv").exists()


def test_write_generated_refuses_a_full_directory_and_removes_stale_tables(tmp_path):
    write_generated(generate(items=4, suppliers=3, periods=6, seed=1, price_breaks=True), tmp_path)
    assert (tmp_path / "price_breaks.csv").exists()
    with pytest.raises(jitopt.OutputError, match="not empty"):
        write_generated(generate(items=4, suppliers=3, periods=6, seed=1), tmp_path)
    write_generated(generate(items=4, suppliers=3, periods=6, seed=1), tmp_path, overwrite=True)
    assert not (tmp_path / "price_breaks.csv").exists()
    jitopt.read_instance(tmp_path)


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
    from jitopt.solver import _load, extract

    tables = generate(items=12, suppliers=4, regions=2, periods=10, seed=7)
    config = tables.pop("config")
    problem = jitopt.build(jitopt.Instance.from_frames(config, **tables))
    opt = SolverFactory("highs")
    opt.set_instance(problem.model)
    joint, groups = item_groups(opt, problem.model, group_columns=40)
    assert len(groups) >= 3  # the heuristic really works group by group here
    incumbent = Incumbent()
    worker = Heuristic(
        opt._solver_model,
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
    _load(opt, problem.model, incumbent.solution)
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
    col = opt._pyomo_var_to_solver_var_map
    assert all(owner[col[id(m)]] == -1 for m in problem.model.y.values())
    assert list(_integers(problem.model))  # the model has integer columns at all


def test_generate_command_writes_identical_files_for_the_same_seed(tmp_path):
    """`jitopt generate` twice with the same options gives byte-identical files; another seed
    gives different demand; the written instance reads back and solves (exit 0)."""
    from click.testing import CliRunner

    from jitopt.cli import main

    runner = CliRunner()
    args = ["--items", "4", "--suppliers", "3", "--periods", "8", "--disruptions", "--spot-buys"]
    for name, seed in [("a", "3"), ("b", "3"), ("c", "4")]:
        result = runner.invoke(main, ["generate", str(tmp_path / name), *args, "--seed", seed])
        assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert "regions.csv" in files and files == sorted(p.name for p in (tmp_path / "b").iterdir())
    for f in files:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    assert (tmp_path / "a" / "demand.csv").read_bytes() != (
        tmp_path / "c" / "demand.csv"
    ).read_bytes()
    result = runner.invoke(main, ["generate", str(tmp_path / "a"), *args])
    assert result.exit_code == 2 and "--overwrite" in result.output
    result = runner.invoke(main, ["solve", str(tmp_path / "a"), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output


def test_generated_disruption_risk_is_higher_far_away():
    """Believable risk: the near region (R1, lead time 1) is disrupted less often than far ones."""
    for seed in range(5):
        t = generate(items=6, suppliers=6, regions=3, periods=8, seed=seed, disruptions=True)
        regions = t["regions"].set_index("region")["disruption_prob"]
        assert regions["R1"] < regions.drop("R1").min()
        sup = t["suppliers"]
        near = sup["lead_time"] == 1
        assert sup.loc[near, "disruption_prob"].max() <= sup.loc[~near, "disruption_prob"].max()


LIBRARY = {
    "small": "--items 10 --suppliers 4 --regions 2 --periods 12 --disruptions --spot-buys "
    "--sampled 10 --seed 0",
    "medium": "--items 30 --suppliers 6 --regions 3 --periods 26 --disruptions --spot-buys "
    "--sampled 20 --seed 0",
    "large": "--items 100 --suppliers 8 --regions 3 --periods 26 --seed 0",
}


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_generated_library_instances_are_what_the_documented_command_writes(tmp_path, name):
    """instances/{small,medium,large} are exactly what the commands of instances/README.md write
    (so benchmarks and docs that name them describe the files that are shipped)."""
    from pathlib import Path

    from click.testing import CliRunner

    from jitopt.cli import main

    root = Path(__file__).resolve().parent.parent
    assert f"jitopt generate instances/{name}" in (root / "instances" / "README.md").read_text()
    result = CliRunner().invoke(main, ["generate", str(tmp_path / name), *LIBRARY[name].split()])
    assert result.exit_code == 0, result.output
    shipped = root / "instances" / name
    assert sorted(p.name for p in shipped.iterdir()) == sorted(
        p.name for p in (tmp_path / name).iterdir()
    )
    for file in shipped.iterdir():
        assert file.read_bytes() == (tmp_path / name / file.name).read_bytes(), file.name


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
    from jitopt.solver import _load, extract

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
        opt._solver_model,
        joint,
        groups,
        incumbent,
        time.perf_counter() + 20,
        start=lambda seconds, stopped: ev,
        columns=item_columns(opt, problem.model),
    )
    worker.run()
    assert worker.error is None and incumbent.history
    _load(opt, problem.model, incumbent.solution)
    orders, inventory = extract(problem.model, problem.data)
    run = SolverRun(jitopt.Status.FEASIBLE, incumbent.value, None, 1.0, "heuristic", 20, 1e-4)
    plan = checked(make_plan(problem.instance, problem.scenarios, orders, inventory, run))
    assert plan.objective == pytest.approx(incumbent.value, rel=1e-6)

    cold = jitopt.build(inst).solve(mip_gap=1e-9, heuristic=False)
    warm = checked(jitopt.build(inst).solve(mip_gap=1e-9, time_limit=60, heuristic=True))
    assert cold.status == warm.status == jitopt.Status.OPTIMAL
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
    assert plan.objective >= cold.objective - 1e-6
