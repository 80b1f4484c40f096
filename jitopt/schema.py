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
# What the solver does when neither instance.toml's [solver] nor an option says
DEFAULT_TIME_LIMIT = 60.0
DEFAULT_MIP_GAP = 1e-4


@dataclass(frozen=True)
class Column:
    """One input column.

    kind is ``"name"`` (non-empty string), ``"int"`` or ``"float"``. ``default`` is used for an empty
    cell of an optional column; ``None`` means "none" (NaN in the frame). ``low``/``high`` are
    inclusive bounds unless ``low_open``/``high_open``. A name column with ``choices`` takes one
    of them (in any case).
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
    choices: tuple[str, ...] = ()

    def range_text(self) -> str:
        if self.choices:
            return " or ".join(f"`{c}`" for c in self.choices)
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high is not None:
            parts.append(f"{'<' if self.high_open else '<='} {self.high:g}")
        return " and ".join(parts)


DISRUPTION_KIND = Column(
    "disruption_kind",
    "name",
    "what a sampled disruption stops: `orders` placed during it, or goods in `transit` (held "
    "until it ends)",
    False,
    "orders",
    choices=("orders", "transit"),
)


@dataclass(frozen=True)
class Table:
    """One input file: its columns and the columns that identify a row.

    As a frame of `jitopt.Instance` (the field named like the file), a table is indexed by
    ``index``; with ``sort`` its rows are sorted by the key and the key's columns come first. An
    optional table that is absent is an empty frame, or None with ``none_when_absent``."""

    file: str
    required: bool
    columns: tuple[Column, ...]
    key: tuple[str, ...] = field(default=())
    meaning: str = ""
    index: tuple[str, ...] = ()
    sort: bool = False
    none_when_absent: bool = False

    @property
    def stem(self) -> str:
        return self.file.removesuffix(".csv")

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


INF = math.inf
EVERY_SCENARIO = "*"  # outages.csv: an outage of every scenario, sampled ones too
# outages.csv kind: "orders" stops the orders placed during the outage, "transit" holds what
# would arrive during it until the period after it
OUTAGE_KINDS = ("orders", "transit")
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
            index=("item",),
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
                DISRUPTION_KIND,
            ),
            key=("supplier",),
            index=("supplier",),
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
            index=("supplier", "item"),
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
            sort=True,
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
            sort=True,
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
                DISRUPTION_KIND,
            ),
            key=("region",),
            index=("region",),
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
            none_when_absent=True,
            meaning="explicit scenarios",
        ),
        Table(
            "outages.csv",
            False,
            (
                Column(
                    "scenario",
                    "name",
                    f"scenario (from scenarios.csv), or {EVERY_SCENARIO} for every scenario (an "
                    "outage known for certain, as `jitopt roll` writes one still under way)",
                ),
                Column("target", "name", "a supplier or a region"),
                Column("start", "int", "first period of the outage", low=1),
                Column("end", "int", "last period of the outage (inclusive)", low=1),
                Column(
                    "kind",
                    "name",
                    "`orders`: orders placed during it are not delivered (nor paid); `transit`: "
                    "goods due to arrive during it (the pipeline too) arrive in the period after "
                    "it (a port or border closure)",
                    False,
                    "orders",
                    choices=OUTAGE_KINDS,
                ),
            ),
            meaning="periods in which a supplier or a whole region cannot ship, or goods cannot "
            "arrive",
        ),
    ]
}


@dataclass(frozen=True)
class Setting:
    """One setting of ``instance.toml``: ``key`` is ``name`` or ``section.name``.

    ``kind`` is str, int or float; ``default`` is the value when the key is absent (None: none;
    ``required`` settings have no default). A value outside ``choices`` or the bounds (``low``,
    ``high``, inclusive unless ``*_open``) is an error saying "`key` must be ``must``" (or
    the choices).
    ``example`` and ``comment`` make the README's example file (`format_settings`)."""

    key: str
    kind: type
    meaning: str
    default: object = None
    required: bool = False
    choices: tuple = ()
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    must: str = ""
    example: object = None
    comment: str = ""

    @property
    def rule(self) -> str:
        """What a value must be, as messages say it: ``must``, or the choices."""
        return self.must or " or ".join(f'"{c}"' for c in self.choices)

    @property
    def section(self) -> str | None:
        return self.key.split(".")[0] if "." in self.key else None

    @property
    def name(self) -> str:
        return self.key.split(".")[-1]

    def violated(self, value) -> bool:
        """True when ``value`` (of the right kind) breaks the setting's range or choices."""
        if self.choices:
            return value not in self.choices
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return True
        if self.high is not None:
            return value >= self.high if self.high_open else value > self.high
        return False


