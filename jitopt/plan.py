"""The Plan: orders, inventory, per-scenario costs, metrics and summary; writing them to files."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

import numpy as np
import pandas as pd

from jitopt.files import OutputFolder, jitopt_summary
from jitopt.instance import Instance
from jitopt.metrics import cvar, scenario_table, summarize, value_at_risk  # noqa: F401 (API)
from jitopt.recourse import Lines, arrived_units, recourse
from jitopt.scenarios import ScenarioSet
from jitopt.schema import COST_COMPONENTS

LARGE_GAP = 0.10  # a "feasible" plan this far from its bound gets a warning
SHARE_DIGITS = 12  # shares are rounded: 1.0, not 1.0000000000000002


class Status(str, Enum):
    OPTIMAL = "optimal"  # proven within the requested gap
    FEASIBLE = "feasible"  # a plan, but a limit stopped the search
    INFEASIBLE = "infeasible"
    NO_SOLUTION = "no_solution"  # a limit was reached before any plan was found

    @property
    def has_plan(self) -> bool:
        return self in (Status.OPTIMAL, Status.FEASIBLE)


@dataclass
class SolverRun:
    """What the solver reported."""

    status: Status
    objective: float | None
    bound: float | None
    seconds: float
    solver: str
    time_limit: float
    mip_gap: float
    build_seconds: float = 0.0
    heuristic: dict | None = None  # what jitopt.heuristic found, when it ran
    interrupted: bool = False  # stopped by the user (Ctrl-C, SIGTERM, a stop event)
    notes: list[str] = field(default_factory=list)  # warnings about the instance and options
    conflicts: list[str] | None = None  # why an infeasible instance is infeasible
    model_size: dict | None = None  # counted when the model was built (else from ``model``)
    policy: str | None = None  # the rule that made the plan (jitopt plan), when no solver did


@dataclass(eq=False)
class Plan:
    """A solved instance: ``orders``, ``inventory`` and ``scenario_costs`` DataFrames and ``summary``.

    ``model`` is the solved Pyomo model. Tables are None when there is no plan (see ``status``).
    """

    status: Status
    summary: dict
    instance: Instance | None = field(default=None, repr=False)
    orders: pd.DataFrame | None = None
    inventory: pd.DataFrame | None = None
    scenario_costs: pd.DataFrame | None = None
    outages: pd.DataFrame | None = None
    model: object = field(default=None, repr=False)

    @property
    def objective(self) -> float | None:
        return self.summary.get("objective")

    # Charts (`jitopt.charts`): matplotlib figures of the plan's tables
    def plot_inventory(self, item: str):
        """Stock of ``item`` across scenarios (`jitopt.charts.plot_inventory`)."""
        from jitopt.charts import plot_inventory

        return plot_inventory(self, item)

    def plot_orders(self, regions: dict[str, str] | None = None, worst: int = 3):
        """The order timeline by supplier (`jitopt.charts.plot_orders`)."""
        from jitopt.charts import plot_orders

        return plot_orders(self, regions, worst)

    def plot_costs(self):
        """The expected cost by component (`jitopt.charts.plot_costs`)."""
        from jitopt.charts import plot_costs

        return plot_costs(self)

    def plot_scenario_costs(self):
        """The scenario costs with expected cost, VaR and CVaR (`jitopt.charts`)."""
        from jitopt.charts import plot_scenario_costs

        return plot_scenario_costs(self)

    def plot_shares(self):
        """Shares of units by supplier and region (`jitopt.charts.plot_shares`)."""
        from jitopt.charts import plot_shares

        return plot_shares(self)

    @classmethod
    def read(cls, out_dir: str | Path) -> Plan:
        """The plan written in ``out_dir``: see `jitopt.plan_files.read_plan`."""
        from jitopt.plan_files import read_plan

        return read_plan(out_dir)

    def files(self) -> dict[str, str]:
        """The output files (name -> text): the four tables when there is a plan, and
        summary.json. Dates are written as ISO dates."""
        files = {}
        if self.status.has_plan:
            files["orders.csv"] = self.orders.to_csv(index=False, lineterminator="\n")
            files["inventory.csv"] = self.inventory.to_csv(index=False, lineterminator="\n")
            files["scenarios.csv"] = self.scenario_costs.to_csv(index=False, lineterminator="\n")
            files["outages.csv"] = self.outages.to_csv(index=False, lineterminator="\n")
        files["summary.json"] = json.dumps(self.summary, indent=2) + "\n"
        return files

    def write(self, out_dir: str | Path | OutputFolder) -> Path:
        """Write the plan's files as one set (`jitopt.files.OutputFolder`): the folder holds this
        plan, or (a failed write, an interruption) the files it held before, never a mix.

        Without a plan (infeasible, no plan within the limits) an earlier plan in the folder is
        kept, and its summary.json gets ``stale``: when and why this run found none; a folder
        without a plan gets this run's summary.json. Raises `jitopt.OutputError` for a folder
        jitopt may not write (see `OutputFolder`)."""
        if isinstance(out_dir, OutputFolder):
            return self._write(out_dir)
        with OutputFolder(out_dir, "plan") as folder:
            return self._write(folder)

    def _write(self, folder: OutputFolder) -> Path:
        if self.status.has_plan:
            return folder.commit(self.files())
        earlier = jitopt_summary(folder.read_text("summary.json"))
        if earlier is None or earlier["status"] not in ("optimal", "feasible"):
            return folder.commit(self.files())
        earlier["stale"] = {
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
            "status": self.status.value,
            "reason": f"a later run found no plan ({self.status.value}); this is the plan "
            "of an earlier run",
        }
        text = json.dumps(earlier, indent=2) + "\n"
        return folder.commit({"summary.json": text}, keep=folder.owned)


def make_plan(
    inst: Instance,
    sc: ScenarioSet,
    orders: pd.DataFrame | None,
    inventory: pd.DataFrame | None,
    run: SolverRun,
    model=None,
) -> Plan:
    """Price the orders, add arrivals, cost every scenario and summarise."""
    summary = {
        "instance": inst.name,
        "status": run.status.value,
        "objective": None,
        "bound": run.bound,
        "gap": None,
        "scenarios": len(sc),
        "scenario_source": sc.kind,
        "model": run.model_size if run.model_size is not None else model_size(model),
        "seconds": {
            "build": round(run.build_seconds, 3),
            "solve": round(run.seconds, 3),
            "total": round(run.build_seconds + run.seconds, 3),
        },
        "solver": run.solver,
        "options": {"time_limit": run.time_limit, "mip_gap": run.mip_gap},
        "heuristic": run.heuristic,
    }
    if run.interrupted:
        summary["interrupted"] = True
    if run.conflicts is not None:
        summary["conflicts"] = list(run.conflicts)
    if run.notes:
        summary["warnings"] = list(run.notes)
    if not run.status.has_plan:
        return Plan(run.status, summary, instance=inst, model=model)

    orders = price_orders(inst, orders)
    inventory = add_arrivals(inst, sc, orders, inventory)
    table = plan_scenario_table(inst, sc, orders, inventory)
    metrics = summarize(table, inst.risk.alpha)
    objective = metrics["expected_cost"]
    if inst.risk.measure == "cvar":
        objective = (1 - inst.risk.weight) * objective + inst.risk.weight * metrics["cvar"]
    bound = run.bound
    gap = None if bound is None else _gap(objective, bound)
    summary.update(
        objective=objective,
        bound=bound,
        gap=gap,
        **metrics,
        risk={"measure": inst.risk.measure, "weight": inst.risk.weight, "alpha": inst.risk.alpha},
        suppliers_used=sorted(orders["supplier"].unique().tolist()),
        **unit_shares(inst, orders),
    )
    costs = table[["scenario", "probability", "cost", *COST_COMPONENTS]]
    if run.policy is not None:
        summary["policy"] = run.policy
    if run.status == Status.FEASIBLE and run.policy is None and (gap is None or gap > LARGE_GAP):
        advice = (
            "the search was stopped early; solve again without stopping it before acting on it"
            if run.interrupted
            else "raise the time limit before acting on it"
        )
        summary.setdefault("warnings", []).insert(
            0,
            "the plan is far from proven optimal (gap "
            + ("unknown" if gap is None else f"{gap:.1%}")
            + f"): {advice}",
        )
    order = [
        "instance",
        "status",
        "objective",
        "bound",
        "gap",
        "expected_cost",
        "cvar",
        "var",
        "alpha",
        "worst_case_cost",
        "costs",
        "fill_rate",
        "stockout_probability",
        "suppliers_used",
        "supplier_share",
        "region_share",
        "risk",
        "scenarios",
    ]
    summary = {k: summary[k] for k in order} | {k: v for k, v in summary.items() if k not in order}
    return Plan(
        run.status,
        summary,
        instance=inst,
        orders=add_dates(inst, orders),
        inventory=add_dates(inst, inventory),
        scenario_costs=costs,
        outages=sc.outages,
        model=model,
    )


def evaluate_orders(inst: Instance, sc: ScenarioSet, orders: pd.DataFrame, run: SolverRun) -> Plan:
    """The plan of fixed ``orders`` (supplier, item, period, quantity) on the scenarios ``sc``:
    the second stage solved exactly per scenario (`jitopt.recourse`), in the format of a solved
    plan (a policy's plan, `jitopt plan`)."""
    orders = with_arrivals(
        inst, price_orders(inst, orders[["supplier", "item", "period", "quantity"]])
    )
    outcome = recourse(inst, Lines.from_orders(inst, orders), sc.available, sc.demand, sc.arrival)
    W, n_items, T = sc.demand.shape
    inventory = pd.DataFrame(
        {
            "scenario": np.repeat(np.asarray(sc.names, dtype=object), n_items * T),
            "item": np.tile(np.repeat(inst.items.index.to_numpy(dtype=object), T), W),
            "period": np.tile(np.arange(1, T + 1), W * n_items),
            "on_hand": outcome.on_hand.ravel(),
            "backlog" if inst.shortage == "backlog" else "lost": outcome.short.ravel(),
            "expedited": outcome.expedited.ravel(),
        }
    )
    return make_plan(inst, sc, orders, inventory, run)


def _gap(objective: float, bound: float) -> float:
    """Relative gap as HiGHS defines it: (objective - bound) / |objective|."""
    if objective - bound <= 1e-9 * max(1.0, abs(objective)):
        return 0.0  # a bound a hair above the plan's cost is solver tolerance
    return float((objective - bound) / max(abs(objective), 1e-9))


def model_size(model) -> dict:
    if model is None:
        return {}
    import pyomo.environ as pyo

    variables = list(model.component_data_objects(pyo.Var, active=True))
    return {
        "variables": len(variables),
        "binaries": sum(v.is_binary() for v in variables),
        "integers": sum(v.is_integer() and not v.is_binary() for v in variables),
        "constraints": sum(1 for _ in model.component_data_objects(pyo.Constraint, active=True)),
    }


def with_arrivals(inst: Instance, orders: pd.DataFrame) -> pd.DataFrame:
    """``orders`` with ``arrival_period`` (order period + the supplier's lead time) after
    ``period``."""
    lead = inst.suppliers["lead_time"]
    orders = orders.copy()
    orders.insert(3, "arrival_period", orders["period"] + orders["supplier"].map(lead).astype(int))
    return orders


def price_orders(inst: Instance, orders: pd.DataFrame) -> pd.DataFrame:
    """Unit cost of each line: the price of the largest price break reached, else the offer's."""
    orders = orders.copy()
    base = inst.offers["unit_cost"]
    prices = []
    breaks = {k: g for k, g in inst.price_breaks.groupby(["supplier", "item"])}
    for row in orders.itertuples(index=False):
        price = base[(row.supplier, row.item)]
        group = breaks.get((row.supplier, row.item))
        if group is not None:
            reached = group[group["min_qty"] <= row.quantity + 1e-9]
            if len(reached):
                price = reached["unit_cost"].iloc[-1]
        prices.append(float(price))
    orders["unit_cost"] = prices
    return orders


def delivered_mask(inst: Instance, sc: ScenarioSet, orders: pd.DataFrame) -> np.ndarray:
    """mask[w, k]: order row k is delivered in scenario w (its supplier can ship in the order period)."""
    sup_pos = {s: k for k, s in enumerate(inst.suppliers.index)}
    s_idx = orders["supplier"].map(sup_pos).to_numpy(int)
    t_idx = orders["period"].to_numpy(int) - 1
    return sc.available[:, s_idx, t_idx]


def add_arrivals(
    inst: Instance, sc: ScenarioSet, orders: pd.DataFrame, inventory: pd.DataFrame
) -> pd.DataFrame:
    """``arrived``: pipeline plus orders whose supplier could ship in the order period, in the
    period they arrive (held by transit outages, `ScenarioSet.arrival`). ``orders`` priced."""
    W, n_items, T = sc.demand.shape
    lines = Lines.from_orders(inst, orders)
    delivered = sc.available[:, lines.supplier, lines.period]
    cube = arrived_units(inst, lines, delivered, sc.arrival, T)
    items = {i: k for k, i in enumerate(inst.items.index)}
    w = inventory["scenario"].map({n: k for k, n in enumerate(sc.names)}).to_numpy(int)
    i = inventory["item"].map(items).to_numpy(int)
    t = inventory["period"].to_numpy(int) - 1
    inventory = inventory.copy()
    inventory["arrived"] = cube[w, i, t] + 0.0
    return inventory


def plan_scenario_table(
    inst: Instance, sc: ScenarioSet, orders: pd.DataFrame, inventory: pd.DataFrame
) -> pd.DataFrame:
    """`jitopt.metrics.scenario_table` of the plan's own tables (priced orders, inventory with
    arrivals)."""
    items = {i: k for k, i in enumerate(inst.items.index)}
    w = inventory["scenario"].map({n: k for k, n in enumerate(sc.names)}).to_numpy(int)
    i = inventory["item"].map(items).to_numpy(int)
    t = inventory["period"].to_numpy(int) - 1

    def cube(column: str) -> np.ndarray:
        values = np.zeros(sc.demand.shape)
        values[w, i, t] = inventory[column].to_numpy(float)
        return values

    lines = Lines.from_orders(inst, orders)
    value = (orders["quantity"] * orders["unit_cost"]).to_numpy(float)
    return scenario_table(
        inst,
        sc.names,
        sc.probability,
        purchase=delivered_mask(inst, sc, orders) @ value,
        ordering=lines.ordering,
        contract=lines.contract,
        on_hand=cube("on_hand"),
        short=cube("backlog" if inst.shortage == "backlog" else "lost"),
        expedited=cube("expedited"),
        demand=sc.demand,
    )


def unit_shares(inst: Instance, orders: pd.DataFrame) -> dict:
    """Share of the units ordered, by supplier and by region (suppliers with orders only)."""
    total = float(orders["quantity"].sum())
    if total <= 0:
        return {"supplier_share": {}, "region_share": {}}
    by_supplier = orders.groupby("supplier")["quantity"].sum() / total
    region = inst.suppliers["region"]
    by_region = orders.groupby(orders["supplier"].map(region))["quantity"].sum() / total
    return {
        "supplier_share": {str(k): round(float(v), SHARE_DIGITS) for k, v in by_supplier.items()},
        "region_share": {str(k): round(float(v), SHARE_DIGITS) for k, v in by_region.items()},
    }


def add_dates(inst: Instance, frame: pd.DataFrame) -> pd.DataFrame:
    """A ``date`` column (datetime64; ISO dates in the CSV files) after ``period`` when the
    instance has dates."""
    dates = inst.period_dates()
    if dates is None or frame is None:
        return frame
    frame = frame.copy()
    frame.insert(
        frame.columns.get_loc("period") + 1, "date", dates[frame["period"].to_numpy(int) - 1]
    )
    return frame
