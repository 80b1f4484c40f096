"""The terminal summary of a plan: headline, risk metrics, cost components, orders by supplier."""

from __future__ import annotations

import io
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from jitopt.metrics import metric_rows
from jitopt.names import shown
from jitopt.plan import Plan, Status

WIDTH = 100


def headline(plan: Plan) -> str:
    """One line (more for conflicts and warnings): status, cost, gap."""
    s = plan.summary
    text = f"{shown(s['instance'])}: {s['status']}"
    warnings = "".join(f"\n  warning: {shown(w)}" for w in s.get("warnings", []))
    if plan.status == Status.INFEASIBLE:
        conflicts = s.get("conflicts") or ["no simple conflict found (run with --log to see HiGHS)"]
        return text + "\n" + "\n".join(f"  - {shown(c)}" for c in conflicts) + warnings
    if plan.status == Status.NO_SOLUTION:
        return (
            text
            + f": no plan found within {s['options']['time_limit']:g} s (raise --time-limit)"
            + warnings
        )
    gap = s["gap"]
    gap_text = "gap unknown" if gap is None else f"gap {gap:.2%}"
    stopped = (
        "\n  stopped by the user: this is the best plan found so far"
        if s.get("interrupted")
        else ""
    )
    return f"{text}, cost {s['objective']:,.2f} ({gap_text}){stopped}{warnings}"


def report(plan: Plan, out: Path) -> str:
    """The summary `jitopt solve` prints: headline, metrics, orders by supplier, where it wrote."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=WIDTH, force_terminal=False, color_system=None)
    console.print(headline(plan), highlight=False, markup=False)
    if plan.status.has_plan:
        console.print(metrics_table(plan.summary))
        console.print(orders_table(plan))
    total = plan.summary["seconds"]["total"]
    console.print(f"written to {shown(out)}/ ({total:.1f} s)", highlight=False, markup=False)
    return buffer.getvalue().rstrip("\n")


def metrics_table(s: dict) -> Table:
    """Headline metrics (left) and expected cost components (right)."""
    r = s.get("risk") or {}
    averse = r.get("measure") == "cvar" and r.get("weight", 0) > 0
    risk = f"(1-{r['weight']:g})*E + {r['weight']:g}*CVaR" if averse else "expected cost"
    left = [
        ("objective", f"{s['objective']:,.2f}"),
        ("  minimises", risk),
        *metric_rows(s),
        ("scenarios", f"{s['scenarios']} ({s['scenario_source']})"),
    ]
    right = [(k, f"{v:,.2f}") for k, v in s["costs"].items() if v]
    table = Table(box=box.SIMPLE, show_header=True, pad_edge=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("expected cost by component")
    table.add_column("", justify="right")
    for k in range(max(len(left), len(right))):
        a = left[k] if k < len(left) else ("", "")
        b = right[k] if k < len(right) else ("", "")
        table.add_row(*(Text(cell) for cell in (*a, *b)))
    return table


def orders_table(plan: Plan) -> Table | str:
    """Orders by supplier: region, lines, units, share of units, spend."""
    orders = plan.orders
    if not len(orders):
        return "no orders"
    regions = plan.instance.suppliers["region"]
    spend = orders["quantity"] * orders["unit_cost"]
    grouped = orders.assign(spend=spend).groupby("supplier")
    by = grouped.agg(lines=("quantity", "size"), units=("quantity", "sum"), spend=("spend", "sum"))
    share = plan.summary["supplier_share"]
    table = Table(title="orders by supplier", box=box.SIMPLE, title_justify="left", pad_edge=False)
    for name, justify in [
        ("supplier", "left"),
        ("region", "left"),
        ("lines", "right"),
        ("units", "right"),
        ("share", "right"),
        ("spend", "right"),
    ]:
        table.add_column(name, justify=justify)
    for supplier, row in by.iterrows():
        table.add_row(
            Text(shown(supplier)),
            Text(shown(regions[supplier])),
            f"{int(row['lines'])}",
            f"{row['units']:,.0f}",
            f"{share[supplier]:.1%}",
            f"{row['spend']:,.2f}",
        )
    return table
