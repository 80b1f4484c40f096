"""Writing plans: atomic files, no stale plan next to a newer summary, infeasibility explained."""

import json
import os

import pandas as pd
import pytest
from click.testing import CliRunner

import jitopt
from jitopt.cli import main
from tests.instance_factory import write_valid_instance

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def small_plan():
    return jitopt.solve(jitopt.read_instance(os.path.join(ROOT, "instances", "ww-stockpyl")))


def staging_left(parent) -> list[str]:
    return [p.name for p in parent.iterdir() if ".jitopt-new-" in p.name]


def test_interrupted_write_leaves_the_old_set_or_nothing(tmp_path, monkeypatch):
    """A write that fails on its second file (as if the process died) leaves no folder when
    there was none, the earlier set when there was one, and no temporary files."""
    from jitopt import files

    plan = small_plan()
    calls = []
    real_write = files._write_new

    def failing_write(path, text):
        calls.append(path.name)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_write(path, text)

    monkeypatch.setattr(files, "_write_new", failing_write)
    with pytest.raises(KeyboardInterrupt):
        plan.write(tmp_path / "new")
    assert not (tmp_path / "new").exists() and staging_left(tmp_path) == []

    monkeypatch.setattr(files, "_write_new", real_write)
    plan.write(tmp_path / "old")
    before = {p.name: p.read_bytes() for p in (tmp_path / "old").iterdir()}
    calls.clear()
    monkeypatch.setattr(files, "_write_new", failing_write)
    with pytest.raises(KeyboardInterrupt):
        plan.write(tmp_path / "old")
    after = {p.name: p.read_bytes() for p in (tmp_path / "old").iterdir()}
    assert after == before and staging_left(tmp_path) == []


def test_infeasible_run_keeps_the_plan_of_an_earlier_run_marked_stale(tmp_path):
    """B3-4: a run that finds no plan must not destroy the last usable one; its summary.json
    says, in a way a script can see, that a later run found none."""
    from jitopt.check import check_solution

    feasible = write_valid_instance(tmp_path / "ok")
    infeasible = write_valid_instance(
        tmp_path / "bad", config={"periods": 4, "warehouse_capacity": 1.0}
    )
    items = (infeasible / "items.csv").read_text().splitlines()
    header = items[0] + ",initial_inventory"
    (infeasible / "items.csv").write_text(
        "\n".join([header] + [r + ",100" for r in items[1:]]) + "\n"
    )
    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(main, ["solve", str(feasible), "-o", str(out), "-q"]).exit_code == 0
    plan_files = sorted(p.name for p in out.iterdir())
    orders = (out / "orders.csv").read_text()
    result = runner.invoke(main, ["solve", str(infeasible), "-o", str(out)])
    assert result.exit_code == 3, result.output
    assert "warehouse_capacity 1 conflicts with initial_inventory" in result.output
    assert "marked stale" in result.output
    assert sorted(p.name for p in out.iterdir()) == plan_files
    assert (out / "orders.csv").read_text() == orders
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "optimal" and summary["stale"]["status"] == "infeasible"
    assert check_solution(jitopt.read_instance(feasible), out).ok


def test_infeasible_run_into_a_new_folder_writes_its_summary(tmp_path):
    inst = write_valid_instance(tmp_path / "bad", config={"periods": 4, "warehouse_capacity": 1.0})
    items = (inst / "items.csv").read_text().splitlines()
    (inst / "items.csv").write_text(
        "\n".join([items[0] + ",initial_inventory"] + [r + ",100" for r in items[1:]]) + "\n"
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["solve", str(inst), "-o", str(out)])
    assert result.exit_code == 3, result.output
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "infeasible" and summary["conflicts"]


def test_plan_read_gives_back_the_written_plan(tmp_path):
    """`Plan.read(out_dir)`: the orders, summary and tables that `Plan.write` wrote."""
    from jitopt.generate import generate

    tables = generate(items=3, suppliers=2, regions=2, periods=5, seed=2)
    config = dict(tables.pop("config"))
    config.update(scenarios={"count": 4, "seed": 1}, start="2027-01-04", freq="W-MON")
    plan = jitopt.solve(jitopt.Instance.from_frames(config, **tables), time_limit=30)
    plan.write(tmp_path / "out")
    back = jitopt.Plan.read(tmp_path / "out")
    assert back.status == plan.status
    assert back.summary == json.loads((tmp_path / "out" / "summary.json").read_text())
    pd.testing.assert_frame_equal(back.orders, plan.orders.reset_index(drop=True))
    pd.testing.assert_frame_equal(back.inventory, plan.inventory.reset_index(drop=True))
    assert list(back.scenario_costs["scenario"]) == list(plan.scenario_costs["scenario"])


def test_plan_read_names_file_row_and_column(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "orders.csv").write_text("supplier,item,period,quantity\nA,X,1,5\nA,X,two,5\n")
    with pytest.raises(jitopt.InstanceError) as err:
        jitopt.Plan.read(out)
    problem = err.value.problems[0]
    assert (problem.file, problem.row, problem.column) == (str(out / "orders.csv"), 3, "period")
    (out / "summary.json").write_text(json.dumps({"status": "infeasible"}))
    nothing = jitopt.Plan.read(out)
    assert nothing.status == jitopt.Status.INFEASIBLE and nothing.orders is None


def test_every_labelled_metric_is_in_the_terminal_tables(tmp_path):
    """A metric of `jitopt.metrics.METRICS` with a label is a row of `jitopt solve`'s and
    `jitopt simulate`'s tables, formatted as its entry says."""
    from jitopt.cli_evaluate import simulation_report
    from jitopt.metrics import METRICS
    from jitopt.report import report

    inst = jitopt.read_instance("instances/demo")
    plan = jitopt.solve(inst)
    sim = jitopt.simulate(inst, plan.orders, scenarios=20)
    printed = report(plan, tmp_path), simulation_report(sim.summary, tmp_path)
    for metric in METRICS:
        if not metric.label:
            continue
        label = metric.label.format(alpha=plan.summary["alpha"])
        for text, summary in zip(printed, (plan.summary, sim.summary)):
            assert label in text, (metric.name, text)
            assert metric.fmt.format(summary[metric.name]) in text, metric.name
