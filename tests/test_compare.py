"""`jitopt compare` (SPEC §8.3): mixes x policies on common out-of-sample scenarios.

Every row of comparison.csv must equal `jitopt.simulate` of its plan on the same scenarios; the
efficient flags are checked by hand; local processes and a real Dask cluster give the table of one
process; bad mixes and policies, an unreachable scheduler and an interruption say what happened.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import jitopt
from jitopt.cli import main
from jitopt.comparison import compare, efficient
from jitopt.simulation import simulate
from tests.hostile import tiny

POLICIES = ["jit", "jic:cover=1", "dual:share=0.3", "optimized"]
# plan_seconds is wall time: everything else must agree between runs
SAME = ["plan_seconds"]


@pytest.fixture
def risky(tmp_path):
    """tiny with disruption risk: FAR (ASIA, lead 2, cheap) and NEAR (EU, lead 0, dear)."""
    path = tiny(tmp_path / "tiny")
    (path / "suppliers.csv").write_text(
        "supplier,region,lead_time,order_cost,disruption_prob,disruption_length\n"
        "NEAR,EU,0,50,0.02,1\nFAR,ASIA,2,30,0.1,2\n"
    )
    (path / "items.csv").write_text(
        "item,holding_cost,shortage_cost,initial_inventory,expedite_cost,salvage_value\n"
        "A,1,20,0,15,5\nB,0.5,10,0,,2\n"
    )
    return path


def test_every_row_is_simulate_of_its_plan(risky, tmp_path):
    inst = jitopt.read_instance(risky)
    result = compare(inst, {"far": ["ASIA"], "both": None}, POLICIES, scenarios=200, seed=3)
    out = result.write(tmp_path / "cmp")
    table = pd.read_csv(out / "comparison.csv")
    assert len(table) == 8
    assert (table["mix"] == ["far"] * 4 + ["both"] * 4).all()
    scenarios = pd.read_csv(out / "scenarios.csv")
    for row in table.itertuples(index=False):
        orders = pd.read_csv(out / row.plan_dir / "orders.csv")
        sim = simulate(inst, orders, scenarios=200, seed=3)
        s = sim.summary
        for key in (
            "expected_cost",
            "std_error",
            "cvar",
            "var",
            "worst_case_cost",
            "fill_rate",
            "stockout_probability",
            "mean_on_hand_value",
        ):
            assert getattr(row, key) == pytest.approx(s[key], rel=1e-12, abs=1e-9), key
        for component, value in s["costs"].items():
            assert getattr(row, component) == pytest.approx(value, rel=1e-12, abs=1e-9)
        pd.testing.assert_frame_equal(
            sim.scenarios.reset_index(drop=True), scenarios, check_dtype=False
        )
        written = json.loads((out / row.plan_dir / "simulation.json").read_text())
        assert written["expected_cost"] == pytest.approx(s["expected_cost"])
        if row.mix == "far":
            assert set(orders["supplier"]) <= {"FAR"}
            assert row.suppliers == "FAR"
    assert (out / "frontier.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((out / "comparison.json").read_text())
    assert summary["jitopt"] == "comparison"
    assert summary["efficient"] == table.loc[table["efficient"], "plan_dir"].tolist()


def test_efficient_flags_by_hand():
    # (expected, cvar): a (10, 50) b (12, 40) c (11, 60: a is better in both) d (12, 40: ties
    # with b, neither is better in both) e (15, 35) f (16, 45: b is better in both)
    expected = np.array([10, 12, 11, 12, 15, 16.0])
    cvar = np.array([50, 40, 60, 40, 35, 45.0])
    assert efficient(expected, cvar).tolist() == [True, True, False, True, True, False]
    assert efficient(np.array([1.0, np.nan]), np.array([1.0, np.nan])).tolist() == [True, False]


def test_jobs_give_the_table_of_one_process(risky):
    inst = jitopt.read_instance(risky)
    one = compare(inst, {"far": ["FAR"], "both": None}, POLICIES, scenarios=100, jobs=1)
    two = compare(inst, {"far": ["FAR"], "both": None}, POLICIES, scenarios=100, jobs=2)
    pd.testing.assert_frame_equal(one.table.drop(columns=SAME), two.table.drop(columns=SAME))
    assert one.plan_files.keys() == two.plan_files.keys()
    for key in one.plan_files:
        assert one.plan_files[key]["orders.csv"] == two.plan_files[key]["orders.csv"]


def test_dask_local_cluster_gives_the_table_of_one_process(risky, dask_scheduler):
    inst = jitopt.read_instance(risky)
    one = compare(inst, {"both": None}, POLICIES, scenarios=100)
    on_dask = compare(inst, {"both": None}, POLICIES, scenarios=100, dask=dask_scheduler)
    pd.testing.assert_frame_equal(one.table.drop(columns=SAME), on_dask.table.drop(columns=SAME))


def test_unreachable_dask_scheduler_is_a_clear_message_within_seconds(risky, tmp_path):
    pytest.importorskip("distributed")
    began = time.perf_counter()
    result = CliRunner().invoke(
        main, ["compare", str(risky), "--dask", "tcp://127.0.0.1:9", "-o", str(tmp_path / "c")]
    )
    assert time.perf_counter() - began < 30
    assert result.exit_code == 1, result.output
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--mix", "x=MARS"], "--mix x: 'MARS' is no supplier or region"),
        (["--mix", "x"], "give NAME=SUPPLIER"),
        (["--mix", "x=FAR", "--mix", "x=NEAR"], "mix 'x' is given twice"),
        (["--mix", "x=FAR,"], "an empty supplier or region name"),
        (["--policy", "jic"], "jic"),
        (["--policy", "lean"], "lean"),
        (["--scenarios", "0"], "--scenarios"),
    ],
)
def test_bad_mix_or_policy_is_refused_before_any_plan(risky, tmp_path, args, message):
    out = tmp_path / "c"
    result = CliRunner().invoke(main, ["compare", str(risky), "-o", str(out), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()


def test_a_mix_that_cannot_supply_an_item(risky, tmp_path):
    (risky / "offers.csv").write_text("supplier,item,unit_cost\nNEAR,A,10\nNEAR,B,5\nFAR,A,7\n")
    result = CliRunner().invoke(
        main, ["compare", str(risky), "--mix", "far=FAR", "-o", str(tmp_path / "c")]
    )
    assert result.exit_code == 2
    assert "no supplier of the mix offers 'B'" in result.output


def test_interrupted_comparison_keeps_the_finished_plans(risky, tmp_path):
    inst = jitopt.read_instance(risky)

    def stop_after_two(done, total):
        if done == 2:
            raise KeyboardInterrupt

    result = compare(inst, None, POLICIES, scenarios=50, progress=stop_after_two)
    assert result.interrupted
    assert len(result.table) == 2
    assert result.summary["finished"] == 2
    assert result.summary["unfinished"] == ["plans/03-all-dual-share-0.3", "plans/04-all-optimized"]
    out = result.write(tmp_path / "cmp")
    assert sorted(p.name for p in (out / "plans").iterdir()) == ["01-all-jit", "02-all-jic-cover-1"]
    assert "interrupted: 2 of 4 plans finished" in result.warnings[0]


def test_cli_compare_writes_a_comparison_folder_and_replaces_only_its_own(risky, tmp_path):
    out = tmp_path / "cmp"
    args = [
        "compare",
        str(risky),
        "--policy",
        "jit",
        "--policy",
        "optimized",
        "--scenarios",
        "30",
        "-o",
        str(out),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "efficient" in result.output
    (out / "my-notes.txt").write_text("mine")
    assert CliRunner().invoke(main, args).exit_code == 0
    assert (out / "my-notes.txt").read_text() == "mine"
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "data.csv").write_text("x\n1\n")
    result = CliRunner().invoke(main, [*args[:-1], str(foreign)])
    assert result.exit_code == 2
    assert "did not write" in result.output


def test_every_metric_reaches_every_output(risky, tmp_path):
    """A metric is one entry of `jitopt.metrics.METRICS`: it must then appear in a solve's
    summary.json, in simulation.json and in comparison.csv (the components as columns)."""
    from jitopt.metrics import METRICS

    inst = jitopt.read_instance(risky)
    plan = jitopt.solve(inst)
    sim = simulate(inst, plan.orders, scenarios=20)
    table = compare(inst, None, ["jit"], scenarios=20).table
    for metric in METRICS:
        assert metric.name in plan.summary, metric.name
        assert metric.name in sim.summary, metric.name
        if metric.name == "costs":
            assert set(metric.compute(sim.table, 0.9)) <= set(table.columns)
        elif metric.name != "alpha":
            assert metric.name in table.columns, metric.name


def test_rerun_keeps_what_the_user_put_inside_the_plan_folders(risky, tmp_path):
    """A second compare into the same folder replaces jitopt's files of each plan, and keeps a
    user's note and a simulation written into a plan's folder (`jitopt simulate --plan
    out/plans/01-all-jit` writes there by default)."""
    out = tmp_path / "cmp"
    args = ["compare", str(risky), "--policy", "jit", "--scenarios", "20", "-o", str(out)]
    assert CliRunner().invoke(main, args).exit_code == 0
    plan = out / "plans" / "01-all-jit"
    (plan / "notes.txt").write_text("mine")
    result = CliRunner().invoke(
        main, ["simulate", str(risky), "--plan", str(plan), "-q", "--scenarios", "10"]
    )
    assert result.exit_code == 0, result.output
    assert CliRunner().invoke(main, [*args[:-3], "30", "-o", str(out)]).exit_code == 0
    assert (plan / "notes.txt").read_text() == "mine"
    assert json.loads((plan / "simulation" / "simulation.json").read_text())["scenarios"] == 10
    assert json.loads((plan / "simulation.json").read_text())["scenarios"] == 30


def test_duplicate_policy_and_bad_jobs_are_refused(risky, tmp_path):
    result = CliRunner().invoke(
        main,
        ["compare", str(risky), "--policy", "jit", "--policy", "JIT", "-o", str(tmp_path / "c")],
    )
    assert result.exit_code == 2
    assert "policy 'jit' is given twice" in result.output
    inst = jitopt.read_instance(risky)
    for jobs in (0, 1.5, float("nan"), True):
        with pytest.raises(ValueError, match="jobs must be a whole number"):
            compare(inst, None, ["jit"], jobs=jobs)


def test_a_plan_folder_is_not_a_comparison_folder(risky, tmp_path):
    out = tmp_path / "plan"
    assert CliRunner().invoke(main, ["solve", str(risky), "-o", str(out), "-q"]).exit_code == 0
    result = CliRunner().invoke(main, ["compare", str(risky), "--policy", "jit", "-o", str(out)])
    assert result.exit_code == 2
    assert "is a plan folder that jitopt wrote, not a comparison folder" in result.output
    result = CliRunner().invoke(main, ["compare", str(risky), "-o", str(risky)])
    assert "write the comparison to another folder (the default is" in result.output
