"""`jitopt alerts`: what a plan says to order now, what falls due soon, what is overdue
(`jitopt.alerts`), registered on `jitopt.cli.main`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from jitopt.cli import as_of_option, command, main


@command(main, "alerts")
@click.argument("plan_dir", type=click.Path(file_okay=False, path_type=Path))
@as_of_option("Today: a period number, or a date of a plan with dates (its period).")
@click.option(
    "--within",
    type=click.IntRange(min=0, max=10_000),
    default=0,
    show_default=True,
    help="Also list the lines to place in the next K periods.",
)
@click.option(
    "--placed",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A CSV of the lines already placed: supplier, item, period (or date), optionally "
    "quantity. Earlier lines not in it are overdue [none placed].",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table for a person; csv or json for a scheduler.",
)
def alerts_cmd(plan_dir, as_of, within, placed, fmt):
    """What the plan in PLAN_DIR says to order as of --as-of: the lines to place now, those due
    within --within periods, and the overdue ones (placed before --as-of, not in --placed).
    Exit codes: 0 listed (also when there is nothing to do), 2 bad plan folder or options."""
    from jitopt.alerts import alerts

    result = alerts(plan_dir, as_of, within, placed)
    if fmt != "json":  # in json they are "notes"
        for note in result.notes:
            click.echo(f"warning: {note}", err=True)
    if fmt == "json":
        click.echo(json.dumps(result.to_json(), indent=2))
    elif fmt == "csv":
        lines = result.lines.copy()
        for column in ("date", "arrival_date"):
            if column in lines:
                lines[column] = lines[column].dt.strftime("%Y-%m-%d")
        click.echo(lines.to_csv(index=False, lineterminator="\n"), nl=False)
    else:
        _table(result, plan_dir)


def _table(result, plan_dir: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    from jitopt.names import shown

    when = f"period {result.period}" + (
        f" ({result.date:%Y-%m-%d})" if result.date is not None else ""
    )
    console = Console(file=sys.stdout, width=max(100, Console().width))
    ahead = f", due within {result.within} period{'s' if result.within != 1 else ''}"
    console.print(
        f"{shown(plan_dir)}: orders as of {when}{ahead if result.within else ''}", soft_wrap=True
    )
    if result.lines.empty:
        console.print("nothing to order, nothing due, nothing overdue")
        return
    table = Table(box=None, pad_edge=False)
    dated = "date" in result.lines.columns
    for name, justify in [
        ("status", "left"),
        ("supplier", "left"),
        ("item", "left"),
        ("place in", "left"),
        ("arrives", "left"),
        ("units", "right"),
        ("value", "right"),
    ]:
        table.add_column(name, justify=justify)
    for row in result.lines.itertuples(index=False):
        place = f"{row.period}" + (f" ({row.date:%Y-%m-%d})" if dated else "")
        arrive = f"{row.arrival_period}" + (
            f" ({row.arrival_date:%Y-%m-%d})" if dated and row.arrival_date is not None else ""
        )
        units, value = f"{row.quantity:,.0f}", f"{row.value:,.2f}"
        table.add_row(row.status, row.supplier, row.item, place, arrive, units, value)
    console.print(table)
    parts = [
        f"{c['lines']} {status} ({c['units']:,.0f} units, {c['value']:,.2f})"
        for status, c in result.counts().items()
        if c["lines"]
    ]
    console.print("; ".join(parts), soft_wrap=True)
    if not result.placed and (result.lines["status"] == "overdue").any():
        console.print(
            "overdue: every line before the as-of period counts until --placed lists it as placed",
            soft_wrap=True,
        )
