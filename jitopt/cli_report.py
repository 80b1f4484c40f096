"""`jitopt report`: a plan as one self-contained HTML page (`jitopt.html_report`), registered on
`jitopt.cli.main`."""

from __future__ import annotations

from pathlib import Path

import click

from jitopt.cli import command, main


@command(main, "report")
@click.argument("plan_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "-o",
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The HTML file to write [PLAN_DIR/report.html]; a file jitopt did not write is never "
    "replaced.",
)
@click.option(
    "--instance",
    "instance_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The plan's instance: colours suppliers by region and draws period 1's demand.",
)
def report_cmd(plan_dir, out, instance_dir):
    """Write the plan in PLAN_DIR as one HTML page that needs no network: headline metrics, the
    order timeline, costs, the scenario cost distribution, shares, and stock by item. Exit
    codes: 0 written, 2 not a plan folder or a file that may not be replaced."""
    from jitopt.html_report import write_report
    from jitopt.instance import read_instance
    from jitopt.names import shown

    inst = read_instance(instance_dir) if instance_dir is not None else None
    path = write_report(plan_dir, out, inst)
    size = path.stat().st_size
    click.echo(f"report of {shown(plan_dir)} -> {shown(path)} ({size / 1e6:.1f} MB)")
