"""Shared fixtures: every plan a test solves can be run through the independent checker."""

import pyomo.environ as pyo
import pytest

import jitopt
import jitopt.solver
from jitopt.check import check_solution
from jitopt.model import FAMILIES


@pytest.fixture
def checked(tmp_path):
    """``checked(plan)``: write the plan, recompute it with jitopt.check, fail on any problem."""
    count = 0

    def run(plan: jitopt.Plan, instance: jitopt.Instance | None = None) -> jitopt.Plan:
        nonlocal count
        count += 1
        if not plan.status.has_plan:
            return plan
        out = tmp_path / f"plan{count}"
        plan.write(out)
        check_solution(instance or plan.instance, out).raise_if_failed()
        return plan

    return run


@pytest.fixture
def dask_scheduler():
    """The address of a Dask cluster in this process (threads), on 127.0.0.1."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp://",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        yield cluster.scheduler_address


@pytest.fixture(autouse=True)
def _families_switched_on(request, monkeypatch):
    """A test marked ``switches_on(...)`` (tests/hand_worked.py) must solve a model that holds
    each family it names (one of the family's Pyomo components at least: some are built only
    for some lines, such as `supplier_contract_line_link`)."""
    named = [f for mark in request.node.iter_markers("switches_on") for f in mark.args]
    if not named:
        yield
        return
    built: set[str] = set()
    inputs: list[tuple] = []  # (instance, scenarios, components) of each model built
    build_model = jitopt.solver.build_model

    def recording(*args, **kwargs):
        model, data = build_model(*args, **kwargs)
        kinds = (pyo.Constraint, pyo.Objective)
        names = {c.local_name for c in model.component_objects(kinds)}
        built.update(names)
        inputs.append((data.inst, data.sc, names))
        return model, data

    monkeypatch.setattr(jitopt.solver, "build_model", recording)
    yield
    components = {f.name: f.pyomo_components for f in FAMILIES}
    registered = {c for names in components.values() for c in names}
    assert built <= registered, f"built outside jitopt.model.FAMILIES: {built - registered}"
    for family in named:
        assert family in components, f"switches_on({family!r}): no such family"
        assert built & set(components[family]), (
            f"switches_on({family!r}): no model the test solved holds {components[family]}"
        )
        case = next(c for c in inputs if c[2] & set(components[family]))
        _checker_notices_the_family_dropped(family, components[family], *case[:2])


# Families the checker cannot be asked about by dropping them: without the objective there is no
# plan, and without `cvar_excess_def` the CVaR term is unbounded; the checker recomputes both
# (tests/test_check.py, tests/test_risk.py).
NOT_DROPPABLE = {"total_cost", "cvar_excess_def"}


def _checker_notices_the_family_dropped(family, components, instance, scenarios) -> None:
    """Solve the hand-worked case without the family: the independent checker must then find
    the plan wrong (a rule broken, or a cost other than the model's): the family changes the
    plan, and the checker knows its rule (`jitopt.check.RULES`)."""
    from jitopt.check import check_plan
    from jitopt.model import build_model
    from jitopt.plan import make_plan
    from jitopt.solver import extract, run_highs

    if family in NOT_DROPPABLE:
        return
    model, data = build_model(instance, scenarios)
    for name in components:
        if hasattr(model, name):
            getattr(model, name).deactivate()
    run = run_highs(model, 30.0, 0.0, None, False)
    assert run.status.has_plan, f"without {family}, the hand-worked case has no plan"
    orders, inventory = extract(model, data)
    plan = make_plan(instance, scenarios, orders, inventory, run, model)
    report = check_plan(instance, plan)
    recomputed, solver = report.objective, run.objective
    differs = abs(recomputed - solver) > 1e-6 * max(1.0, abs(solver))
    assert report.problems or differs, (
        f"switches_on({family!r}): without the family the case's plan still passes the "
        "independent checker at the model's cost: the case does not depend on the family, or "
        "the checker does not check it"
    )
