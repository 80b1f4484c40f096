"""`jitopt build`: an instance from a demand forecast and a supplier catalogue (SPEC §7).

Expected values are worked out by hand from the forecast's quantiles (the quantile function is
linear between them, so its CDF at a given quantile is that quantile's probability, and halfway
between two quantiles it is halfway between their probabilities); sampled frequencies are
compared with a tolerance of four binomial standard errors.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import jitopt
from jitopt.catalog import instance_tables
from jitopt.cli import main
from jitopt.demand import demand_scenarios, quantile_function
from jitopt.files import write_instance_dir
from jitopt.forecast import (
    detect_format,
    level_to_probability,
    parse_forecast,
)
from tests.instance_factory import valid_tables, write_instance

WEEKS = pd.date_range("2027-01-04", periods=6, freq="W-MON")
# Interval forecast of every item and date: lo-95, lo-80, point, hi-80, hi-95 (deliberately skewed).
BOUNDS = {"AutoETS-lo-95": 2.0, "AutoETS-lo-80": 6.0, "AutoETS-hi-80": 15.0, "AutoETS-hi-95": 20.0}
POINT = 10.0


def interval_rows(items=("A", "B"), dates=WEEKS, shift=None) -> pd.DataFrame:
    """Long statsforecast output; ``shift[(item, k)]`` is added to every column of that row."""
    rows = []
    for item in items:
        for k, date in enumerate(dates):
            extra = (shift or {}).get((item, k), 0.0)
            row = {"unique_id": item, "ds": date.strftime("%Y-%m-%d"), "AutoETS": POINT + extra}
            rows.append(row | {c: v + extra for c, v in BOUNDS.items()})
    return pd.DataFrame(rows)


def catalog_dir(path: Path, config: dict | None = None, **changes) -> Path:
    """The items, suppliers and offers of the factory's valid instance (items A, B; S1 lead 1,
    S2 lead 0), with ``changes`` replacing tables (None removes one)."""
    tables = valid_tables()
    del tables["demand"]
    tables.update(changes)
    return write_instance(path, config, **tables)


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def run_build(tmp_path: Path, forecast: pd.DataFrame | Path, *options: str, catalog=None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    file = forecast if isinstance(forecast, Path) else write_csv(forecast, tmp_path / "fc.csv")
    catalog = catalog or catalog_dir(tmp_path / "catalog")
    out = tmp_path / "inst"
    args = ["build", str(file), "--catalog", str(catalog), "-o", str(out), *options]
    return CliRunner().invoke(main, args), out


def problem_lines(result) -> list[str]:
    assert result.exit_code == 2, f"exit {result.exit_code}:\n{result.output}"
    assert "Traceback" not in result.output
    return [ln.strip()[2:] for ln in result.output.splitlines() if ln.startswith("  - ")]


def one_line(lines: list[str], *words: str) -> str:
    found = [ln for ln in lines if all(w in ln for w in words)]
    assert len(found) == 1, f"{words} in:\n" + "\n".join(lines)
    return found[0]


def tolerance(p: float, n: int) -> float:
    """Four standard errors of an empirical frequency of n draws, plus rounding slack."""
    return 4 * math.sqrt(p * (1 - p) / n) + 1e-3


# -- levels and formats --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("side", "level", "probability"),
    [("lo", 80, 0.10), ("hi", 80, 0.90), ("lo", 95, 0.025), ("hi", 95, 0.975), ("lo", 90, 0.05),
     ("hi", 50, 0.75), ("lo", 99.5, 0.0025)],
)  # fmt: skip
def test_level_to_probability(side, level, probability):
    assert level_to_probability(side, level) == pytest.approx(probability, abs=1e-12)


def test_interval_and_quantile_columns_map_to_probabilities():
    fmt = detect_format(interval_rows())
    assert (fmt.kind, fmt.model, fmt.value) == ("intervals", "AutoETS", "AutoETS")
    assert [c for _, c in fmt.quantiles] == [
        "AutoETS-lo-95",
        "AutoETS-lo-80",
        "AutoETS-hi-80",
        "AutoETS-hi-95",
    ]
    assert [p for p, _ in fmt.quantiles] == pytest.approx([0.025, 0.1, 0.9, 0.975])
    quantiles = pd.DataFrame(
        {"unique_id": ["A"], "ds": ["2027-01-04"], "m": [5.0], "m-q-10": [1.0], "m-q-90": [9.0]}
    )
    fmt = detect_format(quantiles)
    assert fmt.kind == "quantiles"
    assert fmt.quantiles == ((0.1, "m-q-10"), (0.9, "m-q-90"))
    assert detect_format(interval_rows()[["unique_id", "ds", "AutoETS"]]).kind == "point"


def test_model_is_chosen_by_name_and_ambiguity_lists_the_models(tmp_path):
    two = interval_rows()[["unique_id", "ds", "AutoETS"]].assign(AutoARIMA=3.0)
    assert detect_format(two, "AutoARIMA").value == "AutoARIMA"
    for model, words in ((None, "--model"), ("Naive", "unknown model 'Naive'")):
        with pytest.raises(jitopt.InstanceError) as err:
            detect_format(two, model)
        assert words in str(err.value)
        assert "AutoETS" in str(err.value) and "AutoARIMA" in str(err.value)
    result, out = run_build(tmp_path, two, "--model", "AutoARIMA")
    assert result.exit_code == 0, result.output
    demand = pd.read_csv(out / "demand.csv")
    assert "scenario" not in demand.columns
    assert (demand["demand"] == 3.0).all()


def test_point_is_the_median_unless_outside_its_neighbouring_quantiles():
    rows = pd.DataFrame(
        {
            "unique_id": ["A", "A", "A"],
            "ds": ["2027-01-04", "2027-01-11", "2027-01-18"],
            "m": [12.0, 25.0, 3.0],
            "m-lo-80": [10.0, 10.0, 10.0],
            "m-hi-80": [20.0, 20.0, 20.0],
        }
    )
    fc = parse_forecast(rows)
    assert fc.probabilities.tolist() == [0.1, 0.5, 0.9]
    # Inside [10, 20] the point is the median; outside, the median is halfway: 15.
    assert fc.values[0, :, 1].tolist() == [12.0, 15.0, 15.0]
    quantiles = rows.rename(columns={"m-lo-80": "m-q-10", "m-hi-80": "m-q-90"})
    quantiles["m-q-50"] = 11.0
    fc = parse_forecast(quantiles)  # a q-50 column is the median; the point is not used
    assert fc.values[0, :, 1].tolist() == [11.0, 11.0, 11.0]


# -- sampled demand ------------------------------------------------------------------------------


def test_demand_is_rounded_to_whole_units_by_default():
    """By default the drawn demand is whole units (so are the plans); decimals=1 keeps one decimal,
    and the rounded draws are the raw draws rounded (same seed, same uniforms)."""
    fc = interval_rows(items=("A",), dates=WEEKS[:3])
    tables = valid_tables()
    catalog = {"items": tables["items"].iloc[:1], "suppliers": tables["suppliers"]}
    catalog["offers"] = tables["offers"].query("item == 'A'")
    raw = instance_tables(fc, catalog, scenarios=50, seed=2, decimals=None)["demand"]["demand"]
    whole = instance_tables(fc, catalog, scenarios=50, seed=2)["demand"]["demand"]
    one = instance_tables(fc, catalog, scenarios=50, seed=2, decimals=1)["demand"]["demand"]
    assert (whole == np.round(whole)).all() and (raw != np.round(raw)).any()
    assert np.allclose(whole, np.round(raw)) and np.allclose(one, np.round(raw, 1))


def test_draws_reproduce_the_forecast_quantiles(tmp_path):
    n = 4000
    fc = interval_rows(items=("A",), dates=WEEKS[:3])
    tables = valid_tables()
    catalog = {"items": tables["items"].iloc[:1], "suppliers": tables["suppliers"]}
    catalog["offers"] = tables["offers"].query("item == 'A'")
    built = instance_tables(fc, catalog, scenarios=n, seed=11, decimals=None)  # the raw draws
    demand = built["demand"]
    assert demand["scenario"].nunique() == n
    by_period = demand.pivot(index="scenario", columns="period", values="demand")
    given = {0.025: 2.0, 0.1: 6.0, 0.5: POINT, 0.9: 15.0, 0.975: 20.0}
    # Halfway between two given quantiles the CDF is halfway between their probabilities.
    halfway = {0.3: (6.0 + POINT) / 2, 0.7: (POINT + 15.0) / 2, 0.9375: 17.5}
    for period in (1, 2, 3):
        draws = by_period[period].to_numpy()
        for p, value in (given | halfway).items():
            assert np.mean(draws <= value) == pytest.approx(p, abs=tolerance(p, n)), (p, value)
        assert draws.max() > 20.0  # the upper tail goes beyond hi-95
    # One uniform per scenario and item: the same rank in every period.
    assert (by_period[1] == by_period[2]).all() and (by_period[2] == by_period[3]).all()


def test_a_scenario_is_high_or_low_for_the_whole_horizon():
    shift = {("A", k): 10.0 + 5.0 * k for k in range(6)}  # high enough never to cut at 0
    fc = parse_forecast(interval_rows(items=("A", "B"), shift=shift))
    demand = demand_scenarios(fc, count=200, seed=3)
    a = demand[demand["item"] == "A"].pivot(index="scenario", columns="period", values="demand")
    ranks = a.rank().to_numpy()
    assert (ranks == ranks[:, :1]).all()  # the same rank among scenarios in every period
    # Quantiles shifted by 5 per period shift every draw by exactly 5 per period.
    assert np.allclose(a[4] - a[1], 15.0)
    b = demand[demand["item"] == "B"].pivot(index="scenario", columns="period", values="demand")
    assert not np.allclose(a[1] - 10.0, b[1])  # items are drawn independently


def test_quantile_function_between_and_beyond_the_given_quantiles():
    probs = [0.025, 0.1, 0.5, 0.9, 0.975]
    values = [2.0, 6.0, 10.0, 15.0, 20.0]
    u = np.array([0.025, 0.3, 0.5, 0.95, 0.975, 0.9875, 0.0125])
    q = quantile_function(probs, values, u)
    # Linear inside: 0.3 is halfway from 0.1 (6) to 0.5 (10); 0.95 two thirds from 0.9 to 0.975.
    # Beyond 0.975 the tail is exponential with the slope s = 5 / 0.075 of the last segment at
    # its start: Q(u) = 20 + s * 0.025 * ln(0.025 / (1 - u)); below 0.025 its mirror image.
    s_high, s_low = 5 / 0.075, 4 / 0.075
    expected = [
        2.0,
        8.0,
        10.0,
        15.0 + 5 * (0.05 / 0.075),
        20.0,
        20.0 + s_high * 0.025 * math.log(2),
        max(0.0, 2.0 - s_low * 0.025 * math.log(2)),
    ]
    assert q == pytest.approx(expected)
    assert quantile_function(probs, values, 1 - 1e-12) > 25  # unbounded above


def test_draws_are_never_negative():
    n = 4000
    probs = np.array([0.025, 0.1, 0.5, 0.9, 0.975])
    near_zero = np.array([0.0, 0.2, 0.5, 1.5, 2.5])  # lo-95 = 0: the lower tail falls below 0
    u = np.random.default_rng(5).random(n)
    draws = quantile_function(probs, near_zero, u)
    assert draws.min() == 0.0
    # Below the 2.5 % quantile (which is 0) the tail is negative and cut at zero.
    assert np.mean(draws == 0.0) == pytest.approx(0.025, abs=tolerance(0.025, n))
    assert np.isfinite(draws).all()
    assert (quantile_function(probs, near_zero, np.array([0.0, 1 - 1e-16])) >= 0).all()


def test_negative_forecasts_are_zero_demand_with_clip_negative(tmp_path):
    fc = interval_rows()
    fc.loc[fc["unique_id"] == "A", ["AutoETS-lo-95", "AutoETS-lo-80"]] = [-3.0, -1.0]
    fc.loc[fc["unique_id"] == "A", "AutoETS"] = -0.5
    result, out = run_build(tmp_path, fc, "--clip-negative", "--scenarios", "200")
    assert result.exit_code == 0, result.output
    demand = pd.read_csv(out / "demand.csv")
    assert (demand["demand"] >= 0).all()
    assert (demand.loc[demand["item"] == "A", "demand"] == 0).mean() > 0.4  # median is 0


def test_same_seed_same_scenarios_other_seed_other_scenarios(tmp_path):
    catalog = catalog_dir(tmp_path / "catalog", {"name": "c", "scenarios": {"seed": 4}})
    fc = interval_rows()
    first = instance_tables(fc, catalog, scenarios=8)
    again = instance_tables(fc.iloc[::-1], catalog, scenarios=8, seed=4)
    other = instance_tables(fc, catalog, scenarios=8, seed=5)
    pd.testing.assert_frame_equal(first["demand"], again["demand"])  # row order does not matter
    assert not first["demand"]["demand"].equals(other["demand"]["demand"])
    assert first["config"]["scenarios"] == {"seed": 4, "count": 8}
    assert other["config"]["scenarios"] == {"seed": 5, "count": 8}


def test_scenario_count_from_option_else_catalog_else_30(tmp_path):
    fc = interval_rows()
    plain = catalog_dir(tmp_path / "plain")
    counted = catalog_dir(tmp_path / "counted", {"name": "c", "scenarios": {"count": 7}})
    assert instance_tables(fc, plain)["demand"]["scenario"].nunique() == 30
    assert instance_tables(fc, counted)["demand"]["scenario"].nunique() == 7
    built = instance_tables(fc, counted, scenarios=3)
    assert sorted(built["demand"]["scenario"].unique()) == ["d1", "d2", "d3"]


def test_sample_paths_are_the_scenarios(tmp_path):
    rows = []
    for sample in range(10):
        for item, base in (("A", 100.0), ("B", 200.0)):
            for k, date in enumerate(WEEKS):
                rows.append((item, date.date().isoformat(), sample, base + 10 * sample + k))
    fc = pd.DataFrame(rows, columns=["unique_id", "ds", "sample", "y"])
    assert detect_format(fc).kind == "samples"
    four = instance_tables(fc, catalog_dir(tmp_path / "c"), scenarios=4, seed=2)["demand"]
    assert four["scenario"].nunique() == 4
    paths = set()
    for _, scenario in four.groupby("scenario"):
        a = scenario[scenario["item"] == "A"].sort_values("period")["demand"].to_numpy()
        b = scenario[scenario["item"] == "B"].sort_values("period")["demand"].to_numpy()
        sample = (a[0] - 100.0) / 10
        assert a.tolist() == [100.0 + 10 * sample + k for k in range(6)]
        assert b.tolist() == [200.0 + 10 * sample + k for k in range(6)]  # the same path id
        paths.add(sample)
    assert len(paths) == 4  # drawn without replacement
    every = instance_tables(fc, catalog_dir(tmp_path / "c2"), scenarios=30)["demand"]
    assert every["scenario"].nunique() == 10


# -- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "freq"),
    [("2027-01-04", "W-MON"), ("2027-01-07", "W-THU"), ("2027-03-30", "D"), ("2027-01-01", "MS"),
     ("2027-01-31", "ME")],
)  # fmt: skip
def test_dates_become_periods(tmp_path, start, freq):
    dates = pd.date_range(start, periods=7, freq=freq)
    rows = [
        (i, d.strftime("%Y-%m-%d"), 10.0 * k + (i == "B"))
        for i in "AB"
        for k, d in enumerate(dates)
    ]
    point = pd.DataFrame(rows, columns=["unique_id", "ds", "model"])
    built = instance_tables(point.sample(frac=1, random_state=0), catalog_dir(tmp_path / "c"))
    config = built["config"]
    assert (config["periods"], config["start"], config["freq"]) == (7, start, freq)
    inst = jitopt.Instance.from_frames(built.pop("config"), **built)
    assert inst.period_dates().equals(pd.DatetimeIndex(dates, freq=freq))
    demand = inst.demand.set_index(["item", "period"])["demand"]
    assert [demand["A", t] for t in range(1, 8)] == [10.0 * k for k in range(7)]
    assert [demand["B", t] for t in range(1, 8)] == [10.0 * k + 1 for k in range(7)]


def test_a_missing_date_names_the_item_and_the_date(tmp_path):
    fc = interval_rows()
    fc = fc[~((fc["unique_id"] == "B") & (fc["ds"] == "2027-01-18"))]
    lines = problem_lines(run_build(tmp_path, fc)[0])
    line = one_line(lines, "'B'", "2027-01-18")
    assert line.startswith("fc.csv") and "no forecast" in line
    # A date that every item lacks is still a gap in the weekly grid.
    fc = interval_rows()
    fc = fc[fc["ds"] != "2027-01-25"]
    lines = problem_lines(run_build(tmp_path / "all", fc)[0])
    one_line(lines, "'A'", "2027-01-25")
    one_line(lines, "'B'", "2027-01-25")


def test_a_duplicated_date_names_the_item_the_date_and_the_line(tmp_path):
    fc = interval_rows()
    duplicate = fc.iloc[[1]]  # A, 2027-01-11
    fc = pd.concat([fc, duplicate], ignore_index=True)
    lines = problem_lines(run_build(tmp_path, fc)[0])
    line = one_line(lines, "'A'", "2027-01-11", "more than one row")
    # The header is line 1, so data row k (0-based) is line k + 2; the first copy is on line 3.
    assert line.startswith(f"fc.csv, row {len(fc) + 1}, column ds") and "row 3" in line


# -- bad forecasts through the command line ------------------------------------------------------


def test_catalogue_item_missing_from_the_forecast(tmp_path):
    lines = problem_lines(run_build(tmp_path, interval_rows(items=("A",)))[0])
    line = one_line(lines, "'B'", "no forecast")
    assert line.startswith("items.csv, row 3, column item")


def test_quantiles_out_of_order(tmp_path):
    fc = interval_rows()
    fc.loc[(fc["unique_id"] == "A") & (fc["ds"] == "2027-01-18"), "AutoETS-lo-95"] = 7.0
    lines = problem_lines(run_build(tmp_path, fc)[0])
    line = one_line(lines, "out of order")
    assert "fc.csv, row 4" in line  # A's third date
    for word in ("'A'", "2027-01-18", "AutoETS-lo-95", "AutoETS-lo-80"):
        assert word in line


def test_negative_forecast_values(tmp_path):
    fc = interval_rows()
    fc.loc[(fc["unique_id"] == "B") & (fc["ds"] == "2027-02-01"), "AutoETS-lo-95"] = -1.0
    lines = problem_lines(run_build(tmp_path, fc)[0])
    line = one_line(lines, "negative")
    assert line.startswith("fc.csv, row 12, column AutoETS-lo-95")
    assert "'B'" in line and "2027-02-01" in line


def test_missing_value(tmp_path):
    fc = interval_rows()
    fc.loc[0, "AutoETS-hi-80"] = np.nan
    lines = problem_lines(run_build(tmp_path, fc)[0])
    line = one_line(lines, "missing")
    assert line.startswith("fc.csv, row 2, column AutoETS-hi-80") and "'A'" in line


def test_forecast_item_without_offer(tmp_path):
    c = pd.DataFrame({"item": ["C"], "holding_cost": [1.0], "shortage_cost": [9.0]})
    items = pd.concat([valid_tables()["items"], c], ignore_index=True)
    catalog = catalog_dir(tmp_path / "catalog", items=items)
    result, _ = run_build(tmp_path, interval_rows(items=("A", "B", "C")), catalog=catalog)
    one_line(problem_lines(result), "'C'", "no offer")
    # With a spot market but still no offer (SPEC §7: every forecast item needs an offer).
    items["expedite_cost"] = [np.nan, np.nan, 30.0]
    catalog = catalog_dir(tmp_path / "catalog2", items=items)
    result, _ = run_build(tmp_path / "spot", interval_rows(items=("A", "B", "C")), catalog=catalog)
    one_line(problem_lines(result), "'C'", "no offer")
    # A forecast item that is not in items.csv at all.
    result, _ = run_build(tmp_path / "unknown", interval_rows(items=("A", "B", "Z")))
    line = one_line(problem_lines(result), "'Z'", "not in items.csv")
    assert line.startswith("fc.csv, row 14, column unique_id")


def test_forecast_and_catalogue_problems_are_listed_together(tmp_path):
    offers = valid_tables()["offers"]
    offers.loc[1, "unit_cost"] = -3.0
    catalog = catalog_dir(tmp_path / "catalog", offers=offers)
    fc = interval_rows()
    fc.loc[0, "AutoETS"] = -2.0
    lines = problem_lines(run_build(tmp_path, fc, catalog=catalog)[0])
    one_line(lines, "fc.csv, row 2, column AutoETS", "negative")
    one_line(lines, "offers.csv, row 3, column unit_cost")  # the message of `jitopt validate`


def test_foreign_files_in_the_catalogue(tmp_path):
    catalog = catalog_dir(tmp_path / "catalog", demand=valid_tables()["demand"])
    line = one_line(
        problem_lines(run_build(tmp_path, interval_rows(), catalog=catalog)[0]), "demand.csv"
    )
    assert "forecast" in line


# -- writing and the round trip ------------------------------------------------------------------


def test_settings_and_optional_tables_are_carried_over(tmp_path):
    config = {"name": "voltline", "periods": 99, "shortage": "lost", "risk": {"measure": "cvar"}}
    pipeline = pd.DataFrame(
        {"supplier": ["S1"], "item": ["B"], "arrival_period": [1], "quantity": [5.0]}
    )
    catalog = catalog_dir(tmp_path / "catalog", config, pipeline=pipeline)
    result, out = run_build(tmp_path, interval_rows(), "--scenarios", "3", catalog=catalog)
    assert result.exit_code == 0, result.output
    inst = jitopt.read_instance(out)
    assert (inst.name, inst.periods, inst.shortage, inst.risk.measure) == (
        "voltline",
        6,
        "lost",
        "cvar",
    )
    assert inst.pipeline[["item", "quantity"]].values.tolist() == [["B", 5.0]]
    # numbers come back as numbers (issue 9: typed catalogue tables), whole numbers as integers
    assert (out / "pipeline.csv").read_text() == "supplier,item,arrival_period,quantity\nS1,B,1,5\n"


def test_write_refuses_a_non_empty_directory_and_replaces_stale_files(tmp_path):
    built = instance_tables(interval_rows(), catalog_dir(tmp_path / "c"), scenarios=2)
    out = tmp_path / "inst"
    out.mkdir()
    (out / "price_breaks.csv").write_text("supplier,item,min_qty,unit_cost\nS1,A,10,1\n")
    with pytest.raises(jitopt.OutputError, match="not empty"):
        write_instance_dir(built, out)
    result, _ = run_build(tmp_path, interval_rows(), catalog=tmp_path / "c")
    assert result.exit_code == 2 and "not empty" in result.output
    write_instance_dir(built, out, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == [
        "demand.csv",
        "instance.toml",
        "items.csv",
        "offers.csv",
        "suppliers.csv",
    ]  # no stale price_breaks.csv, no temporary files


def test_build_then_solve_carries_the_forecast_dates(tmp_path):
    fc = interval_rows()
    result, out = run_build(tmp_path, fc, "--scenarios", "5", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert re.search(
        r"2 items, 6 periods 2027-01-04\.\.2027-02-08 \(W-MON\), 5 demand", result.output
    )
    plan_dir = tmp_path / "plan"
    solved = CliRunner().invoke(main, ["solve", str(out), "-o", str(plan_dir), "--quiet"])
    assert solved.exit_code == 0, solved.output
    dates = [d.strftime("%Y-%m-%d") for d in WEEKS]
    orders = pd.read_csv(plan_dir / "orders.csv")
    inventory = pd.read_csv(plan_dir / "inventory.csv")
    assert len(orders) > 0
    assert orders["date"].tolist() == [dates[t - 1] for t in orders["period"]]
    assert inventory["date"].tolist() == [dates[t - 1] for t in inventory["period"]]
    assert sorted(inventory["date"].unique()) == dates
    assert sorted(inventory["scenario"].unique()) == [f"d{k}" for k in range(1, 6)]
