"""The objective: expected cost, or a mix of expected cost and CVaR (SPEC §3)."""

from __future__ import annotations

import pyomo.environ as pyo

from jitopt.model.data import ModelData
from jitopt.model.family import Family


def fixed_cost(m, data: ModelData):
    """F: order, line and contract costs, paid in every scenario."""
    sup = data.inst.suppliers
    order_cost = sup["order_cost"].to_dict()
    contract = sup["contract_cost"].to_dict()
    line_cost = data.inst.offers["line_cost"].to_dict()
    return (
        sum(order_cost[s] * m.y[s, t] for s, t in data.y_keys)
        + sum(line_cost[s, i] * m.w[s, i, t] for s, i, t in data.w_lines if line_cost[s, i] > 0)
        + sum(contract[s] * m.z[s] for s in data.z_suppliers if contract[s] > 0)
    )


def line_purchase(m, data: ModelData, unit_cost: dict, line):
    """purchase(x[s,i,t]): price-tiered lines pay each tier's price on the tier's quantity."""
    s, i, t = line
    if line in data.tiers:
        return sum(tier.cost * m.q[s, i, t, tier.k] for tier in data.tiers[line])
    return unit_cost[s, i] * m.x[line]


def scenario_operating_cost(m, data: ModelData, w: int):
    """Holding, shortage, spot and terminal costs of scenario w, less the salvage value of the
    stock left after period T."""
    items = data.inst.items
    h = items["holding_cost"].to_dict()
    b = items["shortage_cost"].to_dict()
    e = items["expedite_cost"].to_dict()
    term = items["terminal_backlog_cost"].to_dict()
    T = data.inst.periods
    keys = [(w, i, t) for i in items.index for t in data.periods]
    cost = sum(h[i] * m.inv[w, i, t] for _, i, t in keys if h[i] > 0)
    if data.inst.shortage == "backlog":
        cost += sum(b[i] * m.backlog[w, i, t] for _, i, t in keys if b[i] > 0)
        cost += sum(term[i] * m.backlog[w, i, T] for i in items.index if term[i] > 0)
    else:
        cost += sum(b[k[1]] * m.lost[k] for k in keys if k in m.LOST_KEYS and b[k[1]] > 0)
    cost += sum(e[k[1]] * m.spot[k] for k in keys if k in m.SPOT_KEYS)
    salvage = items["salvage_value"].to_dict()
    cost -= sum(salvage[i] * m.inv[w, i, T] for i in items.index if salvage[i] > 0)
    return cost


def add_objective(m: pyo.ConcreteModel, data: ModelData) -> None:
    r"""Total cost: expected cost, or (1-lambda) E[C] + lambda CVaR_alpha(C) (Rockafellar-Uryasev).

    .. math:: E[C] = F + \sum_{s,i,t} P[a_{s,t}]\,\mathrm{purchase}(x_{s,i,t})
                 + \sum_w \pi_w \sum_{i,t} (h_i I + b_i B + e_i E) + \sum_w \pi_w \sum_i (\beta_i B_{w,i,T} - v_i I_{w,i,T})

    The purchase term uses the probability that the supplier can ship in the order period, so the
    expected-cost model needs no per-scenario copy of the first-stage costs.
    """
    inst, sc = data.inst, data.sc
    unit_cost = inst.offers["unit_cost"].to_dict()
    purchase = {ln: line_purchase(m, data, unit_cost, ln) for ln in data.lines}
    operating = [scenario_operating_cost(m, data, w) for w in range(len(sc))]
    fixed = fixed_cost(m, data)
    expected = (
        fixed
        + sum(
            data.avail_prob[s, t] * purchase[s, i, t]
            for s, i, t in data.lines
            if data.avail_prob[s, t] > 0
        )
        + sum(float(p) * op for p, op in zip(sc.probability, operating))
    )
    m.expected_cost = pyo.Expression(expr=expected)
    if cvar_excess_def_applies(data):
        # shared with `add_cvar_excess_def`
        data.costs.update(fixed=fixed, purchase=purchase, operating=operating)
    else:
        m.total_cost = pyo.Objective(expr=m.expected_cost, sense=pyo.minimize)


def cvar_excess_def_applies(data: ModelData) -> bool:
    return data.inst.risk.measure == "cvar" and data.inst.risk.weight != 0


def add_cvar_excess_def(m, data: ModelData) -> None:
    r"""CVaR excess: u_w >= C_w - eta, u_w >= 0, with C_w the cost of scenario w; the objective
    (1 - lambda) E[C] + lambda CVaR_alpha(C). Runs after `add_objective`, whose cost expressions
    it shares (``data.costs``).

    .. math:: \mathrm{CVaR}_\alpha = \eta + \frac{1}{1-\alpha}\sum_w \pi_w u_w
    """
    inst, sc = data.inst, data.sc
    fixed, purchase, operating = (data.costs[k] for k in ("fixed", "purchase", "operating"))
    sup_pos = {s: k for k, s in enumerate(inst.suppliers.index)}
    W = range(len(sc))

    def scenario_cost(w):
        avail = sc.available[w]
        return (
            fixed
            + sum(purchase[ln] for ln in data.lines if avail[sup_pos[ln[0]], ln[2] - 1])
            + operating[w]
        )

    m.eta = pyo.Var(within=pyo.Reals)
    m.cvar_excess = pyo.Var(W, within=pyo.NonNegativeReals)
    m.cvar_excess_def = pyo.Constraint(
        W, rule=lambda m, w: m.cvar_excess[w] >= scenario_cost(w) - m.eta
    )
    alpha, lam = inst.risk.alpha, inst.risk.weight
    m.cvar = pyo.Expression(
        expr=m.eta
        + sum(float(p) * m.cvar_excess[w] for w, p in zip(W, sc.probability)) / (1 - alpha)
    )
    m.total_cost = pyo.Objective(
        expr=(1 - lam) * m.expected_cost + lam * m.cvar, sense=pyo.minimize
    )


FAMILIES: tuple[Family, ...] = (
    Family("total_cost", add_objective),
    Family("cvar_excess_def", add_cvar_excess_def, cvar_excess_def_applies),
)
