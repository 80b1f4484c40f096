"""Where two plans of one instance differ in cost: by cost component, item, supplier and period.

    python benchmarks/plan_gap.py INSTANCE PLAN_DIR BETTER_PLAN_DIR

Both plan folders are `jitopt solve -o` outputs of INSTANCE. Reads only the written tables
(orders.csv, inventory.csv, scenarios.csv) and the instance's costs, so it works on plans from
any code. Prints Markdown tables of what PLAN_DIR costs more than BETTER_PLAN_DIR: per component
(probability-weighted over scenarios), per item (purchase, holding and shortage; order costs are
per supplier and period, not per item), per supplier (purchase and order costs) and per order
period. Used for issue 11's question: is the remaining plan gap in a few items, suppliers or
periods, or spread over all of them?
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from jitopt.instance import read_instance


def tables(inst, folder: Path) -> dict[str, pd.DataFrame]:
    orders = pd.read_csv(folder / "orders.csv")
    inventory = pd.read_csv(folder / "inventory.csv")
    scenarios = pd.read_csv(folder / "scenarios.csv")
    p = scenarios.set_index("scenario")["probability"]
    items = inst.items
    inventory["p"] = inventory["scenario"].map(p)
    inventory["holding"] = inventory["p"] * inventory["on_hand"] * inventory["item"].map(
        items["holding_cost"]
    )
    inventory["shortage"] = inventory["p"] * inventory["backlog"] * inventory["item"].map(
        items["shortage_cost"]
    )
    orders["purchase"] = orders["quantity"] * orders["unit_cost"]
    order_cost = inst.suppliers["order_cost"] if "order_cost" in inst.suppliers else None
    placed = orders[["supplier", "period"]].drop_duplicates()
    placed["ordering"] = 0.0 if order_cost is None else placed["supplier"].map(order_cost)
    components = [
        c
        for c in ("purchase", "ordering", "holding", "shortage", "expedite", "terminal", "salvage")
        if c in scenarios
    ]
    total = (scenarios[components].mul(scenarios["probability"], axis=0)).sum()
    per_item = pd.concat(
        [
            orders.groupby("item")["purchase"].sum(),
            orders.groupby("item").size().rename("lines"),
            inventory.groupby("item")[["holding", "shortage"]].sum(),
        ],
        axis=1,
    ).fillna(0.0)
    per_supplier = pd.concat(
        [
            orders.groupby("supplier")["purchase"].sum(),
            placed.groupby("supplier")["ordering"].sum(),
            placed.groupby("supplier").size().rename("order periods"),
        ],
        axis=1,
    ).fillna(0.0)
    per_period = pd.concat(
        [orders.groupby("period")["purchase"].sum(), placed.groupby("period")["ordering"].sum()],
        axis=1,
    ).fillna(0.0)
    return {"total": total, "item": per_item, "supplier": per_supplier, "period": per_period}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instance")
    ap.add_argument("plan")
    ap.add_argument("better")
    args = ap.parse_args()
    inst = read_instance(args.instance)
    a, b = tables(inst, Path(args.plan)), tables(inst, Path(args.better))
    diff = a["total"] - b["total"]
    gap = diff.sum()
    print(f"plan {a['total'].sum():,.0f}, better {b['total'].sum():,.0f}: {gap:+,.0f}\n")
    print("| component | plan | better | difference |\n|---|---|---|---|")
    for c in diff.index:
        print(f"| {c} | {a['total'][c]:,.0f} | {b['total'][c]:,.0f} | {diff[c]:+,.0f} |")
    item = a["item"].sub(b["item"], fill_value=0.0)
    item["cost"] = item[["purchase", "holding", "shortage"]].sum(axis=1)
    item = item.sort_values("cost", ascending=False)
    spread = item["cost"].clip(lower=0).sum()
    print(
        f"\nitems: {int((item['cost'] > 1).sum())} cost more in the plan, "
        f"{int((item['cost'] < -1).sum())} less; the 10 costing most more make "
        f"{item['cost'].head(10).sum() / gap:.0%} of the difference, the 20 most "
        f"{item['cost'].head(20).sum() / gap:.0%} (order costs are not per item)\n"
    )
    print("| item | purchase | holding | shortage | lines | cost |\n|---|---|---|---|---|---|")
    for name, r in item.head(10).iterrows():
        print(
            f"| {name} | {r['purchase']:+,.0f} | {r['holding']:+,.0f} | {r['shortage']:+,.0f} "
            f"| {r['lines']:+.0f} | {r['cost']:+,.0f} |"
        )
    print(f"\n(positive item differences add up to {spread:+,.0f})\n")
    sup = a["supplier"].sub(b["supplier"], fill_value=0.0)
    print("| supplier | purchase | ordering | order periods |\n|---|---|---|---|")
    for name, r in sup.iterrows():
        print(
            f"| {name} | {r['purchase']:+,.0f} | {r['ordering']:+,.0f} "
            f"| {r['order periods']:+.0f} |"
        )
    per = a["period"].sub(b["period"], fill_value=0.0)
    per["cost"] = per.sum(axis=1)
    print("\n| order period | purchase | ordering |\n|---|---|---|")
    for t, r in per.iterrows():
        print(f"| {t} | {r['purchase']:+,.0f} | {r['ordering']:+,.0f} |")


if __name__ == "__main__":
    main()
