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
