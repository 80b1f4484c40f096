"""Every BAD case of ../shared/reports/hostile-inputs-2026-12.md (families 1, 2, 5 and 7 on the
command line, 6 in the API) as a reproduction with the exit code and a fragment of the message
it must give: never a traceback, never a wrong plan. Output safety (family 3) is in
test_output_safety.py, interruptions (family 4) in test_interrupts.py."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import jitopt
from jitopt.check import check_solution
from jitopt.cli import main
from tests.hostile import ROOT, TINY_COST, both, everywhere, shipped, sub, tiny, write

OFFERS_MOQ = "supplier,item,unit_cost,moq\nNEAR,A,10,\nNEAR,B,5,\nFAR,A,7,{}\nFAR,B,3,\n"
EXPLICIT = "scenario,probability\nbase,1\n"
CATALOG = ROOT / "instances" / "forecast-example" / "catalog"
ITEMS = ["MCU-F4", "MOSFET-6", "PCB-CTRL", "CAP-KIT", "HARNESS", "HEATSINK", "HOUSING", "LCD-35"]
FORECAST_HEAD = "unique_id,ds,AutoETS,AutoETS-lo-95,AutoETS-lo-80,AutoETS-hi-80,AutoETS-hi-95\n"


def run(*args: str):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result


def case(id, edit, command, code, fragment, *, base="tiny", absent=None, extra=()):
    return pytest.param(base, edit, command, code, fragment, absent, tuple(extra), id=id)


# command: "validate" or "solve" (then -o OUT, quiet off, and the plan is checked when written)
CASES = [
    # -- family 1: malformed and hostile input files ----------------------------------------
    case("B1-1 formula supplier", everywhere("NEAR", "@SUM(1)"), "solve", 2, "as a formula"),
    case("B1-1 formula item", everywhere("A,", "=2+5,"), "validate", 2, "as a formula"),
    case(
        "B1-1 formula item cmd",
        everywhere("B,", "=cmd|' /C calc'!A0,"),
        "validate",
        2,
        "starts with '='",
    ),
    case(
        "B1-1 formula scenario",
        write("scenarios.csv", 'scenario,probability\n"+HYPERLINK(""http://x"",""click"")",1\n'),
        "validate",
        2,
        "starts with '+'",
    ),
    case("B1-2 markup in a name", everywhere("NEAR", "[/]"), "solve", 0, "[/]"),
    case(
        "B1-3 link markup",
        everywhere("NEAR", "[link=http://evil.invalid]NINGBO[/link]"),
        "solve",
        0,
        "[link=http://evil.invalid]NINGBO[/link]",
    ),
    case("B1-3 reverse markup", everywhere("FAR", "[reverse]BURSA"), "solve", 0, "[reverse]BURSA"),
    case(
        "B1-3 escape code in a name",
        everywhere("NEAR", "RH\x1b[2J\x1b[31mEIN"),
        "validate",
        2,
        "control character",
    ),
    case(
        "B1-3 escape code in instance name",
        sub("instance.toml", 'name = "tiny"', 'name = "tiny\\u001b[41mRED"'),
        "validate",
        2,
        "control character",
    ),
    case(
        "B1-4 .CSV extension",
        write("price_breaks.CSV", "supplier,item,min_qty,unit_cost\nFAR,A,50,6\n"),
        "validate",
        2,
        "case-sensitive",
    ),
    case(
        "B1-4 .csv.txt extension",
        write("price_breaks.csv.txt", "supplier,item,min_qty,unit_cost\nFAR,A,50,6\n"),
        "validate",
        2,
        "price_breaks.csv.txt: is not read",
    ),
    case(
        "B1-4 spreadsheet",
        write("offers.xlsx", b"PK\x03\x04"),
        "validate",
        2,
        "offers.xlsx: is not read",
    ),
    case(
        "B1-5 folder as table",
        lambda p: ((p / "items.csv").unlink(), (p / "items.csv").mkdir()),
        "validate",
        2,
        "items.csv: is not a file",
    ),
    case(
        "B1-6 header-only tables",
        both(
            write("items.csv", "item,holding_cost,shortage_cost,initial_inventory\n"),
            write("suppliers.csv", "supplier,region,lead_time,order_cost\n"),
            write("offers.csv", "supplier,item,unit_cost\n"),
            write("demand.csv", "item,period,demand\n"),
        ),
        "solve",
        2,
        "items.csv: has no rows",
    ),
    case(
        "B1-7 huge outage end",
        both(
            write("scenarios.csv", EXPLICIT),
            write("outages.csv", "scenario,target,start,end\nbase,FAR,2,99999999999999999999\n"),
        ),
        "solve",
        2,
        "is too large",
    ),
    case(
        "B1-7 huge disruption length",
        write(
            "suppliers.csv",
            "supplier,region,lead_time,order_cost,disruption_prob,disruption_length\n"
            "NEAR,EU,0,50,,\nFAR,ASIA,2,30,0.1,1e300\n",
        ),
        "solve",
        2,
        "is too large",
    ),
    case(
        "B1-8 negative seed in instance.toml",
        sub(
            "instance.toml",
            'shortage = "backlog"\n',
            'shortage = "backlog"\n[scenarios]\nseed = -1\n',
        ),
        "validate",
        2,
        "scenarios.seed",
    ),
    case("B1-8 negative --seed", None, "solve", 2, "--seed", extra=("--seed", "-1")),
    case(
        "B1-9 underscore in a number",
        sub("demand.csv", "A,3,30", "A,3,1_119"),
        "validate",
        2,
        "'1_119' is not a number",
    ),
    case(
        "B1-9 full-width digits",
        sub("demand.csv", "A,3,30", "A,3,１１９"),
        "validate",
        2,
        "is not a number",
    ),
    case(
        "B1-10 byte order mark in instance.toml",
        write("instance.toml", "\ufeff" + 'name = "tiny"\nperiods = 6\n'),
        "validate",
        0,
        "tiny: valid",
        absent="warning",
    ),
    case(
        "B1-10 Latin-1 instance.toml",
        write("instance.toml", 'name = "démo"\nperiods = 6\n'.encode("latin-1")),
        "validate",
        2,
        "is not UTF-8 text",
        absent="periods` is required",
    ),
    case(
        "B1-10 UTF-16 instance.toml",
        write("instance.toml", 'name = "tiny"\nperiods = 6\n'.encode("utf-16")),
        "validate",
        2,
        "is not UTF-8 text",
        absent="periods` is required",
    ),
    case(
        "B1-10 TOML date",
        sub("instance.toml", 'shortage = "backlog"\n', 'start = 2027-01-04\nfreq = "W-MON"\n'),
        "solve",
        0,
        "tiny: optimal, cost 1,285.00",
    ),
    case("B1-11 NUL in a name", everywhere("B,", "HOUS\0ING,"), "validate", 2, "control character"),
    case(
        "B1-12 trailing commas (Excel export)",
        write(
            "items.csv",
            "item,holding_cost,shortage_cost,initial_inventory,\nA,1,20,0,\nB,0.5,10,0,\n",
        ),
        "solve",
        0,
        "tiny: optimal, cost 1,285.00",
    ),
    case(
        "B1-12 a value under no header",
        write("items.csv", "item,holding_cost,shortage_cost,\nA,1,20,5\nB,0.5,10,\n"),
        "validate",
        2,
        "column 4 has values but no name",
    ),
    # -- family 2: semantic traps -------------------------------------------------------------
    case(
        "B2-1 MOQ 1e15 in the demo",
        sub("offers.csv", "NINGBO,HOUSING,4.20,400,,", "NINGBO,HOUSING,4.20,1e15,,"),
        "solve",
        2,
        "larger than 1e+12",
        base="demo",
    ),
    case(
        "B2-1 demand 1e15", sub("demand.csv", "A,6,40", "A,6,1e15"), "solve", 2, "larger than 1e+12"
    ),
    case(
        "B2-1 price break 1e15",
        write("price_breaks.csv", "supplier,item,min_qty,unit_cost\nFAR,A,1e15,6\n"),
        "solve",
        2,
        "larger than 1e+12",
    ),
    case(
        "B2-1 MOQ 1e16",
        write("offers.csv", OFFERS_MOQ.format("1e16")),
        "solve",
        2,
        "larger than 1e+12",
    ),
    case(
        "B2-1 stock 1e300",
        sub("items.csv", "A,1,20,0", "A,1,20,1e300"),
        "solve",
        2,
        "larger than 1e+12",
    ),
    case(
        "B2-2 stock 1e16",
        sub("items.csv", "B,0.5,10,0", "B,0.5,10,1e16"),
        "solve",
        2,
        "larger than 1e+12",
    ),
    case(
        "B2-2 pipeline 1e16",
        write("pipeline.csv", "supplier,item,arrival_period,quantity\nFAR,B,1,1e16\n"),
        "solve",
        2,
        "larger than 1e+12",
    ),
    case(
        "B2-2 shortage cost 1e25",
        both(
            sub("items.csv", "A,1,20,0", "A,1,1e25,0"),
            sub("suppliers.csv", "NEAR,EU,0", "NEAR,EU,1"),
        ),
        "solve",
        2,
        "larger than 1e+12",
    ),
    case(
        "B2-2 shortage cost 1e16",
        sub("items.csv", "A,1,20,0", "A,1,1e16,0"),
        "solve",
        2,
        "larger than 1e+12",
    ),
    case(
        "B2-2 quantities adding up past 1e13",
        sub(
            "demand.csv", "A,1,10\nA,2,20\nA,3,30\nA,4,20", "A,1,9e11\nA,2,9e11\nA,3,9e11\nA,4,9e11"
        ),
        "solve",
        0,
        "tiny: optimal",
    ),
    case(
        "B2-3 explicit scenarios and disruption_prob: solve plans for the listed scenarios "
        "(simulate samples from the probabilities, no warning)",
        both(
            write(
                "suppliers.csv",
                "supplier,region,lead_time,order_cost,disruption_prob,disruption_length\n"
                "NEAR,EU,0,50,0.5,3\nFAR,ASIA,2,30,0.5,3\n",
            ),
            write("scenarios.csv", "scenario,probability\nonly,1\n"),
        ),
        "solve",
        0,
        "tiny: optimal",
        absent="warning",
    ),
    case(
        "B2-3 explicit scenarios and regions.csv: valid, no warning",
        both(
            write("regions.csv", "region,disruption_prob\nASIA,0.2\n"),
            write("scenarios.csv", "scenario,probability\nonly,1\n"),
        ),
        "validate",
        0,
        "tiny: valid",
    ),
    case(
        "B2-4 weight with measure expected",
        sub(
            "instance.toml",
            'shortage = "backlog"\n',
            '[risk]\nmeasure = "expected"\nweight = 0.5\n',
        ),
        "validate",
        2,
        'has no effect with `measure = "expected"`',
    ),
    case(
        "B2-5 start off the grid",
        sub("instance.toml", 'shortage = "backlog"\n', 'start = "2027-01-05"\nfreq = "W-MON"\n'),
        "validate",
        2,
        "is not on the 'W-MON' grid: period 1 would be dated 2027-01-11",
    ),
    case(
        "B2-5 frequency running backwards",
        sub("instance.toml", 'shortage = "backlog"\n', 'start = "2027-01-03"\nfreq = "-1W"\n'),
        "validate",
        2,
        "does not move forward",
    ),
    case(
        "B2-6 every supplier out",
        both(
            write("scenarios.csv", EXPLICIT),
            write("outages.csv", "scenario,target,start,end\nbase,NEAR,1,6\nbase,FAR,1,6\n"),
        ),
        "solve",
        0,
        "can ever be delivered",
    ),
    case(
        "B2-6 max shares below one",
        write(
            "suppliers.csv",
            "supplier,region,lead_time,order_cost,max_share\nNEAR,EU,0,50,0.4\nFAR,ASIA,2,30,0.4\n",
        ),
        "solve",
        0,
        "add up to 0.8 < 1",
    ),
    case(
        "B2-6 max_suppliers 0",
        sub("instance.toml", 'shortage = "backlog"\n', "max_suppliers = 0\n"),
        "solve",
        0,
        "max_suppliers = 0",
    ),
    case(
        "B2-6 shortage below price",
        sub("items.csv", "A,1,20,0", "A,1,0.5,0"),
        "solve",
        0,
        "item 'A': leaving a unit unmet costs at most 3.5",
    ),
    case(
        "B2-6 no shortage cost",
        sub("items.csv", "A,1,20,0", "A,1,0,0"),
        "solve",
        0,
        "no plan buys it",
    ),
    case(
        "B2-7 sampling options on a deterministic instance",
        None,
        "solve",
        0,
        "the scenario count 50 (--scenarios) is not used",
        extra=("--scenarios", "50", "--seed", "3"),
    ),
    case(
        "B2-8 pipeline-only supplier",
        both(
            sub("suppliers.csv", "FAR,ASIA,2,30", "FAR,ASIA,8,30"),
            write("pipeline.csv", "supplier,item,arrival_period,quantity\nFAR,A,2,50\n"),
        ),
        "solve",
        0,
        "lead time 8 >= T = 6",
    ),
    # -- family 5: resource limits ---------------------------------------------------------------
    case(
        "B5-2 absurd scenario count",
        both(
            sub("instance.toml", 'shortage = "backlog"\n', "[scenarios]\ncount = 100000000000\n"),
            write(
                "suppliers.csv",
                "supplier,region,lead_time,order_cost,disruption_prob\n"
                "NEAR,EU,0,50,0.1\nFAR,ASIA,2,30,\n",
            ),
        ),
        "solve",
        2,
        "too large for this machine",
    ),
    case("B5-4 absurd thread count", None, "solve", 2, "--threads", extra=("--threads", "100000")),
    case("B5-5 time limit nan", None, "solve", 2, "--time-limit", extra=("--time-limit", "nan")),
    case("B5-5 time limit inf", None, "solve", 2, "--time-limit", extra=("--time-limit", "inf")),
    case("B5-5 gap nan", None, "solve", 2, "--mip-gap", extra=("--mip-gap", "nan")),
]


@pytest.mark.parametrize("base, edit, command, code, fragment, absent, extra", CASES)
def test_report_case(tmp_path, base, edit, command, code, fragment, absent, extra):
    inst = tiny(tmp_path / "inst") if base == "tiny" else shipped(base, tmp_path / "inst")
    if edit is not None:
        edit(inst)
    out = tmp_path / "out"
    args = [command, inst] + (["-o", out, "--time-limit", "20"] if command == "solve" else [])
    result = run(*args, *extra)
    assert result.exit_code == code, result.output
    assert fragment in result.output, result.output
    if absent is not None:
        assert absent not in result.output, result.output
    if command == "solve" and code == 0:
        report = check_solution(jitopt.read_instance(inst), out)
        assert report.ok, report.problems + report.unreadable
    if code == 2 and command == "solve":
        assert not out.exists(), "nothing may be written for bad input"


def test_b1_12_a_flood_of_unknown_columns_is_capped(tmp_path):
    inst = tiny(tmp_path / "inst")
    header = "item,holding_cost,shortage_cost,initial_inventory," + ",".join(
        f"x{k}" for k in range(5000)
    )
    rows = ["A,1,20,0" + ",1" * 5000, "B,0.5,10,0" + ",1" * 5000]
    (inst / "items.csv").write_text("\n".join([header, *rows]) + "\n")
    result = run("validate", inst)
    assert result.exit_code == 2
    assert "5,000 problems found" in result.output
    assert "items.csv: ... and 4,940 more problems like those above" in result.output
    assert len(result.output.splitlines()) < 70


def test_b5_6_duplicate_rows_are_found_in_one_pass_and_listed_capped(tmp_path):
    """The "two exports concatenated" mistake: 200 items x 104 periods, every row twice (the
    quadratic search took 159 s and printed 20,800 lines)."""
    inst = tiny(tmp_path / "inst")
    items = [f"I{k}" for k in range(200)]
    (inst / "instance.toml").write_text("periods = 104\n")
    (inst / "items.csv").write_text(
        "item,holding_cost,shortage_cost\n" + "".join(f"{i},1,20\n" for i in items)
    )
    (inst / "offers.csv").write_text(
        "supplier,item,unit_cost\n" + "".join(f"NEAR,{i},10\n" for i in items)
    )
    rows = "".join(f"{i},{t},5\n" for i in items for t in range(1, 105))
    (inst / "demand.csv").write_text("item,period,demand\n" + rows + rows)
    result = run("validate", inst)
    assert result.exit_code == 2
    assert "20,800 problems found" in result.output
    assert "duplicate row for item=I0, period=1 (first given in row 2)" in result.output
    assert len(result.output.splitlines()) < 30


def test_b5_1_a_model_that_cannot_fit_is_refused_before_it_is_built(tmp_path, monkeypatch):
    monkeypatch.setattr("jitopt.sizing.available_memory", lambda: 2**30)
    out = tmp_path / "out"
    result = run("solve", ROOT / "instances" / "medium", "-o", out, "--scenarios", "5000")
    assert result.exit_code == 2, result.output
    assert "too large for this machine" in result.output and "--force" in result.output
    assert "of memory" in result.output and not out.exists()


def test_b5_3_the_time_limit_covers_building_too(tmp_path):
    """With 8 s for the whole run, the medium instance (20 scenarios: building the model and
    handing it to HiGHS take 3-4 s) must end near 8 s, not 8 s after the build."""
    plan = jitopt.solve(ROOT / "instances" / "medium", time_limit=8, heuristic=False)
    seconds = plan.summary["seconds"]
    assert seconds["total"] < 8 + 2, seconds


def test_b5_7_too_many_forecast_scenarios_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("jitopt.sizing.available_memory", lambda: 2**30)
    result = run(
        "build",
        ROOT / "instances" / "forecast-example" / "forecast.csv",
        "--catalog",
        CATALOG,
        "-o",
        tmp_path / "inst",
        "--scenarios",
        "2000000",
    )
    assert result.exit_code == 2, result.output
    assert "draw fewer (--scenarios)" in result.output
    assert not (tmp_path / "inst").exists()


# -- B2-9: jitopt check on damaged output folders ----------------------------------------------


@pytest.fixture
def plan_dir(tmp_path):
    inst = tiny(tmp_path / "inst")
    out = tmp_path / "plan"
    assert run("solve", inst, "-o", out, "-q").exit_code == 0
    return inst, out


DAMAGES = {
    "summary is a list": ("summary.json", lambda t: "[1, 2, 3]\n"),
    "summary is not UTF-8": ("summary.json", lambda t: b"\xff\xfe{}"),
    "period inf": ("orders.csv", lambda t: t.replace("NEAR,A,1,", "NEAR,A,inf,", 1)),
    "probability x": ("scenarios.csv", lambda t: t.replace("base,1.0,", "base,x,", 1)),
    "huge outage end": (
        "outages.csv",
        lambda t: "scenario,target,start,end\nbase,FAR,1,4000000000\n",
    ),
    "rows missing": ("inventory.csv", lambda t: "\n".join(t.splitlines()[:3]) + "\n"),
}


@pytest.mark.parametrize("file, damage", DAMAGES.values(), ids=DAMAGES.keys())
def test_b2_9_check_reports_damaged_folders(plan_dir, file, damage):
    inst, out = plan_dir
    text = (out / file).read_text()
    new = damage(text)
    if isinstance(new, bytes):
        (out / file).write_bytes(new)
    else:
        (out / file).write_text(new)
    result = run("check", inst, out)
    assert result.exit_code in (1, 2), result.output
    assert "RuntimeWarning" not in result.output
    assert "error:" not in result.output  # a report, not a crash
    if file != "inventory.csv" and file != "outages.csv":
        assert result.exit_code == 2 and "could not be checked" in result.output, result.output


def test_check_exit_codes_tell_problems_from_unreadable(plan_dir):
    inst, out = plan_dir
    assert run("check", inst, out).exit_code == 0
    text = (out / "orders.csv").read_text().splitlines()
    cells = text[1].split(",")
    cells[4] = str(float(cells[4]) + 1)  # one more unit ordered: balances and costs break
    (out / "orders.csv").write_text("\n".join([text[0], ",".join(cells), *text[2:]]) + "\n")
    result = run("check", inst, out)
    assert result.exit_code == 1 and "problem(s)" in result.output
    (out / "summary.json").unlink()
    assert run("check", inst, out).exit_code == 2


# -- family 6: the Python API ----------------------------------------------------------------


def tiny_frames():
    inst = jitopt.read_instance(tiny_dir())
    tables = {
        "items": inst.items.reset_index(),
        "suppliers": inst.suppliers.reset_index(),
        "offers": inst.offers.reset_index(),
        "demand": inst.demand,
    }
    return {"periods": 6}, tables


_TINY_DIR: list[Path] = []


def tiny_dir() -> Path:
    if not _TINY_DIR:
        import tempfile

        _TINY_DIR.append(tiny(Path(tempfile.mkdtemp()) / "tiny"))
    return _TINY_DIR[0]


@pytest.mark.parametrize("bad", [[1, 2], {"item": ["A"]}, np.zeros(3), "items.csv"])
def test_b6_1_tables_of_the_wrong_type(bad):
    config, tables = tiny_frames()
    with pytest.raises(jitopt.InstanceError, match="must be a pandas DataFrame"):
        jitopt.Instance.from_frames(config, **(tables | {"items": bad}))


def test_b6_2_paths_and_wrong_types():
    plan = jitopt.solve(str(tiny_dir()))  # a path is read as an instance directory
    assert plan.objective == pytest.approx(TINY_COST)
    with pytest.raises(TypeError, match="expected a jitopt.Instance"):
        jitopt.solve({"periods": 6})
    with pytest.raises(TypeError, match="expected a jitopt.Instance"):
        jitopt.build("x")
    for bad in (123, None, b"instances/demo"):
        with pytest.raises(jitopt.InstanceError, match="is not a path"):
            jitopt.read_instance(bad)


def test_b6_3_a_duplicated_column_in_a_dataframe():
    config, tables = tiny_frames()
    items = pd.concat([tables["items"], tables["items"][["holding_cost"]]], axis=1)
    with pytest.raises(jitopt.InstanceError, match="column is given more than once"):
        jitopt.Instance.from_frames(config, **(tables | {"items": items}))


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"count": 0}, "scenario count"),
        ({"count": -1}, "scenario count"),
        ({"count": 2.5}, "scenario count"),
        ({"seed": -1}, "seed"),
        ({"seed": "x"}, "seed"),
    ],
)
def test_b6_4_bad_sampling_arguments(kwargs, words):
    inst = jitopt.read_instance(ROOT / "instances" / "small")
    with pytest.raises(ValueError, match=words):
        jitopt.build(inst, **kwargs)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"time_limit": 0}, "time_limit"),
        ({"time_limit": -5}, "time_limit"),
        ({"time_limit": math.nan}, "time_limit"),
        ({"time_limit": "10"}, "time_limit"),
        ({"mip_gap": -1}, "mip_gap"),
        ({"mip_gap": math.nan}, "mip_gap"),
        ({"threads": -3}, "threads"),
        ({"threads": 100000}, "threads"),
    ],
)
def test_b6_5_bad_solver_options(kwargs, words):
    inst = jitopt.read_instance(tiny_dir())
    with pytest.raises(ValueError, match=words):
        jitopt.solve(inst, **kwargs)
    with pytest.raises(ValueError, match=words):
        jitopt.build(inst).solve(**kwargs)


def test_b6_6_risk_weight_of_the_wrong_type():
    inst = jitopt.read_instance(tiny_dir())
    with pytest.raises(jitopt.InstanceError, match="is not a number in"):
        inst.with_risk(weight="0.5")


def test_b6_7_build_instance_checks_its_arguments():
    from jitopt.catalog import instance_tables

    forecast = pd.read_csv(ROOT / "instances" / "forecast-example" / "forecast.csv")
    with pytest.raises(TypeError, match="forecast must be"):
        instance_tables(None, CATALOG)
    with pytest.raises(TypeError, match="forecast must be"):
        instance_tables([1, 2], CATALOG)
    with pytest.raises(TypeError, match="config must be"):
        instance_tables(forecast, CATALOG, config="x")
    for decimals in (2.5, "x"):
        with pytest.raises(TypeError, match="decimals"):
            instance_tables(forecast, CATALOG, decimals=decimals)
    with pytest.raises(ValueError, match="decimals must be in 0..6"):
        instance_tables(forecast, CATALOG, decimals=-1)


def test_b6_7_catalogue_numbers_come_back_as_numbers():
    from jitopt.catalog import instance_tables

    built = instance_tables(ROOT / "instances" / "forecast-example" / "forecast.csv", CATALOG)
    assert pd.api.types.is_float_dtype(built["items"]["holding_cost"])
    assert pd.api.types.is_numeric_dtype(built["suppliers"]["lead_time"])
    assert pd.api.types.is_numeric_dtype(built["offers"]["unit_cost"])


def test_b6_8_submodules_are_attributes():
    import importlib

    fresh = importlib.reload(jitopt)
    tables = fresh.generate.generate(items=3, suppliers=2, periods=4, seed=1)
    assert set(tables) >= {"config", "items", "offers"}


def test_b6_9_missing_values_and_float_names():
    config, tables = tiny_frames()
    items = tables["items"].astype({"holding_cost": "Float64"})
    items.loc[0, "holding_cost"] = pd.NA
    with pytest.raises(jitopt.InstanceError, match="is empty") as err:
        jitopt.Instance.from_frames(config, **(tables | {"items": items}))
    assert "'<NA>'" not in str(err.value)
    # names 1 and 2 as ints in one table and as floats (an upcast by NaN) in another
    items = pd.DataFrame({"item": [1, 2], "holding_cost": [1.0, 0.5], "shortage_cost": [20, 10]})
    offers = tables["offers"].replace({"item": {"A": 1.0, "B": 2.0}})
    demand = tables["demand"].replace({"item": {"A": 1.0, "B": 2.0}})
    inst = jitopt.Instance.from_frames(
        config, items=items, offers=offers, demand=demand, suppliers=tables["suppliers"]
    )
    assert list(inst.items.index) == ["1", "2"]
    offers.loc[0, "item"] = 7.0
    with pytest.raises(jitopt.InstanceError, match=r"not in items \(DataFrame\)"):
        jitopt.Instance.from_frames(
            config, items=items, offers=offers, demand=demand, suppliers=tables["suppliers"]
        )


def test_api_dates_are_dates_and_shares_are_rounded(tmp_path):
    inst = tiny(tmp_path / "inst")
    sub("instance.toml", 'shortage = "backlog"\n', 'start = "2027-01-04"\nfreq = "W-MON"\n')(inst)
    plan = jitopt.solve(inst)
    assert pd.api.types.is_datetime64_any_dtype(plan.orders["date"])
    plan.write(tmp_path / "out")
    written = pd.read_csv(tmp_path / "out" / "orders.csv")
    assert written["date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    for share in (plan.summary["supplier_share"] | plan.summary["region_share"]).values():
        assert share == round(share, 12)


# -- family 7: jitopt build with malformed forecasts -------------------------------------------


def build(tmp_path, forecast_text: str, *extra: str):
    path = tmp_path / "fc.csv"
    path.write_text(forecast_text)
    return run("build", path, "--catalog", CATALOG, "-o", tmp_path / "inst", *extra)


def weekly(dates: list[str], value: str = "100,80,90,110,120") -> str:
    return FORECAST_HEAD + "".join(f"{i},{d},{value}\n" for i in ITEMS for d in dates)


def test_b7_1_mixed_utc_offsets_read_at_wall_time(tmp_path):
    dates = ["2027-01-04T00:00:00+01:00", "2027-01-11T00:00:00Z", "2027-01-18T00:00:00-05:00"]
    result = build(tmp_path, weekly(dates))
    assert result.exit_code == 0, result.output
    assert "3 periods 2027-01-04..2027-01-18 (W-MON)" in result.output


def test_b7_2_an_offset_on_a_lone_date_gives_a_short_message(tmp_path):
    text = FORECAST_HEAD + "".join(
        f"{i},2027-01-04T23:30:00-05:00,100,80,90,110,120\n" for i in ITEMS
    )
    result = build(tmp_path, text)
    assert result.exit_code == 2, result.output
    assert "DatetimeArray" not in result.output and "at least two dates" in result.output


def test_b7_3_day_first_dates_are_ambiguous_until_the_format_is_given(tmp_path):
    dates = [f"01/{m:02d}/2027" for m in range(1, 13)]
    result = build(tmp_path, weekly(dates))
    assert result.exit_code == 2, result.output
    assert "month-first or day-first" in result.output and "--date-format" in result.output
    result = build(tmp_path, weekly(dates), "--date-format", "%d/%m/%Y")
    assert result.exit_code == 0, result.output
    assert "12 periods 2027-01-01..2027-12-01 (MS)" in result.output
    unambiguous = [f"{d:02d}/01/2027" for d in (4, 11, 18, 25)]  # only day-first reads 18/01
    result = build(tmp_path, weekly(unambiguous), "--overwrite")
    assert result.exit_code == 0, result.output
    assert "2027-01-04..2027-01-25 (W-MON)" in result.output


def test_b7_4_non_finite_values_are_named_plainly(tmp_path):
    result = build(tmp_path, weekly(["2027-01-04", "2027-01-11"], "100,80,inf,110,120"))
    assert result.exit_code == 2, result.output
    assert "np.float64" not in result.output and "inf is not a finite number" in result.output


# -- the second line of defence: what HiGHS gets and gives is checked too ----------------------


@pytest.fixture
def no_magnitude_limits(monkeypatch):
    """The instance checks off, as if a value had slipped past them."""
    monkeypatch.setattr("jitopt.instance.LARGEST_VALUE", 1e300)
    monkeypatch.setattr("jitopt.instance.LARGEST_TOTAL", 1e300)


def test_rows_that_highs_refuses_are_an_error_not_a_plan(tmp_path, no_magnitude_limits):
    """B2-1 without the input check: HiGHS drops the block of rows with the 1e15 coefficient;
    the run must fail, never report "optimal, cost 0.00"."""
    inst = tiny(tmp_path / "inst")
    sub("demand.csv", "A,6,40", "A,6,1e15")(inst)
    with pytest.raises(jitopt.SolveError, match="HiGHS took 0 of the model's"):
        jitopt.solve(inst)
    result = run("solve", inst, "-o", tmp_path / "out")
    assert result.exit_code == 1 and "HiGHS took" in result.output
    assert not (tmp_path / "out").exists()


def test_a_false_infeasible_is_an_error(tmp_path, no_magnitude_limits):
    """B2-2 without the input check: 1e16 units on hand make HiGHS call the instance
    infeasible, which ordering nothing disproves."""
    inst = tiny(tmp_path / "inst")
    sub("items.csv", "B,0.5,10,0", "B,0.5,10,1e16")(inst)
    with pytest.raises(jitopt.SolveError, match="ordering nothing is a feasible plan"):
        jitopt.solve(inst)


def test_a_plan_that_fails_the_checker_is_an_error(tmp_path, monkeypatch):
    """Whatever goes wrong between HiGHS and the tables (here: one order line lost on the
    way), the independent check stops the plan."""
    from jitopt import solver

    real = solver.extract

    def lossy(m, data):
        orders, inventory = real(m, data)
        return orders.iloc[1:].reset_index(drop=True), inventory

    monkeypatch.setattr(solver, "extract", lossy)
    with pytest.raises(jitopt.SolveError, match="fails the independent check"):
        jitopt.solve(tiny(tmp_path / "inst"))


def test_user_constraints_are_still_checked_against_the_instance(tmp_path):
    import pyomo.environ as pyo

    problem = jitopt.build(jitopt.read_instance(tiny(tmp_path / "inst")))
    m = problem.model
    m.no_far = pyo.Constraint(expr=sum(m.x[k] for k in m.LINES if k[0] == "FAR") == 0)
    plan = problem.solve()
    assert plan.status == jitopt.Status.OPTIMAL and set(plan.orders["supplier"]) == {"NEAR"}