SETTINGS: dict[str, Setting] = {
    s.key: s
    for s in [
        Setting("name", str, "the instance's name; default: the directory's name", example="demo"),
        Setting(
            "periods",
            int,
            "number of periods T",
            required=True,
            low=1,
            high=MAX_PERIODS,
            must=f"in 1..{MAX_PERIODS:,}",
            example=12,
            comment="T",
        ),
        Setting(
            "shortage",
            str,
            "unmet demand waits (backlog) or is lost",
            default="backlog",
            choices=("backlog", "lost"),
            example="backlog",
            comment='or "lost"',
        ),
        Setting(
            "warehouse_capacity",
            float,
            "total volume on hand at the end of a period; none: unlimited",
            low=0.0,
            must=">= 0",
            example=5000,
            comment="optional, total volume on hand",
        ),
        Setting(
            "max_suppliers",
            int,
            "most suppliers that receive orders over the horizon; none: any number",
            low=0,
            high=1_000_000,
            must=">= 0",
            example=3,
            comment="optional",
        ),
        Setting(
            "start",
            str,
            "date of period 1 (with freq: dates in the outputs)",
            example="2027-01-04",
            comment="optional, with freq: dates in the outputs",
        ),
        Setting(
            "freq", str, "length of a period, a pandas frequency (W-MON, D, MS)", example="W-MON"
        ),
        Setting(
            "risk.measure",
            str,
            "the objective: expected cost, or a mix with CVaR; "
            "none: cvar with a weight, else expected",
            choices=("expected", "cvar"),
            example="cvar",
            comment='or "expected" (the default; then no weight)',
        ),
        Setting(
            "risk.weight",
            float,
            "lambda: (1 - lambda) E[C] + lambda CVaR; default 0.5 with cvar; "
            'an error with measure = "expected"',
            low=0.0,
            high=1.0,
            must="in [0, 1]",
            example=0.5,
            comment="lambda: (1 - lambda) E[C] + lambda CVaR; a weight alone means cvar",
        ),
        Setting(
            "risk.alpha",
            float,
            "CVaR level: the mean of the worst 1 - alpha of the scenarios",
            default=0.9,
            low=0.0,
            high=1.0,
            low_open=True,
            high_open=True,
            must="in (0, 1)",
            example=0.9,
        ),
        Setting(
            "scenarios.count",
            int,
            "scenarios sampled, when there is no scenarios.csv",
            default=30,
            low=1,
            must=">= 1",
            example=30,
            comment="sampling, when there is no scenarios.csv",
        ),
        Setting(
            "scenarios.seed",
            int,
            "seed of the sampling",
            default=0,
            low=0,
            high=MAX_SEED,
            must="in 0..2**63-1",
            example=1,
        ),
        Setting(
            "solver.time_limit",
            float,
            f"seconds for building and solving; none: {DEFAULT_TIME_LIMIT:g}",
            low=0.0,
            high=MAX_TIME_LIMIT,
            low_open=True,
            must=f"> 0 and at most {MAX_TIME_LIMIT:g} seconds",
            example=60,
        ),
        Setting(
            "solver.mip_gap",
            float,
            f"relative gap at which HiGHS stops; none: {DEFAULT_MIP_GAP:g}",
            low=0.0,
            high=1.0,
            must="in [0, 1]",
            example=0.001,
        ),
    ]
}


def setting_default(key: str):
    return SETTINGS[key].default


def format_settings() -> str:
    """An example instance.toml with every setting, and the table of settings (for the README)."""
    lines: list[str] = ["```toml"]
    section = None
    for s in SETTINGS.values():
        if s.section != section:
            section = s.section
            lines += ["", f"[{section}]"]
        value = f'"{s.example}"' if isinstance(s.example, str) else f"{s.example}"
        text = f"{s.name} = {value}"
        if s.comment:
            text = f"{text:<28} # {s.comment}"
        lines.append(text)
    lines += ["```", "", "| setting | type | default | range | meaning |", "|---|---|---|---|---|"]
    kinds = {str: "text", int: "int", float: "float"}
    for s in SETTINGS.values():
        default = "required" if s.required else ("none" if s.default is None else s.default)
        default = f'"{default}"' if isinstance(default, str) and s.default is not None else default
        lines.append(f"| `{s.key}` | {kinds[s.kind]} | {default} | {s.rule} | {s.meaning} |")
    return "\n".join(lines)


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
            if c.required:
                default = ""
            elif c.choices:
                default = f"`{c.default}`"
            else:
                default = "none" if c.default is None else f"{c.default:g}"
            lines.append(
                f"| `{c.name}` | {c.kind} | {'yes' if c.required else 'no'} | {default} "
                f"| {c.range_text()} | {c.meaning} |"
            )
        lines.append("")
    return "\n".join(lines)
