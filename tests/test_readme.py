"""The README says what the code does: the format section, the risk table, the worked example."""

import re
import shlex
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

import jitopt
from jitopt.cli import main
from jitopt.schema import format_reference, format_settings

ROOT = Path(__file__).resolve().parents[1]


def readme(path: str = "README.md") -> str:
    return (ROOT / path).read_text(encoding="utf-8")


def test_readme_format_reference_is_current():
    text = readme()
    start = text.index("-->\n", text.index("<!-- format reference")) + 4
    end = text.index("<!-- end format reference -->")
    assert text[start:end].strip() == format_reference().strip()


def test_readme_settings_are_current():
    text = readme()
    start = text.index("-->\n", text.index("<!-- settings")) + 4
    end = text.index("<!-- end settings -->")
    assert text[start:end].strip() == format_settings().strip()


def test_readme_example_settings_file_is_valid(tmp_path):
    """The README's example instance.toml parses with no problem, and every value is taken."""
    import tomllib

    from jitopt.config import parse_config

    text = format_settings()
    example = tomllib.loads(text[text.index("```toml") + 7 : text.index("```", 8)])
    problems = []
    cfg = parse_config(example, "instance.toml", "x", problems)
    assert problems == []
    assert cfg["risk"].alpha == example["risk"]["alpha"]
    assert cfg["sampling"].seed == example["scenarios"]["seed"]
    assert cfg["solver"].mip_gap == example["solver"]["mip_gap"]
    assert cfg["max_suppliers"] == example["max_suppliers"]


def test_readme_risk_table_is_what_the_commands_give(tmp_path):
    """The side-by-side table of the README's risk section: run its two commands and compare every
    number of the table with the plans' summaries and tables."""
    text = readme()
    section = text[text.index("## Risk: how much tail risk") : text.index("## Options")]
    commands = re.findall(r"^(jitopt solve [^#\n]+?)\s*(?:#.*)?$", section, re.MULTILINE)
    assert len(commands) == 2
    rows = [r for r in section.splitlines() if r.startswith("| risk-")]
    assert len(rows) == 2
    for command, row in zip(commands, rows):
        args = shlex.split(command)[1:]
        out = tmp_path / Path(args[args.index("-o") + 1]).name
        args[args.index("-o") + 1] = str(out)
        result = CliRunner().invoke(main, [*args[:1], str(ROOT / args[1]), *args[2:]])
        assert result.exit_code == 0, result.output
        summary = pd.read_json(out / "summary.json", typ="series")
        orders = pd.read_csv(out / "orders.csv")
        units = orders.groupby(
            orders["supplier"].map({"HUAXIN": "CN", "NINGBO": "CN", "RHEIN": "DE", "BURSA": "TR"})
        )["quantity"].sum()
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1] == f"{summary['expected_cost']:,.2f}"
        assert cells[2] == f"{summary['cvar']:,.2f}"
        assert cells[3] == f"{summary['worst_case_cost']:,.2f}"
        assert cells[4] == f"{summary['fill_rate']:.2%}".replace("%", " %")
        expedite = summary["costs"]["expedite"]
        assert cells[5] == (f"{expedite:,.2f}" if expedite else "0")
        assert cells[6] == f"{units.get('CN', 0):,.0f} / {units.get('DE', 0):,.0f}"
        assert summary["status"] == "optimal"


def test_forecast_example_builds_as_its_readme_says(tmp_path):
    """The worked example's `jitopt build` command gives a valid 12-week instance with 20 demand
    scenarios and dates from 2027-01-04, weekly on Mondays."""
    text = readme("instances/forecast-example/README.md")
    command = next(ln for ln in text.splitlines() if ln.startswith("jitopt build "))
    args = shlex.split(command)[1:]
    args[1] = str(ROOT / args[1])
    args[args.index("--catalog") + 1] = str(ROOT / args[args.index("--catalog") + 1])
    args[args.index("-o") + 1] = str(tmp_path / "inst")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    inst = jitopt.read_instance(tmp_path / "inst")
    assert inst.periods == 12 and (inst.start, inst.freq) == ("2027-01-04", "W-MON")
    assert inst.demand["scenario"].nunique() == 20
    forecast = pd.read_csv(ROOT / "instances/forecast-example/forecast.csv")
    dates = inst.period_dates().strftime("%Y-%m-%d").tolist()
    assert dates == sorted(forecast["ds"].unique())


def _compared(section: str, tmp_path: Path) -> pd.DataFrame:
    """comparison.csv of the one `jitopt compare` command of a README section, run again."""
    commands = re.findall(r"^(jitopt compare [^\n]+)$", section, re.MULTILINE)
    assert len(commands) == 1
    args = shlex.split(commands[0])[1:]
    args[1] = str(ROOT / args[1])
    args[args.index("-o") + 1] = str(tmp_path / "compare")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return pd.read_csv(tmp_path / "compare" / "comparison.csv")


