"""The `jitopt` command line: parse options, call the library, map outcomes to exit codes."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click

from jitopt.errors import InstanceError
from jitopt.plan import Status
from jitopt.report import headline, report

EXIT_OK, EXIT_ERROR, EXIT_INVALID, EXIT_INFEASIBLE, EXIT_NO_PLAN = 0, 1, 2, 3, 4
EXIT_CODES = {
    Status.OPTIMAL: EXIT_OK,
    Status.FEASIBLE: EXIT_OK,
    Status.INFEASIBLE: EXIT_INFEASIBLE,
    Status.NO_SOLUTION: EXIT_NO_PLAN,
}


class _Exit(Exception):
    def __init__(self, code: int):
        self.code = code


def _run(debug: bool, action) -> None:
    """Run ``action``; turn every error into one readable message and an exit code."""
    try:
        action()
    except _Exit as done:
        sys.exit(done.code)
    except InstanceError as exc:
        click.echo(exc.report(), err=True)
        sys.exit(EXIT_INVALID)
    except click.exceptions.Exit:
        raise
    except Exception as exc:  # noqa: BLE001 - the CLI's job is to turn any failure into a message
        if debug:
            traceback.print_exc()
        else:
            click.echo(f"error: {exc} (run with --debug for details)", err=True)
        sys.exit(EXIT_ERROR)


def _refuse_full(out_dir: Path, overwrite: bool) -> None:
    """A command that writes an instance does not mix its files into a non-empty folder."""
    if out_dir.exists() and any(out_dir.iterdir()) and not overwrite:
        click.echo(f"error: {out_dir} is not empty (use --overwrite)", err=True)
        raise _Exit(EXIT_INVALID)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="jitopt")
def main() -> None:
    """jitopt: purchasing plans for just-in-time inventory under disruption risk."""


@main.command()
@click.argument("instance_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for orders.csv, inventory.csv, scenarios.csv, outages.csv, summary.json "
    "[default: INSTANCE_DIR/out].",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds for the solver [instance.toml, else 60].",
)
@click.option(
    "--mip-gap",
    type=click.FloatRange(min=0),
    help="Relative gap to prove [instance.toml, else 1e-4].",
)
@click.option("--threads", type=click.IntRange(min=1), help="Solver threads [HiGHS default].")
@click.option(
    "--scenarios", "count", type=click.IntRange(min=1), help="Scenarios to sample [instance.toml]."
)
@click.option("--seed", type=int, help="Seed for scenario sampling [instance.toml].")
@click.option(
    "--risk-weight",
    type=click.FloatRange(0, 1),
    help="Weight lambda of CVaR in the objective; sets the cvar measure (0: risk-neutral) "
    "[instance.toml [risk]].",
)
@click.option(
    "--alpha",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    help="CVaR and VaR level alpha [instance.toml [risk], else 0.9].",
)
@click.option(
    "--heuristic/--no-heuristic",
    default=None,
    help="Run the relax-and-fix / fix-and-optimize heuristic next to HiGHS [on for models with "
    ">= 1000 integer variables].",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--log", is_flag=True, help="Show the solver log.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def solve(
    instance_dir,
    out_dir,
    time_limit,
    mip_gap,
    threads,
    count,
    seed,
    risk_weight,
    alpha,
    heuristic,
    quiet,
    log,
    debug,
):
    """Solve the instance in INSTANCE_DIR and write the plan.

    Exit codes: 0 plan written (optimal or feasible), 2 invalid data or usage, 3 infeasible,
    4 no plan within the limits, 1 anything else.
    """

    def action():
        from jitopt.diagnose import explain_infeasible
        from jitopt.instance import read_instance
        from jitopt.solve import build

        inst = read_instance(instance_dir)
        if risk_weight is not None or alpha is not None:
            inst = inst.with_risk(weight=risk_weight, alpha=alpha)
        problem = build(inst, count=count, seed=seed)
        plan = problem.solve(
            time_limit=time_limit, mip_gap=mip_gap, threads=threads, tee=log, heuristic=heuristic
        )
        if plan.status == Status.INFEASIBLE:
            plan.summary["conflicts"] = explain_infeasible(inst, problem.scenarios)
        out = out_dir or Path(instance_dir) / "out"
        plan.write(out)
        if not quiet:
            click.echo(report(plan, out))
        elif plan.status in (Status.INFEASIBLE, Status.NO_SOLUTION):
            click.echo(headline(plan), err=True)
        raise _Exit(EXIT_CODES[plan.status])

    _run(debug, action)


@main.command()
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--items", type=click.IntRange(min=1), default=30, show_default=True)
@click.option("--suppliers", type=click.IntRange(min=2), default=6, show_default=True)
@click.option("--regions", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--periods", type=click.IntRange(min=2), default=26, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--scenarios",
    type=click.IntRange(min=1),
    help="Demand scenarios (a scenario column in demand.csv) [one demand series].",
)
@click.option("--moq/--no-moq", default=True, show_default=True, help="Minimum order quantities.")
@click.option(
    "--capacity/--no-capacity", default=True, show_default=True, help="Supplier capacities."
)
@click.option(
    "--order-costs/--no-order-costs", default=True, show_default=True, help="Order costs."
)
@click.option("--price-breaks", is_flag=True, help="All-units discounts on some offers.")
@click.option(
    "--disruptions", is_flag=True, help="Regional and supplier disruption risk (sampled)."
)
@click.option(
    "--sampled",
    type=click.IntRange(min=1),
    default=30,
    show_default=True,
    help="Disruption scenarios to sample ([scenarios] count), with --disruptions.",
)
@click.option("--spot-buys", is_flag=True, help="Items can be bought on the spot (expedited).")
@click.option(
    "--pipeline/--no-pipeline", default=True, show_default=True, help="Orders in transit."
)
@click.option("--overwrite", is_flag=True, help="Replace the files of a non-empty OUT_DIR.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def generate(out_dir, overwrite, debug, **options):
    """Write a synthetic but believable instance to OUT_DIR (same options, same files)."""

    def action():
        from jitopt.generate import generate as make
        from jitopt.generate import write_generated
        from jitopt.instance import read_instance

        _refuse_full(out_dir, overwrite)
        write_generated(make(**options), out_dir, overwrite=overwrite)
        inst = read_instance(out_dir)  # what was written must read back as a valid instance
        click.echo(
            f"{inst.name}: {len(inst.items)} items, {len(inst.suppliers)} suppliers, "
            f"{len(inst.offers)} offers, {inst.periods} periods -> {out_dir}/"
        )

    _run(debug, action)


@main.command()
@click.argument("instance_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def validate(instance_dir, debug):
    """Check the instance in INSTANCE_DIR and list every problem found (exit 2 if any)."""

    def action():
        from jitopt.instance import read_instance

        inst = read_instance(instance_dir)
        click.echo(
            f"{inst.name}: valid ({len(inst.items)} items, {len(inst.suppliers)} suppliers, "
            f"{len(inst.offers)} offers, {inst.periods} periods)"
        )

    _run(debug, action)


@main.command()
@click.argument("instance_dir", type=click.Path(file_okay=False, path_type=Path))
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def check(instance_dir, out_dir, debug):
    """Recompute a written plan's balances and costs without the model, and compare."""

    def action():
        from jitopt.check import check_solution
        from jitopt.instance import read_instance

        result = check_solution(read_instance(instance_dir), out_dir)
        if result.ok:
            click.echo(f"plan in {out_dir} checks out: objective {result.objective:,.2f}")
            return
        click.echo(f"plan in {out_dir} has {len(result.problems)} problem(s):", err=True)
        for problem in result.problems:
            click.echo(f"  - {problem}", err=True)
        raise _Exit(EXIT_ERROR)

    _run(debug, action)


