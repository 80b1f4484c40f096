"""Reorder alerts (`jitopt alerts`, `jitopt.alerts`) by hand on the demo's plan: as-of dates
before, at and after order dates, --placed clearing overdue lines, the formats, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import jitopt
from jitopt.alerts import alerts
from jitopt.cli import main

DEMO = Path(__file__).resolve().parents[1] / "instances" / "demo"


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory) -> Path:
    """The demo's plan of the jit policy: made by a rule, so the lines are known (weekly periods
    from Monday 2027-01-04)."""
    out = tmp_path_factory.mktemp("alerts") / "plan"
    result = CliRunner().invoke(main, ["plan", str(DEMO), "--policy", "jit", "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    return out


def lines(plan_dir: Path, period_from: int, period_to: int) -> set:
    orders = pd.read_csv(plan_dir / "orders.csv")
    rows = orders[orders["period"].between(period_from, period_to)]
    return {(r.supplier, r.item, r.period) for r in rows.itertuples()}


def keys(frame: pd.DataFrame, status: str) -> set:
    rows = frame[frame["status"] == status]
    return {(r.supplier, r.item, r.period) for r in rows.itertuples()}


def test_before_the_first_order_date_nothing_is_overdue(plan_dir):
    result = alerts(plan_dir, "2027-01-04", within=1)
    assert result.period == 1 and result.date == pd.Timestamp("2027-01-04")
    assert keys(result.lines, "overdue") == set()
    assert keys(result.lines, "order now") == lines(plan_dir, 1, 1) != set()
    assert keys(result.lines, "due") == lines(plan_dir, 2, 2)


def test_a_date_inside_a_week_is_that_week(plan_dir):
    """Wednesday 2027-01-20 is in week 3 (Monday 2027-01-18): the week-3 lines are to place now,
    weeks 1-2 are overdue, weeks 4-5 due within 2."""
    result = alerts(plan_dir, "2027-01-20", within=2)
    assert result.period == 3
    assert keys(result.lines, "overdue") == lines(plan_dir, 1, 2)
    assert keys(result.lines, "order now") == lines(plan_dir, 3, 3)
    assert keys(result.lines, "due") == lines(plan_dir, 4, 5)
    assert list(result.lines["status"].drop_duplicates()) == ["overdue", "order now", "due"]
    orders = pd.read_csv(plan_dir / "orders.csv").set_index(["supplier", "item", "period"])
    for row in result.lines.itertuples():
        line = orders.loc[(row.supplier, row.item, row.period)]
        assert row.quantity == line["quantity"]
        assert row.value == pytest.approx(line["quantity"] * line["unit_cost"])
        assert row.date == pd.Timestamp("2027-01-04") + pd.Timedelta(weeks=row.period - 1)


def test_after_the_last_order_date(plan_dir):
    orders = pd.read_csv(plan_dir / "orders.csv")
    last = int(orders["period"].max())
    result = alerts(plan_dir, str(last + 1), within=3)
    assert keys(result.lines, "order now") == keys(result.lines, "due") == set()
    assert keys(result.lines, "overdue") == lines(plan_dir, 1, last)


def test_placed_lines_are_not_overdue(plan_dir, tmp_path):
    """--placed lists two week-1 lines by period, one by date with part of its quantity: those
    are cleared, the part not placed stays overdue."""
    week1 = sorted(lines(plan_dir, 1, 1))
    orders = pd.read_csv(plan_dir / "orders.csv").set_index(["supplier", "item", "period"])
    (s0, i0, _), (s1, i1, _), (s2, i2, _) = week1[:3]
    q2 = orders.loc[(s2, i2, 1), "quantity"]
    placed = tmp_path / "placed.csv"
    placed.write_text(
        "supplier,item,period,date,quantity\n"
        f"{s0},{i0},1,,\n{s1},{i1},1,,\n{s2},{i2},,2027-01-04,{q2 - 10}\n"
    )
    result = alerts(plan_dir, 2, placed=placed)
    overdue = result.lines[result.lines["status"] == "overdue"].set_index(["supplier", "item"])
    assert (s0, i0) not in overdue.index and (s1, i1) not in overdue.index
    assert overdue.loc[(s2, i2), "quantity"] == pytest.approx(10.0)
    assert len(overdue) == len(week1) - 2


def test_placed_rows_by_any_date_of_the_week_and_the_ones_that_match_nothing(plan_dir, tmp_path):
    """A date is the period that contains it (Wednesday 2027-01-06: week 1); a line of the
    as-of week that is placed is no longer to order now; rows that name no line of the plan, or
    more than it, are notes; a period and a date that disagree are an error."""
    now = sorted(lines(plan_dir, 2, 2))
    orders = pd.read_csv(plan_dir / "orders.csv").set_index(["supplier", "item", "period"])
    (s0, i0, _), (s1, i1, _) = sorted(lines(plan_dir, 1, 1))[:2]
    q1 = orders.loc[(s1, i1, 1), "quantity"]
    placed = tmp_path / "placed.csv"
    placed.write_text(
        "supplier,item,period,date,quantity\n"
        f"{s0},{i0},,2027-01-06,\n{s1},{i1},1,,{q1 + 5}\n{now[0][0]},{now[0][1]},2,,\n"
        "NOPE,X,1,,3\n"
    )
    result = alerts(plan_dir, 2, placed=placed)
    shown = {(r.supplier, r.item, r.period) for r in result.lines.itertuples()}
    assert (s0, i0, 1) not in shown and (s1, i1, 1) not in shown
    assert now[0] not in shown and set(now[1:]) <= keys(result.lines, "order now")
    assert len(result.notes) == 2
    assert "row 5: NOPE, X, period 1 is no line of the plan" in result.notes[1]
    assert f"row 3: {s1}, {i1}, period 1: {q1 + 5:g} placed, the plan has {q1:g}" in result.notes[0]
    placed.write_text(f"supplier,item,period,date\n{s0},{i0},2,2027-01-06\n")
    with pytest.raises(jitopt.InstanceError, match="period 2 and date 2027-01-06 .period 1."):
        alerts(plan_dir, 2, placed=placed)


def test_formats_for_a_scheduler(plan_dir):
    runner = CliRunner()
    args = ["alerts", str(plan_dir), "--as-of", "2027-01-18", "--within", "1"]
    table = runner.invoke(main, args)
    assert table.exit_code == 0, table.output
    assert "orders as of period 3 (2027-01-18), due within 1 period" in table.output
    data = json.loads(runner.invoke(main, [*args, "--format", "json"]).output)
    assert data["as_of"] == {"period": 3, "date": "2027-01-18"}
    expected = alerts(plan_dir, "2027-01-18", within=1)
    assert data["counts"] == expected.counts()
    assert len(data["lines"]) == len(expected.lines)
    csv = runner.invoke(main, [*args, "--format", "csv"]).output
    frame = pd.read_csv(pd.io.common.StringIO(csv))
    assert list(frame.columns) == list(expected.lines.columns)
    assert frame["quantity"].tolist() == expected.lines["quantity"].tolist()


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("2027-04-01", "2027-04-01 is outside the horizon (2027-01-04 .. 2027-03-28)"),
        ("2026-12-28", "2026-12-28 is outside the horizon"),
        ("13", "period 13 is outside the horizon 1..12"),
        ("0", "period 0 is outside the horizon 1..12"),
        ("next monday", "'next monday' is neither a period number nor a date"),
    ],
)
def test_an_as_of_outside_the_horizon_is_exit_2(plan_dir, as_of, message):
    result = CliRunner().invoke(main, ["alerts", str(plan_dir), "--as-of", as_of])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_bad_placed_file_names_every_problem(plan_dir, tmp_path):
    placed = tmp_path / "placed.csv"
    placed.write_text("supplier,item,period,quantity\nA,B,x,1\nA,B,1,-2\nA,B,,\n")
    result = CliRunner().invoke(
        main, ["alerts", str(plan_dir), "--as-of", "3", "--placed", str(placed)]
    )
    assert result.exit_code == 2
    out = result.output
    assert "row 2, column period: 'x' is not a period of the plan (1..12)" in out
    assert "row 3, column quantity: '-2' is not a number >= 0" in out
    assert "row 4, column period: gives neither a period nor a date" in out


def test_a_plan_without_dates_takes_periods_only(tmp_path):
    inst = jitopt.Instance.from_frames(
        {"name": "t", "periods": 3},
        items=pd.DataFrame({"item": ["X"], "holding_cost": [1.0], "shortage_cost": [9.0]}),
        suppliers=pd.DataFrame({"supplier": ["A"], "region": ["R"], "lead_time": [1]}),
        offers=pd.DataFrame({"supplier": ["A"], "item": ["X"], "unit_cost": [1.0]}),
        demand=pd.DataFrame({"item": ["X"] * 3, "period": [1, 2, 3], "demand": [0.0, 2.0, 3.0]}),
    )
    jitopt.solve(inst).write(tmp_path / "plan")
    result = alerts(tmp_path / "plan", 2)
    assert "date" not in result.lines.columns and result.date is None
    assert keys(result.lines, "order now") == {("A", "X", 2)}
    with pytest.raises(jitopt.InstanceError, match="not a period number .the plan has no dates"):
        alerts(tmp_path / "plan", "2027-01-04")
