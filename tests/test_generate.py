"""Tests of the random instance generator: reproducible, valid, solvable, and written as a directory."""

from __future__ import annotations

import tomllib

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
