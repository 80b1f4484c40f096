"""Writing plans: atomic files, no stale plan next to a newer summary, infeasibility explained."""

import json
import os

import pytest
from click.testing import CliRunner

import jitopt
from jitopt.cli import main
from tests.instance_factory import write_valid_instance

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def small_plan():
    return jitopt.solve(jitopt.read_instance(os.path.join(ROOT, "instances", "ww-stockpyl")))


def test_interrupted_write_leaves_no_partial_file(tmp_path, monkeypatch):
    plan = small_plan()
    calls = []
    real_replace = os.replace

    def failing_replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:  # the second file fails to land, as if the process died
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(KeyboardInterrupt):
        plan.write(tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["orders.csv"], names  # no temporary file and no half of inventory.csv
    assert (tmp_path / "orders.csv").read_text() == plan.orders.to_csv(index=False)


def test_infeasible_run_removes_the_plan_of_an_earlier_run(tmp_path):
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
    assert (out / "orders.csv").exists()
    result = runner.invoke(main, ["solve", str(infeasible), "-o", str(out)])
    assert result.exit_code == 3, result.output
    assert "warehouse_capacity 1 conflicts with initial_inventory" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "infeasible" and summary["conflicts"]
