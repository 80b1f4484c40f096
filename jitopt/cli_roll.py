"""`jitopt roll`: the instance for re-planning at period K (`jitopt.rolling`), registered on
`jitopt.cli.main`."""

from __future__ import annotations

from pathlib import Path

import click

from jitopt.cli import _echo_warnings, as_of_option, command, main, plan_option


@command(main, "roll")
@click.argument("instance_dir", type=click.Path(file_okay=False, path_type=Path))
@plan_option("The plan followed so far: a plan folder (its orders.csv) or an orders CSV file.")
@as_of_option("The period to re-plan from (2..T), or its date for an instance with dates.")
@click.option(
    "--actuals",
    type=click.Path(file_okay=False, path_type=Path),
    help="A folder with what happened before --as-of: demand.csv (item, period, demand), "
    "receipts.csv (supplier, item, period, quantity), outages.csv (target, start, end[, kind: "
    "orders or transit]); each optional [the plan's expectation].",
)
@click.option(
    "-o",
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for the new instance (new, empty, or an instance folder jitopt wrote).",
)
@click.option("--overwrite", is_flag=True, help="Replace the instance in OUT (an instance folder).")
def roll_cmd(instance_dir, plan_path, as_of, actuals, out_dir, overwrite):
    """Write the instance for re-planning INSTANCE_DIR at period --as-of, after following --plan.

    Stock on hand and backlog at --as-of, every open order as pipeline, the horizon from --as-of
    to the instance's end; then solve it with `jitopt solve`. Exit code 2 for bad input.
    """
    from jitopt.files import OutputFolder, instance_files
    from jitopt.instance import read_instance
    from jitopt.names import shown
    from jitopt.rolling import Actuals, period_of, roll

    inst = read_instance(instance_dir)
    period = period_of(inst, as_of)
    known = Actuals.read(actuals, inst, period) if actuals is not None else None
    tables = roll(inst, plan_path, period, known)
    with OutputFolder(out_dir, "instance", overwrite=overwrite) as folder:
        folder.commit(instance_files(tables), validate=read_instance)
    new = read_instance(out_dir)
    pipeline = len(new.pipeline)
    click.echo(
        f"{shown(new.name)}: {new.periods} periods, {len(new.items)} items, {pipeline} open "
        f"order line{'s' if pipeline != 1 else ''} as pipeline -> {out_dir}/"
    )
    _echo_warnings(new.warnings, quiet=False)
