"""First-stage constraint families: the ordering rules of the plan (same in every scenario).

Each family has ``add_<name>`` (adds it to the model; `jitopt.model.build_model` calls it only when
``<name>_applies``), and, when it needs binaries, ``<name>_binaries`` (which ones, by variable);
`FAMILIES` at the end lists them in the order they are built."""

from __future__ import annotations

import pyomo.environ as pyo

from jitopt.model.data import ModelData
from jitopt.model.family import Family


def add_order_variables(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Plan variables: x[s,i,t] >= 0 on the sparse set of lines that can be positive, bounded by
    the proven U[s,i,t]; binaries w (line used), y (order placed with s in t), z (supplier used)
    where a family needs them (``data.w_lines``, ``data.y_keys``, ``data.z_suppliers``).

    .. math:: 0 \le x_{s,i,t} \le U_{s,i,t}
    """
    m.LINES = pyo.Set(initialize=data.lines, dimen=3, ordered=True)
    m.x = pyo.Var(
        m.LINES, within=pyo.NonNegativeReals, bounds=lambda m, s, i, t: (0, data.bound[s, i, t])
    )
    m.W_LINES = pyo.Set(initialize=data.w_lines, dimen=3, ordered=True)
    m.w = pyo.Var(m.W_LINES, within=pyo.Binary)
    m.Y_KEYS = pyo.Set(initialize=data.y_keys, dimen=2, ordered=True)
    m.y = pyo.Var(m.Y_KEYS, within=pyo.Binary)
    m.Z_SUPPLIERS = pyo.Set(initialize=data.z_suppliers, ordered=True)
    m.z = pyo.Var(m.Z_SUPPLIERS, within=pyo.Binary)


def _plain_w_lines(data: ModelData) -> list:
    return [ln for ln in data.w_lines if ln not in data.tiers]


def line_setup_link_binaries(data: ModelData) -> dict[str, list]:
    """A "line used" binary for every line that pays a line cost."""
    cost = data.inst.offers["line_cost"].to_dict()
    return {"w": [ln for ln in data.lines if cost[ln[0], ln[1]] > 0]}


def line_setup_link_applies(data: ModelData) -> bool:
    return bool(_plain_w_lines(data))


def add_line_setup_link(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Line setup link: a line without price tiers is positive only if its binary w is on.

    .. math:: x_{s,i,t} \le U_{s,i,t}\, w_{s,i,t} \quad \forall (s,i,t) \in L^w \setminus L^{tier}

    Applies to lines with a MOQ or a line cost (lines with price breaks: `price_tier_*`).
    """
    m.line_setup_link = pyo.Constraint(
        _plain_w_lines(data),
        rule=lambda m, s, i, t: m.x[s, i, t] <= data.bound[s, i, t] * m.w[s, i, t],
    )


def min_order_quantity_binaries(data: ModelData) -> dict[str, list]:
    """A "line used" binary for every line of an offer with a MOQ."""
    moq = data.inst.offers["moq"].to_dict()
    return {"w": [ln for ln in data.lines if moq[ln[0], ln[1]] > 0]}


def _moq_lines(data: ModelData) -> list:
    moq = data.inst.offers["moq"].to_dict()
    return [ln for ln in _plain_w_lines(data) if moq[ln[0], ln[1]] > 0]


def min_order_quantity_applies(data: ModelData) -> bool:
    return bool(_moq_lines(data))


def add_min_order_quantity(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Minimum order quantity: a used line (without price tiers) orders at least the MOQ.

    .. math:: \mathrm{moq}_{s,i}\, w_{s,i,t} \le x_{s,i,t}

    Applies to lines of offers with a ``moq`` (lines with price breaks: `price_tier_min`).
    """
    moq = data.inst.offers["moq"].to_dict()
    m.min_order_quantity = pyo.Constraint(
        _moq_lines(data), rule=lambda m, s, i, t: m.x[s, i, t] >= moq[s, i] * m.w[s, i, t]
    )


def price_tiers_binaries(data: ModelData) -> dict[str, list]:
    """A "line used" binary for every line with price tiers (the tier binaries v are its own)."""
    return {"w": list(data.tiers)}


def price_tiers_applies(data: ModelData) -> bool:
    return bool(data.tiers)


def add_price_tiers(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Price tiers (all-units discounts): the line quantity is split over tiers, of which at most
    one is chosen (exactly one when the line is used); tier k's share lies in [min_k, max_k].

    .. math::
        x_{s,i,t} = \sum_k q_{s,i,t,k}, \quad \sum_k v_{s,i,t,k} = w_{s,i,t}, \quad
        \underline{q}_k v_{s,i,t,k} \le q_{s,i,t,k} \le \overline{q}_k v_{s,i,t,k}

    Applies to lines of offers with rows in price_breaks.csv.
    """
    keys = [(s, i, t, tier.k) for (s, i, t), tiers in data.tiers.items() for tier in tiers]
    tier_of = {(s, i, t, tier.k): tier for (s, i, t), tiers in data.tiers.items() for tier in tiers}
    m.TIER_KEYS = pyo.Set(initialize=keys, dimen=4, ordered=True)
    m.q = pyo.Var(
        m.TIER_KEYS, within=pyo.NonNegativeReals, bounds=lambda m, *k: (0, tier_of[k].high)
    )
    m.v = pyo.Var(m.TIER_KEYS, within=pyo.Binary)
    m.price_tier_split = pyo.Constraint(
        list(data.tiers),
        rule=lambda m, s, i, t: (
            m.x[s, i, t] == sum(m.q[s, i, t, tr.k] for tr in data.tiers[s, i, t])
        ),
    )
    m.price_tier_select = pyo.Constraint(
        list(data.tiers),
        rule=lambda m, s, i, t: (
            sum(m.v[s, i, t, tr.k] for tr in data.tiers[s, i, t]) == m.w[s, i, t]
        ),
    )
    m.price_tier_min = pyo.Constraint(
        [k for k in keys if tier_of[k].low > 0],
        rule=lambda m, *k: m.q[k] >= tier_of[k].low * m.v[k],
    )
    m.price_tier_max = pyo.Constraint(keys, rule=lambda m, *k: m.q[k] <= tier_of[k].high * m.v[k])


def order_setup_link_binaries(data: ModelData) -> dict[str, list]:
    """An "order placed" binary for every (supplier, period) with lines, where the supplier has
    an order cost."""
    cost = data.inst.suppliers["order_cost"].to_dict()
    return {"y": sorted({(s, t) for s, _, t in data.lines if cost[s] > 0})}


def order_setup_link_applies(data: ModelData) -> bool:
    return bool(data.y_keys)


def add_order_setup_link(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Order setup link (joint replenishment): any line with supplier s in period t needs y[s,t].

    .. math:: w_{s,i,t} \le y_{s,t} \text{ (lines with } w), \qquad
              x_{s,i,t} \le U_{s,i,t}\, y_{s,t} \text{ (other lines)}

    Applies to suppliers with an ``order_cost``.
    """
    keys = [ln for ln in data.lines if (ln[0], ln[2]) in m.Y_KEYS]

    def rule(m, s, i, t):
        if (s, i, t) in m.W_LINES:
            return m.w[s, i, t] <= m.y[s, t]
        return m.x[s, i, t] <= data.bound[s, i, t] * m.y[s, t]

    m.order_setup_link = pyo.Constraint(keys, rule=rule)


def supplier_contract_link_binaries(data: ModelData) -> dict[str, list]:
    """A "supplier used" binary for every supplier with lines and a contract cost."""
    cost = data.inst.suppliers["contract_cost"].to_dict()
    return {"z": sorted({s for s, _, _ in data.lines if cost[s] > 0})}


def supplier_contract_link_applies(data: ModelData) -> bool:
    return bool(data.z_suppliers)


def add_supplier_contract_link(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Supplier contract link: a supplier gets orders only if it is used (z[s] = 1).

    .. math:: y_{s,t} \le z_s, \quad\text{else } w_{s,i,t} \le z_s, \quad\text{else }
              x_{s,i,t} \le U_{s,i,t}\, z_s

    Applies to suppliers with a ``contract_cost``, and to all when ``max_suppliers`` is set.
    """
    z = set(data.z_suppliers)
    y_keys = [k for k in data.y_keys if k[0] in z]
    other = [ln for ln in data.lines if ln[0] in z and (ln[0], ln[2]) not in m.Y_KEYS]

    if y_keys:
        m.supplier_contract_link = pyo.Constraint(y_keys, rule=lambda m, s, t: m.y[s, t] <= m.z[s])
    if other:

        def rule(m, s, i, t):
            if (s, i, t) in m.W_LINES:
                return m.w[s, i, t] <= m.z[s]
            return m.x[s, i, t] <= data.bound[s, i, t] * m.z[s]

        m.supplier_contract_line_link = pyo.Constraint(other, rule=rule)


def lot_multiple_applies(data: ModelData) -> bool:
    return bool(data.lot_lines)


def add_lot_multiple(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Lot multiple: a line is an integer number of lots.

    .. math:: x_{s,i,t} = \mathrm{lot}_{s,i}\, n_{s,i,t}, \quad n_{s,i,t} \in \mathbb{Z}_{\ge 0}

    Applies to offers with a ``lot_multiple``.
    """
    lot = data.inst.offers["lot_multiple"].to_dict()
    m.LOT_LINES = pyo.Set(initialize=data.lot_lines, dimen=3, ordered=True)
    m.n = pyo.Var(
        m.LOT_LINES,
        within=pyo.NonNegativeIntegers,
        bounds=lambda m, s, i, t: (0, round(data.bound[s, i, t] / lot[s, i])),
    )
    m.lot_multiple = pyo.Constraint(
        m.LOT_LINES, rule=lambda m, s, i, t: m.x[s, i, t] == lot[s, i] * m.n[s, i, t]
    )


def supplier_capacity_applies(data: ModelData) -> bool:
    return bool(_capacity_keys(data)[0])


def _capacity_keys(data: ModelData) -> tuple[list, dict]:
    """(supplier, period) keys whose lines' bounds together exceed the capacity, and each key's
    lines."""
    cap = data.inst.suppliers["capacity"].to_dict()
    by_key: dict[tuple[str, int], list] = {}
    for s, i, t in data.lines:
        by_key.setdefault((s, t), []).append((s, i, t))
    keys = [k for k, lns in by_key.items() if sum(data.bound[ln] for ln in lns) > cap[k[0]] + 1e-9]
    return keys, by_key


def add_supplier_capacity(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Supplier capacity: a supplier accepts at most K_s units per period, all items together.

    .. math:: \sum_i x_{s,i,t} \le K_s \,[\,y_{s,t}\,] \quad \forall s \in S^{cap}, t

    Applies to suppliers with a ``capacity`` where the lines' own bounds do not already imply it.
    """
    cap = data.inst.suppliers["capacity"].to_dict()
    keys, by_key = _capacity_keys(data)

    def rule(m, s, t):
        rhs = cap[s] * m.y[s, t] if (s, t) in m.Y_KEYS else cap[s]
        return sum(m.x[ln] for ln in by_key[s, t]) <= rhs

    m.supplier_capacity = pyo.Constraint(keys, rule=rule)


def _share_suppliers(data: ModelData) -> list[str]:
    share = data.inst.suppliers["max_share"].to_dict()
    with_lines = {ln[0] for ln in data.lines}
    return [s for s, value in share.items() if value < 1 and s in with_lines]


def max_share_applies(data: ModelData) -> bool:
    return bool(_share_suppliers(data))


def add_max_share(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Max share: a supplier's units are at most a share of all units ordered over the horizon.

    .. math:: \sum_{i,t} x_{s,i,t} \le \mathrm{share}_s \sum_{s',i,t} x_{s',i,t}

    Applies to suppliers with a ``max_share`` below 1.
    """
    share = data.inst.suppliers["max_share"].to_dict()
    by_supplier: dict[str, list] = {}
    for ln in data.lines:
        by_supplier.setdefault(ln[0], []).append(ln)
    total = sum(m.x[ln] for ln in data.lines)
    m.max_share = pyo.Constraint(
        _share_suppliers(data),
        rule=lambda m, s: sum(m.x[ln] for ln in by_supplier[s]) <= share[s] * total,
    )


def max_suppliers_binaries(data: ModelData) -> dict[str, list]:
    """A "supplier used" binary for every supplier with lines, when the number is limited."""
    if data.inst.max_suppliers is None:
        return {}
    return {"z": sorted({s for s, _, _ in data.lines})}


def max_suppliers_applies(data: ModelData) -> bool:
    limit = data.inst.max_suppliers
    return limit is not None and len(data.z_suppliers) > limit


def add_max_suppliers(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Max suppliers: at most N suppliers receive orders over the horizon.

    .. math:: \sum_s z_s \le N

    Applies when instance.toml sets ``max_suppliers``.
    """
    limit = data.inst.max_suppliers
    m.max_suppliers = pyo.Constraint(expr=sum(m.z[s] for s in data.z_suppliers) <= limit)


FAMILIES: tuple[Family, ...] = (
    Family(
        "line_setup_link",
        add_line_setup_link,
        line_setup_link_applies,
        line_setup_link_binaries,
        item_integers=("w",),
    ),
    Family(
        "min_order_quantity",
        add_min_order_quantity,
        min_order_quantity_applies,
        min_order_quantity_binaries,
        item_integers=("w",),
    ),
    Family(
        "price_tiers",
        add_price_tiers,
        price_tiers_applies,
        price_tiers_binaries,
        components=("price_tier_split", "price_tier_select", "price_tier_min", "price_tier_max"),
        item_integers=("w", "v"),
    ),
    Family(
        "order_setup_link",
        add_order_setup_link,
        order_setup_link_applies,
        order_setup_link_binaries,
    ),
    Family(
        "supplier_contract_link",
        add_supplier_contract_link,
        supplier_contract_link_applies,
        supplier_contract_link_binaries,
        components=("supplier_contract_link", "supplier_contract_line_link"),
    ),
    Family("lot_multiple", add_lot_multiple, lot_multiple_applies, item_integers=("n",)),
    Family("supplier_capacity", add_supplier_capacity, supplier_capacity_applies),
    Family("max_share", add_max_share, max_share_applies),
    Family("max_suppliers", add_max_suppliers, max_suppliers_applies, max_suppliers_binaries),
)