@main.command("build")
@click.argument("forecast", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--catalog",
    "catalog_dir",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder with items.csv, suppliers.csv, offers.csv [price_breaks.csv, regions.csv, "
    "pipeline.csv, instance.toml].",
)
@click.option(
    "-o",
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the instance to.",
)
@click.option("--model", help="Forecast model (column) to use, when the forecast has several.")
@click.option(
    "--scenarios",
    "count",
    type=click.IntRange(min=1),
    help="Demand scenarios to draw [catalog instance.toml [scenarios] count, else 30].",
)
@click.option(
    "--seed", type=click.IntRange(min=0), help="Seed for the draws [instance.toml, else 0]."
)
@click.option("--clip-negative", is_flag=True, help="Read negative forecast values as zero demand.")
@click.option(
    "--decimals",
    type=click.IntRange(min=0, max=6),
    default=0,
    show_default=True,
    help="Round demand to this many decimals (0: whole units).",
)
@click.option("--overwrite", is_flag=True, help="Replace the files of a non-empty OUT folder.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def build_cmd(
    forecast, catalog_dir, out_dir, model, count, seed, clip_negative, decimals, overwrite, debug
):
    """Build an instance from a demand FORECAST (CSV or Parquet) and a supplier catalogue.

    FORECAST is statsforecast's long format (unique_id, ds, a column per model, optional
    <model>-lo-<L>/<model>-hi-<L>), quantiles (<model>-q-<P>) or sample paths (unique_id, ds,
    sample, one value column). Exit code 2 lists every problem of the forecast and catalogue.
    """

    def action():
        import pandas as pd

        from jitopt.catalog import build_instance
        from jitopt.files import write_instance_dir
        from jitopt.forecast import detect_format, read_forecast

        _refuse_full(out_dir, overwrite)
        frame = read_forecast(forecast)
        built = build_instance(
            frame,
            catalog_dir,
            model=model,
            scenarios=count,
            seed=seed,
            clip_negative=clip_negative,
            decimals=decimals,
        )
        write_instance_dir(built, out_dir, overwrite=overwrite)
        fmt, cfg, demand = detect_format(frame, model), built["config"], built["demand"]
        dates = pd.date_range(cfg["start"], periods=cfg["periods"], freq=cfg["freq"])
        if "scenario" in demand.columns:
            series = f"{demand['scenario'].nunique()} demand scenarios"
        else:
            series = "1 demand series"
        click.echo(
            f"{out_dir}: {len(built['items'])} items, {cfg['periods']} periods "
            f"{dates[0]:%Y-%m-%d}..{dates[-1]:%Y-%m-%d} ({cfg['freq']}), {series} "
            f"({fmt.model}, {fmt.kind})"
        )

    _run(debug, action)