def test_readme_comparison_table_is_what_the_command_gives(tmp_path):
    """The table of "Just in time, just in case, or optimised?": rerun its `jitopt compare`
    command and compare every number of every row with comparison.csv."""
    text = readme()
    section = text[text.index("## Just in time, just in case") : text.index("## Options")]
    table = _compared(section, tmp_path)
    rows = [r for r in section.splitlines() if r.startswith("| ") and "`" in r]
    assert len(rows) == len(table) == 16

    def money(x):
        return f"{x:,.0f}"

    def share(x):
        return f"{x:.1%}".replace("%", " %")

    for line, row in zip(rows, table.itertuples(index=False)):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells == [
            row.mix,
            f"`{row.policy}`",
            money(row.expected_cost),
            money(row.cvar),
            share(row.fill_rate),
            share(row.stockout_probability),
            money(row.mean_on_hand_value),
            money(row.in_sample_expected_cost),
            "yes" if row.efficient else "",
        ], line


def test_readme_rolling_table_is_what_the_command_gives(tmp_path):
    """The static-or-rolling table of "Re-plan every week": rerun its command and compare every
    number with comparison.csv."""
    text = readme()
    start = text.index("### Static or rolling")
    section = text[start : text.index("### Port closures", start)]
    table = _compared(section, tmp_path)
    rows = [r for r in section.splitlines() if r.startswith("| `")]
    assert len(rows) == len(table) == 6
    for line, row in zip(rows, table.itertuples(index=False)):
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert cells == [
            f"`{row.policy}`",
            f"{row.expected_cost:,.0f}",
            f"{row.cvar:,.0f}",
            f"{row.fill_rate:.1%}".replace("%", " %"),
            f"{row.stockout_probability:.1%}".replace("%", " %"),
            f"{row.mean_on_hand_value:,.0f}",
            "yes" if row.efficient else "",
        ], line


def test_readme_port_closure_table_is_what_the_commands_give():
    """The port-closure table: each row's plan or policy on the two stress outages."""
    from jitopt.policies import policy_orders
    from jitopt.replan import simulate_policy
    from jitopt.simulation import simulate

    text = readme()
    start = text.index("### Port closures")
    section = text[start : text.index("## Python API", start)]
    rows = [r for r in section.splitlines() if r.startswith("| ") and "," in r]
    assert len(rows) == 4
    inst = jitopt.read_instance(ROOT / "instances" / "demo")
    plan = jitopt.solve(inst)
    judges = {
        "the optimised plan (`jitopt solve`)": lambda o: simulate(inst, plan.orders, outages=[o]),
        "`jit`": lambda o: simulate(inst, policy_orders(inst, "jit").orders, outages=[o]),
        "`rolling:jit`": lambda o: simulate_policy(inst, "rolling:jit", outages=[o]),
        "`rolling:optimized`": lambda o: simulate_policy(inst, "rolling:optimized", outages=[o]),
    }
    for line in rows:
        name, *cells = [c.strip() for c in line.strip("|").split("|")]
        for outage, cell in zip(["CN:3-6", "CN:3-6:transit"], cells):
            s = judges[name](outage).summary
            shown = f"{s['expected_cost']:,.0f}, {s['fill_rate']:.1%}".replace("%", " %")
            assert cell == shown, (name, outage)


def test_readme_alerts_output_is_what_the_command_prints(tmp_path):
    """The alerts section: solve the demo as the README's first command does, run its alerts
    command and compare the printed lines."""
    text = readme()
    start = text.index("## What to order this week")
    section = text[start : text.index("## Python API", start)]
    command = re.findall(r"^(jitopt alerts [^\n]+)$", section, re.MULTILINE)
    assert len(command) == 1
    shown = section.split("```text\n", 1)[1].split("```", 1)[0].splitlines()
    out = tmp_path / "out"
    runner = CliRunner()
    solved = runner.invoke(main, ["solve", str(ROOT / "instances" / "demo"), "-o", str(out)])
    assert solved.exit_code == 0, solved.output
    args = shlex.split(command[0])[1:]
    args[args.index("out/")] = str(out)
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    printed = [line.rstrip() for line in result.output.replace(str(out), "out").splitlines()]
    assert printed == shown


def test_contract_metrics_table_is_current():
    from jitopt.metrics import format_metrics

    text = readme("docs/CONTRACT.md")
    start = text.index("-->\n", text.index("<!-- metrics")) + 4
    end = text.index("<!-- end metrics -->")
    assert text[start:end].strip() == format_metrics().strip()
