"""The input format: every table and column of an instance, used both to validate and to document."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# The cost components of a scenario (SPEC §3), columns of the output scenarios.csv (SPEC §4).
COST_COMPONENTS = (
    "purchase",
    "ordering",
    "contract",
    "holding",
    "shortage",
    "expedite",
    "terminal",
    "salvage",  # a credit for stock left after period T: zero or negative
)


# The largest number a cell may hold (capacities and max_order aside, where a huge value means
# "unlimited" and never reaches the solver): above it the value is a typo or the wrong units,
# and HiGHS cannot solve reliably (it refuses matrix entries of 1e15 and more). A whole number
# (a period, a length) is at most LARGEST_INT. An item's quantities over the horizon (demand,
# stock, pipeline) must add up to at most LARGEST_TOTAL, since their sums become coefficients.
LARGEST_VALUE = 1e12
LARGEST_INT = 1_000_000_000
LARGEST_TOTAL = 1e13
SMALLEST_LOT = 1e-6  # a smaller lot_multiple cannot be meant, and HiGHS drops entries below 1e-9
# Settings and options beyond these are typos: periods (about 270 years of days), a time limit in
# seconds (about four months), a seed (numpy's SeedSequence takes any non-negative integer; this
# keeps it a 64-bit one).
MAX_PERIODS = 100_000
MAX_TIME_LIMIT = 1e7
MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class Column:
    """One input column.

    kind is ``"name"`` (non-empty string), ``"int"`` or ``"float"``. ``default`` is used for an empty
    cell of an optional column; ``None`` means "none" (NaN in the frame). ``low``/``high`` are
    inclusive bounds unless ``low_open``/``high_open``.
    """

    name: str
    kind: str
    meaning: str
    required: bool = True
    default: object = None
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    unit: str = ""

    def range_text(self) -> str:
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high is not None:
            parts.append(f"{'<' if self.high_open else '<='} {self.high:g}")
        return " and ".join(parts)


@dataclass(frozen=True)
class Table:
    """One input file: its columns and the columns that identify a row."""

    file: str
    required: bool
    columns: tuple[Column, ...]
    key: tuple[str, ...] = field(default=())
    meaning: str = ""

    @property
    def stem(self) -> str:
        return self.file.removesuffix(".csv")

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


INF = math.inf
_cost = {"kind": "float", "low": 0.0, "unit": "money"}

TABLES: dict[str, Table] = {
    t.stem: t
    for t in [
        Table(
            "items.csv",
            True,
            (
                Column("item", "name", "item (SKU) name"),
                Column(
                    "holding_cost", meaning="per unit on hand at the end of a period [h]", **_cost
                ),
                Column(
                    "shortage_cost",
                    meaning="per unit backlogged at the end of a period, or per unit lost [b]",
                    **_cost,
                ),
                Column(
                    "initial_inventory",
                    "float",
                    "units on hand before period 1",
                    False,
                    0.0,
                    low=0.0,
                ),
                Column(
                    "expedite_cost",
                    meaning="per unit bought on the spot market, same period; empty = no spot market [e]",
                    required=False,
                    **_cost,
                ),
                Column(
                    "terminal_backlog_cost",
                    meaning="per unit still backlogged after period T; default shortage_cost",
                    required=False,
                    **_cost,
                ),
                Column("volume", "float", "warehouse volume per unit", False, 1.0, low=0.0),
                Column(
                    "salvage_value",
                    meaning="credit per unit on hand after period T; at most the item's "
                    "cheapest unit cost [v]",
                    required=False,
                    default=0.0,
                    **_cost,
                ),
            ),
            key=("item",),
            meaning="the items (SKUs) to plan",
        ),
        Table(
            "suppliers.csv",
            True,
            (
                Column("supplier", "name", "supplier name"),
                Column("region", "name", "region the supplier ships from"),
                Column("lead_time", "int", "periods from order to arrival [l]", low=0),
                Column(
                    "order_cost",
                    meaning="fixed cost of each period with at least one order line [f]",
                    required=False,
                    default=0.0,
                    **_cost,
                ),
                Column(
                    "capacity",
                    "float",
                    "units per period, all items together [K]",
                    False,
                    INF,
                    low=0.0,
                ),
                Column(
                    "contract_cost",
                    meaning="one-time cost if the supplier gets any order",
                    required=False,
                    default=0.0,
                    **_cost,
                ),
                Column(
                    "max_share",
                    "float",
                    "max share of all units ordered over the horizon",
                    False,
                    None,
                    low=0.0,
                    high=1.0,
                ),
                Column(
                    "disruption_prob",
                    "float",
                    "per-period probability that a disruption starts",
                    False,
                    0.0,
                    low=0.0,
                    high=1.0,
                    high_open=True,
                ),
                Column("disruption_length", "int", "periods a disruption lasts", False, 1, low=1),
            ),
            key=("supplier",),
            meaning="the suppliers",
        ),
        Table(
            "offers.csv",
            True,
            (
                Column("supplier", "name", "supplier (from suppliers.csv)"),
                Column("item", "name", "item (from items.csv)"),
                Column(
                    "unit_cost", meaning="price per unit below the first price break [c]", **_cost
                ),
                Column("moq", "float", "minimum quantity of a positive line", False, 0.0, low=0.0),
                Column(
                    "lot_multiple",
                    "float",
                    "a line is an integer multiple of this",
                    False,
                    None,
                    low=SMALLEST_LOT,
                ),
                Column(
                    "max_order", "float", "max units per line", False, INF, low=0.0, low_open=True
                ),
                Column(
                    "line_cost",
                    meaning="fixed cost of each (supplier, item, period) line",
                    required=False,
                    default=0.0,
                    **_cost,
                ),
            ),
            key=("supplier", "item"),
            meaning="which supplier sells which item, and on what terms",
        ),
        Table(
            "demand.csv",
            True,
            (
                Column("item", "name", "item (from items.csv)"),
                Column("period", "int", "period 1..T", low=1),
                Column("demand", "float", "units demanded [d]", low=0.0),
                Column("scenario", "name", "scenario of this demand series", required=False),
            ),
            key=("scenario", "item", "period"),
            meaning="demand per item and period, optionally per scenario",
        ),
        Table(
            "price_breaks.csv",
            False,
            (
                Column("supplier", "name", "supplier"),
                Column("item", "name", "item"),
                Column(
                    "min_qty",
                    "float",
                    "line quantity from which this price applies",
                    low=0.0,
                    low_open=True,
                ),
                Column("unit_cost", meaning="price of every unit of the line", **_cost),
            ),
            key=("supplier", "item", "min_qty"),
            meaning="all-units quantity discounts",
        ),
        Table(
            "regions.csv",
            False,
            (
                Column("region", "name", "region name (as in suppliers.csv)"),
                Column(
                    "disruption_prob",
                    "float",
                    "per-period probability that a regional disruption starts",
                    low=0.0,
                    high=1.0,
                    high_open=True,
                ),
                Column("disruption_length", "int", "periods a disruption lasts", False, 1, low=1),
            ),
            key=("region",),
            meaning="regional disruption risk",
        ),
        Table(
            "pipeline.csv",
            False,
            (
                Column("supplier", "name", "supplier"),
                Column("item", "name", "item"),
                Column("arrival_period", "int", "period 1..T of arrival", low=1),
                Column("quantity", "float", "units arriving", low=0.0),
            ),
            meaning="orders placed before period 1 (they arrive for certain; cost is sunk)",
        ),
        Table(
            "scenarios.csv",
            False,
            (
                Column("scenario", "name", "scenario name"),
                Column("probability", "float", "probability; all sum to 1", low=0.0, high=1.0),
                *(
                    Column(
                        name,
                        "float",
                        "ignored (written by `jitopt solve`: its scenarios.csv and outages.csv "
                        "can be copied into an instance to replay a run)"
                        if name == "cost"
                        else "ignored (see `cost`)",
                        required=False,
                    )
                    for name in ("cost", *COST_COMPONENTS)
                ),
            ),
            key=("scenario",),
            meaning="explicit scenarios",
        ),
        Table(
            "outages.csv",
            False,
            (
                Column("scenario", "name", "scenario (from scenarios.csv)"),
                Column("target", "name", "a supplier or a region"),
                Column("start", "int", "first period of the outage", low=1),
                Column("end", "int", "last period of the outage (inclusive)", low=1),
            ),
            meaning="periods in which a supplier or a whole region cannot ship",
        ),
    ]
}


def format_reference() -> str:
    """The input format as Markdown tables (for the README)."""
    lines = []
    for table in TABLES.values():
        need = "required" if table.required else "optional"
        lines += [f"### `{table.file}` ({need}): {table.meaning}", ""]
        lines += [
            "| column | type | required | default | range | meaning |",
            "|---|---|---|---|---|---|",
        ]
        for c in table.columns:
            default = "" if c.required else ("none" if c.default is None else f"{c.default:g}")
            lines.append(
                f"| `{c.name}` | {c.kind} | {'yes' if c.required else 'no'} | {default} "
                f"| {c.range_text()} | {c.meaning} |"
            )
        lines.append("")
    return "\n".join(lines)
