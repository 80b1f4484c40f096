"""`jitopt report` (issue 14): one self-contained HTML page of a plan folder.

The page holds everything it shows: the style inline and every chart (`jitopt.charts`) as a PNG
in a ``data:`` URL, so it opens on a laptop with no network, and prints. It reads the plan folder
only (summary.json, orders.csv, inventory.csv, scenarios.csv, outages.csv); with the instance it
also colours suppliers by region and draws period 1's expected demand.

The page of a `jitopt compare` folder: the frontier, the table with the efficient plans marked,
and the scenario costs of the plans side by side.
"""

from __future__ import annotations

import base64
import html
import io
from datetime import UTC, datetime
from pathlib import Path

from jitopt.errors import InstanceError, OutputError, Problem

GENERATOR = "jitopt report"  # the page's <meta name="generator">: how jitopt knows its own file
REPORT_FILE = "report.html"

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto;
       max-width: 1200px; padding: 16px 24px; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.15em; margin-top: 1.6em;
  border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
.sub { color: #555; margin-top: 0; }
table.metrics { border-collapse: collapse; } table.metrics td { padding: 2px 14px 2px 0; }
table.metrics td.value { text-align: right; font-variant-numeric: tabular-nums; }
table.compare th { text-align: left; padding: 2px 14px 2px 0; border-bottom: 1px solid #ccc; }
table.compare tr.eff td { font-weight: 600; }
table.compare td.num { text-align: right; font-variant-numeric: tabular-nums; }
.grid { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
img { max-width: 100%; height: auto; }
.warn { background: #fff4e5; border-left: 4px solid #f0a020; padding: 6px 10px; }
@media print { body { max-width: none; padding: 0; } h2 { break-after: avoid; }
  figure, img { break-inside: avoid; } }
figure { margin: 0 0 10px 0; }
"""


def _png(fig) -> str:
    """The figure as an <img> with a data: URL (the figure is closed)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="" src="data:image/png;base64,{data}">'


def plan_page(plan_dir: str | Path, instance=None) -> str:
    """The HTML page of the plan in ``plan_dir`` (``instance``: its `jitopt.Instance`, optional).
    A folder without a plan: `InstanceError`."""
    from jitopt.metrics import metric_rows
    from jitopt.plan_files import read_plan

    plan = read_plan(plan_dir)
    if not plan.status.has_plan:
        raise InstanceError(
            [Problem(str(plan_dir), f"holds no plan (status {plan.status.value})")], "plan"
        )
    if plan.inventory is None or plan.scenario_costs is None or plan.outages is None:
        raise InstanceError(
            [Problem(str(plan_dir), "is missing inventory.csv, scenarios.csv or outages.csv")],
            "plan",
        )
    if instance is not None:
        _check_instance(plan, instance, plan_dir)
    plan.instance = instance
    s = plan.summary
    e = html.escape
    gap = s.get("gap")
    status = f"{s['status']}" + (f", gap {gap:.2%}" if gap is not None else "")
    rows = "".join(
        f'<tr><td>{e(label)}</td><td class="value">{e(value)}</td></tr>'
        for label, value in metric_rows(s)
    )
    items = sorted(plan.inventory["item"].unique())
    parts = [
        f"<h1>Plan: {e(str(s.get('instance', '')))}</h1>",
        f'<p class="sub">{e(status)}; {s.get("scenarios", "?")} scenarios '
        f"({e(str(s.get('scenario_source', '')))}); {len(plan.orders)} order lines; "
        f"from {e(str(Path(plan_dir)))}</p>",
        f'<section id="headline"><table class="metrics">{rows}</table></section>',
    ]
    warnings = list(s.get("warnings") or [])
    if instance is None:
        warnings.append(
            "made without the instance (--instance): suppliers are not coloured by region, "
            "outages of whole regions are not shaded, and period 1 has no expected demand"
        )
    if warnings:
        parts.append(
            '<div class="warn">' + "<br>".join(e(str(w)) for w in warnings) + "</div>"
        )
    parts += [
        "<h2>Orders</h2>",
        f"<figure>{_png(plan.plot_orders())}</figure>",
        "<h2>Cost</h2>",
        f'<div class="grid"><figure>{_png(plan.plot_costs())}</figure>'
        f"<figure>{_png(plan.plot_scenario_costs())}</figure></div>",
        "<h2>Shares of units</h2>",
        f"<figure>{_png(plan.plot_shares())}</figure>",
        "<h2>Stock by item</h2>",
        *(f"<figure>{_png(plan.plot_inventory(item))}</figure>" for item in items),
    ]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return _page(f"jitopt plan: {s.get('instance', '')}", "\n".join(parts), when)


def comparison_page(folder: str | Path) -> str:
    """The HTML page of the comparison in ``folder`` (comparison.json, comparison.csv,
    frontier.png and each plan's simulation.csv)."""
    import json

    import pandas as pd

    from jitopt.charts import plot_comparison_costs

    folder = Path(folder)
    e = html.escape
    summary = json.loads((folder / "comparison.json").read_text(encoding="utf-8"))
    table = pd.read_csv(folder / "comparison.csv", keep_default_na=False, na_values=[""])
    costs, efficient = {}, set()
    for row in table.itertuples(index=False):
        label = f"{row.plan_dir.split('/')[-1][:2]} {row.mix} / {row.policy}"
        sim = folder / row.plan_dir / "simulation.csv"
        if sim.is_file():
            costs[label] = pd.read_csv(sim)["cost"]
        if bool(row.efficient):
            efficient.add(label)
    columns = [
        ("mix", "mix", "{}"),
        ("policy", "policy", "{}"),
        ("expected_cost", "expected cost", "{:,.0f}"),
        ("cvar", f"CVaR {summary.get('alpha', 0.9):.0%}", "{:,.0f}"),
        ("fill_rate", "fill rate", "{:.1%}"),
        ("stockout_probability", "P(stockout)", "{:.1%}"),
        ("mean_on_hand_value", "mean stock value", "{:,.0f}"),
        ("in_sample_expected_cost", "in sample", "{:,.0f}"),
        ("plan_status", "plan", "{}"),
    ]
    head = "".join(f"<th>{e(title)}</th>" for _, title, _ in columns) + "<th>efficient</th>"
    body_rows = []
    for row in table.to_dict(orient="records"):
        cells = "".join(
            f'<td class="{"num" if fmt != "{}" else ""}">{e(_cell(row.get(key), fmt))}</td>'
            for key, _, fmt in columns
        )
        mark = "yes" if row.get("efficient") else ""
        body_rows.append(f'<tr class="{"eff" if mark else ""}">{cells}<td>{mark}</td></tr>')
    png = folder / "frontier.png"
    frontier = png.read_bytes() if png.is_file() else b""
    parts = [
        f"<h1>Comparison: {e(str(summary.get('instance', '')))}</h1>",
        f'<p class="sub">{summary.get("finished", len(table))} plans on the same '
        f"{summary.get('scenarios', '?')} scenarios (seed {summary.get('seed')}); from "
        f"{e(str(folder))}</p>",
        f'<section id="headline"><table class="metrics compare"><tr>{head}</tr>'
        + "".join(body_rows)
        + "</table></section>",
    ]
    if frontier:
        data = base64.b64encode(frontier).decode("ascii")
        image = f'<img alt="" src="data:image/png;base64,{data}">'
        parts += ["<h2>Frontier</h2>", f"<figure>{image}</figure>"]
    if costs:
        chart = _png(plot_comparison_costs(costs, efficient))
        parts += ["<h2>Scenario costs</h2>", f"<figure>{chart}</figure>"]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return _page(f"jitopt comparison: {summary.get('instance', '')}", "\n".join(parts), when)


def _cell(value, fmt: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return fmt.format(value)


def _check_instance(plan, instance, plan_dir) -> None:
    """The plan must be one of ``instance``: the same name, its items and suppliers."""
    problems = []
    name = plan.summary.get("instance")
    if name is not None and name != instance.name:
        problems.append(f"the plan is of instance {name!r}, --instance is {instance.name!r}")
    for what, used, known in (
        ("item", plan.inventory["item"], instance.items.index),
        ("supplier", plan.orders["supplier"], instance.suppliers.index),
    ):
        missing = sorted(set(used) - set(known))
        if missing:
            problems.append(f"{what}(s) {', '.join(missing[:5])} of the plan are not in --instance")
    if problems:
        raise InstanceError([Problem(str(plan_dir), p) for p in problems], "report")


def _page(title: str, body: str, when: str) -> str:
    e = html.escape
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta name="generator" content="{GENERATOR}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title><style>{_STYLE}</style></head>\n<body>\n{body}\n"
        f'<p class="sub">Made by jitopt report, {e(when)}.</p>\n</body></html>\n'
    )


def is_report(path: Path) -> bool:
    """True when ``path`` is a page `jitopt report` wrote."""
    try:
        head = path.read_text(encoding="utf-8", errors="replace")[:600]
    except OSError:
        return False
    return f'<meta name="generator" content="{GENERATOR}">' in head


def write_report(plan_dir: str | Path, out: str | Path | None = None, instance=None) -> Path:
    """Write the page of ``plan_dir`` (a plan folder, or a `jitopt compare` folder) to ``out``
    (default: ``plan_dir/report.html``, added to the folder's set of files). A file at ``out``
    that `jitopt report` did not write is never replaced (`OutputError`)."""
    from jitopt.files import KINDS, MARKED, OutputFolder, _is_marked

    folder = Path(plan_dir)
    kind = "comparison" if _is_marked(folder / MARKED["comparison"], "comparison") else "plan"
    page = comparison_page(folder) if kind == "comparison" else plan_page(folder, instance)
    if out is None:
        with OutputFolder(folder, kind) as owned:
            owned.commit({REPORT_FILE: page}, keep=set(KINDS[kind]))
        return folder / REPORT_FILE
    out = Path(out)
    if out.is_dir():
        raise OutputError(f"{out} is a folder: give the file to write, e.g. {out}/report.html")
    if out.exists() and not is_report(out):
        raise OutputError(f"{out} exists and is not a report jitopt wrote: not replaced")
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.jitopt-new")
    temporary.write_text(page, encoding="utf-8")
    temporary.replace(out)
    return out
