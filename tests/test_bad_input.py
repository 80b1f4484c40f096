"""Invalid instances: the CLI exits 2 with one readable message naming file, row and column of
every problem (SPEC §2, §5); `Instance.from_frames` raises `InstanceError` naming table and index
label; `jitopt validate`; and a property test that corrupted instances never crash the reader."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jitopt
from jitopt.cli import main
from jitopt.errors import InstanceError
from jitopt.instance import read_instance
from jitopt.schema import TABLES

try:  # pytest's default rootdir-relative import, or tests/ on sys.path
    from tests.instance_factory import (
        optional_tables,
        set_cell,
        valid_config,
        valid_tables,
        write_instance,
        write_valid_instance,
    )
except ImportError:  # pragma: no cover
    from instance_factory import (
        optional_tables,
        set_cell,
        valid_config,
        valid_tables,
        write_instance,
        write_valid_instance,
    )


# -- helpers -------------------------------------------------------------------------------------


def run_cli(*args: str):
    return CliRunner().invoke(main, list(args))


def solve_fails(inst_dir: Path, tmp_path: Path) -> list[str]:
    """Run `jitopt solve`, check it is rejected as invalid data, return the problem lines."""
    out = tmp_path / "plan"
    result = run_cli("solve", str(inst_dir), "-o", str(out))
    text = result.output
    assert result.exit_code == 2, f"exit {result.exit_code}, output:\n{text}\n{result.exception!r}"
    assert "Traceback" not in text
    assert not out.exists(), "nothing may be written for an invalid instance"
    head = re.search(r"invalid instance: (\d+) problems? found", text)
    assert head, text
    lines = [ln.strip()[2:] for ln in text.splitlines() if ln.startswith("  - ")]
    assert len(lines) == int(head.group(1)), text
    return lines


def find(lines: list[str], file: str, row: int | None, column: str | None, *words: str) -> str:
    """The problem line that names ``file``, ``row`` and ``column`` and contains ``words``."""

    def matches(line: str) -> bool:
        if not line.startswith(file):
            return False
        if row is not None and not re.search(rf"\brow {row}\b", line):
            return False
        if column is not None and not re.search(rf"\bcolumn {re.escape(column)}\b", line):
            return False
        return all(w.lower() in line.lower() for w in words)

    hits = [ln for ln in lines if matches(ln)]
    where = f"{file}, row {row}, column {column}, words {words}"
    assert hits, f"no problem for {where} in:\n" + "\n".join(lines)
    return hits[0]


def rejected(tmp_path: Path, *, config: dict | None = None, **tables) -> list[str]:
    """The valid instance with some tables replaced, solved through the CLI: its problem lines."""
    inst = write_valid_instance(tmp_path / "inst", config=config, **tables)
    return solve_fails(inst, tmp_path)


def with_cell(table: str, pos: int, column: str, value) -> dict:
    tables = valid_tables() | optional_tables()
    set_cell(tables, table, pos, column, value)
    return {table: tables[table]}


def csv(*rows: str) -> str:
    return "\n".join(rows) + "\n"


FULL_DEMAND = ["A,1,10", "A,2,20", "A,3,0", "A,4,5", "B,1,7", "B,2,7", "B,3,7", "B,4,7"]


# -- the valid instance is valid -----------------------------------------------------------------


def test_factory_instances_are_valid(tmp_path):
    read_instance(write_valid_instance(tmp_path / "a"))
    read_instance(write_valid_instance(tmp_path / "b", **optional_tables()))


# -- references ----------------------------------------------------------------------------------


@pytest.mark.parametrize("table, pos", [("offers", 2), ("price_breaks", 1), ("pipeline", 0)])
def test_unknown_supplier(tmp_path, table, pos):
    lines = rejected(tmp_path, **with_cell(table, pos, "supplier", "S9"))
    line = find(lines, f"{table}.csv", pos + 2, "supplier", "unknown supplier", "'S9'")
    assert "suppliers.csv" in line


@pytest.mark.parametrize("table, pos", [("offers", 1), ("demand", 3)])
def test_unknown_item(tmp_path, table, pos):
    lines = rejected(tmp_path, **with_cell(table, pos, "item", "Z"))
    line = find(lines, f"{table}.csv", pos + 2, "item", "unknown item", "'Z'")
    assert "items.csv" in line


# -- demand --------------------------------------------------------------------------------------


def test_demand_missing_item_period(tmp_path):
    demand = [r for r in FULL_DEMAND if r != "B,3,7"]
    lines = rejected(tmp_path, demand=csv("item,period,demand", *demand))
    assert len(lines) == 1
    find(lines, "demand.csv", None, "period", "'B'", "no demand", "period(s) 3")


@pytest.mark.parametrize("period", ["5", "99"])
def test_demand_period_outside_horizon(tmp_path, period):
    demand = FULL_DEMAND + [f"A,{period},3"]
    lines = rejected(tmp_path, demand=csv("item,period,demand", *demand))
    find(lines, "demand.csv", 10, "period", f"period {period} is outside 1..4")


def test_demand_period_zero(tmp_path):
    lines = rejected(tmp_path, **with_cell("demand", 0, "period", 0))
    find(lines, "demand.csv", 2, "period", ">= 1")


# -- duplicate keys ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "table, text, row, column, first",
    [
        (
            "items",
            csv("item,holding_cost,shortage_cost", "A,1,50", "B,2,40", "A,3,30"),
            4,
            "item",
            2,
        ),
        (
            "suppliers",
            csv("supplier,region,lead_time", "S1,R1,1", "S2,R2,0", "S2,R3,1"),
            4,
            "supplier",
            3,
        ),
        (
            "offers",
            csv("supplier,item,unit_cost", "S1,A,2", "S1,B,3", "S2,A,2.5", "S1,A,1.9"),
            5,
            "item",
            2,
        ),
        ("demand", csv("item,period,demand", *FULL_DEMAND, "B,2,1"), 10, "period", 7),
    ],
)
def test_duplicate_key(tmp_path, table, text, row, column, first):
    lines = rejected(tmp_path, **{table: text})
    find(lines, f"{table}.csv", row, column, "duplicate", f"row {first}")


# -- columns, files, cells -----------------------------------------------------------------------


def test_unknown_column(tmp_path):
    items = valid_tables()["items"].assign(holding_cots=1.0)
    lines = rejected(tmp_path, items=items)
    assert len(lines) == 1
    find(lines, "items.csv", None, "holding_cots", "unknown column", "holding_cost")


@pytest.mark.parametrize(
    "table, column",
    [
        ("items", "shortage_cost"),
        ("suppliers", "lead_time"),
        ("offers", "unit_cost"),
        ("demand", "demand"),
    ],
)
def test_missing_required_column(tmp_path, table, column):
    frame = valid_tables()[table].drop(columns=column)
    lines = rejected(tmp_path, **{table: frame})
    find(lines, f"{table}.csv", None, column, "missing")


@pytest.mark.parametrize("file", ["items.csv", "suppliers.csv", "offers.csv", "demand.csv"])
def test_missing_required_file(tmp_path, file):
    lines = rejected(tmp_path, **{file.removesuffix(".csv"): None})
    find(lines, file, None, None, "missing")


def test_missing_instance_toml(tmp_path):
    inst = write_instance(tmp_path / "inst", None, **valid_tables())
    lines = solve_fails(inst, tmp_path)
    find(lines, "instance.toml", None, None, "missing")


@pytest.mark.parametrize(
    "table, pos, column, value",
    [
        ("items", 1, "holding_cost", "cheap"),
        ("suppliers", 0, "lead_time", "two"),
        ("offers", 2, "unit_cost", "1,5"),
        ("demand", 5, "demand", "n/a"),
        ("price_breaks", 0, "min_qty", "fifty"),
    ],
)
def test_non_number_cell(tmp_path, table, pos, column, value):
    lines = rejected(tmp_path, **with_cell(table, pos, column, value))
    find(lines, f"{table}.csv", pos + 2, column, "not a number", repr(value))


def test_non_integer_cell(tmp_path):
    lines = rejected(tmp_path, **with_cell("suppliers", 1, "lead_time", 1.5))
    find(lines, "suppliers.csv", 3, "lead_time", "whole number")


def test_empty_required_cell(tmp_path):
    lines = rejected(tmp_path, **with_cell("offers", 1, "unit_cost", ""))
    find(lines, "offers.csv", 3, "unit_cost", "empty")


@pytest.mark.parametrize(
    "table, pos, column",
    [("items", 1, "holding_cost"), ("offers", 0, "unit_cost"), ("suppliers", 1, "order_cost")],
)
def test_negative_cost(tmp_path, table, pos, column):
    lines = rejected(tmp_path, **with_cell(table, pos, column, -3.5))
    find(lines, f"{table}.csv", pos + 2, column, ">= 0", "-3.5")


# -- suppliers and offers ------------------------------------------------------------------------


@pytest.mark.parametrize("lead_time", [4, 7])
def test_lead_time_not_below_horizon(tmp_path, lead_time):
    """A lead time of T or more is legal (a supplier that only delivers pipeline.csv orders, or a
    forecast shorter than a catalogue's lead time, B2-8) but leaves the supplier unused: a
    warning, no longer an error."""
    inst_dir = write_valid_instance(
        tmp_path / "inst", **with_cell("suppliers", 0, "lead_time", lead_time)
    )
    result = run_cli("validate", str(inst_dir))
    assert result.exit_code == 0, result.output
    assert f"supplier 'S1': lead time {lead_time} >= T = 4" in result.output


def test_moq_above_max_order(tmp_path):
    offers = valid_tables()["offers"].assign(max_order=[100.0, 8.0, 100.0])
    lines = rejected(tmp_path, offers=offers)
    assert len(lines) == 1
    find(lines, "offers.csv", 3, "moq", "exceeds max_order", "10", "8")


# -- price breaks --------------------------------------------------------------------------------


def test_price_breaks_not_in_increasing_min_qty_order(tmp_path):
    breaks = csv("supplier,item,min_qty,unit_cost", "S1,A,100,1.5", "S1,A,50,1.8")
    lines = rejected(tmp_path, price_breaks=breaks)
    assert len(lines) == 1
    find(lines, "price_breaks.csv", 3, "min_qty", "increasing min_qty order")


@pytest.mark.parametrize(
    "rows, row, words",
    [
        (["S1,A,50,1.8", "S1,A,100,1.9"], 3, ("1.9", "above 1.8")),  # above the smaller break
        (["S1,A,50,2.2"], 2, ("2.2", "above 2")),  # above the offer's unit_cost of 2
    ],
)
def test_price_break_that_raises_the_price(tmp_path, rows, row, words):
    lines = rejected(tmp_path, price_breaks=csv("supplier,item,min_qty,unit_cost", *rows))
    assert len(lines) == 1
    find(lines, "price_breaks.csv", row, "unit_cost", "lower the price", *words)


# -- scenarios and outages -----------------------------------------------------------------------


def test_scenario_probabilities_must_sum_to_one(tmp_path):
    scenarios = optional_tables()["scenarios"].assign(probability=[0.7, 0.2])
    lines = rejected(tmp_path, scenarios=scenarios)
    assert len(lines) == 1
    find(lines, "scenarios.csv", None, "probability", "sum to 0.9", "not 1")


def test_outage_target_names_no_supplier_or_region(tmp_path):
    opt = optional_tables()
    outages = with_cell("outages", 1, "target", "Mars")
    lines = rejected(tmp_path, scenarios=opt["scenarios"], **outages)
    assert len(lines) == 1
    find(lines, "outages.csv", 3, "target", "'Mars'", "no supplier or region")


def test_outage_with_unknown_scenario(tmp_path):
    opt = optional_tables()
    outages = with_cell("outages", 0, "scenario", "flood")
    lines = rejected(tmp_path, scenarios=opt["scenarios"], **outages)
    assert len(lines) == 1
    find(lines, "outages.csv", 2, "scenario", "unknown scenario", "'flood'", "scenarios.csv")


# -- instance.toml -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config, key",
    [
        (valid_config(horizon=12), "horizon"),
        (valid_config(risk={"measure": "cvar", "lamda": 0.5}), "risk.lamda"),
    ],
)
def test_unknown_key_in_instance_toml(tmp_path, config, key):
    lines = rejected(tmp_path, config=config)
    assert len(lines) == 1
    find(lines, "instance.toml", None, None, "unknown key", f"`{key}`")


@pytest.mark.parametrize(
    "mode",
    [
        "lose",
        "Backlog",
        "",
    ],
)
def test_bad_shortage_mode(tmp_path, mode):
    lines = rejected(tmp_path, config=valid_config(shortage=mode))
    find(lines, "instance.toml", None, None, "shortage", '"backlog" or "lost"')


# -- every problem in one message ----------------------------------------------------------------


def test_many_problems_listed_in_one_message(tmp_path):
    tables = valid_tables() | optional_tables()
    set_cell(tables, "items", 1, "holding_cost", -1)  # items.csv row 3
    set_cell(tables, "offers", 2, "unit_cost", "abc")  # offers.csv row 4
    set_cell(tables, "demand", 4, "demand", -2)  # demand.csv row 6
    set_cell(tables, "price_breaks", 1, "unit_cost", 1.9)  # price_breaks.csv row 3
    set_cell(tables, "outages", 1, "target", "Mars")  # outages.csv row 3
    tables["scenarios"] = tables["scenarios"].assign(probability=[0.5, 0.2])
    config = valid_config(horizon=5)
    inst = write_instance(tmp_path / "inst", config, **tables)

    lines = solve_fails(inst, tmp_path)

    expected = [
        ("items.csv", 3, "holding_cost", ">= 0"),
        ("offers.csv", 4, "unit_cost", "not a number"),
        ("demand.csv", 6, "demand", ">= 0"),
        ("price_breaks.csv", 3, "unit_cost", "lower the price"),
        ("outages.csv", 3, "target", "no supplier or region"),
        ("scenarios.csv", None, "probability", "sum to 0.7"),
        ("instance.toml", None, None, "`horizon`"),
    ]
    assert len(lines) == len(expected), "\n".join(lines)
    assert len({line.split(",")[0].split(":")[0] for line in lines}) == len(expected)
    for file, row, column, words in expected:
        find(lines, file, row, column, words)


# -- bugs found while writing these tests (see the reasons) --------------------------------------


def test_row_numbers_count_blank_lines(tmp_path):
    items = "item,holding_cost,shortage_cost\nA,1,50\n\nB,-2,40\n"  # B is on line 4
    lines = rejected(tmp_path, items=items)
    find(lines, "items.csv", 4, "holding_cost", ">= 0")


@pytest.mark.parametrize(
    "content",
    [
        b"item,holding_cost,shortage_cost\nA,1,50\nB,2,40,7\n",  # too many fields
        b"",  # empty file
        "item,holding_cost,shortage_cost\nCaf\xe9,1,50\nB,2,40\n".encode("latin-1"),  # not UTF-8
    ],
    ids=["too-many-fields", "empty", "latin-1"],
)
def test_unreadable_file_is_not_reported_missing(tmp_path, content):
    inst = write_valid_instance(tmp_path / "inst")
    (inst / "items.csv").write_bytes(content)
    lines = solve_fails(inst, tmp_path)
    find(lines, "items.csv", None, None, "cannot be read")
    assert not any("missing" in ln for ln in lines), "\n".join(lines)


@pytest.mark.parametrize(
    "table, pos, column, value",
    [("demand", 1, "period", "x"), ("demand", 1, "period", 2.5)],
)
def test_bad_period_cell_reported_once(tmp_path, table, pos, column, value):
    lines = rejected(tmp_path, **with_cell(table, pos, column, value))
    here = [ln for ln in lines if re.search(rf"\brow {pos + 2}\b", ln)]
    assert len(here) == 1 and "nan" not in here[0], "\n".join(lines)


def test_bad_pipeline_period_reported_once(tmp_path):
    pipeline = csv("supplier,item,arrival_period,quantity", "S1,B,1,5", "S1,B,soon,5")
    lines = rejected(tmp_path, pipeline=pipeline)
    assert len(lines) == 1, "\n".join(lines)
    find(lines, "pipeline.csv", 3, "arrival_period", "not a number")


def test_demand_scenario_column_all_blank(tmp_path):
    # Either treat it as one series (then solving works, exit 0) or reject it (exit 2):
    # an internal error is wrong.
    demand = valid_tables()["demand"].assign(scenario="")
    inst = write_valid_instance(tmp_path / "inst", demand=demand)
    result = run_cli("solve", str(inst), "-o", str(tmp_path / "plan"))
    assert result.exit_code in (0, 2), result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("extra_row", [True, False], ids=["extra-row-ignored", "misreported"])
def test_demand_blank_scenario_cell(tmp_path, extra_row):
    rows = [f"{r},x" for r in FULL_DEMAND]
    if extra_row:
        rows.append("A,1,1000,")  # line 10: silently ignored
    else:
        rows[-1] = "B,4,7,"  # line 9: reported only as "scenario 'x', item 'B' has no demand"
    lines = rejected(tmp_path, demand=csv("item,period,demand,scenario", *rows))
    find(lines, "demand.csv", 10 if extra_row else 9, "scenario", "empty")


def test_repeated_column_is_named_as_written(tmp_path):
    items = csv("item,holding_cost,shortage_cost,holding_cost", "A,1,50,1", "B,2,40,2")
    lines = rejected(tmp_path, items=items)
    assert not any("holding_cost.1" in ln for ln in lines), "\n".join(lines)
    find(lines, "items.csv", None, "holding_cost")


# -- the Python API: Instance.from_frames --------------------------------------------------------


def frames(**changes) -> dict:
    tables = valid_tables()
    tables.update(changes)
    return tables


def test_from_frames_valid():
    inst = jitopt.Instance.from_frames({"periods": 4}, **frames())
    assert inst.periods == 4 and len(inst.offers) == 3


def test_from_frames_negative_cost_names_table_and_label():
    items = valid_tables()["items"].set_axis(["first", "second"])
    items.loc["second", "holding_cost"] = -1.0
    with pytest.raises(InstanceError) as info:
        jitopt.Instance.from_frames({"periods": 4}, **frames(items=items))
    (problem,) = info.value.problems
    assert "items" in problem.file and "csv" not in problem.file
    assert (problem.row, problem.column) == ("second", "holding_cost")


def test_from_frames_unknown_supplier_and_duplicate_demand():
    offers = valid_tables()["offers"].set_axis([10, 20, 30])
    offers.loc[30, "supplier"] = "S9"
    demand = valid_tables()["demand"]
    demand = pd.concat([demand, demand.iloc[[2]]]).set_axis([f"d{k}" for k in range(9)])
    with pytest.raises(InstanceError) as info:
        jitopt.Instance.from_frames({"periods": 4}, **frames(offers=offers, demand=demand))
    found = {(p.file.split()[0], p.row, p.column) for p in info.value.problems}
    assert ("offers", 30, "supplier") in found
    assert ("demand", "d8", "period") in found
    (dup,) = [p for p in info.value.problems if p.row == "d8"]
    assert "duplicate" in dup.message and "d2" in dup.message


def test_from_frames_reports_everything_at_once():
    items = valid_tables()["items"].assign(colour="red")
    suppliers = valid_tables()["suppliers"].drop(columns="region")
    with pytest.raises(InstanceError) as info:
        jitopt.Instance.from_frames(
            {"periods": 4, "shortage": "lose"}, **frames(items=items, suppliers=suppliers)
        )
    found = {(p.file.split()[0], p.column) for p in info.value.problems}
    assert {("items", "colour"), ("suppliers", "region")} <= found
    assert any("shortage" in p.message for p in info.value.problems)


def test_from_frames_accepts_numpy_numbers():
    demand = valid_tables()["demand"]
    config = {"periods": demand["period"].max(), "warehouse_capacity": np.float64(100.0)}
    inst = jitopt.Instance.from_frames(config, **frames())
    assert inst.periods == 4


def test_from_frames_missing_table_message():
    tables = frames()
    del tables["demand"]
    with pytest.raises(InstanceError) as info:
        jitopt.Instance.from_frames({"periods": 4}, **tables)
    (problem,) = info.value.problems
    assert problem.file.startswith("demand")
    assert "file" not in problem.message


# -- jitopt validate -----------------------------------------------------------------------------


def test_validate_valid(tmp_path):
    inst = write_valid_instance(tmp_path / "inst", **optional_tables())
    result = run_cli("validate", str(inst))
    assert result.exit_code == 0, result.output
    assert "valid" in result.output and "2 items" in result.output


def test_validate_invalid(tmp_path):
    inst = write_valid_instance(tmp_path / "inst", **with_cell("offers", 0, "supplier", "S9"))
    result = run_cli("validate", str(inst))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "offers.csv, row 2, column supplier" in result.output


def test_validate_not_a_directory(tmp_path):
    result = run_cli("validate", str(tmp_path / "nowhere"))
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "nowhere" in result.output


# -- property: corruptions never crash the reader ------------------------------------------------

BASE = valid_tables() | optional_tables()
REFERENCES = {  # table -> (column, an unknown value)
    "offers": [("supplier", "S9"), ("item", "Z")],
    "price_breaks": [("supplier", "S9"), ("item", "Z")],
    "pipeline": [("supplier", "S9"), ("item", "Z")],
    "demand": [("item", "Z")],
    "outages": [("scenario", "flood"), ("target", "Mars")],
}


def _cells(predicate) -> list[tuple[str, int, str]]:
    return [
        (stem, pos, col.name)
        for stem, frame in BASE.items()
        for col in TABLES[stem].columns
        if col.name in frame.columns and predicate(col)
        for pos in range(len(frame))
    ]


REQUIRED_CELLS = _cells(lambda c: c.required)
NUMERIC_CELLS = _cells(lambda c: c.kind != "name")
KEYED_TABLES = [stem for stem in BASE if TABLES[stem].key]


@st.composite
def corruptions(draw):
    """(kind, table, row position, column or None, new value); row position len(frame) = new row."""
    kind = draw(st.sampled_from(["blank", "text", "negative", "reference", "duplicate"]))
    if kind == "blank":
        stem, pos, column = draw(st.sampled_from(REQUIRED_CELLS))
        return kind, stem, pos, column, draw(st.sampled_from(["", " "]))
    if kind == "text":
        stem, pos, column = draw(st.sampled_from(NUMERIC_CELLS))
        text = draw(st.sampled_from(["abc", "1,5", "--1", "N/A", "1e", "nan"]))
        return kind, stem, pos, column, text
    if kind == "negative":
        stem, pos, column = draw(st.sampled_from(NUMERIC_CELLS))
        return kind, stem, pos, column, -draw(st.integers(1, 1000)) / draw(st.sampled_from([1, 4]))
    if kind == "reference":
        stem = draw(st.sampled_from(sorted(REFERENCES)))
        column, value = draw(st.sampled_from(REFERENCES[stem]))
        return kind, stem, draw(st.integers(0, len(BASE[stem]) - 1)), column, value
    stem = draw(st.sampled_from(KEYED_TABLES))
    return kind, stem, draw(st.integers(0, len(BASE[stem]) - 1)), None, None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corruptions())
def test_corrupted_instance_raises_instance_error(corruption):
    kind, stem, pos, column, value = corruption
    tables = {k: v.copy() for k, v in BASE.items()}
    if kind == "duplicate":
        frame = tables[stem]
        tables[stem] = pd.concat([frame, frame.iloc[[pos]]], ignore_index=True)
        row, column = len(frame) + 2, TABLES[stem].key[-1]
    else:
        set_cell(tables, stem, pos, column, value)
        row = pos + 2
    with tempfile.TemporaryDirectory() as tmp:
        inst = write_instance(Path(tmp), valid_config(), **tables)
        with pytest.raises(InstanceError) as info:
            read_instance(inst)
    problems = info.value.problems
    assert problems
    assert all(isinstance(p.file, str) and p.file for p in problems), problems
    # the corrupted cell itself is among the problems
    file = TABLES[stem].file
    assert any(p.file == file and p.row == row and p.column == column for p in problems), (
        corruption,
        [str(p) for p in problems],
    )


def test_every_command_has_the_shared_debug_option_and_error_handler():
    """Commands are registered with `jitopt.cli.command`, which gives each `--debug` and the one
    error handler; a command registered with plain ``@main.command()`` fails here."""
    from jitopt.cli import main

    for name, cmd in main.commands.items():
        options = {opt for param in cmd.params for opt in getattr(param, "opts", [])}
        assert "--debug" in options, f"jitopt {name} has no --debug"
        assert hasattr(cmd.callback, "__wrapped__"), f"jitopt {name} is not made by cli.command"
