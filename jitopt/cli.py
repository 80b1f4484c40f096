"""The `jitopt` command line: parse options, call the library, map outcomes to exit codes."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

import click

from jitopt.errors import InstanceError
from jitopt.plan import Plan, Status

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
    "--heuristic/--no-heuristic",
    default=None,
    help="Run the relax-and-fix / fix-and-optimize heuristic next to HiGHS [on for models with "
    ">= 1000 integer variables].",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("--log", is_flag=True, help="Show the solver log.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def solve(
    instance_dir, out_dir, time_limit, mip_gap, threads, count, seed, heuristic, quiet, log, debug
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


def headline(plan: Plan) -> str:
    s = plan.summary
    text = f"{s['instance']}: {s['status']}"
    if plan.status == Status.INFEASIBLE:
        conflicts = s.get("conflicts") or ["no simple conflict found (run with --log to see HiGHS)"]
        return text + "\n" + "\n".join(f"  - {c}" for c in conflicts)
    if plan.status == Status.NO_SOLUTION:
        return (
            text + f": no plan found within {s['options']['time_limit']:g} s (raise --time-limit)"
        )
    gap = s["gap"]
    gap_text = "gap unknown" if gap is None else f"gap {gap:.2%}"
    warnings = "".join(f"\n  warning: {w}" for w in s.get("warnings", []))
    return f"{text}, cost {s['objective']:,.2f} ({gap_text}){warnings}"


def report(plan: Plan, out: Path) -> str:
    """A short readable summary: headline, cost components, orders by supplier, files."""
    lines = [headline(plan)]
    if plan.status.has_plan:
        s = plan.summary
        lines.append(
            f"  expected cost {s['expected_cost']:,.2f} | CVaR{s['alpha']:.0%} {s['cvar']:,.2f} | "
            f"worst {s['worst_case_cost']:,.2f} | fill rate {s['fill_rate']:.1%} | "
            f"{s['scenarios']} scenario(s)"
        )
        lines.append("  " + " | ".join(f"{k} {v:,.2f}" for k, v in s["costs"].items() if v))
        if len(plan.orders):
            by_supplier = plan.orders.assign(
                value=plan.orders["quantity"] * plan.orders["unit_cost"]
            )
            table = by_supplier.groupby("supplier").agg(
                lines=("quantity", "size"), units=("quantity", "sum"), value=("value", "sum")
            )
            lines.append("  orders by supplier:")
            lines += [
                "    " + ln
                for ln in table.to_string(float_format=lambda v: f"{v:,.0f}").splitlines()
            ]
        else:
            lines.append("  no orders")
    lines.append(f"  written to {out}/ ({plan.summary['seconds']['total']:.1f} s)")
    return "\n".join(lines)
